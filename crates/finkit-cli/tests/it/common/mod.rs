//! Shared helpers of the command-line tests: run the built `finkit` binary, check the exit
//! code, the one-line error contract and the JSON document, and find the test data.
//!
//! Every run sets `RUST_BACKTRACE=1`, so a panic anywhere would print a backtrace; the bad-input
//! checks assert that none appears.
#![allow(dead_code)]

pub(crate) mod tolerance;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    /// The command line, for failure messages.
    pub(crate) args: Vec<String>,
    /// The exit code (`-1` when killed by a signal).
    pub(crate) code: i32,
    /// Everything written on stdout.
    pub(crate) stdout: String,
    /// Everything written on stderr.
    pub(crate) stderr: String,
}

/// Runs `finkit ARGS…` with `RUST_BACKTRACE=1`, stdin closed, no pseudonymisation key in
/// the environment and `FINKIT_USER=tester`.
pub(crate) fn finkit<S: AsRef<str>>(args: &[S]) -> Run {
    finkit_env(args, &[])
}

/// As [`finkit`], with extra environment variables.
pub(crate) fn finkit_env<S: AsRef<str>>(args: &[S], env: &[(&str, &str)]) -> Run {
    finkit_input(args, env, None)
}

/// As [`finkit_env`], with `stdin` on standard input (closed after it) when given.
pub(crate) fn finkit_input<S: AsRef<str>>(
    args: &[S],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
    let mut command = Command::new(env!("CARGO_BIN_EXE_finkit"));
    command
        .args(&args)
        .env("RUST_BACKTRACE", "1")
        .env_remove("FINKIT_PSEUDONYM_KEY")
        // The acting user comes from the environment: one fixed name (the pool's creator, so
        // its admin) unless a test passes another.
        .env("FINKIT_USER", "tester")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = match stdin {
        None => command.output().expect("the finkit binary runs"),
        Some(bytes) => {
            use std::io::Write;
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the finkit binary runs");
            let mut input = child.stdin.take().expect("stdin");
            let bytes = bytes.to_vec();
            let writer = std::thread::spawn(move || {
                // The binary may stop reading early (a bad header); that is not a test failure.
                let _ = input.write_all(&bytes);
            });
            let output = child.wait_with_output().expect("the finkit binary runs");
            writer.join().expect("stdin writer");
            output
        }
    };
    Run {
        args,
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Words that must never reach a user: a panic or a Rust backtrace.
const FORBIDDEN: [&str; 5] =
    ["panicked", "RUST_BACKTRACE", "stack backtrace", "internal error", "thread 'main'"];

impl Run {
    fn context(&self) -> String {
        format!(
            "finkit {}\n--- exit code {}\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    fn assert_no_panic(&self) {
        for word in FORBIDDEN {
            assert!(!self.stderr.contains(word), "{word:?} on stderr:\n{}", self.context());
        }
    }

    /// Asserts success (exit 0, no panic) and returns `self`.
    #[track_caller]
    pub(crate) fn ok(&self) -> &Run {
        assert_eq!(self.code, 0, "expected success:\n{}", self.context());
        self.assert_no_panic();
        self
    }

    /// Asserts success and parses stdout as exactly one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        self.ok();
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not one JSON document ({e}):\n{}", self.context())
        })
    }

    /// The bad-input contract: exit code 2, exactly one line on stderr starting `finkit: ` that
    /// contains every needle, nothing on stdout, no panic, no backtrace. Returns the line.
    #[track_caller]
    pub(crate) fn bad_input(&self, needles: &[&str]) -> String {
        assert!(self.stdout.is_empty(), "expected nothing on stdout:\n{}", self.context());
        self.error_line(2, needles)
    }

    /// As [`Run::bad_input`], but stdout holds the documented JSON report (e.g. a strict ingest
    /// that rejected rows); returns the parsed report.
    #[track_caller]
    pub(crate) fn bad_input_with_report(&self, needles: &[&str]) -> Value {
        self.error_line(2, needles);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not the JSON report ({e}):\n{}", self.context()))
    }

    /// A lenient ingest that committed the valid rows and rejected others: exit code 3, one
    /// line on stderr containing every needle, and the JSON report on stdout (returned).
    #[track_caller]
    pub(crate) fn rejected_rows(&self, needles: &[&str]) -> Value {
        self.error_line(3, needles);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not the JSON report ({e}):\n{}", self.context()))
    }

    /// A failure with exit code `code` and one line on stderr containing every needle.
    #[track_caller]
    pub(crate) fn error_line(&self, code: i32, needles: &[&str]) -> String {
        assert_eq!(self.code, code, "exit code:\n{}", self.context());
        self.assert_no_panic();
        assert!(
            self.stderr.ends_with('\n') && self.stderr.lines().count() == 1,
            "expected exactly one line on stderr:\n{}",
            self.context()
        );
        let line = self.stderr.trim_end().to_owned();
        assert!(line.starts_with("finkit: "), "the line names the program:\n{}", self.context());
        for needle in needles {
            assert!(
                line.contains(needle),
                "{needle:?} missing from the message:\n{}",
                self.context()
            );
        }
        line
    }
}

/// A small seeded synthetic data set (finkit-pool's generator) written as CSV files into `s`,
/// and a pool file `pool.db` there with every file ingested strictly through the command line.
pub(crate) fn synthetic_pool(
    s: &Scratch,
) -> (String, finkit::pool::synthetic::SyntheticDataset, finkit::pool::synthetic::SyntheticCsvFiles)
{
    synthetic_pool_sized(s, 40, 15, 8)
}

/// As [`synthetic_pool`] with `firms` firms, `applications` applications and a seed.
pub(crate) fn synthetic_pool_sized(
    s: &Scratch,
    firms: usize,
    applications: usize,
    seed: u64,
) -> (String, finkit::pool::synthetic::SyntheticDataset, finkit::pool::synthetic::SyntheticCsvFiles)
{
    let data = finkit::pool::synthetic::SyntheticParams::builder()
        .with_firms(firms)
        .with_applications(applications)
        .with_loans(30)
        .with_listed(2)
        .with_price_days(30)
        .with_seed(seed)
        .build()
        .and_then(|p| p.generate())
        .expect("synthetic data");
    let files = data.write_csv(s.path("csv")).expect("synthetic CSV files");
    let db = arg(&s.path("pool.db"));
    finkit(&["pool", "init", "--db", &db]).ok();
    for (kind, file) in [
        ("firms", &files.firms),
        ("statements", &files.statements),
        ("applications", &files.applications),
        ("exposures", &files.exposures),
        ("events", &files.credit_events),
        ("prices", &files.prices),
    ] {
        let rows = std::fs::read_to_string(file).expect("csv").lines().count() - 1;
        let report = finkit(&[
            "pool",
            "ingest",
            "--db",
            &db,
            "--kind",
            kind,
            "--file",
            &arg(file),
            "--strict",
            "--json",
        ])
        .json();
        assert_eq!(report["accepted"], rows, "{kind}: {report}");
        assert_eq!(report["rejected"], Value::Array(vec![]), "{kind}: {report}");
    }
    (db, data, files)
}

/// A reference file copied into `tests/data` (see its PROVENANCE.md).
pub(crate) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// A data file bundled with the workspace (`data/` at the repository root).
pub(crate) fn repo_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(name)
}

/// A path as a `String` for the command line.
pub(crate) fn arg(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}

/// Reads and parses a JSON reference file of `tests/data`.
pub(crate) fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(data(name)).expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// A number of a JSON document, by path of keys.
#[track_caller]
pub(crate) fn num(doc: &Value, path: &[&str]) -> f64 {
    let mut v = doc;
    for key in path {
        v = &v[*key];
    }
    v.as_f64().unwrap_or_else(|| panic!("{path:?} is not a number in {doc}"))
}

/// A temporary directory with files written into it.
#[derive(Debug)]
pub(crate) struct Scratch {
    /// Kept so the directory lives as long as the test.
    pub(crate) dir: tempfile::TempDir,
}

impl Scratch {
    /// A new empty directory.
    pub(crate) fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().expect("temporary directory") }
    }

    /// A path inside the directory (nothing is created).
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` to `name` and returns its path as a command-line argument.
    pub(crate) fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a test file");
        arg(&path)
    }
}

/// The lines of `text` with line `line` (1-based) replaced by `f(old)`.
pub(crate) fn edit_line(text: &str, line: usize, f: impl Fn(&str) -> String) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { f(l) } else { l.to_owned() })
        .map(|l| l + "\n")
        .collect()
}

/// The first `n` lines of `text` (header included).
pub(crate) fn head(text: &str, n: usize) -> String {
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

/// The cells of one CSV line (double-quoted cells may hold commas; `""` is a quote).
pub(crate) fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

/// One CSV line from cells, quoting those that need it.
pub(crate) fn join_csv(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| {
            if c.contains([',', '"']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `line` with its `index`-th cell (0-based) replaced by `value`.
pub(crate) fn set_cell(line: &str, index: usize, value: &str) -> String {
    let mut cells = split_csv(line);
    cells[index] = value.to_owned();
    join_csv(&cells)
}

/// `line` without its `index`-th cell (0-based).
pub(crate) fn drop_cell(line: &str, index: usize) -> String {
    let mut cells = split_csv(line);
    cells.remove(index);
    join_csv(&cells)
}
