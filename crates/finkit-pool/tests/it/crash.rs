//! Crash safety: a child process is SIGKILLed in the middle of a large ingest; on reopen the
//! pool holds the whole batch or none of it, and `PRAGMA integrity_check` is `ok`. Rounds
//! alternate between a [`Batch`] in memory and a lazily generated [`RowSource`] stream
//! (written chunk by chunk inside one transaction).
//!
//! The child is this test binary re-executed with `FINKIT_POOL_CRASH_DB` set (and
//! `FINKIT_POOL_CRASH_STREAM` for the streaming rounds), running only `crash_child`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use finkit_pool::conformance::fixtures;
use finkit_pool::{
    Batch, EntityKind, IngestMode, PoolRead, PoolWrite, Principal, Record, Role, RowSource,
    SqlitePool, StatementQuery,
};

const ENV: &str = "FINKIT_POOL_CRASH_DB";
const STREAM_ENV: &str = "FINKIT_POOL_CRASH_STREAM";
const FIRMS: usize = 500;
const VERSIONS: usize = 400; // 200,000 statements

fn admin() -> Principal {
    Principal::new("crash-test", Role::Admin)
}

fn firms_batch() -> Batch {
    let template = fixtures::firms().unwrap().remove(1);
    Batch::from_records((0..FIRMS).map(|i| {
        let mut f = template.clone();
        f.id = format!("CF{i:05}").parse().unwrap();
        f
    }))
}

/// The statements of the big ingest, generated lazily.
fn big_records() -> impl Iterator<Item = Record> {
    let period = fixtures::date(2020, 12, 31).unwrap();
    (0..FIRMS).flat_map(move |i| {
        let id = format!("CF{i:05}");
        (0..VERSIONS).map(move |v| {
            let available = period + chrono::Days::new(1 + v as u64);
            Record::from(fixtures::statement(&id, period, available, 1e6 + v as f64).unwrap())
        })
    })
}

fn big_batch() -> Batch {
    Batch::from_records(big_records())
}

fn statement_count(path: &Path) -> usize {
    let pool = SqlitePool::open(path).unwrap();
    assert_eq!(pool.integrity_check().unwrap(), "ok");
    let far = fixtures::date(2100, 1, 1).unwrap();
    let mut n = 0;
    for i in 0..FIRMS {
        let id = format!("CF{i:05}").parse().unwrap();
        if i % 50 == 0 {
            n += pool.statement_versions(&admin(), &id).unwrap().len() * 50;
        }
    }
    // Cross-check with a full point-in-time read: one statement per firm when the batch is in.
    let as_of = pool.statements_as_of(&admin(), far, &StatementQuery::all()).unwrap();
    assert!(as_of.is_empty() || as_of.len() == FIRMS);
    n
}

/// The child's work; a no-op in a normal test run.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(ENV) else { return };
    let pool = SqlitePool::open(&path).unwrap();
    let report = if std::env::var_os(STREAM_ENV).is_some() {
        let rows = RowSource::records(EntityKind::Statements, "crash", big_records());
        println!("ingesting");
        pool.ingest_rows(&admin(), rows, IngestMode::Strict).unwrap()
    } else {
        let batch = big_batch();
        println!("ingesting");
        pool.ingest(&admin(), &batch, IngestMode::Strict).unwrap()
    };
    println!("done {}", report.accepted);
}

#[test]
fn sigkill_during_ingest_leaves_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut outcomes = Vec::new();
    for (round, delay_ms) in [20u64, 150, 400, 5_000].into_iter().enumerate() {
        let path = dir.path().join(format!("crash{round}.db"));
        {
            let pool = SqlitePool::open(&path).unwrap();
            pool.ingest(&admin(), &firms_batch(), IngestMode::Strict).unwrap();
        }
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", "crash::crash_child", "--nocapture", "--test-threads", "1"])
            .env(ENV, &path);
        if round % 2 == 1 {
            child.env(STREAM_ENV, "1");
        }
        let mut child = child.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("ingesting") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "child ended before ingesting");
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished_before_kill = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL on Unix
        child.wait().unwrap();
        let n = statement_count(&path);
        assert!(n == 0 || n == FIRMS * VERSIONS, "round {round}: partial batch of {n} rows");
        outcomes.push((delay_ms, finished_before_kill, n));
    }
    // At least one round must really have been killed mid-ingest, and the generous one should
    // normally complete; print the outcomes for the record.
    eprintln!("crash outcomes (delay ms, finished before kill, rows): {outcomes:?}");
    assert!(
        outcomes.iter().any(|&(_, finished, n)| !finished && n == 0),
        "no round was killed mid-ingest"
    );
}
