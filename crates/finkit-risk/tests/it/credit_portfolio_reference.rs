//! Credit portfolio models against the reference files (see tests/data/PROVENANCE.md).

use crate::portfolio_common;

use finkit_risk::portfolio::{
    CreditRiskPlus, ExactOneFactor, IrbExposure, IrbOptions, LossModel, VasicekDistribution,
    asrf_loss_quantile, exact_lattice_unit, expected_loss, irb_corporate, irb_portfolio,
};
use finkit_risk::schema::{Lgd, Maturity, Probability};
use portfolio_common::*;

/// `irb_corporate` on reference values, each checked by its type.
fn irb(pd: f64, lgd: f64, m: f64, sales: Option<f64>, o: &IrbOptions) -> IrbExposure {
    let typed = (Probability::new(pd), Lgd::new(lgd), Maturity::new(m));
    let (Ok(pd), Ok(lgd), Ok(m)) = typed else { panic!("bad reference row {pd} {lgd} {m}") };
    irb_corporate(pd, lgd, m, sales, o).expect("irb")
}

#[test]
fn irb_corporate_grid_every_row() {
    let (h, rows) = csv_rows("irb_corporate_grid.csv");
    assert_eq!(rows.len(), 19 * 3 * 7);
    let o = IrbOptions::params().scaling_106(true).build().unwrap();
    let mut worst: f64 = 0.0;
    for r in &rows {
        let g = |c: &str| r[col(&h, c)].parse::<f64>().unwrap();
        let s = &r[col(&h, "sales_eur_m")];
        let sales = if s.is_empty() { None } else { Some(s.parse().unwrap()) };
        let x = irb(g("pd"), g("lgd"), g("m"), sales, &IrbOptions::default());
        let x106 = irb(g("pd"), g("lgd"), g("m"), sales, &o);
        for (got, want) in [
            (x.correlation, g("R")),
            (x.b, g("b")),
            (x.maturity_adjustment, g("MA")),
            (x.conditional_pd, g("cond_pd_999")),
            (x.k, g("K")),
            (x.risk_weight, g("RW")),
            (x106.risk_weight, g("RW_x1_06")),
            (x.risk_weight * 1e6, g("RWA_per_EUR1m")),
        ] {
            let e = rel(got, want);
            worst = worst.max(e);
            assert!(e <= CLOSED_FORM_REL, "{r:?}: got {got} want {want} rel {e}");
        }
    }
    eprintln!("irb grid: worst relative error {worst:e}");
}

#[test]
fn irb_bcbs_published_tables() {
    let (h, rows) = csv_rows("irb_bcbs_crosscheck.csv");
    let mut worst: f64 = 0.0;
    for r in &rows {
        let g = |c: &str| r[col(&h, c)].parse::<f64>();
        let (pd, lgd, m) = (g("pd_pct").unwrap() / 100.0, g("lgd").unwrap(), g("m").unwrap());
        for (sales, pcol) in [(None, "published_rw_pct_S50"), (Some(5.0), "published_rw_pct_S5")] {
            let Ok(published) = g(pcol) else { continue };
            let rw = irb(pd, lgd, m, sales, &IrbOptions::default()).risk_weight * 100.0;
            worst = worst.max((rw - published).abs());
            assert!((rw - published).abs() <= BCBS_PP, "{r:?} {pcol}: {rw}");
        }
    }
    eprintln!("bcbs: worst |diff| {worst} pp over {} rows", rows.len());
}

#[test]
fn vasicek_quantiles_every_row() {
    let (h, rows) = csv_rows("vasicek_quantiles.csv");
    let mut worst: f64 = 0.0;
    for r in &rows {
        let g = |c: &str| r[col(&h, c)].parse::<f64>().unwrap();
        let v = VasicekDistribution::new(g("pd"), g("rho")).unwrap();
        let x = v.quantile(g("q")).unwrap();
        let e = rel(x, g("loss_rate_quantile")).max(rel(x - g("pd"), g("unexpected")));
        worst = worst.max(e);
        assert!(e <= CLOSED_FORM_REL, "{r:?}: {x}");
        assert!((v.cdf(x).unwrap() - g("q")).abs() < 1e-12);
    }
    eprintln!("vasicek: worst relative error {worst:e}");
}

#[test]
fn portfolio_el_and_per_obligor_irb() {
    let p = portfolio();
    let res = results();
    let el = expected_loss(&p).unwrap();
    assert!(rel(el, res["expected_loss"].as_f64().unwrap()) <= CLOSED_FORM_REL);
    let irb = irb_portfolio(&p, &IrbOptions::default()).unwrap();
    let (h, rows) = csv_rows("credit_portfolio_irb.csv");
    let m1 = {
        // K at M = 1 per obligor: the same portfolio with every maturity set to 1
        let mut c = finkit_risk::schema::PortfolioColumns::from(p.clone());
        c.maturity = vec![1.0; c.maturity.len()];
        irb_portfolio(&finkit_risk::schema::Portfolio::new(c).unwrap(), &IrbOptions::default())
            .unwrap()
    };
    let mut worst: f64 = 0.0;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], p.ids()[i]);
        let g = |c: &str| r[col(&h, c)].parse::<f64>().unwrap();
        let x = &irb.exposures[i];
        for (got, want) in [
            (irb.expected_loss[i], g("el")),
            (x.correlation, g("R")),
            (x.maturity_adjustment, g("MA")),
            (x.k, g("K")),
            (irb.rwa[i], g("rwa")),
            (0.08 * irb.rwa[i], g("capital_8pct")),
            (irb.asrf_loss[i], g("asrf_var999")),
            (m1.exposures[i].k, g("K_m1")),
        ] {
            let e = rel(got, want);
            worst = worst.max(e);
            assert!(e <= CLOSED_FORM_REL, "{}: got {got} want {want}", r[0]);
        }
    }
    let j = &res["irb"];
    assert!(rel(irb.total_rwa, j["total_rwa"].as_f64().unwrap()) <= CLOSED_FORM_REL);
    assert!(rel(irb.total_capital * 12.5, j["total_rwa"].as_f64().unwrap()) <= CLOSED_FORM_REL);
    assert!(rel(irb.rwa_density(), j["rwa_density"].as_f64().unwrap()) <= CLOSED_FORM_REL);
    let asrf = asrf_loss_quantile(&p, 0.999, true).unwrap();
    assert!(rel(asrf, res["asrf"]["var999"].as_f64().unwrap()) <= CLOSED_FORM_REL);
    assert!(rel(irb.total_asrf_loss, asrf) <= 1e-13);
    eprintln!("per-obligor IRB: worst relative error {worst:e}; EL {el}; RWA {}", irb.total_rwa);
}

#[test]
fn lattice_unit_is_eur_5000() {
    let p = portfolio();
    let v: Vec<f64> = (0..p.len()).map(|i| p.lgd()[i] * p.ead()[i]).collect();
    let u = exact_lattice_unit(&v).unwrap();
    assert!((u - 0.005).abs() < 1e-15, "{u}");
}

#[test]
fn exact_one_factor_distribution() {
    let p = portfolio();
    let res = results();
    let j = &res["one_factor_exact"];
    let t = std::time::Instant::now();
    let d = ExactOneFactor::default().loss_distribution(&p).unwrap();
    eprintln!("exact one-factor (400 nodes) in {:?}", t.elapsed());
    assert!((d.total_mass() - 1.0).abs() < 1e-10);
    for q in ["0.99", "0.999"] {
        let qf: f64 = q.parse().unwrap();
        let var = d.var(qf).unwrap();
        let want = j[q]["VaR"].as_f64().unwrap();
        // the same lattice point: within a tenth of the unit
        assert!((var - want).abs() < 0.0005, "VaR {q}: {var} vs {want}");
        let es = d.es(qf).unwrap();
        let e = rel(es, j[q]["ES"].as_f64().unwrap());
        eprintln!("exact q={q}: VaR {var} (ref {want}); ES {es} rel err {e:e}");
        assert!(e <= EXACT_ES_REL, "ES {q}: {es}");
    }
    assert!(rel(d.mean(), j["mean"].as_f64().unwrap()) <= 1e-10);
    assert!(rel(d.std(), j["std"].as_f64().unwrap()) <= 1e-9);
    // 200 nodes and no trimming land on the same answers
    let d200 = ExactOneFactor::new(200, 9.0, Default::default(), Default::default(), 0.0)
        .unwrap()
        .loss_distribution(&p)
        .unwrap();
    for q in [0.99, 0.999] {
        assert_eq!(d200.var(q).unwrap(), d.var(q).unwrap());
        assert!(rel(d200.es(q).unwrap(), d.es(q).unwrap()) < 1e-9);
    }
}

#[test]
fn creditriskplus_moments_and_quantiles() {
    let p = portfolio();
    let res = results();
    for s2 in ["1.0", "0.5"] {
        let j = &res["creditriskplus"][s2];
        let m = CreditRiskPlus::new(s2.parse().unwrap()).unwrap();
        let d = m.loss_distribution(&p).unwrap();
        let (em, es) =
            (rel(d.mean(), j["mean"].as_f64().unwrap()), rel(d.std(), j["std"].as_f64().unwrap()));
        eprintln!("CreditRisk+ σ²={s2}: mean rel {em:e}, std rel {es:e}");
        assert!(em <= CREDITRISKPLUS_REL && es <= CREDITRISKPLUS_REL);
        let (cm, cs) = m.moments(&p).unwrap();
        assert!(rel(cm, j["mean_closed_form"].as_f64().unwrap()) <= CLOSED_FORM_REL);
        assert!(rel(cs, j["std_closed_form"].as_f64().unwrap()) <= CLOSED_FORM_REL);
        for q in ["0.99", "0.999"] {
            let qf: f64 = q.parse().unwrap();
            assert!((d.var(qf).unwrap() - j[q]["VaR"].as_f64().unwrap()).abs() < 0.0005);
            assert!(rel(d.es(qf).unwrap(), j[q]["ES"].as_f64().unwrap()) <= EXACT_ES_REL);
        }
    }
}
