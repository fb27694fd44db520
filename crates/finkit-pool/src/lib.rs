//! A validated, point-in-time, access-controlled data pool for firms, statements, loan
//! applications, the loan book, credit events and prices, on embedded SQLite or in memory.
//!
//! # Example
//!
//! ```
//! use finkit_pool::{
//!     Batch, EntityKind, FirmFilter, IngestMode, PoolRead, PoolWrite, Principal, Role,
//!     SqlitePool, StatementQuery,
//! };
//!
//! let pool = SqlitePool::in_memory()?; // or SqlitePool::open("pool.db")?
//! let officer = Principal::new("olga", Role::CreditOfficer);
//!
//! // CSV in, every row validated; strict mode commits all rows or none.
//! let firms = "id,name,registration_number,industry_scheme,industry_code,region,founded,employees,\
//! high_tech_certified,certification_date,rd_expense,rd_staff_share,patents_invention,\
//! patents_utility_model,patents_design,software_copyrights,venture_funding,contact_name\n\
//! F1,Alpha Robotics,REG-1,nace,C26,CN-GD,2010-05-01,120,true,2015-06-01,1500000,0.3,5,10,2,3,0,Li Wei\n";
//! let batch = Batch::from_csv_reader(EntityKind::Firms, firms.as_bytes(), "firms.csv")?;
//! assert_eq!(pool.ingest(&officer, &batch, IngestMode::Strict)?.accepted, 1);
//!
//! // Statements carry the day they became known; a correction is a new version.
//! let statements = "firm_id,period_end,available_at,currency,unit,cash,current_assets,total_assets,\
//! current_liabilities,total_liabilities,short_term_debt,long_term_debt,retained_earnings,book_equity,\
//! revenue,ebit,ebitda,interest_expense,net_income,rd_expense,operating_cash_flow,capex\n\
//! F1,2023-12-31,2024-04-30,EUR,one,100,500,1000,300,600,100,200,200,400,1200,100,150,10,60,20,80,50\n\
//! F1,2023-12-31,2024-06-30,EUR,one,100,500,1100,300,660,100,200,200,440,1200,100,150,10,60,20,80,50\n\
//! F9,2023-12-31,2024-03-31,EUR,one,1,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0\n";
//! let batch = Batch::from_csv_reader(EntityKind::Statements, statements.as_bytes(), "fs.csv")?;
//! // Line 4 names an unknown firm: strict mode rejects the batch and reports the line.
//! let err = pool.ingest(&officer, &batch, IngestMode::Strict).unwrap_err();
//! assert_eq!(err.rejected_report().map(|r| r.rejected[0].line), Some(4));
//! // Lenient mode commits exactly the valid rows.
//! assert_eq!(pool.ingest(&officer, &batch, IngestMode::Lenient)?.accepted, 2);
//!
//! // Point in time: on 2024-05-01 only the first version was known.
//! let may = "2024-05-01".parse()?;
//! let known = pool.statements_as_of(&officer, may, &StatementQuery::all())?;
//! assert_eq!(known[0].total_assets, 1000.0);
//!
//! // Roles and masking: an analyst sees the firm, not its registration number.
//! let analyst = Principal::new("ann", Role::Analyst);
//! let seen = pool.firms(&analyst, &FirmFilter { tech_innovative: Some(true), ..FirmFilter::all() })?;
//! assert_eq!(seen[0].registration_number, finkit_pool::MASK);
//! assert!(pool.exposures(&analyst).unwrap_err().is_access_denied());
//!
//! // Every call above is in the hash-chained audit trail.
//! let auditor = Principal::new("audrey", Role::Auditor);
//! assert!(pool.verify_audit(&auditor)?.is_intact());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! - **Traits**: [`PoolRead`] and [`PoolWrite`], with associated error types and blanket
//!   impls for `&T`, `Box<T>` and `Arc<T>`. Backends: [`SqlitePool`] (the default, one file)
//!   and [`MemoryPool`] (the reference). [`conformance::run_all`] checks any backend; the
//!   [`backend`] module and [`migrations`] hold what a new backend (PostgreSQL) reuses.
//! - **Principal per call**: every method takes the [`Principal`] it acts for, so one pool
//!   serves many users; the pool holds the [`Policy`] (code, TOML or JSON). A denial is
//!   [`PoolError::AccessDenied`] and is audited.
//! - **Ingest** ([`Batch`] from CSV or JSON, layouts in [`Batch::from_csv_reader`]'s module
//!   docs): finkit-schema validation, referential checks and natural keys; the
//!   [`IngestReport`] lists every rejected row with its line, field and reason.
//! - **Point in time**: statements are never overwritten; [`PoolRead::statements_as_of`]
//!   picks, per firm and period, the latest version available on the date.
//! - **Security**: every backend is a storage-only store behind one guard ([`Guarded`], see
//!   [`guard`]) that authorizes, masks and audits every call; masking of registration numbers,
//!   contact details and personal guarantor names; keyed HMAC-SHA256 pseudonyms for
//!   [`PoolRead::research_export`]; a hash-chained audit trail ([`audit`]) whose limits are
//!   documented there.
//! - **Point-in-time datasets** ([`dataset`]): features known on each observation date and the
//!   credit events of the following horizon, for fitting and monitoring rating models.
//! - **Synthetic data**: [`synthetic`] generates seeded, clearly synthetic data sets.
//!
//! # Features
//!
//! - `serde` (default, kept for uniformity): serde is always used by this crate, for JSON
//!   ingest, reports and policies.
//! - `postgres`: `PostgresPool`, the same pool on a PostgreSQL server (the `postgres` module
//!   docs cover connection URLs, TLS and concurrency); tested against a real server when
//!   `FINKIT_PG_URL` is set (`.ci/postgres.sh` starts a throwaway one).
//! - `parquet`: the `export` module, a hive-partitioned Parquet export and import of the pool
//!   with a documented, versioned column schema, for DuckDB, Spark or DataFusion.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings))))]

pub mod anonymise;
pub mod audit;
pub mod backend;
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
pub mod dataset;
mod error;
#[cfg(feature = "parquet")]
#[cfg_attr(docsrs, doc(cfg(feature = "parquet")))]
pub mod export;
pub mod guard;
mod ingest;
mod memory;
pub mod migrations;
pub mod models;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod postgres;
mod record;
mod security;
mod sql;
mod sqlite;
#[cfg(feature = "synthetic")]
#[cfg_attr(docsrs, doc(cfg(feature = "synthetic")))]
pub mod synthetic;
pub mod table;
mod traits;

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use self::postgres::{
    PG_REQUIRED_ENV, PG_URL_ENV, PostgresOptions, PostgresPool, PostgresStore,
};
pub use error::{BackendError, PoolError};
pub use guard::{Guarded, ReadStore, WriteStore};
pub use ingest::{
    Batch, INGEST_CHUNK_ROWS, IngestMode, IngestReport, IngestStore, Parsed, Put, RejectedRow, Row,
    RowSource, apply_batch, apply_rows, natural_key,
};
pub use memory::{MemoryPool, MemoryStore};
pub use record::{EntityKind, PriceObservation, Record};
pub use security::{
    MASK, Permission, Policy, Principal, Pseudonymiser, Role, mask_application, mask_firm,
};
pub use sqlite::{PoolKey, SqliteOptions, SqlitePool, SqliteStore};
#[cfg(feature = "synthetic")]
#[cfg_attr(docsrs, doc(cfg(feature = "synthetic")))]
pub use synthetic::{SyntheticDataset, SyntheticParams};
pub use traits::{
    ApplicationFilter, FirmFilter, PoolRead, PoolWrite, ResearchExport, StatementQuery,
};

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
