//! Bad inputs when opening a database: typed errors, never a panic.

use finkit_pool::migrations::{Dialect, MIGRATIONS, SCHEMA_VERSION};
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
fn migrations_are_applied_on_open_and_upgrade_old_files() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = SqlitePool::open(dir.path().join("fresh.db")).unwrap();
    assert_eq!(fresh.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(fresh.integrity_check().unwrap(), "ok");

    // A file left at version 1 by an older build is upgraded in place.
    let path = dir.path().join("v1.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(&MIGRATIONS[0].sql(Dialect::Sqlite)).unwrap();
    raw.execute_batch("PRAGMA user_version = 1").unwrap();
    drop(raw);
    let pool = SqlitePool::open(&path).unwrap();
    assert_eq!(pool.schema_version().unwrap(), SCHEMA_VERSION);
    drop(pool);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let triggers: i64 = raw
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(triggers, 2);
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");

    // Reopening an up-to-date file applies nothing and keeps it.
    assert_eq!(SqlitePool::open(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
}
