//! The synthetic portfolio of `benches/compare/risk_portfolio.sh` (the shape of the shared
//! reference's `perf_timing.py`), generated from a seed. Shared by the bench
//! (`benches/benches/risk_portfolio.rs`) and the importance-sampling tests, so both use the
//! same book.
#![allow(dead_code, unreachable_pub)]

use finkit_risk::schema::{Portfolio, PortfolioColumns};

/// SplitMix64: a seeded, dependency-free source for the synthetic portfolio.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// A uniform in [0, 1) with 53 bits.
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A standard normal (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `n` obligors as in perf_timing.py: PD log-uniform in [0.03 %, 20 %],
/// ρ = 0.12 + 0.12·e^(−50 PD), LGD uniform in [0.25, 0.75], EAD lognormal(0, 1); returns the
/// portfolio and the ρ of each obligor.
pub fn synthetic(n: usize, seed: u64) -> (Portfolio, Vec<f64>) {
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
