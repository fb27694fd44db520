//! The fitted (or imported) boosted model: margins, PDs, TreeSHAP contributions, reason codes.

use finkit_schema::{Column, Dataset, Probability};
use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

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

/// Rows per block of batch prediction: 64 rows as `f32` (16 KiB at 64 features) stay in the
/// first-level cache while every tree passes over them.
const PREDICT_ROWS: usize = 64;

/// A compact copy of the trees for batch prediction: 16-byte nodes in one array.
#[derive(Debug, Clone, PartialEq, Default)]
struct Forest {
    nodes: Vec<FlatNode>,
    /// Each tree's root in `nodes`.
    roots: Vec<u32>,
    /// Leaf values, indexed by a leaf's `left`.
    leaves: Vec<f64>,
    /// Per tree: its complete (padded) form when the tree is at most [`COMPLETE_DEPTH`] deep.
    complete: Vec<Option<Complete>>,
    /// The splits of the complete trees, each tree's in heap order (children of `i` at
    /// `2i + 1` and `2i + 2`).
    splits: Vec<HeapSplit>,
    /// The leaves of the complete trees, left to right.
    heap_leaves: Vec<f64>,
}

/// Rows walked side by side through a complete tree.
const LANES: usize = 8;

/// The deepest tree walked in its complete form (`2^d` leaves).
const COMPLETE_DEPTH: u32 = 8;

/// Where a complete tree lives in [`Forest::splits`] and [`Forest::heap_leaves`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Complete {
    depth: u32,
    splits: u32,
    leaves: u32,
}

/// A split of a complete tree: `x < threshold` goes left, a missing `x` goes left when
/// `default_left`. A leaf above the full depth becomes splits that send every row left
/// (threshold +∞, default left) over copies of its value, so every row takes exactly `depth`
/// steps and the walk needs no branch.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HeapSplit {
    feature: u32,
    threshold: f32,
    default_left: bool,
}

impl Complete {
    /// Lays `tree` out complete, or `None` when it is deeper than [`COMPLETE_DEPTH`].
    fn build(tree: &Tree, splits: &mut Vec<HeapSplit>, leaves: &mut Vec<f64>) -> Option<Self> {
        let depth = u32::try_from(tree.depth()).ok().filter(|&d| d <= COMPLETE_DEPTH)?;
        let c = Complete { depth, splits: splits.len() as u32, leaves: leaves.len() as u32 };
        let inner = (1usize << depth) - 1;
        let always_left = HeapSplit { feature: 0, threshold: f32::INFINITY, default_left: true };
        splits.resize(splits.len() + inner, always_left);
        leaves.resize(leaves.len() + inner + 1, 0.0);
        // (node of the tree, heap position, level); a leaf above the last level fills both
        // sides below it with its value, so even a row whose `f32` value overflows to +∞
        // (and so goes right at a padding split) finds the same leaf.
        let mut stack = vec![(0usize, 0usize, 0u32)];
        while let Some((node, h, level)) = stack.pop() {
            let n = tree.nodes[node];
            if level == depth {
                leaves[c.leaves as usize + h - inner] = n.value;
                continue;
            }
            if n.is_leaf() {
                stack.push((node, 2 * h + 1, level + 1));
                stack.push((node, 2 * h + 2, level + 1));
            } else {
                splits[c.splits as usize + h] = HeapSplit {
                    feature: n.feature,
                    threshold: n.threshold,
                    default_left: n.default_left,
                };
                stack.push((n.left as usize, 2 * h + 1, level + 1));
                stack.push((n.right as usize, 2 * h + 2, level + 1));
            }
        }
        Some(c)
    }
}

/// A split (`feature`, with [`FlatNode::DEFAULT_LEFT`] set when a missing value goes left) or a
/// leaf (`feature == LEAF`, `left` = index of its value).
#[derive(Debug, Clone, Copy, PartialEq)]
struct FlatNode {
    feature: u32,
    threshold: f32,
    left: u32,
    right: u32,
}

impl FlatNode {
    const DEFAULT_LEFT: u32 = 1 << 31;
}

impl Forest {
    fn new(trees: &[Tree]) -> Forest {
        let mut f = Forest::default();
        for t in trees {
            let complete = Complete::build(t, &mut f.splits, &mut f.heap_leaves);
            f.complete.push(complete);
            let base = f.nodes.len() as u32;
            f.roots.push(base);
            for n in &t.nodes {
                f.nodes.push(if n.is_leaf() {
                    f.leaves.push(n.value);
                    FlatNode {
                        feature: super::tree::LEAF,
                        threshold: 0.0,
                        left: (f.leaves.len() - 1) as u32,
                        right: 0,
                    }
                } else {
                    FlatNode {
                        feature: n.feature
                            | if n.default_left { FlatNode::DEFAULT_LEFT } else { 0 },
                        threshold: n.threshold,
                        left: base + n.left,
                        right: base + n.right,
                    }
                });
            }
        }
        f
    }

    /// Adds tree `t`'s leaf values to the margins of a block of `f32` rows of `p` features.
    #[inline]
    fn add_tree(&self, t: usize, rows: &[f32], p: usize, margins: &mut [f64]) {
        match self.complete[t] {
            Some(c) => {
                let splits = &self.splits[c.splits as usize..];
                let leaves = &self.heap_leaves[c.leaves as usize..];
                let inner = (1usize << c.depth) - 1;
                // NaN compares false, so `left` is the default direction exactly for a missing
                // value: no branch on the data.
                let step = |h: usize, row: &[f32]| {
                    let s = splits[h];
                    let x = row[s.feature as usize];
                    let left = (x < s.threshold) | (x.is_nan() & s.default_left);
                    2 * h + 2 - usize::from(left)
                };
                // Eight rows walk side by side, so their independent chains of loads overlap.
                let mut groups = margins.chunks_exact_mut(LANES).zip(rows.chunks_exact(LANES * p));
                for (m, block) in &mut groups {
                    let mut h = [0usize; LANES];
                    for _ in 0..c.depth {
                        for (r, h) in h.iter_mut().enumerate() {
                            *h = step(*h, &block[r * p..(r + 1) * p]);
                        }
                    }
                    for (m, h) in m.iter_mut().zip(h) {
                        *m += leaves[h - inner];
                    }
                }
                let done = margins.len() / LANES * LANES;
                for (m, row) in margins[done..].iter_mut().zip(rows[done * p..].chunks_exact(p)) {
                    let mut h = 0usize;
                    for _ in 0..c.depth {
                        h = step(h, row);
                    }
                    *m += leaves[h - inner];
                }
            }
            None => {
                for (m, row) in margins.iter_mut().zip(rows.chunks_exact(p)) {
                    *m += self.leaf_value(t, row);
                }
            }
        }
    }

    /// The leaf value of tree `t` for a row of `f32` features (the comparison
    /// [`super::tree::Node::child`] makes, on the same `f32` value).
    #[inline]
    fn leaf_value(&self, t: usize, row: &[f32]) -> f64 {
        let mut i = self.roots[t] as usize;
        loop {
            let n = self.nodes[i];
            if n.feature == super::tree::LEAF {
                return self.leaves[n.left as usize];
            }
            let x = row[(n.feature & !FlatNode::DEFAULT_LEFT) as usize];
            let left =
                if x.is_nan() { n.feature & FlatNode::DEFAULT_LEFT != 0 } else { x < n.threshold };
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
        let trees_for_forest = &trees;
        let forest = Forest::new(trees_for_forest);
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
        if let Some(i) = data.iter().position(|v| v.is_infinite()) {
            let (r, j) = (i / p, i % p);
            return Err(CreditError::UnusableColumn {
                name: self.features[j].clone(),
                reason: format!("value {} at row {r} is not finite (use NaN for missing)", data[i]),
            });
        }
        let mut out = vec![self.base_margin; x.nrows()];
        let trees = self.forest.roots.len();
        out.par_chunks_mut(PREDICT_ROWS).zip(data.par_chunks(PREDICT_ROWS * p)).for_each_init(
            || Vec::with_capacity(PREDICT_ROWS * p),
            |block, (o, rows)| {
                // The block as f32 (every split compares `x as f32`, so nothing changes), then
                // tree-major: a tree stays in cache while the block's rows pass; each row still
                // sums its trees in model order.
                block.clear();
                block.extend(rows.iter().map(|&v| v as f32));
                for t in 0..trees {
                    self.forest.add_tree(t, block, p, o);
                }
            },
        );
        Ok(Array1::from(out))
    }

    /// PDs of many rows ([`BoostedModel::margins`] through the logistic function).
    ///
    /// # Errors
    ///
    /// As [`BoostedModel::margins`].
    pub fn pds(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>, CreditError> {
        Ok(self.margins(x)?.mapv(logistic))
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
