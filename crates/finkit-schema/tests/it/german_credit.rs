//! The bundled German credit file loads as documented, and bad files give errors naming the
//! file, line and column.

use std::path::PathBuf;

use finkit_schema::{Column, CsvOptions, Dataset, SchemaError};

fn data_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/germancredit.csv")
}

#[test]
fn german_credit_loads_with_documented_shape() -> Result<(), SchemaError> {
    let data = Dataset::from_csv(data_path(), &CsvOptions::default().with_target("bad"))?;
    assert_eq!(data.n_rows(), 1000);
    let names = data.feature_names();
    assert_eq!(names.len(), 21, "20 features + row_id");
    assert_eq!(names[0], "row_id");
    assert_eq!(data.target_name(), Some("bad"));
    let summary = data.summary();
    assert_eq!(summary.events, Some(300));
    assert_eq!(summary.missing_cells, 0);
    // Column kinds as listed in the reference metadata (germancredit_meta.json): 7 numeric
    // features plus row_id, 13 categorical.
    assert_eq!(summary.numeric_columns, 8);
    assert_eq!(summary.categorical_columns, 13);
    assert!(matches!(data.column("purpose")?, Column::Categorical(_)));
    assert_eq!(data.numeric("credit_amount")?[0], 1169.0);
    Ok(())
}

/// Writes `text` to a temporary file and loads it with target `bad`.
fn load_text(text: &str) -> (PathBuf, Result<Dataset, SchemaError>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, text).expect("write temporary file");
    let result = Dataset::from_csv(&path, &CsvOptions::default().with_target("bad"));
    (path, result, dir)
}

fn expect_csv_error(text: &str, want_line: u64, want_column: &str) {
    let (path, result, _dir) = load_text(text);
    match result {
        Err(err @ SchemaError::Csv { .. }) => {
            let SchemaError::Csv { path: p, line, column, .. } = &err else { unreachable!() };
            assert_eq!(p, &path);
            assert_eq!(*line, want_line, "{err}");
            assert_eq!(column, want_column, "{err}");
            let message = err.to_string();
            assert!(message.contains("bad.csv"), "message names the file: {message}");
            assert!(message.contains(&format!("line {want_line}")), "{message}");
        }
        other => panic!("expected a CSV error for {text:?}, got {other:?}"),
    }
}

#[test]
fn bad_files_name_file_line_and_column() {
    expect_csv_error("amount,bad\n1,0\n2,1,9\n", 3, "");
    expect_csv_error("amount,bad\n1,0\nabc,1\n", 3, "amount");
    expect_csv_error("amount,good\n1,0\n", 1, "bad");
    expect_csv_error("", 1, "");
    expect_csv_error("amount,bad\n1,0\n2,\n", 3, "bad");
    expect_csv_error("amount,bad\n1,0\ninf,1\n", 3, "amount");
}

#[test]
fn a_file_that_does_not_exist_names_the_path() {
    let err = Dataset::from_csv("/no/such/dir/credit.csv", &CsvOptions::default())
        .expect_err("missing file");
    assert!(matches!(err, SchemaError::Io { .. }));
    assert!(err.to_string().contains("/no/such/dir/credit.csv"));
}

#[test]
fn a_directory_is_not_a_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let err = Dataset::from_csv(dir.path(), &CsvOptions::default()).expect_err("directory");
    assert!(matches!(err, SchemaError::Io { .. }));
}
