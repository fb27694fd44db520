//! Optimal binning of all 20 German credit variables (`BinningProcess`) and batch scoring of
//! 1,000,000 rows with a points scorecard. Compared with optbinning by
//! `benches/compare/credit_binning.sh`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_credit::LogisticParams;
use finkit_credit::binning::BinningProcessParams;
use finkit_credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
use finkit_schema::{Column, CsvOptions, Dataset};
use ndarray::Array1;

fn german() -> Dataset {
    let path = finkit_benches::data_dir().join("germancredit.csv");
    Dataset::from_csv(path, &CsvOptions::default().with_target("bad"))
        .and_then(|d| d.drop_column("row_id"))
        .expect("bundled german credit data")
}

/// A seeded resample of `n` rows (splitmix64), keeping only `names`.
fn resample(data: &Dataset, names: &[&str], n: usize, seed: u64) -> Dataset {
    let mut state = seed;
    let rows: Vec<usize> = (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % data.n_rows() as u64) as usize
        })
        .collect();
    let columns = names
        .iter()
        .map(|&name| {
            let column = match data.column(name).expect("column") {
                Column::Numeric(v) => Column::Numeric(rows.iter().map(|&i| v[i]).collect()),
                Column::Categorical(v) => {
                    Column::Categorical(rows.iter().map(|&i| v[i].clone()).collect())
                }
            };
            (name.to_owned(), column)
        })
        .collect();
    Dataset::new(columns, None).expect("resampled dataset")
}

fn credit_binning(c: &mut Criterion) {
    let data = german();
    let params = BinningProcessParams::new().build().expect("default parameters");
    let mut group = c.benchmark_group("credit_binning");
    group.throughput(Throughput::Elements(20));
    group.bench_function("binning_process_20vars", |b| b.iter(|| params.fit(black_box(&data))));

    // The card: default binning, top 8 by IV without the row-scrambled column, own logistic fit.
    let fitted = BinningProcessParams::new()
        .exclude(["personal_status_and_sex"])
        .top_k(8)
        .build()
        .and_then(|p| p.fit(&data))
        .expect("binning");
    let x = fitted.transform(&data).expect("woe");
    let y: Array1<f64> = data.target().expect("target").to_owned();
    let model =
        LogisticParams::new().feature_names(x.names.clone()).fit(&x.values, &y).expect("logistic");
    let scaling =
        ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build().expect("scaling");
    let card = Scorecard::from_logistic(&fitted, &model, &scaling).expect("card");
    let names = fitted.selected();
    let big = resample(&data, &names, 1_000_000, 20_240_601);
    group.throughput(Throughput::Elements(1_000_000));
    group.sample_size(20);
    group.bench_function("scorecard_score_1e6", |b| b.iter(|| card.score_dataset(black_box(&big))));
    group.finish();
}

criterion_group!(benches, credit_binning);
criterion_main!(benches);
