//! Reading one price column from a CSV file with a header.

use std::io::Read;
use std::path::Path;

use finkit_schema::csv_input::{CsvRecords, StringRecord};

use crate::RiskError;

/// A price column read from a CSV file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PriceColumn {
    /// The column that was read.
    pub name: String,
    /// The prices, in file order.
    pub prices: Vec<f64>,
}

/// Reads one price column of a CSV file with a header: `column` if given, otherwise the last
/// column. Every value must be a finite positive number, and at least 2 are needed (one
/// return). Blank lines are skipped; BOM, CRLF and quoted cells are read as in
/// [`finkit_schema::csv_input`].
///
/// ```
/// use finkit_risk::market::read_price_column;
/// let text = "date,close\n2024-01-02,100\n2024-01-03,101.5\n";
/// let column = read_price_column(text.as_bytes(), "p.csv", None)?;
/// assert_eq!((column.name.as_str(), column.prices), ("close", vec![100.0, 101.5]));
/// let err = read_price_column("date,close\n2024-01-02,0\n".as_bytes(), "p.csv", None);
/// assert!(err.unwrap_err().to_string().contains("line 2"));
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
///
/// # Errors
///
/// [`finkit_schema::SchemaError::Csv`] (inside [`RiskError::Schema`]) naming the file, line
/// and column: no header, an unknown column, a ragged row, a value that is not a finite
/// positive number, fewer than 2 prices, or a record over the length limit.
pub fn read_price_column<R: Read>(
    reader: R,
    path: impl AsRef<Path>,
    column: Option<&str>,
) -> Result<PriceColumn, RiskError> {
    let mut rows = CsvRecords::new(reader, path);
    let mut record = StringRecord::new();
    let header = match rows.next_record(&mut record)? {
        Some(_) if !record.iter().all(str::is_empty) => record.clone(),
        _ => return Err(rows.error(1, "", "empty file: no header row").into()),
    };
    let index = match column {
        Some(name) => header.iter().position(|h| h == name).ok_or_else(|| {
            let all = header.iter().collect::<Vec<_>>().join(", ");
            rows.error(1, name, format!("no such column (the header has {all})"))
        })?,
        None => header.len() - 1,
    };
    let name = header.get(index).unwrap_or_default().to_owned();
    let mut prices = Vec::new();
    while let Some(line) = rows.next_record(&mut record)? {
        if record.len() != header.len() {
            let message =
                format!("ragged row: {} fields, the header has {}", record.len(), header.len());
            return Err(rows.error(line, "", message).into());
        }
        let text = record.get(index).unwrap_or_default();
        let value: f64 = text
            .parse()
            .map_err(|_| rows.error(line, &name, format!("{text:?} is not a number")))?;
        if !value.is_finite() || value <= 0.0 {
            let message = format!("price must be a finite positive number, got {text:?}");
            return Err(rows.error(line, &name, message).into());
        }
        prices.push(value);
    }
    if prices.len() < 2 {
        let message = format!("at least 2 prices are needed, got {}", prices.len());
        return Err(rows.error(1, &name, message).into());
    }
    Ok(PriceColumn { name, prices })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, column: Option<&str>) -> Result<PriceColumn, String> {
        read_price_column(text.as_bytes(), "p.csv", column).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_named_or_last_column() {
        let text = "date,a,b\n2020-01-01,1,10\n2020-01-02,2,11\n";
        assert_eq!(read(text, None).unwrap().prices, vec![10.0, 11.0]);
        assert_eq!(read(text, Some("a")).unwrap().prices, vec![1.0, 2.0]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let msg = read("date,p\n2020-01-01,1\n2020-01-02,NaN\n", None).unwrap_err();
        assert!(msg.contains("line 3") && msg.contains("\"p\""), "{msg}");
        assert!(
            read("date,p\n2020-01-01,1\n2020-01-02,abc\n", None).unwrap_err().contains("line 3")
        );
        assert!(read("date,p\n2020-01-01,1\n", Some("zzz")).unwrap_err().contains("zzz"));
        assert!(read("date,p\n2020-01-01,1\n", None).unwrap_err().contains("at least 2"));
        assert!(read("", None).unwrap_err().contains("no header"));
        assert!(read("date,p\n2020-01-01\n", None).unwrap_err().contains("ragged"));
    }

    #[test]
    fn windows_line_endings_keep_line_numbers_and_values() {
        let msg = read("date,p\r\n2020-01-01,1\r\n2020-01-02,2\r\n\r\n2020-01-03,x\r\n", None);
        let msg = msg.unwrap_err();
        assert!(msg.contains("line 5") && msg.contains("\"p\""), "{msg}");
        let column = read("date,p\r\n2020-01-01,1\r\n2020-01-02,2.5\r\n\r\n", None).unwrap();
        assert_eq!((column.name.as_str(), column.prices), ("p", vec![1.0, 2.5]));
    }
}
