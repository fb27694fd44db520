//! Histogram bins of the training features: at most `max_bins` regular bins per feature, cut at
//! `f32` thresholds so that a split "bins `0..=b` left" is exactly the tree rule
//! `(x as f32) < cuts[b]`; missing values have their own bin after the regular ones.

/// The cut points of one feature: a value's bin is the number of cuts `<=` it (as `f32`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureBins {
    pub(crate) cuts: Vec<f32>,
}

impl FeatureBins {
    /// Bins for the non-missing values of one column (`max_bins >= 2`).
    ///
    /// With at most `max_bins` distinct values every value has its own bin (cuts half-way
    /// between neighbours); otherwise bins hold about equal numbers of rows (quantiles over
    /// the distinct values, never splitting a value).
    pub(crate) fn fit(column: &[f64], max_bins: usize) -> FeatureBins {
        let mut values: Vec<f32> =
            column.iter().filter(|x| !x.is_nan()).map(|&x| x as f32).collect();
        values.sort_unstable_by(f32::total_cmp);
        let mut distinct: Vec<(f32, usize)> = Vec::new();
        for v in values.iter().copied() {
            match distinct.last_mut() {
                Some((last, count)) if *last == v => *count += 1,
                _ => distinct.push((v, 1)),
            }
        }
        let mut cuts = Vec::new();
        if distinct.len() <= max_bins {
            for w in distinct.windows(2) {
                cuts.push(cut_between(w[0].0, w[1].0));
            }
        } else {
            let n = values.len() as f64;
            let per_bin = n / max_bins as f64;
            let mut cumulative = 0usize;
            let mut next = per_bin;
            for (i, &(v, count)) in distinct.iter().enumerate() {
                cumulative += count;
                if i + 1 < distinct.len() && cumulative as f64 >= next {
                    cuts.push(cut_between(v, distinct[i + 1].0));
                    if cuts.len() + 1 >= max_bins {
                        break;
                    }
                    next = ((cumulative as f64 / per_bin).floor() + 1.0) * per_bin;
                }
            }
        }
        FeatureBins { cuts }
    }

    /// Number of regular bins (the missing bin has index `n_regular()`).
    pub(crate) fn n_regular(&self) -> usize {
        self.cuts.len() + 1
    }

    /// The bin of a value; NaN goes to the missing bin.
    #[inline]
    pub(crate) fn bin(&self, x: f64) -> usize {
        if x.is_nan() {
            return self.n_regular();
        }
        let x = x as f32;
        self.cuts.partition_point(|&c| c <= x)
    }
}

/// A cut `c` with `a < c <= b` in `f32`: `a` goes left (`a < c`) and `b` right.
fn cut_between(a: f32, b: f32) -> f32 {
    let mid = ((f64::from(a) + f64::from(b)) / 2.0) as f32;
    if mid > a && mid <= b { mid } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_one_bin_each() {
        let b = FeatureBins::fit(&[3.0, 1.0, f64::NAN, 2.0, 2.0], 255);
        assert_eq!(b.cuts, vec![1.5, 2.5]);
        assert_eq!((b.bin(1.0), b.bin(2.0), b.bin(3.0), b.bin(f64::NAN)), (0, 1, 2, 3));
    }

    #[test]
    fn neighbouring_f32_values_are_separated() {
        let a = 1.0f32;
        let b = f32::from_bits(a.to_bits() + 1);
        let bins = FeatureBins::fit(&[f64::from(a), f64::from(b)], 255);
        assert_eq!(bins.bin(f64::from(a)), 0);
        assert_eq!(bins.bin(f64::from(b)), 1);
    }

    #[test]
    fn many_values_give_balanced_bins() {
        let x: Vec<f64> = (0..10_000).map(f64::from).collect();
        let b = FeatureBins::fit(&x, 16);
        assert!(b.n_regular() <= 16 && b.n_regular() >= 15, "{}", b.n_regular());
        let mut counts = vec![0usize; b.n_regular() + 1];
        for &v in &x {
            counts[b.bin(v)] += 1;
        }
        assert!(counts[..b.n_regular()].iter().all(|&c| (500..=800).contains(&c)), "{counts:?}");
    }
}
