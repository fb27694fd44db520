//! The fitted (or imported) boosted model: margins, PDs, TreeSHAP contributions, reason codes.

use finkit_schema::{Column, Dataset, Probability};
use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

use super::fastshap::LeafTables;
use super::shap::{ShapScratch, tree_shap};
use super::tree::Tree;
use crate::{CreditError, FeatureRecord, PdModel, Value};

/// Where a model's trees came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Origin {
    /// Trained by finkit.
    Finkit,
    /// Imported from an XGBoost JSON model (`binary:logistic`).
    XGBoost {
        /// The XGBoost version that wrote the file, e.g. `"3.2.0"`.
        version: String,
    },
}

/// One reason code of a boosted model: a feature whose TreeSHAP contribution raises the PD.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct BoostedReason {
    /// The feature.
    pub variable: String,
    /// Its contribution to the margin (log-odds of default), > 0.
    pub contribution: f64,
}

/// Rows per parallel block in batch prediction and explanation.
const BLOCK_ROWS: usize = 256;

/// A gradient-boosted binary classifier of default: `margin = base + Σ trees`,
/// `PD = 1 / (1 + e^−margin)`.
///
/// Built by [`BoostingValidParams`](super::BoostingValidParams) through [`Fit`](crate::Fit),
/// read from finkit's JSON ([`BoostedModel::from_json`]) or imported from XGBoost
/// ([`BoostedModel::from_xgboost_json`]). Features are matched by name; NaN (or
/// [`Value::Missing`]) is a missing value and follows each split's default direction.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostedModel {
    pub(crate) name: String,
    pub(crate) features: Vec<String>,
    pub(crate) base_margin: f64,
    pub(crate) trees: Vec<Tree>,
    pub(crate) monotone: Vec<i8>,
    pub(crate) origin: Origin,
    pub(crate) reason_codes: usize,
    /// Derived: the deepest tree.
    depth: usize,
    /// Derived: `base_margin + Σ` the trees' expected values (TreeSHAP's bias).
    expected: f64,
    /// Derived: every tree's nodes in one compact array, for batch prediction.
    forest: Forest,
}

/// Batches of at least this many rows get TreeSHAP from per-leaf tables.
const TABLE_ROWS: usize = 64;

/// The most features a model may have (a split's place in a [`Block`] group is a `u32`).
const MAX_FEATURES: usize = 1 << 24;

/// Rows per block of batch prediction: 64 rows as two `f32` copies (32 KiB at 64 features)
/// stay in the first-level cache while every tree passes over them.
const PREDICT_ROWS: usize = 64;

/// A compact copy of the trees for batch prediction over [`Block`]s.
///
/// A tree with at most 64 leaves is evaluated as in QuickScorer (Lucchese et al., SIGIR 2015):
/// its leaves are numbered left to right, each split carries the mask of the leaves that
/// survive when a row goes right (every leaf of its left subtree cleared), and a row's exit
/// leaf is the lowest bit left after ANDing the masks of the splits it goes right at. Every
/// split is tested (about twice the comparisons of a walk) but without a chain of dependent
/// loads, eight rows at a time on contiguous lanes, so the compiler vectorises it. The exit
/// leaf is the one the walk reaches: each leaf left of it lies in the left subtree of a split
/// on the row's path where the row went right, and the exit itself is never cleared. Deeper
/// trees are walked node by node.
#[derive(Debug, Clone, PartialEq, Default)]
struct Forest {
    /// Features of the model (the width of a block's copies).
    p: usize,
    /// Per tree: its QuickScorer form, or `None` (walked from `roots`).
    scored: Vec<Option<Scored>>,
    /// The splits of the QuickScorer trees, tree after tree.
    splits: Vec<MaskSplit>,
    /// The leaves of the QuickScorer trees, each tree's left to right.
    scored_leaves: Vec<f64>,
    /// Trees walked node by node.
    nodes: Vec<FlatNode>,
    /// Each walked tree's root in `nodes`.
    roots: Vec<u32>,
    /// Leaf values of the walked trees, indexed by a leaf's `left`.
    leaves: Vec<f64>,
}

/// Rows tested side by side (one group of a [`Block`]).
const LANES: usize = 8;

/// The most leaves of a tree evaluated by leaf masks (the bits of a `u64`).
const MASK_LEAVES: usize = 64;

/// Where a tree lives in [`Forest::splits`] and [`Forest::scored_leaves`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scored {
    splits: u32,
    n_splits: u32,
    leaves: u32,
    /// Leaf count (up to [`MASK_LEAVES`]): picks the mask width.
    n_leaves: u32,
}

/// A split of a QuickScorer tree: lane `r` goes left when `group[offset + r] < threshold`
/// (see [`Block`]); a row that goes right keeps only the leaves set in `keep`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MaskSplit {
    offset: u32,
    threshold: f32,
    keep: u64,
}

/// Where split `feature` with a default direction reads a lane's value in a group of a
/// [`Block`]: the copy whose missing value (−∞ or +∞) goes that way under `x < threshold`.
fn lane_offset(feature: u32, default_left: bool, p: usize) -> u32 {
    let copy = if default_left { 0 } else { p as u32 };
    (copy + feature) * LANES as u32
}

impl Scored {
    /// Lays `tree` out for QuickScorer, or `None` when it has more than [`MASK_LEAVES`] leaves.
    fn build(
        tree: &Tree,
        p: usize,
        splits: &mut Vec<MaskSplit>,
        leaves: &mut Vec<f64>,
    ) -> Option<Self> {
        let n_leaves = tree.n_leaves();
        if n_leaves > MASK_LEAVES {
            return None;
        }
        let s = Scored {
            splits: splits.len() as u32,
            n_splits: 0,
            leaves: leaves.len() as u32,
            n_leaves: n_leaves as u32,
        };
        // Leaves numbered left to right; a split's left subtree holds the leaves numbered from
        // the count before it to the count after it (children come after their parents, so a
        // depth-first walk with an explicit stack visits left subtrees first).
        let mut first = vec![0u32; tree.nodes.len()];
        let mut end = vec![0u32; tree.nodes.len()];
        let mut count = 0u32;
        // (node, whether its subtree is done)
        let mut stack = vec![(0usize, false)];
        while let Some((i, done)) = stack.pop() {
            let n = tree.nodes[i];
            if done {
                end[i] = count;
                continue;
            }
            first[i] = count;
            if n.is_leaf() {
                leaves.push(n.value);
                count += 1;
                end[i] = count;
            } else {
                stack.push((i, true));
                stack.push((n.right as usize, false));
                stack.push((n.left as usize, false));
            }
        }
        let mut n_splits = 0;
        for n in tree.nodes.iter().filter(|n| !n.is_leaf()) {
            let l = n.left as usize;
            let cleared = (u64::MAX >> (64 - (end[l] - first[l]))) << first[l];
            splits.push(MaskSplit {
                offset: lane_offset(n.feature, n.default_left, p),
                threshold: n.threshold,
                keep: !cleared,
            });
            n_splits += 1;
        }
        Some(Scored { n_splits, ..s })
    }
}

/// The leaf mask of a QuickScorer tree, as narrow as its leaves allow (eight `u16` lanes fill
/// one SSE register).
trait LeafMask: Copy + std::ops::BitAndAssign {
    const ALL: Self;
    fn of(keep: u64) -> Self;
    fn exit(self) -> usize;
}

macro_rules! leaf_mask {
    ($($t:ty),*) => {$(
        impl LeafMask for $t {
            const ALL: Self = <$t>::MAX;
            #[inline(always)]
            fn of(keep: u64) -> Self {
                // the tree's leaves fit the width, so the dropped bits are the unused ones
                keep as $t
            }
            #[inline(always)]
            fn exit(self) -> usize {
                self.trailing_zeros() as usize
            }
        }
    )*};
}
leaf_mask!(u16, u32, u64);

/// A node of a walked tree: a split (`offset` as in [`MaskSplit`]) or a leaf
/// (`offset == LEAF`, `left` = index of its value).
#[derive(Debug, Clone, Copy, PartialEq)]
struct FlatNode {
    offset: u32,
    threshold: f32,
    left: u32,
    right: u32,
}

/// Rows of a prediction batch laid out for the forest, in groups of [`LANES`] rows: each
/// group holds, feature-major, two `f32` copies of every feature, the first with a missing
/// value as −∞ and the second with it as +∞, then the lanes side by side
/// (`group[(copy·p + feature)·LANES + lane]`). A split reads the copy whose missing value goes
/// its default way under `x < threshold` (−∞ goes left, +∞ right), so a step is one load and
/// one comparison, and the eight lanes' loads share one base address. Every split compares
/// `x as f32` (as [`super::tree::Node::child`] does), so nothing changes; the last group is
/// padded with zeros, whose results are discarded.
#[derive(Debug, Clone, Default)]
struct Block {
    data: Vec<f32>,
    rows: usize,
}

impl Block {
    /// Lays out `rows` (row-major, `p` per row); false when a value is infinite (the block is
    /// then incomplete).
    fn fill(&mut self, rows: &[f64], p: usize) -> bool {
        let n = rows.len() / p;
        let group = 2 * p * LANES;
        self.rows = n;
        self.data.clear();
        self.data.resize(n.div_ceil(LANES) * group, 0.0);
        for (dst, src) in self.data.chunks_exact_mut(group).zip(rows.chunks(LANES * p)) {
            let (lo, hi) = dst.split_at_mut(p * LANES);
            for (r, row) in src.chunks_exact(p).enumerate() {
                for (f, &v) in row.iter().enumerate() {
                    if v.is_infinite() {
                        return false;
                    }
                    let x = v as f32;
                    let nan = x.is_nan();
                    lo[f * LANES + r] = if nan { f32::NEG_INFINITY } else { x };
                    hi[f * LANES + r] = if nan { f32::INFINITY } else { x };
                }
            }
        }
        true
    }
}

impl Forest {
    fn new(trees: &[Tree], p: usize) -> Forest {
        let mut f = Forest { p, ..Forest::default() };
        for t in trees {
            let scored = Scored::build(t, p, &mut f.splits, &mut f.scored_leaves);
            let base = f.nodes.len() as u32;
            f.roots.push(base);
            if scored.is_none() {
                for n in &t.nodes {
                    f.nodes.push(if n.is_leaf() {
                        f.leaves.push(n.value);
                        FlatNode {
                            offset: super::tree::LEAF,
                            threshold: 0.0,
                            left: (f.leaves.len() - 1) as u32,
                            right: 0,
                        }
                    } else {
                        FlatNode {
                            offset: lane_offset(n.feature, n.default_left, p),
                            threshold: n.threshold,
                            left: base + n.left,
                            right: base + n.right,
                        }
                    });
                }
            }
            f.scored.push(scored);
        }
        f
    }

    /// Adds tree `t`'s leaf values to the margins of the block's rows.
    #[inline]
    fn add_tree(&self, t: usize, block: &Block, margins: &mut [f64]) {
        match self.scored[t] {
            Some(s) if s.n_leaves <= 16 => self.add_scored::<u16>(s, block, margins),
            Some(s) if s.n_leaves <= 32 => self.add_scored::<u32>(s, block, margins),
            Some(s) => self.add_scored::<u64>(s, block, margins),
            None => {
                let group = 2 * self.p * LANES;
                for (m, g) in margins.chunks_mut(LANES).zip(block.data.chunks_exact(group)) {
                    for (r, m) in m.iter_mut().enumerate() {
                        *m += self.leaf_value(t, g, r);
                    }
                }
            }
        }
    }

    /// [`Forest::add_tree`] for a QuickScorer tree with masks of type `M`: split by split over
    /// the block's groups, so a split's threshold and mask are broadcast once per block.
    #[inline(always)]
    fn add_scored<M: LeafMask>(&self, s: Scored, block: &Block, margins: &mut [f64]) {
        let group = 2 * self.p * LANES;
        let splits = &self.splits[s.splits as usize..(s.splits + s.n_splits) as usize];
        let leaves = &self.scored_leaves[s.leaves as usize..(s.leaves + s.n_leaves) as usize];
        const GROUPS: usize = PREDICT_ROWS / LANES;
        for (margins, data) in
            margins.chunks_mut(PREDICT_ROWS).zip(block.data.chunks(GROUPS * group))
        {
            let mut v = [[M::ALL; LANES]; GROUPS];
            for sp in splits {
                let (o, keep) = (sp.offset as usize, M::of(sp.keep));
                for (v, g) in v.iter_mut().zip(data.chunks_exact(group)) {
                    for (v, &x) in v.iter_mut().zip(&g[o..o + LANES]) {
                        *v &= if x < sp.threshold { M::ALL } else { keep };
                    }
                }
            }
            for (m, v) in margins.chunks_mut(LANES).zip(v) {
                for (m, v) in m.iter_mut().zip(v) {
                    *m += leaves[v.exit()];
                }
            }
        }
    }

    /// The leaf value of walked tree `t` for lane `r` of a block's group (the comparison
    /// [`super::tree::Node::child`] makes, on the same `f32` value).
    #[inline]
    fn leaf_value(&self, t: usize, group: &[f32], r: usize) -> f64 {
        let mut i = self.roots[t] as usize;
        loop {
            let n = self.nodes[i];
            if n.offset == super::tree::LEAF {
                return self.leaves[n.left as usize];
            }
            let left = group[n.offset as usize + r] < n.threshold;
            i = if left { n.left } else { n.right } as usize;
        }
    }
}

impl BoostedModel {
    /// Assembles and validates a model.
    pub(crate) fn new(
        name: String,
        features: Vec<String>,
        base_margin: f64,
        trees: Vec<Tree>,
        monotone: Vec<i8>,
        origin: Origin,
        reason_codes: usize,
    ) -> Result<BoostedModel, CreditError> {
        if features.is_empty() {
            return Err(CreditError::InvalidModel("the model has no features".into()));
        }
        if features.len() > MAX_FEATURES {
            return Err(CreditError::InvalidModel(format!(
                "{} features; at most {MAX_FEATURES} are supported",
                features.len()
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = features.iter().find(|f| !seen.insert(f.as_str())) {
            return Err(CreditError::InvalidModel(format!("feature {dup:?} appears twice")));
        }
        if monotone.len() != features.len() {
            return Err(CreditError::InvalidModel(format!(
                "{} monotone signs for {} features",
                monotone.len(),
                features.len()
            )));
        }
        if let Some(s) = monotone.iter().find(|s| !(-1..=1).contains(*s)) {
            return Err(CreditError::InvalidModel(format!("monotone sign {s} is not -1, 0 or 1")));
        }
        if !base_margin.is_finite() {
            return Err(CreditError::InvalidModel(format!(
                "base margin {base_margin} is not finite"
            )));
        }
        for (i, t) in trees.iter().enumerate() {
            t.validate(features.len(), i)?;
        }
        let depth = trees.iter().map(Tree::depth).max().unwrap_or(0);
        let expected = base_margin + trees.iter().map(|t| t.mean_values()[0]).sum::<f64>();
        let forest = Forest::new(&trees, features.len());
        Ok(BoostedModel {
            name,
            features,
            base_margin,
            trees,
            monotone,
            origin,
            reason_codes,
            depth,
            expected,
            forest,
        })
    }

    /// The model's name (part of [`PdModel::model_id`]).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Renames the model.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
    /// The feature names, in the order rows are read.
    #[must_use]
    pub fn features(&self) -> &[String] {
        &self.features
    }
    /// The base margin (log-odds before any tree).
    #[must_use]
    pub fn base_margin(&self) -> f64 {
        self.base_margin
    }
    /// The trees.
    #[must_use]
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }
    /// The monotone sign of each feature (+1, −1 or 0), as fitted.
    #[must_use]
    pub fn monotone(&self) -> &[i8] {
        &self.monotone
    }
    /// Where the trees came from.
    #[must_use]
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
    /// How many reason codes are reported.
    #[must_use]
    pub fn reason_codes(&self) -> usize {
        self.reason_codes
    }
    /// Sets how many reason codes are reported.
    #[must_use]
    pub fn with_reason_codes(mut self, n: usize) -> Self {
        self.reason_codes = n;
        self
    }
    /// The expected margin over the training distribution (TreeSHAP's `bias`).
    #[must_use]
    pub fn expected_margin(&self) -> f64 {
        self.expected
    }
    /// The deepest tree's depth.
    #[must_use]
    pub fn max_depth(&self) -> usize {
        self.depth
    }

    fn check_row(&self, row: &[f64]) -> Result<(), CreditError> {
        if row.len() != self.features.len() {
            return Err(CreditError::LengthMismatch {
                what: "row",
                expected: self.features.len(),
                found: row.len(),
            });
        }
        if let Some((j, &v)) = row.iter().enumerate().find(|(_, v)| v.is_infinite()) {
            return Err(CreditError::UnusableColumn {
                name: self.features[j].clone(),
                reason: format!("value {v} is not finite (use NaN for missing)"),
            });
        }
        Ok(())
    }

    /// The margin (log-odds of default) of one row, features in [`BoostedModel::features`]
    /// order, NaN for missing.
    ///
    /// # Errors
    ///
    /// [`CreditError::LengthMismatch`] for a row of the wrong length and
    /// [`CreditError::UnusableColumn`] for an infinite value.
    pub fn margin(&self, row: &[f64]) -> Result<f64, CreditError> {
        self.check_row(row)?;
        Ok(self.margin_unchecked(row))
    }

    fn margin_unchecked(&self, row: &[f64]) -> f64 {
        let mut m = self.base_margin;
        for t in &self.trees {
            m += t.leaf_value(row);
        }
        m
    }

    /// Margins of many rows (`n × features`, NaN for missing), in parallel blocks; each row's
    /// trees are summed in model order, so the result does not depend on the thread count.
    ///
    /// # Errors
    ///
    /// As [`BoostedModel::margin`], for the first bad row.
    pub fn margins(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>, CreditError> {
        let p = self.features.len();
        if x.ncols() != p {
            return Err(CreditError::LengthMismatch {
                what: "columns",
                expected: p,
                found: x.ncols(),
            });
        }
        let owned;
        let data: &[f64] = match x.as_slice() {
            Some(s) => s,
            None => {
                owned = x.as_standard_layout().to_owned();
                owned.as_slice().unwrap_or(&[])
            }
        };
        let mut out = vec![self.base_margin; x.nrows()];
        let trees = self.forest.roots.len();
        // Infinite values are checked while the blocks are laid out; the first one is then
        // found in order for the error.
        let infinite = AtomicBool::new(false);
        out.par_chunks_mut(PREDICT_ROWS).zip(data.par_chunks(PREDICT_ROWS * p)).for_each_init(
            Block::default,
            |block, (o, rows)| {
                // tree-major: a tree stays in cache while the block's rows pass; each row still
                // sums its trees in model order
                if !block.fill(rows, p) {
                    infinite.store(true, Ordering::Relaxed);
                    return;
                }
                for t in 0..trees {
                    self.forest.add_tree(t, block, o);
                }
            },
        );
        if infinite.into_inner()
            && let Some(i) = data.iter().position(|v| v.is_infinite())
        {
            let (r, j) = (i / p, i % p);
            return Err(CreditError::UnusableColumn {
                name: self.features[j].clone(),
                reason: format!("value {} at row {r} is not finite (use NaN for missing)", data[i]),
            });
        }
        Ok(Array1::from(out))
    }

    /// PDs of many rows ([`BoostedModel::margins`] through the logistic function).
    ///
    /// # Errors
    ///
    /// As [`BoostedModel::margins`].
    pub fn pds(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>, CreditError> {
        let mut m = self.margins(x)?;
        m.mapv_inplace(logistic);
        Ok(m)
    }

    /// Exact TreeSHAP contributions of one row: one value per feature, then the bias
    /// ([`BoostedModel::expected_margin`]); they sum to the row's margin.
    ///
    /// # Errors
    ///
    /// As [`BoostedModel::margin`].
    pub fn contributions(&self, row: &[f64]) -> Result<Vec<f64>, CreditError> {
        self.check_row(row)?;
        let mut phi = vec![0.0; self.features.len() + 1];
        let mut scratch = ShapScratch::new(self.depth);
        self.contributions_into(row, &mut phi, &mut scratch);
        Ok(phi)
    }

    fn contributions_into(&self, row: &[f64], phi: &mut [f64], scratch: &mut ShapScratch) {
        phi.fill(0.0);
        let p = self.features.len();
        for t in &self.trees {
            tree_shap(t, t.depth(), row, &mut phi[..p], scratch);
        }
        phi[p] = self.expected;
    }

    /// TreeSHAP contributions of many rows: `n × (features + 1)`, the last column the bias.
    ///
    /// # Errors
    ///
    /// As [`BoostedModel::margins`].
    pub fn contributions_batch(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, CreditError> {
        let p = self.features.len();
        if x.ncols() != p {
            return Err(CreditError::LengthMismatch {
                what: "columns",
                expected: p,
                found: x.ncols(),
            });
        }
        let x = x.as_standard_layout();
        let data = x.as_slice().unwrap_or(&[]);
        if let Some(i) = data.iter().position(|v| v.is_infinite()) {
            return Err(CreditError::UnusableColumn {
                name: self.features[i % p].clone(),
                reason: format!("value {} at row {} is not finite", data[i], i / p),
            });
        }
        let depths: Vec<usize> = self.trees.iter().map(Tree::depth).collect();
        // Per-leaf tables pay for themselves over a few dozen rows; below that, or for a tree
        // whose paths test too many features, the recursive algorithm runs (same values).
        let tables: Vec<Option<LeafTables>> = if x.nrows() >= TABLE_ROWS {
            self.trees.par_iter().map(LeafTables::build).collect()
        } else {
            vec![None; self.trees.len()]
        };
        let nodes = self.trees.iter().map(|t| t.nodes.len()).max().unwrap_or(0);
        let mut out = vec![0.0; x.nrows() * (p + 1)];
        out.par_chunks_mut(BLOCK_ROWS * (p + 1)).zip(data.par_chunks(BLOCK_ROWS * p)).for_each(
            |(o, rows)| {
                let mut scratch = ShapScratch::new(self.depth);
                let mut left = vec![false; nodes];
                // Tree-major, as in batch prediction: a tree's tables stay in cache while the
                // block's rows pass; each row still adds its trees in model order.
                for ((t, &d), table) in self.trees.iter().zip(&depths).zip(&tables) {
                    for (phi, row) in o.chunks_exact_mut(p + 1).zip(rows.chunks_exact(p)) {
                        match table {
                            Some(table) => table.add(t, row, &mut left, &mut phi[..p]),
                            None => tree_shap(t, d, row, &mut phi[..p], &mut scratch),
                        }
                    }
                }
                for phi in o.chunks_exact_mut(p + 1) {
                    phi[p] = self.expected;
                }
            },
        );
        Array2::from_shape_vec((x.nrows(), p + 1), out)
            .map_err(|e| CreditError::InvalidModel(e.to_string()))
    }

    /// The reason codes of a row's contributions (as [`BoostedModel::contributions`] returns
    /// them): the features that raise the PD most, largest first, at most
    /// [`BoostedModel::reason_codes`], only positive contributions; ties in feature order.
    #[must_use]
    pub fn reasons_of(&self, contributions: &[f64]) -> Vec<BoostedReason> {
        let mut idx: Vec<usize> = (0..self.features.len().min(contributions.len()))
            .filter(|&j| contributions[j] > 0.0)
            .collect();
        idx.sort_by(|&a, &b| contributions[b].total_cmp(&contributions[a]).then(a.cmp(&b)));
        idx.truncate(self.reason_codes);
        idx.into_iter()
            .map(|j| BoostedReason {
                variable: self.features[j].clone(),
                contribution: contributions[j],
            })
            .collect()
    }

    /// The margin, PD and reason codes of one row.
    ///
    /// # Errors
    ///
    /// As [`BoostedModel::margin`].
    pub fn explain(&self, row: &[f64]) -> Result<(f64, f64, Vec<BoostedReason>), CreditError> {
        let phi = self.contributions(row)?;
        let margin = self.margin_unchecked(row);
        Ok((margin, logistic(margin), self.reasons_of(&phi)))
    }

    /// The model's row for a [`FeatureRecord`]: each feature's number, NaN when missing.
    ///
    /// # Errors
    ///
    /// [`CreditError::MissingVariable`] when the record lacks a feature and
    /// [`CreditError::UnusableColumn`] when it holds a category.
    pub fn row_of(&self, record: &FeatureRecord) -> Result<Vec<f64>, CreditError> {
        self.features
            .iter()
            .map(|name| match record.get(name) {
                Some(Value::Number(v)) => Ok(*v),
                Some(Value::Missing) => Ok(f64::NAN),
                Some(Value::Category(c)) => Err(CreditError::UnusableColumn {
                    name: name.clone(),
                    reason: format!("holds the category {c:?}; the boosted model needs numbers"),
                }),
                None => Err(CreditError::MissingVariable(name.clone())),
            })
            .collect()
    }

    /// The model's design matrix from a dataset (columns matched by name).
    ///
    /// # Errors
    ///
    /// [`CreditError::Schema`] for a missing column and [`CreditError::UnusableColumn`] for a
    /// categorical one.
    pub fn matrix_of(&self, data: &Dataset) -> Result<Array2<f64>, CreditError> {
        let mut x = Array2::from_elem((data.n_rows(), self.features.len()), f64::NAN);
        for (j, name) in self.features.iter().enumerate() {
            match data.column(name)? {
                Column::Numeric(v) => x.column_mut(j).assign(v),
                Column::Categorical(_) => {
                    return Err(CreditError::UnusableColumn {
                        name: name.clone(),
                        reason: "is categorical; the boosted model needs numbers".into(),
                    });
                }
            }
        }
        Ok(x)
    }
}

/// `1 / (1 + e^−m)`.
#[must_use]
pub(crate) fn logistic(m: f64) -> f64 {
    1.0 / (1.0 + (-m).exp())
}

impl PdModel for BoostedModel {
    fn model_id(&self) -> String {
        match &self.origin {
            Origin::Finkit => format!("finkit-boosted:{}", self.name),
            Origin::XGBoost { version } => format!("xgboost-{version}:{}", self.name),
        }
    }

    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        let m = self.margin(&self.row_of(record)?)?;
        Ok(Probability::new(logistic(m))?)
    }

    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        self.pds(self.matrix_of(data)?.view())
    }
}

#[cfg(test)]
mod forest_tests;
