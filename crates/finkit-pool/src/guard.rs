//! Storage split from policy: the storage-only traits [`ReadStore`] and [`WriteStore`], and
//! [`Guarded`], the one guard that implements [`PoolRead`] and [`PoolWrite`] for any store.
//!
//! Every read of the pool goes through the same four steps, written once here:
//!
//! 1. **authorize**: the pool's [`Policy`] is checked for the principal; a denial is appended
//!    to the audit trail and returned as [`PoolError::AccessDenied`];
//! 2. **query** the store ([`ReadStore`]: raw rows, no principal, no masking, no audit);
//! 3. **mask**: every result type implements the crate's presentation step, which masks
//!    registration numbers, contact details and personal guarantor names unless the role has
//!    [`Permission::ViewSensitive`] (result types without sensitive fields pass unchanged, and
//!    a new result type does not compile until it says which it is);
//! 4. **audit**: the allowed call is appended to the hash-chained audit trail.
//!
//! Writes ([`WriteStore::write_rows`]) are authorized (the write permission of every kind in
//! the batch or row source) before the store is touched; the store then applies the rows
//! atomically, chunk by chunk in one transaction, and appends the audit entry the guard hands
//! it in the same transaction.
//!
//! [`crate::MemoryPool`], [`crate::SqlitePool`] and `PostgresPool` are this guard around their
//! store ([`crate::MemoryStore`], [`crate::SqliteStore`], `PostgresStore`), so "every read is
//! authorized, masked and audited" holds by construction: a backend implements storage only
//! and cannot skip a step.
//!
//! # Who can reach a store
//!
//! Both store traits are sealed (only this crate implements them) and no store type has a
//! public constructor: a store exists only inside a [`Guarded`], which owns it and never hands
//! it out. A caller holding a pool therefore reaches the data only through [`PoolRead`] and
//! [`PoolWrite`] (and the backends' own guarded methods). Backends outside this crate
//! implement [`PoolRead`] and [`PoolWrite`] directly with the building blocks of
//! [`crate::backend`] and must pass [`crate::conformance::run_all`].
//!
//! What the guard does not cover: whoever can read a SQLite file, or log in to the PostgreSQL
//! database with rights on the pool's tables, reads around it (see `docs/ARCHITECTURE.md`).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use finkit_schema::{
    ApplicationId, CreditEvent, Exposure, FinancialStatement, Firm, FirmId, InstrumentId,
    LoanApplication, Portfolio, PriceSeries,
};

use crate::PoolError;
use crate::anonymise::{Privacy, k_anonymise};
use crate::audit::{AuditEntry, AuditEvent, AuditHead, AuditStatus};
use crate::backend::{
    allowed, authorize_audited, authorize_ingest, authorize_with, describe_firm, describe_query,
    ingest_event, strict_rejection, verified,
};
use crate::ingest::{Batch, IngestMode, IngestReport, RowSource};
use crate::record::EntityKind;
use crate::security::{
    Permission, Policy, Principal, Pseudonymise, Pseudonymiser, mask_application, mask_firm,
};
use crate::traits::{
    ApplicationFilter, FirmFilter, PoolRead, PoolWrite, ResearchExport, StatementQuery,
};

mod sealed {
    /// Only this crate's stores implement the store traits.
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// Storage-only reads: raw rows as stored, with **no** principal, policy check, masking or
/// audit entry (those are [`Guarded`]'s). Sealed; see the [module docs](self).
///
/// Results come in the order [`PoolRead`] documents. Each call reads one consistent state.
pub trait ReadStore: Sealed {
    /// The policy currently governing the pool (stored in the pool for the SQL backends).
    fn policy(&self) -> Arc<Policy>;

    /// Appends one entry to the audit trail, in its own transaction.
    ///
    /// # Errors
    ///
    /// A storage error, or [`PoolError::AuditConflict`] when the chain moved underneath.
    fn append_audit(&self, event: &AuditEvent) -> Result<(), PoolError>;

    /// Firms passing `filter`, unmasked, by id.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn firms(&self, filter: &FirmFilter) -> Result<Vec<Firm>, PoolError>;

    /// One firm, unmasked.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn firm(&self, id: &FirmId) -> Result<Option<Firm>, PoolError>;

    /// Statements as known on `as_of` (see [`PoolRead::statements_as_of`]).
    ///
    /// # Errors
    ///
    /// A storage error.
    fn statements_as_of(
        &self,
        as_of: NaiveDate,
        query: &StatementQuery,
    ) -> Result<Vec<FinancialStatement>, PoolError>;

    /// Every stored version of every statement of a firm.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn statement_versions(&self, firm: &FirmId) -> Result<Vec<FinancialStatement>, PoolError>;

    /// Applications passing `filter`, unmasked, by id.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn applications(&self, filter: &ApplicationFilter) -> Result<Vec<LoanApplication>, PoolError>;

    /// One application, unmasked.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn application(&self, id: &ApplicationId) -> Result<Option<LoanApplication>, PoolError>;

    /// The loan book.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn exposures(&self) -> Result<Vec<Exposure>, PoolError>;

    /// The loan book as a [`Portfolio`].
    ///
    /// # Errors
    ///
    /// A storage error.
    fn portfolio(&self) -> Result<Portfolio, PoolError>;

    /// Credit events, of one firm or of all.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn credit_events(&self, firm: Option<&FirmId>) -> Result<Vec<CreditEvent>, PoolError>;

    /// The instruments that have prices, sorted.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn instruments(&self) -> Result<Vec<InstrumentId>, PoolError>;

    /// The price series of an instrument.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn price_series(&self, instrument: &InstrumentId) -> Result<PriceSeries, PoolError>;

    /// The audit trail, oldest first.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn audit_log(&self) -> Result<Vec<AuditEntry>, PoolError>;

    /// The stored head of the audit chain.
    ///
    /// # Errors
    ///
    /// A storage error.
    fn audit_head(&self) -> Result<AuditHead, PoolError>;

    /// The chain recomputed against the stored head, plus what the storage itself can tell
    /// (the append-only triggers of the SQL backends).
    ///
    /// # Errors
    ///
    /// A storage error.
    fn verify_audit(&self) -> Result<AuditStatus, PoolError>;
}

/// What the guard decides once a batch has been applied: the error to roll back with (strict
/// mode with rejected rows), or the audit entry to append in the same transaction.
pub type Commit<'a> = dyn Fn(&IngestReport) -> Result<AuditEvent, PoolError> + 'a;

/// Storage-only writes (the write side of [`ReadStore`], over the row-level
/// [`crate::IngestStore`]). Sealed; see the [module docs](self).
pub trait WriteStore: ReadStore {
    /// Applies `rows` with [`crate::apply_rows`] in one transaction, chunk by chunk, then
    /// asks `commit`: on `Err` nothing is written and the error is returned; on `Ok(event)`
    /// the event is appended to the audit trail in the same transaction, which then commits.
    /// Returns the report and the audit head right after the entry.
    ///
    /// # Errors
    ///
    /// `commit`'s error, a fatal input error of `rows` or a storage error; nothing is written
    /// then.
    fn write_rows(
        &self,
        rows: RowSource<'_>,
        commit: &Commit<'_>,
    ) -> Result<(IngestReport, AuditHead), PoolError>;

    /// [`WriteStore::write_rows`] over a batch in memory (its rows in dependency order).
    ///
    /// # Errors
    ///
    /// As [`WriteStore::write_rows`].
    fn write_batch(
        &self,
        batch: &Batch,
        commit: &Commit<'_>,
    ) -> Result<(IngestReport, AuditHead), PoolError> {
        self.write_rows(RowSource::of_batch(batch), commit)
    }
}

/// A result as a principal may see it: masked unless `sees_sensitive`. Implemented for every
/// type a guarded read returns, so a read cannot skip the step.
pub(crate) trait Present {
    /// The value as shown; `sees_sensitive` is whether the role has
    /// [`Permission::ViewSensitive`].
    fn present(self, sees_sensitive: bool) -> Self;
}

impl Present for Firm {
    fn present(self, sees_sensitive: bool) -> Self {
        if sees_sensitive { self } else { mask_firm(self) }
    }
}

impl Present for LoanApplication {
    fn present(self, sees_sensitive: bool) -> Self {
        if sees_sensitive { self } else { mask_application(self) }
    }
}

impl<T: Present> Present for Vec<T> {
    fn present(self, sees_sensitive: bool) -> Self {
        self.into_iter().map(|x| x.present(sees_sensitive)).collect()
    }
}

impl<T: Present> Present for Option<T> {
    fn present(self, sees_sensitive: bool) -> Self {
        self.map(|x| x.present(sees_sensitive))
    }
}

/// Types without a sensitive field: shown as stored. A field added to one of them that names
/// a person or a contact must move the type to a masking implementation above.
macro_rules! shown_as_stored {
    ($($t:ty),* $(,)?) => {
        $(impl Present for $t {
            fn present(self, _sees_sensitive: bool) -> Self {
                self
            }
        })*
    };
}

shown_as_stored!(
    FinancialStatement,
    Exposure,
    Portfolio,
    CreditEvent,
    InstrumentId,
    PriceSeries,
    AuditEntry,
    AuditHead,
    AuditStatus,
);

/// The pool: a store behind the one guard. See the [module docs](self).
pub struct Guarded<S> {
    pub(crate) store: S,
}

impl<S: fmt::Debug> fmt::Debug for Guarded<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.store.fmt(f)
    }
}

impl<S: ReadStore> Guarded<S> {
    pub(crate) fn wrap(store: S) -> Self {
        Guarded { store }
    }

    /// Step 1 alone: checks `permission`; a denial is audited and returned. Returns the policy
    /// the decision was made under.
    pub(crate) fn check(
        &self,
        who: &Principal,
        permission: Permission,
        action: &str,
        entity: &str,
    ) -> Result<Arc<Policy>, PoolError> {
        let policy = self.store.policy();
        authorize_with(&policy, who, permission, action, entity, |e| self.store.append_audit(e))?;
        Ok(policy)
    }

    /// The four steps: authorize, `query` the store, present the result as `who` may see it,
    /// audit the allowed call.
    pub(crate) fn guarded<R: Present>(
        &self,
        who: &Principal,
        permission: Permission,
        action: &str,
        entity: &str,
        detail: String,
        query: impl FnOnce(&S) -> Result<R, PoolError>,
    ) -> Result<R, PoolError> {
        let policy = self.check(who, permission, action, entity)?;
        let out = query(&self.store)?.present(policy.allows(who.role, Permission::ViewSensitive));
        self.store.append_audit(&allowed(who, action, entity, detail))?;
        Ok(out)
    }

    fn read<R: Present>(
        &self,
        who: &Principal,
        kind: EntityKind,
        detail: String,
        query: impl FnOnce(&S) -> Result<R, PoolError>,
    ) -> Result<R, PoolError> {
        self.guarded(who, kind.read_permission(), "read", kind.as_str(), detail, query)
    }
}

impl<S: WriteStore> Guarded<S> {
    /// [`PoolWrite::ingest`], also returning the audit head right after the ingest's own entry:
    /// an anchor to keep outside the pool (`finkit pool audit-verify --expect-head`).
    ///
    /// # Errors
    ///
    /// As [`PoolWrite::ingest`].
    pub fn ingest_anchored(
        &self,
        who: &Principal,
        batch: &Batch,
        mode: IngestMode,
    ) -> Result<(IngestReport, AuditHead), PoolError> {
        self.ingest_rows_anchored(who, RowSource::of_batch(batch), mode)
    }

    /// Ingests rows streamed from `rows` (a CSV or JSON reader, or any iterator of rows) in
    /// one transaction, holding at most [`RowSource::chunk_rows`] parsed rows at once; the
    /// rules, modes and audit entry are those of [`PoolWrite::ingest`]: in strict mode one
    /// rejected row and nothing is written (not even an audit entry) while the error's report
    /// still lists every rejected row; in lenient mode exactly the valid rows are committed
    /// with one audit entry. What grows with the input is described at [`RowSource`].
    ///
    /// ```
    /// use finkit_pool::{EntityKind, IngestMode, PoolError, Principal, Role, RowSource, SqlitePool};
    ///
    /// let pool = SqlitePool::in_memory()?;
    /// let admin = Principal::new("ops", Role::Admin);
    /// let lines = "{\"instrument\":\"X\",\"date\":\"2024-01-02\",\"price\":2.5}\n";
    /// let rows = RowSource::json(EntityKind::Prices, lines.as_bytes(), "p.jsonl")?;
    /// let report = pool.ingest_rows(&admin, rows, IngestMode::Strict)?;
    /// assert_eq!(report.accepted, 1);
    /// # Ok::<(), PoolError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`PoolWrite::ingest`]; also [`PoolError::Format`] when the input turns out malformed
    /// or unreadable part way (nothing is written then).
    pub fn ingest_rows(
        &self,
        who: &Principal,
        rows: RowSource<'_>,
        mode: IngestMode,
    ) -> Result<IngestReport, PoolError> {
        self.ingest_rows_anchored(who, rows, mode).map(|(report, _)| report)
    }

    /// [`Guarded::ingest_rows`], also returning the audit head right after the ingest's own
    /// entry (see [`Guarded::ingest_anchored`]).
    ///
    /// # Errors
    ///
    /// As [`Guarded::ingest_rows`].
    pub fn ingest_rows_anchored(
        &self,
        who: &Principal,
        rows: RowSource<'_>,
        mode: IngestMode,
    ) -> Result<(IngestReport, AuditHead), PoolError> {
        let policy = self.store.policy();
        authorize_ingest(&policy, who, rows.kinds(), |e| self.store.append_audit(e))?;
        let kinds = rows.kinds().clone();
        let source = rows.source().to_owned();
        self.store.write_rows(rows, &|report| match strict_rejection(mode, report) {
            Some(rejected) => Err(rejected),
            None => Ok(ingest_event(who, &kinds, &source, mode, report)),
        })
    }
}

impl<S: ReadStore> PoolRead for Guarded<S> {
    type Error = PoolError;

    fn authorize(
        &self,
        who: &Principal,
        permission: Permission,
        action: &str,
        entity: &str,
    ) -> Result<(), PoolError> {
        authorize_audited(&self.store.policy(), who, permission, action, entity, |e| {
            self.store.append_audit(e)
        })
    }

    fn firms(&self, who: &Principal, filter: &FirmFilter) -> Result<Vec<Firm>, PoolError> {
        self.read(who, EntityKind::Firms, format!("{filter:?}"), |s| {
            // Stores may pre-filter; `FirmFilter::matches` makes the final decision.
            Ok(s.firms(filter)?.into_iter().filter(|f| filter.matches(f)).collect())
        })
    }

    fn firm(&self, who: &Principal, id: &FirmId) -> Result<Option<Firm>, PoolError> {
        self.read(who, EntityKind::Firms, format!("id={id}"), |s| s.firm(id))
    }

    fn statements_as_of(
        &self,
        who: &Principal,
        as_of: NaiveDate,
        query: &StatementQuery,
    ) -> Result<Vec<FinancialStatement>, PoolError> {
        self.read(who, EntityKind::Statements, describe_query(as_of, query), |s| {
            s.statements_as_of(as_of, query)
        })
    }

    fn statement_versions(
        &self,
        who: &Principal,
        firm: &FirmId,
    ) -> Result<Vec<FinancialStatement>, PoolError> {
        self.read(who, EntityKind::Statements, format!("versions firm={firm}"), |s| {
            s.statement_versions(firm)
        })
    }

    fn applications(
        &self,
        who: &Principal,
        filter: &ApplicationFilter,
    ) -> Result<Vec<LoanApplication>, PoolError> {
        self.read(who, EntityKind::Applications, format!("{filter:?}"), |s| {
            Ok(s.applications(filter)?.into_iter().filter(|a| filter.matches(a)).collect())
        })
    }

    fn application(
        &self,
        who: &Principal,
        id: &ApplicationId,
    ) -> Result<Option<LoanApplication>, PoolError> {
        self.read(who, EntityKind::Applications, format!("id={id}"), |s| s.application(id))
    }

    fn exposures(&self, who: &Principal) -> Result<Vec<Exposure>, PoolError> {
        self.read(who, EntityKind::Exposures, "all".into(), S::exposures)
    }

    fn portfolio(&self, who: &Principal) -> Result<Portfolio, PoolError> {
        self.read(who, EntityKind::Exposures, "portfolio".into(), S::portfolio)
    }

    fn credit_events(
        &self,
        who: &Principal,
        firm: Option<&FirmId>,
    ) -> Result<Vec<CreditEvent>, PoolError> {
        self.read(who, EntityKind::CreditEvents, describe_firm(firm), |s| s.credit_events(firm))
    }

    fn instruments(&self, who: &Principal) -> Result<Vec<InstrumentId>, PoolError> {
        self.read(who, EntityKind::Prices, "instruments".into(), S::instruments)
    }

    fn price_series(
        &self,
        who: &Principal,
        instrument: &InstrumentId,
    ) -> Result<PriceSeries, PoolError> {
        self.read(who, EntityKind::Prices, format!("instrument={instrument}"), |s| {
            s.price_series(instrument)
        })
    }

    fn audit_log(&self, who: &Principal) -> Result<Vec<AuditEntry>, PoolError> {
        self.guarded(who, Permission::ReadAudit, "read", "audit", "log".into(), S::audit_log)
    }

    fn audit_head(&self, who: &Principal) -> Result<AuditHead, PoolError> {
        self.guarded(who, Permission::ReadAudit, "read", "audit", "head".into(), S::audit_head)
    }

    fn verify_audit(&self, who: &Principal) -> Result<AuditStatus, PoolError> {
        self.check(who, Permission::ReadAudit, "verify_audit", "audit")?;
        let status = self.store.verify_audit()?;
        verified(who, status, |e| self.store.append_audit(e))
    }
}

impl<S: WriteStore> PoolWrite for Guarded<S> {
    type Error = PoolError;

    fn ingest(
        &self,
        who: &Principal,
        batch: &Batch,
        mode: IngestMode,
    ) -> Result<IngestReport, PoolError> {
        self.ingest_anchored(who, batch, mode).map(|(report, _)| report)
    }
}

/// [`PoolRead::research_export_with`] for any pool: every read goes through `pool` (so it is
/// authorized, masked and audited), then the firms are k-anonymised and pseudonymised.
///
/// # Errors
///
/// Access denied or a backend error.
pub(crate) fn research_export<P: PoolRead + ?Sized>(
    pool: &P,
    who: &Principal,
    as_of: NaiveDate,
    key: &Pseudonymiser,
    privacy: &Privacy,
) -> Result<ResearchExport, P::Error> {
    pool.authorize(who, Permission::Export, "export", "research")?;
    let firms = pool.firms(who, &FirmFilter::all())?;
    let (general, report) = k_anonymise(&firms, privacy);
    let kept: HashSet<FirmId> = general.iter().map(|f| f.id.clone()).collect();
    let firms = general.into_iter().map(|f| f.pseudonymise(key)).collect();
    let statements = pool
        .statements_as_of(who, as_of, &StatementQuery::all())?
        .into_iter()
        .filter(|s| kept.contains(&s.firm_id))
        .map(|s| s.pseudonymise(key))
        .collect();
    let credit_events = pool
        .credit_events(who, None)?
        .into_iter()
        .filter(|e| e.date <= as_of && kept.contains(&e.firm_id))
        .map(|e| e.pseudonymise(key))
        .collect();
    Ok(ResearchExport { as_of, privacy: report, firms, statements, credit_events })
}

#[cfg(all(test, feature = "conformance"))]
mod tests {
    use super::*;
    use crate::MemoryPool;
    use crate::conformance::{fixtures, load_fixture};
    use crate::security::Role;

    #[test]
    fn the_store_is_raw_and_the_guard_masks_and_audits() {
        let pool = MemoryPool::default();
        load_fixture(&pool).unwrap();
        let raw = serde_json::to_string(&pool.store.firms(&FirmFilter::all()).unwrap()).unwrap();
        assert!(fixtures::SENSITIVE.iter().any(|s| raw.contains(s)), "the store is not raw");
        let before = pool.store.audit_head().unwrap().count;
        let analyst = Principal::new("guard-analyst", Role::Analyst);
        let shown = serde_json::to_string(&pool.firms(&analyst, &FirmFilter::all()).unwrap());
        let shown = shown.unwrap();
        assert!(shown.contains(fixtures::FIRMS[0]) && shown.contains(crate::MASK));
        for s in fixtures::SENSITIVE {
            assert!(!shown.contains(s), "{s} passed the guard");
        }
        assert_eq!(pool.store.audit_head().unwrap().count, before + 1, "one entry per read");
        // A denial touches no data and is audited too.
        assert!(pool.exposures(&analyst).unwrap_err().is_access_denied());
        assert_eq!(pool.store.audit_head().unwrap().count, before + 2);
    }
}
