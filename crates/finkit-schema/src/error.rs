//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong when building or loading a finkit-schema value.
///
/// Messages are lowercase, carry the offending value and, for files, the path, line and column.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A number was NaN or infinite where a finite number is required.
    #[error("{what} must be finite, got {value}")]
    NonFinite {
        /// What the number was meant to be.
        what: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A finite number lay outside its allowed range.
    #[error("{what} must be in {range}, got {value}")]
    OutOfRange {
        /// What the number was meant to be.
        what: &'static str,
        /// The allowed range, written as an interval such as `[0, 1]`.
        range: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A text value broke a rule (an identifier, a currency code, an empty name).
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidText {
        /// What the text was meant to be.
        what: &'static str,
        /// The rejected text.
        value: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// Columns that must have one entry per row had different lengths.
    #[error("length mismatch: {what} has {found} entries, expected {expected}")]
    LengthMismatch {
        /// The column whose length was wrong.
        what: String,
        /// The expected length.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A collection that must not be empty was empty.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// A named column does not exist.
    #[error("unknown column {0:?}")]
    UnknownColumn(String),
    /// A column name appears twice.
    #[error("duplicate column {0:?}")]
    DuplicateColumn(String),
    /// A value of an entity failed validation; every violation is listed.
    #[error("{entity} failed validation: {}", crate::validate::describe(violations))]
    Invalid {
        /// The kind of entity that was checked.
        entity: &'static str,
        /// Every rule that was broken.
        violations: Vec<crate::validate::Violation>,
    },
    /// A file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A text is not one of an option enum's spellings (see [`crate::Spelled`]).
    #[error("unknown {what} {value:?}, expected one of: {expected}")]
    UnknownOption {
        /// What the option is (`"monotonic trend"`).
        what: &'static str,
        /// The rejected text.
        value: String,
        /// Every accepted spelling, comma-separated.
        expected: String,
    },
    /// An Arrow column is missing, has an unsupported type or holds a bad value (feature
    /// `arrow`).
    #[error("arrow column {column:?}: {message}")]
    Arrow {
        /// The column's name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A delimited file had a problem at a known place.
    #[error("{}: line {line}{}: {message}", path.display(), column_part(column))]
    Csv {
        /// The file (`<memory>` for in-memory input).
        path: PathBuf,
        /// The 1-based line number in the file (the header is line 1).
        line: u64,
        /// The column name, or an empty string when the problem is the row itself.
        column: String,
        /// What is wrong.
        message: String,
    },
}

/// `, column "NAME"` for [`SchemaError::Csv`], nothing when the problem is the row itself.
fn column_part(column: &str) -> String {
    if column.is_empty() { String::new() } else { format!(", column {column:?}") }
}

impl SchemaError {
    pub(crate) fn non_finite(what: &'static str, value: f64) -> Self {
        SchemaError::NonFinite { what, value }
    }

    pub(crate) fn out_of_range(what: &'static str, range: &'static str, value: f64) -> Self {
        SchemaError::OutOfRange { what, range, value }
    }
}
