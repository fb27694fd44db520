//! One spelling table per option enum: the text each variant has in files, flags and reports.
//!
//! The libraries' option enums (a binning method, a monotonic trend, an innovation
//! distribution, …) implement [`Spelled`] through [`spelled_enum!`](crate::spelled_enum), which
//! also gives them `FromStr` and `Display` from the same table, so the command line parses its
//! flags through the library type instead of declaring a mirror enum of its own.

use crate::SchemaError;

/// An option enum whose variants each have exactly one spelling.
///
/// Implement it with [`spelled_enum!`](crate::spelled_enum); `FromStr` and `Display` then agree
/// with [`Spelled::SPELLINGS`] by construction, and `Display` matches every variant exhaustively,
/// so a variant without a spelling does not compile.
///
/// ```
/// use finkit_schema::{Spelled, spelled_enum};
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// enum Side { Buy, Sell }
/// spelled_enum!(Side, "side", [Side::Buy => "buy", Side::Sell => "sell"]);
///
/// assert_eq!("sell".parse::<Side>()?, Side::Sell);
/// assert_eq!(Side::Buy.to_string(), "buy");
/// assert_eq!(Side::spellings().collect::<Vec<_>>(), ["buy", "sell"]);
/// assert!("hold".parse::<Side>().is_err());
/// # Ok::<(), finkit_schema::SchemaError>(())
/// ```
pub trait Spelled: Copy + PartialEq + Sized + 'static {
    /// What the option is called in messages (`"monotonic trend"`).
    const WHAT: &'static str;
    /// Every variant with its spelling, in documentation order.
    const SPELLINGS: &'static [(Self, &'static str)];

    /// The variant's spelling.
    fn spelling(self) -> &'static str;

    /// Every spelling, in table order (for help texts and shell completion).
    fn spellings() -> impl Iterator<Item = &'static str> {
        Self::SPELLINGS.iter().map(|(_, s)| *s)
    }

    /// The variant spelled `text` (exact, case-sensitive: the spelling is a contract).
    ///
    /// # Errors
    ///
    /// [`SchemaError::UnknownOption`] naming every accepted spelling.
    fn from_spelling(text: &str) -> Result<Self, SchemaError> {
        Self::SPELLINGS.iter().find(|(_, s)| *s == text).map(|(v, _)| *v).ok_or_else(|| {
            SchemaError::UnknownOption {
                what: Self::WHAT,
                value: text.to_owned(),
                expected: Self::spellings().collect::<Vec<_>>().join(", "),
            }
        })
    }
}

/// Implements [`Spelled`], `FromStr` (error [`SchemaError`]) and `Display` for a field-less
/// enum from one table: `spelled_enum!(Type, "what", [Type::A => "a", Type::B => "b"])`.
#[macro_export]
macro_rules! spelled_enum {
    ($ty:ty, $what:literal, [$($variant:path => $text:literal),+ $(,)?]) => {
        impl $crate::Spelled for $ty {
            const WHAT: &'static str = $what;
            const SPELLINGS: &'static [(Self, &'static str)] = &[$(($variant, $text)),+];
            fn spelling(self) -> &'static str {
                match self {
                    $($variant => $text),+
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::SchemaError;
            fn from_str(text: &str) -> ::std::result::Result<Self, $crate::SchemaError> {
                <$ty as $crate::Spelled>::from_spelling(text)
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(<$ty as $crate::Spelled>::spelling(*self))
            }
        }
    };
}

/// Checks that every variant of `T` round-trips through its spelling and that the spellings
/// are unique; for each option enum's unit test.
///
/// # Errors
///
/// A description of the first variant that does not round-trip, or the first duplicate.
pub fn check_spellings<T: Spelled + std::fmt::Debug>() -> Result<(), String> {
    for (i, (v, s)) in T::SPELLINGS.iter().enumerate() {
        if v.spelling() != *s {
            return Err(format!(
                "{v:?} spells {:?} in the table but {:?} by match",
                s,
                v.spelling()
            ));
        }
        match T::from_spelling(s) {
            Ok(back) if back == *v => {}
            other => return Err(format!("{s:?} parses to {other:?}, not {v:?}")),
        }
        if T::SPELLINGS[..i].iter().any(|(w, t)| t == s || w == v) {
            return Err(format!("{v:?} / {s:?} appears twice"));
        }
    }
    Ok(())
}
