//! The batch forest (complete trees walked without branches, deeper trees node by node) gives
//! exactly the leaf values of the trees themselves.

use super::super::tree::{Tree, random_tree};
use super::*;

#[test]
fn every_layout_gives_each_tree_its_own_leaf() {
    let p = 5usize;
    // Depths 1..=10: the deepest ones exceed COMPLETE_DEPTH and take the node-by-node walk.
    let trees: Vec<Tree> =
        (0..60u64).map(|s| random_tree(s, 1 + (s % 10) as usize, p as u32)).collect();
    let forest = Forest::new(&trees);
    assert!(
        forest.complete.iter().any(Option::is_some) && forest.complete.iter().any(Option::is_none)
    );
    // Rows with missing values, values on thresholds, and values whose f32 overflows to ±inf.
    let mut rows: Vec<f32> = Vec::new();
    let mut expected: Vec<Vec<f64>> = Vec::new();
    for r in 0..97u64 {
        let row: Vec<f64> = (0..p as u64)
            .map(|f| match (r * 7 + f * 3) % 11 {
                0 => f64::NAN,
                1 => 1e300,
                2 => -1e300,
                k => (k as f64 - 6.0) / 4.0,
            })
            .collect();
        expected.push(trees.iter().map(|t| t.leaf_value(&row)).collect());
        rows.extend(row.iter().map(|&v| v as f32));
    }
    for (t, _) in trees.iter().enumerate() {
        let mut margins = vec![0.0; expected.len()];
        forest.add_tree(t, &rows, p, &mut margins);
        for (r, m) in margins.iter().enumerate() {
            assert_eq!(*m, expected[r][t], "tree {t} row {r}");
        }
    }
}
