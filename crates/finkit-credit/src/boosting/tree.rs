//! One regression tree of a boosted model: binary splits `x < threshold` on `f32` thresholds,
//! a default direction for missing values, leaf values and node covers (hessian sums).

use crate::CreditError;

/// The marker of a leaf in [`Node::feature`].
pub(crate) const LEAF: u32 = u32::MAX;

/// The deepest tree a model may hold (trained trees are far shallower; a file with deeper
/// trees is refused, which bounds the TreeSHAP path buffers).
pub(crate) const MAX_TREE_DEPTH: usize = 64;

/// One node. A split sends a row left when `(x as f32) < threshold` and a missing `x` (NaN)
/// to the default side; a leaf has `feature == LEAF` and its value in `value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Node {
    /// Split feature index, or [`LEAF`].
    pub(crate) feature: u32,
    /// Split threshold; `x < threshold` goes left (XGBoost's convention, compared in `f32`).
    pub(crate) threshold: f32,
    /// Left child (split nodes).
    pub(crate) left: u32,
    /// Right child (split nodes).
    pub(crate) right: u32,
    /// Where a missing value goes.
    pub(crate) default_left: bool,
    /// Leaf value in margin (log-odds) units, learning rate applied; 0 for a split.
    pub(crate) value: f64,
    /// Sum of the training hessians that reached the node (TreeSHAP's cover).
    pub(crate) cover: f64,
}

impl Node {
    /// A leaf.
    pub(crate) fn leaf(value: f64, cover: f64) -> Node {
        Node { feature: LEAF, threshold: 0.0, left: 0, right: 0, default_left: false, value, cover }
    }

    /// Whether the node is a leaf.
    #[inline]
    pub(crate) fn is_leaf(&self) -> bool {
        self.feature == LEAF
    }

    /// The child a value goes to.
    #[inline]
    pub(crate) fn child(&self, x: f64) -> u32 {
        let left = if x.is_nan() { self.default_left } else { (x as f32) < self.threshold };
        if left { self.left } else { self.right }
    }
}

/// A regression tree; node 0 is the root and every child comes after its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub(crate) nodes: Vec<Node>,
}

impl Tree {
    /// Number of nodes (splits and leaves).
    #[must_use]
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Number of leaves.
    #[must_use]
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_leaf()).count()
    }

    /// The depth (a single leaf has depth 0).
    #[must_use]
    pub fn depth(&self) -> usize {
        depth_of(&self.nodes)
    }

    /// The leaf value reached by a row (features indexed as the model's).
    #[inline]
    pub(crate) fn leaf_value(&self, row: &[f64]) -> f64 {
        let mut i = 0usize;
        loop {
            let n = &self.nodes[i];
            if n.is_leaf() {
                return n.value;
            }
            i = n.child(row[n.feature as usize]) as usize;
        }
    }

    /// Checks the structure: children after parents, each node reached exactly once, features
    /// in range, finite values and non-negative finite covers, depth within the limit.
    pub(crate) fn validate(&self, n_features: usize, which: usize) -> Result<(), CreditError> {
        let bad = |msg: String| CreditError::InvalidModel(format!("tree {which}: {msg}"));
        if self.nodes.is_empty() {
            return Err(bad("has no nodes".into()));
        }
        let mut parents = vec![0u32; self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            if !n.value.is_finite() {
                return Err(bad(format!("node {i}: value {} is not finite", n.value)));
            }
            if !(n.cover.is_finite() && n.cover >= 0.0) {
                return Err(bad(format!("node {i}: cover {} must be finite and >= 0", n.cover)));
            }
            if n.is_leaf() {
                continue;
            }
            if n.feature as usize >= n_features {
                return Err(bad(format!(
                    "node {i}: feature index {} out of range (the model has {n_features})",
                    n.feature
                )));
            }
            if n.threshold.is_nan() {
                return Err(bad(format!("node {i}: the split threshold is NaN")));
            }
            for c in [n.left, n.right] {
                let c = c as usize;
                if c <= i || c >= self.nodes.len() {
                    return Err(bad(format!("node {i}: child {c} is not a later node")));
                }
                parents[c] += 1;
            }
        }
        if let Some(i) = parents.iter().skip(1).position(|&p| p != 1) {
            return Err(bad(format!(
                "node {} is reached {} times, not once",
                i + 1,
                parents[i + 1]
            )));
        }
        let depth = self.depth();
        if depth > MAX_TREE_DEPTH {
            return Err(bad(format!("depth {depth} exceeds the limit {MAX_TREE_DEPTH}")));
        }
        Ok(())
    }

    /// The cover-weighted mean leaf value below each node (XGBoost's `FillNodeMeanValue`: a
    /// node's mean is its children's means weighted by their covers, divided by its own cover).
    pub(crate) fn mean_values(&self) -> Vec<f64> {
        let mut mean = vec![0.0; self.nodes.len()];
        // Children come after parents, so a reverse sweep sees children first.
        for i in (0..self.nodes.len()).rev() {
            let n = &self.nodes[i];
            mean[i] = if n.is_leaf() {
                n.value
            } else {
                let (l, r) = (&self.nodes[n.left as usize], &self.nodes[n.right as usize]);
                let total = l.cover * mean[n.left as usize] + r.cover * mean[n.right as usize];
                if n.cover > 0.0 { total / n.cover } else { 0.0 }
            };
        }
        mean
    }
}

fn depth_of(nodes: &[Node]) -> usize {
    let mut depth = vec![0usize; nodes.len()];
    let mut max = 0;
    for (i, n) in nodes.iter().enumerate() {
        if !n.is_leaf() {
            for c in [n.left as usize, n.right as usize] {
                if c < nodes.len() && c > i {
                    depth[c] = depth[i] + 1;
                    max = max.max(depth[c]);
                }
            }
        }
    }
    max
}

#[cfg(test)]
/// A random tree (for tests) of the given depth over `p` features (so paths repeat features often),
/// from a small linear congruential stream.
pub(crate) fn random_tree(seed: u64, depth: usize, p: u32) -> Tree {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move || {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let mut nodes = Vec::new();
    // Breadth-first: node i at level < depth splits (sometimes a leaf early).
    let mut level = vec![(0usize, 0usize)];
    nodes.push(Node::leaf(0.0, 0.0));
    while let Some((i, d)) = level.pop() {
        if d == depth || (d > 0 && next() < 0.15) {
            nodes[i] = Node::leaf(next() * 2.0 - 1.0, 0.0);
            continue;
        }
        let (l, r) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node::leaf(0.0, 0.0));
        nodes.push(Node::leaf(0.0, 0.0));
        nodes[i] = Node {
            feature: (next() * f64::from(p)) as u32 % p,
            threshold: (next() * 2.0 - 1.0) as f32,
            left: l as u32,
            right: r as u32,
            default_left: next() < 0.5,
            value: 0.0,
            cover: 0.0,
        };
        level.push((l, d + 1));
        level.push((r, d + 1));
    }
    // Covers: leaves random, now and then zero (a branch no training row reached), splits
    // the sum of their children.
    for i in (0..nodes.len()).rev() {
        let n = nodes[i];
        nodes[i].cover = if n.is_leaf() {
            if next() < 0.1 { 0.0 } else { 0.01 + next() * 10.0 }
        } else {
            nodes[n.left as usize].cover + nodes[n.right as usize].cover
        };
    }
    Tree { nodes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump() -> Tree {
        Tree {
            nodes: vec![
                Node {
                    feature: 0,
                    threshold: 0.5,
                    left: 1,
                    right: 2,
                    default_left: false,
                    value: 0.0,
                    cover: 4.0,
                },
                Node::leaf(-1.0, 3.0),
                Node::leaf(2.0, 1.0),
            ],
        }
    }

    #[test]
    fn routes_by_f32_threshold_and_default_direction() {
        let t = stump();
        assert_eq!(t.leaf_value(&[0.4]), -1.0);
        assert_eq!(t.leaf_value(&[0.5]), 2.0);
        assert_eq!(t.leaf_value(&[f64::NAN]), 2.0);
        // 0.49999999999 rounds to 0.5 in f32: not below the threshold, as in XGBoost.
        assert_eq!(t.leaf_value(&[0.499_999_999_99]), 2.0);
        assert_eq!((t.depth(), t.n_leaves()), (1, 2));
        let mean = t.mean_values();
        assert!((mean[0] - (-3.0 + 2.0) / 4.0).abs() < 1e-15);
    }

    #[test]
    fn validation_refuses_broken_structures() {
        let t = stump();
        assert!(t.validate(1, 0).is_ok());
        assert!(t.validate(0, 0).unwrap_err().to_string().contains("out of range"));
        let mut cyclic = stump();
        cyclic.nodes[0].left = 0;
        assert!(cyclic.validate(1, 3).unwrap_err().to_string().contains("tree 3"));
        let mut shared = stump();
        shared.nodes[0].right = 1;
        assert!(shared.validate(1, 0).is_err());
        let mut nan = stump();
        nan.nodes[1].value = f64::NAN;
        assert!(nan.validate(1, 0).is_err());
    }
}
