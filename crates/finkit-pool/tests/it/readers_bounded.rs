//! The pool's file readers against hostile input: unknown JSON keys, byte-order marks, CRLF,
//! endless lines, quoted multi-line cells, out-of-range text and dates, and arbitrary bytes.

use std::io::Read;

use finkit_pool::{
    Batch, EntityKind, IngestMode, PoolError, PoolWrite, Principal, Role, SqlitePool,
};
use finkit_schema::limits::MAX_LINE_BYTES;
use proptest::prelude::*;

fn admin() -> Principal {
    Principal::new("readers-test", Role::Admin)
}

const EXPOSURE: &str = r#"{"loan_id":"L1","firm_id":"F1","pd":0.02,"lgd":0.45,"ead":1000.0,"maturity":2.0,"sector":"tech","annual_sales":null,"rating":null,"currency":"EUR"}"#;

fn problems(batch: &Batch) -> Vec<(u64, &str, &str)> {
    batch.rejected.iter().map(|r| (r.line, r.field.as_str(), r.reason.as_str())).collect()
}

#[test]
fn a_misspelt_json_key_rejects_its_row_by_name_even_in_strict_mode() {
    let bad = EXPOSURE.replace("\"annual_sales\"", "\"anual_sales\"");
    for text in [format!("[\n{bad}\n]"), format!("{bad}\n")] {
        let batch = Batch::from_json_str(EntityKind::Exposures, &text, "book.json").unwrap();
        assert!(batch.rows.is_empty(), "{text}");
        let [(line, field, reason)] = problems(&batch)[..] else { panic!("{:?}", batch.rejected) };
        assert_eq!((line, field), (if text.starts_with('[') { 2 } else { 1 }, "anual_sales"));
        assert!(reason.contains("unknown field"), "{reason}");
        let pool = SqlitePool::in_memory().unwrap();
        let err = pool.ingest(&admin(), &batch, IngestMode::Strict).unwrap_err();
        assert!(matches!(err, PoolError::Rejected { .. }), "{err}");
    }
    // A misspelt key inside a nested object names its path.
    let firm = r#"{"id":"F1","name":"A","registration_number":"R","industry":{"scheme":"nace","code":"C26","extra":1},"region":"DE","founded":"2001-01-01","employees":1,"tech":{"high_tech_certified":false,"certification_date":null,"rd_expense":0.0,"rd_staff_share":0.0,"patents":{"invention":0,"utility_model":0,"design":0},"software_copyrights":0,"venture_funding":0.0},"contact_name":null,"contact_email":null,"contact_phone":null}"#;
    let batch = Batch::from_json_str(EntityKind::Firms, firm, "f.jsonl").unwrap();
    assert_eq!(problems(&batch)[0].1, "industry.extra");
}

#[test]
fn bom_and_trailing_blank_crlf_lines_read_like_unix_text_in_every_format() {
    let csv = "instrument,date,price\nX,2024-01-02,10.5\nX,2024-01-03,11\n";
    let variants = [
        csv.to_owned(),
        format!("\u{feff}{csv}"),
        format!("\u{feff}{}\r\n", csv.replace('\n', "\r\n")),
    ];
    for text in &variants {
        let b = Batch::from_csv_reader(EntityKind::Prices, text.as_bytes(), "p.csv").unwrap();
        assert_eq!((b.rows.len(), b.rejected.len()), (2, 0), "{text:?}: {:?}", b.rejected);
        assert_eq!(b.rows[1].line, 3);
    }
    let lines = "{\"instrument\":\"X\",\"date\":\"2024-01-02\",\"price\":1}\n{\"instrument\":\"X\",\"date\":\"2024-01-03\",\"price\":2}\n";
    let array = "[\n{\"instrument\":\"X\",\"date\":\"2024-01-02\",\"price\":1},\n{\"instrument\":\"X\",\"date\":\"2024-01-03\",\"price\":2}\n]\n";
    for text in [lines, array] {
        for variant in [text.to_owned(), format!("\u{feff}{}\r\n", text.replace('\n', "\r\n"))] {
            let b = Batch::from_json_str(EntityKind::Prices, &variant, "p.json").unwrap();
            assert_eq!((b.rows.len(), b.rejected.len()), (2, 0), "{variant:?}: {:?}", b.rejected);
            assert_eq!(b.rows[1].line, if text.starts_with('[') { 3 } else { 2 });
        }
    }
}

#[test]
fn an_endless_line_fails_naming_it_after_reading_about_the_limit() {
    let header = "instrument,date,price\nX,2024-01-02,1\n";
    for fill in [0u8, b'9', b'"'] {
        let input = header.as_bytes().chain(std::io::repeat(fill).take(8 * MAX_LINE_BYTES as u64));
        let err = Batch::from_csv_reader(EntityKind::Prices, input, "/dev/zero").unwrap_err();
        let PoolError::Format { message, .. } = &err else { panic!("{err}") };
        assert!(message.starts_with("line 3: record longer than the limit"), "{message}");
    }
    // No header line at all.
    let err = Batch::from_csv_reader(EntityKind::Prices, std::io::repeat(0).take(3 << 20), "z")
        .unwrap_err();
    assert!(err.to_string().contains("line 1: record longer than the limit"), "{err}");
    // JSON Lines and a JSON array element.
    let err = Batch::from_json_reader(EntityKind::Prices, std::io::repeat(b'7').take(3 << 20), "z")
        .unwrap_err();
    assert!(err.to_string().contains("line 1: line longer than the limit"), "{err}");
    let input = "[\n{\"a\":\"".as_bytes().chain(std::io::repeat(b'x').take(3 << 20));
    let err = Batch::from_json_reader(EntityKind::Prices, input, "z").unwrap_err();
    assert!(err.to_string().contains("line 2: json element longer than the limit"), "{err}");
    if std::path::Path::new("/dev/zero").exists() {
        for kind in [EntityKind::Firms, EntityKind::Prices] {
            assert!(Batch::from_csv_path(kind, "/dev/zero").is_err());
            assert!(Batch::from_json_path(kind, "/dev/zero").is_err());
        }
    }
}

#[test]
fn a_minified_json_array_longer_than_a_line_streams_element_by_element() {
    let one = r#"{"instrument":"X","date":"DATE","price":1.5}"#;
    let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let n = MAX_LINE_BYTES / one.len() + 100;
    let elements: Vec<String> = (0..n)
        .map(|i| one.replace("DATE", &(start + chrono::Days::new(i as u64)).to_string()))
        .collect();
    let text = format!("[{}]", elements.join(","));
    assert!(text.len() > MAX_LINE_BYTES);
    let b = Batch::from_json_str(EntityKind::Prices, &text, "min.json").unwrap();
    assert_eq!((b.rows.len(), b.rejected.len()), (n, 0));
    assert!(b.rows.iter().all(|r| r.line == 1));
}

#[test]
fn malformed_json_arrays_are_file_errors_naming_the_line() {
    for (text, line) in [("[1, 2", 1), ("[\n{},\n", 3), ("[{}] x", 1), ("[,{}]", 1), ("[{},]", 1)] {
        let err = Batch::from_json_str(EntityKind::Prices, text, "x.json").unwrap_err();
        let PoolError::Format { message, .. } = &err else { panic!("{text:?}: {err}") };
        assert!(message.starts_with(&format!("line {line}:")), "{text:?}: {message}");
    }
    let b = Batch::from_json_str(EntityKind::Prices, "[]", "x.json").unwrap();
    assert!(b.rows.is_empty() && b.rejected.is_empty());
}

#[test]
fn lines_after_a_quoted_multi_line_cell_are_exact() {
    let csv = "firm_id,kind,date\nF1,past_due90,2024-01-01\n\"F\n2\",default,2024-01-01\nF1,nope,2024-01-01\n";
    let b = Batch::from_csv_reader(EntityKind::CreditEvents, csv.as_bytes(), "e.csv").unwrap();
    let lines: Vec<(u64, &str)> = b.rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
    assert_eq!(lines, vec![(3, "firm_id"), (5, "kind")]);
}

#[test]
fn nul_bytes_huge_text_and_implausible_years_reject_their_rows() {
    let pool = SqlitePool::in_memory().unwrap();
    let head = "id,name,registration_number,industry_scheme,industry_code,region,founded,employees,high_tech_certified,rd_expense,rd_staff_share,patents_invention,patents_utility_model,patents_design,software_copyrights,venture_funding\n";
    let row = |name: &str, founded: &str| {
        format!("F1,{name},R1,nace,C26,DE,{founded},5,false,0,0.1,0,0,0,0,0\n")
    };
    let cases = [
        (row("Ac\0me", "2001-01-01"), "name", "no_control_characters"),
        (row(&"x".repeat(100_000), "2001-01-01"), "name", "max_text_bytes"),
        (row("Acme", "0000-01-01"), "founded", "plausible_year"),
        (row("Acme", "2999-01-01"), "founded", "plausible_year"),
    ];
    for (text, field, rule) in cases {
        let batch =
            Batch::from_csv_reader(EntityKind::Firms, format!("{head}{text}").as_bytes(), "f")
                .unwrap();
        let report = pool.ingest(&admin(), &batch, IngestMode::Lenient).unwrap();
        assert_eq!(report.accepted, 0, "{field} {rule}");
        assert!(
            report.rejected.iter().any(|r| r.field == field && r.reason.contains(rule)),
            "{field} {rule}: {:?}",
            report.rejected
        );
        // The reason never carries the huge value.
        assert!(report.rejected.iter().all(|r| r.reason.len() < 400));
    }
    // Year -1: refused whether as a date that does not parse or as an implausible year.
    let batch = Batch::from_csv_reader(
        EntityKind::Firms,
        format!("{head}{}", row("Acme", "-0001-01-01")).as_bytes(),
        "f",
    )
    .unwrap();
    let report = pool.ingest(&admin(), &batch, IngestMode::Lenient).unwrap();
    assert_eq!(report.accepted, 0);
    assert_eq!(report.rejected[0].field, "founded", "{:?}", report.rejected);
}

/// Bytes that often look like CSV or JSON, mixed with anything (the workspace's shared CSV
/// alphabet, plus JSON punctuation and a price header and record).
fn textish() -> impl Strategy<Value = Vec<u8>> {
    finkit_schema::testkit::csvish(
        &[
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b"\\",
            b"instrument,date,price\n",
            b"{\"instrument\":\"X\",\"date\":\"2024-01-02\",\"price\":1}",
        ],
        "[a-z0-9._-]{1,8}",
        50,
    )
}

fn kind() -> impl Strategy<Value = EntityKind> {
    prop::sample::select(EntityKind::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_every_row_is_accounted_for(bytes in textish(), kind in kind()) {
        if let Ok(b) = Batch::from_csv_reader(kind, bytes.as_slice(), "fuzz.csv") {
            prop_assert!(b.rows.iter().all(|r| r.line >= 2));
            prop_assert!(b.rejected.iter().all(|r| r.line >= 2));
        }
        if let Ok(b) = Batch::from_json_reader(kind, bytes.as_slice(), "fuzz.json") {
            prop_assert!(b.rows.iter().all(|r| r.line >= 1));
            // Nothing silently dropped: every parsed row is accepted or has a rejection.
            let pool = SqlitePool::in_memory().unwrap();
            let report = pool.ingest(&admin(), &b, IngestMode::Lenient).unwrap();
            prop_assert!(report.accepted + report.rejected.len() >= b.rows.len() + b.rejected.len());
        }
    }
}
