//! The seeded synthetic data set, loaded into a pool.

use finkit_pool::{
    Batch, IngestMode, PoolWrite, Principal, Record, Role, SyntheticDataset, SyntheticParams,
};

/// Seed and size of the golden data set (changing them changes every golden decision).
pub(crate) const SEED: u64 = 20_240_601;
pub(crate) const FIRMS: usize = 300;
pub(crate) const APPLICATIONS: usize = 120;

pub(crate) fn dataset() -> SyntheticDataset {
    SyntheticParams::builder()
        .with_firms(FIRMS)
        .with_applications(APPLICATIONS)
        .with_seed(SEED)
        .with_listed(0)
        .build()
        .unwrap()
        .generate()
        .unwrap()
}

pub(crate) fn fill<P: PoolWrite>(pool: &P, data: &SyntheticDataset)
where
    P::Error: std::fmt::Debug,
{
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
    let report = pool.ingest(&admin, &Batch::from_records(records), IngestMode::Strict).unwrap();
    assert_eq!(report.rejected_rows(), 0);
}

pub(crate) fn officer() -> Principal {
    Principal::new("officer", Role::CreditOfficer)
}
