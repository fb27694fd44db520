//! The conformance suite on both backends (and SQLite on a file).

use finkit_pool::{MemoryPool, SqlitePool, conformance};

#[test]
fn memory_pool_conforms() {
    let report = conformance::run_all(MemoryPool::default).unwrap();
    assert_eq!(report.passed.len(), 12);
}

#[test]
fn sqlite_in_memory_conforms() {
    conformance::run_all(|| SqlitePool::in_memory().unwrap()).unwrap();
}

#[test]
fn sqlite_file_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let counter = std::cell::Cell::new(0);
    conformance::run_all(|| {
        counter.set(counter.get() + 1);
        SqlitePool::open(dir.path().join(format!("pool{}.db", counter.get()))).unwrap()
    })
    .unwrap();
}

#[test]
fn boxed_and_borrowed_pools_conform() {
    let boxed = || -> Box<MemoryPool> { Box::new(MemoryPool::default()) };
    conformance::run_all(boxed).unwrap();
}

#[test]
fn a_pool_that_breaks_the_rules_is_caught() {
    // Deny-everything policy: the suite must fail, not pass vacuously.
    let failure =
        conformance::run_all(|| MemoryPool::new(finkit_pool::Policy::new([]))).unwrap_err();
    assert!(!failure.message.is_empty(), "{failure}");
}
