//! The report machinery of the `finkit` command line, shared with the notebooks: PNG charts
//! drawn with plotters and an embedded font (so they render on machines without system fonts).
//!
//! ```no_run
//! let points = vec![(0.0, 0.0), (0.2, 0.6), (1.0, 1.0)];
//! finkit_cli::charts::roc_curve(std::path::Path::new("roc.png"), &points, 0.8)?;
//! # Ok::<(), finkit_cli::charts::ChartError>(())
//! ```

pub mod charts;
pub mod loop_charts;
