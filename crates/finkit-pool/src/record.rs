//! The records a batch carries, one per input row, and the kinds of entity.

use std::fmt;

use chrono::NaiveDate;
use finkit_schema::{
    CreditEvent, Exposure, FinancialStatement, Firm, InstrumentId, LoanApplication, Validate,
    Violation,
};
use serde::{Deserialize, Serialize};

use crate::security::Permission;

/// The kinds of entity the pool stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntityKind {
    /// [`Firm`]s.
    Firms,
    /// [`FinancialStatement`]s.
    Statements,
    /// [`LoanApplication`]s.
    Applications,
    /// [`Exposure`]s of the loan book.
    Exposures,
    /// [`CreditEvent`]s.
    CreditEvents,
    /// [`PriceObservation`]s (read back as [`finkit_schema::PriceSeries`]).
    Prices,
}

impl EntityKind {
    /// Every kind, in dependency order (firms first, since the others refer to them).
    pub const ALL: [EntityKind; 6] = [
        EntityKind::Firms,
        EntityKind::Statements,
        EntityKind::Applications,
        EntityKind::Exposures,
        EntityKind::CreditEvents,
        EntityKind::Prices,
    ];

    /// Stable snake_case name (as in the audit trail).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Firms => "firms",
            EntityKind::Statements => "statements",
            EntityKind::Applications => "applications",
            EntityKind::Exposures => "exposures",
            EntityKind::CreditEvents => "credit_events",
            EntityKind::Prices => "prices",
        }
    }

    /// The permission needed to read this kind.
    #[must_use]
    pub fn read_permission(self) -> Permission {
        match self {
            EntityKind::Firms => Permission::ReadFirms,
            EntityKind::Statements => Permission::ReadStatements,
            EntityKind::Applications => Permission::ReadApplications,
            EntityKind::Exposures => Permission::ReadExposures,
            EntityKind::CreditEvents => Permission::ReadCreditEvents,
            EntityKind::Prices => Permission::ReadPrices,
        }
    }

    /// The permission needed to ingest this kind.
    #[must_use]
    pub fn write_permission(self) -> Permission {
        match self {
            EntityKind::Firms => Permission::WriteFirms,
            EntityKind::Statements => Permission::WriteStatements,
            EntityKind::Applications => Permission::WriteApplications,
            EntityKind::Exposures => Permission::WriteExposures,
            EntityKind::CreditEvents => Permission::WriteCreditEvents,
            EntityKind::Prices => Permission::WritePrices,
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One dated closing price of an instrument: the stored unit of a price series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceObservation {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The observation date.
    pub date: NaiveDate,
    /// The closing price, finite and positive.
    pub price: f64,
}

impl Validate for PriceObservation {
    const ENTITY: &'static str = "price observation";
    fn validate(&self) -> Vec<Violation> {
        let mut violations = Vec::new();
        if !self.price.is_finite() {
            violations.push(Violation::new("price", "finite", self.price));
        } else if self.price <= 0.0 {
            violations.push(Violation::new("price", "positive", self.price));
        }
        if !finkit_schema::limits::plausible_date(self.date) {
            violations.push(Violation::new("date", "plausible_year", self.date));
        }
        violations
    }
}

/// One input row, typed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A firm.
    Firm(Firm),
    /// A financial statement (one version).
    Statement(FinancialStatement),
    /// A loan application.
    Application(LoanApplication),
    /// A loan-book exposure.
    Exposure(Exposure),
    /// A credit event.
    CreditEvent(CreditEvent),
    /// A price observation.
    Price(PriceObservation),
}

impl Record {
    /// The record's entity kind.
    #[must_use]
    pub fn kind(&self) -> EntityKind {
        match self {
            Record::Firm(_) => EntityKind::Firms,
            Record::Statement(_) => EntityKind::Statements,
            Record::Application(_) => EntityKind::Applications,
            Record::Exposure(_) => EntityKind::Exposures,
            Record::CreditEvent(_) => EntityKind::CreditEvents,
            Record::Price(_) => EntityKind::Prices,
        }
    }

    /// The finkit-schema rules the record breaks.
    #[must_use]
    pub fn violations(&self) -> Vec<Violation> {
        match self {
            Record::Firm(x) => x.validate(),
            Record::Statement(x) => x.validate(),
            Record::Application(x) => x.validate(),
            Record::Exposure(x) => x.validate(),
            Record::CreditEvent(x) => x.validate(),
            Record::Price(x) => x.validate(),
        }
    }
}

macro_rules! record_from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Record {
            fn from(value: $ty) -> Self {
                Record::$variant(value)
            }
        }
    )*};
}
record_from!(
    Firm(Firm),
    Statement(FinancialStatement),
    Application(LoanApplication),
    Exposure(Exposure),
    CreditEvent(CreditEvent),
    Price(PriceObservation)
);
