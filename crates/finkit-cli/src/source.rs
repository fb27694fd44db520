//! Where the command line's input files come from: a path, `-` for standard input, and (with
//! the `parquet` feature) Parquet files as well as CSV for the credit and risk commands.
//!
//! One place decides how a file argument is opened, so every command treats `-` and `.parquet`
//! the same way.

use std::io::Read;
use std::path::Path;

use finkit::schema::{CsvOptions, Dataset, Portfolio};

use crate::error::CliError;

/// Whether a file argument means standard input.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The name of a file argument in messages: `<stdin>` for `-`.
pub(crate) fn display_name(path: &Path) -> String {
    if is_stdin(path) { "<stdin>".to_owned() } else { path.display().to_string() }
}

/// Whether the file is Parquet (by its extension).
pub(crate) fn is_parquet(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Opens a file argument for reading; `-` is standard input.
///
/// A missing file or a directory is bad input naming the path.
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read>, CliError> {
    if is_stdin(path) {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::input(format!("{}: cannot open: {e}", path.display())))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(CliError::input(format!("{}: is a directory, not a file", path.display())));
    }
    Ok(Box::new(file))
}

/// Reads a whole text file argument; `-` is standard input.
///
/// A document over [`finkit::schema::limits::MAX_DOCUMENT_BYTES`] (e.g. `/dev/zero`) is bad
/// input, refused once the limit is passed, before more memory is taken.
pub(crate) fn read_to_string(path: &Path) -> Result<String, CliError> {
    read_to_string_limited(path, finkit::schema::limits::MAX_DOCUMENT_BYTES)
}

/// As [`read_to_string`], with another size limit (model files may be larger than documents).
pub(crate) fn read_to_string_limited(path: &Path, limit: u64) -> Result<String, CliError> {
    let mut text = String::new();
    open(path)?
        .take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::input(format!("{}: cannot read: {e}", display_name(path))))?;
    if text.len() as u64 > limit {
        return Err(CliError::input(format!(
            "{}: larger than the {limit}-byte limit of a document",
            display_name(path)
        )));
    }
    Ok(text)
}

/// Reads a modelling table: CSV from a path or `-`, or Parquet (feature `parquet`) by extension.
pub(crate) fn read_dataset(path: &Path, options: &CsvOptions) -> Result<Dataset, CliError> {
    if is_parquet(path) {
        return parquet::read_dataset(path, options);
    }
    if is_stdin(path) {
        return Ok(Dataset::from_reader(std::io::stdin().lock(), "<stdin>", options)?);
    }
    Ok(Dataset::from_csv(path, options)?)
}

/// Reads a credit portfolio: the CSV layout of `finkit_risk::portfolio::read_portfolio_csv`
/// from a path or `-`, or the same columns from Parquet (feature `parquet`).
pub(crate) fn read_portfolio(path: &Path) -> Result<Portfolio, CliError> {
    use finkit::risk::portfolio::{parse_portfolio_csv, read_portfolio_csv};
    if is_parquet(path) {
        return parquet::read_portfolio(path);
    }
    let portfolio = if is_stdin(path) {
        parse_portfolio_csv(&read_to_string(path)?, Path::new("<stdin>"))
    } else {
        read_portfolio_csv(path)
    };
    portfolio.map_err(CliError::from)
}

#[cfg(feature = "parquet")]
mod parquet {
    use std::path::Path;

    use finkit::schema::arrow::RecordBatch;
    use finkit::schema::{CsvOptions, Dataset, Portfolio};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use crate::error::CliError;

    /// Rows read from one Parquet file at most, so a huge file is refused before memory is taken.
    pub(super) const MAX_ROWS: i64 = 50_000_000;

    fn bad(path: &Path, e: impl std::fmt::Display) -> CliError {
        CliError::input(format!("{}: {e}", path.display()))
    }

    /// The whole file as one record batch.
    pub(super) fn read_batch(path: &Path) -> Result<RecordBatch, CliError> {
        let file = super::open_file(path)?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| bad(path, format!("not a readable Parquet file: {e}")))?;
        let rows = builder.metadata().file_metadata().num_rows();
        if rows > MAX_ROWS {
            return Err(bad(
                path,
                format!("{rows} rows, more than the {MAX_ROWS} this command reads"),
            ));
        }
        let schema = builder.schema().clone();
        let reader = builder.build().map_err(|e| bad(path, e))?;
        let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| bad(path, e))?;
        arrow::compute::concat_batches(&schema, &batches).map_err(|e| bad(path, e))
    }

    pub(super) fn read_dataset(path: &Path, options: &CsvOptions) -> Result<Dataset, CliError> {
        if !options.categorical.is_empty() || !options.numeric.is_empty() {
            return Err(bad(
                path,
                "column kinds come from the Parquet types; cast columns instead",
            ));
        }
        let batch = read_batch(path)?;
        Dataset::from_record_batch(&batch, options.target.as_deref()).map_err(|e| bad(path, e))
    }

    pub(super) fn read_portfolio(path: &Path) -> Result<Portfolio, CliError> {
        let batch = read_batch(path)?;
        finkit::risk::portfolio::portfolio_from_record_batch(&batch).map_err(|e| bad(path, e))
    }
}

#[cfg(feature = "parquet")]
fn open_file(path: &Path) -> Result<std::fs::File, CliError> {
    if is_stdin(path) {
        return Err(CliError::input("Parquet cannot be read from standard input; give a file"));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::input(format!("{}: cannot open: {e}", path.display())))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(CliError::input(format!("{}: is a directory, not a file", path.display())));
    }
    Ok(file)
}

#[cfg(not(feature = "parquet"))]
mod parquet {
    use std::path::Path;

    use finkit::schema::{CsvOptions, Dataset, Portfolio};

    use crate::error::CliError;

    fn unsupported(path: &Path) -> CliError {
        CliError::input(format!(
            "{}: Parquet input needs the `parquet` feature (cargo install finkit-cli --features parquet)",
            path.display()
        ))
    }

    pub(super) fn read_dataset(path: &Path, _: &CsvOptions) -> Result<Dataset, CliError> {
        Err(unsupported(path))
    }

    pub(super) fn read_portfolio(path: &Path) -> Result<Portfolio, CliError> {
        Err(unsupported(path))
    }
}
