//! Reading a labelled transition matrix from CSV.

use std::io::Read;
use std::path::Path;

use finkit_schema::csv_input::{CsvRecords, StringRecord};
use ndarray::Array2;

use crate::RiskError;

/// A square matrix of transition probabilities with its state labels, as read from a file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LabelledMatrix {
    /// The state labels, in row and column order.
    pub labels: Vec<String>,
    /// The probabilities: row = from, column = to.
    pub matrix: Array2<f64>,
}

/// Reads a labelled transition matrix: a header `,L1,…,Ln` (its first cell is free text), then
/// `n` rows of a label and `n` probabilities in [0, 1]. Blank lines are skipped; BOM, CRLF and
/// quoted cells are read as in [`finkit_schema::csv_input`]. The result is not yet a
/// [`super::TransitionMatrix`]: whether rows must sum to 1 is [`super::TransitionOptions`]'
/// call.
///
/// ```
/// use finkit_risk::transition::read_matrix_csv;
/// let text = "from,A,D\nA,0.98,0.02\nD,0,1\n";
/// let m = read_matrix_csv(text.as_bytes(), "m.csv")?;
/// assert_eq!(m.labels, ["A", "D"]);
/// assert_eq!(m.matrix[[0, 1]], 0.02);
/// let err = read_matrix_csv("from,A,D\nA,0.98,x\nD,0,1\n".as_bytes(), "m.csv").unwrap_err();
/// assert_eq!(err.to_string(), "m.csv: line 2, column \"D\": \"x\" is not a number");
/// # Ok::<(), finkit_risk::RiskError>(())
/// ```
///
/// # Errors
///
/// [`finkit_schema::SchemaError::Csv`] (inside [`RiskError::Schema`]) naming the line and
/// column: fewer than 2 labels, a row with the wrong number of cells, more or fewer rows than
/// states, a cell that is not a number or is outside [0, 1], or a record over the length limit.
pub fn read_matrix_csv<R: Read>(
    reader: R,
    path: impl AsRef<Path>,
) -> Result<LabelledMatrix, RiskError> {
    let mut rows = CsvRecords::new(reader, path);
    let mut record = StringRecord::new();
    let Some(header_line) = rows.next_record(&mut record)? else {
        return Err(rows.error(1, "", "empty file: no header row").into());
    };
    let labels: Vec<String> = record.iter().skip(1).map(str::to_owned).collect();
    let n = labels.len();
    if n < 2 {
        let message = "need at least 2 state labels after the first cell";
        return Err(rows.error(header_line, "", message).into());
    }
    let mut matrix = Array2::zeros((n, n));
    let mut filled = 0;
    while let Some(line) = rows.next_record(&mut record)? {
        if record.len() != n + 1 {
            let message = format!("{} fields, expected {}", record.len(), n + 1);
            return Err(rows.error(line, "", message).into());
        }
        if filled >= n {
            return Err(rows.error(line, "", "more rows than states").into());
        }
        for (j, label) in labels.iter().enumerate() {
            let text = record.get(j + 1).unwrap_or_default();
            let value: f64 = text
                .parse()
                .map_err(|_| rows.error(line, label, format!("{text:?} is not a number")))?;
            if !(0.0..=1.0).contains(&value) {
                let message = format!("a transition probability must be in [0, 1], got {text:?}");
                return Err(rows.error(line, label, message).into());
            }
            matrix[[filled, j]] = value;
        }
        filled += 1;
    }
    if filled != n {
        let message = format!("{filled} rows for {n} states");
        return Err(rows.error(header_line, "", message).into());
    }
    Ok(LabelledMatrix { labels, matrix })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        read_matrix_csv(text.as_bytes(), "m.csv").unwrap_err().to_string()
    }

    #[test]
    fn every_shape_problem_names_its_line() {
        assert!(err("").contains("no header"));
        assert!(err("from,A\nA,1\n").contains("at least 2"));
        assert!(err("from,A,D\nA,0.5\n").contains("line 2"));
        assert!(err("from,A,D\nA,0.5,0.5\nD,0,1\nX,0,1\n").contains("line 4"));
        assert!(err("from,A,D\nA,0.5,0.5\n").contains("1 rows for 2 states"));
        let e = err("from,A,D\r\n\r\nA,0.5,0.5\r\nD,0,1.5\r\n");
        assert!(e.contains("line 4") && e.contains("\"D\"") && e.contains("[0, 1]"), "{e}");
        assert!(err("from,A,D\nA,NaN,0.5\nD,0,1\n").contains("[0, 1]"));
    }
}
