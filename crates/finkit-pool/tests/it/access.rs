//! The policy and the user-to-role table live in the pool and change only through an admin;
//! research exports are k-anonymous against a linkage attack by someone holding the
//! analyst's view of the firms.

use std::collections::BTreeMap;

use chrono::Datelike;
use finkit_pool::anonymise::{Privacy, linkage_candidates};
use finkit_pool::{
    Batch, FirmFilter, IngestMode, MASK, Permission, Policy, PoolError, PoolRead, PoolWrite,
    Principal, Pseudonymiser, Record, Role, SqliteOptions, SqlitePool, synthetic::SyntheticParams,
};

fn admin() -> Principal {
    Principal::new("ada", Role::Admin)
}

#[test]
fn the_stored_policy_governs_and_only_an_admin_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pool.db");
    let pool = SqlitePool::open(&path).unwrap();
    finkit_pool::conformance::load_fixture(&pool).unwrap();
    let analyst = Principal::new("ann", Role::Analyst);
    drop(pool);

    // A caller's policy (everything for analysts) does not apply to an existing pool.
    let evil = Policy::new([(Role::Analyst, Permission::ALL.to_vec())]);
    let options = SqliteOptions { policy: evil.clone(), ..SqliteOptions::default() };
    let pool = SqlitePool::open_with(&path, &options).unwrap();
    assert_eq!(pool.policy(), Policy::default());
    let firms = pool.firms(&analyst, &FirmFilter::all()).unwrap();
    assert!(firms.iter().all(|f| f.registration_number == MASK));
    assert!(pool.exposures(&analyst).unwrap_err().is_access_denied());

    // Only an admin changes it, and the denial is audited.
    let err = pool.set_policy(&analyst, &evil).unwrap_err();
    assert!(err.is_access_denied(), "{err}");
    let officer = Principal::new("olga", Role::CreditOfficer);
    assert!(pool.set_policy(&officer, &evil).unwrap_err().is_access_denied());
    // A policy that takes `administer` from admins would lock everyone out.
    let locked = Policy::new([(Role::Admin, vec![Permission::ReadFirms])]);
    assert!(matches!(pool.set_policy(&admin(), &locked).unwrap_err(), PoolError::Policy(_)));

    let mut wider = Policy::default();
    wider.roles.entry(Role::Analyst).or_default().insert(Permission::ReadExposures);
    pool.set_policy(&admin(), &wider).unwrap();
    assert!(pool.exposures(&analyst).is_ok());
    drop(pool);
    // Stored: a new connection sees it.
    let pool = SqlitePool::open(&path).unwrap();
    assert_eq!(pool.policy(), wider);
    let log = pool.audit_log(&admin()).unwrap();
    assert!(
        log.iter().any(|e| e.action == "administer"
            && e.entity == "policy"
            && e.principal == "ada"
            && e.outcome == "allowed"
            && e.detail.contains("read_exposures")),
        "the policy change is audited"
    );
    assert!(
        log.iter()
            .any(|e| e.action == "administer" && e.principal == "ann" && e.outcome == "denied"),
        "the refused change is audited"
    );
    assert!(pool.verify_audit(&admin()).unwrap().is_intact());
}

#[test]
fn users_map_to_roles_and_the_last_admin_stays() {
    let pool = SqlitePool::in_memory().unwrap();
    let err = pool.principal_for("ada").unwrap_err();
    assert!(matches!(err, PoolError::UnknownUser { .. }), "{err}");
    assert!(pool.bootstrap_admin("ada").unwrap());
    assert!(!pool.bootstrap_admin("mallory").unwrap(), "only an empty pool is bootstrapped");
    assert!(matches!(pool.principal_for("mallory").unwrap_err(), PoolError::UnknownUser { .. }));
    assert_eq!(pool.principal_for("ada").unwrap(), admin());

    pool.set_user(&admin(), "ann", Role::Analyst).unwrap();
    assert_eq!(pool.principal_for("ann").unwrap().role, Role::Analyst);
    let ann = pool.principal_for("ann").unwrap();
    assert!(pool.set_user(&ann, "ann", Role::Admin).unwrap_err().is_access_denied());
    assert!(pool.users(&ann).unwrap_err().is_access_denied());
    assert!(matches!(
        pool.set_user(&admin(), "ada", Role::Analyst).unwrap_err(),
        PoolError::Policy(m) if m.contains("last admin")
    ));
    assert!(matches!(pool.remove_user(&admin(), "ada").unwrap_err(), PoolError::Policy(_)));
    assert!(matches!(
        pool.set_user(&admin(), "bad\u{1b}[31m", Role::Analyst).unwrap_err(),
        PoolError::Policy(_)
    ));
    assert!(pool.remove_user(&admin(), "ann").unwrap());
    assert!(!pool.remove_user(&admin(), "ann").unwrap());
    assert_eq!(pool.users(&admin()).unwrap(), vec![("ada".to_owned(), Role::Admin)]);
    let log = pool.audit_log(&admin()).unwrap();
    let changes = log.iter().filter(|e| e.action == "administer" && e.entity == "users").count();
    // bootstrap, set ann, 2 denied, remove ann twice (the second removes nothing but is audited).
    assert!(changes >= 4, "{log:?}");
}

/// 300 seeded synthetic firms in an in-memory pool.
fn synthetic_pool() -> (SqlitePool, Vec<finkit_schema::Firm>) {
    let data = SyntheticParams::builder()
        .with_firms(300)
        .with_applications(0)
        .with_loans(0)
        .with_seed(12)
        .build()
        .and_then(|p| p.generate())
        .unwrap();
    let pool = SqlitePool::in_memory().unwrap();
    let mut records: Vec<Record> = data.firms.iter().cloned().map(Record::from).collect();
    records.extend(data.statements.iter().cloned().map(Record::from));
    records.extend(data.events.iter().cloned().map(Record::from));
    pool.ingest(&admin(), &Batch::from_records(records), IngestMode::Strict).unwrap();
    (pool, data.firms)
}

#[test]
fn a_linkage_attack_on_the_research_export_leaves_at_least_k_candidates() {
    let (pool, firms) = synthetic_pool();
    let analyst = Principal::new("ann", Role::Analyst);
    // The attacker's knowledge: the analyst's view of every firm, quasi-identifiers unmasked.
    let known = pool.firms(&analyst, &FirmFilter::all()).unwrap();
    assert_eq!(known.len(), 300);

    // Without generalisation, founding year, head count, region and industry single out
    // nearly every firm (the finding of issue 12: 300 of 300).
    let mut exact: BTreeMap<(i32, u32, String, String), usize> = BTreeMap::new();
    for f in &known {
        *exact
            .entry((f.founded.year(), f.employees, f.region.clone(), f.industry.code.clone()))
            .or_default() += 1;
    }
    let unique = exact.values().filter(|n| **n == 1).count();
    assert!(unique >= 250, "raw quasi-identifiers single out {unique} of 300 firms");

    let key = Pseudonymiser::new(b"linkage-attack-test-key").unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    for k in [2, 5, 10] {
        let privacy = Privacy::new(k).unwrap();
        let export = pool.research_export_with(&analyst, as_of, &key, &privacy).unwrap();
        let report = &export.privacy;
        assert_eq!(report.k, k);
        assert_eq!(export.firms.len() + report.suppressed_firms, firms.len());
        assert!(
            report.suppressed_firms * 20 <= firms.len() || report.level == 5,
            "k={k}: {report:?}"
        );
        assert!(export.firms.len() >= k && report.smallest_class >= k, "k={k}: {report:?}");
        // The attack: link each exported record to the known firms by its attributes.
        let candidates = linkage_candidates(&export.firms, &known, report);
        let worst = candidates.iter().copied().min().unwrap();
        assert!(worst >= k, "k={k}: a record has only {worst} candidate firm(s) ({report:?})");
        // No real id, name or registration number leaves the pool.
        let text = serde_json::to_string(&export).unwrap();
        for f in &firms {
            for secret in [f.id.as_str(), f.name.as_str(), f.registration_number.as_str()] {
                assert!(!text.contains(&format!("\"{secret}\"")), "{secret} leaked");
            }
        }
        // Suppressed firms' statements and events are left out with them.
        let ids: std::collections::BTreeSet<_> = export.firms.iter().map(|f| &f.id).collect();
        assert!(export.statements.iter().all(|s| ids.contains(&s.firm_id)));
        assert!(export.credit_events.iter().all(|e| ids.contains(&e.firm_id)));
    }
}
