//! Point-in-time datasets: no look-ahead (a restatement or a new period published after the
//! observation date is never used), the SQLite one-query path equals the generic path on every
//! backend, the target counts the events of the horizon, and firms left out are counted.

use finkit_pool::dataset::{
    PointInTimeDataset, PointInTimeParams, TARGET, feature_names, point_in_time_dataset,
};
use finkit_pool::synthetic::{SyntheticDataset, SyntheticParams};
use finkit_pool::{Batch, IngestMode, MemoryPool, PoolWrite, Principal, Record, Role, SqlitePool};
use finkit_schema::chrono::{Days, NaiveDate};
use finkit_schema::{CreditEvent, CreditEventKind, FinancialRatios};

fn synthetic(firms: usize, restatements: f64) -> SyntheticDataset {
    SyntheticParams::builder()
        .with_firms(firms)
        .with_seed(15)
        .with_restatement_share(restatements)
        .build()
        .unwrap()
        .generate()
        .unwrap()
}

fn records(data: &SyntheticDataset) -> Vec<Record> {
    data.firms
        .iter()
        .cloned()
        .map(Record::from)
        .chain(data.statements.iter().cloned().map(Record::from))
        .chain(data.events.iter().cloned().map(Record::from))
        .collect()
}

fn admin() -> Principal {
    Principal::new("admin", Role::Admin)
}

fn sqlite(records: Vec<Record>) -> SqlitePool {
    let pool = SqlitePool::in_memory().unwrap();
    pool.ingest(&admin(), &Batch::from_records(records), IngestMode::Strict).unwrap();
    pool
}

fn days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 { d + Days::new(n as u64) } else { d - Days::new((-n) as u64) }
}

#[test]
fn restatements_and_new_periods_published_later_are_not_used() {
    let data = synthetic(60, 0.0);
    let as_of = data.as_of;
    // Firm F1's latest statement, restated 30 days after the observation date with other
    // figures, and a new period published 60 days after it.
    let latest = data
        .statements
        .iter()
        .filter(|s| s.firm_id == data.firms[0].id)
        .max_by_key(|s| (s.period_end, s.available_at))
        .unwrap()
        .clone();
    let mut restated = latest.clone();
    restated.available_at = days(as_of, 30);
    restated.total_liabilities += 1_000.0;
    restated.total_assets += 1_000.0;
    let mut next = latest.clone();
    next.period_end = days(latest.period_end, 366);
    next.available_at = days(as_of, 60);
    next.revenue *= 2.0;
    let mut all = records(&data);
    // The firm's credit events are dropped so it stays in every population.
    all.retain(|r| !matches!(r, Record::CreditEvent(e) if e.firm_id == data.firms[0].id));
    let later = vec![Record::from(restated.clone()), Record::from(next.clone())];
    let before = sqlite(all.clone());
    let after = sqlite(all.into_iter().chain(later).collect());
    let dates = vec![as_of, days(as_of, 45), days(as_of, 90)];
    let params = PointInTimeParams::new(dates, 12).unwrap();
    let a = after.point_in_time_dataset(&admin(), &params).unwrap();
    let b = before.point_in_time_dataset(&admin(), &params).unwrap();
    let row = |set: &PointInTimeDataset, d: NaiveDate| {
        (0..set.firm_ids.len())
            .find(|&i| set.firm_ids[i] == data.firms[0].id && set.as_of[i] == d)
            .unwrap()
    };
    let leverage = |set: &PointInTimeDataset, i: usize| set.data.numeric("leverage").unwrap()[i];
    // On the observation date the later files do not exist yet: identical datasets.
    let (ia, ib) = (row(&a, as_of), row(&b, as_of));
    assert_eq!(a.available_at[ia], latest.available_at);
    for name in feature_names() {
        let (x, y) = (a.data.numeric(name).unwrap()[ia], b.data.numeric(name).unwrap()[ib]);
        assert!(x == y || (x.is_nan() && y.is_nan()), "{name}: {x} vs {y}");
    }
    // 45 days later the restatement is known, the new period is not.
    let i45 = row(&a, days(as_of, 45));
    assert_eq!(a.available_at[i45], restated.available_at);
    assert_eq!(a.period_end[i45], latest.period_end);
    let want = FinancialRatios::compute(&restated, None).leverage.unwrap();
    assert_eq!(leverage(&a, i45), want);
    assert_ne!(leverage(&a, i45), leverage(&a, ia));
    // 90 days later the new period is current and the restated one is its prior year.
    let i90 = row(&a, days(as_of, 90));
    assert_eq!(a.period_end[i90], next.period_end);
    let growth = a.data.numeric("revenue_growth").unwrap()[i90];
    let want = FinancialRatios::compute(&next, Some(&restated)).revenue_growth.unwrap();
    assert_eq!(growth, want);
}

/// Equal datasets, or a one-line description of the first difference.
fn same(a: &PointInTimeDataset, b: &PointInTimeDataset, what: &str) {
    assert_eq!(a.summary, b.summary, "{what}: summaries");
    assert_eq!(a.firm_ids.len(), b.firm_ids.len(), "{what}: rows");
    for i in 0..a.firm_ids.len() {
        let key = (&a.firm_ids[i], a.as_of[i], a.period_end[i], a.available_at[i]);
        assert_eq!(
            key,
            (&b.firm_ids[i], b.as_of[i], b.period_end[i], b.available_at[i]),
            "{what}: row {i}"
        );
    }
    // Missing features are NaN, which is never == itself: compare bits.
    for name in feature_names() {
        let (x, y) = (a.data.numeric(name).unwrap(), b.data.numeric(name).unwrap());
        for i in 0..x.len() {
            assert_eq!(x[i].to_bits(), y[i].to_bits(), "{what}: {name} row {i}");
        }
    }
    assert_eq!(a.data.target(), b.data.target(), "{what}: target");
}

#[test]
fn sqlite_one_query_equals_the_generic_path_on_both_backends() {
    let data = synthetic(300, 0.3);
    let recs = records(&data);
    let lite = sqlite(recs.clone());
    let memory = MemoryPool::new(finkit_pool::Policy::default());
    memory.ingest(&admin(), &Batch::from_records(recs), IngestMode::Strict).unwrap();
    let as_of = data.as_of;
    let dates =
        vec![days(as_of, -700), days(as_of, -400), days(as_of, -200), as_of, days(as_of, 200)];
    let params = PointInTimeParams::new(dates, 6).unwrap();
    let fast = lite.point_in_time_dataset(&admin(), &params).unwrap();
    let generic = point_in_time_dataset(&lite, &admin(), &params).unwrap();
    let mem = point_in_time_dataset(&memory, &admin(), &params).unwrap();
    same(&fast, &generic, "sqlite generic");
    same(&fast, &mem, "memory");
    // Every firm is accounted for on every date.
    for s in &fast.summary {
        assert_eq!(s.rows + s.not_founded + s.no_statement + s.in_default, 300, "{s:?}");
    }
    assert!(fast.summary[0].no_statement > 0, "the earliest date precedes some statements");
    assert!(fast.summary[4].in_default > 0, "defaults of the performance year exclude firms");
}

#[test]
fn on_the_generator_date_the_dataset_is_the_development_sample() {
    let data = synthetic(400, 0.05);
    let pool = sqlite(records(&data));
    let params = PointInTimeParams::new(vec![data.as_of], 12).unwrap();
    let set = pool.point_in_time_dataset(&admin(), &params).unwrap();
    assert_eq!(set.data.n_rows(), 400);
    assert_eq!(set.data.target_name(), Some(TARGET));
    let target = set.data.target().unwrap();
    for (i, id) in set.firm_ids.iter().enumerate() {
        assert_eq!(target[i] == 1.0, data.defaulted(id), "{id}");
    }
    // The ratios are those of the generator's own scoring table (latest known statement).
    let table = data.scoring_table().unwrap();
    for name in ["leverage", "revenue_growth", "interest_coverage", "working_capital_to_assets"] {
        let (x, y) = (set.data.numeric(name).unwrap(), table.numeric(name).unwrap());
        for i in 0..400 {
            assert!(x[i] == y[i] || (x[i].is_nan() && y[i].is_nan()), "{name} row {i}");
        }
    }
    // A horizon of one month sees only the defaults of the first month.
    let short = PointInTimeParams::new(vec![data.as_of], 1).unwrap();
    let end = short.horizon_end(data.as_of);
    let early = data
        .events
        .iter()
        .filter(|e| e.date <= end)
        .map(|e| e.firm_id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let one = pool.point_in_time_dataset(&admin(), &short).unwrap();
    assert_eq!(one.summary[0].defaults, early);
}

#[test]
fn an_event_before_the_date_removes_the_firm_and_csv_round_trips() {
    let data = synthetic(50, 0.0);
    let mut recs = records(&data);
    let firm = data.firms[3].id.clone();
    recs.push(Record::from(CreditEvent {
        firm_id: firm.clone(),
        kind: CreditEventKind::PastDue90,
        date: days(data.as_of, -10),
    }));
    let pool = sqlite(recs);
    let params = PointInTimeParams::new(vec![data.as_of], 12).unwrap();
    let set = pool.point_in_time_dataset(&admin(), &params).unwrap();
    assert!(!set.firm_ids.contains(&firm));
    assert_eq!(set.summary[0].in_default, 1);
    let mut bytes = Vec::new();
    set.write_csv(&mut bytes, "out.csv").unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("firm_id,as_of,working_capital_to_assets,"));
    assert!(header.ends_with(",rd_staff_share,default"));
    assert_eq!(text.lines().count(), set.data.n_rows() + 1);
    let back = finkit_schema::Dataset::from_reader(
        text.as_bytes(),
        "out.csv",
        &finkit_schema::CsvOptions::default().with_target(TARGET),
    )
    .unwrap();
    assert_eq!(back.n_rows(), set.data.n_rows());
    let (x, y) = (back.numeric("leverage").unwrap(), set.data.numeric("leverage").unwrap());
    assert!(x.iter().zip(y.iter()).all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));
}

#[test]
fn reading_needs_every_permission() {
    let data = synthetic(20, 0.0);
    let pool = sqlite(records(&data));
    let params = PointInTimeParams::new(vec![data.as_of], 12).unwrap();
    // A credit officer may read firms and statements but also events: allowed. A policy
    // without credit events is denied.
    let policy = finkit_pool::Policy::new([(
        Role::Analyst,
        vec![finkit_pool::Permission::ReadFirms, finkit_pool::Permission::ReadStatements],
    )]);
    let strict = SqlitePool::in_memory_with(policy).unwrap();
    let err =
        strict.point_in_time_dataset(&Principal::new("ana", Role::Analyst), &params).unwrap_err();
    assert!(err.is_access_denied(), "{err}");
    assert!(pool.point_in_time_dataset(&Principal::new("ana", Role::Analyst), &params).is_ok());
}
