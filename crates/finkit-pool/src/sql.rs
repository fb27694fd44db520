//! What the SQL backends share: the stored form of values (day numbers, enum text, units), the
//! column lists and the decoding of rows, written once over [`SqlRow`] so that SQLite and
//! PostgreSQL read a record back in exactly the same way.

use crate::error::Backend as _;
use chrono::{Datelike, NaiveDate};
use finkit_schema::{
    Exposure, FinancialStatement, Firm, InstrumentId, LoanApplication, PortfolioColumns,
    PriceSeries,
};

use crate::PoolError;
use crate::audit::AuditEntry;
use crate::table::{Cell, ColumnType, Table, Tabular};

/// A result row of either SQL driver, read by column index.
pub(crate) trait SqlRow {
    fn text(&self, i: usize) -> Result<String, PoolError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, PoolError>;
    fn int(&self, i: usize) -> Result<i64, PoolError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, PoolError>;
    fn float(&self, i: usize) -> Result<f64, PoolError>;
    fn opt_float(&self, i: usize) -> Result<Option<f64>, PoolError>;
    /// A 0/1 flag (SQLite INTEGER, PostgreSQL int4).
    fn flag(&self, i: usize) -> Result<bool, PoolError>;
}

impl SqlRow for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, PoolError> {
        self.get(i).db()
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, PoolError> {
        self.get(i).db()
    }
    fn int(&self, i: usize) -> Result<i64, PoolError> {
        self.get(i).db()
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, PoolError> {
        self.get(i).db()
    }
    fn float(&self, i: usize) -> Result<f64, PoolError> {
        self.get(i).db()
    }
    fn opt_float(&self, i: usize) -> Result<Option<f64>, PoolError> {
        self.get(i).db()
    }
    fn flag(&self, i: usize) -> Result<bool, PoolError> {
        Ok(self.get::<_, i64>(i).db()? != 0)
    }
}

#[cfg(feature = "postgres")]
impl SqlRow for postgres::Row {
    fn text(&self, i: usize) -> Result<String, PoolError> {
        self.try_get(i).db()
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, PoolError> {
        self.try_get(i).db()
    }
    fn int(&self, i: usize) -> Result<i64, PoolError> {
        self.try_get(i).db()
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, PoolError> {
        self.try_get(i).db()
    }
    fn float(&self, i: usize) -> Result<f64, PoolError> {
        self.try_get(i).db()
    }
    fn opt_float(&self, i: usize) -> Result<Option<f64>, PoolError> {
        self.try_get(i).db()
    }
    fn flag(&self, i: usize) -> Result<bool, PoolError> {
        Ok(self.try_get::<_, i32>(i).db()? != 0)
    }
}

pub(crate) fn date_key(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

pub(crate) fn key_date(days: i64, entity: &'static str, key: &str) -> Result<NaiveDate, PoolError> {
    i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| corrupt(entity, key, format!("date out of range: {days}")))
}

pub(crate) fn corrupt(entity: &'static str, key: &str, message: impl Into<String>) -> PoolError {
    PoolError::Corrupt { entity, key: key.to_owned(), message: message.into() }
}

pub(crate) fn schema<T>(
    r: Result<T, finkit_schema::SchemaError>,
    entity: &'static str,
    key: &str,
) -> Result<T, PoolError> {
    r.map_err(|e| corrupt(entity, key, e.to_string()))
}

fn count_u32(v: i64, entity: &'static str, key: &str) -> Result<u32, PoolError> {
    u32::try_from(v).map_err(|_| corrupt(entity, key, format!("count out of range: {v}")))
}

/// A table's column list for SQL (`a, b, c`), from its descriptor.
#[derive(Clone, Copy)]
pub(crate) struct Columns(pub(crate) &'static Table);

impl std::fmt::Display for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, name) in self.0.names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

pub(crate) const FIRM_COLUMNS: Columns = Columns(Firm::TABLE);
pub(crate) const STATEMENT_COLUMNS: Columns = Columns(FinancialStatement::TABLE);
pub(crate) const APPLICATION_COLUMNS: Columns = Columns(LoanApplication::TABLE);
pub(crate) const EXPOSURE_COLUMNS: Columns = Columns(Exposure::TABLE);

/// The columns of [`portfolio_row`], in loan-id order once the backend adds its `ORDER BY`.
pub(crate) const PORTFOLIO_SELECT: &str =
    "SELECT loan_id, sector, rating, pd, lgd, ead, maturity, annual_sales FROM exposures";

pub(crate) const AUDIT_SELECT: &str = "SELECT seq, at, principal, role, action, entity, detail, outcome, prev_hash, hash \
FROM audit_log ORDER BY seq";

/// A record from a row selected with its table's [`Columns`], through the descriptor: one
/// decoder for every entity and both SQL drivers.
pub(crate) fn decode<T: Tabular, R: SqlRow + ?Sized>(row: &R) -> Result<T, PoolError> {
    let table = T::TABLE;
    let key = row.opt_text(0)?.unwrap_or_default();
    let mut cells = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        cells.push(match column.ty {
            ColumnType::Date => match row.opt_int(i)? {
                Some(d) => Cell::Date(key_date(d, table.entity, &key)?),
                None => Cell::Null,
            },
            ColumnType::Float => row.opt_float(i)?.map_or(Cell::Null, Cell::Float),
            ColumnType::Count => match row.opt_int(i)? {
                Some(n) => Cell::Count(count_u32(n, table.entity, &key)?),
                None => Cell::Null,
            },
            ColumnType::Flag => Cell::Flag(row.flag(i)?),
            _ => row.opt_text(i)?.map_or(Cell::Null, Cell::Text),
        });
    }
    T::from_cells(cells).map_err(|errors| {
        let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        corrupt(table.entity, &key, message)
    })
}

pub(crate) fn instrument_from_row<R: SqlRow + ?Sized>(row: &R) -> Result<InstrumentId, PoolError> {
    let id = row.text(0)?;
    schema(InstrumentId::new(id.clone()), "price", &id)
}

pub(crate) fn audit_from_row<R: SqlRow + ?Sized>(row: &R) -> Result<AuditEntry, PoolError> {
    let seq = row.int(0)?;
    Ok(AuditEntry {
        seq: u64::try_from(seq)
            .map_err(|_| corrupt("audit entry", &seq.to_string(), "negative seq"))?,
        at: row.text(1)?,
        principal: row.text(2)?,
        role: row.text(3)?,
        action: row.text(4)?,
        entity: row.text(5)?,
        detail: row.text(6)?,
        outcome: row.text(7)?,
        prev_hash: row.text(8)?,
        hash: row.text(9)?,
    })
}

/// Appends one row of [`PORTFOLIO_SELECT`] to the columns.
pub(crate) fn portfolio_row<R: SqlRow + ?Sized>(
    cols: &mut PortfolioColumns,
    r: &R,
) -> Result<(), PoolError> {
    cols.ids.push(r.text(0)?);
    cols.sectors.push(r.text(1)?);
    cols.grades.push(r.opt_text(2)?);
    cols.pd.push(r.float(3)?);
    cols.lgd.push(r.float(4)?);
    cols.ead.push(r.float(5)?);
    cols.maturity.push(r.float(6)?);
    cols.annual_sales.push(r.opt_float(7)?);
    Ok(())
}

/// A price series from stored `(day, price)` observations in date order.
pub(crate) fn price_series(
    instrument: &InstrumentId,
    obs: Vec<(i64, f64)>,
) -> Result<PriceSeries, PoolError> {
    let mut dates = Vec::with_capacity(obs.len());
    let mut prices = Vec::with_capacity(obs.len());
    for (d, p) in obs {
        dates.push(key_date(d, "price", instrument.as_str())?);
        prices.push(p);
    }
    Ok(PriceSeries::new(instrument.clone(), dates, prices)?)
}
