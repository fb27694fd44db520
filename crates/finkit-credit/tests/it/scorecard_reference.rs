//! Scorecard against scorecardpy/statsmodels (`model_full.json`, `model_split.json`): points,
//! A and B, the end-to-end split pipeline, reason codes, and the JSON round trip.

use crate::common;
use crate::german;

use common::tolerance::{END_TO_END_AUC_ABS, LOGIT_PARAM_ABS, POINTS_ABS, WOE_IV_ABS};
use common::{assert_abs, read_json};
use finkit_credit::binning::{
    BinningParams, BinningProcessParams, FittedBinningProcess, MonotonicTrend,
};
use finkit_credit::scorecard::{OddsDirection, Scaling, ScalingParams, Scorecard};
use finkit_credit::validation::{RiskOrder, auc};
use finkit_credit::{CreditError, FeatureRecord, LogisticParams, PdModel};
use finkit_schema::Dataset;
use german::{german, german_with_ids, given_process, records, strings, target};
use serde_json::Value;

/// scorecardpy's call: `sc.scorecard(..., points0=600, odds0=1/50, pdo=20)`.
fn reference_scaling() -> Scaling {
    ScalingParams::new(20.0, 600.0, 1.0 / 50.0, OddsDirection::BadToGood).build().unwrap()
}

fn coefficients(logit: &Value, vars: &[String]) -> (f64, ndarray::Array1<f64>) {
    let params = &logit["params"];
    let beta = vars.iter().map(|v| params[format!("{v}_woe")].as_f64().unwrap()).collect();
    (params["const"].as_f64().unwrap(), beta)
}

/// Every rounded point equal, unrounded within 1e-9, A and B within 1e-9.
fn check_card(card: &Scorecard, reference: &Value, vars: &[String]) {
    let sc = &reference["scorecard"];
    assert_abs("A", card.scaling().offset(), sc["A_offset"].as_f64().unwrap(), POINTS_ABS);
    assert_abs("B", card.scaling().factor(), sc["B_factor"].as_f64().unwrap(), POINTS_ABS);
    let points = sc["points"].as_array().unwrap();
    assert_eq!(card.base_points(), points[0]["points"].as_f64().unwrap(), "basepoints");
    assert_abs(
        "basepoints unrounded",
        card.base_points_unrounded(),
        points[0]["points_unrounded"].as_f64().unwrap(),
        POINTS_ABS,
    );
    assert_eq!(card.characteristics().len(), vars.len());
    for (c, v) in card.characteristics().iter().zip(vars) {
        assert_eq!(c.binning().name(), v);
        let recs = records(points, v);
        assert_eq!(recs.len(), c.binning().regular_bins().len(), "{v}: bins");
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(c.binning().bins()[i].label, r["bin"].as_str().unwrap());
            assert_eq!(c.points()[i], r["points"].as_f64().unwrap(), "{v} bin {i}: rounded points");
            assert_abs(
                &format!("{v} bin {i} unrounded"),
                c.points_unrounded()[i],
                r["points_unrounded"].as_f64().unwrap(),
                POINTS_ABS,
            );
            assert_abs(
                &format!("{v} bin {i} woe"),
                c.binning().bins()[i].woe,
                r["woe"].as_f64().unwrap(),
                WOE_IV_ABS,
            );
        }
    }
}

fn fit_logistic(process: &FittedBinningProcess, data: &Dataset) -> finkit_credit::LogisticModel {
    let x = process.transform(data).unwrap();
    LogisticParams::new().feature_names(x.names.clone()).fit(&x.values, &target(data)).unwrap()
}

#[test]
fn full_model_points_match_scorecardpy() {
    let data = german();
    let reference = read_json("model_full.json");
    let vars = strings(&reference["model_vars"]);
    let bins = read_json("woebin_scorecardpy.json");
    let process = given_process(&data, bins["bins"].as_array().unwrap(), &vars);
    // With statsmodels' coefficients.
    let (b0, beta) = coefficients(&reference["logit"], &vars);
    let card = Scorecard::new(&process, b0, &beta, &reference_scaling()).unwrap();
    check_card(&card, &reference, &vars);
    // With this crate's own logistic fit on the same WoE design.
    let model = fit_logistic(&process, &data);
    for (j, v) in vars.iter().enumerate() {
        assert_abs(v, model.coefficients()[j], beta[j], LOGIT_PARAM_ABS);
    }
    let own = Scorecard::from_logistic(&process, &model, &reference_scaling()).unwrap();
    check_card(&own, &reference, &vars);
    // Good:bad 50:1 quoted the other way gives the same card.
    let flipped = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build().unwrap();
    check_card(&Scorecard::new(&process, b0, &beta, &flipped).unwrap(), &reference, &vars);
}

struct Split {
    train: Dataset,
    test: Dataset,
    test_ids: Vec<usize>,
    vars: Vec<String>,
    reference: Value,
}

fn split() -> Split {
    let all = german_with_ids();
    let reference = read_json("model_split.json");
    let ids = |k: &str| -> Vec<usize> {
        reference[k].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
    };
    let (train_ids, test_ids) = (ids("train_row_ids"), ids("test_row_ids"));
    assert_eq!(german::row_ids(&all), (0..1000).collect::<Vec<_>>(), "row_id is the row index");
    let all = all.drop_column("row_id").unwrap();
    Split {
        train: all.select_rows(&train_ids).unwrap(),
        test: all.select_rows(&test_ids).unwrap(),
        test_ids,
        vars: strings(&reference["model_vars"]),
        reference,
    }
}

#[test]
fn split_pipeline_with_reference_bins_matches_auc_and_points() {
    let s = split();
    let train_bins = s.reference["train_bins"].as_array().unwrap();
    let process = given_process(&s.train, train_bins, &s.vars);
    for v in &s.vars {
        let b = process.binning(v).unwrap();
        for (got, want) in b.regular_bins().iter().zip(records(train_bins, v)) {
            assert_eq!(got.count, want["count"].as_u64().unwrap(), "{v}: train count");
            assert_eq!(got.events, want["bad"].as_u64().unwrap(), "{v}: train bad");
            assert_abs(v, got.woe, want["woe"].as_f64().unwrap(), WOE_IV_ABS);
        }
    }
    let model = fit_logistic(&process, &s.train);
    let x_test = process.transform(&s.test).unwrap();
    let pd = model.predict_proba(&x_test.values).unwrap();
    let test_auc = auc(&pd, &target(&s.test), RiskOrder::HigherIsRiskier).unwrap();
    let want = s.reference["test_metrics_on_pd"]["auc"].as_f64().unwrap();
    println!(
        "split pipeline, reference bins + own logistic: test AUC {test_auc} (reference {want})"
    );
    assert_abs("test AUC", test_auc, want, END_TO_END_AUC_ABS);

    let card = Scorecard::from_logistic(&process, &model, &reference_scaling()).unwrap();
    check_card(&card, &s.reference, &s.vars);

    // Reason codes of the first 5 test rows ("points below maximum", top 4).
    let rc = &s.reference["reason_codes_points_below_max"];
    for c in card.characteristics() {
        assert_eq!(c.max_points(), rc["max_points"][c.binning().name()].as_f64().unwrap());
    }
    for (i, row) in rc["rows"].as_array().unwrap().iter().enumerate() {
        assert_eq!(s.test_ids[i] as u64, row["row_id"].as_u64().unwrap());
        let record = FeatureRecord::from_dataset_row(&s.test, i).unwrap();
        let scored = card.score_record(&record).unwrap();
        assert_eq!(scored.score, row["score"].as_f64().unwrap(), "row {i}: score");
        for (v, _, p) in &scored.points {
            assert_eq!(*p, row["points"][v.as_str()].as_f64().unwrap(), "row {i} {v}: points");
        }
        let want: Vec<(String, f64)> = row["top4_reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["variable"].as_str().unwrap().to_owned(), r["shortfall"].as_f64().unwrap()))
            .collect();
        let got: Vec<(String, f64)> =
            scored.reasons.iter().map(|r| (r.variable.clone(), r.shortfall)).collect();
        assert_eq!(got, want, "row {i}: reason codes");
        assert_eq!(card.reason_codes(&record).unwrap().len(), 4);
    }
}

#[test]
fn split_pipeline_with_own_binning() {
    let s = split();
    let process = BinningProcessParams::new()
        .binning(BinningParams::new().trend(MonotonicTrend::Auto))
        .variables(s.vars.iter().cloned())
        .build()
        .unwrap()
        .fit(&s.train)
        .unwrap()
        .with_selection(&s.vars)
        .unwrap();
    let model = fit_logistic(&process, &s.train);
    let card = Scorecard::from_logistic(&process, &model, &reference_scaling()).unwrap();
    let pd = model.predict_proba(&process.transform(&s.test).unwrap().values).unwrap();
    let y = target(&s.test);
    let test_auc = auc(&pd, &y, RiskOrder::HigherIsRiskier).unwrap();
    let score_auc =
        auc(&card.score_dataset(&s.test).unwrap(), &y, RiskOrder::HigherIsSafer).unwrap();
    let want = s.reference["test_metrics_on_pd"]["auc"].as_f64().unwrap();
    println!(
        "split pipeline, own binning + own logistic: test AUC on PD {test_auc:.6}, on score {score_auc:.6} \
         (scorecardpy bins: {want:.6})"
    );
    assert!(test_auc > 0.7, "a sane model: test AUC {test_auc}");
}

#[test]
fn json_round_trip_is_bit_identical_and_tampering_is_caught() {
    let data = german();
    let reference = read_json("model_full.json");
    let vars = strings(&reference["model_vars"]);
    let bins = read_json("woebin_scorecardpy.json");
    let process = given_process(&data, bins["bins"].as_array().unwrap(), &vars);
    let model = fit_logistic(&process, &data);
    let card = Scorecard::from_logistic(&process, &model, &reference_scaling())
        .unwrap()
        .with_name("german");
    let text = card.to_json().unwrap();
    let back = Scorecard::from_json(&text).unwrap();
    assert_eq!(back, card);
    let (a, b) = (card.score_dataset(&data).unwrap(), back.score_dataset(&data).unwrap());
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    let (pa, pb) = (card.pd_batch(&data).unwrap(), back.pd_batch(&data).unwrap());
    assert!(pa.iter().zip(&pb).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_eq!(back.model_id(), "finkit-scorecard:german");
    // The batch PD equals the per-record PD.
    let r = FeatureRecord::from_dataset_row(&data, 7).unwrap();
    assert_eq!(card.pd(&r).unwrap().get(), pa[7]);
    let full_scores = card.score_dataset(&data).unwrap();
    let mean = full_scores.sum() / 1000.0;
    assert_abs("mean score", mean, reference["score_stats"]["mean"].as_f64().unwrap(), POINTS_ABS);

    let mut file: Value = serde_json::from_str(&text).unwrap();
    // 1. Edited points, checksum left alone.
    let p = &mut file["scorecard"]["characteristics"][0]["points"][0];
    *p = Value::from(p.as_f64().unwrap() + 5.0);
    let edited = serde_json::to_string(&file).unwrap();
    assert!(
        matches!(Scorecard::from_json(&edited), Err(CreditError::InvalidModel(m)) if m.contains("checksum"))
    );
    // 2. Same edit with a recomputed checksum: the consistency check catches it.
    file["checksum"] = Value::from(finkit_credit::scorecard::content_checksum(&file["scorecard"]));
    let resigned = serde_json::to_string(&file).unwrap();
    assert!(
        matches!(Scorecard::from_json(&resigned), Err(CreditError::InvalidModel(m)) if m.contains("do not follow"))
    );
    // Deserialising the edited content directly runs the same consistency check.
    let direct = serde_json::from_value::<Scorecard>(file["scorecard"].clone()).unwrap_err();
    assert!(direct.to_string().contains("do not follow"), "{direct}");
    // 3. An edited bin count with a recomputed checksum: the binning no longer validates.
    let mut file: Value = serde_json::from_str(&text).unwrap();
    let bin = &mut file["scorecard"]["characteristics"][1]["binning"]["bins"][0];
    bin["events"] = Value::from(bin["events"].as_u64().unwrap() + 1);
    bin["count"] = Value::from(bin["count"].as_u64().unwrap() + 1);
    file["checksum"] = Value::from(finkit_credit::scorecard::content_checksum(&file["scorecard"]));
    assert!(matches!(
        Scorecard::from_json(&serde_json::to_string(&file).unwrap()),
        Err(CreditError::InvalidModel(_))
    ));
    // 4. Not a scorecard at all.
    assert!(matches!(
        Scorecard::from_json("{\"format\":\"x\"}"),
        Err(CreditError::InvalidModel(_))
    ));
    assert!(matches!(Scorecard::from_json("not json"), Err(CreditError::Json(_))));
}

#[test]
fn scoring_errors_are_typed() {
    let data = german();
    let reference = read_json("model_full.json");
    let vars = strings(&reference["model_vars"]);
    let bins = read_json("woebin_scorecardpy.json");
    let process = given_process(&data, bins["bins"].as_array().unwrap(), &vars);
    let (b0, beta) = coefficients(&reference["logit"], &vars);
    let card = Scorecard::new(&process, b0, &beta, &reference_scaling()).unwrap();
    let mut r = FeatureRecord::from_dataset_row(&data, 0).unwrap();
    assert!(card.score(&r).is_ok());
    r.insert("purpose", finkit_credit::Value::Category("space travel".into()));
    assert!(matches!(card.score(&r), Err(CreditError::Unbinnable { .. })));
    r.insert("purpose", finkit_credit::Value::Number(3.0));
    assert!(matches!(card.score(&r), Err(CreditError::UnusableColumn { .. })));
    assert!(matches!(card.score(&FeatureRecord::new()), Err(CreditError::MissingVariable(_))));
    assert!(matches!(
        Scorecard::new(
            &process,
            b0,
            &beta.iter().take(3).copied().collect::<ndarray::Array1<f64>>(),
            &reference_scaling()
        ),
        Err(CreditError::LengthMismatch { .. })
    ));
    assert!(Scorecard::new(&process, f64::NAN, &beta, &reference_scaling()).is_err());
}
