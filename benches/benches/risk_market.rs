//! Market risk on the S&P 500 (5030 daily log returns, 1999–2018): GARCH(1,1) fits and the
//! 4780 rolling one-day-ahead historical VaR/ES forecasts. `benches/compare/risk_market.sh`
//! times the Python anchors (arch, pandas) in the same run and prints the ratios.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_risk::market::{
    Ewma, GarchParams, Innovation, RollingMethod, RollingParams, SdConvention, log_returns,
};
use ndarray::Array1;

/// The S&P 500 closes the finkit-risk reference tests use (`tests/data/sp500.csv`).
fn sp500_returns() -> Array1<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/finkit-risk/tests/data/sp500.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let prices: Array1<f64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .map(|v| v.trim().parse::<f64>().expect("a price"))
        .collect();
    log_returns(&prices).expect("valid prices")
}

fn garch(c: &mut Criterion) {
    let r = sp500_returns();
    let mut group = c.benchmark_group("risk_market");
    group.throughput(Throughput::Elements(r.len() as u64));
    for (name, innov) in [("normal", Innovation::Normal), ("t", Innovation::StudentT)] {
        let spec = GarchParams::new().innovation(innov);
        group.bench_function(format!("garch11_fit/{name}"), |b| {
            b.iter(|| spec.fit(black_box(&r)).expect("fit"))
        });
    }
    group.finish();
}

fn rolling(c: &mut Criterion) {
    let r = sp500_returns();
    let n_forecasts = (r.len() - 250) as u64;
    let mut group = c.benchmark_group("risk_market");
    group.throughput(Throughput::Elements(n_forecasts));
    let cases = [
        ("rolling_hs_var_es_99", RollingMethod::default()),
        ("rolling_normal_var_es_99", RollingMethod::Normal { sd: SdConvention::Sample }),
        ("rolling_ewma_var_es_99", RollingMethod::Ewma(Ewma::default())),
    ];
    for (name, method) in cases {
        let params = RollingParams::new(0.99, method).expect("params");
        group
            .bench_function(name, |b| b.iter(|| params.forecast(black_box(&r)).expect("forecast")));
    }
    group.finish();
}

criterion_group!(benches, garch, rolling);
criterion_main!(benches);
