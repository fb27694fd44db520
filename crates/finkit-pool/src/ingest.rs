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
//! | credit_events | `firm_id, kind, date` |
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
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use finkit_schema::limits::{BoundedReader, LimitExceeded, limit_exceeded};
use finkit_schema::{
    Amount, ApplicationId, Collateral, CreditEvent, Currency, Exposure, FinancialStatement, Firm,
    FirmId, Guarantee, IndustryCode, InstrumentId, Lgd, LoanApplication, LoanId, Maturity, Patents,
    Probability, TechProfile,
};
use serde::de::DeserializeOwned;
use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};

use crate::PoolError;
use crate::record::{EntityKind, PriceObservation, Record};

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

    /// Parses CSV of one entity kind (see the module docs for the layouts).
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
        let format = |message: String| PoolError::Format { source_name: source.into(), message };
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
        let layout = Layout::of(kind);
        let mut index = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.strip_suffix('\r').unwrap_or(name);
            if !layout.required.contains(&name) && !layout.optional.contains(&name) {
                return Err(format(format!(
                    "unknown column {name:?} for {kind} (expected {})",
                    layout.required.join(", ")
                )));
            }
            if index.insert(name.to_owned(), i).is_some() {
                return Err(format(format!("duplicate column {name:?}")));
            }
        }
        if let Some(missing) = layout.required.iter().find(|c| !index.contains_key(**c)) {
            return Err(format(format!("missing column {missing:?} for {kind}")));
        }
        let mut batch = Batch {
            source: source.into(),
            kind: Some(kind),
            rows: Vec::new(),
            rejected: Vec::new(),
        };
        let header_len = index.len();
        let mut record = csv::StringRecord::new();
        loop {
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = csv.get_mut().line_at(record.position().map_or(0, |p| p.byte()));
                    let mut cells = Cells {
                        record: &record,
                        index: &index,
                        last: header_len.saturating_sub(1),
                        line,
                        errors: Vec::new(),
                    };
                    let parsed = parse_row(kind, &mut cells);
                    match parsed {
                        Some(r) if cells.errors.is_empty() => {
                            batch.rows.push(Row { line, record: r });
                        }
                        _ => batch.rejected.append(&mut cells.errors),
                    }
                }
                Err(e) => {
                    if let Some(limit) = limit_error(&e) {
                        return Err(format(limit.to_string()));
                    }
                    let line = match e.position() {
                        Some(p) => csv.get_mut().line_at(p.byte()),
                        None => csv.get_mut().lines_read() + 1,
                    };
                    match e.kind() {
                        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                            batch.rejected.push(RejectedRow::new(
                                line,
                                "",
                                format!("row has {len} fields, the header has {expected_len}"),
                            ));
                        }
                        csv::ErrorKind::Utf8 { .. } => {
                            batch.rejected.push(RejectedRow::new(
                                line,
                                "",
                                "row is not valid utf-8",
                            ));
                        }
                        _ => return Err(format(format!("cannot read line {line}: {e}"))),
                    }
                }
            }
        }
        Ok(batch)
    }

    /// Reads a CSV file of one entity kind.
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] or [`PoolError::Format`].
    pub fn from_csv_path(kind: EntityKind, path: impl AsRef<Path>) -> Result<Self, PoolError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|source| PoolError::Io { path: path.to_path_buf(), source })?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            let source = std::io::Error::other("is a directory, not a file");
            return Err(PoolError::Io { path: path.to_path_buf(), source });
        }
        Self::from_csv_reader(kind, file, &path.display().to_string())
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
    /// [`finkit_schema::limits::MAX_LINE_BYTES`] is an error naming its line, and the input is
    /// never held whole in memory. A UTF-8 BOM is skipped and `\r\n` reads as `\n`.
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
        let format = |message: String| PoolError::Format { source_name: source.into(), message };
        let io_error = |e: std::io::Error| match limit_exceeded(&e) {
            Some(limit) => format(limit.to_string()),
            None => format(format!("cannot read: {e}")),
        };
        let mut batch = Batch {
            source: source.into(),
            kind: Some(kind),
            rows: Vec::new(),
            rejected: Vec::new(),
        };
        // No line limit while looking for the array's `[`: a minified array is one long line,
        // so an array is bounded element by element instead.
        let mut input = BufReader::new(BoundedReader::lines(reader).with_limit(usize::MAX));
        let mut line = 1u64;
        let first = loop {
            let buf = input.fill_buf().map_err(io_error)?;
            let Some(&b) = buf.first() else { break None };
            if !b.is_ascii_whitespace() {
                break Some(b);
            }
            line += u64::from(b == b'\n');
            input.consume(1);
        };
        if first == Some(b'[') {
            input.consume(1);
            let mut splitter = ArraySplitter {
                input,
                line,
                closed: false,
                after_comma: false,
                format: &format,
                io_error: &io_error,
            };
            while let Some((start, element)) = splitter.next_element()? {
                match std::str::from_utf8(&element) {
                    Ok(text) => batch.push_json(kind, text, start),
                    Err(_) => batch.rejected.push(RejectedRow::new(start, "", "not valid utf-8")),
                }
            }
            return Ok(batch);
        }
        // JSON Lines: the shared line limit applies from here on.
        input.get_mut().set_limit(finkit_schema::limits::MAX_LINE_BYTES);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf).map_err(io_error)? == 0 {
                break;
            }
            match std::str::from_utf8(&buf) {
                Ok(text) if text.trim().is_empty() => {}
                Ok(text) => batch.push_json(kind, text, line),
                Err(_) => batch.rejected.push(RejectedRow::new(line, "", "not valid utf-8")),
            }
            line += 1;
        }
        Ok(batch)
    }

    /// Reads a JSON or JSON Lines file of one entity kind, streaming (see
    /// [`Batch::from_json_reader`]).
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] or [`PoolError::Format`].
    pub fn from_json_path(kind: EntityKind, path: impl AsRef<Path>) -> Result<Self, PoolError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|source| PoolError::Io { path: path.to_path_buf(), source })?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            let source = std::io::Error::other("is a directory, not a file");
            return Err(PoolError::Io { path: path.to_path_buf(), source });
        }
        Self::from_json_reader(kind, file, &path.display().to_string())
    }

    fn push_json(&mut self, kind: EntityKind, text: &str, line: u64) {
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
            Ok(record) => self.rows.push(Row { line, record }),
            Err((field, reason)) => self.rejected.push(RejectedRow::new(line, field, reason)),
        }
    }
}

/// The limit error inside a csv error, if the shared bounded reader stopped the read.
fn limit_error(e: &csv::Error) -> Option<&LimitExceeded> {
    match e.kind() {
        csv::ErrorKind::Io(io) => limit_exceeded(io),
        _ => None,
    }
}

/// Splits a JSON array (whose `[` was consumed) into its elements' texts, one at a time, each
/// bounded by the shared line limit, with the line where each element starts.
struct ArraySplitter<'a, R, F, G> {
    input: BufReader<R>,
    line: u64,
    /// Whether the closing `]` was read.
    closed: bool,
    /// Whether the last element ended with a `,` (so another must follow).
    after_comma: bool,
    format: &'a F,
    io_error: &'a G,
}

impl<R, F, G> ArraySplitter<'_, R, F, G>
where
    R: Read,
    F: Fn(String) -> PoolError,
    G: Fn(std::io::Error) -> PoolError,
{
    fn byte(&mut self) -> Result<Option<u8>, PoolError> {
        let buf = self.input.fill_buf().map_err(self.io_error)?;
        let Some(&b) = buf.first() else { return Ok(None) };
        self.input.consume(1);
        self.line += u64::from(b == b'\n');
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

    /// The next element and its first line; `None` after the closing `]`.
    fn next_element(&mut self) -> Result<Option<(u64, Vec<u8>)>, PoolError> {
        let format = self.format;
        if self.closed {
            return Ok(None);
        }
        let Some(first) = self.non_space()? else {
            return Err(format(format!("line {}: the json array is not closed with ]", self.line)));
        };
        if first == b']' && !self.after_comma {
            self.closed = true;
            return self.end().map(|()| None);
        }
        if first == b']' {
            return Err(format(format!("line {}: a json array element is missing", self.line)));
        }
        if first == b',' {
            return Err(format(format!("line {}: a json array element is missing", self.line)));
        }
        let start = self.line;
        let mut element = vec![first];
        let (mut depth, mut in_string, mut escaped) = (0usize, first == b'"', false);
        if matches!(first, b'{' | b'[') {
            depth = 1;
        }
        loop {
            let Some(b) = self.byte()? else {
                return Err(format(format!(
                    "line {}: the json array is not closed with ] (element from line {start})",
                    self.line
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
                        self.end()?;
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
                return Err(format(limit.to_string()));
            }
        }
    }

    /// After the closing `]`: only white space may follow.
    fn end(&mut self) -> Result<(), PoolError> {
        match self.non_space()? {
            None => Ok(()),
            Some(_) => Err((self.format)(format!(
                "line {}: text after the end of the json array",
                self.line
            ))),
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

/// The columns of each CSV layout.
struct Layout {
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

impl Layout {
    fn of(kind: EntityKind) -> Layout {
        match kind {
            EntityKind::Firms => Layout {
                required: &[
                    "id",
                    "name",
                    "registration_number",
                    "industry_scheme",
                    "industry_code",
                    "region",
                    "founded",
                    "employees",
                    "high_tech_certified",
                    "rd_expense",
                    "rd_staff_share",
                    "patents_invention",
                    "patents_utility_model",
                    "patents_design",
                    "software_copyrights",
                    "venture_funding",
                ],
                optional: &["certification_date", "contact_name", "contact_email", "contact_phone"],
            },
            EntityKind::Statements => Layout { required: &STATEMENT_FIELDS, optional: &[] },
            EntityKind::Applications => Layout {
                required: &[
                    "id",
                    "firm_id",
                    "application_date",
                    "amount",
                    "currency",
                    "tenor",
                    "product",
                    "purpose",
                ],
                optional: &["collateral", "guarantees"],
            },
            EntityKind::Exposures => Layout {
                required: &[
                    "loan_id", "firm_id", "pd", "lgd", "ead", "maturity", "sector", "currency",
                ],
                optional: &["annual_sales", "rating"],
            },
            EntityKind::CreditEvents => {
                Layout { required: &["firm_id", "kind", "date"], optional: &[] }
            }
            EntityKind::Prices => {
                Layout { required: &["instrument", "date", "price"], optional: &[] }
            }
        }
    }
}

/// The cells of one CSV row, collecting a rejection for every cell that does not parse.
struct Cells<'a> {
    record: &'a csv::StringRecord,
    index: &'a HashMap<String, usize>,
    /// Index of the last column, whose cell carries the `\r` of a CRLF line ending.
    last: usize,
    line: u64,
    errors: Vec<RejectedRow>,
}

impl Cells<'_> {
    /// The raw cell; `None` when the (optional) column is absent.
    fn raw(&self, name: &str) -> Option<&str> {
        self.index.get(name).and_then(|&i| {
            let cell = self.record.get(i)?;
            Some(if i == self.last { cell.strip_suffix('\r').unwrap_or(cell) } else { cell })
        })
    }

    fn text(&self, name: &str) -> String {
        self.raw(name).unwrap_or_default().to_owned()
    }

    fn opt_text(&self, name: &str) -> Option<String> {
        self.raw(name).filter(|s| !s.is_empty()).map(str::to_owned)
    }

    fn reject(&mut self, name: &str, reason: String) {
        self.errors.push(RejectedRow::new(self.line, name, reason));
    }

    /// A required cell parsed with `f`; records a rejection and returns `None` when it fails.
    fn req<T>(&mut self, name: &str, f: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.raw(name).unwrap_or_default();
        if raw.is_empty() {
            self.reject(name, "missing value".into());
            return None;
        }
        match f(raw) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.reject(name, reason);
                None
            }
        }
    }

    /// An optional cell: empty or absent is `Some(None)`, a bad value is `None`.
    fn opt<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.raw(name) {
            None | Some("") => Some(None),
            Some(raw) => match f(raw) {
                Ok(v) => Some(Some(v)),
                Err(reason) => {
                    self.reject(name, reason);
                    None
                }
            },
        }
    }

    fn f64(&mut self, name: &str) -> Option<f64> {
        self.req(name, number)
    }
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

fn parsed<T: FromStr<Err = finkit_schema::SchemaError>>(s: &str) -> Result<T, String> {
    s.parse::<T>().map_err(|e| e.to_string())
}

fn checked<T>(
    s: &str,
    make: impl FnOnce(f64) -> Result<T, finkit_schema::SchemaError>,
) -> Result<T, String> {
    make(number(s)?).map_err(|e| e.to_string())
}

/// A snake_case enum name through the type's serde representation.
fn enum_name<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = s.into_deserializer();
    T::deserialize(de).map_err(|e| e.to_string())
}

fn json_cell<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_str(s).map_err(|e| format!("not a valid json array: {e}"))
}

fn parse_row(kind: EntityKind, c: &mut Cells<'_>) -> Option<Record> {
    match kind {
        EntityKind::Firms => parse_firm(c).map(Record::Firm),
        EntityKind::Statements => parse_statement(c).map(Record::Statement),
        EntityKind::Applications => parse_application(c).map(Record::Application),
        EntityKind::Exposures => parse_exposure(c).map(Record::Exposure),
        EntityKind::CreditEvents => {
            let firm_id = c.req("firm_id", parsed::<FirmId>);
            let kind = c.req("kind", enum_name);
            let date = c.req("date", date);
            Some(Record::CreditEvent(CreditEvent { firm_id: firm_id?, kind: kind?, date: date? }))
        }
        EntityKind::Prices => {
            let instrument = c.req("instrument", parsed::<InstrumentId>);
            let date = c.req("date", date);
            let price = c.f64("price");
            Some(Record::Price(PriceObservation {
                instrument: instrument?,
                date: date?,
                price: price?,
            }))
        }
    }
}

fn parse_firm(c: &mut Cells<'_>) -> Option<Firm> {
    // Every cell is parsed before `?` so that each bad cell of the row is reported.
    let id = c.req("id", parsed::<FirmId>);
    let scheme = c.req("industry_scheme", enum_name);
    let founded = c.req("founded", date);
    let employees = c.req("employees", unsigned);
    let certified = c.req("high_tech_certified", boolean);
    let certification_date = c.opt("certification_date", date);
    let rd_expense = c.req("rd_expense", |s| checked(s, Amount::new));
    let rd_staff_share = c.req("rd_staff_share", |s| checked(s, Probability::new));
    let invention = c.req("patents_invention", unsigned);
    let utility_model = c.req("patents_utility_model", unsigned);
    let design = c.req("patents_design", unsigned);
    let software_copyrights = c.req("software_copyrights", unsigned);
    let venture_funding = c.req("venture_funding", |s| checked(s, Amount::new));
    Some(Firm {
        id: id?,
        name: c.text("name"),
        registration_number: c.text("registration_number"),
        industry: IndustryCode { scheme: scheme?, code: c.text("industry_code") },
        region: c.text("region"),
        founded: founded?,
        employees: employees?,
        tech: TechProfile {
            high_tech_certified: certified?,
            certification_date: certification_date?,
            rd_expense: rd_expense?,
            rd_staff_share: rd_staff_share?,
            patents: Patents {
                invention: invention?,
                utility_model: utility_model?,
                design: design?,
            },
            software_copyrights: software_copyrights?,
            venture_funding: venture_funding?,
        },
        contact_name: c.opt_text("contact_name"),
        contact_email: c.opt_text("contact_email"),
        contact_phone: c.opt_text("contact_phone"),
    })
}

fn parse_statement(c: &mut Cells<'_>) -> Option<FinancialStatement> {
    let firm_id = c.req("firm_id", parsed::<FirmId>);
    let period_end = c.req("period_end", date);
    let available_at = c.req("available_at", date);
    let currency = c.req("currency", parsed::<Currency>);
    let unit = c.req("unit", enum_name);
    let mut v = [0.0f64; 17];
    let mut ok = true;
    for (slot, name) in v.iter_mut().zip(STATEMENT_AMOUNTS) {
        match c.f64(name) {
            Some(x) => *slot = x,
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(FinancialStatement {
        firm_id: firm_id?,
        period_end: period_end?,
        available_at: available_at?,
        currency: currency?,
        unit: unit?,
        cash: v[0],
        current_assets: v[1],
        total_assets: v[2],
        current_liabilities: v[3],
        total_liabilities: v[4],
        short_term_debt: v[5],
        long_term_debt: v[6],
        retained_earnings: v[7],
        book_equity: v[8],
        revenue: v[9],
        ebit: v[10],
        ebitda: v[11],
        interest_expense: v[12],
        net_income: v[13],
        rd_expense: v[14],
        operating_cash_flow: v[15],
        capex: v[16],
    })
}

/// The CSV columns of a statement: five key columns, then the amounts.
const STATEMENT_FIELDS: [&str; 22] = [
    "firm_id",
    "period_end",
    "available_at",
    "currency",
    "unit",
    "cash",
    "current_assets",
    "total_assets",
    "current_liabilities",
    "total_liabilities",
    "short_term_debt",
    "long_term_debt",
    "retained_earnings",
    "book_equity",
    "revenue",
    "ebit",
    "ebitda",
    "interest_expense",
    "net_income",
    "rd_expense",
    "operating_cash_flow",
    "capex",
];

/// The amount columns of a statement, in [`FinancialStatement`] declaration order.
pub(crate) const STATEMENT_AMOUNTS: &[&str] = STATEMENT_FIELDS.split_at(5).1;

fn parse_application(c: &mut Cells<'_>) -> Option<LoanApplication> {
    let id = c.req("id", parsed::<ApplicationId>);
    let firm_id = c.req("firm_id", parsed::<FirmId>);
    let application_date = c.req("application_date", date);
    let amount = c.req("amount", |s| checked(s, Amount::new));
    let currency = c.req("currency", parsed::<Currency>);
    let tenor = c.req("tenor", |s| checked(s, Maturity::new));
    let product = c.req("product", enum_name);
    let collateral = c.opt("collateral", json_cell::<Vec<Collateral>>);
    let guarantees = c.opt("guarantees", json_cell::<Vec<Guarantee>>);
    Some(LoanApplication {
        id: id?,
        firm_id: firm_id?,
        application_date: application_date?,
        amount: amount?,
        currency: currency?,
        tenor: tenor?,
        product: product?,
        purpose: c.text("purpose"),
        collateral: collateral?.unwrap_or_default(),
        guarantees: guarantees?.unwrap_or_default(),
    })
}

fn parse_exposure(c: &mut Cells<'_>) -> Option<Exposure> {
    let loan_id = c.req("loan_id", parsed::<LoanId>);
    let firm_id = c.req("firm_id", parsed::<FirmId>);
    let pd = c.req("pd", |s| checked(s, Probability::new));
    let lgd = c.req("lgd", |s| checked(s, Lgd::new));
    let ead = c.req("ead", |s| checked(s, Amount::new));
    let maturity = c.req("maturity", |s| checked(s, Maturity::new));
    let annual_sales = c.opt("annual_sales", |s| checked(s, Amount::new));
    let currency = c.req("currency", parsed::<Currency>);
    Some(Exposure {
        loan_id: loan_id?,
        firm_id: firm_id?,
        pd: pd?,
        lgd: lgd?,
        ead: ead?,
        maturity: maturity?,
        sector: c.text("sector"),
        annual_sales: annual_sales?,
        rating: c.opt_text("rating"),
        currency: currency?,
    })
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
/// Implement this for a transaction type and call [`apply_batch`]; then commit when the mode and
/// report allow it, otherwise roll back. This keeps validation, referential checks and
/// natural-key rules identical across backends.
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
/// and reports every rejected row. The caller commits or rolls back.
///
/// # Errors
///
/// A backend error from `store` (the caller must roll back).
#[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, name = "pool.ingest", fields(rows = batch.rows.len(), source = %batch.source)))]
pub fn apply_batch(store: &mut impl IngestStore, batch: &Batch) -> Result<IngestReport, PoolError> {
    let mut report = IngestReport { rejected: batch.rejected.clone(), ..IngestReport::default() };
    let mut known: HashMap<&FirmId, bool> = HashMap::new();
    for kind in EntityKind::ALL {
        for row in batch.rows.iter().filter(|r| r.record.kind() == kind) {
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
    report.rejected.sort();
    Ok(report)
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
