//! Parquet export and import of a pool (feature `parquet`), for DuckDB, Spark, DataFusion,
//! pandas/pyarrow and other columnar engines.
//!
//! [`export_parquet`] reads any [`PoolRead`] backend *as a principal* (so the pool's policy
//! checks, masking and audit trail apply) and writes one directory per entity table,
//! partitioned hive-style by the year of the table's date column. [`read_export`] reads an
//! export back and [`import_parquet`] ingests it into a pool through the ordinary validated
//! [`PoolWrite::ingest`].
//!
//! ```text
//! out/
//!   _finkit_export.json                        manifest (see ExportManifest)
//!   firms/part-00000.parquet                   not partitioned
//!   statements/period=2023/part-00000.parquet  period = year of period_end
//!   applications/period=2024/part-00000.parquet  period = year of application_date
//!   exposures/part-00000.parquet               not partitioned (the current loan book)
//!   credit_events/period=2025/part-00000.parquet period = year of date
//!   prices/period=2024/part-00000.parquet      period = year of date
//! ```
//!
//! The partition column `period` (a year) is *not* stored in the files: hive-aware readers
//! (DuckDB `hive_partitioning`, Spark, DataFusion, pyarrow datasets) add it from the directory
//! names. Files are Snappy-compressed, and carry the key-value metadata
//! `finkit.export_schema_version` and `finkit.table`.
//!
//! # Schema, version 1 ([`EXPORT_SCHEMA_VERSION`])
//!
//! Types are Arrow types (Parquet logical types in brackets). Dates are `Date32` (Parquet
//! `DATE`, days since 1970-01-01). Text is `Utf8` (`STRING`). Enums are their snake_case names.
//! Every column is non-null unless marked *nullable*.
//!
//! | table | column | type | unit / meaning |
//! |---|---|---|---|
//! | firms | `id` | Utf8 | firm id (a pseudonym `P-<32 hex>` in pseudonymised exports) |
//! | | `name` | Utf8 | legal name (the pseudonym when pseudonymised) |
//! | | `registration_number` | Utf8 | masked `***` unless the exporter may view sensitive fields |
//! | | `industry_scheme`, `industry_code` | Utf8 | e.g. `nace`, `C26` |
//! | | `region` | Utf8 | region code |
//! | | `founded` | Date32 | |
//! | | `employees` | UInt32 | headcount |
//! | | `high_tech_certified` | Boolean | |
//! | | `certification_date` | Date32, nullable | |
//! | | `rd_expense` | Float64 | currency units per year |
//! | | `rd_staff_share` | Float64 | fraction in [0, 1] |
//! | | `patents_invention`, `patents_utility_model`, `patents_design`, `software_copyrights` | UInt32 | counts |
//! | | `venture_funding` | Float64 | currency units |
//! | | `contact_name`, `contact_email`, `contact_phone` | Utf8, nullable | masked `***` unless allowed |
//! | statements | `firm_id` | Utf8 | |
//! | | `period_end`, `available_at` | Date32 | fiscal period end; day the version became known |
//! | | `currency` | Utf8 | ISO 4217 |
//! | | `unit` | Utf8 | `one`, `thousand` or `million`: every amount below is in `currency × unit`, as reported (not rescaled) |
//! | | `cash`, `current_assets`, `total_assets`, `current_liabilities`, `total_liabilities`, `short_term_debt`, `long_term_debt`, `retained_earnings`, `book_equity`, `revenue`, `ebit`, `ebitda`, `interest_expense`, `net_income`, `rd_expense`, `operating_cash_flow`, `capex` | Float64 | amounts (flows over the period, stocks at `period_end`) |
//! | applications | `id`, `firm_id` | Utf8 | |
//! | | `application_date` | Date32 | |
//! | | `amount` | Float64 | currency units |
//! | | `currency` | Utf8 | |
//! | | `tenor` | Float64 | years |
//! | | `product`, `purpose` | Utf8 | |
//! | | `collateral`, `guarantees` | Utf8 | JSON arrays as in the JSON ingest format; personal guarantor names masked unless allowed |
//! | exposures | `loan_id`, `firm_id` | Utf8 | |
//! | | `pd`, `lgd` | Float64 | fractions in [0, 1] (one-year PD) |
//! | | `ead` | Float64 | currency units |
//! | | `maturity` | Float64 | years |
//! | | `sector` | Utf8 | |
//! | | `annual_sales` | Float64, nullable | millions (Basel SME adjustment) |
//! | | `rating` | Utf8, nullable | |
//! | | `currency` | Utf8 | |
//! | credit_events | `firm_id` | Utf8 | |
//! | | `date` | Date32 | |
//! | | `kind` | Utf8 | e.g. `default`, `past_due90` |
//! | prices | `instrument` | Utf8 | instrument id |
//! | | `date` | Date32 | |
//! | | `price` | Float64 | closing price |
//!
//! # Masking and pseudonymisation
//!
//! Reads go through the pool, so sensitive fields are masked exactly as the pool masks them for
//! the exporting principal. With [`ExportOptions::pseudonymiser`] set, the export is a research
//! export: every firm id (in every table, and instrument ids equal to a firm id) is replaced by
//! its keyed HMAC-SHA256 pseudonym ([`Pseudonymiser`]), firm names by the pseudonym, and every
//! sensitive field is masked whatever the role. Loan, application and other instrument ids are
//! kept. The manifest records what was applied.
//!
//! # What is exported
//!
//! Every export needs [`Permission::Export`] (checked and audited) plus the read permission of
//! each table in [`ExportOptions::tables`]. Statements: with [`StatementVersions::AsOf`] the
//! versions known on [`ExportOptions::as_of`] (one query); with [`StatementVersions::All`] every
//! version available on or before `as_of`, corrections included (one audited read per firm).
//! Applications, credit events and prices dated after `as_of` are left out; firms and exposures
//! are exported as they are now.

use crate::error::Backend as _;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, StringArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::{Datelike, NaiveDate};
use finkit_schema::{
    Amount, ApplicationId, CreditEvent, Currency, Exposure, FinancialStatement, Firm, FirmId,
    IndustryCode, InstrumentId, Lgd, LoanApplication, LoanId, Maturity, Patents, Probability,
    TechProfile, Unit,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};

use crate::PoolError;
use crate::ingest::{Batch, IngestMode, IngestReport};
use crate::record::{EntityKind, PriceObservation, Record};
use crate::security::{MASK, Permission, Principal, Pseudonymise, Pseudonymiser};
use crate::traits::{ApplicationFilter, FirmFilter, PoolRead, PoolWrite, StatementQuery};

/// The version of the export layout and column schema documented in the module docs.
pub const EXPORT_SCHEMA_VERSION: u32 = 1;

/// The manifest's file name at the root of an export.
pub const MANIFEST_FILE: &str = "_finkit_export.json";

/// The value of [`ExportManifest::format`].
pub const FORMAT_NAME: &str = "finkit-pool-parquet";

/// Which statement versions an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementVersions {
    /// The version of each firm and period known on `as_of` (default): a point-in-time view.
    #[default]
    AsOf,
    /// Every version available on or before `as_of`, corrections included (full history).
    All,
}

/// How to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The as-of date (see the module docs for what it filters).
    pub as_of: NaiveDate,
    /// Which statement versions.
    pub statements: StatementVersions,
    /// Replace firm ids by keyed pseudonyms and mask every sensitive field (research export).
    pub pseudonymiser: Option<Pseudonymiser>,
    /// The tables to export (default: all, [`EntityKind::ALL`]).
    pub tables: Vec<EntityKind>,
    /// Maximum rows per Parquet row group (default 1,048,576).
    pub row_group_rows: usize,
}

impl ExportOptions {
    /// Every table, statements as known on `as_of`, no pseudonymisation.
    #[must_use]
    pub fn as_of(as_of: NaiveDate) -> Self {
        ExportOptions {
            as_of,
            statements: StatementVersions::AsOf,
            pseudonymiser: None,
            tables: EntityKind::ALL.to_vec(),
            row_group_rows: 1 << 20,
        }
    }
}

/// One written file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportFile {
    /// Path relative to the export root, with `/` separators.
    pub path: String,
    /// The partition's year, `None` for unpartitioned tables.
    pub period: Option<i32>,
    /// Rows in the file.
    pub rows: u64,
}

/// One exported table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportTable {
    /// Total rows.
    pub rows: u64,
    /// The date column whose year is the `period` partition, `None` when unpartitioned.
    pub partitioned_by: Option<String>,
    /// The files, in partition order.
    pub files: Vec<ExportFile>,
}

/// The manifest written to [`MANIFEST_FILE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExportManifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`EXPORT_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The finkit-pool version that wrote it.
    pub writer: String,
    /// When, RFC 3339 UTC.
    pub created_at: String,
    /// The as-of date.
    pub as_of: NaiveDate,
    /// Which statement versions.
    pub statements: StatementVersions,
    /// The exporting principal's name.
    pub principal: String,
    /// The exporting principal's role.
    pub role: String,
    /// Whether firm ids were replaced by keyed pseudonyms.
    pub pseudonymised: bool,
    /// `masked` (sensitive fields are `***`), `clear`, or `unknown` (no firm exported).
    pub sensitive_fields: String,
    /// The tables, by name (`firms`, `statements`, ...).
    pub tables: BTreeMap<String, ExportTable>,
}

/// An export read back into memory by [`read_export`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportData {
    /// Firms.
    pub firms: Vec<Firm>,
    /// Statements.
    pub statements: Vec<FinancialStatement>,
    /// Applications.
    pub applications: Vec<LoanApplication>,
    /// Exposures.
    pub exposures: Vec<Exposure>,
    /// Credit events.
    pub credit_events: Vec<CreditEvent>,
    /// Price observations.
    pub prices: Vec<PriceObservation>,
}

impl ExportData {
    /// Every row as a [`Batch`] (lines count rows in table order), ready for ingest.
    #[must_use]
    pub fn into_batch(self, source: &str) -> Batch {
        let records: Vec<Record> = self
            .firms
            .into_iter()
            .map(Record::from)
            .chain(self.statements.into_iter().map(Record::from))
            .chain(self.applications.into_iter().map(Record::from))
            .chain(self.exposures.into_iter().map(Record::from))
            .chain(self.credit_events.into_iter().map(Record::from))
            .chain(self.prices.into_iter().map(Record::from))
            .collect();
        let mut batch = Batch::from_records(records);
        batch.source = source.to_owned();
        batch
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PoolError + '_ {
    move |source| PoolError::Io { path: path.to_path_buf(), source }
}

fn format_error(path: &Path, message: impl Into<String>) -> PoolError {
    PoolError::Format { source_name: path.display().to_string(), message: message.into() }
}

fn pe<T, E: Into<PoolError>>(r: Result<T, E>) -> Result<T, PoolError> {
    r.map_err(Into::into)
}

fn enum_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const UNIX_EPOCH_CE: i32 = 719_163;

fn date32(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_CE
}

fn unit_text(u: Unit) -> &'static str {
    match u {
        Unit::One => "one",
        Unit::Thousand => "thousand",
        Unit::Million => "million",
    }
}

/// Exports `pool` as seen by `who` into `dir` (created; must be empty or missing).
///
/// # Errors
///
/// Access denied (export or a table's read permission), [`PoolError::Format`] when `dir` is
/// a non-empty directory or `row_group_rows` is 0, [`PoolError::Io`] or
/// [`PoolError::Parquet`] while writing, or any error of the pool.
pub fn export_parquet<P>(
    pool: &P,
    who: &Principal,
    dir: impl AsRef<Path>,
    options: &ExportOptions,
) -> Result<ExportManifest, PoolError>
where
    P: PoolRead + ?Sized,
    P::Error: Into<PoolError>,
{
    let dir = dir.as_ref();
    if options.row_group_rows == 0 {
        return Err(format_error(dir, "row_group_rows must be at least 1, got 0"));
    }
    if dir.is_file() {
        return Err(format_error(dir, "export target is a file, not a directory"));
    }
    if dir.is_dir() && fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        return Err(format_error(dir, "export directory is not empty"));
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    pe(pool.authorize(who, Permission::Export, "export", "parquet"))?;
    let key = options.pseudonymiser.as_ref();
    let tables: BTreeSet<EntityKind> = options.tables.iter().copied().collect();
    let as_of = options.as_of;
    let mut manifest = ExportManifest {
        format: FORMAT_NAME.into(),
        schema_version: EXPORT_SCHEMA_VERSION,
        writer: format!("finkit-pool {}", env!("CARGO_PKG_VERSION")),
        created_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        as_of,
        statements: options.statements,
        principal: who.name.clone(),
        role: who.role.as_str().to_owned(),
        pseudonymised: key.is_some(),
        sensitive_fields: "unknown".into(),
        tables: BTreeMap::new(),
    };
    fn pseudo_with<T: Pseudonymise>(key: Option<&Pseudonymiser>) -> impl Fn(T) -> T + '_ {
        move |x| match key {
            Some(k) => x.pseudonymise(k),
            None => x,
        }
    }

    // Firm ids are needed for statement versions and to pseudonymise instruments.
    let need_firms = tables.contains(&EntityKind::Firms)
        || (tables.contains(&EntityKind::Statements)
            && options.statements == StatementVersions::All)
        || (key.is_some() && tables.contains(&EntityKind::Prices));
    let firms = if need_firms { pe(pool.firms(who, &FirmFilter::all()))? } else { Vec::new() };
    let firm_ids: BTreeSet<String> = firms.iter().map(|f| f.id.to_string()).collect();

    if tables.contains(&EntityKind::Firms) {
        let out: Vec<Firm> = firms.iter().cloned().map(pseudo_with(key)).collect();
        manifest.sensitive_fields = if key.is_some() {
            "masked".into()
        } else if out.is_empty() {
            "unknown".into()
        } else if out.iter().any(|f| f.registration_number == MASK) {
            "masked".into()
        } else {
            "clear".into()
        };
        let t = write_table(dir, "firms", &out, None, options, firms_batch)?;
        manifest.tables.insert("firms".into(), t);
    }
    if tables.contains(&EntityKind::Statements) {
        let rows = match options.statements {
            StatementVersions::AsOf => {
                pe(pool.statements_as_of(who, as_of, &StatementQuery::all()))?
            }
            StatementVersions::All => {
                let mut all = Vec::new();
                for f in &firms {
                    all.extend(
                        pe(pool.statement_versions(who, &f.id))?
                            .into_iter()
                            .filter(|s| s.available_at <= as_of),
                    );
                }
                all
            }
        };
        let rows: Vec<FinancialStatement> = rows.into_iter().map(pseudo_with(key)).collect();
        let t = write_table(
            dir,
            "statements",
            &rows,
            Some(("period_end", |s: &FinancialStatement| s.period_end.year())),
            options,
            statements_batch,
        )?;
        manifest.tables.insert("statements".into(), t);
    }
    if tables.contains(&EntityKind::Applications) {
        let filter = ApplicationFilter { to: Some(as_of), ..ApplicationFilter::default() };
        let rows: Vec<LoanApplication> =
            pe(pool.applications(who, &filter))?.into_iter().map(pseudo_with(key)).collect();
        let t = write_table(
            dir,
            "applications",
            &rows,
            Some(("application_date", |a: &LoanApplication| a.application_date.year())),
            options,
            applications_batch,
        )?;
        manifest.tables.insert("applications".into(), t);
    }
    if tables.contains(&EntityKind::Exposures) {
        let rows: Vec<Exposure> =
            pe(pool.exposures(who))?.into_iter().map(pseudo_with(key)).collect();
        let t = write_table(dir, "exposures", &rows, None, options, exposures_batch)?;
        manifest.tables.insert("exposures".into(), t);
    }
    if tables.contains(&EntityKind::CreditEvents) {
        let rows: Vec<CreditEvent> = pe(pool.credit_events(who, None))?
            .into_iter()
            .filter(|x| x.date <= as_of)
            .map(pseudo_with(key))
            .collect();
        let t = write_table(
            dir,
            "credit_events",
            &rows,
            Some(("date", |x: &CreditEvent| x.date.year())),
            options,
            events_batch,
        )?;
        manifest.tables.insert("credit_events".into(), t);
    }
    if tables.contains(&EntityKind::Prices) {
        let mut rows = Vec::new();
        for instrument in pe(pool.instruments(who))? {
            let series = pe(pool.price_series(who, &instrument))?;
            // An instrument named after a firm would link the pseudonym back: rename it too.
            let shown = match key {
                Some(k) if firm_ids.contains(instrument.as_str()) => instrument
                    .as_str()
                    .parse::<FirmId>()
                    .ok()
                    .and_then(|f| k.pseudonym(&f).as_str().parse::<InstrumentId>().ok())
                    .ok_or_else(|| format_error(dir, "cannot pseudonymise an instrument id"))?,
                _ => instrument.clone(),
            };
            for (date, price) in series.dates().iter().zip(series.prices()) {
                if *date <= as_of {
                    rows.push(PriceObservation {
                        instrument: shown.clone(),
                        date: *date,
                        price: *price,
                    });
                }
            }
        }
        let t = write_table(
            dir,
            "prices",
            &rows,
            Some(("date", |p: &PriceObservation| p.date.year())),
            options,
            prices_batch,
        )?;
        manifest.tables.insert("prices".into(), t);
    }
    let path = dir.join(MANIFEST_FILE);
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|err| format_error(&path, err.to_string()))?;
    fs::write(&path, text).map_err(io(&path))?;
    Ok(manifest)
}

/// Column names whose values repeat a lot: dictionary-encoded; every other column is plain
/// (dictionaries of floats only cost time).
const DICTIONARY_COLUMNS: [&str; 12] = [
    "firm_id",
    "currency",
    "unit",
    "industry_scheme",
    "industry_code",
    "region",
    "product",
    "purpose",
    "sector",
    "rating",
    "kind",
    "instrument",
];

fn writer_properties(table: &str, options: &ExportOptions) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(options.row_group_rows))
        .set_created_by(format!("finkit-pool {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![
            KeyValue::new(
                "finkit.export_schema_version".to_owned(),
                EXPORT_SCHEMA_VERSION.to_string(),
            ),
            KeyValue::new("finkit.table".to_owned(), table.to_owned()),
        ]));
    for c in DICTIONARY_COLUMNS {
        b = b.set_column_dictionary_enabled(ColumnPath::from(c), true);
    }
    b.build()
}

type Partitioner<T> = Option<(&'static str, fn(&T) -> i32)>;

/// Writes one table: one file per partition (partitions written on parallel threads).
fn write_table<T: Sync>(
    root: &Path,
    table: &str,
    rows: &[T],
    partition: Partitioner<T>,
    options: &ExportOptions,
    to_batch: fn(&[&T]) -> Result<RecordBatch, PoolError>,
) -> Result<ExportTable, PoolError> {
    let mut parts: BTreeMap<Option<i32>, Vec<&T>> = BTreeMap::new();
    match partition {
        Some((_, year)) => {
            for r in rows {
                parts.entry(Some(year(r))).or_default().push(r);
            }
        }
        None => {
            parts.insert(None, rows.iter().collect());
        }
    }
    let jobs: Vec<(Option<i32>, Vec<&T>, String)> = parts
        .into_iter()
        .map(|(period, rows)| {
            let rel = match period {
                Some(y) => format!("{table}/period={y}/part-00000.parquet"),
                None => format!("{table}/part-00000.parquet"),
            };
            (period, rows, rel)
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from).max(1);
    let props = writer_properties(table, options);
    let results: Vec<Result<ExportFile, PoolError>> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for k in 0..threads.min(jobs.len()) {
            let (jobs, props) = (&jobs, &props);
            handles.push(scope.spawn(move || {
                let mut out = Vec::new();
                for (period, rows, rel) in jobs.iter().skip(k).step_by(threads) {
                    out.push(write_file(root, rel, rows, props, to_batch).map(|n| ExportFile {
                        path: rel.clone(),
                        period: *period,
                        rows: n,
                    }));
                }
                out
            }));
        }
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Err(format_error(root, "a parquet writer thread panicked"))]
                })
            })
            .collect()
    });
    let mut files = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if files.is_empty() {
        // An empty table still gets its directory, so readers find zero rows, not an error.
        fs::create_dir_all(root.join(table)).map_err(io(root))?;
    }
    Ok(ExportTable {
        rows: files.iter().map(|f| f.rows).sum(),
        partitioned_by: partition.map(|(c, _)| c.to_owned()),
        files,
    })
}

fn write_file<T>(
    root: &Path,
    rel: &str,
    rows: &[&T],
    props: &WriterProperties,
    to_batch: fn(&[&T]) -> Result<RecordBatch, PoolError>,
) -> Result<u64, PoolError> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let file = fs::File::create(&path).map_err(io(&path))?;
    let batch = to_batch(rows)?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props.clone())).db()?;
    writer.write(&batch).db()?;
    writer.close().db()?;
    Ok(rows.len() as u64)
}

fn field(name: &str, t: DataType, nullable: bool) -> Field {
    Field::new(name, t, nullable)
}

fn utf8(name: &str) -> Field {
    field(name, DataType::Utf8, false)
}

fn f64_field(name: &str) -> Field {
    field(name, DataType::Float64, false)
}

fn date_field(name: &str) -> Field {
    field(name, DataType::Date32, false)
}

/// The Arrow schema of a table (the partition column excluded).
#[must_use]
pub fn table_schema(kind: EntityKind) -> SchemaRef {
    let fields = match kind {
        EntityKind::Firms => vec![
            utf8("id"),
            utf8("name"),
            utf8("registration_number"),
            utf8("industry_scheme"),
            utf8("industry_code"),
            utf8("region"),
            date_field("founded"),
            field("employees", DataType::UInt32, false),
            field("high_tech_certified", DataType::Boolean, false),
            field("certification_date", DataType::Date32, true),
            f64_field("rd_expense"),
            f64_field("rd_staff_share"),
            field("patents_invention", DataType::UInt32, false),
            field("patents_utility_model", DataType::UInt32, false),
            field("patents_design", DataType::UInt32, false),
            field("software_copyrights", DataType::UInt32, false),
            f64_field("venture_funding"),
            field("contact_name", DataType::Utf8, true),
            field("contact_email", DataType::Utf8, true),
            field("contact_phone", DataType::Utf8, true),
        ],
        EntityKind::Statements => {
            let mut v = vec![
                utf8("firm_id"),
                date_field("period_end"),
                date_field("available_at"),
                utf8("currency"),
                utf8("unit"),
            ];
            v.extend(STATEMENT_AMOUNTS.iter().map(|(n, _)| f64_field(n)));
            v
        }
        EntityKind::Applications => vec![
            utf8("id"),
            utf8("firm_id"),
            date_field("application_date"),
            f64_field("amount"),
            utf8("currency"),
            f64_field("tenor"),
            utf8("product"),
            utf8("purpose"),
            utf8("collateral"),
            utf8("guarantees"),
        ],
        EntityKind::Exposures => vec![
            utf8("loan_id"),
            utf8("firm_id"),
            f64_field("pd"),
            f64_field("lgd"),
            f64_field("ead"),
            f64_field("maturity"),
            utf8("sector"),
            field("annual_sales", DataType::Float64, true),
            field("rating", DataType::Utf8, true),
            utf8("currency"),
        ],
        EntityKind::CreditEvents => vec![utf8("firm_id"), date_field("date"), utf8("kind")],
        EntityKind::Prices => vec![utf8("instrument"), date_field("date"), f64_field("price")],
    };
    Arc::new(Schema::new(fields))
}

type AmountField = (&'static str, fn(&FinancialStatement) -> f64);

/// The amount columns of statements, in order.
const STATEMENT_AMOUNTS: [AmountField; 17] = [
    ("cash", |s| s.cash),
    ("current_assets", |s| s.current_assets),
    ("total_assets", |s| s.total_assets),
    ("current_liabilities", |s| s.current_liabilities),
    ("total_liabilities", |s| s.total_liabilities),
    ("short_term_debt", |s| s.short_term_debt),
    ("long_term_debt", |s| s.long_term_debt),
    ("retained_earnings", |s| s.retained_earnings),
    ("book_equity", |s| s.book_equity),
    ("revenue", |s| s.revenue),
    ("ebit", |s| s.ebit),
    ("ebitda", |s| s.ebitda),
    ("interest_expense", |s| s.interest_expense),
    ("net_income", |s| s.net_income),
    ("rd_expense", |s| s.rd_expense),
    ("operating_cash_flow", |s| s.operating_cash_flow),
    ("capex", |s| s.capex),
];

fn strings<'a, T: 'a>(rows: &[&'a T], f: impl Fn(&'a T) -> &'a str) -> ArrayRef {
    Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
}

fn opt_strings<'a, T: 'a>(rows: &[&'a T], f: impl Fn(&'a T) -> Option<&'a str>) -> ArrayRef {
    Arc::new(rows.iter().map(|r| f(r)).collect::<StringArray>())
}

fn owned_strings<T>(rows: &[&T], f: impl Fn(&T) -> String) -> ArrayRef {
    Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
}

fn floats<T>(rows: &[&T], f: impl Fn(&T) -> f64) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| f(r))))
}

fn dates<T>(rows: &[&T], f: impl Fn(&T) -> NaiveDate) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| date32(f(r)))))
}

fn counts<T>(rows: &[&T], f: impl Fn(&T) -> u32) -> ArrayRef {
    Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| f(r))))
}

fn batch(kind: EntityKind, columns: Vec<ArrayRef>) -> Result<RecordBatch, PoolError> {
    RecordBatch::try_new(table_schema(kind), columns).db()
}

fn firms_batch(rows: &[&Firm]) -> Result<RecordBatch, PoolError> {
    batch(
        EntityKind::Firms,
        vec![
            strings(rows, |f| f.id.as_str()),
            strings(rows, |f| f.name.as_str()),
            strings(rows, |f| f.registration_number.as_str()),
            owned_strings(rows, |f| enum_text(&f.industry.scheme)),
            strings(rows, |f| f.industry.code.as_str()),
            strings(rows, |f| f.region.as_str()),
            dates(rows, |f| f.founded),
            counts(rows, |f| f.employees),
            Arc::new(
                rows.iter().map(|f| Some(f.tech.high_tech_certified)).collect::<BooleanArray>(),
            ),
            Arc::new(
                rows.iter().map(|f| f.tech.certification_date.map(date32)).collect::<Date32Array>(),
            ),
            floats(rows, |f| f.tech.rd_expense.get()),
            floats(rows, |f| f.tech.rd_staff_share.get()),
            counts(rows, |f| f.tech.patents.invention),
            counts(rows, |f| f.tech.patents.utility_model),
            counts(rows, |f| f.tech.patents.design),
            counts(rows, |f| f.tech.software_copyrights),
            floats(rows, |f| f.tech.venture_funding.get()),
            opt_strings(rows, |f| f.contact_name.as_deref()),
            opt_strings(rows, |f| f.contact_email.as_deref()),
            opt_strings(rows, |f| f.contact_phone.as_deref()),
        ],
    )
}

fn statements_batch(rows: &[&FinancialStatement]) -> Result<RecordBatch, PoolError> {
    let mut columns = vec![
        strings(rows, |s| s.firm_id.as_str()),
        dates(rows, |s| s.period_end),
        dates(rows, |s| s.available_at),
        strings(rows, |s| s.currency.as_str()),
        strings(rows, |s| unit_text(s.unit)),
    ];
    columns.extend(STATEMENT_AMOUNTS.iter().map(|(_, f)| floats(rows, f)));
    batch(EntityKind::Statements, columns)
}

fn applications_batch(rows: &[&LoanApplication]) -> Result<RecordBatch, PoolError> {
    let mut collateral = Vec::with_capacity(rows.len());
    let mut guarantees = Vec::with_capacity(rows.len());
    for a in rows {
        let json = |v: Result<String, serde_json::Error>| {
            v.map_err(|e| PoolError::Corrupt {
                entity: "application",
                key: a.id.to_string(),
                message: e.to_string(),
            })
        };
        collateral.push(Some(json(serde_json::to_string(&a.collateral))?));
        guarantees.push(Some(json(serde_json::to_string(&a.guarantees))?));
    }
    batch(
        EntityKind::Applications,
        vec![
            strings(rows, |a| a.id.as_str()),
            strings(rows, |a| a.firm_id.as_str()),
            dates(rows, |a| a.application_date),
            floats(rows, |a| a.amount.get()),
            strings(rows, |a| a.currency.as_str()),
            floats(rows, |a| a.tenor.get()),
            owned_strings(rows, |a| enum_text(&a.product)),
            strings(rows, |a| a.purpose.as_str()),
            Arc::new(collateral.into_iter().collect::<StringArray>()),
            Arc::new(guarantees.into_iter().collect::<StringArray>()),
        ],
    )
}

fn exposures_batch(rows: &[&Exposure]) -> Result<RecordBatch, PoolError> {
    batch(
        EntityKind::Exposures,
        vec![
            strings(rows, |e| e.loan_id.as_str()),
            strings(rows, |e| e.firm_id.as_str()),
            floats(rows, |e| e.pd.get()),
            floats(rows, |e| e.lgd.get()),
            floats(rows, |e| e.ead.get()),
            floats(rows, |e| e.maturity.get()),
            strings(rows, |e| e.sector.as_str()),
            Arc::new(
                rows.iter().map(|e| e.annual_sales.map(Amount::get)).collect::<Float64Array>(),
            ),
            opt_strings(rows, |e| e.rating.as_deref()),
            strings(rows, |e| e.currency.as_str()),
        ],
    )
}

fn events_batch(rows: &[&CreditEvent]) -> Result<RecordBatch, PoolError> {
    batch(
        EntityKind::CreditEvents,
        vec![
            strings(rows, |e| e.firm_id.as_str()),
            dates(rows, |e| e.date),
            owned_strings(rows, |e| enum_text(&e.kind)),
        ],
    )
}

fn prices_batch(rows: &[&PriceObservation]) -> Result<RecordBatch, PoolError> {
    batch(
        EntityKind::Prices,
        vec![
            strings(rows, |p| p.instrument.as_str()),
            dates(rows, |p| p.date),
            floats(rows, |p| p.price),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// Reading back.

/// Reads and checks an export's manifest.
///
/// # Errors
///
/// [`PoolError::Io`] when it cannot be read; [`PoolError::Format`] when it is not a finkit
/// export or has a newer schema version than [`EXPORT_SCHEMA_VERSION`].
pub fn read_manifest(dir: impl AsRef<Path>) -> Result<ExportManifest, PoolError> {
    let path = dir.as_ref().join(MANIFEST_FILE);
    let text = finkit_schema::limits::read_document(&path).map_err(io(&path))?;
    let manifest: ExportManifest = serde_json::from_str(&text)
        .map_err(|e| format_error(&path, format!("not a finkit export manifest: {e}")))?;
    if manifest.format != FORMAT_NAME {
        return Err(format_error(&path, format!("unknown format {:?}", manifest.format)));
    }
    if manifest.schema_version > EXPORT_SCHEMA_VERSION || manifest.schema_version == 0 {
        return Err(format_error(
            &path,
            format!(
                "export schema version {} is not supported (this build reads 1 to {EXPORT_SCHEMA_VERSION})",
                manifest.schema_version
            ),
        ));
    }
    Ok(manifest)
}

/// Reads every table of an export (the files listed in its manifest), validating column names
/// and types against [`table_schema`]. Values are not validated here: [`import_parquet`]
/// ingests them through the pool's validation.
///
/// # Errors
///
/// As [`read_manifest`]; [`PoolError::Format`] for a missing or mistyped column, an unknown
/// enum name or an out-of-range date; [`PoolError::Parquet`] for an unreadable file.
pub fn read_export(dir: impl AsRef<Path>) -> Result<(ExportManifest, ExportData), PoolError> {
    let dir = dir.as_ref();
    let manifest = read_manifest(dir)?;
    let mut data = ExportData::default();
    for (name, table) in &manifest.tables {
        let kind = EntityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| format_error(dir, format!("unknown table {name:?} in the manifest")))?;
        for file in &table.files {
            if file.path.split('/').any(|p| p == ".." || p.is_empty()) {
                return Err(format_error(dir, format!("unsafe file path {:?}", file.path)));
            }
            let path: PathBuf = dir.join(&file.path);
            let handle = fs::File::open(&path).map_err(io(&path))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(handle).db()?.build().db()?;
            let mut rows = 0u64;
            for b in reader {
                let b = b.map_err(parquet::errors::ParquetError::from).db()?;
                rows += b.num_rows() as u64;
                let cols = Columns { batch: &b, path: &path };
                match kind {
                    EntityKind::Firms => data.firms.extend(cols.firms()?),
                    EntityKind::Statements => data.statements.extend(cols.statements()?),
                    EntityKind::Applications => data.applications.extend(cols.applications()?),
                    EntityKind::Exposures => data.exposures.extend(cols.exposures()?),
                    EntityKind::CreditEvents => data.credit_events.extend(cols.events()?),
                    EntityKind::Prices => data.prices.extend(cols.prices()?),
                }
            }
            if rows != file.rows {
                return Err(format_error(
                    &path,
                    format!("file holds {rows} rows, the manifest says {}", file.rows),
                ));
            }
        }
    }
    Ok((manifest, data))
}

/// Reads an export and ingests it into `pool` as `who`, in one batch (all or nothing in
/// [`IngestMode::Strict`]), through the pool's validation, key and permission rules.
///
/// # Errors
///
/// As [`read_export`], or the pool's ingest error (access denied, rejected rows in strict mode).
pub fn import_parquet<P>(
    pool: &P,
    who: &Principal,
    dir: impl AsRef<Path>,
    mode: IngestMode,
) -> Result<IngestReport, PoolError>
where
    P: PoolWrite + ?Sized,
    P::Error: Into<PoolError>,
{
    let dir = dir.as_ref();
    let (_, data) = read_export(dir)?;
    let batch = data.into_batch(&dir.display().to_string());
    pool.ingest(who, &batch, mode).map_err(Into::into)
}

/// Typed access to the columns of one record batch.
struct Columns<'a> {
    batch: &'a RecordBatch,
    path: &'a Path,
}

macro_rules! column_getter {
    ($name:ident, $array:ty, $dt:expr) => {
        fn $name(&self, name: &str) -> Result<&'a $array, PoolError> {
            let col = self
                .batch
                .column_by_name(name)
                .ok_or_else(|| format_error(self.path, format!("missing column {name:?}")))?;
            if col.data_type() != &$dt {
                return Err(format_error(
                    self.path,
                    format!("column {name:?} has type {}, expected {}", col.data_type(), $dt),
                ));
            }
            col.as_any().downcast_ref::<$array>().ok_or_else(|| {
                format_error(self.path, format!("column {name:?} cannot be read as {}", $dt))
            })
        }
    };
}

impl<'a> Columns<'a> {
    column_getter!(utf8, StringArray, DataType::Utf8);
    column_getter!(f64s, Float64Array, DataType::Float64);
    column_getter!(date32s, Date32Array, DataType::Date32);
    column_getter!(u32s, UInt32Array, DataType::UInt32);
    column_getter!(bools, BooleanArray, DataType::Boolean);

    fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn bad(&self, column: &str, row: usize, message: impl std::fmt::Display) -> PoolError {
        format_error(self.path, format!("row {row}, column {column}: {message}"))
    }

    fn text(&self, a: &StringArray, column: &str, i: usize) -> Result<String, PoolError> {
        if a.is_null(i) {
            return Err(self.bad(column, i, "null in a non-null column"));
        }
        Ok(a.value(i).to_owned())
    }

    fn opt_text(a: &StringArray, i: usize) -> Option<String> {
        (!a.is_null(i)).then(|| a.value(i).to_owned())
    }

    fn float(&self, a: &Float64Array, column: &str, i: usize) -> Result<f64, PoolError> {
        if a.is_null(i) {
            return Err(self.bad(column, i, "null in a non-null column"));
        }
        Ok(a.value(i))
    }

    fn date(&self, a: &Date32Array, column: &str, i: usize) -> Result<NaiveDate, PoolError> {
        if a.is_null(i) {
            return Err(self.bad(column, i, "null in a non-null column"));
        }
        self.date_value(a.value(i), column, i)
    }

    fn date_value(&self, days: i32, column: &str, i: usize) -> Result<NaiveDate, PoolError> {
        days.checked_add(UNIX_EPOCH_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| self.bad(column, i, format!("date out of range: {days}")))
    }

    fn count(&self, a: &UInt32Array, column: &str, i: usize) -> Result<u32, PoolError> {
        if a.is_null(i) {
            return Err(self.bad(column, i, "null in a non-null column"));
        }
        Ok(a.value(i))
    }

    fn parsed<T, E: std::fmt::Display>(
        &self,
        r: Result<T, E>,
        column: &str,
        i: usize,
    ) -> Result<T, PoolError> {
        r.map_err(|e| self.bad(column, i, e))
    }

    fn enum_value<T: serde::de::DeserializeOwned>(
        &self,
        text: String,
        column: &str,
        i: usize,
    ) -> Result<T, PoolError> {
        serde_json::from_value(serde_json::Value::String(text)).map_err(|e| self.bad(column, i, e))
    }

    fn firms(&self) -> Result<Vec<Firm>, PoolError> {
        let (id, name, reg) =
            (self.utf8("id")?, self.utf8("name")?, self.utf8("registration_number")?);
        let (scheme, code, region) =
            (self.utf8("industry_scheme")?, self.utf8("industry_code")?, self.utf8("region")?);
        let (founded, employees) = (self.date32s("founded")?, self.u32s("employees")?);
        let (certified, cert_date) =
            (self.bools("high_tech_certified")?, self.date32s("certification_date")?);
        let (rd, rd_share, venture) =
            (self.f64s("rd_expense")?, self.f64s("rd_staff_share")?, self.f64s("venture_funding")?);
        let (inv, util, design, soft) = (
            self.u32s("patents_invention")?,
            self.u32s("patents_utility_model")?,
            self.u32s("patents_design")?,
            self.u32s("software_copyrights")?,
        );
        let (cname, email, phone) =
            (self.utf8("contact_name")?, self.utf8("contact_email")?, self.utf8("contact_phone")?);
        (0..self.rows())
            .map(|i| {
                if certified.is_null(i) {
                    return Err(self.bad("high_tech_certified", i, "null in a non-null column"));
                }
                Ok(Firm {
                    id: self.parsed(FirmId::new(self.text(id, "id", i)?), "id", i)?,
                    name: self.text(name, "name", i)?,
                    registration_number: self.text(reg, "registration_number", i)?,
                    industry: IndustryCode {
                        scheme: self.enum_value(
                            self.text(scheme, "industry_scheme", i)?,
                            "industry_scheme",
                            i,
                        )?,
                        code: self.text(code, "industry_code", i)?,
                    },
                    region: self.text(region, "region", i)?,
                    founded: self.date(founded, "founded", i)?,
                    employees: self.count(employees, "employees", i)?,
                    tech: TechProfile {
                        high_tech_certified: certified.value(i),
                        certification_date: if cert_date.is_null(i) {
                            None
                        } else {
                            Some(self.date_value(cert_date.value(i), "certification_date", i)?)
                        },
                        rd_expense: self.parsed(
                            Amount::new(self.float(rd, "rd_expense", i)?),
                            "rd_expense",
                            i,
                        )?,
                        rd_staff_share: self.parsed(
                            Probability::new(self.float(rd_share, "rd_staff_share", i)?),
                            "rd_staff_share",
                            i,
                        )?,
                        patents: Patents {
                            invention: self.count(inv, "patents_invention", i)?,
                            utility_model: self.count(util, "patents_utility_model", i)?,
                            design: self.count(design, "patents_design", i)?,
                        },
                        software_copyrights: self.count(soft, "software_copyrights", i)?,
                        venture_funding: self.parsed(
                            Amount::new(self.float(venture, "venture_funding", i)?),
                            "venture_funding",
                            i,
                        )?,
                    },
                    contact_name: Self::opt_text(cname, i),
                    contact_email: Self::opt_text(email, i),
                    contact_phone: Self::opt_text(phone, i),
                })
            })
            .collect()
    }

    fn statements(&self) -> Result<Vec<FinancialStatement>, PoolError> {
        let firm = self.utf8("firm_id")?;
        let (period, available) = (self.date32s("period_end")?, self.date32s("available_at")?);
        let (currency, unit) = (self.utf8("currency")?, self.utf8("unit")?);
        let amounts: Vec<&Float64Array> =
            STATEMENT_AMOUNTS.iter().map(|(n, _)| self.f64s(n)).collect::<Result<_, _>>()?;
        (0..self.rows())
            .map(|i| {
                let a = |k: usize| self.float(amounts[k], STATEMENT_AMOUNTS[k].0, i);
                let unit = match self.text(unit, "unit", i)?.as_str() {
                    "one" => Unit::One,
                    "thousand" => Unit::Thousand,
                    "million" => Unit::Million,
                    other => return Err(self.bad("unit", i, format!("unknown unit {other:?}"))),
                };
                Ok(FinancialStatement {
                    firm_id: self.parsed(
                        FirmId::new(self.text(firm, "firm_id", i)?),
                        "firm_id",
                        i,
                    )?,
                    period_end: self.date(period, "period_end", i)?,
                    available_at: self.date(available, "available_at", i)?,
                    currency: self.parsed(
                        Currency::new(&self.text(currency, "currency", i)?),
                        "currency",
                        i,
                    )?,
                    unit,
                    cash: a(0)?,
                    current_assets: a(1)?,
                    total_assets: a(2)?,
                    current_liabilities: a(3)?,
                    total_liabilities: a(4)?,
                    short_term_debt: a(5)?,
                    long_term_debt: a(6)?,
                    retained_earnings: a(7)?,
                    book_equity: a(8)?,
                    revenue: a(9)?,
                    ebit: a(10)?,
                    ebitda: a(11)?,
                    interest_expense: a(12)?,
                    net_income: a(13)?,
                    rd_expense: a(14)?,
                    operating_cash_flow: a(15)?,
                    capex: a(16)?,
                })
            })
            .collect()
    }

    fn applications(&self) -> Result<Vec<LoanApplication>, PoolError> {
        let (id, firm, date) =
            (self.utf8("id")?, self.utf8("firm_id")?, self.date32s("application_date")?);
        let (amount, currency, tenor) =
            (self.f64s("amount")?, self.utf8("currency")?, self.f64s("tenor")?);
        let (product, purpose) = (self.utf8("product")?, self.utf8("purpose")?);
        let (collateral, guarantees) = (self.utf8("collateral")?, self.utf8("guarantees")?);
        (0..self.rows())
            .map(|i| {
                Ok(LoanApplication {
                    id: self.parsed(ApplicationId::new(self.text(id, "id", i)?), "id", i)?,
                    firm_id: self.parsed(
                        FirmId::new(self.text(firm, "firm_id", i)?),
                        "firm_id",
                        i,
                    )?,
                    application_date: self.date(date, "application_date", i)?,
                    amount: self.parsed(
                        Amount::new(self.float(amount, "amount", i)?),
                        "amount",
                        i,
                    )?,
                    currency: self.parsed(
                        Currency::new(&self.text(currency, "currency", i)?),
                        "currency",
                        i,
                    )?,
                    tenor: self.parsed(
                        Maturity::new(self.float(tenor, "tenor", i)?),
                        "tenor",
                        i,
                    )?,
                    product: self.enum_value(self.text(product, "product", i)?, "product", i)?,
                    purpose: self.text(purpose, "purpose", i)?,
                    collateral: self.parsed(
                        serde_json::from_str(&self.text(collateral, "collateral", i)?),
                        "collateral",
                        i,
                    )?,
                    guarantees: self.parsed(
                        serde_json::from_str(&self.text(guarantees, "guarantees", i)?),
                        "guarantees",
                        i,
                    )?,
                })
            })
            .collect()
    }

    fn exposures(&self) -> Result<Vec<Exposure>, PoolError> {
        let (loan, firm) = (self.utf8("loan_id")?, self.utf8("firm_id")?);
        let (pd, lgd, ead, maturity) =
            (self.f64s("pd")?, self.f64s("lgd")?, self.f64s("ead")?, self.f64s("maturity")?);
        let (sector, sales) = (self.utf8("sector")?, self.f64s("annual_sales")?);
        let (rating, currency) = (self.utf8("rating")?, self.utf8("currency")?);
        (0..self.rows())
            .map(|i| {
                Ok(Exposure {
                    loan_id: self.parsed(
                        LoanId::new(self.text(loan, "loan_id", i)?),
                        "loan_id",
                        i,
                    )?,
                    firm_id: self.parsed(
                        FirmId::new(self.text(firm, "firm_id", i)?),
                        "firm_id",
                        i,
                    )?,
                    pd: self.parsed(Probability::new(self.float(pd, "pd", i)?), "pd", i)?,
                    lgd: self.parsed(Lgd::new(self.float(lgd, "lgd", i)?), "lgd", i)?,
                    ead: self.parsed(Amount::new(self.float(ead, "ead", i)?), "ead", i)?,
                    maturity: self.parsed(
                        Maturity::new(self.float(maturity, "maturity", i)?),
                        "maturity",
                        i,
                    )?,
                    sector: self.text(sector, "sector", i)?,
                    annual_sales: if sales.is_null(i) {
                        None
                    } else {
                        Some(self.parsed(Amount::new(sales.value(i)), "annual_sales", i)?)
                    },
                    rating: Self::opt_text(rating, i),
                    currency: self.parsed(
                        Currency::new(&self.text(currency, "currency", i)?),
                        "currency",
                        i,
                    )?,
                })
            })
            .collect()
    }

    fn events(&self) -> Result<Vec<CreditEvent>, PoolError> {
        let (firm, date, kind) = (self.utf8("firm_id")?, self.date32s("date")?, self.utf8("kind")?);
        (0..self.rows())
            .map(|i| {
                Ok(CreditEvent {
                    firm_id: self.parsed(
                        FirmId::new(self.text(firm, "firm_id", i)?),
                        "firm_id",
                        i,
                    )?,
                    date: self.date(date, "date", i)?,
                    kind: self.enum_value(self.text(kind, "kind", i)?, "kind", i)?,
                })
            })
            .collect()
    }

    fn prices(&self) -> Result<Vec<PriceObservation>, PoolError> {
        let (instrument, date, price) =
            (self.utf8("instrument")?, self.date32s("date")?, self.f64s("price")?);
        (0..self.rows())
            .map(|i| {
                Ok(PriceObservation {
                    instrument: self.parsed(
                        InstrumentId::new(self.text(instrument, "instrument", i)?),
                        "instrument",
                        i,
                    )?,
                    date: self.date(date, "date", i)?,
                    price: self.float(price, "price", i)?,
                })
            })
            .collect()
    }
}

/// Writes statements (already read and, if wanted, pseudonymised) as the `statements` table
/// under `dir`, partitioned by year of `period_end`; the writer used by [`export_parquet`],
/// exposed for benchmarks and bulk pipelines. Writes no manifest.
///
/// # Errors
///
/// [`PoolError::Io`] or [`PoolError::Parquet`].
pub fn write_statements(
    dir: impl AsRef<Path>,
    statements: &[FinancialStatement],
    options: &ExportOptions,
) -> Result<ExportTable, PoolError> {
    write_table(
        dir.as_ref(),
        "statements",
        statements,
        Some(("period_end", |s: &FinancialStatement| s.period_end.year())),
        options,
        statements_batch,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date32_counts_days_from_the_unix_epoch() {
        assert_eq!(date32(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()), 0);
        assert_eq!(date32(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()), 19_782);
    }

    #[test]
    fn schemas_match_the_documented_column_counts() {
        let n = |k| table_schema(k).fields().len();
        assert_eq!(n(EntityKind::Firms), 20);
        assert_eq!(n(EntityKind::Statements), 22);
        assert_eq!(n(EntityKind::Applications), 10);
        assert_eq!(n(EntityKind::Exposures), 10);
        assert_eq!(n(EntityKind::CreditEvents), 3);
        assert_eq!(n(EntityKind::Prices), 3);
    }
}
