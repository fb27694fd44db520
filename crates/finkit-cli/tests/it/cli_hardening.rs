//! The command line against hostile input and a hostile environment: endless lines, rejected
//! rows, misspelt JSON keys, a loan book that cannot be read, control characters, a full disk,
//! an unopenable pool path, quoted multi-line cells, and arbitrary bytes in every input file.
//! The exit codes are the README's: 0 success, 1 failure not caused by the input, 2 bad input,
//! 3 a lenient ingest that rejected rows.

use crate::common;

use std::process::{Command, Stdio};

use common::{Scratch, arg, finkit, finkit_env, synthetic_pool};

#[test]
fn dev_zero_is_refused_by_every_file_reader_naming_the_line_or_limit() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let s = Scratch::new();
    let db = arg(&s.path("pool.db"));
    finkit(&["pool", "init", "--db", &db]).ok();
    let csv = s.write("t.csv", "a,y\n1,0\n2,1\n");
    let z = "/dev/zero";
    for args in [
        vec!["credit", "logit", "--csv", z, "--target", "y"],
        vec!["credit", "validate", "--csv", z, "--target", "y", "--pd-column", "a"],
        vec!["credit", "bin", "--csv", z, "--target", "y"],
        vec!["risk", "var", "--prices", z],
        vec!["risk", "portfolio", "--exposures", z],
        vec!["risk", "transition", "--matrix", z],
        vec!["pool", "ingest", "--db", &db, "--kind", "firms", "--file", z],
    ] {
        finkit(&args).bad_input(&["/dev/zero", "line 1", "longer than the limit"]);
    }
    // Whole documents (a model, a policy) are refused at the document size limit.
    finkit(&["credit", "score", "--card", z, "--csv", &csv]).bad_input(&["/dev/zero", "limit"]);
    finkit(&["lend", "decide", "--db", &db, "--policy", z]).bad_input(&["/dev/zero", "limit"]);
}

#[test]
fn a_lenient_ingest_that_rejects_rows_exits_3_and_strict_exits_2() {
    let s = Scratch::new();
    let db = arg(&s.path("pool.db"));
    finkit(&["pool", "init", "--db", &db]).ok();
    // Every row rejected (no such firm): nothing to commit, and the exit code says so.
    let bad = s.write(
        "e.csv",
        "loan_id,firm_id,pd,lgd,ead,maturity,sector,currency\nL1,F9,0.02,0.45,100,2,C26,EUR\n",
    );
    let ingest = ["pool", "ingest", "--db", &db, "--kind", "exposures", "--file", &bad];
    let report = finkit(&[&ingest[..], &["--json"]].concat()).rejected_rows(&["e.csv", "F9"]);
    assert_eq!(
        (report["accepted"].as_u64(), report["rejected"][0]["line"].as_u64()),
        (Some(0), Some(2))
    );
    finkit(&ingest).error_line(3, &["0 row(s) committed", "1 problem(s)"]);
    finkit(&[&ingest[..], &["--strict"]].concat()).error_line(2, &["strict mode"]);
}

#[test]
fn a_misspelt_json_key_is_rejected_by_name_even_when_strict() {
    let s = Scratch::new();
    let (db, _data, _files) = synthetic_pool(&s);
    let firm = finkit(&["pool", "query", "exposures", "--db", &db, "--json"]).json()[0]["firm_id"]
        .as_str()
        .expect("a firm id")
        .to_owned();
    let row = format!(
        r#"{{"loan_id":"NEW-1","firm_id":"{firm}","pd":0.02,"lgd":0.45,"ead":100.0,"maturity":2.0,"sector":"C26","anual_sales":5.0,"rating":null,"currency":"EUR"}}"#
    );
    let file = s.write("book.jsonl", &format!("\u{feff}{row}\r\n\r\n"));
    let ingest = ["pool", "ingest", "--db", &db, "--kind", "exposures", "--file", &file];
    let report =
        finkit(&[&ingest[..], &["--strict", "--json"]].concat()).bad_input_with_report(&["strict"]);
    assert_eq!(report["rejected"][0]["field"], "anual_sales", "{report}");
    assert_eq!(report["rejected"][0]["line"], 1, "{report}");
    finkit(&[&ingest[..], &["--json"]].concat()).rejected_rows(&["anual_sales"]);
}

#[test]
fn lend_decide_fails_when_the_loan_book_cannot_be_read_whole() {
    let s = Scratch::new();
    let (db, _data, _files) = synthetic_pool(&s);
    finkit(&["lend", "decide", "--db", &db, "--json"]).json();
    // Two EADs of 1e308 overflow the book's total: the sector limit cannot be checked.
    let firm = finkit(&["pool", "query", "exposures", "--db", &db, "--json"]).json()[0]["firm_id"]
        .as_str()
        .expect("a firm id")
        .to_owned();
    let huge = s.write(
        "huge.csv",
        &format!(
            "loan_id,firm_id,pd,lgd,ead,maturity,sector,currency\nH1,{firm},0.02,0.45,1e308,2,C26,EUR\nH2,{firm},0.02,0.45,1e308,2,C26,EUR\n"
        ),
    );
    finkit(&["pool", "ingest", "--db", &db, "--kind", "exposures", "--file", &huge, "--strict"])
        .ok();
    finkit(&["lend", "decide", "--db", &db, "--json"]).bad_input(&[
        "loan book",
        "not a finite number",
        "sector concentration",
    ]);
}

#[test]
fn control_characters_of_user_text_are_escaped_in_tables() {
    let s = Scratch::new();
    let db = arg(&s.path("pool.db"));
    let evil = "mallory\u{1b}[2J\nseq  at";
    // The pool refuses such a user name (bad input), and the message that names it is escaped.
    let run = finkit_env(&["pool", "init", "--db", &db], &[("FINKIT_USER", evil)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "raw ESC in the error:\n{}", run.stderr);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    // A user the pool knows works; text from the environment in tables is escaped too.
    finkit(&["pool", "init", "--db", &db]).ok();
    let run = finkit(&["pool", "query", "audit", "--db", &db]);
    run.ok();
    for line in run.stdout.lines().skip(2) {
        assert!(line.trim_start().starts_with(|c: char| c.is_ascii_digit()), "{line:?}");
    }
}

#[test]
fn a_full_disk_is_an_io_error_not_a_panic() {
    let Ok(full) = std::fs::File::create("/dev/full") else { return };
    for json in [false, true] {
        let mut args = vec!["lend", "price", "--pd", "0.02", "--lgd", "0.45", "--maturity", "2"];
        if json {
            args.push("--json");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_finkit"))
            .args(&args)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(full.try_clone().expect("clone"))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("i/o error") && stderr.contains("standard output"), "{stderr}");
        assert!(!stderr.contains("internal error") && !stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_unopenable_or_read_only_pool_path_is_bad_input() {
    let s = Scratch::new();
    let inside_a_file = format!("{}/pool.db", s.write("plain.txt", "x"));
    finkit(&["pool", "init", "--db", &inside_a_file]).bad_input(&["pool.db"]);
    let missing_dir = arg(&s.path("no/such/dir/pool.db"));
    finkit(&["pool", "init", "--db", &missing_dir]).bad_input(&["pool.db"]);
    // A read-only file (permissions do not bind root, so only checked for other users).
    let db = arg(&s.path("ro.db"));
    finkit(&["pool", "init", "--db", &db]).ok();
    let firms = s.write("f.csv", "id\n");
    set_mode(&s.path("ro.db"), 0o444);
    let writable = std::fs::OpenOptions::new().write(true).open(s.path("ro.db")).is_ok();
    if !writable {
        finkit(&["pool", "ingest", "--db", &db, "--kind", "firms", "--file", &firms])
            .bad_input(&["ro.db"]);
    }
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_path: &std::path::Path, _mode: u32) {}

#[test]
fn lines_after_a_quoted_multi_line_cell_are_exact_in_logit_and_validate() {
    let s = Scratch::new();
    let csv = s.write("q.csv", "a,note,y\n1,\"two\nlines\",0\n2,x,1\n3,x,7\n");
    finkit(&["credit", "logit", "--csv", &csv, "--target", "y"]).bad_input(&["q.csv", "line 5"]);
    finkit(&["credit", "validate", "--csv", &csv, "--target", "y", "--pd-column", "a"])
        .bad_input(&["q.csv", "line 5"]);
}

/// A small deterministic generator (xorshift), so the command-line fuzz needs no extra crate
/// and every failure names its seed.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let alphabet: &[&[u8]] = &[
        b",",
        b"\"",
        b"\n",
        b"\r\n",
        b"\xEF\xBB\xBF",
        b"\0",
        b"\xFF",
        b"{",
        b"}",
        b"[",
        b"]",
        b"1",
        b"0.5",
        b"-",
        b"e",
        b"NA",
        b"a",
        b"=",
        b"\x1b",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::new();
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(alphabet[(x % alphabet.len() as u64) as usize]);
    }
    out
}

#[test]
fn arbitrary_bytes_in_any_input_file_never_panic() {
    let s = Scratch::new();
    let db = arg(&s.path("pool.db"));
    finkit(&["pool", "init", "--db", &db]).ok();
    for seed in 0..12u64 {
        let path = s.path(&format!("fuzz{seed}.csv"));
        std::fs::write(&path, bytes(seed, 40 + 20 * seed as usize)).expect("write");
        let f = arg(&path);
        let json = s.path(&format!("fuzz{seed}.json"));
        std::fs::copy(&path, &json).expect("copy");
        let j = arg(&json);
        for args in [
            vec!["credit", "logit", "--csv", &f, "--target", "y"],
            vec!["risk", "var", "--prices", &f],
            vec!["risk", "portfolio", "--exposures", &f],
            vec!["risk", "transition", "--matrix", &f],
            vec!["credit", "score", "--card", &j, "--csv", &f],
            vec!["lend", "decide", "--db", &db, "--policy", &f],
            vec!["pool", "ingest", "--db", &db, "--kind", "prices", "--file", &f],
            vec!["pool", "ingest", "--db", &db, "--kind", "firms", "--file", &j],
        ] {
            let run = finkit(&args);
            assert!([0, 2, 3].contains(&run.code), "seed {seed}: {run:?}");
            if run.code != 0 {
                run.error_line(run.code, &[]);
            }
        }
    }
}
