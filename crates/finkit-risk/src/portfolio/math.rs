//! Small numerical helpers shared by the credit-portfolio models.

use crate::RiskError;

/// Standard normal Φ, φ and Gauss–Legendre rules: the one implementation, in finkit-numerics.
pub(crate) use finkit_numerics::normal::{cdf as norm_cdf, pdf as norm_pdf};
pub(crate) use finkit_numerics::quadrature::gauss_legendre;
/// Neumaier-compensated running sum (finkit-numerics' `NeumaierSum`).
pub(crate) use finkit_numerics::tail::NeumaierSum as KahanSum;

/// Standard normal quantile Φ⁻¹(p) for p in [0, 1] (±∞ at the ends, and also below 0 and
/// above 1, which callers have already excluded).
pub(crate) fn norm_inv(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        finkit_numerics::normal::quantile(p)
    }
}

/// Checks that a level lies strictly inside (0, 1).
pub(crate) fn check_level(name: &'static str, q: f64) -> Result<f64, RiskError> {
    if q.is_finite() && q > 0.0 && q < 1.0 {
        Ok(q)
    } else {
        Err(RiskError::InvalidParameter {
            name,
            value: q.to_string(),
            reason: "must lie strictly between 0 and 1",
        })
    }
}

/// Checks a correlation in [0, 1) (0 is allowed: independent defaults).
pub(crate) fn check_correlation(name: &'static str, rho: f64) -> Result<f64, RiskError> {
    if rho.is_finite() && (0.0..1.0).contains(&rho) {
        Ok(rho)
    } else {
        Err(RiskError::InvalidParameter {
            name,
            value: rho.to_string(),
            reason: "must lie in [0, 1)",
        })
    }
}

/// 64-bit FNV-1a hash, used for run fingerprints (stable across platforms and Rust versions).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv64(u64);

impl Fnv64 {
    pub(crate) fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) -> &mut Self {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn f64(&mut self, v: f64) -> &mut Self {
        self.u64(v.to_bits())
    }
    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}
