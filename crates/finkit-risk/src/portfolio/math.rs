//! Small numerical helpers shared by the credit-portfolio models.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::RiskError;

/// Standard normal CDF Φ(x), W. J. Cody's rational Chebyshev approximations (ACM TOMS
/// Algorithm 715, as in R's `pnorm`): about 1e-16 relative in both tails. statrs' `Normal::cdf`
/// is off by up to ~1e-10 relative, which is outside the IRB / Vasicek tolerance.
#[allow(clippy::excessive_precision)] // Cody's published coefficients, kept verbatim
pub(crate) fn norm_cdf(x: f64) -> f64 {
    const A: [f64; 5] = [
        2.2352520354606839287,
        161.02823106855587881,
        1067.6894854603709582,
        18154.981253343561249,
        0.065682337918207449113,
    ];
    const B: [f64; 4] =
        [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
    const C: [f64; 9] = [
        0.39894151208813466764,
        8.8831497943883759412,
        93.506656132177855979,
        597.27027639480026226,
        2494.5375852903726711,
        6848.1904505362823326,
        11602.651437647350124,
        9842.7148383839780218,
        1.0765576773720192317e-8,
    ];
    const D: [f64; 8] = [
        22.266688044328115691,
        235.38790178262499861,
        1519.377599407554805,
        6485.558298266760755,
        18615.571640885098091,
        34900.952721145977266,
        38912.003286093271411,
        19685.429676859990727,
    ];
    const P: [f64; 6] = [
        0.21589853405795699,
        0.1274011611602473639,
        0.022235277870649807,
        0.001421619193227893466,
        2.9112874951168792e-5,
        0.02307344176494017303,
    ];
    const Q: [f64; 5] = [
        1.28426009614491121,
        0.468238212480865118,
        0.0659881378689285515,
        0.00378239633202758244,
        7.29751555083966205e-5,
    ];
    const SQRT_32: f64 = 5.656854249492380195206754896838;
    const ONE_OVER_SQRT_2PI: f64 = 0.398942280401432677939946059934;
    if x.is_nan() {
        return x;
    }
    let y = x.abs();
    // exp(-x²/2) split as exp(-xsq²/2)·exp(-del/2) with xsq = x rounded to 1/16, so that the
    // large square is exact and the tail keeps full relative accuracy
    let tail = |v: f64, temp: f64| {
        let xsq = (v * 16.0).trunc() / 16.0;
        let del = (v - xsq) * (v + xsq);
        (-xsq * xsq * 0.5).exp() * (-del * 0.5).exp() * temp
    };
    if y <= 0.67448975 {
        let (mut xnum, mut xden) = (0.0, 0.0);
        if y > f64::EPSILON * 0.5 {
            let xsq = x * x;
            xnum = A[4] * xsq;
            xden = xsq;
            for i in 0..3 {
                xnum = (xnum + A[i]) * xsq;
                xden = (xden + B[i]) * xsq;
            }
        }
        0.5 + x * (xnum + A[3]) / (xden + B[3])
    } else if y <= SQRT_32 {
        let mut xnum = C[8] * y;
        let mut xden = y;
        for i in 0..7 {
            xnum = (xnum + C[i]) * y;
            xden = (xden + D[i]) * y;
        }
        let lower = tail(y, (xnum + C[7]) / (xden + D[7]));
        if x > 0.0 { 1.0 - lower } else { lower }
    } else if -37.5193 < x && x < 8.2924 {
        let xsq = 1.0 / (x * x);
        let mut xnum = P[5] * xsq;
        let mut xden = xsq;
        for i in 0..4 {
            xnum = (xnum + P[i]) * xsq;
            xden = (xden + Q[i]) * xsq;
        }
        let temp = xsq * (xnum + P[4]) / (xden + Q[4]);
        let lower = tail(x, (ONE_OVER_SQRT_2PI - temp) / y);
        if x > 0.0 { 1.0 - lower } else { lower }
    } else if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Standard normal quantile Φ⁻¹(p) for p in [0, 1] (±∞ at the ends).
pub(crate) fn norm_inv(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        Normal::standard().inverse_cdf(p)
    }
}

/// Standard normal density φ(x).
pub(crate) fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
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

/// Neumaier-compensated running sum: keeps the CDF of a long lattice accurate to ~1e-16.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KahanSum {
    sum: f64,
    comp: f64,
}

impl KahanSum {
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// Gauss–Legendre nodes and weights on [-1, 1] (Newton iteration on P_n, Golub–Welsch-free).
pub(crate) fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let m = n.div_ceil(2);
    let nf = n as f64;
    for i in 0..m {
        // Tricomi's initial guess, then Newton to full precision.
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0_f64, z);
            for k in 2..=n {
                let kf = k as f64;
                let p2 = ((2.0 * kf - 1.0) * z * p1 - (kf - 1.0) * p0) / kf;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 0 {
                1.0
            } else if n == 1 {
                z
            } else {
                p1
            };
            let pm1 = if n == 1 { 1.0 } else { p0 };
            dp = nf * (z * pn - pm1) / (z * z - 1.0);
            let dz = pn / dp;
            z -= dz;
            if dz.abs() < 1e-16 {
                break;
            }
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        let wi = 2.0 / ((1.0 - z * z) * dp * dp);
        w[i] = wi;
        w[n - 1 - i] = wi;
    }
    (x, w)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_and_the_normal_density() {
        let (x, w) = gauss_legendre(7);
        let s: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(12)).sum();
        assert!((s - 2.0 / 13.0).abs() < 1e-14);
        let (x, w) = gauss_legendre(400);
        let s: f64 = x.iter().zip(&w).map(|(x, w)| 9.0 * w * norm_pdf(9.0 * x)).sum();
        assert!((s - 1.0).abs() < 1e-14, "{s}");
        let (x, _) = gauss_legendre(400);
        assert!(x.windows(2).all(|p| p[0] < p[1]));
    }

    #[test]
    #[allow(clippy::excessive_precision)]
    fn normal_cdf_matches_high_precision_values() {
        // 90-digit decimal Taylor series of Φ
        for (x, want) in [
            (-1.0, 0.15865525393145704646791216),
            (-3.0, 0.0013498980316300945771906816),
            (-2.0537489106318225, 0.020000000000000028171909250),
            (0.5, 0.69146246127401311820648289),
            (-10.0, 7.6198530241605254505396775e-24),
            (2.0, 0.97724986805182079141474105),
        ] {
            let got = norm_cdf(x);
            assert!(((got - want) / want).abs() < 4e-16, "{x}: {got} vs {want}");
        }
        assert_eq!(norm_cdf(0.0), 0.5);
        assert_eq!(norm_cdf(-40.0), 0.0);
        assert_eq!(norm_cdf(9.0), 1.0);
    }

    #[test]
    fn kahan_sum_recovers_small_terms() {
        let mut k = KahanSum::default();
        k.add(1.0);
        for _ in 0..10 {
            k.add(1e-17);
        }
        assert!((k.value() - (1.0 + 1e-16)).abs() < 1e-30 + 1e-16 * 1e-3);
    }
}
