//! Decisions rated by a boosted model: the PD is the model's and the "SCORE:" reasons are its
//! top TreeSHAP reason codes.

use crate::common;

use common::scorecard::training_table;
use common::synthetic::{dataset, fill, officer};
use finkit_credit::boosting::{BoostingParams, Monotone};
use finkit_credit::{Fit, PdModel};
use finkit_lending::model::{BoostedRatingModel, RatingModel, features_record};
use finkit_lending::pool::load_application;
use finkit_lending::{Engine, EngineConfig, LendingPolicy};
use finkit_pool::{ApplicationFilter, MemoryPool, PoolRead};

#[test]
fn boosted_model_rates_and_its_reason_codes_reach_the_decisions() {
    let model = BoostingParams::new()
        .trees(60)
        .learning_rate(0.1)
        .monotone(Monotone::Auto)
        .build()
        .unwrap()
        .fit(&training_table())
        .unwrap()
        .with_name("synthetic-sme-boosted/1");
    let rating = BoostedRatingModel::new(model.clone()).unwrap();
    assert_eq!(rating.model_id(), "finkit-boosted:synthetic-sme-boosted/1");
    let engine =
        Engine::new(LendingPolicy::default_policy().unwrap(), rating, EngineConfig::new()).unwrap();
    let pool = MemoryPool::new(finkit_pool::Policy::default());
    fill(&pool, &dataset());
    let who = officer();
    let book = pool.portfolio(&who).unwrap();
    let mut with_reasons = 0;
    for a in pool.applications(&who, &ApplicationFilter::default()).unwrap() {
        let loaded = load_application(&pool, &who, &a.id, Some(&book)).unwrap();
        let d = engine.decide(&loaded.input()).unwrap();
        let record = features_record(&d.core.features);
        assert_eq!(d.core.pd, model.pd(&record).unwrap().get(), "{}", d.application_id);
        let row = model.row_of(&record).unwrap();
        let expected: Vec<String> = model
            .explain(&row)
            .unwrap()
            .2
            .into_iter()
            .map(|r| format!("SCORE:{}", r.variable))
            .collect();
        let got: Vec<String> = d
            .reasons
            .iter()
            .filter(|r| r.code.starts_with("SCORE:"))
            .map(|r| r.code.clone())
            .collect();
        assert_eq!(got, expected, "{}", d.application_id);
        with_reasons += usize::from(!got.is_empty());
    }
    assert!(with_reasons > 0, "no decision carried a boosted reason code");
}

#[test]
fn a_model_feature_that_is_not_a_lending_feature_is_refused() {
    let x: Vec<f64> = (0..200).map(f64::from).collect();
    let y: Vec<f64> = (0..200).map(|i| f64::from(u8::from(i % 7 == 0 || i > 150))).collect();
    let model = BoostingParams::new()
        .trees(2)
        .build()
        .unwrap()
        .fit_columns(vec!["shoe_size".into()], &[&x], &y)
        .unwrap();
    let err = BoostedRatingModel::new(model).unwrap_err().to_string();
    assert!(err.contains("shoe_size"), "{err}");
}
