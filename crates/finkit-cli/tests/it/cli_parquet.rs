//! With the `parquet` feature the credit and risk commands read Parquet files written by an
//! independent engine (pyarrow; see tests/data/PROVENANCE.md) and give exactly the output they
//! give on the CSV the Parquet file was made from.
#![cfg(feature = "parquet")]

use crate::common;

use common::{data, finkit, repo_data};

fn same_output(csv_args: &[&str], parquet_args: &[&str]) {
    let a = finkit(csv_args).ok().json();
    let b = finkit(parquet_args).ok().json();
    assert_eq!(a, b, "{parquet_args:?}");
}

#[test]
fn credit_bin_on_pyarrow_parquet_equals_csv() {
    let csv = repo_data("germancredit.csv");
    let parquet = data("germancredit_pyarrow.parquet");
    same_output(
        &["credit", "bin", "--csv", csv.to_str().unwrap(), "--target", "bad", "--json"],
        &["credit", "bin", "--csv", parquet.to_str().unwrap(), "--target", "bad", "--json"],
    );
}

#[test]
fn risk_portfolio_on_pyarrow_parquet_equals_csv() {
    let csv = repo_data("credit_portfolio.csv");
    let parquet = data("credit_portfolio_pyarrow.parquet");
    let (csv, parquet) = (csv.to_str().unwrap(), parquet.to_str().unwrap());
    same_output(
        &["risk", "portfolio", "--exposures", csv, "--scenarios", "2000", "--seed", "1", "--json"],
        &[
            "risk",
            "portfolio",
            "--exposures",
            parquet,
            "--scenarios",
            "2000",
            "--seed",
            "1",
            "--json",
        ],
    );
}

#[test]
fn a_bad_parquet_file_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake.parquet");
    std::fs::write(&fake, b"this is not parquet").unwrap();
    let p = fake.to_str().unwrap();
    finkit(&["credit", "bin", "--csv", p, "--target", "bad"])
        .bad_input(&["fake.parquet", "Parquet"]);
    // The portfolio file lacks the target the credit command asks for: the column is named.
    let portfolio = data("credit_portfolio_pyarrow.parquet");
    finkit(&["credit", "bin", "--csv", portfolio.to_str().unwrap(), "--target", "bad"])
        .bad_input(&["credit_portfolio_pyarrow.parquet", "\"bad\"", "no such column"]);
    // A table that is not a portfolio: the missing column is named.
    let german = data("germancredit_pyarrow.parquet");
    finkit(&["risk", "portfolio", "--exposures", german.to_str().unwrap()])
        .bad_input(&["germancredit_pyarrow.parquet", "\"obligor_id\""]);
}
