//! The seeded synthetic data generator: a 10,000-firm data set (firms, 4 years of statements,
//! applications, loan book, events, prices), and the same without the extras.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use finkit_pool::synthetic::SyntheticParams;
use std::hint::black_box;

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("synthetic");
    group.sample_size(20);
    for firms in [1_000usize, 10_000] {
        let Ok(params) = SyntheticParams::builder().with_firms(firms).with_seed(42).build() else {
            continue;
        };
        group.throughput(Throughput::Elements(firms as u64));
        group.bench_with_input(BenchmarkId::new("generate", firms), &params, |b, p| {
            b.iter(|| black_box(p).generate())
        });
    }
    if let Ok(params) = SyntheticParams::builder()
        .with_firms(10_000)
        .with_seed(42)
        .with_applications(0)
        .with_loans(0)
        .with_price_days(0)
        .build()
    {
        group.throughput(Throughput::Elements(10_000));
        group.bench_function("generate_firms_and_statements_only/10000", |b| {
            b.iter(|| black_box(&params).generate())
        });
    }
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
