//! Bad inputs when opening a database: typed errors, never a panic.

use std::path::Path;

use finkit_pool::migrations::{APPLICATION_ID, Dialect, MIGRATIONS, SCHEMA_VERSION};
use finkit_pool::{PoolError, SqliteOptions, SqlitePool};

#[test]
fn missing_file_without_create_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.db");
    let options = SqliteOptions { create: false, ..SqliteOptions::default() };
    let err = SqlitePool::open_with(&path, &options).unwrap_err();
    assert!(matches!(err, PoolError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("absent.db"), "{err}");
    assert!(!path.exists(), "opening without create must not create the file");
}

#[test]
fn directory_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqlitePool::open(dir.path()).unwrap_err();
    assert!(matches!(err, PoolError::IsDirectory { .. }), "{err}");
}

#[test]
fn a_file_that_is_not_sqlite_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("text.db", b"this is a csv file, not a database\n".repeat(200)),
        ("noise.db", (0..8192u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = SqlitePool::open(&path).unwrap_err();
        assert!(matches!(err, PoolError::NotADatabase { .. }), "{name}: {err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name} was modified");
    }
}

#[test]
fn a_database_from_a_future_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(SqlitePool::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1)).unwrap();
    drop(raw);
    let err = SqlitePool::open(&path).unwrap_err();
    assert!(
        matches!(err, PoolError::FutureSchema { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err}"
    );
}

#[test]
fn new_pools_are_created_marked_and_at_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = SqlitePool::open(dir.path().join("fresh.db")).unwrap();
    assert_eq!(fresh.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(fresh.integrity_check().unwrap(), "ok");
    drop(fresh);
    let raw = rusqlite::Connection::open(dir.path().join("fresh.db")).unwrap();
    let id: i32 = raw.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(id, APPLICATION_ID);
    // Reopening an up-to-date pool applies nothing and keeps it.
    drop(raw);
    let again = SqlitePool::open(dir.path().join("fresh.db")).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
}

/// Every byte of the file and its WAL side files, to prove an open changed nothing.
fn snapshot(path: &Path) -> Vec<Option<Vec<u8>>> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|s| std::fs::read(format!("{}{s}", path.display())).ok())
        .collect()
}

#[test]
fn a_database_finkit_did_not_create_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theirs.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); \
         INSERT INTO customers (name) VALUES ('someone'); PRAGMA user_version = 7;",
    )
    .unwrap();
    drop(raw);
    let before = snapshot(&path);
    for upgrade in [false, true] {
        let options = SqliteOptions { upgrade, ..SqliteOptions::default() };
        let err = SqlitePool::open_with(&path, &options).unwrap_err();
        assert!(matches!(err, PoolError::NotAPool { .. }), "{err}");
        assert!(err.to_string().contains("theirs.db"), "{err}");
    }
    assert_eq!(snapshot(&path), before, "opening a foreign database changed it");
    // Even a database that happens to have a table called audit_head is not adopted when its
    // version is not a finkit one.
    let path = dir.path().join("lookalike.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE audit_head (x); PRAGMA user_version = 9;").unwrap();
    drop(raw);
    let options = SqliteOptions { upgrade: true, ..SqliteOptions::default() };
    assert!(matches!(
        SqlitePool::open_with(&path, &options).unwrap_err(),
        PoolError::NotAPool { .. }
    ));
}

#[test]
fn an_empty_database_is_only_initialised_when_creating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let options = SqliteOptions { create: false, ..SqliteOptions::default() };
    let err = SqlitePool::open_with(&path, &options).unwrap_err();
    assert!(matches!(err, PoolError::EmptyDatabase { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"");
    assert_eq!(SqlitePool::open(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn older_pools_are_migrated_only_by_an_explicit_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    // A pool left at version 2 by a build from before the pool mark and the stored policy.
    let path = dir.path().join("v2.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("PRAGMA journal_mode = WAL").unwrap();
    for m in &MIGRATIONS[..2] {
        raw.execute_batch(&m.sql(Dialect::Sqlite)).unwrap();
    }
    raw.execute_batch("PRAGMA user_version = 2").unwrap();
    drop(raw);
    let before = snapshot(&path);
    // Reading (any open without `upgrade`) refuses and changes nothing.
    let err = SqlitePool::open(&path).unwrap_err();
    assert!(
        matches!(err, PoolError::NeedsUpgrade { found: 2, supported, .. } if supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("pool upgrade"), "{err}");
    assert_eq!(snapshot(&path), before, "a refused open changed the file");

    let options = SqliteOptions { create: false, upgrade: true, ..SqliteOptions::default() };
    let pool = SqlitePool::open_with(&path, &options).unwrap();
    assert_eq!(pool.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(pool.policy(), finkit_pool::Policy::default());
    drop(pool);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let triggers: i64 = raw
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(triggers, 2);
    let id: i32 = raw.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(id, APPLICATION_ID);
    drop(raw);
    // Now an ordinary open works.
    assert_eq!(SqlitePool::open(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
}
