//! Boosted trees on the Polish bankruptcy data (`data/polish/`): the fit with LightGBM's
//! settings of the benchmark (400 trees, 15 leaves, η 0.05, row and column sampling 0.8),
//! prediction of 1,000,000 rows and exact TreeSHAP on 100,000 rows with a 400-tree depth-4
//! model. Compared with LightGBM and XGBoost by `benches/compare/credit_boosting.sh`, which
//! passes its XGBoost model in `FINKIT_BOOST_XGB_MODEL` so both sides predict and explain the
//! same trees; without it a finkit depth-4 model is fitted.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use finkit_benches::data_dir;
use finkit_credit::Fit;
use finkit_credit::boosting::{BoostedModel, BoostingParams};
use finkit_schema::{CsvOptions, Dataset};
use ndarray::Array2;

fn polish(file: &str) -> Dataset {
    Dataset::from_csv(
        data_dir().join("polish").join(file),
        &CsvOptions::default().with_target("bankrupt"),
    )
    .expect("bundled Polish data")
}

/// `rows` rows made by repeating the test rows.
fn tiled(model: &BoostedModel, test: &Dataset, rows: usize) -> Array2<f64> {
    let x = model.matrix_of(test).expect("matrix");
    Array2::from_shape_fn((rows, x.ncols()), |(i, j)| x[[i % x.nrows(), j]])
}

fn credit_boosting(c: &mut Criterion) {
    let train = polish("year1_train.csv");
    let test = polish("year1_test.csv");
    let mut group = c.benchmark_group("credit_boosting");
    group.sample_size(10);
    let lightgbm_like = BoostingParams::new().exclude(vec!["firm".into()]).build().expect("params");
    group.bench_function("fit_polish_400x15", |b| {
        b.iter(|| lightgbm_like.fit(black_box(&train)).expect("fit"))
    });
    // The same fit with the split search on exact f64 sums (LightGBM's own default): the
    // like-for-like line against LightGBM without `use_quantized_grad`.
    let exact = BoostingParams::new()
        .exclude(vec!["firm".into()])
        .quantized_gradients(false)
        .build()
        .expect("params");
    group.bench_function("fit_polish_400x15_exact", |b| {
        b.iter(|| exact.fit(black_box(&train)).expect("fit"))
    });
    let model = match std::env::var("FINKIT_BOOST_XGB_MODEL") {
        Ok(path) => BoostedModel::from_xgboost_json(
            &std::fs::read_to_string(&path).expect("the XGBoost model of the compare script"),
        )
        .expect("import"),
        Err(_) => BoostingParams::new()
            .max_depth(Some(4))
            .exclude(vec!["firm".into()])
            .build()
            .expect("params")
            .fit(&train)
            .expect("fit"),
    };
    let big = tiled(&model, &test, 1_000_000);
    group.bench_function("predict_1e6_400xdepth4", |b| {
        b.iter(|| model.pds(black_box(big.view())).expect("predict"))
    });
    let shap_rows = tiled(&model, &test, 100_000);
    group.bench_function("treeshap_1e5_400xdepth4", |b| {
        b.iter(|| model.contributions_batch(black_box(shap_rows.view())).expect("shap"))
    });
    group.finish();
}

criterion_group!(benches, credit_boosting);
criterion_main!(benches);
