//! Market risk on a return series: returns, VaR/ES (historical, parametric, Cornish–Fisher,
//! Monte Carlo from a fitted GARCH), EWMA and GARCH(1,1) volatility, rolling one-day-ahead
//! forecasts and VaR backtests.
//!
//! Conventions (each an explicit option; defaults in brackets): returns are decimal log
//! returns; VaR and ES are positive losses; the quantile rule [type 1, `k = ⌈n·p⌉`-th worst];
//! the ES estimator [Acerbi–Tasche]; the standard deviation [sample, `n − 1`]; EWMA
//! [λ = 0.94, seeded with the mean square of the first 250 returns, zero mean]; GARCH
//! [percent units, arch's backcast]; rolling window [250, day `t` excluded from its own
//! forecast]; exceptions are strict (`r_t < −VaR_t`).

use std::borrow::Cow;

use ndarray::ArrayRef1;

use crate::RiskError;

mod backtest;
mod ewma;
mod garch;
mod prices_csv;
mod returns;
mod rolling;
mod var;

pub use backtest::{
    Backtest, Christoffersen, Kupiec, TRAFFIC_LIGHT_WINDOW, TrafficLight, TrafficLightZone,
    backtest, christoffersen, exceptions, kupiec_pof, traffic_light,
};
pub use ewma::{Ewma, EwmaSeed};
pub use garch::{
    AUTO_MULTI_START_BELOW, BACKCAST_DECAY, BACKCAST_LENGTH, GARCH_MAX_ITERATIONS,
    GARCH_MIN_OBSERVATIONS, GarchCoefficients, GarchFit, GarchParams, GarchUnits, Innovation,
    NU_MAX, NU_MIN, StartStrategy,
};
pub use prices_csv::{PriceColumn, read_price_column};
pub use returns::{ReturnKind, log_returns, returns, simple_returns};
pub use rolling::{DEFAULT_WINDOW, RollingForecast, RollingMethod, RollingParams};
pub use var::{
    EsEstimator, ExpectedShortfall, QuantileRule, SdConvention, ValueAtRisk, VarEstimate,
    VarMethod, VarParams, min_historical_sample,
};

/// The data as a contiguous slice (borrowed when the array already is one).
pub(crate) fn contiguous(a: &ArrayRef1<f64>) -> Cow<'_, [f64]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

/// Non-empty and every value finite.
pub(crate) fn check_finite(what: &'static str, x: &[f64]) -> Result<(), RiskError> {
    if x.is_empty() {
        return Err(RiskError::Empty(what));
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(RiskError::NonFinite { what, index, value: x[index] }),
        None => Ok(()),
    }
}

/// A confidence level strictly between 0 and 1.
pub(crate) fn check_level(level: f64) -> Result<(), RiskError> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(RiskError::InvalidParameter {
            name: "level",
            value: level.to_string(),
            reason: "confidence level must be strictly between 0 and 1",
        })
    }
}

/// Pairwise summation in numpy's order (8-way unrolled blocks of up to 128), so sums match
/// numpy's to the last bit on contiguous data and stay accurate on long series.
pub(crate) fn np_sum(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 8 {
        let mut s = 0.0;
        for &v in x {
            s += v;
        }
        s
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&x[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += x[i + j];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            s += x[i];
            i += 1;
        }
        s
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        np_sum(&x[..n2]) + np_sum(&x[n2..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_is_a_sum() {
        let x: Vec<f64> = (0..1000).map(f64::from).collect();
        assert_eq!(np_sum(&x), 499_500.0);
        assert_eq!(np_sum(&x[..5]), 10.0);
        assert_eq!(np_sum(&x[..100]), 4950.0);
    }

    #[test]
    fn levels() {
        assert!(check_level(0.99).is_ok());
        for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(check_level(bad).is_err(), "{bad}");
        }
    }
}
