//! The one error type of finkit-lending.

use finkit_credit::CreditError;
use finkit_risk::RiskError;
use finkit_schema::SchemaError;

/// Everything that can go wrong when loading a policy or deciding, pricing, sizing or planning a
/// loan.
///
/// Messages are lowercase and include the offending value; policy-file errors name the file and
/// the 1-based line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LendingError {
    /// A lower-level schema error (a bad amount, tenor, probability or identifier).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A failure inside a PD model.
    #[error(transparent)]
    Credit(#[from] CreditError),
    /// A failure inside a risk computation (IRB capital, RAROC).
    #[error(transparent)]
    Risk(#[from] RiskError),
    /// A failure of the data pool the inputs were read from.
    #[error("data pool: {0}")]
    Pool(Box<dyn std::error::Error + Send + Sync>),
    /// The policy file could not be read.
    #[error("{file}: {source}")]
    PolicyIo {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The policy file is not valid TOML, or a value has the wrong type.
    #[error("{file}: line {line}: {message}")]
    PolicySyntax {
        /// The file (or `<string>`).
        file: String,
        /// The 1-based line.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// The policy file holds a field the policy format does not know.
    #[error("{file}: line {line}: unknown field {field:?}")]
    PolicyUnknownField {
        /// The file (or `<string>`).
        file: String,
        /// The 1-based line.
        line: usize,
        /// The unknown field.
        field: String,
    },
    /// A rule's threshold is missing, of the wrong kind, or outside its allowed range.
    #[error("{file}: line {line}: rule {rule:?}: bad threshold {value}: {reason}")]
    PolicyBadThreshold {
        /// The file (or `<string>`).
        file: String,
        /// The 1-based line of the threshold (or of the rule id when it is missing).
        line: usize,
        /// The rule's id.
        rule: String,
        /// The rejected value, as text.
        value: String,
        /// The rule it broke.
        reason: String,
    },
    /// Two rules share an id.
    #[error("{file}: line {line}: duplicate rule id {id:?} (first defined on line {first_line})")]
    PolicyDuplicateRule {
        /// The file (or `<string>`).
        file: String,
        /// The 1-based line of the second definition.
        line: usize,
        /// The repeated id.
        id: String,
        /// The 1-based line of the first definition.
        first_line: usize,
    },
    /// Any other invalid policy entry (empty id or message, unknown placeholder in a message).
    #[error("{file}: line {line}: {message}")]
    PolicyInvalid {
        /// The file (or `<string>`).
        file: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong, with the value.
        message: String,
    },
    /// The loan book could not be read whole (a corrupt exposure, totals that are not finite),
    /// so limits that depend on it (sector concentration) cannot be checked.
    #[error("loan book: {0} (the sector concentration limit cannot be checked)")]
    LoanBook(String),
    /// No application with this id.
    #[error("unknown application {0:?}")]
    UnknownApplication(String),
    /// The application names a firm the pool (or the caller) does not know.
    #[error("unknown firm {0:?}")]
    UnknownFirm(String),
    /// The firm passed in does not match the application's firm id.
    #[error("application is for firm {application:?} but firm {firm:?} was given")]
    FirmMismatch {
        /// The application's firm id.
        application: String,
        /// The id of the firm passed in.
        firm: String,
    },
    /// Amounts in two currencies met where one currency is required.
    #[error("currency mismatch: {what} is in {found}, the application is in {expected}")]
    CurrencyMismatch {
        /// What was in the wrong currency.
        what: &'static str,
        /// The application's currency.
        expected: String,
        /// The currency found.
        found: String,
    },
    /// A loan amount that is negative, zero, NaN or infinite.
    #[error("invalid amount {value}: {reason}")]
    InvalidAmount {
        /// The amount.
        value: f64,
        /// The rule it broke.
        reason: &'static str,
    },
    /// A tenor that is not in (0, 100] years.
    #[error("invalid tenor {value} years: must be in (0, 100]")]
    InvalidTenor {
        /// The tenor in years.
        value: f64,
    },
    /// A parameter was outside its allowed range when a parameter struct was built.
    #[error("invalid parameter {name}: {reason} (got {value})")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// The rule it broke.
        reason: &'static str,
    },
    /// The application failed the schema's cross-field rules.
    #[error("invalid application {id}: {reason}")]
    InvalidApplication {
        /// The application id.
        id: String,
        /// The violations, described.
        reason: String,
    },
}

impl LendingError {
    /// Wraps a data-pool error.
    pub fn pool(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        LendingError::Pool(Box::new(err))
    }

    pub(crate) fn param(name: &'static str, value: impl ToString, reason: &'static str) -> Self {
        LendingError::InvalidParameter { name, value: value.to_string(), reason }
    }
}

/// Checks a loan amount: finite and strictly positive.
pub(crate) fn check_amount(value: f64) -> Result<f64, LendingError> {
    if !value.is_finite() {
        return Err(LendingError::InvalidAmount { value, reason: "must be finite" });
    }
    if value <= 0.0 {
        return Err(LendingError::InvalidAmount { value, reason: "must be positive" });
    }
    Ok(value)
}

/// Checks a tenor in years: in (0, 100].
pub(crate) fn check_tenor(value: f64) -> Result<f64, LendingError> {
    if value.is_finite() && value > 0.0 && value <= 100.0 {
        Ok(value)
    } else {
        Err(LendingError::InvalidTenor { value })
    }
}

/// Checks a parameter is finite and within `[lo, hi]`.
pub(crate) fn check_range(
    name: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    reason: &'static str,
) -> Result<f64, LendingError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(LendingError::param(name, value, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_and_tenor_checks_name_the_value() {
        assert!(check_amount(-5.0).unwrap_err().to_string().contains("-5"));
        assert!(check_amount(f64::NAN).is_err());
        assert!(check_amount(0.0).is_err());
        assert_eq!(check_amount(1.0).ok(), Some(1.0));
        assert!(check_tenor(0.0).unwrap_err().to_string().contains("invalid tenor 0"));
        assert!(check_tenor(101.0).is_err());
        assert_eq!(check_tenor(5.0).ok(), Some(5.0));
    }
}
