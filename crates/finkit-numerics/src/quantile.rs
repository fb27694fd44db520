//! Sample quantiles with interpolation.

/// The linear (Hyndman–Fan type 7, numpy's default `method="linear"`) quantile of data sorted
/// ascending, at `p` in [0, 1].
///
/// The 0-based position is `h = (n − 1)·p`; the value interpolates between the order
/// statistics at `⌊h⌋` and `⌊h⌋ + 1` in numpy's `_lerp` form (from the upper end for weights
/// ≥ 0.5), so that results agree with numpy to the last bit. `sorted` must be non-empty and
/// ascending (not checked); `p` outside [0, 1] is clamped to the sample's ends.
///
/// ```
/// use finkit_numerics::quantile::linear;
/// assert_eq!(linear(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
/// assert_eq!(linear(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
/// ```
///
/// # Panics
///
/// If `sorted` is empty.
#[must_use]
pub fn linear(sorted: &[f64], p: f64) -> f64 {
    // the lower tail read from its end is the sample itself: one implementation of the rule
    crate::tail::var(&crate::tail::Tail::lower(sorted), p, crate::tail::VarRule::Linear)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.1, 0.0, 0.5, 1.0])
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(linear(&v, 0.1), 1.3);
        assert_eq!(linear(&v, 0.0), 1.0);
        assert_eq!(linear(&v, 0.5), 2.5);
        assert_eq!(linear(&v, 1.0), 4.0);
        assert_eq!(linear(&[7.0], 0.3), 7.0);
    }
}
