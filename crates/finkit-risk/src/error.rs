//! The one error type of finkit-risk.

use finkit_schema::SchemaError;

/// Everything that can go wrong in a risk computation.
///
/// Messages are lowercase and include the offending value. Add variants as needed; keep them
/// specific (the caller should be able to tell bad input from a numerical failure).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RiskError {
    /// A lower-level schema error (a PD outside [0, 1], a negative EAD, …).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A parameter was outside its allowed range.
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
    /// Inputs that must have the same length did not.
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
    #[error("{what} must be finite, got {value} at index {index}")]
    NonFinite {
        /// Which input held the value.
        what: &'static str,
        /// The 0-based index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Not enough observations for the computation.
    #[error("{what} needs at least {needed} observations, got {got}")]
    TooFewObservations {
        /// The computation.
        what: &'static str,
        /// Observations needed.
        needed: usize,
        /// Observations available.
        got: usize,
    },
    /// An iterative solver failed to converge.
    #[error("{solver} did not converge: {reason}")]
    NotConverged {
        /// Which solver.
        solver: &'static str,
        /// What happened.
        reason: String,
    },
    /// Shards that cannot be merged (different runs, overlapping or missing ranges).
    #[error("cannot merge shards: {0}")]
    ShardMismatch(String),
}
