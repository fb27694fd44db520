//! The loan desk: the demo's flow in library calls, for service developers embedding finkit in a
//! loan-origination service.
//!
//! Run: `cargo run --release -p finkit-examples --example loan_desk`
//!
//! A data pool (in memory here; `SqlitePool::open(path)` in a service) is filled with seeded
//! SYNTHETIC firms, statements, applications and a loan book. Each application is read as of its
//! date, rated, checked against the policy, priced for risk, sized, and — for technology
//! enterprises — given a financing plan; the desk then sees what the loan does to the book.

use std::error::Error;
use std::time::Instant;

use finkit_lending::impact::{NewLoan, portfolio_impact};
use finkit_lending::pool::load_application;
use finkit_lending::{DecisionOutcome, Engine, LendingPolicy};
use finkit_pool::synthetic::SyntheticParams;
use finkit_pool::{Batch, IngestMode, MemoryPool, PoolRead, PoolWrite, Principal, Record, Role};
use finkit_schema::{Lgd, Probability};

fn main() -> Result<(), Box<dyn Error>> {
    // The pool, as a service would have it.
    let pool = MemoryPool::new(Default::default());
    let data = SyntheticParams::builder()
        .with_firms(300)
        .with_applications(60)
        .with_seed(11)
        .build()?
        .generate()?;
    let mut records: Vec<Record> = Vec::new();
    records.extend(data.firms.iter().cloned().map(Record::from));
    records.extend(data.statements.iter().cloned().map(Record::from));
    records.extend(data.applications.iter().cloned().map(Record::from));
    records.extend(data.exposures.iter().cloned().map(Record::from));
    records.extend(data.events.iter().cloned().map(Record::from));
    let report = pool.ingest(
        &Principal::new("loader", Role::Admin),
        &Batch::from_records(records),
        IngestMode::Strict,
    )?;
    println!("pool loaded: {} rows", report.accepted);

    // The engine: the policy file shipped with finkit-lending and the default rating model.
    let engine = Engine::with_defaults(LendingPolicy::default_policy()?)?;
    let officer = Principal::new("officer-1", Role::CreditOfficer);
    let book = pool.portfolio(&Principal::new("risk-1", Role::RiskOfficer))?;

    let started = Instant::now();
    let mut shown = [0usize; 3];
    for application in &data.applications {
        let loaded = load_application(&pool, &officer, &application.id, Some(&book))?;
        let decision = engine.decide(&loaded.input())?;
        let slot = match decision.core.outcome {
            DecisionOutcome::Approve => 0,
            DecisionOutcome::Refer => 1,
            DecisionOutcome::Decline => 2,
        };
        shown[slot] += 1;
        if shown[slot] > 1 {
            continue;
        }
        println!(
            "\n{} ({}): {:?}, PD {:.2} %, grade {}, rate {:.2} %, limit {:.0} (binding: {})",
            decision.application_id,
            loaded.firm.name,
            decision.core.outcome,
            decision.core.pd * 100.0,
            decision.grade,
            decision.core.quote.rate() * 100.0,
            decision.core.limit.amount,
            decision.core.limit.binding.as_str()
        );
        for reason in decision.reasons.iter().take(4) {
            println!("  - [{}] {}", reason.code, reason.text);
        }
        if let Some(plan) = &decision.plan {
            for line in &plan.lines {
                println!(
                    "  plan: {} {:.0} — {}",
                    line.product.as_str(),
                    line.amount,
                    line.rationale
                );
            }
        }
        if decision.core.offered_amount > 0.0 {
            let impact = portfolio_impact(
                &book,
                &NewLoan {
                    pd: Probability::new(decision.core.pd)?,
                    lgd: Lgd::new(decision.core.lgd)?,
                    ead: decision.core.offered_amount,
                    maturity: application.tenor,
                    sales_eur_m: None,
                    sector: loaded.firm.industry.code.clone(),
                    rate: decision.core.quote.rate(),
                },
                engine.pricer(),
            )?;
            println!(
                "  book impact: EL +{:.0}, capital +{:.0}, marginal RAROC {:.1} %",
                impact.marginal_expected_loss,
                impact.marginal_capital,
                impact.marginal_raroc * 100.0
            );
        }
        println!(
            "  audit: model {}, policy {}",
            decision.audit.model_id, decision.audit.policy_version
        );
    }
    println!(
        "\n{} decisions in {:.1} ms: {} approved, {} referred, {} declined",
        data.applications.len(),
        started.elapsed().as_secs_f64() * 1e3,
        shown[0],
        shown[1],
        shown[2]
    );
    Ok(())
}
