//! Properties of limits, prices and decisions.

use crate::common;

use common::build::{application, firm, statement, tech};
use finkit_lending::limits::{DebtCapacityInputs, LimitParams, size_limit};
use finkit_lending::pricing::{LoanPricer, PricingConfig};
use finkit_lending::{DecisionInput, DecisionOutcome, Engine, LendingPolicy, Severity};
use finkit_schema::{Amount, Collateral, CollateralKind, Lgd, Maturity, Probability};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const KINDS: [CollateralKind; 6] = [
    CollateralKind::Deposit,
    CollateralKind::RealEstate,
    CollateralKind::Receivables,
    CollateralKind::Equipment,
    CollateralKind::Inventory,
    CollateralKind::IpPledge,
];

fn finances() -> impl Strategy<Value = DebtCapacityInputs> {
    (0.0..1e8f64, -1e7..2e7f64, 0.0..5e6f64, -1e7..2e7f64, 0.0..2e6f64, 0.0..2e7f64, 0.0..5e7f64)
        .prop_map(
            |(
                revenue,
                ebitda,
                capex,
                operating_cash_flow,
                interest_expense,
                short_term_debt,
                long_term_debt,
            )| {
                DebtCapacityInputs {
                    revenue,
                    ebitda,
                    capex,
                    operating_cash_flow,
                    interest_expense,
                    short_term_debt,
                    long_term_debt,
                }
            },
        )
}

fn collateral() -> impl Strategy<Value = Vec<Collateral>> {
    proptest::collection::vec((0..6usize, 0.0..2e7f64), 0..4).prop_map(|v| {
        v.into_iter()
            .map(|(k, x)| Collateral { kind: KINDS[k], value: Amount::new(x).unwrap() })
            .collect()
    })
}

fn check_limit(
    f: &DebtCapacityInputs,
    c: &[Collateral],
    extra: (usize, f64),
    rate: f64,
    tenor: f64,
) -> Result<(), TestCaseError> {
    let p = LimitParams::default();
    let l = size_limit(&p, f, c, &[], rate, tenor).unwrap();
    prop_assert!(l.amount <= l.cash_flow && l.amount <= l.leverage && l.amount <= l.collateral);
    prop_assert!(l.amount >= 0.0);
    let bound = match l.binding {
        finkit_lending::limits::Constraint::CashFlow => l.cash_flow,
        finkit_lending::limits::Constraint::Leverage => l.leverage,
        finkit_lending::limits::Constraint::Collateral => l.collateral,
        other => return Err(TestCaseError::fail(format!("unknown binding constraint {other:?}"))),
    };
    prop_assert_eq!(l.amount, bound);
    let mut more = c.to_vec();
    more.push(Collateral { kind: KINDS[extra.0], value: Amount::new(extra.1).unwrap() });
    let l2 = size_limit(&p, f, &more, &[], rate, tenor).unwrap();
    prop_assert!(l2.amount >= l.amount, "{} < {}", l2.amount, l.amount);
    Ok(())
}

proptest! {
    #[test]
    fn limit_is_within_every_constraint_and_monotone_in_collateral(
        f in finances(), c in collateral(), extra in (0..6usize, 0.0..2e7f64), rate in 0.0..0.3f64, tenor in 0.25..15.0f64,
    ) {
        check_limit(&f, &c, extra, rate, tenor)?;
    }

    #[test]
    fn higher_pd_never_lowers_the_price(
        a in 0.0..1.0f64, b in 0.0..1.0f64, lgd in 0.05..1.0f64, m in 0.25..10.0f64,
        sales in proptest::option::of(0.0..100.0f64),
    ) {
        let p = LoanPricer::new(PricingConfig::default()).unwrap();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        // PD = 1 has no IRB capital (a typed error); stay just below it.
        let (lo, hi) = (lo.min(0.999), hi.min(0.999));
        let (lgd, m) = (Lgd::new(lgd).unwrap(), Maturity::new(m).unwrap());
        let ql = p.quote(Probability::new(lo).unwrap(), lgd, m, sales).unwrap();
        let qh = p.quote(Probability::new(hi).unwrap(), lgd, m, sales).unwrap();
        prop_assert!(qh.rate() >= ql.rate() - 1e-15, "pd {lo} → {}, pd {hi} → {}", ql.rate(), qh.rate());
    }

    #[test]
    fn a_decline_always_has_a_reason(
        revenue in 0.0..5e7f64, margin in -0.5..0.4f64, assets in 1e5..5e7f64, lev in 0.0..1.5f64,
        cash_share in 0.0..0.4f64, debt_share in 0.0..1.0f64, founded in 1990..2025i32, amount in 1e4..2e7f64,
    ) {
        let engine = Engine::with_defaults(LendingPolicy::default_policy().unwrap()).unwrap();
        let liabilities = lev * assets;
        let s = statement("P1", 2024, revenue, margin * revenue, assets, liabilities, cash_share * assets, debt_share * liabilities, margin * revenue);
        let f = firm("P1", "C26", founded, tech(false, 0, 0.0, 0.0));
        let app = application("P1", amount, 3.0, Vec::new());
        let input = DecisionInput { application: &app, firm: &f, statements: std::slice::from_ref(&s), market: None, on_watch_list: false, sector: None };
        let d = engine.decide(&input).unwrap();
        if d.outcome() == DecisionOutcome::Decline {
            prop_assert!(d.reasons.iter().any(|r| r.severity == Some(Severity::Decline)));
        }
        if d.outcome() == DecisionOutcome::Approve {
            prop_assert!(d.reasons.iter().all(|r| r.severity.is_none()));
        }
        prop_assert!(d.core.offered_amount <= d.core.limit.amount.max(0.0) || d.outcome() == DecisionOutcome::Decline);
    }
}
