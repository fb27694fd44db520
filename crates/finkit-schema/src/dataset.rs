//! A modelling table of named numeric and categorical columns with an optional binary target.
//!
//! **Missing values** are represented one way per column kind: `f64::NAN` in a numeric column,
//! `None` in a categorical one. Because the loaders reject the texts `NaN` and `inf` (and
//! [`Dataset::new`] rejects infinities), a NaN in a numeric column always means "missing".

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use ndarray::{Array1, ArrayView1};

use crate::SchemaError;

mod csv_read;

/// The bytes of a regular file of `len` bytes (at most [`IN_MEMORY_MAX_FILE`]), and whatever
/// it has beyond `len` (it grew while read), up to one byte over the limit. On Unix the two
/// halves are read in parallel, so two threads share the copies and the first touches of the
/// buffer; a file that shrank is read again from its start, in order.
fn read_file(file: &mut std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let size = usize::try_from(len).map_err(std::io::Error::other)?;
    let mut bytes = vec![0_u8; size];
    #[cfg(unix)]
    let whole = {
        use std::os::unix::fs::FileExt;
        let (front, back) = bytes.split_at_mut(size / 2);
        let at = front.len() as u64;
        let (a, b) = rayon::join(|| file.read_exact_at(front, 0), || file.read_exact_at(back, at));
        a.and(b).is_ok()
    };
    #[cfg(not(unix))]
    let whole = false;
    if !whole {
        bytes.clear();
        file.seek(SeekFrom::Start(0))?;
        file.take(IN_MEMORY_MAX_FILE + 1).read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    file.seek(SeekFrom::Start(len))?;
    file.take(IN_MEMORY_MAX_FILE + 1 - len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Largest file [`Dataset::from_csv`] reads into memory to parse in parallel (larger ones are
/// streamed).
const IN_MEMORY_MAX_FILE: u64 = 256 << 20;

/// One column of a [`Dataset`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Column {
    /// Numbers; `NaN` marks a missing value, and no value is infinite.
    Numeric(Array1<f64>),
    /// Category labels; `None` marks a missing value.
    Categorical(Vec<Option<String>>),
}

impl Column {
    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Categorical(v) => v.len(),
        }
    }
    /// Whether the column has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Number of missing values.
    #[must_use]
    pub fn missing(&self) -> usize {
        match self {
            Column::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            Column::Categorical(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }
    /// Whether the column is numeric.
    #[must_use]
    pub fn is_numeric(&self) -> bool {
        matches!(self, Column::Numeric(_))
    }
    fn select(&self, rows: &[usize]) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(rows.iter().map(|&i| v[i]).collect()),
            Column::Categorical(v) => {
                Column::Categorical(rows.iter().map(|&i| v[i].clone()).collect())
            }
        }
    }
}

/// How [`Dataset::from_csv`] reads a file.
///
/// A column's kind is decided by its **first non-missing value**: if that parses as a number
/// the column is numeric, and any later value that does not parse is an error naming the line
/// and column (it is never silently turned into a category). Name a column in `categorical` to
/// force it categorical (codes such as `"01"`), or in `numeric` to make a first value that does
/// not parse an error as well.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// Name of the binary target column (values `0` / `1`), if any.
    pub target: Option<String>,
    /// Columns always read as categorical.
    pub categorical: Vec<String>,
    /// Columns always read as numeric.
    pub numeric: Vec<String>,
    /// Cell texts that mean "missing" (after trimming). Default: the empty cell and `NA`.
    pub missing_tokens: Vec<String>,
    /// Field delimiter. Default `,`.
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            target: None,
            categorical: Vec::new(),
            numeric: Vec::new(),
            missing_tokens: vec![String::new(), "NA".to_owned()],
            delimiter: b',',
        }
    }
}

impl CsvOptions {
    /// Options with the given target column.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
    /// Forces the named columns to be categorical.
    #[must_use]
    pub fn with_categorical<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.categorical.extend(names.into_iter().map(Into::into));
        self
    }
    /// Forces the named columns to be numeric.
    #[must_use]
    pub fn with_numeric<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.numeric.extend(names.into_iter().map(Into::into));
        self
    }
}

/// A modelling table: named feature columns of equal length and an optional binary target.
///
/// ```
/// use finkit_schema::{CsvOptions, Dataset};
/// let csv = "age,city,bad\n25,Rome,0\n,Oslo,1\n40,,0\n";
/// let data = Dataset::from_reader(csv.as_bytes(), "inline.csv", &CsvOptions::default().with_target("bad"))?;
/// assert_eq!(data.n_rows(), 3);
/// assert_eq!(data.feature_names(), vec!["age", "city"]);
/// assert!(data.numeric("age")?[1].is_nan(), "an empty cell is missing");
/// assert_eq!(data.target().map(|t| t.sum()), Some(1.0));
/// # Ok::<(), finkit_schema::SchemaError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Dataset {
    names: Vec<String>,
    columns: Vec<Column>,
    target_name: Option<String>,
    target: Option<Array1<f64>>,
}

/// A one-screen description of a [`Dataset`], for the command line and notebooks.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct DatasetSummary {
    /// Number of rows.
    pub rows: usize,
    /// Number of numeric feature columns.
    pub numeric_columns: usize,
    /// Number of categorical feature columns.
    pub categorical_columns: usize,
    /// Missing cells over all feature columns.
    pub missing_cells: usize,
    /// Number of rows whose target is 1 (events, "bad"), if there is a target.
    pub events: Option<usize>,
}

impl Dataset {
    /// Builds a dataset from named columns and an optional named binary target.
    ///
    /// # Errors
    ///
    /// [`SchemaError::Empty`] with no rows, [`SchemaError::LengthMismatch`] when lengths differ,
    /// [`SchemaError::DuplicateColumn`], [`SchemaError::NonFinite`] for an infinite number, and
    /// [`SchemaError::OutOfRange`] for a target value other than 0 or 1 (NaN included).
    pub fn new(
        columns: Vec<(String, Column)>,
        target: Option<(String, Array1<f64>)>,
    ) -> Result<Dataset, SchemaError> {
        let n = match (columns.first(), &target) {
            (Some((_, c)), _) => c.len(),
            (None, Some((_, t))) => t.len(),
            (None, None) => return Err(SchemaError::Empty("dataset")),
        };
        if n == 0 {
            return Err(SchemaError::Empty("dataset"));
        }
        let mut seen = HashSet::new();
        for (name, col) in &columns {
            if !seen.insert(name.as_str()) {
                return Err(SchemaError::DuplicateColumn(name.clone()));
            }
            if col.len() != n {
                return Err(SchemaError::LengthMismatch {
                    what: name.clone(),
                    expected: n,
                    found: col.len(),
                });
            }
            if let Column::Numeric(v) = col
                && let Some(&bad) = v.iter().find(|x| x.is_infinite())
            {
                return Err(SchemaError::NonFinite { what: "dataset value", value: bad });
            }
        }
        if let Some((name, t)) = &target {
            if seen.contains(name.as_str()) {
                return Err(SchemaError::DuplicateColumn(name.clone()));
            }
            if t.len() != n {
                return Err(SchemaError::LengthMismatch {
                    what: name.clone(),
                    expected: n,
                    found: t.len(),
                });
            }
            if let Some(&bad) = t.iter().find(|&&x| x != 0.0 && x != 1.0) {
                return Err(SchemaError::OutOfRange {
                    what: "binary target",
                    range: "{0, 1}",
                    value: bad,
                });
            }
        }
        let (names, columns) = columns.into_iter().unzip();
        let (target_name, target) = match target {
            Some((name, t)) => (Some(name), Some(t)),
            None => (None, None),
        };
        Ok(Dataset { names, columns, target_name, target })
    }

    /// Reads a CSV file with a header row.
    ///
    /// A regular file of up to 256 MiB without quoted cells is read into memory and its rows
    /// are parsed in parallel blocks; any other input is streamed as by
    /// [`Dataset::from_reader`]. Both give the same dataset, or the same error.
    ///
    /// # Errors
    ///
    /// [`SchemaError::Io`] when the file cannot be opened, and [`SchemaError::Csv`] naming the
    /// file, line and column for an empty file, a ragged row, an unparsable or non-finite number
    /// in a numeric column, a missing target column, or a target value other than 0 / 1.
    pub fn from_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset, SchemaError> {
        let path = path.as_ref();
        let io_error = |source| SchemaError::Io { path: path.to_owned(), source };
        let mut file = std::fs::File::open(path).map_err(io_error)?;
        let metadata = file.metadata().map_err(io_error)?;
        if metadata.is_dir() {
            return Err(io_error(std::io::Error::other("is a directory, not a file")));
        }
        // A regular file of moderate size is read into memory and parsed in parallel blocks;
        // anything else (a pipe, a device, a file that grows while it is read, quoted cells)
        // is streamed.
        if metadata.is_file() && metadata.len() <= IN_MEMORY_MAX_FILE {
            let bytes = read_file(&mut file, metadata.len()).map_err(io_error)?;
            if bytes.len() as u64 > IN_MEMORY_MAX_FILE {
                return csv_read::read_stream(
                    std::io::Cursor::new(bytes).chain(file),
                    path,
                    options,
                );
            }
            if let Some(read) =
                csv_read::read_in_memory(&bytes, path, options, csv_read::MIN_BLOCK_BYTES)
            {
                return read;
            }
            return csv_read::read_stream(bytes.as_slice(), path, options);
        }
        csv_read::read_stream(file, path, options)
    }

    /// Reads CSV text from any reader; `source` names it in error messages.
    ///
    /// # Errors
    ///
    /// As [`Dataset::from_csv`].
    pub fn from_reader(
        reader: impl Read,
        source: &str,
        options: &CsvOptions,
    ) -> Result<Dataset, SchemaError> {
        csv_read::read_stream(reader, Path::new(source), options)
    }

    /// Number of rows.
    #[must_use]
    pub fn n_rows(&self) -> usize {
        self.target
            .as_ref()
            .map(Array1::len)
            .or_else(|| self.columns.first().map(Column::len))
            .unwrap_or(0)
    }
    /// Names of the feature columns (the target excluded), in file order.
    #[must_use]
    pub fn feature_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }
    /// The feature columns with their names.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.names.iter().map(String::as_str).zip(&self.columns)
    }
    /// A feature column by name.
    ///
    /// # Errors
    ///
    /// [`SchemaError::UnknownColumn`].
    pub fn column(&self, name: &str) -> Result<&Column, SchemaError> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
            .ok_or_else(|| SchemaError::UnknownColumn(name.to_owned()))
    }
    /// A numeric feature column by name.
    ///
    /// # Errors
    ///
    /// [`SchemaError::UnknownColumn`], or [`SchemaError::InvalidText`] when it is categorical.
    pub fn numeric(&self, name: &str) -> Result<ArrayView1<'_, f64>, SchemaError> {
        match self.column(name)? {
            Column::Numeric(v) => Ok(v.view()),
            Column::Categorical(_) => Err(SchemaError::InvalidText {
                what: "column",
                value: name.to_owned(),
                reason: "is categorical, not numeric",
            }),
        }
    }
    /// The target's name, if there is a target.
    #[must_use]
    pub fn target_name(&self) -> Option<&str> {
        self.target_name.as_deref()
    }
    /// The binary target (exactly 0.0 or 1.0 per row), if any.
    #[must_use]
    pub fn target(&self) -> Option<ArrayView1<'_, f64>> {
        self.target.as_ref().map(|t| t.view())
    }
    /// A new dataset holding the given rows, in the given order (rows may repeat).
    ///
    /// # Errors
    ///
    /// [`SchemaError::OutOfRange`] for a row index past the end, [`SchemaError::Empty`] for no rows.
    pub fn select_rows(&self, rows: &[usize]) -> Result<Dataset, SchemaError> {
        let n = self.n_rows();
        if let Some(&bad) = rows.iter().find(|&&i| i >= n) {
            return Err(SchemaError::OutOfRange {
                what: "row index",
                range: "[0, rows)",
                value: bad as f64,
            });
        }
        let columns =
            self.names.iter().cloned().zip(self.columns.iter().map(|c| c.select(rows))).collect();
        let target = match (&self.target_name, &self.target) {
            (Some(name), Some(t)) => Some((name.clone(), rows.iter().map(|&i| t[i]).collect())),
            _ => None,
        };
        Dataset::new(columns, target)
    }
    /// A new dataset without the named feature column.
    ///
    /// # Errors
    ///
    /// [`SchemaError::UnknownColumn`], or [`SchemaError::Empty`] if nothing would remain.
    pub fn drop_column(&self, name: &str) -> Result<Dataset, SchemaError> {
        self.column(name)?;
        let columns = self
            .columns()
            .filter(|(n, _)| *n != name)
            .map(|(n, c)| (n.to_owned(), c.clone()))
            .collect();
        let target = self.target_name.clone().zip(self.target.clone());
        Dataset::new(columns, target)
    }
    /// Counts of rows, column kinds, missing cells and events.
    #[must_use]
    pub fn summary(&self) -> DatasetSummary {
        DatasetSummary {
            rows: self.n_rows(),
            numeric_columns: self.columns.iter().filter(|c| c.is_numeric()).count(),
            categorical_columns: self.columns.iter().filter(|c| !c.is_numeric()).count(),
            missing_cells: self.columns.iter().map(Column::missing).sum(),
            events: self.target.as_ref().map(|t| t.iter().filter(|&&v| v == 1.0).count()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Dataset, SchemaError> {
        Dataset::from_reader(text.as_bytes(), "t.csv", &CsvOptions::default().with_target("y"))
    }

    fn csv_error(text: &str) -> (u64, String, String) {
        match load(text) {
            Err(SchemaError::Csv { line, column, message, .. }) => (line, column, message),
            other => panic!("expected a CSV error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(csv_error("").0, 1);
        assert_eq!(csv_error("a,y\n").0, 2);
        let (line, col, _) = csv_error("a,y\n1,0\nabc,1\n");
        assert_eq!((line, col.as_str()), (3, "a"));
        let (line, _, msg) = csv_error("a,y\n1,0\n2,1,3\n");
        assert_eq!(line, 3);
        assert!(msg.contains("ragged"));
        let (line, col, _) = csv_error("a,b\n1,0\n");
        assert_eq!((line, col.as_str()), (1, "y"));
        let (line, col, _) = csv_error("a,y\n1,0\n2,\n");
        assert_eq!((line, col.as_str()), (3, "y"));
        let (line, col, _) = csv_error("a,y\n1,0\nNaN,1\n");
        assert_eq!((line, col.as_str()), (3, "a"));
        let (_, _, msg) = csv_error("a,y\n1,2\n");
        assert!(msg.contains("0 or 1"));
    }

    #[test]
    fn windows_line_endings_keep_line_numbers() {
        let (line, col, _) = csv_error("a,y\r\n1,0\r\nabc,1\r\n");
        assert_eq!((line, col.as_str()), (3, "a"));
        let d = load("a,y\r\n1,0\r\n2,1\r\n").unwrap();
        assert_eq!(d.target().unwrap().to_vec(), vec![0.0, 1.0]);
    }

    #[test]
    fn lines_after_a_quoted_multi_line_cell_are_exact() {
        // The quoted cell spans lines 2-4, so the bad value is on line 5 (the csv crate alone
        // says 4).
        let (line, col, _) = csv_error("a,b,y\n1,\"x\ny\nz\",0\nabc,q,1\n");
        assert_eq!((line, col.as_str()), (5, "a"));
        let (line, col, _) = csv_error("a,b,y\r\n1,\"x\r\ny\",0\r\n2,q,7\r\n");
        assert_eq!((line, col.as_str()), (4, "y"));
    }

    #[test]
    fn bom_and_trailing_blank_crlf_line_read_as_unix_text() {
        let d = load("\u{feff}a,y\r\n1,0\r\n2,1\r\n\r\n").unwrap();
        assert_eq!(d.feature_names(), vec!["a"]);
        assert_eq!(d.n_rows(), 2);
    }

    #[test]
    fn an_endless_line_is_an_error_naming_it() {
        use crate::limits::MAX_LINE_BYTES;
        let zeros = std::io::Read::take(std::io::repeat(0), 2 * MAX_LINE_BYTES as u64);
        match Dataset::from_reader(zeros, "/dev/zero", &CsvOptions::default()) {
            Err(SchemaError::Csv { line: 1, message, .. }) => {
                assert!(message.contains("longer than the limit"), "{message}");
            }
            other => panic!("expected a line-limit error, got {other:?}"),
        }
        let long = format!("a,y\n1,0\n{},1\n", "9".repeat(MAX_LINE_BYTES));
        assert_eq!(csv_error(&long).0, 3);
    }

    #[test]
    fn kinds_follow_the_first_value_and_options() {
        let d = load("a,b,c,y\n,x,01,0\n3,y,02,1\n").unwrap();
        assert!(d.column("a").unwrap().is_numeric());
        assert!(!d.column("b").unwrap().is_numeric());
        let forced = Dataset::from_reader(
            "a,c,y\n1,01,0\n".as_bytes(),
            "t.csv",
            &CsvOptions::default().with_target("y").with_categorical(["c"]),
        )
        .unwrap();
        assert_eq!(forced.column("c").unwrap(), &Column::Categorical(vec![Some("01".into())]));
    }

    #[test]
    fn a_file_reads_as_its_bytes_do() {
        let mut text = String::from("a,b,y\n");
        for i in 0..3000 {
            text.push_str(&format!("{}.25,{},{}\n", i, if i % 7 == 0 { "" } else { "x" }, i % 2));
        }
        let dir = tempfile::tempdir().unwrap();
        let options = CsvOptions::default().with_target("y");
        for (name, body) in
            [("plain.csv", text.clone()), ("quoted.csv", text.replace("x", "\"x\""))]
        {
            let path = dir.path().join(name);
            std::fs::write(&path, &body).unwrap();
            let file = Dataset::from_csv(&path, &options).unwrap();
            let stream = Dataset::from_reader(body.as_bytes(), "t.csv", &options).unwrap();
            assert_eq!(format!("{file:?}"), format!("{stream:?}"), "{name}");
        }
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(matches!(
            Dataset::from_csv(&empty, &options),
            Err(SchemaError::Csv { line: 1, .. })
        ));
    }

    #[test]
    fn select_rows_keeps_target_aligned() {
        let d = load("a,y\n1,0\n2,1\n3,0\n").unwrap();
        let s = d.select_rows(&[2, 1]).unwrap();
        assert_eq!(s.numeric("a").unwrap().to_vec(), vec![3.0, 2.0]);
        assert_eq!(s.target().unwrap().to_vec(), vec![0.0, 1.0]);
        assert!(d.select_rows(&[3]).is_err());
    }
    #[test]
    fn late_decided_columns_text_columns_and_first_errors() {
        // A column decided after a thousand missing cells, a text column, and a bad cell far
        // into the file, named at its line.
        const LATE: usize = 1024;
        let rows = 2 * LATE + 17;
        let mut text = String::from("a,late,name,y\n");
        for i in 0..rows {
            let late = if i < LATE + 5 { String::new() } else { format!("{}.5", i) };
            text.push_str(&format!("{i},{late},f{i},{}\n", i % 2));
        }
        let data = load(&text).unwrap();
        assert_eq!(data.n_rows(), rows);
        let late = data.column("late").unwrap();
        let Column::Numeric(late) = late else { panic!("numeric") };
        assert!(late[LATE + 4].is_nan());
        assert_eq!(late[rows - 1], (rows - 1) as f64 + 0.5);
        let Column::Categorical(names) = data.column("name").unwrap() else { panic!("text") };
        assert_eq!(names[rows - 1].as_deref(), Some(format!("f{}", rows - 1).as_str()));
        let bad = text.replacen(&format!("\n{},", LATE + 3), &format!("\nx{},", LATE + 3), 1);
        let (line, col, _) = csv_error(&bad);
        assert_eq!((line, col.as_str()), (LATE as u64 + 5, "a"));
    }
}
