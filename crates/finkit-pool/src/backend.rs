//! Building blocks shared by backends, so that every backend applies the same rules.
//!
//! A new backend (PostgreSQL, ...) implements [`crate::IngestStore`] for its write
//! transaction and uses [`crate::apply_batch`], [`authorize_with`], [`select_as_of`],
//! [`present_firm`] / [`present_application`] and the audit chain of [`crate::audit`]; then it
//! runs [`crate::conformance::run_all`].

use chrono::NaiveDate;
use finkit_schema::{FinancialStatement, Firm, LoanApplication};

use crate::PoolError;
use crate::audit::{AuditEvent, Outcome};
use crate::security::{Permission, Policy, Principal, mask_application, mask_firm};
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
    if policy.allows(who.role, Permission::ViewSensitive) { firm } else { mask_firm(firm) }
}

/// An application as `who` may see it.
#[must_use]
pub fn present_application(
    policy: &Policy,
    who: &Principal,
    application: LoanApplication,
) -> LoanApplication {
    if policy.allows(who.role, Permission::ViewSensitive) {
        application
    } else {
        mask_application(application)
    }
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
