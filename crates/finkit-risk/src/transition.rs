//! Rating transition matrices: validation, n-year powers, cumulative default probabilities and
//! generators (matrix logarithm, Jarrow–Lando–Turnbull, Israel–Rosenthal–Wei regularisation).
//!
//! A [`TransitionMatrix`] is a validated one-period (usually one-year) Markov chain over rating
//! states, the last (by default) being an absorbing default state. Conventions that change
//! answers are explicit: how rows that do not sum exactly to 1 are treated ([`RowSumRule`]),
//! which state is default ([`DefaultState`]) and how a generator is found ([`GeneratorMethod`]).

use nalgebra::DMatrix;
use ndarray::{Array1, Array2, ArrayRef2};

use crate::RiskError;

mod csv;
pub use csv::{LabelledMatrix, read_matrix_csv};

/// What to do with a row whose sum differs from 1.
///
/// Published matrices are rounded (the CreditMetrics 1997 table has rows summing to 0.9999 and
/// 1.0001), so a caller must say whether such rows are an error or are repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RowSumRule {
    /// Every row must sum to 1 within the tolerance; the matrix is kept exactly as given.
    /// The default.
    #[default]
    Strict,
    /// Put 1 − (row sum) on the diagonal, as transitionMatrix's `fix_rowsums` does, provided
    /// |1 − row sum| is within the tolerance. The repaired diagonal must stay in [0, 1].
    FixOnDiagonal,
}

/// Which state of the matrix is the (absorbing) default state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum DefaultState {
    /// The last state (the usual layout: AAA … CCC, D). The default.
    #[default]
    Last,
    /// The state with this 0-based index.
    Index(usize),
}

/// Options of [`TransitionMatrix::new`].
///
/// Defaults: [`RowSumRule::Strict`], tolerance `1e-9`, [`DefaultState::Last`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TransitionOptions {
    /// How rows whose sum is not exactly 1 are treated.
    pub row_sums: RowSumRule,
    /// The largest accepted |1 − row sum| (for [`RowSumRule::FixOnDiagonal`], the largest
    /// deviation that is repaired). Must be finite and in [0, 0.5).
    pub tolerance: f64,
    /// Which state is default.
    pub default_state: DefaultState,
}

impl Default for TransitionOptions {
    fn default() -> Self {
        TransitionOptions {
            row_sums: RowSumRule::Strict,
            tolerance: 1e-9,
            default_state: DefaultState::Last,
        }
    }
}

impl TransitionOptions {
    /// The transitionMatrix `fix_rowsums` convention: rows are repaired on the diagonal when
    /// their sum is within `max_deviation` of 1.
    #[must_use]
    pub fn fix_rowsums(max_deviation: f64) -> Self {
        TransitionOptions {
            row_sums: RowSumRule::FixOnDiagonal,
            tolerance: max_deviation,
            ..Self::default()
        }
    }

    /// Sets the row-sum rule.
    #[must_use]
    pub fn with_row_sums(mut self, rule: RowSumRule) -> Self {
        self.row_sums = rule;
        self
    }

    /// Sets the tolerance.
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Sets the default state.
    #[must_use]
    pub fn with_default_state(mut self, state: DefaultState) -> Self {
        self.default_state = state;
        self
    }
}

/// A validated discrete-time rating transition matrix.
///
/// Invariants: square with at least two states, every entry finite and in [0, 1], every row sums
/// to 1 within the tolerance it was built with, and the default state is absorbing (its row is
/// the unit vector).
///
/// ```
/// use finkit_risk::transition::{TransitionMatrix, TransitionOptions};
/// use ndarray::array;
///
/// let p = array![[0.90, 0.08, 0.02], [0.10, 0.80, 0.10], [0.0, 0.0, 1.0]];
/// let tm = TransitionMatrix::new(&p, &TransitionOptions::default())?;
/// let cum = tm.cumulative_pd(0, 3)?;
/// assert!((cum[0] - 0.02).abs() < 1e-15);
/// assert!(cum[2] > cum[1] && cum[1] > cum[0]);
/// assert!(TransitionMatrix::new(&array![[0.9, 0.2], [0.0, 1.0]], &TransitionOptions::default()).is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "TransitionMatrixData"))]
pub struct TransitionMatrix {
    p: Array2<f64>,
    default_state: usize,
    tolerance: f64,
}

/// The serialised form of a [`TransitionMatrix`]; deserialisation re-validates it.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct TransitionMatrixData {
    p: Array2<f64>,
    default_state: usize,
    tolerance: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<TransitionMatrixData> for TransitionMatrix {
    type Error = RiskError;
    fn try_from(d: TransitionMatrixData) -> Result<Self, RiskError> {
        let opts = TransitionOptions {
            row_sums: RowSumRule::Strict,
            tolerance: d.tolerance,
            default_state: DefaultState::Index(d.default_state),
        };
        TransitionMatrix::new(&d.p, &opts)
    }
}

impl TransitionMatrix {
    /// Validates a one-period transition matrix (rows: from, columns: to).
    ///
    /// # Errors
    ///
    /// - [`RiskError::InvalidParameter`] for a tolerance that is not finite or not in [0, 0.5);
    /// - [`RiskError::NotSquare`] for a non-square or smaller than 2 × 2 matrix;
    /// - [`RiskError::StateOutOfRange`] for a default index outside the matrix;
    /// - [`RiskError::InvalidMatrixEntry`] for NaN, ±inf or an entry outside [0, 1] (also a
    ///   diagonal pushed outside [0, 1] by [`RowSumRule::FixOnDiagonal`]);
    /// - [`RiskError::NotStochastic`] for a row whose sum is further than the tolerance from 1;
    /// - [`RiskError::NotAbsorbing`] when the default state can be left.
    pub fn new(
        p: &ArrayRef2<f64>,
        options: &TransitionOptions,
    ) -> Result<TransitionMatrix, RiskError> {
        let tol = options.tolerance;
        if !tol.is_finite() || !(0.0..0.5).contains(&tol) {
            return Err(RiskError::InvalidParameter {
                name: "tolerance",
                value: tol.to_string(),
                reason: "must be finite and in [0, 0.5)",
            });
        }
        let (rows, cols) = p.dim();
        if rows != cols || rows < 2 {
            return Err(RiskError::NotSquare {
                what: "transition matrix (at least 2 x 2)",
                rows,
                cols,
            });
        }
        let n = rows;
        let default_state = match options.default_state {
            DefaultState::Last => n - 1,
            DefaultState::Index(i) if i < n => i,
            DefaultState::Index(i) => return Err(RiskError::StateOutOfRange { index: i, len: n }),
        };
        for ((row, col), &value) in p.indexed_iter() {
            if !value.is_finite() {
                return Err(RiskError::InvalidMatrixEntry {
                    row,
                    col,
                    value,
                    reason: "must be finite",
                });
            }
            if !(0.0..=1.0).contains(&value) {
                return Err(RiskError::InvalidMatrixEntry {
                    row,
                    col,
                    value,
                    reason: "must be in [0, 1]",
                });
            }
        }
        let mut m = p.to_owned();
        for i in 0..n {
            let sum: f64 = m.row(i).sum();
            if (1.0 - sum).abs() > tol {
                return Err(RiskError::NotStochastic { row: i, sum, tolerance: tol });
            }
            if options.row_sums == RowSumRule::FixOnDiagonal {
                let d = m[[i, i]] + (1.0 - sum);
                if !(0.0..=1.0).contains(&d) {
                    return Err(RiskError::InvalidMatrixEntry {
                        row: i,
                        col: i,
                        value: d,
                        reason: "must be in [0, 1] after the row sum is fixed on the diagonal",
                    });
                }
                m[[i, i]] = d;
            }
        }
        for j in 0..n {
            if j != default_state && m[[default_state, j]] != 0.0 {
                return Err(RiskError::NotAbsorbing {
                    state: default_state,
                    to: j,
                    probability: m[[default_state, j]],
                });
            }
        }
        Ok(TransitionMatrix { p: m, default_state, tolerance: tol })
    }

    /// Number of states, default included.
    #[must_use]
    pub fn n_states(&self) -> usize {
        self.p.nrows()
    }

    /// The 0-based index of the default state.
    #[must_use]
    pub fn default_state(&self) -> usize {
        self.default_state
    }

    /// The (possibly row-repaired) one-period matrix.
    #[must_use]
    pub fn matrix(&self) -> Array2<f64> {
        self.p.clone()
    }

    /// The one-period matrix raised to the power `periods` (`P⁰ = I`).
    ///
    /// Binary powering (the order numpy's `matrix_power` uses), so `P¹⁰` takes four products.
    /// The result of a stochastic matrix stays stochastic up to rounding.
    #[must_use]
    pub fn power(&self, periods: u32) -> Array2<f64> {
        to_ndarray(&mat_power(&to_nalgebra(&self.p), periods))
    }

    /// Cumulative default probabilities of `state` for horizons 1, …, `years` periods:
    /// element `t − 1` is `(Pᵗ)[state, default]`.
    ///
    /// # Formula
    ///
    /// ```text
    /// cum(t) = cum(t−1) + Σ_{k ≠ d} (P^{t−1})[i, k] · P[k, d],   cum(0) = 0 (1 if i = d)
    /// ```
    ///
    /// which equals `(Pᵗ)[i, d]` because the default state d is absorbing; written as a sum of
    /// non-negative increments it is non-decreasing in t exactly, even in floating point.
    ///
    /// # Errors
    ///
    /// [`RiskError::StateOutOfRange`] for a state outside the matrix;
    /// [`RiskError::InvalidParameter`] for more than [`MAX_HORIZON`] periods.
    pub fn cumulative_pd(&self, state: usize, years: u32) -> Result<Array1<f64>, RiskError> {
        let n = self.n_states();
        if state >= n {
            return Err(RiskError::StateOutOfRange { index: state, len: n });
        }
        check_horizon(years)?;
        let d = self.default_state;
        let mut out = Array1::zeros(years as usize);
        if state == d {
            out.fill(1.0);
            return Ok(out);
        }
        // Row `state` of P^{t-1}, advanced one period at a time.
        let mut row: Vec<f64> = (0..n).map(|k| if k == state { 1.0 } else { 0.0 }).collect();
        let mut next = vec![0.0; n];
        let mut cum = 0.0;
        for t in 0..years as usize {
            let increment: f64 = (0..n).filter(|&k| k != d).map(|k| row[k] * self.p[[k, d]]).sum();
            cum += increment;
            out[t] = cum;
            for (j, slot) in next.iter_mut().enumerate() {
                *slot = (0..n).map(|k| row[k] * self.p[[k, j]]).sum();
            }
            std::mem::swap(&mut row, &mut next);
        }
        Ok(out)
    }

    /// Cumulative default probabilities of every state: row i is [`Self::cumulative_pd`]`(i, years)`.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] for more than [`MAX_HORIZON`] periods.
    pub fn cumulative_pds(&self, years: u32) -> Result<Array2<f64>, RiskError> {
        let n = self.n_states();
        check_horizon(years)?;
        let mut out = Array2::zeros((n, years as usize));
        for i in 0..n {
            out.row_mut(i).assign(&self.cumulative_pd(i, years)?);
        }
        Ok(out)
    }

    /// A continuous-time generator `Q` with `exp(Q) ≈ P`, by the chosen method.
    ///
    /// # Formula
    ///
    /// ```text
    /// Logm:       Q = log P   (principal logarithm; inverse scaling and squaring:
    ///                          P^(1/2^s) by Denman–Beavers until ‖P^(1/2^s) − I‖₁ ≤ 1/4,
    ///                          then the [8/8] Padé approximant as 8-point Gauss–Legendre
    ///                          quadrature of log(I+X) = ∫₀¹ X (I + tX)⁻¹ dt, times 2^s)
    /// LogSeries:  Q = Σ_{k=1..m} (−1)^{k+1} (P − I)^k / k
    /// Jlt:        q_ii = ln p_ii,  q_ij = p_ij ln p_ii / (p_ii − 1)   (rows with p_ii = 1 are 0)
    /// ```
    ///
    /// The logarithm may have small negative off-diagonal entries (no valid generator exists
    /// for most empirical matrices); see [`Generator::regularise_irw`].
    ///
    /// # Errors
    ///
    /// [`RiskError::NoGenerator`] when the principal logarithm does not exist or cannot be
    /// verified (`‖exp(Q) − P‖_max > 1e-8`, e.g. a singular matrix or an eigenvalue on the
    /// negative real axis), when the series does not converge (some diagonal entry ≤ 0.5), or
    /// when a non-absorbing row has a zero diagonal (JLT); [`RiskError::InvalidParameter`] for
    /// a series with zero terms.
    pub fn generator(&self, method: GeneratorMethod) -> Result<Generator, RiskError> {
        let p = to_nalgebra(&self.p);
        let q = match method {
            GeneratorMethod::Logm => {
                let q = logm(&p)?;
                let back = q.clone().exp();
                let err = (&back - &p).amax();
                if !err.is_finite() || err > 1e-8 {
                    return Err(RiskError::NoGenerator(format!(
                        "the matrix logarithm could not be verified: max |exp(Q) - P| = {err}"
                    )));
                }
                q
            }
            GeneratorMethod::LogSeries { terms } => {
                if terms == 0 {
                    return Err(RiskError::InvalidParameter {
                        name: "terms",
                        value: terms.to_string(),
                        reason: "the log series needs at least one term",
                    });
                }
                if let Some(i) = (0..self.n_states()).find(|&i| self.p[[i, i]] <= 0.5) {
                    return Err(RiskError::NoGenerator(format!(
                        "the log series converges only when every diagonal entry exceeds 0.5; entry ({i}, {i}) is {}",
                        self.p[[i, i]]
                    )));
                }
                log_series(&p, terms)
            }
            GeneratorMethod::Jlt => jlt(&p)?,
        };
        Ok(Generator {
            q: to_ndarray(&q),
            default_state: self.default_state,
            method,
            regularised: false,
        })
    }
}

/// How [`TransitionMatrix::generator`] finds a generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum GeneratorMethod {
    /// The principal matrix logarithm (agrees with `scipy.linalg.logm`). The default.
    #[default]
    Logm,
    /// The series `log(I + A) = A − A²/2 + A³/3 − …` truncated after `terms` terms (valid when
    /// every diagonal entry exceeds 0.5).
    LogSeries {
        /// Number of terms.
        terms: u32,
    },
    /// The Jarrow–Lando–Turnbull (1997) closed-form approximation (assumes at most one
    /// transition a period); always a valid generator.
    Jlt,
}

impl GeneratorMethod {
    /// The methods without parameters and their one spelling each (the CLI's `--generator`
    /// values); [`GeneratorMethod::LogSeries`] is spelled `log-series:TERMS`.
    pub const NAMED: [(GeneratorMethod, &'static str); 2] =
        [(GeneratorMethod::Logm, "logm"), (GeneratorMethod::Jlt, "jlt")];
}

/// `logm`, `jlt` ([`GeneratorMethod::NAMED`]) or `log-series:TERMS` with at least one term.
///
/// ```
/// use finkit_risk::transition::GeneratorMethod;
/// assert_eq!("jlt".parse::<GeneratorMethod>()?, GeneratorMethod::Jlt);
/// let series = "log-series:12".parse::<GeneratorMethod>()?;
/// assert_eq!(series, GeneratorMethod::LogSeries { terms: 12 });
/// assert_eq!(series.to_string(), "log-series:12");
/// assert!("log-series:0".parse::<GeneratorMethod>().is_err());
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
impl std::str::FromStr for GeneratorMethod {
    type Err = RiskError;
    fn from_str(text: &str) -> Result<Self, RiskError> {
        if let Some((method, _)) = GeneratorMethod::NAMED.iter().find(|(_, s)| *s == text) {
            return Ok(*method);
        }
        match text.strip_prefix("log-series:").map(str::parse::<u32>) {
            Some(Ok(terms)) if terms >= 1 => Ok(GeneratorMethod::LogSeries { terms }),
            _ => Err(RiskError::InvalidParameter {
                name: "generator method",
                value: text.to_owned(),
                reason: "must be logm, jlt or log-series:TERMS with TERMS >= 1",
            }),
        }
    }
}

impl std::fmt::Display for GeneratorMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self, GeneratorMethod::NAMED.iter().find(|(m, _)| m == self)) {
            (_, Some((_, s))) => f.write_str(s),
            (GeneratorMethod::LogSeries { terms }, None) => write!(f, "log-series:{terms}"),
            (method, None) => write!(f, "{method:?}"),
        }
    }
}

/// A continuous-time generator (intensity matrix) estimated from a [`TransitionMatrix`].
///
/// It is not necessarily *valid* (non-negative off-diagonals, rows summing to 0): the matrix
/// logarithm of an empirical matrix usually has small negative off-diagonal entries. Use
/// [`Generator::regularise_irw`] to obtain a valid one.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "GeneratorData"))]
pub struct Generator {
    q: Array2<f64>,
    default_state: usize,
    method: GeneratorMethod,
    regularised: bool,
}

/// The serialised form of a [`Generator`]; deserialisation re-checks shape and finiteness.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct GeneratorData {
    q: Array2<f64>,
    default_state: usize,
    method: GeneratorMethod,
    regularised: bool,
}

#[cfg(feature = "serde")]
impl TryFrom<GeneratorData> for Generator {
    type Error = RiskError;
    fn try_from(d: GeneratorData) -> Result<Self, RiskError> {
        let mut g = Generator::from_matrix(&d.q, d.default_state, d.method)?;
        g.regularised = d.regularised;
        Ok(g)
    }
}

impl Generator {
    /// Wraps a generator computed elsewhere (e.g. to regularise it), with the default state's
    /// index. Only shape and finiteness are checked: a generator need not be valid.
    ///
    /// # Errors
    ///
    /// [`RiskError::NotSquare`], [`RiskError::NonFinite`] (flattened row-major index) or
    /// [`RiskError::StateOutOfRange`].
    pub fn from_matrix(
        q: &ArrayRef2<f64>,
        default_state: usize,
        method: GeneratorMethod,
    ) -> Result<Generator, RiskError> {
        let (rows, cols) = q.dim();
        if rows != cols || rows < 2 {
            return Err(RiskError::NotSquare { what: "generator (at least 2 x 2)", rows, cols });
        }
        if default_state >= rows {
            return Err(RiskError::StateOutOfRange { index: default_state, len: rows });
        }
        if let Some((index, &value)) = q.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(RiskError::NonFinite { what: "generator", index, value });
        }
        Ok(Generator { q: q.to_owned(), default_state, method, regularised: false })
    }

    /// The generator matrix.
    #[must_use]
    pub fn matrix(&self) -> Array2<f64> {
        self.q.clone()
    }

    /// How the generator was found.
    #[must_use]
    pub fn method(&self) -> GeneratorMethod {
        self.method
    }

    /// Whether [`Self::regularise_irw`] produced it.
    #[must_use]
    pub fn is_regularised(&self) -> bool {
        self.regularised
    }

    /// Off-diagonal entries below zero, as `(from, to, value)`.
    #[must_use]
    pub fn negative_off_diagonals(&self) -> Vec<(usize, usize, f64)> {
        self.q
            .indexed_iter()
            .filter(|&((i, j), &v)| i != j && v < 0.0)
            .map(|((i, j), &v)| (i, j, v))
            .collect()
    }

    /// Whether every off-diagonal entry is ≥ 0 and every row sums to 0 within `tolerance`.
    #[must_use]
    pub fn is_valid(&self, tolerance: f64) -> bool {
        self.negative_off_diagonals().is_empty()
            && self.q.rows().into_iter().all(|r| r.sum().abs() <= tolerance)
    }

    /// Israel–Rosenthal–Wei (2001) regularisation: negative off-diagonal entries are set to 0 and
    /// each diagonal entry is reset so that its row sums to 0.
    ///
    /// # Formula
    ///
    /// ```text
    /// q̃_ij = max(q_ij, 0) for i ≠ j,   q̃_ii = −Σ_{j≠i} q̃_ij
    /// ```
    #[must_use]
    pub fn regularise_irw(&self) -> Generator {
        let n = self.q.nrows();
        let mut r = self.q.clone();
        for i in 0..n {
            let mut off = 0.0;
            for j in 0..n {
                if i != j {
                    if r[[i, j]] < 0.0 {
                        r[[i, j]] = 0.0;
                    }
                    off += r[[i, j]];
                }
            }
            r[[i, i]] = -off;
        }
        Generator {
            q: r,
            default_state: self.default_state,
            method: self.method,
            regularised: true,
        }
    }

    /// The transition matrix over a horizon of `t` periods, `exp(t·Q)` (t may be fractional).
    ///
    /// Only a valid generator is guaranteed to give a stochastic matrix for every t.
    ///
    /// # Errors
    ///
    /// [`RiskError::InvalidParameter`] when `t` is negative, NaN or infinite.
    pub fn transition_matrix(&self, t: f64) -> Result<Array2<f64>, RiskError> {
        if !t.is_finite() || t < 0.0 {
            return Err(RiskError::InvalidParameter {
                name: "horizon",
                value: t.to_string(),
                reason: "must be finite and non-negative",
            });
        }
        let q = to_nalgebra(&self.q) * t;
        Ok(to_ndarray(&q.exp()))
    }

    /// Default probabilities of every state over a horizon of `t` periods: the default column of
    /// [`Self::transition_matrix`].
    ///
    /// # Errors
    ///
    /// As [`Self::transition_matrix`].
    pub fn default_probabilities(&self, t: f64) -> Result<Array1<f64>, RiskError> {
        Ok(self.transition_matrix(t)?.column(self.default_state).to_owned())
    }
}

/// The longest horizon, in periods, of [`TransitionMatrix::cumulative_pd`] (a guard against
/// allocating an absurd term structure from a mistyped horizon).
pub const MAX_HORIZON: u32 = 10_000;

fn check_horizon(years: u32) -> Result<(), RiskError> {
    if years > MAX_HORIZON {
        return Err(RiskError::InvalidParameter {
            name: "years",
            value: years.to_string(),
            reason: "must be at most 10000 periods",
        });
    }
    Ok(())
}

fn to_nalgebra(a: &Array2<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

fn to_ndarray(a: &DMatrix<f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.nrows(), a.ncols()), |(i, j)| a[(i, j)])
}

fn mat_power(a: &DMatrix<f64>, mut n: u32) -> DMatrix<f64> {
    let mut result: Option<DMatrix<f64>> = None;
    let mut z: Option<DMatrix<f64>> = None;
    while n > 0 {
        let zz = match z {
            None => a.clone(),
            Some(ref prev) => prev * prev,
        };
        if n & 1 == 1 {
            result = Some(match result {
                None => zz.clone(),
                Some(r) => r * &zz,
            });
        }
        z = Some(zz);
        n >>= 1;
    }
    result.unwrap_or_else(|| DMatrix::identity(a.nrows(), a.ncols()))
}

fn norm1(a: &DMatrix<f64>) -> f64 {
    a.column_iter().map(|c| c.iter().map(|v| v.abs()).sum::<f64>()).fold(0.0, f64::max)
}

/// Principal square root by the product form of the Denman–Beavers iteration.
fn sqrtm(a: &DMatrix<f64>) -> Result<DMatrix<f64>, RiskError> {
    let n = a.nrows();
    let id = DMatrix::<f64>::identity(n, n);
    let mut m = a.clone();
    let mut y = a.clone();
    let mut converged_steps = 0;
    for _ in 0..100 {
        let minv = m.clone().try_inverse().ok_or_else(|| {
            RiskError::NoGenerator("the matrix is singular (no logarithm)".into())
        })?;
        y = &y * (&id + &minv) * 0.5;
        m = (&id + (&m + &minv) * 0.5) * 0.5;
        if !y.iter().all(|v| v.is_finite()) {
            break;
        }
        if norm1(&(&m - &id)) <= 1e-14 {
            // One more step after reaching round-off level polishes the last bits.
            converged_steps += 1;
            if converged_steps == 2 {
                return Ok(y);
            }
        }
    }
    Err(RiskError::NoGenerator(
        "no real principal square root (an eigenvalue on the closed negative real axis?)".into(),
    ))
}

/// Gauss–Legendre nodes and weights on [0, 1] (finkit-numerics).
fn gauss_legendre_01(m: usize) -> Vec<(f64, f64)> {
    let (x, w) = finkit_numerics::quadrature::gauss_legendre_on(m, 0.0, 1.0);
    x.into_iter().zip(w).collect()
}

fn logm(a: &DMatrix<f64>) -> Result<DMatrix<f64>, RiskError> {
    let n = a.nrows();
    let id = DMatrix::<f64>::identity(n, n);
    let mut x = a.clone();
    let mut s = 0;
    while norm1(&(&x - &id)) > 0.25 {
        if s >= 60 {
            return Err(RiskError::NoGenerator(
                "repeated square roots did not approach the identity".into(),
            ));
        }
        x = sqrtm(&x)?;
        s += 1;
    }
    let e = &x - &id;
    let mut l = DMatrix::<f64>::zeros(n, n);
    for (t, w) in gauss_legendre_01(8) {
        let lhs = &id + &e * t;
        let sol = lhs.lu().solve(&e).ok_or_else(|| {
            RiskError::NoGenerator("singular system in the Padé approximant".into())
        })?;
        l += sol * w;
    }
    Ok(l * f64::powi(2.0, s))
}

fn log_series(p: &DMatrix<f64>, terms: u32) -> DMatrix<f64> {
    let n = p.nrows();
    let a = p - DMatrix::<f64>::identity(n, n);
    let mut s = DMatrix::<f64>::zeros(n, n);
    let mut ak = DMatrix::<f64>::identity(n, n);
    for k in 1..=terms {
        ak = &ak * &a;
        let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
        s += &ak * (sign / f64::from(k));
    }
    s
}

fn jlt(p: &DMatrix<f64>) -> Result<DMatrix<f64>, RiskError> {
    let n = p.nrows();
    let mut q = DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        let pii = p[(i, i)];
        if pii >= 1.0 {
            continue;
        }
        if pii <= 0.0 {
            return Err(RiskError::NoGenerator(format!(
                "the JLT approximation needs a positive diagonal; entry ({i}, {i}) is {pii}"
            )));
        }
        let lam = pii.ln();
        q[(i, i)] = lam;
        for j in 0..n {
            if j != i {
                q[(i, j)] = p[(i, j)] * lam / (pii - 1.0);
            }
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_method_spellings_round_trip() {
        for m in
            [GeneratorMethod::Logm, GeneratorMethod::Jlt, GeneratorMethod::LogSeries { terms: 7 }]
        {
            assert_eq!(m.to_string().parse::<GeneratorMethod>().unwrap(), m);
        }
        for bad in ["Logm", "log-series:", "log-series:-1", "log-series:0", ""] {
            assert!(bad.parse::<GeneratorMethod>().is_err(), "{bad}");
        }
    }
    use ndarray::array;

    fn small() -> TransitionMatrix {
        let p = array![[0.90, 0.08, 0.02], [0.10, 0.80, 0.10], [0.0, 0.0, 1.0]];
        TransitionMatrix::new(&p, &TransitionOptions::default()).unwrap()
    }

    #[test]
    fn power_matches_repeated_product() {
        let tm = small();
        let p = tm.matrix();
        let p3 = p.dot(&p).dot(&p);
        let got = tm.power(3);
        for (a, b) in got.iter().zip(p3.iter()) {
            assert!((a - b).abs() < 1e-15);
        }
        assert_eq!(tm.power(0), Array2::<f64>::eye(3));
    }

    #[test]
    fn cumulative_pd_equals_power_column() {
        let tm = small();
        let cum = tm.cumulative_pd(1, 6).unwrap();
        for t in 1..=6u32 {
            assert!((cum[t as usize - 1] - tm.power(t)[[1, 2]]).abs() < 1e-15);
        }
        assert_eq!(tm.cumulative_pd(2, 2).unwrap(), array![1.0, 1.0]);
        assert!(matches!(
            tm.cumulative_pd(3, 2),
            Err(RiskError::StateOutOfRange { index: 3, len: 3 })
        ));
        assert!(matches!(tm.cumulative_pd(0, u32::MAX), Err(RiskError::InvalidParameter { .. })));
        assert!(tm.cumulative_pds(MAX_HORIZON + 1).is_err());
    }

    #[test]
    fn logm_roundtrip_and_gauss_legendre() {
        let w: f64 = gauss_legendre_01(8).iter().map(|(_, w)| w).sum();
        assert!((w - 1.0).abs() < 1e-15);
        let tm = small();
        let g = tm.generator(GeneratorMethod::Logm).unwrap();
        let back = g.transition_matrix(1.0).unwrap();
        for (a, b) in back.iter().zip(tm.matrix().iter()) {
            assert!((a - b).abs() < 1e-13);
        }
        let series = tm.generator(GeneratorMethod::LogSeries { terms: 400 }).unwrap();
        for (a, b) in g.matrix().iter().zip(series.matrix().iter()) {
            assert!((a - b).abs() < 1e-13);
        }
    }

    #[test]
    fn irw_gives_valid_generator() {
        let q = Generator {
            q: array![[-0.1, 0.12, -0.02], [0.05, -0.1, 0.05], [0.0, 0.0, 0.0]],
            default_state: 2,
            method: GeneratorMethod::Logm,
            regularised: false,
        };
        assert_eq!(q.negative_off_diagonals(), vec![(0, 2, -0.02)]);
        let r = q.regularise_irw();
        assert!(r.is_valid(1e-15));
        assert_eq!(r.matrix()[[0, 0]], -0.12);
    }

    #[test]
    fn rejects_bad_input() {
        let opts = TransitionOptions::default();
        assert!(matches!(
            TransitionMatrix::new(&array![[0.5, 0.4], [0.0, 1.0]], &opts),
            Err(RiskError::NotStochastic { row: 0, .. })
        ));
        assert!(matches!(
            TransitionMatrix::new(&array![[0.5, 0.5], [0.1, 0.9]], &opts),
            Err(RiskError::NotAbsorbing { state: 1, to: 0, .. })
        ));
        assert!(matches!(
            TransitionMatrix::new(&array![[f64::NAN, 0.5], [0.0, 1.0]], &opts),
            Err(RiskError::InvalidMatrixEntry { row: 0, col: 0, .. })
        ));
        assert!(matches!(
            TransitionMatrix::new(&array![[1.2, -0.2], [0.0, 1.0]], &opts),
            Err(RiskError::InvalidMatrixEntry { row: 0, col: 0, .. })
        ));
        assert!(matches!(
            TransitionMatrix::new(&array![[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], &opts),
            Err(RiskError::NotSquare { rows: 2, cols: 3, .. })
        ));
        let fixed = TransitionMatrix::new(
            &array![[0.5, 0.4999], [0.0, 1.0]],
            &TransitionOptions::fix_rowsums(1e-3),
        )
        .unwrap();
        assert_eq!(fixed.matrix()[[0, 0]], 0.5 + (1.0 - (0.5 + 0.4999)));
        assert!(
            TransitionMatrix::new(
                &array![[0.5, 0.4999], [0.0, 1.0]],
                &opts.with_tolerance(f64::NAN)
            )
            .is_err()
        );
        let g = small().generator(GeneratorMethod::Jlt).unwrap();
        assert!(matches!(
            g.transition_matrix(-1.0),
            Err(RiskError::InvalidParameter { name: "horizon", .. })
        ));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_roundtrip_revalidates() {
        let tm = small();
        let text = serde_json::to_string(&tm).unwrap();
        let back: TransitionMatrix = serde_json::from_str(&text).unwrap();
        assert_eq!(back, tm);
        let tampered = text.replace("0.9,", "0.7,");
        assert_ne!(tampered, text);
        let err = serde_json::from_str::<TransitionMatrix>(&tampered).unwrap_err();
        assert!(err.to_string().contains("sums to"), "{err}");
    }

    #[test]
    fn singular_matrix_has_no_logm() {
        let p = array![[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let tm = TransitionMatrix::new(
            &p,
            &TransitionOptions::default().with_default_state(DefaultState::Index(2)),
        )
        .unwrap();
        assert!(matches!(tm.generator(GeneratorMethod::Logm), Err(RiskError::NoGenerator(_))));
        assert!(matches!(tm.generator(GeneratorMethod::Jlt), Err(RiskError::NoGenerator(_))));
    }
}
