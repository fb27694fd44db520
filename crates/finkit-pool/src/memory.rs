//! The in-memory reference backend.

use std::collections::BTreeMap;
use std::sync::{Mutex, RwLock};

use chrono::NaiveDate;
use finkit_schema::{
    ApplicationId, CreditEvent, Exposure, FinancialStatement, Firm, FirmId, InstrumentId,
    LoanApplication, LoanId, Portfolio, PriceSeries,
};

use crate::PoolError;
use crate::audit::{AuditEntry, AuditEvent, AuditHead, AuditStatus, verify_chain};
use crate::backend::{
    allowed, authorize_audited, authorize_ingest, authorize_with, describe_firm, describe_query,
    ingest_event, present_application, present_applications, present_firm, present_firms,
    select_as_of, strict_rejection, verified,
};
use crate::ingest::{Batch, IngestMode, IngestReport, IngestStore, Put, apply_batch};
use crate::record::{EntityKind, Record};
use crate::security::{Permission, Policy, Principal};
use crate::traits::{ApplicationFilter, FirmFilter, PoolRead, PoolWrite, StatementQuery};

type EventKey = (FirmId, NaiveDate, String);

#[derive(Debug, Clone, Default)]
struct Data {
    firms: BTreeMap<FirmId, Firm>,
    statements: BTreeMap<(FirmId, NaiveDate, NaiveDate), FinancialStatement>,
    applications: BTreeMap<ApplicationId, LoanApplication>,
    exposures: BTreeMap<LoanId, Exposure>,
    events: BTreeMap<EventKey, CreditEvent>,
    prices: BTreeMap<(InstrumentId, NaiveDate), f64>,
}

fn event_key(e: &CreditEvent) -> EventKey {
    // The kind's snake_case name orders events the same way as the SQL backends.
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    (e.firm_id.clone(), e.date, kind)
}

fn put_in<K: Ord, V: PartialEq + Clone>(map: &mut BTreeMap<K, V>, key: K, value: &V) -> Put {
    match map.get(&key) {
        Some(stored) if stored == value => Put::Unchanged,
        Some(_) => Put::Conflict,
        None => {
            map.insert(key, value.clone());
            Put::Inserted
        }
    }
}

impl IngestStore for Data {
    fn firm_exists(&mut self, id: &FirmId) -> Result<bool, PoolError> {
        Ok(self.firms.contains_key(id))
    }

    fn put(&mut self, record: &Record) -> Result<Put, PoolError> {
        Ok(match record {
            Record::Firm(f) => put_in(&mut self.firms, f.id.clone(), f),
            Record::Statement(s) => {
                put_in(&mut self.statements, (s.firm_id.clone(), s.period_end, s.available_at), s)
            }
            Record::Application(a) => put_in(&mut self.applications, a.id.clone(), a),
            Record::Exposure(e) => put_in(&mut self.exposures, e.loan_id.clone(), e),
            Record::CreditEvent(e) => put_in(&mut self.events, event_key(e), e),
            Record::Price(p) => {
                let key = (p.instrument.clone(), p.date);
                match self.prices.get(&key) {
                    Some(stored) if stored.to_bits() == p.price.to_bits() => Put::Unchanged,
                    Some(_) => Put::Conflict,
                    None => {
                        self.prices.insert(key, p.price);
                        Put::Inserted
                    }
                }
            } // `Record` is non-exhaustive for users, not for this crate.
        })
    }
}

#[derive(Debug, Default)]
struct Audit {
    entries: Vec<AuditEntry>,
    head: AuditHead,
}

/// The reference backend: everything in memory, behind locks, same rules as every backend.
///
/// An ingest works on a copy of the data and swaps it in at the end, so a batch is atomic and
/// readers see either the old or the new state. Meant for tests and small studies; nothing is
/// persisted.
///
/// ```
/// use finkit_pool::{Batch, IngestMode, MemoryPool, PoolRead, PoolWrite, Principal, Role};
/// let pool = MemoryPool::default();
/// let admin = Principal::new("ada", Role::Admin);
/// let batch = Batch::from_csv_reader(
///     finkit_pool::EntityKind::Prices,
///     "instrument,date,price\nXYZ,2024-01-02,10.5\n".as_bytes(),
///     "prices.csv",
/// )?;
/// let report = pool.ingest(&admin, &batch, IngestMode::Strict)?;
/// assert_eq!(report.accepted, 1);
/// let series = pool.price_series(&admin, &"XYZ".parse()?)?;
/// assert_eq!(series.prices(), &[10.5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryPool {
    policy: Policy,
    data: RwLock<Data>,
    audit: Mutex<Audit>,
}

impl MemoryPool {
    /// An empty pool governed by `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        MemoryPool { policy, data: RwLock::default(), audit: Mutex::default() }
    }

    /// The pool's policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn append(&self, event: &AuditEvent) -> Result<(), PoolError> {
        let mut audit = self.audit.lock().map_err(|_| PoolError::Poisoned)?;
        let entry = AuditEntry::next(&audit.head, event);
        audit.head = AuditHead { count: entry.seq, hash: entry.hash.clone() };
        audit.entries.push(entry);
        Ok(())
    }

    fn guard(
        &self,
        who: &Principal,
        permission: Permission,
        entity: &str,
    ) -> Result<(), PoolError> {
        authorize_with(&self.policy, who, permission, "read", entity, |e| self.append(e))
    }

    fn allowed(
        &self,
        who: &Principal,
        action: &str,
        entity: &str,
        detail: String,
    ) -> Result<(), PoolError> {
        self.append(&allowed(who, action, entity, detail))
    }

    /// Reads the audit trail: guard, then `f` under the trail's lock. The caller audits the
    /// call once the lock is released (appending takes it again).
    fn audit_view<R>(
        &self,
        who: &Principal,
        action: &str,
        f: impl FnOnce(&Audit) -> R,
    ) -> Result<R, PoolError> {
        authorize_with(&self.policy, who, Permission::ReadAudit, action, "audit", |e| {
            self.append(e)
        })?;
        let audit = self.audit.lock().map_err(|_| PoolError::Poisoned)?;
        Ok(f(&audit))
    }

    /// Reads under the data lock: guard, audit, then `f`.
    fn read<R>(
        &self,
        who: &Principal,
        kind: EntityKind,
        detail: String,
        f: impl FnOnce(&Data) -> Result<R, PoolError>,
    ) -> Result<R, PoolError> {
        self.guard(who, kind.read_permission(), kind.as_str())?;
        let data = self.data.read().map_err(|_| PoolError::Poisoned)?;
        let out = f(&data)?;
        drop(data);
        self.allowed(who, "read", kind.as_str(), detail)?;
        Ok(out)
    }
}

impl PoolRead for MemoryPool {
    type Error = PoolError;

    fn authorize(
        &self,
        who: &Principal,
        permission: Permission,
        action: &str,
        entity: &str,
    ) -> Result<(), PoolError> {
        authorize_audited(&self.policy, who, permission, action, entity, |e| self.append(e))
    }

    fn firms(&self, who: &Principal, filter: &FirmFilter) -> Result<Vec<Firm>, PoolError> {
        self.read(who, EntityKind::Firms, format!("{filter:?}"), |d| {
            let matching = d.firms.values().filter(|f| filter.matches(f)).cloned();
            Ok(present_firms(&self.policy, who, filter, matching))
        })
    }

    fn firm(&self, who: &Principal, id: &FirmId) -> Result<Option<Firm>, PoolError> {
        self.read(who, EntityKind::Firms, format!("id={id}"), |d| {
            Ok(d.firms.get(id).map(|f| present_firm(&self.policy, who, f.clone())))
        })
    }

    fn statements_as_of(
        &self,
        who: &Principal,
        as_of: NaiveDate,
        query: &StatementQuery,
    ) -> Result<Vec<FinancialStatement>, PoolError> {
        self.read(who, EntityKind::Statements, describe_query(as_of, query), |d| {
            Ok(select_as_of(d.statements.values().cloned(), as_of, query))
        })
    }

    fn statement_versions(
        &self,
        who: &Principal,
        firm: &FirmId,
    ) -> Result<Vec<FinancialStatement>, PoolError> {
        self.read(who, EntityKind::Statements, format!("versions firm={firm}"), |d| {
            Ok(d.statements.values().filter(|s| s.firm_id == *firm).cloned().collect())
        })
    }

    fn applications(
        &self,
        who: &Principal,
        filter: &ApplicationFilter,
    ) -> Result<Vec<LoanApplication>, PoolError> {
        self.read(who, EntityKind::Applications, format!("{filter:?}"), |d| {
            let matching = d.applications.values().filter(|a| filter.matches(a)).cloned();
            Ok(present_applications(&self.policy, who, filter, matching))
        })
    }

    fn application(
        &self,
        who: &Principal,
        id: &ApplicationId,
    ) -> Result<Option<LoanApplication>, PoolError> {
        self.read(who, EntityKind::Applications, format!("id={id}"), |d| {
            Ok(d.applications.get(id).map(|a| present_application(&self.policy, who, a.clone())))
        })
    }

    fn exposures(&self, who: &Principal) -> Result<Vec<Exposure>, PoolError> {
        self.read(who, EntityKind::Exposures, "all".into(), |d| {
            Ok(d.exposures.values().cloned().collect())
        })
    }

    fn portfolio(&self, who: &Principal) -> Result<Portfolio, PoolError> {
        self.read(who, EntityKind::Exposures, "portfolio".into(), |d| {
            let exposures: Vec<Exposure> = d.exposures.values().cloned().collect();
            Ok(Portfolio::from_exposures(&exposures)?)
        })
    }

    fn credit_events(
        &self,
        who: &Principal,
        firm: Option<&FirmId>,
    ) -> Result<Vec<CreditEvent>, PoolError> {
        self.read(who, EntityKind::CreditEvents, describe_firm(firm), |d| {
            Ok(d.events
                .values()
                .filter(|e| firm.is_none_or(|f| e.firm_id == *f))
                .cloned()
                .collect())
        })
    }

    fn instruments(&self, who: &Principal) -> Result<Vec<InstrumentId>, PoolError> {
        self.read(who, EntityKind::Prices, "instruments".into(), |d| {
            let mut ids: Vec<InstrumentId> = d.prices.keys().map(|(i, _)| i.clone()).collect();
            ids.dedup();
            Ok(ids)
        })
    }

    fn price_series(
        &self,
        who: &Principal,
        instrument: &InstrumentId,
    ) -> Result<PriceSeries, PoolError> {
        self.read(who, EntityKind::Prices, format!("instrument={instrument}"), |d| {
            let (dates, prices) = d
                .prices
                .iter()
                .filter(|((i, _), _)| i == instrument)
                .map(|((_, date), p)| (*date, *p))
                .unzip();
            Ok(PriceSeries::new(instrument.clone(), dates, prices)?)
        })
    }

    fn audit_log(&self, who: &Principal) -> Result<Vec<AuditEntry>, PoolError> {
        let entries = self.audit_view(who, "read", |a| a.entries.clone())?;
        self.allowed(who, "read", "audit", "log".into())?;
        Ok(entries)
    }

    fn audit_head(&self, who: &Principal) -> Result<AuditHead, PoolError> {
        let head = self.audit_view(who, "read", |a| a.head.clone())?;
        self.allowed(who, "read", "audit", "head".into())?;
        Ok(head)
    }

    fn verify_audit(&self, who: &Principal) -> Result<AuditStatus, PoolError> {
        let status = self.audit_view(who, "verify_audit", |a| verify_chain(&a.entries, &a.head))?;
        verified(who, status, |e| self.append(e))
    }
}

impl PoolWrite for MemoryPool {
    type Error = PoolError;

    fn ingest(
        &self,
        who: &Principal,
        batch: &Batch,
        mode: IngestMode,
    ) -> Result<IngestReport, PoolError> {
        authorize_ingest(&self.policy, who, batch, |e| self.append(e))?;
        let mut data = self.data.write().map_err(|_| PoolError::Poisoned)?;
        let mut staged = data.clone();
        let report = apply_batch(&mut staged, batch)?;
        if let Some(rejected) = strict_rejection(mode, &report) {
            return Err(rejected);
        }
        // Audit before publishing, as the SQL backends do in one transaction.
        self.append(&ingest_event(who, batch, mode, &report))?;
        *data = staged;
        Ok(report)
    }
}
