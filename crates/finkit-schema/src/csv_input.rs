//! Line-aware reading of small CSV inputs (a price column, a transition matrix, a portfolio):
//! the one place that joins the csv crate to the shared [`BoundedReader`] and turns its errors
//! into [`SchemaError::Csv`] naming the file and line.
//!
//! Every record is bounded in length (so `/dev/zero` or a file without a newline fails at once,
//! naming the line), a UTF-8 BOM is stripped, `\r\n` reads as `\n`, fields are trimmed, blank
//! lines are skipped, and line numbers are exact also after quoted multi-line cells.
//!
//! ```
//! use finkit_schema::csv_input::{CsvRecords, StringRecord};
//! let text = "\u{feff}a,b\r\n\r\n1, 2\r\n\"x\ny\",3\r\n";
//! let mut rows = CsvRecords::new(text.as_bytes(), "t.csv");
//! let mut record = StringRecord::new();
//! assert_eq!(rows.next_record(&mut record)?, Some(1));
//! assert_eq!(&record[0], "a");
//! assert_eq!(rows.next_record(&mut record)?, Some(3));
//! assert_eq!(&record[1], "2");
//! assert_eq!(rows.next_record(&mut record)?, Some(4));
//! assert_eq!(rows.next_record(&mut record)?, None);
//! let err = rows.error(4, "b", "not a date");
//! assert_eq!(err.to_string(), "t.csv: line 4, column \"b\": not a date");
//! # Ok::<(), finkit_schema::SchemaError>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

pub use csv::StringRecord;

use crate::SchemaError;
use crate::limits::{BoundedReader, LimitExceeded, limit_exceeded};

/// The records of a comma-separated input, each with its 1-based line; see the
/// [module docs](self).
#[derive(Debug)]
pub struct CsvRecords<R> {
    rdr: csv::Reader<BoundedReader<R>>,
    path: PathBuf,
}

impl<R: Read> CsvRecords<R> {
    /// Reads `reader`; `path` names it in errors (`<memory>` or a file path).
    pub fn new(reader: R, path: impl AsRef<Path>) -> Self {
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(BoundedReader::csv(reader, b','));
        CsvRecords { rdr, path: path.as_ref().to_path_buf() }
    }

    /// Reads the next record that is not blank into `record` and returns its line, or `None` at
    /// the end of the input.
    ///
    /// # Errors
    ///
    /// [`SchemaError::Csv`] naming the line: a record over the length limit, invalid UTF-8, or
    /// an i/o error.
    pub fn next_record(&mut self, record: &mut StringRecord) -> Result<Option<u64>, SchemaError> {
        loop {
            match self.rdr.read_record(record) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => return Err(self.read_error(&e)),
            }
            let line = self.rdr.get_mut().line_at(record.position().map_or(0, csv::Position::byte));
            if !(record.len() == 1 && record.get(0).is_some_and(str::is_empty)) {
                return Ok(Some(line));
            }
        }
    }

    /// An error at `line` and `column` (empty when the problem is the row) of this input.
    #[must_use]
    pub fn error(&self, line: u64, column: &str, message: impl Into<String>) -> SchemaError {
        SchemaError::Csv {
            path: self.path.clone(),
            line,
            column: column.to_owned(),
            message: message.into(),
        }
    }

    /// The name of the input, as given.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_error(&mut self, e: &csv::Error) -> SchemaError {
        if let csv::ErrorKind::Io(io) = e.kind()
            && let Some(limit) = limit_exceeded(io)
        {
            // The line goes in the error's own field, not a second time in the message.
            let message = LimitExceeded::new(None, limit.what, limit.limit).to_string();
            return self.error(limit.line.unwrap_or(0), "", message);
        }
        let reader = self.rdr.get_mut();
        let line = e.position().map_or(reader.lines_read() + 1, |p| reader.line_at(p.byte()));
        self.error(line, "", e.to_string())
    }
}

/// A cell as the readers see it: `text.trim()`, without the Unicode scan when the first and
/// last bytes are printable ASCII (the common case).
#[must_use]
pub fn trim_cell(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Why a cell is not a usable number (its `Display` completes "… is ").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NumberError {
    /// Not a number at all.
    NotANumber,
    /// A number, but infinite or NaN (`inf`, `1e400`, `NaN`).
    NotFinite,
}

impl std::fmt::Display for NumberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NumberError::NotANumber => "not a number",
            NumberError::NotFinite => "not a finite number",
        })
    }
}

/// The one rule for a numeric cell (already trimmed, not a missing token): a finite `f64`, as
/// `str::parse::<f64>` reads it. Plain decimals take an exact fast path (see `plain_decimal`).
///
/// ```
/// use finkit_schema::csv_input::{NumberError, number};
/// assert_eq!(number("0.20912"), Ok(0.20912));
/// assert_eq!(number("1e5"), Ok(1e5));
/// assert_eq!(number("1e400"), Err(NumberError::NotFinite));
/// assert_eq!(number("abc"), Err(NumberError::NotANumber));
/// ```
///
/// # Errors
///
/// [`NumberError`] says whether the text is no number or not a finite one.
pub fn number(text: &str) -> Result<f64, NumberError> {
    if let Some(value) = plain_decimal(text.as_bytes()) {
        return Ok(value);
    }
    let value: f64 = text.parse().map_err(|_| NumberError::NotANumber)?;
    if value.is_finite() { Ok(value) } else { Err(NumberError::NotFinite) }
}

/// Powers of ten exactly representable in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a plain decimal `[+-]digits[.digits]` whose digits, read as an integer `m`,
/// satisfy `m ≤ 2^53`, with at most 19 digits in all: then `m` and `10^k` are exact
/// and one correctly rounded division gives the correctly rounded value (Clinger's fast
/// path), equal to `str::parse::<f64>`. Anything else (exponents, long mantissas, `inf`, …)
/// is `None`, for the full parser.
fn plain_decimal(text: &[u8]) -> Option<f64> {
    match plain_prefix(text) {
        (value, used) if used == text.len() => value,
        _ => None,
    }
}

/// The plain decimal at the start of `text` (see [`plain_decimal`]): the sign and the digits
/// and points that follow it are read, up to the first other byte; returns how many bytes
/// were read and their value, `None` when they are not a plain decimal under those rules
/// (a second point ends the reading). A reader that knows where a cell ends can so parse it
/// in the pass that finds its end.
pub(crate) fn plain_prefix(text: &[u8]) -> (Option<f64>, usize) {
    let (negative, sign) = match text.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let digits = &text[sign..];
    let mut mantissa: u64 = 0;
    let mut point: Option<usize> = None;
    let mut used = digits.len();
    for (i, &b) in digits.iter().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            // Over 19 digits is refused below; the wrapping sums of at most 20 bytes cannot
            // hide that, and with at most 19 digits the mantissa is below 10^19 < 2^64, exact.
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if b == b'.' && point.is_none() {
            point = Some(i);
        } else {
            used = i;
            break;
        }
    }
    let digits = &digits[..used];
    let (before, after) = match point {
        Some(i) => (i, digits.len() - i - 1),
        None => (digits.len(), 0),
    };
    if digits.len() > 20
        || before == 0
        || (point.is_some() && after == 0)
        || before + after > 19
        || mantissa > (1 << 53)
    {
        return (None, sign + used);
    }
    #[allow(clippy::cast_precision_loss)] // mantissa ≤ 2^53: exact
    let value = mantissa as f64 / EXACT_POWERS_OF_TEN[after];
    (Some(if negative { -value } else { value }), sign + used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Result<Vec<(u64, Vec<String>)>, SchemaError> {
        let mut rows = CsvRecords::new(text, "t.csv");
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        while let Some(line) = rows.next_record(&mut record)? {
            out.push((line, record.iter().map(str::to_owned).collect()));
        }
        Ok(out)
    }

    #[test]
    fn blank_and_whitespace_lines_are_skipped_with_true_line_numbers() {
        let got = lines(b"h\n\n   \n\"a\nb\"\nc\n").unwrap();
        let numbers: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(numbers, vec![1, 4, 6]);
    }

    #[test]
    fn an_endless_line_is_an_error_naming_it() {
        let mut text = b"h\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', crate::limits::MAX_LINE_BYTES + 10));
        let err = lines(&text).unwrap_err().to_string();
        assert!(err.contains("t.csv") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_the_line() {
        let err = lines(b"h\nok\n\xff\xfe\n").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn plain_decimals_parse_as_the_standard_parser_does(
            sign in proptest::sample::select(vec!["", "-", "+"]),
            int in "[0-9]{0,20}",
            frac in proptest::option::of("[0-9]{0,25}"),
        ) {
            let text = match &frac {
                Some(f) => format!("{sign}{int}.{f}"),
                None => format!("{sign}{int}"),
            };
            let std: Option<f64> = text.parse().ok();
            if let Some(fast) = plain_decimal(text.as_bytes()) {
                let std = std.expect("the fast path accepts only what the parser accepts");
                proptest::prop_assert_eq!(fast.to_bits(), std.to_bits(), "{}", text);
            }
        }

        #[test]
        fn any_cell_parses_as_the_standard_parser_does(text in "[-+0-9.eE]{0,12}|[ -~]{0,8}") {
            if let Some(fast) = plain_decimal(text.as_bytes()) {
                let std: f64 = text.parse().expect("accepted by the parser");
                proptest::prop_assert_eq!(fast.to_bits(), std.to_bits(), "{}", text);
            }
        }
    }

    #[test]
    fn plain_decimal_takes_the_common_forms_only() {
        for (text, value) in
            [("0.20912", 0.20912), ("-0.0012", -0.0012), ("14", 14.0), ("+3.5", 3.5)]
        {
            assert_eq!(plain_decimal(text.as_bytes()), Some(value), "{text}");
        }
        assert_eq!(plain_decimal(b"-0").map(f64::to_bits), Some((-0.0_f64).to_bits()));
        for text in
            ["", "-", ".", "1.", ".5", "1e5", "1.2.3", "inf", "NaN", "9007199254740993", " 1"]
        {
            assert_eq!(plain_decimal(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn numbers_follow_the_standard_parser_and_refuse_non_finite_values() {
        assert_eq!(number("-0.0012"), Ok(-0.0012));
        assert_eq!(number(" 1"), Err(NumberError::NotANumber));
        assert_eq!(number("inf"), Err(NumberError::NotFinite));
        assert_eq!(number("NaN"), Err(NumberError::NotFinite));
        assert_eq!(trim_cell("\u{a0}1.5\u{a0}"), "1.5");
        assert_eq!(trim_cell("\u{b}1.5"), "1.5");
        assert_eq!(trim_cell("1.5"), "1.5");
        assert_eq!(trim_cell(""), "");
    }
}
