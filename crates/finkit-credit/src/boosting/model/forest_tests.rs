//! The batch forest (trees of up to 64 leaves by leaf masks, larger ones node by node) gives
//! exactly the leaf values of the trees themselves.

use super::super::tree::{Tree, random_tree};
use super::*;

#[test]
fn every_layout_gives_each_tree_its_own_leaf() {
    let p = 5usize;
    // Depths 1..=10: the largest have more than MASK_LEAVES leaves and take the walk.
    let trees: Vec<Tree> =
        (0..60u64).map(|s| random_tree(s, 1 + (s % 10) as usize, p as u32)).collect();
    let forest = Forest::new(&trees, p);
    assert!(forest.scored.iter().any(Option::is_some) && forest.scored.iter().any(Option::is_none));
    // every mask width is exercised: u16, u32 and u64
    let leaves: Vec<u32> = forest.scored.iter().flatten().map(|s| s.n_leaves).collect();
    for (lo, hi) in [(1, 16), (17, 32), (33, 64)] {
        assert!(leaves.iter().any(|n| (lo..=hi).contains(n)), "{leaves:?}");
    }
    // Rows with missing values, values on thresholds, and values whose f32 overflows to ±inf.
    let mut rows: Vec<f64> = Vec::new();
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
        rows.extend(&row);
    }
    let mut block = Block::default();
    assert!(block.fill(&rows, p));
    assert_eq!(block.rows, 97);
    for (t, _) in trees.iter().enumerate() {
        let mut margins = vec![0.0; expected.len()];
        forest.add_tree(t, &block, &mut margins);
        for (r, m) in margins.iter().enumerate() {
            assert_eq!(*m, expected[r][t], "tree {t} row {r}");
        }
    }
}

#[test]
fn a_block_refuses_an_infinite_value() {
    let mut block = Block::default();
    assert!(block.fill(&[1.0, f64::NAN, 3.0, 4.0], 2));
    assert!(!block.fill(&[1.0, 2.0, f64::NEG_INFINITY, 4.0], 2));
}

#[test]
fn batch_margins_equal_row_margins_across_blocks() {
    let p = 6usize;
    let trees: Vec<Tree> =
        (0..40u64).map(|s| random_tree(100 + s, 1 + (s % 8) as usize, p as u32)).collect();
    let features: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    let model = BoostedModel::new("t".into(), features, 0.25, trees, vec![0; p], Origin::Finkit, 3)
        .expect("model");
    // 203 rows: several blocks, the last one short and its last group partly padded
    let x = Array2::from_shape_fn((203, p), |(i, j)| match (i * 5 + j * 7) % 13 {
        0 => f64::NAN,
        1 => 1e300,
        k => (k as f64 - 7.0) / 3.0,
    });
    let batch = model.margins(x.view()).expect("margins");
    for (i, row) in x.outer_iter().enumerate() {
        let one = model.margin(row.as_slice().expect("row")).expect("margin");
        assert_eq!(batch[i].to_bits(), one.to_bits(), "row {i}");
    }
    let mut bad = x.clone();
    bad[[150, 4]] = f64::NEG_INFINITY;
    bad[[170, 1]] = f64::INFINITY;
    match model.margins(bad.view()) {
        Err(CreditError::UnusableColumn { name, reason }) => {
            assert_eq!(name, "x4");
            assert!(reason.contains("row 150"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
