//! Financial risk control for finkit: market risk, credit portfolio risk, capital and IFRS 9.
//!
//! ```
//! use finkit_risk::market::{
//!     GarchParams, Innovation, RollingMethod, RollingParams, backtest, log_returns,
//! };
//! use finkit_risk::{ExpectedShortfall, RiskMeasure, ValueAtRisk};
//! use ndarray::Array1;
//!
//! // a deterministic price path (any positive prices will do)
//! let mut s = 42u64;
//! let mut p = 100.0;
//! let prices: Array1<f64> = (0..600)
//!     .map(|_| {
//!         s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
//!         p *= 1.0 + ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.03;
//!         p
//!     })
//!     .collect();
//! let r = log_returns(&prices)?;
//!
//! // risk measures on a loss sample (losses are positive numbers)
//! let losses = r.mapv(|x| -x);
//! let var = ValueAtRisk::new(0.99)?.evaluate(&losses)?;
//! let es = ExpectedShortfall::new(0.99)?.evaluate(&losses)?;
//! assert!(es >= var);
//!
//! // rolling one-day-ahead historical VaR (window 250) and its backtest
//! let fc = RollingParams::new(0.99, RollingMethod::default())?.forecast(&r)?;
//! let realised: Array1<f64> = r.iter().skip(fc.first_index).copied().collect();
//! let bt = backtest(&realised, &fc.var, 0.99)?;
//! assert_eq!(bt.hits.len(), 349);
//!
//! // GARCH(1,1) with Student-t innovations and its next-day VaR
//! let garch = GarchParams::new().innovation(Innovation::StudentT).fit(&r)?;
//! assert!(garch.var_forecast(0.99)?.var > 0.0);
//! # Ok::<(), finkit_risk::RiskError>(())
//! ```
//!
//! # Modules
//! * [`market`] — returns; VaR/ES (historical with a selectable quantile rule and ES
//!   estimator, normal, Student-t, Cornish–Fisher, Monte Carlo from a fitted GARCH); EWMA and
//!   GARCH(1,1) volatility; rolling forecasts; Kupiec, Christoffersen and Basel traffic-light
//!   backtests.
//! * [`portfolio`] — credit portfolio risk on a `Portfolio`: expected loss, Basel IRB,
//!   Vasicek, copula Monte Carlo, exact loss distributions, CreditRisk+.
//! * [`transition`], [`ifrs9`], [`raroc`] — rating transition matrices, IFRS 9 staging and
//!   ECL, RAROC pricing.
//!
//! Public traits: [`RiskMeasure`] (loss sample → number, object safe), [`LossModel`]
//! (portfolio → loss distribution) and [`VolatilityModel`].
//!
//! # Features
//! * `serde` (default) — `Serialize`/`Deserialize` on parameter and result types.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

mod error;
pub mod ifrs9;
pub mod market;
mod notebook;
pub mod portfolio;
pub mod raroc;
mod traits;
pub mod transition;

pub use error::RiskError;
pub use finkit_schema as schema;
pub use market::{ExpectedShortfall, ValueAtRisk};
pub use portfolio::{LossDistribution, LossModel, read_portfolio_csv};
pub use traits::{RiskMeasure, VolatilityModel, VolatilityPath};
pub use transition::{GeneratorMethod, TransitionMatrix, TransitionOptions};

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
