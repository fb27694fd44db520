//! Flag values parsed through the libraries' option enums: the spellings live once, in each
//! enum's table ([`Spelled`]), and clap lists them as the flag's possible values.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use finkit::risk::portfolio::PdFloor;
use finkit::schema::Spelled;

/// A value parser for an option enum: the possible values are the enum's spellings, so help,
/// completion and the "invalid value" message list exactly what the library accepts.
pub(crate) fn spelled<T>() -> impl TypedValueParser<Value = T>
where
    T: Spelled + Send + Sync,
{
    PossibleValuesParser::new(T::spellings()).try_map(|text| T::from_spelling(&text))
}

/// A value parser for `--pd-floor`: the named floors of [`PdFloor::NAMED`] (a custom number is
/// a library option only).
pub(crate) fn pd_floor() -> impl TypedValueParser<Value = PdFloor> {
    PossibleValuesParser::new(PdFloor::NAMED.map(|(_, s)| s)).try_map(|text| text.parse())
}
