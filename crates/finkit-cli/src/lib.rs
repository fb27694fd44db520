//! The library part of the `finkit` command line. The PNG charts of its reports now live in the
//! [`finkit-charts`](finkit_charts) crate, shared with the notebooks; `finkit_cli::charts` is kept
//! as a re-export so existing code keeps compiling.
//!
//! ```no_run
//! let points = vec![(0.0, 0.0), (0.2, 0.6), (1.0, 1.0)];
//! finkit_cli::charts::roc_curve(std::path::Path::new("roc.png"), &points, 0.8)?;
//! # Ok::<(), finkit_cli::charts::ChartError>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use finkit_charts as charts;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub use finkit_charts::loop_charts;
