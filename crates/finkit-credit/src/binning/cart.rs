//! CART pre-binning: the split points of a best-first, Gini-impurity decision tree on one
//! numeric variable, as optbinning's default `prebinning_method="cart"` obtains them from
//! scikit-learn's `DecisionTreeClassifier(max_leaf_nodes, min_weight_fraction_leaf)`, followed
//! by optbinning's removal of pure pre-bins.
//!
//! Every quantity is computed from integer counts with scikit-learn's formulas in its operation
//! order, so impurities and improvements are bit-identical and the same split wins. As in
//! scikit-learn, the tree sees the values rounded to `f32` (its `DTYPE`), and its thresholds are
//! midpoints of those; as in optbinning, pre-bin counts then come from the original values
//! (`x ≥ split` goes right).

use super::optimize::Cell;

/// Values closer than this (after sorting, consecutive) are one value for the tree, as
/// scikit-learn's `FEATURE_THRESHOLD`.
const FEATURE_THRESHOLD: f64 = 1e-7;

/// A run of sorted values the tree cannot separate (as `f32`), with its counts.
struct Group {
    first: f64,
    last: f64,
    cell: Cell,
}

/// The value as scikit-learn's tree stores it (`float32`).
#[allow(clippy::cast_possible_truncation)]
fn as_tree_value(x: f64) -> f64 {
    f64::from(x as f32)
}

/// Gini impurity of a node, `1 − (good² + bad²) / n²` (scikit-learn's `Gini`, classes 0 then 1).
fn gini(cell: Cell) -> f64 {
    let (good, bad) = (cell.good as f64, cell.bad as f64);
    let n = good + bad;
    let sq = 0.0 + good * good + bad * bad;
    0.0 + (1.0 - sq / (n * n))
}

fn sub(a: Cell, b: Cell) -> Cell {
    Cell { bad: a.bad - b.bad, good: a.good - b.good }
}

/// A node's best split.
#[derive(Debug, Clone, Copy)]
struct Split {
    /// First group of the right child.
    pos: usize,
    improvement: f64,
    impurity_left: f64,
    impurity_right: f64,
}

/// A node of the frontier: groups `[lo, hi)` with their impurity and best split.
#[derive(Debug, Clone, Copy)]
struct Node {
    lo: usize,
    hi: usize,
    split: Split,
    /// Creation order (the tie rule of the frontier).
    id: usize,
}

/// The tree of one variable: prefix counts over groups and the stopping rules.
struct Tree<'a> {
    groups: &'a [Group],
    /// `prefix[g]` = counts of groups `0..g`.
    prefix: Vec<Cell>,
    /// The same prefix counts as floating-point numbers (exact: counts are below 2^53), for
    /// the split search: goods, bads, and rows.
    prefix_good: Vec<f64>,
    prefix_bad: Vec<f64>,
    prefix_rows: Vec<f64>,
    /// Total weight of the rows the tree is grown on.
    total: f64,
    /// scikit-learn's `min_weight_leaf`.
    min_leaf: f64,
}

impl Tree<'_> {
    fn cell(&self, lo: usize, hi: usize) -> Cell {
        sub(self.prefix[hi], self.prefix[lo])
    }

    /// scikit-learn's `BestFirstTreeBuilder._add_split_node` and `BestSplitter.node_split`:
    /// `None` when the node is a leaf.
    ///
    /// The positions that leave both children at least `min_leaf` rows form one range (the
    /// left count grows with the position); the proxy improvement of every position in it is
    /// computed branch-free into `proxies` (so the divisions vectorise), with the operations
    /// of [`gini`] in its order, and the first position of the largest proxy wins, as in
    /// scikit-learn's strictly-better scan.
    fn best_split(
        &self,
        lo: usize,
        hi: usize,
        impurity: f64,
        proxies: &mut Vec<f64>,
    ) -> Option<Split> {
        let node = self.cell(lo, hi);
        let n = node.count() as f64;
        // min_samples_split = 2 and min_samples_leaf = 1 (weights carry the leaf size).
        if node.count() < 2 || n < 2.0 * self.min_leaf || impurity <= f64::EPSILON {
            return None;
        }
        // Valid positions: n_left = rows[pos] − rows[lo] ≥ min_leaf and
        // n_right = rows[hi] − rows[pos] ≥ min_leaf, each monotone in `pos`.
        let rows = &self.prefix_rows;
        let first = lo + 1 + rows[lo + 1..hi].partition_point(|&r| r - rows[lo] < self.min_leaf);
        let end = lo + 1 + rows[lo + 1..hi].partition_point(|&r| rows[hi] - r >= self.min_leaf);
        if first >= end {
            return None;
        }
        let (g0, b0) = (self.prefix_good[lo], self.prefix_bad[lo]);
        let (node_good, node_bad) = (node.good as f64, node.bad as f64);
        proxies.clear();
        proxies.extend(self.prefix_good[first..end].iter().zip(&self.prefix_bad[first..end]).map(
            |(g, b)| {
                let (good_l, bad_l) = (g - g0, b - b0);
                let (good_r, bad_r) = (node_good - good_l, node_bad - bad_l);
                let (n_l, n_r) = (good_l + bad_l, good_r + bad_r);
                let gini_l = 0.0 + (1.0 - (0.0 + good_l * good_l + bad_l * bad_l) / (n_l * n_l));
                let gini_r = 0.0 + (1.0 - (0.0 + good_r * good_r + bad_r * bad_r) / (n_r * n_r));
                -n_r * gini_r - n_l * gini_l
            },
        ));
        let best = proxies.iter().fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m });
        let pos = first + proxies.iter().position(|&v| v == best)?;
        let left = self.cell(lo, pos);
        let right = sub(node, left);
        let (impurity_left, impurity_right) = (gini(left), gini(right));
        let (n_left, n_right) = (left.count() as f64, right.count() as f64);
        let improvement = (n / self.total)
            * (impurity - (n_right / n * impurity_right) - (n_left / n * impurity_left));
        // min_impurity_decrease = 0.
        if improvement + f64::EPSILON < 0.0 {
            return None;
        }
        Some(Split { pos, improvement, impurity_left, impurity_right })
    }
}

/// The split threshold scikit-learn puts between tree values `a < b`: `a/2 + b/2`, or `a` when
/// that rounds to `b` or overflows.
fn threshold(a: f64, b: f64) -> f64 {
    let t = a / 2.0 + b / 2.0;
    if t == b || t.is_infinite() { a } else { t }
}

/// CART pre-bins of the regular rows (`sorted` by value): at most `max_leaves` pre-bins, each
/// with at least `min_leaf_rows` rows (for the tree), then pure pre-bins (no event or no
/// non-event) merged away as optbinning does. Returns the pre-bin cells and the `k − 1` split
/// points.
///
/// `min_leaf_rows` is optbinning's `ceil(min_prebin_size · n)` over *all* rows (missing and
/// special included); as optbinning passes unit sample weights, scikit-learn compares leaf
/// weights with `min(0.5, min_leaf_rows / m) · m`, `m` the regular rows, computed in floating
/// point exactly so.
pub(crate) fn cart_prebins(
    sorted: &[(f64, bool)],
    max_leaves: usize,
    min_leaf_rows: u64,
) -> (Vec<Cell>, Vec<f64>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut prev = f64::NEG_INFINITY;
    for &(x, bad) in sorted {
        let x = as_tree_value(x);
        let one = if bad { Cell { bad: 1, good: 0 } } else { Cell { bad: 0, good: 1 } };
        match groups.last_mut() {
            Some(g) if x <= prev + FEATURE_THRESHOLD => {
                g.last = x;
                g.cell.bad += one.bad;
                g.cell.good += one.good;
            }
            _ => groups.push(Group { first: x, last: x, cell: one }),
        }
        prev = x;
    }
    let mut prefix = Vec::with_capacity(groups.len() + 1);
    let mut acc = Cell::default();
    prefix.push(acc);
    for g in &groups {
        acc.bad += g.cell.bad;
        acc.good += g.cell.good;
        prefix.push(acc);
    }
    let total = acc.count() as f64;
    let fraction = (min_leaf_rows as f64 / total).min(0.5);
    let prefix_good: Vec<f64> = prefix.iter().map(|c| c.good as f64).collect();
    let prefix_bad: Vec<f64> = prefix.iter().map(|c| c.bad as f64).collect();
    let prefix_rows: Vec<f64> = prefix.iter().map(|c| c.count() as f64).collect();
    let tree = Tree {
        groups: &groups,
        prefix,
        prefix_good,
        prefix_bad,
        prefix_rows,
        total,
        min_leaf: fraction * total,
    };
    let mut proxies: Vec<f64> = Vec::with_capacity(groups.len());

    // Best-first growth: the frontier node with the largest improvement is split next (ties:
    // the node created first), until max_leaves − 1 splits are made or no node can split.
    let mut cuts: Vec<usize> = Vec::new();
    let mut frontier: Vec<Node> = Vec::new();
    let mut next_id = 0;
    let mut push = |frontier: &mut Vec<Node>, lo: usize, hi: usize, impurity: f64| {
        if let Some(split) = tree.best_split(lo, hi, impurity, &mut proxies) {
            frontier.push(Node { lo, hi, split, id: next_id });
        }
        next_id += 1;
    };
    let g = tree.groups.len();
    push(&mut frontier, 0, g, gini(tree.cell(0, g)));
    while cuts.len() + 1 < max_leaves {
        let Some(best) = frontier
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| {
                a.split.improvement.total_cmp(&b.split.improvement).then_with(|| b.id.cmp(&a.id))
            })
            .map(|(i, _)| i)
        else {
            break;
        };
        let node = frontier.swap_remove(best);
        let s = node.split;
        cuts.push(s.pos);
        push(&mut frontier, node.lo, s.pos, s.impurity_left);
        push(&mut frontier, s.pos, node.hi, s.impurity_right);
    }
    cuts.sort_unstable();
    let mut splits: Vec<f64> =
        cuts.iter().map(|&c| threshold(tree.groups[c - 1].last, tree.groups[c].first)).collect();
    splits.dedup();
    let mut cells = digitize(sorted, &splits);
    // optbinning's `_compute_prebins` refinement, repeated until no pre-bin is pure: a pure
    // pre-bin loses its right split (the last pre-bin, or the one before it, its left one).
    while !splits.is_empty() && cells.iter().any(|c| c.bad == 0 || c.good == 0) {
        let k = splits.len();
        let pure = |i: usize| cells[i].bad == 0 || cells[i].good == 0;
        let keep: Vec<f64> = (0..k)
            .filter(|&i| !if i + 1 < k { pure(i) } else { pure(k - 1) || pure(k) })
            .map(|i| splits[i])
            .collect();
        splits = keep;
        cells = digitize(sorted, &splits);
    }
    (cells, splits)
}

/// Counts per bin of the sorted rows, bin = number of splits `≤ x` (numpy's `digitize`).
fn digitize(sorted: &[(f64, bool)], splits: &[f64]) -> Vec<Cell> {
    let mut cells = vec![Cell::default(); splits.len() + 1];
    let mut bin = 0;
    for &(x, bad) in sorted {
        while bin < splits.len() && x >= splits[bin] {
            bin += 1;
        }
        if bad {
            cells[bin].bad += 1;
        } else {
            cells[bin].good += 1;
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[(f64, bool)]) -> Vec<(f64, bool)> {
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }

    #[test]
    fn a_clean_step_is_found_at_the_midpoint() {
        let data: Vec<(f64, bool)> =
            (0..100).map(|i| (f64::from(i), (i >= 60) != (i % 10 == 3))).collect();
        let (cells, splits) = cart_prebins(&rows(&data), 2, 5);
        assert_eq!(splits, vec![59.5]);
        assert_eq!(cells, vec![Cell { bad: 6, good: 54 }, Cell { bad: 36, good: 4 }]);
    }

    #[test]
    fn leaves_respect_the_minimum_and_the_leaf_count() {
        let data: Vec<(f64, bool)> =
            (0..400).map(|i| (f64::from(i % 97), (i * 37) % 11 < 3 + i % 5)).collect();
        let (cells, splits) = cart_prebins(&rows(&data), 6, 40);
        assert!(cells.len() <= 6);
        assert_eq!(splits.len() + 1, cells.len());
        assert!(cells.iter().all(|c| c.count() >= 40 && c.bad > 0 && c.good > 0));
        assert_eq!(cells.iter().map(|c| c.count()).sum::<u64>(), 400);
        assert!(splits.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn near_equal_values_are_not_separated() {
        let data = [(1.0, false), (1.0 + 5e-8, true), (2.0, true), (2.0, true), (2.0, false)];
        let (_, splits) = cart_prebins(&rows(&data), 4, 1);
        let tree_value = f64::from((1.0_f64 + 5e-8) as f32);
        assert_eq!(splits, vec![tree_value / 2.0 + 1.0]);
    }

    #[test]
    fn thresholds_follow_scikit_learn() {
        assert_eq!(threshold(1.0, 2.0), 1.5);
        let a = 1.0_f64;
        let b = f64::from_bits(a.to_bits() + 1);
        assert_eq!(threshold(a, b), a, "scikit-learn's fallback");
        assert_eq!(threshold(-f64::MAX, f64::MAX), 0.0);
        assert_eq!(threshold(f64::MAX, f64::INFINITY), f64::MAX);
    }

    #[test]
    fn pure_prebins_are_merged_right() {
        // Groups: pure good, mixed, pure bad at the end.
        let mut data = Vec::new();
        for i in 0..30 {
            data.push((0.0, false));
            data.push((1.0, i % 2 == 0));
            data.push((2.0, true));
        }
        let (cells, _) = cart_prebins(&rows(&data), 3, 1);
        assert!(cells.iter().all(|c| c.bad > 0 && c.good > 0), "{cells:?}");
    }
}
