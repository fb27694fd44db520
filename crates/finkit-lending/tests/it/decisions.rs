//! Golden decisions on the seeded synthetic data set (`common::synthetic`), and the same
//! decisions whether the inputs come from SQLite or from memory.

use crate::common;

use common::synthetic::{dataset, fill, officer};
use finkit_lending::pool::load_application;
use finkit_lending::{Decision, DecisionOutcome, Engine, LendingPolicy};
use finkit_pool::{ApplicationFilter, MemoryPool, PoolRead, SqlitePool};
use finkit_schema::ApplicationId;

fn decide_all<P: PoolRead>(pool: &P) -> Vec<Decision> {
    let who = officer();
    let book = pool.portfolio(&who).unwrap();
    let engine = Engine::with_defaults(LendingPolicy::default_policy().unwrap()).unwrap();
    pool.applications(&who, &ApplicationFilter::default())
        .unwrap()
        .iter()
        .map(|a| {
            engine
                .decide(&load_application(pool, &who, &a.id, Some(&book)).unwrap().input())
                .unwrap()
        })
        .collect()
}

fn policy_codes(d: &Decision) -> Vec<&str> {
    d.reasons.iter().filter(|r| r.severity.is_some()).map(|r| r.code.as_str()).collect()
}

#[test]
fn golden_decisions_and_backends_agree() {
    let data = dataset();
    let memory = MemoryPool::new(finkit_pool::Policy::default());
    fill(&memory, &data);
    let sqlite = SqlitePool::in_memory().unwrap();
    fill(&sqlite, &data);
    let from_memory = decide_all(&memory);
    let from_sqlite = decide_all(&sqlite);
    assert_eq!(from_memory.len(), common::synthetic::APPLICATIONS);
    assert_eq!(from_memory, from_sqlite, "SQLite and memory pools must give identical decisions");

    let by_id = |id: &str| from_memory.iter().find(|d| d.application_id == id).unwrap();
    // (application, outcome, grade on the credit crate's default 12-grade master scale, policy
    // reasons in order: declines first, then file order)
    let golden: [(&str, DecisionOutcome, &str, &[&str]); 5] = [
        ("A000007", DecisionOutcome::Approve, "2", &[]),
        ("A000003", DecisionOutcome::Approve, "2", &[]),
        ("A000005", DecisionOutcome::Refer, "7", &["RF-LIMIT"]),
        // A working-capital facility: termed out over 5 years it fits the limit, so only the
        // officer's authority refers it (RF-LIMIT fired when it was sized over its own tenor).
        ("A000008", DecisionOutcome::Refer, "5", &["RF-AUTHORITY"]),
        (
            "A000014",
            DecisionOutcome::Decline,
            "11",
            &[
                "KO-NEG-EQUITY",
                "KO-LEVERAGE",
                "KO-PD",
                "RF-AUTHORITY",
                "RF-PD",
                "RF-LEVERAGE",
                "RF-LIMIT",
            ],
        ),
    ];
    for (id, outcome, grade, codes) in golden {
        let d = by_id(id);
        assert_eq!(
            (d.outcome(), d.grade.as_str(), policy_codes(d).as_slice()),
            (outcome, grade, codes),
            "{id}"
        );
        assert!(d.reasons.iter().all(|r| !r.text.is_empty()));
    }
    // The scorecard's reason codes follow the policy reasons.
    let declined = by_id("A000014");
    assert!(declined.reasons.iter().any(|r| r.code.starts_with("SCORE:")));
    assert!(declined.reasons[0].text.contains("negative equity"), "{}", declined.reasons[0].text);
    assert_eq!(declined.core.offered_amount, 0.0);

    // Every outcome is present, and every decline has at least one reason.
    for o in [DecisionOutcome::Approve, DecisionOutcome::Refer, DecisionOutcome::Decline] {
        assert!(from_memory.iter().any(|d| d.outcome() == o), "{o:?} missing");
    }
    assert!(
        from_memory
            .iter()
            .filter(|d| d.outcome() == DecisionOutcome::Decline)
            .all(|d| policy_codes(d).iter().any(|c| c.starts_with("KO-")))
    );

    // The audit record names model, rules and the point in time.
    let a = &by_id("A000007").audit;
    assert_eq!(a.model_id, "finkit-blend/1.1[finkit-expert-scorecard/1.0]");
    assert_eq!((a.policy_id.as_str(), a.policy_version.as_str()), ("finkit-default", "2025.1"));
    assert_eq!(a.rules_evaluated.len(), 12);
    assert!(a.statement_available_at.is_some_and(|d| d <= a.inputs_as_of));
}

#[test]
fn unknown_application_and_firm_are_typed_errors() {
    let data = dataset();
    let pool = MemoryPool::new(finkit_pool::Policy::default());
    fill(&pool, &data);
    let who = officer();
    let err =
        load_application(&pool, &who, &ApplicationId::new("NOPE").unwrap(), None).unwrap_err();
    assert!(
        matches!(err, finkit_lending::LendingError::UnknownApplication(ref id) if id == "NOPE")
    );
    let mut app = data.applications[0].clone();
    app.firm_id = finkit_schema::FirmId::new("F999999").unwrap();
    let err = finkit_lending::pool::load_for(&pool, &who, app, None).unwrap_err();
    assert_eq!(err.to_string(), "unknown firm \"F999999\"");
}
