//! Real corporate defaults: the Polish companies bankruptcy data, horizon year 1 (UCI 365,
//! CC BY 4.0; the workspace copy in `data/polish/`, see its PROVENANCE.md).
//!
//! - Default binning keeps at least optbinning 1.0.0's information value
//!   (`monotonic_trend="auto_asc_desc"`, CART pre-binning) − 1e-3 on every one of the 64
//!   variables, under comparable constraints (the same CART pre-bins: at most 20, each at
//!   least 5 % of the rows; monotone event rates; every bin ≥ 5 % of the rows with an event
//!   and a non-event; missing values in their own bin).
//! - The scorecard pipeline fits with its defaults and reaches the test AUC of optbinning WoE
//!   + scikit-learn `LogisticRegression()` (0.857).

use crate::common;

use common::tolerance::OPTIMAL_IV_ABS;
use finkit_credit::PdModel;
use finkit_credit::binning::{BinKind, BinningParams, BinningProcessParams, FittedBinning};
use finkit_credit::pipeline::{ScorecardParams, VariableStatus};
use finkit_credit::validation::{RiskOrder, auc};
use finkit_schema::{CsvOptions, Dataset};
use serde_json::Value;

fn polish(file: &str) -> Dataset {
    let path = format!("{}/../../data/polish/{file}", env!("CARGO_MANIFEST_DIR"));
    Dataset::from_csv(&path, &CsvOptions::default().with_target("bankrupt")).unwrap()
}

fn reference() -> Value {
    let path = format!("{}/../../data/polish/year1_reference.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn monotone(b: &FittedBinning) -> bool {
    let r: Vec<f64> = b.regular_bins().iter().map(|x| x.event_rate).collect();
    r.windows(2).all(|w| w[0] <= w[1]) || r.windows(2).all(|w| w[0] >= w[1])
}

#[test]
fn default_binning_keeps_optbinning_iv_on_all_64_variables() {
    let train = polish("year1_train.csv");
    let reference = reference();
    let want = reference["optbinning_iv_auto_asc_desc"].as_object().unwrap();
    assert_eq!(want.len(), 64);
    let process =
        BinningProcessParams::new().exclude(["firm"]).build().unwrap().fit(&train).unwrap();
    assert_eq!(process.binnings().len(), 64);
    let n = train.n_rows() as u64;
    let min_count = (0.05 * n as f64).ceil() as u64;
    let mut failures = Vec::new();
    let mut report = Vec::new();
    let (mut higher, mut equal) = (0, 0);
    for b in process.binnings() {
        let v = b.name();
        let theirs = want[v].as_f64().unwrap();
        let ours = b.iv();
        report.push(format!(
            "{v}: finkit {ours:.6} ({} bins) optbinning {theirs:.6}",
            b.regular_bins().len()
        ));
        if ours < theirs - OPTIMAL_IV_ABS {
            failures.push(format!("{v}: iv {ours} < optbinning {theirs} - 1e-3"));
        }
        if ours > theirs + 1e-9 {
            higher += 1;
        } else if ours >= theirs - 1e-9 {
            equal += 1;
        }
        assert!(monotone(b), "{v}: event rates not monotone");
        for bin in b.bins().iter().filter(|x| x.kind == BinKind::Regular) {
            assert!(bin.count >= min_count, "{v}: a bin under 5 % of the rows");
            assert!(bin.events >= 1 && bin.non_events >= 1, "{v}: a pure bin");
        }
        // Missing cells are binned, never dropped.
        let total: u64 = b.bins().iter().map(|x| x.count).sum();
        assert_eq!(total, n, "{v}: every row in a bin");
        b.validate().unwrap();
    }
    println!("{}\nhigher {higher}, equal {equal} of 64", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn missing_values_keep_their_own_bin() {
    let train = polish("year1_train.csv");
    let process =
        BinningProcessParams::new().exclude(["firm"]).build().unwrap().fit(&train).unwrap();
    // x37 (current assets − inventories) / long-term liabilities has the most missing cells.
    let b = process.binning("x37").unwrap();
    let missing = b.bins().iter().find(|x| x.kind == BinKind::Missing).unwrap();
    let column = train.numeric("x37").unwrap();
    let nan = column.iter().filter(|v| v.is_nan()).count() as u64;
    assert!(nan > 1000, "x37 has {nan} missing cells");
    assert_eq!(missing.count, nan);
}

#[test]
fn scorecard_pipeline_defaults_work_on_real_data() {
    let train = polish("year1_train.csv");
    let test = polish("year1_test.csv");
    let reference = reference();
    let fitted = ScorecardParams::new().exclude(["firm"]).build().unwrap().fit(&train).unwrap();
    let report = fitted.report();
    assert_eq!(report.variables.len(), 65, "every column but the target is reported");
    for line in &report.variables {
        println!(
            "{:>4} iv {:?} {}",
            line.name,
            line.iv.map(|v| (v * 1e4).round() / 1e4),
            line.status
        );
    }
    assert_eq!(report.variable("firm").unwrap().status, VariableStatus::Excluded);
    // Exact duplicates (x07, x14 and x18 are the same ratio on these rows): at most one kept,
    // the others reported as correlated with it.
    let dups = ["x07", "x14", "x18"];
    let kept_dups =
        dups.iter().filter(|v| report.variable(v).unwrap().status == VariableStatus::Kept).count();
    assert!(kept_dups <= 1);
    let correlated = dups
        .iter()
        .filter(|v| matches!(report.variable(v).unwrap().status, VariableStatus::Correlated { .. }))
        .count();
    assert!(correlated >= 2, "duplicates reported as correlated");
    // Every kept characteristic has the sign of its WoE.
    for line in report.variables.iter().filter(|l| l.status == VariableStatus::Kept) {
        assert!(line.coefficient.unwrap() > 0.0, "{}", line.name);
    }
    let card = fitted.scorecard();
    assert_eq!(card.characteristics().len(), report.kept().len());
    let pd = card.pd_batch(&test).unwrap();
    let y = test.target().unwrap().to_owned();
    let test_auc = auc(&pd, &y, RiskOrder::HigherIsRiskier).unwrap();
    let want = reference["scorecard_optbinning_lr_test_auc"].as_f64().unwrap();
    println!(
        "characteristics {:?}; test AUC {test_auc:.6} (optbinning + LR {want:.6})",
        report.kept()
    );
    assert!(test_auc >= want, "test AUC {test_auc} < optbinning + LogisticRegression {want}");
}

#[test]
fn default_binning_params_are_optbinnings() {
    // The defaults the two tests above rely on.
    let p = BinningParams::new();
    assert_eq!(p, BinningParams::new().prebinning(finkit_credit::binning::PreBinning::Cart));
    assert_eq!(p, p.clone().prebins(20).min_prebin_share(0.05).min_bin_share(0.05));
}

#[test]
fn early_sign_check_decisions_equal_converged_ones() {
    // The pipeline decides a wrong-sign drop from a Newton estimate once the decision is
    // certain. Replaying the sign checks with every fit converged (cold, tolerance 1e-10)
    // must drop the same characteristics in the same order with the same coefficients (to
    // the accuracy of the estimate), and end on the same model.
    use finkit_credit::LogisticParams;
    let train = polish("year1_train.csv");
    let fitted = ScorecardParams::new().exclude(["firm"]).build().unwrap().fit(&train).unwrap();
    let report = fitted.report();
    let process =
        BinningProcessParams::new().exclude(["firm"]).build().unwrap().fit(&train).unwrap();
    // The characteristics that entered the sign checks, strongest IV first (ties: columns).
    let columns = train.feature_names();
    let mut entered: Vec<&finkit_credit::pipeline::VariableReport> = report
        .variables
        .iter()
        .filter(|v| matches!(v.status, VariableStatus::Kept | VariableStatus::WrongSign { .. }))
        .collect();
    entered.sort_by(|a, b| {
        let pos = |n: &str| columns.iter().position(|c| *c == n).unwrap();
        b.iv.unwrap().total_cmp(&a.iv.unwrap()).then(pos(&a.name).cmp(&pos(&b.name)))
    });
    let mut names: Vec<String> = entered.iter().map(|v| v.name.clone()).collect();
    let y = train.target().unwrap().to_owned();
    let mut dropped = Vec::new();
    let model = loop {
        let x = process.with_selection(&names).unwrap().transform(&train).unwrap().values;
        let model = LogisticParams::new()
            .tolerance(1e-10)
            .feature_names(names.clone())
            .fit(&x, &y)
            .unwrap();
        let coef = model.coefficients();
        let z = model.z_values();
        let wrong = (0..coef.len())
            .filter(|&j| coef[j] <= 0.0)
            .min_by(|&a, &b| z[a + 1].total_cmp(&z[b + 1]).then(a.cmp(&b)));
        match wrong {
            Some(j) => dropped.push((names.remove(j), coef[j])),
            None => break model,
        }
    };
    assert!(!dropped.is_empty(), "the Polish data exercise the sign checks");
    let reported: Vec<(&str, f64)> = report
        .variables
        .iter()
        .filter_map(|v| match v.status {
            VariableStatus::WrongSign { coefficient } => Some((v.name.as_str(), coefficient)),
            _ => None,
        })
        .collect();
    assert_eq!(reported.len(), dropped.len());
    for (name, coefficient) in &dropped {
        let (_, got) = reported.iter().find(|(n, _)| n == name).expect("dropped in the pipeline");
        // The estimate the decision was taken on: within its error bound of the optimum.
        let tol = 1e-4 * coefficient.abs().max(1.0);
        assert!((got - coefficient).abs() < tol, "{name}: {got} vs converged {coefficient}");
    }
    assert_eq!(report.kept(), names.iter().map(String::as_str).collect::<Vec<_>>());
    let final_model = fitted.model();
    for (a, b) in final_model.params().iter().zip(model.params()) {
        assert!((a - b).abs() < 1e-8, "final model {a} vs cold fit {b}");
    }
}

#[test]
fn scorecard_pipeline_is_the_same_on_one_and_two_threads() {
    let train = polish("year1_train.csv");
    let fit_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            ScorecardParams::new().exclude(["firm"]).build().unwrap().fit(&train).unwrap()
        })
    };
    assert_eq!(fit_on(1), fit_on(2));
}
