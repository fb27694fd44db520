//! Corporate default models on financial-statement and market data: Altman's Z-scores, Ohlson's
//! O-score and the Merton / KMV structural model.
//!
//! Each model has a plain, validated input struct (built from [`finkit_schema::FinancialRatios`]
//! or [`finkit_schema::FinancialStatement`] where the schema holds the inputs) and a
//! [`PdModel`](crate::PdModel) wrapper that reads the same inputs from a [`FeatureRecord`](crate::FeatureRecord).
//!
//! ```
//! use finkit_credit::corporate::{MertonInputs, solve_merton, MertonOptions};
//! // Hull's example: equity 3, equity volatility 80 %, debt 10 due in one year, r = 5 %.
//! let fit = solve_merton(&MertonInputs::new(3.0, 0.80, 10.0, 0.05, 1.0)?, &MertonOptions::default())?;
//! assert!((fit.asset_value - 12.3954).abs() < 1e-4);
//! assert!((fit.pd - 0.1270).abs() < 1e-4);
//! # Ok::<(), finkit_credit::CreditError>(())
//! ```

mod altman;
mod merton;
mod ohlson;

pub use altman::{AltmanModel, AltmanRatios, AltmanScore, AltmanVariant, Zone, ZonePd};
pub use merton::{
    Drift, MertonFit, MertonInputs, MertonMethod, MertonModel, MertonOptions, kmv_default_point,
    solve_merton,
};
pub use ohlson::{OhlsonInputs, OhlsonModel, OhlsonScore};

use crate::CreditError;

/// Rejects NaN and infinities in a model input.
fn finite(what: &'static str, value: f64) -> Result<f64, CreditError> {
    if value.is_finite() { Ok(value) } else { Err(CreditError::NonFinite { what, row: 0, value }) }
}

/// Requires a finite, strictly positive input.
fn positive(name: &'static str, value: f64) -> Result<f64, CreditError> {
    finite(name, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(CreditError::InvalidParameter { name, value: value.to_string(), reason: "must be > 0" })
    }
}
