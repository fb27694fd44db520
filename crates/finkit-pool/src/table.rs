//! One descriptor per stored entity: its columns, in storage order, with their types and
//! nullability, and the conversion of a record to and from a row of [`Cell`]s.
//!
//! Every place that spells an entity's columns is driven by these descriptors: CSV ingestion
//! (the header check and the parsing of each cell), the synthetic CSV writer, the SQL column
//! lists, the decoding of a result row and the inserts of SQLite and PostgreSQL, and the Arrow
//! schema, encoder and decoder of the Parquet export. The migrations' DDL is history and is not
//! generated; a test checks that the migrated tables have exactly these columns, types and
//! `NOT NULL` constraints, so a new column is added in one descriptor plus one migration.
//!
//! ```
//! use finkit_pool::table::{ColumnType, Tabular};
//! use finkit_schema::FinancialStatement;
//!
//! let t = FinancialStatement::TABLE;
//! assert_eq!(t.table, "statements");
//! assert_eq!(t.columns[0].name, "firm_id");
//! assert_eq!(t.column("cash").map(|c| c.ty), Some(ColumnType::Float));
//! ```

use std::fmt;

use chrono::NaiveDate;
use finkit_schema::{
    Amount, ApplicationId, CreditEvent, Currency, Exposure, FinancialStatement, Firm, FirmId,
    IndustryCode, InstrumentId, Lgd, LoanApplication, LoanId, Maturity, Patents, Probability,
    SchemaError, TechProfile,
};
use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};

use crate::{EntityKind, PriceObservation};

/// How a column's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// Free text; an empty cell is an empty string.
    Text,
    /// A checked code: an identifier, a currency or an enum's snake_case name. Never empty.
    Code,
    /// A calendar date (`yyyy-mm-dd` in CSV, a day number in SQL, Date32 in Arrow).
    Date,
    /// A 64-bit float.
    Float,
    /// A count, `0..=u32::MAX`.
    Count,
    /// A boolean (`true`/`false` in CSV, 0/1 in SQL).
    Flag,
    /// A JSON array stored as text (collateral, guarantees); an absent cell is an empty list.
    Json,
}

/// One column of a stored entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Column {
    /// The column's name, the same in CSV, SQL and Arrow.
    pub name: &'static str,
    /// How values are stored.
    pub ty: ColumnType,
    /// Whether a value may be absent (SQL `NULL`, an Arrow null, an empty CSV cell).
    pub nullable: bool,
}

impl Column {
    const fn new(name: &'static str, ty: ColumnType) -> Column {
        Column { name, ty, nullable: false }
    }

    const fn nullable(name: &'static str, ty: ColumnType) -> Column {
        Column { name, ty, nullable: true }
    }

    /// Whether a CSV file may leave the column out: nullable columns, and JSON lists (empty).
    #[must_use]
    pub fn csv_optional(&self) -> bool {
        self.nullable || self.ty == ColumnType::Json
    }
}

/// The descriptor of one stored entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Table {
    /// The entity's singular name, as errors spell it ("statement").
    pub entity: &'static str,
    /// The SQL table (and Parquet directory) name.
    pub table: &'static str,
    /// The columns, in storage order.
    pub columns: &'static [Column],
}

impl Table {
    /// The column with this name.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The position of the column with this name.
    #[must_use]
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column names, in storage order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &'static str> + '_ {
        self.columns.iter().map(|c| c.name)
    }

    /// The column names joined by `", "`, for SQL.
    #[must_use]
    pub fn column_list(&self) -> String {
        self.names().collect::<Vec<_>>().join(", ")
    }

    /// The descriptor of an entity kind.
    #[must_use]
    pub fn of(kind: EntityKind) -> &'static Table {
        match kind {
            EntityKind::Firms => Firm::TABLE,
            EntityKind::Statements => FinancialStatement::TABLE,
            EntityKind::Applications => LoanApplication::TABLE,
            EntityKind::Exposures => Exposure::TABLE,
            EntityKind::CreditEvents => CreditEvent::TABLE,
            EntityKind::Prices => PriceObservation::TABLE,
        }
    }
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Cell {
    /// No value.
    #[default]
    Null,
    /// Text, a code or a JSON document.
    Text(String),
    /// A date.
    Date(NaiveDate),
    /// A float.
    Float(f64),
    /// A count.
    Count(u32),
    /// A flag.
    Flag(bool),
}

impl Cell {
    fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "null",
            Cell::Text(_) => "text",
            Cell::Date(_) => "a date",
            Cell::Float(_) => "a number",
            Cell::Count(_) => "a count",
            Cell::Flag(_) => "a flag",
        }
    }
}

/// CSV text of a cell: ISO dates, shortest round-trip numbers, `true`/`false`, empty for null.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => Ok(()),
            Cell::Text(s) => f.write_str(s),
            Cell::Date(d) => write!(f, "{d}"),
            Cell::Float(x) => write!(f, "{x}"),
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Flag(b) => write!(f, "{b}"),
        }
    }
}

/// Why one cell does not make a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CellError {
    /// The column.
    pub column: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.column, self.reason)
    }
}

/// A stored entity: its descriptor and its conversion to and from cells.
pub trait Tabular: Sized {
    /// The entity's descriptor.
    const TABLE: &'static Table;

    /// The record's cells, one per column of [`Tabular::TABLE`], in order.
    ///
    /// # Errors
    ///
    /// A [`CellError`] when a value cannot be stored (a JSON list that does not serialise).
    fn to_cells(&self) -> Result<Vec<Cell>, CellError>;

    /// The record from one cell per column of [`Tabular::TABLE`], in order, with every
    /// validated value checked (identifiers, amounts, probabilities, enum names, JSON lists).
    ///
    /// # Errors
    ///
    /// Every cell that does not make a valid value, each with its column.
    fn from_cells(cells: Vec<Cell>) -> Result<Self, Vec<CellError>>;
}

/// The cells of one row being turned into a record; every bad cell is recorded.
struct Row {
    table: &'static Table,
    cells: Vec<Cell>,
    errors: Vec<CellError>,
    /// The column after the one read last: `from_cells` reads in order, so this is usually
    /// the next one asked for and no search is needed.
    next: usize,
}

impl Row {
    fn new(table: &'static Table, cells: Vec<Cell>) -> Row {
        let mut row = Row { table, cells, errors: Vec::new(), next: 0 };
        if row.cells.len() != table.columns.len() {
            let n = row.cells.len();
            row.fail(
                table.columns.first().map_or("", |c| c.name),
                format!("{n} cells for the {} columns of {}", table.columns.len(), table.table),
            );
        }
        row
    }

    fn fail(&mut self, column: &'static str, reason: impl Into<String>) {
        self.errors.push(CellError { column, reason: reason.into() });
    }

    /// The cell of a column, taken out of the row.
    fn take(&mut self, name: &'static str) -> Option<(&'static str, Cell)> {
        let columns = self.table.columns;
        let at = match columns.get(self.next) {
            Some(c) if c.name == name => Some(self.next),
            _ => self.table.position(name),
        };
        match at {
            Some(i) if i < self.cells.len() => {
                self.next = i + 1;
                Some((columns[i].name, std::mem::take(&mut self.cells[i])))
            }
            _ => {
                self.fail(name, format!("not a column of {}", self.table.table));
                None
            }
        }
    }

    fn wrong(&mut self, name: &'static str, cell: &Cell, wanted: &str) {
        self.fail(name, format!("expected {wanted}, found {}", cell.kind()));
    }

    fn opt_text(&mut self, name: &'static str) -> Option<Option<String>> {
        match self.take(name)? {
            (_, Cell::Null) => Some(None),
            (_, Cell::Text(s)) if s.is_empty() => Some(None),
            (_, Cell::Text(s)) => Some(Some(s)),
            (n, other) => {
                self.wrong(n, &other, "text");
                None
            }
        }
    }

    fn text(&mut self, name: &'static str) -> Option<String> {
        match self.take(name)? {
            (_, Cell::Text(s)) => Some(s),
            (n, Cell::Null) => {
                self.fail(n, "missing value");
                None
            }
            (n, other) => {
                self.wrong(n, &other, "text");
                None
            }
        }
    }

    /// A code checked by `make`.
    fn code<T, E: fmt::Display>(
        &mut self,
        name: &'static str,
        make: impl FnOnce(String) -> Result<T, E>,
    ) -> Option<T> {
        let s = self.text(name)?;
        if s.is_empty() {
            self.fail(name, "missing value");
            return None;
        }
        make(s).map_err(|e| self.fail(name, e.to_string())).ok()
    }

    /// An enum by its snake_case serde name.
    fn spelled<T: DeserializeOwned>(&mut self, name: &'static str) -> Option<T> {
        self.code(name, |s| {
            let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                s.as_str().into_deserializer();
            T::deserialize(de)
        })
    }

    fn opt_date(&mut self, name: &'static str) -> Option<Option<NaiveDate>> {
        match self.take(name)? {
            (_, Cell::Null) => Some(None),
            (_, Cell::Date(d)) => Some(Some(d)),
            (n, other) => {
                self.wrong(n, &other, "a date");
                None
            }
        }
    }

    fn date(&mut self, name: &'static str) -> Option<NaiveDate> {
        let d = self.opt_date(name)?;
        if d.is_none() {
            self.fail(name, "missing value");
        }
        d
    }

    fn opt_float(&mut self, name: &'static str) -> Option<Option<f64>> {
        match self.take(name)? {
            (_, Cell::Null) => Some(None),
            (_, Cell::Float(x)) => Some(Some(x)),
            (n, other) => {
                self.wrong(n, &other, "a number");
                None
            }
        }
    }

    fn float(&mut self, name: &'static str) -> Option<f64> {
        let x = self.opt_float(name)?;
        if x.is_none() {
            self.fail(name, "missing value");
        }
        x
    }

    /// A float checked by a schema constructor.
    fn checked<T>(
        &mut self,
        name: &'static str,
        make: impl FnOnce(f64) -> Result<T, SchemaError>,
    ) -> Option<T> {
        let x = self.float(name)?;
        make(x).map_err(|e| self.fail(name, e.to_string())).ok()
    }

    fn opt_checked<T>(
        &mut self,
        name: &'static str,
        make: impl FnOnce(f64) -> Result<T, SchemaError>,
    ) -> Option<Option<T>> {
        match self.opt_float(name)? {
            None => Some(None),
            Some(x) => make(x).map(Some).map_err(|e| self.fail(name, e.to_string())).ok(),
        }
    }

    fn count(&mut self, name: &'static str) -> Option<u32> {
        match self.take(name)? {
            (_, Cell::Count(n)) => Some(n),
            (n, Cell::Null) => {
                self.fail(n, "missing value");
                None
            }
            (n, other) => {
                self.wrong(n, &other, "a count");
                None
            }
        }
    }

    fn flag(&mut self, name: &'static str) -> Option<bool> {
        match self.take(name)? {
            (_, Cell::Flag(b)) => Some(b),
            (n, Cell::Null) => {
                self.fail(n, "missing value");
                None
            }
            (n, other) => {
                self.wrong(n, &other, "a flag");
                None
            }
        }
    }

    /// A JSON list; absent is empty.
    fn json<T: DeserializeOwned + Default>(&mut self, name: &'static str) -> Option<T> {
        match self.opt_text(name)? {
            None => Some(T::default()),
            Some(s) => serde_json::from_str(&s)
                .map_err(|e| self.fail(name, format!("not a valid json array: {e}")))
                .ok(),
        }
    }

    /// The record, or every error recorded. `build` sees the values read above; it returns
    /// `None` only when one of them is missing, which has then been recorded.
    fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Vec<CellError>> {
        let Row { table, mut errors, .. } = self;
        match build() {
            Some(v) if errors.is_empty() => Ok(v),
            _ => {
                if errors.is_empty() {
                    errors.push(CellError {
                        column: table.columns.first().map_or("", |c| c.name),
                        reason: "incomplete row".into(),
                    });
                }
                Err(errors)
            }
        }
    }
}

/// A value's snake_case serde name (the stored and CSV form of every enum); empty for a value
/// that is not a plain enum variant.
pub(crate) fn spelled_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn spelled<T: Serialize>(value: &T) -> Cell {
    Cell::Text(spelled_name(value))
}

fn json<T: Serialize>(value: &T, column: &'static str) -> Result<Cell, CellError> {
    serde_json::to_string(value)
        .map(Cell::Text)
        .map_err(|e| CellError { column, reason: e.to_string() })
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn opt_text(s: Option<&str>) -> Cell {
    s.map_or(Cell::Null, text)
}

use ColumnType::{
    Code, Count as CountT, Date as DateT, Flag as FlagT, Float as FloatT, Json, Text,
};

const FIRM_COLUMNS: &[Column] = &[
    Column::new("id", Code),
    Column::new("name", Text),
    Column::new("registration_number", Text),
    Column::new("industry_scheme", Code),
    Column::new("industry_code", Text),
    Column::new("region", Text),
    Column::new("founded", DateT),
    Column::new("employees", CountT),
    Column::new("high_tech_certified", FlagT),
    Column::nullable("certification_date", DateT),
    Column::new("rd_expense", FloatT),
    Column::new("rd_staff_share", FloatT),
    Column::new("patents_invention", CountT),
    Column::new("patents_utility_model", CountT),
    Column::new("patents_design", CountT),
    Column::new("software_copyrights", CountT),
    Column::new("venture_funding", FloatT),
    Column::nullable("contact_name", Text),
    Column::nullable("contact_email", Text),
    Column::nullable("contact_phone", Text),
];

impl Tabular for Firm {
    const TABLE: &'static Table = &Table { entity: "firm", table: "firms", columns: FIRM_COLUMNS };

    fn to_cells(&self) -> Result<Vec<Cell>, CellError> {
        let t = &self.tech;
        Ok(vec![
            text(self.id.as_str()),
            text(&self.name),
            text(&self.registration_number),
            spelled(&self.industry.scheme),
            text(&self.industry.code),
            text(&self.region),
            Cell::Date(self.founded),
            Cell::Count(self.employees),
            Cell::Flag(t.high_tech_certified),
            t.certification_date.map_or(Cell::Null, Cell::Date),
            Cell::Float(t.rd_expense.get()),
            Cell::Float(t.rd_staff_share.get()),
            Cell::Count(t.patents.invention),
            Cell::Count(t.patents.utility_model),
            Cell::Count(t.patents.design),
            Cell::Count(t.software_copyrights),
            Cell::Float(t.venture_funding.get()),
            opt_text(self.contact_name.as_deref()),
            opt_text(self.contact_email.as_deref()),
            opt_text(self.contact_phone.as_deref()),
        ])
    }

    fn from_cells(cells: Vec<Cell>) -> Result<Self, Vec<CellError>> {
        let mut r = Row::new(Self::TABLE, cells);
        let id = r.code("id", FirmId::new);
        let name = r.text("name");
        let registration_number = r.text("registration_number");
        let scheme = r.spelled("industry_scheme");
        let code = r.text("industry_code");
        let region = r.text("region");
        let founded = r.date("founded");
        let employees = r.count("employees");
        let certified = r.flag("high_tech_certified");
        let certification_date = r.opt_date("certification_date");
        let rd_expense = r.checked("rd_expense", Amount::new);
        let rd_staff_share = r.checked("rd_staff_share", Probability::new);
        let invention = r.count("patents_invention");
        let utility_model = r.count("patents_utility_model");
        let design = r.count("patents_design");
        let software_copyrights = r.count("software_copyrights");
        let venture_funding = r.checked("venture_funding", Amount::new);
        let contact_name = r.opt_text("contact_name");
        let contact_email = r.opt_text("contact_email");
        let contact_phone = r.opt_text("contact_phone");
        r.finish(|| {
            Some(Firm {
                id: id?,
                name: name?,
                registration_number: registration_number?,
                industry: IndustryCode { scheme: scheme?, code: code? },
                region: region?,
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
                contact_name: contact_name?,
                contact_email: contact_email?,
                contact_phone: contact_phone?,
            })
        })
    }
}

/// The statement's key columns, then its amounts in [`FinancialStatement::amounts`] order.
const STATEMENT_COLUMNS: &[Column] = &[
    Column::new("firm_id", Code),
    Column::new("period_end", DateT),
    Column::new("available_at", DateT),
    Column::new("currency", Code),
    Column::new("unit", Code),
    Column::new("cash", FloatT),
    Column::new("current_assets", FloatT),
    Column::new("total_assets", FloatT),
    Column::new("current_liabilities", FloatT),
    Column::new("total_liabilities", FloatT),
    Column::new("short_term_debt", FloatT),
    Column::new("long_term_debt", FloatT),
    Column::new("retained_earnings", FloatT),
    Column::new("book_equity", FloatT),
    Column::new("revenue", FloatT),
    Column::new("ebit", FloatT),
    Column::new("ebitda", FloatT),
    Column::new("interest_expense", FloatT),
    Column::new("net_income", FloatT),
    Column::new("rd_expense", FloatT),
    Column::new("operating_cash_flow", FloatT),
    Column::new("capex", FloatT),
];

/// The number of key columns before a statement's amounts.
const STATEMENT_KEYS: usize = 5;

impl Tabular for FinancialStatement {
    const TABLE: &'static Table =
        &Table { entity: "statement", table: "statements", columns: STATEMENT_COLUMNS };

    fn to_cells(&self) -> Result<Vec<Cell>, CellError> {
        let mut cells = Vec::with_capacity(STATEMENT_COLUMNS.len());
        cells.extend([
            text(self.firm_id.as_str()),
            Cell::Date(self.period_end),
            Cell::Date(self.available_at),
            text(self.currency.as_str()),
            spelled(&self.unit),
        ]);
        cells.extend(self.stored_amounts().map(Cell::Float));
        Ok(cells)
    }

    fn from_cells(cells: Vec<Cell>) -> Result<Self, Vec<CellError>> {
        let mut r = Row::new(Self::TABLE, cells);
        let firm_id = r.code("firm_id", FirmId::new);
        let period_end = r.date("period_end");
        let available_at = r.date("available_at");
        let currency = r.code("currency", |s| Currency::new(&s));
        let unit = r.spelled("unit");
        let mut v = [0.0f64; FinancialStatement::AMOUNT_FIELDS.len()];
        let mut complete = true;
        for (slot, column) in v.iter_mut().zip(&STATEMENT_COLUMNS[STATEMENT_KEYS..]) {
            match r.float(column.name) {
                Some(x) => *slot = x,
                None => complete = false,
            }
        }
        r.finish(|| {
            complete.then_some(())?;
            Some(FinancialStatement::from_amounts(
                firm_id?,
                period_end?,
                available_at?,
                currency?,
                unit?,
                v,
            ))
        })
    }
}

const APPLICATION_COLUMNS: &[Column] = &[
    Column::new("id", Code),
    Column::new("firm_id", Code),
    Column::new("application_date", DateT),
    Column::new("amount", FloatT),
    Column::new("currency", Code),
    Column::new("tenor", FloatT),
    Column::new("product", Code),
    Column::new("purpose", Text),
    Column::new("collateral", Json),
    Column::new("guarantees", Json),
];

impl Tabular for LoanApplication {
    const TABLE: &'static Table =
        &Table { entity: "application", table: "applications", columns: APPLICATION_COLUMNS };

    fn to_cells(&self) -> Result<Vec<Cell>, CellError> {
        Ok(vec![
            text(self.id.as_str()),
            text(self.firm_id.as_str()),
            Cell::Date(self.application_date),
            Cell::Float(self.amount.get()),
            text(self.currency.as_str()),
            Cell::Float(self.tenor.get()),
            spelled(&self.product),
            text(&self.purpose),
            json(&self.collateral, "collateral")?,
            json(&self.guarantees, "guarantees")?,
        ])
    }

    fn from_cells(cells: Vec<Cell>) -> Result<Self, Vec<CellError>> {
        let mut r = Row::new(Self::TABLE, cells);
        let id = r.code("id", ApplicationId::new);
        let firm_id = r.code("firm_id", FirmId::new);
        let application_date = r.date("application_date");
        let amount = r.checked("amount", Amount::new);
        let currency = r.code("currency", |s| Currency::new(&s));
        let tenor = r.checked("tenor", Maturity::new);
        let product = r.spelled("product");
        let purpose = r.text("purpose");
        let collateral = r.json("collateral");
        let guarantees = r.json("guarantees");
        r.finish(|| {
            Some(LoanApplication {
                id: id?,
                firm_id: firm_id?,
                application_date: application_date?,
                amount: amount?,
                currency: currency?,
                tenor: tenor?,
                product: product?,
                purpose: purpose?,
                collateral: collateral?,
                guarantees: guarantees?,
            })
        })
    }
}

const EXPOSURE_COLUMNS: &[Column] = &[
    Column::new("loan_id", Code),
    Column::new("firm_id", Code),
    Column::new("pd", FloatT),
    Column::new("lgd", FloatT),
    Column::new("ead", FloatT),
    Column::new("maturity", FloatT),
    Column::new("sector", Text),
    Column::nullable("annual_sales", FloatT),
    Column::nullable("rating", Text),
    Column::new("currency", Code),
];

impl Tabular for Exposure {
    const TABLE: &'static Table =
        &Table { entity: "exposure", table: "exposures", columns: EXPOSURE_COLUMNS };

    fn to_cells(&self) -> Result<Vec<Cell>, CellError> {
        Ok(vec![
            text(self.loan_id.as_str()),
            text(self.firm_id.as_str()),
            Cell::Float(self.pd.get()),
            Cell::Float(self.lgd.get()),
            Cell::Float(self.ead.get()),
            Cell::Float(self.maturity.get()),
            text(&self.sector),
            self.annual_sales.map_or(Cell::Null, |a| Cell::Float(a.get())),
            opt_text(self.rating.as_deref()),
            text(self.currency.as_str()),
        ])
    }

    fn from_cells(cells: Vec<Cell>) -> Result<Self, Vec<CellError>> {
        let mut r = Row::new(Self::TABLE, cells);
        let loan_id = r.code("loan_id", LoanId::new);
        let firm_id = r.code("firm_id", FirmId::new);
        let pd = r.checked("pd", Probability::new);
        let lgd = r.checked("lgd", Lgd::new);
        let ead = r.checked("ead", Amount::new);
        let maturity = r.checked("maturity", Maturity::new);
        let sector = r.text("sector");
        let annual_sales = r.opt_checked("annual_sales", Amount::new);
        let rating = r.opt_text("rating");
        let currency = r.code("currency", |s| Currency::new(&s));
        r.finish(|| {
            Some(Exposure {
                loan_id: loan_id?,
                firm_id: firm_id?,
                pd: pd?,
                lgd: lgd?,
                ead: ead?,
                maturity: maturity?,
                sector: sector?,
                annual_sales: annual_sales?,
                rating: rating?,
                currency: currency?,
            })
        })
    }
}

const EVENT_COLUMNS: &[Column] =
    &[Column::new("firm_id", Code), Column::new("date", DateT), Column::new("kind", Code)];

impl Tabular for CreditEvent {
    const TABLE: &'static Table =
        &Table { entity: "credit event", table: "credit_events", columns: EVENT_COLUMNS };

    fn to_cells(&self) -> Result<Vec<Cell>, CellError> {
        Ok(vec![text(self.firm_id.as_str()), Cell::Date(self.date), spelled(&self.kind)])
    }

    fn from_cells(cells: Vec<Cell>) -> Result<Self, Vec<CellError>> {
        let mut r = Row::new(Self::TABLE, cells);
        let firm_id = r.code("firm_id", FirmId::new);
        let date = r.date("date");
        let kind = r.spelled("kind");
        r.finish(|| Some(CreditEvent { firm_id: firm_id?, date: date?, kind: kind? }))
    }
}

const PRICE_COLUMNS: &[Column] =
    &[Column::new("instrument", Code), Column::new("date", DateT), Column::new("price", FloatT)];

impl Tabular for PriceObservation {
    const TABLE: &'static Table =
        &Table { entity: "price", table: "prices", columns: PRICE_COLUMNS };

    fn to_cells(&self) -> Result<Vec<Cell>, CellError> {
        Ok(vec![text(self.instrument.as_str()), Cell::Date(self.date), Cell::Float(self.price)])
    }

    fn from_cells(cells: Vec<Cell>) -> Result<Self, Vec<CellError>> {
        let mut r = Row::new(Self::TABLE, cells);
        let instrument = r.code("instrument", InstrumentId::new);
        let date = r.date("date");
        let price = r.float("price");
        r.finish(|| Some(PriceObservation { instrument: instrument?, date: date?, price: price? }))
    }
}

/// The cells of a record of any kind.
pub(crate) fn record_cells(record: &crate::Record) -> Result<Vec<Cell>, CellError> {
    use crate::Record;
    match record {
        Record::Firm(v) => v.to_cells(),
        Record::Statement(v) => v.to_cells(),
        Record::Application(v) => v.to_cells(),
        Record::Exposure(v) => v.to_cells(),
        Record::CreditEvent(v) => v.to_cells(),
        Record::Price(v) => v.to_cells(),
    }
}

/// A record of a kind from its cells.
pub(crate) fn record_from_cells(
    kind: EntityKind,
    cells: Vec<Cell>,
) -> Result<crate::Record, Vec<CellError>> {
    use crate::Record;
    Ok(match kind {
        EntityKind::Firms => Record::Firm(Firm::from_cells(cells)?),
        EntityKind::Statements => Record::Statement(FinancialStatement::from_cells(cells)?),
        EntityKind::Applications => Record::Application(LoanApplication::from_cells(cells)?),
        EntityKind::Exposures => Record::Exposure(Exposure::from_cells(cells)?),
        EntityKind::CreditEvents => Record::CreditEvent(CreditEvent::from_cells(cells)?),
        EntityKind::Prices => Record::Price(PriceObservation::from_cells(cells)?),
    })
}

#[cfg(all(test, feature = "conformance"))]
mod tests {
    use super::*;
    use crate::conformance::fixtures;

    fn fits(cell: &Cell, column: &Column) -> bool {
        match (cell, column.ty) {
            (Cell::Null, _) => column.nullable,
            (Cell::Text(_), Text | Code | Json) | (Cell::Date(_), DateT) => true,
            (Cell::Float(_), FloatT) | (Cell::Count(_), CountT) | (Cell::Flag(_), FlagT) => true,
            _ => false,
        }
    }

    #[test]
    fn every_entity_round_trips_through_its_cells() {
        let records = fixtures::all_records().expect("fixture");
        let mut kinds = std::collections::BTreeSet::new();
        for record in &records {
            let table = Table::of(record.kind());
            kinds.insert(record.kind());
            let cells = record_cells(record).expect("cells");
            assert_eq!(cells.len(), table.columns.len(), "{}", table.table);
            for (cell, column) in cells.iter().zip(table.columns) {
                assert!(fits(cell, column), "{}.{}: {cell:?}", table.table, column.name);
            }
            assert_eq!(&record_from_cells(record.kind(), cells).expect("from cells"), record);
        }
        assert_eq!(kinds.len(), EntityKind::ALL.len(), "the fixture has every kind");
    }

    #[test]
    fn the_statement_amounts_are_the_schema_amounts_in_order() {
        let names: Vec<&str> = STATEMENT_COLUMNS[STATEMENT_KEYS..].iter().map(|c| c.name).collect();
        let s = fixtures::statements().expect("fixture").remove(0);
        let schema: Vec<&str> = s.amounts().iter().map(|(n, _)| *n).collect();
        // `amounts` ends with the derived total debt, which is not stored.
        assert_eq!(names, schema[..schema.len() - 1]);
    }

    /// The CSV layouts documented in the `ingest` module list each table's columns in order.
    #[test]
    fn the_documented_csv_layouts_are_the_descriptors() {
        let docs = include_str!("ingest.rs");
        for kind in EntityKind::ALL {
            let table = Table::of(kind);
            let prefix = format!("//! | {} | ", table.table);
            let line = docs.lines().find(|l| l.starts_with(&prefix)).expect("documented");
            let mut rest = line;
            for name in table.names() {
                let at = rest
                    .find(&format!("{name},"))
                    .or_else(|| rest.find(&format!("{name}`")))
                    .unwrap_or_else(|| panic!("{}: {name} missing or out of order", table.table));
                rest = &rest[at + name.len()..];
            }
        }
    }

    #[test]
    fn bad_cells_are_each_named() {
        let mut cells = Exposure::TABLE.columns.iter().map(|_| Cell::Null).collect::<Vec<_>>();
        cells[0] = Cell::Text(String::new());
        cells[2] = Cell::Float(1.5);
        cells[3] = Cell::Text("x".into());
        let errors = Exposure::from_cells(cells).expect_err("invalid");
        let columns: Vec<&str> = errors.iter().map(|e| e.column).collect();
        assert!(columns.contains(&"loan_id"), "{errors:?}");
        assert!(columns.contains(&"pd"), "{errors:?}");
        assert!(columns.contains(&"lgd"), "{errors:?}");
        assert!(columns.contains(&"firm_id"), "{errors:?}");
        assert!(!columns.contains(&"annual_sales"), "nullable: {errors:?}");
        assert_eq!(Exposure::from_cells(vec![]).expect_err("short")[0].column, "loan_id");
    }
}
