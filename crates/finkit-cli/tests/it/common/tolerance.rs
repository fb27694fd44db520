//! Every tolerance of the command-line reference tests, in one place. They are the tolerances
//! the library crates' reference tests use on the same references (the shared README's table):
//! the CLI adds parsing and JSON printing, both exact for `f64` (serde_json `float_roundtrip`).

/// Log returns and the type-1 historical VaR: one `ln` per return, then an order statistic
/// (absolute).
pub(crate) const ORDER_STATISTIC_ABS: f64 = 1e-14;
/// Acerbi–Tasche ES, normal and Cornish–Fisher VaR/ES: sums of many terms (relative).
pub(crate) const SUMS_REL: f64 = 1e-12;
/// Kupiec / Christoffersen likelihood ratios and p-values given the counts (relative).
pub(crate) const LR_REL: f64 = 1e-10;
/// Own GARCH fit vs arch's μ, ω, α, β (absolute): optimiser stopping rules differ.
pub(crate) const GARCH_PARAM_ABS: f64 = 1e-3;
/// Own Student-t GARCH fit vs arch's ν (absolute).
pub(crate) const GARCH_NU_ABS: f64 = 0.05;
/// The own fit's log-likelihood may fall short of arch's by at most this (absolute).
pub(crate) const GARCH_LL_SLACK: f64 = 1e-3;
/// Last conditional volatility of the own fit vs arch's (absolute, % per day): it inherits the
/// parameter tolerance through the variance recursion.
pub(crate) const GARCH_VOL_ABS: f64 = 1e-3;
/// IRB R, MA, K, RW and the portfolio's EL, RWA, ASRF, HHI: closed forms (relative).
pub(crate) const CLOSED_FORM_REL: f64 = 1e-10;
/// Exact one-factor ES against the 400-node reference (relative).
pub(crate) const EXACT_ES_REL: f64 = 1e-8;
/// Number of Monte Carlo standard errors (scaled to the run's scenario count) a simulated
/// VaR/ES may sit from the exact value.
pub(crate) const MC_SIGMAS: f64 = 4.0;
/// Logistic coefficients and standard errors against statsmodels (absolute).
pub(crate) const LOGIT_PARAM_ABS: f64 = 1e-8;
/// Log-likelihood against statsmodels (absolute).
pub(crate) const LOGLIK_ABS: f64 = 1e-9;
/// WoE and IV recomputed from the printed counts (absolute).
pub(crate) const WOE_IV_ABS: f64 = 1e-12;
/// First-order condition of the penalised logit, X'(y − p) = λβ, at the printed optimum
/// (absolute; Newton stops at a gradient norm well below this).
pub(crate) const PENALISED_GRADIENT_ABS: f64 = 1e-6;
/// AUC, Gini, KS, Brier, log-loss from `scores_split.csv` (absolute).
pub(crate) const METRIC_ABS: f64 = 1e-12;
/// Hosmer–Lemeshow statistic and p value (absolute).
pub(crate) const HOSMER_LEMESHOW_ABS: f64 = 1e-9;
/// Transition matrix powers and cumulative PDs (absolute).
pub(crate) const MATRIX_PRODUCT_ABS: f64 = 1e-12;

/// |a − b| / |b| (|b| floored at the smallest positive double).
pub(crate) fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}
