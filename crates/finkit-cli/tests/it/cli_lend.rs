//! `finkit lend …` end to end: decisions on a synthetic pool (every application decided, with
//! reasons; one application alone gives the same decision), financing plans for technology
//! enterprises, risk-based pricing tied to the IRB formula and the RAROC hurdle, and the
//! bad-input contract.

use crate::common;

use std::collections::BTreeSet;

use common::tolerance::{CLOSED_FORM_REL, rel_err};
use common::{Scratch, arg, data, finkit, finkit_env, num, synthetic_pool, synthetic_pool_sized};
use serde_json::Value;

/// The hurdle rate of `PricingConfig::default()` (finkit-lending), also printed in every
/// decision's audit record (checked below).
const DEFAULT_HURDLE: f64 = 0.12;

fn keys(doc: &Value) -> BTreeSet<String> {
    doc.as_object().expect("a JSON object").keys().cloned().collect()
}

#[test]
fn decide_every_application_and_one_alone() {
    let s = Scratch::new();
    let (db, data, _files) = synthetic_pool(&s);
    // The pool's admin registers the officer; the officer acts as the environment says.
    finkit(&["pool", "user-set", "--db", &db, "--name", "officer", "--role", "credit-officer"])
        .ok();
    let as_officer = [("FINKIT_USER", "officer")];
    let all =
        finkit_env(&["lend", "decide", "--db", &db, "--user", "officer", "--json"], &as_officer)
            .json();
    assert_eq!(
        keys(&all),
        ["decisions", "model", "model_source", "policy"].iter().map(|s| (*s).to_owned()).collect()
    );
    // A pool without a learned model decides with the expert fallback and the default policy.
    assert_eq!(all["model_source"], "expert-fallback");
    assert_eq!(all["policy"], "finkit-default");
    assert!(all["model"].as_str().is_some_and(|m| !m.is_empty()));
    let decisions = all["decisions"].as_array().expect("decisions");
    assert_eq!(decisions.len(), data.applications.len());
    let ids: BTreeSet<String> = data.applications.iter().map(|a| a.id.to_string()).collect();
    for d in decisions {
        let id = d["application_id"].as_str().expect("application_id");
        assert!(ids.contains(id), "{id} is not an application of the pool");
        let outcome = d["core"]["outcome"].as_str().expect("outcome");
        assert!(["approve", "refer", "decline"].contains(&outcome), "{outcome}");
        let pd = num(d, &["core", "pd"]);
        assert!((0.0..=1.0).contains(&pd), "{id}: pd {pd}");
        let reasons = d["reasons"].as_array().expect("reasons");
        if outcome != "approve" {
            assert!(!reasons.is_empty(), "{id}: {outcome} without a reason");
        }
        for r in reasons {
            assert!(r["code"].as_str().is_some_and(|c| !c.is_empty()), "{r}");
            assert!(r["text"].as_str().is_some_and(|t| !t.is_empty()), "{r}");
        }
        assert_eq!(num(d, &["audit", "pricing", "rates", "hurdle_rate"]), DEFAULT_HURDLE);
    }
    // One application alone: the same decision.
    let first = &decisions[0];
    let id = first["application_id"].as_str().unwrap();
    let one = finkit_env(
        &["lend", "decide", "--db", &db, "--user", "officer", "--application", id, "--json"],
        &as_officer,
    )
    .json();
    let one = &one["decisions"].as_array().expect("decisions")[0];
    assert_eq!(one["core"]["outcome"], first["core"]["outcome"]);
    assert_eq!(one["core"]["pd"], first["core"]["pd"]);
    assert_eq!(one["reasons"], first["reasons"]);

    // The table, and the reasons spelled out for a single application.
    let run = finkit(&["lend", "decide", "--db", &db, "--application", id]);
    run.ok();
    assert!(run.stdout.contains(id) && run.stdout.contains("- ["), "{}", run.stdout);
}

#[test]
fn plans_for_technology_enterprises() {
    let s = Scratch::new();
    let (db, data, _files) = synthetic_pool(&s);
    let tech: BTreeSet<String> = data
        .firms
        .iter()
        .filter(|f| f.tech.is_tech_innovative())
        .map(|f| f.id.to_string())
        .collect();
    let mut with_plan = 0;
    for app in &data.applications {
        let id = app.id.to_string();
        let doc = finkit(&["lend", "plan", "--db", &db, "--application", &id, "--json"]).json();
        assert_eq!(
            keys(&doc),
            ["application_id", "outcome", "plan"].iter().map(|s| (*s).to_owned()).collect()
        );
        assert_eq!(doc["application_id"], id.as_str());
        let is_tech = tech.contains(&app.firm_id.to_string());
        if !is_tech {
            assert_eq!(doc["plan"], Value::Null, "{id}: a plan for a non-tech firm");
        } else if !doc["plan"].is_null() {
            with_plan += 1;
            assert!(doc["plan"]["lines"].is_array(), "{doc}");
        }
    }
    assert!(with_plan > 0, "no technology enterprise got a financing plan");
}

#[test]
fn price_follows_the_irb_formula_and_the_hurdle() {
    let doc =
        finkit(&["lend", "price", "--pd", "0.01", "--lgd", "0.45", "--maturity", "2.5", "--json"])
            .json();
    for key in ["capital", "components", "break_even_spread", "raroc", "pd", "lgd", "maturity"] {
        assert!(doc.get(key).is_some(), "{key} missing from {doc}");
    }
    // Capital is the Basel IRB K: as `risk irb` and the reference grid (PD 1 %, LGD 45 %, M 2.5).
    let irb =
        finkit(&["risk", "irb", "--pd", "0.01", "--lgd", "0.45", "--maturity", "2.5", "--json"])
            .json();
    assert_eq!(doc["capital"], irb["k"]);
    let grid = std::fs::read_to_string(data("irb_corporate_grid.csv")).unwrap();
    let row = grid.lines().find(|l| l.starts_with("0.01,0.45,2.5,,")).expect("grid row");
    let k: f64 = row.split(',').nth(8).unwrap().parse().unwrap();
    assert!(rel_err(num(&doc, &["capital"]), k) <= CLOSED_FORM_REL);
    // The rate is the sum of its components.
    let c = &doc["components"];
    let sum = [
        "funding_cost",
        "operating_cost",
        "expected_loss",
        "capital_charge",
        "capital_benefit",
        "margin",
    ]
    .iter()
    .map(|k| num(c, &[k]))
    .sum::<f64>();
    assert!((sum - num(c, &["total"])).abs() < 1e-15, "{c}");
    assert_eq!(num(c, &["expected_loss"]), 0.01 * 0.45);
    // At funding + break-even spread the RAROC is the hurdle; above it, more.
    let break_even = num(&doc, &["break_even_spread"]) + num(c, &["funding_cost"]);
    let at = finkit(&[
        "lend",
        "price",
        "--pd",
        "0.01",
        "--lgd",
        "0.45",
        "--maturity",
        "2.5",
        "--rate",
        &format!("{break_even:?}"),
        "--json",
    ])
    .json();
    assert!((num(&at, &["raroc_of_proposed_rate"]) - DEFAULT_HURDLE).abs() < 1e-12, "{at}");
    let above = finkit(&[
        "lend",
        "price",
        "--pd",
        "0.01",
        "--lgd",
        "0.45",
        "--maturity",
        "2.5",
        "--rate",
        "0.06",
        "--json",
    ])
    .json();
    assert!(num(&above, &["raroc_of_proposed_rate"]) > DEFAULT_HURDLE);
    // SME sales lower the correlation, hence the capital.
    let sme = finkit(&[
        "lend",
        "price",
        "--pd",
        "0.01",
        "--lgd",
        "0.45",
        "--maturity",
        "2.5",
        "--sales",
        "5",
        "--json",
    ])
    .json();
    assert!(num(&sme, &["capital"]) < num(&doc, &["capital"]));
    // Human-readable output.
    let run = finkit(&["lend", "price", "--pd", "0.01", "--lgd", "0.45", "--maturity", "2.5"]);
    run.ok();
    assert!(run.stdout.contains("RAROC"));
}

#[test]
fn lend_bad_input() {
    let s = Scratch::new();
    let price = |extra: &[&str]| {
        let mut args = vec!["lend", "price", "--json"];
        args.extend_from_slice(extra);
        finkit(&args)
    };
    price(&["--pd", "1.7", "--lgd", "0.45", "--maturity", "2.5"]).bad_input(&["pd", "1.7"]);
    price(&["--pd", "NaN", "--lgd", "0.45", "--maturity", "2.5"]).bad_input(&["pd", "NaN"]);
    price(&["--pd", "0.01", "--lgd", "NaN", "--maturity", "2.5"]).bad_input(&["lgd", "NaN"]);
    price(&["--pd", "0.01", "--lgd", "0.45", "--maturity=-1"]).bad_input(&["-1"]);
    price(&["--pd", "0.01", "--lgd", "0.45", "--maturity", "0"]).bad_input(&["0"]);
    price(&["--pd", "0.01", "--lgd", "0.45", "--maturity", "2.5", "--sales=-4"])
        .bad_input(&["sales", "-4"]);
    price(&["--pd", "0.01", "--lgd", "0.45", "--maturity", "2.5", "--rate", "NaN"])
        .bad_input(&["rate", "NaN"]);

    let absent = arg(&s.path("absent.db"));
    finkit(&["lend", "decide", "--db", &absent]).bad_input(&["absent.db"]);
    finkit(&["lend", "plan", "--db", &absent, "--application", "A1"]).bad_input(&["absent.db"]);
    let not_a_pool = s.write("text.db", "not a database");
    finkit(&["lend", "decide", "--db", &not_a_pool]).bad_input(&["text.db"]);

    let (db, _data, _files) = synthetic_pool(&s);
    finkit(&["lend", "decide", "--db", &db, "--application", "A-NOBODY", "--json"])
        .bad_input(&["A-NOBODY"]);
    finkit(&["lend", "plan", "--db", &db, "--application", "A-NOBODY"]).bad_input(&["A-NOBODY"]);
    finkit(&["lend", "decide", "--db", &db, "--application", ""]).bad_input(&["application"]);
    let no_policy = arg(&s.path("policy.toml"));
    finkit(&["lend", "decide", "--db", &db, "--policy", &no_policy]).bad_input(&["policy.toml"]);
    let bad_policy = s.write("bad_policy.toml", "garbage = [\n");
    finkit(&["lend", "decide", "--db", &db, "--policy", &bad_policy])
        .bad_input(&["bad_policy.toml", "line 1"]);
}

#[test]
fn decisions_act_in_the_role_the_pool_gives_the_user() {
    let s = Scratch::new();
    let (db, _data, _files) = synthetic_pool(&s);
    finkit(&["pool", "user-set", "--db", &db, "--name", "ann", "--role", "analyst"]).ok();
    // An analyst may not read applications: no decision, whatever the flags say.
    let analyst = finkit_env(&["lend", "decide", "--db", &db, "--json"], &[("FINKIT_USER", "ann")]);
    analyst.bad_input(&["access denied", "ann", "analyst"]);
    // Naming someone else with --user does not make you them.
    finkit_env(&["lend", "decide", "--db", &db, "--user", "tester"], &[("FINKIT_USER", "ann")])
        .bad_input(&["--user", "tester", "ann"]);
    // A user the pool does not know is refused.
    finkit_env(&["lend", "decide", "--db", &db], &[("FINKIT_USER", "nobody")])
        .bad_input(&["nobody", "user-set"]);
}

/// Share of decisions taken without referral.
fn straight_through(doc: &Value) -> f64 {
    let d = doc["decisions"].as_array().expect("decisions");
    d.iter().filter(|d| d["core"]["outcome"] != "refer").count() as f64 / d.len() as f64
}

#[test]
fn develop_stores_a_learned_model_that_decisions_then_use() {
    let s = Scratch::new();
    let (db, data, _files) = synthetic_pool_sized(&s, 1_500, 120, 11);
    let as_of = data.as_of.to_string();
    let expert = finkit(&["lend", "decide", "--db", &db, "--json"]).json();
    assert_eq!(expert["model_source"], "expert-fallback");

    let dev = finkit(&["lend", "develop", "--db", &db, "--as-of", &as_of, "--json"]).json();
    assert_eq!(dev["model"], "pool-scorecard/v1", "{dev}");
    assert_eq!(dev["version"], 1);
    assert!(!dev["characteristics"].as_array().expect("characteristics").is_empty());
    let report = &dev["report"];
    assert_eq!(report["train_from"], as_of.as_str());
    assert_eq!(report["horizon_months"], 12);
    let auc = num(report, &["validation", "auc", "auc"]);
    assert!(auc > 0.6, "validation AUC {auc}");

    // Decisions now use the stored model and the straight-through policy that goes with it.
    let learned = finkit(&["lend", "decide", "--db", &db, "--json"]).json();
    assert_eq!(learned["model"], "pool-scorecard/v1");
    assert_eq!(learned["model_source"], "learned");
    assert_eq!(learned["policy"], "finkit-straight-through");
    assert!(
        straight_through(&learned) >= straight_through(&expert),
        "learned {} < expert {}",
        straight_through(&learned),
        straight_through(&expert)
    );
    // --model expert and --policy are explicit overrides.
    let forced = finkit(&["lend", "decide", "--db", &db, "--model", "expert", "--json"]).json();
    assert_eq!(forced["model_source"], "expert-fallback");
    assert_eq!(forced["decisions"], expert["decisions"]);
    let default_policy = data_policy_path();
    let strict =
        finkit(&["lend", "decide", "--db", &db, "--policy", &default_policy, "--json"]).json();
    assert_eq!(
        (strict["model_source"].as_str(), strict["policy"].as_str()),
        (Some("learned"), Some("finkit-default"))
    );

    // A second development is the next version; the text output names it.
    let again = finkit(&["lend", "develop", "--db", &db, "--as-of", &as_of]);
    again.ok();
    assert!(again.stdout.contains("pool-scorecard/v2"), "{}", again.stdout);

    // A window without defaults cannot be developed: one line, exit 2, nothing stored.
    finkit(&["lend", "develop", "--db", &db, "--as-of", "1990-12-31"])
        .bad_input(&["1990-12-31", "nothing to learn from"]);
    for share in ["0", "1", "NaN", "-0.5"] {
        finkit(&["lend", "develop", "--db", &db, "--as-of", &as_of, "--validation-share", share])
            .bad_input(&["validation_share"]);
    }
    let after = finkit(&["lend", "decide", "--db", &db, "--json"]).json();
    assert_eq!(after["model"], "pool-scorecard/v2");
}

/// The default policy shipped with finkit-lending, as a file.
fn data_policy_path() -> String {
    arg(&std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../finkit-lending/policy/default.toml"))
}
