//! Importance sampling (Glasserman & Li), standard errors and runs to a target precision
//! (issue 17), and Monte Carlo runs bounded before allocation (issue 12), checked against the
//! exact one-factor distribution of the reference portfolio.

use crate::portfolio_common;

use finkit_risk::RiskError;
use finkit_risk::portfolio::{
    Copula, FactorModel, ImportanceSampling, McMethod, McShard, MonteCarlo, MonteCarloParams,
    PrecisionTarget,
};
use portfolio_common::*;

fn model(scenarios: u64, seed: u64, importance: bool) -> MonteCarlo {
    MonteCarloParams {
        scenarios,
        seed,
        importance: importance.then(ImportanceSampling::default),
        ..Default::default()
    }
    .build()
    .unwrap()
}

/// Exact (VaR, ES) of the reference portfolio at level `q` ("0.99" or "0.999").
fn exact(q: &str) -> (f64, f64) {
    let r = results();
    let e = &r["one_factor_exact"][q];
    (e["VaR"].as_f64().unwrap(), e["ES"].as_f64().unwrap())
}

/// The lattice of the reference portfolio's losses (EUR 5 000): a sample VaR is a sum of
/// exposures, so it can sit one lattice step from the exact VaR even with a tiny SE.
const LATTICE: f64 = 0.005;

#[test]
fn importance_sampling_is_unbiased_and_tighter_than_plain() {
    let p = portfolio();
    let n = 20_000;
    let is = model(n, 3, true).run(&p).unwrap();
    let plain = model(n, 3, false).run(&p).unwrap();
    assert_eq!(is.method(), McMethod::Importance);
    assert_eq!(plain.method(), McMethod::Plain);
    assert!(is.weights().is_some() && plain.weights().is_none());
    for q in ["0.99", "0.999"] {
        let qf: f64 = q.parse().unwrap();
        let (var, es) = exact(q);
        let t = is.tail(qf).unwrap();
        let var_se = t.var_se;
        eprintln!(
            "IS {q}: VaR {:.4} ± {var_se:.4} (exact {var}), ES {:.4} ± {:.4} (exact {es})",
            t.var, t.es, t.es_se
        );
        assert!((t.var - var).abs() <= MC_SIGMAS * var_se + LATTICE, "VaR {q}");
        assert!((t.es - es).abs() <= MC_SIGMAS * t.es_se, "ES {q}");
        let tp = plain.tail(qf).unwrap();
        eprintln!("plain {q}: ES {:.4} ± {:.4}", tp.es, tp.es_se);
        // the variance reduction the change of measure exists for
        assert!(t.es_se * 3.0 < tp.es_se, "{q}: IS se {} vs plain {}", t.es_se, tp.es_se);
        assert!(t.es >= t.var);
    }
}

/// The standard errors mean what they say: over many seeds, `|estimate − exact| ≤ 1.96·se`
/// about 95 % of the time (asserted ≥ 85 % of 40 runs: a binomial(40, 0.95) falls below 34
/// with probability 0.3 %).
#[test]
fn standard_errors_cover_the_exact_value() {
    let p = portfolio();
    for (importance, q, n) in [(false, "0.99", 4_000), (true, "0.999", 4_000)] {
        let qf: f64 = q.parse().unwrap();
        let (var, es) = exact(q);
        let (mut covered, mut var_covered) = (0, 0);
        for seed in 0..40 {
            let t = model(n, 1000 + seed, importance).run(&p).unwrap().tail(qf).unwrap();
            if (t.es - es).abs() <= 1.96 * t.es_se {
                covered += 1;
            }
            // the VaR sits on the EUR 5 000 lattice: half a step of slack
            if (t.var - var).abs() <= 1.96 * t.var_se + LATTICE / 2.0 {
                var_covered += 1;
            }
        }
        eprintln!(
            "importance {importance}, {q}: ES {covered}/40, VaR {var_covered}/40 within 1.96 se"
        );
        assert!(covered >= 34, "importance {importance}: only {covered}/40 covered");
        assert!(var_covered >= 34, "importance {importance}: VaR only {var_covered}/40 covered");
    }
}

#[test]
fn importance_sampled_shards_merge_bit_for_bit_whatever_the_threads() {
    let p = portfolio();
    let m = MonteCarloParams {
        scenarios: 5_000,
        seed: 77,
        block_size: 300,
        importance: Some(ImportanceSampling::default()),
        ..Default::default()
    }
    .build()
    .unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let full = one.install(|| m.run(&p).unwrap());
    let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    let again = three.install(|| m.run(&p).unwrap());
    assert_eq!(full.losses(), again.losses());
    assert_eq!(full.weights(), again.weights());
    let shards: Vec<McShard> = (0..4)
        .rev()
        .map(|k| {
            let s = m.run_shard(&p, k, 4).unwrap();
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap()
        })
        .collect();
    let merged = McShard::merge(shards.clone()).unwrap();
    assert_eq!(merged.losses(), full.losses());
    assert_eq!(merged.weights(), full.weights());
    assert_eq!(merged.fingerprint(), full.fingerprint());
    for q in [0.99, 0.999] {
        let (a, b) = (merged.tail(q).unwrap(), full.tail(q).unwrap());
        assert_eq!(a.es.to_bits(), b.es.to_bits());
        assert_eq!(a.var.to_bits(), b.var.to_bits());
        assert_eq!(a.es_se.to_bits(), b.es_se.to_bits());
    }
    // a plain shard cannot be merged into an importance-sampled run
    let mut mixed = shards;
    mixed[0].weights = None;
    assert!(matches!(McShard::merge(mixed), Err(RiskError::ShardMismatch(_))));
    // importance sampling changes the fingerprint, plain runs keep theirs
    assert_ne!(model(5_000, 77, false).run(&p).unwrap().fingerprint(), full.fingerprint());
}

#[test]
fn a_precision_run_is_the_fixed_run_of_its_length() {
    let p = portfolio();
    let m = MonteCarloParams {
        scenarios: 1,
        seed: 5,
        block_size: 256,
        importance: Some(ImportanceSampling::default()),
        ..Default::default()
    }
    .build()
    .unwrap();
    let target = PrecisionTarget { level: 0.999, rel_error: 0.01, max_scenarios: 1_000_000 };
    let r = m.run_to_precision(&p, &target).unwrap();
    assert!(r.met && r.rel_error < 0.01, "{}", r.rel_error);
    let n = r.run.scenarios();
    let t = r.run.tail(0.999).unwrap();
    assert!((t.es_se / t.es - r.rel_error).abs() < 1e-15);
    eprintln!("precision run: {n} scenarios, ES 99.9 {:.4} ± {:.4}", t.es, t.es_se);
    // rounds of whole blocks, at least the first round's two
    assert!(n.is_multiple_of(256) && n >= 2 * 256, "{n}");
    let fixed = MonteCarloParams {
        scenarios: n,
        seed: 5,
        block_size: 256,
        importance: Some(ImportanceSampling::default()),
        ..Default::default()
    }
    .build()
    .unwrap()
    .run(&p)
    .unwrap();
    assert_eq!(fixed.losses(), r.run.losses());
    assert_eq!(fixed.weights(), r.run.weights());
    assert_eq!(fixed.fingerprint(), r.run.fingerprint());
    // the precision run's contributions are accepted by the model that made it
    let c = m.contributions(&p, &r.run, 0.999, 0.1).unwrap();
    assert!(rel(c.es_contributions.iter().sum::<f64>(), c.es) < 1e-12);
    // a cap that stops the run first is reported, not hidden
    let capped = PrecisionTarget { level: 0.999, rel_error: 1e-6, max_scenarios: 5_000 };
    let r = m.run_to_precision(&p, &capped).unwrap();
    assert!(!r.met);
    assert_eq!(r.run.scenarios(), 5_000);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let t = PrecisionTarget { rel_error: bad, ..target };
        assert!(matches!(m.run_to_precision(&p, &t), Err(RiskError::InvalidParameter { .. })));
    }
    let t = PrecisionTarget { max_scenarios: 0, ..target };
    assert!(matches!(m.run_to_precision(&p, &t), Err(RiskError::InvalidParameter { .. })));
}

#[test]
fn importance_sampled_euler_contributions_add_up() {
    let p = portfolio();
    let m = model(8_000, 9, true);
    let run = m.run(&p).unwrap();
    let c = m.contributions(&p, &run, 0.999, 0.1).unwrap();
    assert!(rel(c.es_contributions.iter().sum::<f64>(), c.es) < 1e-12);
    assert!(rel(c.var_contributions.iter().sum::<f64>(), c.var) < 1e-12);
    for (i, &x) in c.es_contributions.iter().enumerate() {
        assert!(x >= 0.0 && x <= p.lgd()[i] * p.ead()[i] + 1e-9, "obligor {i}: {x}");
    }
    // the largest ES contributors agree with a long plain run's
    let pm = model(200_000, 9, false);
    let plain = pm.run(&p).unwrap();
    let pc = pm.contributions(&p, &plain, 0.999, 0.1).unwrap();
    let top = |v: &[f64]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
        idx
    };
    let (a, b) = (top(&c.es_contributions), top(&pc.es_contributions));
    for k in 0..5 {
        eprintln!(
            "top {k}: IS {} {:.4} (plain {:.4}) | plain {} {:.4}",
            a[k],
            c.es_contributions[a[k]],
            pc.es_contributions[a[k]],
            b[k],
            pc.es_contributions[b[k]]
        );
    }
    // the two largest contributors are the same obligors (their order is within the noise of
    // the plain run's 200 tail scenarios), and the IS run's next three are among the plain
    // run's top five (the third to fifth lie within about 2 % of each other in both runs)
    let (mut a2, mut b2) = (a[..2].to_vec(), b[..2].to_vec());
    a2.sort_unstable();
    b2.sort_unstable();
    assert_eq!(a2, b2, "largest ES contributors");
    for i in &a[2..5] {
        assert!(b[..5].contains(i), "IS contributor {i} is not in the plain top five");
    }
    let total: f64 = pc.es_contributions.iter().sum();
    let diff: f64 =
        c.es_contributions.iter().zip(&pc.es_contributions).map(|(x, y)| (x - y).abs()).sum();
    eprintln!("IS vs plain ES contributions: L1 difference {diff:.3} of ES {total:.3}");
    assert!(diff < 0.2 * total, "{diff} vs {total}");
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
fn sector_importance_sampling_agrees_with_the_python_reference() {
    let p = portfolio();
    let res = results();
    let j = &res["mc_variants"]["sector_gaussian"];
    let run = MonteCarloParams {
        scenarios: 20_000,
        seed: 4,
        factors: sector_model(),
        importance: Some(ImportanceSampling::default()),
        ..Default::default()
    }
    .build()
    .unwrap()
    .run(&p)
    .unwrap();
    for q in ["0.99", "0.999"] {
        let qf: f64 = q.parse().unwrap();
        let t = run.tail(qf).unwrap();
        // the reference's sectioned SEs are for 10⁶ paths
        let (ref_es, ref_se) =
            (j[q]["ES"].as_f64().unwrap(), j[q]["se_ES_sectioned"].as_f64().unwrap());
        let band = MC_SIGMAS * (t.es_se * t.es_se + ref_se * ref_se).sqrt();
        eprintln!(
            "sector IS ES {q}: {:.4} ± {:.4} vs python {ref_es:.4} ± {ref_se:.4}",
            t.es, t.es_se
        );
        assert!((t.es - ref_es).abs() <= band, "ES {q}: {} vs {ref_es} ± {band}", t.es);
        let (ref_var, ref_vse) =
            (j[q]["VaR"].as_f64().unwrap(), j[q]["se_VaR_sectioned"].as_f64().unwrap());
        let vse = t.var_se;
        let band = MC_SIGMAS * (vse * vse + ref_vse * ref_vse).sqrt() + LATTICE;
        assert!((t.var - ref_var).abs() <= band, "VaR {q}: {} vs {ref_var} ± {band}", t.var);
    }
}

#[test]
fn run_sizes_are_refused_before_allocation() {
    let p = portfolio();
    for n in [10_000_000_000u64, 1 << 61, u64::MAX, 1_000_000_000] {
        for importance in [false, true] {
            let m = MonteCarloParams {
                scenarios: n,
                importance: importance.then(ImportanceSampling::default),
                ..Default::default()
            }
            .build()
            .unwrap();
            let e = m.run(&p).unwrap_err();
            assert!(matches!(e, RiskError::ResourceLimit { .. }), "{e}");
            let msg = e.to_string();
            assert!(msg.contains(&n.to_string()) && msg.contains("bytes"), "{msg}");
            // one shard of a huge run is refused too, unless it is small enough
            assert!(matches!(m.run_shard(&p, 0, 2), Err(RiskError::ResourceLimit { .. })));
            let t = PrecisionTarget { level: 0.999, rel_error: 0.01, max_scenarios: n };
            assert!(matches!(m.run_to_precision(&p, &t), Err(RiskError::ResourceLimit { .. })));
        }
    }
    // a small limit is honoured; the estimate is exposed
    let m = MonteCarloParams { scenarios: 1000, max_memory_bytes: 1000, ..Default::default() }
        .build()
        .unwrap();
    assert!(m.memory_needed(1000) > 1000);
    assert!(matches!(m.run(&p), Err(RiskError::ResourceLimit { .. })));
    // shards of an oversized run can still be produced one by one
    let huge = MonteCarloParams { scenarios: 1 << 40, ..Default::default() }.build().unwrap();
    assert!(huge.run_shard(&p, 0, 1 << 30).is_ok());
    // importance sampling is for the Gaussian copula; its level must be in (0, 1)
    let t = MonteCarloParams {
        copula: Copula::StudentT { nu: 5.0 },
        importance: Some(ImportanceSampling::default()),
        ..Default::default()
    };
    assert!(matches!(t.build(), Err(RiskError::InvalidParameter { .. })));
    for level in [0.0, 1.0, f64::NAN] {
        let b = MonteCarloParams {
            importance: Some(ImportanceSampling { level, ..Default::default() }),
            ..Default::default()
        };
        assert!(matches!(b.build(), Err(RiskError::InvalidParameter { .. })));
    }
}

use crate::portfolio_common::synthetic;

/// Issue 17's target on the 10,000-obligor portfolio of `benches/compare/risk_portfolio.sh`:
/// VaR and ES at 99.9 % within 1 % of the exact one-factor distribution in at least 95 % of
/// seeded importance-sampled runs (19 of 20), each run stopping at a relative ES standard error
/// of 0.2 % (the VaR is noisier than the ES: stopping at 0.4 % left 4 of 20 VaRs just outside
/// 1 %, stopping at 0.3 % none, with generator version 3). The exact distribution is computed here too (400 nodes; lattice unit 0.25 against
/// a total LGD·EAD of about 8,300: the rounding errors of about 500 defaulted exposures in the
/// tail, uniform in ±0.125, move VaR by about 1.6, 0.3 % — the worst-case bound is far larger),
/// which takes tens of seconds: a release-mode test,
/// `cargo test --release -p finkit-risk --test credit_portfolio_is -- --ignored`.
#[test]
#[ignore = "release-mode accuracy target (about a minute)"]
fn ten_thousand_obligors_within_one_percent_of_exact() {
    use finkit_risk::portfolio::{AssetCorrelation, ExactOneFactor, LatticeUnit};
    let (p, rho) = synthetic::synthetic(10_000, 1);
    let t = std::time::Instant::now();
    let exact = ExactOneFactor::new(
        400,
        9.0,
        LatticeUnit::Given(0.25),
        AssetCorrelation::PerObligor(rho.clone()),
        1e-30,
    )
    .unwrap()
    .compute(&p)
    .unwrap();
    let (ev, ee) = (exact.distribution.var(0.999).unwrap(), exact.distribution.es(0.999).unwrap());
    eprintln!(
        "exact: VaR {ev:.3} ES {ee:.3} (unit 0.25, max rounding {:.4}) in {:?}",
        exact.lattice.max_rounding_error,
        t.elapsed()
    );
    let mut within = 0;
    let mut times = Vec::new();
    for seed in 0..20 {
        let m = MonteCarloParams {
            scenarios: 1,
            seed,
            correlation: AssetCorrelation::PerObligor(rho.clone()),
            importance: Some(ImportanceSampling::default()),
            ..Default::default()
        }
        .build()
        .unwrap();
        let target = PrecisionTarget { level: 0.999, rel_error: 0.002, max_scenarios: 1 << 22 };
        let t = std::time::Instant::now();
        let r = m.run_to_precision(&p, &target).unwrap();
        times.push(t.elapsed().as_secs_f64());
        let tail = r.run.tail(0.999).unwrap();
        let ok = rel(tail.var, ev) <= 0.01 && rel(tail.es, ee) <= 0.01;
        eprintln!(
            "seed {seed}: {} scenarios, VaR {:.3} ({:+.3} %), ES {:.3} ({:+.3} %) in {:.3} s",
            r.run.scenarios(),
            tail.var,
            100.0 * (tail.var / ev - 1.0),
            tail.es,
            100.0 * (tail.es / ee - 1.0),
            times[times.len() - 1]
        );
        within += usize::from(ok);
    }
    times.sort_by(f64::total_cmp);
    eprintln!("{within}/20 within 1 %; median time {:.3} s", times[10]);
    assert!(within >= 19, "{within}/20 runs within 1 % of exact");
}
