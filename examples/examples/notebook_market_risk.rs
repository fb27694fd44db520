//! Twin of the notebook `examples/notebooks/market_risk.ipynb`: VaR, GARCH and backtesting on
//! the S&P 500.
//!
//! Run: `cargo run -p finkit-examples --example notebook_market_risk`
//!
//! The notebook is generated from this file (`cargo run -p finkit-examples --bin nbsync`); a test
//! fails when the two differ. Each `// %%` marker starts a notebook cell.
// nb:dep finkit = { path = "../../crates/finkit" }
// nb:dep finkit-cli = { path = "../../crates/finkit-cli" }
// nb:dep finkit-examples = { path = ".." }
// nb:dep csv = "1"
use finkit::risk::market::{
    self, GarchParams, Innovation, RollingMethod, RollingParams, VarMethod, VarParams,
};
use finkit::schema::ndarray::Array1;
use finkit_examples::{output_dir, repo_path, show_png};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // %% md
    // # Market risk and backtesting: S&P 500, 1999–2018
    //
    // Losses are positive numbers. Historical VaR uses the type-1 order statistic and ES the
    // Acerbi–Tasche estimator unless another rule is named.
    // %%
    let mut reader = csv::Reader::from_path(repo_path("data/sp500.csv"))?;
    let mut prices = Vec::new();
    for record in reader.records() {
        prices.push(record?[1].parse::<f64>()?);
    }
    let returns = market::log_returns(&Array1::from(prices))?;
    println!("{} log returns", returns.len());
    // %% md
    // ## Full-sample VaR and ES at 99 %
    // %%
    let hs = VarParams::new(0.99, VarMethod::default())?.estimate(&returns)?;
    let normal =
        VarParams::new(0.99, VarMethod::Normal { sd: Default::default() })?.estimate(&returns)?;
    println!("historical: VaR {:.5} ES {:?}", hs.var, hs.es);
    println!("normal:     VaR {:.5} ES {:?}", normal.var, normal.es);
    // %% md
    // ## GARCH(1,1) with Student-t innovations (arch's backcast, percent units)
    // %%
    let fit = GarchParams::new().innovation(Innovation::StudentT).fit(&returns)?;
    println!("{:?}", fit.coefficients);
    println!("log-likelihood {:.4}", fit.loglik);
    // %% md
    // ## Rolling 250-day historical VaR and its backtest
    // %%
    let forecast = RollingParams::new(0.99, RollingMethod::default())?.forecast(&returns)?;
    let realised = Array1::from(returns.to_vec()[forecast.first_index..].to_vec());
    let bt = market::backtest(&realised, &forecast.var, 0.99)?;
    println!("exceptions {} of {}", bt.kupiec.exceptions, forecast.var.len());
    println!("Kupiec LR {:.4} (p {:.4})", bt.kupiec.lr, bt.kupiec.p_value);
    println!(
        "Christoffersen LR {:.4} (p {:.4})",
        bt.christoffersen.lr_ind, bt.christoffersen.p_value_ind
    );
    println!("traffic light {:?}", bt.traffic_light);
    // %%
    let chart = output_dir("notebooks")?.join("market_backtest.png");
    finkit_cli::charts::backtest(
        &chart,
        &realised.to_vec(),
        &forecast.var.to_vec(),
        "S&P 500: historical 99 % VaR",
    )?;
    show_png(&chart)?;
    // %% end
    Ok(())
}
