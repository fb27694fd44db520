//! CSV files of a synthetic data set, in the layouts the pool's ingestion reads.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::SyntheticDataset;
use crate::{EntityKind, PoolError};

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

/// A snake_case enum name through the type's serde representation, as ingestion parses it.
fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
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
    fn create(dir: &Path, name: &str, header: &[&str]) -> Result<Sheet, PoolError> {
        let path = dir.join(name);
        let file =
            File::create(&path).map_err(|source| PoolError::Io { path: path.clone(), source })?;
        let mut sheet = Sheet { path, csv: csv::Writer::from_writer(BufWriter::new(file)) };
        sheet.row(header.iter().copied())?;
        Ok(sheet)
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
        let mut sheet = Sheet::create(
            dir,
            "firms.csv",
            &[
                "id",
                "name",
                "registration_number",
                "industry_scheme",
                "industry_code",
                "region",
                "founded",
                "employees",
                "high_tech_certified",
                "certification_date",
                "rd_expense",
                "rd_staff_share",
                "patents_invention",
                "patents_utility_model",
                "patents_design",
                "software_copyrights",
                "venture_funding",
                "contact_name",
                "contact_email",
                "contact_phone",
            ],
        )?;
        for f in &self.firms {
            let t = &f.tech;
            sheet.row([
                f.id.to_string(),
                f.name.clone(),
                f.registration_number.clone(),
                name_of(&f.industry.scheme),
                f.industry.code.clone(),
                f.region.clone(),
                f.founded.to_string(),
                f.employees.to_string(),
                t.high_tech_certified.to_string(),
                opt(t.certification_date),
                t.rd_expense.to_string(),
                t.rd_staff_share.to_string(),
                t.patents.invention.to_string(),
                t.patents.utility_model.to_string(),
                t.patents.design.to_string(),
                t.software_copyrights.to_string(),
                t.venture_funding.to_string(),
                opt(f.contact_name.as_ref()),
                opt(f.contact_email.as_ref()),
                opt(f.contact_phone.as_ref()),
            ])?;
        }
        sheet.finish()
    }

    fn write_statements(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut header = vec!["firm_id", "period_end", "available_at", "currency", "unit"];
        header.extend(crate::ingest::STATEMENT_AMOUNTS.iter().copied());
        let mut sheet = Sheet::create(dir, "statements.csv", &header)?;
        for s in &self.statements {
            let mut cells = vec![
                s.firm_id.to_string(),
                s.period_end.to_string(),
                s.available_at.to_string(),
                s.currency.to_string(),
                name_of(&s.unit),
            ];
            let amounts = s.amounts();
            for &name in crate::ingest::STATEMENT_AMOUNTS {
                let value = amounts.iter().find(|(field, _)| *field == name).map(|(_, v)| *v);
                cells.push(opt(value));
            }
            sheet.row(cells)?;
        }
        sheet.finish()
    }

    fn write_applications(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut sheet = Sheet::create(
            dir,
            "applications.csv",
            &[
                "id",
                "firm_id",
                "application_date",
                "amount",
                "currency",
                "tenor",
                "product",
                "purpose",
                "collateral",
                "guarantees",
            ],
        )?;
        for a in &self.applications {
            let json = |value: Result<String, serde_json::Error>| {
                value.map_err(|e| PoolError::Io {
                    path: dir.join("applications.csv"),
                    source: std::io::Error::other(e),
                })
            };
            sheet.row([
                a.id.to_string(),
                a.firm_id.to_string(),
                a.application_date.to_string(),
                a.amount.to_string(),
                a.currency.to_string(),
                a.tenor.to_string(),
                name_of(&a.product),
                a.purpose.clone(),
                json(serde_json::to_string(&a.collateral))?,
                json(serde_json::to_string(&a.guarantees))?,
            ])?;
        }
        sheet.finish()
    }

    fn write_exposures(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut sheet = Sheet::create(
            dir,
            "exposures.csv",
            &[
                "loan_id",
                "firm_id",
                "pd",
                "lgd",
                "ead",
                "maturity",
                "sector",
                "annual_sales",
                "rating",
                "currency",
            ],
        )?;
        for e in &self.exposures {
            sheet.row([
                e.loan_id.to_string(),
                e.firm_id.to_string(),
                e.pd.to_string(),
                e.lgd.to_string(),
                e.ead.to_string(),
                e.maturity.to_string(),
                e.sector.clone(),
                opt(e.annual_sales),
                opt(e.rating.as_ref()),
                e.currency.to_string(),
            ])?;
        }
        sheet.finish()
    }

    fn write_events(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut sheet = Sheet::create(dir, "credit_events.csv", &["firm_id", "kind", "date"])?;
        for e in &self.events {
            sheet.row([e.firm_id.to_string(), name_of(&e.kind), e.date.to_string()])?;
        }
        sheet.finish()
    }

    fn write_prices(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut sheet = Sheet::create(dir, "prices.csv", &["instrument", "date", "price"])?;
        for series in &self.prices {
            let instrument = series.instrument().to_string();
            for (date, price) in series.dates().iter().zip(series.prices()) {
                sheet.row([instrument.clone(), date.to_string(), price.to_string()])?;
            }
        }
        sheet.finish()
    }

    fn write_truth(&self, dir: &Path) -> Result<PathBuf, PoolError> {
        let mut sheet = Sheet::create(
            dir,
            "synthetic_truth.csv",
            &[
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
