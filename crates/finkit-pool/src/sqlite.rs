//! The embedded SQLite backend: one file (or memory), WAL, marked with
//! [`crate::migrations::APPLICATION_ID`]; migrations only on creation or an explicit upgrade.

use crate::error::{Backend as _, BackendKind as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use chrono::NaiveDate;
use finkit_schema::{
    ApplicationId, CreditEvent, Exposure, FinancialStatement, Firm, FirmId, InstrumentId,
    LoanApplication, Portfolio, PortfolioColumns, PriceSeries,
};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Row as SqlRow, TransactionBehavior, params,
};

use crate::PoolError;
use crate::audit::{
    AuditEntry, AuditEvent, AuditHead, AuditProblem, AuditStatus, Outcome, verify_chain,
};
use crate::backend::{allowed, select_as_of};
use crate::guard::{Commit, Guarded, ReadStore, Sealed, WriteStore};
use crate::ingest::natural_key;
use crate::ingest::{IngestReport, IngestStore, Put, RowSource, apply_rows};
use crate::migrations::{
    APPLICATION_ID, Dialect, MIGRATIONS, SCHEMA_VERSION, audit_triggers, normalise_sql,
};
use crate::record::EntityKind;
use crate::record::Record;
use crate::security::{Permission, Policy, Principal, Role};
use crate::sql::{
    APPLICATION_COLUMNS, AUDIT_SELECT, Columns, EXPOSURE_COLUMNS, FIRM_COLUMNS, PORTFOLIO_SELECT,
    STATEMENT_COLUMNS, audit_from_row, corrupt, date_key, decode, instrument_from_row,
    portfolio_row, price_series,
};
use crate::table::{Cell, Table, record_cells};
use crate::traits::{ApplicationFilter, FirmFilter, StatementQuery};

/// The secret that encrypts a pool file at rest (SQLCipher, finkit-pool's `sqlcipher`
/// feature): a passphrase, from which SQLCipher derives the page key (PBKDF2).
///
/// It is never shown: `Debug` prints `PoolKey(<redacted>)`, no error message contains it, and
/// its bytes are overwritten when it is dropped (copies SQLite makes internally are SQLCipher's
/// to wipe).
///
/// ```
/// use finkit_pool::PoolKey;
/// let key = PoolKey::new("correct horse battery staple")?;
/// assert_eq!(format!("{key:?}"), "PoolKey(<redacted>)");
/// assert!(PoolKey::new("").is_err());
/// # Ok::<(), finkit_pool::PoolError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PoolKey(Vec<u8>);

impl PoolKey {
    /// A key from a passphrase.
    ///
    /// # Errors
    ///
    /// [`PoolError::EncryptionKey`] for an empty passphrase or one with a NUL character.
    pub fn new(passphrase: impl Into<String>) -> Result<Self, PoolError> {
        let bytes = passphrase.into().into_bytes();
        if bytes.is_empty() {
            return Err(PoolError::EncryptionKey("empty"));
        }
        if bytes.contains(&0) {
            return Err(PoolError::EncryptionKey("contains a NUL character"));
        }
        Ok(PoolKey(bytes))
    }
}

impl std::fmt::Debug for PoolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolKey(<redacted>)")
    }
}

impl Drop for PoolKey {
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

/// How to open a [`SqlitePool`].
#[derive(Debug, Clone, PartialEq)]
pub struct SqliteOptions {
    /// Create the file when it does not exist (default `true`). With `false`, a missing file is
    /// [`PoolError::NotFound`] and an empty database is [`PoolError::EmptyDatabase`].
    pub create: bool,
    /// Apply pending migrations to an existing pool, and adopt a finkit pool from before the
    /// pool mark (default `false`): opening never migrates otherwise, so a read cannot change
    /// a file ([`PoolError::NeedsUpgrade`]).
    pub upgrade: bool,
    /// The access policy of a pool created by this open (default [`Policy::default`]). An
    /// existing pool keeps the policy stored in it; only an admin changes that
    /// ([`SqlitePool::set_policy`]).
    pub policy: Policy,
    /// How long a call waits for another connection's write lock (default 60 s). Reads append
    /// to the audit trail, so during a long ingest by another connection they wait up to this.
    pub busy_timeout: Duration,
    /// Encrypt the file at rest with this key (default `None`: a plain SQLite file). Needs the
    /// `sqlcipher` feature (otherwise [`PoolError::EncryptionUnavailable`], and nothing is
    /// opened); the key is applied (`PRAGMA key`) before anything else reads or writes the
    /// file. A wrong key is [`PoolError::WrongKey`]; an encrypted file opened without one is
    /// [`PoolError::NotADatabase`] (its bytes cannot be told from noise).
    pub key: Option<PoolKey>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            create: true,
            upgrade: false,
            policy: Policy::default(),
            busy_timeout: Duration::from_secs(60),
            key: None,
        }
    }
}

/// The SQLite store behind [`SqlitePool`]: one connection and the policy stored in the file.
/// Storage only; see [`crate::guard`].
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    policy: RwLock<Arc<Policy>>,
    path: Option<PathBuf>,
}

/// The SQLite backend: the one guard of every backend ([`Guarded`]) around a [`SqliteStore`].
///
/// - One database file (or memory), in WAL journal mode with `synchronous = NORMAL` (a commit
///   survives a process crash; the last commits before a power loss may be lost, never
///   half-applied).
/// - A pool is marked with `PRAGMA application_id` = [`crate::migrations::APPLICATION_ID`].
///   Opening a database finkit did not create fails with [`PoolError::NotAPool`] and leaves
///   it byte for byte unchanged. [`crate::migrations::MIGRATIONS`] run when a pool is created,
///   and on an existing pool only with [`SqliteOptions::upgrade`]; `PRAGMA user_version`
///   records the version.
/// - The policy and the user-to-role table are stored in the pool (tables `pool_policy`,
///   `pool_users`); changes need [`Permission::Administer`] and are audited.
/// - One connection behind a mutex: the transactions of calls on one `SqlitePool` (the
///   read, then its audit append) run one after another. For parallel
///   readers, open one `SqlitePool` per thread on the same file; WAL lets them read while
///   another connection writes (their audit appends then wait for the writer's commit, up to
///   [`SqliteOptions::busy_timeout`]).
/// - Every SQL statement is a constant string with bound parameters.
///
/// Whoever can read the file can read everything in it, masks and policy notwithstanding:
/// the policy binds callers of this API, not holders of the file.
pub type SqlitePool = Guarded<SqliteStore>;

fn read_head(conn: &Connection) -> Result<AuditHead, PoolError> {
    let (count, hash): (i64, String) = conn
        .prepare_cached("SELECT count, hash FROM audit_head WHERE id = 1")
        .db()?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .db()?
        .ok_or_else(|| corrupt("audit head", "1", "missing"))?;
    let count = u64::try_from(count).map_err(|_| corrupt("audit head", "1", "negative count"))?;
    Ok(AuditHead { count, hash })
}

/// Appends one audit entry inside the caller's transaction.
pub(crate) fn append_in(conn: &Connection, event: &AuditEvent) -> Result<(), PoolError> {
    let head = read_head(conn)?;
    let e = AuditEntry::next(&head, event);
    let seq = i64::try_from(e.seq).map_err(|_| corrupt("audit head", "1", "count overflow"))?;
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, principal, role, action, entity, detail, outcome, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    ).db()?
    .execute(params![seq, e.at, e.principal, e.role, e.action, e.entity, e.detail, e.outcome, e.prev_hash, e.hash])
    .map_err(|err| match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => PoolError::AuditConflict { seq: e.seq },
        _ => err.wrap(),
    })?;
    conn.prepare_cached("UPDATE audit_head SET count = ?1, hash = ?2 WHERE id = 1")
        .db()?
        .execute(params![seq, e.hash])
        .db()?;
    Ok(())
}

/// Appends one audit entry in its own write transaction.
pub(crate) fn append_now(conn: &mut Connection, event: &AuditEvent) -> Result<(), PoolError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
    append_in(&tx, event)?;
    tx.commit().db()?;
    Ok(())
}

impl SqlitePool {
    /// Opens (creating if needed) a database file with the default policy.
    ///
    /// # Errors
    ///
    /// See [`SqlitePool::open_with`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PoolError> {
        Self::open_with(path, &SqliteOptions::default())
    }

    /// Opens a database file.
    ///
    /// # Errors
    ///
    /// [`PoolError::IsDirectory`], [`PoolError::NotFound`] (without `create`),
    /// [`PoolError::NotADatabase`], [`PoolError::FutureSchema`], or [`PoolError::Sqlite`].
    pub fn open_with(path: impl AsRef<Path>, options: &SqliteOptions) -> Result<Self, PoolError> {
        let path = path.as_ref();
        if path.is_dir() {
            return Err(PoolError::IsDirectory { path: path.to_path_buf() });
        }
        if !options.create && !path.exists() {
            return Err(PoolError::NotFound { path: path.to_path_buf() });
        }
        if options.key.is_some() && !cfg!(feature = "sqlcipher") {
            return Err(PoolError::EncryptionUnavailable);
        }
        let keyed = options.key.is_some();
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if options.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| classify(e, path, keyed))?;
        if let Some(key) = &options.key {
            apply_key(&conn, key).map_err(|e| classify(e, path, keyed))?;
        }
        let store = SqliteStore {
            conn: Mutex::new(conn),
            policy: RwLock::new(Arc::new(options.policy.clone())),
            path: Some(path.to_path_buf()),
        };
        store.prepare(options, path, true).map_err(|e| match e {
            PoolError::Sqlite(s) => {
                s.downcast().map_or_else(PoolError::Sqlite, |s| classify(s, path, keyed))
            }
            other => other,
        })?;
        Ok(Guarded::wrap(store))
    }

    /// A fresh in-memory database with the default policy.
    ///
    /// # Errors
    ///
    /// [`PoolError::Sqlite`] when SQLite cannot allocate it.
    pub fn in_memory() -> Result<Self, PoolError> {
        Self::in_memory_with(Policy::default())
    }

    /// A fresh in-memory database governed by `policy`.
    ///
    /// # Errors
    ///
    /// [`PoolError::Sqlite`] when SQLite cannot allocate it.
    pub fn in_memory_with(policy: Policy) -> Result<Self, PoolError> {
        let options = SqliteOptions { policy, ..SqliteOptions::default() };
        let store = SqliteStore {
            conn: Mutex::new(Connection::open_in_memory().db()?),
            policy: RwLock::new(Arc::new(options.policy.clone())),
            path: None,
        };
        store.prepare(&options, Path::new(":memory:"), false)?;
        Ok(Guarded::wrap(store))
    }

    /// The file, or `None` in memory.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.store.path.as_deref()
    }

    /// The pool's policy (as stored in the pool).
    #[must_use]
    pub fn policy(&self) -> Policy {
        (*self.store.pol()).clone()
    }

    /// The schema version recorded in the database (`PRAGMA user_version`).
    ///
    /// # Errors
    ///
    /// [`PoolError::Sqlite`].
    pub fn schema_version(&self) -> Result<i64, PoolError> {
        let conn = self.store.lock()?;
        conn.query_row("PRAGMA user_version", [], |r| r.get(0)).db()
    }

    /// `PRAGMA integrity_check`: `"ok"` when the file is sound.
    ///
    /// # Errors
    ///
    /// [`PoolError::Sqlite`].
    pub fn integrity_check(&self) -> Result<String, PoolError> {
        let conn = self.store.lock()?;
        let rows: Vec<String> = conn
            .prepare("PRAGMA integrity_check")
            .db()?
            .query_map([], |r| r.get(0))
            .db()?
            .collect::<Result<_, _>>()
            .db()?;
        Ok(rows.join("\n"))
    }
}

impl SqliteStore {
    fn pol(&self) -> Arc<Policy> {
        // The lock only guards swapping one `Arc` for another, so a poisoned lock still holds
        // a whole policy.
        Arc::clone(&self.policy.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Connection>, PoolError> {
        self.conn.lock().map_err(|_| PoolError::Poisoned)
    }

    /// Identifies the database before anything is written to it, then creates, upgrades or
    /// just opens the pool.
    fn prepare(&self, options: &SqliteOptions, path: &Path, wal: bool) -> Result<(), PoolError> {
        let mut conn = self.lock()?;
        conn.busy_timeout(options.busy_timeout).db()?;
        // The first read of the header: a file that is not SQLite fails here. Nothing below
        // writes until the file is known to be a finkit pool (or an empty database).
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).db()?;
        let application_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).db()?;
        let objects: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).db()?;
        let has_finkit_tables: bool = conn
            .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'")
            .db()?
            .exists([])
            .db()?;
        let fresh = objects == 0 && version == 0 && application_id == 0;
        if fresh && !options.create {
            return Err(PoolError::EmptyDatabase { path: path.to_path_buf() });
        }
        if !fresh {
            let legacy = application_id == 0 && has_finkit_tables && (1..=2).contains(&version);
            if application_id != APPLICATION_ID && !legacy {
                return Err(PoolError::NotAPool { path: path.to_path_buf(), application_id });
            }
            if version > SCHEMA_VERSION {
                return Err(PoolError::FutureSchema { found: version, supported: SCHEMA_VERSION });
            }
            if (version < SCHEMA_VERSION || legacy) && !options.upgrade {
                return Err(PoolError::NeedsUpgrade {
                    path: path.to_path_buf(),
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
        }
        if wal {
            let mode: String =
                conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).db()?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(rusqlite::Error::InvalidQuery.wrap());
            }
        }
        // NORMAL is durable against process crashes in WAL mode; a 64 MiB page cache keeps
        // large ingests from spilling B-tree pages mid-transaction.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;",
        )
        .db()?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn, &options.policy)?;
        let stored = load_policy(&conn)?;
        *self.policy.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(stored);
        Ok(())
    }

    /// Runs `f` in one read transaction (one snapshot).
    pub(crate) fn snapshot<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, PoolError>,
    ) -> Result<R, PoolError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).db()?;
        let out = f(&tx)?;
        tx.commit().db()?;
        Ok(out)
    }
}

impl SqlitePool {
    /// The [`Principal`] that `name` acts as: its role in the pool's user table. This is how
    /// an application maps an authenticated user to a role; the command line maps the
    /// operating-system user (or `FINKIT_USER`) through it.
    ///
    /// # Errors
    ///
    /// [`PoolError::UnknownUser`] when `name` is not registered.
    pub fn principal_for(&self, name: &str) -> Result<Principal, PoolError> {
        let conn = self.store.lock()?;
        let role: Option<String> = conn
            .prepare_cached("SELECT role FROM pool_users WHERE name = ?1")
            .db()?
            .query_row([name], |r| r.get(0))
            .optional()
            .db()?;
        match role {
            None => Err(PoolError::UnknownUser { name: name.to_owned() }),
            Some(text) => Role::parse(&text)
                .map(|role| Principal::new(name, role))
                .ok_or_else(|| corrupt("user", name, format!("unknown role {text:?}"))),
        }
    }

    /// Every registered user with its role, by name. Needs [`Permission::Administer`];
    /// audited.
    ///
    /// # Errors
    ///
    /// Access denied or [`PoolError::Sqlite`].
    pub fn users(&self, who: &Principal) -> Result<Vec<(String, Role)>, PoolError> {
        self.guarded(who, Permission::Administer, "read", "users", "list".into(), |s| {
            s.snapshot(read_users)
        })
    }

    /// Registers `name` with `role`, or changes its role. Needs [`Permission::Administer`];
    /// audited with the old and the new role. Demoting the last admin is refused.
    ///
    /// # Errors
    ///
    /// Access denied, [`PoolError::Policy`] for an unusable name or the last admin, or
    /// [`PoolError::Sqlite`].
    pub fn set_user(&self, who: &Principal, name: &str, role: Role) -> Result<(), PoolError> {
        self.administer(who, "users", |c| {
            valid_user_name(name)?;
            let old = user_role(c, name)?;
            if old == Some(Role::Admin) && role != Role::Admin {
                last_admin_guard(c, name)?;
            }
            c.prepare_cached(
                "INSERT INTO pool_users (name, role) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role",
            )
            .db()?
            .execute(params![name, role.as_str()])
            .db()?;
            let was = old.map_or("none", Role::as_str);
            Ok(((), format!("set user {name:?}: role {was} -> {role}")))
        })
    }

    /// Removes `name` from the user table; `false` when it was not registered. Needs
    /// [`Permission::Administer`]; audited. Removing the last admin is refused.
    ///
    /// # Errors
    ///
    /// Access denied, [`PoolError::Policy`] for the last admin, or [`PoolError::Sqlite`].
    pub fn remove_user(&self, who: &Principal, name: &str) -> Result<bool, PoolError> {
        self.administer(who, "users", |c| {
            let old = user_role(c, name)?;
            if old == Some(Role::Admin) {
                last_admin_guard(c, name)?;
            }
            let n = c
                .prepare_cached("DELETE FROM pool_users WHERE name = ?1")
                .db()?
                .execute([name])
                .db()?;
            let was = old.map_or("none", Role::as_str);
            Ok((n == 1, format!("remove user {name:?} (role {was})")))
        })
    }

    /// Replaces the pool's stored policy. Needs [`Permission::Administer`] under the current
    /// policy; audited with the new policy. The admin role must keep
    /// [`Permission::Administer`] ([`Policy::validate_for_pool`]).
    ///
    /// # Errors
    ///
    /// Access denied, [`PoolError::Policy`], or [`PoolError::Sqlite`].
    pub fn set_policy(&self, who: &Principal, policy: &Policy) -> Result<(), PoolError> {
        let json = policy_json(policy)?;
        self.administer(who, "policy", |c| {
            policy.validate_for_pool()?;
            c.prepare_cached("UPDATE pool_policy SET policy = ?1 WHERE id = 1")
                .db()?
                .execute([&json])
                .db()?;
            Ok(((), format!("set policy {json}")))
        })?;
        *self.store.policy.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Arc::new(policy.clone());
        Ok(())
    }

    /// Registers `name` as admin when the pool has no user yet (a new pool, or one upgraded
    /// from before the user table); `false` when users exist, then nothing changes. Whoever
    /// creates the pool file holds it entirely anyway, so the creator is its first admin.
    /// Audited.
    ///
    /// # Errors
    ///
    /// [`PoolError::Policy`] for an unusable name, or [`PoolError::Sqlite`].
    pub fn bootstrap_admin(&self, name: &str) -> Result<bool, PoolError> {
        valid_user_name(name)?;
        let mut conn = self.store.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        if tx.prepare("SELECT 1 FROM pool_users").db()?.exists([]).db()? {
            return Ok(false);
        }
        tx.execute("INSERT INTO pool_users (name, role) VALUES (?1, 'admin')", [name]).db()?;
        let first = Principal::new(name, Role::Admin);
        let detail = format!("bootstrap: first user {name:?} registered as admin");
        append_in(&tx, &AuditEvent::new(&first, "administer", "users", detail, Outcome::Allowed))?;
        tx.commit().db()?;
        Ok(true)
    }

    /// An administrative change: guard ([`Permission::Administer`]), change and audit entry
    /// in one transaction.
    fn administer<R>(
        &self,
        who: &Principal,
        entity: &str,
        f: impl FnOnce(&Connection) -> Result<(R, String), PoolError>,
    ) -> Result<R, PoolError> {
        self.check(who, Permission::Administer, "administer", entity)?;
        let mut conn = self.store.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        let (out, detail) = f(&tx)?;
        append_in(&tx, &allowed(who, "administer", entity, detail))?;
        tx.commit().db()?;
        Ok(out)
    }
}

// A user and its role: what administrators manage, nothing to mask from them.
impl crate::guard::Present for (String, Role) {
    fn present(self, _sees_sensitive: bool) -> Self {
        self
    }
}

/// User names are printed and audited: 1 to 128 characters, no control characters.
fn valid_user_name(name: &str) -> Result<(), PoolError> {
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(PoolError::Policy(format!(
            "invalid user name {name:?}: use 1 to 128 characters without control characters"
        )));
    }
    Ok(())
}

fn user_role(c: &Connection, name: &str) -> Result<Option<Role>, PoolError> {
    let text: Option<String> = c
        .prepare_cached("SELECT role FROM pool_users WHERE name = ?1")
        .db()?
        .query_row([name], |r| r.get(0))
        .optional()
        .db()?;
    text.map(|t| {
        Role::parse(&t).ok_or_else(|| corrupt("user", name, format!("unknown role {t:?}")))
    })
    .transpose()
}

fn last_admin_guard(c: &Connection, name: &str) -> Result<(), PoolError> {
    let others: i64 = c
        .query_row(
            "SELECT count(*) FROM pool_users WHERE role = 'admin' AND name <> ?1",
            [name],
            |r| r.get(0),
        )
        .db()?;
    if others == 0 {
        return Err(PoolError::Policy(format!(
            "{name:?} is the last admin of the pool; register another admin first"
        )));
    }
    Ok(())
}

fn read_users(c: &Connection) -> Result<Vec<(String, Role)>, PoolError> {
    collect(c, "SELECT name, role FROM pool_users ORDER BY name", [], |r| {
        let name: String = r.get(0).db()?;
        let text: String = r.get(1).db()?;
        let role = Role::parse(&text)
            .ok_or_else(|| corrupt("user", &name, format!("unknown role {text:?}")))?;
        Ok((name, role))
    })
}

/// The append-only triggers of the audit log as the migrations define them: a missing or
/// changed one, or any other trigger on the audit tables (which could drop or rewrite
/// entries), is a problem.
fn check_triggers(c: &Connection) -> Result<Vec<AuditProblem>, PoolError> {
    let stored = collect(
        c,
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' \
         AND tbl_name IN ('audit_log', 'audit_head') ORDER BY name",
        [],
        |r| {
            Ok((
                r.get::<_, String>(0).db()?,
                r.get::<_, String>(1).db()?,
                r.get::<_, Option<String>>(2).db()?.unwrap_or_default(),
            ))
        },
    )?;
    let expected = audit_triggers(Dialect::Sqlite);
    let mut problems = Vec::new();
    for (name, sql) in &expected {
        match stored.iter().find(|(n, _, _)| n == name) {
            None => problems.push(AuditProblem {
                seq: 0,
                problem: format!(
                    "append-only trigger {name} is missing (dropped): entries could have been \
                     edited or deleted without a trace in the chain"
                ),
            }),
            Some((_, _, s)) if normalise_sql(s) != *sql => problems.push(AuditProblem {
                seq: 0,
                problem: format!("append-only trigger {name} was replaced by another definition"),
            }),
            Some(_) => {}
        }
    }
    for (name, table, _) in &stored {
        if !expected.iter().any(|(n, _)| n == name) {
            problems.push(AuditProblem {
                seq: 0,
                problem: format!("unexpected trigger {name} on {table}"),
            });
        }
    }
    Ok(problems)
}

/// Applies every migration newer than the file's version in one transaction (so another
/// connection sees either no pool or a complete one), marks the file as a finkit pool and
/// stores `initial_policy` when the pool has no policy yet.
fn migrate(conn: &mut Connection, initial_policy: &Policy) -> Result<(), PoolError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
    // Re-read inside the write lock: another process may have migrated meanwhile.
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).db()?;
    if version > SCHEMA_VERSION {
        return Err(PoolError::FutureSchema { found: version, supported: SCHEMA_VERSION });
    }
    let application_id: i32 = tx.query_row("PRAGMA application_id", [], |r| r.get(0)).db()?;
    if version == SCHEMA_VERSION && application_id == APPLICATION_ID {
        return Ok(());
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > version) {
        tx.execute_batch(&m.sql(Dialect::Sqlite)).db()?;
    }
    // PRAGMA takes no parameters; both values are constants of this crate.
    tx.execute_batch(&format!(
        "PRAGMA user_version = {SCHEMA_VERSION}; PRAGMA application_id = {APPLICATION_ID};"
    ))
    .db()?;
    let stored: bool =
        tx.prepare("SELECT 1 FROM pool_policy WHERE id = 1").db()?.exists([]).db()?;
    if !stored {
        tx.execute(
            "INSERT INTO pool_policy (id, policy) VALUES (1, ?1)",
            [policy_json(initial_policy)?],
        )
        .db()?;
    }
    tx.commit().db()?;
    Ok(())
}

fn policy_json(policy: &Policy) -> Result<String, PoolError> {
    serde_json::to_string(policy).map_err(|e| PoolError::Policy(e.to_string()))
}

/// The policy stored in the pool.
fn load_policy(conn: &Connection) -> Result<Policy, PoolError> {
    let text: String = conn
        .query_row("SELECT policy FROM pool_policy WHERE id = 1", [], |r| r.get(0))
        .optional()
        .db()?
        .ok_or_else(|| corrupt("policy", "1", "missing"))?;
    Policy::from_json_str(&text).map_err(|e| corrupt("policy", "1", e.to_string()))
}

/// Keys the connection (`PRAGMA key`, SQLCipher) before anything reads the file. The
/// passphrase goes in as a quoted string literal built by rusqlite, never into a message.
fn apply_key(conn: &Connection, key: &PoolKey) -> Result<(), rusqlite::Error> {
    let passphrase = std::str::from_utf8(&key.0).map_err(|_| rusqlite::Error::InvalidQuery)?;
    // SQLCipher logs failed page decryptions (a wrong key) to stderr by default; the typed
    // error says it all, and a command line owns its stderr. (The level is process-wide.)
    conn.execute_batch("PRAGMA cipher_log_level = NONE")?;
    conn.pragma_update(None, "key", passphrase)
}

/// Maps SQLite's "not a database" to the typed errors: a wrong key when the pool was opened
/// with one (`keyed`). Without a key an encrypted file cannot be told from any other bytes, so
/// it is [`PoolError::NotADatabase`], whose message names the key.
fn classify(e: rusqlite::Error, path: &Path, keyed: bool) -> PoolError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) if keyed => {
            PoolError::WrongKey { path: path.to_path_buf() }
        }
        Some(rusqlite::ErrorCode::NotADatabase) => {
            PoolError::NotADatabase { path: path.to_path_buf() }
        }
        Some(rusqlite::ErrorCode::CannotOpen) if path.is_dir() => {
            PoolError::IsDirectory { path: path.to_path_buf() }
        }
        _ => e.wrap(),
    }
}

/// The ingest engine's view of an open SQLite write transaction.
struct Store<'a> {
    conn: &'a Connection,
}

impl Store<'_> {
    fn compare<T: PartialEq>(
        &self,
        sql: &str,
        key: impl rusqlite::Params,
        record: &T,
        decode: impl Fn(&SqlRow<'_>) -> Result<T, PoolError>,
    ) -> Result<Put, PoolError> {
        let mut stmt = self.conn.prepare_cached(sql).db()?;
        let mut rows = stmt.query(key).db()?;
        match rows.next().db()? {
            Some(row) if decode(row)? == *record => Ok(Put::Unchanged),
            _ => Ok(Put::Conflict),
        }
    }
}

impl IngestStore for Store<'_> {
    fn firm_exists(&mut self, id: &FirmId) -> Result<bool, PoolError> {
        self.conn
            .prepare_cached("SELECT 1 FROM firms WHERE id = ?1")
            .db()?
            .exists([id.as_str()])
            .db()
    }

    fn put(&mut self, record: &Record) -> Result<Put, PoolError> {
        let table = Table::of(record.kind());
        let cells = record_cells(record)
            .map_err(|e| corrupt(table.entity, &natural_key(record).1, e.to_string()))?;
        let n = self
            .conn
            .prepare_cached(insert_sql(table))
            .db()?
            .execute(rusqlite::params_from_iter(cells.iter().map(SqliteCell)))
            .db()?;
        if n == 1 {
            return Ok(Put::Inserted);
        }
        match record {
            Record::Firm(f) => self.compare(
                &format!("SELECT {FIRM_COLUMNS} FROM firms WHERE id = ?1"),
                [f.id.as_str()],
                f,
                |r| decode(r),
            ),
            Record::Statement(s) => self.compare(
                &format!(
                    "SELECT {STATEMENT_COLUMNS} FROM statements \
                     WHERE firm_id = ?1 AND period_end = ?2 AND available_at = ?3"
                ),
                params![s.firm_id.as_str(), date_key(s.period_end), date_key(s.available_at)],
                s,
                |r| decode(r),
            ),
            Record::Application(a) => self.compare(
                &format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?1"),
                [a.id.as_str()],
                a,
                |r| decode(r),
            ),
            Record::Exposure(e) => self.compare(
                &format!("SELECT {EXPOSURE_COLUMNS} FROM exposures WHERE loan_id = ?1"),
                [e.loan_id.as_str()],
                e,
                |r| decode(r),
            ),
            // The whole event is its key: a conflict is an identical event.
            Record::CreditEvent(_) => Ok(Put::Unchanged),
            Record::Price(p) => {
                let stored: f64 = self
                    .conn
                    .prepare_cached("SELECT price FROM prices WHERE instrument = ?1 AND date = ?2")
                    .db()?
                    .query_row(params![p.instrument.as_str(), date_key(p.date)], |r| r.get(0))
                    .db()?;
                Ok(if stored.to_bits() == p.price.to_bits() {
                    Put::Unchanged
                } else {
                    Put::Conflict
                })
            }
        }
    }
}

/// A cell as an SQLite value: dates as day numbers, counts and flags as integers.
struct SqliteCell<'a>(&'a Cell);

impl rusqlite::ToSql for SqliteCell<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self.0 {
            Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Date(d) => ToSqlOutput::Owned(Value::Integer(date_key(*d))),
            Cell::Float(x) => ToSqlOutput::Owned(Value::Real(*x)),
            Cell::Count(n) => ToSqlOutput::Owned(Value::Integer(i64::from(*n))),
            Cell::Flag(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            _ => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// The insert of one row of a table (`?1, ?2, …`), built once per table.
fn insert_sql(table: &'static Table) -> &'static str {
    static INSERTS: std::sync::LazyLock<Vec<(&'static str, String)>> =
        std::sync::LazyLock::new(|| {
            EntityKind::ALL
                .iter()
                .map(|&kind| {
                    let t = Table::of(kind);
                    let slots: Vec<String> =
                        (1..=t.columns.len()).map(|i| format!("?{i}")).collect();
                    let sql = format!(
                        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
                        t.table,
                        Columns(t),
                        slots.join(", ")
                    );
                    (t.table, sql)
                })
                .collect()
        });
    INSERTS.iter().find(|(name, _)| *name == table.table).map_or("", |(_, sql)| sql.as_str())
}

fn collect<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&SqlRow<'_>) -> Result<T, PoolError>,
) -> Result<Vec<T>, PoolError> {
    let mut stmt = conn.prepare_cached(sql).db()?;
    let mut rows = stmt.query(params).db()?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().db()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

impl Sealed for SqliteStore {}

impl ReadStore for SqliteStore {
    fn policy(&self) -> Arc<Policy> {
        self.pol()
    }

    fn append_audit(&self, event: &AuditEvent) -> Result<(), PoolError> {
        append_now(&mut *self.lock()?, event)
    }

    fn firms(&self, filter: &FirmFilter) -> Result<Vec<Firm>, PoolError> {
        // Region is pushed down to SQL; the guard applies `FirmFilter::matches`.
        self.snapshot(|c| match &filter.region {
            Some(region) => collect(
                c,
                &format!("SELECT {FIRM_COLUMNS} FROM firms WHERE region = ?1 ORDER BY id"),
                [region.as_str()],
                |r| decode(r),
            ),
            None => collect(c, &format!("SELECT {FIRM_COLUMNS} FROM firms ORDER BY id"), [], |r| {
                decode(r)
            }),
        })
    }

    fn firm(&self, id: &FirmId) -> Result<Option<Firm>, PoolError> {
        self.snapshot(|c| {
            let mut v = collect(
                c,
                &format!("SELECT {FIRM_COLUMNS} FROM firms WHERE id = ?1"),
                [id.as_str()],
                |r| decode(r),
            )?;
            Ok(v.pop())
        })
    }

    fn statements_as_of(
        &self,
        as_of: NaiveDate,
        query: &StatementQuery,
    ) -> Result<Vec<FinancialStatement>, PoolError> {
        self.snapshot(|c| {
            let day = date_key(as_of);
            let latest_only = query.latest_period_only;
            let rows = match &query.firms {
                Some(firms) => {
                    let mut sorted: Vec<&FirmId> = firms.iter().collect();
                    sorted.sort();
                    sorted.dedup();
                    let mut all = Vec::new();
                    for f in sorted {
                        all.extend(known_versions(
                            c,
                            &format!(
                                "SELECT {STATEMENT_COLUMNS} FROM statements WHERE firm_id = ?1 \
                                 AND available_at <= ?2 ORDER BY firm_id DESC, period_end DESC, available_at DESC"
                            ),
                            params![f.as_str(), day],
                            latest_only,
                        )?);
                    }
                    all
                }
                None => known_versions(
                    c,
                    &format!(
                        "SELECT {STATEMENT_COLUMNS} FROM statements WHERE available_at <= ?1 \
                         ORDER BY firm_id DESC, period_end DESC, available_at DESC"
                    ),
                    [day],
                    latest_only,
                )?,
            };
            // `select_as_of` makes the same choice again (a no-op here), keeping one definition
            // of point in time for every backend.
            Ok(select_as_of(rows, as_of, query))
        })
    }

    fn statement_versions(&self, firm: &FirmId) -> Result<Vec<FinancialStatement>, PoolError> {
        self.snapshot(|c| {
            collect(
                c,
                &format!(
                    "SELECT {STATEMENT_COLUMNS} FROM statements WHERE firm_id = ?1 \
                     ORDER BY firm_id, period_end, available_at"
                ),
                [firm.as_str()],
                |r| decode(r),
            )
        })
    }

    fn applications(&self, filter: &ApplicationFilter) -> Result<Vec<LoanApplication>, PoolError> {
        let all = self.snapshot(|c| {
            collect(
                c,
                &format!("SELECT {APPLICATION_COLUMNS} FROM applications ORDER BY id"),
                [],
                |r| decode(r),
            )
        })?;
        Ok(all.into_iter().filter(|a| filter.matches(a)).collect())
    }

    fn application(&self, id: &ApplicationId) -> Result<Option<LoanApplication>, PoolError> {
        self.snapshot(|c| {
            let mut v = collect(
                c,
                &format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ?1"),
                [id.as_str()],
                |r| decode(r),
            )?;
            Ok(v.pop())
        })
    }

    fn exposures(&self) -> Result<Vec<Exposure>, PoolError> {
        self.snapshot(|c| {
            collect(
                c,
                &format!("SELECT {EXPOSURE_COLUMNS} FROM exposures ORDER BY loan_id"),
                [],
                |r| decode(r),
            )
        })
    }

    fn portfolio(&self) -> Result<Portfolio, PoolError> {
        self.snapshot(|c| {
            let mut cols = PortfolioColumns::default();
            let mut stmt =
                c.prepare_cached(&format!("{PORTFOLIO_SELECT} ORDER BY loan_id")).db()?;
            let mut rows = stmt.query([]).db()?;
            while let Some(r) = rows.next().db()? {
                portfolio_row(&mut cols, r)?;
            }
            // Portfolio::new re-validates every column, so edited files cannot smuggle in bad values.
            Ok(Portfolio::new(cols)?)
        })
    }

    fn credit_events(&self, firm: Option<&FirmId>) -> Result<Vec<CreditEvent>, PoolError> {
        self.snapshot(|c| match firm {
            Some(f) => collect(
                c,
                "SELECT firm_id, date, kind FROM credit_events WHERE firm_id = ?1 ORDER BY firm_id, date, kind",
                [f.as_str()],
                |r| decode(r),
            ),
            None => collect(
                c,
                "SELECT firm_id, date, kind FROM credit_events ORDER BY firm_id, date, kind",
                [],
                |r| decode(r),
            ),
        })
    }

    fn instruments(&self) -> Result<Vec<InstrumentId>, PoolError> {
        self.snapshot(|c| {
            collect(c, "SELECT DISTINCT instrument FROM prices ORDER BY instrument", [], |r| {
                instrument_from_row(r)
            })
        })
    }

    fn price_series(&self, instrument: &InstrumentId) -> Result<PriceSeries, PoolError> {
        self.snapshot(|c| {
            let obs = collect(
                c,
                "SELECT date, price FROM prices WHERE instrument = ?1 ORDER BY date",
                [instrument.as_str()],
                |r| Ok((r.get::<_, i64>(0).db()?, r.get::<_, f64>(1).db()?)),
            )?;
            price_series(instrument, obs)
        })
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>, PoolError> {
        self.snapshot(read_audit)
    }

    fn audit_head(&self) -> Result<AuditHead, PoolError> {
        self.snapshot(read_head)
    }

    fn verify_audit(&self) -> Result<AuditStatus, PoolError> {
        self.snapshot(|c| {
            let mut status = verify_chain(&read_audit(c)?, &read_head(c)?);
            status.problems.extend(check_triggers(c)?);
            Ok(status)
        })
    }
}

/// Walks versions newest first (a backward scan of the primary key, no sort) and decodes only
/// the first row of each firm (or firm and period): the version known on the date. Returns them
/// in ascending key order.
pub(crate) fn known_versions(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    latest_period_only: bool,
) -> Result<Vec<FinancialStatement>, PoolError> {
    let mut stmt = conn.prepare_cached(sql).db()?;
    let mut rows = stmt.query(params).db()?;
    let mut out = Vec::new();
    let mut last: Option<(String, i64)> = None;
    while let Some(row) = rows.next().db()? {
        let firm = row.get_ref(0).db()?.as_str().map_err(rusqlite::Error::from).db()?;
        let period: i64 = row.get(1).db()?;
        let same =
            last.as_ref().is_some_and(|(f, p)| f == firm && (latest_period_only || *p == period));
        if !same {
            last = Some((firm.to_owned(), period));
            out.push(decode(row)?);
        }
    }
    out.reverse();
    Ok(out)
}

fn read_audit(c: &Connection) -> Result<Vec<AuditEntry>, PoolError> {
    collect(c, AUDIT_SELECT, [], |r| audit_from_row(r))
}

impl WriteStore for SqliteStore {
    fn write_rows(
        &self,
        rows: RowSource<'_>,
        commit: &Commit<'_>,
    ) -> Result<(IngestReport, AuditHead), PoolError> {
        let mut conn = self.lock()?;
        // IMMEDIATE takes the write lock up front, so the referential and key checks and the
        // inserts see one state. Dropping `tx` on any error rolls everything back. Each chunk
        // is written as it comes; SQLite spills the transaction's pages beyond its page cache
        // to the WAL, so memory stays bounded however long the input.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).db()?;
        let report = apply_rows(&mut Store { conn: &tx }, rows)?;
        let event = match commit(&report) {
            Ok(event) => event,
            Err(refused) => {
                tx.rollback().db()?;
                return Err(refused);
            }
        };
        append_in(&tx, &event)?;
        let head = read_head(&tx)?;
        tx.commit().db()?;
        Ok((report, head))
    }
}
