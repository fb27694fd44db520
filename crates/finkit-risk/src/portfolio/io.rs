//! Reading a credit portfolio from the reference CSV layout.

use std::io::Read;
use std::path::Path;

use finkit_schema::csv_input::{CsvRecords, StringRecord};
use finkit_schema::{Portfolio, PortfolioColumns, SchemaError};

use crate::RiskError;

/// The header of the credit portfolio CSV layout, in order.
pub const PORTFOLIO_CSV_HEADER: [&str; 8] =
    ["obligor_id", "sector", "grade", "pd", "lgd", "ead_eur_m", "sales_eur_m", "maturity_y"];

/// Reads a portfolio from a CSV file with the header
/// `obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y`.
///
/// EAD and sales are in EUR m (the unit the IRB SME adjustment expects); an empty `grade` or
/// `sales_eur_m` cell means "unknown". Column order must be as above.
///
/// # Errors
///
/// [`RiskError::Schema`] wrapping [`SchemaError::Io`] when the file cannot be read, or
/// [`SchemaError::Csv`] naming the file, line and column of a bad header or cell; and the
/// validation errors of [`Portfolio::new`] (a PD outside [0, 1], a negative EAD, …).
pub fn read_portfolio_csv(path: impl AsRef<Path>) -> Result<Portfolio, RiskError> {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .map_err(|source| SchemaError::Io { path: path.to_path_buf(), source })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        let source = std::io::Error::other("is a directory, not a file");
        return Err(SchemaError::Io { path: path.to_path_buf(), source }.into());
    }
    parse_reader(file, path)
}

/// Parses the CSV layout of [`read_portfolio_csv`] from text (`path` only labels errors).
///
/// # Errors
///
/// As [`read_portfolio_csv`].
pub fn parse_portfolio_csv(text: &str, path: &Path) -> Result<Portfolio, RiskError> {
    parse_reader(text.as_bytes(), path)
}

fn parse_reader<R: Read>(reader: R, path: &Path) -> Result<Portfolio, RiskError> {
    // The shared line-aware reader bounds a record's length (exit 2 naming the line, never a
    // hang on `/dev/zero`), strips a BOM, trims cells and gives true line numbers.
    let mut rows = CsvRecords::new(reader, path);
    let err = |line: u64, column: &str, message: String| -> RiskError {
        SchemaError::Csv { path: path.to_path_buf(), line, column: column.to_string(), message }
            .into()
    };
    let mut rec = StringRecord::new();
    let header = match rows.next_record(&mut rec)? {
        Some(_) => rec.clone(),
        None => StringRecord::new(),
    };
    let names: Vec<&str> = header.iter().collect();
    if names != PORTFOLIO_CSV_HEADER {
        return Err(err(
            1,
            "",
            format!("header must be {}, got {}", PORTFOLIO_CSV_HEADER.join(","), names.join(",")),
        ));
    }
    let mut c = PortfolioColumns::default();
    while let Some(line) = rows.next_record(&mut rec)? {
        let rec = &rec;
        let num = |k: usize| -> Result<f64, RiskError> {
            let cell = rec.get(k).unwrap_or("");
            let v: f64 = cell.parse().map_err(|_| {
                err(line, PORTFOLIO_CSV_HEADER[k], format!("not a number: {cell:?}"))
            })?;
            if !v.is_finite() {
                return Err(err(
                    line,
                    PORTFOLIO_CSV_HEADER[k],
                    format!("must be finite, got {cell:?}"),
                ));
            }
            Ok(v)
        };
        let text_cell = |k: usize| rec.get(k).unwrap_or("").to_string();
        let id = text_cell(0);
        if id.is_empty() {
            return Err(err(line, "obligor_id", "empty obligor id".into()));
        }
        let (pd, lgd, ead, mat) = (num(3)?, num(4)?, num(5)?, num(7)?);
        for (k, v, ok) in [
            (3, pd, (0.0..=1.0).contains(&pd)),
            (4, lgd, (0.0..=1.0).contains(&lgd)),
            (5, ead, ead >= 0.0),
            (7, mat, mat > 0.0 && mat <= 100.0),
        ] {
            if !ok {
                return Err(err(line, PORTFOLIO_CSV_HEADER[k], format!("out of range: {v}")));
            }
        }
        let grade = text_cell(2);
        let sales = if rec.get(6).unwrap_or("").is_empty() { None } else { Some(num(6)?) };
        if let Some(s) = sales
            && s < 0.0
        {
            return Err(err(line, "sales_eur_m", format!("out of range: {s}")));
        }
        c.ids.push(id);
        c.sectors.push(text_cell(1));
        c.grades.push(if grade.is_empty() { None } else { Some(grade) });
        c.pd.push(pd);
        c.lgd.push(lgd);
        c.ead.push(ead);
        c.annual_sales.push(sales);
        c.maturity.push(mat);
    }
    if c.ids.is_empty() {
        return Err(RiskError::Empty("portfolio file"));
    }
    Ok(Portfolio::new(c)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_line_and_column() {
        let ok = "obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y\nA,X,3,0.01,0.45,2.5,,1.0\n";
        let p = parse_portfolio_csv(ok, Path::new("p.csv")).unwrap();
        assert_eq!(p.annual_sales()[0], None);
        let bad = "obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y\nA,X,3,0.01,0.45,2.5,,1.0\nB,X,3,1.5,0.45,2.5,,1.0\n";
        let e = parse_portfolio_csv(bad, Path::new("p.csv")).unwrap_err().to_string();
        assert!(
            e.contains("p.csv") && e.contains("line 3") && e.contains("pd") && e.contains("1.5"),
            "{e}"
        );
        let e = parse_portfolio_csv(&bad.replace('\n', "\r\n"), Path::new("p.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "CRLF keeps the line number: {e}");
        let p = parse_portfolio_csv(&ok.replace('\n', "\r\n"), Path::new("p.csv")).unwrap();
        assert_eq!(p.maturity()[0], 1.0);
        let e = parse_portfolio_csv("a,b\n", Path::new("p.csv")).unwrap_err().to_string();
        assert!(e.contains("header"), "{e}");
        let e = read_portfolio_csv("/nonexistent/x.csv").unwrap_err().to_string();
        assert!(e.contains("/nonexistent/x.csv"), "{e}");
    }

    const HEAD: &str = "obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y\n";

    #[test]
    fn bom_crlf_and_a_trailing_blank_line_read_as_unix_text() {
        let body = "A,X,3,0.01,0.45,2.5,,1.0\nB,Y,,0.02,0.4,1.5,3,2.0\n";
        let unix = parse_portfolio_csv(&format!("{HEAD}{body}"), Path::new("p.csv")).unwrap();
        let windows = format!("\u{feff}{HEAD}{body}\n").replace('\n', "\r\n");
        assert_eq!(parse_portfolio_csv(&windows, Path::new("p.csv")).unwrap(), unix);
    }

    #[test]
    fn lines_after_a_quoted_multi_line_cell_are_exact() {
        let text = format!("{HEAD}\"A\n1\",X,3,0.01,0.45,2.5,,1.0\nB,X,3,7,0.45,2.5,,1.0\n");
        let e = parse_portfolio_csv(&text, Path::new("p.csv")).unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("pd"), "{e}");
    }

    #[test]
    fn an_endless_line_is_refused_naming_it() {
        use std::io::Read;
        let input = HEAD.as_bytes().chain(std::io::repeat(b'1').take(3 << 20));
        let e = parse_reader(input, Path::new("z.csv")).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("longer than the limit"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = read_portfolio_csv("/dev/zero").unwrap_err().to_string();
            assert!(e.contains("line 1") && e.contains("longer than the limit"), "{e}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]
        /// Arbitrary bytes after a valid header (or none): an error or a valid portfolio, never
        /// a panic.
        #[test]
        fn arbitrary_bytes_never_panic(
            header in proptest::prelude::any::<bool>(),
            body in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b",".to_vec()),
                    proptest::strategy::Just(b"\n".to_vec()),
                    proptest::strategy::Just(b"\"".to_vec()),
                    proptest::strategy::Just(b"0.5".to_vec()),
                    proptest::strategy::Just(b"\r\n".to_vec()),
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 1..6),
                ],
                0..40,
            ),
        ) {
            let mut bytes = if header { HEAD.as_bytes().to_vec() } else { Vec::new() };
            bytes.extend(body.concat());
            if let Ok(p) = parse_reader(bytes.as_slice(), Path::new("fuzz.csv")) {
                proptest::prop_assert!(!p.is_empty());
            }
        }
    }
}
