//! The histogram gradient-boosting trainer (log-loss, best-first growth, monotone bounds).
//!
//! Determinism: every random draw comes from a ChaCha8 stream keyed by (seed, tree); histograms
//! are built per feature in row order and split search reduces over features in feature order,
//! so rayon's scheduling never changes a bit of the model.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rayon::prelude::*;

use super::bins::FeatureBins;
use super::model::{BoostedModel, Origin};
use super::params::{AUTO_MONOTONE_MIN_RHO, BoostingValidParams, Monotone};
use super::tree::{Node, Tree};
use crate::CreditError;

/// One histogram bin: gradient and hessian sums and the row count.
#[derive(Debug, Clone, Copy, Default)]
struct HistBin {
    g: f64,
    h: f64,
    n: u32,
}

/// The candidate split of a node.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    /// Bins `0..=bin` go left.
    bin: usize,
    default_left: bool,
    left: (f64, f64, usize),
    wl: f64,
    wr: f64,
}

/// Gradient and hessian sums, row count and leaf-value bounds of a node.
#[derive(Debug, Clone, Copy)]
struct NodeStats {
    g: f64,
    h: f64,
    n: u32,
    lower: f64,
    upper: f64,
}

/// A leaf of the tree being grown: its rows are `rows[start..end]`; it keeps its histogram
/// (one flat buffer, every feature at its offset) only while it may still be split.
#[derive(Debug)]
struct Leaf {
    node: usize,
    start: usize,
    end: usize,
    hist: Option<Vec<HistBin>>,
    stats: NodeStats,
    depth: usize,
    best: Option<Split>,
}

/// Buffers reused across nodes and trees: histogram buffers, the gradients of a node's rows in
/// row-list order, and the partition scratch.
#[derive(Debug, Default)]
struct Workspace {
    pool: Vec<Vec<HistBin>>,
    ordered: Vec<(f64, f64)>,
    scratch: Vec<u32>,
}

impl Workspace {
    fn take(&mut self, len: usize) -> Vec<HistBin> {
        self.pool.pop().unwrap_or_else(|| vec![HistBin::default(); len])
    }

    fn give(&mut self, buf: Option<Vec<HistBin>>) {
        if let Some(b) = buf {
            self.pool.push(b);
        }
    }

    /// Gathers the gradients of `rows` into `self.ordered`, in row-list order.
    fn gather(&mut self, rows: &[u32], gh: &[(f64, f64)]) {
        self.ordered.clear();
        self.ordered.extend(rows.iter().map(|&r| gh[r as usize]));
    }
}
/// Most split candidates of one feature (bins `0..n_regular - 1`; `max_bins <= 255`).
const MAX_CANDS: usize = 256;

/// Feature columns binned for training.
struct Binned {
    bins: Vec<FeatureBins>,
    /// Per feature, the bin of every training row.
    codes: Vec<Vec<u8>>,
}

/// Work of a histogram step (features × (rows + bins searched)) below which one thread is used.
const PARALLEL_MIN_WORK: usize = 1 << 15;

/// Rows per rayon task in the per-row loops (gradients, margins).
const ROW_CHUNK: usize = 4096;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn stream(seed: u64, key: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix(seed ^ splitmix(key)))
}

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Average ranks (1-based, ties averaged) of `values`.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

/// Spearman's rank correlation of `x` with `y` over the rows where `x` is not missing
/// (scipy's `spearmanr(..., nan_policy="omit")`); `None` when undefined (constant, < 3 rows).
pub(crate) fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let (xs, ys): (Vec<f64>, Vec<f64>) =
        x.iter().zip(y).filter(|(a, _)| !a.is_nan()).map(|(&a, &b)| (a, b)).unzip();
    if xs.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(&xs), ranks(&ys));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    let rho = sxy / (sxx * syy).sqrt();
    rho.is_finite().then_some(rho)
}

/// The monotone sign of every feature under `spec`.
fn resolve_monotone(
    spec: &Monotone,
    names: &[String],
    columns: &[&[f64]],
    y: &[f64],
) -> Result<Vec<i8>, CreditError> {
    match spec {
        Monotone::None => Ok(vec![0; names.len()]),
        Monotone::Auto => Ok(columns
            .par_iter()
            .map(|c| match spearman(c, y) {
                Some(r) if r.abs() >= AUTO_MONOTONE_MIN_RHO => {
                    if r > 0.0 {
                        1
                    } else {
                        -1
                    }
                }
                _ => 0,
            })
            .collect()),
        Monotone::Signs(map) => {
            if let Some(unknown) = map.keys().find(|k| !names.contains(k)) {
                return Err(CreditError::InvalidParameter {
                    name: "monotone",
                    value: unknown.clone(),
                    reason: "names a column that is not a feature of the fit",
                });
            }
            Ok(names.iter().map(|n| map.get(n).copied().unwrap_or(0)).collect())
        }
    }
}

struct Trainer<'a> {
    p: &'a super::params::BoostingParams,
    binned: &'a Binned,
    monotone: &'a [i8],
    max_leaves: usize,
    /// Where each feature's bins start in a flat histogram buffer (one more entry: the length).
    offsets: Vec<usize>,
}

/// The mutable per-feature slices of a flat histogram buffer, for the drawn (sorted) features.
fn feature_slices<'b>(
    buf: &'b mut [HistBin],
    offsets: &[usize],
    features: &[usize],
) -> Vec<&'b mut [HistBin]> {
    let mut out = Vec::with_capacity(features.len());
    let mut rest = buf;
    let mut pos = 0;
    for &f in features {
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(offsets[f] - pos);
        let (mine, tail) = tail.split_at_mut(offsets[f + 1] - offsets[f]);
        out.push(mine);
        rest = tail;
        pos = offsets[f + 1];
    }
    out
}

/// `parent -= child`, bin by bin; a bin left without rows gets exact zeros (not rounding
/// residues), so the split search sees it repeat the partition of the bin before.
fn subtract(parent: &mut [HistBin], child: &[HistBin]) {
    for (a, b) in parent.iter_mut().zip(child) {
        a.n -= b.n;
        if a.n == 0 {
            (a.g, a.h) = (0.0, 0.0);
        } else {
            a.g -= b.g;
            a.h -= b.h;
        }
    }
}

/// The better of two candidates: the larger gain, the earlier one on a tie.
fn better(a: Option<Split>, b: Option<Split>) -> Option<Split> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.gain > x.gain { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Trainer<'_> {
    fn weight(&self, g: f64, h: f64, lower: f64, upper: f64) -> f64 {
        (-g / (h + self.p.l2)).clamp(lower, upper)
    }

    /// The loss reduction of leaf weight `w` (XGBoost's `CalcGainGivenWeight`).
    fn gain_of(&self, g: f64, h: f64, w: f64) -> f64 {
        -(2.0 * g * w + (h + self.p.l2) * w * w)
    }

    /// Whether a node of `n` rows at `depth` may be split at all.
    fn splittable(&self, depth: usize, n: usize) -> bool {
        self.p.max_depth.is_none_or(|d| depth < d) && n >= 2 * self.p.min_child_samples.max(1)
    }

    /// The split `(left sums, missing left)` at the end of a feature's search, with its gain,
    /// or `None` when it does not clear `min_split_gain`.
    fn finish(
        &self,
        f: usize,
        s: &NodeStats,
        found: Option<(usize, bool, f64, f64, u32)>,
        miss_n: u32,
    ) -> Option<Split> {
        let (bin, missing_left, g_l, h_l, n_l) = found?;
        let (g_r, h_r) = (s.g - g_l, s.h - h_l);
        let wl = self.weight(g_l, h_l, s.lower, s.upper);
        let wr = self.weight(g_r, h_r, s.lower, s.upper);
        let parent = self.gain_of(s.g, s.h, self.weight(s.g, s.h, s.lower, s.upper));
        let gain = self.gain_of(g_l, h_l, wl) + self.gain_of(g_r, h_r, wr) - parent;
        if gain.is_nan() || gain <= self.p.min_split_gain.max(1e-12) {
            return None;
        }
        // Without missing values in the node, unseen missing values follow the heavier child.
        let default_left = if miss_n > 0 { missing_left } else { h_l >= h_r };
        Some(Split { gain, feature: f, bin, default_left, left: (g_l, h_l, n_l as usize), wl, wr })
    }

    /// The best split of one feature's histogram (regular bins, then the missing bin) for a
    /// node. Candidates run over bins in order, missing values right before left; the first
    /// best wins. An empty bin gives the same partition as the bin before it, so it is skipped.
    fn best_in_feature(&self, f: usize, hist: &[HistBin], s: &NodeStats) -> Option<Split> {
        let n_reg = hist.len() - 1;
        if n_reg < 2 {
            return None;
        }
        let miss = hist[n_reg];
        let sign = self.monotone[f];
        let found = if sign == 0 && s.lower == f64::NEG_INFINITY && s.upper == f64::INFINITY {
            self.scan_free(&hist[..n_reg - 1], miss, s)
        } else {
            self.scan_bounded(&hist[..n_reg - 1], miss, s, sign)
        };
        self.finish(f, s, found, miss.n)
    }

    /// The unconstrained search: the best split maximises
    /// `gl²/(hl+λ) + gr²/(hr+λ) = (gl²·(hr+λ) + gr²·(hl+λ)) / ((hl+λ)·(hr+λ))` (the gain up to
    /// the parent's constant), scored in a branch-free loop the compiler vectorises over the
    /// candidates whose row counts satisfy `min_child_samples` (an interval, counts being
    /// monotone), then the first maximum is taken. An empty bin holds exact zeros (see
    /// [`subtract`]), so it repeats the score of the bin before and never wins.
    fn scan_free(
        &self,
        cands: &[HistBin],
        miss: HistBin,
        s: &NodeStats,
    ) -> Option<(usize, bool, f64, f64, u32)> {
        let m = cands.len();
        let min_n = self.p.min_child_samples.max(1) as u32;
        let mut pg = [0.0; MAX_CANDS];
        let mut ph = [0.0; MAX_CANDS];
        let mut pn = [0u32; MAX_CANDS];
        // Prefix sums, two bins per step on the running sum (half the dependency chain).
        let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0u32);
        let mut b = 0;
        while b < m {
            let x = cands[b];
            if b + 1 < m {
                let y = cands[b + 1];
                (pg[b], ph[b]) = (gl + x.g, hl + x.h);
                (gl, hl) = (gl + (x.g + y.g), hl + (x.h + y.h));
                (pg[b + 1], ph[b + 1]) = (gl, hl);
                pn[b] = nl + x.n;
                nl += x.n + y.n;
                pn[b + 1] = nl;
            } else {
                (gl, hl) = (gl + x.g, hl + x.h);
                (pg[b], ph[b]) = (gl, hl);
                nl += x.n;
                pn[b] = nl;
            }
            b += 2;
        }
        // The candidates with at least `min_n` rows on each side when `extra` rows (the
        // missing ones) go left: an interval, the counts being non-decreasing.
        let counts = &pn[..m];
        let interval = |extra: u32| -> (usize, usize) {
            let Some(top) = s.n.checked_sub(min_n + extra) else {
                return (0, 0);
            };
            let lo = counts.partition_point(|&c| c + extra < min_n);
            let hi = counts.partition_point(|&c| c <= top);
            (lo, hi.max(lo))
        };
        let (r_lo, r_hi) = interval(0);
        let (l_lo, l_hi) = interval(miss.n);
        let mut right = [f64::NEG_INFINITY; MAX_CANDS];
        let mut left = [f64::NEG_INFINITY; MAX_CANDS];
        let (lo, hi) = if miss.n > 0 {
            self.score_free(&pg, &ph, (0.0, 0.0), s, r_lo..r_hi, &mut right);
            self.score_free(&pg, &ph, (miss.g, miss.h), s, l_lo..l_hi, &mut left);
            (r_lo.min(l_lo), r_hi.max(l_hi))
        } else {
            self.score_free(&pg, &ph, (0.0, 0.0), s, r_lo..r_hi, &mut right);
            (r_lo, r_hi)
        };
        let mut best = f64::NEG_INFINITY;
        let mut at = None;
        if miss.n == 0 {
            for (b, &r) in right.iter().enumerate().take(hi).skip(lo) {
                if r > best {
                    best = r;
                    at = Some((b, false));
                }
            }
        } else {
            for (b, (&r, &l)) in right.iter().zip(&left).enumerate().take(hi).skip(lo) {
                if r > best {
                    best = r;
                    at = Some((b, false));
                }
                if l > best {
                    best = l;
                    at = Some((b, true));
                }
            }
        }
        let (b, missing_left) = at?;
        let n_at = pn[b];
        Some(if missing_left {
            (b, true, pg[b] + miss.g, ph[b] + miss.h, n_at + miss.n)
        } else {
            (b, false, pg[b], ph[b], n_at)
        })
    }

    /// Scores of the candidates in `range` with `extra` (missing values) added to the left
    /// side; `-inf` where a side's hessian is below `min_child_weight`.
    fn score_free(
        &self,
        pg: &[f64; MAX_CANDS],
        ph: &[f64; MAX_CANDS],
        extra: (f64, f64),
        s: &NodeStats,
        range: std::ops::Range<usize>,
        out: &mut [f64; MAX_CANDS],
    ) {
        if range.is_empty() {
            return;
        }
        let lam = self.p.l2;
        let mcw = self.p.min_child_weight;
        let (gt, ht) = (s.g, s.h);
        let (pg, ph, out) = (&pg[range.clone()], &ph[range.clone()], &mut out[range]);
        for ((o, &g), &h) in out.iter_mut().zip(pg).zip(ph) {
            let (g, h) = (g + extra.0, h + extra.1);
            let (gr, hr) = (gt - g, ht - h);
            let (dl, dr) = (h + lam, hr + lam);
            let ok = (h >= mcw) & (hr >= mcw) & (dl > 0.0) & (dr > 0.0);
            let score = (g * g * dr + gr * gr * dl) / (dl * dr);
            *o = if ok { score } else { f64::NEG_INFINITY };
        }
    }

    /// The search under monotone bounds: leaf values clamped to the node's bounds and, for a
    /// constrained feature, ordered children.
    fn scan_bounded(
        &self,
        cands: &[HistBin],
        miss: HistBin,
        s: &NodeStats,
        sign: i8,
    ) -> Option<(usize, bool, f64, f64, u32)> {
        let min_n = self.p.min_child_samples.max(1) as u32;
        let mcw = self.p.min_child_weight;
        let parent_gain = self.gain_of(s.g, s.h, self.weight(s.g, s.h, s.lower, s.upper));
        let n_dirs = if miss.n > 0 { 2 } else { 1 };
        let mut best_gain = f64::NEG_INFINITY;
        let mut found = None;
        let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0u32);
        for (b, bin) in cands.iter().enumerate() {
            gl += bin.g;
            hl += bin.h;
            nl += bin.n;
            if bin.n == 0 && b > 0 {
                continue;
            }
            if s.n - nl < min_n {
                break;
            }
            for d in 0..n_dirs {
                let missing_left = d == 1;
                let (g_l, h_l, n_l) = if missing_left {
                    (gl + miss.g, hl + miss.h, nl + miss.n)
                } else {
                    (gl, hl, nl)
                };
                let n_r = s.n - n_l;
                if n_l < min_n || n_r < min_n {
                    continue;
                }
                let (g_r, h_r) = (s.g - g_l, s.h - h_l);
                if h_l < mcw || h_r < mcw {
                    continue;
                }
                let wl = self.weight(g_l, h_l, s.lower, s.upper);
                let wr = self.weight(g_r, h_r, s.lower, s.upper);
                if (sign > 0 && wl > wr) || (sign < 0 && wl < wr) {
                    continue;
                }
                let gain = self.gain_of(g_l, h_l, wl) + self.gain_of(g_r, h_r, wr) - parent_gain;
                if gain > best_gain {
                    best_gain = gain;
                    found = Some((b, missing_left, g_l, h_l, n_l));
                }
            }
        }
        found
    }

    /// Builds the histogram of `rows` (their gradients in `ordered`, same order) into `small`
    /// for the drawn features, subtracts it from `parent` when given (which then holds the
    /// sibling's histogram), and searches the best split of each node given stats
    /// (`[small, sibling]`). Features run in parallel for large nodes; the best split is
    /// reduced in feature order, so the result does not depend on the thread count.
    fn hist_step(
        &self,
        small: &mut [HistBin],
        parent: Option<&mut [HistBin]>,
        rows: &[u32],
        ordered: &[(f64, f64)],
        features: &[usize],
        stats: [Option<NodeStats>; 2],
    ) -> [Option<Split>; 2] {
        let small_slices = feature_slices(small, &self.offsets, features);
        let parent_slices: Vec<Option<&mut [HistBin]>> = match parent {
            Some(p) => feature_slices(p, &self.offsets, features).into_iter().map(Some).collect(),
            None => features.iter().map(|_| None).collect(),
        };
        let task = |((&f, hs), hp): ((&usize, &mut [HistBin]), Option<&mut [HistBin]>)| {
            hs.fill(HistBin::default());
            let codes = &self.binned.codes[f];
            for (&r, &(g, h)) in rows.iter().zip(ordered) {
                let b = &mut hs[codes[r as usize] as usize];
                b.g += g;
                b.h += h;
                b.n += 1;
            }
            let mut out = [None, None];
            if let Some(s) = &stats[0] {
                out[0] = self.best_in_feature(f, hs, s);
            }
            if let Some(hp) = hp {
                subtract(hp, hs);
                if let Some(s) = &stats[1] {
                    out[1] = self.best_in_feature(f, hp, s);
                }
            }
            out
        };
        let searches = stats.iter().filter(|s| s.is_some()).count();
        let work = features.len() * (rows.len() + searches * 2 * self.p.max_bins);
        let per_feature: Vec<[Option<Split>; 2]> = if work >= PARALLEL_MIN_WORK {
            features
                .par_iter()
                .zip(small_slices)
                .zip(parent_slices)
                .with_min_len(4)
                .map(task)
                .collect()
        } else {
            features.iter().zip(small_slices).zip(parent_slices).map(task).collect()
        };
        per_feature.iter().fold([None, None], |acc, r| [better(acc[0], r[0]), better(acc[1], r[1])])
    }

    /// Grows one tree on `rows` (sorted) with the drawn `features`; returns the tree, the bin
    /// of each split (for routing binned rows) and the leaves as `(node, start, end)` ranges
    /// of `rows` (partitioned).
    fn grow(
        &self,
        rows: &mut [u32],
        gh: &[(f64, f64)],
        features: &[usize],
        ws: &mut Workspace,
    ) -> (Tree, Vec<u8>, Vec<(usize, usize, usize)>) {
        let total_bins = *self.offsets.last().unwrap_or(&0);
        let (g, h) = rows.iter().fold((0.0, 0.0), |(g, h), &r| {
            let (a, b) = gh[r as usize];
            (g + a, h + b)
        });
        let root_stats = NodeStats {
            g,
            h,
            n: rows.len() as u32,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        };
        let mut nodes = vec![Node::leaf(0.0, h)];
        let mut split_bins = vec![0u8];
        let (hist, best) = if self.max_leaves >= 2 && self.splittable(0, rows.len()) {
            let mut buf = ws.take(total_bins);
            ws.gather(rows, gh);
            let [best, _] = self.hist_step(
                &mut buf,
                None,
                rows,
                &ws.ordered,
                features,
                [Some(root_stats), None],
            );
            (Some(buf), best)
        } else {
            (None, None)
        };
        let root =
            Leaf { node: 0, start: 0, end: rows.len(), hist, stats: root_stats, depth: 0, best };
        let mut leaves = vec![root];
        while leaves.len() < self.max_leaves {
            // The leaf with the largest gain; ties go to the earliest node.
            let Some(k) = leaves
                .iter()
                .enumerate()
                .filter_map(|(k, l)| l.best.map(|s| (k, s.gain, l.node)))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.2.cmp(&a.2)))
                .map(|(k, _, _)| k)
            else {
                break;
            };
            let leaf = leaves.swap_remove(k);
            let Some(s) = leaf.best else { break };
            // Partition the leaf's rows, stably.
            let codes = &self.binned.codes[s.feature];
            let missing = self.binned.bins[s.feature].n_regular();
            let goes_left = |r: u32| {
                let b = codes[r as usize] as usize;
                if b == missing { s.default_left } else { b <= s.bin }
            };
            ws.scratch.clear();
            let part = &mut rows[leaf.start..leaf.end];
            let mut nl = 0;
            for i in 0..part.len() {
                let r = part[i];
                if goes_left(r) {
                    part[nl] = r;
                    nl += 1;
                } else {
                    ws.scratch.push(r);
                }
            }
            part[nl..].copy_from_slice(&ws.scratch);
            debug_assert_eq!(nl, s.left.2);
            let mid = leaf.start + nl;
            let nr = leaf.end - mid;
            let (gl, hl, _) = s.left;
            let (gr, hr) = (leaf.stats.g - gl, leaf.stats.h - hl);
            // Monotone bounds: the children of a constrained split meet at the mid value.
            let (mut l_bounds, mut r_bounds) =
                ((leaf.stats.lower, leaf.stats.upper), (leaf.stats.lower, leaf.stats.upper));
            let sign = self.monotone[s.feature];
            if sign != 0 {
                let midw = (s.wl + s.wr) / 2.0;
                if sign > 0 {
                    l_bounds.1 = l_bounds.1.min(midw);
                    r_bounds.0 = r_bounds.0.max(midw);
                } else {
                    l_bounds.0 = l_bounds.0.max(midw);
                    r_bounds.1 = r_bounds.1.min(midw);
                }
            }
            let l_stats =
                NodeStats { g: gl, h: hl, n: nl as u32, lower: l_bounds.0, upper: l_bounds.1 };
            let r_stats =
                NodeStats { g: gr, h: hr, n: nr as u32, lower: r_bounds.0, upper: r_bounds.1 };
            // After this split the tree may still grow only if a leaf is left to add.
            let more = leaves.len() + 2 < self.max_leaves;
            let depth = leaf.depth + 1;
            let l_ok = more && self.splittable(depth, nl);
            let r_ok = more && self.splittable(depth, nr);
            let mut parent_hist = leaf.hist;
            let (mut hist_l, mut hist_r, mut best_l, mut best_r) = (None, None, None, None);
            if let (true, Some(mut large)) = (l_ok || r_ok, parent_hist.take()) {
                // Histograms: build the smaller child, subtract it from the parent's for the
                // larger one.
                let left_is_small = nl <= nr;
                let (range, small_stats, large_stats, small_ok, large_ok) = if left_is_small {
                    ((leaf.start, mid), l_stats, r_stats, l_ok, r_ok)
                } else {
                    ((mid, leaf.end), r_stats, l_stats, r_ok, l_ok)
                };
                let mut small = ws.take(total_bins);
                let small_rows = &rows[range.0..range.1];
                ws.gather(small_rows, gh);
                let [b_small, b_large] = self.hist_step(
                    &mut small,
                    Some(&mut large),
                    small_rows,
                    &ws.ordered,
                    features,
                    [small_ok.then_some(small_stats), large_ok.then_some(large_stats)],
                );
                let small = if small_ok {
                    Some(small)
                } else {
                    ws.give(Some(small));
                    None
                };
                let large = if large_ok {
                    Some(large)
                } else {
                    ws.give(Some(large));
                    None
                };
                if left_is_small {
                    (hist_l, hist_r, best_l, best_r) = (small, large, b_small, b_large);
                } else {
                    (hist_l, hist_r, best_l, best_r) = (large, small, b_large, b_small);
                }
            }
            ws.give(parent_hist);
            let left_id = nodes.len();
            nodes.push(Node::leaf(0.0, hl));
            nodes.push(Node::leaf(0.0, hr));
            split_bins.push(0);
            split_bins.push(0);
            let cuts = &self.binned.bins[s.feature].cuts;
            nodes[leaf.node] = Node {
                feature: s.feature as u32,
                threshold: cuts[s.bin],
                left: left_id as u32,
                right: (left_id + 1) as u32,
                default_left: s.default_left,
                value: 0.0,
                cover: leaf.stats.h,
            };
            split_bins[leaf.node] = s.bin as u8;
            leaves.push(Leaf {
                node: left_id,
                start: leaf.start,
                end: mid,
                hist: hist_l,
                stats: l_stats,
                depth,
                best: best_l,
            });
            leaves.push(Leaf {
                node: left_id + 1,
                start: mid,
                end: leaf.end,
                hist: hist_r,
                stats: r_stats,
                depth,
                best: best_r,
            });
        }
        let mut ranges = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let w = self.weight(leaf.stats.g, leaf.stats.h, leaf.stats.lower, leaf.stats.upper);
            nodes[leaf.node].value = self.p.learning_rate * w;
            ranges.push((leaf.node, leaf.start, leaf.end));
            ws.give(leaf.hist);
        }
        (Tree { nodes }, split_bins, ranges)
    }
}
/// The leaf value a binned row reaches.
fn route(tree: &Tree, split_bins: &[u8], binned: &Binned, row: usize) -> f64 {
    let mut i = 0usize;
    loop {
        let n = &tree.nodes[i];
        if n.is_leaf() {
            return n.value;
        }
        let f = n.feature as usize;
        let b = binned.codes[f][row] as usize;
        let left = if b == binned.bins[f].n_regular() {
            n.default_left
        } else {
            b <= split_bins[i] as usize
        };
        i = if left { n.left } else { n.right } as usize;
    }
}

fn log_loss(margin: &[f64], y: &[f64]) -> f64 {
    let total: f64 = margin
        .iter()
        .zip(y)
        .map(|(&m, &t)| {
            // log(1 + e^m) − t·m, computed stably.
            let softplus = if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
            softplus - t * m
        })
        .sum();
    total / margin.len() as f64
}

/// Fits a model on feature columns (NaN = missing) and a 0/1 target.
pub(crate) fn fit(
    params: &BoostingValidParams,
    names: Vec<String>,
    columns: &[&[f64]],
    y: &[f64],
) -> Result<BoostedModel, CreditError> {
    let p = &params.params;
    let n = y.len();
    if n == 0 {
        return Err(CreditError::Empty("training data"));
    }
    if names.is_empty() {
        return Err(CreditError::Empty("feature list"));
    }
    for (name, c) in names.iter().zip(columns) {
        if c.len() != n {
            return Err(CreditError::LengthMismatch {
                what: "feature column",
                expected: n,
                found: c.len(),
            });
        }
        if let Some((row, &v)) = c.iter().enumerate().find(|(_, v)| v.is_infinite()) {
            let _ = name;
            return Err(CreditError::NonFinite { what: "feature", row, value: v });
        }
    }
    if let Some((row, &v)) = y.iter().enumerate().find(|(_, v)| **v != 0.0 && **v != 1.0) {
        return Err(CreditError::InvalidTarget(format!("row {row}: {v} is not 0 or 1")));
    }
    // Held-out rows for early stopping: a seeded, stratified draw.
    let mut is_valid = vec![false; n];
    if let Some(share) = p.validation_share {
        let mut rng = stream(p.seed, u64::MAX);
        for class in [0.0, 1.0] {
            let mut idx: Vec<usize> = (0..n).filter(|&i| y[i] == class).collect();
            for i in (1..idx.len()).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                idx.swap(i, j);
            }
            let take = (idx.len() as f64 * share).round() as usize;
            for &i in &idx[..take] {
                is_valid[i] = true;
            }
        }
    }
    let train_rows: Vec<usize> = (0..n).filter(|&i| !is_valid[i]).collect();
    let valid_rows: Vec<usize> = (0..n).filter(|&i| is_valid[i]).collect();
    let y_train: Vec<f64> = train_rows.iter().map(|&i| y[i]).collect();
    let y_valid: Vec<f64> = valid_rows.iter().map(|&i| y[i]).collect();
    let bad = y_train.iter().sum::<f64>();
    if bad == 0.0 || bad == y_train.len() as f64 {
        return Err(CreditError::InvalidTarget(
            "the training rows hold one class only; both 0 and 1 are needed".into(),
        ));
    }
    let train_cols: Vec<Vec<f64>> =
        columns.iter().map(|c| train_rows.iter().map(|&i| c[i]).collect()).collect();
    let train_refs: Vec<&[f64]> = train_cols.iter().map(Vec::as_slice).collect();
    let bins: Vec<FeatureBins> =
        train_cols.par_iter().map(|c| FeatureBins::fit(c, p.max_bins)).collect();
    let code = |b: &FeatureBins, c: &[f64], rows: Option<&[usize]>| -> Vec<u8> {
        match rows {
            None => c.iter().map(|&x| b.bin(x) as u8).collect(),
            Some(rows) => rows.iter().map(|&i| b.bin(c[i]) as u8).collect(),
        }
    };
    let binned = Binned {
        codes: bins.par_iter().zip(&train_cols).map(|(b, c)| code(b, c, None)).collect(),
        bins: bins.clone(),
    };
    let valid_binned = Binned {
        codes: bins.par_iter().zip(columns).map(|(b, c)| code(b, c, Some(&valid_rows))).collect(),
        bins,
    };
    let monotone = resolve_monotone(&p.monotone, &names, &train_refs, &y_train)?;
    let usable: Vec<usize> =
        (0..names.len()).filter(|&f| binned.bins[f].n_regular() >= 2).collect();
    let mean = bad / y_train.len() as f64;
    let base_margin = (mean / (1.0 - mean)).ln();
    let mut offsets = Vec::with_capacity(names.len() + 1);
    offsets.push(0);
    for b in &binned.bins {
        offsets.push(offsets.last().copied().unwrap_or(0) + b.n_regular() + 1);
    }
    let trainer = Trainer {
        p,
        binned: &binned,
        monotone: &monotone,
        max_leaves: p.max_leaves_value(),
        offsets,
    };
    let mut ws = Workspace::default();

    let nt = train_rows.len();
    let mut margin = vec![base_margin; nt];
    let mut margin_valid = vec![base_margin; valid_rows.len()];
    let mut gh = vec![(0.0, 0.0); nt];
    let mut in_bag = vec![false; nt];
    let mut trees = Vec::with_capacity(p.trees);
    let mut best = (f64::INFINITY, 0usize);
    let n_cols =
        ((usable.len() as f64 * p.colsample).round() as usize).clamp(1, usable.len().max(1));
    for t in 0..p.trees {
        gh.par_iter_mut().zip(&margin).zip(&y_train).with_min_len(ROW_CHUNK).for_each(
            |((gh, &m), &yy)| {
                let prob = sigmoid(m);
                *gh = (prob - yy, (prob * (1.0 - prob)).max(1e-16));
            },
        );
        let mut rng = stream(p.seed, t as u64);
        let mut rows: Vec<u32> = if p.subsample < 1.0 {
            (0..nt as u32).filter(|_| uniform(&mut rng) < p.subsample).collect()
        } else {
            (0..nt as u32).collect()
        };
        let mut features = usable.clone();
        if n_cols < features.len() {
            for i in 0..n_cols {
                let j = i + (rng.next_u64() % (features.len() - i) as u64) as usize;
                features.swap(i, j);
            }
            features.truncate(n_cols);
            features.sort_unstable();
        }
        let (tree, split_bins, leaves) = if rows.is_empty() || features.is_empty() {
            (Tree { nodes: vec![Node::leaf(0.0, 0.0)] }, vec![0], Vec::new())
        } else {
            trainer.grow(&mut rows, &gh, &features, &mut ws)
        };
        // The drawn rows' leaves are known from the partition; the others are routed.
        in_bag.fill(false);
        for &(node, start, end) in &leaves {
            let value = tree.nodes[node].value;
            for &r in &rows[start..end] {
                margin[r as usize] += value;
                in_bag[r as usize] = true;
            }
        }
        margin.par_iter_mut().zip(&in_bag).enumerate().with_min_len(ROW_CHUNK).for_each(
            |(r, (m, &drawn))| {
                if !drawn {
                    *m += route(&tree, &split_bins, &binned, r);
                }
            },
        );
        trees.push(tree);
        if !valid_rows.is_empty() {
            let last = trees.len() - 1;
            margin_valid
                .par_iter_mut()
                .enumerate()
                .for_each(|(r, m)| *m += route(&trees[last], &split_bins, &valid_binned, r));
            let loss = log_loss(&margin_valid, &y_valid);
            if loss < best.0 {
                best = (loss, t);
            } else if t - best.1 >= p.early_stopping_rounds {
                break;
            }
        }
    }
    if !valid_rows.is_empty() {
        trees.truncate(best.1 + 1);
    }
    BoostedModel::new(
        "boosted".to_owned(),
        names,
        base_margin,
        trees,
        monotone,
        Origin::Finkit,
        p.reason_codes,
    )
}

#[cfg(test)]
mod tests {
    use super::super::params::BoostingParams;
    use super::*;

    #[test]
    fn spearman_matches_scipy() {
        // scipy.stats.spearmanr([1, 2, 3, 4, 5, nan], [0, 0, 1, 0, 1, 1], nan_policy="omit")
        // = 5 / sqrt(75) = 0.5773502691896258
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN], &[0.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
        assert!((rho.unwrap() - 0.577_350_269_189_625_8).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[0.0, 1.0, 0.0]), None);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[10.0, 20.0, 10.0, 30.0]), vec![1.5, 3.0, 1.5, 4.0]);
    }

    /// A random histogram of `m` regular bins and a missing bin (some bins empty).
    fn random_hist(rng: &mut ChaCha8Rng, m: usize, with_missing: bool) -> Vec<HistBin> {
        (0..=m)
            .map(|b| {
                let empty = uniform(rng) < 0.3 || (b == m && !with_missing);
                if empty {
                    return HistBin::default();
                }
                let n = 1 + (rng.next_u64() % 12) as u32;
                let nf = f64::from(n);
                HistBin {
                    g: (uniform(rng) * 2.0 - 1.0) * nf,
                    h: (0.05 + 0.2 * uniform(rng)) * nf,
                    n,
                }
            })
            .collect()
    }

    #[test]
    fn vectorised_search_finds_the_split_of_the_direct_gain_formula() {
        let binned = Binned { bins: Vec::new(), codes: Vec::new() };
        for (case, (min_n, mcw, l2)) in
            [(1, 0.0, 1.0), (5, 0.5, 1.0), (3, 1e-3, 0.0), (10, 0.1, 4.0)].into_iter().enumerate()
        {
            let p = BoostingParams::new().min_child_samples(min_n).min_child_weight(mcw).l2(l2);
            let t =
                Trainer { p: &p, binned: &binned, monotone: &[0], max_leaves: 15, offsets: vec![] };
            let mut rng = stream(7, case as u64);
            let mut agreed = 0;
            for k in 0..400 {
                let m = 2 + (rng.next_u64() % 60) as usize;
                let hist = random_hist(&mut rng, m, k % 2 == 0);
                let s = NodeStats {
                    g: hist.iter().map(|b| b.g).sum(),
                    h: hist.iter().map(|b| b.h).sum(),
                    n: hist.iter().map(|b| b.n).sum(),
                    lower: f64::NEG_INFINITY,
                    upper: f64::INFINITY,
                };
                let miss = hist[m];
                let fast = t.scan_free(&hist[..m - 1], miss, &s);
                // The reference: each candidate's gain from the leaf weights, one by one.
                let direct = t.scan_bounded(&hist[..m - 1], miss, &s, 0);
                let (a, b) = (t.finish(0, &s, fast, miss.n), t.finish(0, &s, direct, miss.n));
                match (a, b) {
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        assert!((a.gain - b.gain).abs() <= 1e-9 * b.gain.abs().max(1.0), "{k}");
                        if (a.bin, a.default_left) == (b.bin, b.default_left) {
                            assert_eq!(a.left.2, b.left.2);
                            agreed += 1;
                        }
                    }
                    _ => panic!("case {case}, histogram {k}: {fast:?} vs {direct:?}"),
                }
            }
            assert!(agreed > 100, "case {case}: only {agreed} identical splits");
        }
    }

    #[test]
    fn subtraction_leaves_exact_zeros_in_emptied_bins() {
        let mut parent =
            vec![HistBin { g: 0.1 + 0.2, h: 0.3, n: 2 }, HistBin { g: 1.0, h: 0.5, n: 3 }];
        let child = [HistBin { g: 0.3, h: 0.1 + 0.2, n: 2 }, HistBin { g: 0.25, h: 0.125, n: 1 }];
        subtract(&mut parent, &child);
        assert_eq!((parent[0].g, parent[0].h, parent[0].n), (0.0, 0.0, 0));
        assert_eq!((parent[1].g, parent[1].h, parent[1].n), (0.75, 0.375, 2));
    }

    #[test]
    fn log_loss_is_stable_for_large_margins() {
        let l = log_loss(&[800.0, -800.0], &[1.0, 0.0]);
        assert!(l.is_finite() && l < 1e-300 + 1e-12);
    }
}
