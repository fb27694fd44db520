//! Golden decisions on the seeded synthetic data set, from SQLite and from memory.

mod common;

use common::synthetic::{dataset, fill, officer};
use finkit_lending::pool::load_application;
use finkit_lending::{Engine, Outcome, Policy};
use finkit_pool::{ApplicationFilter, MemoryPool, PoolRead, SqlitePool};

#[test]
fn explore() {
    let data = dataset();
    let pool = MemoryPool::new(finkit_pool::Policy::default());
    fill(&pool, &data);
    let who = officer();
    let book = pool.portfolio(&who).unwrap();
    let engine = Engine::with_defaults(Policy::default_policy().unwrap()).unwrap();
    for app in pool.applications(&who, &ApplicationFilter::default()).unwrap() {
        let loaded = load_application(&pool, &who, &app.id, Some(&book)).unwrap();
        let d = engine.decide(&loaded.input()).unwrap();
        let codes: Vec<&str> = d.reasons.iter().filter(|r| r.severity.is_some()).map(|r| r.code.as_str()).collect();
        println!("{} {} {:?} pd={:.4} g={} amt={:.0} lim={:.0} {:?} rate={:.4} plan={:?}", d.application_id, d.firm_id, d.outcome(), d.core.pd, d.grade, app.amount.get(), d.core.limit.amount, codes, d.core.quote.rate(), d.plan.as_ref().map(|p| (p.stage, p.lines.len())));
    }
    let _ = (SqlitePool::in_memory, Outcome::Approve);
}
