//! `finkit credit …`: binning, logistic regression, scorecards, validation.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use finkit::credit::LogisticParams;
use finkit::credit::binning::{
    BinKind, BinningParams, BinningProcessParams, MonotonicTrend, PreBinning,
};
use finkit::credit::pipeline::{ScorecardParams, Selection, VariableReport, VariableStatus};
use finkit::credit::scorecard::{OddsDirection, ScalingParams};
use finkit::credit::validation::PdMetrics;
use finkit::schema::ndarray::Array2;
use finkit::schema::{Column, CsvOptions, Dataset};
use std::collections::BTreeMap;

use serde::Serialize;

use crate::Output;
use crate::error::CliError;
use crate::options::spelled;
use crate::table::{print_pairs, print_table};
use finkit::credit::PdModel;
use finkit::schema::ndarray::Array1;

/// Credit scoring.
#[derive(Debug, Subcommand)]
pub(crate) enum CreditCommand {
    /// Optimal monotone binning of every variable, with WoE and IV.
    Bin(BinArgs),
    /// Logistic regression by Newton's method (statsmodels' conventions).
    Logit(LogitArgs),
    /// Fit a points scorecard (binning → WoE → logistic → scaling) and save it as JSON.
    FitScorecard(FitScorecardArgs),
    /// Score a CSV with a scorecard, a boosted model or an XGBoost JSON model: score, PD and
    /// reason codes per row, streamed.
    Score(crate::cmd_boost::ScoreArgs),
    /// Fit gradient-boosted trees (optionally monotone) and save the model as JSON.
    FitBoosting(crate::cmd_boost::FitBoostingArgs),
    /// TreeSHAP contributions of a boosted or XGBoost model for every row of a CSV.
    Explain(crate::cmd_boost::ExplainArgs),
    /// Validate PDs against outcomes: AUC, Gini, KS, Brier, log-loss, Hosmer–Lemeshow.
    Validate(ValidateArgs),
    /// Write a point-in-time modelling table from a pool: features known on each date, the
    /// credit events of the horizon as target.
    Dataset(crate::cmd_loop::DatasetArgs),
    /// Monitor a scorecard on a current population against a reference: PSI, CSI, per-grade
    /// Jeffreys and binomial tests, calibration, AUC with a DeLong CI; a verdict per item.
    Monitor(crate::cmd_loop::MonitorArgs),
}

/// Arguments of `credit fit-scorecard`.
#[derive(Debug, Args)]
pub(crate) struct FitScorecardArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Where to write the scorecard JSON.
    #[arg(long)]
    out: PathBuf,
    /// Comma-separated columns never used as characteristics.
    #[arg(long, value_delimiter = ',', default_value = "row_id")]
    exclude: Vec<String>,
    /// Minimum information value of a kept variable.
    #[arg(long, default_value_t = 0.02, allow_hyphen_values = true)]
    min_iv: f64,
    /// Points to double the odds.
    #[arg(long, default_value_t = 20.0, allow_hyphen_values = true)]
    pdo: f64,
    /// Score at the base odds.
    #[arg(long, default_value_t = 600.0, allow_hyphen_values = true)]
    base_score: f64,
    /// Good:bad odds at the base score.
    #[arg(long, default_value_t = 50.0, allow_hyphen_values = true)]
    base_odds: f64,
    /// Largest |correlation| between the WoE of two characteristics; of a pair above it, the
    /// one with the lower IV is dropped (exact duplicates always are).
    #[arg(long, default_value_t = 0.8, allow_hyphen_values = true)]
    max_correlation: f64,
    /// How characteristics are chosen among those passing the IV and correlation filters.
    #[arg(long, value_parser = spelled::<Selection>(), default_value_t = Selection::All)]
    selection: Selection,
    /// At most this many characteristics (forward selection stops there; with
    /// `--selection all`, the strongest by IV).
    #[arg(long)]
    max_characteristics: Option<usize>,
    /// Keep characteristics whose coefficient contradicts their WoE (sign checks off).
    #[arg(long)]
    no_sign_check: bool,
    /// L2 penalty λ of the logistic regression: (λ/2)·‖β‖² (scikit-learn's C is 1/λ).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    l2: f64,
    #[command(flatten)]
    binning: BinningArgs,
}

/// Binning options shared by `credit bin` and `credit fit-scorecard`.
#[derive(Debug, Args)]
pub(crate) struct BinningArgs {
    /// Event-rate trend across bins.
    #[arg(long, value_parser = spelled::<MonotonicTrend>(), default_value_t = MonotonicTrend::Auto)]
    monotonic: MonotonicTrend,
    /// Pre-binning method of numeric variables.
    #[arg(long, value_parser = spelled::<PreBinning>(), default_value_t = PreBinning::Cart)]
    prebinning: PreBinning,
    /// Maximum number of pre-bins (2..=256).
    #[arg(long, default_value_t = 20)]
    prebins: usize,
    /// Minimum share of all rows in a CART pre-bin, in (0, 0.5].
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    min_prebin_share: f64,
    /// Maximum number of bins per variable (default: no limit beyond the minimum share).
    #[arg(long)]
    max_bins: Option<usize>,
    /// Minimum share of all rows in every bin, in [0, 0.5].
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    min_bin_share: f64,
}

impl BinningArgs {
    /// The library's binning parameters (validated when built).
    fn params(&self) -> BinningParams {
        BinningParams::new()
            .trend(self.monotonic)
            .prebinning(self.prebinning)
            .prebins(self.prebins)
            .min_prebin_share(self.min_prebin_share)
            .max_bins(self.max_bins)
            .min_bin_share(self.min_bin_share)
    }
}

/// Arguments of `credit validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    table: TableArgs,
    /// The column holding each row's probability of default.
    #[arg(long)]
    pd_column: String,
}

/// A CSV modelling table and its binary target.
#[derive(Debug, Args)]
pub(crate) struct TableArgs {
    /// CSV file with a header row.
    #[arg(long)]
    csv: PathBuf,
    /// The binary (0/1) target column.
    #[arg(long)]
    target: String,
}

/// Arguments of `credit bin`.
#[derive(Debug, Args)]
pub(crate) struct BinArgs {
    #[command(flatten)]
    table: TableArgs,
    #[command(flatten)]
    binning: BinningArgs,
    /// Comma-separated columns not to bin (identifiers such as `row_id`).
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
}

/// Arguments of `credit logit`.
#[derive(Debug, Args)]
pub(crate) struct LogitArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Comma-separated feature columns (default: every column but the target).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// L2 penalty λ: (λ/2)·‖β‖² on the non-intercept coefficients (scikit-learn's C is 1/λ).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    l2: f64,
}

pub(crate) fn load_table(path: &Path, target: &str) -> Result<Dataset, CliError> {
    crate::source::read_dataset(path, &CsvOptions::default().with_target(target))
}

/// Runs a `credit` subcommand.
pub(crate) fn run(command: CreditCommand, out: Output) -> Result<(), CliError> {
    match command {
        CreditCommand::Bin(a) => bin(&a, out),
        CreditCommand::Logit(a) => logit(&a, out),
        CreditCommand::FitScorecard(a) => fit_scorecard(&a, out),
        CreditCommand::Score(a) => crate::cmd_boost::score(&a, out),
        CreditCommand::FitBoosting(a) => crate::cmd_boost::fit_boosting(&a, out),
        CreditCommand::Explain(a) => crate::cmd_boost::explain(&a, out),
        CreditCommand::Validate(a) => validate(&a, out),
        CreditCommand::Dataset(a) => crate::cmd_loop::dataset(&a, out),
        CreditCommand::Monitor(a) => crate::cmd_loop::monitor(&a, out),
    }
}

/// `credit bin --json`.
#[derive(Serialize)]
struct BinReport<'a> {
    /// One entry per binned variable.
    variables: Vec<VariableBins<'a>>,
}

/// The bins of one variable.
#[derive(Serialize)]
struct VariableBins<'a> {
    name: &'a str,
    iv: f64,
    /// The regular bins, and the special and missing bins that hold rows.
    bins: Vec<BinRow<'a>>,
}

/// One bin: its span, counts and WoE.
#[derive(Serialize)]
struct BinRow<'a> {
    #[serde(flatten)]
    span: BinSpan<'a>,
    count: u64,
    events: u64,
    woe: f64,
}

/// What a bin covers: an interval of a numeric variable (`null` edge = infinite), categories,
/// or a label (`missing`, `special: v`).
#[derive(Serialize)]
#[serde(untagged)]
enum BinSpan<'a> {
    Interval { lower: Option<f64>, upper: Option<f64> },
    Categories { categories: &'a [String] },
    Label { label: &'a str },
}

impl<'a> VariableBins<'a> {
    fn new(b: &'a finkit::credit::binning::FittedBinning) -> Self {
        let bins = b
            .bins()
            .iter()
            .filter(|bin| bin.kind == BinKind::Regular || bin.count > 0)
            .map(|bin| BinRow {
                span: if bin.kind == BinKind::Regular && bin.categories.is_empty() {
                    BinSpan::Interval { lower: bin.lower, upper: bin.upper }
                } else if !bin.categories.is_empty() {
                    BinSpan::Categories { categories: &bin.categories }
                } else {
                    BinSpan::Label { label: &bin.label }
                },
                count: bin.count,
                events: bin.events,
                woe: bin.woe,
            })
            .collect();
        VariableBins { name: b.name(), iv: b.iv(), bins }
    }
}

fn bin(args: &BinArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.table.csv, &args.table.target)?;
    let process = BinningProcessParams::new()
        .binning(args.binning.params())
        .exclude(args.exclude.clone())
        .build()
        .and_then(|p| p.fit(&data))?;
    if out.json {
        let variables = process.binnings().iter().map(VariableBins::new).collect();
        return out.print_json(&BinReport { variables });
    }
    let mut rows: Vec<Vec<String>> = process
        .binnings()
        .iter()
        .map(|b| {
            let regular = b.bins().iter().filter(|x| x.kind == BinKind::Regular).count();
            vec![
                b.name().to_owned(),
                format!("{:?}", b.kind()),
                regular.to_string(),
                format!("{:.4}", b.iv()),
            ]
        })
        .collect();
    rows.sort_by(|a, b| b[3].partial_cmp(&a[3]).unwrap_or(std::cmp::Ordering::Equal));
    print_table(&["variable", "kind", "bins", "IV"], &rows);
    Ok(())
}

/// The numeric design matrix of the named columns; a categorical column or a missing value is
/// an input error naming the file, line and column.
pub(crate) fn design_matrix(
    data: &Dataset,
    names: &[String],
    file: &Path,
) -> Result<Array2<f64>, CliError> {
    let n = data.n_rows();
    let mut x = Array2::zeros((n, names.len()));
    for (j, name) in names.iter().enumerate() {
        let column = data.column(name).map_err(|_| {
            CliError::input(format!("{}: line 1, column {name:?}: no such column", file.display()))
        })?;
        let Column::Numeric(values) = column else {
            return Err(CliError::input(format!(
                "{}: column {name:?}: is categorical; logit needs numeric features (bin it first)",
                file.display()
            )));
        };
        for (i, &v) in values.iter().enumerate() {
            if v.is_nan() {
                return Err(CliError::input(format!(
                    "{}: line {}, column {name:?}: missing value; logit needs complete numeric rows",
                    file.display(),
                    i + 2
                )));
            }
            x[[i, j]] = v;
        }
    }
    Ok(x)
}

/// `credit logit --json`: the coefficients and standard errors by feature name.
#[derive(Serialize)]
struct LogitReport<'a> {
    intercept: f64,
    coefficients: BTreeMap<&'a str, f64>,
    std_errors: BTreeMap<&'a str, f64>,
    log_likelihood: f64,
    iterations: usize,
}

fn logit(args: &LogitArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.table.csv, &args.table.target)?;
    let names: Vec<String> = match &args.features {
        Some(list) => list.iter().map(|s| s.trim().to_owned()).collect(),
        None => data.feature_names().iter().map(|s| (*s).to_owned()).collect(),
    };
    let x = design_matrix(&data, &names, &args.table.csv)?;
    let y = data.target().ok_or_else(|| CliError::input("the target column is missing"))?;
    let model = LogisticParams::new().l2(args.l2).feature_names(names.clone()).fit(&x, &y)?;
    let coefficients = model.coefficients();
    let std_errors = model.std_errors();
    // std_errors holds the intercept first, then one per feature.
    let offset = std_errors.len() - coefficients.len();
    if out.json {
        return out.print_json(&LogitReport {
            intercept: model.intercept(),
            coefficients: names
                .iter()
                .map(String::as_str)
                .zip(coefficients.iter().copied())
                .collect(),
            std_errors: names
                .iter()
                .map(String::as_str)
                .zip(std_errors.iter().skip(offset).copied())
                .collect(),
            log_likelihood: model.log_likelihood(),
            iterations: model.iterations(),
        });
    }
    let mut rows = vec![vec![
        "(intercept)".to_owned(),
        format!("{:.6}", model.intercept()),
        if offset > 0 { format!("{:.6}", std_errors[0]) } else { "-".into() },
        if offset > 0 { format!("{:.3}", model.z_values()[0]) } else { "-".into() },
        if offset > 0 { format!("{:.4}", model.p_values()[0]) } else { "-".into() },
    ]];
    for (j, name) in names.iter().enumerate() {
        rows.push(vec![
            name.clone(),
            format!("{:.6}", coefficients[j]),
            format!("{:.6}", std_errors[j + offset]),
            format!("{:.3}", model.z_values()[j + offset]),
            format!("{:.4}", model.p_values()[j + offset]),
        ]);
    }
    print_table(&["term", "coefficient", "std error", "z", "p"], &rows);
    println!();
    print_pairs(&[
        ("observations", model.n_obs().to_string()),
        ("log-likelihood", format!("{:.6}", model.log_likelihood())),
        ("null log-likelihood", format!("{:.6}", model.null_log_likelihood())),
        ("AIC / BIC", format!("{:.4} / {:.4}", model.aic(), model.bic())),
        ("iterations", model.iterations().to_string()),
    ]);
    Ok(())
}

/// `credit fit-scorecard --json`.
#[derive(Serialize)]
struct FitScorecardReport<'a> {
    /// Where the scorecard JSON was written.
    card: String,
    characteristics: &'a [&'a str],
    base_points: f64,
    training: &'a PdMetrics,
    /// The fate of every variable, in column order.
    report: Vec<VariableLine<'a>>,
}

/// One variable of the fit report.
#[derive(Serialize)]
struct VariableLine<'a> {
    name: &'a str,
    iv: Option<f64>,
    bins: Option<usize>,
    kept: bool,
    /// A stable one-word code (see [`status_code`]).
    status: &'static str,
    /// The status in words.
    reason: String,
    coefficient: Option<f64>,
}

impl<'a> VariableLine<'a> {
    fn new(v: &'a VariableReport) -> Self {
        VariableLine {
            name: &v.name,
            iv: v.iv,
            bins: v.bins,
            kept: v.status == VariableStatus::Kept,
            status: status_code(&v.status),
            reason: v.status.to_string(),
            coefficient: v.coefficient,
        }
    }
}

fn fit_scorecard(args: &FitScorecardArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.table.csv, &args.table.target)?;
    let scaling =
        ScalingParams::new(args.pdo, args.base_score, args.base_odds, OddsDirection::GoodToBad);
    let fitted = ScorecardParams::new()
        .binning(args.binning.params())
        .exclude(args.exclude.iter().cloned())
        .min_iv(args.min_iv)
        .max_correlation(args.max_correlation)
        .selection(args.selection)
        .max_characteristics(args.max_characteristics)
        .sign_check(!args.no_sign_check)
        .l2(args.l2)
        .scaling(scaling)
        .build()?
        .fit(&data)?;
    let scorecard = fitted.scorecard();
    let json = scorecard.to_json()?;
    std::fs::write(&args.out, json)
        .map_err(|e| CliError::input(format!("{}: cannot write: {e}", args.out.display())))?;
    let pd = scorecard.pd_batch(&data)?;
    let target = data.target().map(|t| t.to_owned()).ok_or_else(|| CliError::input("no target"))?;
    let m = finkit::credit::validation::pd_metrics(&pd, &target)?;
    let characteristics: Vec<&str> =
        scorecard.characteristics().iter().map(|c| c.binning().name()).collect();
    let report = fitted.report();
    if out.json {
        return out.print_json(&FitScorecardReport {
            card: args.out.display().to_string(),
            characteristics: &characteristics,
            base_points: scorecard.base_points(),
            training: &m,
            report: report.variables.iter().map(VariableLine::new).collect(),
        });
    }
    print_pairs(&[
        ("scorecard written to", args.out.display().to_string()),
        ("characteristics", characteristics.join(", ")),
        ("base points", format!("{}", scorecard.base_points())),
        ("training AUC / KS", format!("{:.4} / {:.4}", m.auc, m.ks)),
    ]);
    println!();
    let rows: Vec<Vec<String>> = report
        .variables
        .iter()
        .map(|v| {
            vec![
                v.name.clone(),
                v.iv.map_or_else(|| "-".to_owned(), |iv| format!("{iv:.4}")),
                v.coefficient.map_or_else(|| "-".to_owned(), |c| format!("{c:.4}")),
                v.status.to_string(),
            ]
        })
        .collect();
    print_table(&["variable", "IV", "coefficient", "status"], &rows);
    Ok(())
}

/// A stable one-word code of a variable's fate (the `status` JSON field).
fn status_code(status: &VariableStatus) -> &'static str {
    match status {
        VariableStatus::Kept => "kept",
        VariableStatus::Excluded => "excluded",
        VariableStatus::Unusable { .. } => "unusable",
        VariableStatus::LowIv { .. } => "low_iv",
        VariableStatus::Correlated { .. } => "correlated",
        VariableStatus::NotSelected { .. } => "not_selected",
        VariableStatus::WrongSign { .. } => "wrong_sign",
        _ => "dropped",
    }
}

fn validate(args: &ValidateArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.table.csv, &args.table.target)?;
    let pd_view = data.numeric(&args.pd_column).map_err(|e| {
        CliError::input(format!("{}: column {:?}: {e}", args.table.csv.display(), args.pd_column))
    })?;
    for (i, &p) in pd_view.iter().enumerate() {
        if p.is_nan() {
            return Err(CliError::input(format!(
                "{}: line {}, column {:?}: missing value; every row needs a probability",
                args.table.csv.display(),
                i + 2,
                args.pd_column
            )));
        }
        if !(0.0..=1.0).contains(&p) {
            return Err(CliError::input(format!(
                "{}: line {}, column {:?}: a probability must be in [0, 1], got {p}",
                args.table.csv.display(),
                i + 2,
                args.pd_column
            )));
        }
    }
    let pd: Array1<f64> = pd_view.to_owned();
    let target = data.target().map(|t| t.to_owned()).ok_or_else(|| CliError::input("no target"))?;
    let m = finkit::credit::validation::pd_metrics(&pd, &target)?;
    if out.json {
        return out.print_json(&m);
    }
    print_pairs(&[
        ("observations / events", format!("{} / {}", m.observations, m.events)),
        ("AUC", format!("{:.6}", m.auc)),
        ("Gini", format!("{:.6}", m.gini)),
        ("KS", format!("{:.6}", m.ks)),
        ("Brier", format!("{:.6}", m.brier)),
        ("log-loss", format!("{:.6}", m.log_loss)),
        (
            "Hosmer-Lemeshow (10 groups), p",
            format!("{:.4}, {:.4}", m.hosmer_lemeshow, m.hosmer_lemeshow_p),
        ),
    ]);
    Ok(())
}
