//! Conventions of the command line: `-` reads a file argument from standard input, and
//! `finkit completions SHELL` prints a completion script.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{finkit, repo_data};
use serde_json::Value;

/// Runs `finkit ARGS…` with `input` on standard input; returns (exit code, stdout, stderr).
fn finkit_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_finkit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: a large input must not deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn same_json(file_args: &[&str], stdin_args: &[&str], input: &[u8]) {
    let from_file = finkit(file_args).ok().json();
    let (code, stdout, stderr) = finkit_stdin(stdin_args, input);
    assert_eq!(code, 0, "{stdin_args:?}: {stderr}");
    let from_stdin: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(from_stdin, from_file, "{stdin_args:?}");
}

#[test]
fn dash_reads_prices_from_stdin() {
    let path = repo_data("sp500.csv");
    let csv = std::fs::read(&path).unwrap();
    let p = path.to_str().unwrap();
    same_json(
        &["risk", "var", "--prices", p, "--level", "0.99", "--method", "historical", "--json"],
        &["risk", "var", "--prices", "-", "--level", "0.99", "--method", "historical", "--json"],
        &csv,
    );
}

#[test]
fn dash_reads_a_table_and_a_portfolio_from_stdin() {
    let german = repo_data("germancredit.csv");
    same_json(
        &["credit", "bin", "--csv", german.to_str().unwrap(), "--target", "bad", "--json"],
        &["credit", "bin", "--csv", "-", "--target", "bad", "--json"],
        &std::fs::read(&german).unwrap(),
    );
    let portfolio = repo_data("credit_portfolio.csv");
    same_json(
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
        &["risk", "portfolio", "--exposures", "-", "--scenarios", "2000", "--seed", "1", "--json"],
        &std::fs::read(&portfolio).unwrap(),
    );
}

#[test]
fn bad_stdin_is_one_line_naming_stdin() {
    let (code, _, stderr) =
        finkit_stdin(&["credit", "bin", "--csv", "-", "--target", "bad"], b"a,bad\n1,0\nx,1\n");
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("<stdin>") && stderr.contains("line 3"), "{stderr}");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = finkit(&["completions", shell]);
        let run = run.ok();
        assert!(run.stdout.contains("finkit"), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("portfolio"), "{shell}: subcommands are completed");
    }
    let bad = finkit(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}
