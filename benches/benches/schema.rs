//! Loading and validating the bundled German credit and Polish bankruptcy data into a `Dataset`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_schema::{CsvOptions, Dataset};
use std::hint::black_box;

fn load_german_credit(c: &mut Criterion) {
    let path = finkit_benches::data_dir().join("germancredit.csv");
    let options = CsvOptions::default().with_target("bad");
    let mut group = c.benchmark_group("schema");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("dataset_from_csv/germancredit", |b| {
        b.iter(|| Dataset::from_csv(black_box(&path), &options))
    });
    // 4,920 rows x 66 columns, 2.4 MB of mostly plain decimals: the reader's batches and the
    // decimal fast path.
    let polish = finkit_benches::data_dir().join("polish/year1_train.csv");
    let options = CsvOptions::default().with_target("bankrupt");
    group.throughput(Throughput::Elements(4920));
    group.bench_function("dataset_from_csv/polish_year1_train", |b| {
        b.iter(|| Dataset::from_csv(black_box(&polish), &options))
    });
    group.finish();
}

criterion_group!(benches, load_german_credit);
criterion_main!(benches);
