//! Decisions rated by a fitted `finkit_credit` scorecard, alone and inside the default blend:
//! the PD is the card's and the "SCORE:" reasons are the card's top reason codes.

use crate::common;

use common::CARD_REFIT_REL_TOL;
use common::scorecard::{NAME, fitted_card, saved_card};
use common::synthetic::{dataset, fill, officer};
use finkit_credit::PdModel;
use finkit_credit::scorecard::Scorecard;
use finkit_lending::model::{BlendModel, RatingModel, ScorecardModel, features_record};
use finkit_lending::pool::load_application;
use finkit_lending::{Decision, DecisionOutcome, Engine, EngineConfig, LendingPolicy};
use finkit_pool::{ApplicationFilter, MemoryPool, PoolRead, SqlitePool};

fn decide_all<P: PoolRead, M: RatingModel>(pool: &P, engine: &Engine<M>) -> Vec<Decision> {
    let who = officer();
    let book = pool.portfolio(&who).unwrap();
    pool.applications(&who, &ApplicationFilter::default())
        .unwrap()
        .iter()
        .map(|a| {
            let loaded = load_application(pool, &who, &a.id, Some(&book)).unwrap();
            engine.decide(&loaded.input()).unwrap()
        })
        .collect()
}

fn memory_pool() -> MemoryPool {
    let pool = MemoryPool::new(finkit_pool::Policy::default());
    fill(&pool, &dataset());
    pool
}

/// The variables of the decision's scorecard reasons, in order.
fn score_reasons(d: &Decision) -> Vec<String> {
    d.reasons.iter().filter_map(|r| r.code.strip_prefix("SCORE:").map(str::to_owned)).collect()
}

/// The card's own top reason codes for the decision's features.
fn card_reasons(card: &Scorecard, d: &Decision) -> Vec<String> {
    let record = features_record(&d.core.features);
    card.reason_codes(&record).unwrap().into_iter().map(|r| r.variable).collect()
}

#[test]
fn the_fitted_card_alone_gives_the_pd_and_the_reasons() {
    let card = saved_card();
    let engine = Engine::new(
        LendingPolicy::default_policy().unwrap(),
        ScorecardModel::new(card.clone()).unwrap(),
        EngineConfig::new(),
    )
    .unwrap();
    let decisions = decide_all(&memory_pool(), &engine);
    for d in &decisions {
        let record = features_record(&d.core.features);
        assert_eq!(d.core.pd, card.pd(&record).unwrap().get(), "{}", d.application_id);
        assert_eq!(score_reasons(d), card_reasons(&card, d), "{}", d.application_id);
        assert!(score_reasons(d).len() <= 4);
        assert_eq!(d.audit.model_id, format!("finkit-scorecard:{NAME}"));
    }
    assert!(decisions.iter().any(|d| d.outcome() == DecisionOutcome::Decline));
}

#[test]
fn the_blend_with_a_fitted_card_explains_declines_with_its_reason_codes() {
    // The card as a bank ships it: saved with a checksum, reloaded (and re-validated).
    let card = saved_card();
    let reloaded = Scorecard::from_json(&card.to_json().unwrap()).unwrap();
    let model = BlendModel::new(ScorecardModel::new(reloaded).unwrap());
    assert_eq!(model.model_id(), format!("finkit-blend/1.1[finkit-scorecard:{NAME}]"));
    let engine =
        Engine::new(LendingPolicy::default_policy().unwrap(), model, EngineConfig::new()).unwrap();
    // The whole model (blend parameters and the card) round-trips through JSON, validated.
    let json = serde_json::to_string(engine.model()).unwrap();
    let back: BlendModel<ScorecardModel> = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, engine.model());

    let memory = memory_pool();
    let sqlite = SqlitePool::in_memory().unwrap();
    fill(&sqlite, &dataset());
    let from_memory = decide_all(&memory, &engine);
    assert_eq!(from_memory, decide_all(&sqlite, &engine), "SQLite and memory must agree");

    let declines: Vec<&Decision> =
        from_memory.iter().filter(|d| d.outcome() == DecisionOutcome::Decline).collect();
    assert!(!declines.is_empty());
    for d in &from_memory {
        // LendingPolicy reasons first, then the card's own top reason codes, in its order.
        assert_eq!(score_reasons(d), card_reasons(&card, d), "{}", d.application_id);
        let first_score = d.reasons.iter().position(|r| r.severity.is_none());
        assert!(first_score.is_none_or(|i| d.reasons[i..].iter().all(|r| r.severity.is_none())));
        // The blend: the card's PD averaged in log-odds with Z″ (no market data here).
        let c = engine_components(&engine, d);
        // Clamped as the blend does, to keep the log-odds finite.
        let logit = |p: f64| {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            (p / (1.0 - p)).ln()
        };
        let want = match c.altman_pd {
            Some(z) => 1.0 / (1.0 + (-(2.0 * logit(c.scorecard) + logit(z)) / 3.0).exp()),
            None => c.scorecard,
        }
        .max(0.0003);
        assert!(
            (d.core.pd - want).abs() <= 1e-12 * want,
            "{}: {} vs {want}",
            d.application_id,
            d.core.pd
        );
    }
    // Golden: (application, outcome, the card's reason codes in order).
    let golden: [(&str, DecisionOutcome, &[&str]); 3] = [
        ("A000007", DecisionOutcome::Approve, &["revenue_growth", "years_in_business"]),
        (
            "A000005",
            DecisionOutcome::Refer,
            &["net_income_to_assets", "interest_coverage", "leverage", "revenue_growth"],
        ),
        (
            "A000014",
            DecisionOutcome::Decline,
            &["net_income_to_assets", "leverage", "interest_coverage", "current_ratio"],
        ),
    ];
    for (id, outcome, codes) in golden {
        let d = from_memory.iter().find(|d| d.application_id == id).unwrap();
        assert_eq!(
            (d.outcome(), score_reasons(d)),
            (outcome, codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()),
            "{id}"
        );
    }
    for d in declines {
        assert!(
            !score_reasons(d).is_empty(),
            "{}: a decline names the card's reasons",
            d.application_id
        );
    }
}

fn engine_components(
    engine: &Engine<BlendModel<ScorecardModel>>,
    d: &Decision,
) -> finkit_lending::model::Components {
    engine.model().components(&d.core.features, None).unwrap()
}

/// `tests/data/synthetic_scorecard.json` (used by these tests and the lending bench) is the card
/// `common::scorecard` fits: same bins and rounded points, coefficients within
/// [`CARD_REFIT_REL_TOL`]. Regenerate it with `FINKIT_REGENERATE=1 cargo test -p finkit-lending
/// --test scorecard_model` (and review the goldens above).
#[test]
fn the_saved_card_is_the_fitted_card() {
    let card = fitted_card();
    if std::env::var_os("FINKIT_REGENERATE").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/synthetic_scorecard.json");
        std::fs::write(path, card.to_json().unwrap()).unwrap();
    }
    let saved = saved_card();
    let close = |what: &str, a: f64, b: f64| {
        assert!((a - b).abs() <= CARD_REFIT_REL_TOL * b.abs(), "{what}: refit {a} vs saved {b}");
    };
    close("intercept", card.intercept(), saved.intercept());
    assert_eq!(card.base_points(), saved.base_points());
    assert_eq!(card.characteristics().len(), saved.characteristics().len());
    for (c, s) in card.characteristics().iter().zip(saved.characteristics()) {
        let name = s.binning().name();
        assert_eq!(c.binning().name(), name);
        assert_eq!(c.binning().splits(), s.binning().splits(), "{name}: splits");
        assert_eq!(c.points(), s.points(), "{name}: points");
        close(name, c.coefficient(), s.coefficient());
    }
}

#[test]
fn a_card_on_an_unknown_variable_is_a_typed_error() {
    use finkit_credit::binning::{BinningParams, BinningProcessParams};
    use finkit_credit::scorecard::{OddsDirection, ScalingParams};
    use finkit_schema::{Column, Dataset};
    use ndarray::{Array1, array};

    let x: Array1<f64> = (0..40).map(f64::from).collect();
    let bad: Array1<f64> = (0..40).map(|i| if i % 4 == 0 || i < 6 { 1.0 } else { 0.0 }).collect();
    let data =
        Dataset::new(vec![("shoe_size".into(), Column::Numeric(x))], Some(("bad".into(), bad)))
            .unwrap();
    let process = BinningProcessParams::new()
        .binning(BinningParams::new().prebins(4).min_bin_share(0.2))
        .build()
        .unwrap()
        .fit(&data)
        .unwrap();
    let scaling = ScalingParams::new(20.0, 600.0, 50.0, OddsDirection::GoodToBad).build().unwrap();
    let card = Scorecard::new(&process, -0.85, &array![0.9], &scaling).unwrap();
    let err = ScorecardModel::new(card).unwrap_err();
    assert!(err.to_string().contains("shoe_size"), "{err}");
}

/// `decide_batch` skips the reason codes (`RatingModel::pd`) but gives the same numbers as
/// `decide_core`, for the default blend and for the blend around the fitted card.
#[test]
fn batch_pd_without_reasons_is_the_same() {
    let pool = memory_pool();
    let who = officer();
    let loaded: Vec<_> = pool
        .applications(&who, &ApplicationFilter::default())
        .unwrap()
        .iter()
        .map(|a| load_application(&pool, &who, &a.id, None).unwrap())
        .collect();
    let inputs: Vec<_> = loaded.iter().map(|l| l.input()).collect();
    let policy = LendingPolicy::default_policy().unwrap();
    let card = BlendModel::new(ScorecardModel::new(saved_card()).unwrap());
    let card = Engine::new(policy.clone(), card, EngineConfig::new()).unwrap();
    let default = Engine::with_defaults(policy).unwrap();
    fn check<M: RatingModel>(engine: &Engine<M>, inputs: &[finkit_lending::DecisionInput<'_>]) {
        let batch = engine.decide_batch(inputs);
        let mut scratch = finkit_lending::Scratch::default();
        for (input, b) in inputs.iter().zip(batch) {
            assert_eq!(b.unwrap(), engine.decide_core(input, &mut scratch).unwrap());
        }
    }
    check(&card, &inputs);
    check(&default, &inputs);
}
