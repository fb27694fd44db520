//! With the `tracing` feature, `FINKIT_LOG=info` prints the spans of long work on stderr (and
//! nothing else changes); without the variable nothing is printed.
#![cfg(feature = "tracing")]

use crate::common;

use common::{finkit, finkit_env, repo_data};

#[test]
fn fits_and_simulations_leave_spans_on_stderr() {
    let german = repo_data("germancredit.csv");
    let args = ["credit", "bin", "--csv", german.to_str().unwrap(), "--target", "bad", "--json"];
    let quiet = finkit(&args);
    let quiet = quiet.ok();
    assert!(!quiet.stderr.contains("binning_process.fit"), "{}", quiet.stderr);
    let traced = finkit_env(&args, &[("FINKIT_LOG", "info")]);
    let traced = traced.ok();
    assert!(traced.stderr.contains("binning_process.fit"), "{}", traced.stderr);
    assert!(traced.stderr.contains("optimal_binning.fit"), "{}", traced.stderr);
    assert_eq!(traced.json(), quiet.json(), "tracing changes no result");

    let portfolio = repo_data("credit_portfolio.csv");
    let run = finkit_env(
        &[
            "risk",
            "portfolio",
            "--exposures",
            portfolio.to_str().unwrap(),
            "--scenarios",
            "2000",
            "--seed",
            "1",
            "--json",
        ],
        &[("FINKIT_LOG", "info")],
    );
    assert!(run.ok().stderr.contains("montecarlo.run_shard"), "{}", run.stderr);
}
