//! Log and simple returns from a price series.

use ndarray::{Array1, ArrayRef1};

use super::contiguous;
use crate::RiskError;

/// Which return definition [`returns`] computes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ReturnKind {
    /// `ln(P_t / P_{t-1})` (the default; what every model of this module expects).
    #[default]
    Log,
    /// `P_t / P_{t-1} - 1`.
    Simple,
}

/// Returns of a price series: `n` prices give `n - 1` returns, in decimal units.
///
/// # Formula
/// ```text
/// log:    r_t = ln(P_t / P_{t-1})
/// simple: r_t = P_t / P_{t-1} - 1
/// ```
///
/// # Errors
/// [`RiskError::TooFewObservations`] for fewer than two prices, [`RiskError::NonFinite`] for a
/// NaN or infinite price, [`RiskError::NonPositive`] for a price ≤ 0.
pub fn returns(prices: &ArrayRef1<f64>, kind: ReturnKind) -> Result<Array1<f64>, RiskError> {
    let p = contiguous(prices);
    if p.len() < 2 {
        return Err(RiskError::TooFewObservations {
            what: "returns from prices",
            needed: 2,
            got: p.len(),
        });
    }
    for (index, &value) in p.iter().enumerate() {
        if !value.is_finite() {
            return Err(RiskError::NonFinite { what: "prices", index, value });
        }
        if value <= 0.0 {
            return Err(RiskError::NonPositive { what: "prices", index, value });
        }
    }
    // ln of the ratio (not a difference of logs): the reference computes it this way, and it
    // is the more accurate form for small moves.
    Ok(p.windows(2)
        .map(|w| match kind {
            ReturnKind::Log => (w[1] / w[0]).ln(),
            ReturnKind::Simple => w[1] / w[0] - 1.0,
        })
        .collect())
}

/// Log returns `ln(P_t / P_{t-1})`; see [`returns`].
///
/// # Errors
/// As [`returns`].
pub fn log_returns(prices: &ArrayRef1<f64>) -> Result<Array1<f64>, RiskError> {
    returns(prices, ReturnKind::Log)
}

/// Simple returns `P_t / P_{t-1} - 1`; see [`returns`].
///
/// # Errors
/// As [`returns`].
pub fn simple_returns(prices: &ArrayRef1<f64>) -> Result<Array1<f64>, RiskError> {
    returns(prices, ReturnKind::Simple)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn log_and_simple() {
        let p = array![100.0, 110.0, 99.0];
        let l = log_returns(&p).unwrap();
        let s = simple_returns(&p).unwrap();
        assert!((l[0] - 1.1f64.ln()).abs() < 1e-16);
        assert!((s[0] - 0.1).abs() < 1e-15);
        assert!((s[1] + 0.1).abs() < 1e-15);
    }

    #[test]
    fn bad_prices() {
        assert!(matches!(log_returns(&array![1.0]), Err(RiskError::TooFewObservations { .. })));
        assert!(matches!(
            log_returns(&array![1.0, 0.0]),
            Err(RiskError::NonPositive { index: 1, .. })
        ));
        assert!(matches!(
            simple_returns(&array![1.0, f64::NAN]),
            Err(RiskError::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            log_returns(&array![-1.0, 2.0]),
            Err(RiskError::NonPositive { index: 0, .. })
        ));
    }
}
