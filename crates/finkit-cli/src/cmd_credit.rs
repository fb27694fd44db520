//! `finkit credit …`: binning, logistic regression, scorecards, validation.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use finkit::credit::CreditError;
use finkit::credit::LogisticParams;
use finkit::credit::binning::{BinKind, BinningParams, BinningProcessParams, MonotonicTrend};
use finkit::schema::ndarray::Array2;
use finkit::schema::{Column, CsvOptions, Dataset};
use serde_json::{Map, Value, json};

use crate::Output;
use crate::error::CliError;
use crate::pipeline::{self, ScorecardSpec};
use crate::table::{print_pairs, print_table};
use finkit::credit::scorecard::Scorecard;
use finkit::credit::{PdModel, Record};
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
    /// Score a CSV with a saved scorecard: points, PD and reason codes per row.
    Score(ScoreArgs),
    /// Validate PDs against outcomes: AUC, Gini, KS, Brier, log-loss, Hosmer–Lemeshow.
    Validate(ValidateArgs),
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
}

/// Arguments of `credit score`.
#[derive(Debug, Args)]
pub(crate) struct ScoreArgs {
    /// A scorecard JSON written by `fit-scorecard`.
    #[arg(long)]
    card: PathBuf,
    /// CSV of records to score (a target column, if any, is ignored when named).
    #[arg(long)]
    csv: PathBuf,
    /// A target column to leave out of the records.
    #[arg(long)]
    target: Option<String>,
    /// Write `row,score,pd,reasons` here instead of printing every row.
    #[arg(long)]
    out: Option<PathBuf>,
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

/// Monotonic trends of `credit bin`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum TrendArg {
    /// The better of ascending and descending (optbinning's `auto_asc_desc`).
    Auto,
    /// Event rate non-decreasing in the variable.
    Ascending,
    /// Event rate non-increasing in the variable.
    Descending,
    /// No constraint.
    None,
}

/// Arguments of `credit bin`.
#[derive(Debug, Args)]
pub(crate) struct BinArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Event-rate trend across bins.
    #[arg(long, value_enum, default_value_t = TrendArg::Auto)]
    monotonic: TrendArg,
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

/// Maps a credit-crate error to the CLI: solver failures are internal, the rest is input.
pub(crate) fn credit_error(e: CreditError) -> CliError {
    match e {
        CreditError::NotConverged { .. } => CliError::internal(e.to_string()),
        _ => CliError::input(e.to_string()),
    }
}

pub(crate) fn load_table(path: &Path, target: &str) -> Result<Dataset, CliError> {
    Ok(Dataset::from_csv(path, &CsvOptions::default().with_target(target))?)
}

/// Runs a `credit` subcommand.
pub(crate) fn run(command: CreditCommand, out: Output) -> Result<(), CliError> {
    match command {
        CreditCommand::Bin(a) => bin(&a, out),
        CreditCommand::Logit(a) => logit(&a, out),
        CreditCommand::FitScorecard(a) => fit_scorecard(&a, out),
        CreditCommand::Score(a) => score(&a, out),
        CreditCommand::Validate(a) => validate(&a, out),
    }
}

fn bin(args: &BinArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.table.csv, &args.table.target)?;
    let trend = match args.monotonic {
        TrendArg::Auto => MonotonicTrend::Auto,
        TrendArg::Ascending => MonotonicTrend::Ascending,
        TrendArg::Descending => MonotonicTrend::Descending,
        TrendArg::None => MonotonicTrend::None,
    };
    let process = BinningProcessParams::new()
        .binning(BinningParams::new().trend(trend))
        .exclude(args.exclude.clone())
        .build()
        .and_then(|p| p.fit(&data))
        .map_err(credit_error)?;
    let variables: Vec<Value> = process
        .binnings()
        .iter()
        .map(|b| {
            let bins: Vec<Value> = b
                .bins()
                .iter()
                .filter(|bin| bin.kind == BinKind::Regular || bin.count > 0)
                .map(|bin| {
                    let mut m = Map::new();
                    if bin.kind == BinKind::Regular && bin.categories.is_empty() {
                        m.insert("lower".into(), json!(bin.lower));
                        m.insert("upper".into(), json!(bin.upper));
                    } else if !bin.categories.is_empty() {
                        m.insert("categories".into(), json!(bin.categories));
                    } else {
                        m.insert("label".into(), json!(bin.label));
                    }
                    m.insert("count".into(), json!(bin.count));
                    m.insert("events".into(), json!(bin.events));
                    m.insert("woe".into(), json!(bin.woe));
                    Value::Object(m)
                })
                .collect();
            json!({"name": b.name(), "iv": b.iv(), "bins": bins})
        })
        .collect();
    if out.json {
        return out.print_json(&json!({ "variables": variables }));
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

fn logit(args: &LogitArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.table.csv, &args.table.target)?;
    let names: Vec<String> = match &args.features {
        Some(list) => list.iter().map(|s| s.trim().to_owned()).collect(),
        None => data.feature_names().iter().map(|s| (*s).to_owned()).collect(),
    };
    let x = design_matrix(&data, &names, &args.table.csv)?;
    let y = data.target().ok_or_else(|| CliError::input("the target column is missing"))?;
    let model = LogisticParams::new()
        .l2(args.l2)
        .feature_names(names.clone())
        .fit(&x, &y)
        .map_err(credit_error)?;
    let coefficients = model.coefficients();
    let std_errors = model.std_errors();
    // std_errors holds the intercept first, then one per feature.
    let offset = std_errors.len() - coefficients.len();
    if out.json {
        let coef: Map<String, Value> =
            names.iter().zip(coefficients.iter()).map(|(n, c)| (n.clone(), json!(c))).collect();
        let se: Map<String, Value> = names
            .iter()
            .zip(std_errors.iter().skip(offset))
            .map(|(n, s)| (n.clone(), json!(s)))
            .collect();
        return out.print_json(&json!({
            "intercept": model.intercept(),
            "coefficients": coef,
            "std_errors": se,
            "log_likelihood": model.log_likelihood(),
            "iterations": model.iterations(),
        }));
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

fn fit_scorecard(args: &FitScorecardArgs, out: Output) -> Result<(), CliError> {
    let data = load_table(&args.table.csv, &args.table.target)?;
    let spec = ScorecardSpec {
        exclude: args.exclude.clone(),
        min_iv: args.min_iv,
        pdo: args.pdo,
        base_score: args.base_score,
        base_odds: args.base_odds,
    };
    let scorecard = pipeline::fit_scorecard(&data, &spec)?;
    let json = scorecard.to_json().map_err(credit_error)?;
    std::fs::write(&args.out, json)
        .map_err(|e| CliError::input(format!("{}: cannot write: {e}", args.out.display())))?;
    let pd = scorecard.pd_batch(&data).map_err(credit_error)?;
    let target = data.target().map(|t| t.to_owned()).ok_or_else(|| CliError::input("no target"))?;
    let m = pipeline::metrics(&pd, &target)?;
    let characteristics: Vec<&str> =
        scorecard.characteristics().iter().map(|c| c.binning().name()).collect();
    if out.json {
        return out.print_json(&json!({
            "card": args.out.display().to_string(),
            "characteristics": characteristics,
            "base_points": scorecard.base_points(),
            "training": m,
        }));
    }
    print_pairs(&[
        ("scorecard written to", args.out.display().to_string()),
        ("characteristics", characteristics.join(", ")),
        ("base points", format!("{}", scorecard.base_points())),
        ("training AUC / KS", format!("{:.4} / {:.4}", m.auc, m.ks)),
    ]);
    Ok(())
}

fn score(args: &ScoreArgs, out: Output) -> Result<(), CliError> {
    let text = finkit::schema::limits::read_document(&args.card)
        .map_err(|e| CliError::input(format!("{}: cannot read: {e}", args.card.display())))?;
    let card = Scorecard::from_json(&text)
        .map_err(|e| CliError::input(format!("{}: {e}", args.card.display())))?;
    let mut options = CsvOptions::default();
    if let Some(t) = &args.target {
        options = options.with_target(t);
    }
    let data = Dataset::from_csv(&args.csv, &options)?;
    let mut rows = Vec::with_capacity(data.n_rows());
    for i in 0..data.n_rows() {
        let record = Record::from_dataset_row(&data, i).map_err(credit_error)?;
        let scored = card
            .score_record(&record)
            .map_err(|e| CliError::input(format!("{}: line {}: {e}", args.csv.display(), i + 2)))?;
        let pd = card.pd_of_score(scored.score);
        let reasons: Vec<String> = scored.reasons.iter().map(|r| r.variable.clone()).collect();
        rows.push((i, scored.score, pd, reasons));
    }
    if let Some(path) = &args.out {
        let mut w = csv::Writer::from_path(path)
            .map_err(|e| CliError::input(format!("{}: cannot write: {e}", path.display())))?;
        let io = |e: csv::Error| CliError::internal(format!("{}: {e}", path.display()));
        w.write_record(["row", "score", "pd", "reasons"]).map_err(io)?;
        for (i, s, pd, reasons) in &rows {
            w.write_record([i.to_string(), s.to_string(), pd.to_string(), reasons.join(";")])
                .map_err(io)?;
        }
        w.flush()?;
    }
    if out.json {
        let scores: Vec<Value> = rows
            .iter()
            .map(|(i, s, pd, r)| json!({"row": i, "score": s, "pd": pd, "reasons": r}))
            .collect();
        return out.print_json(&json!({"card": card.name(), "scores": scores}));
    }
    if args.out.is_some() {
        println!(
            "scored {} rows into {}",
            rows.len(),
            args.out.as_ref().map_or(String::new(), |p| p.display().to_string())
        );
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(i, s, pd, r)| vec![i.to_string(), format!("{s}"), format!("{pd:.4}"), r.join(", ")])
        .collect();
    print_table(&["row", "score", "pd", "top reasons"], &table);
    Ok(())
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
    let m = pipeline::metrics(&pd, &target)?;
    if out.json {
        return out.print_json(&serde_json::to_value(&m)?);
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
