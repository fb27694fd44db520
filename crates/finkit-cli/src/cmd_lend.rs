//! `finkit lend …`: loan decisions, risk-based pricing and financing plans.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use finkit::lending::learned::{PoolRatingModel, engine_for_pool};
use finkit::lending::model::DefaultRatingModel;
use finkit::lending::plan::FinancingPlan;
use finkit::lending::pool::{load_application, load_book};
use finkit::lending::pricing::{LoanPricer, PricingConfig, Quote};
use finkit::lending::{Decision, DecisionOutcome, Engine, LendingPolicy};
use finkit::pool::{PoolRead, Principal, SqliteOptions, SqlitePool};
use finkit::schema::{ApplicationId, Lgd, Maturity, Probability};
use serde::Serialize;

use crate::Output;
use crate::cmd_pool::acting_principal;
use crate::error::{CliError, flag_value};
use crate::table::{escape, print_pairs, print_table};

/// Loan decisions, pricing and financing plans.
#[derive(Debug, Subcommand)]
pub(crate) enum LendCommand {
    /// Decide on applications in a pool: approve / refer / decline, with reasons, price and limit.
    Decide(DecideArgs),
    /// Fit the pool's rating model from its own history (point-in-time dataset → scorecard →
    /// out-of-sample calibration and validation) and store it in the pool as a new version; later
    /// decisions use it.
    Develop(crate::cmd_loop::DevelopArgs),
    /// Risk-based rate, break-even spread and RAROC of a loan.
    Price(PriceArgs),
    /// The financing plan for one application (technology-innovation enterprises).
    Plan(PlanArgs),
}

/// A pool and the decision engine's policy.
#[derive(Debug, Args)]
pub(crate) struct EngineArgs {
    /// The pool's SQLite file.
    #[arg(long)]
    db: PathBuf,
    /// A policy file (TOML); default: the policy that goes with the model — the straight-through
    /// policy for a model learned from the pool, the default policy for the expert fallback.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// The rating model: `pool` (default) is the newest model learned from the pool and stored
    /// in it (`lend develop`), or the hand-set expert model when the pool holds none; `expert`
    /// always uses the expert model.
    #[arg(long, value_enum, default_value_t = ModelChoice::Pool)]
    model: ModelChoice,
    /// The acting user, if given, must be the one the environment names (FINKIT_USER, else
    /// USER); the user acts in its role from the pool's user table.
    #[arg(long)]
    user: Option<String>,
}

/// Which rating model `lend decide` and `lend plan` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModelChoice {
    /// The newest model learned from the pool, else the expert fallback.
    Pool,
    /// The hand-set expert model.
    Expert,
}

/// Arguments of `lend decide`.
#[derive(Debug, Args)]
pub(crate) struct DecideArgs {
    #[command(flatten)]
    engine: EngineArgs,
    /// The application to decide (default: every application in the pool).
    #[arg(long)]
    application: Option<String>,
}

/// Arguments of `lend price`.
#[derive(Debug, Args)]
pub(crate) struct PriceArgs {
    /// Probability of default in [0, 1].
    #[arg(long, allow_hyphen_values = true)]
    pd: f64,
    /// Loss given default in [0, 1].
    #[arg(long, allow_hyphen_values = true)]
    lgd: f64,
    /// Tenor in years.
    #[arg(long, allow_hyphen_values = true)]
    maturity: f64,
    /// Annual sales in EUR millions (Basel SME adjustment).
    #[arg(long, allow_hyphen_values = true)]
    sales: Option<f64>,
    /// A proposed annual rate whose RAROC to report.
    #[arg(long, allow_hyphen_values = true)]
    rate: Option<f64>,
}

/// Arguments of `lend plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    engine: EngineArgs,
    /// The application.
    #[arg(long)]
    application: String,
}

/// The user the environment names, in its role from the pool (never more).
fn officer(pool: &SqlitePool, args: &EngineArgs) -> Result<Principal, CliError> {
    acting_principal(pool, args.user.as_deref(), None)
}

/// The engine: the model chosen by `--model`, with `--policy` or the policy that goes with it.
fn engine(
    pool: &SqlitePool,
    who: &Principal,
    args: &EngineArgs,
) -> Result<Engine<PoolRatingModel>, CliError> {
    let policy = args.policy.as_ref().map(LendingPolicy::from_file).transpose()?;
    match args.model {
        ModelChoice::Pool => engine_for_pool(pool, who, policy).map_err(CliError::from),
        ModelChoice::Expert => {
            let model = PoolRatingModel::ExpertFallback(DefaultRatingModel::default());
            let policy = match policy {
                Some(p) => p,
                None => model.default_policy()?,
            };
            Engine::new(policy, model, finkit::lending::EngineConfig::new()).map_err(CliError::from)
        }
    }
}

/// Decides on one application of the pool (the book is read for sector concentration).
pub(crate) fn decide_one<M: finkit::lending::model::RatingModel>(
    engine: &Engine<M>,
    pool: &SqlitePool,
    who: &Principal,
    book: Option<&finkit::schema::Portfolio>,
    id: &ApplicationId,
) -> Result<Decision, CliError> {
    let loaded = load_application(pool, who, id, book)?;
    engine.decide(&loaded.input()).map_err(CliError::from)
}

fn open_pool(args: &EngineArgs) -> Result<SqlitePool, CliError> {
    if !args.db.exists() {
        return Err(CliError::input(format!("{}: no such pool file", args.db.display())));
    }
    // Never create or migrate: a decision only reads the pool (and audits the reads).
    let key = crate::cmd_pool::pool_key()?;
    let options = SqliteOptions { create: false, upgrade: false, key, ..Default::default() };
    SqlitePool::open_with(&args.db, &options).map_err(CliError::from)
}

/// Runs a `lend` subcommand.
pub(crate) fn run(command: LendCommand, out: Output) -> Result<(), CliError> {
    match command {
        LendCommand::Decide(a) => decide(&a, out),
        LendCommand::Develop(a) => crate::cmd_loop::develop(&a, out),
        LendCommand::Price(a) => price(&a, out),
        LendCommand::Plan(a) => plan(&a, out),
    }
}

/// `lend decide --json`: the model and policy that decided, and every decision.
#[derive(Serialize)]
struct DecideReport<'a> {
    model: &'a str,
    /// Where the rating model came from (the pool's own model or the built-in one).
    model_source: &'static str,
    policy: &'a str,
    decisions: &'a [Decision],
}

/// `lend price --json`: the quote, and the RAROC of `--rate` when one was given.
#[derive(Serialize)]
struct PriceReport<'a> {
    #[serde(flatten)]
    quote: &'a Quote,
    #[serde(skip_serializing_if = "Option::is_none")]
    raroc_of_proposed_rate: Option<f64>,
}

/// `lend plan --json`: the financing plan of one application (`null` when none is proposed).
#[derive(Serialize)]
struct PlanReport<'a> {
    application_id: &'a str,
    outcome: DecisionOutcome,
    plan: Option<&'a FinancingPlan>,
}

fn decide(args: &DecideArgs, out: Output) -> Result<(), CliError> {
    let pool = open_pool(&args.engine)?;
    let who = officer(&pool, &args.engine)?;
    let engine = engine(&pool, &who, &args.engine)?;
    // The book is read as the acting user, and read whole: a refusal or a corrupt row fails the
    // command, so the sector concentration limit can never switch off silently.
    let book = load_book(&pool, &who)?;
    let ids: Vec<ApplicationId> = match &args.application {
        Some(id) => vec![ApplicationId::new(id.as_str())?],
        None => pool.applications(&who, &Default::default())?.into_iter().map(|a| a.id).collect(),
    };
    let bar = crate::progress::bar(ids.len() as u64, "decisions");
    let mut decisions = Vec::with_capacity(ids.len());
    for id in &ids {
        decisions.push(decide_one(&engine, &pool, &who, book.as_ref(), id)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if out.json {
        return out.print_json(&DecideReport {
            model: engine.model_id(),
            model_source: engine.model().source(),
            policy: engine.policy().id(),
            decisions: &decisions,
        });
    }
    let rows: Vec<Vec<String>> = decisions
        .iter()
        .map(|d| {
            vec![
                d.application_id.clone(),
                format!("{:?}", d.core.outcome).to_lowercase(),
                format!("{:.4}", d.core.pd),
                d.grade.clone(),
                format!("{:.2}%", d.core.quote.rate() * 100.0),
                format!("{:.0}", d.core.offered_amount),
                d.core.limit.binding.as_str().to_owned(),
                d.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", "),
            ]
        })
        .collect();
    print_table(
        &["application", "outcome", "pd", "grade", "rate", "offered", "binding limit", "reasons"],
        &rows,
    );
    let automatic =
        decisions.iter().filter(|d| d.outcome() != finkit::lending::DecisionOutcome::Refer).count();
    println!(
        "model {} ({}), policy {}: {automatic} of {} decided without referral",
        escape(engine.model_id()),
        engine.model().source(),
        escape(engine.policy().id()),
        decisions.len()
    );
    if let [one] = decisions.as_slice() {
        println!();
        for r in &one.reasons {
            println!("- [{}] {}", escape(&r.code), escape(&r.text));
        }
    }
    Ok(())
}

fn price(args: &PriceArgs, out: Output) -> Result<(), CliError> {
    let pricer = LoanPricer::new(PricingConfig::default())?;
    let pd = flag_value("pd", args.pd, Probability::new)?;
    let lgd = flag_value("lgd", args.lgd, Lgd::new)?;
    let maturity = flag_value("maturity", args.maturity, Maturity::new)?;
    let risk = pricer.loan_risk(pd, lgd, maturity, args.sales)?;
    let quote = pricer.quote_risk(&risk, args.maturity);
    let proposed = match args.rate {
        Some(rate) => Some(pricer.raroc_of_rate(&risk, rate)?),
        None => None,
    };
    if out.json {
        return out.print_json(&PriceReport { quote: &quote, raroc_of_proposed_rate: proposed });
    }
    let c = &quote.components;
    let mut pairs = vec![
        ("IRB capital K (per unit EAD)", format!("{:.6}", quote.capital)),
        ("rate", format!("{:.4} %", quote.rate() * 100.0)),
        ("  funding cost", format!("{:.4} %", c.funding_cost * 100.0)),
        ("  operating cost", format!("{:.4} %", c.operating_cost * 100.0)),
        ("  expected loss (PD x LGD)", format!("{:.4} %", c.expected_loss * 100.0)),
        ("  capital charge (K x hurdle)", format!("{:.4} %", c.capital_charge * 100.0)),
        ("  return on capital held", format!("{:.4} %", c.capital_benefit * 100.0)),
        ("  margin", format!("{:.4} %", c.margin * 100.0)),
        ("break-even spread over funding", format!("{:.4} %", quote.break_even_spread * 100.0)),
        ("RAROC at the rate", format!("{:.4} %", quote.raroc * 100.0)),
    ];
    if let Some(r) = proposed {
        pairs.push(("RAROC of the proposed rate", format!("{:.4} %", r * 100.0)));
    }
    print_pairs(&pairs);
    Ok(())
}

fn plan(args: &PlanArgs, out: Output) -> Result<(), CliError> {
    let pool = open_pool(&args.engine)?;
    let who = officer(&pool, &args.engine)?;
    let engine = engine(&pool, &who, &args.engine)?;
    // The book is read as the acting user, and read whole: a refusal or a corrupt row fails the
    // command, so the sector concentration limit can never switch off silently.
    let book = load_book(&pool, &who)?;
    let id = ApplicationId::new(args.application.as_str())?;
    let decision = decide_one(&engine, &pool, &who, book.as_ref(), &id)?;
    if out.json {
        return out.print_json(&PlanReport {
            application_id: &decision.application_id,
            outcome: decision.core.outcome,
            plan: decision.plan.as_ref(),
        });
    }
    let Some(plan) = &decision.plan else {
        println!(
            "{}: no financing plan (plans are proposed for technology-innovation enterprises); decision {:?}",
            decision.application_id, decision.core.outcome
        );
        return Ok(());
    };
    // Adding 0.0 turns a -0.0 total into 0.0 for display.
    println!(
        "{}: stage {:?}, total debt proposed {:.0}",
        decision.application_id,
        plan.stage,
        plan.total_debt + 0.0
    );
    let rows: Vec<Vec<String>> = plan
        .lines
        .iter()
        .map(|l| {
            vec![
                l.product.as_str().to_owned(),
                format!("{:.0}", l.amount),
                l.tenor.map_or("-".into(), |t| format!("{t:.1}")),
                l.rate.map_or("-".into(), |r| format!("{:.2}%", r * 100.0)),
                l.rationale.clone(),
            ]
        })
        .collect();
    print_table(&["product", "amount", "tenor", "rate", "rationale"], &rows);
    for d in &plan.declined {
        println!("not offered: {}", escape(&d.to_string()));
    }
    Ok(())
}
