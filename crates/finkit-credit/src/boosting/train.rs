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

#[derive(Debug, Clone, Copy, Default)]
struct HistBin {
    g: f64,
    h: f64,
    n: u32,
}

/// Histograms of one node: one vector per feature (empty for features not drawn).
type Hist = Vec<Vec<HistBin>>;

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

#[derive(Debug)]
struct Leaf {
    node: usize,
    start: usize,
    end: usize,
    hist: Hist,
    g: f64,
    h: f64,
    depth: usize,
    lower: f64,
    upper: f64,
    best: Option<Split>,
}

/// Feature columns binned for training.
struct Binned {
    bins: Vec<FeatureBins>,
    /// Per feature, the bin of every training row.
    codes: Vec<Vec<u8>>,
}

/// Rows × features in a histogram build below which one thread is used.
const PARALLEL_MIN_WORK: usize = 1 << 15;

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

impl Trainer<'_> {
    fn weight(&self, g: f64, h: f64, lower: f64, upper: f64) -> f64 {
        (-g / (h + self.p.l2)).clamp(lower, upper)
    }

    /// The loss reduction of leaf weight `w` (XGBoost's `CalcGainGivenWeight`).
    fn gain_of(&self, g: f64, h: f64, w: f64) -> f64 {
        -(2.0 * g * w + (h + self.p.l2) * w * w)
    }

    fn build_hist(&self, rows: &[u32], gh: &[(f64, f64)], features: &[usize]) -> Hist {
        let one = |f: usize| -> Vec<HistBin> {
            let codes = &self.binned.codes[f];
            let mut hist = vec![HistBin::default(); self.binned.bins[f].n_regular() + 1];
            for &r in rows {
                let r = r as usize;
                let b = &mut hist[codes[r] as usize];
                let (g, h) = gh[r];
                b.g += g;
                b.h += h;
                b.n += 1;
            }
            hist
        };
        let built: Vec<Vec<HistBin>> = if rows.len() * features.len() >= PARALLEL_MIN_WORK {
            features.par_iter().map(|&f| one(f)).collect()
        } else {
            features.iter().map(|&f| one(f)).collect()
        };
        let mut hist: Hist = vec![Vec::new(); self.binned.bins.len()];
        for (&f, h) in features.iter().zip(built) {
            hist[f] = h;
        }
        hist
    }

    fn best_split(&self, leaf: &Leaf, features: &[usize]) -> Option<Split> {
        if let Some(d) = self.p.max_depth
            && leaf.depth >= d
        {
            return None;
        }
        let n_total = (leaf.end - leaf.start) as u32;
        if (n_total as usize) < 2 * self.p.min_child_samples.max(1) {
            return None;
        }
        let parent_w = self.weight(leaf.g, leaf.h, leaf.lower, leaf.upper);
        let parent_gain = self.gain_of(leaf.g, leaf.h, parent_w);
        let mut best: Option<Split> = None;
        for &f in features {
            let hist = &leaf.hist[f];
            let n_reg = hist.len() - 1;
            if n_reg < 2 {
                continue;
            }
            let miss = hist[n_reg];
            let sign = self.monotone[f];
            let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0u32);
            for (b, bin) in hist.iter().enumerate().take(n_reg - 1) {
                gl += bin.g;
                hl += bin.h;
                nl += bin.n;
                let directions: &[bool] = if miss.n > 0 { &[false, true] } else { &[false] };
                for &missing_left in directions {
                    let (g_l, h_l, n_l) = if missing_left {
                        (gl + miss.g, hl + miss.h, nl + miss.n)
                    } else {
                        (gl, hl, nl)
                    };
                    let n_r = n_total - n_l;
                    if (n_l as usize) < self.p.min_child_samples
                        || (n_r as usize) < self.p.min_child_samples
                        || n_l == 0
                        || n_r == 0
                    {
                        continue;
                    }
                    let (g_r, h_r) = (leaf.g - g_l, leaf.h - h_l);
                    if h_l < self.p.min_child_weight || h_r < self.p.min_child_weight {
                        continue;
                    }
                    let wl = self.weight(g_l, h_l, leaf.lower, leaf.upper);
                    let wr = self.weight(g_r, h_r, leaf.lower, leaf.upper);
                    if (sign > 0 && wl > wr) || (sign < 0 && wl < wr) {
                        continue;
                    }
                    let gain =
                        self.gain_of(g_l, h_l, wl) + self.gain_of(g_r, h_r, wr) - parent_gain;
                    if gain.is_nan() || gain <= self.p.min_split_gain.max(1e-12) {
                        continue;
                    }
                    if best.is_none_or(|s| gain > s.gain) {
                        // Without missing values in the node, unseen missing values follow
                        // the heavier child.
                        let default_left = if miss.n > 0 { missing_left } else { h_l >= h_r };
                        best = Some(Split {
                            gain,
                            feature: f,
                            bin: b,
                            default_left,
                            left: (g_l, h_l, n_l as usize),
                            wl,
                            wr,
                        });
                    }
                }
            }
        }
        best
    }

    /// Grows one tree on `rows` (sorted) with the drawn `features`; returns the tree and the
    /// bin of each split (for routing binned rows).
    fn grow(&self, rows: &mut [u32], gh: &[(f64, f64)], features: &[usize]) -> (Tree, Vec<u8>) {
        let hist = self.build_hist(rows, gh, features);
        let (g, h) = rows.iter().fold((0.0, 0.0), |(g, h), &r| {
            let (a, b) = gh[r as usize];
            (g + a, h + b)
        });
        let mut nodes = vec![Node::leaf(0.0, h)];
        let mut split_bins = vec![0u8];
        let mut root = Leaf {
            node: 0,
            start: 0,
            end: rows.len(),
            hist,
            g,
            h,
            depth: 0,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
            best: None,
        };
        root.best = self.best_split(&root, features);
        let mut leaves = vec![root];
        let mut scratch: Vec<u32> = Vec::with_capacity(rows.len());
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
            part[nl..].copy_from_slice(&scratch);
            debug_assert_eq!(nl, s.left.2);
            let mid = leaf.start + nl;
            // Histograms: build the smaller child, subtract for the larger.
            let (small_range, left_is_small) = if nl <= leaf.end - mid {
                ((leaf.start, mid), true)
            } else {
                ((mid, leaf.end), false)
            };
            let small = self.build_hist(&rows[small_range.0..small_range.1], gh, features);
            let mut large = leaf.hist;
            for &f in features {
                for (a, b) in large[f].iter_mut().zip(&small[f]) {
                    a.g -= b.g;
                    a.h -= b.h;
                    a.n -= b.n;
                }
            }
            let (hist_l, hist_r) = if left_is_small { (small, large) } else { (large, small) };
            let (gl, hl, _) = s.left;
            let (gr, hr) = (leaf.g - gl, leaf.h - hl);
            // Monotone bounds: the children of a constrained split meet at the mid value.
            let (mut l_bounds, mut r_bounds) = ((leaf.lower, leaf.upper), (leaf.lower, leaf.upper));
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
                cover: leaf.h,
            };
            split_bins[leaf.node] = s.bin as u8;
            for (node, start, end, hist, g, h, bounds) in [
                (left_id, leaf.start, mid, hist_l, gl, hl, l_bounds),
                (left_id + 1, mid, leaf.end, hist_r, gr, hr, r_bounds),
            ] {
                let mut child = Leaf {
                    node,
                    start,
                    end,
                    hist,
                    g,
                    h,
                    depth: leaf.depth + 1,
                    lower: bounds.0,
                    upper: bounds.1,
                    best: None,
                };
                child.best = self.best_split(&child, features);
                leaves.push(child);
            }
        }
        for leaf in &leaves {
            let w = self.weight(leaf.g, leaf.h, leaf.lower, leaf.upper);
            nodes[leaf.node].value = self.p.learning_rate * w;
        }
        (Tree { nodes }, split_bins)
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
    let trainer =
        Trainer { p, binned: &binned, monotone: &monotone, max_leaves: p.max_leaves_value() };
    let nt = train_rows.len();
    let mut margin = vec![base_margin; nt];
    let mut margin_valid = vec![base_margin; valid_rows.len()];
    let mut gh = vec![(0.0, 0.0); nt];
    let mut trees = Vec::with_capacity(p.trees);
    let mut best = (f64::INFINITY, 0usize);
    let n_cols =
        ((usable.len() as f64 * p.colsample).round() as usize).clamp(1, usable.len().max(1));
    for t in 0..p.trees {
        gh.par_iter_mut().zip(&margin).zip(&y_train).for_each(|((gh, &m), &yy)| {
            let prob = sigmoid(m);
            *gh = (prob - yy, (prob * (1.0 - prob)).max(1e-16));
        });
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
        let (tree, split_bins) = if rows.is_empty() || features.is_empty() {
            (Tree { nodes: vec![Node::leaf(0.0, 0.0)] }, vec![0])
        } else {
            trainer.grow(&mut rows, &gh, &features)
        };
        margin
            .par_iter_mut()
            .enumerate()
            .for_each(|(r, m)| *m += route(&tree, &split_bins, &binned, r));
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

    #[test]
    fn log_loss_is_stable_for_large_margins() {
        let l = log_loss(&[800.0, -800.0], &[1.0, 0.0]);
        assert!(l.is_finite() && l < 1e-300 + 1e-12);
    }
}
