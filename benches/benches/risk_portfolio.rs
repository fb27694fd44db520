//! Credit portfolio risk: the one-factor Gaussian-copula Monte Carlo (10 000 obligors × 100 000
//! scenarios, the perf_timing.py portfolio shape) and the exact one-factor loss distribution of
//! the 100-obligor reference portfolio (400 Gauss–Legendre nodes, EUR 5 000 lattice).
//! `benches/compare/risk_portfolio.sh` times numpy in the same run and prints the ratios.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_risk::portfolio::{AssetCorrelation, ExactOneFactor, MonteCarloParams};
use finkit_risk::schema::{Portfolio, PortfolioColumns};

/// SplitMix64: a seeded, dependency-free source for the synthetic portfolio.
struct SplitMix(u64);
impl SplitMix {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `n` obligors as in perf_timing.py: PD log-uniform in [0.03 %, 20 %], ρ = 0.12 + 0.12·e^(−50 PD),
/// LGD uniform in [0.25, 0.75], EAD lognormal(0, 1).
fn synthetic(n: usize, seed: u64) -> (Portfolio, Vec<f64>) {
    let mut r = SplitMix(seed);
    let (lo, hi) = (3e-4f64.ln(), 0.2f64.ln());
    let pd: Vec<f64> = (0..n).map(|_| (lo + (hi - lo) * r.uniform()).exp()).collect();
    let rho = pd.iter().map(|p| 0.12 + 0.12 * (-50.0 * p).exp()).collect();
    let lgd = (0..n).map(|_| 0.25 + 0.5 * r.uniform()).collect();
    let ead = (0..n).map(|_| r.normal().exp()).collect();
    let p = Portfolio::new(PortfolioColumns {
        ids: (0..n).map(|i| format!("S{i}")).collect(),
        sectors: vec!["ALL".into(); n],
        grades: vec![None; n],
        pd,
        lgd,
        ead,
        maturity: vec![2.5; n],
        annual_sales: vec![None; n],
    })
    .expect("synthetic portfolio");
    (p, rho)
}

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
