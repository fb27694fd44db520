//! The read and write traits every backend implements, and the query types they take.

use chrono::NaiveDate;
use finkit_schema::{
    ApplicationId, CreditEvent, Exposure, FinancialStatement, Firm, FirmId, IndustryScheme,
    InstrumentId, LoanApplication, Portfolio, PriceSeries,
};
use serde::{Deserialize, Serialize};

use crate::anonymise::{Privacy, PrivacyReport, ResearchFirm};
use crate::audit::{AuditEntry, AuditHead, AuditStatus};
use crate::ingest::{Batch, IngestMode, IngestReport};
use crate::security::{Permission, Principal, Pseudonymiser};

/// Which firms to return; every set condition must hold (an empty filter returns all firms).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FirmFilter {
    /// Only firms classified under this scheme.
    pub industry_scheme: Option<IndustryScheme>,
    /// Only firms whose industry code starts with this text (`C` matches NACE `C26`).
    pub industry_prefix: Option<String>,
    /// Only firms in this region (exact match).
    pub region: Option<String>,
    /// Only firms that are (or are not) certified high-tech enterprises.
    pub high_tech_certified: Option<bool>,
    /// Only firms that are (or are not) technology-innovative in the sense of
    /// [`finkit_schema::TechProfile::is_tech_innovative`].
    pub tech_innovative: Option<bool>,
    /// Only firms holding at least this many granted invention patents.
    pub min_invention_patents: Option<u32>,
}

impl FirmFilter {
    /// The filter that returns every firm.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether a firm passes the filter. Backends may pre-filter in storage, but the final
    /// decision is this function, so every backend returns the same firms.
    #[must_use]
    pub fn matches(&self, firm: &Firm) -> bool {
        self.industry_scheme.is_none_or(|s| firm.industry.scheme == s)
            && self.industry_prefix.as_deref().is_none_or(|p| firm.industry.code.starts_with(p))
            && self.region.as_deref().is_none_or(|r| firm.region == r)
            && self.high_tech_certified.is_none_or(|c| firm.tech.high_tech_certified == c)
            && self.tech_innovative.is_none_or(|t| firm.tech.is_tech_innovative() == t)
            && self.min_invention_patents.is_none_or(|n| firm.tech.patents.invention >= n)
    }
}

/// Which statements [`PoolRead::statements_as_of`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatementQuery {
    /// Only these firms (`None`: every firm).
    pub firms: Option<Vec<FirmId>>,
    /// Only the latest reporting period known for each firm, instead of every period.
    pub latest_period_only: bool,
}

impl StatementQuery {
    /// Every period of every firm.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// The latest known period of every firm.
    #[must_use]
    pub fn latest() -> Self {
        StatementQuery { firms: None, latest_period_only: true }
    }
}

/// Which applications to return.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApplicationFilter {
    /// Only this applicant.
    pub firm_id: Option<FirmId>,
    /// Only applications received on or after this day.
    pub from: Option<NaiveDate>,
    /// Only applications received on or before this day.
    pub to: Option<NaiveDate>,
}

impl ApplicationFilter {
    /// Whether an application passes the filter.
    #[must_use]
    pub fn matches(&self, a: &LoanApplication) -> bool {
        self.firm_id.as_ref().is_none_or(|f| a.firm_id == *f)
            && self.from.is_none_or(|d| a.application_date >= d)
            && self.to.is_none_or(|d| a.application_date <= d)
    }
}

/// A pseudonymised, k-anonymous data set for researchers: firm ids replaced by keyed
/// pseudonyms, firm attributes generalised until every combination holds at least `k` firms
/// ([`crate::anonymise`]), and no name, registration number or contact at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResearchExport {
    /// The as-of date of the export.
    pub as_of: NaiveDate,
    /// What the anonymisation did: `k`, the generalisation level, the suppressed firms.
    pub privacy: PrivacyReport,
    /// Firms (pseudonymised and generalised); suppressed firms are left out.
    pub firms: Vec<ResearchFirm>,
    /// Statements of the exported firms as known on `as_of`, every period (pseudonymised).
    pub statements: Vec<FinancialStatement>,
    /// Credit events of the exported firms up to `as_of` (pseudonymised).
    pub credit_events: Vec<CreditEvent>,
}

/// Reading the pool. Every call is checked against the pool's policy for `who` and audited;
/// a refused call returns the backend's access-denied error after auditing the denial.
///
/// Results come in a fixed order so that backends can be compared: firms and applications by
/// id, statements by `(firm_id, period_end, available_at)`, exposures by loan id, events by
/// `(firm_id, date, kind)`.
pub trait PoolRead {
    /// The backend's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Checks that `who` has `permission`; a denial is audited (with `action` and `entity`) and
    /// returned as an error. Allowed calls are audited by the method that does the work.
    ///
    /// # Errors
    ///
    /// Access denied, or a backend error while auditing.
    fn authorize(
        &self,
        who: &Principal,
        permission: Permission,
        action: &str,
        entity: &str,
    ) -> Result<(), Self::Error>;

    /// Firms passing `filter`, sensitive fields masked unless `who` may see them.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadFirms`]) or a backend error.
    fn firms(&self, who: &Principal, filter: &FirmFilter) -> Result<Vec<Firm>, Self::Error>;

    /// One firm by id (masked as in [`PoolRead::firms`]), `None` when unknown.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadFirms`]) or a backend error.
    fn firm(&self, who: &Principal, id: &FirmId) -> Result<Option<Firm>, Self::Error>;

    /// Statements as known on `as_of`: for each firm and period, the version with the latest
    /// `available_at` on or before `as_of`; later versions (corrections) are invisible.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadStatements`]) or a backend error.
    fn statements_as_of(
        &self,
        who: &Principal,
        as_of: NaiveDate,
        query: &StatementQuery,
    ) -> Result<Vec<FinancialStatement>, Self::Error>;

    /// Every stored version of every statement of a firm, corrections included.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadStatements`]) or a backend error.
    fn statement_versions(
        &self,
        who: &Principal,
        firm: &FirmId,
    ) -> Result<Vec<FinancialStatement>, Self::Error>;

    /// Loan applications passing `filter`, personal guarantor names masked unless `who` may see
    /// them.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadApplications`]) or a backend error.
    fn applications(
        &self,
        who: &Principal,
        filter: &ApplicationFilter,
    ) -> Result<Vec<LoanApplication>, Self::Error>;

    /// One application by id.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadApplications`]) or a backend error.
    fn application(
        &self,
        who: &Principal,
        id: &ApplicationId,
    ) -> Result<Option<LoanApplication>, Self::Error>;

    /// The loan book.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadExposures`]) or a backend error.
    fn exposures(&self, who: &Principal) -> Result<Vec<Exposure>, Self::Error>;

    /// The loan book as a columnar [`Portfolio`] (ids are loan ids, in loan-id order).
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadExposures`]) or a backend error.
    fn portfolio(&self, who: &Principal) -> Result<Portfolio, Self::Error>;

    /// Credit events, of one firm or of all.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadCreditEvents`]) or a backend error.
    fn credit_events(
        &self,
        who: &Principal,
        firm: Option<&FirmId>,
    ) -> Result<Vec<CreditEvent>, Self::Error>;

    /// The instruments that have prices, sorted.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadPrices`]) or a backend error.
    fn instruments(&self, who: &Principal) -> Result<Vec<InstrumentId>, Self::Error>;

    /// The price series of an instrument (empty when it has no prices).
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadPrices`]) or a backend error.
    fn price_series(
        &self,
        who: &Principal,
        instrument: &InstrumentId,
    ) -> Result<PriceSeries, Self::Error>;

    /// The audit trail, oldest first.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadAudit`]) or a backend error.
    fn audit_log(&self, who: &Principal) -> Result<Vec<AuditEntry>, Self::Error>;

    /// The stored head of the audit chain (count and last hash), to anchor outside the pool.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadAudit`]) or a backend error.
    fn audit_head(&self, who: &Principal) -> Result<AuditHead, Self::Error>;

    /// Recomputes the audit chain and compares it with the stored head; see
    /// [`crate::audit`] for what is detected and the limits.
    ///
    /// # Errors
    ///
    /// Access denied ([`Permission::ReadAudit`]) or a backend error. A broken chain is not an
    /// error: it is reported in [`AuditStatus::problems`].
    fn verify_audit(&self, who: &Principal) -> Result<AuditStatus, Self::Error>;

    /// A pseudonymised, k-anonymous export for researchers with the default [`Privacy`]
    /// (k = 5); see [`PoolRead::research_export_with`].
    ///
    /// # Errors
    ///
    /// Access denied or a backend error.
    fn research_export(
        &self,
        who: &Principal,
        as_of: NaiveDate,
        key: &Pseudonymiser,
    ) -> Result<ResearchExport, Self::Error> {
        self.research_export_with(who, as_of, key, &Privacy::default())
    }

    /// A pseudonymised export for researchers in which every combination of the firms'
    /// quasi-identifiers holds at least `privacy.k()` firms (needs [`Permission::Export`] and
    /// the read permissions for firms, statements and credit events).
    ///
    /// # Errors
    ///
    /// Access denied or a backend error.
    fn research_export_with(
        &self,
        who: &Principal,
        as_of: NaiveDate,
        key: &Pseudonymiser,
        privacy: &Privacy,
    ) -> Result<ResearchExport, Self::Error> {
        crate::guard::research_export(self, who, as_of, key, privacy)
    }
}

/// Writing to the pool.
pub trait PoolWrite {
    /// The backend's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Ingests a batch atomically: validation by finkit-schema rules, referential checks (a row
    /// naming an unknown firm is rejected) and natural-key rules (identical re-ingest is
    /// idempotent; the same key with different values is rejected; a statement with a new
    /// `available_at` is a new version). Needs the write permission of every kind in the batch.
    ///
    /// In [`IngestMode::Strict`] any rejected row means nothing is written (not even an audit
    /// entry) and the error carries the full report; in [`IngestMode::Lenient`] exactly the
    /// valid rows are committed with one audit entry.
    ///
    /// # Errors
    ///
    /// Access denied, rejected rows in strict mode, or a backend error (nothing committed).
    fn ingest(
        &self,
        who: &Principal,
        batch: &Batch,
        mode: IngestMode,
    ) -> Result<IngestReport, Self::Error>;
}

macro_rules! forward_read {
    () => {
        type Error = T::Error;
        fn authorize(
            &self,
            who: &Principal,
            permission: Permission,
            action: &str,
            entity: &str,
        ) -> Result<(), Self::Error> {
            (**self).authorize(who, permission, action, entity)
        }
        fn firms(&self, who: &Principal, filter: &FirmFilter) -> Result<Vec<Firm>, Self::Error> {
            (**self).firms(who, filter)
        }
        fn firm(&self, who: &Principal, id: &FirmId) -> Result<Option<Firm>, Self::Error> {
            (**self).firm(who, id)
        }
        fn statements_as_of(
            &self,
            who: &Principal,
            as_of: NaiveDate,
            query: &StatementQuery,
        ) -> Result<Vec<FinancialStatement>, Self::Error> {
            (**self).statements_as_of(who, as_of, query)
        }
        fn statement_versions(
            &self,
            who: &Principal,
            firm: &FirmId,
        ) -> Result<Vec<FinancialStatement>, Self::Error> {
            (**self).statement_versions(who, firm)
        }
        fn applications(
            &self,
            who: &Principal,
            filter: &ApplicationFilter,
        ) -> Result<Vec<LoanApplication>, Self::Error> {
            (**self).applications(who, filter)
        }
        fn application(
            &self,
            who: &Principal,
            id: &ApplicationId,
        ) -> Result<Option<LoanApplication>, Self::Error> {
            (**self).application(who, id)
        }
        fn exposures(&self, who: &Principal) -> Result<Vec<Exposure>, Self::Error> {
            (**self).exposures(who)
        }
        fn portfolio(&self, who: &Principal) -> Result<Portfolio, Self::Error> {
            (**self).portfolio(who)
        }
        fn credit_events(
            &self,
            who: &Principal,
            firm: Option<&FirmId>,
        ) -> Result<Vec<CreditEvent>, Self::Error> {
            (**self).credit_events(who, firm)
        }
        fn instruments(&self, who: &Principal) -> Result<Vec<InstrumentId>, Self::Error> {
            (**self).instruments(who)
        }
        fn price_series(
            &self,
            who: &Principal,
            instrument: &InstrumentId,
        ) -> Result<PriceSeries, Self::Error> {
            (**self).price_series(who, instrument)
        }
        fn audit_log(&self, who: &Principal) -> Result<Vec<AuditEntry>, Self::Error> {
            (**self).audit_log(who)
        }
        fn audit_head(&self, who: &Principal) -> Result<AuditHead, Self::Error> {
            (**self).audit_head(who)
        }
        fn verify_audit(&self, who: &Principal) -> Result<AuditStatus, Self::Error> {
            (**self).verify_audit(who)
        }
        fn research_export(
            &self,
            who: &Principal,
            as_of: NaiveDate,
            key: &Pseudonymiser,
        ) -> Result<ResearchExport, Self::Error> {
            (**self).research_export(who, as_of, key)
        }
        fn research_export_with(
            &self,
            who: &Principal,
            as_of: NaiveDate,
            key: &Pseudonymiser,
            privacy: &Privacy,
        ) -> Result<ResearchExport, Self::Error> {
            (**self).research_export_with(who, as_of, key, privacy)
        }
    };
}

macro_rules! forward_write {
    () => {
        type Error = T::Error;
        fn ingest(
            &self,
            who: &Principal,
            batch: &Batch,
            mode: IngestMode,
        ) -> Result<IngestReport, Self::Error> {
            (**self).ingest(who, batch, mode)
        }
    };
}

impl<T: PoolRead + ?Sized> PoolRead for &T {
    forward_read!();
}
impl<T: PoolRead + ?Sized> PoolRead for Box<T> {
    forward_read!();
}
impl<T: PoolRead + ?Sized> PoolRead for std::sync::Arc<T> {
    forward_read!();
}
impl<T: PoolWrite + ?Sized> PoolWrite for &T {
    forward_write!();
}
impl<T: PoolWrite + ?Sized> PoolWrite for Box<T> {
    forward_write!();
}
impl<T: PoolWrite + ?Sized> PoolWrite for std::sync::Arc<T> {
    forward_write!();
}
