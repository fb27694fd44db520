//! The one error type of this crate.

use std::path::PathBuf;

use crate::ingest::IngestReport;
use crate::security::{Permission, Role};

/// Everything that can go wrong in the data pool.
///
/// Messages are lowercase and carry the offending value (a path, a version, a principal).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The principal's role lacks the permission the call needs. The denial has been audited.
    #[error(
        "access denied: principal {principal:?} with role {role} lacks permission {permission}"
    )]
    AccessDenied {
        /// The principal's name.
        principal: String,
        /// The principal's role.
        role: Role,
        /// The permission that was missing.
        permission: Permission,
    },
    /// A strict batch had rejected rows, so nothing was committed. The report lists every one.
    #[error("batch rejected in strict mode: {} row problem(s), nothing committed (first: {})",
        report.rejected.len(), report.rejected.first().map_or_else(String::new, ToString::to_string))]
    Rejected {
        /// The report: `accepted` is 0 and `rejected` lists every problem.
        report: IngestReport,
    },
    /// An input file could not be parsed as a whole (missing column, unknown column, bad JSON
    /// structure). Row-level problems are reported as rejected rows instead.
    #[error("{source_name}: {message}")]
    Format {
        /// The input's name (file path or `<memory>`).
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// The database file does not exist and the pool was opened without `create`.
    #[error("database file not found: {}", path.display())]
    NotFound {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The path names a directory, not a database file.
    #[error("database path is a directory: {}", path.display())]
    IsDirectory {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The file exists but is not an SQLite database. An encrypted pool (feature `sqlcipher`)
    /// opened without its key looks exactly like this: its bytes cannot be told from noise.
    #[error(
        "not an sqlite database: {} (or an encrypted pool opened without its key; the command line reads it from FINKIT_POOL_KEY)",
        path.display()
    )]
    NotADatabase {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The file is an SQLite database that finkit did not create (its `application_id` is not
    /// [`crate::migrations::APPLICATION_ID`]); finkit refuses to change it.
    #[error(
        "{} is an sqlite database but not a finkit pool (application_id {application_id:#x}); finkit leaves it unchanged",
        path.display()
    )]
    NotAPool {
        /// The file.
        path: PathBuf,
        /// The `application_id` found.
        application_id: i32,
    },
    /// The pool has an older schema (or predates the pool mark) and was opened without
    /// [`crate::SqliteOptions::upgrade`]: reads never migrate.
    #[error(
        "{} has pool schema version {found}, this build needs {supported}: run `finkit pool upgrade --db {}` (an explicit upgrade; reads never migrate)",
        path.display(), path.display()
    )]
    NeedsUpgrade {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: i64,
        /// The version this build needs.
        supported: i64,
    },
    /// The database is empty and the pool was opened without `create`.
    #[error("{} is an empty database, not a finkit pool: create one with `finkit pool init`", path.display())]
    EmptyDatabase {
        /// The file.
        path: PathBuf,
    },
    /// The acting user is not in the pool's user-to-role table.
    #[error(
        "user {name:?} has no role in this pool: an admin registers it with `finkit pool user-set --name {name} --role ROLE`"
    )]
    UnknownUser {
        /// The user name.
        name: String,
    },
    /// The database was written by a newer finkit-pool with a schema this version cannot read.
    #[error(
        "database schema version {found} is newer than the newest supported version {supported}"
    )]
    FutureSchema {
        /// The schema version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Stored data failed validation on the way out (the file was edited outside finkit-pool).
    #[error("corrupt stored {entity} {key:?}: {message}")]
    Corrupt {
        /// The entity kind.
        entity: &'static str,
        /// The natural key of the bad row.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The audit log already holds an entry where the stored head says the next one goes: the
    /// trail was tampered with, so the pool refuses to append (and thus to serve audited calls)
    /// until it is repaired. [`crate::PoolRead::verify_audit`] still reports the problems.
    #[error(
        "audit log already has an entry {seq} beyond the stored head: the trail was tampered with"
    )]
    AuditConflict {
        /// The sequence number that was taken.
        seq: u64,
    },
    /// A policy file could not be parsed.
    #[error("invalid policy: {0}")]
    Policy(String),
    /// A pseudonymisation key was unusable (for example, empty).
    #[error("invalid pseudonymisation key: {0}")]
    Key(&'static str),
    /// A pool encryption key ([`crate::PoolKey`]) was unusable (for example, empty).
    #[error("invalid pool encryption key: {0}")]
    EncryptionKey(&'static str),
    /// An encryption key was given but this build has plain SQLite: encryption at rest needs
    /// finkit-pool's `sqlcipher` feature. Nothing was opened or created.
    #[error(
        "encryption at rest needs finkit-pool's `sqlcipher` feature; this build has plain sqlite (nothing was opened)"
    )]
    EncryptionUnavailable,
    /// The pool file could not be decrypted with the key given: a wrong key (or a file that is
    /// not a pool at all). Nothing was changed.
    #[error("cannot decrypt {}: wrong key, or not an encrypted finkit pool", path.display())]
    WrongKey {
        /// The file.
        path: PathBuf,
    },
    /// Reading an input file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An error from SQLite. The driver's error is kept as the [`BackendError`]'s source; its
    /// type is not part of this crate's API.
    #[error("sqlite: {0}")]
    Sqlite(#[source] BackendError),
    /// An error from the PostgreSQL server or driver (feature `postgres`). Messages never
    /// contain the connection's password. The driver's error is kept as the source.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    #[error("postgres: {0}")]
    Postgres(#[source] BackendError),
    /// A PostgreSQL connection setting is missing or invalid (feature `postgres`); the
    /// connection URL itself is never shown, as it may hold a password.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    #[error("postgres configuration: {0}")]
    PostgresConfig(String),
    /// The PostgreSQL schema holds no finkit pool and the connection did not ask to create one
    /// ([`crate::PostgresOptions::create`]); nothing was created (feature `postgres`).
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    #[error(
        "postgres schema {schema:?} holds no finkit pool: create one explicitly (PostgresOptions::create)"
    )]
    PostgresNoPool {
        /// The PostgreSQL schema.
        schema: String,
    },
    /// The pool in the PostgreSQL schema has an older schema version and the connection did not
    /// ask to upgrade it ([`crate::PostgresOptions::upgrade`]); nothing was changed: connecting
    /// never migrates (feature `postgres`).
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    #[error(
        "postgres schema {schema:?} has pool schema version {found}, this build needs {supported}: upgrade it explicitly (PostgresOptions::upgrade); connecting never migrates"
    )]
    PostgresNeedsUpgrade {
        /// The PostgreSQL schema.
        schema: String,
        /// The version found.
        found: i64,
        /// The version this build needs.
        supported: i64,
    },
    /// An error reading or writing Parquet or Arrow data (feature `parquet`). The Parquet or
    /// Arrow error is kept as the source.
    #[cfg(feature = "parquet")]
    #[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
    #[error("parquet: {0}")]
    Parquet(#[source] BackendError),
    /// A schema-level error building a value (for example a [`finkit_schema::Portfolio`]).
    #[error(transparent)]
    Schema(#[from] finkit_schema::SchemaError),
    /// A parameter was outside its allowed range (for example a point-in-time dataset's dates).
    #[error("invalid parameter {name}: {reason} (got {value})")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// The rule it broke.
        reason: &'static str,
    },
    /// An internal lock was poisoned by a panic in another thread.
    #[error("internal lock poisoned by a panic in another thread")]
    Poisoned,
}

/// The error of a storage or file-format backend (SQLite, PostgreSQL, Parquet / Arrow).
///
/// The backend crate's own error is kept, so nothing is lost, but its type is not part of
/// finkit-pool's API: a major release of `rusqlite`, `postgres` or `parquet` is not a breaking
/// change of this crate. Reach the original through [`BackendError::get_ref`] or
/// [`std::error::Error::source`] and downcast it if you depend on the same backend version.
///
/// ```
/// use finkit_pool::{PoolError, SqliteOptions, SqlitePool};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("not-a-db.sqlite");
/// std::fs::write(&path, b"this is not an sqlite file, not even close to one; padding.....")?;
/// let err = SqlitePool::open_with(&path, &SqliteOptions::default()).unwrap_err();
/// assert!(matches!(err, PoolError::NotADatabase { .. } | PoolError::Sqlite(_)), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BackendError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl BackendError {
    pub(crate) fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        BackendError(Box::new(error))
    }

    /// The backend's original error.
    #[must_use]
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The original error when it is of type `E`, or `self` back.
    pub(crate) fn downcast<E: std::error::Error + 'static>(self) -> Result<E, Self> {
        self.0.downcast::<E>().map(|e| *e).map_err(BackendError)
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Conversion of a backend's error into [`PoolError`], private to this crate.
///
/// `PoolError` deliberately has no public `From<rusqlite::Error>` (or `postgres`, `parquet`,
/// `arrow`) impl: a trait impl is public API, so one would make every major release of those
/// crates a breaking change of finkit-pool. Inside the crate, `.db()?` does what `?` would.
pub(crate) trait Backend<T> {
    /// The result with the backend's error wrapped in the matching [`PoolError`] variant.
    fn db(self) -> Result<T, PoolError>;
}

/// A backend error type and the [`PoolError`] variant that wraps it.
pub(crate) trait BackendKind: std::error::Error + Send + Sync + Sized + 'static {
    /// Wraps the error.
    fn wrap(self) -> PoolError;
}

impl<T, E: BackendKind> Backend<T> for Result<T, E> {
    fn db(self) -> Result<T, PoolError> {
        self.map_err(BackendKind::wrap)
    }
}

impl BackendKind for rusqlite::Error {
    fn wrap(self) -> PoolError {
        PoolError::Sqlite(BackendError::new(self))
    }
}

#[cfg(feature = "postgres")]
impl BackendKind for postgres::Error {
    fn wrap(self) -> PoolError {
        PoolError::Postgres(BackendError::new(self))
    }
}

#[cfg(feature = "parquet")]
impl BackendKind for parquet::errors::ParquetError {
    fn wrap(self) -> PoolError {
        PoolError::Parquet(BackendError::new(self))
    }
}

#[cfg(feature = "parquet")]
impl BackendKind for arrow::error::ArrowError {
    fn wrap(self) -> PoolError {
        PoolError::Parquet(BackendError::new(self))
    }
}

impl PoolError {
    /// Whether this is an access denial.
    #[must_use]
    pub fn is_access_denied(&self) -> bool {
        matches!(self, PoolError::AccessDenied { .. })
    }

    /// The ingest report when this is a rejected strict batch.
    #[must_use]
    pub fn rejected_report(&self) -> Option<&IngestReport> {
        match self {
            PoolError::Rejected { report } => Some(report),
            _ => None,
        }
    }

    /// Whether the error is about the database file the caller named rather than a failure
    /// inside the pool: missing, a directory, not a database, corrupt, read-only, or not openable
    /// or writable with the caller's permissions. Command lines report these as bad input.
    #[must_use]
    pub fn is_database_file_problem(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            PoolError::NotFound { .. }
            | PoolError::IsDirectory { .. }
            | PoolError::NotADatabase { .. }
            | PoolError::WrongKey { .. } => true,
            PoolError::Sqlite(e) => matches!(
                e.get_ref()
                    .downcast_ref::<rusqlite::Error>()
                    .and_then(rusqlite::Error::sqlite_error_code),
                Some(
                    C::ReadOnly
                        | C::CannotOpen
                        | C::PermissionDenied
                        | C::NotADatabase
                        | C::DatabaseCorrupt
                        | C::AuthorizationForStatementDenied
                )
            ),
            _ => false,
        }
    }
}

/// Compile-time checks that no backend error type converts into [`PoolError`] through a public
/// `From` impl (the build fails if one is added). The pattern is `static_assertions`'
/// `assert_not_impl_any!`: with the impl, the method lookup below is ambiguous.
#[cfg(test)]
mod no_public_backend_conversions {
    use super::PoolError;

    trait AmbiguousIfImpl<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfImpl<()> for T {}

    macro_rules! assert_no_from {
        ($($source:ty),+ $(,)?) => {$(
            const _: fn() = || {
                #[allow(dead_code)]
                struct Invalid;
                impl<T: ?Sized + From<$source>> AmbiguousIfImpl<Invalid> for T {}
                let _ = <PoolError as AmbiguousIfImpl<_>>::check;
            };
        )+};
    }

    assert_no_from!(rusqlite::Error);
    #[cfg(feature = "postgres")]
    assert_no_from!(postgres::Error);
    #[cfg(feature = "parquet")]
    assert_no_from!(parquet::errors::ParquetError, arrow::error::ArrowError);

    #[test]
    fn backend_errors_keep_their_source() {
        let err = PoolError::Sqlite(super::BackendError::new(rusqlite::Error::InvalidQuery));
        let source = std::error::Error::source(&err).expect("a source");
        assert!(source.to_string().contains("Query is not read-only"), "{source}");
    }
}
