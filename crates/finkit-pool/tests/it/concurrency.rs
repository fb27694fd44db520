//! Reader threads while a writer ingests: no errors, and every read sees a consistent snapshot.
//!
//! Each batch adds one reporting period for every firm, so a consistent snapshot has the same
//! number of periods for every firm; a torn read would show firms with different counts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use finkit_pool::conformance::fixtures;
use finkit_pool::{
    Batch, IngestMode, MemoryPool, PoolRead, PoolWrite, Principal, Role, SqlitePool, StatementQuery,
};

const FIRMS: usize = 300;
const BATCHES: usize = 8;

fn admin() -> Principal {
    Principal::new("writer", Role::Admin)
}

fn firms() -> Batch {
    let template = fixtures::firms().unwrap().remove(1);
    Batch::from_records((0..FIRMS).map(|i| {
        let mut f = template.clone();
        f.id = format!("CC{i:04}").parse().unwrap();
        f
    }))
}

fn period_batch(k: usize) -> Batch {
    let period = fixtures::date(2000 + k as i32, 12, 31).unwrap();
    let available = fixtures::date(2001 + k as i32, 3, 31).unwrap();
    Batch::from_records((0..FIRMS).map(|i| {
        fixtures::statement(&format!("CC{i:04}"), period, available, 1e6 + i as f64).unwrap()
    }))
}

/// Checks one snapshot; returns the number of periods every firm has.
fn check_snapshot<P: PoolRead>(pool: &P, who: &Principal) -> usize
where
    P::Error: std::fmt::Debug,
{
    let far = fixtures::date(2100, 1, 1).unwrap();
    let rows = pool.statements_as_of(who, far, &StatementQuery::all()).unwrap();
    let mut per_firm: BTreeMap<String, usize> = BTreeMap::new();
    for s in &rows {
        *per_firm.entry(s.firm_id.to_string()).or_default() += 1;
    }
    let counts: Vec<usize> = per_firm.values().copied().collect();
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "torn snapshot: {counts:?}");
    assert!(per_firm.len() == FIRMS, "firms seen: {}", per_firm.len());
    counts.first().copied().unwrap_or(0)
}

fn run<P, F>(open: F)
where
    P: PoolRead + PoolWrite + Send + 'static,
    <P as PoolRead>::Error: std::fmt::Debug,
    <P as PoolWrite>::Error: std::fmt::Debug,
    F: Fn() -> P + Send + Sync + 'static,
{
    let open = Arc::new(open);
    let writer_pool = open();
    writer_pool.ingest(&admin(), &firms(), IngestMode::Strict).unwrap();
    writer_pool.ingest(&admin(), &period_batch(0), IngestMode::Strict).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|r| {
            let open = Arc::clone(&open);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let pool = open();
                let who = Principal::new(format!("reader-{r}"), Role::Analyst);
                let mut seen = Vec::new();
                loop {
                    let finished = done.load(Ordering::SeqCst);
                    let periods = check_snapshot(&pool, &who);
                    assert!(seen.last().is_none_or(|&last| periods >= last), "snapshot went back");
                    seen.push(periods);
                    if finished {
                        break;
                    }
                }
                seen
            })
        })
        .collect();
    for k in 1..BATCHES {
        writer_pool.ingest(&admin(), &period_batch(k), IngestMode::Strict).unwrap();
    }
    done.store(true, Ordering::SeqCst);
    for r in readers {
        let seen = r.join().unwrap();
        assert_eq!(seen.last().copied(), Some(BATCHES), "the last read sees every batch");
    }
    let status = writer_pool.verify_audit(&Principal::new("aud", Role::Auditor)).unwrap();
    assert!(status.is_intact(), "{:?}", status.problems);
}

#[test]
fn sqlite_readers_see_consistent_snapshots_during_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concurrent.db");
    drop(SqlitePool::open(&path).unwrap());
    // One connection per thread on the same file: WAL readers and one writer.
    run(move || SqlitePool::open(&path).unwrap());
}

#[test]
fn memory_readers_see_consistent_snapshots_during_ingest() {
    let pool = Arc::new(MemoryPool::default());
    run(move || Arc::clone(&pool));
}
