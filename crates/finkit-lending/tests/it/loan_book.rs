//! The loan book read for the sector concentration limit: an empty book is empty, and a book
//! that cannot be read whole (a corrupt row, EADs whose total overflows) is an error, never a
//! silent `None` that would switch the limit off.

use finkit_lending::LendingError;
use finkit_lending::pool::load_book;
use finkit_pool::{Batch, EntityKind, IngestMode, PoolWrite, Principal, Role, SqlitePool};

const FIRMS: &str = "id,name,registration_number,industry_scheme,industry_code,region,founded,employees,high_tech_certified,rd_expense,rd_staff_share,patents_invention,patents_utility_model,patents_design,software_copyrights,venture_funding\n\
F1,Acme,R1,nace,C26,DE,2001-01-01,5,false,0,0.1,0,0,0,0,0\n";

fn book(eads: &[&str]) -> String {
    let mut text = "loan_id,firm_id,pd,lgd,ead,maturity,sector,currency\n".to_owned();
    for (i, ead) in eads.iter().enumerate() {
        text.push_str(&format!("L{i},F1,0.02,0.45,{ead},2,C26,EUR\n"));
    }
    text
}

fn pool_with(path: &std::path::Path, eads: &[&str]) -> SqlitePool {
    let admin = Principal::new("t", Role::Admin);
    let pool = SqlitePool::open(path).unwrap();
    for (kind, text) in [(EntityKind::Firms, FIRMS.to_owned()), (EntityKind::Exposures, book(eads))]
    {
        let batch = Batch::from_csv_reader(kind, text.as_bytes(), "t").unwrap();
        pool.ingest(&admin, &batch, IngestMode::Strict).unwrap();
    }
    pool
}

fn risk() -> Principal {
    Principal::new("t", Role::RiskOfficer)
}

#[test]
fn an_empty_book_is_none_and_a_sound_book_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool_with(&dir.path().join("a.db"), &[]);
    assert_eq!(load_book(&pool, &risk()).unwrap().map_or(0, |b| b.len()), 0);
    let pool = pool_with(&dir.path().join("b.db"), &["100", "250"]);
    assert_eq!(load_book(&pool, &risk()).unwrap().map(|b| b.total_ead()), Some(350.0));
}

#[test]
fn eads_whose_total_is_not_finite_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool_with(&dir.path().join("p.db"), &["1e308", "1e308"]);
    let err = load_book(&pool, &risk()).unwrap_err();
    assert!(matches!(err, LendingError::LoanBook(_)), "{err}");
    assert!(err.to_string().contains("not a finite number"), "{err}");
}

#[test]
fn one_corrupt_exposure_row_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    drop(pool_with(&path, &["100", "250"]));
    for corruption in
        ["UPDATE exposures SET pd = 'abc' WHERE loan_id = 'L1'", "UPDATE exposures SET pd = 1.7"]
    {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(corruption).unwrap();
        drop(raw);
        let pool = SqlitePool::open(&path).unwrap();
        let err = load_book(&pool, &risk()).unwrap_err();
        assert!(matches!(err, LendingError::LoanBook(_)), "{corruption}: {err}");
    }
}
