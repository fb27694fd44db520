//! The conformance suite on both backends (and SQLite on a file).

use finkit_pool::{MemoryPool, SqlitePool, conformance};

#[test]
fn memory_pool_conforms() {
    let report = conformance::run_all(MemoryPool::default).unwrap();
    assert_eq!(report.passed.len(), 13);
    assert!(report.passed.contains(&"masked_on_every_read"), "{report:?}");
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

#[test]
fn a_pool_that_shows_sensitive_fields_to_every_role_is_caught() {
    // Same permissions as the default policy, plus `ViewSensitive` for every role: every
    // read still succeeds, so only the masking checks can notice.
    let default = finkit_pool::Policy::default();
    let leaky = finkit_pool::Policy::new(finkit_pool::Role::ALL.into_iter().map(|role| {
        let mut permissions: Vec<_> = default.permissions(role).into_iter().collect();
        permissions.push(finkit_pool::Permission::ViewSensitive);
        (role, permissions)
    }));
    let failure = conformance::run_all(|| MemoryPool::new(leaky.clone())).unwrap_err();
    assert_eq!(failure.check, "masking", "{failure}");
}
