//! Corporate credit scoring for finkit: from a firm's data to a probability of default (PD) that a
//! credit officer can trust and explain — binning and WoE, logistic scorecards, validation,
//! corporate default models and a rating master scale.
//!
//! # Example
//!
//! ```
//! use finkit_credit::corporate::{MertonInputs, MertonModel, MertonOptions};
//! use finkit_credit::master_scale::MasterScale;
//! use finkit_credit::validation::{RiskOrder, auc};
//! use finkit_credit::{CreditError, Fit, LogisticParams, PdModel, FeatureRecord};
//! use finkit_credit::schema::{Column, Dataset, Maturity, Rate};
//! use ndarray::array;
//!
//! // A modelling table with a binary target (1 = default).
//! let data = Dataset::new(
//!     vec![("leverage".into(), Column::Numeric(array![0.2, 0.5, 0.9, 0.4, 0.8, 0.3, 0.7, 0.6]))],
//!     Some(("bad".into(), array![0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0])),
//! )?;
//!
//! // Newton/IRLS logistic regression with statsmodels' inference table.
//! // (`Fit::fit` on a dataset; `LogisticParams::fit(&x, &y)` takes arrays.)
//! let model = Fit::fit(&LogisticParams::new(), &data)?;
//! assert!(model.coefficients()[0] > 0.0 && model.std_errors()[1] > 0.0);
//!
//! // Validate, then grade on the master scale.
//! let pd = model.pd_batch(&data)?;
//! let target = array![0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
//! assert!(auc(&pd, &target, RiskOrder::HigherIsRiskier)? > 0.5);
//! let scale = MasterScale::default();
//! let grade = scale.grade(pd[2])?;
//! assert!(grade.lower <= pd[2] || grade.label == "1");
//!
//! // Models written by different people compose behind one trait object.
//! let merton = MertonModel::new(Rate::new(0.05)?, Maturity::new(1.0)?)
//!     .with_options(MertonOptions::default());
//! let models: Vec<Box<dyn PdModel>> = vec![Box::new(model), Box::new(merton)];
//! let firm = FeatureRecord::new()
//!     .with_number("leverage", 0.6)
//!     .with_number("equity_value", 3.0)
//!     .with_number("equity_volatility", 0.8)
//!     .with_number("debt", 10.0);
//! for m in &models {
//!     let pd = m.pd(&firm)?;
//!     assert!(pd.get() > 0.0 && pd.get() < 1.0, "{}", m.model_id());
//! }
//! # let _ = MertonInputs::new(3.0, 0.8, 10.0, 0.05, 1.0)?;
//! # Ok::<(), CreditError>(())
//! ```
//!
//! # What is here
//!
//! - [`binning`]: optimal monotone binning of numeric and categorical variables
//!   ([`binning::OptimalBinning`], [`binning::BinningProcess`]), WoE with an explicit sign and
//!   zero-cell rule, IV.
//! - [`LogisticParams`] → [`LogisticModel`]: Newton/IRLS with optional L2 (intercept unpenalised),
//!   sample weights, standard errors, z and p values, log-likelihoods, AIC and BIC; separation and
//!   singular information matrices are typed errors ([`CreditError::Separation`],
//!   [`CreditError::SingularHessian`]) that suggest L2. `X'WX` is accumulated over fixed row
//!   blocks in parallel and summed in block order: the same bits on any number of threads.
//! - [`pipeline`]: the whole scorecard fit as one type ([`pipeline::ScorecardParams`] →
//!   [`pipeline::FittedScorecard`]): binning, IV selection, removal of duplicated and
//!   near-collinear characteristics, forward selection by AIC/BIC, sign checks, optional L2,
//!   scaling, and a report of every variable's fate.
//! - [`boosting`]: histogram gradient-boosted trees on log-loss with monotone constraints,
//!   exact TreeSHAP contributions and reason codes, checksummed JSON and XGBoost JSON import.
//! - [`scorecard`]: PDO scaling, points per bin, scoring and reason codes, JSON save/load.
//! - [`validation`]: AUC, Gini, KS, Brier, log-loss, PSI/CSI (the binning rule is an explicit
//!   option), Hosmer–Lemeshow, per-grade binomial and Jeffreys tests, confusion counts.
//! - [`monitoring`]: a deployed model on a later population — PSI/CSI, per-grade Jeffreys and
//!   binomial tests, Spiegelhalter and Hosmer–Lemeshow, AUC with a DeLong interval, the paired
//!   DeLong test of two models, and a green/amber/red verdict per item.
//! - [`master_scale`]: PD → grade on a configurable scale (12 documented default grades),
//!   grade → central PD, and score → PD calibration (logistic or isotonic).
//! - [`corporate`]: Altman Z, Z′, Z″, Z″-EM with zones; Ohlson's O-score; the Merton model
//!   solved for asset value and volatility (Newton with a bisection fallback) and the KMV
//!   default point.
//! - [`PdModel`] (object-safe: one [`FeatureRecord`] → [`Probability`](finkit_schema::Probability), and a
//!   batch over a [`Dataset`](finkit_schema::Dataset)) and [`Fit`], implemented by the scorecard,
//!   the logistic model and the corporate models.
//!
//! # Accuracy
//!
//! Every model is tested against an independent reference (`tests/`, data and provenance in
//! `tests/data/`, tolerances in `tests/common/tolerance.rs`): the logistic fit against
//! statsmodels on the German-credit WoE design and Greene's `spector` data (coefficients and
//! standard errors within 1e-8, log-likelihood within 1e-9; measured ≤ 4e-16 and 5e-13); AUC, KS,
//! Brier and PSI within 1e-12 and Hosmer–Lemeshow within 1e-9 of scikit-learn/numpy/scipy;
//! Merton within 1e-9 relative of scipy's `fsolve` on Hull's example (measured ≤ 3e-15); Altman
//! within 1e-12.
//!
//! # Features
//!
//! - `serde` (default): `Serialize` / `Deserialize` for parameters, fitted models and results
//!   (required by scorecard JSON save/load).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "arrow")]
mod arrow_batch;
pub mod binning;
pub mod boosting;
pub mod corporate;
mod error;
mod logistic;
pub mod master_scale;
pub mod monitoring;
mod notebook;
pub mod pipeline;
mod record;
pub mod scorecard;
mod separation;
mod traits;
pub mod validation;

#[cfg(feature = "arrow")]
#[cfg_attr(docsrs, doc(cfg(feature = "arrow")))]
pub use arrow_batch::score_record_batch;
pub use error::CreditError;
pub use finkit_schema as schema;
pub use logistic::{LogisticModel, LogisticParams};
pub use record::{FeatureRecord, Value};
/// The former name of [`FeatureRecord`], kept for one release.
#[deprecated(
    since = "0.1.0",
    note = "renamed to `FeatureRecord` (finkit_pool::Record is the pool's ingest record)"
)]
pub type Record = FeatureRecord;
pub use traits::{Fit, PdModel};

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
