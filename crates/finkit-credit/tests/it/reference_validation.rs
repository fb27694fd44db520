//! Validation metrics against the split model's reference metrics (`model_split.json`), computed
//! from the PDs and scores of `scores_split.csv`.

use crate::common;

use common::tolerance::{BINOMIAL_P_ABS, HOSMER_LEMESHOW_ABS, METRIC_ABS};
use common::{assert_abs, data_path, read_json};
use finkit_credit::CreditError;
use finkit_credit::validation::{
    CutoffRule, EmptyBinPolicy, PsiBinning, PsiParams, RiskOrder, auc, binomial_test, brier,
    confusion, gini, grade_tests, hosmer_lemeshow, jeffreys_test, ks, log_loss, psi,
    stability_from_counts,
};
use ndarray::{Array1, array};
use serde_json::Value;

struct Split {
    bad: Array1<f64>,
    pd: Array1<f64>,
    score: Array1<f64>,
}

fn load() -> (Split, Split) {
    let mut reader = csv::Reader::from_path(data_path("scores_split.csv")).unwrap();
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let r = record.unwrap();
        let row = (
            r[2].parse::<f64>().unwrap(),
            r[3].parse::<f64>().unwrap(),
            r[4].parse::<f64>().unwrap(),
        );
        match &r[1] {
            "train" => train.push(row),
            "test" => test.push(row),
            other => panic!("unknown split {other}"),
        }
    }
    let make = |rows: Vec<(f64, f64, f64)>| Split {
        bad: rows.iter().map(|r| r.0).collect(),
        pd: rows.iter().map(|r| r.1).collect(),
        score: rows.iter().map(|r| r.2).collect(),
    };
    (make(train), make(test))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn discrimination_and_accuracy_match() {
    let (train, test) = load();
    let reference = read_json("model_split.json");
    let m = &reference["test_metrics_on_pd"];
    let order = RiskOrder::HigherIsRiskier;
    let checks = [
        ("test auc", auc(&test.pd, &test.bad, order).unwrap(), f(&m["auc"])),
        ("test gini", gini(&test.pd, &test.bad, order).unwrap(), f(&m["gini"])),
        ("test ks", ks(&test.pd, &test.bad).unwrap(), f(&m["ks"])),
        ("test brier", brier(&test.pd, &test.bad).unwrap(), f(&m["brier"])),
        ("test log-loss", log_loss(&test.pd, &test.bad).unwrap(), f(&m["log_loss"])),
        (
            "test auc on score",
            auc(&test.score, &test.bad, RiskOrder::HigherIsSafer).unwrap(),
            f(&m["auc_on_score"]),
        ),
        ("test ks on score", ks(&test.score, &test.bad).unwrap(), f(&m["ks_on_score"])),
        (
            "train auc",
            auc(&train.pd, &train.bad, order).unwrap(),
            f(&reference["train_metrics_on_pd"]["auc"]),
        ),
        (
            "train ks",
            ks(&train.pd, &train.bad).unwrap(),
            f(&reference["train_metrics_on_pd"]["ks"]),
        ),
    ];
    for (what, got, want) in checks {
        eprintln!("{what}: {got} vs {want}, |diff| {:e}", (got - want).abs());
        assert_abs(what, got, want, METRIC_ABS);
    }
}

#[test]
fn psi_matches_edges_counts_and_value() {
    let (train, test) = load();
    let reference = read_json("model_split.json");
    for (key, expected, actual) in [
        ("psi_score_train_vs_test", &train.score, &test.score),
        ("psi_pd_train_vs_test", &train.pd, &test.pd),
    ] {
        let want = &reference[key];
        let got = psi(expected, actual, &PsiParams::default()).unwrap();
        let edges: Vec<f64> =
            want["edges_right_closed"].as_array().unwrap().iter().map(f).collect();
        assert_eq!(got.edges, edges, "{key} edges (numpy's linear quantile, bit for bit)");
        let counts = |k: &str| -> Vec<usize> {
            want[k].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
        };
        assert_eq!(got.expected_counts, counts("expected_counts"), "{key}");
        assert_eq!(got.actual_counts, counts("actual_counts"), "{key}");
        for (t, w) in got.terms.iter().zip(want["terms"].as_array().unwrap()) {
            assert_abs("psi term", *t, f(w), METRIC_ABS);
        }
        eprintln!(
            "{key}: {} vs {}, |diff| {:e}",
            got.value,
            f(&want["psi"]),
            (got.value - f(&want["psi"])).abs()
        );
        assert_abs(key, got.value, f(&want["psi"]), METRIC_ABS);
        // The same bins as user edges give the same index.
        let again = psi(
            expected,
            actual,
            &PsiParams { binning: PsiBinning::Edges(edges), ..PsiParams::default() },
        )
        .unwrap();
        assert_eq!(again.value, got.value);
    }
}

#[test]
fn hosmer_lemeshow_matches() {
    let (_, test) = load();
    let want = &read_json("model_split.json")["hosmer_lemeshow_test"];
    let got = hosmer_lemeshow(&test.pd, &test.bad, 10).unwrap();
    assert_eq!(got.df, 8);
    for (g, w) in got.groups.iter().zip(want["groups"].as_array().unwrap()) {
        assert_eq!(g.n as u64, w["n"].as_u64().unwrap());
        assert_eq!(g.observed as u64, w["observed_bad"].as_u64().unwrap());
        assert_abs("expected bad", g.expected, f(&w["expected_bad"]), HOSMER_LEMESHOW_ABS);
    }
    eprintln!(
        "HL statistic {} vs {} (|diff| {:e}); p {} vs {} (|diff| {:e})",
        got.statistic,
        f(&want["statistic"]),
        (got.statistic - f(&want["statistic"])).abs(),
        got.p_value,
        f(&want["p_value"]),
        (got.p_value - f(&want["p_value"])).abs()
    );
    assert_abs("HL statistic", got.statistic, f(&want["statistic"]), HOSMER_LEMESHOW_ABS);
    assert_abs("HL p value", got.p_value, f(&want["p_value"]), HOSMER_LEMESHOW_ABS);
}

#[test]
fn grade_binomial_tests_match() {
    let (_, test) = load();
    let want = &read_json("model_split.json")["grades_test_binomial"];
    let edges: Vec<f64> =
        want["score_edges_right_closed"].as_array().unwrap().iter().map(f).collect();
    // Grade 0 holds the lowest scores (right-closed bins on the score).
    let grades: Vec<usize> = test.score.iter().map(|s| edges.partition_point(|e| e < s)).collect();
    let got = grade_tests(&grades, &test.pd, &test.bad).unwrap();
    let mut max_diff: f64 = 0.0;
    for (g, w) in got.iter().zip(want["grades"].as_array().unwrap()) {
        assert_eq!(g.grade as u64, w["grade"].as_u64().unwrap());
        assert_eq!(g.n as u64, w["n"].as_u64().unwrap());
        assert_eq!(g.defaults as u64, w["defaults"].as_u64().unwrap());
        assert_abs("mean pd", g.mean_pd, f(&w["mean_pd"]), METRIC_ABS);
        assert_abs("binomial p", g.binomial_p, f(&w["binom_p_greater"]), BINOMIAL_P_ABS);
        max_diff = max_diff.max((g.binomial_p - f(&w["binom_p_greater"])).abs());
        assert!((0.0..=1.0).contains(&g.jeffreys_p));
    }
    eprintln!("grade binomial p: max |diff| {max_diff:e}");
}

#[test]
fn jeffreys_is_the_beta_posterior_cdf() {
    // With 0 defaults the Jeffreys posterior is Beta(½, n + ½); its cdf at the PD is above ½ for
    // a PD at the posterior median, and monotone in the PD.
    let a = jeffreys_test(50, 0, 0.001).unwrap();
    let b = jeffreys_test(50, 0, 0.01).unwrap();
    assert!(a < b);
    // Larger defaults at the same PD make the PD look too low (smaller p).
    assert!(jeffreys_test(100, 10, 0.05).unwrap() < jeffreys_test(100, 5, 0.05).unwrap());
    assert!(binomial_test(100, 10, 0.05).unwrap() < binomial_test(100, 5, 0.05).unwrap());
}

#[test]
fn confusion_counts() {
    let (_, test) = load();
    let c = confusion(&test.pd, &test.bad, 0.5, CutoffRule::AtOrAbove).unwrap();
    assert_eq!(c.true_positive + c.false_negative, 90);
    assert_eq!(c.false_positive + c.true_negative, 210);
    let manual = test.pd.iter().zip(&test.bad).filter(|(p, y)| **p >= 0.5 && **y == 1.0).count();
    assert_eq!(c.true_positive, manual);
}

#[test]
fn bad_input_is_a_typed_error() {
    let order = RiskOrder::HigherIsRiskier;
    let empty = Array1::<f64>::zeros(0);
    assert!(matches!(auc(&empty, &empty, order), Err(CreditError::Empty(_))));
    assert!(matches!(
        auc(&array![0.1, 0.2], &array![1.0], order),
        Err(CreditError::LengthMismatch { .. })
    ));
    assert!(matches!(
        auc(&array![0.1, 0.2], &array![1.0, 1.0], order),
        Err(CreditError::InvalidTarget(_))
    ));
    assert!(matches!(
        ks(&array![0.1, 0.2], &array![1.0, f64::NAN]),
        Err(CreditError::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        auc(&array![0.1, f64::NAN], &array![1.0, 0.0], order),
        Err(CreditError::NonFinite { .. })
    ));
    assert!(matches!(
        brier(&array![0.1, 1.5], &array![1.0, 0.0]),
        Err(CreditError::InvalidParameter { .. })
    ));
    assert!(matches!(
        log_loss(&array![0.0, 0.5], &array![1.0, 0.0]),
        Err(CreditError::InvalidParameter { .. })
    ));
    assert!(matches!(
        hosmer_lemeshow(&array![0.1, 0.2], &array![1.0, 0.0], 10),
        Err(CreditError::InvalidParameter { .. })
    ));
    assert!(matches!(binomial_test(10, 11, 0.1), Err(CreditError::InvalidParameter { .. })));
    assert!(matches!(binomial_test(0, 0, 0.1), Err(CreditError::Empty(_))));
    assert!(matches!(
        psi(
            &array![1.0, 2.0],
            &array![1.0],
            &PsiParams { binning: PsiBinning::Edges(vec![2.0, 1.0]), ..PsiParams::default() }
        ),
        Err(CreditError::InvalidParameter { .. })
    ));
    assert!(matches!(
        stability_from_counts(&[10, 0], &[5, 5], EmptyBinPolicy::Error),
        Err(CreditError::InvalidParameter { .. })
    ));
    let floored = stability_from_counts(&[10, 0], &[5, 5], EmptyBinPolicy::Floor(1e-4)).unwrap();
    assert!(floored.value.is_finite() && floored.value > 0.0);
}
