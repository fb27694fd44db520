//! finkit: corporate lending and risk in Rust, one `use` away.
//!
//! This facade only re-exports the finkit crates, one module and one cargo feature per part, so
//! a service can depend on `finkit` and trim it with `default-features = false`.
//!
//! # Example
//!
//! ```
//! use finkit::schema::{CsvOptions, Dataset, Probability};
//!
//! let pd = Probability::new(0.015)?;
//! let data = Dataset::from_reader("x,bad\n1.5,0\n2.5,1\n".as_bytes(), "inline.csv",
//!     &CsvOptions::default().with_target("bad"))?;
//! assert_eq!(data.n_rows(), 2);
//! # let _ = pd;
//! # Ok::<(), finkit::schema::SchemaError>(())
//! ```
//!
//! # Features
//!
//! | feature | module | default |
//! |---|---|---|
//! | (always) | [`schema`]: validated types, entities, `Portfolio`, `Dataset` | yes |
//! | (always) | [`numerics`]: Φ, φ, Φ⁻¹, Gauss–Legendre, sample quantiles, VaR/ES tail rules | yes |
//! | `pool` | `pool`: the data pool (SQLite, in memory) | yes |
//! | `credit` | `credit`: binning, scorecards, validation, corporate models | yes |
//! | `risk` | `risk`: market and credit portfolio risk | yes |
//! | `lending` | `lending`: decisions, pricing, limits, financing plans (turns on the three above) | yes |
//! | `serde` | `Serialize` / `Deserialize` on every data type | yes |
//! | `postgres` | `pool::PostgresPool`, the PostgreSQL backend (turns on `pool`) | no |
//! | `parquet` | `pool::export`, Parquet export and import (turns on `pool` and `arrow`) | no |
//! | `arrow` | Arrow in memory: `schema::Dataset::from_record_batch`, `risk::portfolio::portfolio_from_record_batch`, `credit::score_record_batch` | no |
//! | `tracing` | spans (the `tracing` crate) around fits, simulations and ingests | no |
//!
//! Every feature of every part is forwarded here (a test checks it), so `finkit` alone is enough.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

pub use finkit_schema as schema;

/// The numerical core (normal distribution, quadrature, sample quantiles, tail rules); always
/// there, it has no dependencies.
pub use finkit_numerics as numerics;

#[cfg(feature = "pool")]
#[cfg_attr(docsrs, doc(cfg(feature = "pool")))]
pub use finkit_pool as pool;

#[cfg(feature = "credit")]
#[cfg_attr(docsrs, doc(cfg(feature = "credit")))]
pub use finkit_credit as credit;

#[cfg(feature = "risk")]
#[cfg_attr(docsrs, doc(cfg(feature = "risk")))]
pub use finkit_risk as risk;

#[cfg(feature = "lending")]
#[cfg_attr(docsrs, doc(cfg(feature = "lending")))]
pub use finkit_lending as lending;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
