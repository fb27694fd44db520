//! The data pool at scale: PostgreSQL bulk ingest over loopback and Parquet export.
//!
//! Targets (docs/PERFORMANCE.md): PostgreSQL ingest of validated statements ≥ 50,000 rows/s;
//! Parquet export of 1,000,000 statements ≤ 5 s. Built only with the `pool-scale` feature
//! (arrow, parquet and postgres compile slowly):
//!
//! ```text
//! source .ci/postgres.sh && pg_start
//! cargo bench -p finkit-benches --features pool-scale --bench pool_scale
//! ```
//!
//! The PostgreSQL group is skipped with a message when `FINKIT_PG_URL` is not set. Inputs are
//! built deterministically from the conformance fixtures.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use finkit_pool::conformance::fixtures;
use finkit_pool::export::{ExportOptions, write_statements};
use finkit_pool::{
    Batch, IngestMode, PG_URL_ENV, PoolWrite, PostgresOptions, PostgresPool, Principal, Role,
};
use finkit_schema::FinancialStatement;

const PG_FIRMS: usize = 40_000;
const YEARS: usize = 5; // 200,000 statements per PostgreSQL ingest
const EXPORT_FIRMS: usize = 200_000; // 1,000,000 statements per export

fn admin() -> Principal {
    Principal::new("bench", Role::Admin)
}

fn firm_id(i: usize) -> String {
    format!("BF{i:07}")
}

fn firms(n: usize) -> Batch {
    let template = fixtures::firms().unwrap().remove(1);
    Batch::from_records((0..n).map(|i| {
        let mut f = template.clone();
        f.id = firm_id(i).parse().unwrap();
        f
    }))
}

fn statements(n: usize, years: usize) -> Vec<FinancialStatement> {
    let mut rows = Vec::with_capacity(n * years);
    for i in 0..n {
        let id = firm_id(i);
        for y in 0..years {
            let year = 2019 + y as i32;
            let period = fixtures::date(year, 12, 31).unwrap();
            let available = fixtures::date(year + 1, 4, 30).unwrap();
            let a = 1_000_000.0 + (i * years + y) as f64;
            rows.push(fixtures::statement(&id, period, available, a).unwrap());
        }
    }
    rows
}

fn postgres_ingest(c: &mut Criterion) {
    let Ok(url) = std::env::var(PG_URL_ENV) else {
        eprintln!("skipping pool_scale/postgres: {PG_URL_ENV} is not set (see .ci/postgres.sh)");
        return;
    };
    let batch = Batch::from_records(statements(PG_FIRMS, YEARS));
    let firm_batch = firms(PG_FIRMS);
    let mut group = c.benchmark_group("pool_scale");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements((PG_FIRMS * YEARS) as u64));
    let mut run = 0usize;
    group.bench_function("postgres_ingest_statements/200k_rows_loopback", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                run += 1;
                let schema = format!("bench_{}_{run}", std::process::id());
                let pool =
                    PostgresPool::connect(&url, &PostgresOptions::with_schema(schema).creating())
                        .unwrap();
                pool.ingest(&admin(), &firm_batch, IngestMode::Strict).unwrap();
                // Only the statement ingest (validation, key checks, inserts, commit) is timed.
                let t = Instant::now();
                let report = pool.ingest(&admin(), black_box(&batch), IngestMode::Strict).unwrap();
                total += t.elapsed();
                assert_eq!(report.accepted, PG_FIRMS * YEARS);
                pool.drop_pool().unwrap();
            }
            total
        });
    });
    group.finish();
}

fn parquet_export(c: &mut Criterion) {
    let rows = statements(EXPORT_FIRMS, YEARS);
    let options = ExportOptions::as_of(fixtures::date(2030, 1, 1).unwrap());
    let root = std::env::temp_dir().join(format!("finkit-parquet-bench-{}", std::process::id()));
    let mut group = c.benchmark_group("pool_scale");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("parquet_write_statements/1m_rows", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let _ = std::fs::remove_dir_all(&root);
                let t = Instant::now();
                let table = write_statements(&root, black_box(&rows), &options).unwrap();
                total += t.elapsed();
                assert_eq!(table.rows as usize, rows.len());
            }
            total
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, postgres_ingest, parquet_export);
criterion_main!(benches);
