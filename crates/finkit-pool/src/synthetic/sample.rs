//! The generator's own samplers, built on the raw ChaCha8 stream.
//!
//! Why not `rand_distr`: the synthetic data set feeds golden tests in other crates (decisions,
//! reports), so its numbers must not change when a dependency changes its sampling algorithm.
//! ChaCha8's output is fixed by its specification, and everything below is a few lines of
//! textbook maths on top of it, so a given seed gives the same data set with every future
//! version of the dependencies.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// Independent sub-streams of one seed, so that (for example) firm 17's data does not depend on
/// how many random numbers firm 16 used, nor on how many firms, loans or applications there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(super) enum Domain {
    Firm = 1,
    Event = 2,
    Loan = 3,
    Application = 4,
    Market = 5,
}

/// A seeded random stream with the samplers the generator needs.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    rng: ChaCha8Rng,
}

impl Stream {
    /// The stream for `(seed, domain, index)`: the key holds the seed and the domain, the ChaCha
    /// stream number is the index.
    pub(super) fn new(seed: u64, domain: Domain, index: u64) -> Stream {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&(domain as u64).to_le_bytes());
        // A fixed tag in the rest of the key keeps these streams apart from any other use of
        // ChaCha8 with a plain `seed_from_u64` seed.
        key[16..].copy_from_slice(b"finkit-synthetic");
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(index);
        Stream { rng }
    }

    /// Uniform on `[0, 1)` with 53 random bits.
    pub(super) fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `[lo, hi)`.
    pub(super) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in `lo..=hi` (`lo ≤ hi`). The modulo bias is below 2⁻⁵⁰ for the small
    /// ranges used here.
    pub(super) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1).max(1) as u64;
        lo + (self.rng.next_u64() % span) as i64
    }

    /// Uniform index in `0..n` (`n ≥ 1`).
    pub(super) fn index(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % (n.max(1) as u64)) as usize
    }

    /// `true` with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A standard normal variate (Box–Muller, one of the pair).
    pub(super) fn normal(&mut self) -> f64 {
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A log-normal variate with the given median and log-scale standard deviation.
    pub(super) fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// A Poisson count (Knuth's multiplication method; exact, and quick for the means below 60
    /// used here; larger means use the normal approximation).
    pub(super) fn poisson(&mut self, mean: f64) -> u32 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 60.0 {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0) as u32;
        }
        let limit = (-mean).exp();
        let mut product = self.uniform();
        let mut count = 0u32;
        while product > limit {
            count += 1;
            product *= self.uniform();
        }
        count
    }

    /// A Student-t variate with `dof` degrees of freedom, scaled to unit variance (`dof > 2`).
    pub(super) fn student_t_unit(&mut self, dof: u32) -> f64 {
        let z = self.normal();
        let chi2: f64 = (0..dof).map(|_| self.normal().powi(2)).sum();
        let dof = f64::from(dof);
        z / (chi2 / dof).sqrt() * ((dof - 2.0) / dof).sqrt()
    }

    /// An index drawn with the given non-negative weights; uniform when they sum to zero.
    pub(super) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return self.index(weights.len());
        }
        let mut target = self.uniform() * total;
        for (i, &w) in weights.iter().enumerate() {
            if target < w {
                return i;
            }
            target -= w;
        }
        // Rounding can leave a sliver past the last weight; the last positive one takes it.
        weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
    }
}

/// The standard normal distribution function Φ (finkit-numerics, full double precision).
pub(super) use finkit_numerics::normal::cdf as normal_cdf;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = {
            let mut s = Stream::new(7, Domain::Firm, 3);
            (0..4).map(|_| s.rng.next_u64()).collect()
        };
        let mut again = Stream::new(7, Domain::Firm, 3);
        assert_eq!(a, (0..4).map(|_| again.rng.next_u64()).collect::<Vec<_>>());
        for other in [
            Stream::new(8, Domain::Firm, 3),
            Stream::new(7, Domain::Loan, 3),
            Stream::new(7, Domain::Firm, 4),
        ] {
            let mut other = other;
            assert_ne!(a, (0..4).map(|_| other.rng.next_u64()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn moments_are_right() {
        let mut s = Stream::new(1, Domain::Market, 0);
        let n = 200_000;
        let normals: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = normals.iter().sum::<f64>() / n as f64;
        let var = normals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
        let counts: Vec<u32> = (0..50_000).map(|_| s.poisson(4.0)).collect();
        let pm = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / 50_000.0;
        assert!((pm - 4.0).abs() < 0.05, "poisson mean {pm}");
        let t: Vec<f64> = (0..100_000).map(|_| s.student_t_unit(6)).collect();
        let tv = t.iter().map(|x| x * x).sum::<f64>() / 100_000.0;
        assert!((tv - 1.0).abs() < 0.05, "student-t variance {tv}");
        let ints: Vec<i64> = (0..1000).map(|_| s.int(3, 5)).collect();
        assert!(ints.iter().all(|&i| (3..=5).contains(&i)));
        assert!(s.weighted(&[0.0, 0.0]) < 2);
        assert_eq!(s.weighted(&[0.0, 2.0, 0.0]), 1);
    }

    #[test]
    fn normal_cdf_matches_tables() {
        // Values of Φ from Abramowitz & Stegun, Table 26.1.
        for (x, phi) in
            [(0.0, 0.5), (1.0, 0.841_344_746), (-1.96, 0.024_997_895), (3.0, 0.998_650_102)]
        {
            assert!((normal_cdf(x) - phi).abs() < 1e-7, "Φ({x})");
        }
    }
}
