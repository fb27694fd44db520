//! Credit portfolio risk: the one-factor Gaussian-copula Monte Carlo (10 000 obligors × 100 000
//! scenarios, the perf_timing.py portfolio shape) and the exact one-factor loss distribution of
//! the 100-obligor reference portfolio (400 Gauss–Legendre nodes, EUR 5 000 lattice).
//! `benches/compare/risk_portfolio.sh` times numpy in the same run and prints the ratios.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_risk::portfolio::{AssetCorrelation, ExactOneFactor, MonteCarloParams};
use finkit_risk::schema::Portfolio;

#[path = "../../crates/finkit-risk/tests/portfolio_common/synthetic.rs"]
mod synthetic;
use synthetic::synthetic;

fn reference_portfolio() -> Portfolio {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/finkit-risk/tests/data/credit_portfolio.csv");
    finkit_risk::read_portfolio_csv(&path).expect("reference portfolio")
}

fn monte_carlo(c: &mut Criterion) {
    let (obligors, scenarios) = (10_000usize, 100_000u64);
    let (p, rho) = synthetic(obligors, 1);
    let model = MonteCarloParams {
        scenarios,
        seed: 7,
        correlation: AssetCorrelation::PerObligor(rho),
        ..Default::default()
    }
    .build()
    .expect("params");
    let mut group = c.benchmark_group("risk_portfolio");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(obligors as u64 * scenarios));
    group.bench_function("mc_one_factor_10000x100000", |b| {
        b.iter(|| model.run(black_box(&p)).expect("run"))
    });
    group.finish();
}

fn exact(c: &mut Criterion) {
    let p = reference_portfolio();
    let model = ExactOneFactor::default();
    let mut group = c.benchmark_group("risk_portfolio");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(p.len() as u64));
    group.bench_function("exact_one_factor_100", |b| {
        b.iter(|| model.compute(black_box(&p)).expect("exact"))
    });
    group.finish();
}

criterion_group!(benches, monte_carlo, exact);
criterion_main!(benches);
