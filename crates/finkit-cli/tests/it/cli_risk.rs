//! `finkit risk …` end to end: the scripting contract's JSON fields, the values on the shared
//! references (the same numbers and tolerances as finkit-risk's reference tests), and the
//! bad-input contract (exit code 2, one line naming file, line and field, no backtrace).

use crate::common;

use std::collections::BTreeSet;

use common::tolerance::{
    CLOSED_FORM_REL, EXACT_ES_REL, GARCH_LL_SLACK, GARCH_NU_ABS, GARCH_PARAM_ABS, GARCH_VOL_ABS,
    LR_REL, MATRIX_PRODUCT_ABS, MC_SIGMAS, ORDER_STATISTIC_ABS, SUMS_REL, rel_err,
};
use common::{Scratch, arg, data, edit_line, finkit, head, num, read_json, repo_data, set_cell};
use serde_json::Value;

fn sp500() -> String {
    arg(&repo_data("sp500.csv"))
}

fn book() -> String {
    arg(&repo_data("credit_portfolio.csv"))
}

fn book_text() -> String {
    std::fs::read_to_string(repo_data("credit_portfolio.csv")).expect("bundled portfolio")
}

#[track_caller]
fn assert_rel(what: &str, got: f64, want: f64, tol: f64) {
    let e = rel_err(got, want);
    assert!(e <= tol, "{what}: got {got}, want {want}, relative error {e:e} > {tol:e}");
}

#[track_caller]
fn assert_abs(what: &str, got: f64, want: f64, tol: f64) {
    let e = (got - want).abs();
    assert!(e <= tol, "{what}: got {got}, want {want}, error {e:e} > {tol:e}");
}

#[track_caller]
fn assert_keys(doc: &Value, want: &[&str]) {
    let got: BTreeSet<&str> =
        doc.as_object().expect("a JSON object").keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = want.iter().copied().collect();
    assert_eq!(got, want, "JSON fields of {doc}");
}

// ---------------------------------------------------------------------------------------------
// risk var

#[test]
fn var_historical_full_sample_matches_reference() {
    let reference = read_json("market_risk.json");
    let full = &reference["full_sample"];
    let doc = finkit(&["risk", "var", "--prices", &sp500(), "--level", "0.99", "--json"]).json();
    assert_keys(&doc, &["var", "es", "observations"]);
    assert_eq!(doc["observations"], 5030);
    assert_abs(
        "HS VaR 99",
        num(&doc, &["var"]),
        num(full, &["hs_var99_type1"]),
        ORDER_STATISTIC_ABS,
    );
    assert_eq!(num(&doc, &["var"]), 0.033_681_064_216_042_95);
    assert_rel("Acerbi ES 99", num(&doc, &["es"]), num(full, &["hs_es99_acerbi"]), SUMS_REL);
    assert_rel("Acerbi ES 99 (issue)", num(&doc, &["es"]), 0.048_339_930_090_367_5, SUMS_REL);

    // Historical is the default method, 0.99 the default level; --column names the price column.
    let defaults =
        finkit(&["risk", "var", "--prices", &sp500(), "--column", "adj_close", "--json"]).json();
    assert_eq!(defaults, doc);

    let doc = finkit(&["risk", "var", "--prices", &sp500(), "--level", "0.975", "--json"]).json();
    assert_abs(
        "HS VaR 97.5",
        num(&doc, &["var"]),
        num(full, &["hs_var97.5_type1"]),
        ORDER_STATISTIC_ABS,
    );
    assert_rel("Acerbi ES 97.5", num(&doc, &["es"]), num(full, &["hs_es97.5_acerbi"]), SUMS_REL);
}

#[test]
fn var_normal_and_cornish_fisher_match_reference() {
    let reference = read_json("market_risk.json");
    let full = &reference["full_sample"];
    let doc = finkit(&["risk", "var", "--prices", &sp500(), "--method", "normal", "--json"]).json();
    assert_keys(&doc, &["var", "es", "observations"]);
    assert_rel("normal VaR 99", num(&doc, &["var"]), num(full, &["normal_var99"]), SUMS_REL);
    assert_rel("normal ES 99", num(&doc, &["es"]), num(full, &["normal_es99"]), SUMS_REL);

    let doc =
        finkit(&["risk", "var", "--prices", &sp500(), "--method", "cornish-fisher", "--json"])
            .json();
    assert_keys(&doc, &["var", "es", "observations"]);
    assert_rel("CF VaR 99", num(&doc, &["var"]), num(full, &["cornish_fisher_var99"]), SUMS_REL);
    assert_eq!(doc["es"], Value::Null, "Cornish-Fisher has no ES");
}

#[test]
fn var_bad_input() {
    let s = Scratch::new();
    let missing = arg(&s.path("missing.csv"));
    finkit(&["risk", "var", "--prices", &missing]).bad_input(&["missing.csv", "cannot open"]);
    let dir = arg(s.dir.path());
    finkit(&["risk", "var", "--prices", &dir]).bad_input(&["directory"]);
    let empty = s.write("empty.csv", "");
    finkit(&["risk", "var", "--prices", &empty]).bad_input(&["empty.csv", "line 1"]);

    finkit(&["risk", "var", "--prices", &sp500(), "--column", "close"]).bad_input(&[
        "sp500.csv",
        "line 1",
        "\"close\"",
        "no such column",
    ]);

    let text = s.write("text.csv", "date,p\n2020-01-01,1\n2020-01-02,2\n2020-01-03,abc\n");
    finkit(&["risk", "var", "--prices", &text, "--json"])
        .bad_input(&["text.csv", "line 4", "\"p\"", "\"abc\""]);
    let nan = s.write("nan.csv", "date,p\n2020-01-01,1\n2020-01-02,NaN\n2020-01-03,2\n");
    finkit(&["risk", "var", "--prices", &nan, "--json"])
        .bad_input(&["nan.csv", "line 3", "\"p\"", "NaN"]);
    let negative = s.write("neg.csv", "date,p\n2020-01-01,1\n2020-01-02,-2\n");
    finkit(&["risk", "var", "--prices", &negative]).bad_input(&["neg.csv", "line 3", "-2"]);
    let ragged = s.write("ragged.csv", "date,p\n2020-01-01,1\n2020-01-02\n");
    finkit(&["risk", "var", "--prices", &ragged]).bad_input(&["ragged.csv", "line 3"]);
    let one = s.write("one.csv", "date,p\n2020-01-01,1\n");
    finkit(&["risk", "var", "--prices", &one]).bad_input(&["one.csv", "at least 2"]);

    for level in ["1.5", "0", "1", "-0.5", "NaN", "inf"] {
        finkit(&["risk", "var", "--prices", &sp500(), "--level", level, "--json"])
            .bad_input(&["--level", level]);
    }
}

#[test]
fn windows_line_endings_keep_true_line_numbers() {
    let s = Scratch::new();
    let crlf = s.write(
        "crlf.csv",
        "date,p\r\n2020-01-01,1\r\n2020-01-02,2\r\n2020-01-03,3\r\n2020-01-04,x\r\n",
    );
    finkit(&["risk", "var", "--prices", &crlf]).bad_input(&["crlf.csv", "line 5", "\"x\""]);
    let good = s.write("good.csv", "date,p\r\n2020-01-01,1\r\n2020-01-02,2\r\n2020-01-03,1.5\r\n");
    // two returns: enough for the normal method (a historical VaR at 99 % needs 100)
    let doc = finkit(&["risk", "var", "--prices", &good, "--method", "normal", "--json"]).json();
    assert_eq!(doc["observations"], 2);
}

// ---------------------------------------------------------------------------------------------
// risk backtest

fn check_backtest(doc: &Value, reference: &Value) {
    assert_keys(
        doc,
        &[
            "forecasts",
            "exceptions",
            "kupiec_lr",
            "kupiec_p",
            "christoffersen_lr",
            "christoffersen_p",
            "last250_exceptions",
            "zone",
        ],
    );
    assert_eq!(doc["forecasts"], reference["T"]);
    assert_eq!(doc["exceptions"], reference["exceptions"]);
    assert_eq!(doc["last250_exceptions"], reference["last250_exceptions"]);
    assert_eq!(doc["zone"], reference["traffic_light_zone"]);
    for (field, key) in [
        ("kupiec_lr", "LR_pof"),
        ("kupiec_p", "p_value_pof"),
        ("christoffersen_lr", "LR_ind"),
        ("christoffersen_p", "p_value_ind"),
    ] {
        assert_rel(field, num(doc, &[field]), num(reference, &[key]), LR_REL);
    }
}

#[test]
fn backtest_historical_99_matches_reference() {
    let reference = read_json("market_risk.json");
    let doc = finkit(&[
        "risk",
        "backtest",
        "--prices",
        &sp500(),
        "--window",
        "250",
        "--level",
        "0.99",
        "--method",
        "historical",
        "--json",
    ])
    .json();
    check_backtest(&doc, &reference["backtests"]["hit_hs99"]);
    // The issue's numbers, spelled out.
    assert_eq!(
        (&doc["forecasts"], &doc["exceptions"], &doc["last250_exceptions"], &doc["zone"]),
        (&4780.into(), &67.into(), &5.into(), &"yellow".into())
    );
    assert_rel("Kupiec LR", num(&doc, &["kupiec_lr"]), 6.925_381_217_589_233_5, LR_REL);
    assert_rel(
        "Christoffersen LR",
        num(&doc, &["christoffersen_lr"]),
        2.976_750_389_809_581,
        LR_REL,
    );
    // Window 250, level 0.99 and historical are the defaults.
    let defaults = finkit(&["risk", "backtest", "--prices", &sp500(), "--json"]).json();
    assert_eq!(defaults, doc);
}

#[test]
fn backtest_normal_and_ewma_match_reference() {
    let reference = read_json("market_risk.json");
    for (method, key) in [("normal", "hit_norm99"), ("ewma", "hit_ewma99")] {
        let doc = finkit(&["risk", "backtest", "--prices", &sp500(), "--method", method, "--json"])
            .json();
        check_backtest(&doc, &reference["backtests"][key]);
    }
}

#[test]
fn backtest_without_250_forecasts_has_no_traffic_light() {
    let s = Scratch::new();
    let text = std::fs::read_to_string(repo_data("sp500.csv")).expect("bundled prices");
    let short = s.write("short.csv", &head(&text, 301));
    let doc = finkit(&["risk", "backtest", "--prices", &short, "--json"]).json();
    assert_eq!(doc["forecasts"], 299 - 250);
    assert_eq!((&doc["zone"], &doc["last250_exceptions"]), (&Value::Null, &Value::Null));
}

#[test]
fn backtest_bad_input() {
    let s = Scratch::new();
    for window in ["-5", "0", "1", "5030", "100000"] {
        finkit(&["risk", "backtest", "--prices", &sp500(), "--window", window, "--json"])
            .bad_input(&["--window", window]);
    }
    for level in ["1.5", "-0.01", "NaN"] {
        finkit(&["risk", "backtest", "--prices", &sp500(), "--level", level])
            .bad_input(&["--level", level]);
    }
    let missing = arg(&s.path("nope.csv"));
    finkit(&["risk", "backtest", "--prices", &missing]).bad_input(&["nope.csv"]);
    let nan = s.write("nan.csv", "date,p\n2020-01-01,1\n2020-01-02,nan\n");
    finkit(&["risk", "backtest", "--prices", &nan, "--json"])
        .bad_input(&["nan.csv", "line 3", "\"p\""]);
    finkit(&["risk", "backtest", "--prices", &sp500(), "--column", "date"]).bad_input(&[
        "sp500.csv",
        "line 2",
        "\"date\"",
        "not a number",
    ]);
}

// ---------------------------------------------------------------------------------------------
// risk garch

fn check_garch(dist: &str, key: &str) {
    let reference = read_json("market_risk.json");
    let g = &reference["garch11"][key];
    let doc = finkit(&["risk", "garch", "--prices", &sp500(), "--dist", dist, "--json"]).json();
    let mut fields = vec!["mu", "omega", "alpha", "beta", "log_likelihood", "last_vol"];
    if dist == "t" {
        fields.push("nu");
    }
    assert_keys(&doc, &fields);
    let p = &g["params_percent_units"];
    for (field, name) in
        [("mu", "mu"), ("omega", "omega"), ("alpha", "alpha[1]"), ("beta", "beta[1]")]
    {
        assert_abs(
            &format!("{dist} {field}"),
            num(&doc, &[field]),
            num(p, &[name]),
            GARCH_PARAM_ABS,
        );
    }
    if dist == "t" {
        assert_abs("t nu", num(&doc, &["nu"]), num(p, &["nu"]), GARCH_NU_ABS);
    }
    let ll = num(&doc, &["log_likelihood"]);
    let arch_ll = num(g, &["loglik_percent_units"]);
    assert!(ll >= arch_ll - GARCH_LL_SLACK, "{dist}: log-likelihood {ll} below arch's {arch_ll}");
    assert_abs(
        &format!("{dist} last vol"),
        num(&doc, &["last_vol"]),
        num(g, &["cond_vol_last_percent"]),
        GARCH_VOL_ABS,
    );
}

#[test]
fn garch_normal_matches_arch() {
    check_garch("normal", "normal");
}

#[test]
fn garch_t_matches_arch() {
    check_garch("t", "t");
}

#[test]
fn garch_bad_input() {
    let s = Scratch::new();
    let missing = arg(&s.path("none.csv"));
    finkit(&["risk", "garch", "--prices", &missing]).bad_input(&["none.csv"]);
    let text = s.write("text.csv", "date,p\n2020-01-01,1\n2020-01-02,1.1\n2020-01-03,one\n");
    finkit(&["risk", "garch", "--prices", &text, "--dist", "t", "--json"])
        .bad_input(&["text.csv", "line 4", "\"p\"", "\"one\""]);
    let nan = s.write("nan.csv", "date,p\n2020-01-01,1\n2020-01-02,NaN\n");
    finkit(&["risk", "garch", "--prices", &nan]).bad_input(&["nan.csv", "line 3"]);
    let short = s.write("short.csv", "date,p\n2020-01-01,1\n2020-01-02,1.1\n2020-01-03,1.05\n");
    finkit(&["risk", "garch", "--prices", &short, "--json"]).bad_input(&["at least"]);
    finkit(&["risk", "garch", "--prices", &sp500(), "--column", "volume"])
        .bad_input(&["\"volume\"", "no such column"]);
}

// ---------------------------------------------------------------------------------------------
// risk irb

#[test]
fn irb_matches_the_corporate_grid() {
    let text = std::fs::read_to_string(data("irb_corporate_grid.csv")).expect("grid");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("grid column");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 19 * 3 * 7);
    let mut checked = 0;
    for (i, row) in rows.iter().enumerate() {
        // Every 9th row walks all PDs, maturities and sales classes in 45 runs.
        let issue_row = row[col("pd")] == "0.01"
            && row[col("m")] == "2.5"
            && row[col("sales_eur_m")].is_empty();
        if i % 9 != 0 && !issue_row {
            continue;
        }
        let mut args = vec![
            "risk",
            "irb",
            "--pd",
            row[col("pd")],
            "--lgd",
            row[col("lgd")],
            "--maturity",
            row[col("m")],
            "--json",
        ];
        if !row[col("sales_eur_m")].is_empty() {
            args.extend(["--sales", row[col("sales_eur_m")]]);
        }
        let doc = finkit(&args).json();
        assert_keys(
            &doc,
            &["correlation", "maturity_used", "maturity_adjustment", "k", "risk_weight"],
        );
        let want = |name: &str| row[col(name)].parse::<f64>().expect("grid number");
        for (field, name) in
            [("correlation", "R"), ("maturity_adjustment", "MA"), ("k", "K"), ("risk_weight", "RW")]
        {
            assert_rel(
                &format!("row {i} {field}"),
                num(&doc, &[field]),
                want(name),
                CLOSED_FORM_REL,
            );
        }
        if issue_row {
            assert_rel("RW at PD 1 %", num(&doc, &["risk_weight"]), 0.923_168, 1e-6);
        }
        if i % 36 == 0 {
            args.push("--scaling-106");
            let scaled = finkit(&args).json();
            assert_rel(
                &format!("row {i} RW x 1.06"),
                num(&scaled, &["risk_weight"]),
                want("RW_x1_06"),
                CLOSED_FORM_REL,
            );
        }
        checked += 1;
    }
    assert!(checked >= 40, "{checked} grid rows checked");
}

#[test]
fn irb_pd_floor_is_explicit() {
    // A PD below the floor is floored only when asked: Basel III's 0.05 % gives the RW at 0.05 %.
    let run = |extra: &[&str]| {
        let mut args = vec!["risk", "irb", "--pd", "0.0003", "--lgd", "0.45", "--json"];
        args.extend_from_slice(extra);
        num(&finkit(&args).json(), &["risk_weight"])
    };
    let none = run(&[]);
    let basel3 = run(&["--pd-floor", "basel3"]);
    let at_floor = num(
        &finkit(&["risk", "irb", "--pd", "0.0005", "--lgd", "0.45", "--json"]).json(),
        &["risk_weight"],
    );
    assert!(basel3 > none);
    assert_eq!(basel3, at_floor);
    assert_eq!(run(&["--pd-floor", "none"]), none);
}

#[test]
fn irb_bad_input() {
    for (args, needles) in [
        (vec!["--pd", "1.7", "--lgd", "0.45"], vec!["pd", "1.7"]),
        (vec!["--pd", "-0.1", "--lgd", "0.45"], vec!["pd", "-0.1"]),
        (vec!["--pd", "NaN", "--lgd", "0.45"], vec!["pd", "NaN"]),
        (vec!["--pd", "0.01", "--lgd", "1.2"], vec!["lgd", "1.2"]),
        (vec!["--pd", "0.01", "--lgd", "NaN"], vec!["lgd", "NaN"]),
        (vec!["--pd", "0.01", "--lgd", "0.45", "--maturity", "-1"], vec!["maturity", "-1"]),
        (vec!["--pd", "0.01", "--lgd", "0.45", "--maturity", "0"], vec!["maturity", "0"]),
        (vec!["--pd", "0.01", "--lgd", "0.45", "--maturity", "inf"], vec!["maturity", "inf"]),
        (vec!["--pd", "0.01", "--lgd", "0.45", "--sales", "-3"], vec!["sales", "-3"]),
        (vec!["--pd", "0.01", "--lgd", "0.45", "--sales", "NaN"], vec!["sales", "NaN"]),
    ] {
        let mut full = vec!["risk", "irb"];
        full.extend(args);
        full.push("--json");
        finkit(&full).bad_input(&needles);
    }
}

// ---------------------------------------------------------------------------------------------
// risk portfolio

#[test]
fn portfolio_matches_reference() {
    let reference = read_json("credit_portfolio_results.json");
    let doc = finkit(&["risk", "portfolio", "--exposures", &book(), "--json"]).json();
    assert_keys(&doc, &["expected_loss", "rwa", "asrf_999", "hhi", "exact"]);
    assert_keys(
        &doc["exact"],
        &["var99", "var999", "es99", "es999", "unit", "banded", "loss_error_bound"],
    );
    // the reference's EUR 5 000 lattice is exact: nothing rounded
    assert_eq!(num(&doc, &["exact", "unit"]), 0.005);
    assert_eq!(doc["exact"]["banded"], false);
    assert_eq!(num(&doc, &["exact", "loss_error_bound"]), 0.0);
    let exact = &reference["one_factor_exact"];
    // VaR sits on the EUR 5 000 lattice: equal to the reference lattice point.
    assert_eq!(num(&doc, &["exact", "var999"]), 64.41);
    assert_eq!(num(&doc, &["exact", "var99"]), 40.805);
    assert_eq!(num(&doc, &["exact", "var999"]), num(exact, &["0.999", "VaR"]));
    assert_eq!(num(&doc, &["exact", "var99"]), num(exact, &["0.99", "VaR"]));
    assert_rel(
        "exact ES 99",
        num(&doc, &["exact", "es99"]),
        num(exact, &["0.99", "ES"]),
        EXACT_ES_REL,
    );
    assert_rel(
        "exact ES 99.9",
        num(&doc, &["exact", "es999"]),
        num(exact, &["0.999", "ES"]),
        EXACT_ES_REL,
    );
    for (field, path, issue) in [
        ("expected_loss", vec!["expected_loss"], 7.821_383),
        ("rwa", vec!["irb", "total_rwa"], 676.531_878_262_358_5),
        ("asrf_999", vec!["asrf", "var999"], 51.454_166_394_904_68),
        ("hhi", vec!["concentration", "hhi_ead"], 0.016_760_285_231_665_704),
    ] {
        assert_rel(field, num(&doc, &[field]), num(&reference, &path), CLOSED_FORM_REL);
        assert_rel(field, num(&doc, &[field]), issue, CLOSED_FORM_REL);
    }
}

#[test]
fn portfolio_monte_carlo_is_seeded_and_near_the_exact_values() {
    let reference = read_json("credit_portfolio_results.json");
    let scenarios = 20_000.0_f64;
    let args = [
        "risk",
        "portfolio",
        "--exposures",
        &book(),
        "--scenarios",
        "20000",
        "--seed",
        "11",
        "--json",
    ];
    let doc = finkit(&args).json();
    assert_keys(&doc, &["expected_loss", "rwa", "asrf_999", "hhi", "exact", "mc"]);
    let mc = &doc["mc"];
    assert_eq!((&mc["scenarios"], &mc["seed"]), (&20_000.into(), &11.into()));
    for key in ["var99", "var999", "es99", "es999", "mean"] {
        assert!(mc[key].is_f64(), "mc.{key} in {mc}");
    }
    assert_eq!(mc["method"], "plain");
    for key in ["var99_se", "es99_se", "var999_se", "es999_se"] {
        assert!(mc[key].as_f64().is_some_and(|x| x > 0.0), "mc.{key} in {mc}");
    }
    // Same seed, same numbers; another seed, other numbers.
    assert_eq!(finkit(&args).json(), doc);
    let other = finkit(&[
        "risk",
        "portfolio",
        "--exposures",
        &book(),
        "--scenarios",
        "20000",
        "--seed",
        "12",
        "--json",
    ])
    .json();
    assert_ne!(other["mc"], doc["mc"]);
    // Within MC_SIGMAS standard errors (the reference's 10⁶-path SE scaled to 20 000 paths) of
    // the exact one-factor values.
    let mc_ref = &reference["one_factor_mc"];
    let exact = &reference["one_factor_exact"];
    let scale = (1e6 / scenarios).sqrt();
    for (field, q, stat) in [
        ("var99", "0.99", "VaR"),
        ("var999", "0.999", "VaR"),
        ("es99", "0.99", "ES"),
        ("es999", "0.999", "ES"),
    ] {
        let se = num(mc_ref, &[q, &format!("se_{stat}_asymptotic")]) * scale;
        let got = num(mc, &[field]);
        let want = num(exact, &[q, stat]);
        assert!(
            (got - want).abs() <= MC_SIGMAS * se,
            "mc {field}: {got} vs exact {want}, more than {MC_SIGMAS} x {se}"
        );
    }
}

/// The bundled portfolio's first `rows` obligors with one line edited.
fn book_with(
    s: &Scratch,
    name: &str,
    rows: usize,
    line: usize,
    edit: impl Fn(&str) -> String,
) -> String {
    s.write(name, &edit_line(&head(&book_text(), rows + 1), line, edit))
}

#[test]
fn portfolio_bad_input() {
    let s = Scratch::new();
    let missing = arg(&s.path("absent.csv"));
    finkit(&["risk", "portfolio", "--exposures", &missing]).bad_input(&["absent.csv"]);
    // Columns: obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            book_with(&s, "text.csv", 5, 3, |l| set_cell(l, 4, "abc")),
            vec!["text.csv", "line 3", "\"lgd\"", "abc"],
        ),
        (
            book_with(&s, "nan.csv", 5, 4, |l| set_cell(l, 5, "NaN")),
            vec!["nan.csv", "line 4", "\"ead_eur_m\"", "NaN"],
        ),
        (
            book_with(&s, "pd.csv", 5, 2, |l| set_cell(l, 3, "1.7")),
            vec!["pd.csv", "line 2", "\"pd\"", "1.7"],
        ),
        (
            book_with(&s, "ead.csv", 5, 5, |l| set_cell(l, 5, "-2")),
            vec!["ead.csv", "line 5", "\"ead_eur_m\"", "-2"],
        ),
        (
            book_with(&s, "renamed.csv", 5, 1, |l| l.replace("lgd", "loss")),
            vec!["renamed.csv", "line 1", "lgd"],
        ),
        (
            book_with(&s, "dropped.csv", 5, 1, |l| l.replace(",maturity_y", "")),
            vec!["dropped.csv", "line 1", "maturity_y"],
        ),
    ];
    for (file, needles) in cases {
        finkit(&["risk", "portfolio", "--exposures", &file, "--json"]).bad_input(&needles);
    }
    let empty = s.write("empty.csv", "");
    finkit(&["risk", "portfolio", "--exposures", &empty]).bad_input(&["empty.csv"]);
}

// ---------------------------------------------------------------------------------------------
// risk stress

/// Σ PD·LGD·EAD over the obligors of `sector` in the bundled portfolio.
fn sector_el(sector: &str) -> f64 {
    book_text()
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[1] == sector)
        .map(|c| {
            c[3].parse::<f64>().unwrap()
                * c[4].parse::<f64>().unwrap()
                * c[5].parse::<f64>().unwrap()
        })
        .sum()
}

#[test]
fn stress_sector_shock_moves_only_that_sector() {
    let reference = read_json("credit_portfolio_results.json");
    let doc = finkit(&[
        "risk",
        "stress",
        "--exposures",
        &book(),
        "--shock",
        "TECH_INNOVATION:pd*2",
        "--json",
    ])
    .json();
    assert_keys(&doc, &["before", "after", "capped"]);
    for part in ["before", "after"] {
        assert_keys(&doc[part], &["expected_loss", "capital", "rwa", "asrf_loss"]);
    }
    let before = &doc["before"];
    assert_rel(
        "before EL",
        num(before, &["expected_loss"]),
        num(&reference, &["expected_loss"]),
        CLOSED_FORM_REL,
    );
    assert_rel(
        "before RWA",
        num(before, &["rwa"]),
        num(&reference, &["irb", "total_rwa"]),
        CLOSED_FORM_REL,
    );
    assert_rel(
        "before capital",
        num(before, &["capital"]),
        num(&reference, &["irb", "total_capital_K_x_EAD"]),
        CLOSED_FORM_REL,
    );
    assert_rel(
        "before ASRF",
        num(before, &["asrf_loss"]),
        num(&reference, &["asrf", "var999"]),
        CLOSED_FORM_REL,
    );
    // Doubling the tech PDs adds exactly the tech sector's EL once more.
    let want = num(&reference, &["expected_loss"]) + sector_el("TECH_INNOVATION");
    assert_rel("after EL", num(&doc, &["after", "expected_loss"]), want, CLOSED_FORM_REL);
    assert!(num(&doc, &["after", "rwa"]) > num(before, &["rwa"]));
    assert_eq!(doc["capped"], Value::Array(vec![]));

    // An additive LGD shock on one sector, two shocks at once.
    let two = finkit(&[
        "risk",
        "stress",
        "--exposures",
        &book(),
        "--shock",
        "ENERGY:lgd+0.1",
        "--shock",
        "SERVICES:pd*1.5",
        "--json",
    ])
    .json();
    assert_eq!(two["before"], doc["before"]);
    assert!(num(&two, &["after", "expected_loss"]) > num(before, &["expected_loss"]));
}

#[test]
fn stress_macro_factor_and_cap() {
    let doc =
        finkit(&["risk", "stress", "--exposures", &book(), "--factor", "-2.33", "--json"]).json();
    assert!(num(&doc, &["after", "expected_loss"]) > 2.0 * num(&doc, &["before", "expected_loss"]));
    let up = finkit(&["risk", "stress", "--exposures", &book(), "--factor", "2", "--json"]).json();
    assert!(num(&up, &["after", "expected_loss"]) < num(&up, &["before", "expected_loss"]));

    // Pushed outside [0, 1]: an error by default, capped and reported with --cap.
    finkit(&[
        "risk",
        "stress",
        "--exposures",
        &book(),
        "--shock",
        "TECH_INNOVATION:pd*200",
        "--json",
    ])
    .bad_input(&["pd", "outside [0, 1]"]);
    let capped = finkit(&[
        "risk",
        "stress",
        "--exposures",
        &book(),
        "--shock",
        "TECH_INNOVATION:pd*200",
        "--cap",
        "--json",
    ])
    .json();
    let list = capped["capped"].as_array().expect("capped list");
    assert!(!list.is_empty());
    for c in list {
        assert_eq!(c["capped"], 1.0);
        assert!(num(c, &["raw"]) > 1.0, "{c}");
    }
}

#[test]
fn stress_bad_input() {
    let s = Scratch::new();
    for shock in [
        "TECH_INNOVATION:pdx2",
        "TECH_INNOVATION",
        "TECH_INNOVATION:pd*",
        "TECH_INNOVATION:ead*2",
        "X:pd/2",
    ] {
        finkit(&["risk", "stress", "--exposures", &book(), "--shock", shock, "--json"])
            .bad_input(&["--shock", shock]);
    }
    finkit(&["risk", "stress", "--exposures", &book()]).bad_input(&["--shock", "--factor"]);
    finkit(&["risk", "stress", "--exposures", &book(), "--shock", "ENERGY:pd*2", "--factor", "-1"])
        .bad_input(&["not both"]);
    for factor in ["NaN", "inf"] {
        finkit(&["risk", "stress", "--exposures", &book(), "--factor", factor])
            .bad_input(&["factor"]);
    }
    let nan = book_with(&s, "nan.csv", 4, 3, |l| set_cell(l, 4, "NaN"));
    finkit(&["risk", "stress", "--exposures", &nan, "--factor", "-2"])
        .bad_input(&["nan.csv", "line 3", "\"lgd\""]);
    let missing = arg(&s.path("gone.csv"));
    finkit(&["risk", "stress", "--exposures", &missing, "--factor", "-2"]).bad_input(&["gone.csv"]);
}

// ---------------------------------------------------------------------------------------------
// risk transition

/// The CreditMetrics 1997 one-year matrix (rows repaired) as the CSV `risk transition` reads.
fn creditmetrics_csv(s: &Scratch, edit: impl Fn(usize, &mut Vec<f64>)) -> (String, Value) {
    let reference = read_json("transition_matrices.json");
    let cm = reference["creditmetrics_1997"].clone();
    let labels: Vec<&str> =
        cm["ratings"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut text = format!(",{}\n", labels.join(","));
    for (i, (label, row)) in labels.iter().zip(cm["P1"].as_array().unwrap()).enumerate() {
        let mut values: Vec<f64> =
            row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        edit(i, &mut values);
        let cells: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        text.push_str(&format!("{label},{}\n", cells.join(",")));
    }
    (s.write("matrix.csv", &text), cm)
}

#[test]
fn transition_matches_creditmetrics() {
    let s = Scratch::new();
    let (matrix, cm) = creditmetrics_csv(&s, |_, _| {});
    let doc = finkit(&["risk", "transition", "--matrix", &matrix, "--years", "5", "--json"]).json();
    for key in ["states", "years", "power", "cumulative_pd", "generator", "generator_regularised"] {
        assert!(doc.get(key).is_some(), "{key} missing from {doc}");
    }
    assert_eq!(doc["states"], cm["ratings"]);
    assert_eq!(doc["years"], 5);
    let mut worst: f64 = 0.0;
    for (got, want) in doc["power"].as_array().unwrap().iter().zip(cm["P5"].as_array().unwrap()) {
        for (g, w) in got.as_array().unwrap().iter().zip(want.as_array().unwrap()) {
            worst = worst.max((g.as_f64().unwrap() - w.as_f64().unwrap()).abs());
        }
    }
    assert!(worst <= MATRIX_PRODUCT_ABS, "P^5 off by {worst:e}");
    let cumulative = doc["cumulative_pd"].as_array().unwrap();
    let ratings = cm["ratings"].as_array().unwrap();
    for (i, rating) in ratings.iter().enumerate().take(ratings.len() - 1) {
        let want = cm["cumulative_pd_years_1_to_10"][rating.as_str().unwrap()].as_array().unwrap();
        for (year, g) in cumulative[i].as_array().unwrap().iter().enumerate() {
            let (g, w) = (g.as_f64().unwrap(), want[year].as_f64().unwrap());
            assert!((g - w).abs() <= MATRIX_PRODUCT_ABS, "{rating} year {}: {g} vs {w}", year + 1);
        }
    }
    // The README's quoted value: BBB 5-year cumulative PD 2.1049 %.
    assert!((cumulative[3][4].as_f64().unwrap() - 0.021049).abs() < 5e-7);
    // The CreditMetrics logm generator has negative off-diagonal rates: regularised.
    assert_eq!(doc["generator_regularised"], true);
    let jlt =
        finkit(&["risk", "transition", "--matrix", &matrix, "--generator", "jlt", "--json"]).json();
    assert_eq!(jlt["cumulative_pd"].as_array().unwrap()[0].as_array().unwrap().len(), 5);
}

#[test]
fn transition_row_sums_are_checked_or_repaired_on_request() {
    let s = Scratch::new();
    // B's row sums to 0.9999, as in the published table.
    let (matrix, _) = creditmetrics_csv(&s, |i, row| {
        if i == 5 {
            row[5] -= 1e-4;
        }
    });
    finkit(&["risk", "transition", "--matrix", &matrix, "--json"])
        .bad_input(&["matrix.csv", "row"]);
    let doc =
        finkit(&["risk", "transition", "--matrix", &matrix, "--fix-rowsums", "1e-3", "--json"])
            .json();
    assert_eq!(doc["states"].as_array().unwrap().len(), 8);
}

#[test]
fn transition_bad_input() {
    let s = Scratch::new();
    let missing = arg(&s.path("nomatrix.csv"));
    finkit(&["risk", "transition", "--matrix", &missing]).bad_input(&["nomatrix.csv"]);
    let text = s.write("text.csv", ",A,D\nA,0.9,x\nD,0,1\n");
    finkit(&["risk", "transition", "--matrix", &text])
        .bad_input(&["text.csv", "line 2", "\"D\"", "\"x\""]);
    let nan = s.write("nan.csv", ",A,D\nA,0.9,0.1\nD,NaN,1\n");
    finkit(&["risk", "transition", "--matrix", &nan, "--json"])
        .bad_input(&["nan.csv", "line 3", "\"A\"", "NaN"]);
    let ragged = s.write("ragged.csv", ",A,D\nA,0.9,0.1\nD,1\n");
    finkit(&["risk", "transition", "--matrix", &ragged]).bad_input(&["ragged.csv", "line 3"]);
    let short = s.write("short.csv", ",A,D\nA,0.9,0.1\n");
    finkit(&["risk", "transition", "--matrix", &short]).bad_input(&["short.csv"]);
    let negative = s.write("neg.csv", ",A,D\nA,1.1,-0.1\nD,0,1\n");
    finkit(&["risk", "transition", "--matrix", &negative])
        .bad_input(&["neg.csv", "line 2", "\"A\"", "1.1"]);
    let crlf = s.write("crlf.csv", ",A,D\r\nA,0.9,0.1\r\nD,0,one\r\n");
    finkit(&["risk", "transition", "--matrix", &crlf])
        .bad_input(&["crlf.csv", "line 3", "\"one\""]);
    let good = s.write("good.csv", ",A,D\nA,0.9,0.1\nD,0,1\n");
    finkit(&["risk", "transition", "--matrix", &good, "--fix-rowsums", "-1"]).bad_input(&["-1"]);
    finkit(&["risk", "transition", "--matrix", &good, "--years", "0"]).bad_input(&["--years", "0"]);
}

// ---------------------------------------------------------------------------------------------
// Human-readable output

#[test]
fn tables_by_default() {
    let s = Scratch::new();
    let (matrix, _) = creditmetrics_csv(&s, |_, _| {});
    let short = s.write(
        "short.csv",
        &head(&std::fs::read_to_string(repo_data("sp500.csv")).expect("prices"), 400),
    );
    let small_book = book_with(&s, "book.csv", 10, 1, str::to_owned);
    for args in [
        vec!["risk", "var", "--prices", &short],
        vec!["risk", "backtest", "--prices", &short],
        vec!["risk", "garch", "--prices", &short],
        vec!["risk", "irb", "--pd", "0.01", "--lgd", "0.45"],
        vec!["risk", "portfolio", "--exposures", &small_book, "--scenarios", "1000"],
        vec!["risk", "stress", "--exposures", &small_book, "--factor", "-2.33"],
        vec!["risk", "transition", "--matrix", &matrix],
    ] {
        let run = finkit(&args);
        run.ok();
        assert!(!run.stdout.trim().is_empty(), "{args:?} printed nothing");
        assert!(
            serde_json::from_str::<Value>(&run.stdout).is_err(),
            "{args:?} printed JSON without --json"
        );
        assert!(
            run.stderr.is_empty(),
            "{args:?}: stderr not empty when not a terminal: {}",
            run.stderr
        );
    }
}

// ---------------------------------------------------------------------------------------------
// risk portfolio: bounded work, automatic lattice unit, importance sampling (issues 12 and 17)

/// The bundled book with EAD and LGD given to three decimals (a realistic book: the finest exact
/// lattice would need about 1.2·10⁹ points).
fn three_decimal_book(s: &Scratch) -> String {
    let text = book_text();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
            let lgd: f64 = cells[4].parse().expect("lgd");
            let ead: f64 = cells[5].parse().expect("ead");
            cells[4] = format!("{:.3}", (lgd + 0.000_7 * (i % 7) as f64).min(1.0));
            cells[5] = format!("{:.3}", ead + 0.001 * (i % 13) as f64 + 0.000_3 * 7.0);
            out.push_str(&cells.join(","));
        }
        out.push('\n');
    }
    s.write("three_decimals.csv", &out)
}

#[test]
fn portfolio_scenario_counts_that_cannot_fit_are_refused() {
    for n in ["10000000000", "2305843009213693952", "18446744073709551615", "1000000000"] {
        let line =
            finkit(&["risk", "portfolio", "--exposures", &book(), "--scenarios", n, "--json"])
                .bad_input(&[n, "bytes", "scenarios"]);
        assert!(!line.contains("panicked"), "{line}");
        finkit(&[
            "risk",
            "portfolio",
            "--exposures",
            &book(),
            "--scenarios",
            n,
            "--importance-sampling",
        ])
        .bad_input(&[n, "bytes"]);
    }
    finkit(&["risk", "portfolio", "--exposures", &book(), "--target-rel-error", "0"])
        .bad_input(&["--target-rel-error", "0"]);
    finkit(&["risk", "portfolio", "--exposures", &book(), "--target-rel-error", "NaN"])
        .bad_input(&["--target-rel-error", "NaN"]);
    finkit(&["risk", "portfolio", "--exposures", &book(), "--unit", "-1"])
        .bad_input(&["--unit", "-1"]);
}

#[test]
fn portfolio_chooses_a_coarser_unit_and_never_blocks_the_other_figures() {
    let s = Scratch::new();
    let file = three_decimal_book(&s);
    let doc = finkit(&["risk", "portfolio", "--exposures", &file, "--json"]).json();
    for key in ["expected_loss", "rwa", "asrf_999", "hhi"] {
        assert!(doc[key].is_f64(), "{key} in {doc}");
    }
    let exact = &doc["exact"];
    assert_eq!(exact["banded"], true, "{doc}");
    let (unit, bound) = (num(exact, &["unit"]), num(exact, &["loss_error_bound"]));
    // 100 exposures rounded to at most half a unit each
    assert!(unit > 0.0 && bound > 0.0 && bound <= 50.0 * unit + 1e-12, "{unit} {bound}");
    // the banded figures are within the stated bounds (plus one lattice step each for the VaR)
    // of another unit's
    let other =
        finkit(&["risk", "portfolio", "--exposures", &file, "--unit", "0.01", "--json"]).json();
    assert_eq!(num(&other, &["exact", "unit"]), 0.01);
    assert_eq!(other["exact"]["banded"], true);
    let other_bound = num(&other, &["exact", "loss_error_bound"]);
    assert!(other_bound <= 50.0 * 0.01 + 1e-12);
    for key in ["var99", "var999", "es99", "es999"] {
        let (a, b) = (num(exact, &[key]), num(&other["exact"], &[key]));
        assert!((a - b).abs() <= bound + other_bound + unit + 0.01, "{key}: {a} vs {b}");
    }
    assert_eq!(num(&other, &["expected_loss"]), num(&doc, &["expected_loss"]));
}

#[test]
fn portfolio_on_a_large_book_reports_every_figure_quickly() {
    // 100,000 obligors (about 5 MB): EL, RWA, ASRF and HHI come back; the exact distribution is
    // refused (its lattice would need more work than the budget for a bounded rounding error)
    // with a reason, not computed for minutes
    let s = Scratch::new();
    let text = book_text();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    let mut out = String::from(text.lines().next().expect("header"));
    out.push('\n');
    for i in 0..100_000 {
        let mut cells: Vec<String> = rows[i % rows.len()].split(',').map(str::to_owned).collect();
        cells[0] = format!("B{i}");
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    let file = s.write("big.csv", &out);
    let t = std::time::Instant::now();
    let doc = finkit(&["risk", "portfolio", "--exposures", &file, "--json"]).json();
    eprintln!("100,000 obligors: {:?}", t.elapsed());
    for key in ["expected_loss", "rwa", "asrf_999", "hhi"] {
        assert!(doc[key].is_f64(), "{key} in {doc}");
    }
    assert_rel("EL scales", num(&doc, &["expected_loss"]), 7.821_383 * 1000.0, 1e-9);
    assert!(doc["exact"].is_null(), "{doc}");
    let why = doc["exact_error"].as_str().expect("a reason");
    assert!(why.contains("operations") && why.contains("100000 obligors"), "{why}");
    assert!(why.contains("Monte Carlo"), "{why}");
}

#[test]
fn portfolio_importance_sampling_reports_standard_errors() {
    let reference = read_json("credit_portfolio_results.json");
    let exact = &reference["one_factor_exact"];
    let args = [
        "risk",
        "portfolio",
        "--exposures",
        &book(),
        "--scenarios",
        "20000",
        "--seed",
        "3",
        "--importance-sampling",
        "--json",
    ];
    let doc = finkit(&args).json();
    let mc = &doc["mc"];
    assert_eq!(mc["method"], "importance");
    assert_eq!(mc["scenarios"], 20_000);
    for (field, q, stat) in
        [("var999", "0.999", "VaR"), ("es999", "0.999", "ES"), ("es99", "0.99", "ES")]
    {
        let se = num(mc, &[&format!("{field}_se")]);
        let (got, want) = (num(mc, &[field]), num(exact, &[q, stat]));
        assert!((got - want).abs() <= MC_SIGMAS * se + 0.005, "{field}: {got} vs {want} ± {se}");
    }
    assert_eq!(finkit(&args).json(), doc, "seeded");
    // to a target precision: stops once se(ES 99.9) / ES < 1 %, and says so
    let doc = finkit(&[
        "risk",
        "portfolio",
        "--exposures",
        &book(),
        "--importance-sampling",
        "--target-rel-error",
        "0.01",
        "--json",
    ])
    .json();
    let mc = &doc["mc"];
    assert_eq!(mc["target_met"], true, "{mc}");
    assert!(num(mc, &["rel_error"]) < 0.01);
    assert_rel(
        "rel_error",
        num(mc, &["es999_se"]) / num(mc, &["es999"]),
        num(mc, &["rel_error"]),
        1e-12,
    );
    assert_eq!(num(mc, &["target_rel_error"]), 0.01);
    // the text output shows the standard errors
    let text = finkit(&[
        "risk",
        "portfolio",
        "--exposures",
        &book(),
        "--scenarios",
        "5000",
        "--importance-sampling",
    ]);
    text.ok();
    assert!(
        text.stdout.contains("standard error") && text.stdout.contains("importance"),
        "{}",
        text.stdout
    );
}

#[test]
fn irb_caps_maturity_at_five_years() {
    let at = |m: &str| {
        finkit(&["risk", "irb", "--pd", "0.0003", "--lgd", "0.45", "--maturity", m, "--json"])
            .json()
    };
    let five = at("5");
    for m in ["7", "1000", "1e300"] {
        let doc = at(m);
        assert_eq!(num(&doc, &["k"]), num(&five, &["k"]), "M = {m}");
        assert_eq!(num(&doc, &["maturity_used"]), 5.0);
        assert!(num(&doc, &["k"]) <= 0.45);
    }
    assert_eq!(num(&at("2.5"), &["maturity_used"]), 2.5);
}

#[test]
fn historical_var_refuses_samples_too_small_for_the_level() {
    let s = Scratch::new();
    let two_prices = s.write("two.csv", "date,close\n2024-01-01,100\n2024-01-02,97\n");
    finkit(&["risk", "var", "--prices", &two_prices, "--json"]).bad_input(&["100", "got 1"]);
    // the parametric methods only need two returns
    let three = s.write("three.csv", "date,close\n2024-01-01,100\n2024-01-02,97\n2024-01-03,98\n");
    finkit(&["risk", "var", "--prices", &three, "--method", "normal", "--json"]).ok();
    // 100 returns are enough at 99 %
    let hundred = head(&std::fs::read_to_string(repo_data("sp500.csv")).expect("prices"), 102);
    let f = s.write("hundred.csv", &hundred);
    finkit(&["risk", "var", "--prices", &f, "--json"]).ok();
    finkit(&["risk", "var", "--prices", &f, "--level", "0.999", "--json"]).bad_input(&["1000"]);
}
