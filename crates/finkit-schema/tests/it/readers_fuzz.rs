//! Arbitrary bytes to every reader of this crate: never a panic, and input without line breaks
//! stops at the shared line limit instead of taking memory without bound.

use std::io::Read;

use finkit_schema::limits::{BoundedReader, MAX_LINE_BYTES, limit_exceeded, read_document};
use finkit_schema::{CsvOptions, Dataset, SchemaError};
use proptest::prelude::*;

/// Bytes that look like CSV often enough to reach deep into the reader (the workspace's shared
/// alphabet, plus `NA`).
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    finkit_schema::testkit::csvish(&[b"NA"], "[a-z0-9.]{1,6}", 60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn dataset_reader_never_panics(bytes in csvish(), target in any::<bool>()) {
        let options = if target { CsvOptions::default().with_target("y") } else { CsvOptions::default() };
        if let Ok(d) = Dataset::from_reader(bytes.as_slice(), "fuzz.csv", &options) {
            prop_assert!(d.n_rows() > 0);
        }
    }

    #[test]
    fn bounded_reader_hands_out_the_input_less_bom_and_cr(bytes in csvish()) {
        let mut out = Vec::new();
        BoundedReader::csv(bytes.as_slice(), b',').read_to_end(&mut out).expect("short input");
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
        prop_assert_eq!(String::from_utf8_lossy(&out), text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// A prefix, then an endless run without a line break: always an error (so the read
    /// stopped: the run never ends), naming a line when it is the limit that stopped it.
    #[test]
    fn an_endless_line_is_refused(prefix in csvish(), fill in prop_oneof![Just(0u8), Just(b'7'), Just(b'"')]) {
        let input = prefix.as_slice().chain(std::io::repeat(fill));
        match Dataset::from_reader(input, "fuzz.csv", &CsvOptions::default()) {
            Err(SchemaError::Csv { line, message, .. }) => {
                prop_assert!(line >= 1);
                if message.contains("longer than the limit") {
                    prop_assert!(message.contains(&format!("{MAX_LINE_BYTES} bytes")), "{}", message);
                }
            }
            other => prop_assert!(false, "expected an error, got {:?}", other.map(|d| d.n_rows())),
        }
    }
}

#[test]
fn dev_zero_is_refused_by_every_reader_of_the_crate() {
    let zero = std::path::Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let err = Dataset::from_csv(zero, &CsvOptions::default()).expect_err("/dev/zero");
    assert!(matches!(err, SchemaError::Csv { line: 1, .. }), "{err}");
    let err = read_document(zero).expect_err("/dev/zero");
    assert!(limit_exceeded(&err).is_some(), "{err}");
}
