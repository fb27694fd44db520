//! Every tolerance of the reference tests, in one place. Values and reasons are those of the
//! shared reference README ("Tolerances for a Rust implementation").

/// WoE, IV, JS per bin given the same bins (numpy recomputation differs by ≤ 3.3e-16).
pub const WOE_IV_ABS: f64 = 1e-12;
/// Logistic coefficients and standard errors against statsmodels (issue 3).
pub const LOGIT_PARAM_ABS: f64 = 1e-8;
/// Log-likelihood against statsmodels.
pub const LOGLIK_ABS: f64 = 1e-9;
/// Unrounded scorecard points, A, B, scores.
pub const POINTS_ABS: f64 = 1e-9;
/// AUC, KS, Brier, PSI from `scores_split.csv` (recomputation differs by ≤ 6e-17).
pub const METRIC_ABS: f64 = 1e-12;
/// Hosmer–Lemeshow statistic and p value (issue 3).
pub const HOSMER_LEMESHOW_ABS: f64 = 1e-9;
/// Per-grade binomial p values (scipy `binomtest` against the regularised incomplete beta).
pub const BINOMIAL_P_ABS: f64 = 1e-9;
/// End-to-end test AUC with identical bins.
pub const END_TO_END_AUC_ABS: f64 = 1e-9;
/// IV of an own optimal binning against optbinning when the splits differ.
pub const OPTIMAL_IV_ABS: f64 = 1e-3;
/// Merton V, σ_V and PD (fsolve and Newton agree to machine precision).
pub const MERTON_REL: f64 = 1e-9;
/// Altman Z, Z′, Z″ values.
pub const ALTMAN_ABS: f64 = 1e-12;
/// Ohlson O-score and its PD (closed form).
pub const OHLSON_ABS: f64 = 1e-12;
/// Null log-likelihood against statsmodels' `llnull`, which statsmodels obtains by fitting the
/// constant-only model with Nelder–Mead (not exact: 2.3e-8 below the closed form
/// `Σ y ln ȳ + (1−y) ln(1−ȳ)` on the WoE design). finkit uses the closed form, checked at
/// [`LOGLIK_ABS`]; McFadden's R² inherits the difference.
pub const LOGLIK_NULL_STATSMODELS_ABS: f64 = 1e-7;

/// Logistic coefficients and standard errors against statsmodels on the collinear design
/// `collinear_569` (relative: its coefficients reach ±9 with standard errors up to 7).
pub const LOGIT_PARAM_REL: f64 = 1e-8;
/// DeLong AUC, variance, covariance, CI, z and p against the numpy reference (the issue asks
/// for pROC's values to 1e-10; the reference replaces pROC, see tests/data/PROVENANCE.md).
pub const DELONG_ABS: f64 = 1e-10;
/// Jeffreys p values against `scipy.stats.beta.cdf` (statrs' regularised incomplete beta).
pub const JEFFREYS_P_ABS: f64 = 1e-9;
/// Spiegelhalter z and p against numpy/scipy.
pub const SPIEGELHALTER_ABS: f64 = 1e-10;
