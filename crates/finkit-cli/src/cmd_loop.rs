//! `finkit credit dataset` and `finkit credit monitor`: the loop between the pool, the models
//! and the outcomes.
//!
//! - `dataset` writes a point-in-time modelling table from a pool: per firm and observation
//!   date the features known on that date and whether a credit event followed within the
//!   horizon (`finkit_pool::dataset`).
//! - `monitor` checks a scorecard on a later population against a reference one: PSI of the
//!   score, CSI of every characteristic and, with outcomes, per-grade Jeffreys and binomial
//!   tests, Spiegelhalter and Hosmer–Lemeshow, the AUC with its DeLong interval; a verdict per
//!   item (`finkit_credit::monitoring`).

use std::path::{Path, PathBuf};

use clap::Args;
use finkit::credit::monitoring::{MonitoringParams, MonitoringReport, monitor_scorecard};
use finkit::credit::scorecard::Scorecard;
use finkit::pool::dataset::{DateSummary, PointInTimeParams};
use finkit::schema::chrono::NaiveDate;
use finkit::schema::{CsvOptions, Dataset};
use serde::Serialize;

use crate::Output;
use crate::cmd_pool::{AccessArgs, open, principal};
use crate::error::CliError;
use crate::table::{print_pairs, print_table};

/// Arguments of `credit dataset`.
#[derive(Debug, Args)]
pub(crate) struct DatasetArgs {
    #[command(flatten)]
    access: AccessArgs,
    /// Observation dates (YYYY-MM-DD), comma-separated; at most 100.
    #[arg(long, value_delimiter = ',', required = true)]
    as_of: Vec<NaiveDate>,
    /// The outcome horizon in months (1 to 120): the target is a credit event in
    /// (as-of, as-of + horizon].
    #[arg(long, default_value_t = 12)]
    horizon_months: u32,
    /// Where to write the CSV (`firm_id,as_of,<features>,default`).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `lend develop`.
#[derive(Debug, Args)]
pub(crate) struct DevelopArgs {
    #[command(flatten)]
    access: AccessArgs,
    /// Observation dates (YYYY-MM-DD), comma-separated; at most 100. The model learns from the
    /// statements known on each date and the credit events of the horizon after it.
    #[arg(long, value_delimiter = ',', required = true)]
    as_of: Vec<NaiveDate>,
    /// The outcome horizon in months (1 to 120).
    #[arg(long, default_value_t = 12)]
    horizon_months: u32,
    /// Share of firms held out for calibration and validation, in (0, 1).
    #[arg(long, default_value_t = 0.3, allow_hyphen_values = true)]
    validation_share: f64,
}

/// Arguments of `credit monitor`.
#[derive(Debug, Args)]
pub(crate) struct MonitorArgs {
    /// A scorecard JSON (as written by `credit fit-scorecard`).
    #[arg(long)]
    card: PathBuf,
    /// The reference population (e.g. the development sample), CSV with a header.
    #[arg(long)]
    reference: PathBuf,
    /// The current population, CSV with a header.
    #[arg(long)]
    current: PathBuf,
    /// The 0/1 outcome column: required in the current file for the outcome tests, used in the
    /// reference file when present there.
    #[arg(long)]
    target: Option<String>,
}

/// `credit dataset --json`: what was written, with one summary per observation date.
#[derive(Serialize)]
struct DatasetReport<'a> {
    /// The CSV written.
    out: String,
    rows: usize,
    /// Rows whose target is 1.
    defaults: usize,
    horizon_months: u32,
    /// The feature columns, in file order.
    features: Vec<&'static str>,
    dates: &'a [DateSummary],
}

/// `lend develop --json`: the stored model, its version and its development report.
#[derive(Serialize)]
struct DevelopReport<'a> {
    /// `<model_id>/v<version>`.
    model: &'a str,
    version: u32,
    characteristics: &'a [&'a str],
    report: &'a finkit::lending::learned::DevelopmentReport,
}

/// `credit monitor --json`: the monitoring report and the files it compared.
#[derive(Serialize)]
struct MonitorReport<'a> {
    #[serde(flatten)]
    report: &'a MonitoringReport,
    card: String,
    reference: String,
    current: String,
}

/// Runs `credit dataset`.
pub(crate) fn dataset(args: &DatasetArgs, out: Output) -> Result<(), CliError> {
    let params = PointInTimeParams::new(args.as_of.clone(), args.horizon_months)
        .map_err(|e| CliError::input(e.to_string()))?;
    let pool = open(&args.access)?;
    let who = principal(&pool, &args.access)?;
    let set = pool.point_in_time_dataset(&who, &params)?;
    let file = std::fs::File::create(&args.out)
        .map_err(|e| CliError::input(format!("{}: cannot write: {e}", args.out.display())))?;
    set.write_csv(std::io::BufWriter::new(file), &args.out.display().to_string())
        .map_err(|e| CliError::input(e.to_string()))?;
    let defaults: usize = set.summary.iter().map(|s| s.defaults).sum();
    if out.json {
        return out.print_json(&DatasetReport {
            out: args.out.display().to_string(),
            rows: set.data.n_rows(),
            defaults,
            horizon_months: args.horizon_months,
            features: finkit::pool::dataset::feature_names(),
            dates: &set.summary,
        });
    }
    let rows: Vec<Vec<String>> = set
        .summary
        .iter()
        .map(|s| {
            vec![
                s.as_of.to_string(),
                s.rows.to_string(),
                s.defaults.to_string(),
                s.no_statement.to_string(),
                s.in_default.to_string(),
                s.not_founded.to_string(),
            ]
        })
        .collect();
    print_table(&["as of", "rows", "defaults", "no statement", "in default", "not founded"], &rows);
    println!("{} rows written to {}", set.data.n_rows(), args.out.display());
    Ok(())
}

/// `lend develop`: point-in-time dataset → scorecard → calibration and validation on held-out
/// firms → stored in the pool as the next version of the pool's rating model.
pub(crate) fn develop(args: &DevelopArgs, out: Output) -> Result<(), CliError> {
    use finkit::lending::learned::{
        DevelopmentParams, POOL_MODEL_ID, ScorecardFit, develop, load_latest, save_scorecard,
    };
    let params = PointInTimeParams::new(args.as_of.clone(), args.horizon_months)
        .map_err(|e| CliError::input(e.to_string()))?;
    let dev_params =
        DevelopmentParams { validation_share: args.validation_share, ..Default::default() };
    dev_params.check()?;
    let pool = open(&args.access)?;
    let who = principal(&pool, &args.access)?;
    let set = pool.point_in_time_dataset(&who, &params)?;
    let dev = develop(&ScorecardFit::default(), &set, &dev_params)?;
    let version = save_scorecard(&pool, &who, POOL_MODEL_ID, &dev)?;
    let stored = load_latest(&pool, &who, POOL_MODEL_ID)?
        .ok_or_else(|| CliError::internal("the saved model was not found in the pool"))?;
    let r = &dev.report;
    let names: Vec<&str> = dev.model.characteristics().iter().map(|c| c.binning().name()).collect();
    if out.json {
        return out.print_json(&DevelopReport {
            model: &stored.id,
            version,
            characteristics: &names,
            report: r,
        });
    }
    let v = &r.validation;
    print_pairs(&[
        ("model", stored.id.clone()),
        (
            "training window",
            format!("{} … {}, horizon {} months", r.train_from, r.train_to, r.horizon_months),
        ),
        ("training rows / defaults", format!("{} / {}", r.train_rows, r.train_defaults)),
        ("validation rows / defaults", format!("{} / {}", r.validation_rows, v.defaults)),
        ("characteristics", names.join(", ")),
        ("AUC training", format!("{:.4}", r.train_auc)),
        (
            "AUC validation (95 % DeLong)",
            format!("{:.4} [{:.4}, {:.4}]", v.auc.auc, v.auc.ci_lower, v.auc.ci_upper),
        ),
        (
            "default rate / mean PD (validation)",
            format!("{:.4} / {:.4}", v.default_rate, v.mean_pd),
        ),
        ("calibration", format!("a {:.4}, b {:.4}", r.calibration.intercept, r.calibration.slope)),
    ]);
    println!("`lend decide` and `lend plan` on this pool now decide with {}", stored.id);
    Ok(())
}

/// The header of a CSV file, for deciding which columns are there before reading it.
fn header(path: &Path) -> Result<Vec<String>, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::input(format!("{}: cannot read: {e}", path.display())))?;
    let mut record = finkit::schema::csv_input::StringRecord::new();
    finkit::schema::csv_input::CsvRecords::new(file, path).next_record(&mut record)?;
    Ok(record.iter().map(str::to_owned).collect())
}

/// Reads a population, with `target` as the target when it is a column; checks that every
/// variable of the card is a column.
fn population(
    path: &Path,
    card: &Scorecard,
    target: Option<&str>,
    need_target: bool,
) -> Result<Dataset, CliError> {
    let columns = header(path)?;
    let missing: Vec<String> = card
        .characteristics()
        .iter()
        .map(|c| c.binning().name())
        .filter(|n| !columns.iter().any(|c| c == n))
        .map(|n| format!("{n:?}"))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::input(format!(
            "{}: line 1: no column {} that the model {:?} reads ({} of {} variables missing)",
            path.display(),
            missing.join(", "),
            card.name(),
            missing.len(),
            card.characteristics().len()
        )));
    }
    let mut options = CsvOptions::default();
    match target {
        Some(t) if columns.iter().any(|c| c == t) => options = options.with_target(t),
        Some(t) if need_target => {
            return Err(CliError::input(format!(
                "{}: line 1: no target column {t:?}",
                path.display()
            )));
        }
        _ => {}
    }
    let data = Dataset::from_csv(path, &options)?;
    if data.n_rows() == 0 {
        return Err(CliError::input(format!(
            "{}: no data rows: the population is empty",
            path.display()
        )));
    }
    Ok(data)
}

/// Reads a scorecard JSON file.
pub(crate) fn read_card(path: &Path) -> Result<Scorecard, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: cannot read: {e}", path.display())))?;
    Scorecard::from_json(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}

/// Runs `credit monitor`.
pub(crate) fn monitor(args: &MonitorArgs, out: Output) -> Result<(), CliError> {
    let card = read_card(&args.card)?;
    let target = args.target.as_deref();
    let reference = population(&args.reference, &card, target, false)?;
    let current = population(&args.current, &card, target, target.is_some())?;
    let report = monitor_scorecard(&card, &reference, &current, &MonitoringParams::default())
        .map_err(|e| {
            let c = CliError::from(e);
            CliError { message: format!("{}: {}", args.current.display(), c.message), ..c }
        })?;
    if out.json {
        return out.print_json(&MonitorReport {
            report: &report,
            card: args.card.display().to_string(),
            reference: args.reference.display().to_string(),
            current: args.current.display().to_string(),
        });
    }
    print_report(&report);
    Ok(())
}

/// The items of a report as table rows: item, value, verdict.
pub(crate) fn report_rows(report: &MonitoringReport) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "PSI of the score".to_owned(),
        format!("{:.4}", report.score_psi.value),
        report.score_psi.verdict.as_str().to_owned(),
    ]];
    for c in &report.characteristics {
        rows.push(vec![
            format!("CSI {}", c.name),
            format!("{:.4}", c.value),
            c.verdict.as_str().to_owned(),
        ]);
    }
    if let Some(o) = &report.outcomes {
        rows.push(vec![
            "AUC (95 % DeLong CI)".to_owned(),
            format!("{:.4} ({:.4}–{:.4})", o.auc.auc, o.auc.ci_lower, o.auc.ci_upper),
            o.auc_verdict.as_str().to_owned(),
        ]);
        if let Some(r) = &o.reference_auc {
            rows.push(vec![
                "reference AUC".to_owned(),
                format!(
                    "{:.4}{}",
                    r.auc,
                    o.auc_change.map_or(String::new(), |c| format!(" (change p {:.4})", c.p_value))
                ),
                String::new(),
            ]);
        }
        rows.push(vec![
            "Spiegelhalter z (p)".to_owned(),
            format!("{:.3} ({:.4})", o.spiegelhalter.z, o.spiegelhalter.p_value),
            o.spiegelhalter_verdict.as_str().to_owned(),
        ]);
        if let (Some(h), Some(v)) = (&o.hosmer_lemeshow, o.hosmer_lemeshow_verdict) {
            rows.push(vec![
                format!("Hosmer–Lemeshow ({} groups) (p)", h.groups.len()),
                format!("{:.3} ({:.4})", h.statistic, h.p_value),
                v.as_str().to_owned(),
            ]);
        }
        for g in &o.grades {
            rows.push(vec![
                format!(
                    "grade {}: {} of {} defaulted, mean PD {:.2} %",
                    g.grade,
                    g.defaults,
                    g.n,
                    g.mean_pd * 100.0
                ),
                format!("Jeffreys p {:.4}, binomial p {:.4}", g.jeffreys_p, g.binomial_p),
                g.verdict.as_str().to_owned(),
            ]);
        }
    }
    rows
}

fn print_report(report: &MonitoringReport) {
    print_pairs(&[
        ("model", report.model_id.clone()),
        (
            "reference / current rows",
            format!("{} / {}", report.reference_rows, report.current_rows),
        ),
        ("overall", report.overall.as_str().to_owned()),
    ]);
    println!();
    print_table(&["item", "value", "verdict"], &report_rows(report));
    if report.outcomes.is_none() {
        println!("\nno outcomes in the current population: stability only (give --target)");
    }
}
