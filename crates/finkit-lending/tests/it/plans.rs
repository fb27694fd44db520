//! Financing plans for three profiles differ in the way `docs/FINANCING.md` documents, and bad
//! input gives typed errors.

use crate::common;

use common::build::{application, date, firm, statement, tech};
use finkit_lending::plan::{PlanProduct, SectorPosition, Stage};
use finkit_lending::{DecisionInput, Engine, LendingError, LendingPolicy};
use finkit_schema::{Amount, Collateral, CollateralKind, Currency, Product, TechProfile};

fn engine() -> Engine {
    Engine::with_defaults(LendingPolicy::default_policy().unwrap()).unwrap()
}

fn products(d: &finkit_lending::Decision) -> Vec<PlanProduct> {
    d.plan.as_ref().unwrap().lines.iter().map(|l| l.product).collect()
}

#[test]
fn three_profiles_get_the_documented_plans() {
    // A pre-revenue deep-tech start-up: venture-backed, patents pledged, burning cash.
    let deep = firm("DT1", "M72", 2021, tech(true, 6, 0.6, 8e6));
    let deep_s = [
        statement("DT1", 2023, 0.0, -2.5e6, 9e6, 1.5e6, 7e6, 0.5e6, -2.4e6),
        statement("DT1", 2024, 50_000.0, -3.0e6, 8e6, 1.5e6, 6e6, 0.5e6, -2.8e6),
    ];
    let deep_a = application(
        "DT1",
        2e6,
        3.0,
        vec![Collateral { kind: CollateralKind::IpPledge, value: Amount::new(4e6).unwrap() }],
    );
    // A growing, profitable tech SME.
    let sme = firm("TS1", "J62", 2014, tech(true, 3, 0.3, 0.0));
    let sme_s = [
        statement("TS1", 2023, 10e6, 1.6e6, 9e6, 4e6, 1.5e6, 2e6, 1.3e6),
        statement("TS1", 2024, 13e6, 2.2e6, 10e6, 4.5e6, 2e6, 2e6, 1.8e6),
    ];
    let sme_a = application(
        "TS1",
        2e6,
        5.0,
        vec![Collateral { kind: CollateralKind::Receivables, value: Amount::new(3e6).unwrap() }],
    );
    // A mature manufacturer: slow growth, real estate, no R&D profile.
    let man = firm("MM1", "C28", 1985, TechProfile::default());
    let man_s = [
        statement("MM1", 2023, 80e6, 9e6, 70e6, 40e6, 5e6, 20e6, 7e6),
        statement("MM1", 2024, 82e6, 9.5e6, 72e6, 41e6, 6e6, 20e6, 7.5e6),
    ];
    let man_a = application(
        "MM1",
        4e6,
        5.0,
        vec![Collateral { kind: CollateralKind::RealEstate, value: Amount::new(15e6).unwrap() }],
    );

    let all = Engine::new(
        LendingPolicy::default_policy().unwrap(),
        finkit_lending::model::DefaultRatingModel::default(),
        finkit_lending::EngineConfig { plan_for_all: true, ..finkit_lending::EngineConfig::new() },
    )
    .unwrap();
    let decide = |a, f, s: &[_]| {
        all.decide(&DecisionInput {
            application: a,
            firm: f,
            statements: s,
            market: None,
            on_watch_list: false,
            sector: None,
        })
        .unwrap()
    };
    let d_deep = decide(&deep_a, &deep, &deep_s);
    let d_sme = decide(&sme_a, &sme, &sme_s);
    let d_man = decide(&man_a, &man, &man_s);
    assert_eq!(d_deep.plan.as_ref().unwrap().stage, Stage::PreRevenue);
    assert_eq!(d_sme.plan.as_ref().unwrap().stage, Stage::Growth);
    assert_eq!(d_man.plan.as_ref().unwrap().stage, Stage::Mature);

    // Pre-revenue deep tech: no cash-flow products; IP-pledge loan, venture debt, equity referral.
    let p = products(&d_deep);
    assert!(
        !p.contains(&PlanProduct::Loan(Product::TermLoan))
            && !p.contains(&PlanProduct::Loan(Product::RevolvingLine)),
        "{p:?}"
    );
    for want in [
        PlanProduct::Loan(Product::IpPledgeLoan),
        PlanProduct::Loan(Product::VentureDebt),
        PlanProduct::EquityReferral,
    ] {
        assert!(p.contains(&want), "deep tech lacks {want:?}: {p:?}");
    }
    let ip = d_deep
        .plan
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .find(|l| l.product == PlanProduct::Loan(Product::IpPledgeLoan))
        .unwrap();
    assert!((ip.amount - 4e6 * 0.3).abs() < 1e-6, "IP loan = value after the 70 % haircut");
    let vd = d_deep
        .plan
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .find(|l| l.product == PlanProduct::Loan(Product::VentureDebt))
        .unwrap();
    assert!((vd.amount - 0.3 * 8e6).abs() < 1e-6);

    // Growing tech SME: cash-flow products plus tech-specific ones (IP, guarantee), no equity.
    let p = products(&d_sme);
    for want in [
        PlanProduct::Loan(Product::RevolvingLine),
        PlanProduct::Loan(Product::TermLoan),
        PlanProduct::Loan(Product::GuaranteedLoan),
    ] {
        assert!(p.contains(&want), "tech SME lacks {want:?}: {p:?}");
    }
    assert!(
        !p.contains(&PlanProduct::EquityReferral)
            && !p.contains(&PlanProduct::Loan(Product::VentureDebt))
    );

    // Mature manufacturer: only the classic term loan and revolving line.
    let p = products(&d_man);
    assert_eq!(
        p,
        vec![PlanProduct::Loan(Product::RevolvingLine), PlanProduct::Loan(Product::TermLoan)]
    );

    // Every line is explained and respects the cash-flow budget.
    for d in [&d_deep, &d_sme, &d_man] {
        let plan = d.plan.as_ref().unwrap();
        assert!(plan.lines.iter().all(|l| !l.rationale.is_empty()));
        let cash_flow_debt: f64 = plan
            .lines
            .iter()
            .filter(|l| {
                matches!(l.product, PlanProduct::Loan(Product::TermLoan | Product::RevolvingLine))
            })
            .map(|l| l.amount)
            .sum();
        assert!(cash_flow_debt <= d.core.limit.cash_flow.min(d.core.limit.leverage) + 1e-6);
    }
}

#[test]
fn sector_concentration_scales_the_plan_down() {
    let e = engine();
    let sme = firm("TS2", "J62", 2014, tech(true, 3, 0.3, 0.0));
    let s = [
        statement("TS2", 2023, 10e6, 1.6e6, 9e6, 4e6, 1.5e6, 2e6, 1.3e6),
        statement("TS2", 2024, 13e6, 2.2e6, 10e6, 4.5e6, 2e6, 2e6, 1.8e6),
    ];
    let a = application("TS2", 2e6, 5.0, Vec::new());
    let book = SectorPosition { sector_ead: 24e6, total_ead: 100e6 };
    let d = e
        .decide(&DecisionInput {
            application: &a,
            firm: &sme,
            statements: &s,
            market: None,
            on_watch_list: false,
            sector: Some(book),
        })
        .unwrap();
    let plan = d.plan.unwrap();
    assert!((plan.sector_headroom - 1e6 / 0.75).abs() < 1e-6);
    assert!(plan.total_debt <= plan.sector_headroom + 1e-6);
    assert!(plan.lines.iter().all(|l| l.rationale.contains("Scaled")));
}

#[test]
fn bad_input_is_typed() {
    let e = engine();
    let f = firm("B1", "C26", 2010, TechProfile::default());
    let s = [statement("B1", 2024, 10e6, 2e6, 10e6, 5e6, 1e6, 2e6, 1.5e6)];
    let input = |a: &finkit_schema::LoanApplication| {
        e.decide(&DecisionInput {
            application: a,
            firm: &f,
            statements: &s,
            market: None,
            on_watch_list: false,
            sector: None,
        })
    };

    // Currency mismatch between the application and the statements.
    let mut usd = application("B1", 1e6, 3.0, Vec::new());
    usd.currency = Currency::USD;
    let err = input(&usd).unwrap_err();
    assert_eq!(
        err.to_string(),
        "currency mismatch: financial statement is in EUR, the application is in USD"
    );

    // An application for another firm than the one passed.
    let other = application("B2", 1e6, 3.0, Vec::new());
    assert!(matches!(input(&other), Err(LendingError::FirmMismatch { .. })));

    // Zero amount: the schema's rule, reported with the application id.
    let mut zero = application("B1", 1.0, 3.0, Vec::new());
    zero.amount = Amount::ZERO;
    assert!(matches!(input(&zero), Err(LendingError::InvalidApplication { .. })));

    // Zero tenor and negative amounts cannot even be built: the schema's types reject them, and
    // the JSON an application arrives in goes through the same constructors.
    assert!(finkit_schema::Maturity::new(0.0).is_err());
    let json = serde_json::to_string(&application("B1", 1e6, 3.0, Vec::new())).unwrap();
    let bad_tenor = json.replace("\"tenor\":3.0", "\"tenor\":0.0");
    assert!(
        serde_json::from_str::<finkit_schema::LoanApplication>(&bad_tenor)
            .unwrap_err()
            .to_string()
            .contains("maturity")
    );
    let bad_amount = json.replace("\"amount\":1000000.0", "\"amount\":-5.0");
    assert!(
        serde_json::from_str::<finkit_schema::LoanApplication>(&bad_amount)
            .unwrap_err()
            .to_string()
            .contains("-5")
    );

    // The raw-number entry points check amounts and tenors themselves.
    let p = e.pricer();
    let book = finkit_schema::Portfolio::new(finkit_schema::PortfolioColumns::default()).unwrap();
    let loan = finkit_lending::impact::NewLoan {
        pd: finkit_schema::Probability::new(0.01).unwrap(),
        lgd: finkit_schema::Lgd::new(0.4).unwrap(),
        ead: -5.0,
        maturity: finkit_schema::Maturity::new(3.0).unwrap(),
        sales_eur_m: None,
        sector: "C26".into(),
        rate: 0.05,
    };
    let err = finkit_lending::impact::portfolio_impact(&book, &loan, p).unwrap_err();
    assert_eq!(err.to_string(), "invalid amount -5: must be positive");
    let nan_rate = finkit_lending::impact::NewLoan { ead: 1e6, rate: f64::NAN, ..loan };
    assert!(matches!(
        finkit_lending::impact::portfolio_impact(&book, &nan_rate, p),
        Err(LendingError::Risk(_))
    ));

    // No statement on the application date: a referral with the missing-statement rule.
    let mut early = application("B1", 1e6, 3.0, Vec::new());
    early.application_date = date(2024, 6, 1);
    let d = input(&early).unwrap();
    assert!(d.reasons.iter().any(|r| r.code == "RF-NO-STATEMENTS"));
}
