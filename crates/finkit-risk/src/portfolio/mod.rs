//! Credit portfolio risk: expected loss, Basel IRB capital, the Vasicek ASRF distribution,
//! copula Monte Carlo (one-factor, sector, t), the exact one-factor loss distribution,
//! CreditRisk+, concentration and stress testing.

#[cfg(feature = "arrow")]
mod arrow_batch;
mod concentration;
mod creditriskplus;
mod distribution;
mod exact;
mod importance;
mod io;
mod irb;
mod loss_model;
mod math;
mod montecarlo;
mod stress;
mod vasicek;

#[cfg(feature = "arrow")]
#[cfg_attr(docsrs, doc(cfg(feature = "arrow")))]
pub use arrow_batch::portfolio_from_record_batch;
pub use concentration::{
    Concentration, GranularityAdjustment, GranularityParams, concentration, granularity_adjustment,
};
pub use creditriskplus::CreditRiskPlus;
pub use distribution::{LATTICE_CDF_SLACK, LossDistribution};
pub use exact::{
    AUTO_MAX_ERROR_SHARE, AUTO_MAX_POINTS, DEFAULT_EXACT_MAX_WORK, DEFAULT_MAX_POINTS,
    ExactOneFactor, ExactResult, LatticeExposures, LatticeUnit, MIN_AUTO_POINTS,
    exact_lattice_unit,
};
pub use importance::ImportanceSampling;
pub use io::{PORTFOLIO_CSV_HEADER, parse_portfolio_csv, read_portfolio_csv};
pub use irb::{
    IrbExposure, IrbOptions, IrbParams, IrbPortfolioResult, MAX_MATURITY, PdFloor,
    asset_correlation, expected_loss, irb_corporate, irb_portfolio,
};
pub use loss_model::{AssetCorrelation, LossModel};
pub use montecarlo::{
    Copula, DEFAULT_MC_MEMORY_LIMIT, FactorModel, McMethod, McRun, McShard, MonteCarlo,
    MonteCarloParams, PrecisionRun, PrecisionTarget, RiskContributions, TailEstimate,
};
pub use stress::{
    CappedValue, OutOfRange, RiskSummary, SectorShock, Shock, StressResult, macro_scenario,
    stress_by_sector,
};
pub use vasicek::{VasicekDistribution, asrf_loss_quantile, conditional_pd};
