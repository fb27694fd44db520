//! Reading the command line's input files, with errors that name the file, line and field.

use std::path::Path;

use finkit::schema::limits::{BoundedReader, limit_exceeded};

use crate::error::CliError;

/// A price column read from a CSV file with a header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PriceColumn {
    /// The column that was read.
    pub(crate) name: String,
    /// The prices, in file order.
    pub(crate) prices: Vec<f64>,
}

/// Reads one price column: `column` if given, otherwise the last column of the header.
///
/// Every value must be a finite positive number; an empty cell, text, NaN or a non-positive
/// price is an error naming the file, line and column.
pub(crate) fn read_prices(path: &Path, column: Option<&str>) -> Result<PriceColumn, CliError> {
    read_prices_from(crate::source::open(path)?, path, column)
}

/// As [`read_prices`], from any reader (the demo's embedded data); `path` names it in messages.
pub(crate) fn read_prices_from(
    input: impl std::io::Read,
    path: &Path,
    column: Option<&str>,
) -> Result<PriceColumn, CliError> {
    let mut reader = csv_reader(input);
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(read_error(path, &mut reader, &e)),
    };
    let mut record = csv::StringRecord::new();
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(CliError::input(format!(
            "{}: line 1: empty file: no header row",
            path.display()
        )));
    }
    let index = match column {
        Some(name) => header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            CliError::input(format!(
                "{}: line 1, column {name:?}: no such column (the header has {})",
                path.display(),
                header.iter().collect::<Vec<_>>().join(", ")
            ))
        })?,
        None => header.len() - 1,
    };
    let name = header.get(index).unwrap_or_default().trim().to_owned();
    let mut prices = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(read_error(path, &mut reader, &e)),
        }
        let line = record_line(&mut reader, &record);
        if is_blank(&record) {
            continue;
        }
        if record.len() != header.len() {
            return Err(CliError::input(format!(
                "{}: line {line}: ragged row: {} fields, the header has {}",
                path.display(),
                record.len(),
                header.len()
            )));
        }
        let text = record.get(index).unwrap_or_default().trim();
        let value: f64 = text.parse().map_err(|_| {
            CliError::input(format!(
                "{}: line {line}, column {name:?}: {text:?} is not a number",
                path.display()
            ))
        })?;
        if !value.is_finite() || value <= 0.0 {
            return Err(CliError::input(format!(
                "{}: line {line}, column {name:?}: price must be a finite positive number, got {text:?}",
                path.display()
            )));
        }
        prices.push(value);
    }
    if prices.len() < 2 {
        return Err(CliError::input(format!(
            "{}: column {name:?}: at least 2 prices are needed, got {}",
            path.display(),
            prices.len()
        )));
    }
    Ok(PriceColumn { name, prices })
}

/// A flexible CSV reader over finkit-schema's shared [`BoundedReader`]: a record longer than
/// [`finkit::schema::limits::MAX_LINE_BYTES`] is an error naming its line (so `/dev/zero` fails
/// at once), a BOM is stripped, `\r\n` reads as `\n` (a blank CRLF line is a blank line), and
/// [`record_line`] gives true line numbers, also after quoted multi-line cells.
pub(crate) fn csv_reader<R: std::io::Read>(reader: R) -> csv::Reader<BoundedReader<R>> {
    csv::ReaderBuilder::new().flexible(true).from_reader(BoundedReader::csv(reader, b','))
}

/// The 1-based line where `record` (just read from `reader`) starts.
pub(crate) fn record_line<R: std::io::Read>(
    reader: &mut csv::Reader<BoundedReader<R>>,
    record: &csv::StringRecord,
) -> u64 {
    reader.get_mut().line_at(record.position().map_or(0, csv::Position::byte))
}

/// A read error of a CSV file as bad input, naming the file and line.
pub(crate) fn read_error<R: std::io::Read>(
    path: &Path,
    reader: &mut csv::Reader<BoundedReader<R>>,
    e: &csv::Error,
) -> CliError {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(limit) = limit_exceeded(io)
    {
        return CliError::input(format!("{}: {limit}", path.display()));
    }
    let line = e
        .position()
        .map_or(reader.get_mut().lines_read() + 1, |p| reader.get_mut().line_at(p.byte()));
    CliError::input(format!("{}: line {line}: {e}", path.display()))
}

/// A line with nothing but white space (such as the `\r` of a blank CRLF line).
pub(crate) fn is_blank(record: &csv::StringRecord) -> bool {
    record.len() == 1 && record.get(0).is_some_and(|c| c.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("p.csv");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn reads_the_named_or_last_column() {
        let (_d, path) = write("date,a,b\n2020-01-01,1,10\n2020-01-02,2,11\n");
        assert_eq!(read_prices(&path, None).expect("ok").prices, vec![10.0, 11.0]);
        assert_eq!(read_prices(&path, Some("a")).expect("ok").prices, vec![1.0, 2.0]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let (_d, path) = write("date,p\n2020-01-01,1\n2020-01-02,NaN\n");
        let msg = read_prices(&path, None).expect_err("nan").message;
        assert!(msg.contains("line 3") && msg.contains("\"p\""), "{msg}");
        let (_d, path) = write("date,p\n2020-01-01,1\n2020-01-02,abc\n");
        assert!(read_prices(&path, None).expect_err("abc").message.contains("line 3"));
        assert!(read_prices(&path, Some("zzz")).expect_err("col").message.contains("zzz"));
    }

    #[test]
    fn windows_line_endings_keep_line_numbers_and_values() {
        let (_d, path) = write("date,p\r\n2020-01-01,1\r\n2020-01-02,2\r\n\r\n2020-01-03,x\r\n");
        let msg = read_prices(&path, None).expect_err("x").message;
        assert!(msg.contains("line 5") && msg.contains("\"p\""), "{msg}");
        let (_d, path) = write("date,p\r\n2020-01-01,1\r\n2020-01-02,2.5\r\n\r\n");
        let column = read_prices(&path, None).expect("ok");
        assert_eq!((column.name.as_str(), column.prices), ("p", vec![1.0, 2.5]));
    }
}
