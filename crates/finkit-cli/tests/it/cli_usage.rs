//! Command-line usage errors (unknown flags, unparsable or missing values) follow the same
//! contract as bad input files: exit code 2, one line on stderr, no backtrace. Help and version
//! requests succeed.

use crate::common;

use common::{arg, finkit, repo_data};

#[test]
fn help_and_version_succeed() {
    for args in [
        vec!["--help"],
        vec!["--version"],
        vec!["risk", "--help"],
        vec!["pool", "ingest", "--help"],
    ] {
        let run = finkit(&args);
        run.ok();
        assert!(!run.stdout.is_empty(), "{args:?}");
    }
    let help = finkit(&["--help"]);
    for command in ["pool", "credit", "risk", "lend", "demo"] {
        assert!(help.stdout.contains(command), "{command} missing from --help");
    }
}

#[test]
fn every_subcommand_has_help() {
    for (group, commands) in [
        ("pool", &["init", "ingest", "query", "export", "audit-verify"][..]),
        ("credit", &["bin", "logit", "fit-scorecard", "score", "validate"][..]),
        ("risk", &["var", "backtest", "garch", "irb", "portfolio", "stress", "transition"][..]),
        ("lend", &["decide", "price", "plan"][..]),
    ] {
        for command in commands {
            finkit(&[group, command, "--help"]).ok();
        }
    }
    finkit(&["demo", "--help"]).ok();
}

#[test]
fn usage_errors_are_one_line() {
    let prices = arg(&repo_data("sp500.csv"));
    for (args, needle) in [
        (vec!["risk", "irb", "--pd", "abc", "--lgd", "0.45"], "--pd"),
        (vec!["risk", "irb", "--lgd", "0.45"], "--pd"),
        (vec!["risk", "var", "--prices", &prices, "--method", "magic"], "magic"),
        (vec!["risk", "portfolio", "--exposures", "x.csv", "--scenarios", "-5"], "-5"),
        (vec!["risk", "backtest", "--prices", &prices, "--window", "ten"], "ten"),
        (vec!["credit", "bin", "--csv", "x.csv"], "--target"),
        (
            vec!["credit", "bin", "--csv", "x.csv", "--target", "y", "--monotonic", "sideways"],
            "sideways",
        ),
        (vec!["pool", "query", "firms", "--db", "x.db", "--as-of", "yesterday"], "yesterday"),
        (vec!["pool", "ingest", "--db", "x.db", "--kind", "planets", "--file", "x.csv"], "planets"),
        (vec!["demo", "--size", "huge"], "huge"),
        (vec!["risk", "--no-such-flag"], "--no-such-flag"),
        (vec!["frobnicate"], "frobnicate"),
    ] {
        finkit(&args).bad_input(&[needle]);
    }
}
