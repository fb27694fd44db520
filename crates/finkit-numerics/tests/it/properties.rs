//! Properties of the normal distribution functions.

use finkit_numerics::normal;
use proptest::prelude::*;

proptest! {
    #[test]
    fn cdf_inverts_quantile(p in 1e-300f64..1.0) {
        let z = normal::quantile(p);
        prop_assert!(z.is_finite());
        // Φ(Φ⁻¹(p)) = p to the accuracy the slope allows: Φ(z(1 + ε)) moves by φ(z)·|z|·ε
        let got = normal::cdf(z);
        let slack = 4.0 * f64::EPSILON * (p + normal::pdf(z) * z.abs());
        prop_assert!((got - p).abs() <= slack, "p {p}: Φ(Φ⁻¹(p)) = {got}");
    }

    #[test]
    fn quantile_inverts_cdf_in_the_lower_tail(x in -37.0f64..-0.1) {
        let back = normal::quantile(normal::cdf(x));
        prop_assert!((back - x).abs() <= 8.0 * f64::EPSILON * x.abs(), "{x} -> {back}");
    }

    #[test]
    fn monotone(a in -40.0f64..10.0, d in 0.0f64..5.0, p in 0.0f64..1.0, dp in 0.0f64..1.0) {
        let b = a + d;
        prop_assert!(normal::cdf(a) <= normal::cdf(b));
        prop_assert!(normal::sf(a) >= normal::sf(b));
        let q = (p + dp).min(1.0);
        prop_assert!(normal::quantile(p) <= normal::quantile(q));
        if a >= 0.0 {
            prop_assert!(normal::pdf(a) >= normal::pdf(b));
        }
    }

    #[test]
    fn symmetric(x in -37.0f64..37.0) {
        prop_assert_eq!(normal::pdf(x), normal::pdf(-x));
        prop_assert_eq!(normal::sf(x), normal::cdf(-x));
    }
}
