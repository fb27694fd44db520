//! Encryption at rest of the SQLite file (`SqliteOptions::key`, feature `sqlcipher`): no
//! plaintext in the file, the key opens it, no key or a wrong key is a typed error; without
//! the feature a key is refused before anything is opened.

use finkit_pool::{PoolError, PoolKey, SqliteOptions, SqlitePool};

fn keyed(passphrase: &str) -> SqliteOptions {
    SqliteOptions { key: Some(PoolKey::new(passphrase).unwrap()), ..SqliteOptions::default() }
}

#[cfg(feature = "sqlcipher")]
#[test]
fn an_encrypted_pool_shows_no_plaintext_and_opens_only_with_its_key() {
    use finkit_pool::conformance::{self, fixtures};
    use finkit_pool::{FirmFilter, PoolRead, Principal, Role};
    let admin = || Principal::new("conformance-admin", Role::Admin);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.db");
    let options = keyed("correct horse battery staple");
    {
        let pool = SqlitePool::open_with(&path, &options).unwrap();
        conformance::load_fixture(&pool).unwrap();
    }
    // Closed (WAL checkpointed into the file): neither the file nor any side file holds a
    // firm name, a sensitive value or even the SQLite header.
    let names: Vec<String> = fixtures::firms().unwrap().into_iter().map(|f| f.name).collect();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        checked += bytes.len();
        let text = String::from_utf8_lossy(&bytes);
        for needle in names.iter().map(String::as_str).chain(fixtures::SENSITIVE) {
            assert!(!text.contains(needle), "{needle:?} is readable in the file");
        }
        assert!(!text.contains("SQLite format 3"));
    }
    assert!(checked > 4096, "nothing was written");

    // The key opens it.
    let pool = SqlitePool::open_with(&path, &options).unwrap();
    let firms = pool.firms(&admin(), &FirmFilter::all()).unwrap();
    assert_eq!(firms.iter().map(|f| f.name.clone()).collect::<Vec<_>>(), names);
    drop(pool);
    let before = std::fs::read(&path).unwrap();

    // No key, or a wrong one: typed errors, and the file is left as it was.
    let err = SqlitePool::open(&path).unwrap_err();
    assert!(matches!(&err, PoolError::NotADatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("without its key"), "{err}");
    assert!(err.is_database_file_problem());
    let err = SqlitePool::open_with(&path, &keyed("wrong horse")).unwrap_err();
    assert!(matches!(&err, PoolError::WrongKey { .. }), "{err:?}");
    for shown in [format!("{err}"), format!("{err:?}"), format!("{options:?}")] {
        assert!(!shown.contains("horse"), "the key is shown: {shown}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "a refused open changed the file");

    // A plain pool still opens without a key in a SQLCipher build.
    let plain = dir.path().join("plain.db");
    conformance::load_fixture(&SqlitePool::open(&plain).unwrap()).unwrap();
    assert!(String::from_utf8_lossy(&std::fs::read(&plain).unwrap()).contains(&names[0]));
    let err = SqlitePool::open_with(&plain, &options).unwrap_err();
    assert!(matches!(err, PoolError::WrongKey { .. }), "{err:?}");
}

#[cfg(not(feature = "sqlcipher"))]
#[test]
fn a_key_without_sqlcipher_is_a_typed_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.db");
    let err = SqlitePool::open_with(&path, &keyed("k")).unwrap_err();
    assert!(matches!(err, PoolError::EncryptionUnavailable), "{err:?}");
    assert!(!path.exists(), "the file was created");
}

#[test]
fn a_pool_key_is_never_shown_and_must_not_be_empty() {
    let key = PoolKey::new("s3cret-passphrase").unwrap();
    assert_eq!(format!("{key:?}"), "PoolKey(<redacted>)");
    assert!(!format!("{:?}", keyed("s3cret-passphrase")).contains("s3cret"));
    assert!(matches!(PoolKey::new(""), Err(PoolError::EncryptionKey(_))));
    assert!(matches!(PoolKey::new("a\0b"), Err(PoolError::EncryptionKey(_))));
}
