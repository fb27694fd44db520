//! The demo's closed loop: pool → point-in-time dataset → fitted, calibrated rating model
//! (saved in the pool) → decisions → a year of simulated outcomes written back as credit events
//! → monitoring → a challenger fitted on the newer window → champion/challenger comparison.
//!
//! Timeline (the synthetic pool's as-of date is `D0`; its generator drew the defaults of the
//! year after `D0`):
//!
//! ```text
//! D0 − 4y … D0        statements (known when published)
//! (D0, D0 + 1y]       the generator's defaults: the champion's training outcomes
//! (D0 + 1y, D0 + 2y]  simulated here from the generator's true PDs (seeded), written back
//! D1 = D0 + 1y        the monitoring population and the challenger's training window
//! ```
//!
//! The pool holds statements up to `D0` only, so on `D1` the features are those of the same
//! statements (one year older); the loop still runs every step on real pool reads.

use std::collections::HashMap;
use std::path::Path;

use finkit::credit::PdModel;
use finkit::credit::monitoring::{MonitoringParams, MonitoringReport, delong_test, monitor_model};
use finkit::credit::validation::{self, RiskOrder};
use finkit::lending::champion::{BookSummary, compare};
use finkit::lending::learned::{
    Calibrated, DevelopmentParams, LoadedScorecard, POOL_MODEL_ID, PoolRatingModel, ScorecardFit,
    develop, engine_for_pool, held_out, load_latest, save_scorecard, straight_through_policy,
};
use finkit::lending::model::ScorecardModel;
use finkit::lending::pool::{LoadedApplication, load_application};
use finkit::lending::{DecisionCore, Engine, EngineConfig, LendingPolicy};
use finkit::pool::dataset::{PointInTimeDataset, PointInTimeParams};
use finkit::pool::synthetic::SyntheticDataset;
use finkit::pool::{Batch, IngestMode, PoolWrite, Principal, Record, Role, SqlitePool};
use finkit::schema::chrono::{Days, Months, NaiveDate};
use finkit::schema::ndarray::Array1;
use finkit::schema::{CreditEvent, CreditEventKind};
use finkit_cli::loop_charts;

use crate::cmd_loop::report_rows;
use crate::demo::roc_tuples;
use crate::error::CliError;
use crate::report::Report;

/// The id under which the demo stores its challenger.
const CHALLENGER_ID: &str = "pool-scorecard-challenger";
/// The seed of the simulated outcome year.
const OUTCOME_SEED: u64 = 20_261_203;

fn pool_failure(e: finkit::pool::PoolError) -> CliError {
    CliError::internal(e.to_string())
}

fn internal(e: impl std::fmt::Display) -> CliError {
    CliError::internal(e.to_string())
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// The champion fitted from the pool before the decisions.
pub(crate) struct Champion {
    /// The dataset it was fitted on.
    pub(crate) set: PointInTimeDataset,
    /// As stored and read back from the pool.
    pub(crate) loaded: LoadedScorecard,
}

/// Builds the point-in-time dataset as of the pool's date, develops the scorecard, stores it
/// in the pool (version 1 of [`POOL_MODEL_ID`]) and reads it back.
pub(crate) fn fit_champion(pool: &SqlitePool, as_of: NaiveDate) -> Result<Champion, CliError> {
    let analyst = Principal::new("demo-analyst", Role::Analyst);
    let params = PointInTimeParams::new(vec![as_of], 12).map_err(internal)?;
    let set = pool.point_in_time_dataset(&analyst, &params).map_err(pool_failure)?;
    let dev = develop(&ScorecardFit::default(), &set, &DevelopmentParams::default())?;
    save_scorecard(pool, &analyst, POOL_MODEL_ID, &dev)?;
    let loaded = load_latest(pool, &analyst, POOL_MODEL_ID)?
        .ok_or_else(|| CliError::internal("the saved model was not found"))?;
    Ok(Champion { set, loaded })
}

/// The demo's decision engine: the pool's rating model (the learned model stored in the pool,
/// with the straight-through policy; or the expert fallback with the default policy for a pool
/// without one).
pub(crate) fn pool_engine(
    pool: &SqlitePool,
    who: &Principal,
) -> Result<Engine<PoolRatingModel>, CliError> {
    engine_for_pool(pool, who, None).map_err(CliError::from)
}

/// SplitMix64: a documented, seedable hash giving a uniform in [0, 1) per (seed, index).
fn uniform(seed: u64, index: u64) -> f64 {
    let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Harrell's concordance of `model` with `truth`: over pairs whose true PDs differ, the share
/// the model orders alike (ties of the model count ½). O(n²) on the demo's few thousand rows.
fn concordance(model: &[f64], truth: &[f64]) -> f64 {
    let (mut agree, mut pairs) = (0.0, 0.0);
    for i in 0..model.len() {
        for j in (i + 1)..model.len() {
            if truth[i] == truth[j] {
                continue;
            }
            pairs += 1.0;
            let s = (model[i] - model[j]) * (truth[i] - truth[j]);
            agree += if s > 0.0 {
                1.0
            } else if s == 0.0 {
                0.5
            } else {
                0.0
            };
        }
    }
    if pairs > 0.0 { agree / pairs } else { 0.5 }
}

/// Mean |PD − true PD| within deciles of the model PD, weighted by rows (expected calibration
/// error against the truth).
fn calibration_error(model: &[f64], truth: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..model.len()).collect();
    order.sort_by(|&a, &b| model[a].total_cmp(&model[b]));
    let n = order.len();
    let mut total = 0.0;
    for g in 0..10 {
        let rows = &order[g * n / 10..(g + 1) * n / 10];
        if rows.is_empty() {
            continue;
        }
        let m: f64 = rows.iter().map(|&i| model[i]).sum::<f64>() / rows.len() as f64;
        let t: f64 = rows.iter().map(|&i| truth[i]).sum::<f64>() / rows.len() as f64;
        total += (m - t).abs() * rows.len() as f64;
    }
    total / n as f64
}

fn target_of(set: &PointInTimeDataset) -> Result<Array1<f64>, CliError> {
    set.data
        .target()
        .map(|t| t.to_owned())
        .ok_or_else(|| CliError::internal("dataset without target"))
}

/// Decisions of one engine on loaded applications.
fn decide_all<M: finkit::lending::model::RatingModel>(
    engine: &Engine<M>,
    loaded: &[LoadedApplication],
) -> Result<Vec<DecisionCore>, CliError> {
    let inputs: Vec<_> = loaded.iter().map(LoadedApplication::input).collect();
    engine.decide_batch(&inputs).into_iter().map(|r| r.map_err(CliError::from)).collect()
}

fn book_rows(name: &str, own: &BookSummary, truth: &BookSummary) -> Vec<String> {
    vec![
        name.to_owned(),
        format!("{} / {} / {}", own.approved, own.referred, own.declined),
        pct(own.straight_through_rate),
        format!("{:.0}", own.approved_ead),
        pct(own.approved_el_rate),
        pct(truth.approved_el_rate),
        pct(own.approved_raroc),
    ]
}

const BOOK_HEADER: [&str; 7] = [
    "model",
    "approved / referred / declined",
    "straight-through",
    "approved EAD",
    "EL rate (model PD)",
    "EL rate (true PD)",
    "RAROC",
];

fn monitoring_chart(path: &Path, report: &MonitoringReport) -> Result<(), CliError> {
    let points: Vec<(f64, f64)> = report
        .outcomes
        .as_ref()
        .map(|o| o.grades.iter().map(|g| (g.mean_pd, g.default_rate)).collect())
        .unwrap_or_default();
    loop_charts::calibration(
        path,
        "Monitoring: predicted PD and observed default rate per grade",
        &[("grades", points)],
    )?;
    Ok(())
}

/// Section 6 of the demo report: the loop, each step with its chart.
#[allow(clippy::too_many_lines)]
pub(crate) fn loop_section(
    report: &mut Report,
    dir: &Path,
    pool: &SqlitePool,
    synthetic: &SyntheticDataset,
    champion: &Champion,
) -> Result<(), CliError> {
    let d0 = synthetic.as_of;
    let truth: HashMap<&str, f64> =
        synthetic.truth.iter().map(|t| (t.firm_id.as_str(), t.pd)).collect();
    let true_pd = |id: &str| truth.get(id).copied().unwrap_or(f64::NAN);
    report.heading("6. Closing the loop: learned model, outcomes, monitoring, challenger");
    report.paragraph(format!(
        "Pool → point-in-time dataset → fitted and calibrated model saved in the pool → decisions → a year of simulated \
         outcomes written back as credit events → monitoring → challenger on the newer window → comparison. \
         D0 = {d0}: the pool's date; the generator drew the defaults of (D0, D0 + 1y]; the year after is simulated here."
    ));

    // 6.1 Dataset.
    let set0 = &champion.set;
    let s0 = &set0.summary[0];
    let y0 = target_of(set0)?;
    let leverage = set0.data.numeric("leverage").map_err(internal)?;
    let mut order: Vec<usize> = (0..leverage.len()).filter(|&i| leverage[i].is_finite()).collect();
    order.sort_by(|&a, &b| leverage[a].total_cmp(&leverage[b]));
    let quintiles: Vec<(String, f64)> = (0..5)
        .map(|q| {
            let rows = &order[q * order.len() / 5..(q + 1) * order.len() / 5];
            let rate =
                rows.iter().filter(|&&i| y0[i] == 1.0).count() as f64 / rows.len().max(1) as f64;
            (format!("leverage Q{}", q + 1), rate * 100.0)
        })
        .collect();
    loop_charts::bars(
        &dir.join("loop_dataset.png"),
        "Dataset as of D0: default rate (%) by leverage quintile",
        "default rate (%)",
        &quintiles,
    )?;
    report.heading("6.1 Point-in-time dataset");
    report.paragraph(format!(
        "`finkit credit dataset --as-of {d0} --horizon-months 12`: {} firm rows with the 20 features known on {d0} \
         (statements published by then; later restatements excluded) and {} defaults in the following 12 months \
         ({}); left out: {} without a statement, {} already in default, {} not yet founded. Read in one transaction (one index scan per date).",
        s0.rows,
        s0.defaults,
        pct(s0.defaults as f64 / s0.rows.max(1) as f64),
        s0.no_statement,
        s0.in_default,
        s0.not_founded
    ));
    report
        .image("loop_dataset.png", "Default rate by leverage quintile in the development dataset");

    // 6.2 Fit and the check against the true PDs.
    let loaded = &champion.loaded;
    let model0 = loaded.pd_model()?;
    let pd0 = model0.pd_batch(&set0.data)?;
    let t0: Vec<f64> = set0.firm_ids.iter().map(|f| true_pd(f.as_str())).collect();
    let auc_model = validation::auc(&pd0, &y0, RiskOrder::HigherIsRiskier)?;
    let auc_truth = validation::auc(&Array1::from(t0.clone()), &y0, RiskOrder::HigherIsRiskier)?;
    let conc = concordance(&pd0.to_vec(), &t0);
    let ece = calibration_error(&pd0.to_vec(), &t0);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let r = &loaded.report;
    let v = &r.validation;
    let scatter: Vec<(f64, f64)> =
        t0.iter().zip(pd0.iter()).map(|(&t, &p)| (t.max(1e-6), p.max(1e-6))).collect();
    loop_charts::pd_scatter(
        &dir.join("loop_fit.png"),
        "Fitted PD against the generator's true PD",
        "true PD",
        "model PD",
        &scatter,
    )?;
    report.heading("6.2 Fitted, calibrated, saved");
    report.paragraph(format!(
        "Model {} (binning → WoE → logistic → points, {} characteristics: {}), fitted on {} rows ({} defaults), \
         recalibrated out of sample on {} held-out firms (PD = σ({:.3} + {:.3}·logit PD)), stored in the pool's rating_models \
         table with its training window {}–{} and these validation figures.",
        loaded.id,
        loaded.card.characteristics().len(),
        loaded.card.characteristics().iter().map(|c| c.binning().name()).collect::<Vec<_>>().join(", "),
        r.train_rows,
        r.train_defaults,
        r.validation_rows,
        r.calibration.intercept,
        r.calibration.slope,
        r.train_from,
        r.train_to,
    ));
    report.table(
        &["check", "value"],
        vec![
            vec!["training AUC".into(), format!("{:.4}", r.train_auc)],
            vec![
                "validation AUC (95 % DeLong CI)".into(),
                format!("{:.4} ({:.4}–{:.4})", v.auc.auc, v.auc.ci_lower, v.auc.ci_upper),
            ],
            vec![
                "validation: mean PD / default rate".into(),
                format!("{} / {}", pct(v.mean_pd), pct(v.default_rate)),
            ],
            vec![
                "validation Spiegelhalter z (p)".into(),
                format!("{:.3} ({:.3})", v.spiegelhalter.z, v.spiegelhalter.p_value),
            ],
            vec!["all rows: AUC of the model PD on the defaults".into(), format!("{auc_model:.4}")],
            vec![
                "all rows: AUC of the true PD on the same defaults (ceiling)".into(),
                format!("{auc_truth:.4}"),
            ],
            vec![
                "concordance of the model PD with the true-PD ranking".into(),
                format!("{conc:.4}"),
            ],
            vec![
                "mean model PD / mean true PD".into(),
                format!("{} / {}", pct(mean(&pd0.to_vec())), pct(mean(&t0))),
            ],
            vec![
                "calibration error vs true PD (decile-weighted mean |PD − true PD|)".into(),
                pct(ece),
            ],
        ],
    );
    report.image(
        "loop_fit.png",
        "Each firm's model PD against the PD the generator drew its default from",
    );

    // 6.3 Decisions: learned model against the expert fallback.
    let officer = Principal::new("demo-officer", Role::CreditOfficer);
    let risk = Principal::new("demo-risk", Role::RiskOfficer);
    let book = finkit::pool::PoolRead::portfolio(pool, &risk).map_err(pool_failure)?;
    let apps: Vec<LoadedApplication> = synthetic
        .applications
        .iter()
        .map(|a| load_application(pool, &officer, &a.id, Some(&book)).map_err(CliError::from))
        .collect::<Result<_, _>>()?;
    let app_truth: Vec<f64> = apps.iter().map(|a| true_pd(a.firm.id.as_str())).collect();
    let default_policy = LendingPolicy::default_policy()?;
    let policy = straight_through_policy()?;
    let expert = Engine::with_defaults(default_policy.clone())?;
    let learned_default =
        Engine::new(default_policy.clone(), loaded.rating_model()?, EngineConfig::new())?;
    let learned = Engine::new(policy.clone(), loaded.rating_model()?, EngineConfig::new())?;
    let d_expert = decide_all(&expert, &apps)?;
    let d_learned_default = decide_all(&learned_default, &apps)?;
    let d_learned = decide_all(&learned, &apps)?;
    let b_expert = BookSummary::of(&d_expert);
    let b_learned_default = BookSummary::of(&d_learned_default);
    let b_learned = BookSummary::of(&d_learned);
    let t_expert = BookSummary::with_pds(&d_expert, &app_truth)?;
    let t_learned_default = BookSummary::with_pds(&d_learned_default, &app_truth)?;
    let t_learned = BookSummary::with_pds(&d_learned, &app_truth)?;
    loop_charts::bars(
        &dir.join("loop_decisions.png"),
        "Straight-through rate (%) and EL rate of the approved book (bp, true PD)",
        "% / bp",
        &[
            ("expert: straight-through %".into(), b_expert.straight_through_rate * 100.0),
            ("learned: straight-through %".into(), b_learned.straight_through_rate * 100.0),
            ("expert: EL bp".into(), t_expert.approved_el_rate * 1e4),
            ("learned: EL bp".into(), t_learned.approved_el_rate * 1e4),
        ],
    )?;
    report.heading("6.3 Decisions on the learned model");
    report.paragraph(format!(
        "The {} applications decided by the expert fallback with the default policy ({} {}: the current engine), by the \
         learned model {} with the same policy, and by the learned model with the straight-through policy ({} {}: \
         policy/straight_through.toml — limit overruns become counter-offers, leverage is left to the model, PD above 3 % \
         refers and above 5 % declines, delegated authority 15 million), which section 3 used. Straight-through = decided \
         without a credit officer (approved or declined); EL rate = Σ PD·LGD·offered / Σ offered over the automatically \
         approved applications, under each model's own PD and under the generator's true PD.",
        apps.len(),
        default_policy.id(),
        default_policy.version(),
        loaded.id,
        policy.id(),
        policy.version(),
    ));
    report.table(
        &BOOK_HEADER,
        vec![
            book_rows(&format!("{} + default policy", expert.model_id()), &b_expert, &t_expert),
            book_rows(
                &format!("{} + default policy", loaded.id),
                &b_learned_default,
                &t_learned_default,
            ),
            book_rows(&format!("{} + straight-through policy", loaded.id), &b_learned, &t_learned),
        ],
    );
    report.image(
        "loop_decisions.png",
        "Straight-through rate and expected loss rate of the approved book",
    );

    // 6.4 A year of outcomes, written back to the pool.
    let year1: std::collections::HashSet<&str> =
        synthetic.events.iter().map(|e| e.firm_id.as_str()).collect();
    let start = d0 + Days::new(365);
    let mut events = Vec::new();
    for (i, t) in synthetic.truth.iter().enumerate() {
        if year1.contains(t.firm_id.as_str()) {
            continue;
        }
        if uniform(OUTCOME_SEED, 2 * i as u64) < t.pd {
            let day = 1 + (uniform(OUTCOME_SEED, 2 * i as u64 + 1) * 365.0) as u64;
            events.push(CreditEvent {
                firm_id: t.firm_id.clone(),
                kind: CreditEventKind::Default,
                date: start + Days::new(day.min(365)),
            });
        }
    }
    let mut per_month = [0usize; 12];
    for e in &events {
        let m = ((e.date - start).num_days() - 1).clamp(0, 364) as usize * 12 / 365;
        per_month[m.min(11)] += 1;
    }
    let n_events = events.len();
    let written = pool
        .ingest(
            &risk,
            &Batch::from_records(events.into_iter().map(Record::from)),
            IngestMode::Strict,
        )
        .map_err(pool_failure)?;
    loop_charts::bars(
        &dir.join("loop_outcomes.png"),
        "Simulated defaults of the second year, by month",
        "defaults",
        &per_month
            .iter()
            .enumerate()
            .map(|(m, &c)| (format!("M{}", m + 1), c as f64))
            .collect::<Vec<_>>(),
    )?;
    report.heading("6.4 A year of outcomes, written back");
    report.paragraph(format!(
        "For every firm that did not default in the first year, a default in ({start}, {}] drawn from its true one-year PD \
         (SplitMix64 uniforms, seed {OUTCOME_SEED}): {n_events} defaults, ingested into the pool as credit events by the risk \
         officer ({} rows accepted, audited).",
        start + Days::new(365),
        written.accepted
    ));
    report.image("loop_outcomes.png", "Simulated defaults per month of the second year");

    // 6.5 Monitoring on the newer population.
    let d1 = d0.checked_add_months(Months::new(12)).unwrap_or(d0);
    let analyst = Principal::new("demo-analyst", Role::Analyst);
    let set1 = pool
        .point_in_time_dataset(&analyst, &PointInTimeParams::new(vec![d1], 12).map_err(internal)?)
        .map_err(pool_failure)?;
    let monitoring =
        monitor_model(&loaded.card, &model0, &set0.data, &set1.data, &MonitoringParams::default())?;
    monitoring_chart(&dir.join("loop_monitoring.png"), &monitoring)?;
    report.heading("6.5 Monitoring on outcomes");
    report.paragraph(format!(
        "`finkit credit monitor`: the champion on the population as of D1 = {d1} ({} rows, {} defaults in the simulated year) \
         against its development sample. Thresholds: PSI/CSI green < 0.10 ≤ amber < 0.25 ≤ red; tests green for p ≥ 0.05, \
         amber for 0.01 ≤ p < 0.05, red below (a grade follows its Jeffreys test, as in the ECB's guidance); AUC red below 0.60 \
         or after a fall of more than 0.10, amber below 0.70 or after a fall of more than 0.05. Overall: {}.",
        set1.data.n_rows(),
        set1.summary[0].defaults,
        monitoring.overall.as_str()
    ));
    report.table(&["item", "value", "verdict"], report_rows(&monitoring));
    report.image(
        "loop_monitoring.png",
        "Mean PD against observed default rate per master-scale grade (current population)",
    );

    // 6.6 Challenger on the newer window.
    let dev1 = develop(
        &ScorecardFit { name: CHALLENGER_ID.into(), ..ScorecardFit::default() },
        &set1,
        &DevelopmentParams::default(),
    )?;
    let version = save_scorecard(pool, &analyst, CHALLENGER_ID, &dev1)?;
    let challenger_id = format!("{CHALLENGER_ID}/v{version}");
    let challenger_pd =
        Calibrated::new(dev1.model.clone(), dev1.calibration, challenger_id.clone())?;
    let held: Vec<usize> =
        (0..set1.data.n_rows()).filter(|&i| held_out(set1.firm_ids[i].as_str(), 0.3)).collect();
    let hold = set1.data.select_rows(&held).map_err(internal)?;
    let y_hold =
        hold.target().map(|t| t.to_owned()).ok_or_else(|| CliError::internal("no target"))?;
    let pa = model0.pd_batch(&hold)?;
    let pb = challenger_pd.pd_batch(&hold)?;
    let test = delong_test(&pa, &pb, &y_hold, RiskOrder::HigherIsRiskier)?;
    loop_charts::roc_curves(
        &dir.join("loop_challenger.png"),
        "Champion and challenger on the held-out firms of D1",
        &[
            (
                format!("champion {} (AUC {:.3})", loaded.id, test.auc_a),
                roc_tuples(&validation::roc_curve(&pa, &y_hold, RiskOrder::HigherIsRiskier)?),
            ),
            (
                format!("challenger {challenger_id} (AUC {:.3})", test.auc_b),
                roc_tuples(&validation::roc_curve(&pb, &y_hold, RiskOrder::HigherIsRiskier)?),
            ),
        ],
    )?;
    report.heading("6.6 Challenger fitted on the newer window");
    report.paragraph(format!(
        "The same pipeline on the dataset as of D1 with the simulated outcomes: {challenger_id}, {} characteristics, stored in \
         the pool beside the champion. On the {} held-out firms of D1 ({} defaults): champion AUC {:.4}, challenger AUC {:.4}; \
         paired DeLong test (pROC's roc.test method) z = {:.3}, p = {:.4}.",
        dev1.model.characteristics().len(),
        held.len(),
        y_hold.iter().filter(|&&v| v == 1.0).count(),
        test.auc_a,
        test.auc_b,
        test.z,
        test.p_value
    ));
    report.image(
        "loop_challenger.png",
        "ROC curves of champion and challenger on the held-out firms",
    );

    // 6.7 What would change.
    let challenger = Engine::new(
        policy,
        Calibrated::new(
            ScorecardModel::new(dev1.model.clone())?,
            dev1.calibration,
            challenger_id.clone(),
        )?,
        EngineConfig::new(),
    )?;
    let inputs: Vec<_> = apps.iter().map(LoadedApplication::input).collect();
    let (cmp, d_a, d_b) = compare(&learned, &challenger, &inputs, None)?;
    let ta = BookSummary::with_pds(&d_a, &app_truth)?;
    let tb = BookSummary::with_pds(&d_b, &app_truth)?;
    loop_charts::bars(
        &dir.join("loop_comparison.png"),
        "Champion and challenger: approved book EL rate (bp, true PD) and RAROC (%)",
        "bp / %",
        &[
            ("champion EL bp".into(), ta.approved_el_rate * 1e4),
            ("challenger EL bp".into(), tb.approved_el_rate * 1e4),
            ("champion RAROC %".into(), cmp.champion.approved_raroc * 100.0),
            ("challenger RAROC %".into(), cmp.challenger.approved_raroc * 100.0),
        ],
    )?;
    let o = ["approve", "refer", "decline"];
    let flips: Vec<Vec<String>> = (0..3)
        .map(|i| {
            let mut row = vec![format!("champion: {}", o[i])];
            row.extend((0..3).map(|j| cmp.flips[i][j].to_string()));
            row
        })
        .collect();
    report.heading("6.7 Champion against challenger");
    report.paragraph(format!(
        "Both decide the {} applications: {} decisions flip.",
        apps.len(),
        cmp.flipped
    ));
    report.table(&["", "challenger: approve", "challenger: refer", "challenger: decline"], flips);
    report.table(
        &BOOK_HEADER,
        vec![
            book_rows(&cmp.champion_id, &cmp.champion, &ta),
            book_rows(&cmp.challenger_id, &cmp.challenger, &tb),
        ],
    );
    report.image(
        "loop_comparison.png",
        "Expected loss rate and RAROC of the approved book under each model",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniforms_are_in_range_and_seeded() {
        let u: Vec<f64> = (0..1000).map(|i| uniform(7, i)).collect();
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        let mean = u.iter().sum::<f64>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.05);
        assert_eq!(uniform(7, 3), uniform(7, 3));
        assert_ne!(uniform(7, 3), uniform(8, 3));
    }

    #[test]
    fn concordance_and_calibration_error() {
        assert_eq!(concordance(&[0.1, 0.2, 0.3], &[0.01, 0.02, 0.03]), 1.0);
        assert_eq!(concordance(&[0.3, 0.2, 0.1], &[0.01, 0.02, 0.03]), 0.0);
        let v: Vec<f64> = (1..=100).map(|i| f64::from(i) / 1000.0).collect();
        assert!(calibration_error(&v, &v).abs() < 1e-15);
    }
}
