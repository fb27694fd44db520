//! Logistic regression on 1,000,000 × 20 synthetic rows: the Newton/IRLS fit (penalised as
//! scikit-learn's default `C = 1`, and unpenalised) and batch `predict_proba`. Compared with
//! scikit-learn by `benches/compare/credit_logit.sh`.
//!
//! The data follow `timing_anchor.py`: X ~ N(0, 1) iid, η = −1 + 0.5·X·linspace(−1, 1, 20),
//! y ~ Bernoulli(σ(η)), drawn from a seeded splitmix64 generator (same model and size as the
//! Python anchor, not the same draws).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_credit::LogisticParams;
use ndarray::{Array1, Array2};

const N: usize = 1_000_000;
const P: usize = 20;

struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal by Box–Muller.
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn synthetic(seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = SplitMix(seed);
    let beta: Vec<f64> = (0..P).map(|j| -1.0 + 2.0 * j as f64 / (P - 1) as f64).collect();
    let mut x = Array2::zeros((N, P));
    let mut y = Array1::zeros(N);
    for i in 0..N {
        let mut eta = -1.0;
        for j in 0..P {
            let v = rng.normal();
            x[(i, j)] = v;
            eta += 0.5 * beta[j] * v;
        }
        y[i] = f64::from(u8::from(rng.uniform() < 1.0 / (1.0 + (-eta).exp())));
    }
    (x, y)
}

fn credit_logistic(c: &mut Criterion) {
    let (x, y) = synthetic(20_240_601);
    let mut group = c.benchmark_group("credit_logistic");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N as u64));
    let l2 = LogisticParams::new().l2(1.0);
    group.bench_function("fit_1e6x20_l2", |b| {
        b.iter(|| l2.fit(black_box(&x), black_box(&y)).expect("fit"))
    });
    let mle = LogisticParams::new();
    group.bench_function("fit_1e6x20_mle", |b| {
        b.iter(|| mle.fit(black_box(&x), black_box(&y)).expect("fit"))
    });
    let model = l2.fit(&x, &y).expect("fit");
    group.bench_function("predict_proba_1e6x20", |b| {
        b.iter(|| model.predict_proba(black_box(&x)).expect("score"))
    });
    group.finish();
}

criterion_group!(benches, credit_logistic);
criterion_main!(benches);
