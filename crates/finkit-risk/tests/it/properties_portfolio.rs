//! Properties of the credit-portfolio models (proptest).

use finkit_risk::LossDistribution;
use finkit_risk::portfolio::{Copula, ExactOneFactor, McShard, MonteCarloParams, expected_loss};
use finkit_risk::schema::{Portfolio, PortfolioColumns};
use proptest::prelude::*;

fn portfolio_strategy() -> impl Strategy<Value = Portfolio> {
    prop::collection::vec((0.0f64..=1.0, 0.0f64..=1.0, 0u32..400, 0usize..3), 1..25).prop_map(
        |rows| {
            let n = rows.len();
            Portfolio::new(PortfolioColumns {
                ids: (0..n).map(|i| format!("O{i}")).collect(),
                sectors: rows.iter().map(|r| ["A", "B", "C"][r.3].to_string()).collect(),
                grades: vec![None; n],
                pd: rows.iter().map(|r| r.0 * 0.3).collect(),
                lgd: rows.iter().map(|r| (r.1 * 20.0).round() / 20.0).collect(),
                ead: rows.iter().map(|r| f64::from(r.2) / 10.0).collect(),
                maturity: vec![2.5; n],
                annual_sales: vec![None; n],
            })
            .unwrap()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn expected_loss_is_between_zero_and_total_ead(p in portfolio_strategy()) {
        let el = expected_loss(&p).unwrap();
        prop_assert!(el >= 0.0 && el <= p.total_ead() + 1e-12);
    }

    #[test]
    fn es_is_at_least_var_and_var_is_monotone(losses in prop::collection::vec(0.0f64..100.0, 1..300), q in 0.5f64..0.999) {
        let d = LossDistribution::from_sample(losses).unwrap();
        prop_assert!(d.es(q).unwrap() >= d.var(q).unwrap());
        let q2 = q + (1.0 - q) / 2.0;
        prop_assert!(d.var(q2).unwrap() >= d.var(q).unwrap());
    }

    #[test]
    fn exact_distribution_es_at_least_var(p in portfolio_strategy(), q in 0.9f64..0.999) {
        let model = ExactOneFactor::new(40, 8.0, Default::default(), Default::default(), 1e-30).unwrap();
        if let Ok(r) = model.compute(&p) {
            let d = r.distribution;
            prop_assert!((d.total_mass() - 1.0).abs() < 1e-9);
            prop_assert!(d.es(q).unwrap() >= d.var(q).unwrap() - 1e-12);
        }
    }

    #[test]
    fn merged_shards_equal_the_full_run(p in portfolio_strategy(), seed in any::<u64>(), n in 1u64..3000, bs in 1u64..700, count in 1u64..6, t in any::<bool>()) {
        let copula = if t { Copula::StudentT { nu: 4.0 } } else { Copula::Gaussian };
        let m = MonteCarloParams { scenarios: n, seed, block_size: bs, copula, ..Default::default() }.build().unwrap();
        let full = m.run(&p).unwrap();
        let shards: Vec<McShard> = (0..count).rev().map(|k| m.run_shard(&p, k, count).unwrap()).collect();
        let merged = McShard::merge(shards).unwrap();
        prop_assert_eq!(merged.losses(), full.losses());
        prop_assert_eq!(merged.fingerprint(), full.fingerprint());
        prop_assert_eq!(merged.distribution().es(0.95).unwrap().to_bits(), full.distribution().es(0.95).unwrap().to_bits());
    }

    #[test]
    fn thread_count_does_not_change_a_seeded_result(p in portfolio_strategy(), seed in any::<u64>(), bs in 1u64..400) {
        let m = MonteCarloParams { scenarios: 2000, seed, block_size: bs, ..Default::default() }.build().unwrap();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| m.run(&p).unwrap());
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(|| m.run(&p).unwrap());
        prop_assert_eq!(one.losses(), three.losses());
        let e1 = ExactOneFactor::new(24, 8.0, Default::default(), Default::default(), 1e-30).unwrap();
        let a = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| e1.compute(&p));
        let b = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(|| e1.compute(&p));
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert_eq!(a.distribution, b.distribution);
        }
    }
}
