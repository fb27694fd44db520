//! A validated, point-in-time, access-controlled data pool for lending data.
#![doc(test(attr(deny(warnings))))]

pub mod audit;
pub mod backend;
pub mod conformance;
mod error;
mod ingest;
mod memory;
pub mod migrations;
mod record;
mod security;
mod sqlite;
pub mod synthetic;
mod traits;

pub use error::PoolError;
pub use ingest::{
    Batch, IngestMode, IngestReport, IngestStore, Put, RejectedRow, Row, apply_batch, natural_key,
};
pub use memory::MemoryPool;
pub use record::{EntityKind, PriceObservation, Record};
pub use security::{
    MASK, Permission, Policy, Principal, Pseudonymiser, Role, mask_application, mask_firm,
};
pub use sqlite::{SqliteOptions, SqlitePool};
pub use synthetic::{SyntheticDataset, SyntheticParams};
pub use traits::{
    ApplicationFilter, FirmFilter, PoolRead, PoolWrite, ResearchExport, StatementQuery,
};
