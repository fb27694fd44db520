//! Public traits of the market-risk side: a risk measure (loss sample → number) and a
//! volatility model (return series → conditional variances and a one-step forecast).
//!
//! Both are object safe, so `Vec<Box<dyn RiskMeasure>>` and `Box<dyn VolatilityModel>` work.

use ndarray::{Array1, ArrayRef1};

use crate::RiskError;

/// A risk measure: maps a sample of losses (positive numbers are losses) to one number.
///
/// Implemented by [`ValueAtRisk`](crate::ValueAtRisk) and
/// [`ExpectedShortfall`](crate::ExpectedShortfall); object safe:
///
/// ```
/// use finkit_risk::{ExpectedShortfall, RiskError, RiskMeasure, ValueAtRisk};
/// use ndarray::Array1;
///
/// let measures: Vec<Box<dyn RiskMeasure>> = vec![
///     Box::new(ValueAtRisk::new(0.9)?),
///     Box::new(ExpectedShortfall::new(0.9)?),
/// ];
/// let losses = Array1::from_iter((1..=10).map(f64::from));
/// let values: Vec<f64> = measures
///     .iter()
///     .map(|m| m.evaluate(&losses))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(values[0], 10.0); // the largest loss: k = ⌈10 × 0.1⌉ = 1
/// assert!((values[1] - 10.0).abs() < 1e-12);
/// # Ok::<(), RiskError>(())
/// ```
pub trait RiskMeasure {
    /// The measure of the loss sample.
    ///
    /// # Errors
    /// [`RiskError::Empty`] for an empty sample, [`RiskError::NonFinite`] for NaN or ±inf
    /// losses.
    fn evaluate(&self, losses: &ArrayRef1<f64>) -> Result<f64, RiskError>;

    /// A short human-readable name, e.g. `"VaR 99% (type 1)"`.
    fn name(&self) -> String;
}

impl<T: RiskMeasure + ?Sized> RiskMeasure for &T {
    fn evaluate(&self, losses: &ArrayRef1<f64>) -> Result<f64, RiskError> {
        (**self).evaluate(losses)
    }
    fn name(&self) -> String {
        (**self).name()
    }
}

impl<T: RiskMeasure + ?Sized> RiskMeasure for Box<T> {
    fn evaluate(&self, losses: &ArrayRef1<f64>) -> Result<f64, RiskError> {
        (**self).evaluate(losses)
    }
    fn name(&self) -> String {
        (**self).name()
    }
}

/// Conditional variances of a return series from a volatility model.
///
/// `variances[i]` is the variance of the return at index `first_index + i`, computed from the
/// returns before it; `next` is the forecast for the day after the last return. All values are
/// in squared decimal return units.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct VolatilityPath {
    /// Index of the first return that has a conditional variance (0 for GARCH with a
    /// backcast, the seed length for an EWMA seeded from the first returns).
    pub first_index: usize,
    /// One-step-ahead conditional variances for returns `first_index..n`.
    pub variances: Array1<f64>,
    /// The forecast variance for the day after the last return.
    pub next: f64,
}

/// A volatility model: conditional one-step-ahead variances of a decimal return series.
///
/// Implemented by [`Ewma`](crate::market::Ewma) and the fitted
/// [`GarchFit`](crate::market::GarchFit).
pub trait VolatilityModel {
    /// Filters the series: conditional variances and the next-day forecast.
    ///
    /// # Errors
    /// Empty or non-finite returns, or a series too short for the model's seed.
    fn filter(&self, returns: &ArrayRef1<f64>) -> Result<VolatilityPath, RiskError>;

    /// A short human-readable name.
    fn name(&self) -> String;

    /// The conditional variances only (see [`VolatilityModel::filter`]).
    ///
    /// # Errors
    /// As [`VolatilityModel::filter`].
    fn conditional_variances(&self, returns: &ArrayRef1<f64>) -> Result<Array1<f64>, RiskError> {
        Ok(self.filter(returns)?.variances)
    }

    /// The one-step-ahead variance forecast after the last return.
    ///
    /// # Errors
    /// As [`VolatilityModel::filter`].
    fn forecast_variance(&self, returns: &ArrayRef1<f64>) -> Result<f64, RiskError> {
        Ok(self.filter(returns)?.next)
    }
}

impl<T: VolatilityModel + ?Sized> VolatilityModel for &T {
    fn filter(&self, returns: &ArrayRef1<f64>) -> Result<VolatilityPath, RiskError> {
        (**self).filter(returns)
    }
    fn name(&self) -> String {
        (**self).name()
    }
}

impl<T: VolatilityModel + ?Sized> VolatilityModel for Box<T> {
    fn filter(&self, returns: &ArrayRef1<f64>) -> Result<VolatilityPath, RiskError> {
        (**self).filter(returns)
    }
    fn name(&self) -> String {
        (**self).name()
    }
}
