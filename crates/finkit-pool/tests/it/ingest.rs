//! Ingestion of bad CSV rows: every problem reported with its line, field and reason; strict mode
//! leaves the database file byte-for-byte unchanged; lenient mode commits exactly the valid rows.

use std::path::{Path, PathBuf};

use finkit_pool::{
    Batch, EntityKind, IngestMode, PoolError, PoolRead, PoolWrite, Principal, Role, SqlitePool,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn admin() -> Principal {
    Principal::new("ingest-test", Role::Admin)
}

/// A database file holding the three firms of `firms.csv`, closed (WAL checkpointed).
fn pool_with_firms(dir: &Path) -> PathBuf {
    let path = dir.join("pool.db");
    let pool = SqlitePool::open(&path).unwrap();
    let firms = Batch::from_csv_path(EntityKind::Firms, data("firms.csv")).unwrap();
    assert!(firms.rejected.is_empty(), "{:?}", firms.rejected);
    let report = pool.ingest(&admin(), &firms, IngestMode::Strict).unwrap();
    assert_eq!(report.accepted, 3);
    drop(pool);
    path
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn assert_rejected(report: &finkit_pool::IngestReport, line: u64, field: &str, reason_part: &str) {
    assert!(
        report
            .rejected
            .iter()
            .any(|r| r.line == line && r.field == field && r.reason.contains(reason_part)),
        "expected line {line} field {field:?} with {reason_part:?} in {:#?}",
        report.rejected
    );
}

#[test]
fn every_bad_exposure_row_is_reported_and_strict_mode_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = pool_with_firms(dir.path());
    let before = file_bytes(&path);
    let batch = Batch::from_csv_path(EntityKind::Exposures, data("exposures_bad.csv")).unwrap();

    let pool = SqlitePool::open(&path).unwrap();
    let err = pool.ingest(&admin(), &batch, IngestMode::Strict).unwrap_err();
    let PoolError::Rejected { report } = &err else { panic!("{err}") };
    assert_eq!(report.accepted, 0);
    assert_rejected(report, 4, "ead", "not a number: \"12x5\"");
    assert_rejected(report, 5, "ead", "-5000");
    assert_rejected(report, 6, "pd", "1.7");
    assert_rejected(report, 7, "firm_id", "unknown firm id \"F999\"");
    assert_rejected(report, 9, "loan_id", "\"L002\"");
    assert_eq!(report.rejected_rows(), 5, "{:#?}", report.rejected);
    drop(pool);
    assert_eq!(file_bytes(&path), before, "strict rejection changed the database file");
    assert!(
        !dir.path().join("pool.db-wal").exists()
            || file_bytes(&dir.path().join("pool.db-wal")).is_empty()
    );

    let pool = SqlitePool::open(&path).unwrap();
    let report = pool.ingest(&admin(), &batch, IngestMode::Lenient).unwrap();
    assert_eq!(report.accepted, 4, "lines 2, 3, 8 (identical repeat) and 10");
    assert_eq!(report.unchanged, 1);
    assert_eq!(report.rejected_rows(), 5);
    let book = pool.exposures(&admin()).unwrap();
    let ids: Vec<&str> = book.iter().map(|e| e.loan_id.as_str()).collect();
    assert_eq!(ids, ["L001", "L002", "L007"]);
    assert_eq!(book[1].pd.get(), 0.01, "the first L002 stays, the conflicting one is rejected");

    // Re-ingesting the same file is idempotent.
    let again = pool.ingest(&admin(), &batch, IngestMode::Lenient).unwrap();
    assert_eq!((again.accepted, again.unchanged), (4, 4));
    assert_eq!(pool.exposures(&admin()).unwrap(), book);
}

#[test]
fn every_bad_statement_row_is_reported_and_corrections_are_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = pool_with_firms(dir.path());
    let before = file_bytes(&path);
    let batch = Batch::from_csv_path(EntityKind::Statements, data("statements_bad.csv")).unwrap();
    let pool = SqlitePool::open(&path).unwrap();
    let err = pool.ingest(&admin(), &batch, IngestMode::Strict).unwrap_err();
    let report = err.rejected_report().unwrap();
    assert_rejected(report, 3, "available_at", "not_before_period_end");
    assert_rejected(report, 4, "capex", "not a number: \"fifty\"");
    assert_rejected(report, 7, "firm_id+period_end+available_at", "F001/2023-12-31/2024-04-30");
    assert_eq!(report.rejected_rows(), 3);
    drop(pool);
    assert_eq!(file_bytes(&path), before);

    let pool = SqlitePool::open(&path).unwrap();
    let report = pool.ingest(&admin(), &batch, IngestMode::Lenient).unwrap();
    assert_eq!(report.accepted, 3);
    let versions = pool.statement_versions(&admin(), &"F001".parse().unwrap()).unwrap();
    assert_eq!(versions.len(), 2, "original and correction are both kept");
    assert_eq!(versions[0].revenue, 1200.0, "the conflicting row did not overwrite the original");
}

#[test]
fn report_serialises_to_the_cli_contract() {
    let pool = SqlitePool::in_memory().unwrap();
    let batch = Batch::from_csv_path(EntityKind::Exposures, data("exposures_bad.csv")).unwrap();
    let report = pool.ingest(&admin(), &batch, IngestMode::Lenient).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let obj = json.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["accepted", "rejected"]);
    // No firms in this pool: every parsed row names an unknown firm.
    assert_eq!(obj["accepted"], 0);
    let first = obj["rejected"][0].as_object().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["field", "line", "reason"]);
    assert_eq!(first["line"], 2);
    let back: finkit_pool::IngestReport = serde_json::from_value(json).unwrap();
    assert_eq!(back.rejected, report.rejected);
}

#[test]
fn json_arrays_and_json_lines_ingest_like_csv() {
    let pool = SqlitePool::in_memory().unwrap();
    let firms = finkit_pool::conformance::fixtures::firms().unwrap();
    let text = serde_json::to_string_pretty(&firms).unwrap();
    let batch = Batch::from_json_str(EntityKind::Firms, &text, "firms.json").unwrap();
    assert_eq!(pool.ingest(&admin(), &batch, IngestMode::Strict).unwrap().accepted, 3);
    assert_eq!(pool.firms(&admin(), &Default::default()).unwrap(), firms);

    let lines = format!(
        "{}\n\n{}\n{}\n",
        r#"{"loan_id":"L1","firm_id":"FIRM-ALPHA-01","pd":0.02,"lgd":0.45,"ead":1000.0,"maturity":2.0,"sector":"tech","annual_sales":null,"rating":null,"currency":"EUR"}"#,
        r#"{"loan_id":"L2","firm_id":"FIRM-ALPHA-01","pd":1.7,"lgd":0.45,"ead":1000.0,"maturity":2.0,"sector":"tech","annual_sales":null,"rating":null,"currency":"EUR"}"#,
        r#"{"loan_id":"L3","firm_id":"NOPE","pd":0.1,"lgd":0.45,"ead":1000.0,"maturity":2.0,"sector":"tech","annual_sales":null,"rating":null,"currency":"EUR"}"#,
    );
    let batch = Batch::from_json_str(EntityKind::Exposures, &lines, "book.jsonl").unwrap();
    let err = pool.ingest(&admin(), &batch, IngestMode::Strict).unwrap_err();
    let report = err.rejected_report().unwrap();
    assert_rejected(report, 3, "pd", "probability must be in [0, 1], got 1.7");
    assert_rejected(report, 4, "firm_id", "unknown firm id \"NOPE\"");
    assert!(pool.exposures(&admin()).unwrap().is_empty());
}

#[test]
fn malformed_files_are_typed_errors() {
    let err = Batch::from_csv_path(EntityKind::Exposures, data("firms.csv")).unwrap_err();
    assert!(matches!(err, PoolError::Format { .. }), "{err}");
    let err = Batch::from_csv_path(EntityKind::Firms, data("missing.csv")).unwrap_err();
    assert!(matches!(err, PoolError::Io { .. }), "{err}");
    let err = Batch::from_json_str(EntityKind::Firms, "[1, 2", "x.json").unwrap_err();
    assert!(matches!(err, PoolError::Format { .. }), "{err}");
    // A row with a missing cell is a rejected row, not a file error.
    let b = Batch::from_csv_reader(
        EntityKind::Prices,
        "instrument,date,price\nX,2024-01-01\n".as_bytes(),
        "p",
    )
    .unwrap();
    assert_eq!(b.rejected[0].line, 2);
    assert!(b.rejected[0].reason.contains("2 fields"), "{}", b.rejected[0].reason);
}
