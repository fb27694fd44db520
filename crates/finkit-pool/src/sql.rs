//! What the SQL backends share: the stored form of values (day numbers, enum text, units), the
//! column lists and the decoding of rows, written once over [`SqlRow`] so that SQLite and
//! PostgreSQL read a record back in exactly the same way.

use crate::error::Backend as _;
use chrono::{Datelike, NaiveDate};
use finkit_schema::{
    Amount, ApplicationId, CreditEvent, Currency, Exposure, FinancialStatement, Firm, FirmId,
    IndustryCode, InstrumentId, Lgd, LoanApplication, LoanId, Maturity, Patents, PortfolioColumns,
    PriceSeries, Probability, TechProfile, Unit,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::PoolError;
use crate::audit::AuditEntry;

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

pub(crate) fn enum_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn text_enum<T: DeserializeOwned>(
    text: &str,
    entity: &'static str,
    key: &str,
) -> Result<T, PoolError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| corrupt(entity, key, e.to_string()))
}

pub(crate) fn unit_text(u: Unit) -> &'static str {
    match u {
        Unit::One => "one",
        Unit::Thousand => "thousand",
        Unit::Million => "million",
    }
}

fn text_unit(t: &str, key: &str) -> Result<Unit, PoolError> {
    match t {
        "one" => Ok(Unit::One),
        "thousand" => Ok(Unit::Thousand),
        "million" => Ok(Unit::Million),
        _ => Err(corrupt("statement", key, format!("unknown unit {t:?}"))),
    }
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

/// A stored JSON list (collateral, guarantees) as text.
pub(crate) fn json_text<T: Serialize>(value: &T, key: &str) -> Result<String, PoolError> {
    serde_json::to_string(value).map_err(|e| corrupt("application", key, e.to_string()))
}

pub(crate) const FIRM_COLUMNS: &str = "id, name, registration_number, industry_scheme, industry_code, region, founded, \
employees, high_tech_certified, certification_date, rd_expense, rd_staff_share, patents_invention, \
patents_utility_model, patents_design, software_copyrights, venture_funding, contact_name, contact_email, \
contact_phone";

pub(crate) const STATEMENT_COLUMNS: &str = "firm_id, period_end, available_at, currency, unit, cash, current_assets, \
total_assets, current_liabilities, total_liabilities, short_term_debt, long_term_debt, retained_earnings, \
book_equity, revenue, ebit, ebitda, interest_expense, net_income, rd_expense, operating_cash_flow, capex";

pub(crate) const APPLICATION_COLUMNS: &str = "id, firm_id, application_date, amount, currency, tenor, product, purpose, collateral, guarantees";

pub(crate) const EXPOSURE_COLUMNS: &str =
    "loan_id, firm_id, pd, lgd, ead, maturity, sector, annual_sales, rating, currency";

/// The columns of [`portfolio_row`], in loan-id order once the backend adds its `ORDER BY`.
pub(crate) const PORTFOLIO_SELECT: &str =
    "SELECT loan_id, sector, rating, pd, lgd, ead, maturity, annual_sales FROM exposures";

pub(crate) const AUDIT_SELECT: &str = "SELECT seq, at, principal, role, action, entity, detail, outcome, prev_hash, hash \
FROM audit_log ORDER BY seq";

pub(crate) fn firm_from_row<R: SqlRow + ?Sized>(row: &R) -> Result<Firm, PoolError> {
    const E: &str = "firm";
    let key = row.text(0)?;
    let cert = row.opt_int(9)?;
    Ok(Firm {
        id: schema(FirmId::new(key.clone()), E, &key)?,
        name: row.text(1)?,
        registration_number: row.text(2)?,
        industry: IndustryCode { scheme: text_enum(&row.text(3)?, E, &key)?, code: row.text(4)? },
        region: row.text(5)?,
        founded: key_date(row.int(6)?, E, &key)?,
        employees: count_u32(row.int(7)?, E, &key)?,
        tech: TechProfile {
            high_tech_certified: row.flag(8)?,
            certification_date: cert.map(|d| key_date(d, E, &key)).transpose()?,
            rd_expense: schema(Amount::new(row.float(10)?), E, &key)?,
            rd_staff_share: schema(Probability::new(row.float(11)?), E, &key)?,
            patents: Patents {
                invention: count_u32(row.int(12)?, E, &key)?,
                utility_model: count_u32(row.int(13)?, E, &key)?,
                design: count_u32(row.int(14)?, E, &key)?,
            },
            software_copyrights: count_u32(row.int(15)?, E, &key)?,
            venture_funding: schema(Amount::new(row.float(16)?), E, &key)?,
        },
        contact_name: row.opt_text(17)?,
        contact_email: row.opt_text(18)?,
        contact_phone: row.opt_text(19)?,
    })
}

pub(crate) fn statement_from_row<R: SqlRow + ?Sized>(
    row: &R,
) -> Result<FinancialStatement, PoolError> {
    const E: &str = "statement";
    let key = row.text(0)?;
    Ok(FinancialStatement {
        firm_id: schema(FirmId::new(key.clone()), E, &key)?,
        period_end: key_date(row.int(1)?, E, &key)?,
        available_at: key_date(row.int(2)?, E, &key)?,
        currency: schema(Currency::new(&row.text(3)?), E, &key)?,
        unit: text_unit(&row.text(4)?, &key)?,
        cash: row.float(5)?,
        current_assets: row.float(6)?,
        total_assets: row.float(7)?,
        current_liabilities: row.float(8)?,
        total_liabilities: row.float(9)?,
        short_term_debt: row.float(10)?,
        long_term_debt: row.float(11)?,
        retained_earnings: row.float(12)?,
        book_equity: row.float(13)?,
        revenue: row.float(14)?,
        ebit: row.float(15)?,
        ebitda: row.float(16)?,
        interest_expense: row.float(17)?,
        net_income: row.float(18)?,
        rd_expense: row.float(19)?,
        operating_cash_flow: row.float(20)?,
        capex: row.float(21)?,
    })
}

pub(crate) fn application_from_row<R: SqlRow + ?Sized>(
    row: &R,
) -> Result<LoanApplication, PoolError> {
    const E: &str = "application";
    let key = row.text(0)?;
    Ok(LoanApplication {
        id: schema(ApplicationId::new(key.clone()), E, &key)?,
        firm_id: schema(FirmId::new(row.text(1)?), E, &key)?,
        application_date: key_date(row.int(2)?, E, &key)?,
        amount: schema(Amount::new(row.float(3)?), E, &key)?,
        currency: schema(Currency::new(&row.text(4)?), E, &key)?,
        tenor: schema(Maturity::new(row.float(5)?), E, &key)?,
        product: text_enum(&row.text(6)?, E, &key)?,
        purpose: row.text(7)?,
        collateral: serde_json::from_str(&row.text(8)?)
            .map_err(|e| corrupt(E, &key, e.to_string()))?,
        guarantees: serde_json::from_str(&row.text(9)?)
            .map_err(|e| corrupt(E, &key, e.to_string()))?,
    })
}

pub(crate) fn exposure_from_row<R: SqlRow + ?Sized>(row: &R) -> Result<Exposure, PoolError> {
    const E: &str = "exposure";
    let key = row.text(0)?;
    let sales = row.opt_float(7)?;
    Ok(Exposure {
        loan_id: schema(LoanId::new(key.clone()), E, &key)?,
        firm_id: schema(FirmId::new(row.text(1)?), E, &key)?,
        pd: schema(Probability::new(row.float(2)?), E, &key)?,
        lgd: schema(Lgd::new(row.float(3)?), E, &key)?,
        ead: schema(Amount::new(row.float(4)?), E, &key)?,
        maturity: schema(Maturity::new(row.float(5)?), E, &key)?,
        sector: row.text(6)?,
        annual_sales: sales.map(|s| schema(Amount::new(s), E, &key)).transpose()?,
        rating: row.opt_text(8)?,
        currency: schema(Currency::new(&row.text(9)?), E, &key)?,
    })
}

pub(crate) fn event_from_row<R: SqlRow + ?Sized>(row: &R) -> Result<CreditEvent, PoolError> {
    const E: &str = "credit event";
    let key = row.text(0)?;
    Ok(CreditEvent {
        firm_id: schema(FirmId::new(key.clone()), E, &key)?,
        date: key_date(row.int(1)?, E, &key)?,
        kind: text_enum(&row.text(2)?, E, &key)?,
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
