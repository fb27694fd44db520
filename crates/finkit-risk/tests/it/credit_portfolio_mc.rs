//! Copula Monte Carlo against the exact one-factor distribution and the reference runs.

use crate::portfolio_common;

use finkit_risk::RiskError;
use finkit_risk::portfolio::{Copula, FactorModel, McShard, MonteCarloParams};
use portfolio_common::*;

const N: u64 = 200_000;

fn band(se_1e6: f64, sigmas: f64) -> f64 {
    sigmas * se_1e6 * (1e6 / N as f64).sqrt()
}

#[test]
fn one_factor_gaussian_within_band_of_exact() {
    let p = portfolio();
    let res = results();
    let model =
        MonteCarloParams { scenarios: N, seed: 20240608, ..Default::default() }.build().unwrap();
    let t = std::time::Instant::now();
    let run = model.run(&p).unwrap();
    eprintln!("one-factor MC {N} x {}: {:?}", p.len(), t.elapsed());
    let d = run.distribution();
    for q in ["0.99", "0.999"] {
        let qf: f64 = q.parse().unwrap();
        let ex = &res["one_factor_exact"][q];
        let se = &res["one_factor_mc"][q];
        for (name, got, want, se) in [
            (
                "VaR",
                d.var(qf).unwrap(),
                ex["VaR"].as_f64().unwrap(),
                se["se_VaR_asymptotic"].as_f64().unwrap(),
            ),
            (
                "ES",
                d.es(qf).unwrap(),
                ex["ES"].as_f64().unwrap(),
                se["se_ES_asymptotic"].as_f64().unwrap(),
            ),
        ] {
            let b = band(se, MC_SIGMAS);
            let z = (got - want) / (se * (1e6 / N as f64).sqrt());
            eprintln!("MC {name} {q}: {got:.4} vs exact {want:.4} (z = {z:+.2}, band ±{b:.3})");
            assert!((got - want).abs() <= b, "{name} {q}: {got} vs {want} ± {b}");
        }
    }
    let mean_se = res["one_factor_mc"]["mean_se"].as_f64().unwrap() * (1e6 / N as f64).sqrt();
    assert!((d.mean() - res["expected_loss"].as_f64().unwrap()).abs() <= 4.0 * mean_se);
}

fn variant(params: MonteCarloParams, key: &str) {
    let p = portfolio();
    let res = results();
    let run = params.build().unwrap().run(&p).unwrap();
    let d = run.distribution();
    let j = &res["mc_variants"][key];
    for q in ["0.99", "0.999"] {
        let qf: f64 = q.parse().unwrap();
        for (name, got, want, se) in [
            (
                "VaR",
                d.var(qf).unwrap(),
                j[q]["VaR"].as_f64().unwrap(),
                j[q]["se_VaR_sectioned"].as_f64().unwrap(),
            ),
            (
                "ES",
                d.es(qf).unwrap(),
                j[q]["ES"].as_f64().unwrap(),
                j[q]["se_ES_sectioned"].as_f64().unwrap(),
            ),
        ] {
            let b = band(se, MC_VARIANT_SIGMAS);
            eprintln!("{key} {name} {q}: {got:.4} vs python {want:.4} (band ±{b:.3})");
            assert!((got - want).abs() <= b, "{key} {name} {q}: {got} vs {want} ± {b}");
        }
    }
    let mean_se = j["mean_se"].as_f64().unwrap() * (1e6 / N as f64).sqrt();
    assert!((d.mean() - j["mean"].as_f64().unwrap()).abs() <= MC_VARIANT_SIGMAS * mean_se);
}

fn sector_model() -> FactorModel {
    let res = results();
    let names = res["portfolio"]["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let correlation = res["portfolio"]["sector_correlation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect();
    FactorModel::Sectors { names, correlation }
}

#[test]
fn sector_gaussian_within_band() {
    variant(
        MonteCarloParams {
            scenarios: N,
            seed: 20240609,
            factors: sector_model(),
            ..Default::default()
        },
        "sector_gaussian",
    );
}

#[test]
fn t5_copula_within_band() {
    variant(
        MonteCarloParams {
            scenarios: N,
            seed: 20240610,
            copula: Copula::StudentT { nu: 5.0 },
            ..Default::default()
        },
        "one_factor_t5",
    );
}

#[test]
fn shards_merge_into_the_full_run_bit_for_bit() {
    let p = portfolio();
    let model =
        MonteCarloParams { scenarios: 20_000, seed: 11, block_size: 1000, ..Default::default() }
            .build()
            .unwrap();
    let full = model.run(&p).unwrap();
    let mut shards: Vec<McShard> = (0..3).map(|k| model.run_shard(&p, k, 3).unwrap()).collect();
    // through JSON, as separate processes would exchange them, and out of order
    shards.reverse();
    let shards: Vec<McShard> = shards
        .iter()
        .map(|s| serde_json::from_str(&serde_json::to_string(s).unwrap()).unwrap())
        .collect();
    let merged = McShard::merge(shards.clone()).unwrap();
    assert_eq!(merged.losses(), full.losses());
    assert_eq!(
        merged.distribution().var(0.999).unwrap().to_bits(),
        full.distribution().var(0.999).unwrap().to_bits()
    );
    assert_eq!(
        merged.distribution().es(0.99).unwrap().to_bits(),
        full.distribution().es(0.99).unwrap().to_bits()
    );
    // a missing shard, a foreign shard
    assert!(matches!(McShard::merge(shards[..2].to_vec()), Err(RiskError::ShardMismatch(_))));
    let other =
        MonteCarloParams { scenarios: 20_000, seed: 12, block_size: 1000, ..Default::default() }
            .build()
            .unwrap();
    let mut mixed = shards.clone();
    mixed[0] = other.run_shard(&p, mixed[0].shard_index, 3).unwrap();
    assert!(matches!(McShard::merge(mixed), Err(RiskError::ShardMismatch(_))));
    assert!(matches!(McShard::merge(vec![]), Err(RiskError::Empty(_))));
    assert!(matches!(model.run_shard(&p, 3, 3), Err(RiskError::InvalidParameter { .. })));
    assert!(matches!(model.run_shard(&p, 0, 0), Err(RiskError::InvalidParameter { .. })));
}

#[test]
fn euler_contributions_add_up() {
    let p = portfolio();
    let model =
        MonteCarloParams { scenarios: 50_000, seed: 5, ..Default::default() }.build().unwrap();
    let run = model.run(&p).unwrap();
    let c = model.contributions(&p, &run, 0.99, 0.1).unwrap();
    let es_sum: f64 = c.es_contributions.iter().sum();
    let var_sum: f64 = c.var_contributions.iter().sum();
    assert!(rel(es_sum, c.es) < 1e-12, "{es_sum} vs {}", c.es);
    assert!(rel(var_sum, c.var) < 1e-12, "{var_sum} vs {}", c.var);
    assert_eq!(c.tail_scenarios, 500);
    // each obligor's ES contribution is at most its LGD·EAD and at least its EL
    for i in 0..p.len() {
        let w = p.lgd()[i] * p.ead()[i];
        assert!(c.es_contributions[i] <= w + 1e-12 && c.es_contributions[i] >= 0.0);
    }
    let other =
        MonteCarloParams { scenarios: 50_000, seed: 6, ..Default::default() }.build().unwrap();
    assert!(matches!(other.contributions(&p, &run, 0.99, 0.1), Err(RiskError::ShardMismatch(_))));
}

#[test]
fn bad_parameters_are_typed_errors() {
    assert!(matches!(
        MonteCarloParams { scenarios: 0, ..Default::default() }.build(),
        Err(RiskError::InvalidParameter { .. })
    ));
    assert!(matches!(
        MonteCarloParams { block_size: 0, ..Default::default() }.build(),
        Err(RiskError::InvalidParameter { .. })
    ));
    for nu in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = MonteCarloParams { copula: Copula::StudentT { nu }, ..Default::default() }.build();
        assert!(matches!(r, Err(RiskError::InvalidParameter { .. })), "{nu}");
    }
    let bad = FactorModel::Sectors {
        names: vec!["A".into(), "B".into()],
        correlation: vec![vec![1.0, 1.2], vec![1.2, 1.0]],
    };
    assert!(MonteCarloParams { factors: bad, ..Default::default() }.build().is_err());
    let missing =
        FactorModel::Sectors { names: vec!["ENERGY".into()], correlation: vec![vec![1.0]] };
    let m =
        MonteCarloParams { factors: missing, scenarios: 10, ..Default::default() }.build().unwrap();
    assert!(matches!(m.run(&portfolio()), Err(RiskError::UnknownSector(_))));
}
