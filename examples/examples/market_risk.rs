//! Market risk on the S&P 500: VaR and ES by several methods, a GARCH(1,1) fit, and a rolling
//! 99 % VaR backtest with Kupiec, Christoffersen and the Basel traffic light.
//!
//! Run: `cargo run --release -p finkit-examples --example market_risk`
//!
//! Every convention that changes an answer (quantile rule, ES estimator, standard deviation) is
//! named in the code; the defaults match the reference values the tests check.

use std::error::Error;

use finkit_examples::repo_path;
use finkit_risk::market::{
    self, EsEstimator, GarchParams, Innovation, QuantileRule, RollingMethod, RollingParams,
    SdConvention, VarMethod, VarParams,
};
use finkit_risk::{ExpectedShortfall, RiskMeasure, ValueAtRisk};
use finkit_schema::ndarray::Array1;

fn main() -> Result<(), Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(repo_path("data/sp500.csv"))?;
    let mut prices = Vec::new();
    for record in reader.records() {
        prices.push(record?[1].parse::<f64>()?);
    }
    let returns = market::log_returns(&Array1::from(prices))?;
    println!("S&P 500: {} daily log returns", returns.len());

    let methods = [
        (
            "historical (type 1, Acerbi ES)",
            VarMethod::Historical {
                rule: QuantileRule::LowerOrderStatistic,
                es: EsEstimator::AcerbiTasche,
            },
        ),
        (
            "historical (linear, mean beyond VaR)",
            VarMethod::Historical { rule: QuantileRule::Linear, es: EsEstimator::MeanBeyondVar },
        ),
        ("normal (sample sd)", VarMethod::Normal { sd: SdConvention::Sample }),
        ("Student-t ν = 5", VarMethod::StudentT { dof: 5.0, sd: SdConvention::Sample }),
        ("Cornish-Fisher", VarMethod::CornishFisher { sd: SdConvention::Sample }),
    ];
    println!("\nfull-sample 99 % one-day VaR / ES (losses as positive log returns)");
    for (name, method) in methods {
        let e = VarParams::new(0.99, method)?.estimate(&returns)?;
        println!(
            "  {name:<38} VaR {:.5}  ES {}",
            e.var,
            e.es.map_or("n/a".into(), |x| format!("{x:.5}"))
        );
    }

    // Risk measures are trait objects: a notebook can hold a list of them.
    let losses = returns.mapv(|r| -r);
    let measures: Vec<Box<dyn RiskMeasure>> =
        vec![Box::new(ValueAtRisk::new(0.975)?), Box::new(ExpectedShortfall::new(0.975)?)];
    for m in &measures {
        println!("  {:<38} {:.5}", m.name(), m.evaluate(&losses)?);
    }

    for innovation in [Innovation::Normal, Innovation::StudentT] {
        let fit = GarchParams::new().innovation(innovation).fit(&returns)?;
        let c = fit.coefficients;
        println!(
            "\nGARCH(1,1) {innovation:?} (percent units): mu {:.5} omega {:.5} alpha {:.5} beta {:.5}{} LL {:.3}",
            c.mu,
            c.omega,
            c.alpha,
            c.beta,
            c.nu.map_or(String::new(), |nu| format!(" nu {nu:.3}")),
            fit.loglik
        );
        println!("  next-day 99 % VaR from the model: {:.5}", fit.var_forecast(0.99)?.var);
    }

    println!("\nrolling 250-day 99 % VaR backtests");
    for (name, method) in [
        ("historical", RollingMethod::default()),
        ("normal", RollingMethod::Normal { sd: SdConvention::Sample }),
        ("EWMA λ = 0.94", RollingMethod::Ewma(Default::default())),
    ] {
        let f = RollingParams::new(0.99, method)?.forecast(&returns)?;
        let realised = Array1::from(returns.to_vec()[f.first_index..].to_vec());
        let bt = market::backtest(&realised, &f.var, 0.99)?;
        println!(
            "  {name:<14} {} exceptions in {} days; Kupiec p {:.4}; Christoffersen p {:.4}; traffic light {:?}",
            bt.kupiec.exceptions,
            f.var.len(),
            bt.kupiec.p_value,
            bt.christoffersen.p_value_ind,
            bt.traffic_light.map(|t| t.zone)
        );
    }
    Ok(())
}
