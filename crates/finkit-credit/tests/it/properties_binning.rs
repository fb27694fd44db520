//! Properties of the binning and the scorecard: invariance under row order, the requested
//! shape, IV ≥ 0, and the score monotone in the model's PD.

use finkit_credit::binning::{BinningParams, BinningProcessParams, FittedBinning, MonotonicTrend};
use finkit_credit::scorecard::{OddsDirection, PointsRounding, ScalingParams, Scorecard};
use finkit_credit::{FeatureRecord, PdModel};
use finkit_schema::{Column, Dataset};
use ndarray::{Array1, array};
use proptest::prelude::*;

/// Rows of (value with ties, category, target) with both classes present.
fn rows() -> impl Strategy<Value = Vec<(f64, usize, bool)>> {
    prop::collection::vec((0i32..40, 0usize..6, any::<bool>()), 40..300)
        .prop_filter("both classes", |v| v.iter().any(|r| r.2) && v.iter().any(|r| !r.2))
        .prop_filter("not constant", |v| {
            v.iter().any(|r| r.0 != v[0].0) && v.iter().any(|r| r.1 != v[0].1)
        })
        .prop_map(|v| v.into_iter().map(|(x, c, y)| (f64::from(x) / 4.0, c, y)).collect())
}

fn fit_num(params: BinningParams, rows: &[(f64, usize, bool)]) -> FittedBinning {
    let x: Array1<f64> = rows.iter().map(|r| r.0).collect();
    let y: Array1<f64> = rows.iter().map(|r| f64::from(u8::from(r.2))).collect();
    params.build().unwrap().fit_numeric("x", &x, &y).unwrap()
}

fn fit_cat(rows: &[(f64, usize, bool)]) -> FittedBinning {
    let x: Vec<Option<String>> = rows.iter().map(|r| Some(format!("c{}", r.1))).collect();
    let y: Array1<f64> = rows.iter().map(|r| f64::from(u8::from(r.2))).collect();
    BinningParams::new().build().unwrap().fit_categorical("c", &x, &y).unwrap()
}

fn rates(b: &FittedBinning) -> Vec<f64> {
    b.regular_bins().iter().map(|x| x.events as f64 / x.count as f64).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn invariant_under_row_permutation(
        (original, shuffled) in rows().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle()))
    ) {
        for trend in [MonotonicTrend::Auto, MonotonicTrend::Peak, MonotonicTrend::None] {
            let p = BinningParams::new().min_bin_share(0.1).trend(trend);
            prop_assert_eq!(fit_num(p.clone(), &original), fit_num(p, &shuffled));
        }
        prop_assert_eq!(fit_cat(&original), fit_cat(&shuffled));
    }

    #[test]
    fn shapes_hold_and_iv_is_non_negative(rows in rows(), share in 0.0f64..0.2, max_bins in 1usize..8) {
        let base = BinningParams::new().min_bin_share(share).max_bins(Some(max_bins)).prebins(12);
        for trend in [MonotonicTrend::Ascending, MonotonicTrend::Descending, MonotonicTrend::Auto,
                      MonotonicTrend::Peak, MonotonicTrend::Valley, MonotonicTrend::None] {
            let b = fit_num(base.clone().trend(trend), &rows);
            let r = rates(&b);
            prop_assert!(r.len() <= max_bins);
            let up = r.windows(2).all(|w| w[0] <= w[1]);
            let down = r.windows(2).all(|w| w[0] >= w[1]);
            match trend {
                MonotonicTrend::Ascending => prop_assert!(up, "{:?}", r),
                MonotonicTrend::Descending => prop_assert!(down, "{:?}", r),
                MonotonicTrend::Auto => prop_assert!(up || down, "{:?}", r),
                MonotonicTrend::Peak | MonotonicTrend::Valley => {
                    // One change of direction at most.
                    let signs: Vec<i8> = r.windows(2).map(|w| (w[1] - w[0]).signum() as i8)
                        .filter(|&s| s != 0).collect();
                    let changes = signs.windows(2).filter(|w| w[0] != w[1]).count();
                    prop_assert!(changes <= 1, "{:?}", r);
                    if let (Some(&first), true) = (signs.first(), changes == 1) {
                        let want = if trend == MonotonicTrend::Peak { 1 } else { -1 };
                        prop_assert_eq!(first, want, "{:?}", r);
                    }
                }
                _ => {}
            }
            prop_assert!(b.iv() >= 0.0);
            prop_assert!(b.bins().iter().all(|x| x.iv >= 0.0 && x.woe.is_finite()));
            b.validate().unwrap();
        }
        let c = fit_cat(&rows);
        prop_assert!(c.iv() >= 0.0);
        prop_assert!(rates(&c).windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn score_is_monotone_in_the_model_pd(
        rows in rows(),
        b0 in -2.0f64..1.0,
        b1 in -1.5f64..1.5,
        b2 in -1.5f64..1.5,
    ) {
        let x: Array1<f64> = rows.iter().map(|r| r.0).collect();
        let c: Vec<Option<String>> = rows.iter().map(|r| Some(format!("c{}", r.1))).collect();
        let y: Array1<f64> = rows.iter().map(|r| f64::from(u8::from(r.2))).collect();
        let data = Dataset::new(
            vec![("x".into(), Column::Numeric(x)), ("c".into(), Column::Categorical(c))],
            Some(("y".into(), y)),
        ).unwrap();
        let process = BinningProcessParams::new()
            .binning(BinningParams::new().min_bin_share(0.1))
            .build().unwrap().fit(&data).unwrap();
        let names: Vec<String> = process.selected().iter().map(|s| (*s).to_owned()).collect();
        let beta = array![b1, b2];
        let woe = process.transform(&data).unwrap().values;
        for rounding in [PointsRounding::None, PointsRounding::HalfEven] {
            let scaling = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad)
                .rounding(rounding).build().unwrap();
            let card = Scorecard::new(&process, b0, &beta, &scaling).unwrap();
            let scores = card.score_dataset(&data).unwrap();
            let pds = card.pd_batch(&data).unwrap();
            let mut model_pd: Vec<(f64, f64, f64)> = (0..data.n_rows()).map(|i| {
                let eta = b0 + beta[0] * woe[(i, 0)] + beta[1] * woe[(i, 1)];
                (1.0 / (1.0 + (-eta).exp()), scores[i], pds[i])
            }).collect();
            model_pd.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in model_pd.windows(2) {
                if rounding == PointsRounding::None {
                    // Higher model PD, lower (or equal) score.
                    prop_assert!(w[1].1 <= w[0].1 + 1e-9, "{:?}", w);
                }
                // The card's own PD always falls as its score rises.
                if w[1].1 > w[0].1 { prop_assert!(w[1].2 <= w[0].2); }
            }
            let r = FeatureRecord::from_dataset_row(&data, 0).unwrap();
            prop_assert_eq!(card.score(&r).unwrap(), scores[0]);
            prop_assert!(names.len() == 2);
        }
    }
}
