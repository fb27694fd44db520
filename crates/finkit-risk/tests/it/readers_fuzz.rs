//! Arbitrary bytes to every file reader of this crate (portfolio, price column, transition
//! matrix): never a panic, and an endless line stops at the shared line limit naming its line.

use std::io::Read;

use finkit_risk::market::read_price_column;
use finkit_risk::portfolio::parse_portfolio_csv;
use finkit_risk::transition::read_matrix_csv;
use proptest::prelude::*;

/// Bytes that look like CSV often enough to reach deep into the readers (the workspace's shared
/// alphabet, plus a probability and the portfolio header).
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    finkit_schema::testkit::csvish(
        &[b"0.5", b"obligor_id,sector,grade,pd,lgd,ead_eur_m,sales_eur_m,maturity_y\n"],
        "[a-z0-9.]{1,6}",
        60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn readers_never_panic(bytes in csvish()) {
        if let Ok(m) = read_matrix_csv(bytes.as_slice(), "m.csv") {
            prop_assert!(m.matrix.iter().all(|p| (0.0..=1.0).contains(p)));
            prop_assert_eq!(m.matrix.nrows(), m.labels.len());
        }
        if let Ok(c) = read_price_column(bytes.as_slice(), "p.csv", None) {
            prop_assert!(c.prices.len() >= 2 && c.prices.iter().all(|p| p.is_finite() && *p > 0.0));
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_portfolio_csv(&text, std::path::Path::new("b.csv"));
    }
}

#[test]
fn an_endless_line_is_refused_by_every_reader() {
    let endless = || b"a,b,c\n".chain(std::io::repeat(b'7'));
    let e = read_matrix_csv(endless(), "m.csv").unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("longer than the limit"), "{e}");
    let e = read_price_column(endless(), "p.csv", None).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("longer than the limit"), "{e}");
}
