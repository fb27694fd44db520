//! Risk-based pricing against the RAROC examples of `ifrs9_pricing_examples.json`
//! (see `tests/data/PROVENANCE.md`).

use crate::common;

use common::{K_REL_TOL, PRICING_ABS_TOL};
use finkit_lending::pricing::{LoanPricer, PricingConfig};
use finkit_risk::portfolio::{IrbOptions, PdFloor};
use finkit_risk::raroc::PricingParams;
use finkit_schema::{Lgd, Maturity, Probability};

fn rows() -> Vec<serde_json::Value> {
    let text = include_str!("../data/ifrs9_pricing_examples.json");
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    doc["raroc_pricing"].as_array().unwrap().clone()
}

fn pricer(row: &serde_json::Value) -> LoanPricer {
    let f = |k: &str| row[k].as_f64().unwrap();
    LoanPricer::new(PricingConfig {
        rates: PricingParams {
            funding_cost: 0.0,
            operating_cost: f("opex"),
            hurdle_rate: f("hurdle"),
            capital_return_rate: f("rf_on_capital"),
            margin: 0.0,
        },
        // The reference applies no PD floor and no 1.06 factor; SME adjustment where sales are given.
        irb: IrbOptions::params().pd_floor(PdFloor::None).build().unwrap(),
    })
    .unwrap()
}

/// Reference PD, LGD and maturity as the schema's checked types.
fn typed(pd: f64, lgd: f64, m: f64) -> (Probability, Lgd, Maturity) {
    (Probability::new(pd).unwrap(), Lgd::new(lgd).unwrap(), Maturity::new(m).unwrap())
}

#[test]
fn required_spreads_match_the_reference() {
    let rows = rows();
    assert_eq!(rows.len(), 4);
    for row in &rows {
        let f = |k: &str| row[k].as_f64().unwrap();
        let p = pricer(row);
        let (pd, lgd, m) = typed(f("pd"), f("lgd"), f("m"));
        let q = p.quote(pd, lgd, m, row["sales_eur_m"].as_f64()).unwrap();
        assert!((q.capital - f("K")).abs() <= K_REL_TOL * f("K"), "K {} vs {}", q.capital, f("K"));
        assert!((q.components.expected_loss - f("EL")).abs() <= 1e-15);
        assert!(
            (q.break_even_spread - f("required_spread")).abs() <= PRICING_ABS_TOL,
            "spread {} vs {}",
            q.break_even_spread,
            f("required_spread")
        );
        // With zero funding and margin the rate is the spread and the RAROC the hurdle.
        assert!((q.rate() - f("required_spread")).abs() <= PRICING_ABS_TOL);
        assert!((q.raroc - f("raroc_check")).abs() <= PRICING_ABS_TOL);
        let risk = p.loan_risk(pd, lgd, m, row["sales_eur_m"].as_f64()).unwrap();
        let r = p.raroc_of_rate(&risk, f("required_spread")).unwrap();
        assert!((r - f("raroc_check")).abs() <= PRICING_ABS_TOL);
    }
}

#[test]
fn a_proposed_rate_above_break_even_beats_the_hurdle() {
    let row = &rows()[1];
    let p = pricer(row);
    let (pd, lgd, m) = typed(0.01, 0.45, 2.5);
    let risk = p.loan_risk(pd, lgd, m, None).unwrap();
    let spread = p.break_even_spread(&risk);
    let r = p.raroc_of_rate(&risk, spread + 0.001).unwrap();
    // One more basis point of spread adds 0.001 / K of RAROC.
    assert!((r - (0.12 + 0.001 / risk.capital())).abs() < 1e-12);
}
