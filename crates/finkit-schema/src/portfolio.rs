//! The columnar portfolio view that the risk models read.

use ndarray::{Array1, ArrayView1};

use crate::{Exposure, SchemaError, Validate};

/// The columns of a portfolio before validation; see [`Portfolio::new`].
///
/// Every column has one entry per facility, in the same order.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PortfolioColumns {
    /// Facility (or obligor) identifiers, unique.
    pub ids: Vec<String>,
    /// Sector of each obligor.
    pub sectors: Vec<String>,
    /// Rating grade of each obligor, where known.
    pub grades: Vec<Option<String>>,
    /// One-year probability of default, in `[0, 1]`.
    pub pd: Vec<f64>,
    /// Loss given default, in `[0, 1]`.
    pub lgd: Vec<f64>,
    /// Exposure at default, `≥ 0`.
    pub ead: Vec<f64>,
    /// Effective maturity in years, in `(0, 100]`.
    pub maturity: Vec<f64>,
    /// Annual sales of the obligor in millions (for the Basel SME adjustment), where known.
    pub annual_sales: Vec<Option<f64>>,
}

/// A validated loan portfolio stored column by column, so models run over contiguous arrays.
///
/// Built once from [`Exposure`]s or from columns; after construction every PD and LGD is in
/// `[0, 1]`, every EAD is finite and non-negative, every maturity is in `(0, 100]`, every sales
/// figure is finite and non-negative, ids are unique, and all columns have the same length.
///
/// ```
/// use finkit_schema::{Portfolio, PortfolioColumns};
/// let portfolio = Portfolio::new(PortfolioColumns {
///     ids: vec!["A".into(), "B".into()],
///     sectors: vec!["TECH".into(), "RETAIL".into()],
///     grades: vec![None, None],
///     pd: vec![0.01, 0.02],
///     lgd: vec![0.45, 0.45],
///     ead: vec![100.0, 50.0],
///     maturity: vec![2.5, 1.0],
///     annual_sales: vec![Some(30.0), None],
/// })?;
/// assert_eq!(portfolio.len(), 2);
/// assert_eq!(portfolio.total_ead(), 150.0);
/// # Ok::<(), finkit_schema::SchemaError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "PortfolioColumns", into = "PortfolioColumns"))]
pub struct Portfolio {
    ids: Vec<String>,
    sectors: Vec<String>,
    grades: Vec<Option<String>>,
    pd: Array1<f64>,
    lgd: Array1<f64>,
    ead: Array1<f64>,
    maturity: Array1<f64>,
    annual_sales: Vec<Option<f64>>,
}

fn check_column(
    what: &'static str,
    range: &'static str,
    values: &[f64],
    ok: impl Fn(f64) -> bool,
) -> Result<(), SchemaError> {
    for &v in values {
        if !v.is_finite() {
            return Err(SchemaError::NonFinite { what, value: v });
        }
        if !ok(v) {
            return Err(SchemaError::OutOfRange { what, range, value: v });
        }
    }
    Ok(())
}

impl Portfolio {
    /// Validates the columns and builds the portfolio.
    ///
    /// # Errors
    ///
    /// [`SchemaError::LengthMismatch`] when columns differ in length,
    /// [`SchemaError::NonFinite`] / [`SchemaError::OutOfRange`] for a bad number, and
    /// [`SchemaError::InvalidText`] for a duplicate id.
    pub fn new(columns: PortfolioColumns) -> Result<Portfolio, SchemaError> {
        let n = columns.ids.len();
        for (what, len) in [
            ("sectors", columns.sectors.len()),
            ("grades", columns.grades.len()),
            ("pd", columns.pd.len()),
            ("lgd", columns.lgd.len()),
            ("ead", columns.ead.len()),
            ("maturity", columns.maturity.len()),
            ("annual_sales", columns.annual_sales.len()),
        ] {
            if len != n {
                return Err(SchemaError::LengthMismatch {
                    what: what.into(),
                    expected: n,
                    found: len,
                });
            }
        }
        check_column("probability of default", "[0, 1]", &columns.pd, |v| {
            (0.0..=1.0).contains(&v)
        })?;
        check_column("loss given default", "[0, 1]", &columns.lgd, |v| (0.0..=1.0).contains(&v))?;
        check_column("exposure at default", "[0, inf)", &columns.ead, |v| v >= 0.0)?;
        check_column("maturity in years", "(0, 100]", &columns.maturity, |v| {
            v > 0.0 && v <= 100.0
        })?;
        let sales: Vec<f64> = columns.annual_sales.iter().flatten().copied().collect();
        check_column("annual sales", "[0, inf)", &sales, |v| v >= 0.0)?;
        let mut seen = std::collections::HashSet::with_capacity(n);
        for id in &columns.ids {
            if !seen.insert(id.as_str()) {
                return Err(SchemaError::InvalidText {
                    what: "portfolio id",
                    value: id.clone(),
                    reason: "appears more than once",
                });
            }
        }
        Ok(Portfolio {
            ids: columns.ids,
            sectors: columns.sectors,
            grades: columns.grades,
            pd: Array1::from(columns.pd),
            lgd: Array1::from(columns.lgd),
            ead: Array1::from(columns.ead),
            maturity: Array1::from(columns.maturity),
            annual_sales: columns.annual_sales,
        })
    }

    /// Builds a portfolio from loan-book exposures, checking each one's rules first.
    ///
    /// # Errors
    ///
    /// [`SchemaError::Invalid`] for an exposure that breaks a rule, or a duplicate loan id.
    pub fn from_exposures(exposures: &[Exposure]) -> Result<Portfolio, SchemaError> {
        let mut c = PortfolioColumns::default();
        for e in exposures {
            e.check()?;
            c.ids.push(e.loan_id.to_string());
            c.sectors.push(e.sector.clone());
            c.grades.push(e.rating.clone());
            c.pd.push(e.pd.get());
            c.lgd.push(e.lgd.get());
            c.ead.push(e.ead.get());
            c.maturity.push(e.maturity.get());
            c.annual_sales.push(e.annual_sales.map(f64::from));
        }
        Portfolio::new(c)
    }

    /// A copy with new probabilities of default (for example, from a scoring model).
    ///
    /// # Errors
    ///
    /// [`SchemaError::LengthMismatch`] or a PD outside `[0, 1]`.
    pub fn with_pd(self, pd: Array1<f64>) -> Result<Portfolio, SchemaError> {
        let mut columns = PortfolioColumns::from(self);
        columns.pd = pd.to_vec();
        Portfolio::new(columns)
    }

    /// Number of facilities.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// Whether the portfolio is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Facility identifiers.
    #[must_use]
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
    /// Sectors.
    #[must_use]
    pub fn sectors(&self) -> &[String] {
        &self.sectors
    }
    /// Rating grades.
    #[must_use]
    pub fn grades(&self) -> &[Option<String>] {
        &self.grades
    }
    /// Probabilities of default.
    #[must_use]
    pub fn pd(&self) -> ArrayView1<'_, f64> {
        self.pd.view()
    }
    /// Losses given default.
    #[must_use]
    pub fn lgd(&self) -> ArrayView1<'_, f64> {
        self.lgd.view()
    }
    /// Exposures at default.
    #[must_use]
    pub fn ead(&self) -> ArrayView1<'_, f64> {
        self.ead.view()
    }
    /// Effective maturities in years.
    #[must_use]
    pub fn maturity(&self) -> ArrayView1<'_, f64> {
        self.maturity.view()
    }
    /// Annual sales in millions, where known.
    #[must_use]
    pub fn annual_sales(&self) -> &[Option<f64>] {
        &self.annual_sales
    }
    /// Sum of exposures at default.
    #[must_use]
    pub fn total_ead(&self) -> f64 {
        self.ead.sum()
    }
    /// The distinct sectors in order of first appearance, and each facility's index into them.
    #[must_use]
    pub fn sector_codes(&self) -> (Vec<String>, Vec<usize>) {
        let mut names: Vec<String> = Vec::new();
        let mut codes = Vec::with_capacity(self.len());
        for s in &self.sectors {
            let code = match names.iter().position(|n| n == s) {
                Some(i) => i,
                None => {
                    names.push(s.clone());
                    names.len() - 1
                }
            };
            codes.push(code);
        }
        (names, codes)
    }
}

impl From<Portfolio> for PortfolioColumns {
    fn from(p: Portfolio) -> Self {
        PortfolioColumns {
            ids: p.ids,
            sectors: p.sectors,
            grades: p.grades,
            pd: p.pd.to_vec(),
            lgd: p.lgd.to_vec(),
            ead: p.ead.to_vec(),
            maturity: p.maturity.to_vec(),
            annual_sales: p.annual_sales,
        }
    }
}

impl TryFrom<PortfolioColumns> for Portfolio {
    type Error = SchemaError;
    fn try_from(columns: PortfolioColumns) -> Result<Self, SchemaError> {
        Portfolio::new(columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> PortfolioColumns {
        PortfolioColumns {
            ids: vec!["a".into(), "b".into()],
            sectors: vec!["x".into(), "y".into()],
            grades: vec![None, Some("5".into())],
            pd: vec![0.01, 0.2],
            lgd: vec![0.4, 0.6],
            ead: vec![1.0, 2.0],
            maturity: vec![1.0, 3.0],
            annual_sales: vec![None, Some(10.0)],
        }
    }

    #[test]
    fn rejects_each_kind_of_bad_column() {
        assert!(Portfolio::new(columns()).is_ok());
        let mut c = columns();
        c.pd[1] = 1.7;
        assert!(matches!(Portfolio::new(c), Err(SchemaError::OutOfRange { .. })));
        let mut c = columns();
        c.ead[0] = -1.0;
        assert!(matches!(Portfolio::new(c), Err(SchemaError::OutOfRange { .. })));
        let mut c = columns();
        c.lgd[0] = f64::NAN;
        assert!(matches!(Portfolio::new(c), Err(SchemaError::NonFinite { .. })));
        let mut c = columns();
        c.maturity.pop();
        assert!(matches!(Portfolio::new(c), Err(SchemaError::LengthMismatch { .. })));
        let mut c = columns();
        c.ids[1] = "a".into();
        assert!(matches!(Portfolio::new(c), Err(SchemaError::InvalidText { .. })));
    }

    #[test]
    fn sector_codes_follow_first_appearance() {
        let mut c = columns();
        c.ids.push("c".into());
        c.sectors.push("x".into());
        c.grades.push(None);
        c.pd.push(0.1);
        c.lgd.push(0.1);
        c.ead.push(0.1);
        c.maturity.push(1.0);
        c.annual_sales.push(None);
        let p = Portfolio::new(c).unwrap();
        assert_eq!(p.sector_codes(), (vec!["x".to_string(), "y".to_string()], vec![0, 1, 0]));
    }
}
