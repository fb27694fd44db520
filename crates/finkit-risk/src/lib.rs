//! Financial risk control for finkit: market risk, credit portfolio risk, capital and IFRS 9.
#![doc(test(attr(deny(warnings))))]

mod error;
pub mod market;
mod traits;
pub mod ifrs9;
pub mod portfolio;
pub mod raroc;
pub mod transition;

pub use error::RiskError;
pub use market::{ExpectedShortfall, ValueAtRisk};
pub use traits::{RiskMeasure, VolatilityModel, VolatilityPath};
pub use portfolio::{LossDistribution, LossModel, read_portfolio_csv};
pub use transition::{GeneratorMethod, TransitionMatrix, TransitionOptions};
pub use finkit_schema as schema;
