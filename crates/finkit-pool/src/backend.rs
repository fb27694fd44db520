//! Building blocks shared by backends, so that every backend applies the same rules.
//!
//! This crate's backends are storage only ([`crate::guard::ReadStore`],
//! [`crate::guard::WriteStore`]) behind the one guard [`crate::Guarded`], which uses these
//! blocks. A backend outside this crate implements [`crate::PoolRead`] and [`crate::PoolWrite`]
//! itself: [`crate::IngestStore`] for its write transaction with [`crate::apply_batch`],
//! [`authorize_with`] before every call, [`select_as_of`], [`present_firm`] /
//! [`present_application`] (the same masking as the guard) and the audit chain of
//! [`crate::audit`]; then it runs [`crate::conformance::run_all`].

use chrono::NaiveDate;
use finkit_schema::{FinancialStatement, Firm, FirmId, LoanApplication};

use crate::PoolError;
use crate::audit::{AuditEvent, AuditStatus, Outcome};
use crate::guard::Present;
use std::collections::BTreeSet;

use crate::ingest::{IngestMode, IngestReport};
use crate::record::EntityKind;
use crate::security::{Permission, Policy, Principal};
use crate::traits::StatementQuery;

/// Checks `who` against `policy`; on denial appends a denied audit event through `append`
/// and returns [`PoolError::AccessDenied`].
///
/// # Errors
///
/// The denial, or the error of `append`.
pub fn authorize_with(
    policy: &Policy,
    who: &Principal,
    permission: Permission,
    action: &str,
    entity: &str,
    append: impl FnOnce(&AuditEvent) -> Result<(), PoolError>,
) -> Result<(), PoolError> {
    match policy.check(who, permission) {
        Ok(()) => Ok(()),
        Err(denied) => {
            let event = AuditEvent::new(
                who,
                action,
                entity,
                format!("missing permission {permission}"),
                Outcome::Denied,
            );
            append(&event)?;
            Err(denied)
        }
    }
}

/// A firm as `who` may see it.
#[must_use]
pub fn present_firm(policy: &Policy, who: &Principal, firm: Firm) -> Firm {
    firm.present(policy.allows(who.role, Permission::ViewSensitive))
}

/// An application as `who` may see it.
#[must_use]
pub fn present_application(
    policy: &Policy,
    who: &Principal,
    application: LoanApplication,
) -> LoanApplication {
    application.present(policy.allows(who.role, Permission::ViewSensitive))
}

/// Point-in-time selection over versions sorted by `(firm_id, period_end, available_at)`:
/// keeps, per firm and period, the last version with `available_at <= as_of`, and with
/// `query.latest_period_only` only the last such period per firm.
#[must_use]
pub fn select_as_of(
    sorted: impl IntoIterator<Item = FinancialStatement>,
    as_of: NaiveDate,
    query: &StatementQuery,
) -> Vec<FinancialStatement> {
    let mut out: Vec<FinancialStatement> = Vec::new();
    for s in sorted {
        if s.available_at > as_of {
            continue;
        }
        if let Some(firms) = &query.firms
            && !firms.contains(&s.firm_id)
        {
            continue;
        }
        let replace = out.last().is_some_and(|last| {
            last.firm_id == s.firm_id
                && (last.period_end == s.period_end || query.latest_period_only)
        });
        if replace {
            if let Some(last) = out.last_mut() {
                *last = s;
            }
        } else {
            out.push(s);
        }
    }
    out
}

/// Describes a statement query for the audit trail.
#[must_use]
pub fn describe_query(as_of: NaiveDate, query: &StatementQuery) -> String {
    format!(
        "as_of={as_of} latest_period_only={} firms={}",
        query.latest_period_only,
        query.firms.as_ref().map_or_else(|| "all".to_owned(), |f| f.len().to_string())
    )
}

/// Describes a credit-event query (one firm or all) for the audit trail.
pub(crate) fn describe_firm(firm: Option<&FirmId>) -> String {
    firm.map_or_else(|| "all".to_owned(), |f| format!("firm={f}"))
}

/// The audit event of an allowed call.
pub(crate) fn allowed(who: &Principal, action: &str, entity: &str, detail: String) -> AuditEvent {
    AuditEvent::new(who, action, entity, detail, Outcome::Allowed)
}

/// [`crate::PoolRead::authorize`] for every backend: the check, and an audit entry either way.
pub(crate) fn authorize_audited(
    policy: &Policy,
    who: &Principal,
    permission: Permission,
    action: &str,
    entity: &str,
    mut append: impl FnMut(&AuditEvent) -> Result<(), PoolError>,
) -> Result<(), PoolError> {
    authorize_with(policy, who, permission, action, entity, &mut append)?;
    append(&allowed(who, action, entity, format!("permission {permission}")))
}

/// Checks the write permission of every kind an ingest writes, auditing the first denial.
pub(crate) fn authorize_ingest(
    policy: &Policy,
    who: &Principal,
    kinds: &BTreeSet<EntityKind>,
    mut append: impl FnMut(&AuditEvent) -> Result<(), PoolError>,
) -> Result<(), PoolError> {
    for &kind in kinds {
        authorize_with(policy, who, kind.write_permission(), "ingest", kind.as_str(), &mut append)?;
    }
    Ok(())
}

/// In strict mode a batch with rejected rows writes nothing: the error to return then, with the
/// written counts zeroed.
pub(crate) fn strict_rejection(mode: IngestMode, report: &IngestReport) -> Option<PoolError> {
    (mode == IngestMode::Strict && !report.rejected.is_empty()).then(|| {
        let mut report = report.clone();
        report.accepted = 0;
        report.unchanged = 0;
        PoolError::Rejected { report }
    })
}

/// The audit event of a committed ingest.
pub(crate) fn ingest_event(
    who: &Principal,
    kinds: &BTreeSet<EntityKind>,
    source: &str,
    mode: IngestMode,
    report: &IngestReport,
) -> AuditEvent {
    let kinds = kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("+");
    let detail = format!(
        "source={source} mode={mode:?} accepted={} unchanged={} rejected_rows={}",
        report.accepted,
        report.unchanged,
        report.rejected_rows()
    );
    allowed(who, "ingest", &kinds, detail)
}

/// Audits an audit verification and returns its status. A tampered trail may refuse the
/// append ([`PoolError::AuditConflict`]); the report matters more then.
pub(crate) fn verified(
    who: &Principal,
    status: AuditStatus,
    append: impl FnOnce(&AuditEvent) -> Result<(), PoolError>,
) -> Result<AuditStatus, PoolError> {
    let event = allowed(who, "verify_audit", "audit", format!("intact={}", status.is_intact()));
    match append(&event) {
        Err(PoolError::AuditConflict { .. }) if !status.is_intact() => Ok(status),
        Err(e) => Err(e),
        Ok(()) => Ok(status),
    }
}
