//! Financial risk control for finkit: market risk, credit portfolio risk, capital and IFRS 9.
#![doc(test(attr(deny(warnings))))]

mod error;

pub use error::RiskError;
pub use finkit_schema as schema;
