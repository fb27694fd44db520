//! Credit portfolio capital for the bundled 100-obligor portfolio: expected loss, Basel IRB
//! capital, the exact one-factor loss distribution, a seeded Monte Carlo that gives the same
//! answer on any number of threads, and the same run split into shards and merged.
//!
//! Run: `cargo run --release -p finkit-examples --example portfolio_capital`

use std::error::Error;

use finkit_examples::repo_path;
use finkit_risk::portfolio::{
    ExactOneFactor, IrbOptions, McShard, MonteCarloParams, concentration, irb_portfolio,
    read_portfolio_csv,
};

fn main() -> Result<(), Box<dyn Error>> {
    let portfolio = read_portfolio_csv(repo_path("data/credit_portfolio.csv"))?;
    let irb = irb_portfolio(&portfolio, &IrbOptions::default())?;
    let conc = concentration(&portfolio)?;
    println!("{} obligors, EAD {:.1} EUR m", portfolio.len(), portfolio.total_ead());
    println!("expected loss        {:.6} EUR m", irb.total_expected_loss);
    println!("IRB RWA              {:.4} EUR m (density {:.4})", irb.total_rwa, irb.rwa_density());
    println!("ASRF 99.9 % loss     {:.4} EUR m", irb.total_asrf_loss);
    println!(
        "concentration        HHI by name {:.6} (effective number {:.1}), HHI by sector {:.4}, largest share {:.4}",
        conc.hhi_name, conc.effective_number, conc.hhi_sector, conc.largest_share
    );

    let exact = ExactOneFactor::default().compute(&portfolio)?;
    let d = &exact.distribution;
    println!(
        "exact one-factor     VaR99 {:.3}  VaR99.9 {:.3}  ES99 {:.5}  ES99.9 {:.5}",
        d.var(0.99)?,
        d.var(0.999)?,
        d.es(0.99)?,
        d.es(0.999)?
    );

    let mc =
        MonteCarloParams { scenarios: 200_000, seed: 20_240_608, ..Default::default() }.build()?;
    let run = mc.run(&portfolio)?;
    let m = run.distribution();
    println!(
        "Monte Carlo 200k     VaR99 {:.3}  VaR99.9 {:.3}  ES99 {:.5}  ES99.9 {:.5}",
        m.var(0.99)?,
        m.var(0.999)?,
        m.es(0.99)?,
        m.es(0.999)?
    );

    // The same run in 4 shards (as 4 processes or machines would run it), merged.
    let shards: Vec<McShard> =
        (0..4).map(|k| mc.run_shard(&portfolio, k, 4)).collect::<Result<_, _>>()?;
    let merged = McShard::merge(shards)?;
    println!("4 shards merged equal the single run: {}", merged.losses() == run.losses());
    Ok(())
}
