//! Concentration, stress testing and bad input of the credit-portfolio models.

use crate::portfolio_common;

use finkit_risk::RiskError;
use finkit_risk::portfolio::{
    AssetCorrelation, CreditRiskPlus, ExactOneFactor, GranularityParams, IrbOptions, LossModel,
    OutOfRange, SectorShock, Shock, asrf_loss_quantile, concentration, granularity_adjustment,
    irb_portfolio, macro_scenario, stress_by_sector,
};
use finkit_risk::schema::{Portfolio, PortfolioColumns};
use portfolio_common::*;

#[test]
fn concentration_matches_reference() {
    let p = portfolio();
    let j = &results()["concentration"];
    let c = concentration(&p).unwrap();
    for (got, key) in [
        (c.hhi_name, "hhi_ead"),
        (c.effective_number, "effective_number"),
        (c.hhi_sector, "hhi_sector"),
        (c.largest_share, "largest_share"),
    ] {
        assert!(rel(got, j[key].as_f64().unwrap()) <= CLOSED_FORM_REL, "{key}: {got}");
    }
    let shares = &results()["portfolio"]["ead_share_by_sector"];
    for (s, v) in &c.sector_shares {
        assert!(rel(*v, shares[s].as_f64().unwrap()) <= CLOSED_FORM_REL);
    }
    let ga = granularity_adjustment(&p, &GranularityParams::default()).unwrap();
    // 100 names with effective number ~60: a GA of a few percent of K*, positive
    assert!(ga.ga_rate > 0.0 && ga.ga_rate < ga.k_star, "{ga:?}");
    let k_m1 = results()["asrf"]["ul999"].as_f64().unwrap() / p.total_ead();
    assert!(rel(ga.k_star, k_m1) <= 1e-12, "K* is the ASRF UL rate: {} vs {k_m1}", ga.k_star);
}

#[test]
fn sector_stress_and_out_of_range_rule() {
    let p = portfolio();
    let irb = IrbOptions::default();
    let shocks = vec![SectorShock {
        sector: "TECH_INNOVATION".into(),
        pd: Some(Shock::Multiplicative(2.0)),
        lgd: Some(Shock::Additive(0.05)),
    }];
    let r = stress_by_sector(&p, &shocks, OutOfRange::Error, &irb).unwrap();
    assert!(
        rel(r.before.expected_loss, results()["expected_loss"].as_f64().unwrap())
            <= CLOSED_FORM_REL
    );
    assert!(r.after.expected_loss > r.before.expected_loss && r.after.capital > r.before.capital);
    // EL after, by hand
    let mut el = 0.0;
    for i in 0..p.len() {
        let (mut pd, mut lgd) = (p.pd()[i], p.lgd()[i]);
        if p.sectors()[i] == "TECH_INNOVATION" {
            pd *= 2.0;
            lgd += 0.05;
        }
        el += pd * lgd * p.ead()[i];
    }
    assert!(rel(r.after.expected_loss, el) < 1e-12);
    // PDs of 2 % and more times 60 leave [0, 1]: error by default, capped and reported on request
    let big = vec![SectorShock {
        sector: "TECH_INNOVATION".into(),
        pd: Some(Shock::Multiplicative(60.0)),
        lgd: None,
    }];
    assert!(matches!(
        stress_by_sector(&p, &big, OutOfRange::Error, &irb),
        Err(RiskError::StressOutOfRange { what: "pd", .. })
    ));
    let r = stress_by_sector(&p, &big, OutOfRange::CapAndReport, &irb).unwrap();
    assert!(!r.capped.is_empty() && r.capped.iter().all(|c| c.capped == 1.0 && c.raw > 1.0));
    let typo =
        vec![SectorShock { sector: "TECH".into(), pd: Some(Shock::Additive(0.01)), lgd: None }];
    assert!(matches!(
        stress_by_sector(&p, &typo, OutOfRange::Error, &irb),
        Err(RiskError::UnknownSector(_))
    ));
    let neg = vec![SectorShock {
        sector: "ENERGY".into(),
        pd: Some(Shock::Multiplicative(-1.0)),
        lgd: None,
    }];
    assert!(matches!(
        stress_by_sector(&p, &neg, OutOfRange::Error, &irb),
        Err(RiskError::InvalidParameter { .. })
    ));
}

#[test]
fn macro_scenario_at_the_irb_quantile_reproduces_the_asrf_loss() {
    let p = portfolio();
    let irb = IrbOptions::default();
    // z = G(0.001): the conditional EL is the ASRF 99.9 % loss
    let z = -3.090232306167813;
    let r = macro_scenario(&p, z, &AssetCorrelation::default(), &irb).unwrap();
    let asrf = asrf_loss_quantile(&p, 0.999, true).unwrap();
    assert!(rel(r.after.expected_loss, asrf) < 1e-9, "{} vs {asrf}", r.after.expected_loss);
    assert!(r.after.capital > r.before.capital);
    let good = macro_scenario(&p, 2.0, &AssetCorrelation::default(), &irb).unwrap();
    assert!(good.after.expected_loss < good.before.expected_loss);
    assert!(macro_scenario(&p, f64::NAN, &AssetCorrelation::default(), &irb).is_err());
}

fn columns(n: usize) -> PortfolioColumns {
    PortfolioColumns {
        ids: (0..n).map(|i| format!("O{i}")).collect(),
        sectors: vec!["A".into(); n],
        grades: vec![None; n],
        pd: vec![0.02; n],
        lgd: vec![0.45; n],
        ead: vec![1.0; n],
        maturity: vec![2.5; n],
        annual_sales: vec![None; n],
    }
}

#[test]
fn bad_input_gives_typed_errors() {
    // PD outside [0, 1] is refused when the portfolio is built
    let mut c = columns(3);
    c.pd[1] = 1.5;
    assert!(matches!(Portfolio::new(c).map_err(RiskError::from), Err(RiskError::Schema(_))));
    let mut c = columns(3);
    c.ead[0] = -1.0;
    assert!(Portfolio::new(c).is_err());
    // empty portfolio
    let empty = Portfolio::new(columns(0)).unwrap();
    assert!(matches!(irb_portfolio(&empty, &IrbOptions::default()), Err(RiskError::Empty(_))));
    assert!(matches!(
        ExactOneFactor::default().loss_distribution(&empty),
        Err(RiskError::Empty(_))
    ));
    assert!(matches!(
        CreditRiskPlus::new(1.0).unwrap().loss_distribution(&empty),
        Err(RiskError::Empty(_))
    ));
    assert!(matches!(concentration(&empty), Err(RiskError::Empty(_))));
    let mc = finkit_risk::portfolio::MonteCarloParams { scenarios: 10, ..Default::default() }
        .build()
        .unwrap();
    assert!(matches!(mc.run(&empty), Err(RiskError::Empty(_))));
    // bad model parameters
    assert!(CreditRiskPlus::new(0.0).is_err());
    assert!(CreditRiskPlus::new(f64::NAN).is_err());
    assert!(ExactOneFactor::new(2, 9.0, Default::default(), Default::default(), 1e-30).is_err());
    let p = Portfolio::new(columns(3)).unwrap();
    let bad_rho =
        ExactOneFactor::new(50, 9.0, Default::default(), AssetCorrelation::Constant(1.0), 0.0)
            .unwrap();
    assert!(matches!(bad_rho.loss_distribution(&p), Err(RiskError::InvalidParameter { .. })));
    let short = ExactOneFactor::new(
        50,
        9.0,
        Default::default(),
        AssetCorrelation::PerObligor(vec![0.1]),
        0.0,
    )
    .unwrap();
    assert!(matches!(short.loss_distribution(&p), Err(RiskError::LengthMismatch { .. })));
    // an exposure that is not a short decimal has no exact lattice: the strict unit says so,
    // the default one bands the exposures and reports the unit and the error bound
    let mut c = columns(2);
    c.ead[0] = 1.0 / 7.0;
    let p = Portfolio::new(c).unwrap();
    let strict = ExactOneFactor::new(
        100,
        9.0,
        finkit_risk::portfolio::LatticeUnit::Exact,
        Default::default(),
        1e-30,
    )
    .unwrap();
    assert!(matches!(strict.loss_distribution(&p), Err(RiskError::NoExactLattice { .. })));
    let auto = ExactOneFactor::default().compute(&p).unwrap();
    assert!(auto.lattice.banded);
    assert!(auto.lattice.loss_error_bound > 0.0);
    assert!(auto.lattice.loss_error_bound <= auto.lattice.unit);
    let total: f64 = (0..p.len()).map(|i| p.lgd()[i] * p.ead()[i]).sum();
    assert!(total / auto.lattice.unit >= finkit_risk::portfolio::MIN_AUTO_POINTS as f64);
    let given = ExactOneFactor::new(
        100,
        9.0,
        finkit_risk::portfolio::LatticeUnit::Given(0.01),
        Default::default(),
        0.0,
    )
    .unwrap();
    assert!(given.compute(&p).unwrap().lattice.max_rounding_error < 0.005);
    // the CSV reader names the file, line and column
    let dir = std::env::temp_dir().join(format!("finkit-risk-bad-{}.csv", std::process::id()));
    std::fs::write(
        &dir,
        "obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y\nA,X,1,0.01,0.4,x,,1\n",
    )
    .unwrap();
    let e = finkit_risk::read_portfolio_csv(&dir).unwrap_err().to_string();
    let _ = std::fs::remove_file(&dir);
    assert!(e.contains("line 2") && e.contains("ead_eur_m") && e.contains("\"x\""), "{e}");
}

#[test]
fn loss_models_are_object_safe_and_agree_on_the_mean() {
    let p = portfolio();
    let models: Vec<Box<dyn LossModel>> = vec![
        Box::new(
            ExactOneFactor::new(100, 9.0, Default::default(), Default::default(), 1e-30).unwrap(),
        ),
        Box::new(CreditRiskPlus::new(0.5).unwrap()),
    ];
    for m in &models {
        let d = m.loss_distribution(&p).unwrap();
        assert!(rel(d.mean(), 7.821383) < 1e-9, "{}: {}", m.name(), d.mean());
        assert!(d.es(0.99).unwrap() >= d.var(0.99).unwrap());
    }
}
