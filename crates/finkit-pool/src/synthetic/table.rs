//! The synthetic data as a modelling table, ready for scorecard fitting.

use std::collections::HashMap;

use finkit_schema::ndarray::Array1;
use finkit_schema::{Column, Dataset, FinancialRatios, FinancialStatement};

use super::SyntheticDataset;
use crate::PoolError;

impl SyntheticDataset {
    /// One row per firm (in the order of [`SyntheticDataset::firms`]) with what a bank knew on
    /// the as-of date, and the target `default`: 1 when the firm defaults in the performance
    /// year.
    ///
    /// Columns: the sixteen [`FinancialRatios`] of the firm's latest statement (its latest
    /// version, so restatements published by the as-of date count; growth ratios against the
    /// year before), then `log_total_assets`, `years_in_business` and `tech_innovative` (0/1)
    /// as numbers and `industry` (the NACE code) as a category. A ratio that is undefined (a
    /// zero denominator, no prior year) is missing (`NaN`).
    ///
    /// # Errors
    ///
    /// [`PoolError::Schema`] when the data set has no firms.
    pub fn scoring_table(&self) -> Result<Dataset, PoolError> {
        // Statements are sorted by firm, period end and availability, so the last one seen per
        // firm is its latest version of its latest period, and the one per earlier period is
        // kept as the prior year.
        let mut latest: HashMap<&str, (&FinancialStatement, Option<&FinancialStatement>)> =
            HashMap::with_capacity(self.firms.len());
        for s in &self.statements {
            let entry = latest.entry(s.firm_id.as_str()).or_insert((s, None));
            if entry.0.period_end < s.period_end {
                *entry = (s, Some(entry.0));
            } else {
                entry.0 = s;
            }
        }
        let names: Vec<&'static str> =
            FinancialRatios::default().entries().iter().map(|(name, _)| *name).collect();
        let mut numeric: Vec<Vec<f64>> =
            vec![Vec::with_capacity(self.firms.len()); names.len() + 3];
        let mut industry = Vec::with_capacity(self.firms.len());
        let mut target = Vec::with_capacity(self.firms.len());
        for (firm, truth) in self.firms.iter().zip(&self.truth) {
            let statement = latest.get(firm.id.as_str());
            let ratios =
                statement.map(|(s, prior)| FinancialRatios::compute(s, *prior)).unwrap_or_default();
            for (column, (_, value)) in numeric.iter_mut().zip(ratios.entries()) {
                column.push(value.unwrap_or(f64::NAN));
            }
            let assets = statement.map_or(f64::NAN, |(s, _)| s.total_assets);
            let k = names.len();
            numeric[k].push(if assets > 0.0 { assets.ln() } else { f64::NAN });
            numeric[k + 1].push(f64::from(firm.years_in_business(self.as_of)));
            numeric[k + 2].push(if firm.tech.is_tech_innovative() { 1.0 } else { 0.0 });
            industry.push(Some(firm.industry.code.clone()));
            target.push(if truth.defaulted { 1.0 } else { 0.0 });
        }
        let mut columns: Vec<(String, Column)> = names
            .iter()
            .map(|n| (*n).to_owned())
            .chain(["log_total_assets", "years_in_business", "tech_innovative"].map(str::to_owned))
            .zip(numeric.into_iter().map(|v| Column::Numeric(Array1::from(v))))
            .collect();
        columns.push(("industry".to_owned(), Column::Categorical(industry)));
        Ok(Dataset::new(columns, Some(("default".to_owned(), Array1::from(target))))?)
    }
}

#[cfg(test)]
mod tests {
    use crate::synthetic::SyntheticParams;

    #[test]
    fn one_row_per_firm_with_the_defaults_as_target() {
        let data = SyntheticParams::builder().with_firms(400).build().unwrap().generate().unwrap();
        let table = data.scoring_table().unwrap();
        assert_eq!(table.n_rows(), 400);
        assert_eq!(table.summary().events, Some(data.summary().defaults));
        assert_eq!(table.feature_names().len(), 20);
        let leverage = table.numeric("leverage").unwrap();
        assert!(leverage.iter().all(|v| v.is_finite() && *v > 0.0));
        let growth = table.numeric("revenue_growth").unwrap();
        assert!(
            growth.iter().filter(|v| v.is_finite()).count() > 300,
            "most firms have a prior year"
        );
    }
}
