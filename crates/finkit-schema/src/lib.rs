//! The shared vocabulary of finkit: validated values, the entities of a lending data pool, the
//! columnar [`Portfolio`] the risk models read, and the [`Dataset`] the credit models learn from.
//!
//! This crate is what every other finkit crate depends on, and nothing else: `finkit-credit`,
//! `finkit-risk` and `finkit-pool` meet only through these types. It holds data and the rules
//! that make the data trustworthy, not models. It is kept light (ndarray, chrono, csv, memchr,
//! rayon for the parallel CSV reader, thiserror and, optionally, serde).
//!
//! # Example
//!
//! ```
//! use finkit_schema::{CsvOptions, Dataset, Probability, Portfolio, PortfolioColumns};
//!
//! // Validated newtypes: a value of the type is always in range.
//! let pd = Probability::new(0.02)?;
//! assert!(Probability::new(1.7).is_err());
//!
//! // A modelling table with a binary target; errors name the line and the column.
//! let csv = "income,sector,bad\n52.0,retail,0\n11.5,tech,1\n";
//! let data = Dataset::from_reader(csv.as_bytes(), "applicants.csv", &CsvOptions::default().with_target("bad"))?;
//! assert_eq!(data.summary().events, Some(1));
//!
//! // A columnar portfolio, validated once for the risk models.
//! let book = Portfolio::new(PortfolioColumns {
//!     ids: vec!["L1".into()],
//!     sectors: vec!["tech".into()],
//!     grades: vec![None],
//!     pd: vec![pd.get()],
//!     lgd: vec![0.45],
//!     ead: vec![1.0e6],
//!     maturity: vec![2.5],
//!     annual_sales: vec![Some(20.0)],
//! })?;
//! assert_eq!(book.total_ead(), 1.0e6);
//! # Ok::<(), finkit_schema::SchemaError>(())
//! ```
//!
//! # What is here
//!
//! - Newtypes: [`Probability`], [`Lgd`], [`Rate`], [`Amount`], [`Maturity`], [`Currency`],
//!   and identifiers [`FirmId`], [`LoanId`], [`ApplicationId`], [`InstrumentId`].
//! - Entities: [`Firm`] (with its [`TechProfile`]), [`FinancialStatement`],
//!   [`LoanApplication`], [`Exposure`], [`CreditEvent`], [`PriceSeries`].
//! - [`Validate`]: every entity reports *all* its broken rules as [`Violation`]s.
//! - [`FinancialRatios`]: ratios that are `None`, never infinite, when undefined.
//! - [`Portfolio`] and [`Dataset`].
//!
//! # Features
//!
//! - `serde` (default): `Serialize` / `Deserialize` for every type. Deserialisation runs the
//!   same validation as the constructors, so a file cannot smuggle in a PD of 1.7.
//! - `testkit` (tests only, hidden): the proptest strategy of hostile CSV-like bytes that the
//!   reader fuzz tests of the workspace share (`testkit::csvish`).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "arrow")]
#[cfg_attr(docsrs, doc(cfg(feature = "arrow")))]
pub mod arrow;
pub mod csv_input;
mod currency;
mod dataset;
mod entity;
mod error;
mod id;
pub mod limits;
pub mod notebook;
mod portfolio;
mod ratios;
mod spelling;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
#[doc(hidden)]
pub mod testkit;
mod validate;
mod value;

pub use chrono;
pub use ndarray;

pub use currency::Currency;
pub use dataset::{Column, CsvOptions, Dataset, DatasetSummary};
pub use entity::{
    Collateral, CollateralKind, CreditEvent, CreditEventKind, Exposure, FinancialStatement, Firm,
    Guarantee, GuaranteeKind, IndustryCode, IndustryScheme, LoanApplication, Patents, PriceSeries,
    Product, RawPriceSeries, TechProfile,
};
pub use error::SchemaError;
pub use id::{ApplicationId, FirmId, InstrumentId, LoanId, MAX_ID_LEN};
pub use portfolio::{Portfolio, PortfolioColumns};
pub use ratios::FinancialRatios;
pub use spelling::{Spelled, check_spellings};
pub use validate::{Validate, Violation};
pub use value::{Amount, Lgd, Maturity, Probability, Rate, Unit};

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
