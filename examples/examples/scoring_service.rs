//! A scoring service: a saved scorecard is loaded once and called per request, with the
//! measured latency printed.
//!
//! Run: `cargo run --release -p finkit-examples --example scoring_service`
//!
//! It first fits a scorecard on the bundled German credit data and saves it as JSON (as a
//! model-development team would), then plays the service: load the JSON once (the checksum and
//! consistency checks run here), and score each incoming record with its PD and the top reason
//! codes a credit officer can read.

use std::error::Error;
use std::time::Instant;

use finkit_credit::binning::{BinningParams, BinningProcessParams};
use finkit_credit::scorecard::{OddsDirection, ScalingParams, Scorecard};
use finkit_credit::{LogisticParams, PdModel, Record};
use finkit_examples::{output_dir, repo_path};
use finkit_schema::{CsvOptions, Dataset};

fn main() -> Result<(), Box<dyn Error>> {
    // Model development: binning → WoE → logistic → points; saved as JSON.
    let data = Dataset::from_csv(
        repo_path("data/germancredit.csv"),
        &CsvOptions::default().with_target("bad"),
    )?;
    let binning = BinningProcessParams::new()
        .binning(BinningParams::new())
        .exclude(["row_id"])
        .min_iv(0.02)
        .build()?
        .fit(&data)?;
    let woe = binning.transform(&data)?;
    let target = data.target().ok_or("the data set has no target")?;
    let model = LogisticParams::new().feature_names(woe.names.clone()).fit(&woe.values, &target)?;
    let scaling = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build()?;
    let card =
        Scorecard::from_logistic(&binning, &model, &scaling)?.with_name("german-credit-demo");
    let path = output_dir("scoring_service")?.join("scorecard.json");
    std::fs::write(&path, card.to_json()?)?;
    println!("scorecard saved to {}", path.display());

    // The service: load once…
    let started = Instant::now();
    let service = Scorecard::from_json(&std::fs::read_to_string(&path)?)?;
    println!("loaded and verified in {:.2} ms", started.elapsed().as_secs_f64() * 1e3);

    // …then score each request. The first rows of the data set stand in for requests.
    let mut latencies = Vec::new();
    for row in 0..1000 {
        let request = Record::from_dataset_row(&data, row)?;
        let t = Instant::now();
        let scored = service.score_record(&request)?;
        let pd = service.pd(&request)?;
        latencies.push(t.elapsed().as_secs_f64() * 1e6);
        if row < 3 {
            let reasons: Vec<&str> = scored.reasons.iter().map(|r| r.variable.as_str()).collect();
            println!(
                "request {row}: score {} PD {:.3}; top reasons: {}",
                scored.score,
                pd.get(),
                reasons.join(", ")
            );
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "latency per request (score + PD + reasons) over {} requests: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        latencies.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
