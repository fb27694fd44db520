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
    Array, ArrayRef, BooleanArray, BooleanBuilder, Date32Array, Date32Builder, Float64Array,
    Float64Builder, StringArray, StringBuilder, UInt32Array, UInt32Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::{Datelike, NaiveDate};
use finkit_schema::{
    CreditEvent, Exposure, FinancialStatement, Firm, FirmId, InstrumentId, LoanApplication,
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
use crate::table::{Cell, Column, ColumnType, Table, Tabular};
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

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const UNIX_EPOCH_CE: i32 = 719_163;

fn date32(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_CE
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
        let t = write_table(dir, "firms", &out, None, options, encode::<Firm>)?;
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
            encode::<FinancialStatement>,
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
            encode::<LoanApplication>,
        )?;
        manifest.tables.insert("applications".into(), t);
    }
    if tables.contains(&EntityKind::Exposures) {
        let rows: Vec<Exposure> =
            pe(pool.exposures(who))?.into_iter().map(pseudo_with(key)).collect();
        let t = write_table(dir, "exposures", &rows, None, options, encode::<Exposure>)?;
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
            encode::<CreditEvent>,
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
            encode::<PriceObservation>,
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

/// The Arrow type of a column type: text, codes and JSON as `Utf8`, dates as `Date32`.
fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Date => DataType::Date32,
        ColumnType::Float => DataType::Float64,
        ColumnType::Count => DataType::UInt32,
        ColumnType::Flag => DataType::Boolean,
        _ => DataType::Utf8,
    }
}

/// The Arrow schema of a table (the partition column excluded), from its descriptor
/// ([`Table`]): the same columns, in the same order, with the same nullability.
#[must_use]
pub fn table_schema(kind: EntityKind) -> SchemaRef {
    schema_of(Table::of(kind))
}

fn schema_of(table: &Table) -> SchemaRef {
    let fields: Vec<Field> =
        table.columns.iter().map(|c| Field::new(c.name, arrow_type(c.ty), c.nullable)).collect();
    Arc::new(Schema::new(fields))
}

/// One column being built, in its column's Arrow type.
enum ArrowBuilder {
    Text(StringBuilder),
    Date(Date32Builder),
    Float(Float64Builder),
    Count(UInt32Builder),
    Flag(BooleanBuilder),
}

impl ArrowBuilder {
    fn of(ty: ColumnType, rows: usize) -> ArrowBuilder {
        match ty {
            ColumnType::Date => ArrowBuilder::Date(Date32Builder::with_capacity(rows)),
            ColumnType::Float => ArrowBuilder::Float(Float64Builder::with_capacity(rows)),
            ColumnType::Count => ArrowBuilder::Count(UInt32Builder::with_capacity(rows)),
            ColumnType::Flag => ArrowBuilder::Flag(BooleanBuilder::with_capacity(rows)),
            _ => ArrowBuilder::Text(StringBuilder::new()),
        }
    }

    /// Appends a cell; `false` when it does not fit the column.
    fn push(&mut self, cell: &Cell) -> bool {
        match (self, cell) {
            (ArrowBuilder::Text(b), Cell::Null) => b.append_null(),
            (ArrowBuilder::Date(b), Cell::Null) => b.append_null(),
            (ArrowBuilder::Float(b), Cell::Null) => b.append_null(),
            (ArrowBuilder::Count(b), Cell::Null) => b.append_null(),
            (ArrowBuilder::Flag(b), Cell::Null) => b.append_null(),
            (ArrowBuilder::Text(b), Cell::Text(t)) => b.append_value(t),
            (ArrowBuilder::Date(b), Cell::Date(d)) => b.append_value(date32(*d)),
            (ArrowBuilder::Float(b), Cell::Float(x)) => b.append_value(*x),
            (ArrowBuilder::Count(b), Cell::Count(n)) => b.append_value(*n),
            (ArrowBuilder::Flag(b), Cell::Flag(v)) => b.append_value(*v),
            _ => return false,
        }
        true
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ArrowBuilder::Text(b) => Arc::new(b.finish()),
            ArrowBuilder::Date(b) => Arc::new(b.finish()),
            ArrowBuilder::Float(b) => Arc::new(b.finish()),
            ArrowBuilder::Count(b) => Arc::new(b.finish()),
            ArrowBuilder::Flag(b) => Arc::new(b.finish()),
        }
    }
}

/// A record batch of any entity, through its descriptor: each record's cells are appended to
/// one Arrow builder per column, so memory is the batch's arrays plus one row of cells.
fn encode<T: Tabular>(rows: &[&T]) -> Result<RecordBatch, PoolError> {
    let table = T::TABLE;
    let bad = |column: &str, message: String| PoolError::Corrupt {
        entity: table.entity,
        key: column.to_owned(),
        message,
    };
    let mut builders: Vec<ArrowBuilder> =
        table.columns.iter().map(|c| ArrowBuilder::of(c.ty, rows.len())).collect();
    for row in rows {
        let cells = row.to_cells().map_err(|e| bad(e.column, e.reason))?;
        if cells.len() != table.columns.len() {
            return Err(bad(
                table.table,
                format!("{} cells for the {} columns", cells.len(), table.columns.len()),
            ));
        }
        for ((builder, cell), column) in builders.iter_mut().zip(&cells).zip(table.columns) {
            if !builder.push(cell) {
                return Err(bad(column.name, format!("{cell:?} does not fit the column")));
            }
        }
    }
    let columns: Vec<ArrayRef> = builders.iter_mut().map(ArrowBuilder::finish).collect();
    RecordBatch::try_new(schema_of(table), columns).db()
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
                    EntityKind::Firms => data.firms.extend(cols.records::<Firm>()?),
                    EntityKind::Statements => {
                        data.statements.extend(cols.records::<FinancialStatement>()?)
                    }
                    EntityKind::Applications => {
                        data.applications.extend(cols.records::<LoanApplication>()?)
                    }
                    EntityKind::Exposures => data.exposures.extend(cols.records::<Exposure>()?),
                    EntityKind::CreditEvents => {
                        data.credit_events.extend(cols.records::<CreditEvent>()?)
                    }
                    EntityKind::Prices => data.prices.extend(cols.records::<PriceObservation>()?),
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

    /// The column of a descriptor's column, checked against its Arrow type.
    fn array(&self, column: &Column) -> Result<ArrowColumn<'a>, PoolError> {
        Ok(match column.ty {
            ColumnType::Date => ArrowColumn::Date(self.date32s(column.name)?),
            ColumnType::Float => ArrowColumn::Float(self.f64s(column.name)?),
            ColumnType::Count => ArrowColumn::Count(self.u32s(column.name)?),
            ColumnType::Flag => ArrowColumn::Flag(self.bools(column.name)?),
            _ => ArrowColumn::Text(self.utf8(column.name)?),
        })
    }

    /// Every row of the batch as a record, through the entity's descriptor: one decoder for
    /// every table; each value is checked as the SQL backends check it.
    fn records<T: Tabular>(&self) -> Result<Vec<T>, PoolError> {
        let arrays: Vec<ArrowColumn<'a>> =
            T::TABLE.columns.iter().map(|c| self.array(c)).collect::<Result<_, _>>()?;
        (0..self.rows())
            .map(|i| {
                let mut cells = Vec::with_capacity(arrays.len());
                for (array, column) in arrays.iter().zip(T::TABLE.columns) {
                    cells.push(array.cell(i).map_err(|m| self.bad(column.name, i, m))?);
                }
                T::from_cells(cells).map_err(|errors| {
                    let message =
                        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                    format_error(self.path, format!("row {i}: {message}"))
                })
            })
            .collect()
    }
}

/// One Arrow column of a known type.
enum ArrowColumn<'a> {
    Text(&'a StringArray),
    Date(&'a Date32Array),
    Float(&'a Float64Array),
    Count(&'a UInt32Array),
    Flag(&'a BooleanArray),
}

impl ArrowColumn<'_> {
    fn cell(&self, i: usize) -> Result<Cell, String> {
        let null = match self {
            ArrowColumn::Text(a) => a.is_null(i),
            ArrowColumn::Date(a) => a.is_null(i),
            ArrowColumn::Float(a) => a.is_null(i),
            ArrowColumn::Count(a) => a.is_null(i),
            ArrowColumn::Flag(a) => a.is_null(i),
        };
        if null {
            return Ok(Cell::Null);
        }
        Ok(match self {
            ArrowColumn::Text(a) => Cell::Text(a.value(i).to_owned()),
            ArrowColumn::Date(a) => {
                let days = a.value(i);
                Cell::Date(
                    days.checked_add(UNIX_EPOCH_CE)
                        .and_then(NaiveDate::from_num_days_from_ce_opt)
                        .ok_or_else(|| format!("date out of range: {days}"))?,
                )
            }
            ArrowColumn::Float(a) => Cell::Float(a.value(i)),
            ArrowColumn::Count(a) => Cell::Count(a.value(i)),
            ArrowColumn::Flag(a) => Cell::Flag(a.value(i)),
        })
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
        encode::<FinancialStatement>,
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
