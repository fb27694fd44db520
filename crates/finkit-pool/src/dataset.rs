//! Point-in-time modelling datasets: for each firm and observation date, the features known on
//! that date and whether a credit event followed within a horizon.
//!
//! This is the point-in-time join that feature stores exist for. For an observation date `d`:
//!
//! - **Statements**: the firm's *current* statement is the latest version (largest
//!   `available_at ≤ d`) of its latest period known on `d`; the *prior* one is the latest version
//!   known on `d` of the latest earlier period — the rule of
//!   [`crate::PoolRead::statements_as_of`]. A restatement published
//!   after `d` is never used, so a dataset built today for a past date is the one that could
//!   have been built on that date.
//! - **Features** ([`feature_names`]): the 16 [`FinancialRatios`] of the current statement
//!   (growth against the prior one) under their field names, then `years_in_business` on `d`,
//!   `employees`, `invention_patents` and `rd_staff_share`. Undefined ratios are missing (NaN).
//!   The firm's attributes are not versioned in the pool, so the last three are the stored
//!   values, not necessarily those known on `d`.
//! - **Target** (`default`): 1 when the firm has a credit event of any kind (default, 90 days
//!   past due, distressed restructuring, bankruptcy: each is a default trigger of CRR Art. 178)
//!   in `(d, d + horizon]`, else 0.
//! - **Population**: every firm founded on or before `d` with a statement known on `d` and no
//!   credit event on or before `d` (a firm already in default is not scored). The firms left
//!   out are counted per date in [`DateSummary`], never dropped silently.
//!
//! [`SqlitePool::point_in_time_dataset`] reads every date's statements in one read transaction
//! (one primary-key scan per date, one audit entry), plus one read of the firms and one of the
//! events; any other backend uses [`point_in_time_dataset`], one audited `statements_as_of` call
//! per date. Both give the same dataset (tested).
//!
//! # Example
//!
//! ```
//! use finkit_pool::dataset::{PointInTimeParams, TARGET};
//! use finkit_pool::synthetic::SyntheticParams;
//! use finkit_pool::{Batch, IngestMode, PoolWrite, Principal, Record, Role, SqlitePool};
//!
//! let data = SyntheticParams::builder().with_firms(200).build()?.generate()?;
//! let pool = SqlitePool::in_memory()?;
//! let admin = Principal::new("admin", Role::Admin);
//! let records: Vec<Record> = data.firms.iter().cloned().map(Record::from)
//!     .chain(data.statements.iter().cloned().map(Record::from))
//!     .chain(data.events.iter().cloned().map(Record::from))
//!     .collect();
//! pool.ingest(&admin, &Batch::from_records(records), IngestMode::Strict)?;
//!
//! let params = PointInTimeParams::new(vec![data.as_of], 12)?;
//! let set = pool.point_in_time_dataset(&admin, &params)?;
//! assert_eq!(set.data.n_rows(), 200);
//! assert_eq!(set.data.target_name(), Some(TARGET));
//! assert_eq!(set.summary[0].defaults, data.summary().defaults);
//! # Ok::<(), finkit_pool::PoolError>(())
//! ```

use std::collections::HashMap;
use std::io::Write;

use chrono::{Months, NaiveDate};
use finkit_schema::ndarray::Array1;
use finkit_schema::{
    Column, CreditEvent, Dataset, FinancialRatios, FinancialStatement, Firm, FirmId,
};
use rusqlite::Connection;

use crate::guard::Present;
use crate::sql::{STATEMENT_COLUMNS, date_key};
use crate::traits::{FirmFilter, PoolRead, StatementQuery};
use crate::{Permission, PoolError, Principal, SqlitePool};

/// The most observation dates one dataset may have.
pub const MAX_DATES: usize = 100;
/// The longest horizon, in months.
pub const MAX_HORIZON_MONTHS: u32 = 120;
/// The name of the target column.
pub const TARGET: &str = "default";
/// The firm attributes after the ratios, in column order.
pub const FIRM_FEATURES: [&str; 4] =
    ["years_in_business", "employees", "invention_patents", "rd_staff_share"];

/// Every feature column, in order: the [`FinancialRatios::entries`] names, then
/// [`FIRM_FEATURES`].
#[must_use]
pub fn feature_names() -> Vec<&'static str> {
    FinancialRatios::default().entries().iter().map(|e| e.0).chain(FIRM_FEATURES).collect()
}

/// Validated settings of a point-in-time dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointInTimeParams {
    dates: Vec<NaiveDate>,
    horizon_months: u32,
}

impl PointInTimeParams {
    /// Observation dates (sorted and deduplicated here) and the outcome horizon in months.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidParameter`] for no date, more than [`MAX_DATES`] dates, or a horizon
    /// outside `1..=`[`MAX_HORIZON_MONTHS`].
    pub fn new(mut dates: Vec<NaiveDate>, horizon_months: u32) -> Result<Self, PoolError> {
        dates.sort_unstable();
        dates.dedup();
        if dates.is_empty() || dates.len() > MAX_DATES {
            return Err(PoolError::InvalidParameter {
                name: "as_of",
                value: dates.len().to_string(),
                reason: "give between 1 and 100 observation dates",
            });
        }
        if horizon_months == 0 || horizon_months > MAX_HORIZON_MONTHS {
            return Err(PoolError::InvalidParameter {
                name: "horizon_months",
                value: horizon_months.to_string(),
                reason: "the horizon must be 1 to 120 months",
            });
        }
        Ok(PointInTimeParams { dates, horizon_months })
    }
    /// The observation dates, ascending.
    #[must_use]
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }
    /// The outcome horizon in months.
    #[must_use]
    pub fn horizon_months(&self) -> u32 {
        self.horizon_months
    }
    /// The end of the outcome window of `date` (`date + horizon`, clamped to the month's end).
    #[must_use]
    pub fn horizon_end(&self, date: NaiveDate) -> NaiveDate {
        date.checked_add_months(Months::new(self.horizon_months)).unwrap_or(NaiveDate::MAX)
    }
}

/// The rows of one observation date and the firms left out, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct DateSummary {
    /// The observation date.
    pub as_of: NaiveDate,
    /// Rows (firm-dates) in the dataset.
    pub rows: usize,
    /// Rows with the target 1.
    pub defaults: usize,
    /// Firms founded after the date.
    pub not_founded: usize,
    /// Firms without a statement known on the date.
    pub no_statement: usize,
    /// Firms with a credit event on or before the date (already in default).
    pub in_default: usize,
}

/// A point-in-time modelling dataset with its keys.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PointInTimeDataset {
    /// The settings it was built with.
    pub params: PointInTimeParams,
    /// The firm of each row.
    pub firm_ids: Vec<FirmId>,
    /// The observation date of each row.
    pub as_of: Vec<NaiveDate>,
    /// Period end of the current statement of each row.
    pub period_end: Vec<NaiveDate>,
    /// Availability date of the current statement of each row.
    pub available_at: Vec<NaiveDate>,
    /// Features ([`feature_names`]) and the target [`TARGET`]; rows by date, then firm id.
    pub data: Dataset,
    /// One summary per date, ascending.
    pub summary: Vec<DateSummary>,
}

impl PointInTimeDataset {
    /// Writes the dataset as CSV: `firm_id,as_of,<features>,default`, a missing feature as an
    /// empty cell, numbers in their shortest round-trip form.
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`]-like failures of the writer, as [`PoolError::Format`] naming `name`.
    pub fn write_csv<W: Write>(&self, writer: W, name: &str) -> Result<(), PoolError> {
        let io = |e: csv::Error| PoolError::Format {
            source_name: name.to_owned(),
            message: e.to_string(),
        };
        let mut w = csv::Writer::from_writer(writer);
        let names = feature_names();
        let mut header: Vec<&str> = vec!["firm_id", "as_of"];
        header.extend(&names);
        header.push(TARGET);
        w.write_record(&header).map_err(io)?;
        let columns: Vec<_> =
            names.iter().map(|n| self.data.numeric(n)).collect::<Result<Vec<_>, _>>()?;
        let target = self.data.target().ok_or(PoolError::InvalidParameter {
            name: "dataset",
            value: "no target".into(),
            reason: "a point-in-time dataset always has its target",
        })?;
        let mut record: Vec<String> = Vec::with_capacity(header.len());
        for i in 0..self.data.n_rows() {
            record.clear();
            record.push(self.firm_ids[i].to_string());
            record.push(self.as_of[i].to_string());
            for c in &columns {
                let v = c[i];
                record.push(if v.is_nan() { String::new() } else { v.to_string() });
            }
            record.push(target[i].to_string());
            w.write_record(&record).map_err(io)?;
        }
        w.flush()
            .map_err(|e| PoolError::Format { source_name: name.to_owned(), message: e.to_string() })
    }
}

/// The current and prior statement of one firm on one date.
type Known = (FinancialStatement, Option<FinancialStatement>);

/// Builds the dataset from the firms, each date's known statements and the events.
fn assemble(
    params: &PointInTimeParams,
    firms: &[Firm],
    known: &[HashMap<FirmId, Known>],
    events: &[CreditEvent],
) -> Result<PointInTimeDataset, PoolError> {
    let mut by_firm: HashMap<&FirmId, Vec<NaiveDate>> = HashMap::new();
    for e in events {
        by_firm.entry(&e.firm_id).or_default().push(e.date);
    }
    let names = feature_names();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let (mut firm_ids, mut as_of, mut period_end, mut available_at, mut target) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut summary = Vec::with_capacity(params.dates.len());
    let mut sorted: Vec<&Firm> = firms.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for (date, known) in params.dates.iter().zip(known) {
        let end = params.horizon_end(*date);
        let mut s = DateSummary {
            as_of: *date,
            rows: 0,
            defaults: 0,
            not_founded: 0,
            no_statement: 0,
            in_default: 0,
        };
        for firm in &sorted {
            if firm.founded > *date {
                s.not_founded += 1;
                continue;
            }
            let dates = by_firm.get(&firm.id).map_or(&[][..], Vec::as_slice);
            if dates.iter().any(|d| d <= date) {
                s.in_default += 1;
                continue;
            }
            let Some((current, prior)) = known.get(&firm.id) else {
                s.no_statement += 1;
                continue;
            };
            let ratios = FinancialRatios::compute(current, prior.as_ref());
            let firm_values = [
                f64::from(firm.years_in_business(*date)),
                f64::from(firm.employees),
                f64::from(firm.tech.patents.invention),
                firm.tech.rd_staff_share.get(),
            ];
            let values = ratios.entries().map(|e| e.1.unwrap_or(f64::NAN));
            for (column, v) in columns.iter_mut().zip(values.iter().chain(&firm_values)) {
                column.push(*v);
            }
            let event = dates.iter().any(|d| d > date && *d <= end);
            s.rows += 1;
            s.defaults += usize::from(event);
            target.push(if event { 1.0 } else { 0.0 });
            firm_ids.push(firm.id.clone());
            as_of.push(*date);
            period_end.push(current.period_end);
            available_at.push(current.available_at);
        }
        summary.push(s);
    }
    if target.is_empty() {
        return Err(PoolError::InvalidParameter {
            name: "dates",
            value: params.dates.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            reason: "no firm has a statement known on any of these dates: the table would be \
                     empty (nothing to learn from)",
        });
    }
    let data = Dataset::new(
        names
            .iter()
            .zip(columns)
            .map(|(n, v)| ((*n).to_owned(), Column::Numeric(Array1::from(v))))
            .collect(),
        Some((TARGET.to_owned(), Array1::from(target))),
    )?;
    Ok(PointInTimeDataset {
        params: params.clone(),
        firm_ids,
        as_of,
        period_end,
        available_at,
        data,
        summary,
    })
}

/// Splits statements sorted by firm and period (one version per period, as
/// `statements_as_of` returns them) into each firm's current and prior statement.
fn current_and_prior(statements: Vec<FinancialStatement>) -> HashMap<FirmId, Known> {
    let mut out: HashMap<FirmId, Known> = HashMap::new();
    for s in statements {
        match out.get_mut(&s.firm_id) {
            Some(entry) if entry.0.period_end < s.period_end => {
                let old = std::mem::replace(&mut entry.0, s);
                entry.1 = Some(old);
            }
            Some(_) => {}
            None => {
                out.insert(s.firm_id.clone(), (s, None));
            }
        }
    }
    out
}

/// Builds a point-in-time dataset from any pool: one `statements_as_of` call per date, one
/// firm read and one credit-event read (each audited by the pool).
///
/// # Errors
///
/// The pool's errors (access denied included: the principal needs to read firms, statements
/// and credit events) and [`PoolError::Schema`] should the columns fail validation.
pub fn point_in_time_dataset<P: PoolRead<Error = PoolError>>(
    pool: &P,
    who: &Principal,
    params: &PointInTimeParams,
) -> Result<PointInTimeDataset, PoolError> {
    let firms = pool.firms(who, &FirmFilter::all())?;
    let events = pool.credit_events(who, None)?;
    let mut known = Vec::with_capacity(params.dates.len());
    for date in &params.dates {
        known.push(current_and_prior(pool.statements_as_of(who, *date, &StatementQuery::all())?));
    }
    assemble(params, &firms, &known, &events)
}

/// One date's current and prior statement of each firm.
struct KnownOn(HashMap<FirmId, Known>);

// Statements hold no sensitive field.
impl Present for KnownOn {
    fn present(self, _sees_sensitive: bool) -> Self {
        self
    }
}

/// Each date's current and prior statements, read in one transaction: per date one backward
/// scan of the statements' primary key (firm, period, availability) that keeps the first two
/// periods of each firm — the scan `statements_as_of` uses. A single SQL query with window
/// functions over all dates was measured 3–4 times slower (it sorts every date × statement
/// row), see docs/PERFORMANCE.md.
fn known_by_date(conn: &Connection, params: &PointInTimeParams) -> Result<Vec<KnownOn>, PoolError> {
    let sql = format!(
        "SELECT {STATEMENT_COLUMNS} FROM statements WHERE available_at <= ?1 \
         ORDER BY firm_id DESC, period_end DESC, available_at DESC"
    );
    params
        .dates
        .iter()
        .map(|d| {
            let versions = crate::sqlite::known_versions(conn, &sql, [date_key(*d)], false)?;
            Ok(KnownOn(current_and_prior(versions)))
        })
        .collect()
}

impl SqlitePool {
    /// A point-in-time dataset (see the [module docs](crate::dataset)): the firms, the credit
    /// events, and every date's current and prior statements in one read transaction.
    ///
    /// The principal needs to read firms, statements and credit events; each permission is
    /// checked and audited.
    ///
    /// # Errors
    ///
    /// [`PoolError::AccessDenied`], [`PoolError::Sqlite`], [`PoolError::Corrupt`] for a stored
    /// row that fails validation.
    pub fn point_in_time_dataset(
        &self,
        who: &Principal,
        params: &PointInTimeParams,
    ) -> Result<PointInTimeDataset, PoolError> {
        let firms = self.firms(who, &FirmFilter::all())?;
        let events = self.credit_events(who, None)?;
        let detail = format!(
            "point_in_time dates={} horizon_months={}",
            params.dates.len(),
            params.horizon_months
        );
        let known = self
            .guarded(who, Permission::ReadStatements, "read", "statements", detail, |s| {
                s.snapshot(|c| known_by_date(c, params))
            })?
            .into_iter()
            .map(|k| k.0)
            .collect::<Vec<_>>();
        assemble(params, &firms, &known, &events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_bounded() {
        let d = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
        assert!(PointInTimeParams::new(vec![], 12).is_err());
        assert!(PointInTimeParams::new(vec![d], 0).is_err());
        assert!(PointInTimeParams::new(vec![d], 121).is_err());
        assert!(PointInTimeParams::new(vec![d; 101], 12).is_ok(), "duplicates collapse");
        let many: Vec<NaiveDate> = (0..101).map(|i| d - chrono::Days::new(i)).collect();
        assert!(PointInTimeParams::new(many, 12).is_err());
        let p = PointInTimeParams::new(vec![d, d], 12).unwrap();
        assert_eq!(p.dates().len(), 1);
        assert_eq!(p.horizon_end(d), NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default());
    }

    #[test]
    fn feature_names_are_the_ratios_then_the_firm() {
        let names = feature_names();
        assert_eq!(names.len(), 20);
        assert_eq!(names[0], "working_capital_to_assets");
        assert_eq!(names[16], "years_in_business");
    }
}
