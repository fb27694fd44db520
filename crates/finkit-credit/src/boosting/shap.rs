//! Exact path-dependent TreeSHAP (Lundberg, Erion, Lee 2018, "Consistent individualized feature
//! attribution for tree ensembles", Algorithm 2).
//!
//! For one row and one tree it walks every root-to-leaf path once, keeping for the features on
//! the current path the proportion of all feature subsets that flow down it ("zero fraction":
//! the cover share, "one fraction": whether the row itself goes that way), and credits each
//! leaf's value to the path's features with the Shapley weights. The contributions of a row
//! plus the tree's expected value (the cover-weighted mean leaf) sum to the tree's output
//! exactly, up to rounding.

use super::tree::{MAX_TREE_DEPTH, Tree};

#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    feature: i64,
    zero_fraction: f64,
    one_fraction: f64,
    pweight: f64,
}

/// Reusable scratch space for one thread.
#[derive(Debug)]
pub(crate) struct ShapScratch {
    path: Vec<PathElement>,
}

impl ShapScratch {
    /// Space for trees up to `depth` deep.
    pub(crate) fn new(depth: usize) -> ShapScratch {
        let d = depth.min(MAX_TREE_DEPTH);
        ShapScratch { path: vec![PathElement::default(); (d + 2) * (d + 3) / 2 + 1] }
    }
}

fn extend(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: i64) {
    path[depth] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].pweight += one * path[i].pweight * (i + 1) as f64 / d1;
        path[i].pweight = zero * path[i].pweight * (depth - i) as f64 / d1;
    }
}

fn unwind(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].pweight;
            path[i].pweight = next_one * d1 / ((i + 1) as f64 * one);
            next_one = tmp - path[i].pweight * zero * (depth - i) as f64 / d1;
        } else {
            path[i].pweight = path[i].pweight * d1 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next_one * d1 / ((i + 1) as f64 * one);
            total += tmp;
            next_one = path[i].pweight - tmp * zero * ((depth - i) as f64 / d1);
        } else {
            total += (path[i].pweight / zero) / ((depth - i) as f64 / d1);
        }
    }
    total
}

struct Walk<'a> {
    tree: &'a Tree,
    row: &'a [f64],
    phi: &'a mut [f64],
    buffer: &'a mut [PathElement],
}

impl Walk<'_> {
    /// `parent` is the offset of the parent's path in the buffer and `depth` the number of
    /// elements it holds before this node's extension (as in the reference implementation,
    /// this node's path starts `depth + 1` elements after the parent's).
    fn recurse(
        &mut self,
        node: usize,
        parent: usize,
        mut depth: usize,
        zero: f64,
        one: f64,
        feature: i64,
    ) {
        // A branch that neither the row follows (`one == 0`) nor any training row reached
        // (`zero == 0`) carries the game 0 in every coalition: its leaves add nothing. Skipping
        // it is exact, and avoids the 0 / 0 that `unwound_sum` would meet there.
        if zero == 0.0 && one == 0.0 {
            return;
        }
        let start = parent + depth + 1;
        self.buffer.copy_within(parent..start, start);
        let path = &mut self.buffer[start..];
        extend(path, depth, zero, one, feature);
        let n = self.tree.nodes[node];
        if n.is_leaf() {
            for i in 1..=depth {
                let w = unwound_sum(path, depth, i);
                let el = path[i];
                self.phi[el.feature as usize] += w * (el.one_fraction - el.zero_fraction) * n.value;
            }
            return;
        }
        let hot = n.child(self.row[n.feature as usize]) as usize;
        let cold = if hot == n.left as usize { n.right as usize } else { n.left as usize };
        let cover = n.cover;
        let (hot_zero, cold_zero) = if cover > 0.0 {
            (self.tree.nodes[hot].cover / cover, self.tree.nodes[cold].cover / cover)
        } else {
            (0.0, 0.0)
        };
        let mut incoming_zero = 1.0;
        let mut incoming_one = 1.0;
        let split = i64::from(n.feature);
        if let Some(k) = (0..=depth).find(|&k| path[k].feature == split) {
            incoming_zero = path[k].zero_fraction;
            incoming_one = path[k].one_fraction;
            unwind(path, depth, k);
            depth -= 1;
        }
        self.recurse(hot, start, depth + 1, hot_zero * incoming_zero, incoming_one, split);
        self.recurse(cold, start, depth + 1, cold_zero * incoming_zero, 0.0, split);
    }
}

/// Adds the contributions of one tree for one row to `phi` (one entry per feature; the tree's
/// expected value is not added here). `depth` is the tree's depth.
pub(crate) fn tree_shap(
    tree: &Tree,
    depth: usize,
    row: &[f64],
    phi: &mut [f64],
    scratch: &mut ShapScratch,
) {
    let need = (depth + 2) * (depth + 3) / 2 + 1;
    if scratch.path.len() < need {
        scratch.path.resize(need, PathElement::default());
    }
    let mut walk = Walk { tree, row, phi, buffer: &mut scratch.path };
    walk.recurse(0, 0, 0, 1.0, 1.0, -1);
}

#[cfg(test)]
mod tests {
    use super::super::tree::Node;
    use super::*;

    fn split(feature: u32, threshold: f32, left: u32, cover: f64, default_left: bool) -> Node {
        Node { feature, threshold, left, right: left + 1, default_left, value: 0.0, cover }
    }

    /// A depth-3 tree over 3 features that splits on feature 0 twice on one path.
    fn tree() -> Tree {
        Tree {
            nodes: vec![
                split(0, 0.5, 1, 10.0, true),
                split(1, 1.0, 3, 6.0, false),
                split(2, -1.0, 5, 4.0, true),
                split(0, 0.0, 7, 4.0, false),
                Node::leaf(0.7, 2.0),
                Node::leaf(-0.2, 1.0),
                Node::leaf(1.3, 3.0),
                Node::leaf(-1.1, 1.5),
                Node::leaf(0.4, 2.5),
            ],
        }
    }

    /// E[f(x) | x_S] with the path-dependent (cover-weighted) expectation.
    fn conditional(t: &Tree, node: usize, x: &[f64], subset: u32) -> f64 {
        let n = t.nodes[node];
        if n.is_leaf() {
            return n.value;
        }
        if subset & (1 << n.feature) != 0 {
            return conditional(t, n.child(x[n.feature as usize]) as usize, x, subset);
        }
        let (l, r) = (n.left as usize, n.right as usize);
        (t.nodes[l].cover * conditional(t, l, x, subset)
            + t.nodes[r].cover * conditional(t, r, x, subset))
            / n.cover
    }

    fn factorial(k: u32) -> f64 {
        (1..=k).map(f64::from).product()
    }

    #[test]
    fn tree_shap_equals_brute_force_shapley_values() {
        let t = tree();
        let m = 3u32;
        for x in [[0.2, 0.5, 0.0], [0.7, 2.0, -3.0], [f64::NAN, 0.5, -2.0], [-1.0, f64::NAN, 5.0]] {
            let mut phi = vec![0.0; 3];
            let mut scratch = ShapScratch::new(t.depth());
            tree_shap(&t, t.depth(), &x, &mut phi, &mut scratch);
            for i in 0..m {
                let mut expected = 0.0;
                for s in 0..(1u32 << m) {
                    if s & (1 << i) != 0 {
                        continue;
                    }
                    let k = s.count_ones();
                    let w = factorial(k) * factorial(m - k - 1) / factorial(m);
                    expected +=
                        w * (conditional(&t, 0, &x, s | (1 << i)) - conditional(&t, 0, &x, s));
                }
                assert!(
                    (phi[i as usize] - expected).abs() < 1e-12,
                    "x {x:?} feature {i}: {} vs {expected}",
                    phi[i as usize]
                );
            }
            let total: f64 = phi.iter().sum::<f64>() + t.mean_values()[0];
            assert!((total - t.leaf_value(&x)).abs() < 1e-12);
        }
    }
}
