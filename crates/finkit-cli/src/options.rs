//! Flag values parsed through the libraries' option enums: the spellings live once, in each
//! enum's table ([`Spelled`]), and clap lists them as the flag's possible values.

use std::str::FromStr;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use finkit::schema::Spelled;

/// A value parser for an option enum: the possible values are the enum's spellings, so help,
/// completion and the "invalid value" message list exactly what the library accepts.
pub(crate) fn spelled<T>() -> impl TypedValueParser<Value = T>
where
    T: Spelled + Send + Sync,
{
    PossibleValuesParser::new(T::spellings()).try_map(|text| T::from_spelling(&text))
}

/// A value parser for an option with a table of named values besides parameterised ones
/// (`PdFloor::NAMED`, `GeneratorMethod::NAMED`): the flag accepts the named values only, parsed
/// through the library's `FromStr`.
pub(crate) fn named<T>(names: &'static [(T, &'static str)]) -> impl TypedValueParser<Value = T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    PossibleValuesParser::new(names.iter().map(|(_, s)| *s)).try_map(|text| text.parse::<T>())
}
