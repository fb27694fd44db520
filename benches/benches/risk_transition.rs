//! Rating transitions (generator by matrix logarithm, 10-year powers, cumulative PDs) and IFRS 9
//! ECL for a book of 100,000 amortising loans.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_risk::ifrs9::{EadSchedule, PdTermStructure, expected_credit_loss};
use finkit_risk::schema::Lgd;
use finkit_risk::schema::ndarray::Array2;
use finkit_risk::transition::{GeneratorMethod, TransitionMatrix, TransitionOptions};
use std::hint::black_box;

/// CreditMetrics 1997 Table 6.2 (percent), repaired with `fix_rowsums`.
const CREDITMETRICS_1997_PCT: [[f64; 8]; 8] = [
    [90.81, 8.33, 0.68, 0.06, 0.12, 0.00, 0.00, 0.00],
    [0.70, 90.65, 7.79, 0.64, 0.06, 0.14, 0.02, 0.00],
    [0.09, 2.27, 91.05, 5.52, 0.74, 0.26, 0.01, 0.06],
    [0.02, 0.33, 5.95, 86.93, 5.30, 1.17, 0.12, 0.18],
    [0.03, 0.14, 0.67, 7.73, 80.53, 8.84, 1.00, 1.06],
    [0.00, 0.11, 0.24, 0.43, 6.48, 83.46, 4.07, 5.20],
    [0.22, 0.00, 0.22, 1.30, 2.38, 11.24, 64.86, 19.79],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 100.0],
];

const N_LOANS: usize = 100_000;

fn matrix() -> TransitionMatrix {
    let p = Array2::from_shape_fn((8, 8), |(i, j)| CREDITMETRICS_1997_PCT[i][j] / 100.0);
    TransitionMatrix::new(&p, &TransitionOptions::fix_rowsums(1e-3)).expect("repairable table")
}

/// SplitMix64: a seeded, dependency-free source of bench inputs.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn transition(c: &mut Criterion) {
    let tm = matrix();
    let mut group = c.benchmark_group("risk_transition");
    group.throughput(Throughput::Elements(1));
    group.bench_function("generator_logm/8x8", |b| {
        b.iter(|| black_box(&tm).generator(GeneratorMethod::Logm))
    });
    group.bench_function("generator_logm_irw/8x8", |b| {
        b.iter(|| black_box(&tm).generator(GeneratorMethod::Logm).map(|g| g.regularise_irw()))
    });
    group.bench_function("power_10y/8x8", |b| b.iter(|| black_box(&tm).power(10)));
    group
        .bench_function("cumulative_pds_10y/8x8", |b| b.iter(|| black_box(&tm).cumulative_pds(10)));
    group.finish();
}

fn ifrs9(c: &mut Criterion) {
    let tm = matrix();
    let curves: Vec<PdTermStructure> =
        (0..7).map(|s| PdTermStructure::from_transition(&tm, s, 10).expect("rating")).collect();
    let mut rng = SplitMix(20240607);
    // (rating, years, EAD0, LGD, EIR)
    let loans: Vec<(usize, u32, f64, Lgd, f64)> = (0..N_LOANS)
        .map(|_| {
            let rating = (rng.next_u64() % 7) as usize;
            let years = 1 + (rng.next_u64() % 10) as u32;
            (
                rating,
                years,
                1e5 + 9.9e6 * rng.uniform(),
                Lgd::new(0.2 + 0.5 * rng.uniform()).expect("lgd in [0.2, 0.7]"),
                0.02 + 0.06 * rng.uniform(),
            )
        })
        .collect();
    let mut group = c.benchmark_group("risk_ifrs9");
    group.throughput(Throughput::Elements(N_LOANS as u64));
    group.sample_size(20);
    group.bench_function("ecl_lifetime/100k_loans", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for &(rating, years, ead0, lgd, eir) in black_box(&loans) {
                let ead = EadSchedule::linear_amortising(ead0, years).expect("valid loan");
                total += expected_credit_loss(&curves[rating], &ead, lgd, eir)
                    .expect("valid loan")
                    .lifetime();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, transition, ifrs9);
criterion_main!(benches);
