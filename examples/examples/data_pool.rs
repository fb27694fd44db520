//! The data pool: an embedded SQLite file, validated ingestion with a per-row report, point-in-
//! time statements, role-based masking, a keyed research export and a hash-chained audit trail.
//!
//! Run: `cargo run --release -p finkit-examples --example data_pool`

use std::error::Error;

use finkit_examples::output_dir;
use finkit_pool::synthetic::SyntheticParams;
use finkit_pool::{
    Batch, EntityKind, FirmFilter, IngestMode, PoolRead, PoolWrite, Principal, Pseudonymiser, Role,
    SqlitePool, StatementQuery,
};
use finkit_schema::chrono::NaiveDate;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = output_dir("data_pool")?;
    let db = dir.join("pool.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let pool = SqlitePool::open(&db)?;
    let admin = Principal::new("ops", Role::Admin);

    // Seeded SYNTHETIC data, written as CSV files in the ingestion layouts, then ingested.
    let data = SyntheticParams::builder().with_firms(200).with_seed(7).build()?.generate()?;
    let files = data.write_csv(dir.join("csv"))?;
    for kind in EntityKind::ALL {
        if let Some(path) = files.by_kind().into_iter().find(|(k, _)| *k == kind).map(|(_, p)| p) {
            let report =
                pool.ingest(&admin, &Batch::from_csv_path(kind, path)?, IngestMode::Strict)?;
            println!("{kind:?}: {} accepted, {} rejected", report.accepted, report.rejected.len());
        }
    }

    // A bad file: every rejected row comes back with its line, field and reason.
    let bad = dir.join("bad_exposures.csv");
    let header = std::fs::read_to_string(
        files
            .by_kind()
            .into_iter()
            .find(|(k, _)| *k == EntityKind::Exposures)
            .map(|(_, p)| p)
            .ok_or("no exposures file")?,
    )?
    .lines()
    .next()
    .unwrap_or_default()
    .to_owned();
    std::fs::write(&bad, format!("{header}\n"))?;
    let report = pool.ingest(
        &admin,
        &Batch::from_csv_path(EntityKind::Exposures, &bad)?,
        IngestMode::Lenient,
    )?;
    println!(
        "an empty exposure file: {} accepted, {} rejected",
        report.accepted,
        report.rejected.len()
    );

    // Point in time: what was known at two dates.
    let analyst = Principal::new("researcher", Role::Analyst);
    for day in [NaiveDate::from_ymd_opt(2023, 6, 30), NaiveDate::from_ymd_opt(2024, 12, 31)]
        .into_iter()
        .flatten()
    {
        let known = pool.statements_as_of(&analyst, day, &StatementQuery::latest())?;
        println!("statements known on {day}: {} (latest period per firm)", known.len());
    }

    // Masking: the analyst sees registration numbers masked; the credit officer does not.
    let filter = FirmFilter { tech_innovative: Some(true), ..FirmFilter::all() };
    let as_analyst = pool.firms(&analyst, &filter)?;
    let as_officer = pool.firms(&Principal::new("officer", Role::CreditOfficer), &filter)?;
    if let (Some(a), Some(o)) = (as_analyst.first(), as_officer.first()) {
        println!(
            "{} technology firms; registration number as analyst {:?}, as credit officer {:?}",
            as_analyst.len(),
            a.registration_number,
            o.registration_number
        );
    }

    // A research export with keyed pseudonyms (stable for one key).
    let key = Pseudonymiser::new(b"example key: keep it in a secret store")?;
    let export =
        pool.research_export(&analyst, NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("date")?, &key)?;
    println!(
        "research export: {} firms, first pseudonym {}",
        export.firms.len(),
        export.firms.first().map_or("-".into(), |f| f.id.to_string())
    );

    // A denied call is a typed error, and it is audited.
    let denied = pool.audit_log(&analyst);
    println!(
        "analyst reading the audit trail: {}",
        denied.err().map_or("allowed".into(), |e| e.to_string())
    );
    let status = pool.verify_audit(&Principal::new("audit", Role::Auditor))?;
    println!("audit trail: {} entries, intact: {}", status.entries, status.is_intact());
    Ok(())
}
