//! The in-memory reference backend.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use chrono::NaiveDate;
use finkit_schema::{
    ApplicationId, CreditEvent, Exposure, FinancialStatement, Firm, FirmId, InstrumentId,
    LoanApplication, LoanId, Portfolio, PriceSeries,
};

use crate::PoolError;
use crate::audit::{AuditEntry, AuditEvent, AuditHead, AuditStatus, verify_chain};
use crate::backend::select_as_of;
use crate::guard::{Commit, Guarded, ReadStore, Sealed, WriteStore};
use crate::ingest::{IngestReport, IngestStore, Put, RowSource, apply_rows};
use crate::record::Record;
use crate::security::Policy;
use crate::traits::{ApplicationFilter, FirmFilter, StatementQuery};

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

/// The in-memory store behind [`MemoryPool`]: the data behind a lock, the audit trail behind
/// another. Storage only; see [`crate::guard`].
#[derive(Debug)]
pub struct MemoryStore {
    policy: Arc<Policy>,
    data: RwLock<Data>,
    audit: Mutex<Audit>,
}

/// The reference backend: everything in memory, behind locks, the one guard of every backend
/// ([`Guarded`]) around a [`MemoryStore`].
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
pub type MemoryPool = Guarded<MemoryStore>;

impl Default for MemoryPool {
    fn default() -> Self {
        MemoryPool::new(Policy::default())
    }
}

impl MemoryPool {
    /// An empty pool governed by `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        Guarded::wrap(MemoryStore {
            policy: Arc::new(policy),
            data: RwLock::default(),
            audit: Mutex::default(),
        })
    }

    /// The pool's policy.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.store.policy
    }
}

impl MemoryStore {
    fn data(&self) -> Result<RwLockReadGuard<'_, Data>, PoolError> {
        self.data.read().map_err(|_| PoolError::Poisoned)
    }

    fn trail(&self) -> Result<MutexGuard<'_, Audit>, PoolError> {
        self.audit.lock().map_err(|_| PoolError::Poisoned)
    }
}

impl Sealed for MemoryStore {}

impl ReadStore for MemoryStore {
    fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.policy)
    }

    fn append_audit(&self, event: &AuditEvent) -> Result<(), PoolError> {
        let mut audit = self.trail()?;
        let entry = AuditEntry::next(&audit.head, event);
        audit.head = AuditHead { count: entry.seq, hash: entry.hash.clone() };
        audit.entries.push(entry);
        Ok(())
    }

    fn firms(&self, filter: &FirmFilter) -> Result<Vec<Firm>, PoolError> {
        Ok(self.data()?.firms.values().filter(|f| filter.matches(f)).cloned().collect())
    }

    fn firm(&self, id: &FirmId) -> Result<Option<Firm>, PoolError> {
        Ok(self.data()?.firms.get(id).cloned())
    }

    fn statements_as_of(
        &self,
        as_of: NaiveDate,
        query: &StatementQuery,
    ) -> Result<Vec<FinancialStatement>, PoolError> {
        Ok(select_as_of(self.data()?.statements.values().cloned(), as_of, query))
    }

    fn statement_versions(&self, firm: &FirmId) -> Result<Vec<FinancialStatement>, PoolError> {
        Ok(self.data()?.statements.values().filter(|s| s.firm_id == *firm).cloned().collect())
    }

    fn applications(&self, filter: &ApplicationFilter) -> Result<Vec<LoanApplication>, PoolError> {
        Ok(self.data()?.applications.values().filter(|a| filter.matches(a)).cloned().collect())
    }

    fn application(&self, id: &ApplicationId) -> Result<Option<LoanApplication>, PoolError> {
        Ok(self.data()?.applications.get(id).cloned())
    }

    fn exposures(&self) -> Result<Vec<Exposure>, PoolError> {
        Ok(self.data()?.exposures.values().cloned().collect())
    }

    fn portfolio(&self) -> Result<Portfolio, PoolError> {
        let exposures = self.exposures()?;
        Ok(Portfolio::from_exposures(&exposures)?)
    }

    fn credit_events(&self, firm: Option<&FirmId>) -> Result<Vec<CreditEvent>, PoolError> {
        Ok(self
            .data()?
            .events
            .values()
            .filter(|e| firm.is_none_or(|f| e.firm_id == *f))
            .cloned()
            .collect())
    }

    fn instruments(&self) -> Result<Vec<InstrumentId>, PoolError> {
        let mut ids: Vec<InstrumentId> =
            self.data()?.prices.keys().map(|(i, _)| i.clone()).collect();
        ids.dedup();
        Ok(ids)
    }

    fn price_series(&self, instrument: &InstrumentId) -> Result<PriceSeries, PoolError> {
        let (dates, prices) = self
            .data()?
            .prices
            .iter()
            .filter(|((i, _), _)| i == instrument)
            .map(|((_, date), p)| (*date, *p))
            .unzip();
        Ok(PriceSeries::new(instrument.clone(), dates, prices)?)
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>, PoolError> {
        Ok(self.trail()?.entries.clone())
    }

    fn audit_head(&self) -> Result<AuditHead, PoolError> {
        Ok(self.trail()?.head.clone())
    }

    fn verify_audit(&self) -> Result<AuditStatus, PoolError> {
        let audit = self.trail()?;
        Ok(verify_chain(&audit.entries, &audit.head))
    }
}

impl WriteStore for MemoryStore {
    fn write_rows(
        &self,
        rows: RowSource<'_>,
        commit: &Commit<'_>,
    ) -> Result<(IngestReport, AuditHead), PoolError> {
        let mut data = self.data.write().map_err(|_| PoolError::Poisoned)?;
        let mut staged = data.clone();
        let report = apply_rows(&mut staged, rows)?;
        let event = commit(&report)?;
        // Audit before publishing, as the SQL backends do in one transaction.
        self.append_audit(&event)?;
        let head = self.trail()?.head.clone();
        *data = staged;
        Ok((report, head))
    }
}
