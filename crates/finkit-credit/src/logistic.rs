//! Binary logistic regression fitted by Newton–Raphson (IRLS), with optional L2 penalty and
//! sample weights, and the inference table (standard errors, z, p values) of statsmodels' `Logit`.
//!
//! The fit is Newton's method: an iteration forms the weighted information matrix X'WX and solves
//! with a Cholesky factorisation (nalgebra). One pass over the rows gives the log-likelihood, the
//! gradient and X'WX together (the last two from one GEMM per block of rows); the passes run over
//! fixed blocks of rows in parallel (rayon) and the block results are summed in block order, so
//! the answer is the same bit for bit whatever the number of threads.
//!
//! On large data (≥ 200,000 rows) the iterations start from the fit of a strided subsample (itself
//! started from a smaller one) and may reuse an information matrix for one step (a chord step);
//! convergence is still judged by a Newton step with a fresh full-data information matrix, which
//! also gives the standard errors. The optimum, hence the estimates, is the same; only the number
//! of passes over the data changes (4, two of them forming X'WX, instead of 5 with X'WX on
//! 1,000,000 × 20 rows).

use finkit_schema::{Column, Dataset, Probability};
use nalgebra::DMatrix;
use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2, ArrayView2, ArrayViewMut2, CowArray, Ix2};
use rayon::prelude::*;

use crate::separation::{Verdict, test_separation};
use crate::{CreditError, FeatureRecord, Fit, PdModel};

/// Most rows per block of the parallel accumulation. The blocks depend on the number of rows
/// only (not on the thread count), so the summation order, hence the result, never depends on
/// the machine; see [`block_rows`].
const BLOCK_ROWS: usize = 2048;
/// Values of x (rows × columns) from which a pass that is only a sum or a maximum runs in
/// parallel. Measured on the Polish scorecard fit (4,920 rows × 13–35 columns, 2 threads,
/// the fit started inside the thread pool): the parallel pass makes the fit about 4 % faster.
const PARALLEL_PASS_MIN: usize = 1 << 16;
/// More than one block come in a multiple of this many, so that 2 or 4 threads get equal shares.
const BLOCK_GROUP: usize = 4;

/// Rows per block for `n` rows: all of them up to [`BLOCK_ROWS`], else equal blocks of at most
/// that many, a multiple of [`BLOCK_GROUP`] of them.
fn block_rows(n: usize) -> usize {
    if n <= BLOCK_ROWS {
        return BLOCK_ROWS;
    }
    n.div_ceil(n.div_ceil(BLOCK_ROWS).next_multiple_of(BLOCK_GROUP))
}
/// Rows per block of the batch scoring path.
const SCORE_BLOCK_ROWS: usize = 8192;
/// Rows from which a fit starts from the fit of a strided subsample (see `warm_start`), and
/// may reuse an information matrix for one step (see `newton`).
const WARM_START_MIN_ROWS: usize = 200_000;
/// Approximate size of that subsample; it is itself warm-started from a subsample of about
/// `WARM_START_ROWS / WARM_START_RATIO` rows.
const WARM_START_ROWS: usize = 65_536;
/// Size ratio between the nested subsamples of the warm start.
const WARM_START_RATIO: usize = 8;
/// Coefficient tolerance of the subsample fits (or the fit's own, if looser): their optimum is
/// only within sampling error of the full-data one, so tighter would only cost passes.
const WARM_START_TOLERANCE: f64 = 1e-4;
/// Largest root-mean-square change of the linear predictor (weighted by p(1 − p)) after which a
/// large-data Newton iteration may reuse the information matrix of the previous one (see
/// `Problem::newton`); the reuse then contracts the error by a factor of about this size.
const CHORD_MAX_ETA_STEP: f64 = 0.05;
/// Rows per running product of `1 + e^{−|η|}` (each factor in [1, 2]) in the log-likelihood.
const LOG_PRODUCT_ROWS: usize = 64;
/// |η| above which a fitted probability is 0 or 1 to double precision (e^-36 < 2^-52).
const SATURATED_ETA: f64 = 36.0;
/// Smallest reciprocal condition number (of the diagonally equilibrated information matrix)
/// accepted before the matrix is called singular.
const MIN_RCOND: f64 = 1e-13;
/// Largest change of any linear predictor over a Newton step for which an early-stop rule is
/// offered the estimate (see [`Estimate`]): the quadratic-convergence region.
const EARLY_MAX_ETA: f64 = 0.25;

/// Hyper-parameters of [`LogisticModel`]; built with chained setters and validated by
/// [`LogisticParams::check`] (which [`LogisticParams::fit`] calls first).
///
/// Defaults: no penalty, tolerance `1e-8` on the largest coefficient change (statsmodels'
/// Newton default), at most 100 iterations, unit weights, an intercept.
///
/// # Formula
///
/// ```text
/// maximise  ℓ(β) − (λ/2)·Σ_{j≥1} β_j²,   ℓ(β) = Σ_i w_i [ y_i η_i − ln(1 + e^{η_i}) ],  η = Xβ
/// Newton:   β ← β + t·(X'WX + λ·I₀)⁻¹ (X'w(y − p) − λ·I₀β),   W = diag(w_i p_i (1 − p_i))
/// ```
///
/// `I₀` is the identity with a zero for the intercept (the intercept is never penalised);
/// `t` starts at 1 and is halved until the penalised log-likelihood does not decrease.
/// scikit-learn's `C` is `1/λ`.
///
/// ```
/// use finkit_credit::LogisticParams;
/// use ndarray::array;
/// let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
/// let y = array![0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
/// let model = LogisticParams::new().fit(&x, &y)?;
/// assert!(model.coefficients()[0] > 0.0);
/// assert!(LogisticParams::new().l2(-1.0).check().is_err());
/// # Ok::<(), finkit_credit::CreditError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogisticParams {
    l2: f64,
    tolerance: f64,
    max_iterations: usize,
    sample_weights: Option<Array1<f64>>,
    fit_intercept: bool,
    feature_names: Option<Vec<String>>,
    start: Option<Vec<f64>>,
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            l2: 0.0,
            tolerance: 1e-8,
            max_iterations: 100,
            sample_weights: None,
            fit_intercept: true,
            feature_names: None,
            start: None,
        }
    }
}

impl LogisticParams {
    /// The default parameters (unpenalised maximum likelihood with an intercept).
    #[must_use]
    pub fn new() -> Self {
        LogisticParams::default()
    }
    /// L2 penalty strength λ ≥ 0 on the non-intercept coefficients, on the log-likelihood scale
    /// (the penalty is `(λ/2)·‖β‖²`; scikit-learn's `C = 1/λ`).
    #[must_use]
    pub fn l2(mut self, lambda: f64) -> Self {
        self.l2 = lambda;
        self
    }
    /// Convergence tolerance (> 0) on the largest absolute coefficient change of a Newton step.
    #[must_use]
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }
    /// Maximum number of Newton iterations (≥ 1).
    #[must_use]
    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }
    /// Non-negative, finite weight per row (frequency-weight semantics: a weight of 2 counts the
    /// row twice in the log-likelihood and the information matrix).
    #[must_use]
    pub fn sample_weights(mut self, weights: Array1<f64>) -> Self {
        self.sample_weights = Some(weights);
        self
    }
    /// Whether to fit an (unpenalised) intercept; default `true`.
    #[must_use]
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }
    /// Names of the feature columns, used in errors, the coefficient table and
    /// [`PdModel::pd`] (which reads these variables from a [`FeatureRecord`]). Default `x0, x1, …`.
    #[must_use]
    pub fn feature_names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.feature_names = Some(names.into_iter().map(Into::into).collect());
        self
    }
    /// Starting parameters of the Newton iterations (intercept first when one is fitted), e.g.
    /// the fit of a model with one more column, that column's entry removed. The optimum does
    /// not depend on the start (the log-likelihood is concave); a start near it saves
    /// iterations. [`LogisticParams::fit`] rejects a start of the wrong length or with a
    /// non-finite entry.
    #[must_use]
    pub fn start(mut self, params: impl IntoIterator<Item = f64>) -> Self {
        self.start = Some(params.into_iter().collect());
        self
    }

    /// Validates the parameters on their own (data-dependent checks happen in `fit`).
    ///
    /// # Errors
    ///
    /// [`CreditError::InvalidParameter`] for a negative or non-finite `l2`, a tolerance that is
    /// not a positive finite number, zero iterations, a negative or non-finite weight, weights
    /// summing to zero, or duplicate feature names.
    pub fn check(&self) -> Result<(), CreditError> {
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(invalid("l2", self.l2, "must be a finite number >= 0"));
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(invalid("tolerance", self.tolerance, "must be a finite number > 0"));
        }
        if self.max_iterations == 0 {
            return Err(invalid("max_iterations", 0, "must be at least 1"));
        }
        if let Some(w) = &self.sample_weights {
            if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(invalid("sample_weights", bad, "every weight must be finite and >= 0"));
            }
            if !w.is_empty() && w.sum() <= 0.0 {
                return Err(invalid("sample_weights", w.sum(), "weights must not all be zero"));
            }
        }
        if let Some(names) = &self.feature_names {
            check_unique_names(names)?;
        }
        Ok(())
    }

    /// Fits the model by Newton–Raphson on the rows of `x` (n × p) and the 0/1 target `y`.
    ///
    /// # Errors
    ///
    /// - [`CreditError::InvalidParameter`] from [`LogisticParams::check`], or when the feature
    ///   names do not match the number of columns;
    /// - [`CreditError::Empty`] for no rows, or no columns and no intercept;
    /// - [`CreditError::LengthMismatch`] when `y` or the weights do not have one entry per row;
    /// - [`CreditError::NonFinite`] for a NaN or infinite value in `x` or `y`;
    /// - [`CreditError::InvalidTarget`] for a target value other than 0/1, or one class only;
    /// - [`CreditError::UnusableColumn`] for a constant column next to an unpenalised intercept;
    /// - [`CreditError::Separation`] when the classes are (quasi-)completely separated;
    /// - [`CreditError::SingularHessian`] for collinear features;
    /// - [`CreditError::NotConverged`] when the iteration limit is reached otherwise.
    #[cfg_attr(feature = "tracing", tracing::instrument(level = "info", skip_all, name = "logistic.fit", fields(rows = x.nrows(), features = x.ncols())))]
    pub fn fit(
        &self,
        x: &ArrayRef2<f64>,
        y: &ArrayRef1<f64>,
    ) -> Result<LogisticModel, CreditError> {
        self.fit_until(x, y, None, false).map(|(model, _)| model)
    }

    /// [`LogisticParams::fit`] that may stop before convergence: at every Newton iterate in the
    /// quadratic-convergence region (see [`Estimate`]) `stop` sees the next estimate with
    /// bounds on its distance to the optimum, and ends the fit by returning `true`. The model
    /// is then that estimate (its covariance at the iterate), and the flag is `true`; else the
    /// fit runs to convergence as [`LogisticParams::fit`] does, flag `false`.
    ///
    /// `checked`: every value of `x` is already known finite and no column constant (`x` is
    /// columns of a design a previous fit accepted), so those two passes over `x` are skipped.
    pub(crate) fn fit_until(
        &self,
        x: &ArrayRef2<f64>,
        y: &ArrayRef1<f64>,
        mut stop: Option<&mut dyn FnMut(&Estimate) -> bool>,
        checked: bool,
    ) -> Result<(LogisticModel, bool), CreditError> {
        self.check()?;
        let (n, p) = x.dim();
        if n == 0 {
            return Err(CreditError::Empty("x"));
        }
        if p == 0 && !self.fit_intercept {
            return Err(CreditError::Empty("feature columns (and no intercept)"));
        }
        if y.len() != n {
            return Err(CreditError::LengthMismatch { what: "y", expected: n, found: y.len() });
        }
        let names = match &self.feature_names {
            Some(names) if names.len() != p => {
                return Err(CreditError::InvalidParameter {
                    name: "feature_names",
                    value: names.len().to_string(),
                    reason: "must have one name per column of x",
                });
            }
            Some(names) => names.clone(),
            None => (0..p).map(|j| format!("x{j}")).collect(),
        };
        let weights = match &self.sample_weights {
            Some(w) if w.len() != n => {
                return Err(CreditError::LengthMismatch {
                    what: "sample_weights",
                    expected: n,
                    found: w.len(),
                });
            }
            Some(w) => Some(w.to_vec()),
            None => None,
        };
        let y: Vec<f64> = y.iter().copied().collect();
        check_target(&y, weights.as_deref())?;
        let x = x.as_standard_layout();
        let data = row_major(&x);
        if !checked {
            if let Some(i) = first_non_finite(data) {
                return Err(CreditError::NonFinite {
                    what: "x",
                    row: i / p.max(1),
                    value: data[i],
                });
            }
            if self.fit_intercept && self.l2 == 0.0 {
                check_constant_columns(data, n, p, &names)?;
            }
        }
        let problem = Problem {
            data,
            n,
            p,
            y: &y,
            w: weights.as_deref(),
            intercept: self.fit_intercept,
            l2: self.l2,
            w_scaled: false,
            accelerate: n >= WARM_START_MIN_ROWS,
        };
        let solution = match &self.start {
            Some(start) => {
                if start.len() != problem.k() {
                    return Err(CreditError::LengthMismatch {
                        what: "start",
                        expected: problem.k(),
                        found: start.len(),
                    });
                }
                if let Some(bad) = start.iter().find(|v| !v.is_finite()) {
                    return Err(invalid("start", bad, "every starting parameter must be finite"));
                }
                problem.iterate(
                    self.tolerance,
                    self.max_iterations,
                    &names,
                    Some(start.clone()),
                    None,
                    stop.take(),
                )?
            }
            None => {
                let start = problem.warm_start(self.tolerance, self.max_iterations, &names);
                match start {
                    Some(s) => problem.iterate(
                        self.tolerance,
                        self.max_iterations,
                        &names,
                        Some(s.beta),
                        Some(s.factor),
                        stop.take(),
                    )?,
                    None => problem.iterate(
                        self.tolerance,
                        self.max_iterations,
                        &names,
                        None,
                        None,
                        stop.take(),
                    )?,
                }
            }
        };
        let early = solution.early;
        Ok((problem.model(solution, names, self.l2), early))
    }
}

impl Fit for LogisticParams {
    type Model = LogisticModel;

    /// Fits on every numeric feature column of `data`, in column order, named after the columns
    /// (categorical columns are ignored: bin them to WoE first). Feature names set on the
    /// parameters are replaced by the column names.
    ///
    /// # Errors
    ///
    /// As [`LogisticParams::fit`]; also [`CreditError::InvalidTarget`] when `data` has no
    /// target and [`CreditError::Empty`] when it has no numeric column.
    fn fit(&self, data: &Dataset) -> Result<LogisticModel, CreditError> {
        let target = data
            .target()
            .ok_or_else(|| CreditError::InvalidTarget("the dataset has no target column".into()))?;
        let columns: Vec<(&str, &Array1<f64>)> = data
            .columns()
            .filter_map(|(name, c)| match c {
                Column::Numeric(v) => Some((name, v)),
                Column::Categorical(_) => None,
            })
            .collect();
        if columns.is_empty() {
            return Err(CreditError::Empty("numeric feature columns"));
        }
        let n = data.n_rows();
        let mut x = Array2::zeros((n, columns.len()));
        for (j, (name, column)) in columns.iter().enumerate() {
            if let Some(row) = column.iter().position(|v| v.is_nan()) {
                return Err(CreditError::UnusableColumn {
                    name: (*name).to_owned(),
                    reason: format!("missing value (NaN) at row {row}; impute or bin it first"),
                });
            }
            x.column_mut(j).assign(*column);
        }
        let params = self.clone().feature_names(columns.iter().map(|(name, _)| *name));
        params.fit(&x, &target)
    }
}

/// A fitted logistic regression: coefficients, their inference table and fit statistics.
///
/// All per-term vectors ([`params`](Self::params), [`std_errors`](Self::std_errors),
/// [`z_values`](Self::z_values), [`p_values`](Self::p_values), rows of
/// [`covariance`](Self::covariance)) follow [`term_names`](Self::term_names): the intercept
/// `const` first (when fitted), then the features, as statsmodels orders them.
///
/// Standard errors are the square roots of the diagonal of the inverse of the (penalised)
/// information matrix at the estimate; with `l2 > 0` they are the usual ridge approximation.
///
/// Deserialising one runs [`LogisticModel::validate`], so a hand-edited file is a typed error
/// when it is read, not a panic when it is used.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawLogisticModel"))]
pub struct LogisticModel {
    feature_names: Vec<String>,
    fit_intercept: bool,
    l2: f64,
    params: Array1<f64>,
    std_errors: Array1<f64>,
    z_values: Array1<f64>,
    p_values: Array1<f64>,
    covariance: Array2<f64>,
    log_likelihood: f64,
    null_log_likelihood: f64,
    n_obs: usize,
    iterations: usize,
}

/// The serialised form of [`LogisticModel`], validated when read.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawLogisticModel {
    feature_names: Vec<String>,
    fit_intercept: bool,
    l2: f64,
    params: Array1<f64>,
    std_errors: Array1<f64>,
    z_values: Array1<f64>,
    p_values: Array1<f64>,
    covariance: Array2<f64>,
    log_likelihood: f64,
    null_log_likelihood: f64,
    n_obs: usize,
    iterations: usize,
}

#[cfg(feature = "serde")]
impl TryFrom<RawLogisticModel> for LogisticModel {
    type Error = CreditError;
    fn try_from(raw: RawLogisticModel) -> Result<Self, CreditError> {
        let model = LogisticModel {
            feature_names: raw.feature_names,
            fit_intercept: raw.fit_intercept,
            l2: raw.l2,
            params: raw.params,
            std_errors: raw.std_errors,
            z_values: raw.z_values,
            p_values: raw.p_values,
            covariance: raw.covariance,
            log_likelihood: raw.log_likelihood,
            null_log_likelihood: raw.null_log_likelihood,
            n_obs: raw.n_obs,
            iterations: raw.iterations,
        };
        model.validate()?;
        Ok(model)
    }
}

impl LogisticModel {
    /// Checks the invariants every method relies on: one estimate per term (intercept plus
    /// features), finite estimates, per-term vectors and a `k × k` covariance matrix of the same
    /// length, unique feature names and a finite, non-negative L2 strength. A fitted model
    /// always passes; deserialisation runs it.
    ///
    /// # Errors
    ///
    /// [`CreditError::LengthMismatch`] for a vector or matrix of the wrong size,
    /// [`CreditError::NonFinite`] for a non-finite estimate and
    /// [`CreditError::InvalidParameter`] for duplicate feature names or a bad `l2`.
    pub fn validate(&self) -> Result<(), CreditError> {
        let k = self.feature_names.len() + self.offset();
        for (what, found) in [
            ("params", self.params.len()),
            ("std_errors", self.std_errors.len()),
            ("z_values", self.z_values.len()),
            ("p_values", self.p_values.len()),
            ("covariance rows", self.covariance.nrows()),
            ("covariance columns", self.covariance.ncols()),
        ] {
            if found != k {
                return Err(CreditError::LengthMismatch { what, expected: k, found });
            }
        }
        if let Some((row, &value)) = self.params.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(CreditError::NonFinite { what: "params", row, value });
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(invalid("l2", self.l2, "must be a finite number >= 0"));
        }
        check_unique_names(&self.feature_names)
    }

    /// The intercept (0 when the model has none).
    #[must_use]
    pub fn intercept(&self) -> f64 {
        if self.fit_intercept { self.params[0] } else { 0.0 }
    }
    /// The feature coefficients, in feature order (without the intercept).
    #[must_use]
    pub fn coefficients(&self) -> Array1<f64> {
        self.params.iter().skip(self.offset()).copied().collect()
    }
    /// The feature names, in column order.
    #[must_use]
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// Names of all terms: `const` (if fitted) then the features.
    #[must_use]
    pub fn term_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.params.len());
        if self.fit_intercept {
            names.push("const".to_owned());
        }
        names.extend(self.feature_names.iter().cloned());
        names
    }
    /// All estimates (intercept first when fitted).
    #[must_use]
    pub fn params(&self) -> &Array1<f64> {
        &self.params
    }
    /// Standard errors of [`params`](Self::params).
    #[must_use]
    pub fn std_errors(&self) -> &Array1<f64> {
        &self.std_errors
    }
    /// Wald z statistics, estimate / standard error.
    #[must_use]
    pub fn z_values(&self) -> &Array1<f64> {
        &self.z_values
    }
    /// Two-sided p values of the z statistics under the standard normal.
    #[must_use]
    pub fn p_values(&self) -> &Array1<f64> {
        &self.p_values
    }
    /// Covariance matrix of the estimates (inverse of the information matrix).
    #[must_use]
    pub fn covariance(&self) -> &Array2<f64> {
        &self.covariance
    }
    /// Log-likelihood at the estimate (weighted, without the penalty term).
    #[must_use]
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }
    /// Log-likelihood of the intercept-only model (the weighted event rate), as statsmodels'
    /// `llnull`.
    #[must_use]
    pub fn null_log_likelihood(&self) -> f64 {
        self.null_log_likelihood
    }
    /// McFadden's pseudo R², `1 − ℓ / ℓ₀`.
    #[must_use]
    pub fn pseudo_r2(&self) -> f64 {
        1.0 - self.log_likelihood / self.null_log_likelihood
    }
    /// Akaike information criterion, `−2ℓ + 2k` with k the number of terms.
    #[must_use]
    pub fn aic(&self) -> f64 {
        -2.0 * self.log_likelihood + 2.0 * self.params.len() as f64
    }
    /// Bayesian information criterion, `−2ℓ + k·ln n` with n the number of rows.
    #[must_use]
    pub fn bic(&self) -> f64 {
        -2.0 * self.log_likelihood + self.params.len() as f64 * (self.n_obs as f64).ln()
    }
    /// Number of rows the model was fitted on.
    #[must_use]
    pub fn n_obs(&self) -> usize {
        self.n_obs
    }
    /// Newton iterations used.
    #[must_use]
    pub fn iterations(&self) -> usize {
        self.iterations
    }
    /// The L2 strength the model was fitted with.
    #[must_use]
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// The linear predictor `η = b₀ + x·β` of one row of features.
    ///
    /// # Errors
    ///
    /// [`CreditError::LengthMismatch`] for the wrong number of features and
    /// [`CreditError::NonFinite`] for a NaN or infinite feature.
    pub fn linear_predictor(&self, features: &[f64]) -> Result<f64, CreditError> {
        let p = self.feature_names.len();
        if features.len() != p {
            return Err(CreditError::LengthMismatch {
                what: "features",
                expected: p,
                found: features.len(),
            });
        }
        if let Some(&bad) = features.iter().find(|v| !v.is_finite()) {
            return Err(CreditError::NonFinite { what: "features", row: 0, value: bad });
        }
        let beta = self.params.as_slice().unwrap_or(&[]);
        Ok(self.intercept() + dot(features, &beta[self.offset()..]))
    }

    /// Probability of the event (y = 1) for every row of `x` (n × p, features in model order).
    ///
    /// Blocks of rows are scored in parallel; each probability depends only on its own row.
    ///
    /// # Errors
    ///
    /// [`CreditError::LengthMismatch`] when `x` has the wrong number of columns and
    /// [`CreditError::NonFinite`] (with the row) for a NaN or infinite value.
    pub fn predict_proba(&self, x: &ArrayRef2<f64>) -> Result<Array1<f64>, CreditError> {
        let (n, p) = x.dim();
        if p != self.feature_names.len() {
            return Err(CreditError::LengthMismatch {
                what: "columns of x",
                expected: self.feature_names.len(),
                found: p,
            });
        }
        let x = x.as_standard_layout();
        let data = row_major(&x);
        let b0 = self.intercept();
        let all = self.params.as_slice().unwrap_or(&[]);
        let beta = &all[self.offset()..];
        let mut out = vec![0.0; n];
        let bad = out
            .par_chunks_mut(SCORE_BLOCK_ROWS)
            .enumerate()
            .map(|(b, chunk)| {
                let start = b * SCORE_BLOCK_ROWS;
                let mut bad = None;
                for (r, o) in chunk.iter_mut().enumerate() {
                    let row = &data[(start + r) * p..(start + r + 1) * p];
                    let eta = b0 + dot(row, beta);
                    if !eta.is_finite() && bad.is_none() {
                        bad = Some(start + r);
                    }
                    *o = sigmoid(eta);
                }
                bad
            })
            .filter_map(|bad| bad)
            .min();
        if let Some(row) = bad {
            let values = &data[row * p..(row + 1) * p];
            let value = values.iter().copied().find(|v| !v.is_finite()).unwrap_or(f64::NAN);
            return Err(CreditError::NonFinite { what: "x", row, value });
        }
        Ok(Array1::from(out))
    }

    fn offset(&self) -> usize {
        usize::from(self.fit_intercept)
    }
}

impl PdModel for LogisticModel {
    fn model_id(&self) -> String {
        format!("finkit-credit/logistic/v1[{}]", self.term_names().join(","))
    }

    /// Reads each feature by name from the record.
    fn pd(&self, record: &FeatureRecord) -> Result<Probability, CreditError> {
        let features = self
            .feature_names
            .iter()
            .map(|name| record.number(name))
            .collect::<Result<Vec<f64>, CreditError>>()?;
        let eta = self.linear_predictor(&features)?;
        Ok(Probability::new(sigmoid(eta))?)
    }

    /// Gathers the model's numeric columns by name and scores them with
    /// [`LogisticModel::predict_proba`].
    fn pd_batch(&self, data: &Dataset) -> Result<Array1<f64>, CreditError> {
        let n = data.n_rows();
        let mut x = Array2::zeros((n, self.feature_names.len()));
        for (j, name) in self.feature_names.iter().enumerate() {
            let column = data.numeric(name)?;
            if let Some(row) = column.iter().position(|v| v.is_nan()) {
                return Err(CreditError::NonFinite { what: "feature value", row, value: f64::NAN });
            }
            x.column_mut(j).assign(&column);
        }
        self.predict_proba(&x)
    }
}

/// The numerically stable logistic function.
pub(crate) fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// A dot product with four partial sums, so it vectorises; the order is fixed by the length only.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (a4, a_rest) = a.split_at(a.len() - a.len() % 4);
    let (b4, b_rest) = b.split_at(a4.len());
    for (x, y) in a4.chunks_exact(4).zip(b4.chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in a_rest.iter().zip(b_rest) {
        s += x * y;
    }
    s
}

/// ln(1 + e) for e in [0, 1], to about 1 ulp, with a logarithm instead of the slower `ln_1p`
/// (Goldberg's correction: the rounding of 1 + e is divided out).
fn ln_1p_unit(e: f64) -> f64 {
    let u = 1.0 + e;
    if u == 1.0 { e } else { u.ln() * (e / (u - 1.0)) }
}

/// Index of the first NaN or infinite value. Scans chunks with a branch-free test (which
/// vectorises) and searches only the chunk that fails.
fn first_non_finite(data: &[f64]) -> Option<usize> {
    const CHUNK: usize = 1024;
    data.chunks(CHUNK).enumerate().find_map(|(c, chunk)| {
        if chunk.iter().fold(true, |ok, v| ok & v.is_finite()) {
            None
        } else {
            chunk.iter().position(|v| !v.is_finite()).map(|i| c * CHUNK + i)
        }
    })
}

/// The product of a k × k row-major matrix and a vector.
fn mat_vec(m: &[f64], v: &[f64]) -> Vec<f64> {
    m.chunks_exact(v.len().max(1)).map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum()).collect()
}

/// The one uniqueness rule for feature names, shared by the parameters and the fitted model.
fn check_unique_names(names: &[String]) -> Result<(), CreditError> {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid("feature_names", w[0], "feature names must be unique"));
    }
    Ok(())
}

fn invalid(name: &'static str, value: impl ToString, reason: &'static str) -> CreditError {
    CreditError::InvalidParameter { name, value: value.to_string(), reason }
}

/// The contiguous row-major data of a standard-layout array (always available after
/// `as_standard_layout`).
fn row_major<'a>(x: &'a CowArray<'_, f64, Ix2>) -> &'a [f64] {
    x.as_slice().unwrap_or(&[])
}

fn check_target(y: &[f64], w: Option<&[f64]>) -> Result<(), CreditError> {
    let (mut events, mut non_events) = (0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        if !v.is_finite() {
            return Err(CreditError::NonFinite { what: "y", row: i, value: v });
        }
        let wi = w.map_or(1.0, |w| w[i]);
        if v == 1.0 {
            events += wi;
        } else if v == 0.0 {
            non_events += wi;
        } else {
            return Err(CreditError::InvalidTarget(format!("value {v} at row {i} is not 0 or 1")));
        }
    }
    if events == 0.0 || non_events == 0.0 {
        let only = if events == 0.0 { 0 } else { 1 };
        return Err(CreditError::InvalidTarget(format!(
            "only one class is present (every weighted row has y = {only}); both 0 and 1 are needed"
        )));
    }
    Ok(())
}

fn check_constant_columns(
    data: &[f64],
    n: usize,
    p: usize,
    names: &[String],
) -> Result<(), CreditError> {
    for j in 0..p {
        let first = data[j];
        if (1..n).all(|i| data[i * p + j] == first) {
            return Err(CreditError::UnusableColumn {
                name: names[j].clone(),
                reason: format!(
                    "constant (every value is {first}), so it is collinear with the intercept; \
                     drop it or add an L2 penalty"
                ),
            });
        }
    }
    Ok(())
}

/// The data of one fit, borrowed.
struct Problem<'a> {
    data: &'a [f64],
    n: usize,
    p: usize,
    y: &'a [f64],
    w: Option<&'a [f64]>,
    intercept: bool,
    l2: f64,
    /// A subsample of a larger problem (weights scaled by the stride).
    w_scaled: bool,
    /// Large data: warm start from a subsample and chord steps (see `newton`).
    accelerate: bool,
}

/// Log-likelihood, gradient and information matrix at one β (unpenalised).
#[derive(Debug, Clone)]
struct Eval {
    ll: f64,
    grad: Vec<f64>,
    /// k × k, row-major.
    hess: Vec<f64>,
    /// Rows whose fitted probability is numerically 0 or 1 *and* matches their class.
    saturated: usize,
    /// Σ w_i p_i (1 − p_i), the total weight of the information matrix (with `hess` only).
    curvature: f64,
}

impl Eval {
    fn zeros(k: usize) -> Eval {
        Eval { ll: 0.0, grad: vec![0.0; k], hess: vec![0.0; k * k], saturated: 0, curvature: 0.0 }
    }
    fn add(&mut self, other: &Eval) {
        self.ll += other.ll;
        for (a, b) in self.grad.iter_mut().zip(&other.grad) {
            *a += b;
        }
        for (a, b) in self.hess.iter_mut().zip(&other.hess) {
            *a += b;
        }
        self.saturated += other.saturated;
        self.curvature += other.curvature;
    }
}

/// A warm start: coefficients and a (subsample) information matrix to take the first step with.
struct Start {
    beta: Vec<f64>,
    factor: Factor,
}

/// Result of the Newton loop.
struct Solution {
    beta: Vec<f64>,
    eval: Eval,
    iterations: usize,
    /// Ended by an early-stop rule (see [`Estimate`]), not by convergence.
    early: bool,
}

/// A Newton estimate near the optimum, with bounds on how far the optimum can be: what an
/// early-stop rule of [`LogisticParams::fit_until`] decides on.
///
/// At an iterate β̂ with information matrix H = H(β̂) and Newton step δ = H⁻¹∇, the estimate
/// is `β̂ + δ` (what a converged fit returns, one step further). The optimum β* satisfies
/// `H̄ (β* − β̂) = H δ` with H̄ the mean information matrix on the segment; the weights
/// p(1 − p) change by at most a factor e^{±D} when every linear predictor moves by at most D
/// (d ln[p(1 − p)]/dη = 1 − 2p), so `e^{−D} H ⪯ H̄ ⪯ e^{D} H` and
/// `‖β* − β̂ − δ‖_H ≤ (e^{D} − 1)·‖δ‖_H`, hence `|β*_j − (β̂ + δ)_j| ≤ se_j (e^{D} − 1) λ`
/// with λ = ‖δ‖_H the Newton decrement and se_j² = (H⁻¹)_jj. D is taken as twice the
/// largest |Δη| of the step, m (the optimum is δ away up to a term of order δ²), and the
/// estimate is offered only when m ≤ `EARLY_MAX_ETA`, in the quadratic region where that
/// holds; the bounds then carry a further factor 2. The standard errors at β* are within a
/// factor e^{±D/2} of those at β̂.
#[derive(Debug)]
pub(crate) struct Estimate {
    /// β̂ + δ (intercept first when fitted).
    pub(crate) params: Vec<f64>,
    /// Standard errors at β̂ (the square roots of the diagonal of H⁻¹).
    pub(crate) se: Vec<f64>,
    /// Bound on |β*_j − params_j| for every term.
    pub(crate) bound: Vec<f64>,
    /// Bound f ≥ 1 on the ratio of the standard errors at the optimum to `se`: within
    /// [se/f, se·f].
    pub(crate) se_factor: f64,
    /// Whether the first term is the intercept.
    pub(crate) intercept: bool,
}

thread_local! {
    /// Per-thread GEMM operands of [`Problem::evaluate`] (the weighted right-hand side and the
    /// product), kept between passes and fits.
    static SCRATCH: std::cell::RefCell<(Vec<f64>, Vec<f64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

impl Problem<'_> {
    fn k(&self) -> usize {
        self.p + usize::from(self.intercept)
    }

    /// One parallel pass over the rows: ℓ and ∇ℓ at β, and X'WX when `hessian` is set (else
    /// left at zero), summed block by block in block order.
    fn evaluate(&self, beta: &[f64], hessian: bool) -> Eval {
        let k = self.k();
        let q = self.p + 1 + usize::from(self.intercept);
        let rows = block_rows(self.n);
        let n_blocks = self.n.div_ceil(rows);
        // The GEMM operands of a block live in per-thread buffers that outlive the pass: every
        // entry of the right-hand side that the block reads it writes first, so that buffer is
        // only grown, never cleared.
        let (c_len, m_len) = (if hessian { rows * q } else { 0 }, self.p * q);
        let parts: Vec<Eval> = (0..n_blocks)
            .into_par_iter()
            .map(|b| {
                SCRATCH.with_borrow_mut(|(c, m)| {
                    if c.len() < c_len {
                        c.resize(c_len, 0.0);
                    }
                    // The product is small: cleared, so that nothing of an earlier pass can
                    // leak into it whatever the GEMM reads.
                    m.clear();
                    m.resize(m_len, 0.0);
                    self.evaluate_block(beta, b, hessian, c, m)
                })
            })
            .collect();
        let mut total = Eval::zeros(k);
        for part in &parts {
            total.add(part);
        }
        // Exact symmetry: the two triangles come from differently rounded products.
        for i in 0..k {
            for j in 0..i {
                let m = 0.5 * (total.hess[i * k + j] + total.hess[j * k + i]);
                total.hess[i * k + j] = m;
                total.hess[j * k + i] = m;
            }
        }
        total
    }

    /// One block of rows. With `hessian`, the gradient and the information matrix of the
    /// features come from one GEMM, `Xᵀ·[V·X | r | v]` with `v_i = w_i p_i (1 − p_i)` and
    /// `r_i = w_i (y_i − p_i)`: X is read in place, only the right-hand side is built, and the
    /// GEMM (matrixmultiply, runtime-dispatched AVX2/AVX-512) does all the O(p²) work.
    fn evaluate_block(
        &self,
        beta: &[f64],
        block: usize,
        hessian: bool,
        c: &mut [f64],
        m: &mut [f64],
    ) -> Eval {
        let (p, k) = (self.p, self.k());
        let q = p + 1 + usize::from(self.intercept);
        let size = block_rows(self.n);
        let start = block * size;
        let end = (start + size).min(self.n);
        let rows = end - start;
        let (b0, slopes) = if self.intercept { (beta[0], &beta[1..]) } else { (0.0, beta) };
        let off = usize::from(self.intercept);
        let mut out = Eval::zeros(k);
        let (mut ll, mut g0, mut v0, mut log_sum, mut product) = (0.0, 0.0, 0.0, 0.0, 1.0_f64);
        for r in 0..rows {
            let i = start + r;
            let x = &self.data[i * p..(i + 1) * p];
            let y = self.y[i];
            let w = self.w.map_or(1.0, |w| w[i]);
            let eta = b0 + dot(x, slopes);
            // One exponential per row: p, p(1 − p) and ln(1 + e^η) all follow from e^{−|η|}
            // (which also avoids the cancellation of 1 − p near 1).
            let e = (-eta.abs()).exp();
            let u = 1.0 + e;
            let inv = 1.0 / u;
            let prob = if eta >= 0.0 { inv } else { e * inv };
            ll += w * (y * eta - eta.max(0.0));
            // Σ ln(1 + e_i) as the logarithm of a running product: one logarithm per
            // `LOG_PRODUCT_ROWS` rows instead of one per row (the product stays below
            // 2^LOG_PRODUCT_ROWS; its rounding adds at most LOG_PRODUCT_ROWS ulp per chunk).
            if self.w.is_some() {
                log_sum += w * ln_1p_unit(e);
            } else {
                product *= u;
                if r % LOG_PRODUCT_ROWS == LOG_PRODUCT_ROWS - 1 {
                    log_sum += product.ln();
                    product = 1.0;
                }
            }
            let resid = w * (y - prob);
            g0 += resid;
            if w > 0.0 && eta.abs() > SATURATED_ETA && (eta > 0.0) == (y == 1.0) {
                out.saturated += 1;
            }
            if hessian {
                let v = w * e * inv * inv;
                v0 += v;
                let row = &mut c[r * q..(r + 1) * q];
                for (cj, xj) in row[..p].iter_mut().zip(x) {
                    *cj = v * xj;
                }
                row[p] = resid;
                if self.intercept {
                    row[p + 1] = v;
                }
            } else {
                for (g, xj) in out.grad[off..].iter_mut().zip(x) {
                    *g += resid * xj;
                }
            }
        }
        out.ll = ll - (log_sum + product.ln());
        if self.intercept {
            out.grad[0] = g0;
        }
        if hessian {
            out.curvature = v0;
            if self.intercept {
                out.hess[0] = v0;
            }
            let x = ArrayView2::from_shape((rows, p), &self.data[start * p..end * p]);
            let rhs = ArrayView2::from_shape((rows, q), &c[..rows * q]);
            let prod = ArrayViewMut2::from_shape((p, q), &mut m[..p * q]);
            if let (Ok(x), Ok(rhs), Ok(mut prod)) = (x, rhs, prod)
                && p > 0
            {
                ndarray::linalg::general_mat_mul(1.0, &x.t(), &rhs, 0.0, &mut prod);
            }
            for i in 0..p {
                let row = &m[i * q..(i + 1) * q];
                out.hess[(off + i) * k + off..(off + i + 1) * k].copy_from_slice(&row[..p]);
                out.grad[off + i] = row[p];
                if self.intercept {
                    out.hess[(off + i) * k] = row[p + 1];
                    out.hess[off + i] = row[p + 1];
                }
            }
        }
        out
    }

    fn penalty(&self, beta: &[f64]) -> f64 {
        let off = usize::from(self.intercept);
        0.5 * self.l2 * beta[off..].iter().map(|b| b * b).sum::<f64>()
    }

    /// The penalised information matrix, equilibrated and Cholesky-factorised.
    fn factor(&self, eval: &Eval) -> Result<Factor, String> {
        let k = self.k();
        let off = usize::from(self.intercept);
        let mut h = eval.hess.clone();
        for j in off..k {
            h[j * k + j] += self.l2;
        }
        let mut scale = vec![0.0; k];
        for j in 0..k {
            let d = h[j * k + j];
            if !(d.is_finite() && d > 0.0) {
                return Err(format!("zero information on term {j}"));
            }
            scale[j] = 1.0 / d.sqrt();
        }
        let s = DMatrix::from_fn(k, k, |i, j| h[i * k + j] * scale[i] * scale[j]);
        let chol = s.cholesky().ok_or_else(|| "not positive definite".to_owned())?;
        let diag = chol.l_dirty().diagonal();
        let (lo, hi) =
            diag.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let rcond = (lo / hi).powi(2);
        if rcond.is_nan() || rcond < MIN_RCOND {
            return Err(format!("reciprocal condition number about {rcond:.1e}"));
        }
        Ok(Factor { chol, scale })
    }

    /// On large data, the fit of a strided subsample (every m-th row, weights × m so that the
    /// log-likelihood, the information matrix and the penalty keep their full-data scale) as
    /// the starting point of the full-data iterations, with the subsample's information matrix
    /// for the first full-data step. It only saves passes over the data: the full-data Newton
    /// loop still iterates to its own optimum and ends on a fresh full-data information matrix.
    /// Any failure on the subsample just means no warm start.
    fn warm_start(&self, tol: f64, max_iter: usize, names: &[String]) -> Option<Start> {
        let target = if self.accelerate {
            WARM_START_ROWS
        } else if self.n >= WARM_START_ROWS / 2 && self.w_scaled {
            // The first subsample, itself started from a smaller one.
            WARM_START_ROWS / WARM_START_RATIO
        } else {
            return None;
        };
        let stride = self.n / target;
        let rows: Vec<usize> = (0..self.n).step_by(stride).collect();
        let mut data = Vec::with_capacity(rows.len() * self.p);
        for &i in &rows {
            data.extend_from_slice(&self.data[i * self.p..(i + 1) * self.p]);
        }
        let y: Vec<f64> = rows.iter().map(|&i| self.y[i]).collect();
        let w: Vec<f64> =
            rows.iter().map(|&i| self.w.map_or(1.0, |w| w[i]) * stride as f64).collect();
        check_target(&y, Some(&w)).ok()?;
        let sub = Problem {
            data: &data,
            n: rows.len(),
            y: &y,
            w: Some(&w),
            w_scaled: true,
            accelerate: false,
            ..*self
        };
        let tol = tol.max(WARM_START_TOLERANCE);
        let start = sub.warm_start(tol, max_iter, names);
        let solution = sub.newton(tol, max_iter, names, start).ok()?;
        let factor = sub.factor(&solution.eval).ok()?;
        Some(Start { beta: solution.beta, factor })
    }

    /// Newton–Raphson from the warm start (or from the intercept-only fit).
    ///
    /// Each pass over the data gives ℓ and ∇ℓ at the current β and, when needed, the information
    /// matrix. Converged when a Newton step computed with an information matrix evaluated at
    /// the current β is below `tol` in every coordinate: that step is applied (as statsmodels
    /// returns `β + step`), ℓ is carried to the new β by its second-order expansion (the change
    /// is O(tol²)), and the information matrix at the previous β serves the inference table.
    ///
    /// On large data (`n ≥ WARM_START_MIN_ROWS`) a step may reuse the last information matrix
    /// instead of computing a new one (a chord step) when the previous full step was short
    /// (root-mean-square change of the linear predictor below `CHORD_MAX_ETA_STEP`) and needed
    /// no halving; it contracts the error by about that change, and every other pass computes
    /// a fresh matrix, the last one included.
    fn newton(
        &self,
        tol: f64,
        max_iter: usize,
        names: &[String],
        start: Option<Start>,
    ) -> Result<Solution, CreditError> {
        match start {
            Some(start) => {
                self.iterate(tol, max_iter, names, Some(start.beta), Some(start.factor), None)
            }
            None => self.iterate(tol, max_iter, names, None, None, None),
        }
    }

    /// The Newton loop of [`Problem::newton`]: from `beta` (default: the intercept-only fit),
    /// with `factor` as the information matrix at it when known; `stop` may end it early (see
    /// [`Estimate`]).
    fn iterate(
        &self,
        tol: f64,
        max_iter: usize,
        names: &[String],
        start_beta: Option<Vec<f64>>,
        start_factor: Option<Factor>,
        mut stop: Option<&mut dyn FnMut(&Estimate) -> bool>,
    ) -> Result<Solution, CreditError> {
        let k = self.k();
        let off = usize::from(self.intercept);
        let reuse_allowed = self.accelerate;
        let mut beta = vec![0.0; k];
        let mut factor = start_factor;
        if let Some(start) = start_beta {
            beta = start;
        } else if self.intercept {
            let (mut sw, mut swy) = (0.0, 0.0);
            for (i, &y) in self.y.iter().enumerate() {
                let w = self.w.map_or(1.0, |w| w[i]);
                sw += w;
                swy += w * y;
            }
            let rate = swy / sw;
            beta[0] = (rate / (1.0 - rate)).ln();
        }
        // `fresh`: `eval.hess` was computed at `beta` (else it is zero and `factor` is stale).
        let mut fresh = factor.is_none();
        let mut eval = self.evaluate(&beta, fresh);
        let mut objective = eval.ll - self.penalty(&beta);
        let mut steps: Vec<f64> = Vec::new();
        // The exact separation test's verdict, computed at most once, when first suspected.
        let mut verdict: Option<Verdict> = None;
        for iteration in 1..=max_iter {
            if fresh {
                factor = Some(match self.factor(&eval) {
                    Ok(f) => f,
                    // A singular information matrix on separated data is separation (the exact
                    // LP test decides, also before any row is numerically saturated).
                    Err(why) if self.separated(&mut verdict) => {
                        return Err(self.separation(&beta, &eval, names, &why));
                    }
                    Err(why) => return Err(CreditError::SingularHessian(why)),
                });
            }
            let Some(current) = factor.as_ref() else {
                return Err(CreditError::SingularHessian("no information matrix".to_owned()));
            };
            let mut grad = eval.grad.clone();
            for j in off..k {
                grad[j] -= self.l2 * beta[j];
            }
            let step = current.solve(&grad);
            let change = step.iter().fold(0.0_f64, |m, s| m.max(s.abs()));
            let early = fresh
                && change >= tol
                && stop.as_mut().is_some_and(|rule| {
                    self.estimate(&beta, &step, &grad, current).is_some_and(|e| rule(&e))
                });
            if fresh && (change < tol || early) {
                let hs = mat_vec(&eval.hess, &step);
                let gain: f64 = (0..k).map(|j| step[j] * (eval.grad[j] - 0.5 * hs[j])).sum();
                eval.ll += gain;
                let beta: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + s).collect();
                return Ok(Solution { beta, eval, iterations: iteration, early });
            }
            // A chord step (reusing `factor`) only right after a full, unhalved step that moved
            // the linear predictor little; otherwise the candidate gets a fresh matrix.
            let reuse = reuse_allowed && fresh && {
                let hs = mat_vec(&eval.hess, &step);
                let shs: f64 = step.iter().zip(&hs).map(|(s, h)| s * h).sum();
                eval.curvature > 0.0 && shs / eval.curvature < CHORD_MAX_ETA_STEP.powi(2)
            };
            let mut t = 1.0;
            let (candidate, cand_eval, cand_obj) = loop {
                let candidate: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
                let ev = self.evaluate(&candidate, !(reuse && t == 1.0));
                let obj = ev.ll - self.penalty(&candidate);
                // Accept any non-decrease up to rounding of the sum.
                if obj.is_finite() && obj >= objective - 1e-12 * objective.abs().max(1.0) {
                    break (candidate, ev, obj);
                }
                t *= 0.5;
                if t < 1e-12 {
                    return Err(CreditError::NotConverged {
                        solver: "logistic newton (step halving found no ascent)",
                        iterations: iteration,
                        last_change: change,
                    });
                }
            };
            fresh = !(reuse && t == 1.0);
            beta = candidate;
            eval = cand_eval;
            objective = cand_obj;
            steps.push(change * t);
            // Under separation the MLE is at infinity: Newton keeps taking steps of roughly
            // constant size along the separating direction while rows saturate. That pattern
            // (or a slowly converging fit on a collinear design, which looks the same for a
            // while) only triggers the exact test; its verdict decides, once.
            if eval.saturated > 0 && iteration >= 5 && verdict.is_none() {
                let last = &steps[steps.len() - 3..];
                if last[1] > 0.5 * last[0]
                    && last[2] > 0.5 * last[1]
                    && self.separated(&mut verdict)
                {
                    return Err(self.separation(&beta, &eval, names, "diverging coefficients"));
                }
            }
        }
        if eval.saturated > 0 && self.separated(&mut verdict) {
            return Err(self.separation(&beta, &eval, names, "no convergence"));
        }
        Err(CreditError::NotConverged {
            solver: "logistic newton",
            iterations: max_iter,
            last_change: steps.last().copied().unwrap_or(f64::NAN),
        })
    }

    /// The [`Estimate`] of the Newton step `step` from `beta` (`grad` the penalised gradient,
    /// `factor` the information matrix at `beta`), or `None` outside the quadratic region
    /// (largest change of a linear predictor above `EARLY_MAX_ETA`).
    fn estimate(
        &self,
        beta: &[f64],
        step: &[f64],
        grad: &[f64],
        factor: &Factor,
    ) -> Option<Estimate> {
        let (p, off) = (self.p, usize::from(self.intercept));
        let d0 = if self.intercept { step[0] } else { 0.0 };
        let slopes = &step[off..];
        // The largest change of a linear predictor (a maximum: the same in any order). Over
        // blocks of rows in parallel on large data; below that a parallel region costs more
        // than the pass.
        let largest = |rows: std::ops::Range<usize>| {
            rows.filter(|&i| self.w.is_none_or(|w| w[i] > 0.0)).fold(0.0_f64, |m, i| {
                m.max((d0 + dot(&self.data[i * p..(i + 1) * p], slopes)).abs())
            })
        };
        let m = if self.n * p < PARALLEL_PASS_MIN {
            largest(0..self.n)
        } else {
            let rows = block_rows(self.n);
            (0..self.n.div_ceil(rows))
                .into_par_iter()
                .map(|b| largest(b * rows..((b + 1) * rows).min(self.n)))
                .reduce(|| 0.0_f64, f64::max)
        };
        if m.is_nan() || m > EARLY_MAX_ETA {
            return None;
        }
        let decrement = step.iter().zip(grad).map(|(s, g)| s * g).sum::<f64>().max(0.0).sqrt();
        let d = 2.0 * m;
        let se: Vec<f64> = factor.inverse_diagonal().iter().map(|v| v.max(0.0).sqrt()).collect();
        let bound: Vec<f64> = se.iter().map(|s| 2.0 * s * d.exp_m1() * decrement).collect();
        let params: Vec<f64> = beta.iter().zip(step).map(|(b, s)| b + s).collect();
        if !(params.iter().chain(&se).chain(&bound).all(|v| v.is_finite())) {
            return None;
        }
        Some(Estimate { params, se, bound, se_factor: (0.5 * d).exp(), intercept: self.intercept })
    }

    /// Whether the data are (quasi-)separated, by the exact test of [`crate::separation`]
    /// (run once; its verdict is kept in `verdict`). A penalised fit is never separated (its
    /// optimum always exists); an undecided test (pivot limit) counts as not separated, so
    /// the caller reports the numerical failure it saw instead.
    fn separated(&self, verdict: &mut Option<Verdict>) -> bool {
        if self.l2 > 0.0 {
            return false;
        }
        let v = *verdict.get_or_insert_with(|| {
            test_separation(self.data, self.n, self.p, self.y, self.w, self.intercept)
                .unwrap_or(Verdict::Overlap)
        });
        v == Verdict::Separated
    }

    fn separation(&self, beta: &[f64], eval: &Eval, names: &[String], why: &str) -> CreditError {
        let off = usize::from(self.intercept);
        let largest = beta[off..]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(j, b)| format!("; largest coefficient {} = {b:.3}", names[j]))
            .unwrap_or_default();
        if eval.saturated == 0 {
            return CreditError::Separation(format!(
                "(quasi-)complete separation: the exact linear-programming test finds the classes separable ({why}{largest})"
            ));
        }
        CreditError::Separation(format!(
            "(quasi-)complete separation: {} of {} rows are fitted with probability 0 or 1 ({why}{largest})",
            eval.saturated, self.n
        ))
    }

    fn model(&self, solution: Solution, feature_names: Vec<String>, l2: f64) -> LogisticModel {
        let k = self.k();
        let covariance = match self.factor(&solution.eval) {
            Ok(f) => f.inverse(),
            Err(_) => Array2::from_elem((k, k), f64::NAN),
        };
        let params = Array1::from(solution.beta);
        let std_errors: Array1<f64> = covariance.diag().mapv(f64::sqrt);
        let z_values = &params / &std_errors;
        // two-sided: 2·(1 − Φ(|z|)), with the upper tail taken without cancellation
        let p_values = z_values.mapv(|z| 2.0 * finkit_numerics::normal::sf(z.abs()));
        let (mut sw, mut swy) = (0.0, 0.0);
        for (i, &y) in self.y.iter().enumerate() {
            let w = self.w.map_or(1.0, |w| w[i]);
            sw += w;
            swy += w * y;
        }
        let rate = swy / sw;
        let null_log_likelihood = swy * rate.ln() + (sw - swy) * (1.0 - rate).ln();
        LogisticModel {
            feature_names,
            fit_intercept: self.intercept,
            l2,
            params,
            std_errors,
            z_values,
            p_values,
            covariance,
            log_likelihood: solution.eval.ll,
            null_log_likelihood,
            n_obs: self.n,
            iterations: solution.iterations,
        }
    }
}

/// Cholesky factor of D·H·D with D = diag(1/√H_jj).
struct Factor {
    chol: nalgebra::Cholesky<f64, nalgebra::Dyn>,
    scale: Vec<f64>,
}

impl Factor {
    /// H⁻¹ g = D (DHD)⁻¹ D g.
    fn solve(&self, g: &[f64]) -> Vec<f64> {
        let rhs = nalgebra::DVector::from_iterator(
            g.len(),
            g.iter().zip(&self.scale).map(|(g, d)| g * d),
        );
        let z = self.chol.solve(&rhs);
        z.iter().zip(&self.scale).map(|(z, d)| z * d).collect()
    }
    /// L⁻¹ for D H D = L Lᵀ (lower triangular, row-major k × k), column by column by forward
    /// substitution.
    fn lower_inverse(&self) -> Vec<f64> {
        let l = self.chol.l_dirty();
        let k = self.scale.len();
        let mut y = vec![0.0; k * k];
        for j in 0..k {
            y[j * k + j] = 1.0 / l[(j, j)];
            for i in j + 1..k {
                let dot: f64 = (j..i).map(|m| l[(i, m)] * y[m * k + j]).sum();
                y[i * k + j] = -dot / l[(i, i)];
            }
        }
        y
    }

    /// The diagonal of H⁻¹ alone (what standard errors need):
    /// (H⁻¹)_jj = d_j² Σ_i (L⁻¹)_ij².
    fn inverse_diagonal(&self) -> Vec<f64> {
        let k = self.scale.len();
        let y = self.lower_inverse();
        (0..k)
            .map(|j| {
                (j..k).map(|i| y[i * k + j] * y[i * k + j]).sum::<f64>()
                    * self.scale[j]
                    * self.scale[j]
            })
            .collect()
    }

    /// H⁻¹ = D L⁻ᵀ L⁻¹ D, exactly symmetric (each entry computed once).
    fn inverse(&self) -> Array2<f64> {
        let k = self.scale.len();
        let y = self.lower_inverse();
        let mut out = Array2::zeros((k, k));
        for i in 0..k {
            for j in 0..=i {
                let v: f64 = (i..k).map(|m| y[m * k + i] * y[m * k + j]).sum();
                let v = v * self.scale[i] * self.scale[j];
                out[(i, j)] = v;
                out[(j, i)] = v;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_inverse_diagonal_is_the_inverses() {
        let k = 7;
        let mut h = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                h[i * k + j] =
                    1.0 / (1.0 + (i + j) as f64) + if i == j { 2.0 + i as f64 } else { 0.0 };
            }
        }
        let m = nalgebra::DMatrix::from_row_slice(k, k, &h);
        let scale: Vec<f64> = (0..k).map(|i| 0.5 + i as f64).collect();
        let scaled = nalgebra::DMatrix::from_fn(k, k, |i, j| m[(i, j)] * scale[i] * scale[j]);
        let factor = super::Factor { chol: nalgebra::Cholesky::new(scaled).unwrap(), scale };
        let full = factor.inverse();
        // Against nalgebra's inverse of the factor, scaled back.
        let reference = factor.chol.inverse();
        for i in 0..k {
            for j in 0..k {
                let want = reference[(i, j)] * factor.scale[i] * factor.scale[j];
                assert!((full[(i, j)] - want).abs() <= 1e-13 * want.abs().max(1e-3), "{i},{j}");
                assert_eq!(full[(i, j)], full[(j, i)]);
            }
        }
        for (j, d) in factor.inverse_diagonal().iter().enumerate() {
            assert!(
                (d - full[(j, j)]).abs() <= 1e-13 * full[(j, j)].abs(),
                "{j}: {d} vs {}",
                full[(j, j)]
            );
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn hand_edited_json_is_a_typed_error_at_load() {
        // A model whose coefficient vector was shortened by hand used to deserialise and then
        // panic (slice out of range) in `linear_predictor`; now loading it fails.
        let x =
            ndarray::array![[0.0, 1.0], [1.0, 0.5], [2.0, 0.1], [3.0, 0.9], [4.0, 0.2], [5.0, 0.4]];
        let y = ndarray::array![0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let model = super::LogisticParams::new().l2(0.1).fit(&x, &y).unwrap();
        let mut json: serde_json::Value = serde_json::to_value(&model).unwrap();
        let back: super::LogisticModel = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, model);
        json["params"]["data"] = serde_json::json!([0.1]);
        json["params"]["dim"] = serde_json::json!([1]);
        let err = serde_json::from_value::<super::LogisticModel>(json.clone()).unwrap_err();
        assert!(err.to_string().contains("params"), "{err}");
        let mut dup = serde_json::to_value(&model).unwrap();
        dup["feature_names"] = serde_json::json!(["a", "a"]);
        assert!(serde_json::from_value::<super::LogisticModel>(dup).is_err());
    }

    use super::*;
    use ndarray::array;

    #[test]
    fn sigmoid_is_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
    }

    #[test]
    fn dot_handles_remainders() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(dot(&a, &a), 91.0);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn separable_data_is_a_typed_error() {
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]];
        let y = array![0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let err = LogisticParams::new().fit(&x, &y).unwrap_err();
        assert!(matches!(err, CreditError::Separation(_)), "{err}");
        assert!(err.to_string().contains("L2"));
        // With a penalty the estimate exists.
        let m = LogisticParams::new().l2(1.0).fit(&x, &y).unwrap();
        assert!(m.coefficients()[0].is_finite());
    }

    #[test]
    fn quasi_separation_is_a_typed_error() {
        let x = array![[0.0], [1.0], [2.0], [2.0], [3.0], [4.0]];
        let y = array![0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let err = LogisticParams::new().fit(&x, &y).unwrap_err();
        assert!(matches!(err, CreditError::Separation(_)), "{err}");
    }

    #[test]
    fn collinear_columns_are_singular() {
        let x = array![[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, 8.0], [5.0, 10.0]];
        let y = array![0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let err = LogisticParams::new().fit(&x, &y).unwrap_err();
        assert!(matches!(err, CreditError::SingularHessian(_)), "{err}");
    }

    /// n × p rows with N(0, 1)-like features (sum of uniforms) and a logistic target.
    fn large_problem(n: usize, p: usize) -> (Array2<f64>, Array1<f64>) {
        let mut state = 0x5EED_u64;
        let mut uniform = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x = Array2::zeros((n, p));
        let mut y = Array1::zeros(n);
        for i in 0..n {
            let mut eta = -0.7;
            for j in 0..p {
                let v = (0..4).map(|_| uniform()).sum::<f64>() - 2.0;
                x[(i, j)] = v;
                eta += v * (j as f64 - 2.0) * 0.4;
            }
            y[i] = f64::from(u8::from(uniform() < sigmoid(eta)));
        }
        (x, y)
    }

    #[test]
    fn large_data_path_matches_plain_newton() {
        // The warm start and chord steps only change the path, not the estimate or its
        // inference table.
        let (x, y) = large_problem(WARM_START_MIN_ROWS + 10_000, 5);
        let fast = LogisticParams::new().fit(&x, &y).unwrap();
        let data = x.as_slice().unwrap();
        let yv = y.to_vec();
        let names: Vec<String> = (0..5).map(|j| format!("x{j}")).collect();
        let plain = Problem {
            data,
            n: x.nrows(),
            p: 5,
            y: &yv,
            w: None,
            intercept: true,
            l2: 0.0,
            w_scaled: false,
            accelerate: false,
        };
        let solution = plain.newton(1e-8, 100, &names, None).unwrap();
        let slow = plain.model(solution, names, 0.0);
        assert!(fast.iterations() < slow.iterations() + 2);
        for j in 0..6 {
            assert!((fast.params()[j] - slow.params()[j]).abs() < 1e-10, "param {j}");
            let rel = (fast.std_errors()[j] / slow.std_errors()[j] - 1.0).abs();
            assert!(rel < 1e-9, "std error {j}: {rel:e}");
        }
        assert!((fast.log_likelihood() - slow.log_likelihood()).abs() < 1e-7);
    }

    #[test]
    fn same_bits_on_any_thread_count() {
        let (x, y) = large_problem(WARM_START_MIN_ROWS + 1, 3);
        let fit_on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| LogisticParams::new().l2(0.5).fit(&x, &y).unwrap())
        };
        let one = fit_on(1);
        assert_eq!(one, fit_on(2));
        assert_eq!(one, fit_on(3));
    }

    #[test]
    fn early_estimates_keep_their_bounds() {
        // Every estimate offered to an early-stop rule is within its bounds of the converged
        // fit, and its standard errors within the stated factor; the converged fit itself
        // never sees a rule.
        for (n, p, l2) in [(3000, 4, 0.0), (1500, 7, 0.0), (800, 3, 2.0), (5000, 10, 0.0)] {
            let (x, y) = large_problem(n, p);
            let exact = LogisticParams::new().l2(l2).tolerance(1e-12).fit(&x, &y).unwrap();
            let mut offered = 0;
            let mut rule = |e: &Estimate| {
                offered += 1;
                assert!(e.intercept);
                for j in 0..=p {
                    let err = (e.params[j] - exact.params()[j]).abs();
                    assert!(err <= e.bound[j], "n {n} term {j}: error {err:e} > {:e}", e.bound[j]);
                    let ratio = exact.std_errors()[j] / e.se[j];
                    assert!(ratio <= e.se_factor && ratio >= 1.0 / e.se_factor, "se {ratio}");
                }
                false
            };
            let (model, early) =
                LogisticParams::new().l2(l2).fit_until(&x, &y, Some(&mut rule), false).unwrap();
            assert!(!early);
            assert!(offered >= 1, "n {n}: the last iterates are in the quadratic region");
            for j in 0..=p {
                assert!((model.params()[j] - exact.params()[j]).abs() < 1e-8);
            }
            // A rule that stops at once returns the first estimate offered.
            let mut first = None;
            let mut stop = |e: &Estimate| {
                first = Some(e.params.clone());
                true
            };
            let (model, early) =
                LogisticParams::new().l2(l2).fit_until(&x, &y, Some(&mut stop), false).unwrap();
            assert!(early);
            assert_eq!(model.params().to_vec(), first.unwrap());
        }
    }

    #[test]
    fn log1p_of_unit_values_is_accurate() {
        for &e in &[0.0, 1e-300, 1e-17, 1e-9, 0.1, 0.5, 0.999, 1.0] {
            let (a, b) = (ln_1p_unit(e), f64::ln_1p(e));
            assert!((a - b).abs() <= 2.0 * f64::EPSILON * b, "{e}: {a} vs {b}");
        }
    }

    #[test]
    fn non_finite_values_are_found_in_any_chunk() {
        let mut v = vec![1.0; 5000];
        assert_eq!(first_non_finite(&v), None);
        v[4097] = f64::NAN;
        v[4500] = f64::INFINITY;
        assert_eq!(first_non_finite(&v), Some(4097));
    }

    #[test]
    fn weights_equal_duplicated_rows() {
        let x = array![[0.0], [1.0], [2.0], [3.0], [4.0]];
        let y = array![0.0, 1.0, 0.0, 1.0, 1.0];
        let w = array![1.0, 2.0, 1.0, 1.0, 3.0];
        let xd = array![[0.0], [1.0], [1.0], [2.0], [3.0], [4.0], [4.0], [4.0]];
        let yd = array![0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let a = LogisticParams::new().sample_weights(w).fit(&x, &y).unwrap();
        let b = LogisticParams::new().fit(&xd, &yd).unwrap();
        for (u, v) in a.params().iter().zip(b.params()) {
            assert!((u - v).abs() < 1e-10);
        }
        assert!((a.log_likelihood() - b.log_likelihood()).abs() < 1e-10);
    }
}
