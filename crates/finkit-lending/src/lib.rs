//! Corporate lending decisions for finkit.
#![doc(test(attr(deny(warnings))))]

pub mod collateral;
pub mod decision;
mod error;
pub mod features;
pub mod impact;
pub mod limits;
pub mod model;
pub mod plan;
pub mod policy;
pub mod pool;
pub mod pricing;

pub use decision::{Decision, DecisionCore, DecisionInput, Engine, EngineConfig, Outcome, RatingScale, Scratch};
pub use error::LendingError;
pub use policy::{Facts, Policy, PolicyHit, Rule, RuleKind, Severity};
