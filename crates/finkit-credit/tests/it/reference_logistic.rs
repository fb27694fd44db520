//! Logistic regression against statsmodels `Logit` (Newton): the full-data WoE design of the
//! German credit model (`model_full.json`) and Greene's `spector` data (`spector_logit.json`).

use crate::common;

use common::tolerance::{
    LOGIT_PARAM_ABS, LOGIT_PARAM_REL, LOGLIK_ABS, LOGLIK_NULL_STATSMODELS_ABS,
};
use common::{assert_abs, data_path, read_json};
use finkit_credit::{CreditError, FeatureRecord, Fit, LogisticModel, LogisticParams, PdModel};
use finkit_schema::{Column, Dataset};
use ndarray::{Array1, Array2};
use serde_json::Value;

fn woe_design() -> (Vec<String>, Array2<f64>, Array1<f64>) {
    let mut reader = csv::Reader::from_path(data_path("woe_design_full.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let names = header[2..].to_vec();
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut n = 0;
    for record in reader.records() {
        let record = record.unwrap();
        y.push(record[1].parse::<f64>().unwrap());
        x.extend(record.iter().skip(2).map(|v| v.parse::<f64>().unwrap()));
        n += 1;
    }
    (names.clone(), Array2::from_shape_vec((n, names.len()), x).unwrap(), Array1::from(y))
}

/// Compares every statistic of `model` with a statsmodels result object in JSON.
fn compare(model: &LogisticModel, reference: &Value, y: &Array1<f64>) {
    let terms = model.term_names();
    for (j, term) in terms.iter().enumerate() {
        let want = |key: &str| reference[key][term.as_str()].as_f64().unwrap();
        assert_abs(&format!("param {term}"), model.params()[j], want("params"), LOGIT_PARAM_ABS);
        assert_abs(
            &format!("std err {term}"),
            model.std_errors()[j],
            want("std_err"),
            LOGIT_PARAM_ABS,
        );
        assert_abs(&format!("z {term}"), model.z_values()[j], want("z"), 1e-6);
        let p = want("p_values");
        assert_abs(&format!("p {term}"), model.p_values()[j], p, 1e-9 * p.max(1e-300).max(1e-6));
        for (k, _) in terms.iter().enumerate() {
            let c = reference["cov_params"][j][k].as_f64().unwrap();
            assert_abs("covariance", model.covariance()[(j, k)], c, 1e-10);
        }
    }
    assert_abs("loglik", model.log_likelihood(), reference["loglik"].as_f64().unwrap(), LOGLIK_ABS);
    assert_abs(
        "loglik null (statsmodels, Nelder-Mead)",
        model.null_log_likelihood(),
        reference["loglik_null"].as_f64().unwrap(),
        LOGLIK_NULL_STATSMODELS_ABS,
    );
    // The closed form of the intercept-only maximum.
    let n = model.n_obs() as f64;
    let events = y.sum();
    let rate = events / n;
    let exact = events * rate.ln() + (n - events) * (1.0 - rate).ln();
    assert_abs("loglik null (closed form)", model.null_log_likelihood(), exact, LOGLIK_ABS);
    assert_abs("aic", model.aic(), reference["aic"].as_f64().unwrap(), 2.0 * LOGLIK_ABS);
    assert_abs("bic", model.bic(), reference["bic"].as_f64().unwrap(), 2.0 * LOGLIK_ABS);
    assert_abs(
        "McFadden R2",
        model.pseudo_r2(),
        reference["pseudo_r2_mcfadden"].as_f64().unwrap(),
        LOGLIK_NULL_STATSMODELS_ABS,
    );
}

#[test]
fn woe_design_matches_statsmodels() {
    let (names, x, y) = woe_design();
    let model = LogisticParams::new().feature_names(names.clone()).fit(&x, &y).unwrap();
    let reference = read_json("model_full.json");
    compare(&model, &reference["logit"], &y);
    assert_eq!(model.n_obs(), 1000);
    // Print the largest deviations for the report.
    let max_param = model
        .term_names()
        .iter()
        .enumerate()
        .map(|(j, t)| {
            (model.params()[j] - reference["logit"]["params"][t.as_str()].as_f64().unwrap()).abs()
        })
        .fold(0.0, f64::max);
    let max_se = model
        .term_names()
        .iter()
        .enumerate()
        .map(|(j, t)| {
            (model.std_errors()[j] - reference["logit"]["std_err"][t.as_str()].as_f64().unwrap())
                .abs()
        })
        .fold(0.0, f64::max);
    let dll = (model.log_likelihood() - reference["logit"]["loglik"].as_f64().unwrap()).abs();
    eprintln!(
        "woe design: max|Δβ| {max_param:e}, max|Δse| {max_se:e}, |Δll| {dll:e}, iterations {}",
        model.iterations()
    );
}

#[test]
fn woe_design_through_the_fit_trait_and_pd_model() {
    let (names, x, y) = woe_design();
    let columns = names
        .iter()
        .enumerate()
        .map(|(j, n)| (n.clone(), Column::Numeric(x.column(j).to_owned())))
        .collect();
    let data = Dataset::new(columns, Some(("bad".into(), y.clone()))).unwrap();
    let model = Fit::fit(&LogisticParams::new(), &data).unwrap();
    compare(&model, &read_json("model_full.json")["logit"], &y);
    // Record-by-record and batch scoring agree with the fast path.
    let batch = model.pd_batch(&data).unwrap();
    let fast = model.predict_proba(&x).unwrap();
    for row in [0, 1, 500, 999] {
        let record = FeatureRecord::from_dataset_row(&data, row).unwrap();
        let pd = model.pd(&record).unwrap().get();
        assert_abs("pd of a record", pd, fast[row], 1e-15);
        assert_eq!(batch[row], fast[row]);
    }
    let boxed: Box<dyn PdModel> = Box::new(model);
    assert!(boxed.model_id().contains("purpose_woe"));
}

#[test]
fn spector_matches_greene() {
    let reference = read_json("spector_logit.json");
    let rows = reference["rows"].as_array().unwrap();
    let n = rows.len();
    let mut x = Array2::zeros((n, 3));
    let mut y = Array1::zeros(n);
    for (i, row) in rows.iter().enumerate() {
        let row: Vec<f64> = row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        x[(i, 0)] = row[0];
        x[(i, 1)] = row[1];
        x[(i, 2)] = row[2];
        y[i] = row[3];
    }
    let model = LogisticParams::new().feature_names(["GPA", "TUCE", "PSI"]).fit(&x, &y).unwrap();
    compare(&model, &reference["logit"], &y);
    // Greene's published values (Econometric Analysis, table 21.1), rounded to three decimals.
    let published = [-13.021, 2.826, 0.095, 2.379];
    for (got, want) in model.params().iter().zip(published) {
        assert!((got - want).abs() < 5e-4, "{got} vs {want}");
    }
}

#[test]
fn column_major_input_gives_the_same_fit() {
    let (_, x, y) = woe_design();
    let mut f = Array2::zeros(ndarray::ShapeBuilder::f(x.dim()));
    f.assign(&x);
    let a = LogisticParams::new().fit(&x, &y).unwrap();
    let b = LogisticParams::new().fit(&f, &y).unwrap();
    assert_eq!(a, b);
}

#[test]
fn bad_input_is_a_typed_error() {
    let (_, x, y) = woe_design();
    let params = LogisticParams::new();
    // Empty data.
    let empty = Array2::<f64>::zeros((0, 3));
    assert!(matches!(params.fit(&empty, &Array1::zeros(0)), Err(CreditError::Empty(_))));
    // Length mismatch.
    let short: Array1<f64> = y.iter().take(999).copied().collect();
    assert!(matches!(params.fit(&x, &short), Err(CreditError::LengthMismatch { .. })));
    // NaN in the target.
    let mut nan_y = y.clone();
    nan_y[7] = f64::NAN;
    let err = params.fit(&x, &nan_y).unwrap_err();
    assert!(matches!(err, CreditError::NonFinite { row: 7, .. }), "{err}");
    // A target with one class.
    let err = params.fit(&x, &Array1::zeros(1000)).unwrap_err();
    assert!(matches!(err, CreditError::InvalidTarget(_)), "{err}");
    // A target that is not 0/1.
    let mut two = y.clone();
    two[3] = 2.0;
    assert!(matches!(params.fit(&x, &two), Err(CreditError::InvalidTarget(_))));
    // A constant column.
    let mut constant = x.clone();
    constant.column_mut(2).fill(0.5);
    let err = params
        .clone()
        .feature_names(["a", "b", "c", "d", "e", "f", "g", "h"])
        .fit(&constant, &y)
        .unwrap_err();
    assert!(matches!(&err, CreditError::UnusableColumn { name, .. } if name == "c"), "{err}");
    assert!(err.to_string().contains("0.5"));
    // ... which an L2 penalty makes estimable.
    assert!(params.clone().l2(1.0).fit(&constant, &y).is_ok());
    // NaN in a feature.
    let mut nan_x = x.clone();
    nan_x[(4, 1)] = f64::NAN;
    assert!(matches!(params.fit(&nan_x, &y), Err(CreditError::NonFinite { row: 4, .. })));
    // Invalid parameters.
    for bad in [
        LogisticParams::new().l2(f64::NAN),
        LogisticParams::new().tolerance(0.0),
        LogisticParams::new().max_iterations(0),
        LogisticParams::new().sample_weights(Array1::from_elem(1000, -1.0)),
        LogisticParams::new().feature_names(["a", "a"]),
    ] {
        assert!(matches!(bad.check(), Err(CreditError::InvalidParameter { .. })), "{bad:?}");
    }
    assert!(matches!(
        params.clone().sample_weights(Array1::ones(3)).fit(&x, &y),
        Err(CreditError::LengthMismatch { .. })
    ));
    // Scoring with the wrong width or a NaN.
    let model = params.fit(&x, &y).unwrap();
    assert!(matches!(
        model.predict_proba(&Array2::zeros((2, 3))),
        Err(CreditError::LengthMismatch { .. })
    ));
    assert!(matches!(model.predict_proba(&nan_x), Err(CreditError::NonFinite { row: 4, .. })));
    assert!(matches!(model.pd(&FeatureRecord::new()), Err(CreditError::MissingVariable(_))));
}

#[test]
fn l2_matches_the_penalised_optimum() {
    // At the penalised optimum the gradient of ℓ equals λβ (intercept unpenalised); check it
    // through the fitted probabilities.
    let (_, x, y) = woe_design();
    let lambda = 5.0;
    let model = LogisticParams::new().l2(lambda).tolerance(1e-12).fit(&x, &y).unwrap();
    let p = model.predict_proba(&x).unwrap();
    let resid = &y - &p;
    assert!(resid.sum().abs() < 1e-8);
    let grad = x.t().dot(&resid);
    for (g, b) in grad.iter().zip(model.coefficients().iter()) {
        assert!((g - lambda * b).abs() < 1e-8, "{g} vs {}", lambda * b);
    }
}

/// `collinear_569`: near-collinear features and rows fitted with probability within 1e-16 of 0
/// or 1, but no separation. statsmodels' Newton converges; so must this fit.
#[test]
fn collinear_design_is_not_separation_and_matches_statsmodels() {
    let mut reader = csv::Reader::from_path(data_path("collinear_569.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let p = header.len() - 1;
    assert_eq!(header[p], "bad");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.unwrap();
        x.extend(record.iter().take(p).map(|v| v.parse::<f64>().unwrap()));
        y.push(record[p].parse::<f64>().unwrap());
    }
    let n = y.len();
    assert_eq!(n, 569);
    let x = Array2::from_shape_vec((n, p), x).unwrap();
    let y = Array1::from(y);
    let reference = read_json("collinear_569_statsmodels.json");
    let model = LogisticParams::new().feature_names(header[..p].to_vec()).fit(&x, &y).unwrap();
    for (j, term) in model.term_names().iter().enumerate() {
        let want = reference["params"][term.as_str()].as_f64().unwrap();
        common::assert_rel(&format!("param {term}"), model.params()[j], want, LOGIT_PARAM_REL);
        let se = reference["bse"][term.as_str()].as_f64().unwrap();
        common::assert_rel(&format!("std err {term}"), model.std_errors()[j], se, LOGIT_PARAM_REL);
    }
    assert_abs("loglik", model.log_likelihood(), reference["loglik"].as_f64().unwrap(), LOGLIK_ABS);
    println!(
        "collinear_569: {} iterations (statsmodels {})",
        model.iterations(),
        reference["iterations"]
    );
}
