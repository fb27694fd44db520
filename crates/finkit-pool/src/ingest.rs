//! Batches from CSV and JSON, row-level validation, and the report of every rejected row.
//!
//! # CSV layouts
//!
//! One file per entity kind, comma-separated, with a header row (line 1). Columns are matched by
//! name and may come in any order. A column not listed below, or a listed column missing from
//! the header, makes the whole file a [`PoolError::Format`] error (nothing is silently dropped).
//! Columns marked *optional* may be left out of the header; an empty cell in them means "none".
//! Dates are `YYYY-MM-DD`; booleans are `true`/`false`; numbers use `.` as the decimal point with
//! no thousands separator or surrounding spaces; enums use the snake_case names of
//! finkit-schema (`nace`, `term_loan`, `past_due90`, `thousand`, ...). No value is trimmed,
//! rounded or otherwise coerced: a cell that does not parse rejects its row.
//!
//! | kind | columns |
//! |---|---|
//! | firms | `id, name, registration_number, industry_scheme, industry_code, region, founded, employees, high_tech_certified, certification_date` (optional), `rd_expense, rd_staff_share, patents_invention, patents_utility_model, patents_design, software_copyrights, venture_funding, contact_name, contact_email, contact_phone` (the last three optional) — the nested [`finkit_schema::TechProfile`] is flattened |
//! | statements | `firm_id, period_end, available_at, currency, unit, cash, current_assets, total_assets, current_liabilities, total_liabilities, short_term_debt, long_term_debt, retained_earnings, book_equity, revenue, ebit, ebitda, interest_expense, net_income, rd_expense, operating_cash_flow, capex` |
//! | applications | `id, firm_id, application_date, amount, currency, tenor, product, purpose, collateral, guarantees` — the last two optional, each a JSON array in one cell, e.g. `[{"kind":"real_estate","value":250000}]` and `[{"kind":"personal","guarantor":"Li Wei","coverage":0.5}]` |
//! | exposures | `loan_id, firm_id, pd, lgd, ead, maturity, sector, annual_sales, rating, currency` (`annual_sales` and `rating` optional) |
//! | credit_events | `firm_id, date, kind` |
//! | prices | `instrument, date, price` (one observation per row) |
//!
//! # JSON
//!
//! Either one JSON array of objects or JSON Lines (one object per line). Objects have the serde
//! form of the finkit-schema entity (a firm's `tech` and an application's `collateral` stay
//! nested); prices are `{"instrument", "date", "price"}` observations. The line reported for a
//! bad element is the line where the element starts.
//!
//! # Rows and lines
//!
//! `line` is the 1-based line in the input (CSV header = line 1; a quoted multi-line cell counts
//! from the row's first line). A row breaking several rules appears once per broken rule.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::num::NonZeroUsize;
use std::path::Path;

use chrono::NaiveDate;
use finkit_schema::limits::{BoundedReader, LimitExceeded, limit_exceeded};
use finkit_schema::{CreditEvent, Exposure, FinancialStatement, Firm, FirmId, LoanApplication};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::PoolError;
use crate::record::{EntityKind, PriceObservation, Record};
use crate::table::{Cell, Column, ColumnType, Table, record_from_cells};

/// How a batch with rejected rows is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestMode {
    /// All or nothing (the default): one rejected row and nothing is committed.
    #[default]
    Strict,
    /// Exactly the valid rows are committed; the report lists the others.
    Lenient,
}

/// One problem with one input row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RejectedRow {
    /// 1-based line in the input.
    pub line: u64,
    /// The field (column or JSON path) at fault, or the key fields joined by `+`, or empty when
    /// the row as a whole is at fault.
    pub field: String,
    /// Why, with the offending value.
    pub reason: String,
}

impl RejectedRow {
    /// A rejected row.
    pub fn new(line: u64, field: impl Into<String>, reason: impl Into<String>) -> Self {
        RejectedRow { line, field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for RejectedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, field {}: {}", self.line, self.field, self.reason)
        }
    }
}

/// The outcome of an ingest: `{"accepted": n, "rejected": [{"line", "field", "reason"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IngestReport {
    /// Rows committed by this batch, counting rows that were already stored with identical
    /// values (re-ingest is idempotent). Zero when a strict batch was rejected.
    pub accepted: usize,
    /// Every problem of every rejected row, sorted by line.
    pub rejected: Vec<RejectedRow>,
    /// Of the accepted rows, how many were already stored identically (not serialised).
    #[serde(skip)]
    pub unchanged: usize,
}

impl IngestReport {
    /// Number of distinct rejected lines.
    #[must_use]
    pub fn rejected_rows(&self) -> usize {
        self.rejected.iter().map(|r| r.line).collect::<BTreeSet<_>>().len()
    }

    /// Whether the given line was rejected.
    #[must_use]
    pub fn rejects_line(&self, line: u64) -> bool {
        self.rejected.iter().any(|r| r.line == line)
    }
}

/// One typed row and the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based input line.
    pub line: u64,
    /// The record.
    pub record: Record,
}

/// A batch to ingest: the rows that parsed, and the rows that did not.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    /// Where the rows came from (a path, or `<memory>`), for the audit trail.
    pub source: String,
    /// The entity kind the input declared (for permission checks when no row parsed).
    pub kind: Option<EntityKind>,
    /// Rows that parsed.
    pub rows: Vec<Row>,
    /// Rows that did not parse, with line, field and reason.
    pub rejected: Vec<RejectedRow>,
}

impl Batch {
    /// A batch from typed records; line `i + 1` is the `i`-th record.
    pub fn from_records<R: Into<Record>>(records: impl IntoIterator<Item = R>) -> Self {
        let rows: Vec<Row> = records
            .into_iter()
            .enumerate()
            .map(|(i, r)| Row { line: i as u64 + 1, record: r.into() })
            .collect();
        Batch { source: "<memory>".into(), kind: None, rows, rejected: Vec::new() }
    }

    /// The entity kinds this batch writes.
    #[must_use]
    pub fn kinds(&self) -> BTreeSet<EntityKind> {
        self.rows.iter().map(|r| r.record.kind()).chain(self.kind).collect()
    }

    /// Every row of a [`RowSource`] collected in memory (the whole input at once; ingest a
    /// [`RowSource`] directly to stream instead).
    fn collect(kind: EntityKind, rows: RowSource<'_>) -> Result<Self, PoolError> {
        let mut batch = Batch {
            source: rows.source.clone(),
            kind: Some(kind),
            rows: Vec::new(),
            rejected: Vec::new(),
        };
        for item in rows {
            match item? {
                Parsed::Row(row) => batch.rows.push(row),
                Parsed::Rejected(mut problems) => batch.rejected.append(&mut problems),
            }
        }
        Ok(batch)
    }

    /// Parses CSV of one entity kind (see the module docs for the layouts) into memory; the
    /// streaming twin is [`RowSource::csv`].
    ///
    /// # Errors
    ///
    /// [`PoolError::Format`] when the header is wrong or the input cannot be read; row-level
    /// problems are collected in [`Batch::rejected`] instead.
    pub fn from_csv_reader(
        kind: EntityKind,
        reader: impl Read,
        source: &str,
    ) -> Result<Self, PoolError> {
        Self::collect(kind, RowSource::csv(kind, reader, source)?)
    }

    /// Reads a CSV file of one entity kind.
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] or [`PoolError::Format`].
    pub fn from_csv_path(kind: EntityKind, path: impl AsRef<Path>) -> Result<Self, PoolError> {
        Self::collect(kind, RowSource::csv_path(kind, path)?)
    }

    /// Parses JSON (an array of objects, or JSON Lines) of one entity kind.
    ///
    /// # Errors
    ///
    /// [`PoolError::Format`] when the text is not a JSON array or JSON Lines at all; bad
    /// elements are collected in [`Batch::rejected`] with the field path at fault.
    pub fn from_json_str(kind: EntityKind, text: &str, source: &str) -> Result<Self, PoolError> {
        Self::from_json_reader(kind, text.as_bytes(), source)
    }

    /// Parses JSON (an array of objects, or JSON Lines) of one entity kind from a reader, one
    /// element at a time: an element (or a JSON Lines line) longer than
    /// [`finkit_schema::limits::MAX_LINE_BYTES`] is an error naming its line, and the input
    /// text is never held whole in memory (the parsed rows are; [`RowSource::json`] streams
    /// them too). A UTF-8 BOM is skipped and `\r\n` reads as `\n`.
    ///
    /// # Errors
    ///
    /// [`PoolError::Format`] when the input is not a JSON array or JSON Lines at all, an element
    /// is too long, or the input cannot be read; bad elements are collected in
    /// [`Batch::rejected`] with the field path at fault (an unknown key is one).
    pub fn from_json_reader(
        kind: EntityKind,
        reader: impl Read,
        source: &str,
    ) -> Result<Self, PoolError> {
        Self::collect(kind, RowSource::json(kind, reader, source)?)
    }

    /// Reads a JSON or JSON Lines file of one entity kind, streaming (see
    /// [`Batch::from_json_reader`]).
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] or [`PoolError::Format`].
    pub fn from_json_path(kind: EntityKind, path: impl AsRef<Path>) -> Result<Self, PoolError> {
        Self::collect(kind, RowSource::json_path(kind, path)?)
    }
}

/// One item of a [`RowSource`]: a row that parsed, or every problem of one that did not.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "rows are the common case and move straight into the chunk; boxing each would add an allocation per row"
)]
pub enum Parsed {
    /// A typed row, still to be validated and stored.
    Row(Row),
    /// The problems of an input row that did not parse (one per bad cell or field).
    Rejected(Vec<RejectedRow>),
}

/// Rows per chunk of a streaming ingest by default ([`RowSource::with_chunk_rows`]).
pub const INGEST_CHUNK_ROWS: usize = 4096;

const DEFAULT_CHUNK: NonZeroUsize = match NonZeroUsize::new(INGEST_CHUNK_ROWS) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// The rows of one ingest, read lazily: the streaming input of
/// [`crate::Guarded::ingest_rows`] (and of [`apply_rows`] for backends outside this crate).
///
/// A source declares the entity kinds it writes (the write permissions checked before the
/// first row is read); a row of another kind is rejected. Rows are pulled
/// [`RowSource::chunk_rows`] at a time, validated and written, and dropped before the next
/// chunk is read, all inside the one transaction of the ingest. What still grows with the
/// input: the list of rejected rows (the report names every one) and the backend's own
/// transaction state (SQLite spills dirty pages to its WAL beyond its page cache; PostgreSQL
/// keeps its transaction on the server).
///
/// ```
/// use finkit_pool::{EntityKind, IngestMode, Principal, Role, RowSource, SqlitePool};
///
/// let pool = SqlitePool::in_memory()?;
/// let admin = Principal::new("ops", Role::Admin);
/// let csv = "instrument,date,price\nACME,2024-01-02,10.5\nACME,2024-01-03,oops\n";
/// let rows = RowSource::csv(EntityKind::Prices, csv.as_bytes(), "prices.csv")?;
/// let report = pool.ingest_rows(&admin, rows, IngestMode::Lenient)?;
/// assert_eq!(report.accepted, 1);
/// assert!(report.rejects_line(3));
/// # Ok::<(), finkit_pool::PoolError>(())
/// ```
pub struct RowSource<'a> {
    source: String,
    kinds: BTreeSet<EntityKind>,
    chunk_rows: NonZeroUsize,
    rows: Box<dyn Iterator<Item = Result<Parsed, PoolError>> + 'a>,
}

impl fmt::Debug for RowSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowSource")
            .field("source", &self.source)
            .field("kinds", &self.kinds)
            .field("chunk_rows", &self.chunk_rows)
            .finish_non_exhaustive()
    }
}

impl<'a> RowSource<'a> {
    /// Rows of `kind` from any iterator (a fatal `Err` ends the ingest, which then writes
    /// nothing); `source` names the input in the audit trail.
    pub fn new(
        kind: EntityKind,
        source: &str,
        rows: impl IntoIterator<Item = Result<Parsed, PoolError>> + 'a,
    ) -> Self {
        RowSource {
            source: source.into(),
            kinds: BTreeSet::from([kind]),
            chunk_rows: DEFAULT_CHUNK,
            rows: Box::new(rows.into_iter()),
        }
    }

    /// Typed records of `kind`, read lazily; line `i + 1` is the `i`-th record.
    pub fn records<R: Into<Record>>(
        kind: EntityKind,
        source: &str,
        records: impl IntoIterator<Item = R> + 'a,
    ) -> Self {
        let rows =
            (1u64..).zip(records).map(|(line, r)| Ok(Parsed::Row(Row { line, record: r.into() })));
        Self::new(kind, source, rows)
    }

    /// The rows of a batch already in memory, in dependency order (firms first), so that a
    /// batch mixing kinds is applied as [`apply_batch`] applies it.
    pub(crate) fn of_batch(batch: &'a Batch) -> Self {
        let rejected = (!batch.rejected.is_empty())
            .then(|| Ok(Parsed::Rejected(batch.rejected.clone())))
            .into_iter();
        let rows = EntityKind::ALL.into_iter().flat_map(move |kind| {
            batch
                .rows
                .iter()
                .filter(move |r| r.record.kind() == kind)
                .map(|r| Ok(Parsed::Row(r.clone())))
        });
        RowSource {
            source: batch.source.clone(),
            kinds: batch.kinds(),
            chunk_rows: DEFAULT_CHUNK,
            rows: Box::new(rejected.chain(rows)),
        }
    }

    /// CSV of one entity kind (see the module docs for the layouts), parsed row by row as the
    /// ingest pulls it. The header is read and checked here.
    ///
    /// # Errors
    ///
    /// [`PoolError::Format`] when the header is wrong or cannot be read. Later, a read error
    /// or an over-long record ends the ingest with [`PoolError::Format`] (nothing written);
    /// row-level problems become [`Parsed::Rejected`] items.
    pub fn csv(kind: EntityKind, reader: impl Read + 'a, source: &str) -> Result<Self, PoolError> {
        Ok(Self::new(kind, source, CsvRows::new(kind, reader, source)?))
    }

    /// A CSV file of one entity kind, streamed (see [`RowSource::csv`]).
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] or [`PoolError::Format`].
    pub fn csv_path(kind: EntityKind, path: impl AsRef<Path>) -> Result<Self, PoolError> {
        let path = path.as_ref();
        Self::csv(kind, open_file(path)?, &path.display().to_string())
    }

    /// JSON (an array of objects, or JSON Lines) of one entity kind, parsed element by element
    /// as the ingest pulls it (limits as [`Batch::from_json_reader`]). Whether the input is an
    /// array is decided here, from its first non-blank byte.
    ///
    /// # Errors
    ///
    /// [`PoolError::Format`] when the input cannot be read. Later, a malformed array, an
    /// over-long element or a read error ends the ingest with [`PoolError::Format`] (nothing
    /// written); bad elements become [`Parsed::Rejected`] items.
    pub fn json(kind: EntityKind, reader: impl Read + 'a, source: &str) -> Result<Self, PoolError> {
        Ok(Self::new(kind, source, JsonRows::new(kind, reader, source)?))
    }

    /// A JSON or JSON Lines file of one entity kind, streamed (see [`RowSource::json`]).
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] or [`PoolError::Format`].
    pub fn json_path(kind: EntityKind, path: impl AsRef<Path>) -> Result<Self, PoolError> {
        let path = path.as_ref();
        Self::json(kind, open_file(path)?, &path.display().to_string())
    }

    /// Rows pulled, validated and written per chunk (default [`INGEST_CHUNK_ROWS`]): at most
    /// this many parsed rows are held at once.
    #[must_use]
    pub fn with_chunk_rows(mut self, rows: NonZeroUsize) -> Self {
        self.chunk_rows = rows;
        self
    }

    /// Rows per chunk.
    #[must_use]
    pub fn chunk_rows(&self) -> usize {
        self.chunk_rows.get()
    }

    /// The entity kinds the source declares (their write permissions are checked).
    #[must_use]
    pub fn kinds(&self) -> &BTreeSet<EntityKind> {
        &self.kinds
    }

    /// Where the rows come from, for the audit trail.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Iterator for RowSource<'_> {
    type Item = Result<Parsed, PoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

fn open_file(path: &Path) -> Result<std::fs::File, PoolError> {
    let file = std::fs::File::open(path)
        .map_err(|source| PoolError::Io { path: path.to_path_buf(), source })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        let source = std::io::Error::other("is a directory, not a file");
        return Err(PoolError::Io { path: path.to_path_buf(), source });
    }
    Ok(file)
}

fn format_error(source: &str, message: String) -> PoolError {
    PoolError::Format { source_name: source.into(), message }
}

fn read_error(source: &str, e: &std::io::Error) -> PoolError {
    match limit_exceeded(e) {
        Some(limit) => format_error(source, limit.to_string()),
        None => format_error(source, format!("cannot read: {e}")),
    }
}

/// The rows of a CSV input, parsed one at a time.
struct CsvRows<R: Read> {
    kind: EntityKind,
    source: String,
    csv: csv::Reader<BoundedReader<R>>,
    /// For each column of the entity's [`Table`], its position in the file's header.
    positions: Vec<Option<usize>>,
    record: csv::StringRecord,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    fn new(kind: EntityKind, reader: R, source: &str) -> Result<Self, PoolError> {
        let format = |message: String| format_error(source, message);
        // The shared bounded reader caps a record's length (a stream without a newline fails
        // naming its line instead of growing without bound), strips a BOM, turns `\r\n` into
        // `\n` (a blank CRLF line is a blank line) and gives true line numbers, also after a
        // quoted multi-line cell.
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(BoundedReader::csv(reader, b','));
        let header = match csv.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                return Err(format(match limit_error(&e) {
                    Some(limit) => limit.to_string(),
                    None => format!("cannot read the header: {e}"),
                }));
            }
        };
        let table = Table::of(kind);
        let mut positions = vec![None; table.columns.len()];
        for (i, name) in header.iter().enumerate() {
            let name = name.strip_suffix('\r').unwrap_or(name);
            let Some(at) = table.position(name) else {
                let required: Vec<&str> =
                    table.columns.iter().filter(|c| !c.csv_optional()).map(|c| c.name).collect();
                return Err(format(format!(
                    "unknown column {name:?} for {kind} (expected {})",
                    required.join(", ")
                )));
            };
            if positions[at].replace(i).is_some() {
                return Err(format(format!("duplicate column {name:?}")));
            }
        }
        if let Some(missing) =
            table.columns.iter().zip(&positions).find(|(c, p)| p.is_none() && !c.csv_optional())
        {
            return Err(format(format!("missing column {:?} for {kind}", missing.0.name)));
        }
        Ok(CsvRows {
            kind,
            source: source.into(),
            csv,
            positions,
            record: csv::StringRecord::new(),
            done: false,
        })
    }

    fn read(&mut self) -> Result<Option<Parsed>, PoolError> {
        match self.csv.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let position = self.record.position().map_or(0, |p| p.byte());
                let line = self.csv.get_mut().line_at(position);
                Ok(Some(parse_csv_row(self.kind, &self.record, &self.positions, line)))
            }
            Err(e) => {
                if let Some(limit) = limit_error(&e) {
                    return Err(format_error(&self.source, limit.to_string()));
                }
                let line = match e.position() {
                    Some(p) => self.csv.get_mut().line_at(p.byte()),
                    None => self.csv.get_mut().lines_read() + 1,
                };
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("row has {len} fields, the header has {expected_len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "row is not valid utf-8".into(),
                    _ => {
                        return Err(format_error(
                            &self.source,
                            format!("cannot read line {line}: {e}"),
                        ));
                    }
                };
                Ok(Some(Parsed::Rejected(vec![RejectedRow::new(line, "", reason)])))
            }
        }
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<Parsed, PoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read().transpose();
        // After the end or a fatal error the source is exhausted.
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

/// The elements of a JSON array or the lines of JSON Lines, parsed one at a time.
struct JsonRows<R: Read> {
    kind: EntityKind,
    source: String,
    input: BufReader<BoundedReader<R>>,
    line: u64,
    /// An array (its `[` consumed) rather than JSON Lines.
    array: Option<ArraySplitter>,
    buf: Vec<u8>,
    done: bool,
}

impl<R: Read> JsonRows<R> {
    fn new(kind: EntityKind, reader: R, source: &str) -> Result<Self, PoolError> {
        // No line limit while looking for the array's `[`: a minified array is one long line,
        // so an array is bounded element by element instead.
        let mut input = BufReader::new(BoundedReader::lines(reader).with_limit(usize::MAX));
        let mut line = 1u64;
        let first = loop {
            let buf = input.fill_buf().map_err(|e| read_error(source, &e))?;
            let Some(&b) = buf.first() else { break None };
            if !b.is_ascii_whitespace() {
                break Some(b);
            }
            line += u64::from(b == b'\n');
            input.consume(1);
        };
        let array = if first == Some(b'[') {
            input.consume(1);
            Some(ArraySplitter { closed: false, after_comma: false })
        } else {
            // JSON Lines: the shared line limit applies from here on.
            input.get_mut().set_limit(finkit_schema::limits::MAX_LINE_BYTES);
            None
        };
        Ok(JsonRows {
            kind,
            source: source.into(),
            input,
            line,
            array,
            buf: Vec::new(),
            done: false,
        })
    }

    fn parse(&self, bytes: &[u8], line: u64) -> Parsed {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Parsed::Rejected(vec![RejectedRow::new(line, "", "not valid utf-8")]);
        };
        let kind = self.kind;
        let parsed = match kind {
            EntityKind::Firms => json_element::<Firm>(text).map(Record::Firm),
            EntityKind::Statements => {
                json_element::<FinancialStatement>(text).map(Record::Statement)
            }
            EntityKind::Applications => {
                json_element::<LoanApplication>(text).map(Record::Application)
            }
            EntityKind::Exposures => json_element::<Exposure>(text).map(Record::Exposure),
            EntityKind::CreditEvents => json_element::<CreditEvent>(text).map(Record::CreditEvent),
            EntityKind::Prices => json_element::<PriceObservation>(text).map(Record::Price),
        };
        match parsed {
            Ok(record) => Parsed::Row(Row { line, record }),
            Err((field, reason)) => Parsed::Rejected(vec![RejectedRow::new(line, field, reason)]),
        }
    }

    fn read(&mut self) -> Result<Option<Parsed>, PoolError> {
        if let Some(mut splitter) = self.array.take() {
            let mut cursor =
                Cursor { input: &mut self.input, line: &mut self.line, source: &self.source };
            let element = splitter.next_element(&mut cursor)?;
            self.array = Some(splitter);
            return Ok(element.map(|(start, bytes)| self.parse(&bytes, start)));
        }
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            let n =
                self.input.read_until(b'\n', &mut buf).map_err(|e| read_error(&self.source, &e));
            let line = self.line;
            self.line += 1;
            let out = match n {
                Err(e) => Err(e),
                Ok(0) => Ok(None),
                Ok(_) if std::str::from_utf8(&buf).is_ok_and(|t| t.trim().is_empty()) => {
                    self.buf = buf;
                    continue;
                }
                Ok(_) => Ok(Some(self.parse(&buf, line))),
            };
            self.buf = buf;
            return out;
        }
    }
}

impl<R: Read> Iterator for JsonRows<R> {
    type Item = Result<Parsed, PoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read().transpose();
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

/// The limit error inside a csv error, if the shared bounded reader stopped the read.
fn limit_error(e: &csv::Error) -> Option<&LimitExceeded> {
    match e.kind() {
        csv::ErrorKind::Io(io) => limit_exceeded(io),
        _ => None,
    }
}

/// The input of a JSON array being split, byte by byte, counting lines.
struct Cursor<'a, R> {
    input: &'a mut BufReader<R>,
    line: &'a mut u64,
    source: &'a str,
}

impl<R: Read> Cursor<'_, R> {
    fn byte(&mut self) -> Result<Option<u8>, PoolError> {
        let buf = self.input.fill_buf().map_err(|e| read_error(self.source, &e))?;
        let Some(&b) = buf.first() else { return Ok(None) };
        self.input.consume(1);
        *self.line += u64::from(b == b'\n');
        Ok(Some(b))
    }

    fn non_space(&mut self) -> Result<Option<u8>, PoolError> {
        while let Some(b) = self.byte()? {
            if !b.is_ascii_whitespace() {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    fn error(&self, message: String) -> PoolError {
        format_error(self.source, message)
    }
}

/// Splits a JSON array (whose `[` was consumed) into its elements' texts, one at a time, each
/// bounded by the shared line limit, with the line where each element starts.
struct ArraySplitter {
    /// Whether the closing `]` was read.
    closed: bool,
    /// Whether the last element ended with a `,` (so another must follow).
    after_comma: bool,
}

impl ArraySplitter {
    /// The next element and its first line; `None` after the closing `]`.
    fn next_element<R: Read>(
        &mut self,
        c: &mut Cursor<'_, R>,
    ) -> Result<Option<(u64, Vec<u8>)>, PoolError> {
        if self.closed {
            return Ok(None);
        }
        let Some(first) = c.non_space()? else {
            return Err(c.error(format!("line {}: the json array is not closed with ]", c.line)));
        };
        if first == b']' && !self.after_comma {
            self.closed = true;
            return Self::end(c).map(|()| None);
        }
        if first == b']' || first == b',' {
            return Err(c.error(format!("line {}: a json array element is missing", c.line)));
        }
        let start = *c.line;
        let mut element = vec![first];
        let (mut depth, mut in_string, mut escaped) = (0usize, first == b'"', false);
        if matches!(first, b'{' | b'[') {
            depth = 1;
        }
        loop {
            let Some(b) = c.byte()? else {
                return Err(c.error(format!(
                    "line {}: the json array is not closed with ] (element from line {start})",
                    c.line
                )));
            };
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' if depth == 0 => {
                        self.after_comma = true;
                        return Ok(Some((start, element)));
                    }
                    b']' => {
                        Self::end(c)?;
                        self.closed = true;
                        return Ok(Some((start, element)));
                    }
                    _ => {}
                }
            }
            element.push(b);
            if element.len() > finkit_schema::limits::MAX_LINE_BYTES {
                let limit = LimitExceeded::new(
                    Some(start),
                    "json element",
                    finkit_schema::limits::MAX_LINE_BYTES as u64,
                );
                return Err(c.error(limit.to_string()));
            }
        }
    }

    /// After the closing `]`: only white space may follow.
    fn end<R: Read>(c: &mut Cursor<'_, R>) -> Result<(), PoolError> {
        match c.non_space()? {
            None => Ok(()),
            Some(_) => {
                Err(c.error(format!("line {}: text after the end of the json array", c.line)))
            }
        }
    }
}

fn json_element<T: DeserializeOwned>(text: &str) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let mut field = if path == "." { String::new() } else { path };
        let message = e.into_inner().to_string();
        // An unknown key names itself as the field: `unknown field `anual_sales`, expected …`.
        if let Some(key) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next())
        {
            if field.is_empty() {
                key.clone_into(&mut field);
            } else if !field.ends_with(key) {
                field = format!("{field}.{key}");
            }
        }
        // serde_json appends the position inside the element; the report gives the line.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        (field, message)
    })?;
    de.end().map_err(|e| (String::new(), format!("trailing characters after the object: {e}")))?;
    Ok(value)
}

fn number(s: &str) -> Result<f64, String> {
    s.parse::<f64>().map_err(|_| format!("not a number: {s:?}"))
}

fn unsigned(s: &str) -> Result<u32, String> {
    s.parse::<u32>().map_err(|_| format!("not a whole number in 0..=4294967295: {s:?}"))
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("not a yyyy-mm-dd date: {s:?}"))
}

fn boolean(s: &str) -> Result<bool, String> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("not true or false: {s:?}")),
    }
}

/// One CSV cell as the stored value of its column: the CSV text format, written once.
///
/// An empty or absent cell is an empty string in a text column, "none" in a column the CSV may
/// leave out ([`Column::csv_optional`]) and a missing value otherwise.
fn csv_cell(column: &Column, raw: Option<&str>) -> Result<Cell, String> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        return match column.ty {
            ColumnType::Text if !column.nullable => Ok(Cell::Text(String::new())),
            _ if column.csv_optional() => Ok(Cell::Null),
            _ => Err("missing value".into()),
        };
    }
    Ok(match column.ty {
        ColumnType::Date => Cell::Date(date(raw)?),
        ColumnType::Float => Cell::Float(number(raw)?),
        ColumnType::Count => Cell::Count(unsigned(raw)?),
        ColumnType::Flag => Cell::Flag(boolean(raw)?),
        _ => Cell::Text(raw.to_owned()),
    })
}

/// One CSV row as a record of its kind, with a rejection for every cell at fault.
fn parse_csv_row(
    kind: EntityKind,
    record: &csv::StringRecord,
    positions: &[Option<usize>],
    line: u64,
) -> Parsed {
    let table = Table::of(kind);
    // The last cell carries the `\r` of a CRLF line ending.
    let last = record.len().saturating_sub(1);
    let mut cells = Vec::with_capacity(table.columns.len());
    let mut errors = Vec::new();
    for (column, position) in table.columns.iter().zip(positions) {
        let raw = position.and_then(|i| {
            let cell = record.get(i)?;
            Some(if i == last { cell.strip_suffix('\r').unwrap_or(cell) } else { cell })
        });
        cells.push(csv_cell(column, raw).unwrap_or_else(|reason| {
            errors.push(RejectedRow::new(line, column.name, reason));
            Cell::Null
        }));
    }
    match record_from_cells(kind, cells) {
        Ok(record) if errors.is_empty() => Parsed::Row(Row { line, record }),
        Ok(_) => Parsed::Rejected(errors),
        Err(more) => {
            // A cell that did not parse is reported once, by the CSV rule above.
            for e in more {
                if !errors.iter().any(|r| r.field == e.column) {
                    errors.push(RejectedRow::new(line, e.column, e.reason));
                }
            }
            Parsed::Rejected(errors)
        }
    }
}

/// What happened when a backend stored one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The record was new and is now stored.
    Inserted,
    /// An identical record was already stored (idempotent re-ingest).
    Unchanged,
    /// A different record with the same natural key is stored; nothing was written.
    Conflict,
}

/// What a backend offers the shared ingest engine, inside one open write transaction.
///
/// Implement this for a transaction type and call [`apply_rows`] (or [`apply_batch`]); then
/// commit when the mode and report allow it, otherwise roll back. This keeps validation,
/// referential checks and natural-key rules identical across backends. Rows come in chunks:
/// [`IngestStore::begin_chunk`] and [`IngestStore::end_chunk`] let a backend prefetch and
/// write a chunk in bulk; the natural-key rules then also hold against rows of earlier chunks
/// of the same transaction.
pub trait IngestStore {
    /// Whether a firm with this id is stored (including firms put earlier in this transaction).
    ///
    /// # Errors
    ///
    /// A backend error.
    fn firm_exists(&mut self, id: &FirmId) -> Result<bool, PoolError>;

    /// Stores a valid record unless its natural key is taken; compares with the stored record
    /// when it is.
    ///
    /// Natural keys: firm `id`; statement `(firm_id, period_end, available_at)`; application
    /// `id`; exposure `loan_id`; credit event `(firm_id, kind, date)`; price
    /// `(instrument, date)`.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn put(&mut self, record: &Record) -> Result<Put, PoolError>;

    /// Called with each chunk of rows before any of them is put (default: nothing), e.g. to
    /// fetch what is stored under the chunk's keys in bulk.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn begin_chunk(&mut self, rows: &[Row]) -> Result<(), PoolError> {
        let _ = rows;
        Ok(())
    }

    /// Called after the rows of a chunk were put (default: nothing), e.g. to write buffered
    /// rows in bulk, so that nothing of the chunk needs to stay in memory.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn end_chunk(&mut self) -> Result<(), PoolError> {
        Ok(())
    }
}

/// The natural key of a record as `(field names, value)` for messages.
#[must_use]
pub fn natural_key(record: &Record) -> (&'static str, String) {
    match record {
        Record::Firm(f) => ("id", f.id.to_string()),
        Record::Statement(s) => (
            "firm_id+period_end+available_at",
            format!("{}/{}/{}", s.firm_id, s.period_end, s.available_at),
        ),
        Record::Application(a) => ("id", a.id.to_string()),
        Record::Exposure(e) => ("loan_id", e.loan_id.to_string()),
        Record::CreditEvent(e) => {
            ("firm_id+kind+date", format!("{}/{:?}/{}", e.firm_id, e.kind, e.date))
        }
        Record::Price(p) => ("instrument+date", format!("{}/{}", p.instrument, p.date)),
    }
}

fn referenced_firm(record: &Record) -> Option<&FirmId> {
    match record {
        Record::Firm(_) | Record::Price(_) => None,
        Record::Statement(s) => Some(&s.firm_id),
        Record::Application(a) => Some(&a.firm_id),
        Record::Exposure(e) => Some(&e.firm_id),
        Record::CreditEvent(e) => Some(&e.firm_id),
    }
}

/// Validates and stores every row of `batch` through `store`, in dependency order (firms first),
/// and reports every rejected row. The caller commits or rolls back. The batch is one chunk
/// ([`IngestStore::begin_chunk`] sees every row); [`apply_rows`] streams instead.
///
/// # Errors
///
/// A backend error from `store` (the caller must roll back).
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, name = "pool.ingest", fields(rows = batch.rows.len(), source = %batch.source)))]
pub fn apply_batch(store: &mut impl IngestStore, batch: &Batch) -> Result<IngestReport, PoolError> {
    let mut report = IngestReport { rejected: batch.rejected.clone(), ..IngestReport::default() };
    apply_chunk(store, &batch.rows, None, &mut report)?;
    report.rejected.sort();
    Ok(report)
}

/// Validates and stores the rows of `rows` through `store` chunk by chunk
/// ([`RowSource::chunk_rows`] rows at a time, each chunk in dependency order, firms first), and
/// reports every rejected row; a row of a kind the source does not declare is rejected. At
/// most one chunk of parsed rows is held at once. The caller commits or rolls back.
///
/// ```
/// use finkit_pool::{EntityKind, IngestStore, PoolError, Put, Record, RowSource, apply_rows};
/// use finkit_schema::FirmId;
///
/// /// A store that accepts every price (a real backend writes to its open transaction).
/// struct Counting(usize);
/// impl IngestStore for Counting {
///     fn firm_exists(&mut self, _: &FirmId) -> Result<bool, PoolError> { Ok(true) }
///     fn put(&mut self, _: &Record) -> Result<Put, PoolError> { self.0 += 1; Ok(Put::Inserted) }
/// }
///
/// let csv = "instrument,date,price\nX,2024-01-02,1.5\nX,2024-01-03,-\n";
/// let rows = RowSource::csv(EntityKind::Prices, csv.as_bytes(), "p.csv")?;
/// let mut store = Counting(0);
/// let report = apply_rows(&mut store, rows)?;
/// assert_eq!((store.0, report.accepted, report.rejected_rows()), (1, 1, 1));
/// # Ok::<(), PoolError>(())
/// ```
///
/// # Errors
///
/// A fatal input error of `rows` (unreadable input, malformed JSON array, over-long record) or
/// a backend error from `store`; the caller must roll back.
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, name = "pool.ingest", fields(source = %rows.source())))]
pub fn apply_rows(
    store: &mut impl IngestStore,
    rows: RowSource<'_>,
) -> Result<IngestReport, PoolError> {
    let mut report = IngestReport::default();
    let chunk_rows = rows.chunk_rows();
    let kinds = rows.kinds().clone();
    let mut chunk: Vec<Row> = Vec::with_capacity(chunk_rows.min(INGEST_CHUNK_ROWS));
    for item in rows {
        match item? {
            Parsed::Row(row) => chunk.push(row),
            Parsed::Rejected(mut problems) => report.rejected.append(&mut problems),
        }
        if chunk.len() >= chunk_rows {
            apply_chunk(store, &chunk, Some(&kinds), &mut report)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        apply_chunk(store, &chunk, Some(&kinds), &mut report)?;
    }
    report.rejected.sort();
    Ok(report)
}

/// The rules for one chunk of rows: validation, the referential check, the natural-key rules
/// (through `store.put`), in dependency order. `kinds`: the kinds a row may have.
fn apply_chunk(
    store: &mut impl IngestStore,
    rows: &[Row],
    kinds: Option<&BTreeSet<EntityKind>>,
    report: &mut IngestReport,
) -> Result<(), PoolError> {
    store.begin_chunk(rows)?;
    let mut known: HashMap<&FirmId, bool> = HashMap::new();
    for kind in EntityKind::ALL {
        for row in rows.iter().filter(|r| r.record.kind() == kind) {
            if let Some(kinds) = kinds
                && !kinds.contains(&kind)
            {
                let declared = kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("+");
                report.rejected.push(RejectedRow::new(
                    row.line,
                    "",
                    format!("a {} record in an ingest of {declared}", kind.as_str()),
                ));
                continue;
            }
            let violations = row.record.violations();
            if !violations.is_empty() {
                for v in violations {
                    report.rejected.push(RejectedRow::new(
                        row.line,
                        v.field,
                        format!("breaks rule {} (value {})", v.rule, v.value),
                    ));
                }
                continue;
            }
            if let Some(firm) = referenced_firm(&row.record) {
                let exists = match known.get(firm) {
                    Some(&e) => e,
                    None => {
                        let e = store.firm_exists(firm)?;
                        known.insert(firm, e);
                        e
                    }
                };
                if !exists {
                    report.rejected.push(RejectedRow::new(
                        row.line,
                        "firm_id",
                        format!("unknown firm id {:?}", firm.as_str()),
                    ));
                    continue;
                }
            }
            match store.put(&row.record)? {
                Put::Inserted => report.accepted += 1,
                Put::Unchanged => {
                    report.accepted += 1;
                    report.unchanged += 1;
                }
                Put::Conflict => {
                    let (fields, key) = natural_key(&row.record);
                    report.rejected.push(RejectedRow::new(
                        row.line,
                        fields,
                        format!(
                            "a different {} with key {key:?} is already stored (or earlier in this batch)",
                            kind.as_str().trim_end_matches('s')
                        ),
                    ));
                }
            }
        }
    }
    store.end_chunk()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_report_each_bad_cell() {
        let csv = "loan_id,firm_id,pd,lgd,ead,maturity,sector,currency\n\
                   L1,F1,0.02,0.45,100,2,tech,EUR\n\
                   L2,F1,1.7,0.45,-5,2,tech,EUR\n\
                   L3,F1,abc,0.45,5,2,tech,EUE\n";
        let b = Batch::from_csv_reader(EntityKind::Exposures, csv.as_bytes(), "t").unwrap();
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rows[0].line, 2);
        let lines: Vec<(u64, &str)> =
            b.rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(lines, vec![(3, "pd"), (3, "ead"), (4, "pd"), (4, "currency")]);
        assert!(b.rejected[0].reason.contains("1.7"), "{}", b.rejected[0].reason);
        // The same file with Windows line endings: same rows, same line numbers, and the last
        // column (currency) is read without its `\r`.
        let crlf = csv.replace('\n', "\r\n");
        let w = Batch::from_csv_reader(EntityKind::Exposures, crlf.as_bytes(), "t").unwrap();
        assert_eq!(w.rows, b.rows);
        assert_eq!(w.rejected, b.rejected);
    }

    #[test]
    fn csv_header_must_match_the_layout() {
        let err =
            Batch::from_csv_reader(EntityKind::CreditEvents, "firm_id,kind\n".as_bytes(), "t")
                .unwrap_err();
        assert!(err.to_string().contains("missing column \"date\""), "{err}");
        let err = Batch::from_csv_reader(
            EntityKind::CreditEvents,
            "firm_id,kind,date,extra\n".as_bytes(),
            "t",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown column \"extra\""), "{err}");
    }

    #[test]
    fn json_arrays_report_lines_and_paths() {
        let text = "[\n  {\"instrument\": \"X\", \"date\": \"2024-01-02\", \"price\": 10.5},\n  {\"instrument\": \"X\",\n   \"date\": \"2024-13-02\", \"price\": 1}\n]";
        let b = Batch::from_json_str(EntityKind::Prices, text, "t").unwrap();
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rows[0].line, 2);
        assert_eq!(b.rejected.len(), 1);
        assert_eq!(b.rejected[0].line, 3);
        assert_eq!(b.rejected[0].field, "date");
    }

    #[test]
    fn enum_cells_use_snake_case_names() {
        let csv = "firm_id,kind,date\nF1,past_due90,2024-01-01\nF1,Default,2024-01-01\n";
        let b = Batch::from_csv_reader(EntityKind::CreditEvents, csv.as_bytes(), "t").unwrap();
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rejected[0].line, 3);
    }
}
