//! Corporate credit scoring for finkit: binning, WoE/IV, logistic scorecards, validation,
//! corporate default models and a rating master scale.
#![doc(test(attr(deny(warnings))))]

pub mod binning;
pub mod corporate;
mod error;
mod logistic;
pub mod master_scale;
mod record;
mod special;
pub mod scorecard;
mod traits;
pub mod validation;

pub use error::CreditError;
pub use finkit_schema as schema;
pub use logistic::{LogisticModel, LogisticParams};
pub use record::{Record, Value};
pub use traits::{Fit, PdModel};
