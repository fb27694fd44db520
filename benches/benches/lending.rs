//! Lending decisions: one full decision in memory (features → PD → grade → rules → price →
//! limit, then the explained decision with its plan and audit record) and a batch of 1,000,000
//! decisions on the rayon pool. Inputs: the seeded synthetic data set (300 firms, 120
//! applications), cycled.
//!
//! Two rating models: the default blend (expert scorecard + Altman Z″, allocation-free) and the
//! same blend around a fitted `finkit_credit` scorecard (`ScorecardModel`, the card of
//! `crates/finkit-lending/tests/data/synthetic_scorecard.json`), whose reason codes the
//! decisions then carry.
//!
//! Besides criterion's means, a direct pass prints the p50 / p99 latency of single decisions.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use finkit_credit::scorecard::Scorecard;
use finkit_lending::model::{BlendModel, RatingModel, ScorecardModel};
use finkit_lending::{DecisionInput, Engine, EngineConfig, LendingPolicy, Scratch};
use finkit_pool::{SyntheticDataset, SyntheticParams};

fn data() -> SyntheticDataset {
    SyntheticParams::builder()
        .with_firms(300)
        .with_applications(120)
        .with_seed(20_240_601)
        .with_listed(0)
        .build()
        .and_then(|p| p.generate())
        .unwrap_or_else(|e| panic!("synthetic data: {e}"))
}

fn inputs(d: &SyntheticDataset) -> Vec<DecisionInput<'_>> {
    d.applications
        .iter()
        .filter_map(|a| {
            let firm = d.firms.iter().find(|f| f.id == a.firm_id)?;
            let start = d.statements.partition_point(|s| s.firm_id < a.firm_id);
            let end = d.statements.partition_point(|s| s.firm_id <= a.firm_id);
            Some(DecisionInput {
                application: a,
                firm,
                statements: &d.statements[start..end],
                market: None,
                on_watch_list: false,
                sector: None,
            })
        })
        .collect()
}

fn percentiles<M: RatingModel>(
    engine: &Engine<M>,
    inputs: &[DecisionInput<'_>],
    full: bool,
) -> (f64, f64) {
    let mut scratch = Scratch::default();
    let mut ns: Vec<f64> = (0..200_000)
        .map(|i| {
            let input = &inputs[i % inputs.len()];
            let t = Instant::now();
            if full {
                black_box(engine.decide(input).ok());
            } else {
                black_box(engine.decide_core(input, &mut scratch).ok());
            }
            t.elapsed().as_nanos() as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    (ns[ns.len() / 2], ns[ns.len() * 99 / 100])
}

fn card_engine() -> Engine<BlendModel<ScorecardModel>> {
    let json = include_str!("../../crates/finkit-lending/tests/data/synthetic_scorecard.json");
    let card = Scorecard::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    let policy = LendingPolicy::default_policy().unwrap_or_else(|e| panic!("{e}"));
    Engine::new(
        policy,
        BlendModel::new(ScorecardModel::new(card).unwrap_or_else(|e| panic!("{e}"))),
        EngineConfig::new(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn bench(c: &mut Criterion) {
    let d = data();
    let inputs = inputs(&d);
    let engine =
        Engine::with_defaults(LendingPolicy::default_policy().unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    let card = card_engine();
    for (name, full) in [("core", false), ("full", true)] {
        let (p50, p99) = percentiles(&engine, &inputs, full);
        eprintln!(
            "lending/{name} decision latency: p50 {:.2} us, p99 {:.2} us",
            p50 / 1e3,
            p99 / 1e3
        );
        let (p50, p99) = percentiles(&card, &inputs, full);
        eprintln!(
            "lending/{name} decision latency, fitted card: p50 {:.2} us, p99 {:.2} us",
            p50 / 1e3,
            p99 / 1e3
        );
    }
    let mut g = c.benchmark_group("lending");
    g.throughput(Throughput::Elements(1));
    let mut scratch = Scratch::default();
    let mut i = 0usize;
    g.bench_function("decide_core", |b| {
        b.iter(|| {
            i = (i + 1) % inputs.len();
            black_box(engine.decide_core(black_box(&inputs[i]), &mut scratch).ok())
        });
    });
    g.bench_function("decide_core_fitted_card", |b| {
        b.iter(|| {
            i = (i + 1) % inputs.len();
            black_box(card.decide_core(black_box(&inputs[i]), &mut scratch).ok())
        });
    });
    g.bench_function("decide_full", |b| {
        b.iter(|| {
            i = (i + 1) % inputs.len();
            black_box(engine.decide(black_box(&inputs[i])).ok())
        });
    });
    const BATCH: usize = 1_000_000;
    let batch: Vec<DecisionInput<'_>> = (0..BATCH).map(|k| inputs[k % inputs.len()]).collect();
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    g.bench_function("batch_1m_rayon", |b| {
        b.iter(|| black_box(engine.decide_batch(black_box(&batch)).len()))
    });
    g.bench_function("batch_1m_rayon_fitted_card", |b| {
        b.iter(|| black_box(card.decide_batch(black_box(&batch)).len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
