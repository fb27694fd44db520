//! The PostgreSQL backend (feature `postgres`): a pool shared by many users and services.
//!
//! [`PostgresPool`] is the one guard of every backend ([`Guarded`], which implements
//! [`crate::PoolRead`] and [`crate::PoolWrite`]: policy checks, masking, audit) around a
//! [`PostgresStore`]; the store shares the ingest engine [`crate::apply_batch`], the
//! [`crate::migrations`] and the hash-chained audit trail of [`crate::audit`] with
//! [`crate::SqlitePool`], and passes the same [`crate::conformance`] suite.
//!
//! # Connecting
//!
//! - A URL or key-value string (`postgresql://user@host:5432/db`, `host=... dbname=...`) given
//!   to [`PostgresPool::connect`], or the environment variable [`PG_URL_ENV`]
//!   (`FINKIT_PG_URL`) read by [`PostgresPool::from_env`].
//! - TLS: the convenience constructors connect **without TLS** (`NoTls`; fine on loopback or a
//!   private network, and `sslmode=require` then fails to connect rather than silently
//!   downgrading). For TLS, build a [`postgres::Config`] and pass a TLS connector from
//!   `postgres-native-tls` or `postgres-openssl` to [`PostgresPool::connect_config`]; this
//!   crate does not depend on a TLS stack itself.
//! - Credentials never appear in logs or errors: [`PostgresPool`]'s `Debug` shows the user,
//!   hosts, ports, database and schema only, and configuration errors never echo the URL.
//!
//! # Layout
//!
//! Each pool lives in one PostgreSQL *schema* (namespace), [`PostgresOptions::schema`]
//! (default `finkit`), so several pools (or test runs) share one database. Connecting never
//! creates or migrates anything unless asked, as with SQLite: the schema and its tables are
//! created only with [`PostgresOptions::create`] (otherwise a missing pool is
//! [`PoolError::PostgresNoPool`]), and an older pool is migrated only with
//! [`PostgresOptions::upgrade`] (otherwise [`PoolError::PostgresNeedsUpgrade`], with nothing
//! changed). The schema version is kept in the one-row table `finkit_schema_version`;
//! creation and migrations run inside one transaction under an advisory lock (so concurrent
//! first connections do not race), and a schema from a newer finkit-pool is refused with
//! [`PoolError::FutureSchema`]. The schema name is the only identifier written into SQL
//! text; it must match `[a-z_][a-z0-9_]{0,62}` (and not start with `pg_`), every value is a bound
//! parameter.
//!
//! # Concurrency
//!
//! One connection per `PostgresPool`, behind a mutex; open one pool per thread for parallel
//! work. Reads run in a `REPEATABLE READ READ ONLY` transaction (one consistent snapshot per
//! call). Ingests take a transaction-scoped advisory lock of the schema, so writers commit one
//! after another (like SQLite's single writer) while readers go on; the referential and
//! natural-key checks therefore see exactly the committed state. Audit appends lock the chain
//! head row (`SELECT ... FOR UPDATE`), so concurrent appends never fork the chain.
//!
//! # Bulk ingest
//!
//! An ingest streams its rows in chunks ([`crate::RowSource::chunk_rows`]) inside one
//! transaction. For each chunk the stored rows that share a natural key with it (including
//! rows of earlier chunks of the same ingest) are fetched in a few array queries
//! (`= ANY($1)` / `unnest` joins), the shared engine decides row by row in memory, and the
//! chunk's new rows are written with multi-row `INSERT ... SELECT * FROM unnest($1::text[], ...)`
//! statements of at most [`PostgresOptions::batch_rows`] rows each (one round trip per
//! statement) before the next chunk is read.

use crate::error::{Backend as _, BackendKind as _};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;
use finkit_schema::{
    ApplicationId, CreditEvent, Exposure, FinancialStatement, Firm, FirmId, InstrumentId,
    LoanApplication, Portfolio, PortfolioColumns, PriceSeries,
};
use postgres::error::SqlState;
use postgres::tls::{MakeTlsConnect, TlsConnect};
use postgres::types::ToSql;
use postgres::{Client, Config, IsolationLevel, NoTls, Row as PgRow, Socket, Transaction};
use sha2::{Digest, Sha256};

use crate::PoolError;
use crate::audit::{AuditEntry, AuditEvent, AuditHead, AuditProblem, AuditStatus, verify_chain};
use crate::backend::{allowed, select_as_of};
use crate::guard::{Commit, Guarded, ReadStore, Sealed, WriteStore};
use crate::ingest::natural_key;
use crate::ingest::{IngestReport, IngestStore, Put, Row, RowSource, apply_rows};
use crate::migrations::{Dialect, MIGRATIONS, SCHEMA_VERSION, audit_triggers};
use crate::record::EntityKind;
use crate::record::Record;
use crate::security::{Permission, Policy, Principal, Role};
use crate::sql::{
    APPLICATION_COLUMNS, AUDIT_SELECT, Columns, EXPOSURE_COLUMNS, FIRM_COLUMNS, PORTFOLIO_SELECT,
    STATEMENT_COLUMNS, audit_from_row, corrupt, date_key, decode, instrument_from_row,
    portfolio_row, price_series,
};
use crate::table::{Cell, ColumnType, Table, record_cells, spelled_name};
use crate::traits::{ApplicationFilter, FirmFilter, StatementQuery};

/// The environment variable [`PostgresPool::from_env`] reads the connection URL from.
pub const PG_URL_ENV: &str = "FINKIT_PG_URL";

/// The environment variable that makes the PostgreSQL tests mandatory: when it is set (to
/// anything but `0` or the empty string), a test that finds no [`PG_URL_ENV`] or no server
/// fails instead of skipping. `.ci/postgres.sh`'s `pg_start` exports it.
pub const PG_REQUIRED_ENV: &str = "FINKIT_PG_REQUIRED";

/// How to open a [`PostgresPool`] (everything but the connection settings).
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresOptions {
    /// The PostgreSQL schema (namespace) holding the pool's tables (default `finkit`);
    /// `[a-z_][a-z0-9_]{0,62}`, not starting with `pg_`.
    pub schema: String,
    /// Create the pool (the schema, its tables, the initial policy) when the schema holds none
    /// (default `false`: a missing pool is [`PoolError::PostgresNoPool`] and nothing is
    /// created).
    pub create: bool,
    /// Apply pending migrations to a pool with an older schema version (default `false`: such
    /// a pool is [`PoolError::PostgresNeedsUpgrade`] and nothing is changed).
    pub upgrade: bool,
    /// The access policy of a pool created by this connection (default [`Policy::default`]);
    /// an existing pool keeps the policy stored in it (table `pool_policy`).
    pub policy: Policy,
    /// The most rows per multi-row `INSERT` during ingest (default 20,000; at least 1). An
    /// ingest writes each chunk of its [`crate::RowSource`] before reading the next, so a
    /// statement holds at most `min(batch_rows, chunk_rows)` rows.
    pub batch_rows: usize,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            schema: "finkit".into(),
            create: false,
            upgrade: false,
            policy: Policy::default(),
            batch_rows: 20_000,
        }
    }
}

impl PostgresOptions {
    /// The default options with another schema.
    #[must_use]
    pub fn with_schema(schema: impl Into<String>) -> Self {
        PostgresOptions { schema: schema.into(), ..PostgresOptions::default() }
    }

    /// These options, creating the pool when the schema holds none
    /// ([`PostgresOptions::create`]).
    #[must_use]
    pub fn creating(mut self) -> Self {
        self.create = true;
        self
    }

    /// These options, migrating an older pool ([`PostgresOptions::upgrade`]).
    #[must_use]
    pub fn upgrading(mut self) -> Self {
        self.upgrade = true;
        self
    }
}

/// The PostgreSQL backend: the one guard of every backend ([`Guarded`]) around a
/// [`PostgresStore`]; see the [module docs](self).
pub type PostgresPool = Guarded<PostgresStore>;

/// The PostgreSQL store behind [`PostgresPool`]: one connection and the pool's schema.
/// Storage only; see [`crate::guard`].
pub struct PostgresStore {
    client: Mutex<Client>,
    policy: Arc<Policy>,
    schema: String,
    endpoint: String,
    batch_rows: usize,
    ingest_lock: i64,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password: only where the pool lives.
        f.debug_struct("PostgresPool")
            .field("endpoint", &self.endpoint)
            .field("schema", &self.schema)
            .field("policy", &self.policy)
            .field("batch_rows", &self.batch_rows)
            .finish_non_exhaustive()
    }
}

fn config_error(message: impl Into<String>) -> PoolError {
    PoolError::PostgresConfig(message.into())
}

fn valid_schema(name: &str) -> Result<(), PoolError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && name.len() <= 63 && !name.starts_with("pg_") {
        Ok(())
    } else {
        Err(config_error(format!(
            "invalid schema name {name:?}: use 1 to 63 of [a-z0-9_], starting with a letter or _, not pg_"
        )))
    }
}

/// `user@host:port/dbname` without the password.
fn describe_endpoint(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    format!(
        "{}@{}:{}/{}",
        config.get_user().unwrap_or("?"),
        hosts.join(","),
        ports.join(","),
        config.get_dbname().unwrap_or("?")
    )
}

/// A stable 64-bit advisory-lock key for a purpose and a schema.
fn lock_key(purpose: &str, schema: &str) -> i64 {
    let digest = Sha256::digest(format!("finkit-pool {purpose} {schema}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn collect<T>(
    tx: &mut Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    decode: fn(&PgRow) -> Result<T, PoolError>,
) -> Result<Vec<T>, PoolError> {
    tx.query(sql, params).db()?.iter().map(decode).collect()
}

fn head_from_row(row: &PgRow) -> Result<AuditHead, PoolError> {
    let count: i64 = row.try_get(0).db()?;
    let count = u64::try_from(count).map_err(|_| corrupt("audit head", "1", "negative count"))?;
    Ok(AuditHead { count, hash: row.try_get(1).db()? })
}

fn read_head(tx: &mut Transaction<'_>) -> Result<AuditHead, PoolError> {
    let row = tx
        .query_opt("SELECT count, hash FROM audit_head WHERE id = 1", &[])
        .db()?
        .ok_or_else(|| corrupt("audit head", "1", "missing"))?;
    head_from_row(&row)
}

fn read_audit(tx: &mut Transaction<'_>) -> Result<Vec<AuditEntry>, PoolError> {
    collect(tx, AUDIT_SELECT, &[], audit_from_row)
}

/// Appends one audit entry inside the caller's transaction; the head row stays locked until
/// the transaction ends, so concurrent appends queue instead of forking the chain.
fn append_in(tx: &mut Transaction<'_>, event: &AuditEvent) -> Result<(), PoolError> {
    let row = tx
        .query_opt("SELECT count, hash FROM audit_head WHERE id = 1 FOR UPDATE", &[])
        .db()?
        .ok_or_else(|| corrupt("audit head", "1", "missing"))?;
    let head = head_from_row(&row)?;
    let e = AuditEntry::next(&head, event);
    let seq = i64::try_from(e.seq).map_err(|_| corrupt("audit head", "1", "count overflow"))?;
    tx.execute(
        "INSERT INTO audit_log (seq, at, principal, role, action, entity, detail, outcome, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[&seq, &e.at, &e.principal, &e.role, &e.action, &e.entity, &e.detail, &e.outcome, &e.prev_hash, &e.hash],
    )
    .map_err(|err| {
        if err.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            PoolError::AuditConflict { seq: e.seq }
        } else {
            err.wrap()
        }
    })?;
    tx.execute("UPDATE audit_head SET count = $1, hash = $2 WHERE id = 1", &[&seq, &e.hash])
        .db()?;
    Ok(())
}

/// Appends one audit entry in its own transaction.
fn append_now(client: &mut Client, event: &AuditEvent) -> Result<(), PoolError> {
    let mut tx = client.transaction().db()?;
    append_in(&mut tx, event)?;
    tx.commit().db()?;
    Ok(())
}

/// The pool's group role for a finkit role: `<schema>_<role>`.
fn group_role(schema: &str, role: Role) -> String {
    format!("{schema}_{}", role.as_str())
}

/// The tables and views a role may `SELECT` from directly under a policy.
fn readable_tables(policy: &Policy, role: Role) -> Vec<&'static str> {
    let sees = policy.allows(role, Permission::ViewSensitive);
    let mut out = Vec::new();
    for (permission, tables) in [
        (Permission::ReadFirms, if sees { &["firms"][..] } else { &["firms_masked"][..] }),
        (Permission::ReadStatements, &["statements"][..]),
        (
            Permission::ReadApplications,
            if sees { &["applications"][..] } else { &["applications_masked"][..] },
        ),
        (Permission::ReadExposures, &["exposures"][..]),
        (Permission::ReadCreditEvents, &["credit_events"][..]),
        (Permission::ReadPrices, &["prices"][..]),
        (Permission::ReadAudit, &["audit_log", "audit_head"][..]),
    ] {
        if policy.allows(role, permission) {
            out.extend_from_slice(tables);
        }
    }
    out
}

/// The append-only trigger of the audit log, enabled and calling the function that refuses.
fn check_triggers(tx: &mut Transaction<'_>) -> Result<Vec<AuditProblem>, PoolError> {
    let rows = tx
        .query(
            "SELECT t.tgname::text, t.tgenabled::text, p.prosrc \
         FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid \
         WHERE t.tgrelid = 'audit_log'::regclass AND NOT t.tgisinternal",
            &[],
        )
        .db()?;
    let mut problems = Vec::new();
    let mut found = false;
    for r in &rows {
        let name: String = r.try_get(0).db()?;
        let enabled: String = r.try_get(1).db()?;
        let body: String = r.try_get(2).db()?;
        if audit_triggers(Dialect::Postgres).iter().any(|(n, _)| *n == name) {
            found = true;
            if enabled == "D" || !body.contains("append-only") {
                problems.push(AuditProblem {
                    seq: 0,
                    problem: format!("append-only trigger {name} was disabled or replaced"),
                });
            }
        } else {
            problems.push(AuditProblem {
                seq: 0,
                problem: format!("unexpected trigger {name} on audit_log"),
            });
        }
    }
    if !found {
        problems.push(AuditProblem {
            seq: 0,
            problem: "append-only trigger audit_log_append_only is missing (dropped): entries \
                      could have been edited or deleted without a trace in the chain"
                .into(),
        });
    }
    Ok(problems)
}

impl PostgresPool {
    /// Connects without TLS to `url` (a `postgresql://` URL or a key-value string) and opens
    /// the pool in `options.schema`, creating it only with [`PostgresOptions::create`] and
    /// migrating it only with [`PostgresOptions::upgrade`].
    ///
    /// ```no_run
    /// use finkit_pool::{PostgresOptions, PostgresPool};
    ///
    /// let url = "postgresql://finkit@127.0.0.1/finkit";
    /// // Once, by the operator: create the pool (or migrate it after an upgrade of finkit).
    /// PostgresPool::connect(url, &PostgresOptions::with_schema("lending").creating().upgrading())?;
    /// // Every other connection: never creates or migrates anything.
    /// let pool = PostgresPool::connect(url, &PostgresOptions::with_schema("lending"))?;
    /// assert_eq!(pool.schema(), "lending");
    /// # Ok::<(), finkit_pool::PoolError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`PoolError::PostgresConfig`] for an unparsable URL or a bad schema name;
    /// [`PoolError::Postgres`] when the server cannot be reached or refuses;
    /// [`PoolError::PostgresNoPool`] when the schema holds no pool and `create` is off;
    /// [`PoolError::PostgresNeedsUpgrade`] when the pool is older and `upgrade` is off;
    /// [`PoolError::FutureSchema`] when the schema was written by a newer finkit-pool.
    pub fn connect(url: &str, options: &PostgresOptions) -> Result<Self, PoolError> {
        // The parser's message names the bad option, never the URL (which may hold a password).
        let config = Config::from_str(url)
            .map_err(|e| config_error(format!("invalid connection string: {e}")))?;
        Self::connect_config(&config, NoTls, options)
    }

    /// Connects without TLS to the URL in the environment variable [`PG_URL_ENV`].
    ///
    /// # Errors
    ///
    /// [`PoolError::PostgresConfig`] when the variable is not set (or not unicode); otherwise as
    /// [`PostgresPool::connect`].
    pub fn from_env(options: &PostgresOptions) -> Result<Self, PoolError> {
        let url = std::env::var(PG_URL_ENV)
            .map_err(|_| config_error(format!("environment variable {PG_URL_ENV} is not set")))?;
        Self::connect(&url, options)
    }

    /// Connects with a parsed configuration and any TLS connector (`NoTls`, or one from
    /// `postgres-native-tls` / `postgres-openssl`).
    ///
    /// # Errors
    ///
    /// As [`PostgresPool::connect`].
    pub fn connect_config<T>(
        config: &Config,
        tls: T,
        options: &PostgresOptions,
    ) -> Result<Self, PoolError>
    where
        T: MakeTlsConnect<Socket> + 'static + Send,
        T::TlsConnect: Send,
        T::Stream: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        valid_schema(&options.schema)?;
        if options.batch_rows == 0 {
            return Err(config_error("batch_rows must be at least 1, got 0"));
        }
        let mut client = config.connect(tls).db()?;
        let policy = migrate(&mut client, options)?;
        Ok(Guarded::wrap(PostgresStore {
            client: Mutex::new(client),
            policy: Arc::new(policy),
            schema: options.schema.clone(),
            endpoint: describe_endpoint(config),
            batch_rows: options.batch_rows,
            ingest_lock: lock_key("ingest", &options.schema),
        }))
    }

    /// The pool's policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.store.policy
    }

    /// The PostgreSQL schema holding the pool.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.store.schema
    }

    /// The schema version recorded in `finkit_schema_version`.
    ///
    /// # Errors
    ///
    /// [`PoolError::Postgres`].
    pub fn schema_version(&self) -> Result<i64, PoolError> {
        let mut client = self.store.lock()?;
        client
            .query_one("SELECT version FROM finkit_schema_version WHERE id = 1", &[])
            .db()?
            .try_get(0)
            .db()
    }

    /// Drops the pool's schema with every table and the audit trail (`DROP SCHEMA ... CASCADE`),
    /// for throwaway pools in tests and benchmarks. This is an operator action on the
    /// connection, outside the policy, and it leaves no audit entry (the trail is gone too).
    ///
    /// # Errors
    ///
    /// [`PoolError::Postgres`].
    pub fn drop_pool(self) -> Result<(), PoolError> {
        let store = self.store;
        let mut client = store.lock()?;
        // The schema name was validated when the pool was opened.
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", store.schema))
            .db()?;
        // The pool's group roles (`grant_database_access`), which only existed for it.
        for role in Role::ALL {
            let name = group_role(&store.schema, role);
            let exists =
                client.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name]).db()?;
            if exists.is_some() {
                client.batch_execute(&format!("DROP ROLE \"{name}\"")).db()?;
            }
        }
        Ok(())
    }

    /// Lets the PostgreSQL login `login` read the pool directly, with the database enforcing
    /// what `role` may see under the pool's policy, so that a client holding that login cannot
    /// read around the masks.
    ///
    /// The pool's group role `<schema>_<role>` (created `NOLOGIN` when missing) gets `USAGE`
    /// on the schema and `SELECT` on exactly the tables the role may read: `firms_masked` and
    /// `applications_masked` (views with the masks applied) instead of `firms` and
    /// `applications` unless the role has [`Permission::ViewSensitive`], `audit_log` and
    /// `audit_head` only with [`Permission::ReadAudit`]; every other grant of the group role in
    /// the schema is revoked first. No write is granted: writes go through the pool, which
    /// checks and audits them. `login` is then made a member of the group role. Needs
    /// [`Permission::Administer`] and, on the server, a connection with `CREATEROLE` (or a
    /// superuser); audited.
    ///
    /// # Errors
    ///
    /// Access denied, [`PoolError::PostgresConfig`] for an unusable login or role name, or
    /// [`PoolError::Postgres`] (for example without `CREATEROLE`).
    pub fn grant_database_access(
        &self,
        who: &Principal,
        login: &str,
        role: Role,
    ) -> Result<(), PoolError> {
        valid_schema(login).map_err(|_| {
            config_error(format!("invalid login name {login:?}: use [a-z_][a-z0-9_]{{0,62}}"))
        })?;
        let group = group_role(&self.store.schema, role);
        if group.len() > 63 {
            return Err(config_error(format!(
                "schema name too long for the group role {group:?} (at most 63 bytes)"
            )));
        }
        let policy = self.check(who, Permission::Administer, "administer", "database_roles")?;
        let mut client = self.store.lock()?;
        let schema = &self.store.schema;
        let tables = readable_tables(&policy, role);
        let mut tx = client.transaction().db()?;
        if tx.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&group]).db()?.is_none() {
            tx.batch_execute(&format!("CREATE ROLE \"{group}\" NOLOGIN")).db()?;
        }
        // Identifiers cannot be parameters: `schema`, `group` and `login` were validated above
        // and the table names are constants.
        let mut sql = format!(
            "REVOKE ALL ON ALL TABLES IN SCHEMA \"{schema}\" FROM \"{group}\";
             GRANT USAGE ON SCHEMA \"{schema}\" TO \"{group}\";"
        );
        for table in &tables {
            sql.push_str(&format!("GRANT SELECT ON \"{schema}\".{table} TO \"{group}\";"));
        }
        sql.push_str(&format!("GRANT \"{group}\" TO \"{login}\";"));
        tx.batch_execute(&sql).db()?;
        let detail = format!("login {login} -> {group}: select on {}", tables.join(", "));
        append_in(&mut tx, &allowed(who, "administer", "database_roles", detail))?;
        tx.commit().db()?;
        Ok(())
    }
}

impl PostgresStore {
    fn lock(&self) -> Result<MutexGuard<'_, Client>, PoolError> {
        self.client.lock().map_err(|_| PoolError::Poisoned)
    }

    /// Runs `f` in one `REPEATABLE READ READ ONLY` transaction (one snapshot).
    fn snapshot<R>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R, PoolError>,
    ) -> Result<R, PoolError> {
        let mut client = self.lock()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .db()?;
        let out = f(&mut tx)?;
        tx.commit().db()?;
        Ok(out)
    }
}

/// Creates the schema when missing and applies every migration newer than its version, in one
/// transaction under an advisory lock.
/// Opens the pool in `options.schema`: checks its version, and creates or migrates it only
/// when `options` ask for it (all in one transaction under an advisory lock). Nothing is
/// written when the pool is current, or when it is missing or older and not asked for.
fn migrate(client: &mut Client, options: &PostgresOptions) -> Result<Policy, PoolError> {
    let schema = options.schema.as_str();
    // Identifiers cannot be bound parameters; `schema` was validated by `valid_schema`.
    client.batch_execute(&format!("SET search_path TO \"{schema}\"")).db()?;
    let mut tx = client.transaction().db()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key("migrate", schema)]).db()?;
    let has_version_table: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables \
             WHERE schemaname = $1 AND tablename = 'finkit_schema_version')",
            &[&schema],
        )
        .db()?
        .try_get(0)
        .db()?;
    let stored_version: Option<i64> = if has_version_table {
        tx.query_opt("SELECT version FROM finkit_schema_version WHERE id = 1", &[])
            .db()?
            .map(|r| r.try_get(0))
            .transpose()
            .db()?
    } else {
        None
    };
    let found = match stored_version {
        None if !options.create => {
            return Err(PoolError::PostgresNoPool { schema: schema.to_owned() });
        }
        None => 0,
        Some(found) if found > SCHEMA_VERSION => {
            return Err(PoolError::FutureSchema { found, supported: SCHEMA_VERSION });
        }
        Some(found) if found < SCHEMA_VERSION && !options.upgrade => {
            return Err(PoolError::PostgresNeedsUpgrade {
                schema: schema.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(found) => found,
    };
    // Only a pool created or upgraded on request gets here with an older version.
    if found < SCHEMA_VERSION {
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
             CREATE TABLE IF NOT EXISTS finkit_schema_version (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 version BIGINT NOT NULL
             );"
        ))
        .db()?;
        let initial_policy = &options.policy;
        for m in MIGRATIONS.iter().filter(|m| m.version > found) {
            tx.batch_execute(&m.sql(Dialect::Postgres)).db()?;
        }
        tx.execute(
            "INSERT INTO finkit_schema_version (id, version) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version",
            &[&SCHEMA_VERSION],
        )
        .db()?;
        let json =
            serde_json::to_string(initial_policy).map_err(|e| PoolError::Policy(e.to_string()))?;
        tx.execute(
            "INSERT INTO pool_policy (id, policy) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            &[&json],
        )
        .db()?;
    }
    let stored: String =
        tx.query_one("SELECT policy FROM pool_policy WHERE id = 1", &[]).db()?.try_get(0).db()?;
    tx.commit().db()?;
    Policy::from_json_str(&stored).map_err(|e| corrupt("policy", "1", e.to_string()))
}

/// A natural key, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Firm(String),
    Statement(String, i64, i64),
    Application(String),
    Exposure(String),
    Event(String, i64, String),
    Price(String, i64),
}

impl Key {
    fn of(record: &Record) -> Key {
        match record {
            Record::Firm(f) => Key::Firm(f.id.to_string()),
            Record::Statement(s) => Key::Statement(
                s.firm_id.to_string(),
                date_key(s.period_end),
                date_key(s.available_at),
            ),
            Record::Application(a) => Key::Application(a.id.to_string()),
            Record::Exposure(e) => Key::Exposure(e.loan_id.to_string()),
            Record::CreditEvent(e) => {
                Key::Event(e.firm_id.to_string(), date_key(e.date), spelled_name(&e.kind))
            }
            Record::Price(p) => Key::Price(p.instrument.to_string(), date_key(p.date)),
        }
    }
}

/// Whether a stored record equals a new one: prices bit for bit (as the SQLite backend), the
/// rest field by field.
fn same(stored: &Record, new: &Record) -> bool {
    match (stored, new) {
        (Record::Price(a), Record::Price(b)) => {
            a.instrument == b.instrument
                && a.date == b.date
                && a.price.to_bits() == b.price.to_bits()
        }
        (a, b) => a == b,
    }
}

/// Rows per key-lookup query during ingest.
const LOOKUP_CHUNK: usize = 20_000;

/// The ingest engine's view of a PostgreSQL write transaction, for one chunk: what is stored
/// under the chunk's keys is fetched up front, new rows are buffered and written in bulk by
/// [`Store::flush`].
#[derive(Default)]
struct Store {
    firms: HashSet<String>,
    stored: HashMap<Key, Record>,
    pending: Vec<Record>,
    pending_keys: HashMap<Key, usize>,
}

impl Store {
    fn prefetch(tx: &mut Transaction<'_>, rows: &[Row]) -> Result<Store, PoolError> {
        let mut firm_ids: HashSet<&str> = HashSet::new();
        let mut statements = Vec::new();
        let mut applications = Vec::new();
        let mut exposures = Vec::new();
        let mut events = Vec::new();
        let mut prices = Vec::new();
        for row in rows {
            match &row.record {
                Record::Firm(f) => {
                    firm_ids.insert(f.id.as_str());
                }
                Record::Statement(s) => {
                    firm_ids.insert(s.firm_id.as_str());
                    statements.push(s);
                }
                Record::Application(a) => {
                    firm_ids.insert(a.firm_id.as_str());
                    applications.push(a.id.as_str());
                }
                Record::Exposure(e) => {
                    firm_ids.insert(e.firm_id.as_str());
                    exposures.push(e.loan_id.as_str());
                }
                Record::CreditEvent(e) => {
                    firm_ids.insert(e.firm_id.as_str());
                    events.push(e);
                }
                Record::Price(p) => prices.push(p),
            }
        }
        let mut stored = HashMap::new();
        let mut firms = HashSet::new();
        let firm_ids: Vec<&str> = firm_ids.into_iter().collect();
        for chunk in firm_ids.chunks(LOOKUP_CHUNK) {
            let rows = collect(
                tx,
                &format!("SELECT {FIRM_COLUMNS} FROM firms WHERE id = ANY($1)"),
                &[&chunk],
                decode::<Firm, PgRow>,
            )?;
            for f in rows {
                firms.insert(f.id.to_string());
                stored.insert(Key::Firm(f.id.to_string()), Record::Firm(f));
            }
        }
        for chunk in statements.chunks(LOOKUP_CHUNK) {
            let f: Vec<&str> = chunk.iter().map(|s| s.firm_id.as_str()).collect();
            let p: Vec<i64> = chunk.iter().map(|s| date_key(s.period_end)).collect();
            let a: Vec<i64> = chunk.iter().map(|s| date_key(s.available_at)).collect();
            let rows = collect(
                tx,
                &format!(
                    "SELECT {STATEMENT_COLUMNS} FROM statements \
                     WHERE (firm_id, period_end, available_at) IN \
                     (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]))"
                ),
                &[&f, &p, &a],
                decode::<FinancialStatement, PgRow>,
            )?;
            for s in rows {
                stored.insert(Key::of(&Record::Statement(s.clone())), Record::Statement(s));
            }
        }
        for chunk in applications.chunks(LOOKUP_CHUNK) {
            for a in collect(
                tx,
                &format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = ANY($1)"),
                &[&chunk],
                decode::<LoanApplication, PgRow>,
            )? {
                stored.insert(Key::Application(a.id.to_string()), Record::Application(a));
            }
        }
        for chunk in exposures.chunks(LOOKUP_CHUNK) {
            for e in collect(
                tx,
                &format!("SELECT {EXPOSURE_COLUMNS} FROM exposures WHERE loan_id = ANY($1)"),
                &[&chunk],
                decode::<Exposure, PgRow>,
            )? {
                stored.insert(Key::Exposure(e.loan_id.to_string()), Record::Exposure(e));
            }
        }
        for chunk in events.chunks(LOOKUP_CHUNK) {
            let f: Vec<&str> = chunk.iter().map(|e| e.firm_id.as_str()).collect();
            let d: Vec<i64> = chunk.iter().map(|e| date_key(e.date)).collect();
            let k: Vec<String> = chunk.iter().map(|e| spelled_name(&e.kind)).collect();
            for e in collect(
                tx,
                "SELECT firm_id, date, kind FROM credit_events WHERE (firm_id, date, kind) IN \
                 (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]))",
                &[&f, &d, &k],
                decode::<CreditEvent, PgRow>,
            )? {
                let r = Record::CreditEvent(e);
                stored.insert(Key::of(&r), r);
            }
        }
        for chunk in prices.chunks(LOOKUP_CHUNK) {
            let i: Vec<&str> = chunk.iter().map(|p| p.instrument.as_str()).collect();
            let d: Vec<i64> = chunk.iter().map(|p| date_key(p.date)).collect();
            for p in collect(
                tx,
                "SELECT instrument, date, price FROM prices WHERE (instrument, date) IN \
                 (SELECT * FROM unnest($1::text[], $2::bigint[]))",
                &[&i, &d],
                decode::<crate::PriceObservation, PgRow>,
            )? {
                let r = Record::Price(p);
                stored.insert(Key::of(&r), r);
            }
        }
        Ok(Store { firms, stored, pending: Vec::new(), pending_keys: HashMap::new() })
    }

    /// Writes the buffered rows, kind by kind, in multi-row inserts of `chunk` rows.
    fn flush(&self, tx: &mut Transaction<'_>, chunk: usize) -> Result<(), PoolError> {
        for kind in EntityKind::ALL {
            let rows: Vec<&Record> = self.pending.iter().filter(|r| r.kind() == kind).collect();
            for c in rows.chunks(chunk) {
                insert_rows(tx, Table::of(kind), c)?;
            }
        }
        Ok(())
    }
}

/// The streaming ingest's store: a [`Store`] per chunk, prefetched when the chunk begins and
/// flushed when it ends.
struct ChunkStore<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    chunk: Store,
    batch_rows: usize,
}

impl IngestStore for ChunkStore<'_, '_> {
    fn firm_exists(&mut self, id: &FirmId) -> Result<bool, PoolError> {
        self.chunk.firm_exists(id)
    }

    fn put(&mut self, record: &Record) -> Result<Put, PoolError> {
        self.chunk.put(record)
    }

    fn begin_chunk(&mut self, rows: &[Row]) -> Result<(), PoolError> {
        self.chunk = Store::prefetch(self.tx, rows)?;
        Ok(())
    }

    fn end_chunk(&mut self) -> Result<(), PoolError> {
        std::mem::take(&mut self.chunk).flush(self.tx, self.batch_rows)
    }
}

impl IngestStore for Store {
    fn firm_exists(&mut self, id: &FirmId) -> Result<bool, PoolError> {
        Ok(self.firms.contains(id.as_str()))
    }

    fn put(&mut self, record: &Record) -> Result<Put, PoolError> {
        let key = Key::of(record);
        let existing = match self.pending_keys.get(&key) {
            Some(&i) => self.pending.get(i),
            None => self.stored.get(&key),
        };
        if let Some(existing) = existing {
            return Ok(if same(existing, record) { Put::Unchanged } else { Put::Conflict });
        }
        if let Record::Firm(f) = record {
            self.firms.insert(f.id.to_string());
        }
        self.pending_keys.insert(key, self.pending.len());
        self.pending.push(record.clone());
        Ok(Put::Inserted)
    }
}

/// A column of a multi-row insert: one typed array, `unnest`ed into rows.
enum PgArray {
    Text(Vec<Option<String>>),
    Int8(Vec<Option<i64>>),
    Float8(Vec<Option<f64>>),
    Int4(Vec<Option<i32>>),
}

impl PgArray {
    /// The array for a column type: dates as day numbers and counts as `bigint`, flags as `int4`.
    fn of(ty: ColumnType, rows: usize) -> PgArray {
        match ty {
            ColumnType::Date | ColumnType::Count => PgArray::Int8(Vec::with_capacity(rows)),
            ColumnType::Float => PgArray::Float8(Vec::with_capacity(rows)),
            ColumnType::Flag => PgArray::Int4(Vec::with_capacity(rows)),
            _ => PgArray::Text(Vec::with_capacity(rows)),
        }
    }

    fn sql_type(&self) -> &'static str {
        match self {
            PgArray::Text(_) => "text[]",
            PgArray::Int8(_) => "bigint[]",
            PgArray::Float8(_) => "float8[]",
            PgArray::Int4(_) => "int4[]",
        }
    }

    /// Appends a cell; `false` when it does not fit the column.
    fn push(&mut self, cell: Cell) -> bool {
        match (self, cell) {
            (PgArray::Text(v), Cell::Null) => v.push(None),
            (PgArray::Int8(v), Cell::Null) => v.push(None),
            (PgArray::Float8(v), Cell::Null) => v.push(None),
            (PgArray::Int4(v), Cell::Null) => v.push(None),
            (PgArray::Text(v), Cell::Text(s)) => v.push(Some(s)),
            (PgArray::Int8(v), Cell::Date(d)) => v.push(Some(date_key(d))),
            (PgArray::Int8(v), Cell::Count(n)) => v.push(Some(i64::from(n))),
            (PgArray::Float8(v), Cell::Float(x)) => v.push(Some(x)),
            (PgArray::Int4(v), Cell::Flag(b)) => v.push(Some(i32::from(b))),
            _ => return false,
        }
        true
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            PgArray::Text(v) => v,
            PgArray::Int8(v) => v,
            PgArray::Float8(v) => v,
            PgArray::Int4(v) => v,
        }
    }
}

/// One multi-row insert of records of one table, a typed array per column of its descriptor.
fn insert_rows(
    tx: &mut Transaction<'_>,
    table: &'static Table,
    rows: &[&Record],
) -> Result<(), PoolError> {
    let mut arrays: Vec<PgArray> =
        table.columns.iter().map(|c| PgArray::of(c.ty, rows.len())).collect();
    for record in rows {
        let key = || natural_key(record).1;
        let cells =
            record_cells(record).map_err(|e| corrupt(table.entity, &key(), e.to_string()))?;
        for ((array, cell), column) in arrays.iter_mut().zip(cells).zip(table.columns) {
            if !array.push(cell) {
                return Err(corrupt(
                    table.entity,
                    &key(),
                    format!("a value that does not fit column {}", column.name),
                ));
            }
        }
    }
    let casts: Vec<String> =
        arrays.iter().enumerate().map(|(i, a)| format!("${}::{}", i + 1, a.sql_type())).collect();
    let sql = format!(
        "INSERT INTO {} ({}) SELECT * FROM unnest({})",
        table.table,
        Columns(table),
        casts.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = arrays.iter().map(PgArray::param).collect();
    tx.execute(&sql, &params).db()?;
    Ok(())
}

impl Sealed for PostgresStore {}

impl ReadStore for PostgresStore {
    fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.policy)
    }

    fn append_audit(&self, event: &AuditEvent) -> Result<(), PoolError> {
        append_now(&mut *self.lock()?, event)
    }

    fn firms(&self, filter: &FirmFilter) -> Result<Vec<Firm>, PoolError> {
        // Region is pushed down to SQL; the guard applies `FirmFilter::matches`.
        // COLLATE "C" orders by bytes, as Rust's `str` and SQLite do, whatever the locale.
        self.snapshot(|tx| match &filter.region {
            Some(region) => collect(
                tx,
                &format!(
                    "SELECT {FIRM_COLUMNS} FROM firms WHERE region = $1 ORDER BY id COLLATE \"C\""
                ),
                &[region],
                decode::<Firm, PgRow>,
            ),
            None => collect(
                tx,
                &format!("SELECT {FIRM_COLUMNS} FROM firms ORDER BY id COLLATE \"C\""),
                &[],
                decode::<Firm, PgRow>,
            ),
        })
    }

    fn firm(&self, id: &FirmId) -> Result<Option<Firm>, PoolError> {
        self.snapshot(|tx| {
            let mut v = collect(
                tx,
                &format!("SELECT {FIRM_COLUMNS} FROM firms WHERE id = $1"),
                &[&id.as_str()],
                decode::<Firm, PgRow>,
            )?;
            Ok(v.pop())
        })
    }

    fn statements_as_of(
        &self,
        as_of: NaiveDate,
        query: &StatementQuery,
    ) -> Result<Vec<FinancialStatement>, PoolError> {
        let day = date_key(as_of);
        // DISTINCT ON keeps, per firm and period, the latest version known on the day.
        let mut rows = self.snapshot(|tx| match &query.firms {
            Some(firms) => {
                let ids: Vec<&str> = firms.iter().map(FirmId::as_str).collect();
                collect(
                    tx,
                    &format!(
                        "SELECT DISTINCT ON (firm_id, period_end) {STATEMENT_COLUMNS} FROM statements \
                         WHERE available_at <= $1 AND firm_id = ANY($2) \
                         ORDER BY firm_id, period_end, available_at DESC"
                    ),
                    &[&day, &ids],
                    decode::<FinancialStatement, PgRow>,
                )
            }
            None => collect(
                tx,
                &format!(
                    "SELECT DISTINCT ON (firm_id, period_end) {STATEMENT_COLUMNS} FROM statements \
                     WHERE available_at <= $1 ORDER BY firm_id, period_end, available_at DESC"
                ),
                &[&day],
                decode::<FinancialStatement, PgRow>,
            ),
        })?;
        // Byte order of ids, whatever the database's collation.
        rows.sort_by(|a, b| {
            (a.firm_id.as_str(), a.period_end, a.available_at).cmp(&(
                b.firm_id.as_str(),
                b.period_end,
                b.available_at,
            ))
        });
        Ok(select_as_of(rows, as_of, query))
    }

    fn statement_versions(&self, firm: &FirmId) -> Result<Vec<FinancialStatement>, PoolError> {
        self.snapshot(|tx| {
            collect(
                tx,
                &format!(
                    "SELECT {STATEMENT_COLUMNS} FROM statements WHERE firm_id = $1 \
                     ORDER BY period_end, available_at"
                ),
                &[&firm.as_str()],
                decode::<FinancialStatement, PgRow>,
            )
        })
    }

    fn applications(&self, filter: &ApplicationFilter) -> Result<Vec<LoanApplication>, PoolError> {
        let all = self.snapshot(|tx| {
            collect(
                tx,
                &format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications ORDER BY id COLLATE \"C\""
                ),
                &[],
                decode::<LoanApplication, PgRow>,
            )
        })?;
        Ok(all.into_iter().filter(|a| filter.matches(a)).collect())
    }

    fn application(&self, id: &ApplicationId) -> Result<Option<LoanApplication>, PoolError> {
        self.snapshot(|tx| {
            let mut v = collect(
                tx,
                &format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1"),
                &[&id.as_str()],
                decode::<LoanApplication, PgRow>,
            )?;
            Ok(v.pop())
        })
    }

    fn exposures(&self) -> Result<Vec<Exposure>, PoolError> {
        self.snapshot(|tx| {
            collect(
                tx,
                &format!("SELECT {EXPOSURE_COLUMNS} FROM exposures ORDER BY loan_id COLLATE \"C\""),
                &[],
                decode::<Exposure, PgRow>,
            )
        })
    }

    fn portfolio(&self) -> Result<Portfolio, PoolError> {
        self.snapshot(|tx| {
            let mut cols = PortfolioColumns::default();
            for r in
                tx.query(&format!("{PORTFOLIO_SELECT} ORDER BY loan_id COLLATE \"C\""), &[]).db()?
            {
                portfolio_row(&mut cols, &r)?;
            }
            // Portfolio::new re-validates every column, so edited rows cannot smuggle in bad values.
            Ok(Portfolio::new(cols)?)
        })
    }

    fn credit_events(&self, firm: Option<&FirmId>) -> Result<Vec<CreditEvent>, PoolError> {
        self.snapshot(|tx| match firm {
            Some(f) => collect(
                tx,
                "SELECT firm_id, date, kind FROM credit_events WHERE firm_id = $1 \
                 ORDER BY date, kind COLLATE \"C\"",
                &[&f.as_str()],
                decode::<CreditEvent, PgRow>,
            ),
            None => collect(
                tx,
                "SELECT firm_id, date, kind FROM credit_events \
                 ORDER BY firm_id COLLATE \"C\", date, kind COLLATE \"C\"",
                &[],
                decode::<CreditEvent, PgRow>,
            ),
        })
    }

    fn instruments(&self) -> Result<Vec<InstrumentId>, PoolError> {
        self.snapshot(|tx| {
            collect(
                tx,
                "SELECT DISTINCT instrument COLLATE \"C\" FROM prices ORDER BY 1",
                &[],
                instrument_from_row,
            )
        })
    }

    fn price_series(&self, instrument: &InstrumentId) -> Result<PriceSeries, PoolError> {
        self.snapshot(|tx| {
            let obs = collect(
                tx,
                "SELECT date, price FROM prices WHERE instrument = $1 ORDER BY date",
                &[&instrument.as_str()],
                |r| Ok((r.try_get::<_, i64>(0).db()?, r.try_get::<_, f64>(1).db()?)),
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
        self.snapshot(|tx| {
            let entries = read_audit(tx)?;
            let head = read_head(tx)?;
            let mut status = verify_chain(&entries, &head);
            status.problems.extend(check_triggers(tx)?);
            Ok(status)
        })
    }
}

impl WriteStore for PostgresStore {
    fn write_rows(
        &self,
        rows: RowSource<'_>,
        commit: &Commit<'_>,
    ) -> Result<(IngestReport, AuditHead), PoolError> {
        let mut client = self.lock()?;
        // One writer at a time per pool schema: the key and referential checks below then see
        // exactly the committed state. Dropping `tx` on any error rolls everything back.
        let mut tx = client.transaction().db()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&self.ingest_lock]).db()?;
        let report = {
            let mut store =
                ChunkStore { tx: &mut tx, chunk: Store::default(), batch_rows: self.batch_rows };
            apply_rows(&mut store, rows)?
        };
        let event = match commit(&report) {
            Ok(event) => event,
            Err(refused) => {
                tx.rollback().db()?;
                return Err(refused);
            }
        };
        append_in(&mut tx, &event)?;
        let head = read_head(&mut tx)?;
        tx.commit().db()?;
        Ok((report, head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked() {
        for ok in ["finkit", "_x", "t1_2", &"a".repeat(63)] {
            assert!(valid_schema(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1abc", "Finkit", "a-b", "a\"b", "pg_x", &"a".repeat(64), "a b"] {
            assert!(valid_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_urls_are_typed_errors_without_the_url() {
        let err = PostgresPool::connect(
            "postgresql://u:s3cret@host:notaport/db",
            &PostgresOptions::default(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, PoolError::PostgresConfig(_)), "{err:?}");
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn endpoint_description_hides_the_password() {
        let config = Config::from_str("postgresql://ann:s3cret@db.example:6543/pool").unwrap();
        let text = describe_endpoint(&config);
        assert_eq!(text, "ann@db.example:6543/pool");
    }

    #[test]
    fn lock_keys_differ_by_schema_and_purpose() {
        assert_ne!(lock_key("ingest", "a"), lock_key("ingest", "b"));
        assert_ne!(lock_key("ingest", "a"), lock_key("migrate", "a"));
        assert_eq!(lock_key("ingest", "a"), lock_key("ingest", "a"));
    }
}
