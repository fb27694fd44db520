//! Order-statistic rules for tail risk: the sample value-at-risk and expected shortfall of one
//! tail of a sorted sample.
//!
//! Market risk works on returns (the lower tail is the loss tail), portfolio credit risk on
//! losses (the upper tail). Both are the same computation seen from a different end of the
//! sorted sample, so both call the functions here through a [`Tail`]: for losses `L` and
//! returns `R = −L`, `var(&Tail::upper(L), p, ..) == −var(&Tail::lower(R), p, ..)` bit for bit,
//! and likewise for [`es`].
//!
//! Every rule is stated in terms of the tail probability `p` (0.01 for a 99% VaR) and the
//! sample size `n`; the tail count `n·p` is first passed through [`tail_count`], which removes
//! the round-off of the product (`1000 × (1 − 0.99)` is 10.000000000000009, not 10).
//!
//! The two type-1 conventions differ only when `n·p` is an integer `k`:
//! [`RankRule::Ceiling`] takes the `k`-th most extreme observation (QuantLib, pandas
//! `interpolation="lower"` on returns), [`RankRule::Beyond`] the `(k + 1)`-th (the loss quantile
//! `inf{x : F̂(x) ≥ 1 − p}` of the empirical distribution).

/// Which end of a sample sorted ascending is the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The smallest values (returns: the loss tail).
    Lower,
    /// The largest values (losses).
    Upper,
}

/// One tail of a sample sorted ascending.
#[derive(Clone, Copy, Debug)]
pub struct Tail<'a> {
    sorted: &'a [f64],
    side: Side,
}

impl<'a> Tail<'a> {
    /// The lower tail of `sorted` (ascending, non-empty; not checked).
    #[must_use]
    pub fn lower(sorted: &'a [f64]) -> Self {
        Self { sorted, side: Side::Lower }
    }

    /// The upper tail of `sorted` (ascending, non-empty; not checked).
    #[must_use]
    pub fn upper(sorted: &'a [f64]) -> Self {
        Self { sorted, side: Side::Upper }
    }

    /// The sample size.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the sample is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Which end is the tail.
    #[must_use]
    pub fn side(&self) -> Side {
        self.side
    }

    /// The `i`-th most extreme observation (0-based: `extreme(0)` is the minimum of a lower
    /// tail, the maximum of an upper one).
    ///
    /// # Panics
    ///
    /// If `i` is not below [`Tail::len`].
    #[must_use]
    pub fn extreme(&self, i: usize) -> f64 {
        match self.side {
            Side::Lower => self.sorted[i],
            Side::Upper => self.sorted[self.sorted.len() - 1 - i],
        }
    }

    /// The 0-based index in the sorted sample of the `i`-th most extreme observation.
    #[must_use]
    pub fn index(&self, i: usize) -> usize {
        match self.side {
            Side::Lower => i,
            Side::Upper => self.sorted.len() - 1 - i,
        }
    }
}

/// Which order statistic a type-1 (no interpolation) VaR takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RankRule {
    /// The `k`-th most extreme observation with `k = ⌈n·p⌉` (Hyndman–Fan type 1 on returns;
    /// QuantLib's `valueAtRisk`, pandas `quantile(p, interpolation="lower")`).
    #[default]
    Ceiling,
    /// The `k`-th most extreme observation with `k = ⌊n·p⌋ + 1`: the smallest loss `x` with
    /// `F̂(x) ≥ 1 − p` (type 1 on losses). Differs from [`RankRule::Ceiling`] only at integer
    /// `n·p`, where it takes the next observation inward.
    Beyond,
}

/// How a sample VaR is read off the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VarRule {
    /// An order statistic, no interpolation (Hyndman–Fan type 1), with the rank rule given.
    OrderStatistic(RankRule),
    /// Linear interpolation at the 0-based position `(n − 1)·p` counted from the tail
    /// (Hyndman–Fan type 7, numpy's default; see [`crate::quantile::linear`]).
    Linear,
}

impl Default for VarRule {
    fn default() -> Self {
        VarRule::OrderStatistic(RankRule::Ceiling)
    }
}

/// Which estimator of expected shortfall a sample uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EsRule {
    /// Acerbi & Tasche (2002): the mean of the `n·p` most extreme observations with the
    /// boundary one weighted by the fractional part of `n·p` (a coherent estimator).
    #[default]
    AcerbiTasche,
    /// The mean of the observations strictly beyond the VaR (QuantLib's
    /// `expectedShortfall`); the VaR itself when none is.
    MeanBeyondVar,
    /// The mean of the `m = round(n·p)` most extreme observations (at least one).
    MeanOfRoundedCount,
}

/// `n·p` with its round-off removed: snapped to the nearest integer when within a relative
/// 1e-9 of it (so `n·p` that is an integer up to the rounding of `p` and of the product counts
/// as that integer, also for samples of 10⁸ and tail probabilities of 10⁻⁶).
///
/// ```
/// use finkit_numerics::tail::tail_count;
/// assert_eq!(1000.0 * (1.0 - 0.99), 10.000000000000009);
/// assert_eq!(tail_count(1000, 1.0 - 0.99), 10.0);
/// assert_eq!(tail_count(250, 0.01), 2.5);
/// ```
#[must_use]
pub fn tail_count(n: usize, p: f64) -> f64 {
    let x = n as f64 * p;
    let r = x.round();
    if (x - r).abs() <= 1e-9 * r.abs().max(1.0) { r } else { x }
}

/// The 1-based rank, counted from the tail, of the type-1 VaR order statistic, in `1..=n`
/// (`n ≥ 1`).
///
/// ```
/// use finkit_numerics::tail::{rank, RankRule};
/// assert_eq!(rank(250, 1.0 - 0.99, RankRule::Ceiling), 3);
/// assert_eq!(rank(1000, 1.0 - 0.99, RankRule::Ceiling), 10);
/// assert_eq!(rank(1000, 1.0 - 0.99, RankRule::Beyond), 11);
/// ```
#[must_use]
pub fn rank(n: usize, p: f64, rule: RankRule) -> usize {
    let c = tail_count(n, p);
    let k = match rule {
        RankRule::Ceiling => c.ceil(),
        RankRule::Beyond => c.floor() + 1.0,
    };
    // a non-negative integer-valued float (NaN casts to 0), so the cast is exact
    (k as usize).clamp(1, n.max(1))
}

/// The number `round(n·p)` of observations [`EsRule::MeanOfRoundedCount`] averages, in `1..=n`.
#[must_use]
pub fn rounded_count(n: usize, p: f64) -> usize {
    (tail_count(n, p).round() as usize).clamp(1, n.max(1))
}

/// The sample VaR at tail probability `p` in (0, 1): the tail quantile, in the sign of the data
/// (a market VaR on returns is `-var(&Tail::lower(returns), ..)`).
///
/// ```
/// use finkit_numerics::tail::{var, RankRule, Tail, VarRule};
/// let losses: Vec<f64> = (1..=100).map(f64::from).collect();
/// let rule = VarRule::OrderStatistic(RankRule::Beyond);
/// assert_eq!(var(&Tail::upper(&losses), 1.0 - 0.95, rule), 95.0);
/// let returns: Vec<f64> = losses.iter().rev().map(|l| -l).collect();
/// assert_eq!(var(&Tail::lower(&returns), 1.0 - 0.95, rule), -95.0);
/// ```
///
/// # Panics
///
/// If the sample is empty.
#[must_use]
pub fn var(tail: &Tail<'_>, p: f64, rule: VarRule) -> f64 {
    let n = tail.len();
    match rule {
        VarRule::OrderStatistic(r) => tail.extreme(rank(n, p, r) - 1),
        VarRule::Linear => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let j = h.floor();
            let t = h - j;
            let j = (j as usize).min(n - 1);
            let a = tail.extreme(j);
            let b = tail.extreme((j + 1).min(n - 1));
            let d = b - a;
            // numpy's `_lerp`: from the far end for weights ≥ 0.5
            if t >= 0.5 { b - d * (1.0 - t) } else { a + d * t }
        }
    }
}

/// The sample expected shortfall at tail probability `p` in (0, 1), in the sign of the data;
/// `var_rule` matters only to [`EsRule::MeanBeyondVar`].
///
/// Sums are compensated (Neumaier) and run from the boundary of the tail outward.
///
/// ```
/// use finkit_numerics::tail::{es, EsRule, Tail, VarRule};
/// let returns: Vec<f64> = (1..=250).map(|i| f64::from(i) - 100.0).collect();
/// // the worst 2.5 returns: −99, −98 and half of −97
/// let at = es(&Tail::lower(&returns), 0.01, VarRule::default(), EsRule::AcerbiTasche);
/// assert!((at + (99.0 + 98.0 + 0.5 * 97.0) / 2.5).abs() < 1e-12);
/// ```
///
/// # Panics
///
/// If the sample is empty.
#[must_use]
pub fn es(tail: &Tail<'_>, p: f64, var_rule: VarRule, rule: EsRule) -> f64 {
    let n = tail.len();
    match rule {
        EsRule::AcerbiTasche => {
            let np = n as f64 * p;
            let full = (tail_count(n, p).floor() as usize).min(n);
            let mut s = sum_extremes(tail, full);
            // the snapping can put `full` a hair above `np`; never weight negatively
            if full < n {
                s.add((np - full as f64).max(0.0) * tail.extreme(full));
            }
            s.value() / np
        }
        EsRule::MeanBeyondVar => {
            let v = var(tail, p, var_rule);
            let m = match tail.side {
                Side::Lower => tail.sorted.partition_point(|&x| x < v),
                Side::Upper => n - tail.sorted.partition_point(|&x| x <= v),
            };
            if m == 0 { v } else { sum_extremes(tail, m).value() / m as f64 }
        }
        EsRule::MeanOfRoundedCount => {
            let m = rounded_count(n, p);
            sum_extremes(tail, m).value() / m as f64
        }
    }
}

/// The compensated sum of the `m` most extreme observations, from the `m`-th outward.
fn sum_extremes(tail: &Tail<'_>, m: usize) -> NeumaierSum {
    let mut s = NeumaierSum::default();
    for i in (0..m).rev() {
        s.add(tail.extreme(i));
    }
    s
}

/// Neumaier-compensated running sum.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeumaierSum {
    sum: f64,
    comp: f64,
}

impl NeumaierSum {
    /// Adds one term.
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum so far.
    #[must_use]
    pub fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks() {
        assert_eq!(rank(250, 1.0 - 0.99, RankRule::Ceiling), 3);
        assert_eq!(rank(250, 0.025, RankRule::Ceiling), 7);
        assert_eq!(rank(1000, 1.0 - 0.99, RankRule::Ceiling), 10);
        assert_eq!(rank(5030, 0.01, RankRule::Ceiling), 51);
        assert_eq!(rank(10, 1e-12, RankRule::Ceiling), 1);
        assert_eq!(rank(10, 1e-12, RankRule::Beyond), 1);
        assert_eq!(rank(100, 1.0 - 0.005, RankRule::Beyond), 100);
        assert_eq!(rank(1, 0.5, RankRule::Beyond), 1);
        // large Monte Carlo samples: the product's round-off is far above 1e-9 absolute
        assert_eq!(rank(100_000_000, 1.0 - 0.999, RankRule::Ceiling), 100_000);
        assert_eq!(rank(100_000_000, 1.0 - 0.999, RankRule::Beyond), 100_001);
        assert_eq!(rounded_count(100, 1.0 - 0.95), 5);
        assert_eq!(rounded_count(3, 0.01), 1);
    }

    #[test]
    fn loss_and_return_space_mirror_bit_for_bit() {
        let losses: Vec<f64> = (0..997).map(|i| f64::from((i * 7919) % 997) * 0.37 + 0.1).collect();
        let mut losses = losses;
        losses.sort_by(f64::total_cmp);
        let returns: Vec<f64> = losses.iter().rev().map(|l| -l).collect();
        let rules = [
            VarRule::OrderStatistic(RankRule::Ceiling),
            VarRule::OrderStatistic(RankRule::Beyond),
            VarRule::Linear,
        ];
        for p in [0.001, 0.01, 0.025, 0.05, 0.1, 0.5] {
            for r in rules {
                let (u, l) = (Tail::upper(&losses), Tail::lower(&returns));
                assert_eq!(var(&u, p, r).to_bits(), (-var(&l, p, r)).to_bits());
                for e in [EsRule::AcerbiTasche, EsRule::MeanBeyondVar, EsRule::MeanOfRoundedCount] {
                    assert_eq!(es(&u, p, r, e).to_bits(), (-es(&l, p, r, e)).to_bits());
                }
            }
        }
    }

    #[test]
    fn estimators_on_known_samples() {
        let s: Vec<f64> = (1..=250).map(|i| f64::from(i) - 100.0).collect();
        let t = Tail::lower(&s);
        let os = VarRule::OrderStatistic(RankRule::Ceiling);
        assert_eq!(var(&t, 0.01, os), -97.0);
        assert!((es(&t, 0.01, os, EsRule::MeanBeyondVar) + 98.5).abs() < 1e-12);
        let losses: Vec<f64> = (1..=100).map(f64::from).collect();
        let u = Tail::upper(&losses);
        let beyond = VarRule::OrderStatistic(RankRule::Beyond);
        assert_eq!(var(&u, 1.0 - 0.99, beyond), 99.0);
        assert_eq!(var(&u, 1.0 - 0.99, os), 100.0);
        assert_eq!(es(&u, 1.0 - 0.99, beyond, EsRule::MeanOfRoundedCount), 100.0);
        assert_eq!(es(&u, 1.0 - 0.95, beyond, EsRule::MeanOfRoundedCount), 98.0);
        assert!((es(&u, 1.0 - 0.95, beyond, EsRule::AcerbiTasche) - 98.0).abs() < 1e-12);
        // numpy.quantile(range(1, 101), 0.95) = 95.05
        assert!((var(&u, 1.0 - 0.95, VarRule::Linear) - 95.05).abs() < 1e-12);
    }
}
