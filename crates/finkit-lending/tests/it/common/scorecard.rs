//! A `finkit_credit` scorecard fitted on a seeded synthetic training table whose columns are
//! named as `finkit_lending::model::features_record` names them.

use finkit_credit::binning::{BinningParams, BinningProcessParams, PreBinning, UnseenPolicy};
use finkit_credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
use finkit_credit::{LogisticModel, LogisticParams};
use finkit_schema::{Column, Dataset};
use ndarray::Array1;

/// Rows of the training table (changing it, the seed or the generating model changes the card
/// and every decision of the scorecard tests).
pub(crate) const ROWS: usize = 5_000;
pub(crate) const SEED: u64 = 20_250_101;
/// The card's name (its model id is `finkit-scorecard:<name>`).
pub(crate) const NAME: &str = "synthetic-sme/1";

/// SplitMix64 → a uniform in [0, 1): a dependency-free seeded generator for the table.
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The training table: six ratios, some missing, and a default flag drawn from a known
/// logistic model (riskier with leverage, safer with coverage, profit, liquidity, age, growth).
pub(crate) fn training_table() -> Dataset {
    let mut s = SEED;
    let mut cols: [Vec<f64>; 6] = Default::default();
    let mut bad = Vec::with_capacity(ROWS);
    for _ in 0..ROWS {
        let mut u = |lo: f64, hi: f64| lo + (hi - lo) * uniform(&mut s);
        let leverage = u(0.1, 1.2);
        let coverage = u(-2.0, 12.0);
        let roa = u(-0.15, 0.2);
        let current = u(0.4, 3.0);
        let years = u(0.0, 40.0).floor();
        let growth = u(-0.3, 0.6);
        let (cov_missing, growth_missing, draw) = (u(0.0, 1.0), u(0.0, 1.0), u(0.0, 1.0));
        let eta = -2.8 + 3.5 * (leverage - 0.6)
            - 0.25 * (coverage.min(8.0) - 3.0)
            - 12.0 * roa
            - 0.8 * (current - 1.5)
            - 0.04 * (years - 10.0)
            - 1.5 * growth;
        bad.push(if draw < 1.0 / (1.0 + (-eta).exp()) { 1.0 } else { 0.0 });
        let coverage = if cov_missing < 0.05 { f64::NAN } else { coverage };
        let growth = if growth_missing < 0.10 { f64::NAN } else { growth };
        for (c, v) in cols.iter_mut().zip([leverage, coverage, roa, current, years, growth]) {
            c.push(v);
        }
    }
    let names = [
        "leverage",
        "interest_coverage",
        "net_income_to_assets",
        "current_ratio",
        "years_in_business",
        "revenue_growth",
    ];
    let columns = names
        .iter()
        .zip(cols)
        .map(|(n, c)| ((*n).to_owned(), Column::Numeric(Array1::from(c))))
        .collect();
    Dataset::new(columns, Some(("bad".into(), Array1::from(bad)))).unwrap()
}

/// The card saved in `tests/data/synthetic_scorecard.json` (a fit of [`training_table`], as a
/// bank would ship it): the decision tests use it, so their goldens do not move with the last
/// bit of a refit.
pub(crate) fn saved_card() -> Scorecard {
    Scorecard::from_json(include_str!("../../data/synthetic_scorecard.json")).unwrap()
}

/// Monotone optimal binning (a value with no trained bin goes to the worst bin), logistic fit on
/// the WoE, 600 points at 50:1 good:bad, 40 points to double the odds.
pub(crate) fn fitted_card() -> Scorecard {
    let data = training_table();
    let process = BinningProcessParams::new()
        // Quantile pre-bins, as when the saved card (tests/data/synthetic_scorecard.json) was made;
        // CART became the library default later.
        .binning(
            BinningParams::new()
                .prebinning(PreBinning::Quantile)
                .unseen_policy(UnseenPolicy::WorstBin),
        )
        .build()
        .unwrap()
        .fit(&data)
        .unwrap();
    let x = process.transform(&data).unwrap();
    let y = data.target().unwrap().to_owned();
    let model: LogisticModel = LogisticParams::new().fit(&x.values, &y).unwrap();
    let scaling = ScalingParams::new(40.0, 600.0, 50.0, OddsDirection::GoodToBad).build().unwrap();
    Scorecard::from_logistic(&process, &model, &scaling).unwrap().with_name(NAME)
}
