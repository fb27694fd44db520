//! Identifiers of firms, loans, applications and instruments.

use crate::SchemaError;

/// The longest identifier accepted, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Declares a string identifier validated by [`check_id`].
macro_rules! identifier {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        ///
        /// An identifier is 1 to 64 characters from `A–Z a–z 0–9 . _ : -`; anything else
        /// (spaces, control characters, quotes) is rejected so that ids are safe in file names,
        /// logs and URLs.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an identifier.
            ///
            /// # Errors
            ///
            /// [`SchemaError::InvalidText`] when the text is empty, too long or has a
            /// character outside the allowed set.
            pub fn new(id: impl Into<String>) -> Result<Self, SchemaError> {
                let id = id.into();
                check_id($what, &id)?;
                Ok($name(id))
            }

            /// The identifier as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = SchemaError;
            fn from_str(s: &str) -> Result<Self, SchemaError> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = SchemaError;
            fn try_from(value: String) -> Result<Self, SchemaError> {
                $name::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

identifier!(
    /// Identifies a firm (an obligor).
    FirmId, "firm id"
);
identifier!(
    /// Identifies a loan or facility in the loan book.
    LoanId, "loan id"
);
identifier!(
    /// Identifies a loan application.
    ApplicationId, "application id"
);
identifier!(
    /// Identifies a traded instrument (a ticker or ISIN).
    InstrumentId, "instrument id"
);

fn check_id(what: &'static str, id: &str) -> Result<(), SchemaError> {
    let invalid = |reason| SchemaError::InvalidText { what, value: id.to_owned(), reason };
    if id.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if id.len() > MAX_ID_LEN {
        return Err(invalid("longer than 64 bytes"));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')) {
        return Err(invalid("only letters, digits and . _ : - are allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_unsafe_text() {
        assert!(FirmId::new("F000123").is_ok());
        assert!(FirmId::new("").is_err());
        assert!(FirmId::new("a b").is_err());
        assert!(FirmId::new("x'; DROP TABLE firms;--").is_err());
        assert!(LoanId::new("L".repeat(65)).is_err());
        assert!(LoanId::new("L".repeat(64)).is_ok());
    }
}
