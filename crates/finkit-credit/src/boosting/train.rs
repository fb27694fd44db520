//! The histogram gradient-boosting trainer (log-loss, best-first growth, monotone bounds).
//!
//! Determinism: every random draw comes from a ChaCha8 stream keyed by (seed, tree), the
//! stochastic rounding of the quantized gradients from a hash of (seed, tree, row); histograms
//! are built per feature in row order and split search reduces over features in feature order,
//! so rayon's scheduling never changes a bit of the model.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

use super::bins::FeatureBins;
use super::model::{BoostedModel, Origin};
use super::params::{AUTO_MONOTONE_MIN_RHO, BoostingValidParams, Monotone};
use super::tree::{Node, Tree};
use crate::CreditError;

/// The statistics a histogram bin accumulates over its rows: gradient and hessian sums and the
/// row count, either exact ([`HistBin`], `f64` sums) or quantized ([`Packed`], integers packed in
/// one `u64`, so that adding a row to a bin is one integer addition).
trait Bin: Copy + Default + Send + Sync + std::fmt::Debug {
    /// Whether [`Bin::units`] are integers below 2^24 (exact in `f32`) and every row's
    /// hessian is at least one unit.
    const SMALL_INTEGER_SUMS: bool;
    /// `self += o`.
    fn add(&mut self, o: Self);
    /// `self -= o`, where `o` sums a subset of the rows of `self`.
    fn sub(&mut self, o: Self);
    /// The row count.
    fn count(self, q: &Quant) -> u32;
    /// The gradient and hessian sums in score units: the real sums divided by the scales of
    /// `q` (exact integers for [`Packed`]).
    fn units(self, q: &Quant) -> (f64, f64);
    /// [`Bin::units`] in `f32`.
    #[inline]
    fn units_f32(self, q: &Quant) -> (f32, f32) {
        let (g, h) = self.units(q);
        (g as f32, h as f32)
    }
}

/// One exact histogram bin: gradient and hessian sums and the row count.
#[derive(Debug, Clone, Copy, Default)]
struct HistBin {
    g: f64,
    h: f64,
    n: u32,
}

impl Bin for HistBin {
    const SMALL_INTEGER_SUMS: bool = false;

    #[inline]
    fn add(&mut self, o: Self) {
        self.g += o.g;
        self.h += o.h;
        self.n += o.n;
    }

    /// A bin left without rows gets exact zeros (not rounding residues), so the split search
    /// sees it repeat the partition of the bin before.
    #[inline]
    fn sub(&mut self, o: Self) {
        self.n -= o.n;
        if self.n == 0 {
            (self.g, self.h) = (0.0, 0.0);
        } else {
            self.g -= o.g;
            self.h -= o.h;
        }
    }

    #[inline]
    fn count(self, _: &Quant) -> u32 {
        self.n
    }

    #[inline]
    fn units(self, _: &Quant) -> (f64, f64) {
        (self.g, self.h)
    }
}

/// One quantized histogram bin (or one row's contribution): the row count in the low
/// `q.bits_n` bits, the hessian sum (an integer >= 0) in the next `q.bits_h` bits and the sum
/// of the gradients plus `q.levels` per row (an integer >= 0) in the bits above. No field
/// overflows into the next (their widths hold the sums over every drawn row), so bins add and
/// subtract exactly with plain `u64` arithmetic, in any order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Packed(u64);

impl Bin for Packed {
    const SMALL_INTEGER_SUMS: bool = true;

    #[inline]
    fn add(&mut self, o: Self) {
        self.0 += o.0;
    }

    #[inline]
    fn sub(&mut self, o: Self) {
        self.0 -= o.0;
    }

    #[inline]
    fn count(self, q: &Quant) -> u32 {
        (self.0 & q.mask_n) as u32
    }

    #[inline]
    fn units(self, q: &Quant) -> (f64, f64) {
        let n = small_to_f64(self.0 & q.mask_n);
        let h = small_to_f64((self.0 >> q.bits_n) & q.mask_h);
        let g = small_to_f64(self.0 >> (q.bits_n + q.bits_h));
        (g - q.levels * n, h)
    }

    /// In 32-bit integers (the sums are below 2^24 when `SMALL_INTEGER_SUMS` holds), which
    /// vectorise four to a register.
    #[inline]
    fn units_f32(self, q: &Quant) -> (f32, f32) {
        let n = (self.0 & q.mask_n) as u32;
        let h = ((self.0 >> q.bits_n) & q.mask_h) as u32;
        let g = (self.0 >> (q.bits_n + q.bits_h)) as u32;
        let g = g.wrapping_sub(n << q.log2_levels) as i32;
        (g as f32, h as i32 as f32)
    }
}

/// `x as f64` for `x < 2^52`, in operations that vectorise without AVX-512 (the bits of `x`
/// become the mantissa of `2^52 + x`).
#[inline]
fn small_to_f64(x: u64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    f64::from_bits(x | TWO_52.to_bits()) - TWO_52
}

/// The gradient quantization of one tree (Shi et al. 2022, "Quantized Training of Gradient
/// Boosting Decision Trees"; LightGBM's `use_quantized_grad`): a row's gradient becomes an
/// integer in `-levels..=levels` (units of `g_scale`), its hessian an integer in
/// `1..=levels` (units of `h_scale`), by seeded stochastic rounding (unbiased). Split search
/// runs on the integer sums; leaf values are refitted from the exact gradients.
/// For exact bins the scales are 1 and the bit fields unused.
#[derive(Debug, Clone, Copy)]
struct Quant {
    levels: f64,
    log2_levels: u32,
    g_scale: f64,
    h_scale: f64,
    bits_n: u32,
    bits_h: u32,
    mask_n: u64,
    mask_h: u64,
}

impl Quant {
    /// Scales of exact bins.
    const EXACT: Quant = Quant {
        levels: 0.0,
        log2_levels: 0,
        g_scale: 1.0,
        h_scale: 1.0,
        bits_n: 0,
        bits_h: 0,
        mask_n: 0,
        mask_h: 0,
    };

    /// The bits of the row count and `k` of the `2^k` quantization levels (at most 4,096)
    /// for up to `rows` drawn rows: every field holds its sum over all drawn rows
    /// (`3·bits(rows) + 2·k + 1 <= 64`) and the gradient and hessian sums stay below 2^24
    /// (`bits(rows) + k <= 24`, exact in `f32`); `None` when fewer than 4 levels would fit
    /// (then the fit uses exact bins).
    fn levels_for(rows: usize) -> Option<(u32, u32)> {
        let bits_n = usize::BITS - rows.leading_zeros();
        let k = (63u32.checked_sub(3 * bits_n)? / 2).min(24u32.checked_sub(bits_n)?).min(12);
        (k >= 2).then_some((bits_n, k))
    }

    /// The quantization for `rows` drawn rows whose largest |gradient| is `g_max` and largest
    /// hessian `h_max` (both > 0), with `2^k` levels.
    fn new(bits_n: u32, k: u32, g_max: f64, h_max: f64) -> Quant {
        let levels = f64::from(1u32 << k);
        let bits_h = bits_n + k;
        Quant {
            levels,
            log2_levels: k,
            g_scale: g_max / levels,
            h_scale: h_max / levels,
            bits_n,
            bits_h,
            mask_n: (1u64 << bits_n) - 1,
            mask_h: (1u64 << bits_h) - 1,
        }
    }

    /// One row's packed contribution: `g` and `h` rounded stochastically with the uniforms
    /// `u_g`, `u_h` in [0, 1); the hessian is at least one unit (it is positive).
    fn pack(&self, g: f64, h: f64, u_g: f64, u_h: f64) -> Packed {
        let levels = self.levels;
        // Truncation of a non-negative value is its floor: `gq` is the rounded gradient plus
        // `levels`, in 0..=2·levels.
        let gq =
            ((g / self.g_scale + u_g + levels).max(0.0) as u64).min(2 * (1 << self.log2_levels));
        let hq = ((h / self.h_scale + u_h).max(0.0) as u64).clamp(1, 1 << self.log2_levels);
        Packed((gq << (self.bits_n + self.bits_h)) + (hq << self.bits_n) + 1)
    }
}

/// The candidate split of a node.
#[derive(Debug, Clone, Copy)]
struct Split<B> {
    gain: f64,
    feature: usize,
    /// Bins `0..=bin` go left.
    bin: usize,
    default_left: bool,
    /// The statistics of the left child.
    left: B,
    wl: f64,
    wr: f64,
}

/// Statistics and leaf-value bounds of a node: `tot` sums its rows; `g`, `h` are the sums in
/// real units.
#[derive(Debug, Clone, Copy)]
struct NodeStats<B> {
    tot: B,
    g: f64,
    h: f64,
    n: u32,
    lower: f64,
    upper: f64,
}

/// A leaf of the tree being grown: its rows are `rows[start..end]`; it keeps its histogram
/// (one flat buffer, every feature at its offset) only while it may still be split.
#[derive(Debug)]
struct Leaf<B> {
    node: usize,
    start: usize,
    end: usize,
    hist: Option<Vec<FeatureHist<B>>>,
    stats: NodeStats<B>,
    depth: usize,
    best: Option<Split<B>>,
}

/// Buffers reused across nodes and trees: histogram buffers (one per node, every feature's
/// histogram at its index) and the partition scratch.
#[derive(Debug)]
struct Workspace<B> {
    pool: Vec<Vec<FeatureHist<B>>>,
    scratch: Vec<u32>,
}

impl<B: Bin> Workspace<B> {
    fn new() -> Self {
        Workspace { pool: Vec::new(), scratch: Vec::new() }
    }
}

/// A histogram buffer of `len` features from the pool.
fn take<B: Bin>(pool: &mut Vec<Vec<FeatureHist<B>>>, len: usize) -> Vec<FeatureHist<B>> {
    pool.pop().unwrap_or_else(|| vec![[B::default(); SLOTS]; len])
}

/// Returns a histogram buffer to the pool.
fn give<B>(pool: &mut Vec<Vec<FeatureHist<B>>>, buf: Option<Vec<FeatureHist<B>>>) {
    if let Some(b) = buf {
        pool.push(b);
    }
}

/// Histogram slots per feature: bins `0..n_regular` and the missing bin (`max_bins <= 255`),
/// so a `u8` bin code indexes a feature's slots without a bounds check.
const SLOTS: usize = 256;

/// Most split candidates of one feature (bins `0..n_regular - 1`).
const MAX_CANDS: usize = SLOTS;

/// Feature columns binned for training.
struct Binned {
    bins: Vec<FeatureBins>,
    /// Per feature, the bin of every training row.
    codes: Vec<Vec<u8>>,
}

/// Work of a histogram step (features × (rows + bins searched)) below which one thread is used.
const PARALLEL_MIN_WORK: usize = 1 << 15;

/// Rows per rayon task in the per-row loops (gradients, margins).
const ROW_CHUNK: usize = 1024;

/// The best candidate of a lane-wise search: `lanes` holds each lane's running maximum and the
/// candidate index where it was found, `rest` the scores of the candidates after the last full
/// step (indices from `done`); the first maximum wins (lowest index on a tie). The index is
/// `usize::MAX` when nothing beats `floor`.
fn first_best<T: Copy + PartialOrd>(
    lanes: impl Iterator<Item = (T, usize)>,
    rest: impl Iterator<Item = T>,
    done: usize,
    floor: T,
) -> (T, usize) {
    let (mut top, mut top_at) = (floor, usize::MAX);
    for (best, i) in lanes {
        if best > top || (best == top && i < top_at) {
            (top, top_at) = (best, i);
        }
    }
    for (i, v) in rest.enumerate() {
        if v > top {
            (top, top_at) = (v, done + i);
        }
    }
    (top, top_at)
}

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
}

/// One feature's histogram: `SLOTS` bins, the missing bin at `n_regular`.
type FeatureHist<B> = [B; SLOTS];

/// A drawn feature in a histogram step: its index, its histogram in the node being built and
/// in the parent (when the sibling's comes from subtraction).
type Item<'b, B> = (usize, &'b mut FeatureHist<B>, Option<&'b mut FeatureHist<B>>);

/// Features whose histograms are filled in one pass over a node's rows.
const GROUP: usize = 4;

/// The mutable histograms of the drawn (sorted) `features` in a node's histogram buffer.
fn feature_slices<'b, B>(
    buf: &'b mut [FeatureHist<B>],
    features: &[usize],
) -> Vec<&'b mut FeatureHist<B>> {
    let mut out = Vec::with_capacity(features.len());
    let mut all = buf.iter_mut().enumerate();
    for &f in features {
        for (i, h) in all.by_ref() {
            if i == f {
                out.push(h);
                break;
            }
        }
    }
    out
}

/// The better of two candidates: the larger gain, the earlier one on a tie.
fn better<B>(a: Option<Split<B>>, b: Option<Split<B>>) -> Option<Split<B>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.gain > x.gain { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// A node's totals in real units.
fn node_stats<B: Bin>(tot: B, q: &Quant, lower: f64, upper: f64) -> NodeStats<B> {
    let (g, h) = tot.units(q);
    NodeStats { tot, g: g * q.g_scale, h: h * q.h_scale, n: tot.count(q), lower, upper }
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

    /// The split with left statistics `left` at the end of a feature's search, with its gain
    /// (in real units), or `None` when it does not clear `min_split_gain`.
    fn finish<B: Bin>(
        &self,
        f: usize,
        s: &NodeStats<B>,
        q: &Quant,
        found: Option<(usize, bool, B)>,
        miss_n: u32,
    ) -> Option<Split<B>> {
        let (bin, missing_left, left) = found?;
        let (g_l, h_l) = left.units(q);
        let (g_l, h_l) = (g_l * q.g_scale, h_l * q.h_scale);
        let mut right = s.tot;
        right.sub(left);
        let (g_r, h_r) = right.units(q);
        let (g_r, h_r) = (g_r * q.g_scale, h_r * q.h_scale);
        let wl = self.weight(g_l, h_l, s.lower, s.upper);
        let wr = self.weight(g_r, h_r, s.lower, s.upper);
        let parent = self.gain_of(s.g, s.h, self.weight(s.g, s.h, s.lower, s.upper));
        let gain = self.gain_of(g_l, h_l, wl) + self.gain_of(g_r, h_r, wr) - parent;
        if gain.is_nan() || gain <= self.p.min_split_gain.max(1e-12) {
            return None;
        }
        // Without missing values in the node, unseen missing values follow the heavier child.
        let default_left = if miss_n > 0 { missing_left } else { h_l >= h_r };
        Some(Split { gain, feature: f, bin, default_left, left, wl, wr })
    }

    /// The best split of one feature's histogram (regular bins, then the missing bin) for a
    /// node. Candidates run over bins in order, missing values right before left; the first
    /// best wins. An empty bin gives the same partition as the bin before it, so it is skipped.
    fn best_in_feature<B: Bin>(
        &self,
        f: usize,
        hist: &FeatureHist<B>,
        s: &NodeStats<B>,
        q: &Quant,
    ) -> Option<Split<B>> {
        let n_reg = self.binned.bins[f].n_regular();
        if n_reg < 2 {
            return None;
        }
        let miss = hist[n_reg];
        let sign = self.monotone[f];
        let lam_units = self.p.l2 / q.h_scale;
        let found = if sign == 0
            && s.lower == f64::NEG_INFINITY
            && s.upper == f64::INFINITY
            && lam_units < 1e15
        {
            self.scan_free(&hist[..n_reg - 1], miss, s, q)
        } else {
            self.scan_bounded(&hist[..n_reg - 1], miss, s, q, sign)
        };
        self.finish(f, s, q, found, miss.count(q))
    }

    /// The unconstrained search: the best split maximises
    /// `gl²/(hl+λ) + gr²/(hr+λ) = (gl²·(hr+λ) + gr²·(hl+λ)) / ((hl+λ)·(hr+λ))` (the gain up to
    /// the parent's constant), scored in score units in a branch-free loop the compiler
    /// vectorises over the candidates whose row counts satisfy `min_child_samples` (an
    /// interval, counts being monotone); the first maximum wins (missing values right before
    /// left at a bin). An empty bin repeats the statistics of the bin before, so it never
    /// wins.
    fn scan_free<B: Bin>(
        &self,
        cands: &[B],
        miss: B,
        s: &NodeStats<B>,
        q: &Quant,
    ) -> Option<(usize, bool, B)> {
        let m = cands.len();
        let min_n = self.p.min_child_samples.max(1) as u32;
        let mut pre = [B::default(); MAX_CANDS];
        let mut acc = B::default();
        for (p, &c) in pre.iter_mut().zip(cands) {
            acc.add(c);
            *p = acc;
        }
        let pre = &pre[..m];
        let miss_n = miss.count(q);
        // The candidates with at least `min_n` rows on each side when `extra` rows (the
        // missing ones) go left: an interval, the counts being non-decreasing.
        let interval = |extra: u32| -> std::ops::Range<usize> {
            let Some(top) = s.n.checked_sub(min_n + extra) else {
                return 0..0;
            };
            let lo = pre.partition_point(|c| c.count(q) + extra < min_n);
            let hi = pre.partition_point(|c| c.count(q) <= top);
            lo..hi.max(lo)
        };
        let (r_range, l_range) = (interval(0), if miss_n > 0 { interval(miss_n) } else { 0..0 });
        let ((best_r, at_r), (best_l, at_l)) = if B::SMALL_INTEGER_SUMS {
            // Integer sums below 2^24 are exact in `f32`: four candidates per SSE register.
            let lo = r_range.start.min(if l_range.is_empty() { m } else { l_range.start });
            let hi = r_range.end.max(l_range.end);
            let mut pg = [0.0f32; MAX_CANDS];
            let mut ph = [0.0f32; MAX_CANDS];
            if lo < hi {
                for ((g, h), c) in pg[lo..hi].iter_mut().zip(&mut ph[lo..hi]).zip(&pre[lo..hi]) {
                    (*g, *h) = c.units_f32(q);
                }
            }
            let tot = s.tot.units_f32(q);
            (
                self.score_f32(&pg, &ph, (0.0, 0.0), tot, q, r_range),
                self.score_f32(&pg, &ph, miss.units_f32(q), tot, q, l_range),
            )
        } else {
            (
                self.score_free(pre, B::default(), s.tot, q, r_range),
                self.score_free(pre, miss, s.tot, q, l_range),
            )
        };
        if best_r == f64::NEG_INFINITY && best_l == f64::NEG_INFINITY {
            return None;
        }
        let missing_left = best_l > best_r || (best_l == best_r && at_l < at_r);
        let b = if missing_left { at_l } else { at_r };
        let mut left = pre[b];
        if missing_left {
            left.add(miss);
        }
        Some((b, missing_left, left))
    }

    /// [`Trainer::score_free`] in `f32` on the decoded integer sums `pg`, `ph` (exact in
    /// `f32`), eight candidates per step. Every row's hessian is at least one unit and every
    /// candidate in `range` leaves rows on both sides, so both denominators are positive; the
    /// left hessian rises and the right one falls with the bin, so the candidates meeting
    /// `min_child_weight` are an interval, found by bisection; the loop has no masks.
    #[allow(clippy::too_many_arguments)]
    fn score_f32(
        &self,
        pg: &[f32; MAX_CANDS],
        ph: &[f32; MAX_CANDS],
        extra: (f32, f32),
        tot: (f32, f32),
        q: &Quant,
        range: std::ops::Range<usize>,
    ) -> (f64, usize) {
        const LANES: usize = 8;
        let lam = (self.p.l2 / q.h_scale) as f32;
        let mcw = (self.p.min_child_weight / q.h_scale) as f32;
        let (gt, ht) = tot;
        let start = range.start;
        let h_range = &ph[range.clone()];
        let lo = start + h_range.partition_point(|&h| h + extra.1 < mcw);
        let hi = start + h_range.partition_point(|&h| ht - (h + extra.1) >= mcw);
        if lo >= hi {
            return (f64::NEG_INFINITY, 0);
        }
        let score = |g: f32, h: f32| {
            let (g, h) = (g + extra.0, h + extra.1);
            let (gr, hr) = (gt - g, ht - h);
            let (dl, dr) = (h + lam, hr + lam);
            (g * g * dr + gr * gr * dl) / (dl * dr)
        };
        let (pg, ph) = (&pg[lo..hi], &ph[lo..hi]);
        let mut best = [f32::NEG_INFINITY; LANES];
        let mut at = [0.0f32; LANES];
        let mut index = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let (mut gs, mut hs) = (pg.chunks_exact(LANES), ph.chunks_exact(LANES));
        for (g, h) in gs.by_ref().zip(hs.by_ref()) {
            for k in 0..LANES {
                let v = score(g[k], h[k]);
                at[k] = if v > best[k] { index[k] } else { at[k] };
                best[k] = if v > best[k] { v } else { best[k] };
                index[k] += LANES as f32;
            }
        }
        let done = pg.len() - gs.remainder().len();
        let (top, top_at) = first_best(
            best.into_iter().zip(at.map(|i| i as usize)),
            gs.remainder().iter().zip(hs.remainder()).map(|(&g, &h)| score(g, h)),
            done,
            f32::NEG_INFINITY,
        );
        if top_at == usize::MAX {
            // Every score NaN: no usable candidate.
            return (f64::NEG_INFINITY, 0);
        }
        (f64::from(top), lo + top_at)
    }

    /// The best candidate in `range` with `extra` (missing values) added to the left side:
    /// its score (score units; `-inf` when no candidate leaves both sides a hessian of at
    /// least `min_child_weight`) and its bin, the first on a tie. Running maxima and their
    /// bins are kept in independent lanes, so the loop vectorises.
    fn score_free<B: Bin>(
        &self,
        pre: &[B],
        extra: B,
        tot: B,
        q: &Quant,
        range: std::ops::Range<usize>,
    ) -> (f64, usize) {
        const LANES: usize = 4;
        let lam = self.p.l2 / q.h_scale;
        let mcw = self.p.min_child_weight / q.h_scale;
        let (gt, ht) = tot.units(q);
        let score = |c: B| {
            let mut c = c;
            c.add(extra);
            let (g, h) = c.units(q);
            let (gr, hr) = (gt - g, ht - h);
            let (dl, dr) = (h + lam, hr + lam);
            let ok = (h >= mcw) & (hr >= mcw) & (dl > 0.0) & (dr > 0.0);
            let score = (g * g * dr + gr * gr * dl) / (dl * dr);
            if ok { score } else { f64::NEG_INFINITY }
        };
        let start = range.start;
        let cands = &pre[range];
        let mut best = [f64::NEG_INFINITY; LANES];
        let mut at = [0.0f64; LANES];
        let mut index = [0.0, 1.0, 2.0, 3.0];
        let mut chunks = cands.chunks_exact(LANES);
        for chunk in chunks.by_ref() {
            for k in 0..LANES {
                let v = score(chunk[k]);
                let up = v > best[k];
                best[k] = if up { v } else { best[k] };
                at[k] = if up { index[k] } else { at[k] };
                index[k] += LANES as f64;
            }
        }
        let done = cands.len() - chunks.remainder().len();
        let (top, top_at) = first_best(
            best.into_iter().zip(at.map(|i| i as usize)),
            chunks.remainder().iter().map(|&c| score(c)),
            done,
            f64::NEG_INFINITY,
        );
        (top, start + top_at)
    }

    /// The search under monotone bounds: leaf values clamped to the node's bounds and, for a
    /// constrained feature, ordered children (gains in real units, from each candidate's
    /// leaf weights).
    fn scan_bounded<B: Bin>(
        &self,
        cands: &[B],
        miss: B,
        s: &NodeStats<B>,
        q: &Quant,
        sign: i8,
    ) -> Option<(usize, bool, B)> {
        let min_n = self.p.min_child_samples.max(1) as u32;
        let mcw = self.p.min_child_weight;
        let parent_gain = self.gain_of(s.g, s.h, self.weight(s.g, s.h, s.lower, s.upper));
        let miss_n = miss.count(q);
        let n_dirs = if miss_n > 0 { 2 } else { 1 };
        let mut best_gain = f64::NEG_INFINITY;
        let mut found = None;
        let mut acc = B::default();
        for (b, &bin) in cands.iter().enumerate() {
            acc.add(bin);
            let nl = acc.count(q);
            if bin.count(q) == 0 && b > 0 {
                continue;
            }
            if s.n - nl < min_n {
                break;
            }
            for d in 0..n_dirs {
                let missing_left = d == 1;
                let mut left = acc;
                if missing_left {
                    left.add(miss);
                }
                let n_l = left.count(q);
                let n_r = s.n - n_l;
                if n_l < min_n || n_r < min_n {
                    continue;
                }
                let mut right = s.tot;
                right.sub(left);
                let (g_l, h_l) = left.units(q);
                let (g_l, h_l) = (g_l * q.g_scale, h_l * q.h_scale);
                let (g_r, h_r) = right.units(q);
                let (g_r, h_r) = (g_r * q.g_scale, h_r * q.h_scale);
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
                    found = Some((b, missing_left, left));
                }
            }
        }
        found
    }

    /// Builds the histogram of `rows` (their contributions in `gh`, indexed by row) into
    /// `small` for the drawn features, subtracts it from `parent` when given (which then holds
    /// the sibling's histogram), and searches the best split of each node given stats
    /// (`[small, sibling]`). Features run in parallel for large nodes; the best split is
    /// reduced in feature order, so the result does not depend on the thread count.
    #[allow(clippy::too_many_arguments)]
    fn hist_step<B: Bin>(
        &self,
        small: &mut [FeatureHist<B>],
        parent: Option<&mut [FeatureHist<B>]>,
        rows: &[u32],
        gh: &[B],
        features: &[usize],
        stats: [Option<NodeStats<B>>; 2],
        q: &Quant,
    ) -> [Option<Split<B>>; 2] {
        let small_slices = feature_slices(small, features);
        let parent_slices: Vec<Option<&mut FeatureHist<B>>> = match parent {
            Some(p) => feature_slices(p, features).into_iter().map(Some).collect(),
            None => features.iter().map(|_| None).collect(),
        };
        let mut items: Vec<Item<'_, B>> = features
            .iter()
            .zip(small_slices)
            .zip(parent_slices)
            .map(|((&f, hs), hp)| (f, hs, hp))
            .collect();
        // Features in groups of `GROUP`: one pass over the rows fills the group's histograms,
        // loading each row's index and contribution once for all of them.
        let task = |group: &mut [Item<'_, B>]| -> Vec<[Option<Split<B>>; 2]> {
            for (f, hs, _) in group.iter_mut() {
                hs[..=self.binned.bins[*f].n_regular()].fill(B::default());
            }
            if let [(fa, ha, _), (fb, hb, _), (fc, hc, _), (fd, hd, _)] = group {
                let n = self.binned.codes[*fa].len();
                let ca = &self.binned.codes[*fa][..n];
                let cb = &self.binned.codes[*fb][..n];
                let cc = &self.binned.codes[*fc][..n];
                let cd = &self.binned.codes[*fd][..n];
                for &r in rows {
                    let v = gh[r as usize];
                    let r = r as usize;
                    ha[usize::from(ca[r])].add(v);
                    hb[usize::from(cb[r])].add(v);
                    hc[usize::from(cc[r])].add(v);
                    hd[usize::from(cd[r])].add(v);
                }
            } else {
                for (f, hs, _) in group.iter_mut() {
                    let codes = self.binned.codes[*f].as_slice();
                    for &r in rows {
                        let v = gh[r as usize];
                        hs[usize::from(codes[r as usize])].add(v);
                    }
                }
            }
            group
                .iter_mut()
                .map(|(f, hs, hp)| {
                    let f = *f;
                    let used = self.binned.bins[f].n_regular() + 1;
                    let mut out = [None, None];
                    if let Some(s) = &stats[0] {
                        out[0] = self.best_in_feature(f, hs, s, q);
                    }
                    if let Some(hp) = hp {
                        for (a, &b) in hp[..used].iter_mut().zip(&hs[..used]) {
                            a.sub(b);
                        }
                        if let Some(s) = &stats[1] {
                            out[1] = self.best_in_feature(f, hp, s, q);
                        }
                    }
                    out
                })
                .collect()
        };
        let searches = stats.iter().filter(|s| s.is_some()).count();
        let work = features.len() * (rows.len() + searches * 2 * self.p.max_bins);
        let per_feature: Vec<[Option<Split<B>>; 2]> = if work >= PARALLEL_MIN_WORK {
            items.par_chunks_mut(GROUP).flat_map_iter(task).collect()
        } else {
            items.chunks_mut(GROUP).flat_map(task).collect()
        };
        per_feature.iter().fold([None, None], |acc, r| [better(acc[0], r[0]), better(acc[1], r[1])])
    }

    /// Grows one tree on `rows` (sorted) with the drawn `features`, searching splits on the
    /// row contributions `gh` (quantization `q`), and sets the leaf values and node covers
    /// from the exact gradients `exact`; returns the tree, the bin of each split (for routing
    /// binned rows) and the leaves as `(node, start, end)` ranges of `rows` (partitioned).
    fn grow<B: Bin>(
        &self,
        rows: &mut [u32],
        gh: &[B],
        exact: &[(f64, f64)],
        q: &Quant,
        features: &[usize],
        ws: &mut Workspace<B>,
    ) -> (Tree, Vec<u8>, Vec<(usize, usize, usize)>) {
        let Workspace { pool, scratch } = ws;
        let n_features = self.binned.bins.len();
        let tot = rows.iter().fold(B::default(), |mut acc, &r| {
            acc.add(gh[r as usize]);
            acc
        });
        let root_stats = node_stats(tot, q, f64::NEG_INFINITY, f64::INFINITY);
        let mut nodes = vec![Node::leaf(0.0, 0.0)];
        let mut split_bins = vec![0u8];
        let (hist, best) = if self.max_leaves >= 2 && self.splittable(0, rows.len()) {
            let mut buf = take(pool, n_features);
            let [best, _] =
                self.hist_step(&mut buf, None, rows, gh, features, [Some(root_stats), None], q);
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
            scratch.clear();
            let part = &mut rows[leaf.start..leaf.end];
            let mut nl = 0;
            for i in 0..part.len() {
                let r = part[i];
                if goes_left(r) {
                    part[nl] = r;
                    nl += 1;
                } else {
                    scratch.push(r);
                }
            }
            part[nl..].copy_from_slice(scratch);
            debug_assert_eq!(nl, s.left.count(q) as usize);
            let mid = leaf.start + nl;
            let nr = leaf.end - mid;
            let mut right_tot = leaf.stats.tot;
            right_tot.sub(s.left);
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
            let l_stats = node_stats(s.left, q, l_bounds.0, l_bounds.1);
            let r_stats = node_stats(right_tot, q, r_bounds.0, r_bounds.1);
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
                let mut small = take(pool, n_features);
                let small_rows = &rows[range.0..range.1];
                let [b_small, b_large] = self.hist_step(
                    &mut small,
                    Some(&mut large),
                    small_rows,
                    gh,
                    features,
                    [small_ok.then_some(small_stats), large_ok.then_some(large_stats)],
                    q,
                );
                let small = if small_ok {
                    Some(small)
                } else {
                    give(pool, Some(small));
                    None
                };
                let large = if large_ok {
                    Some(large)
                } else {
                    give(pool, Some(large));
                    None
                };
                if left_is_small {
                    (hist_l, hist_r, best_l, best_r) = (small, large, b_small, b_large);
                } else {
                    (hist_l, hist_r, best_l, best_r) = (large, small, b_large, b_small);
                }
            }
            give(pool, parent_hist);
            let left_id = nodes.len();
            nodes.push(Node::leaf(0.0, 0.0));
            nodes.push(Node::leaf(0.0, 0.0));
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
                cover: 0.0,
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
        // Leaf values and covers from the exact gradients of each leaf's rows, clamped to the
        // leaf's monotone bounds; a split's cover is the sum of its children's.
        let mut ranges = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let (g, h) = rows[leaf.start..leaf.end].iter().fold((0.0, 0.0), |(g, h), &r| {
                let (a, b) = exact[r as usize];
                (g + a, h + b)
            });
            let w = self.weight(g, h, leaf.stats.lower, leaf.stats.upper);
            nodes[leaf.node].value = self.p.learning_rate * w;
            nodes[leaf.node].cover = h;
            ranges.push((leaf.node, leaf.start, leaf.end));
            give(pool, leaf.hist);
        }
        for i in (0..nodes.len()).rev() {
            let n = nodes[i];
            if !n.is_leaf() {
                nodes[i].cover = nodes[n.left as usize].cover + nodes[n.right as usize].cover;
            }
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
///
/// The fit runs as one task of rayon's pool: the many short parallel steps of a tree
/// (one per split) are then forked from a worker thread, which takes part in them, instead of
/// being injected from outside the pool with a sleep and a wake-up of the calling thread each.
/// The pool's other threads poll for the fit's work until it ends (LightGBM's OpenMP threads
/// spin likewise): a parallel step takes tens of microseconds, about the time a sleeping
/// thread needs to wake up.
pub(crate) fn fit(
    params: &BoostingValidParams,
    names: Vec<String>,
    columns: &[&[f64]],
    y: &[f64],
) -> Result<BoostedModel, CreditError> {
    let done = AtomicBool::new(false);
    rayon::scope(|scope| {
        let main = rayon::current_thread_index();
        let done = &done;
        for _ in 1..rayon::current_num_threads() {
            scope.spawn(move |_| {
                // On the fit's own thread (picked up while it waits in a join) a poller would
                // never see the end of the fit: it returns at once there.
                if rayon::current_thread_index() == main {
                    return;
                }
                let mut idle = 0u32;
                while !done.load(Ordering::Acquire) {
                    if rayon::yield_now() == Some(rayon::Yield::Executed) {
                        idle = 0;
                    } else {
                        idle = idle.wrapping_add(1);
                        if idle.is_multiple_of(64) {
                            std::thread::yield_now();
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                }
            });
        }
        let fitted = fit_in_pool(params, names, columns, y);
        done.store(true, Ordering::Release);
        fitted
    })
}

fn fit_in_pool(
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
    let trainer =
        Trainer { p, binned: &binned, monotone: &monotone, max_leaves: p.max_leaves_value() };
    let nt = train_rows.len();
    // Quantized gradients when asked for and the drawn rows fit the packed bins.
    let levels = if p.quantized_gradients { Quant::levels_for(nt) } else { None };
    let mut ws_packed = Workspace::<Packed>::new();
    let mut ws_exact = Workspace::<HistBin>::new();
    let mut packed = vec![Packed::default(); if levels.is_some() { nt } else { 0 }];
    let mut exact_bins = vec![HistBin::default(); if levels.is_none() { nt } else { 0 }];

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
        // Gradients and hessians, with their largest magnitudes (order-free maxima).
        let (g_max, h_max) = gh
            .par_chunks_mut(ROW_CHUNK)
            .zip(margin.par_chunks(ROW_CHUNK))
            .zip(y_train.par_chunks(ROW_CHUNK))
            .map(|((gh, m), y)| {
                let (mut g_max, mut h_max) = (0.0f64, 0.0f64);
                for ((gh, &m), &yy) in gh.iter_mut().zip(m).zip(y) {
                    let prob = sigmoid(m);
                    *gh = (prob - yy, (prob * (1.0 - prob)).max(1e-16));
                    g_max = g_max.max(gh.0.abs());
                    h_max = h_max.max(gh.1);
                }
                (g_max, h_max)
            })
            .reduce(|| (0.0, 0.0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
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
        } else if let Some((bits_n, k)) = levels {
            let q = Quant::new(bits_n, k, g_max.max(f64::MIN_POSITIVE), h_max);
            // Stochastic rounding keyed by (seed, tree, row): the same for any thread count.
            let key = splitmix(p.seed ^ splitmix(t as u64 ^ 0x51_7cc1_b727_220a));
            packed.par_iter_mut().zip(&gh).enumerate().with_min_len(ROW_CHUNK).for_each(
                |(r, (out, &(g, h)))| {
                    let z = splitmix(key ^ r as u64);
                    let u_g = (z >> 40) as f64 * (1.0 / (1u64 << 24) as f64);
                    let u_h = (z & 0xff_ffff) as f64 * (1.0 / (1u64 << 24) as f64);
                    *out = q.pack(g, h, u_g, u_h);
                },
            );
            trainer.grow(&mut rows, &packed, &gh, &q, &features, &mut ws_packed)
        } else {
            for (b, &(g, h)) in exact_bins.iter_mut().zip(&gh) {
                *b = HistBin { g, h, n: 1 };
            }
            trainer.grow(&mut rows, &exact_bins, &gh, &Quant::EXACT, &features, &mut ws_exact)
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

    /// Random rows `(bin, g, h)` over `m` regular bins and the missing bin `m` (some bins
    /// empty, missing values in some histograms only).
    fn random_rows(rng: &mut ChaCha8Rng, m: usize, with_missing: bool) -> Vec<(usize, f64, f64)> {
        let n = 40 + (rng.next_u64() % 300) as usize;
        let empty: Vec<bool> = (0..m).map(|_| uniform(rng) < 0.3).collect();
        (0..n)
            .filter_map(|_| {
                let b = (rng.next_u64() % (m as u64 + 1)) as usize;
                let keep = if b == m { with_missing } else { !empty[b] };
                keep.then(|| (b, uniform(rng) * 2.0 - 1.0, 0.05 + 0.2 * uniform(rng)))
            })
            .collect()
    }

    /// The histogram of `rows` (bin, contribution) with the node's statistics.
    fn histogram<B: Bin>(rows: &[(usize, B)], q: &Quant) -> (FeatureHist<B>, NodeStats<B>) {
        let mut hist = [B::default(); SLOTS];
        let mut tot = B::default();
        for &(b, v) in rows {
            hist[b].add(v);
            tot.add(v);
        }
        (hist, node_stats(tot, q, f64::NEG_INFINITY, f64::INFINITY))
    }

    /// The vectorised search picks a split whose gain equals the best gain of the direct
    /// formula (candidate by candidate, from the leaf weights): exact bins to 1e-9, quantized
    /// bins (scored in `f32`) within the `f32` rounding.
    #[test]
    fn vectorised_search_finds_the_split_of_the_direct_gain_formula() {
        let binned = Binned { bins: Vec::new(), codes: Vec::new() };
        for (case, (min_n, mcw, l2)) in
            [(1, 0.0, 1.0), (5, 0.5, 1.0), (3, 1e-3, 0.0), (10, 0.1, 4.0)].into_iter().enumerate()
        {
            let p = BoostingParams::new().min_child_samples(min_n).min_child_weight(mcw).l2(l2);
            let t = Trainer { p: &p, binned: &binned, monotone: &[0], max_leaves: 15 };
            let mut rng = stream(7, case as u64);
            let mut agreed = [0; 2];
            for k in 0..400 {
                let m = 2 + (rng.next_u64() % 60) as usize;
                let rows = random_rows(&mut rng, m, k % 2 == 0);
                /// Both searches agree on whether a split exists, and the fast one's gain is
                /// the direct best gain within `tol`; whether they picked the same split.
                fn check<B: std::fmt::Debug>(
                    fast: Option<Split<B>>,
                    direct: Option<Split<B>>,
                    tol: f64,
                    at: (usize, usize),
                ) -> Option<bool> {
                    match (fast, direct) {
                        (None, None) => None,
                        (Some(a), Some(b)) => {
                            assert!((a.gain - b.gain).abs() <= tol, "{at:?}: {a:?} vs {b:?}");
                            Some((a.bin, a.default_left) == (b.bin, b.default_left))
                        }
                        (a, b) => panic!("{at:?}: {a:?} vs {b:?}"),
                    }
                }
                // Exact bins.
                let q = Quant::EXACT;
                let exact: Vec<(usize, HistBin)> =
                    rows.iter().map(|&(b, g, h)| (b, HistBin { g, h, n: 1 })).collect();
                let (hist, s) = histogram(&exact, &q);
                let miss = hist[m];
                let fast = t.scan_free(&hist[..m - 1], miss, &s, &q);
                let direct = t.scan_bounded(&hist[..m - 1], miss, &s, &q, 0);
                let (a, b) =
                    (t.finish(0, &s, &q, fast, miss.n), t.finish(0, &s, &q, direct, miss.n));
                let tol = 1e-9 * b.map_or(1.0, |b| b.gain.abs().max(1.0));
                if check(a, b, tol, (case, k)) == Some(true) {
                    agreed[0] += 1;
                }
                // Quantized bins (both searches on the same integer sums).
                let (bits_n, levels) = Quant::levels_for(rows.len()).expect("levels");
                let q = Quant::new(bits_n, levels, 1.0, 0.25);
                let packed: Vec<(usize, Packed)> = rows
                    .iter()
                    .map(|&(b, g, h)| (b, q.pack(g, h, uniform(&mut rng), uniform(&mut rng))))
                    .collect();
                let (hist, s) = histogram(&packed, &q);
                let miss = hist[m];
                let fast = t.scan_free(&hist[..m - 1], miss, &s, &q);
                let direct = t.scan_bounded(&hist[..m - 1], miss, &s, &q, 0);
                let n_miss = miss.count(&q);
                let (a, b) =
                    (t.finish(0, &s, &q, fast, n_miss), t.finish(0, &s, &q, direct, n_miss));
                // Scored in `f32`: within its rounding of the children's total score.
                let scale = s.g * s.g / (s.h + l2) + b.map_or(0.0, |b| b.gain);
                let tol = 1e-5 * scale.max(1e-3);
                if check(a, b, tol, (case, k)) == Some(true) {
                    agreed[1] += 1;
                }
            }
            assert!(
                agreed.iter().all(|&a| a > 100),
                "case {case}: only {agreed:?} identical splits"
            );
        }
    }

    #[test]
    fn subtraction_leaves_exact_zeros_in_emptied_bins() {
        let mut parent = [HistBin { g: 0.1 + 0.2, h: 0.3, n: 2 }, HistBin { g: 1.0, h: 0.5, n: 3 }];
        let child = [HistBin { g: 0.3, h: 0.1 + 0.2, n: 2 }, HistBin { g: 0.25, h: 0.125, n: 1 }];
        for (a, &b) in parent.iter_mut().zip(&child) {
            a.sub(b);
        }
        assert_eq!((parent[0].g, parent[0].h, parent[0].n), (0.0, 0.0, 0));
        assert_eq!((parent[1].g, parent[1].h, parent[1].n), (0.75, 0.375, 2));
    }

    /// Packed bins hold the exact integer sums of the quantized rows, add and subtract
    /// exactly, and the stochastic rounding is unbiased within its noise.
    #[test]
    fn packed_bins_sum_quantized_rows_exactly() {
        let mut rng = stream(3, 0);
        for n in [1usize, 7, 100, 4_000, 60_000] {
            let (bits_n, k) = Quant::levels_for(n).expect("levels");
            assert!(3 * bits_n + 2 * k < 64 && k >= 2, "{n}: {bits_n} {k}");
            let (g_max, h_max) = (0.9, 0.2);
            let q = Quant::new(bits_n, k, g_max, h_max);
            let levels = f64::from(1u32 << k);
            let (mut tot, mut half) = (Packed::default(), Packed::default());
            let (mut gi, mut hi) = (0.0, 0.0);
            let (mut g_real, mut g_quant) = (0.0, 0.0);
            for i in 0..n {
                let g = (uniform(&mut rng) * 2.0 - 1.0) * g_max;
                let h = uniform(&mut rng) * h_max;
                let v = q.pack(g, h, uniform(&mut rng), uniform(&mut rng));
                let (vg, vh) = v.units(&q);
                assert!(vg.abs() <= levels && (1.0..=levels).contains(&vh));
                assert_eq!(v.count(&q), 1);
                assert!((vg * q.g_scale - g).abs() <= q.g_scale + 1e-12, "{g} {vg}");
                gi += vg;
                hi += vh;
                g_real += g;
                g_quant += vg * q.g_scale;
                tot.add(v);
                if i % 2 == 0 {
                    half.add(v);
                }
            }
            assert_eq!(tot.count(&q) as usize, n);
            assert_eq!(tot.units(&q), (gi, hi));
            let mut rest = tot;
            rest.sub(half);
            let mut back = rest;
            back.add(half);
            assert_eq!(back, tot);
            assert_eq!(rest.count(&q) as usize, n / 2);
            // Unbiased: the error of the sum is a sum of independent errors below one step.
            let sd = q.g_scale * (n as f64).sqrt();
            assert!((g_quant - g_real).abs() <= 6.0 * sd, "{n}: {g_quant} vs {g_real}");
        }
        assert_eq!(Quant::levels_for(1 << 20), None);
    }

    #[test]
    fn log_loss_is_stable_for_large_margins() {
        let l = log_loss(&[800.0, -800.0], &[1.0, 0.0]);
        assert!(l.is_finite() && l < 1e-300 + 1e-12);
    }
}
