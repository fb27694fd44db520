//! Parquet export and import: round trip through a different backend, point in time,
//! pseudonymisation and masking, and bad inputs.
#![cfg(feature = "parquet")]

use chrono::NaiveDate;
use finkit_pool::export::{
    self, ExportOptions, MANIFEST_FILE, StatementVersions, export_parquet, import_parquet,
    read_export,
};
use finkit_pool::synthetic::SyntheticParams;
use finkit_pool::{
    ApplicationFilter, Batch, EntityKind, FirmFilter, IngestMode, MemoryPool, PoolError, PoolRead,
    PoolWrite, PriceObservation, Principal, Pseudonymiser, Record, Role, SqlitePool,
    StatementQuery, SyntheticDataset,
};

fn admin() -> Principal {
    Principal::new("export-admin", Role::Admin)
}

fn dataset() -> SyntheticDataset {
    SyntheticParams::builder()
        .with_firms(80)
        .with_seed(11)
        .with_restatement_share(0.3)
        .with_listed(5)
        .with_price_days(60)
        .build()
        .unwrap()
        .generate()
        .unwrap()
}

fn records(d: &SyntheticDataset) -> Vec<Record> {
    let mut v: Vec<Record> = d.firms.iter().cloned().map(Record::from).collect();
    v.extend(d.statements.iter().cloned().map(Record::from));
    v.extend(d.applications.iter().cloned().map(Record::from));
    v.extend(d.exposures.iter().cloned().map(Record::from));
    v.extend(d.events.iter().cloned().map(Record::from));
    for s in &d.prices {
        for (date, price) in s.dates().iter().zip(s.prices()) {
            v.push(Record::from(PriceObservation {
                instrument: s.instrument().clone(),
                date: *date,
                price: *price,
            }));
        }
    }
    v
}

fn loaded_sqlite(d: &SyntheticDataset) -> SqlitePool {
    let pool = SqlitePool::in_memory().unwrap();
    pool.ingest(&admin(), &Batch::from_records(records(d)), IngestMode::Strict).unwrap();
    pool
}

fn end_of_time() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()
}

/// Everything admin can read, in the trait's fixed order.
fn snapshot<P: PoolRead<Error = PoolError>>(pool: &P) -> String {
    let a = admin();
    let firms = pool.firms(&a, &FirmFilter::all()).unwrap();
    let mut versions = Vec::new();
    for f in &firms {
        versions.extend(pool.statement_versions(&a, &f.id).unwrap());
    }
    let mut prices = Vec::new();
    for i in pool.instruments(&a).unwrap() {
        prices.push(pool.price_series(&a, &i).unwrap());
    }
    format!(
        "{firms:?}\n{versions:?}\n{:?}\n{:?}\n{:?}\n{prices:?}",
        pool.applications(&a, &ApplicationFilter::default()).unwrap(),
        pool.exposures(&a).unwrap(),
        pool.credit_events(&a, None).unwrap(),
    )
}

#[test]
fn export_then_import_into_another_backend_is_equal() {
    let d = dataset();
    assert!(d.statements.len() > 300 && !d.events.is_empty() && !d.prices.is_empty());
    let source = loaded_sqlite(&d);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let options =
        ExportOptions { statements: StatementVersions::All, ..ExportOptions::as_of(end_of_time()) };
    let manifest = export_parquet(&source, &admin(), &out, &options).unwrap();
    assert_eq!(manifest.tables["statements"].rows as usize, d.statements.len());
    assert_eq!(manifest.tables["firms"].rows as usize, d.firms.len());
    assert_eq!(manifest.sensitive_fields, "clear");
    assert!(!manifest.pseudonymised);
    // Hive-style partitions by year.
    assert!(
        out.join("statements")
            .read_dir()
            .unwrap()
            .all(|e| { e.unwrap().file_name().to_string_lossy().starts_with("period=") })
    );
    assert!(out.join("firms/part-00000.parquet").is_file());

    let target = MemoryPool::default();
    let report = import_parquet(&target, &admin(), &out, IngestMode::Strict).unwrap();
    assert!(report.rejected.is_empty());
    assert_eq!(snapshot(&source), snapshot(&target));

    // Importing again is idempotent (natural keys), and re-exporting gives the same data.
    let again = import_parquet(&target, &admin(), &out, IngestMode::Strict).unwrap();
    assert_eq!(again.unchanged, again.accepted);
    let out2 = dir.path().join("export2");
    export_parquet(&target, &admin(), &out2, &options).unwrap();
    assert_eq!(read_export(&out).unwrap().1, read_export(&out2).unwrap().1);
}

#[test]
fn as_of_exports_hold_what_was_known_then() {
    let d = dataset();
    let pool = loaded_sqlite(&d);
    let as_of = d.as_of - chrono::Duration::days(400);
    let dir = tempfile::tempdir().unwrap();
    export_parquet(&pool, &admin(), dir.path(), &ExportOptions::as_of(as_of)).unwrap();
    let (manifest, data) = read_export(dir.path()).unwrap();
    assert_eq!(manifest.as_of, as_of);
    let known = pool.statements_as_of(&admin(), as_of, &StatementQuery::all()).unwrap();
    let mut exported = data.statements;
    exported.sort_by(|a, b| {
        (a.firm_id.as_str(), a.period_end, a.available_at).cmp(&(
            b.firm_id.as_str(),
            b.period_end,
            b.available_at,
        ))
    });
    assert_eq!(exported, known);
    assert!(data.credit_events.iter().all(|e| e.date <= as_of));
    assert!(data.prices.iter().all(|p| p.date <= as_of));
}

#[test]
fn research_exports_are_pseudonymised_and_masked() {
    let d = dataset();
    let pool = loaded_sqlite(&d);
    let key = Pseudonymiser::new(b"research-project-key-2024").unwrap();
    let analyst = Principal::new("ann", Role::Analyst);
    let dir = tempfile::tempdir().unwrap();
    // The analyst may not read applications or exposures: asking for every table is denied.
    let all = ExportOptions { pseudonymiser: Some(key.clone()), ..ExportOptions::as_of(d.as_of) };
    let denied = export_parquet(&pool, &analyst, dir.path().join("all"), &all).unwrap_err();
    assert!(denied.is_access_denied(), "{denied}");

    let options = ExportOptions {
        tables: vec![
            EntityKind::Firms,
            EntityKind::Statements,
            EntityKind::CreditEvents,
            EntityKind::Prices,
        ],
        ..all
    };
    let out = dir.path().join("research");
    let manifest = export_parquet(&pool, &analyst, &out, &options).unwrap();
    assert!(manifest.pseudonymised);
    assert_eq!(manifest.sensitive_fields, "masked");
    assert_eq!(manifest.role, "analyst");
    let (_, data) = read_export(&out).unwrap();
    let expected: std::collections::BTreeSet<String> =
        d.firms.iter().map(|f| key.pseudonym(&f.id).to_string()).collect();
    let got: std::collections::BTreeSet<String> =
        data.firms.iter().map(|f| f.id.to_string()).collect();
    assert_eq!(got, expected);
    assert!(data.statements.iter().all(|s| expected.contains(s.firm_id.as_str())));
    assert!(data.credit_events.iter().all(|e| expected.contains(e.firm_id.as_str())));
    // No real id, name, registration number or contact appears anywhere in the export.
    let text = format!("{data:?}");
    for f in &d.firms {
        for secret in [Some(f.id.as_str()), Some(f.name.as_str()), Some(&f.registration_number)]
            .into_iter()
            .chain([f.contact_name.as_deref(), f.contact_email.as_deref()])
            .flatten()
        {
            assert!(!text.contains(&format!("\"{secret}\"")), "{secret} leaked");
        }
    }
    // Listed firms' price series are renamed with the same pseudonym.
    let listed: Vec<String> =
        d.truth.iter().filter_map(|t| t.instrument.as_ref()).map(|i| i.to_string()).collect();
    assert!(!listed.is_empty());
    for p in &data.prices {
        assert!(!listed.contains(&p.instrument.to_string()), "{} not pseudonymised", p.instrument);
    }
    // The export is audited.
    let auditor = Principal::new("audrey", Role::Auditor);
    let log = pool.audit_log(&auditor).unwrap();
    assert!(
        log.iter().any(|e| e.principal == "ann" && e.action == "export" && e.outcome == "allowed")
    );
    assert!(log.iter().any(|e| e.principal == "ann" && e.outcome == "denied"));
}

#[test]
fn bad_exports_are_typed_errors() {
    let d = dataset();
    let pool = loaded_sqlite(&d);
    let dir = tempfile::tempdir().unwrap();
    // Missing directory.
    let missing = read_export(dir.path().join("nothing")).unwrap_err();
    assert!(matches!(missing, PoolError::Io { .. }), "{missing:?}");
    // Non-empty target.
    std::fs::write(dir.path().join("x.txt"), "x").unwrap();
    let busy = export_parquet(&pool, &admin(), dir.path(), &ExportOptions::as_of(d.as_of));
    assert!(matches!(busy, Err(PoolError::Format { .. })), "{busy:?}");

    let out = dir.path().join("ok");
    export_parquet(&pool, &admin(), &out, &ExportOptions::as_of(d.as_of)).unwrap();
    // A manifest from a newer writer is refused.
    let manifest_path = out.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    let future = text.replacen(
        &format!("\"schema_version\": {}", export::EXPORT_SCHEMA_VERSION),
        "\"schema_version\": 99",
        1,
    );
    std::fs::write(&manifest_path, &future).unwrap();
    let err = read_export(&out).unwrap_err();
    assert!(err.to_string().contains("99"), "{err}");
    std::fs::write(&manifest_path, &text).unwrap();
    // A truncated Parquet file is an error, not a panic.
    let file = out.join("firms/part-00000.parquet");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_export(&out).unwrap_err();
    assert!(matches!(err, PoolError::Parquet(_)), "{err:?}");
    // A file swapped for another table's is caught by the column check.
    let other = std::fs::read(out.join("exposures/part-00000.parquet")).unwrap();
    std::fs::write(&file, other).unwrap();
    let err = read_export(&out).unwrap_err();
    assert!(
        matches!(err, PoolError::Format { .. }) && err.to_string().contains("missing column"),
        "{err}"
    );
}
