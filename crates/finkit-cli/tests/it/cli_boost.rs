//! `credit fit-boosting`, `credit explain` and `credit score` with boosted and XGBoost models on
//! the Polish bankruptcy data (`data/polish/`, provenance there).

use crate::common;

use common::{Scratch, arg, edit_line, finkit, head, num, repo_data, set_cell};

fn polish(file: &str) -> String {
    arg(&repo_data(&format!("polish/{file}")))
}

/// XGBoost computes in float32 (the reference file's stated tolerance).
const XGB_TOL: f64 = 1e-5;

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines.next().expect("header").split(',').map(str::to_owned).collect();
    (header, lines.map(|l| l.split(',').map(str::to_owned).collect()).collect())
}

#[test]
fn fit_boosting_then_score_and_explain() {
    let s = Scratch::new();
    let model = arg(&s.path("model.json"));
    let doc = finkit(&[
        "credit",
        "fit-boosting",
        "--csv",
        &polish("year1_train.csv"),
        "--target",
        "bankrupt",
        "--monotone",
        "auto",
        "--trees",
        "60",
        "--learning-rate",
        "0.1",
        "--out",
        &model,
        "--json",
    ])
    .json();
    assert_eq!(doc["trees"], 60);
    assert_eq!(
        doc["ignored"],
        serde_json::json!(["firm"]),
        "the identifier is left out and said so"
    );
    assert_eq!(doc["features"].as_array().unwrap().len(), 64);
    assert_eq!(doc["monotone"]["x01"], -1);
    assert_eq!(doc["monotone"]["x02"], 1);
    assert!(doc["monotone"].get("x15").is_none(), "|rho| < 0.02 is unconstrained");
    assert!(num(&doc, &["training", "auc"]) > 0.95);

    let scores = arg(&s.path("scores.csv"));
    let scored = finkit(&[
        "credit",
        "score",
        "--card",
        &model,
        "--csv",
        &polish("year1_test.csv"),
        "--target",
        "bankrupt",
        "--out",
        &scores,
        "--json",
    ])
    .json();
    assert_eq!(scored["kind"], "boosted");
    let rows = scored["scores"].as_array().unwrap();
    assert_eq!(rows.len(), 2107);
    let written = std::fs::read_to_string(&scores).unwrap();
    assert_eq!(written.lines().next(), Some("row,score,pd,reasons"));
    assert_eq!(written.lines().count(), 2108);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["row"], i);
        let (m, pd) = (num(r, &["score"]), num(r, &["pd"]));
        assert!((pd - 1.0 / (1.0 + (-m).exp())).abs() < 1e-15, "the score is the margin");
        assert!(r["reasons"].as_array().unwrap().len() <= 4);
    }

    let contribs = arg(&s.path("contribs.csv"));
    finkit(&[
        "credit",
        "explain",
        "--model",
        &model,
        "--csv",
        &polish("year1_test.csv"),
        "--target",
        "bankrupt",
        "--exclude",
        "firm",
        "--out",
        &contribs,
    ])
    .ok();
    let (header, lines) = csv_rows(&std::fs::read_to_string(&contribs).unwrap());
    assert_eq!(header.len(), 1 + 64 + 3);
    assert_eq!(
        (&header[0][..], &header[65][..], &header[66][..], &header[67][..]),
        ("row", "bias", "margin", "pd")
    );
    for (i, line) in lines.iter().enumerate() {
        let v: Vec<f64> = line[1..].iter().map(|c| c.parse().unwrap()).collect();
        let sum: f64 = v[..65].iter().sum();
        assert!((sum - v[65]).abs() < 1e-9, "row {i}: contributions sum to the margin");
        assert!((v[65] - num(&rows[i], &["score"])).abs() < 1e-9, "row {i}: same margin as score");
        // The reasons are the largest positive contributions.
        let mut order: Vec<usize> = (0..64).filter(|&j| v[j] > 0.0).collect();
        order.sort_by(|&a, &b| v[b].total_cmp(&v[a]).then(a.cmp(&b)));
        let expected: Vec<&str> = order.iter().take(4).map(|&j| header[j + 1].as_str()).collect();
        let got: Vec<&str> =
            rows[i]["reasons"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert_eq!(got, expected, "row {i}");
    }
}

#[test]
fn exact_gradients_flag_searches_on_exact_sums() {
    // The default searches splits on quantized gradients; `--exact-gradients` on the exact
    // sums: a different model (same data, seed and trees), as accurate on the training data.
    let s = Scratch::new();
    let polish_train = polish("year1_train.csv");
    let fit = |name: &str, extra: &[&str]| {
        let model = arg(&s.path(name));
        let mut args = vec![
            "credit",
            "fit-boosting",
            "--csv",
            &polish_train,
            "--target",
            "bankrupt",
            "--trees",
            "40",
            "--out",
            &model,
            "--json",
        ];
        args.extend_from_slice(extra);
        let doc = finkit(&args).json();
        (std::fs::read_to_string(s.path(name)).expect("model"), num(&doc, &["training", "auc"]))
    };
    let (quantized, auc_q) = fit("q.json", &[]);
    let (exact, auc_e) = fit("e.json", &["--exact-gradients"]);
    assert_ne!(quantized, exact);
    assert!(auc_q > 0.95 && auc_e > 0.95, "training AUC {auc_q} / {auc_e}");
}

#[test]
fn explain_json_names_the_model_the_rows_the_features_and_the_output() {
    let s = Scratch::new();
    let contribs = arg(&s.path("contribs.csv"));
    let model = polish("xgb_year1.json");
    let doc = finkit(&[
        "credit",
        "explain",
        "--model",
        &model,
        "--csv",
        &polish("year1_test.csv"),
        "--out",
        &contribs,
        "--json",
    ])
    .json();
    let keys: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["features", "model", "out", "rows"], "sorted keys: {doc}");
    assert_eq!(
        (doc["model"].as_str(), doc["out"].as_str()),
        (Some(&model[..]), Some(&contribs[..]))
    );
    let (header, lines) = csv_rows(&std::fs::read_to_string(&contribs).unwrap());
    assert_eq!(doc["rows"], lines.len());
    let features: Vec<&str> =
        doc["features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(
        features,
        header[1..header.len() - 3].iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[test]
fn an_xgboost_model_scores_and_explains_as_xgboost() {
    let s = Scratch::new();
    let contribs = arg(&s.path("contribs.csv"));
    finkit(&[
        "credit",
        "explain",
        "--model",
        &polish("xgb_year1.json"),
        "--csv",
        &polish("year1_test.csv"),
        "--out",
        &contribs,
    ])
    .ok();
    let (header, lines) = csv_rows(&std::fs::read_to_string(&contribs).unwrap());
    let (ref_header, reference) =
        csv_rows(&std::fs::read_to_string(polish("xgb_year1_contribs.csv")).unwrap());
    assert_eq!(lines.len(), reference.len());
    for (name_at, name) in header.iter().enumerate().skip(1) {
        let k = ref_header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}"));
        for (i, (ours, theirs)) in lines.iter().zip(&reference).enumerate() {
            let (a, b): (f64, f64) = (ours[name_at].parse().unwrap(), theirs[k].parse().unwrap());
            assert!((a - b).abs() <= XGB_TOL, "row {i} {name}: {a} vs {b}");
        }
    }
    let scored = finkit(&[
        "credit",
        "score",
        "--card",
        &polish("xgb_year1.json"),
        "--csv",
        &polish("year1_test.csv"),
        "--target",
        "bankrupt",
        "--json",
    ])
    .json();
    assert_eq!(scored["kind"], "xgboost");
    let pd_at = ref_header.iter().position(|h| h == "pd").unwrap();
    for (r, theirs) in scored["scores"].as_array().unwrap().iter().zip(&reference) {
        let b: f64 = theirs[pd_at].parse().unwrap();
        assert!((num(r, &["pd"]) - b).abs() <= XGB_TOL);
    }
}

#[test]
fn boosting_commands_bad_input() {
    let s = Scratch::new();
    let test = std::fs::read_to_string(polish("year1_test.csv")).unwrap();
    let small = s.write("small.csv", &head(&test, 40));
    let xgb = polish("xgb_year1.json");
    let score = |model: &str, csv: &str| {
        finkit(&[
            "credit", "score", "--card", model, "--csv", csv, "--target", "bankrupt", "--json",
        ])
    };
    // Malformed model files.
    let truncated = s.write("truncated.json", &std::fs::read_to_string(&xgb).unwrap()[..5000]);
    score(&truncated, &small).bad_input(&["truncated.json", "not JSON"]);
    let text = std::fs::read_to_string(&xgb).unwrap();
    let wrong = s.write("objective.json", &text.replacen("binary:logistic", "reg:squarederror", 1));
    score(&wrong, &small).bad_input(&["objective.json", "reg:squarederror"]);
    let broken = s.write(
        "children.json",
        &text.replacen("\"left_children\":[1,", "\"left_children\":[0,", 1),
    );
    score(&broken, &small).bad_input(&["children.json", "tree 0"]);
    let other = s.write("other.json", "{\"format\": \"something/1\"}");
    score(&other, &small).bad_input(&["other.json", "not a model"]);
    // An edited finkit model fails its checksum.
    let model = arg(&s.path("m.json"));
    finkit(&[
        "credit",
        "fit-boosting",
        "--csv",
        &polish("year1_train.csv"),
        "--target",
        "bankrupt",
        "--trees",
        "3",
        "--out",
        &model,
    ])
    .ok();
    let saved = std::fs::read_to_string(&model).unwrap();
    let edited =
        s.write("edited.json", &saved.replacen("\"base_margin\":-", "\"base_margin\":-1", 1));
    score(&edited, &small).bad_input(&["edited.json", "checksum"]);
    // A feature missing from the CSV, a non-numeric cell, a NaN.
    let no_x05: String = test
        .lines()
        .take(30)
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            c.remove(5);
            format!("{}\n", c.join(","))
        })
        .collect();
    let no_x05 = s.write("no_x05.csv", &no_x05);
    score(&xgb, &no_x05).bad_input(&["no_x05.csv", "\"x05\"", "no such column"]);
    let text_cell =
        s.write("text.csv", &edit_line(&head(&test, 30), 7, |l| set_cell(l, 3, "twelve")));
    score(&xgb, &text_cell).bad_input(&["text.csv", "line 7", "\"x03\"", "twelve"]);
    let out = arg(&s.path("never.csv"));
    finkit(&["credit", "explain", "--model", &xgb, "--csv", &text_cell, "--out", &out])
        .bad_input(&["text.csv", "line 7", "\"x03\""]);
    assert!(!s.path("never.csv").exists(), "no partial output on failure");
    finkit(&[
        "credit",
        "explain",
        "--model",
        &xgb,
        "--csv",
        &small,
        "--exclude",
        "x07",
        "--out",
        &out,
    ])
    .bad_input(&["x07"]);
    // fit-boosting: a text column that is not an identifier, bad parameters, a bad monotone file.
    let train = std::fs::read_to_string(polish("year1_train.csv")).unwrap();
    let bad_train =
        s.write("bad_train.csv", &edit_line(&head(&train, 200), 9, |l| set_cell(l, 4, "n/a")));
    let fit = |csv: &str, extra: &[&str]| {
        let mut a = vec![
            "credit",
            "fit-boosting",
            "--csv",
            csv,
            "--target",
            "bankrupt",
            "--out",
            &model,
            "--trees",
            "2",
        ];
        a.extend_from_slice(extra);
        finkit(&a)
    };
    fit(&bad_train, &[]).bad_input(&["bad_train.csv", "line 9", "\"x04\"", "n/a"]);
    fit(&small, &["--learning-rate", "0"]).bad_input(&["learning_rate"]);
    fit(&small, &["--monotone", "nosuch.json"]).bad_input(&["nosuch.json"]);
    let signs = s.write("signs.json", "{\"x99\": 1}");
    fit(&polish("year1_train.csv"), &["--monotone", &signs]).bad_input(&["x99"]);
}
