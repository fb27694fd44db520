//! `finkit credit dataset` and `finkit credit monitor` end to end: the JSON fields, the Polish
//! drift case (a card fitted on `year1_train` monitored on other firms and on a drifted
//! population; data and provenance in tests/data/polish/), and the bad-input contract (a model
//! and a CSV whose columns do not match, an empty current population, a missing target).

use crate::common;

use common::{Scratch, arg, data, finkit, synthetic_pool};

fn polish(name: &str) -> String {
    arg(&data(&format!("polish/{name}")))
}

/// A scorecard fitted on the Polish training subset, and its characteristics.
fn polish_card_with(s: &Scratch) -> (String, Vec<String>) {
    let card = arg(&s.path("polish_card.json"));
    let doc = finkit(&[
        "credit",
        "fit-scorecard",
        "--csv",
        &polish("year1_train_subset.csv"),
        "--target",
        "bankrupt",
        "--exclude",
        "firm",
        "--out",
        &card,
        "--json",
    ])
    .json();
    let names = doc["characteristics"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    (card, names)
}

fn polish_card(s: &Scratch) -> String {
    polish_card_with(s).0
}

#[test]
fn dataset_writes_the_point_in_time_table() {
    let s = Scratch::new();
    let (db, data, _) = synthetic_pool(&s);
    let out = arg(&s.path("train.csv"));
    let as_of = data.as_of.to_string();
    let doc = finkit(&[
        "credit",
        "dataset",
        "--db",
        &db,
        "--as-of",
        &as_of,
        "--horizon-months",
        "12",
        "--out",
        &out,
        "--json",
    ])
    .json();
    assert_eq!(doc["rows"], 40);
    assert_eq!(doc["defaults"], data.summary().defaults);
    assert_eq!(doc["features"].as_array().map(Vec::len), Some(20));
    assert_eq!(doc["dates"][0]["as_of"], as_of);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("firm_id,as_of,working_capital_to_assets,"));
    assert_eq!(text.lines().count(), 41);
    // Bad dates and horizons are one-line usage or input errors.
    finkit(&["credit", "dataset", "--db", &db, "--as-of", "2024-13-01", "--out", &out])
        .bad_input(&["2024-13-01"]);
    finkit(&[
        "credit",
        "dataset",
        "--db",
        &db,
        "--as-of",
        &as_of,
        "--horizon-months",
        "0",
        "--out",
        &out,
    ])
    .bad_input(&["horizon"]);
    let missing = arg(&s.path("nope.db"));
    finkit(&["credit", "dataset", "--db", &missing, "--as-of", &as_of, "--out", &out])
        .bad_input(&["nope.db"]);
}

#[test]
fn polish_card_on_other_firms_and_on_a_drifted_population() {
    let s = Scratch::new();
    let card = polish_card(&s);
    let reference = polish("year1_train_subset.csv");
    // Other firms of the same horizon: stable.
    let doc = finkit(&[
        "credit",
        "monitor",
        "--card",
        &card,
        "--reference",
        &reference,
        "--current",
        &polish("year1_test_subset.csv"),
        "--target",
        "bankrupt",
        "--json",
    ])
    .json();
    let psi = doc["score_psi"]["value"].as_f64().unwrap();
    assert!(psi < 0.1, "PSI {psi}");
    assert_eq!(doc["score_psi"]["verdict"], "green");
    let o = &doc["outcomes"];
    assert_eq!(o["observations"], 1054);
    assert_eq!(o["defaults"], 41);
    let auc = o["auc"]["auc"].as_f64().unwrap();
    assert!(auc > 0.7 && o["auc"]["ci_lower"].as_f64().unwrap() < auc, "{o}");
    assert!(o["reference_auc"]["auc"].as_f64().is_some());
    for key in ["spiegelhalter", "hosmer_lemeshow", "grades", "auc_verdict"] {
        assert!(!o[key].is_null(), "{key} missing");
    }
    assert!(doc["characteristics"].as_array().is_some_and(|c| !c.is_empty()));
    for key in ["overall", "thresholds", "model_id", "card", "reference", "current"] {
        assert!(!doc[key].is_null(), "{key} missing");
    }
    // A drifted population: the test firms with negative profitability (x01 < 0).
    let text = std::fs::read_to_string(data("polish/year1_test_subset.csv")).unwrap();
    let mut lines = text.lines();
    let mut drifted = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let x01 = line.split(',').nth(1).unwrap_or("");
        if x01.parse::<f64>().is_ok_and(|v| v < 0.0) {
            drifted.push_str(line);
            drifted.push('\n');
        }
    }
    let current = s.write("drifted.csv", &drifted);
    let doc = finkit(&[
        "credit",
        "monitor",
        "--card",
        &card,
        "--reference",
        &reference,
        "--current",
        &current,
        "--json",
    ])
    .json();
    assert_eq!(doc["score_psi"]["verdict"], "red", "{}", doc["score_psi"]);
    assert_eq!(doc["overall"], "red");
    assert!(doc["outcomes"].is_null(), "no --target: stability only");
    // The table output names every item.
    let run = finkit(&[
        "credit",
        "monitor",
        "--card",
        &card,
        "--reference",
        &reference,
        "--current",
        &current,
    ]);
    assert!(run.ok().stdout.contains("PSI of the score"));
}

#[test]
fn monitor_bad_inputs_are_one_line_errors() {
    let s = Scratch::new();
    let (card, names) = polish_card_with(&s);
    let reference = polish("year1_train_subset.csv");
    let text = std::fs::read_to_string(data("polish/year1_test_subset.csv")).unwrap();
    // A CSV whose columns do not match the model's.
    let header = text.lines().next().unwrap().to_owned();
    let used = names.first().expect("the card has characteristics").clone();
    let renamed: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                header.replace(&format!(",{used},"), ",renamed,") + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let bad = s.write("renamed.csv", &renamed);
    finkit(&["credit", "monitor", "--card", &card, "--reference", &reference, "--current", &bad])
        .bad_input(&["renamed.csv", &used, "line 1"]);
    // An empty current population (a header and no rows).
    let empty = s.write("empty.csv", &format!("{header}\n"));
    finkit(&["credit", "monitor", "--card", &card, "--reference", &reference, "--current", &empty])
        .bad_input(&["empty.csv"]);
    // A target that the current population lacks.
    finkit(&[
        "credit",
        "monitor",
        "--card",
        &card,
        "--reference",
        &reference,
        "--current",
        &polish("year1_test_subset.csv"),
        "--target",
        "defaulted",
    ])
    .bad_input(&["year1_test_subset.csv", "defaulted"]);
    // A card that is not a scorecard.
    let junk = s.write("junk.json", "{\"not\": \"a card\"}");
    finkit(&[
        "credit",
        "monitor",
        "--card",
        &junk,
        "--reference",
        &reference,
        "--current",
        &reference,
    ])
    .bad_input(&["junk.json"]);
}
