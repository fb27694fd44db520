//! Tolerances of the market-risk reference tests, in one place. They are the ones the shared
//! reference README states for each check.

/// Log returns and the type-1 historical VaR: one `ln` per return, then an order statistic
/// (absolute).
pub(crate) const ORDER_STATISTIC_ABS: f64 = 1e-14;
/// Linear-quantile VaR, Acerbi–Tasche ES, normal / Cornish–Fisher VaR and ES, EWMA volatility:
/// sums of at most 250 terms (relative).
pub(crate) const SUMS_REL: f64 = 1e-12;
/// Kupiec / Christoffersen likelihood ratios and p-values given the counts (relative).
pub(crate) const LR_REL: f64 = 1e-10;
/// GARCH log-likelihood at the reference parameters with arch's backcast (relative).
pub(crate) const GARCH_LL_REL: f64 = 1e-9;
/// Own GARCH fit vs arch's parameters μ, ω, α, β (absolute): optimiser stopping rules differ.
pub(crate) const GARCH_PARAM_ABS: f64 = 1e-3;
/// Own Student-t GARCH fit vs arch's ν (absolute).
pub(crate) const GARCH_NU_ABS: f64 = 0.05;
/// The own fit's log-likelihood may fall short of arch's by at most this (absolute).
pub(crate) const GARCH_LL_SLACK: f64 = 1e-3;

/// |a − b| / max(|b|, tiny): relative error that stays finite when the reference is 0.
#[allow(dead_code)]
pub(crate) fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}
