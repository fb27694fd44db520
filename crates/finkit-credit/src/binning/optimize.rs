//! Pre-binning and the exact dynamic programme that merges pre-bins into optimal bins.

use std::cmp::Ordering;

use super::woe::ZeroCellRule;

/// Event (bad) and non-event (good) counts of one pre-bin or bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Cell {
    pub(crate) bad: u64,
    pub(crate) good: u64,
}

impl Cell {
    pub(crate) fn count(self) -> u64 {
        self.bad + self.good
    }
}

/// The direction of event rates between consecutive bins within one phase of a shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Up,
    Down,
}

/// The constraints the merge must satisfy, in counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Constraints {
    pub(crate) min_count: u64,
    pub(crate) min_bad: u64,
    pub(crate) min_good: u64,
    pub(crate) max_bins: usize,
    pub(crate) total_bad: u64,
    pub(crate) total_good: u64,
    pub(crate) zero_cell: ZeroCellRule,
}

/// The result of a merge: where bins start (pre-bin indices, excluding 0) and the IV reached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Partition {
    pub(crate) cuts: Vec<usize>,
    pub(crate) iv: f64,
}

/// Two IV totals closer than this (relative to `max(1, iv)`) are a tie; the fewer bins win.
pub(crate) const IV_TIE_TOLERANCE: f64 = 1e-12;

/// `a` is better than `b` by more than the tie tolerance.
pub(crate) fn clearly_better(a: f64, b: f64) -> bool {
    a > b + IV_TIE_TOLERANCE * b.abs().max(1.0)
}

fn bin_iv(cell: Cell, c: &Constraints) -> f64 {
    let (bad, good) = match c.zero_cell {
        ZeroCellRule::NeutralWoe if cell.bad == 0 || cell.good == 0 => return 0.0,
        ZeroCellRule::NeutralWoe => (cell.bad as f64, cell.good as f64),
        ZeroCellRule::ReplaceZeroCount(v) => {
            let adj = |x: u64| if x == 0 { v } else { x as f64 };
            (adj(cell.bad), adj(cell.good))
        }
    };
    let d_bad = bad / c.total_bad as f64;
    let d_good = good / c.total_good as f64;
    (d_bad - d_good) * (d_bad / d_good).ln()
}

/// `rate(a) ≤ rate(b)` compared exactly in integers.
fn rate_cmp(a: Cell, b: Cell) -> Ordering {
    (u128::from(a.bad) * u128::from(b.count())).cmp(&(u128::from(b.bad) * u128::from(a.count())))
}

struct Prefix {
    bad: Vec<u64>,
    good: Vec<u64>,
}

impl Prefix {
    fn new(cells: &[Cell]) -> Prefix {
        let mut bad = Vec::with_capacity(cells.len() + 1);
        let mut good = Vec::with_capacity(cells.len() + 1);
        bad.push(0);
        good.push(0);
        for cell in cells {
            bad.push(bad[bad.len() - 1] + cell.bad);
            good.push(good[good.len() - 1] + cell.good);
        }
        Prefix { bad, good }
    }
    fn cell(&self, i: usize, j: usize) -> Cell {
        Cell { bad: self.bad[j] - self.bad[i], good: self.good[j] - self.good[i] }
    }
}

/// IV of every admissible bin `[i, j)` (NaN when the bin breaks a size constraint).
fn bin_values(prefix: &Prefix, p: usize, c: &Constraints) -> Vec<f64> {
    let w = p + 1;
    let mut v = vec![f64::NAN; w * w];
    for i in 0..p {
        for j in i + 1..=p {
            let cell = prefix.cell(i, j);
            if cell.count() >= c.min_count && cell.bad >= c.min_bad && cell.good >= c.min_good {
                v[i * w + j] = bin_iv(cell, c);
            }
        }
    }
    v
}

/// The single-bin fallback when no partition satisfies the constraints.
fn single_bin(prefix: &Prefix, p: usize, c: &Constraints) -> Partition {
    Partition { cuts: Vec::new(), iv: bin_iv(prefix.cell(0, p), c) }
}

/// Exact maximum-IV partition of `cells` into contiguous bins, where consecutive bins follow
/// `phases` (one phase: monotone; two: peak or valley; empty: no shape constraint).
///
/// Tie rule: among partitions whose IV is within [`IV_TIE_TOLERANCE`] of the best, the one
/// with the fewest bins; among those, the first met when scanning (the last bin's start, then
/// the earlier starts, taken as small as possible).
pub(crate) fn optimal_partition(cells: &[Cell], c: &Constraints, phases: &[Step]) -> Partition {
    let p = cells.len();
    let prefix = Prefix::new(cells);
    if p <= 1 {
        return single_bin(&prefix, p, c);
    }
    let values = bin_values(&prefix, p, c);
    let max_bins = c.max_bins.min(p).max(1);
    let best = if phases.is_empty() {
        free_dp(&values, p, max_bins)
    } else {
        shaped_dp(&values, &prefix, p, max_bins, phases)
    };
    best.unwrap_or_else(|| single_bin(&prefix, p, c))
}

/// Picks the fewest bins whose IV is within the tie tolerance of the best over all counts.
fn pick_count(best_by_m: &[f64]) -> Option<usize> {
    let overall =
        best_by_m.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    if !overall.is_finite() {
        return None;
    }
    best_by_m.iter().position(|&v| v.is_finite() && !clearly_better(overall, v))
}

fn free_dp(values: &[f64], p: usize, max_bins: usize) -> Option<Partition> {
    let w = p + 1;
    // g[m][j]: best IV covering pre-bins [0, j) with m bins; back[m][j]: start of the last bin.
    let mut g = vec![f64::NEG_INFINITY; (max_bins + 1) * w];
    let mut back = vec![0usize; (max_bins + 1) * w];
    g[0] = 0.0;
    for m in 1..=max_bins {
        for j in 1..=p {
            let mut best = f64::NEG_INFINITY;
            let mut arg = 0;
            for i in 0..j {
                let v = values[i * w + j];
                let prev = g[(m - 1) * w + i];
                if v.is_nan() || prev == f64::NEG_INFINITY {
                    continue;
                }
                if prev + v > best {
                    best = prev + v;
                    arg = i;
                }
            }
            g[m * w + j] = best;
            back[m * w + j] = arg;
        }
    }
    let best_by_m: Vec<f64> = (1..=max_bins).map(|m| g[m * w + p]).collect();
    let m = pick_count(&best_by_m)? + 1;
    let iv = g[m * w + p];
    let mut cuts = Vec::with_capacity(m - 1);
    let mut j = p;
    for mm in (1..=m).rev() {
        let i = back[mm * w + j];
        if i > 0 {
            cuts.push(i);
        }
        j = i;
    }
    cuts.reverse();
    Some(Partition { cuts, iv })
}

fn shaped_dp(
    values: &[f64],
    prefix: &Prefix,
    p: usize,
    max_bins: usize,
    phases: &[Step],
) -> Option<Partition> {
    let w = p + 1;
    let nph = phases.len();
    let idx = |ph: usize, m: usize, i: usize, j: usize| ((ph * (max_bins + 1) + m) * w + i) * w + j;
    let size = nph * (max_bins + 1) * w * w;
    // f[ph][m][i][j]: best IV of [0, j) with m bins whose last bin is [i, j), in phase ph.
    let mut f = vec![f64::NEG_INFINITY; size];
    let mut back = vec![(0u8, 0u32); size];
    for j in 1..=p {
        let v = values[j];
        if !v.is_nan() {
            for ph in 0..nph {
                f[idx(ph, 1, 0, j)] = v;
            }
        }
    }
    let mut reachable_m = 1;
    for m in 2..=max_bins {
        let mut any = false;
        for i in 1..p {
            for j in i + 1..=p {
                let v = values[i * w + j];
                if v.is_nan() {
                    continue;
                }
                let cur = prefix.cell(i, j);
                for (ph, &step) in phases.iter().enumerate() {
                    let mut best = f64::NEG_INFINITY;
                    let mut arg = (0u8, 0u32);
                    for from in 0..=ph {
                        for k in 0..i {
                            let prev = f[idx(from, m - 1, k, i)];
                            if prev == f64::NEG_INFINITY {
                                continue;
                            }
                            let ord = rate_cmp(prefix.cell(k, i), cur);
                            let ok = match step {
                                Step::Up => ord != Ordering::Greater,
                                Step::Down => ord != Ordering::Less,
                            };
                            if ok && prev > best {
                                best = prev;
                                arg = (from as u8, k as u32);
                            }
                        }
                    }
                    if best > f64::NEG_INFINITY {
                        f[idx(ph, m, i, j)] = best + v;
                        back[idx(ph, m, i, j)] = arg;
                        any = true;
                    }
                }
            }
        }
        if !any {
            break;
        }
        reachable_m = m;
    }
    let mut best_by_m = vec![f64::NEG_INFINITY; max_bins];
    let mut end_by_m = vec![(0usize, 0usize); max_bins];
    for m in 1..=reachable_m {
        for ph in 0..nph {
            for i in 0..p {
                let val = f[idx(ph, m, i, p)];
                if val > best_by_m[m - 1] {
                    best_by_m[m - 1] = val;
                    end_by_m[m - 1] = (ph, i);
                }
            }
        }
    }
    let m = pick_count(&best_by_m)? + 1;
    let iv = best_by_m[m - 1];
    let (mut ph, mut i) = end_by_m[m - 1];
    let mut j = p;
    let mut cuts = Vec::with_capacity(m - 1);
    for mm in (2..=m).rev() {
        cuts.push(i);
        let (from, k) = back[idx(ph, mm, i, j)];
        j = i;
        ph = usize::from(from);
        i = k as usize;
    }
    cuts.reverse();
    Some(Partition { cuts, iv })
}

#[cfg(test)]
/// Event rates of the bins of a partition are non-decreasing (`Up`) or non-increasing.
pub(crate) fn is_monotone(cells: &[Cell], step: Step) -> bool {
    cells.windows(2).all(|w| match step {
        Step::Up => rate_cmp(w[0], w[1]) != Ordering::Greater,
        Step::Down => rate_cmp(w[0], w[1]) != Ordering::Less,
    })
}

/// Orders cells by event rate, ascending, exactly.
pub(crate) fn rate_order(a: Cell, b: Cell) -> Ordering {
    rate_cmp(a, b)
}

/// Equal-frequency pre-bins of sorted values: returns the pre-bin cells and the split points
/// between them (midpoints between adjacent distinct values).
///
/// With `d` distinct values and `d <= n_prebins`, every distinct value is its own pre-bin.
/// Otherwise, for each target `q · n / n_prebins` (`q = 1 … n_prebins − 1`) the boundary between
/// distinct values whose cumulative count is nearest is taken (ties: the lower boundary), and
/// repeated boundaries are dropped. Ties in the data therefore never straddle a pre-bin edge.
pub(crate) fn quantile_prebins(sorted: &[(f64, bool)], n_prebins: usize) -> (Vec<Cell>, Vec<f64>) {
    // Distinct values with their cells.
    let mut distinct: Vec<(f64, Cell)> = Vec::new();
    for &(x, bad) in sorted {
        match distinct.last_mut() {
            Some((v, cell)) if *v == x => {
                if bad {
                    cell.bad += 1
                } else {
                    cell.good += 1
                }
            }
            _ => distinct
                .push((x, if bad { Cell { bad: 1, good: 0 } } else { Cell { bad: 0, good: 1 } })),
        }
    }
    let d = distinct.len();
    let boundaries: Vec<usize> = if d <= n_prebins {
        (0..d.saturating_sub(1)).collect()
    } else {
        // cum[t] = rows with value <= distinct[t] (boundary after distinct value t).
        let mut cum = Vec::with_capacity(d);
        let mut acc = 0u64;
        for (_, cell) in &distinct {
            acc += cell.count();
            cum.push(acc);
        }
        let n = acc as u128;
        let q_n = n_prebins as u128;
        let mut chosen: Vec<usize> = Vec::new();
        for q in 1..n_prebins as u128 {
            let target = q * n; // compare cum * n_prebins with q * n, exactly
            let scaled = |t: usize| u128::from(cum[t]) * q_n;
            let first_ge = cum[..d - 1].partition_point(|&c| u128::from(c) * q_n < target);
            let pick = if first_ge == 0 {
                0
            } else if first_ge >= d - 1 {
                d - 2
            } else {
                let below = target - scaled(first_ge - 1);
                let above = scaled(first_ge) - target;
                if below <= above { first_ge - 1 } else { first_ge }
            };
            if chosen.last() != Some(&pick) {
                chosen.push(pick);
            }
        }
        chosen
    };
    let mut cells = Vec::with_capacity(boundaries.len() + 1);
    let mut splits = Vec::with_capacity(boundaries.len());
    let mut start = 0;
    for &t in &boundaries {
        let mut cell = Cell::default();
        for (_, c) in &distinct[start..=t] {
            cell.bad += c.bad;
            cell.good += c.good;
        }
        cells.push(cell);
        splits.push(midpoint(distinct[t].0, distinct[t + 1].0));
        start = t + 1;
    }
    let mut last = Cell::default();
    for (_, c) in &distinct[start..] {
        last.bad += c.bad;
        last.good += c.good;
    }
    cells.push(last);
    (cells, splits)
}

/// The midpoint of `a < b`, kept strictly above `a` so `[lower, upper)` still separates them.
fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    if m > a && m <= b { m } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraints(cells: &[Cell], max_bins: usize) -> Constraints {
        Constraints {
            min_count: 1,
            min_bad: 0,
            min_good: 0,
            max_bins,
            total_bad: cells.iter().map(|c| c.bad).sum(),
            total_good: cells.iter().map(|c| c.good).sum(),
            zero_cell: ZeroCellRule::NeutralWoe,
        }
    }

    fn brute_force(cells: &[Cell], c: &Constraints, step: Option<Step>) -> f64 {
        let p = cells.len();
        let prefix = Prefix::new(cells);
        let mut best = f64::NEG_INFINITY;
        for mask in 0u32..(1 << (p - 1)) {
            let mut cuts: Vec<usize> = (1..p).filter(|&k| mask & (1 << (k - 1)) != 0).collect();
            if cuts.len() + 1 > c.max_bins {
                continue;
            }
            cuts.insert(0, 0);
            cuts.push(p);
            let bins: Vec<Cell> = cuts.windows(2).map(|w| prefix.cell(w[0], w[1])).collect();
            if bins
                .iter()
                .any(|b| b.count() < c.min_count || b.bad < c.min_bad || b.good < c.min_good)
            {
                continue;
            }
            if let Some(s) = step
                && !is_monotone(&bins, s)
            {
                continue;
            }
            let iv: f64 = bins.iter().map(|&b| bin_iv(b, c)).sum();
            best = best.max(iv);
        }
        best
    }

    #[test]
    fn dp_matches_brute_force() {
        let cells: Vec<Cell> =
            [(3, 20), (5, 18), (2, 25), (9, 11), (7, 14), (12, 9), (4, 16), (15, 5)]
                .iter()
                .map(|&(bad, good)| Cell { bad, good })
                .collect();
        for max_bins in [1, 2, 3, 5, 8] {
            let c = constraints(&cells, max_bins);
            for (phases, step) in
                [(vec![Step::Up], Some(Step::Up)), (vec![Step::Down], Some(Step::Down))]
            {
                let got = optimal_partition(&cells, &c, &phases);
                let want = brute_force(&cells, &c, step);
                assert!((got.iv - want).abs() < 1e-12, "{max_bins} {step:?}: {} vs {want}", got.iv);
            }
            let got = optimal_partition(&cells, &c, &[]);
            assert!((got.iv - brute_force(&cells, &c, None)).abs() < 1e-12);
        }
    }

    #[test]
    fn quantile_prebins_respect_ties() {
        let data: Vec<(f64, bool)> =
            [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 4.0].iter().map(|&x| (x, x > 2.0)).collect();
        let (cells, splits) = quantile_prebins(&data, 2);
        assert_eq!(splits, vec![1.5]);
        assert_eq!(cells.iter().map(|c| c.count()).collect::<Vec<_>>(), vec![4, 4]);
        let (cells, splits) = quantile_prebins(&data, 20);
        assert_eq!(splits, vec![1.5, 2.5, 3.5]);
        assert_eq!(cells.len(), 4);
    }
}
