//! CSV files of a synthetic data set, in the layouts the pool's ingestion reads.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::SyntheticDataset;
use crate::table::{Cell, Tabular};
use crate::{EntityKind, PoolError, PriceObservation};

/// The files written by [`SyntheticDataset::write_csv`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticCsvFiles {
    /// `firms.csv`.
    pub firms: PathBuf,
    /// `statements.csv`.
    pub statements: PathBuf,
    /// `applications.csv`.
    pub applications: PathBuf,
    /// `exposures.csv`.
    pub exposures: PathBuf,
    /// `credit_events.csv`.
    pub credit_events: PathBuf,
    /// `prices.csv`, one observation per row.
    pub prices: PathBuf,
    /// `synthetic_truth.csv`: the ground truth per firm (not an ingestible entity).
    pub truth: PathBuf,
}

impl SyntheticCsvFiles {
    /// The ingestible files with their entity kinds, in dependency order (firms first), ready
    /// for `Batch::from_csv_path`.
    #[must_use]
    pub fn by_kind(&self) -> [(EntityKind, &Path); 6] {
        [
            (EntityKind::Firms, &self.firms),
            (EntityKind::Statements, &self.statements),
            (EntityKind::Applications, &self.applications),
            (EntityKind::Exposures, &self.exposures),
            (EntityKind::CreditEvents, &self.credit_events),
            (EntityKind::Prices, &self.prices),
        ]
    }
}

/// Writes one entity's file with the columns of its [`Table`](crate::table::Table).
fn write_table<T: Tabular>(dir: &Path, name: &str, records: &[T]) -> Result<PathBuf, PoolError> {
    let mut sheet = Sheet::create(dir, name, T::TABLE.names())?;
    for record in records {
        sheet.record(record)?;
    }
    sheet.finish()
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// One CSV file being written; errors carry the path.
struct Sheet {
    path: PathBuf,
    csv: csv::Writer<BufWriter<File>>,
}

impl Sheet {
    fn create<'h>(
        dir: &Path,
        name: &str,
        header: impl IntoIterator<Item = &'h str>,
    ) -> Result<Sheet, PoolError> {
        let path = dir.join(name);
        let file =
            File::create(&path).map_err(|source| PoolError::Io { path: path.clone(), source })?;
        let mut sheet = Sheet { path, csv: csv::Writer::from_writer(BufWriter::new(file)) };
        sheet.row(header)?;
        Ok(sheet)
    }

    /// One record as a row of its table's columns, in the CSV text of [`Cell`].
    fn record<T: Tabular>(&mut self, record: &T) -> Result<(), PoolError> {
        let cells = record.to_cells().map_err(|e| PoolError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        self.row(cells.iter().map(Cell::to_string))
    }

    fn row<I, S>(&mut self, cells: I) -> Result<(), PoolError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.csv
            .write_record(cells)
            .map_err(|e| PoolError::Io { path: self.path.clone(), source: e.into() })
    }

    fn finish(self) -> Result<PathBuf, PoolError> {
        let Sheet { path, csv } = self;
        let mut inner = csv
            .into_inner()
            .map_err(|e| PoolError::Io { path: path.clone(), source: e.into_error() })?;
        inner.flush().map_err(|source| PoolError::Io { path: path.clone(), source })?;
        Ok(path)
    }
}

impl SyntheticDataset {
    /// Writes every entity to `dir` (created if missing) as CSV in the pool's ingestion layouts
    /// (see the `ingest` module docs), plus `synthetic_truth.csv` with the ground truth.
    ///
    /// Numbers are written in Rust's shortest round-trip form, so reading the files back gives
    /// the same values bit for bit; collateral and guarantees are JSON arrays in one cell.
    ///
    /// # Errors
    ///
    /// [`PoolError::Io`] naming the file that could not be created or written.
    pub fn write_csv(&self, dir: impl AsRef<Path>) -> Result<SyntheticCsvFiles, PoolError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|source| PoolError::Io { path: dir.to_path_buf(), source })?;
        Ok(SyntheticCsvFiles {
            firms: self.write_firms(dir)?,
            statements: self.write_statements(dir)?,
            applications: self.write_applications(dir)?,
            exposures: self.write_exposures(dir)?,
            credit_events: self.write_events(dir)?,
            prices: self.write_prices(dir)?,
            truth: self.write_truth(dir)?,
        })
    }

    fn write_firms(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        write_table(dir, "firms.csv", &self.firms)
    }

    fn write_statements(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        write_table(dir, "statements.csv", &self.statements)
    }

    fn write_applications(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        write_table(dir, "applications.csv", &self.applications)
    }

    fn write_exposures(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        write_table(dir, "exposures.csv", &self.exposures)
    }

    fn write_events(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        write_table(dir, "credit_events.csv", &self.events)
    }

    fn write_prices(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut sheet = Sheet::create(dir, "prices.csv", PriceObservation::TABLE.names())?;
        for series in &self.prices {
            for (date, price) in series.dates().iter().zip(series.prices()) {
                let observation = PriceObservation {
                    instrument: series.instrument().clone(),
                    date: *date,
                    price: *price,
                };
                sheet.record(&observation)?;
            }
        }
        sheet.finish()
    }

    fn write_truth(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut sheet = Sheet::create(
            dir,
            "synthetic_truth.csv",
            [
                "firm_id",
                "segment",
                "tech",
                "quality",
                "pd",
                "estimated_pd",
                "defaulted",
                "instrument",
            ],
        )?;
        for t in &self.truth {
            sheet.row([
                t.firm_id.to_string(),
                t.segment.to_string(),
                t.tech.to_string(),
                t.quality.to_string(),
                t.pd.to_string(),
                t.estimated_pd.to_string(),
                t.defaulted.to_string(),
                opt(t.instrument.as_ref()),
            ])?;
        }
        sheet.finish()
    }
}
