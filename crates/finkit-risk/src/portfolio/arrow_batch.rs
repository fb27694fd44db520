//! A credit portfolio from an Arrow record batch (feature `arrow`), with the columns of the CSV
//! layout ([`PORTFOLIO_CSV_HEADER`]) found by name.

use finkit_schema::arrow::{RecordBatch, column, numbers, texts};
use finkit_schema::{Portfolio, PortfolioColumns, SchemaError};

use super::io::PORTFOLIO_CSV_HEADER;
use crate::RiskError;

fn bad(column: &str, message: String) -> RiskError {
    SchemaError::Arrow { column: column.to_owned(), message }.into()
}

/// Builds a portfolio from an Arrow record batch with the columns of [`PORTFOLIO_CSV_HEADER`]
/// (`obligor_id`, `sector`, `grade`, `pd`, `lgd`, `ead_eur_m`, `sales_eur_m`, `maturity_y`), in
/// any order; other columns are ignored.
///
/// Text columns may be `Utf8`, `LargeUtf8`, `Utf8View` or dictionaries of them; numbers any
/// integer or float type. A null `grade` or `sales_eur_m` means "unknown" (as an empty CSV cell
/// does); a null anywhere else is an error.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{ArrayRef, Float64Array, StringArray};
/// use arrow::record_batch::RecordBatch;
/// use finkit_risk::portfolio::portfolio_from_record_batch;
///
/// let text = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
/// let num = |v: Vec<Option<f64>>| Arc::new(Float64Array::from(v)) as ArrayRef;
/// let batch = RecordBatch::try_from_iter([
///     ("obligor_id", text(vec![Some("A"), Some("B")])),
///     ("sector", text(vec![Some("TECH"), Some("RETAIL")])),
///     ("grade", text(vec![Some("3"), None])),
///     ("pd", num(vec![Some(0.01), Some(0.02)])),
///     ("lgd", num(vec![Some(0.45), Some(0.45)])),
///     ("ead_eur_m", num(vec![Some(100.0), Some(50.0)])),
///     ("sales_eur_m", num(vec![Some(30.0), None])),
///     ("maturity_y", num(vec![Some(2.5), Some(1.0)])),
/// ])?;
/// let portfolio = portfolio_from_record_batch(&batch)?;
/// assert_eq!(portfolio.total_ead(), 150.0);
/// assert_eq!(portfolio.annual_sales()[1], None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`RiskError::Schema`] wrapping [`SchemaError::Arrow`] naming the column for a missing
/// column, a wrong type, a null in a required column, a value out of range or an empty id;
/// [`RiskError::Empty`] for no rows; and the validation errors of [`Portfolio::new`].
pub fn portfolio_from_record_batch(batch: &RecordBatch) -> Result<Portfolio, RiskError> {
    let [id_name, sector_name, grade_name, pd_name, lgd_name, ead_name, sales_name, mat_name] =
        PORTFOLIO_CSV_HEADER;
    let text = |name: &str| texts(name, column(batch, name)?.as_ref());
    let required_text = |name: &str| -> Result<Vec<String>, RiskError> {
        text(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(s) if !s.is_empty() => Ok(s),
                _ => Err(bad(name, format!("row {row}: null or empty"))),
            })
            .collect()
    };
    let number = |name: &str| numbers(name, column(batch, name)?.as_ref());
    let required = |name: &str, ok: fn(f64) -> bool| -> Result<Vec<f64>, RiskError> {
        number(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(x) if ok(x) => Ok(x),
                Some(x) => Err(bad(name, format!("row {row}: out of range: {x}"))),
                None => Err(bad(name, format!("row {row}: null in a required column"))),
            })
            .collect()
    };
    let unit = |x: f64| (0.0..=1.0).contains(&x);
    let columns = PortfolioColumns {
        ids: required_text(id_name)?,
        sectors: required_text(sector_name)?,
        grades: text(grade_name)?.into_iter().map(|g| g.filter(|s| !s.is_empty())).collect(),
        pd: required(pd_name, unit)?,
        lgd: required(lgd_name, unit)?,
        ead: required(ead_name, |x| x >= 0.0)?,
        maturity: required(mat_name, |x| x > 0.0 && x <= 100.0)?,
        annual_sales: number(sales_name)?,
    };
    if let Some((row, s)) = columns
        .annual_sales
        .iter()
        .enumerate()
        .find_map(|(i, s)| s.filter(|&x| x < 0.0).map(|x| (i, x)))
    {
        return Err(bad(sales_name, format!("row {row}: out of range: {s}")));
    }
    if columns.ids.is_empty() {
        return Err(RiskError::Empty("portfolio record batch"));
    }
    Ok(Portfolio::new(columns)?)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};

    use super::*;
    use crate::portfolio::parse_portfolio_csv;

    fn text(v: Vec<Option<&str>>) -> ArrayRef {
        Arc::new(StringArray::from(v))
    }
    fn num(v: Vec<Option<f64>>) -> ArrayRef {
        Arc::new(Float64Array::from(v))
    }

    fn sample(pd: Vec<Option<f64>>) -> RecordBatch {
        RecordBatch::try_from_iter([
            ("maturity_y", num(vec![Some(1.0), Some(4.0)])),
            ("obligor_id", text(vec![Some("OBL001"), Some("OBL002")])),
            ("sector", text(vec![Some("TECH_INNOVATION"), Some("MANUFACTURING")])),
            ("grade", text(vec![Some("6"), Some("7")])),
            ("pd", num(pd)),
            ("lgd", num(vec![Some(0.65), Some(0.45)])),
            ("ead_eur_m", Arc::new(Int64Array::from(vec![26, 9])) as ArrayRef),
            ("sales_eur_m", num(vec![Some(5.9), None])),
        ])
        .unwrap()
    }

    #[test]
    fn equals_the_csv_reader_on_the_same_rows() {
        let csv = "obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y\n\
                   OBL001,TECH_INNOVATION,6,0.01,0.65,26,5.9,1.0\n\
                   OBL002,MANUFACTURING,7,0.02,0.45,9,,4.0\n";
        let from_csv = parse_portfolio_csv(csv, Path::new("p.csv")).unwrap();
        let from_arrow =
            portfolio_from_record_batch(&sample(vec![Some(0.01), Some(0.02)])).unwrap();
        assert_eq!(from_arrow, from_csv);
    }

    #[test]
    fn errors_name_the_column_and_row() {
        let e =
            portfolio_from_record_batch(&sample(vec![Some(0.01), None])).unwrap_err().to_string();
        assert!(e.contains("\"pd\"") && e.contains("row 1") && e.contains("null"), "{e}");
        let e = portfolio_from_record_batch(&sample(vec![Some(0.01), Some(1.5)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"pd\"") && e.contains("out of range: 1.5"), "{e}");
        let no_lgd = sample(vec![Some(0.01), Some(0.02)]).project(&[0, 1, 2, 3, 4, 6, 7]).unwrap();
        let e = portfolio_from_record_batch(&no_lgd).unwrap_err().to_string();
        assert!(e.contains("\"lgd\"") && e.contains("no such column"), "{e}");
    }
}
