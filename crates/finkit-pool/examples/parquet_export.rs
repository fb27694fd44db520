//! Writes a Parquet export of a synthetic pool plus `expected.json`, the row counts and sums
//! the pool itself reports, for an independent reader (`scripts/check_parquet.py`) to check.
//!
//! ```text
//! cargo run --release -p finkit-pool --features parquet --example parquet_export -- OUT_DIR [FIRMS]
//! cargo run --release -p finkit-pool --features parquet --example parquet_export -- --time-statements N OUT_DIR
//! ```
//!
//! The second form times the export of `N` statements (read from an SQLite pool, then written),
//! and the writer alone.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use finkit_pool::conformance::fixtures;
use finkit_pool::export::{ExportOptions, StatementVersions, export_parquet, write_statements};
use finkit_pool::synthetic::SyntheticParams;
use finkit_pool::{
    ApplicationFilter, Batch, EntityKind, FirmFilter, IngestMode, PoolRead, PoolWrite,
    PriceObservation, Principal, Pseudonymiser, Record, Role, SqlitePool, StatementQuery,
};
use serde_json::json;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, n, out] if flag == "--time-statements" => {
            time_statements(n.parse()?, Path::new(out))
        }
        [out] => export_synthetic(Path::new(out), 2_000),
        [out, firms] => export_synthetic(Path::new(out), firms.parse()?),
        _ => Err("usage: parquet_export OUT_DIR [FIRMS] | --time-statements N OUT_DIR".into()),
    }
}

fn export_synthetic(out: &Path, firms: usize) -> Result<()> {
    let admin = Principal::new("export-admin", Role::Admin);
    let data = SyntheticParams::builder()
        .with_firms(firms)
        .with_seed(42)
        .with_listed(20)
        .build()?
        .generate()?;
    let mut records: Vec<Record> = data.firms.iter().cloned().map(Record::from).collect();
    records.extend(data.statements.iter().cloned().map(Record::from));
    records.extend(data.applications.iter().cloned().map(Record::from));
    records.extend(data.exposures.iter().cloned().map(Record::from));
    records.extend(data.events.iter().cloned().map(Record::from));
    for s in &data.prices {
        for (date, price) in s.dates().iter().zip(s.prices()) {
            records.push(Record::from(PriceObservation {
                instrument: s.instrument().clone(),
                date: *date,
                price: *price,
            }));
        }
    }
    let pool = SqlitePool::in_memory()?;
    pool.ingest(&admin, &Batch::from_records(records), IngestMode::Strict)?;

    // Full history for the admin, as the pool reports it.
    let end = NaiveDate::from_ymd_opt(9999, 12, 31).ok_or("date")?;
    let options = ExportOptions { statements: StatementVersions::All, ..ExportOptions::as_of(end) };
    let full = out.join("full");
    let manifest = export_parquet(&pool, &admin, &full, &options)?;

    // What the pool itself reports, computed from its reads (not from the files).
    let firms_read = pool.firms(&admin, &FirmFilter::all())?;
    let mut statements = Vec::new();
    for f in &firms_read {
        statements.extend(pool.statement_versions(&admin, &f.id)?);
    }
    let mut per_period: BTreeMap<String, usize> = BTreeMap::new();
    for s in &statements {
        *per_period.entry(s.period_end.format("%Y").to_string()).or_default() += 1;
    }
    let exposures = pool.exposures(&admin)?;
    let events = pool.credit_events(&admin, None)?;
    let mut prices = 0usize;
    for i in pool.instruments(&admin)? {
        prices += pool.price_series(&admin, &i)?.len();
    }
    let latest = pool.statements_as_of(&admin, data.as_of, &StatementQuery::latest())?;
    let expected = json!({
        "rows": {
            "firms": firms_read.len(),
            "statements": statements.len(),
            "applications": pool.applications(&admin, &ApplicationFilter::default())?.len(),
            "exposures": exposures.len(),
            "credit_events": events.len(),
            "prices": prices,
        },
        "statements_per_period": per_period,
        "sum_total_assets": statements.iter().map(|s| s.total_assets).sum::<f64>(),
        "sum_revenue": statements.iter().map(|s| s.revenue).sum::<f64>(),
        "distinct_statement_firms": statements.iter().map(|s| s.firm_id.as_str()).collect::<std::collections::BTreeSet<_>>().len(),
        "sum_ead": exposures.iter().map(|e| e.ead.get()).sum::<f64>(),
        "ead_weighted_pd": exposures.iter().map(|e| e.ead.get() * e.pd.get()).sum::<f64>()
            / exposures.iter().map(|e| e.ead.get()).sum::<f64>(),
        "high_tech_certified_firms": firms_read.iter().filter(|f| f.tech.high_tech_certified).count(),
        "latest_statements_as_of": data.as_of.to_string(),
        "latest_statement_count": latest.len(),
    });

    // A research export for an analyst: pseudonymised, masked, fewer tables.
    let analyst = Principal::new("ann", Role::Analyst);
    let key = Pseudonymiser::new(b"example-research-key-not-secret")?;
    let research = ExportOptions {
        pseudonymiser: Some(key),
        tables: vec![EntityKind::Firms, EntityKind::Statements, EntityKind::CreditEvents],
        ..ExportOptions::as_of(data.as_of)
    };
    let research_manifest = export_parquet(&pool, &analyst, out.join("research"), &research)?;
    let expected = json!({
        "full": expected,
        "research": {
            "rows": research_manifest.tables.iter().map(|(k, t)| (k.clone(), t.rows)).collect::<BTreeMap<_, _>>(),
            "real_firm_ids_sample": firms_read.iter().take(20).map(|f| f.id.to_string()).collect::<Vec<_>>(),
            "registration_numbers_sample": data.firms.iter().take(20).map(|f| f.registration_number.clone()).collect::<Vec<_>>(),
        },
    });
    std::fs::write(out.join("expected.json"), serde_json::to_string_pretty(&expected)?)?;
    println!(
        "wrote {} ({} statements in {} files) and {}",
        full.display(),
        manifest.tables["statements"].rows,
        manifest.tables["statements"].files.len(),
        out.join("expected.json").display()
    );
    Ok(())
}

fn time_statements(n: usize, out: &Path) -> Result<()> {
    let admin = Principal::new("bench-admin", Role::Admin);
    let years = 5;
    let firms = n.div_ceil(years);
    let template = fixtures::firms()?.remove(0);
    let mut records = Vec::with_capacity(firms * (years + 1));
    for i in 0..firms {
        let mut f = template.clone();
        f.id = format!("F{i:07}").parse()?;
        records.push(Record::from(f));
    }
    let mut statements = Vec::with_capacity(n);
    'outer: for i in 0..firms {
        for y in 0..years {
            if statements.len() == n {
                break 'outer;
            }
            let year = 2019 + y as i32;
            let period = fixtures::date(year, 12, 31)?;
            let available = fixtures::date(year + 1, 4, 30)?;
            let a = 1_000.0 + (i * years + y) as f64;
            statements.push(fixtures::statement(&format!("F{i:07}"), period, available, a)?);
        }
    }
    records.extend(statements.iter().cloned().map(Record::from));
    let dir = tempfile_dir(out)?;
    let pool = SqlitePool::open(dir.join("pool.db"))?;
    pool.ingest(&admin, &Batch::from_records(records), IngestMode::Strict)?;

    let as_of = fixtures::date(2030, 1, 1)?;
    let options =
        ExportOptions { tables: vec![EntityKind::Statements], ..ExportOptions::as_of(as_of) };
    let t = Instant::now();
    let m = export_parquet(&pool, &admin, dir.join("pool-export"), &options)?;
    let full = t.elapsed();
    let t = Instant::now();
    let w = write_statements(dir.join("writer-only"), &statements, &options)?;
    let writer = t.elapsed();
    println!(
        "{} statements: export from an SQLite pool (read + write) {:.2} s, writer only {:.2} s ({} and {} rows, {} partitions)",
        n,
        full.as_secs_f64(),
        writer.as_secs_f64(),
        m.tables["statements"].rows,
        w.rows,
        w.files.len()
    );
    Ok(())
}

fn tempfile_dir(out: &Path) -> Result<std::path::PathBuf> {
    if out.exists() {
        return Err(format!("{} exists; give a new directory", out.display()).into());
    }
    std::fs::create_dir_all(out)?;
    Ok(out.to_path_buf())
}
