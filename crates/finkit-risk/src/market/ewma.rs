//! Exponentially weighted moving-average (RiskMetrics) volatility.

use ndarray::{Array1, ArrayRef1};

use super::{check_finite, contiguous, np_sum};
use crate::{RiskError, VolatilityModel, VolatilityPath};

/// How the EWMA recursion is started.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum EwmaSeed {
    /// The variance of return `w` is the mean of the first `w` squared returns (zero mean):
    /// `σ²[w] = mean(r[0..w]²)`. The default, with `w = 250`.
    MeanSquareOfFirst(usize),
    /// A given variance (squared decimal units) for return 0.
    Variance(f64),
}

impl Default for EwmaSeed {
    fn default() -> Self {
        EwmaSeed::MeanSquareOfFirst(250)
    }
}

/// EWMA volatility with decay `λ` and an explicit seed rule; zero mean.
///
/// # Formula
/// ```text
/// σ²[t+1] = λ σ²[t] + (1 − λ) r[t]²,   σ²[w] = mean(r[0..w]²)  (default seed, w = 250)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ewma {
    lambda: f64,
    seed: EwmaSeed,
}

impl Default for Ewma {
    /// RiskMetrics: `λ = 0.94`, seeded with the mean square of the first 250 returns.
    fn default() -> Self {
        Self { lambda: 0.94, seed: EwmaSeed::default() }
    }
}

impl Ewma {
    /// An EWMA model with decay `lambda` and seed rule `seed`.
    ///
    /// # Errors
    /// [`RiskError::InvalidParameter`] if `lambda` is not in [0, 1), the seed length is 0, or a
    /// seed variance is not finite and positive.
    pub fn new(lambda: f64, seed: EwmaSeed) -> Result<Self, RiskError> {
        if !(0.0..1.0).contains(&lambda) {
            return Err(RiskError::InvalidParameter {
                name: "lambda",
                value: lambda.to_string(),
                reason: "must be in [0, 1)",
            });
        }
        match seed {
            EwmaSeed::MeanSquareOfFirst(0) => {
                return Err(RiskError::InvalidParameter {
                    name: "seed window",
                    value: "0".into(),
                    reason: "must be at least 1",
                });
            }
            EwmaSeed::Variance(v) if !(v.is_finite() && v > 0.0) => {
                return Err(RiskError::InvalidParameter {
                    name: "seed variance",
                    value: v.to_string(),
                    reason: "must be finite and positive",
                });
            }
            _ => {}
        }
        Ok(Self { lambda, seed })
    }

    /// The decay factor λ.
    #[must_use]
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// The seed rule.
    #[must_use]
    pub fn seed(&self) -> EwmaSeed {
        self.seed
    }

    /// Runs the recursion on a validated slice.
    pub(crate) fn filter_slice(&self, r: &[f64]) -> Result<VolatilityPath, RiskError> {
        let (first, mut s2) = match self.seed {
            EwmaSeed::MeanSquareOfFirst(w) => {
                if r.len() < w {
                    return Err(RiskError::TooFewObservations {
                        what: "ewma seed window",
                        needed: w,
                        got: r.len(),
                    });
                }
                let sq: Vec<f64> = r[..w].iter().map(|x| x * x).collect();
                (w, np_sum(&sq) / w as f64)
            }
            EwmaSeed::Variance(v) => (0, v),
        };
        let mut out = Vec::with_capacity(r.len() - first);
        for &x in &r[first..] {
            out.push(s2);
            s2 = self.lambda * s2 + (1.0 - self.lambda) * x * x;
        }
        Ok(VolatilityPath { first_index: first, variances: Array1::from(out), next: s2 })
    }
}

impl VolatilityModel for Ewma {
    fn filter(&self, returns: &ArrayRef1<f64>) -> Result<VolatilityPath, RiskError> {
        let r = contiguous(returns);
        check_finite("returns", &r)?;
        self.filter_slice(&r)
    }

    fn name(&self) -> String {
        format!("EWMA(lambda={})", self.lambda)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn recursion_and_seed() {
        let m = Ewma::new(0.5, EwmaSeed::MeanSquareOfFirst(2)).unwrap();
        let p = m.filter(&array![1.0, 3.0, 2.0, 0.0]).unwrap();
        assert_eq!(p.first_index, 2);
        assert_eq!(p.variances.to_vec(), vec![5.0, 4.5]);
        assert_eq!(p.next, 2.25);
        assert!(m.filter(&array![1.0]).is_err());
        assert!(Ewma::new(1.0, EwmaSeed::default()).is_err());
        assert!(Ewma::new(0.9, EwmaSeed::Variance(-1.0)).is_err());
        let v = Ewma::new(0.9, EwmaSeed::Variance(1.0)).unwrap();
        assert_eq!(v.forecast_variance(&array![0.0]).unwrap(), 0.9);
    }
}
