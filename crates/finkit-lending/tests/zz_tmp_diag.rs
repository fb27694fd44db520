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
    // counterfactuals
    use finkit_lending::limits::{size_limit, DebtCapacityInputs, LimitParams};
    for (name, stdr, minten, scale) in [("base",0.5,0.0,1.0),("std0",0.0,0.0,1.0),("tenor>=3 for short",0.5,3.0,1.0),("std0+tenor3",0.0,3.0,1.0),("amount x0.5",0.5,0.0,0.5),("amount x0.35",0.5,0.0,0.35)] {
        let mut params = LimitParams::default(); params.short_term_debt_repaid = stdr;
        let (mut a2, mut r2, mut d2) = (0,0,0); let mut lim = 0; let mut bind2 = std::collections::BTreeMap::new();
        for app in &apps {
            let dec = engine.decide(&load_application(&pool, &who, &app.id, Some(&book)).unwrap().input()).unwrap();
            let f = dec.core.features.financials.unwrap_or_default();
            let fin = DebtCapacityInputs{revenue:f.revenue, ebitda:f.ebitda, capex:f.capex, operating_cash_flow:f.operating_cash_flow, interest_expense:f.interest_expense, short_term_debt:f.short_term_debt, long_term_debt:f.long_term_debt};
            let coll: Vec<_> = app.collateral.iter().map(|c| finkit_schema::Collateral{kind:c.kind, value: finkit_schema::Amount::new(c.value.get()*scale).unwrap()}).collect();
            let t = app.tenor.get().max(minten);
            let l = size_limit(&params, &fin, &coll, &app.guarantees, dec.core.quote.rate(), t).unwrap();
            let amount = app.amount.get()*scale;
            let mut codes: Vec<String> = dec.reasons.iter().filter(|x| x.severity.is_some()).map(|x| x.code.clone()).filter(|c| c!="RF-LIMIT" && (scale==1.0 || c!="RF-AUTHORITY")).collect();
            if amount > l.amount { codes.push("RF-LIMIT".into()); lim += 1; }
            if scale != 1.0 && dec.reasons.iter().any(|x| x.code=="RF-AUTHORITY") && amount > 10e6 { codes.push("RF-AUTHORITY".into()); }
            *bind2.entry(format!("{:?}", l.binding)).or_insert(0) += 1;
            if codes.iter().any(|c| c.starts_with("KO-")) { d2+=1 } else if !codes.is_empty() { r2+=1 } else { a2+=1 }
        }
        println!("CF {name:22} approve {a2} refer {r2} decline {d2} rf-limit {lim} binding {bind2:?}");
    }
    println!("SUMMARY approve {a} refer {r} decline {d}");
    println!("BINDING {bind:?}");
    println!("RULES {rule:?}");
}
