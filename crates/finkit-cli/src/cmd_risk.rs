//! `finkit risk …`: market risk and credit portfolio risk.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use finkit::risk::market::{
    self, GarchParams, Innovation, RollingMethod, RollingParams, TrafficLightZone, VarEstimate,
    VarMethod, VarParams,
};
use finkit::risk::portfolio::{
    AssetCorrelation, CappedValue, ExactOneFactor, ExactResult, ImportanceSampling, IrbOptions,
    LatticeUnit, MAX_MATURITY, McRun, MonteCarloParams, OutOfRange, PdFloor, PrecisionTarget,
    RiskSummary, SectorShock, TailEstimate, concentration, irb_corporate, irb_portfolio,
    macro_scenario, stress_by_sector,
};
use finkit::risk::transition::{
    GeneratorMethod, LabelledMatrix, TransitionMatrix, TransitionOptions, read_matrix_csv,
};
use finkit::schema::ndarray::{Array1, Array2};
use finkit::schema::{Lgd, Maturity, Portfolio, Probability};
use serde::Serialize;

use crate::error::{CliError, flag_value};
use crate::options::{self, spelled};
use crate::table::{print_pairs, print_table};
use crate::{Output, progress};

/// Market and credit portfolio risk.
#[derive(Debug, Subcommand)]
pub(crate) enum RiskCommand {
    /// Value at risk and expected shortfall over the full sample of log returns.
    Var(VarArgs),
    /// Rolling one-day VaR forecasts backtested against realised returns.
    Backtest(BacktestArgs),
    /// GARCH(1,1) by maximum likelihood (arch's conventions, percent units).
    Garch(GarchArgs),
    /// Basel IRB corporate capital of one exposure.
    Irb(IrbArgs),
    /// Credit portfolio risk: EL, IRB RWA, ASRF, concentration, exact and Monte Carlo VaR/ES.
    Portfolio(PortfolioArgs),
    /// Stress test: PD / LGD shocks by sector, or a macro scenario on the systematic factor.
    Stress(StressArgs),
    /// Rating transition matrix: n-year powers, cumulative PDs, generator.
    Transition(TransitionArgs),
}

/// Arguments of `risk stress`.
#[derive(Debug, Args)]
pub(crate) struct StressArgs {
    /// CSV in the layout of credit_portfolio.csv.
    #[arg(long)]
    exposures: PathBuf,
    /// A sector shock `SECTOR:pd*F` (multiply PD), `SECTOR:pd+A` (add to PD), `SECTOR:lgd*F` or
    /// `SECTOR:lgd+A`; repeat the flag for several shocks.
    #[arg(long = "shock")]
    shocks: Vec<String>,
    /// Instead of sector shocks: condition PDs on the systematic factor at this value
    /// (e.g. −2.33 is a 1-in-100 downturn).
    #[arg(long, allow_hyphen_values = true)]
    factor: Option<f64>,
    /// Cap shocked PDs and LGDs at 1 and report each capped value (default: a value pushed
    /// outside [0, 1] is an error).
    #[arg(long)]
    cap: bool,
    #[command(flatten)]
    capital: CapitalArgs,
}

/// Arguments of `risk transition`.
#[derive(Debug, Args)]
pub(crate) struct TransitionArgs {
    /// CSV: a header of state labels (first cell empty), then one row per state with its label.
    /// The default state is the last one.
    #[arg(long)]
    matrix: PathBuf,
    /// Horizon in years for the power and the cumulative PDs.
    #[arg(long, default_value_t = 5)]
    years: u32,
    /// Repair rows whose sum is off by at most this much by putting 1 − sum on the diagonal
    /// (transitionMatrix's fix_rowsums); default: rows must sum to 1 within 1e-9.
    #[arg(long, allow_hyphen_values = true)]
    fix_rowsums: Option<f64>,
    /// Generator method (with Israel–Rosenthal–Wei regularisation for logm).
    #[arg(long, value_parser = options::named(&GeneratorMethod::NAMED), default_value_t = GeneratorMethod::Logm)]
    generator: GeneratorMethod,
}

/// A price file and the column to read.
#[derive(Debug, Args)]
pub(crate) struct PriceArgs {
    /// CSV file of prices with a header row.
    #[arg(long)]
    prices: PathBuf,
    /// The price column (default: the last column).
    #[arg(long)]
    column: Option<String>,
}

/// VaR methods of `risk var`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum VarMethodArg {
    /// Historical simulation: type-1 order statistic, Acerbi–Tasche ES.
    Historical,
    /// Normal with the sample mean and sample standard deviation.
    Normal,
    /// Cornish–Fisher expansion (no ES).
    CornishFisher,
}

/// Arguments of `risk var`.
#[derive(Debug, Args)]
pub(crate) struct VarArgs {
    #[command(flatten)]
    prices: PriceArgs,
    /// Confidence level in (0, 1), e.g. 0.99.
    #[arg(long, default_value_t = 0.99, allow_hyphen_values = true)]
    level: f64,
    /// Estimation method.
    #[arg(long, value_enum, default_value_t = VarMethodArg::Historical)]
    method: VarMethodArg,
}

/// VaR methods of `risk backtest`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum BacktestMethodArg {
    /// Historical simulation on the window.
    Historical,
    /// Normal on the window's mean and standard deviation.
    Normal,
    /// RiskMetrics EWMA, λ = 0.94, zero mean, seeded on the first window.
    Ewma,
}

/// Arguments of `risk backtest`.
#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    #[command(flatten)]
    prices: PriceArgs,
    /// Estimation window in days (signed, so that a negative value gets the range message
    /// rather than a parse error).
    #[arg(long, default_value_t = 250, allow_hyphen_values = true)]
    window: i64,
    /// Confidence level in (0, 1).
    #[arg(long, default_value_t = 0.99, allow_hyphen_values = true)]
    level: f64,
    /// Forecasting method.
    #[arg(long, value_enum, default_value_t = BacktestMethodArg::Historical)]
    method: BacktestMethodArg,
}

/// Arguments of `risk garch`.
#[derive(Debug, Args)]
pub(crate) struct GarchArgs {
    #[command(flatten)]
    prices: PriceArgs,
    /// Innovation distribution.
    #[arg(long, value_parser = spelled::<Innovation>(), default_value_t = Innovation::Normal)]
    dist: Innovation,
}

/// Capital options shared by `risk irb` and `risk portfolio`.
#[derive(Debug, Args)]
pub(crate) struct CapitalArgs {
    /// PD floor applied before the formula.
    #[arg(long, value_parser = options::named(&PdFloor::NAMED), default_value_t = PdFloor::None)]
    pd_floor: PdFloor,
    /// Multiply risk weights by the Basel II scaling factor 1.06.
    #[arg(long)]
    scaling_106: bool,
}

impl CapitalArgs {
    fn options(&self) -> Result<IrbOptions, CliError> {
        IrbOptions::params()
            .pd_floor(self.pd_floor)
            .scaling_106(self.scaling_106)
            .build()
            .map_err(CliError::from)
    }
}

/// Arguments of `risk irb`.
#[derive(Debug, Args)]
pub(crate) struct IrbArgs {
    /// Probability of default in [0, 1].
    #[arg(long, allow_hyphen_values = true)]
    pd: f64,
    /// Loss given default in [0, 1].
    #[arg(long, allow_hyphen_values = true)]
    lgd: f64,
    /// Effective maturity in years (capped at 5, as Basel does; the JSON's `maturity_used`).
    #[arg(long, default_value_t = 2.5, allow_hyphen_values = true)]
    maturity: f64,
    /// Annual sales in EUR millions (SME adjustment below 50; floored at 5).
    #[arg(long, allow_hyphen_values = true)]
    sales: Option<f64>,
    #[command(flatten)]
    capital: CapitalArgs,
}

/// Arguments of `risk portfolio`.
#[derive(Debug, Args)]
pub(crate) struct PortfolioArgs {
    /// CSV in the layout of credit_portfolio.csv
    /// (obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y).
    #[arg(long)]
    exposures: PathBuf,
    /// Monte Carlo scenarios of the one-factor Gaussian copula (0 = no simulation); with
    /// --target-rel-error, the most scenarios to simulate (default then 10,000,000). Runs that
    /// would need more than 4 GiB are refused (exit 2).
    #[arg(long, default_value_t = 0)]
    scenarios: u64,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 20240608)]
    seed: u64,
    /// Importance sampling (Glasserman & Li: factor mean shift aimed at the 99.9 % tail, plus
    /// exponential twisting for books of at most 2,000 obligors); the `mc` figures stay
    /// unbiased and come with their standard errors.
    #[arg(long)]
    importance_sampling: bool,
    /// Simulate seeded blocks until the relative standard error of ES at --target-level is
    /// below this (e.g. 0.005), then stop; the result equals a fixed run of the scenario count
    /// reached (`mc.scenarios`).
    #[arg(long, allow_hyphen_values = true)]
    target_rel_error: Option<f64>,
    /// The ES level --target-rel-error controls.
    #[arg(long, default_value_t = 0.999, allow_hyphen_values = true)]
    target_level: f64,
    /// Lattice unit of the exact distribution, in the unit of EAD (exposures are rounded to
    /// multiples; default: exact if affordable, else a coarser unit chosen automatically and
    /// reported with a bound on the discretisation error).
    #[arg(long, allow_hyphen_values = true)]
    unit: Option<f64>,
    #[command(flatten)]
    capital: CapitalArgs,
}

/// Largest scenario count of a --target-rel-error run when --scenarios is not given.
const DEFAULT_TARGET_MAX_SCENARIOS: u64 = 10_000_000;

fn check_level(level: f64) -> Result<(), CliError> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(CliError::input(format!("--level must be in (0, 1), got {level}")))
    }
}

fn load_returns(args: &PriceArgs) -> Result<Array1<f64>, CliError> {
    let input = crate::source::open(&args.prices)?;
    let name = crate::source::display_name(&args.prices);
    let column = market::read_price_column(input, name, args.column.as_deref())?;
    market::log_returns(&Array1::from(column.prices)).map_err(CliError::from)
}

/// Runs a `risk` subcommand.
pub(crate) fn run(command: RiskCommand, out: Output) -> Result<(), CliError> {
    match command {
        RiskCommand::Var(a) => var(&a, out),
        RiskCommand::Backtest(a) => backtest(&a, out),
        RiskCommand::Garch(a) => garch(&a, out),
        RiskCommand::Irb(a) => irb(&a, out),
        RiskCommand::Portfolio(a) => portfolio(&a, out),
        RiskCommand::Stress(a) => stress(&a, out),
        RiskCommand::Transition(a) => transition(&a, out),
    }
}

/// `risk var --json`: VaR and ES (`null` for Cornish–Fisher) over the sample.
#[derive(Serialize)]
struct VarReport {
    #[serde(flatten)]
    estimate: VarEstimate,
    observations: usize,
}

/// `risk backtest --json`: exceptions, Kupiec's and Christoffersen's tests, and the Basel
/// traffic light of the last 250 forecasts (`null` with fewer).
#[derive(Serialize)]
struct BacktestReport {
    forecasts: usize,
    exceptions: usize,
    kupiec_lr: f64,
    kupiec_p: f64,
    christoffersen_lr: f64,
    christoffersen_p: f64,
    last250_exceptions: Option<usize>,
    zone: Option<&'static str>,
}

/// `risk garch --json`: the coefficients (percent units), `nu` only for Student-t innovations.
#[derive(Serialize)]
struct GarchReport {
    mu: f64,
    omega: f64,
    alpha: f64,
    beta: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nu: Option<f64>,
    log_likelihood: f64,
    /// The last conditional volatility, % per day.
    last_vol: f64,
}

/// `risk irb --json`.
#[derive(Serialize)]
struct IrbReport {
    correlation: f64,
    /// The maturity after the 5-year cap.
    maturity_used: f64,
    maturity_adjustment: f64,
    k: f64,
    risk_weight: f64,
}

/// `risk stress --json`: EL and capital before and after, and the values capped.
#[derive(Serialize)]
struct StressReport<'a> {
    before: &'a RiskSummary,
    after: &'a RiskSummary,
    capped: &'a [CappedValue],
}

/// `risk transition --json`: the n-year power, cumulative PDs and the (regularised) generator,
/// row by row.
#[derive(Serialize)]
struct TransitionReport<'a> {
    states: &'a [String],
    years: u32,
    power: Vec<Vec<f64>>,
    cumulative_pd: Vec<Vec<f64>>,
    generator: Vec<Vec<f64>>,
    generator_regularised: bool,
}

fn var(args: &VarArgs, out: Output) -> Result<(), CliError> {
    check_level(args.level)?;
    let returns = load_returns(&args.prices)?;
    let method = match args.method {
        VarMethodArg::Historical => VarMethod::default(),
        VarMethodArg::Normal => VarMethod::Normal { sd: Default::default() },
        VarMethodArg::CornishFisher => VarMethod::CornishFisher { sd: Default::default() },
    };
    let estimate = VarParams::new(args.level, method)?.estimate(&returns)?;
    if out.json {
        return out.print_json(&VarReport { estimate, observations: returns.len() });
    }
    print_pairs(&[
        ("method", format!("{:?}", args.method)),
        ("level", format!("{}", args.level)),
        ("observations", returns.len().to_string()),
        ("VaR (log-return loss)", format!("{:.6}", estimate.var)),
        ("ES", estimate.es.map_or("n/a for this method".into(), |es| format!("{es:.6}"))),
    ]);
    Ok(())
}

fn backtest(args: &BacktestArgs, out: Output) -> Result<(), CliError> {
    check_level(args.level)?;
    let returns = load_returns(&args.prices)?;
    let window = usize::try_from(args.window)
        .ok()
        .filter(|&w| w >= 2 && w < returns.len())
        .ok_or_else(|| {
            CliError::input(format!(
                "--window must be at least 2 and shorter than the {} returns, got {}",
                returns.len(),
                args.window
            ))
        })?;
    let method = match args.method {
        BacktestMethodArg::Historical => RollingMethod::default(),
        BacktestMethodArg::Normal => RollingMethod::Normal { sd: Default::default() },
        BacktestMethodArg::Ewma => RollingMethod::Ewma(Default::default()),
    };
    let forecast = RollingParams::new(args.level, method)
        .and_then(|p| p.with_window(window))
        .and_then(|p| p.forecast(&returns))?;
    let realised = Array1::from(returns.to_vec()[forecast.first_index..].to_vec());
    let result = market::backtest(&realised, &forecast.var, args.level)?;
    let zone = result.traffic_light.map(|t| match t.zone {
        TrafficLightZone::Green => "green",
        TrafficLightZone::Yellow => "yellow",
        TrafficLightZone::Red => "red",
    });
    let last250 = result.traffic_light.map(|t| t.exceptions);
    if out.json {
        return out.print_json(&BacktestReport {
            forecasts: forecast.var.len(),
            exceptions: result.kupiec.exceptions,
            kupiec_lr: result.kupiec.lr,
            kupiec_p: result.kupiec.p_value,
            christoffersen_lr: result.christoffersen.lr_ind,
            christoffersen_p: result.christoffersen.p_value_ind,
            last250_exceptions: last250,
            zone,
        });
    }
    print_pairs(&[
        ("method", format!("{:?}, window {}, level {}", args.method, args.window, args.level)),
        ("forecasts", forecast.var.len().to_string()),
        (
            "exceptions",
            format!(
                "{} (expected {:.1})",
                result.kupiec.exceptions,
                forecast.var.len() as f64 * (1.0 - args.level)
            ),
        ),
        ("Kupiec POF LR, p", format!("{:.4}, {:.4}", result.kupiec.lr, result.kupiec.p_value)),
        (
            "Christoffersen LR_ind, p",
            format!(
                "{:.4}, {:.4}",
                result.christoffersen.lr_ind, result.christoffersen.p_value_ind
            ),
        ),
        ("last 250 exceptions", last250.map_or("n/a".into(), |x| x.to_string())),
        ("Basel traffic light", zone.unwrap_or("n/a (fewer than 250 forecasts)").to_owned()),
    ]);
    Ok(())
}

fn garch(args: &GarchArgs, out: Output) -> Result<(), CliError> {
    let returns = load_returns(&args.prices)?;
    let fit = GarchParams::new().innovation(args.dist).fit(&returns)?;
    let c = &fit.coefficients;
    let last_vol = fit.conditional_variance.last().map_or(f64::NAN, |v| v.sqrt());
    if out.json {
        return out.print_json(&GarchReport {
            mu: c.mu,
            omega: c.omega,
            alpha: c.alpha,
            beta: c.beta,
            nu: c.nu,
            log_likelihood: fit.loglik,
            last_vol,
        });
    }
    let mut pairs = vec![
        ("innovations", args.dist.to_string()),
        ("observations", fit.n_obs.to_string()),
        ("mu (%)", format!("{:.6}", c.mu)),
        ("omega (%²)", format!("{:.6}", c.omega)),
        ("alpha", format!("{:.6}", c.alpha)),
        ("beta", format!("{:.6}", c.beta)),
    ];
    if let Some(nu) = c.nu {
        pairs.push(("nu", format!("{nu:.4}")));
    }
    pairs.push(("log-likelihood (percent units)", format!("{:.4}", fit.loglik)));
    pairs.push(("last conditional vol (% per day)", format!("{last_vol:.5}")));
    pairs.push(("converged", fit.converged.to_string()));
    print_pairs(&pairs);
    Ok(())
}

fn irb(args: &IrbArgs, out: Output) -> Result<(), CliError> {
    // Basel caps the effective maturity at 5 years: a longer finite one is used as 5 (and
    // shown as capped); zero, negative and non-finite values are refused by `Maturity`.
    let maturity_used =
        if args.maturity.is_finite() { args.maturity.min(MAX_MATURITY) } else { args.maturity };
    let result = irb_corporate(
        flag_value("pd", args.pd, Probability::new)?,
        flag_value("lgd", args.lgd, Lgd::new)?,
        flag_value("maturity", maturity_used, Maturity::new)?,
        args.sales,
        &args.capital.options()?,
    )?;
    if out.json {
        return out.print_json(&IrbReport {
            correlation: result.correlation,
            maturity_used,
            maturity_adjustment: result.maturity_adjustment,
            k: result.k,
            risk_weight: result.risk_weight,
        });
    }
    print_pairs(&[
        ("asset correlation R", format!("{:.6}", result.correlation)),
        (
            "maturity used (years)",
            if maturity_used < args.maturity {
                format!("{maturity_used} (capped from {})", args.maturity)
            } else {
                format!("{maturity_used}")
            },
        ),
        ("maturity adjustment", format!("{:.6}", result.maturity_adjustment)),
        ("capital requirement K", format!("{:.6}", result.k)),
        ("risk weight", format!("{:.4} %", result.risk_weight * 100.0)),
    ]);
    Ok(())
}

/// The figures `risk portfolio` reports.
pub(crate) struct PortfolioFigures {
    pub(crate) expected_loss: f64,
    pub(crate) rwa: f64,
    pub(crate) asrf_999: f64,
    pub(crate) hhi: f64,
    /// VaR 99, VaR 99.9, ES 99, ES 99.9 of the exact distribution and its lattice, or why the
    /// exact distribution was not computed (the other figures never depend on it).
    pub(crate) exact: Result<([f64; 4], ExactResult), String>,
}

pub(crate) fn portfolio_figures(
    portfolio: &Portfolio,
    options: &IrbOptions,
    unit: Option<f64>,
) -> Result<PortfolioFigures, CliError> {
    let irb = irb_portfolio(portfolio, options)?;
    let hhi = concentration(portfolio)?.hhi_name;
    let model = match unit {
        None => ExactOneFactor::default(),
        Some(u) => {
            if !(u.is_finite() && u > 0.0) {
                return Err(CliError::input(format!(
                    "--unit must be positive and finite, got {u}"
                )));
            }
            ExactOneFactor::new(
                400,
                9.0,
                LatticeUnit::Given(u),
                AssetCorrelation::default(),
                1e-30,
            )?
        }
    };
    let exact = model.compute(portfolio).map_err(|e| e.to_string()).and_then(|r| {
        let d = &r.distribution;
        let tail = [d.var(0.99), d.var(0.999), d.es(0.99), d.es(0.999)];
        let mut t = [0.0; 4];
        for (slot, v) in t.iter_mut().zip(tail) {
            *slot = v.map_err(|e| e.to_string())?;
        }
        Ok((t, r))
    });
    Ok(PortfolioFigures {
        expected_loss: irb.total_expected_loss,
        rwa: irb.total_rwa,
        asrf_999: irb.total_asrf_loss,
        hhi,
        exact,
    })
}

/// The `mc` object of `risk portfolio --json`: the tail figures, their standard errors, the
/// method, and the precision target when one was asked for.
#[derive(Debug, serde::Serialize)]
struct McFigures {
    scenarios: u64,
    seed: u64,
    mean: f64,
    var99: f64,
    var999: f64,
    es99: f64,
    es999: f64,
    var99_se: f64,
    es99_se: f64,
    var999_se: f64,
    es999_se: f64,
    method: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    precision: Option<PrecisionFigures>,
}

/// How close a run to a precision target came.
#[derive(Debug, serde::Serialize)]
struct PrecisionFigures {
    target_rel_error: f64,
    target_level: f64,
    rel_error: f64,
    target_met: bool,
}

/// The exact distribution's figures and its lattice.
#[derive(Debug, serde::Serialize)]
struct ExactFigures {
    var99: f64,
    var999: f64,
    es99: f64,
    es999: f64,
    unit: f64,
    banded: bool,
    loss_error_bound: f64,
}

/// `risk portfolio --json`.
#[derive(Debug, serde::Serialize)]
struct PortfolioReport {
    expected_loss: f64,
    rwa: f64,
    asrf_999: f64,
    hhi: f64,
    /// `null` when the exact distribution was not computed; `exact_error` says why.
    exact: Option<ExactFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exact_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mc: Option<McFigures>,
}

impl McFigures {
    fn new(run: &McRun, seed: u64, t99: &TailEstimate, t999: &TailEstimate) -> Self {
        McFigures {
            scenarios: run.scenarios(),
            seed,
            mean: run.distribution().mean(),
            var99: t99.var,
            var999: t999.var,
            es99: t99.es,
            es999: t999.es,
            var99_se: t99.var_se,
            es99_se: t99.es_se,
            var999_se: t999.var_se,
            es999_se: t999.es_se,
            method: run.method().as_str(),
            precision: None,
        }
    }
}

fn portfolio(args: &PortfolioArgs, out: Output) -> Result<(), CliError> {
    let portfolio = crate::source::read_portfolio(&args.exposures)?;
    let figures = portfolio_figures(&portfolio, &args.capital.options()?, args.unit)?;
    if let Some(x) = args.target_rel_error
        && !(x.is_finite() && x > 0.0)
    {
        return Err(CliError::input(format!(
            "--target-rel-error must be positive and finite, got {x}"
        )));
    }
    check_level(args.target_level).map_err(|_| {
        CliError::input(format!("--target-level must be in (0, 1), got {}", args.target_level))
    })?;
    let mc = if args.scenarios > 0 || args.target_rel_error.is_some() {
        let bar = progress::bar(1, "Monte Carlo");
        let params = MonteCarloParams {
            scenarios: args.scenarios.max(1),
            seed: args.seed,
            importance: args.importance_sampling.then(ImportanceSampling::default),
            ..Default::default()
        };
        let model = params.build()?;
        let (run, precision) = match args.target_rel_error {
            None => (model.run(&portfolio)?, None),
            Some(x) => {
                let target = PrecisionTarget {
                    level: args.target_level,
                    rel_error: x,
                    max_scenarios: if args.scenarios > 0 {
                        args.scenarios
                    } else {
                        DEFAULT_TARGET_MAX_SCENARIOS
                    },
                };
                let p = model.run_to_precision(&portfolio, &target)?;
                (p.run, Some((x, p.rel_error, p.met)))
            }
        };
        bar.finish_and_clear();
        let (t99, t999) = (run.tail(0.99)?, run.tail(0.999)?);
        let mut figures = McFigures::new(&run, args.seed, &t99, &t999);
        figures.precision = precision.map(|(x, reached, met)| PrecisionFigures {
            target_rel_error: x,
            target_level: args.target_level,
            rel_error: reached,
            target_met: met,
        });
        Some(figures)
    } else {
        None
    };
    if out.json {
        return out.print_json(&PortfolioReport {
            expected_loss: figures.expected_loss,
            rwa: figures.rwa,
            asrf_999: figures.asrf_999,
            hhi: figures.hhi,
            exact: figures.exact.as_ref().ok().map(|([var99, var999, es99, es999], r)| {
                ExactFigures {
                    var99: *var99,
                    var999: *var999,
                    es99: *es99,
                    es999: *es999,
                    unit: r.lattice.unit,
                    banded: r.lattice.banded,
                    loss_error_bound: r.lattice.loss_error_bound,
                }
            }),
            exact_error: figures.exact.as_ref().err().cloned(),
            mc,
        });
    }
    print_pairs(&[
        ("obligors", portfolio.len().to_string()),
        ("total EAD", format!("{:.4}", portfolio.total_ead())),
        ("expected loss", format!("{:.6}", figures.expected_loss)),
        ("IRB RWA", format!("{:.4}", figures.rwa)),
        ("ASRF 99.9 % loss", format!("{:.4}", figures.asrf_999)),
        ("HHI (by EAD)", format!("{:.6}", figures.hhi)),
    ]);
    let mut rows = Vec::new();
    match &figures.exact {
        Ok(([var99, var999, es99, es999], r)) => {
            rows.push(vec![
                "exact one-factor".to_owned(),
                format!("{var99:.4}"),
                format!("{es99:.4}"),
                format!("{var999:.4}"),
                format!("{es999:.4}"),
            ]);
            if r.lattice.banded {
                println!(
                    "exact distribution on a lattice of {} (exposures rounded; every figure within {:.6} of the unrounded model)",
                    r.lattice.unit, r.lattice.loss_error_bound
                );
            }
        }
        Err(why) => println!("exact distribution not computed: {why}"),
    }
    if let Some(mc) = &mc {
        let f = |v: f64| format!("{v:.4}");
        rows.push(vec![
            format!("Monte Carlo ({} scenarios, {})", mc.scenarios, mc.method),
            f(mc.var99),
            f(mc.es99),
            f(mc.var999),
            f(mc.es999),
        ]);
        let se = |v: f64| format!("± {v:.4}");
        rows.push(vec![
            "  standard error".to_owned(),
            se(mc.var99_se),
            se(mc.es99_se),
            se(mc.var999_se),
            se(mc.es999_se),
        ]);
        if let Some(p) = &mc.precision {
            println!(
                "target relative error of ES {}: {} (reached {:.5}){}",
                p.target_level,
                f(p.target_rel_error),
                p.rel_error,
                if p.target_met { "" } else { " -- NOT met within the scenario limit" }
            );
        }
    }
    println!();
    print_table(&["model", "VaR 99%", "ES 99%", "VaR 99.9%", "ES 99.9%"], &rows);
    Ok(())
}

fn stress(args: &StressArgs, out: Output) -> Result<(), CliError> {
    let portfolio = crate::source::read_portfolio(&args.exposures)?;
    let options = args.capital.options()?;
    let result = match (args.factor, args.shocks.is_empty()) {
        (Some(_), false) => {
            return Err(CliError::input("give either --shock or --factor, not both"));
        }
        (None, true) => {
            return Err(CliError::input("give at least one --shock SECTOR:pd*F or a --factor"));
        }
        (Some(z), true) => macro_scenario(&portfolio, z, &AssetCorrelation::default(), &options)?,
        (None, false) => {
            let shocks = args
                .shocks
                .iter()
                .map(|s| {
                    s.parse::<SectorShock>()
                        .map_err(|e| CliError::input(format!("--shock {s:?}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let rule = if args.cap { OutOfRange::CapAndReport } else { OutOfRange::Error };
            stress_by_sector(&portfolio, &shocks, rule, &options)?
        }
    };
    if out.json {
        return out.print_json(&StressReport {
            before: &result.before,
            after: &result.after,
            capped: &result.capped,
        });
    }
    let row = |name: &str, b: f64, a: f64| {
        vec![
            name.to_owned(),
            format!("{b:.4}"),
            format!("{a:.4}"),
            format!("{:+.1}%", (a / b - 1.0) * 100.0),
        ]
    };
    let (b, a) = (&result.before, &result.after);
    print_table(
        &["measure", "before", "after", "change"],
        &[
            row("expected loss", b.expected_loss, a.expected_loss),
            row("IRB capital (K x EAD)", b.capital, a.capital),
            row("RWA", b.rwa, a.rwa),
            row("ASRF 99.9 % loss", b.asrf_loss, a.asrf_loss),
        ],
    );
    for c in &result.capped {
        println!("capped: {} {} {} -> {}", c.id, c.what, c.raw, c.capped);
    }
    Ok(())
}

fn transition(args: &TransitionArgs, out: Output) -> Result<(), CliError> {
    if args.years == 0 {
        return Err(CliError::input("--years must be at least 1, got 0"));
    }
    let LabelledMatrix { labels, matrix: m, .. } = read_matrix_csv(
        crate::source::open(&args.matrix)?,
        crate::source::display_name(&args.matrix),
    )?;
    let options = match args.fix_rowsums {
        Some(tol) => TransitionOptions::fix_rowsums(tol),
        None => TransitionOptions::default(),
    };
    let matrix = TransitionMatrix::new(&m, &options).map_err(|e| {
        let mut err = CliError::from(e);
        err.message = format!("{}: {}", args.matrix.display(), err.message);
        err
    })?;
    let power = matrix.power(args.years);
    let cumulative = matrix.cumulative_pds(args.years)?;
    let generator = matrix.generator(args.generator)?;
    let regularised =
        if generator.is_valid(1e-9) { generator.clone() } else { generator.regularise_irw() };
    let rows = |a: &Array2<f64>| -> Vec<Vec<f64>> { a.outer_iter().map(|r| r.to_vec()).collect() };
    if out.json {
        return out.print_json(&TransitionReport {
            states: &labels,
            years: args.years,
            power: rows(&power),
            cumulative_pd: rows(&cumulative),
            generator: rows(&regularised.matrix()),
            generator_regularised: !generator.is_valid(1e-9),
        });
    }
    println!("{}-year cumulative PD by initial state:", args.years);
    let header: Vec<String> = std::iter::once("state".to_owned())
        .chain((1..=args.years).map(|y| format!("{y}y")))
        .collect();
    let table: Vec<Vec<String>> = labels
        .iter()
        .zip(cumulative.outer_iter())
        .map(|(l, r)| {
            std::iter::once(l.clone())
                .chain(r.iter().map(|p| format!("{:.4}%", p * 100.0)))
                .collect()
        })
        .collect();
    print_table(&header.iter().map(String::as_str).collect::<Vec<_>>(), &table);
    println!(
        "\ngenerator: {:?}{}",
        args.generator,
        if generator.is_valid(1e-9) {
            ""
        } else {
            " (regularised by Israel–Rosenthal–Wei: negative rates set to 0)"
        }
    );
    Ok(())
}
