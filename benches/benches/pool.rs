//! The data pool on an SQLite file: bulk ingest of validated statements, point-in-time reads of
//! the latest statement of every firm, and loading the loan book as a `Portfolio`.
//!
//! Targets (docs/PERFORMANCE.md): ingest ≥ 200,000 rows/s on 1,000,000 rows; `statements_as_of`
//! for 10,000 firms ≤ 50 ms; 100,000 exposures as a `Portfolio` ≤ 100 ms. Inputs are built
//! deterministically from the conformance fixtures (no randomness needed).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use finkit_pool::conformance::fixtures;
use finkit_pool::{
    Batch, IngestMode, PoolRead, PoolWrite, Principal, Record, Role, SqlitePool, StatementQuery,
};
use finkit_schema::{Amount, Exposure, Lgd, Maturity, Probability};

const INGEST_FIRMS: usize = 200_000;
const INGEST_YEARS: usize = 5; // 1,000,000 statements
const ASOF_FIRMS: usize = 10_000;
const BOOK: usize = 100_000;

fn admin() -> Principal {
    Principal::new("bench", Role::Admin)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("finkit-pool-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    remove_db(&path);
    path
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
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

/// `years` annual statements per firm; with `corrections`, every third firm's last year is
/// restated a month later (so point-in-time selection has versions to skip).
fn statements(n: usize, years: usize, corrections: bool) -> Batch {
    let mut rows = Vec::with_capacity(n * years + n / 3);
    for i in 0..n {
        let id = firm_id(i);
        for y in 0..years {
            let period = fixtures::date(2019 + y as i32, 12, 31).unwrap();
            let available = fixtures::date(2020 + y as i32, 4, 30).unwrap();
            let a = 1e6 * (1.0 + (i % 97) as f64 / 10.0) * (1.0 + y as f64 / 20.0);
            rows.push(Record::from(fixtures::statement(&id, period, available, a).unwrap()));
            if corrections && y + 1 == years && i % 3 == 0 {
                let restated = fixtures::date(2020 + y as i32, 5, 31).unwrap();
                rows.push(Record::from(
                    fixtures::statement(&id, period, restated, a * 1.01).unwrap(),
                ));
            }
        }
    }
    Batch::from_records(rows)
}

fn exposures(n: usize, firms: usize) -> Batch {
    Batch::from_records((0..n).map(|i| Exposure {
        loan_id: format!("BL{i:07}").parse().unwrap(),
        firm_id: firm_id(i % firms).parse().unwrap(),
        pd: Probability::new(0.002 + (i % 50) as f64 / 1000.0).unwrap(),
        lgd: Lgd::new(0.45).unwrap(),
        ead: Amount::new(1e5 + (i % 1000) as f64 * 100.0).unwrap(),
        maturity: Maturity::new(1.0 + (i % 5) as f64).unwrap(),
        sector: ["tech", "food", "retail", "energy"][i % 4].into(),
        annual_sales: if i % 2 == 0 { Some(Amount::new(20.0).unwrap()) } else { None },
        rating: None,
        currency: finkit_schema::Currency::EUR,
    }))
}

fn ingest(c: &mut Criterion) {
    let firms = firms(INGEST_FIRMS);
    let batch = statements(INGEST_FIRMS, INGEST_YEARS, false);
    let rows = batch.rows.len() as u64;
    let mut group = c.benchmark_group("pool");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(rows));
    group.bench_function("ingest_statements/1m_rows_sqlite_file", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A fresh file holding the firms; only the statement ingest is timed.
                let path = scratch("ingest.db");
                let pool = SqlitePool::open(&path).unwrap();
                pool.ingest(&admin(), &firms, IngestMode::Strict).unwrap();
                let start = Instant::now();
                let report = pool.ingest(&admin(), black_box(&batch), IngestMode::Strict).unwrap();
                total += start.elapsed();
                assert_eq!(report.accepted as u64, rows);
                drop(pool);
                remove_db(&path);
            }
            total
        });
    });
    group.finish();
}

fn reads(c: &mut Criterion) {
    let path = scratch("reads.db");
    let pool = SqlitePool::open(&path).unwrap();
    pool.ingest(&admin(), &firms(ASOF_FIRMS), IngestMode::Strict).unwrap();
    pool.ingest(&admin(), &statements(ASOF_FIRMS, 5, true), IngestMode::Strict).unwrap();
    pool.ingest(&admin(), &exposures(BOOK, ASOF_FIRMS), IngestMode::Strict).unwrap();
    let analyst = Principal::new("bench-analyst", Role::Analyst);
    let risk = Principal::new("bench-risk", Role::RiskOfficer);
    let as_of = fixtures::date(2024, 5, 15).unwrap();
    let latest = pool.statements_as_of(&analyst, as_of, &StatementQuery::latest()).unwrap();
    assert_eq!(latest.len(), ASOF_FIRMS);

    let mut group = c.benchmark_group("pool");
    group.sample_size(20);
    group.throughput(Throughput::Elements(ASOF_FIRMS as u64));
    group.bench_function("statements_as_of/latest_of_10k_firms", |b| {
        b.iter(|| {
            pool.statements_as_of(&analyst, black_box(as_of), &StatementQuery::latest()).unwrap()
        })
    });
    group.throughput(Throughput::Elements(BOOK as u64));
    group.bench_function("portfolio/100k_exposures", |b| {
        b.iter(|| pool.portfolio(black_box(&risk)).unwrap())
    });
    group.finish();
    drop(pool);
    remove_db(&path);
}

/// Issue 15: the point-in-time modelling table of 10,000 synthetic firms × 5 observation dates
/// (features known on each date, the credit events of the next 12 months as target), against
/// the anchor of the same run: the five audited `statements_as_of` reads it is built from.
/// Target: well under a second.
fn point_in_time(c: &mut Criterion) {
    use finkit_pool::dataset::PointInTimeParams;
    use finkit_pool::synthetic::SyntheticParams;
    let data = SyntheticParams::builder()
        .with_firms(ASOF_FIRMS)
        .with_applications(10)
        .with_loans(10)
        .with_seed(15)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    let pool = SqlitePool::in_memory().unwrap();
    let records: Vec<Record> = data
        .firms
        .iter()
        .cloned()
        .map(Record::from)
        .chain(data.statements.iter().cloned().map(Record::from))
        .chain(data.events.iter().cloned().map(Record::from))
        .collect();
    pool.ingest(&admin(), &Batch::from_records(records), IngestMode::Strict).unwrap();
    let analyst = Principal::new("bench-analyst", Role::Analyst);
    let dates: Vec<_> =
        (0..5u32).map(|k| data.as_of - finkit_schema::chrono::Months::new(12 * k)).collect();
    let params = PointInTimeParams::new(dates.clone(), 12).unwrap();
    let set = pool.point_in_time_dataset(&analyst, &params).unwrap();
    assert!(set.data.n_rows() > 3 * ASOF_FIRMS, "{} rows", set.data.n_rows());

    let mut group = c.benchmark_group("pool");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(set.data.n_rows() as u64));
    group.bench_function("point_in_time_dataset/10k_firms_x5_dates", |b| {
        b.iter(|| pool.point_in_time_dataset(&analyst, black_box(&params)).unwrap())
    });
    group.bench_function("point_in_time_anchor/5_statements_as_of_10k_firms", |b| {
        b.iter(|| {
            for d in &dates {
                black_box(pool.statements_as_of(&analyst, *d, &StatementQuery::all()).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, ingest, reads, point_in_time);
criterion_main!(benches);
