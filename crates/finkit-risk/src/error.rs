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
    /// A price (or other strictly positive series value) was zero or negative.
    #[error("{what} must be positive, got {value} at index {index}")]
    NonPositive {
        /// Which input held the value.
        what: &'static str,
        /// The 0-based index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A matrix that must be square was not.
    #[error("{what} must be square, got {rows} rows and {cols} columns")]
    NotSquare {
        /// Which matrix.
        what: &'static str,
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
    },
    /// A transition-matrix entry was NaN, infinite or outside [0, 1].
    #[error("transition matrix entry ({row}, {col}) {reason}, got {value}")]
    InvalidMatrixEntry {
        /// 0-based row.
        row: usize,
        /// 0-based column.
        col: usize,
        /// The value.
        value: f64,
        /// The rule it broke.
        reason: &'static str,
    },
    /// A row of a transition matrix does not sum to 1 within the tolerance.
    #[error("row {row} of the transition matrix sums to {sum}, not 1 (tolerance {tolerance:e})")]
    NotStochastic {
        /// 0-based row.
        row: usize,
        /// The row sum.
        sum: f64,
        /// The tolerance that was applied.
        tolerance: f64,
    },
    /// The default state of a transition matrix can be left.
    #[error(
        "default state {state} is not absorbing: it moves to state {to} with probability {probability}"
    )]
    NotAbsorbing {
        /// The default state.
        state: usize,
        /// A state it moves to.
        to: usize,
        /// The probability of that move.
        probability: f64,
    },
    /// A state or rating index outside the matrix.
    #[error("state index {index} is out of range for {len} states")]
    StateOutOfRange {
        /// The rejected index.
        index: usize,
        /// Number of states.
        len: usize,
    },
    /// A matrix has no (real, principal) generator by the requested method.
    #[error("no generator: {0}")]
    NoGenerator(String),
    /// No exact loss lattice holds every LGD·EAD (credit portfolio models).
    #[error(
        "no exact loss lattice: lgd*ead of obligor {index} is {value}, not a decimal with at most 12 places; give a lattice unit"
    )]
    NoExactLattice {
        /// The 0-based obligor index.
        index: usize,
        /// Its LGD·EAD.
        value: f64,
    },
    /// A loss lattice would need more points than allowed (credit portfolio models).
    #[error("loss lattice needs {points} points, more than the limit {limit}; give a coarser unit")]
    LatticeTooLarge {
        /// Points needed.
        points: u64,
        /// The limit.
        limit: u64,
    },
    /// A sector of the portfolio is missing from a sector-indexed parameter.
    #[error("unknown sector {0:?}: not among the model's sectors")]
    UnknownSector(String),
    /// A stress shock pushed a PD or LGD outside [0, 1] under the error rule.
    #[error("stress pushes {what} of obligor {id:?} to {value}, outside [0, 1]")]
    StressOutOfRange {
        /// "pd" or "lgd".
        what: &'static str,
        /// The obligor id.
        id: String,
        /// The shocked value.
        value: f64,
    },
    /// Work whose size the caller controls would need more memory or time than allowed;
    /// refused before anything is allocated.
    #[error("{what} needs about {needed} {unit}, more than the limit of {limit}; {hint}")]
    ResourceLimit {
        /// The computation and its size, e.g. "monte carlo run with 10000000000 scenarios".
        what: String,
        /// The estimate.
        needed: u64,
        /// The limit.
        limit: u64,
        /// Unit of `needed` and `limit`: "bytes of memory" or "operations".
        unit: &'static str,
        /// What the caller can do about it.
        hint: &'static str,
    },
}
