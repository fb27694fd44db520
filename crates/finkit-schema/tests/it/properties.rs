//! Properties of the schema types: JSON round trips, validation and ratios never panic and
//! never produce a non-finite number, whatever `f64` they are given.

use chrono::NaiveDate;
use finkit_schema::*;
use proptest::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

/// Any `f64`: ordinary numbers, zero, subnormals, NaN and both infinities.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e12f64..1e12,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::MIN_POSITIVE / 4.0),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN),
        1 => any::<f64>(),
    ]
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1990i32..2030, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._:-]{1,20}"
}

fn probability() -> impl Strategy<Value = Probability> {
    (0.0f64..=1.0).prop_map(|p| Probability::new(p).unwrap_or_default())
}

fn amount() -> impl Strategy<Value = Amount> {
    (0.0f64..1e12).prop_map(|a| Amount::new(a).unwrap_or_default())
}

fn statement() -> impl Strategy<Value = FinancialStatement> {
    (id(), date(), 0i64..400, proptest::array::uniform17(any_f64())).prop_map(
        |(firm, period_end, lag, v)| {
            FinancialStatement::from_amounts(
                FirmId::new(firm).expect("strategy yields valid ids"),
                period_end,
                period_end + chrono::Duration::days(lag - 30),
                Currency::EUR,
                Unit::Thousand,
                v,
            )
        },
    )
}

fn firm() -> impl Strategy<Value = Firm> {
    (id(), ".{0,12}", date(), any::<bool>(), probability(), amount(), 0u32..500, any::<u32>())
        .prop_map(|(fid, name, founded, certified, share, funds, patents, employees)| Firm {
            id: FirmId::new(fid).expect("strategy yields valid ids"),
            name: name.clone(),
            registration_number: format!("REG-{name}"),
            industry: IndustryCode { scheme: IndustryScheme::Nace, code: "C26".into() },
            region: "DE-BY".into(),
            founded,
            employees,
            tech: TechProfile {
                high_tech_certified: certified,
                certification_date: certified.then_some(founded),
                rd_expense: funds,
                rd_staff_share: share,
                patents: Patents { invention: patents, utility_model: 1, design: 0 },
                software_copyrights: patents / 2,
                venture_funding: funds,
            },
            contact_name: Some(name),
            contact_email: None,
            contact_phone: Some("+49 89 000".into()),
        })
}

fn application() -> impl Strategy<Value = LoanApplication> {
    (id(), id(), date(), amount(), 0.1f64..30.0, probability()).prop_map(
        |(aid, fid, day, amount, tenor, coverage)| LoanApplication {
            id: ApplicationId::new(aid).expect("valid id"),
            firm_id: FirmId::new(fid).expect("valid id"),
            application_date: day,
            amount,
            currency: Currency::CNY,
            tenor: Maturity::new(tenor).expect("tenor in range"),
            product: Product::IpPledgeLoan,
            purpose: "working capital".into(),
            collateral: vec![Collateral { kind: CollateralKind::IpPledge, value: amount }],
            guarantees: vec![Guarantee {
                kind: GuaranteeKind::GovernmentScheme,
                guarantor: "national guarantee fund".into(),
                coverage,
            }],
        },
    )
}

fn exposure() -> impl Strategy<Value = Exposure> {
    (
        id(),
        id(),
        probability(),
        probability(),
        amount(),
        0.1f64..30.0,
        proptest::option::of(amount()),
    )
        .prop_map(|(lid, fid, pd, lgd, ead, m, sales)| Exposure {
            loan_id: LoanId::new(lid).expect("valid id"),
            firm_id: FirmId::new(fid).expect("valid id"),
            pd,
            lgd: Lgd::new(lgd.get()).expect("in range"),
            ead,
            maturity: Maturity::new(m).expect("in range"),
            sector: "TECH".into(),
            annual_sales: sales,
            rating: Some("4".into()),
            currency: Currency::USD,
        })
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, value);
    Ok(())
}

/// Statements with non-finite numbers cannot round-trip through JSON (JSON has no NaN), so the
/// round-trip property uses finite numbers only.
fn finite_statement() -> impl Strategy<Value = FinancialStatement> {
    statement().prop_filter("finite amounts", |s| s.amounts().iter().all(|(_, v)| v.is_finite()))
}

proptest! {
    #[test]
    fn entities_round_trip_through_json(
        f in firm(), s in finite_statement(), a in application(), e in exposure(), d in date()
    ) {
        round_trip(&f)?;
        round_trip(&s)?;
        round_trip(&a)?;
        round_trip(&e)?;
        round_trip(&CreditEvent { firm_id: f.id.clone(), kind: CreditEventKind::PastDue90, date: d })?;
        round_trip(&e.pd)?;
        round_trip(&e.lgd)?;
        round_trip(&e.ead)?;
        round_trip(&e.maturity)?;
        round_trip(&Rate::new(0.0325).map_err(|x| TestCaseError::fail(x.to_string()))?)?;
        round_trip(&Currency::CNY)?;
        round_trip(&a.id)?;
        round_trip(&Unit::Million)?;
        let portfolio = Portfolio::from_exposures(std::slice::from_ref(&e))
            .map_err(|x| TestCaseError::fail(x.to_string()))?;
        round_trip(&portfolio)?;
        let series = PriceSeries::new(
            InstrumentId::new("SPX").map_err(|x| TestCaseError::fail(x.to_string()))?,
            vec![d, d + chrono::Duration::days(1)],
            vec![100.0, 101.5],
        ).map_err(|x| TestCaseError::fail(x.to_string()))?;
        round_trip(&series)?;
        let ratios = FinancialRatios::compute(&s, None);
        round_trip(&ratios)?;
    }

    #[test]
    fn validation_and_ratios_never_panic_or_go_non_finite(s in statement(), p in statement()) {
        let violations = s.validate();
        for v in &violations {
            prop_assert!(!v.field.is_empty());
        }
        let ratios = FinancialRatios::compute(&s, Some(&p));
        for (name, value) in ratios.entries() {
            if let Some(v) = value {
                prop_assert!(v.is_finite(), "{} = {}", name, v);
            }
        }
        // Any non-finite amount is reported as a violation.
        if s.amounts()[..17].iter().any(|(_, v)| !v.is_finite()) {
            prop_assert!(violations.iter().any(|v| v.rule == "finite"));
        }
    }

    #[test]
    fn newtypes_accept_exactly_their_range(x in any_f64()) {
        prop_assert_eq!(Probability::new(x).is_ok(), x.is_finite() && (0.0..=1.0).contains(&x));
        prop_assert_eq!(Amount::new(x).is_ok(), x.is_finite() && x >= 0.0);
        prop_assert_eq!(Maturity::new(x).is_ok(), x.is_finite() && x > 0.0 && x <= 100.0);
        // Deserialisation goes through the same check.
        let json = serde_json::to_string(&x).unwrap_or_else(|_| "null".into());
        let parsed: Result<Probability, _> = serde_json::from_str(&json);
        prop_assert_eq!(parsed.is_ok(), Probability::new(x).is_ok());
    }
}

#[test]
fn deserialising_a_bad_exposure_is_rejected() {
    let json = r#"{"loan_id":"L1","firm_id":"F1","pd":1.7,"lgd":0.4,"ead":10.0,"maturity":2.0,
        "sector":"TECH","annual_sales":null,"rating":null,"currency":"EUR"}"#;
    let err = serde_json::from_str::<Exposure>(json).expect_err("PD 1.7");
    assert!(err.to_string().contains("probability must be in [0, 1], got 1.7"), "{err}");
    let json = json.replace("1.7", "0.1").replace("\"EUR\"", "\"EUE\"");
    assert!(serde_json::from_str::<Exposure>(&json).is_err());
}

#[test]
fn statement_rules_are_all_reported() {
    let s = FinancialStatement {
        firm_id: FirmId::new("F1").expect("valid"),
        period_end: NaiveDate::from_ymd_opt(2024, 12, 31).expect("date"),
        available_at: NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"),
        currency: Currency::EUR,
        unit: Unit::One,
        cash: 50.0,
        current_assets: 40.0,
        total_assets: 100.0,
        current_liabilities: 20.0,
        total_liabilities: 50.0,
        short_term_debt: -5.0,
        long_term_debt: 10.0,
        retained_earnings: 5.0,
        book_equity: 30.0,
        revenue: 80.0,
        ebit: 5.0,
        ebitda: 8.0,
        interest_expense: 1.0,
        net_income: 3.0,
        rd_expense: 2.0,
        operating_cash_flow: f64::NAN,
        capex: 1.0,
    };
    let rules: Vec<&str> = s.validate().iter().map(|v| v.rule).collect();
    for rule in ["finite", "non_negative", "not_before_period_end", "not_above_current_assets"] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    assert!(rules.contains(&"balance_sheet_identity"), "100 != 50 + 30: {rules:?}");
}
