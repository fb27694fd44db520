//! Validated numeric newtypes: a value of one of these types is always in its range.
//!
//! Each constructor returns `Result`, and serde deserialisation goes through the same
//! constructor (`#[serde(try_from = "f64")]`), so an out-of-range number in a JSON or CSV file is
//! rejected exactly as it would be in code.

use crate::SchemaError;

/// Declares an `f64` newtype with a range check shared by `new`, `TryFrom<f64>` and serde.
macro_rules! bounded_f64 {
    (
        $(#[$meta:meta])*
        $name:ident, what = $what:literal, range = $range:literal, check = |$v:ident| $check:expr
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(try_from = "f64", into = "f64"))]
        pub struct $name(f64);

        impl $name {
            /// Builds the value, rejecting NaN, infinities and values outside the range.
            ///
            /// # Errors
            ///
            /// [`SchemaError::NonFinite`] or [`SchemaError::OutOfRange`].
            pub fn new(value: f64) -> Result<Self, SchemaError> {
                if !value.is_finite() {
                    return Err(SchemaError::non_finite($what, value));
                }
                let $v = value;
                if $check {
                    Ok($name(value))
                } else {
                    Err(SchemaError::out_of_range($what, $range, value))
                }
            }

            /// The plain number.
            #[must_use]
            pub fn get(self) -> f64 {
                self.0
            }
        }

        impl TryFrom<f64> for $name {
            type Error = SchemaError;
            fn try_from(value: f64) -> Result<Self, SchemaError> {
                $name::new(value)
            }
        }

        impl From<$name> for f64 {
            fn from(value: $name) -> f64 {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

bounded_f64!(
    /// A probability in `[0, 1]`, such as a probability of default.
    ///
    /// ```
    /// use finkit_schema::Probability;
    /// let pd = Probability::new(0.02)?;
    /// assert_eq!(pd.get(), 0.02);
    /// assert!(Probability::new(1.7).is_err());
    /// assert!(Probability::new(f64::NAN).is_err());
    /// # Ok::<(), finkit_schema::SchemaError>(())
    /// ```
    Probability, what = "probability", range = "[0, 1]", check = |v| (0.0..=1.0).contains(&v)
);

bounded_f64!(
    /// A loss given default, the share of the exposure lost on default, in `[0, 1]`.
    Lgd, what = "loss given default", range = "[0, 1]", check = |v| (0.0..=1.0).contains(&v)
);

bounded_f64!(
    /// A non-negative, finite amount of money (an exposure, a loan amount, a collateral value).
    ///
    /// The currency and unit travel beside the amount (see [`crate::Currency`], [`crate::Unit`]).
    Amount, what = "amount", range = "[0, inf)", check = |v| v >= 0.0
);

bounded_f64!(
    /// An annual interest or discount rate as a decimal (0.05 is 5 %).
    ///
    /// Negative rates are allowed (they have occurred), but a rate must be above −100 %.
    Rate, what = "rate", range = "(-1, inf)", check = |v| v > -1.0
);

bounded_f64!(
    /// A maturity or tenor in years, strictly positive and at most 100 years.
    Maturity, what = "maturity in years", range = "(0, 100]", check = |v| v > 0.0 && v <= 100.0
);

impl Probability {
    /// Probability zero.
    pub const ZERO: Probability = Probability(0.0);
    /// Probability one.
    pub const ONE: Probability = Probability(1.0);
}

impl Amount {
    /// The amount zero.
    pub const ZERO: Amount = Amount(0.0);
}

/// Zero, the natural "none yet" for a probability, an LGD or an amount.
macro_rules! zero_default {
    ($($name:ident),*) => {$(
        impl Default for $name {
            fn default() -> Self {
                $name(0.0)
            }
        }
    )*};
}
zero_default!(Probability, Lgd, Amount);

/// The unit in which the amounts of a financial statement are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Unit {
    /// Amounts in single currency units.
    #[default]
    One,
    /// Amounts in thousands.
    Thousand,
    /// Amounts in millions.
    Million,
}

impl Unit {
    /// How many single currency units one reported unit stands for.
    #[must_use]
    pub fn factor(self) -> f64 {
        match self {
            Unit::One => 1.0,
            Unit::Thousand => 1e3,
            Unit::Million => 1e6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_where_documented() {
        assert!(Probability::new(0.0).is_ok());
        assert!(Probability::new(1.0).is_ok());
        assert!(Probability::new(-0.0).is_ok());
        assert!(Probability::new(1.0 + f64::EPSILON).is_err());
        assert!(Amount::new(0.0).is_ok());
        assert!(Amount::new(-1e-300).is_err());
        assert!(Maturity::new(0.0).is_err());
        assert!(Maturity::new(100.0).is_ok());
        assert!(Rate::new(-1.0).is_err());
        assert!(Rate::new(-0.005).is_ok());
        assert!(Lgd::new(f64::INFINITY).is_err());
    }

    #[test]
    fn error_message_names_the_value() {
        let err = Probability::new(1.7).unwrap_err();
        assert_eq!(err.to_string(), "probability must be in [0, 1], got 1.7");
    }
}
