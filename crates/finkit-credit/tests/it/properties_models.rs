//! Properties of the logistic fit, the validation metrics and the master scale.

use finkit_credit::master_scale::{CalibrationMethod, MasterScale, ScoreCalibration};
use finkit_credit::validation::{RiskOrder, auc, ks};
use finkit_credit::{CreditError, LogisticParams};
use ndarray::{Array1, Array2};
use proptest::prelude::*;

/// Scores with a 0/1 target holding both classes.
fn scored() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (2usize..60).prop_flat_map(|n| {
        (
            proptest::collection::vec(-50.0f64..50.0, n),
            proptest::collection::vec(prop::bool::ANY, n),
        )
            .prop_filter("both classes", |(_, y)| y.iter().any(|b| *b) && y.iter().any(|b| !*b))
            .prop_map(|(s, y)| {
                // Round to create ties on purpose.
                let s = s.into_iter().map(|v| (v * 2.0).round() / 2.0).collect();
                (s, y.into_iter().map(|b| f64::from(u8::from(b))).collect())
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn separable_data_is_the_typed_error(
        xs in proptest::collection::vec(-10.0f64..10.0, 4..40),
        cut in -5.0f64..5.0,
        slope in prop_oneof![Just(1.0), Just(-1.0)],
    ) {
        let xs: Vec<f64> = xs.into_iter().filter(|x| (x - cut).abs() > 1e-3).collect();
        let y: Vec<f64> = xs.iter().map(|x| f64::from(u8::from(slope * (x - cut) > 0.0))).collect();
        prop_assume!(y.contains(&1.0) && y.contains(&0.0));
        let x = Array2::from_shape_vec((xs.len(), 1), xs.clone()).unwrap();
        let result = LogisticParams::new().fit(&x, &Array1::from(y.clone()));
        prop_assert!(matches!(result, Err(CreditError::Separation(_))), "{:?}", result);
        // The penalised fit exists and is finite.
        let model = LogisticParams::new().l2(1.0).fit(&x, &Array1::from(y)).unwrap();
        prop_assert!(model.params().iter().all(|b| b.is_finite()));
    }

    #[test]
    fn overlapping_classes_are_fitted(
        xs in proptest::collection::vec(-10.0f64..10.0, 0..40),
        ys in proptest::collection::vec(prop::bool::ANY, 40),
    ) {
        // Both classes at the smallest and the largest x: no separating direction exists, so
        // the maximum-likelihood estimate exists and must be found (no false separation).
        let mut x = xs.clone();
        let mut y: Vec<f64> = ys.iter().take(xs.len()).map(|b| f64::from(u8::from(*b))).collect();
        x.extend([-11.0, -11.0, 11.0, 11.0]);
        y.extend([0.0, 1.0, 0.0, 1.0]);
        let x = Array2::from_shape_vec((x.len(), 1), x).unwrap();
        let model = LogisticParams::new().fit(&x, &Array1::from(y)).unwrap();
        prop_assert!(model.params().iter().chain(model.std_errors().iter()).all(|v| v.is_finite()));
    }

    #[test]
    fn auc_is_a_probability_and_rank_invariant((s, y) in scored()) {
        let s = Array1::from(s);
        let y = Array1::from(y);
        let a = auc(&s, &y, RiskOrder::HigherIsRiskier).unwrap();
        prop_assert!((0.0..=1.0).contains(&a));
        // Strictly increasing transforms keep the AUC and KS exactly.
        let t1 = s.mapv(|v| (v / 10.0).exp());
        let t2 = s.mapv(|v| 3.0 * v - 7.0);
        let t3 = s.mapv(|v| v.powi(3));
        for t in [&t1, &t2, &t3] {
            prop_assert_eq!(auc(t, &y, RiskOrder::HigherIsRiskier).unwrap(), a);
            prop_assert_eq!(ks(t, &y).unwrap(), ks(&s, &y).unwrap());
        }
        // A decreasing transform with the opposite order gives the same AUC.
        let neg = s.mapv(|v| -v);
        prop_assert_eq!(auc(&neg, &y, RiskOrder::HigherIsSafer).unwrap(), a);
        prop_assert!((auc(&s, &y, RiskOrder::HigherIsSafer).unwrap() - (1.0 - a)).abs() < 1e-15);
        // Brute-force Mann–Whitney.
        let (mut wins, mut pairs) = (0.0, 0.0);
        for i in 0..s.len() {
            for j in 0..s.len() {
                if y[i] == 1.0 && y[j] == 0.0 {
                    pairs += 1.0;
                    wins += if s[i] > s[j] { 1.0 } else if s[i] == s[j] { 0.5 } else { 0.0 };
                }
            }
        }
        prop_assert!((a - wins / pairs).abs() < 1e-14);
    }

    #[test]
    fn master_scale_grade_is_monotone_in_pd(mut pds in proptest::collection::vec(0.0f64..=1.0, 2..100)) {
        pds.sort_by(f64::total_cmp);
        let scale = MasterScale::default();
        let grades: Vec<usize> = pds.iter().map(|p| scale.grade_index(*p).unwrap()).collect();
        prop_assert!(grades.windows(2).all(|w| w[0] <= w[1]));
        for (p, g) in pds.iter().zip(&grades) {
            let grade = &scale.grades()[*g];
            prop_assert!(*g == 0 || *p >= grade.lower);
            prop_assert!(*p < grade.upper || *g == scale.grades().len() - 1);
        }
    }

    #[test]
    fn calibrated_pd_is_monotone_in_score((s, y) in scored()) {
        let s = Array1::from(s);
        let y = Array1::from(y);
        let cal = ScoreCalibration::fit(&s, &y, CalibrationMethod::Isotonic { order: RiskOrder::HigherIsSafer }).unwrap();
        let mut grid: Vec<f64> = (-60..=60).map(f64::from).collect();
        grid.sort_by(f64::total_cmp);
        let pd: Vec<f64> = grid.iter().map(|v| cal.pd(*v).unwrap()).collect();
        prop_assert!(pd.windows(2).all(|w| w[0] >= w[1] - 1e-15));
        prop_assert!(pd.iter().all(|p| (0.0..=1.0).contains(p)));
    }
}
