//! The PostgreSQL backend against a real server: conformance, migrations, audit tampering,
//! concurrency. Needs `FINKIT_PG_URL` (see `.ci/postgres.sh`); without it every test prints why
//! it skips and passes, unless `FINKIT_PG_REQUIRED` is set (`pg_start` exports it, so CI does):
//! then a missing URL or an unreachable server fails every test.
#![cfg(feature = "postgres")]

use std::sync::atomic::{AtomicUsize, Ordering};

use finkit_pool::conformance::{self, fixtures};
use finkit_pool::{
    Batch, IngestMode, PG_REQUIRED_ENV, PG_URL_ENV, PoolError, PoolRead, PoolWrite,
    PostgresOptions, PostgresPool, Principal, Record, Role, StatementQuery,
    migrations::{Dialect, MIGRATIONS, SCHEMA_VERSION},
};

/// Whether CI declared PostgreSQL mandatory (`FINKIT_PG_REQUIRED` set, not empty, not `0`).
fn required() -> bool {
    std::env::var(PG_REQUIRED_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The server's URL; `None` (the test skips) only when PostgreSQL is not required. When it is,
/// a missing variable or a server that does not answer fails the test here, with the reason.
fn url() -> Option<String> {
    match std::env::var(PG_URL_ENV) {
        Ok(u) if !u.is_empty() => {
            if required()
                && let Err(e) = postgres::Client::connect(&u, postgres::NoTls)
            {
                panic!(
                    "{PG_REQUIRED_ENV} is set but the server in {PG_URL_ENV} is unreachable: {e}"
                );
            }
            Some(u)
        }
        _ => {
            assert!(
                !required(),
                "{PG_REQUIRED_ENV} is set but {PG_URL_ENV} is not: PostgreSQL tests may not skip"
            );
            eprintln!(
                "skipping PostgreSQL test: {PG_URL_ENV} is not set (source .ci/postgres.sh and run pg_start)"
            );
            None
        }
    }
}

/// A schema name unique to this process and call, dropped by [`Schemas::drop`].
struct Schemas {
    url: String,
    names: std::sync::Mutex<Vec<String>>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Schemas {
    fn new(url: &str) -> Self {
        Schemas { url: url.to_owned(), names: std::sync::Mutex::new(Vec::new()) }
    }

    fn fresh(&self, tag: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("t_{tag}_{}_{n}", std::process::id());
        self.names.lock().unwrap().push(name.clone());
        name
    }

    fn pool(&self, tag: &str) -> PostgresPool {
        let opts = PostgresOptions::with_schema(self.fresh(tag)).creating();
        PostgresPool::connect(&self.url, &opts).unwrap()
    }

    fn raw(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            for s in self.names.lock().unwrap().iter() {
                // Test-generated names only ([a-z0-9_]).
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE"));
            }
        }
    }
}

fn admin() -> Principal {
    Principal::new("pg-admin", Role::Admin)
}

fn auditor() -> Principal {
    Principal::new("pg-auditor", Role::Auditor)
}

#[test]
fn postgres_conforms() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    let report = conformance::run_all(|| schemas.pool("conf")).unwrap();
    assert_eq!(report.passed.len(), 13);
}

#[test]
fn migrations_are_versioned_idempotent_and_future_schemas_refused() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    let name = schemas.fresh("mig");
    let opts = PostgresOptions::with_schema(name.clone()).creating();
    let pool = PostgresPool::connect(&url, &opts).unwrap();
    assert_eq!(pool.schema_version().unwrap(), SCHEMA_VERSION);
    conformance::load_fixture(&pool).unwrap();
    drop(pool);
    // Reopening migrates nothing and keeps the data.
    let again = PostgresPool::connect(&url, &opts).unwrap();
    assert_eq!(again.firms(&admin(), &finkit_pool::FirmFilter::all()).unwrap().len(), 3);
    drop(again);
    let mut raw = schemas.raw();
    raw.execute(&format!("UPDATE \"{name}\".finkit_schema_version SET version = 99"), &[]).unwrap();
    let err = PostgresPool::connect(&url, &opts).unwrap_err();
    assert!(matches!(err, PoolError::FutureSchema { found: 99, .. }), "{err:?}");
}

/// The tables of a schema and its recorded version (`None` without a version table).
fn schema_state(raw: &mut postgres::Client, schema: &str) -> (Vec<String>, Option<i64>) {
    let tables = raw
        .query(
            "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = $1 ORDER BY 1",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect::<Vec<String>>();
    let version = tables.iter().any(|t| t == "finkit_schema_version").then(|| {
        raw.query_one(&format!("SELECT version FROM \"{schema}\".finkit_schema_version"), &[])
            .unwrap()
            .get(0)
    });
    (tables, version)
}

#[test]
fn connecting_never_creates_or_migrates_unless_asked() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    let mut raw = schemas.raw();

    // A missing pool without `create`: a typed error, and no schema appears.
    let name = schemas.fresh("nocreate");
    let err = PostgresPool::connect(&url, &PostgresOptions::with_schema(name.clone())).unwrap_err();
    assert!(matches!(&err, PoolError::PostgresNoPool { schema } if *schema == name), "{err:?}");
    let exists = |raw: &mut postgres::Client| -> bool {
        raw.query_one("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", &[&name])
            .unwrap()
            .get(0)
    };
    assert!(!exists(&mut raw), "connecting without create created the schema");
    // An empty schema made by a DBA is no pool either, and stays empty.
    raw.batch_execute(&format!("CREATE SCHEMA \"{name}\"")).unwrap();
    let err = PostgresPool::connect(&url, &PostgresOptions::with_schema(name.clone())).unwrap_err();
    assert!(matches!(err, PoolError::PostgresNoPool { .. }), "{err:?}");
    assert_eq!(schema_state(&mut raw, &name), (vec![], None));

    // A pool at the previous schema version, built by the older migrations.
    let old = schemas.fresh("old");
    let previous = SCHEMA_VERSION - 1;
    let mut setup = format!(
        "CREATE SCHEMA \"{old}\"; SET search_path TO \"{old}\";
         CREATE TABLE finkit_schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);"
    );
    for m in MIGRATIONS.iter().filter(|m| m.version <= previous) {
        setup.push_str(&m.sql(Dialect::Postgres));
        setup.push(';');
    }
    setup.push_str(&format!(
        "INSERT INTO finkit_schema_version VALUES (1, {previous}); RESET search_path;"
    ));
    raw.batch_execute(&setup).unwrap();
    let before = schema_state(&mut raw, &old);
    assert_eq!(before.1, Some(previous));
    for opts in [
        PostgresOptions::with_schema(old.clone()),
        PostgresOptions::with_schema(old.clone()).creating(),
    ] {
        let err = PostgresPool::connect(&url, &opts).unwrap_err();
        assert!(
            matches!(err, PoolError::PostgresNeedsUpgrade { found, supported, .. }
                if found == previous && supported == SCHEMA_VERSION),
            "{err:?}"
        );
        assert_eq!(schema_state(&mut raw, &old), before, "a refused connection changed the schema");
    }
    // The explicit upgrade migrates; later connections need nothing.
    let pool = PostgresPool::connect(&url, &PostgresOptions::with_schema(old.clone()).upgrading())
        .unwrap();
    assert_eq!(pool.schema_version().unwrap(), SCHEMA_VERSION);
    conformance::load_fixture(&pool).unwrap();
    drop(pool);
    let pool = PostgresPool::connect(&url, &PostgresOptions::with_schema(old.clone())).unwrap();
    assert_eq!(pool.firms(&admin(), &finkit_pool::FirmFilter::all()).unwrap().len(), 3);
}

#[test]
fn streaming_rules_hold_on_postgres() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    crate::streaming::streaming_rules(&schemas.pool("stream"));
}

#[test]
fn configuration_errors_are_typed_and_hide_credentials() {
    let Some(url) = url() else { return };
    let bad =
        PostgresPool::connect(&url, &PostgresOptions::with_schema("Robert'); DROP")).unwrap_err();
    assert!(matches!(bad, PoolError::PostgresConfig(_)), "{bad:?}");
    // Trust authentication ignores the password, so the pool connects; it must not show it.
    let with_password = url.replacen("://finkit@", "://finkit:s3cret-pw@", 1);
    let schemas = Schemas::new(&url);
    if with_password != url {
        let pool = PostgresPool::connect(
            &with_password,
            &PostgresOptions::with_schema(schemas.fresh("cred")).creating(),
        )
        .unwrap();
        let shown = format!("{pool:?}");
        assert!(!shown.contains("s3cret-pw") && shown.contains("finkit@"), "{shown}");
    }
    // A refused connection (nothing listens on port 1) is a typed error.
    let refused = PostgresPool::connect(
        "postgresql://finkit:s3cret-pw@127.0.0.1:1/none?connect_timeout=5",
        &PostgresOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(refused, PoolError::Postgres(_)), "{refused:?}");
    assert!(!refused.to_string().contains("s3cret-pw"), "{refused}");
}

#[test]
fn raw_sql_tampering_of_the_audit_log_is_detected() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    type Tamper = fn(&str) -> Vec<String>;
    let cases: [(&str, Tamper); 4] = [
        ("edit", |s| {
            vec![format!("UPDATE \"{s}\".audit_log SET detail = 'nothing' WHERE seq = 2")]
        }),
        ("delete", |s| vec![format!("DELETE FROM \"{s}\".audit_log WHERE seq = 2")]),
        ("delete_last", |s| {
            vec![format!(
                "DELETE FROM \"{s}\".audit_log WHERE seq = (SELECT max(seq) FROM \"{s}\".audit_log)"
            )]
        }),
        ("insert", |s| {
            vec![
                format!("UPDATE \"{s}\".audit_log SET seq = seq + 1000 WHERE seq >= 2"),
                format!(
                    "INSERT INTO \"{s}\".audit_log SELECT 2, at, principal, role, action, entity, \
                     'forged', outcome, prev_hash, hash FROM \"{s}\".audit_log WHERE seq = 1"
                ),
            ]
        }),
    ];
    for (label, tamper) in cases {
        let name = schemas.fresh("tamper");
        let pool =
            PostgresPool::connect(&url, &PostgresOptions::with_schema(name.clone()).creating())
                .unwrap();
        conformance::load_fixture(&pool).unwrap();
        for _ in 0..3 {
            pool.firms(&admin(), &finkit_pool::FirmFilter::all()).unwrap();
        }
        assert!(pool.verify_audit(&auditor()).unwrap().is_intact());
        let mut raw = schemas.raw();
        // The trigger refuses edits through ordinary SQL ...
        let refused = raw.execute(&format!("DELETE FROM \"{name}\".audit_log WHERE seq = 1"), &[]);
        assert!(refused.is_err(), "{label}: append-only trigger missing");
        // ... so the attacker disables it first (the table owner can).
        raw.batch_execute(&format!(
            "ALTER TABLE \"{name}\".audit_log DISABLE TRIGGER audit_log_append_only"
        ))
        .unwrap();
        for sql in tamper(&name) {
            raw.batch_execute(&sql).unwrap();
        }
        let status = pool.verify_audit(&auditor()).unwrap();
        assert!(!status.is_intact(), "{label}: tampering not detected");
    }
}

fn statements_of(firm: &str, years: std::ops::Range<i32>) -> Vec<Record> {
    years
        .map(|y| {
            let period = fixtures::date(y, 12, 31).unwrap();
            let available = fixtures::date(y + 1, 4, 30).unwrap();
            Record::from(
                fixtures::statement(firm, period, available, 1000.0 + f64::from(y)).unwrap(),
            )
        })
        .collect()
}

fn firm_records(ids: &[String]) -> Vec<Record> {
    let template = fixtures::firms().unwrap().remove(0);
    ids.iter()
        .map(|id| {
            let mut f = template.clone();
            f.id = id.parse().unwrap();
            Record::from(f)
        })
        .collect()
}

#[test]
fn parallel_writers_and_readers_lose_and_duplicate_nothing() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    let name = schemas.fresh("conc");
    let opts = PostgresOptions::with_schema(name);
    let setup = PostgresPool::connect(&url, &opts.clone().creating()).unwrap();
    const WRITERS: usize = 4;
    const BATCHES: usize = 6;
    const FIRMS_PER_BATCH: usize = 25;
    const YEARS: i32 = 4;
    const READERS: usize = 3;
    const READS: usize = 15;
    let writes = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for w in 0..WRITERS {
            let (url, opts) = (&url, &opts);
            handles.push(scope.spawn(move || {
                let pool = PostgresPool::connect(url, opts).unwrap();
                let who = Principal::new(format!("writer-{w}"), Role::Admin);
                let mut calls = 0;
                for b in 0..BATCHES {
                    let ids: Vec<String> =
                        (0..FIRMS_PER_BATCH).map(|i| format!("W{w}-B{b}-F{i:03}")).collect();
                    let mut records = firm_records(&ids);
                    for id in &ids {
                        records.extend(statements_of(id, 2019..2019 + YEARS));
                    }
                    let report = pool
                        .ingest(&who, &Batch::from_records(records), IngestMode::Strict)
                        .unwrap();
                    assert_eq!(report.accepted, FIRMS_PER_BATCH * (1 + YEARS as usize));
                    calls += 1;
                    // Every writer also re-sends one shared batch: idempotent, never duplicated.
                    let shared = firm_records(&["SHARED-1".to_owned()]);
                    let shared: Vec<Record> =
                        shared.into_iter().chain(statements_of("SHARED-1", 2019..2021)).collect();
                    let r = pool
                        .ingest(&who, &Batch::from_records(shared), IngestMode::Strict)
                        .unwrap();
                    assert_eq!(r.accepted, 3);
                    calls += 1;
                }
                calls
            }));
        }
        for r in 0..READERS {
            let (url, opts) = (&url, &opts);
            handles.push(scope.spawn(move || {
                let pool = PostgresPool::connect(url, opts).unwrap();
                let who = Principal::new(format!("reader-{r}"), Role::Analyst);
                let as_of = fixtures::date(2030, 1, 1).unwrap();
                for _ in 0..READS {
                    let seen = pool.statements_as_of(&who, as_of, &StatementQuery::all()).unwrap();
                    // A consistent snapshot holds whole batches: every firm has all its years.
                    let mut per_firm = std::collections::BTreeMap::<String, usize>::new();
                    for s in &seen {
                        *per_firm.entry(s.firm_id.to_string()).or_default() += 1;
                    }
                    for (firm, n) in per_firm {
                        let expected = if firm == "SHARED-1" { 2 } else { YEARS as usize };
                        assert_eq!(n, expected, "{firm} seen half-written");
                    }
                }
                READS
            }));
        }
        handles.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
    });
    let a = admin();
    let firms = setup.firms(&a, &finkit_pool::FirmFilter::all()).unwrap();
    assert_eq!(firms.len(), WRITERS * BATCHES * FIRMS_PER_BATCH + 1);
    let as_of = fixtures::date(2030, 1, 1).unwrap();
    let all = setup.statements_as_of(&a, as_of, &StatementQuery::all()).unwrap();
    assert_eq!(all.len(), WRITERS * BATCHES * FIRMS_PER_BATCH * YEARS as usize + 2);
    let mut keys: Vec<_> = all.iter().map(|s| (s.firm_id.to_string(), s.period_end)).collect();
    keys.dedup();
    assert_eq!(keys.len(), all.len(), "duplicated statements");
    let status = setup.verify_audit(&auditor()).unwrap();
    assert!(status.is_intact(), "{:?}", status.problems);
    // Every call is in the chain exactly once: the writers' and readers' calls, the two
    // reads above (firms, statements_as_of) and this verification's own entry comes after.
    assert_eq!(status.entries as usize, writes + 2);
}

#[test]
fn strict_rejection_leaves_the_server_unchanged() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    let pool = schemas.pool("strict");
    conformance::load_fixture(&pool).unwrap();
    let before = pool.audit_head(&auditor()).unwrap();
    let mut bad = statements_of("FIRM-ALPHA-01", 2030..2032);
    bad.extend(statements_of("NO-SUCH-FIRM", 2030..2031));
    let err = pool.ingest(&admin(), &Batch::from_records(bad), IngestMode::Strict).unwrap_err();
    assert_eq!(err.rejected_report().unwrap().rejected[0].line, 3);
    let versions = pool.statement_versions(&admin(), &"FIRM-ALPHA-01".parse().unwrap()).unwrap();
    assert!(versions.iter().all(|s| s.period_end.format("%Y").to_string() != "2030"));
    // Only the audit entries of the two reads were added (the rejected batch wrote none).
    let after = pool.audit_head(&auditor()).unwrap();
    assert_eq!(after.count, before.count + 2);
}

/// The second login of `.ci/postgres.sh`, with no rights of its own.
const READER_URL_ENV: &str = "FINKIT_PG_READER_URL";

#[test]
fn the_database_enforces_the_masks_for_a_second_login() {
    let Some(url) = url() else { return };
    let Some(reader_url) = std::env::var(READER_URL_ENV).ok().filter(|u| !u.is_empty()) else {
        assert!(!required(), "{PG_REQUIRED_ENV} is set but {READER_URL_ENV} is not");
        eprintln!(
            "skipping: {READER_URL_ENV} is not set (source .ci/postgres.sh and run pg_start)"
        );
        return;
    };
    let schemas = Schemas::new(&url);
    let pool = schemas.pool("grants");
    conformance::load_fixture(&pool).unwrap();
    let schema = pool.schema().to_owned();
    let mut reader = postgres::Client::connect(&reader_url, postgres::NoTls).unwrap();
    let denied = |c: &mut postgres::Client, sql: &str| {
        let err = c.query(sql, &[]).expect_err(sql);
        assert_eq!(
            err.code(),
            Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    };
    // Before any grant the login reads nothing.
    denied(&mut reader, &format!("SELECT * FROM \"{schema}\".firms_masked"));

    // Only an admin grants database access, and it is audited.
    let analyst = Principal::new("pg-analyst", Role::Analyst);
    assert!(
        pool.grant_database_access(&analyst, "finkit_reader", Role::Analyst)
            .unwrap_err()
            .is_access_denied()
    );
    pool.grant_database_access(&admin(), "finkit_reader", Role::Analyst).unwrap();

    // The masked view is readable and masked; the tables around it are not.
    let rows = reader
        .query(
            &format!("SELECT registration_number, contact_name FROM \"{schema}\".firms_masked"),
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), fixtures::FIRMS.len());
    for r in &rows {
        assert_eq!(r.get::<_, String>(0), "***");
        assert!(r.get::<_, Option<String>>(1).is_none_or(|c| c == "***"));
    }
    for table in [
        "firms",
        "applications",
        "applications_masked",
        "exposures",
        "audit_log",
        "pool_users",
        "pool_policy",
    ] {
        denied(&mut reader, &format!("SELECT * FROM \"{schema}\".{table}"));
    }
    // What the analyst may read, it reads; writing is never granted.
    reader.query(&format!("SELECT * FROM \"{schema}\".statements"), &[]).unwrap();
    let write = reader.execute(&format!("DELETE FROM \"{schema}\".statements"), &[]).unwrap_err();
    assert_eq!(write.code(), Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));

    // The same login granted the credit officer's rights reads applications, unmasked, but
    // still not the audit trail.
    pool.grant_database_access(&admin(), "finkit_reader", Role::CreditOfficer).unwrap();
    reader.query(&format!("SELECT guarantees FROM \"{schema}\".applications"), &[]).unwrap();
    denied(&mut reader, &format!("SELECT * FROM \"{schema}\".audit_log"));
    // The masked applications view masks personal guarantors.
    let masked: Vec<String> = schemas
        .raw()
        .query(&format!("SELECT guarantees FROM \"{schema}\".applications_masked"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let text = masked.join(" ");
    for name in fixtures::SENSITIVE {
        assert!(!text.contains(name), "{name} in the masked view: {text}");
    }
    let log = pool.audit_log(&admin()).unwrap();
    assert!(log.iter().any(|e| e.entity == "database_roles" && e.outcome == "denied"));
    assert!(
        log.iter().filter(|e| e.entity == "database_roles" && e.outcome == "allowed").count() == 2
    );
    drop(reader);
    pool.drop_pool().unwrap();
}

#[test]
fn a_dropped_append_only_trigger_is_reported() {
    let Some(url) = url() else { return };
    let schemas = Schemas::new(&url);
    let pool = schemas.pool("trig");
    conformance::load_fixture(&pool).unwrap();
    assert!(pool.verify_audit(&auditor()).unwrap().is_intact());
    let schema = pool.schema().to_owned();
    schemas
        .raw()
        .batch_execute(&format!("DROP TRIGGER audit_log_append_only ON \"{schema}\".audit_log"))
        .unwrap();
    let status = pool.verify_audit(&auditor()).unwrap();
    assert!(
        status.problems.iter().any(|p| p.problem.contains("audit_log_append_only is missing")),
        "{:?}",
        status.problems
    );
}
