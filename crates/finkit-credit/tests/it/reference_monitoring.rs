//! Monitoring statistics against independent references (tests/data/monitoring_reference.json,
//! provenance in tests/data/PROVENANCE.md): DeLong AUC, CI and the paired test, Jeffreys and
//! binomial p values, Spiegelhalter's test; and the monitoring report's bad-input errors.

use crate::common;
use crate::german;

use common::tolerance::{BINOMIAL_P_ABS, DELONG_ABS, JEFFREYS_P_ABS, SPIEGELHALTER_ABS};
use common::{assert_abs, read_json};
use finkit_credit::CreditError;
use finkit_credit::monitoring::{
    MonitoringParams, Verdict, auc_delong, delong_test, monitor_scorecard, outcome_tests,
    spiegelhalter,
};
use finkit_credit::validation::{RiskOrder, binomial_test, jeffreys_test};
use ndarray::Array1;
use serde_json::Value;

fn array(v: &Value, key: &str) -> Array1<f64> {
    v[key].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap()
}

#[test]
fn delong_matches_the_reference() {
    let r = read_json("monitoring_reference.json");
    let (y, a, b) = (array(&r, "y"), array(&r, "a"), array(&r, "b"));
    for (key, scores, level) in
        [("delong_a", &a, 0.95), ("delong_b", &b, 0.95), ("delong_a_90", &a, 0.90)]
    {
        let got = auc_delong(scores, &y, RiskOrder::HigherIsRiskier, level).unwrap();
        let want = &r[key];
        assert_abs(&format!("{key} auc"), got.auc, num(want, "auc"), DELONG_ABS);
        assert_abs(&format!("{key} variance"), got.variance, num(want, "variance"), DELONG_ABS);
        assert_abs(&format!("{key} ci_lower"), got.ci_lower, num(want, "ci_lower"), DELONG_ABS);
        assert_abs(&format!("{key} ci_upper"), got.ci_upper, num(want, "ci_upper"), DELONG_ABS);
    }
    let p = delong_test(&a, &b, &y, RiskOrder::HigherIsRiskier).unwrap();
    let want = &r["paired"];
    for (name, got) in [
        ("auc_a", p.auc_a),
        ("auc_b", p.auc_b),
        ("variance_a", p.variance_a),
        ("variance_b", p.variance_b),
        ("covariance", p.covariance),
        ("z", p.z),
        ("p_value", p.p_value),
    ] {
        assert_abs(&format!("paired {name}"), got, num(want, name), DELONG_ABS);
    }
    // Swapping the models flips z and keeps p; a score's orientation flips with RiskOrder.
    let swapped = delong_test(&b, &a, &y, RiskOrder::HigherIsRiskier).unwrap();
    assert_abs("swapped z", swapped.z, -p.z, 1e-12);
    assert_abs("swapped p", swapped.p_value, p.p_value, 1e-12);
    let neg = a.mapv(|v| -v);
    let safer = auc_delong(&neg, &y, RiskOrder::HigherIsSafer, 0.95).unwrap();
    assert_abs("orientation", safer.auc, num(&r["delong_a"], "auc"), 1e-15);
}

#[test]
fn grade_tests_match_scipy() {
    let r = read_json("monitoring_reference.json");
    for g in r["grades"].as_array().unwrap() {
        let n = g["n"].as_u64().unwrap() as usize;
        let d = g["defaults"].as_u64().unwrap() as usize;
        let pd = num(g, "pd");
        let what = format!("n={n} d={d} pd={pd}");
        assert_abs(
            &format!("jeffreys {what}"),
            jeffreys_test(n, d, pd).unwrap(),
            num(g, "jeffreys"),
            JEFFREYS_P_ABS,
        );
        assert_abs(
            &format!("binomial {what}"),
            binomial_test(n, d, pd).unwrap(),
            num(g, "binomial"),
            BINOMIAL_P_ABS,
        );
    }
}

#[test]
fn spiegelhalter_matches_numpy() {
    let r = read_json("monitoring_reference.json");
    let s = spiegelhalter(&array(&r, "pd"), &array(&r, "y")).unwrap();
    let want = &r["spiegelhalter"];
    assert_abs("z", s.z, num(want, "z"), SPIEGELHALTER_ABS);
    assert_abs("p", s.p_value, num(want, "p_value"), SPIEGELHALTER_ABS);
    assert_abs("brier", s.brier, num(want, "brier"), 1e-12);
    assert_abs("expected brier", s.expected_brier, num(want, "expected_brier"), 1e-12);
}

fn german_card() -> (finkit_credit::scorecard::Scorecard, finkit_schema::Dataset) {
    use finkit_credit::binning::BinningProcessParams;
    use finkit_credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
    let data = german::german();
    let binning = BinningProcessParams::new().min_iv(0.1).build().unwrap().fit(&data).unwrap();
    let woe = binning.transform(&data).unwrap();
    let y = data.target().unwrap().to_owned();
    let model = finkit_credit::LogisticParams::new()
        .feature_names(woe.names.clone())
        .fit(&woe.values, &y)
        .unwrap();
    let scaling = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build().unwrap();
    (Scorecard::from_logistic(&binning, &model, &scaling).unwrap(), data)
}

#[test]
fn a_scorecard_on_its_own_sample_is_stable_and_the_report_is_complete() {
    let (card, data) = german_card();
    let first: Vec<usize> = (0..500).collect();
    let second: Vec<usize> = (500..1000).collect();
    let (a, b) = (data.select_rows(&first).unwrap(), data.select_rows(&second).unwrap());
    let report = monitor_scorecard(&card, &a, &b, &MonitoringParams::default()).unwrap();
    assert_eq!(report.characteristics.len(), card.characteristics().len());
    assert!(report.score_psi.value < 0.1, "PSI {}", report.score_psi.value);
    let o = report.outcomes.as_ref().unwrap();
    assert_eq!(o.observations, 500);
    assert!(o.auc.ci_lower < o.auc.auc && o.auc.auc < o.auc.ci_upper);
    assert!(o.reference_auc.is_some() && o.auc_change.is_some());
    assert!(!o.grades.is_empty());
    assert_eq!(o.grades.iter().map(|g| g.n).sum::<usize>(), 500);
    // Without a target in the current population there are no outcome tests.
    let unlabelled = finkit_schema::Dataset::new(
        b.columns().map(|(n, c)| (n.to_owned(), c.clone())).collect(),
        None,
    )
    .unwrap();
    let r2 = monitor_scorecard(&card, &a, &unlabelled, &MonitoringParams::default()).unwrap();
    assert!(r2.outcomes.is_none());
    assert_eq!(r2.score_psi.value, report.score_psi.value);
    // A shifted population (the riskiest half by score) is red on the score PSI.
    let scores = card.score_dataset(&data).unwrap();
    let mut order: Vec<usize> = (0..data.n_rows()).collect();
    order.sort_by(|&i, &j| scores[i].total_cmp(&scores[j]));
    let risky = data.select_rows(&order[..300]).unwrap();
    let shifted = monitor_scorecard(&card, &data, &risky, &MonitoringParams::default()).unwrap();
    assert_eq!(shifted.score_psi.verdict, Verdict::Red);
    assert_eq!(shifted.overall, Verdict::Red);
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let (card, data) = german_card();
    let used = card.characteristics()[0].binning().name().to_owned();
    let without = data.drop_column(&used).unwrap();
    let err = monitor_scorecard(&card, &data, &without, &MonitoringParams::default()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CreditError::InvalidModel(_)));
    assert!(text.contains(&used) && text.contains("current") && !text.contains('\n'), "{text}");
    // A dataset cannot be empty (the CSV readers refuse it first); the outcome tests of an
    // empty population are refused too.
    assert!(data.select_rows(&[]).is_err());
    let none = Array1::<f64>::zeros(0);
    let err = outcome_tests(&none, &none, None, &MonitoringParams::default()).unwrap_err();
    assert!(matches!(err, CreditError::Empty("current population")), "{err}");
    let bad_level = MonitoringParams { level: 1.5, ..MonitoringParams::default() };
    assert!(monitor_scorecard(&card, &data, &data, &bad_level).is_err());
}
