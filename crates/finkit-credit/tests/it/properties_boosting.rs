//! Properties of the boosted trees: monotone constraints hold for every feature move, TreeSHAP
//! contributions sum to the margin, and a saved model reloads to the same predictions.

use finkit_credit::boosting::{BoostedModel, BoostingParams, Monotone};
use proptest::prelude::*;
use std::collections::BTreeMap;

const FEATURES: usize = 3;

/// A table whose default rate wiggles in every feature (so unconstrained trees would not be
/// monotone), with some missing cells.
fn table() -> impl Strategy<Value = (Vec<Vec<f64>>, Vec<f64>)> {
    (120usize..260, any::<u64>()).prop_map(|(n, seed)| {
        let mut s = seed;
        let mut u = move || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut cols: Vec<Vec<f64>> = (0..FEATURES).map(|_| Vec::with_capacity(n)).collect();
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let x: Vec<f64> = (0..FEATURES).map(|_| u() * 10.0 - 5.0).collect();
            let eta = x[0] - 2.0 * (x[1] * 1.3).sin() + 0.5 * x[2] * x[0].cos();
            y.push(f64::from(u8::from(u() < 1.0 / (1.0 + (-eta).exp()))));
            for (c, v) in cols.iter_mut().zip(x) {
                c.push(if u() < 0.05 { f64::NAN } else { v });
            }
        }
        // Both classes present.
        y[0] = 0.0;
        y[1] = 1.0;
        (cols, y)
    })
}

fn fit(cols: &[Vec<f64>], y: &[f64], signs: &[i8]) -> BoostedModel {
    let names: Vec<String> = (0..FEATURES).map(|j| format!("f{j}")).collect();
    let map: BTreeMap<String, i8> = names.iter().cloned().zip(signs.iter().copied()).collect();
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    BoostingParams::new()
        .trees(25)
        .learning_rate(0.3)
        .max_leaves(Some(8))
        .min_child_samples(3)
        .subsample(0.9)
        .monotone(Monotone::Signs(map))
        .build()
        .unwrap()
        .fit_columns(names, &refs, y)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn moving_a_constrained_feature_never_moves_the_pd_the_wrong_way(
        (cols, y) in table(),
        signs in proptest::collection::vec(-1i8..=1, FEATURES),
        base in proptest::collection::vec(prop_oneof![9 => -6.0f64..6.0, 1 => Just(f64::NAN)], FEATURES),
        grid in proptest::collection::vec(-7.0f64..7.0, 2..40),
    ) {
        prop_assume!(signs.iter().any(|&s| s != 0));
        let model = fit(&cols, &y, &signs);
        let mut grid = grid;
        grid.sort_by(f64::total_cmp);
        for (j, &sign) in signs.iter().enumerate() {
            if sign == 0 {
                continue;
            }
            let mut row = base.clone();
            let mut last: Option<f64> = None;
            for &v in &grid {
                row[j] = v;
                let m = model.margin(&row).unwrap();
                if let Some(prev) = last {
                    prop_assert!(
                        f64::from(sign) * (m - prev) >= 0.0,
                        "feature {j} sign {sign}: margin {prev} then {m} at {v}"
                    );
                }
                last = Some(m);
            }
        }
    }

    #[test]
    fn contributions_sum_to_the_margin_and_reload_is_exact((cols, y) in table(), row in proptest::collection::vec(prop_oneof![9 => -6.0f64..6.0, 1 => Just(f64::NAN)], FEATURES)) {
        let model = fit(&cols, &y, &[0, 0, 0]);
        let phi = model.contributions(&row).unwrap();
        let margin = model.margin(&row).unwrap();
        prop_assert!((phi.iter().sum::<f64>() - margin).abs() < 1e-10);
        prop_assert_eq!(phi[FEATURES], model.expected_margin());
        let back = BoostedModel::from_json(&model.to_json().unwrap()).unwrap();
        prop_assert_eq!(back.margin(&row).unwrap().to_bits(), margin.to_bits());
    }
}
