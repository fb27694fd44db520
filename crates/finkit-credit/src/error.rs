//! The one error type of finkit-credit.

use finkit_schema::SchemaError;

/// Everything that can go wrong when fitting or applying a credit model.
///
/// Messages are lowercase and include the offending value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreditError {
    /// A lower-level schema error (bad value, unknown column, bad CSV row).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A parameter was outside its allowed range when the parameters were built.
    #[error("invalid parameter {name}: {reason} (got {value})")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// The rule it broke.
        reason: &'static str,
    },
    /// Input data were empty.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// Arrays that must have one entry per row had different lengths.
    #[error("length mismatch: {what} has {found} entries, expected {expected}")]
    LengthMismatch {
        /// Which input had the wrong length.
        what: &'static str,
        /// The expected length.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A NaN or infinite value where a finite number is required.
    #[error("{what} must be finite, got {value} at row {row}")]
    NonFinite {
        /// Which input held the value.
        what: &'static str,
        /// The 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// The target is not binary 0/1, or has only one class.
    #[error("invalid target: {0}")]
    InvalidTarget(String),
    /// A column cannot be used (constant, all missing, wrong kind).
    #[error("column {name:?} cannot be used: {reason}")]
    UnusableColumn {
        /// The column.
        name: String,
        /// Why.
        reason: String,
    },
    /// A record lacks a variable the model needs.
    #[error("record has no value for variable {0:?}")]
    MissingVariable(String),
    /// A value at scoring time has no bin under the configured policy (unseen category, missing).
    #[error("variable {variable:?}: value {value:?} has no bin ({policy} policy)")]
    Unbinnable {
        /// The variable.
        variable: String,
        /// The value, as text.
        value: String,
        /// The policy in force.
        policy: &'static str,
    },
    /// The data are (quasi-)completely separated: the maximum-likelihood estimate does not exist.
    #[error(
        "{0}; the maximum-likelihood estimate does not exist — add an L2 penalty (e.g. l2 = 1.0)"
    )]
    Separation(String),
    /// The Hessian (information matrix) is singular or not positive definite.
    #[error(
        "singular information matrix ({0}); drop collinear or constant features or add an L2 penalty"
    )]
    SingularHessian(String),
    /// An iterative solver did not converge within its iteration limit.
    #[error("{solver} did not converge in {iterations} iterations (last change {last_change:e})")]
    NotConverged {
        /// Which solver.
        solver: &'static str,
        /// Iterations run.
        iterations: usize,
        /// The size of the last step.
        last_change: f64,
    },
    /// Variable selection left nothing to fit (the reasons summarised).
    #[error("{0}")]
    Selection(String),
    /// A saved model failed its integrity or consistency checks.
    #[error("invalid saved model: {0}")]
    InvalidModel(String),
    /// JSON (de)serialisation failed.
    #[cfg(feature = "serde")]
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A failure inside a model implemented outside this crate.
    #[error("external model error: {0}")]
    External(Box<dyn std::error::Error + Send + Sync>),
}
