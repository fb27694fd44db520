//! Tampering with the audit trail by raw SQL is detected by `verify_audit`.

use std::path::{Path, PathBuf};

use finkit_pool::audit::{AuditEntry, AuditHead};
use finkit_pool::{
    FirmFilter, MemoryPool, PoolRead, PoolWrite, Principal, Role, SqlitePool, conformance,
};

fn auditor() -> Principal {
    Principal::new("audit-test-auditor", Role::Auditor)
}

/// A file with a few dozen audit entries (ingest, reads, denials); returns its path and head.
fn busy_pool(dir: &Path) -> (PathBuf, AuditHead) {
    let path = dir.join("audited.db");
    let pool = SqlitePool::open(&path).unwrap();
    conformance::load_fixture(&pool).unwrap();
    let analyst = Principal::new("ann", Role::Analyst);
    for _ in 0..5 {
        pool.firms(&analyst, &FirmFilter::all()).unwrap();
        assert!(pool.exposures(&analyst).is_err());
    }
    let status = pool.verify_audit(&auditor()).unwrap();
    assert!(status.is_intact(), "{:?}", status.problems);
    let head = pool.audit_head(&auditor()).unwrap();
    assert!(head.count >= 11);
    (path, head)
}

fn verify(path: &Path) -> finkit_pool::audit::AuditStatus {
    SqlitePool::open(path).unwrap().verify_audit(&auditor()).unwrap()
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn the_log_is_append_only_through_sql_triggers() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = busy_pool(dir.path());
    let c = raw(&path);
    assert!(c.execute("UPDATE audit_log SET detail = 'x' WHERE seq = 2", []).is_err());
    assert!(c.execute("DELETE FROM audit_log WHERE seq = 2", []).is_err());
}

#[test]
fn an_edited_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = busy_pool(dir.path());
    raw(&path)
        .execute_batch(
            "DROP TRIGGER audit_log_no_update; \
             UPDATE audit_log SET principal = 'someone-else' WHERE seq = 3;",
        )
        .unwrap();
    let status = verify(&path);
    assert!(!status.is_intact());
    assert!(
        status.problems.iter().any(|p| p.seq == 3 && p.problem.contains("edited")),
        "{:?}",
        status.problems
    );
}

#[test]
fn a_deleted_entry_in_the_middle_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = busy_pool(dir.path());
    raw(&path)
        .execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 4;")
        .unwrap();
    let status = verify(&path);
    assert!(!status.is_intact());
    assert!(status.problems.iter().any(|p| p.seq == 5), "{:?}", status.problems);
}

#[test]
fn a_deleted_last_entry_is_detected_by_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let (path, head) = busy_pool(dir.path());
    // Append-only: later reads append more entries; delete the very last one after closing.
    let last: i64 =
        raw(&path).query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0)).unwrap();
    assert!(last as u64 >= head.count);
    raw(&path)
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = {last};"
        ))
        .unwrap();
    let status = verify(&path);
    assert!(!status.is_intact());
    assert!(
        status.problems.iter().any(|p| p.problem.contains("stored head")),
        "{:?}",
        status.problems
    );
}

fn entry_at(c: &rusqlite::Connection, seq: i64) -> AuditEntry {
    c.query_row(
        "SELECT seq, at, principal, role, action, entity, detail, outcome, prev_hash, hash FROM audit_log WHERE seq = ?1",
        [seq],
        |r| {
            Ok(AuditEntry {
                seq: r.get::<_, i64>(0)? as u64,
                at: r.get(1)?,
                principal: r.get(2)?,
                role: r.get(3)?,
                action: r.get(4)?,
                entity: r.get(5)?,
                detail: r.get(6)?,
                outcome: r.get(7)?,
                prev_hash: r.get(8)?,
                hash: r.get(9)?,
            })
        },
    )
    .unwrap()
}

fn insert(c: &rusqlite::Connection, e: &AuditEntry) {
    c.execute(
        "INSERT INTO audit_log (seq, at, principal, role, action, entity, detail, outcome, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![e.seq as i64, e.at, e.principal, e.role, e.action, e.entity, e.detail, e.outcome, e.prev_hash, e.hash],
    )
    .unwrap();
}

#[test]
fn an_inserted_entry_is_detected_even_with_a_valid_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = busy_pool(dir.path());
    let c = raw(&path);
    let last: i64 = c.query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0)).unwrap();
    let mut forged = entry_at(&c, last);
    forged.seq += 1;
    forged.principal = "intruder".into();
    forged.prev_hash = entry_at(&c, last).hash;
    forged.hash = forged.compute_hash();
    insert(&c, &forged);
    drop(c);
    let status = verify(&path);
    assert!(!status.is_intact(), "an appended entry not in the head must be detected");
}

#[test]
fn a_full_rewrite_passes_the_chain_but_fails_the_external_anchor() {
    // The documented limit: without a secret, a writer can rebuild the chain and the head.
    let dir = tempfile::tempdir().unwrap();
    let (path, anchor) = busy_pool(dir.path());
    let c = raw(&path);
    c.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;").unwrap();
    let last: i64 = c.query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0)).unwrap();
    let mut prev = entry_at(&c, 1).prev_hash;
    for seq in 1..=last {
        let mut e = entry_at(&c, seq);
        if seq == 2 {
            e.principal = "rewritten".into();
        }
        e.prev_hash = prev.clone();
        e.hash = e.compute_hash();
        c.execute(
            "UPDATE audit_log SET principal = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![e.principal, e.prev_hash, e.hash, seq],
        )
        .unwrap();
        prev = e.hash;
    }
    c.execute("UPDATE audit_head SET hash = ?1 WHERE id = 1", [prev]).unwrap();
    recreate_triggers(&c);
    drop(c);
    let mut status = verify(&path);
    assert!(status.is_intact(), "a consistent rewrite is not detectable from inside the file");
    assert!(!status.extends(&anchor), "but it is detected against an anchor kept elsewhere");
    status.check_anchor(&anchor);
    assert!(
        status.problems.iter().any(|p| p.problem.contains("rewritten")),
        "{:?}",
        status.problems
    );
}

/// What a careful forger does after editing: put the append-only triggers back exactly.
fn recreate_triggers(c: &rusqlite::Connection) {
    for (name, sql) in
        finkit_pool::migrations::audit_triggers(finkit_pool::migrations::Dialect::Sqlite)
    {
        c.execute_batch(&format!("DROP TRIGGER IF EXISTS {name}; {sql};")).unwrap();
    }
}

#[test]
fn dropped_or_replaced_triggers_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = busy_pool(dir.path());
    raw(&path).execute_batch("DROP TRIGGER audit_log_no_delete;").unwrap();
    let status = verify(&path);
    assert!(
        status.problems.iter().any(|p| p.problem.contains("audit_log_no_delete is missing")),
        "{:?}",
        status.problems
    );
    // A trigger of the same name that does nothing is no protection either.
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END;",
        )
        .unwrap();
    let status = verify(&path);
    assert!(
        status.problems.iter().any(|p| p.problem.contains("replaced")),
        "{:?}",
        status.problems
    );
    // An extra trigger could swallow new entries.
    raw(&path)
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete; \
             CREATE TRIGGER swallow BEFORE INSERT ON audit_log BEGIN SELECT RAISE(IGNORE); END;",
        )
        .unwrap();
    recreate_triggers(&raw(&path));
    let status = verify(&path);
    assert!(
        status.problems.iter().any(|p| p.problem.contains("unexpected trigger swallow")),
        "{:?}",
        status.problems
    );
}

#[test]
fn a_deleted_tail_with_the_head_rewritten_fails_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let (path, anchor) = busy_pool(dir.path());
    let c = raw(&path);
    let keep = (anchor.count - 3) as i64;
    let hash = entry_at(&c, keep).hash;
    c.execute_batch("DROP TRIGGER audit_log_no_delete;").unwrap();
    c.execute("DELETE FROM audit_log WHERE seq > ?1", [keep]).unwrap();
    c.execute(
        "UPDATE audit_head SET count = ?1, hash = ?2 WHERE id = 1",
        rusqlite::params![keep, hash],
    )
    .unwrap();
    recreate_triggers(&c);
    drop(c);
    let mut status = verify(&path);
    assert!(status.is_intact(), "consistent from inside: {:?}", status.problems);
    status.check_anchor(&anchor);
    assert!(status.problems.iter().any(|p| p.problem.contains("deleted")), "{:?}", status.problems);
}

#[test]
fn a_truncated_and_reset_chain_fails_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let (path, anchor) = busy_pool(dir.path());
    let c = raw(&path);
    c.execute_batch(
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log; \
         UPDATE audit_head SET count = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000';",
    )
    .unwrap();
    recreate_triggers(&c);
    drop(c);
    // Opening appends nothing; the verification's own entry starts a new chain.
    let mut status = verify(&path);
    assert!(status.is_intact(), "{:?}", status.problems);
    status.check_anchor(&anchor);
    assert!(!status.is_intact());
}

#[test]
fn memory_pool_chain_verifies() {
    let pool = MemoryPool::default();
    conformance::load_fixture(&pool).unwrap();
    assert!(pool.verify_audit(&auditor()).unwrap().is_intact());
    let admin = Principal::new("a", Role::Admin);
    assert!(
        pool.ingest(&Principal::new("x", Role::Auditor), &Default::default(), Default::default())
            .is_ok()
    );
    assert!(pool.verify_audit(&admin).unwrap().is_intact());
}
