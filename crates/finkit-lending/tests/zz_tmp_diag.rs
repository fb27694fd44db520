//! TEMPORARY diagnostic (helper): outcome mix on the demo's synthetic data.
#![allow(missing_docs, clippy::all)]
use finkit_lending::pool::load_application;
use finkit_lending::{Engine, Outcome, Policy};
use finkit_pool::{
    ApplicationFilter, Batch, IngestMode, MemoryPool, PoolRead, PoolWrite, Principal, Record, Role,
    SyntheticParams,
};

#[test]
#[ignore]
fn diag() {
    let seed: u64 =
        std::env::var("DIAG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_126);
    let data = SyntheticParams::builder()
        .with_firms(300)
        .with_applications(120)
        .with_seed(seed)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    let pool = MemoryPool::new(finkit_pool::Policy::default());
    let admin = Principal::new("loader", Role::Admin);
    let records: Vec<Record> = data
        .firms
        .iter()
        .cloned()
        .map(Record::from)
        .chain(data.statements.iter().cloned().map(Record::from))
        .chain(data.applications.iter().cloned().map(Record::from))
        .chain(data.exposures.iter().cloned().map(Record::from))
        .chain(data.events.iter().cloned().map(Record::from))
        .collect();
    pool.ingest(&admin, &Batch::from_records(records), IngestMode::Strict).unwrap();
    let who = Principal::new("officer", Role::CreditOfficer);
    let book = pool.portfolio(&Principal::new("r", Role::RiskOfficer)).unwrap();
    let engine = Engine::with_defaults(Policy::default_policy().unwrap()).unwrap();
    let apps = pool.applications(&who, &ApplicationFilter::default()).unwrap();
    let (mut a, mut r, mut d) = (0, 0, 0);
    let mut bind = std::collections::BTreeMap::new();
    let mut rule = std::collections::BTreeMap::new();
    println!(
        "id product tenor amount revenue ebitda assets std ltd int | cf lev coll bind | limit/amt outcome codes"
    );
    for app in &apps {
        let dec = engine
            .decide(&load_application(&pool, &who, &app.id, Some(&book)).unwrap().input())
            .unwrap();
        match dec.outcome() {
            Outcome::Approve => a += 1,
            Outcome::Refer => r += 1,
            _ => d += 1,
        }
        *bind.entry(format!("{:?}", dec.core.limit.binding)).or_insert(0) += 1;
        let codes: Vec<&str> =
            dec.reasons.iter().filter(|x| x.severity.is_some()).map(|x| x.code.as_str()).collect();
        for c in &codes {
            *rule.entry(c.to_string()).or_insert(0) += 1;
        }
        let f = dec.core.features.financials.unwrap_or_default();
        let l = dec.core.limit;
        println!(
            "{} {:?} {} {:.0} {:.0} {:.0} {:.0} {:.0} {:.0} {:.0} | {:.0} {:.0} {:.0} {:?} | {:.2} {:?} {:?}",
            app.id,
            app.product,
            app.tenor.get(),
            app.amount.get(),
            f.revenue,
            f.ebitda,
            f.total_assets,
            f.short_term_debt,
            f.long_term_debt,
            f.interest_expense,
            l.cash_flow,
            l.leverage,
            l.collateral,
            l.binding,
            l.amount / app.amount.get(),
            dec.outcome(),
            codes
        );
    }
    println!("SUMMARY approve {a} refer {r} decline {d}");
    println!("BINDING {bind:?}");
    println!("RULES {rule:?}");
}
