//! The standard normal distribution to full double precision.
//!
//! | function | method | accuracy (max relative error vs 50-digit mpmath, `tests/it/accuracy.rs`) |
//! |---|---|---|
//! | [`cdf`] Φ | W. J. Cody, ACM TOMS Algorithm 715 (R's `pnorm`) | 5.6e-16 on x in [−37.5, 8.3] |
//! | [`sf`] 1 − Φ | `cdf(−x)` (exact reflection, no cancellation) | 5.6e-16 on x in [−8.3, 37.5] |
//! | [`pdf`] φ | `exp(−x²/2)/√(2π)` with the square split so that it is exact | 3.4e-16 on x in [−37.5, 8.3] |
//! | [`quantile`] Φ⁻¹ | M. J. Wichura, AS 241 `PPND16` (R's `qnorm`), tails refined by one Halley step on [`cdf`] | 5.4e-16 on p in [1e-300, 1 − 2⁻⁵³] |
//!
//! The tests state a tolerance of 1e-15 relative for each.
//!
//! The reference values and the script that made them are in `tests/data/` of this crate.

/// 1/√(2π).
const ONE_OVER_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `exp(−v²/2)` to full relative accuracy: `v` is split as `xsq + (v − xsq)` with `xsq` rounded
/// down to a multiple of 1/16, so that `xsq²` is exact and the rounding of `v²` (relative error
/// `v²·ε`, 1.5e-13 at v = 37) never enters.
fn exp_half_square(v: f64) -> f64 {
    let xsq = (v * 16.0).trunc() / 16.0;
    let del = (v - xsq) * (v + xsq);
    (-xsq * xsq * 0.5).exp() * (-del * 0.5).exp()
}

/// Standard normal distribution function Φ(x) = P(Z ≤ x).
///
/// W. J. Cody's rational Chebyshev approximations (ACM TOMS Algorithm 715, as in R's `pnorm`),
/// accurate to a few units in the last place in both tails. Returns exactly 0 below −37.5193
/// and exactly 1 above 8.2924 (where Φ rounds to 0 resp. 1), and NaN for NaN.
///
/// ```
/// use finkit_numerics::normal;
/// assert_eq!(normal::cdf(0.0), 0.5);
/// assert!((normal::cdf(1.959963984540054) - 0.975).abs() < 1e-16);
/// assert!((normal::cdf(-10.0) / 7.619853024160527e-24 - 1.0).abs() < 1e-15);
/// ```
#[must_use]
#[allow(clippy::excessive_precision)] // Cody's published coefficients, kept verbatim
pub fn cdf(x: f64) -> f64 {
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
    if x.is_nan() {
        return x;
    }
    let y = x.abs();
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
        let lower = exp_half_square(y) * ((xnum + C[7]) / (xden + D[7]));
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
        let lower = exp_half_square(x) * ((ONE_OVER_SQRT_2PI - temp) / y);
        if x > 0.0 { 1.0 - lower } else { lower }
    } else if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Upper tail 1 − Φ(x) = P(Z > x), computed as Φ(−x) (exact reflection, so it keeps full
/// relative accuracy where `1.0 - cdf(x)` would cancel).
///
/// ```
/// use finkit_numerics::normal;
/// assert_eq!(normal::sf(3.0), normal::cdf(-3.0));
/// assert!(normal::sf(9.0) > 0.0 && 1.0 - normal::cdf(9.0) == 0.0);
/// ```
#[must_use]
pub fn sf(x: f64) -> f64 {
    cdf(-x)
}

/// Standard normal density φ(x) = exp(−x²/2)/√(2π).
///
/// The square is split so that its rounding does not enter the exponential: full relative
/// accuracy up to |x| ≈ 38.5, where φ underflows to 0. NaN for NaN.
///
/// ```
/// use finkit_numerics::normal;
/// assert_eq!(normal::pdf(0.0), 0.3989422804014327);
/// assert_eq!(normal::pdf(-1.5), normal::pdf(1.5));
/// ```
#[must_use]
pub fn pdf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x.abs() > 40.0 {
        return 0.0;
    }
    exp_half_square(x.abs()) * ONE_OVER_SQRT_2PI
}

/// Standard normal quantile Φ⁻¹(p), the inverse of [`cdf`].
///
/// M. J. Wichura's algorithm AS 241 (`PPND16`, as in R's `qnorm`) on the tail probability
/// `min(p, 1 − p)` (`1 − p` is exact for p ≥ 0.5), refined in the tails by one Halley step on
/// [`cdf`]; full double accuracy for p from the smallest normal number to `1 − 2⁻⁵³`.
///
/// * `p = 0` gives −∞ and `p = 1` gives +∞;
/// * `p` outside [0, 1] or NaN gives NaN.
///
/// Near 1 the spacing of doubles limits what can be asked: `1 − 1e-17` rounds to 1.0 (+∞).
///
/// ```
/// use finkit_numerics::normal;
/// assert_eq!(normal::quantile(0.5), 0.0);
/// assert!((normal::quantile(0.975) - 1.959963984540054).abs() < 1e-15);
/// assert_eq!(normal::quantile(0.0), f64::NEG_INFINITY);
/// assert!(normal::quantile(1.5).is_nan());
/// ```
#[must_use]
#[allow(clippy::excessive_precision)] // Wichura's published coefficients, kept verbatim
pub fn quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = ((((((r * 2509.0809287301226727 + 33430.575583588128105) * r
            + 67265.770927008700853)
            * r
            + 45921.953931549871457)
            * r
            + 13731.693765509461125)
            * r
            + 1971.5909503065514427)
            * r
            + 133.14166789178437745)
            * r
            + 3.387132872796366608;
        let den = ((((((r * 5226.495278852545925 + 28729.085735721942674) * r
            + 39307.89580009271061)
            * r
            + 21213.794301586595867)
            * r
            + 5394.1960214247511077)
            * r
            + 687.1870074920579083)
            * r
            + 42.313330701600911252)
            * r
            + 1.0;
        return q * num / den;
    }
    // the tail probability; exact for p > 0.5 (Sterbenz)
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        let num = ((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r
            + 0.24178072517745061177)
            * r
            + 1.27045825245236838258)
            * r
            + 3.64784832476320460504)
            * r
            + 5.7694972214606914055)
            * r
            + 4.6303378461565452959)
            * r
            + 1.42343711074968357734;
        let den = ((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r
            + 0.0151986665636164571966)
            * r
            + 0.14810397642748007459)
            * r
            + 0.68976733498510000455)
            * r
            + 1.6763848301838038494)
            * r
            + 2.05319162663775882187)
            * r
            + 1.0;
        num / den
    } else {
        let r = r - 5.0;
        let num = ((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r
            + 0.0012426609473880784386)
            * r
            + 0.026532189526576123093)
            * r
            + 0.29656057182850489123)
            * r
            + 1.7848265399172913358)
            * r
            + 5.4637849111641143699)
            * r
            + 6.6579046435011037772;
        let den = ((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
            + 1.8463183175100546818e-5)
            * r
            + 7.868691311456132591e-4)
            * r
            + 0.0148753612908506148525)
            * r
            + 0.13692988092273580531)
            * r
            + 0.59983220655588793769)
            * r
            + 1.0;
        num / den
    };
    // z > 0 solves Φ(−z) = tail; one Halley step on the accurate lower tail of `cdf`
    let x = -z;
    let x = refine(x, tail);
    if q < 0.0 { x } else { -x }
}

/// One Halley step for `cdf(x) = tail` with x < 0 (the lower tail, where `cdf` has full
/// relative accuracy); returns x unchanged where the density underflows.
fn refine(x: f64, tail: f64) -> f64 {
    let d = pdf(x);
    if d <= 0.0 {
        return x;
    }
    let u = (cdf(x) - tail) / d;
    let step = u / (1.0 + 0.5 * x * u);
    if step.is_finite() { x - step } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values() {
        assert_eq!(cdf(0.0), 0.5);
        assert_eq!(cdf(-40.0), 0.0);
        assert_eq!(cdf(9.0), 1.0);
        assert_eq!(cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(cdf(f64::INFINITY), 1.0);
        assert!(cdf(f64::NAN).is_nan());
        assert!(sf(f64::NAN).is_nan());
        assert!(pdf(f64::NAN).is_nan());
        assert_eq!(pdf(f64::INFINITY), 0.0);
        assert_eq!(pdf(40.0), 0.0);
        assert_eq!(quantile(0.5), 0.0);
        assert_eq!(quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(quantile(1.0), f64::INFINITY);
        for bad in [f64::NAN, -0.1, 1.1, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(quantile(bad).is_nan(), "{bad}");
        }
        assert!(quantile(f64::MIN_POSITIVE).is_finite());
        assert!(quantile(4.9e-324).is_finite());
        assert_eq!(pdf(1.0), pdf(-1.0));
    }

    #[test]
    fn quantile_is_symmetric_where_1_minus_p_is_exact() {
        // dyadic p: 1 − p is exact, so both calls see the same tail probability
        for p in [0.25, 0.125, 0.0625, 0.375, 0.4375, 1.0 / 1024.0, 1.0 / 1048576.0] {
            assert_eq!(quantile(1.0 - p), -quantile(p), "{p}");
        }
    }
}
