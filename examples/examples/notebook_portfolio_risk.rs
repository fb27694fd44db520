//! Twin of the notebook `examples/notebooks/portfolio_risk.ipynb`: portfolio credit risk on the
//! bundled 100-obligor portfolio.
//!
//! Run: `cargo run -p finkit-examples --example notebook_portfolio_risk`
//!
//! The notebook is generated from this file (`cargo run -p finkit-examples --bin nbsync`); a test
//! fails when the two differ. Each `// %%` marker starts a notebook cell.
// nb:dep finkit = { path = "../../crates/finkit" }
// nb:dep finkit-cli = { path = "../../crates/finkit-cli" }
// nb:dep finkit-examples = { path = ".." }
use finkit::risk::portfolio::{
    ExactOneFactor, IrbOptions, MonteCarloParams, irb_portfolio, read_portfolio_csv,
};
use finkit_examples::{output_dir, repo_path, show_png};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // %% md
    // # Portfolio credit risk
    //
    // 100 corporate obligors (EAD in EUR millions): expected loss, Basel IRB capital, the exact
    // one-factor loss distribution and a seeded Monte Carlo.
    // %%
    let portfolio = read_portfolio_csv(repo_path("data/credit_portfolio.csv"))?;
    let irb = irb_portfolio(&portfolio, &IrbOptions::default())?;
    println!(
        "EL {:.4}  RWA {:.2}  ASRF 99.9% {:.3}",
        irb.total_expected_loss, irb.total_rwa, irb.total_asrf_loss
    );
    // %% md
    // ## The exact one-factor loss distribution (EUR 5,000 lattice)
    // %%
    let exact = ExactOneFactor::default().compute(&portfolio)?;
    // Notebook cells keep only owned values (evcxr cannot persist a borrow between cells).
    let d = exact.distribution.clone();
    println!(
        "VaR 99% {:.3}  VaR 99.9% {:.3}  ES 99% {:.4}  ES 99.9% {:.4}",
        d.var(0.99)?,
        d.var(0.999)?,
        d.es(0.99)?,
        d.es(0.999)?
    );
    // %% md
    // ## Monte Carlo with the same model: seeded, same result on any thread count
    // %%
    let run = MonteCarloParams { scenarios: 100_000, seed: 7, ..Default::default() }
        .build()?
        .run(&portfolio)?;
    let m = run.distribution().clone();
    println!("MC VaR 99.9% {:.3}  ES 99.9% {:.4}", m.var(0.999)?, m.es(0.999)?);
    // %%
    let chart = output_dir("notebooks")?.join("portfolio_loss.png");
    // A block, so the borrowed lattice does not outlive the cell (evcxr keeps only owned values).
    {
        let (unit, pmf) = d.lattice().ok_or("not a lattice distribution")?;
        let step = (pmf.len() / 400).max(1);
        let cut = 1.3 * d.es(0.999)?;
        let points: Vec<(f64, f64)> = pmf
            .chunks(step)
            .enumerate()
            .map(|(i, c)| ((i * step) as f64 * unit, c.iter().sum::<f64>()))
            .take_while(|p| p.0 < cut)
            .collect();
        finkit_cli::charts::loss_distribution(&chart, &points, d.var(0.999)?, d.es(0.999)?, 0.999)?;
    }
    show_png(&chart)?;
    // %% end
    Ok(())
}
