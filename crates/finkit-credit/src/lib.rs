//! Corporate credit scoring for finkit: binning, WoE/IV, logistic scorecards, validation,
//! corporate default models and a rating master scale.
#![doc(test(attr(deny(warnings))))]

mod error;
mod record;
mod traits;

pub use error::CreditError;
pub use finkit_schema as schema;
pub use record::{Record, Value};
pub use traits::{Fit, PdModel};
