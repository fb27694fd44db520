//! ISO 4217 currency codes.

use crate::SchemaError;

/// Active ISO 4217 alphabetic codes (list of 2024), sorted for binary search.
///
/// Only codes on this list are accepted, so a typo such as `EUE` is caught on the way in.
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// An ISO 4217 currency code such as `EUR` or `CNY`.
///
/// ```
/// use finkit_schema::Currency;
/// let eur = Currency::new("EUR")?;
/// assert_eq!(eur.as_str(), "EUR");
/// assert!(Currency::new("eur").is_err(), "codes are upper case");
/// assert!(Currency::new("EUE").is_err(), "unknown code");
/// # Ok::<(), finkit_schema::SchemaError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Currency([u8; 3]);

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// The US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// The Chinese yuan renminbi.
    pub const CNY: Currency = Currency(*b"CNY");

    /// Parses an upper-case ISO 4217 code.
    ///
    /// # Errors
    ///
    /// [`SchemaError::InvalidText`] when the text is not an active ISO 4217 code.
    pub fn new(code: &str) -> Result<Currency, SchemaError> {
        let invalid = |reason| SchemaError::InvalidText {
            what: "currency code",
            value: code.to_owned(),
            reason,
        };
        let bytes: [u8; 3] =
            code.as_bytes().try_into().map_err(|_| invalid("must be three letters"))?;
        if ISO_4217.binary_search(&code).is_err() {
            return Err(invalid("not an ISO 4217 code"));
        }
        Ok(Currency(bytes))
    }

    /// The three-letter code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // The bytes came from a validated ASCII code, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl std::fmt::Debug for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Currency {
    type Err = SchemaError;
    fn from_str(s: &str) -> Result<Self, SchemaError> {
        Currency::new(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = SchemaError;
    fn try_from(value: String) -> Result<Self, SchemaError> {
        Currency::new(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> String {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn constants_are_on_the_list() {
        for c in [Currency::EUR, Currency::USD, Currency::CNY] {
            assert_eq!(Currency::new(c.as_str()).ok(), Some(c));
        }
    }
}
