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
}
