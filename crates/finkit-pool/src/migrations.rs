//! Schema migrations, versioned in code and shared by the SQL backends.
//!
//! Each [`Migration`] has portable SQL (types and syntax that SQLite and PostgreSQL both accept)
//! and a small dialect-specific part (SQLite's `WITHOUT ROWID`, triggers). SQLite records the
//! applied version in `PRAGMA user_version`; a PostgreSQL backend records it in a one-row table
//! of its own. A database whose version is newer than [`SCHEMA_VERSION`] is refused.
//!
//! # Storage conventions
//!
//! - Dates are `BIGINT` days since the common era, chrono's `num_days_from_ce`
//!   (0001-01-01 is 1): compact, exactly ordered, and equal in every dialect. In SQLite,
//!   `date(period_end + 1721424.5)` shows one as text.
//! - Amounts and probabilities are `DOUBLE PRECISION` (an IEEE-754 `f64`, stored exactly).
//! - Booleans are `INTEGER` 0/1; enums are their snake_case serde names; an application's
//!   collateral and guarantees are JSON arrays in `TEXT`.
//! - `audit_head` holds the chain head in the same transaction as every audit append.

/// The SQL dialect a migration is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite 3.35 or later.
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
}

/// One schema step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// The version the database has after this step (1, 2, ...).
    pub version: i64,
    /// What the step does.
    pub description: &'static str,
    /// Portable statements; `{without_rowid}` is replaced per dialect.
    pub portable: &'static str,
    /// Statements for SQLite only, run after the portable ones.
    pub sqlite: &'static str,
    /// Statements for PostgreSQL only, run after the portable ones.
    pub postgres: &'static str,
}

impl Migration {
    /// The step's SQL in a dialect (several statements separated by `;`).
    #[must_use]
    pub fn sql(&self, dialect: Dialect) -> String {
        let (without_rowid, extra) = match dialect {
            Dialect::Sqlite => (" WITHOUT ROWID", self.sqlite),
            Dialect::Postgres => ("", self.postgres),
        };
        let mut sql = self.portable.replace("{without_rowid}", without_rowid);
        sql.push_str(extra);
        sql
    }
}

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 4;

/// The SQLite `PRAGMA application_id` that marks a finkit pool (`"FNKP"` in ASCII).
///
/// A file without it is not opened as a pool: finkit refuses to add tables to, or change the
/// version of, a database it did not create. (Files from before the mark, which have the
/// finkit tables and `application_id` 0, are adopted only by an explicit upgrade.)
pub const APPLICATION_ID: i32 = 0x464E_4B50;

/// The append-only triggers of the audit log in a dialect, as `(name, normalised SQL)`, taken
/// from the migrations themselves so that the check and the schema cannot drift apart.
/// Whitespace is collapsed to single spaces.
#[must_use]
pub fn audit_triggers(dialect: Dialect) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for m in MIGRATIONS {
        let text = match dialect {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        };
        for part in text.split("CREATE TRIGGER").skip(1) {
            let body = normalise_sql(&format!("CREATE TRIGGER{part}"));
            let body = body.trim_end_matches(';').trim().to_owned();
            let body = match dialect {
                // SQLite keeps the statement up to the trigger's END.
                Dialect::Sqlite => body.split(" END").next().map(|b| format!("{b} END")),
                Dialect::Postgres => Some(body),
            };
            if let (Some(name), Some(body)) =
                (part.split_whitespace().next().map(str::to_owned), body)
            {
                out.push((name, body));
            }
        }
    }
    out
}

/// Collapses runs of whitespace to one space and trims.
#[must_use]
pub fn normalise_sql(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every migration, oldest first; `MIGRATIONS[i].version == i + 1`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "entity tables, audit log and audit head",
        portable: r"
CREATE TABLE firms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    industry_scheme TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    region TEXT NOT NULL,
    founded BIGINT NOT NULL,
    employees BIGINT NOT NULL,
    high_tech_certified INTEGER NOT NULL,
    certification_date BIGINT,
    rd_expense DOUBLE PRECISION NOT NULL,
    rd_staff_share DOUBLE PRECISION NOT NULL,
    patents_invention BIGINT NOT NULL,
    patents_utility_model BIGINT NOT NULL,
    patents_design BIGINT NOT NULL,
    software_copyrights BIGINT NOT NULL,
    venture_funding DOUBLE PRECISION NOT NULL,
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT
);
CREATE TABLE statements (
    firm_id TEXT NOT NULL,
    period_end BIGINT NOT NULL,
    available_at BIGINT NOT NULL,
    currency TEXT NOT NULL,
    unit TEXT NOT NULL,
    cash DOUBLE PRECISION NOT NULL,
    current_assets DOUBLE PRECISION NOT NULL,
    total_assets DOUBLE PRECISION NOT NULL,
    current_liabilities DOUBLE PRECISION NOT NULL,
    total_liabilities DOUBLE PRECISION NOT NULL,
    short_term_debt DOUBLE PRECISION NOT NULL,
    long_term_debt DOUBLE PRECISION NOT NULL,
    retained_earnings DOUBLE PRECISION NOT NULL,
    book_equity DOUBLE PRECISION NOT NULL,
    revenue DOUBLE PRECISION NOT NULL,
    ebit DOUBLE PRECISION NOT NULL,
    ebitda DOUBLE PRECISION NOT NULL,
    interest_expense DOUBLE PRECISION NOT NULL,
    net_income DOUBLE PRECISION NOT NULL,
    rd_expense DOUBLE PRECISION NOT NULL,
    operating_cash_flow DOUBLE PRECISION NOT NULL,
    capex DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (firm_id, period_end, available_at)
){without_rowid};
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    firm_id TEXT NOT NULL,
    application_date BIGINT NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    currency TEXT NOT NULL,
    tenor DOUBLE PRECISION NOT NULL,
    product TEXT NOT NULL,
    purpose TEXT NOT NULL,
    collateral TEXT NOT NULL,
    guarantees TEXT NOT NULL
);
CREATE TABLE exposures (
    loan_id TEXT PRIMARY KEY,
    firm_id TEXT NOT NULL,
    pd DOUBLE PRECISION NOT NULL,
    lgd DOUBLE PRECISION NOT NULL,
    ead DOUBLE PRECISION NOT NULL,
    maturity DOUBLE PRECISION NOT NULL,
    sector TEXT NOT NULL,
    annual_sales DOUBLE PRECISION,
    rating TEXT,
    currency TEXT NOT NULL
);
CREATE TABLE credit_events (
    firm_id TEXT NOT NULL,
    date BIGINT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (firm_id, date, kind)
){without_rowid};
CREATE TABLE prices (
    instrument TEXT NOT NULL,
    date BIGINT NOT NULL,
    price DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (instrument, date)
){without_rowid};
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    detail TEXT NOT NULL,
    outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, count, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
",
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 2,
        description: "lookup indexes and append-only triggers on the audit log",
        portable: r"
CREATE INDEX applications_by_firm ON applications (firm_id, application_date);
CREATE INDEX exposures_by_firm ON exposures (firm_id);
",
        sqlite: r"
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
",
        postgres: r"
CREATE FUNCTION finkit_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION finkit_audit_append_only();
",
    },
    Migration {
        version: 3,
        description: "the access policy and the user-to-role table live in the pool",
        portable: r"
CREATE TABLE pool_policy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    policy TEXT NOT NULL
);
CREATE TABLE pool_users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL
);
",
        sqlite: "",
        // The masks as views, so that database roles can be granted the masked data without
        // the tables around it (see `PostgresPool::grant_database_access`).
        postgres: r#"
CREATE VIEW firms_masked AS SELECT id, name, '***'::text AS registration_number,
    industry_scheme, industry_code, region, founded, employees, high_tech_certified,
    certification_date, rd_expense, rd_staff_share, patents_invention, patents_utility_model,
    patents_design, software_copyrights, venture_funding,
    CASE WHEN contact_name IS NULL THEN NULL ELSE '***' END AS contact_name,
    CASE WHEN contact_email IS NULL THEN NULL ELSE '***' END AS contact_email,
    CASE WHEN contact_phone IS NULL THEN NULL ELSE '***' END AS contact_phone
FROM firms;
CREATE VIEW applications_masked AS SELECT id, firm_id, application_date, amount, currency,
    tenor, product, purpose, collateral,
    COALESCE((SELECT jsonb_agg(CASE WHEN g->>'kind' = 'personal'
                                    THEN jsonb_set(g, '{guarantor}', '"***"') ELSE g END
                               ORDER BY ord)
              FROM jsonb_array_elements(guarantees::jsonb) WITH ORDINALITY AS t(g, ord)),
             '[]'::jsonb)::text AS guarantees
FROM applications;
"#,
    },
    Migration {
        version: 4,
        description: "rating models fitted from the pool, versioned, with training window and validation",
        portable: r"
CREATE TABLE rating_models (
    model_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    train_from BIGINT NOT NULL,
    train_to BIGINT NOT NULL,
    horizon_months BIGINT NOT NULL,
    model TEXT NOT NULL,
    validation TEXT NOT NULL,
    PRIMARY KEY (model_id, version)
){without_rowid};
",
        sqlite: "",
        postgres: "",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_end_at_the_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    /// The declared type of a descriptor column in the portable DDL.
    fn declared(ty: crate::table::ColumnType) -> &'static str {
        use crate::table::ColumnType;
        match ty {
            ColumnType::Date | ColumnType::Count => "BIGINT",
            ColumnType::Float => "DOUBLE PRECISION",
            ColumnType::Flag => "INTEGER",
            _ => "TEXT",
        }
    }

    /// The migrated tables have exactly the columns of the entity descriptors: names in order,
    /// declared types and `NOT NULL` (a primary-key column counts as not null).
    #[test]
    fn migrated_tables_match_the_entity_descriptors() {
        let conn = rusqlite::Connection::open_in_memory().expect("sqlite");
        for m in MIGRATIONS {
            conn.execute_batch(&m.sql(Dialect::Sqlite)).expect("migration");
        }
        for kind in crate::EntityKind::ALL {
            let table = crate::table::Table::of(kind);
            let mut stmt =
                conn.prepare(&format!("PRAGMA table_info({})", table.table)).expect("pragma");
            let stored: Vec<(String, String, bool)> = stmt
                .query_map([], |r| {
                    let notnull: i64 = r.get(3)?;
                    let pk: i64 = r.get(5)?;
                    Ok((r.get(1)?, r.get(2)?, notnull != 0 || pk != 0))
                })
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let described: Vec<(String, String, bool)> = table
                .columns
                .iter()
                .map(|c| (c.name.to_owned(), declared(c.ty).to_owned(), !c.nullable))
                .collect();
            assert_eq!(stored, described, "table {}", table.table);
        }
    }

    #[test]
    fn dialects_differ_only_where_declared() {
        let s = MIGRATIONS[0].sql(Dialect::Sqlite);
        let p = MIGRATIONS[0].sql(Dialect::Postgres);
        assert!(s.contains("WITHOUT ROWID"));
        assert!(!p.contains("WITHOUT ROWID") && !p.contains("{without_rowid}"));
    }

    #[test]
    fn audit_triggers_are_extracted_from_the_migrations() {
        let sqlite = audit_triggers(Dialect::Sqlite);
        let names: Vec<&str> = sqlite.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["audit_log_no_update", "audit_log_no_delete"]);
        assert_eq!(
            sqlite[1].1,
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
        );
        let pg = audit_triggers(Dialect::Postgres);
        assert_eq!(pg.len(), 1);
        assert_eq!(pg[0].0, "audit_log_append_only");
    }
}
