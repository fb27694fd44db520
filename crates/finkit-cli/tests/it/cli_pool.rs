//! `finkit pool …` end to end on synthetic data written by finkit-pool's seeded generator:
//! init, ingest of every entity kind (the `{"accepted", "rejected": [{"line", "field",
//! "reason"}]}` contract, strict and lenient), point-in-time and filtered queries, the
//! pseudonymised export, the audit trail, access control, and the bad-input contract.

use crate::common;

use std::collections::BTreeSet;

use common::{Run, Scratch, arg, edit_line, finkit, finkit_env, num, set_cell, synthetic_pool};
use finkit::pool::synthetic::{SyntheticCsvFiles, SyntheticDataset, SyntheticParams};
use serde_json::Value;

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// A small seeded synthetic data set and its CSV files in `s` (no pool yet).
fn synthetic(s: &Scratch) -> (SyntheticDataset, SyntheticCsvFiles) {
    let data = SyntheticParams::builder()
        .with_firms(40)
        .with_applications(15)
        .with_loans(30)
        .with_listed(2)
        .with_price_days(30)
        .with_seed(8)
        .build()
        .and_then(|p| p.generate())
        .expect("synthetic data");
    let files = data.write_csv(s.path("csv")).expect("synthetic CSV files");
    (data, files)
}

fn pool<S: AsRef<str>>(db: &str, args: &[S]) -> Run {
    let mut full = vec!["pool".to_owned()];
    full.extend(args.iter().map(|a| a.as_ref().to_owned()));
    full.extend(["--db".to_owned(), db.to_owned(), "--user".to_owned(), "tester".to_owned()]);
    finkit(&full)
}

fn keys(doc: &Value) -> BTreeSet<String> {
    doc.as_object().expect("a JSON object").keys().cloned().collect()
}

/// A committed ingest also reports the audit head, `COUNT:HASH`.
#[track_caller]
fn assert_head(doc: &Value) -> String {
    let head = doc["audit_head"].as_str().expect("audit_head").to_owned();
    let (count, hash) = head.split_once(':').expect("COUNT:HASH");
    assert!(count.parse::<u64>().is_ok() && hash.len() == 64, "{head}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{head}");
    head
}

#[track_caller]
fn assert_report(doc: &Value, accepted: usize, rejected: usize) {
    let mut expected: BTreeSet<String> =
        ["accepted", "rejected"].iter().map(|s| (*s).to_owned()).collect();
    if doc.get("audit_head").is_some() {
        assert_head(doc);
        expected.insert("audit_head".into());
    }
    assert_eq!(keys(doc), expected);
    assert_eq!(doc["accepted"], accepted, "{doc}");
    let list = doc["rejected"].as_array().expect("rejected list");
    assert_eq!(list.len(), rejected, "{doc}");
    for r in list {
        assert_eq!(keys(r), ["field", "line", "reason"].iter().map(|s| (*s).to_owned()).collect());
        assert!(r["line"].is_u64() && r["field"].is_string() && r["reason"].is_string(), "{r}");
    }
}

#[test]
fn init_ingest_query_export_verify() {
    let s = Scratch::new();
    let (db, data, files) = synthetic_pool(&s);
    // Ingesting the same firms again is idempotent: nothing rejected, nothing duplicated.
    let again =
        pool(&db, &["ingest", "--kind", "firms", "--file", &arg(&files.firms), "--json"]).json();
    assert_eq!(again["rejected"], Value::Array(vec![]), "{again}");

    // init is idempotent on an existing pool.
    let again = pool(&db, &["init", "--json"]).json();
    assert_eq!(keys(&again), ["db", "schema_version"].iter().map(|s| (*s).to_owned()).collect());
    assert!(again["schema_version"].as_u64().unwrap() >= 1);

    let query = |what: &str, extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["query", what, "--json"];
        args.extend_from_slice(extra);
        pool(&db, &args).json().as_array().cloned().expect("a JSON array")
    };
    assert_eq!(query("firms", &[]).len(), data.firms.len());
    let tech = data.firms.iter().filter(|f| f.tech.is_tech_innovative()).count();
    assert!(tech > 0 && tech < data.firms.len());
    assert_eq!(query("firms", &["--tech"]).len(), tech);
    let region = data.firms[0].region.clone();
    let in_region = data.firms.iter().filter(|f| f.region == region).count();
    assert_eq!(query("firms", &["--region", &region]).len(), in_region);

    // Statements as of a date: the latest version of each period published by then.
    let as_of = data.as_of.to_string();
    let known: BTreeSet<(String, String)> = data
        .statements
        .iter()
        .filter(|st| st.available_at <= data.as_of)
        .map(|st| (st.firm_id.to_string(), st.period_end.to_string()))
        .collect();
    let statements = query("statements", &["--as-of", &as_of]);
    assert_eq!(statements.len(), known.len());
    let restated = data.statements.len() - known.len();
    assert!(restated > 0 || data.statements.len() == known.len());

    assert_eq!(query("applications", &[]).len(), data.applications.len());
    assert_eq!(query("exposures", &[]).len(), data.exposures.len());
    assert_eq!(query("events", &[]).len(), data.events.len());
    let audit = query("audit", &[]);
    assert!(audit.len() >= 6, "{} audit entries", audit.len());

    // The audit chain is intact.
    let verify = pool(&db, &["audit-verify", "--json"]).json();
    assert_eq!(verify["intact"], true);
    assert!(num(&verify, &["entries"]) >= 6.0);
    assert_eq!(verify["problems"], Value::Array(vec![]));

    // The research export replaces firm ids by keyed pseudonyms.
    let out = s.path("export");
    let doc =
        pool(&db, &["export", "--out", &arg(&out), "--as-of", &as_of, "--key", KEY, "--json"])
            .json();
    // 5-anonymous by default: generalised, and firms in too small classes suppressed.
    assert_eq!(doc["k"], 5);
    let exported = doc["firms"].as_u64().unwrap() as usize;
    assert_eq!(exported + doc["suppressed_firms"].as_u64().unwrap() as usize, data.firms.len());
    assert!(exported == 0 || doc["smallest_class"].as_u64().unwrap() >= 5, "{doc}");
    assert_eq!(doc["as_of"], as_of.as_str());
    let file = doc["file"].as_str().expect("file");
    let text = std::fs::read_to_string(file).expect("export file");
    assert!(std::path::Path::new(file).starts_with(&out));
    for firm in &data.firms {
        assert!(!text.contains(&format!("\"{}\"", firm.id)), "firm id {} leaked", firm.id);
        assert!(
            !text.contains(&firm.registration_number),
            "registration {} leaked",
            firm.registration_number
        );
    }
    // Same key, same pseudonyms: the key may also come from the environment.
    let out2 = s.path("export2");
    let via_env = finkit_env(
        &["pool", "export", "--db", &db, "--out", &arg(&out2), "--as-of", &as_of, "--json"],
        &[("FINKIT_PSEUDONYM_KEY", KEY)],
    )
    .json();
    let text2 = std::fs::read_to_string(via_env["file"].as_str().unwrap()).unwrap();
    assert_eq!(text, text2);

    // Human-readable tables.
    for args in [vec!["query", "firms"], vec!["query", "audit"], vec!["audit-verify"], vec!["init"]]
    {
        let run = pool(&db, &args);
        run.ok();
        assert!(
            !run.stdout.trim().is_empty() && serde_json::from_str::<Value>(&run.stdout).is_err()
        );
    }
}

/// The synthetic exposures with bad rows: line 3 an unparsable EAD, line 5 a PD of 1.7,
/// line 6 an unknown firm; the other lines are valid.
fn bad_exposures(s: &Scratch, files: &SyntheticCsvFiles) -> (String, usize) {
    let text = std::fs::read_to_string(&files.exposures).unwrap();
    let rows = text.lines().count() - 1;
    let text = edit_line(&text, 3, |l| set_cell(l, 4, "12x5"));
    let text = edit_line(&text, 5, |l| set_cell(l, 2, "1.7"));
    let text = edit_line(&text, 6, |l| set_cell(l, 1, "F-NOBODY"));
    (s.write("exposures_bad.csv", &text), rows)
}

#[test]
fn ingest_reports_every_rejected_row_and_strict_commits_nothing() {
    let s = Scratch::new();
    let (data, files) = synthetic(&s);
    let db = arg(&s.path("pool.db"));
    pool(&db, &["init"]).ok();
    pool(&db, &["ingest", "--kind", "firms", "--file", &arg(&files.firms), "--json"]).json();
    let (bad, rows) = bad_exposures(&s, &files);

    // Strict: exit 2, the report on stdout, one line on stderr, nothing committed.
    let report =
        pool(&db, &["ingest", "--kind", "exposures", "--file", &bad, "--strict", "--json"])
            .bad_input_with_report(&[
                "exposures_bad.csv",
                "strict",
                "3 row(s) rejected",
                "nothing committed",
            ]);
    assert_report(&report, 0, 3);
    let got: Vec<(u64, &str)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![(3, "ead"), (5, "pd"), (6, "firm_id")]);
    let reasons: Vec<&str> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons[0].contains("12x5")
            && reasons[1].contains("1.7")
            && reasons[2].contains("F-NOBODY"),
        "{reasons:?}"
    );
    let exposures = pool(&db, &["query", "exposures", "--json"]).json();
    assert_eq!(exposures.as_array().unwrap().len(), 0, "strict mode committed rows");

    // Lenient (the default): exactly the valid rows are committed, exit 3 for the rejections.
    let report = pool(&db, &["ingest", "--kind", "exposures", "--file", &bad, "--json"])
        .rejected_rows(&["3 problem(s)"]);
    assert_report(&report, rows - 3, 3);
    let exposures = pool(&db, &["query", "exposures", "--json"]).json();
    assert_eq!(exposures.as_array().unwrap().len(), rows - 3);
    assert!(rows - 3 < data.exposures.len() + 1);

    // The table names line, field and reason.
    let run = pool(&db, &["ingest", "--kind", "exposures", "--file", &bad]);
    run.error_line(3, &["rejected"]);
    assert!(run.stdout.contains("12x5") && run.stdout.contains("line"), "{}", run.stdout);
}

/// `pool` with `stdin` on standard input.
fn pool_stdin(db: &str, args: &[&str], stdin: &str) -> Run {
    let mut full = vec!["pool"];
    full.extend(args);
    full.extend(["--db", db, "--user", "tester"]);
    common::finkit_input(&full, &[], Some(stdin.as_bytes()))
}

#[test]
fn ingest_streams_stdin_and_a_file_broken_part_way_commits_nothing() {
    let s = Scratch::new();
    let (data, files) = synthetic(&s);
    let db = arg(&s.path("pool.db"));
    pool(&db, &["init"]).ok();

    // CSV on standard input, streamed: line numbers as in the file.
    let firms = std::fs::read_to_string(&files.firms).unwrap();
    let bad = edit_line(&firms, 3, |l| set_cell(l, 7, "many"));
    let report = pool_stdin(&db, &["ingest", "--kind", "firms", "--file", "-", "--json"], &bad)
        .rejected_rows(&["1 problem(s)"]);
    assert_report(&report, data.firms.len() - 1, 1);
    assert_eq!(report["rejected"][0]["line"], 3, "{report}");
    assert_eq!(report["rejected"][0]["field"], "employees", "{report}");

    // JSON Lines on standard input after blank lines: sniffed as JSON, nothing lost.
    let firm = serde_json::to_string(&data.firms[1]).unwrap();
    let text = format!("\n  \n{firm}\n");
    let report =
        pool_stdin(&db, &["ingest", "--kind", "firms", "--file", "-", "--json"], &text).json();
    assert_report(&report, 1, 0);

    // A JSON array that breaks after valid elements: bad input, and nothing is committed even
    // in lenient mode, although the valid elements were already written in the transaction.
    let fresh = arg(&s.path("fresh.db"));
    pool(&fresh, &["init"]).ok();
    let elements: Vec<String> =
        data.firms.iter().map(|f| serde_json::to_string(f).unwrap()).collect();
    let broken = s.write("broken.json", &format!("[\n{}\n", elements.join(",\n")));
    pool(&fresh, &["ingest", "--kind", "firms", "--file", &broken])
        .bad_input(&["broken.json", "not closed with ]"]);
    let stored = pool(&fresh, &["query", "firms", "--json"]).json();
    assert_eq!(stored.as_array().unwrap().len(), 0, "a broken file committed rows");
}

#[test]
fn pool_bad_input() {
    let s = Scratch::new();
    let (_data, files) = synthetic(&s);
    let db = arg(&s.path("pool.db"));
    pool(&db, &["init"]).ok();
    let firms = arg(&files.firms);

    // Files: missing, wrong columns, empty.
    let missing = arg(&s.path("nothing.csv"));
    pool(&db, &["ingest", "--kind", "firms", "--file", &missing]).bad_input(&["nothing.csv"]);
    let text = std::fs::read_to_string(&files.firms).unwrap();
    let renamed = s.write("renamed.csv", &edit_line(&text, 1, |l| l.replacen("name", "nom", 1)));
    pool(&db, &["ingest", "--kind", "firms", "--file", &renamed, "--json"])
        .bad_input(&["renamed.csv", "name"]);
    let empty = s.write("empty.csv", "");
    pool(&db, &["ingest", "--kind", "firms", "--file", &empty]).bad_input(&["empty.csv"]);
    // The wrong kind for the file: every row names its missing or bad field.
    let exposures_as_firms =
        pool(&db, &["ingest", "--kind", "statements", "--file", &firms, "--json"]);
    assert_eq!(exposures_as_firms.code, 2, "{exposures_as_firms:?}");
    exposures_as_firms.bad_input(&["firms.csv"]);

    // The pool file: not created yet.
    let absent = arg(&s.path("absent.db"));
    pool(&absent, &["ingest", "--kind", "firms", "--file", &firms]).bad_input(&["absent.db"]);
    pool(&absent, &["query", "firms"]).bad_input(&["absent.db"]);
    pool(&absent, &["audit-verify"]).bad_input(&["absent.db"]);
    let not_a_pool = s.write("not_a_pool.db", "plain text, not SQLite");
    pool(&not_a_pool, &["query", "firms"]).bad_input(&["not_a_pool.db"]);

    // Access control: an analyst may not read the audit trail; a denial is audited, not fatal.
    pool(&db, &["query", "audit", "--role", "analyst"]).bad_input(&["analyst"]);
    let log = pool(&db, &["query", "audit", "--json"]).json();
    let denied = log.as_array().unwrap().iter().filter(|e| e["outcome"] == "denied").count();
    assert_eq!(denied, 1, "the denial is in the audit trail: {log}");

    // Export: no key, a key that is not hex.
    let out = arg(&s.path("exp"));
    pool(&db, &["export", "--out", &out]).bad_input(&["key"]);
    pool(&db, &["export", "--out", &out, "--key", "xyz"]).bad_input(&["--key", "hex"]);
    pool(&db, &["export", "--out", &out, "--key", "abc"]).bad_input(&["--key"]);

    // A policy file is no longer taken per call: the policy lives in the pool.
    let no_policy = arg(&s.path("policy.toml"));
    pool(&db, &["query", "firms", "--policy", &no_policy]).bad_input(&["--policy", "policy-set"]);
    // `policy-set` reads the file: missing or malformed is bad input naming it.
    pool(&db, &["policy-set", "--file", &no_policy]).bad_input(&["policy.toml"]);
    let bad_policy = s.write("bad_policy.toml", "this is = not [ a policy");
    pool(&db, &["policy-set", "--file", &bad_policy]).bad_input(&["bad_policy.toml"]);
}

/// `finkit pool …` as another user of the environment.
fn pool_as<S: AsRef<str>>(user: &str, db: &str, args: &[S]) -> Run {
    let mut full = vec!["pool".to_owned()];
    full.extend(args.iter().map(|a| a.as_ref().to_owned()));
    full.extend(["--db".to_owned(), db.to_owned()]);
    finkit_env(&full, &[("FINKIT_USER", user)])
}

#[test]
fn access_comes_from_the_pool_not_from_flags() {
    let s = Scratch::new();
    let (db, _data, _files) = synthetic_pool(&s);
    // The creator (FINKIT_USER=tester) is the pool's admin and registers an analyst.
    pool(&db, &["user-set", "--name", "ann", "--role", "analyst"]).ok();
    let users = pool(&db, &["users", "--json"]).json();
    assert_eq!(users.as_array().map(Vec::len), Some(2), "{users}");

    // The analyst sees masked firms and no loan book, whatever she passes.
    let firms = pool_as("ann", &db, &["query", "firms", "--json"]).json();
    assert!(firms.as_array().unwrap().iter().all(|f| f["registration_number"] == "***"));
    pool_as("ann", &db, &["query", "exposures"]).bad_input(&["access denied", "ann"]);
    pool_as("ann", &db, &["query", "firms", "--role", "admin"]).bad_input(&[
        "--role admin is refused",
        "analyst",
        "view_sensitive",
    ]);
    pool_as("ann", &db, &["query", "firms", "--role", "credit-officer"])
        .bad_input(&["--role credit_officer is refused"]);
    let evil = s.write("evil.toml", "[roles]\nanalyst = [\"read_firms\", \"view_sensitive\"]\n");
    pool_as("ann", &db, &["query", "firms", "--role", "analyst", "--policy", &evil])
        .bad_input(&["--policy", "refused"]);
    pool_as("ann", &db, &["query", "firms", "--user", "tester"])
        .bad_input(&["--user", "tester", "ann"]);
    // Only an admin changes the policy or the users, and the attempts are audited.
    pool_as("ann", &db, &["policy-set", "--file", &evil]).bad_input(&["access denied"]);
    pool_as("ann", &db, &["user-set", "--name", "ann", "--role", "admin"])
        .bad_input(&["access denied"]);
    // A user the pool does not know is refused, with the way in.
    pool_as("nobody", &db, &["query", "firms"]).bad_input(&["nobody", "user-set"]);
    // The admin may act in a lower role (an auditor reads everything but sees no secrets).
    let as_auditor = pool(&db, &["query", "firms", "--role", "auditor", "--json"]).json();
    assert!(as_auditor.as_array().unwrap().iter().all(|f| f["registration_number"] == "***"));

    let log = pool(&db, &["query", "audit", "--json"]).json();
    let denied: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["principal"] == "ann" && e["outcome"] == "denied")
        .collect();
    assert!(denied.iter().any(|e| e["action"] == "administer"), "{log}");
    assert!(denied.iter().any(|e| e["entity"] == "exposures"), "{log}");

    // The admin changes the policy through the pool: now the analyst sees the secrets.
    let admin_all = "admin = [\"read_firms\", \"read_statements\", \"read_applications\", \
        \"read_exposures\", \"read_credit_events\", \"read_prices\", \"read_audit\", \
        \"view_sensitive\", \"export\", \"write_firms\", \"write_statements\", \
        \"write_applications\", \"write_exposures\", \"write_credit_events\", \
        \"write_prices\", \"administer\"]";
    let wider = s.write(
        "wider.toml",
        &format!("[roles]\nanalyst = [\"read_firms\", \"view_sensitive\"]\n{admin_all}\n"),
    );
    pool(&db, &["policy-set", "--file", &wider]).ok();
    let shown = pool(&db, &["policy-show", "--json"]).json();
    assert_eq!(shown["roles"]["analyst"], serde_json::json!(["read_firms", "view_sensitive"]));
    let firms = pool_as("ann", &db, &["query", "firms", "--json"]).json();
    assert!(firms.as_array().unwrap().iter().all(|f| f["registration_number"] != "***"));
    // ... and the change is in the audit trail.
    let log = pool(&db, &["query", "audit", "--json"]).json();
    assert!(
        log.as_array().unwrap().iter().any(|e| e["principal"] == "tester"
            && e["action"] == "administer"
            && e["entity"] == "policy"),
        "{log}"
    );
    // A policy that would lock the admins out is refused.
    let locked = s.write("locked.toml", "[roles]\nadmin = [\"read_firms\"]\n");
    pool(&db, &["policy-set", "--file", &locked]).bad_input(&["administer"]);
    pool(&db, &["user-remove", "--name", "tester"]).bad_input(&["last admin"]);
}

/// The JSON documents of the user and policy administration commands, and the audit table
/// printed from the same entries as `query audit --json`.
#[test]
fn administration_commands_print_their_json_contract() {
    let s = Scratch::new();
    let (db, _data, _files) = synthetic_pool(&s);
    let set = pool(&db, &["user-set", "--name", "ann", "--role", "analyst", "--json"]).json();
    assert_eq!(set, serde_json::json!({"name": "ann", "role": "analyst"}));
    let users = pool(&db, &["users", "--json"]).json();
    assert_eq!(
        users,
        serde_json::json!([{"name": "ann", "role": "analyst"}, {"name": "tester", "role": "admin"}])
    );

    let shown = pool(&db, &["policy-show", "--json"]).json();
    let roles = shown["roles"].as_object().expect("roles by name");
    let analyst = roles["analyst"].as_array().expect("the analyst's permissions");
    let narrower = s.write(
        "narrower.toml",
        &format!(
            "[roles]\n{}\nanalyst = [\"read_firms\"]\n",
            roles
                .iter()
                .filter(|(name, _)| *name != "analyst")
                .map(|(name, perms)| format!("{name} = {perms}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    );
    assert!(analyst.len() > 1, "{shown}");
    let replaced = pool(&db, &["policy-set", "--file", &narrower, "--json"]).json();
    assert_eq!(replaced["roles"]["analyst"], serde_json::json!(["read_firms"]), "{replaced}");
    assert_eq!(replaced, pool(&db, &["policy-show", "--json"]).json());

    let removed = pool(&db, &["user-remove", "--name", "ann", "--json"]).json();
    assert_eq!(removed, serde_json::json!({"name": "ann", "removed": true}));
    let upgraded = pool(&db, &["upgrade", "--json"]).json();
    assert_eq!(keys(&upgraded), ["db", "schema_version"].iter().map(|s| (*s).to_owned()).collect());
    assert_eq!(upgraded["db"], db);
    assert_eq!(upgraded["schema_version"], pool(&db, &["init", "--json"]).json()["schema_version"]);

    // The audit table lists every entry of the JSON log, with the same fields.
    let log = pool(&db, &["query", "audit", "--json"]).json();
    let entries = log.as_array().expect("entries");
    assert!(!entries.is_empty(), "{log}");
    let table = pool(&db, &["query", "audit", "--limit", "100000"]);
    let text = &table.ok().stdout;
    // The table read itself is audited too: at least the entries of the JSON log are listed.
    for e in entries {
        let row = ["seq", "at", "principal", "role", "action", "entity", "outcome"]
            .map(|k| e[k].as_str().map_or_else(|| e[k].to_string(), str::to_owned));
        assert!(
            text.lines().any(|l| row.iter().all(|cell| l.split_whitespace().any(|w| w == cell))),
            "no table line for {e}\n{text}"
        );
    }
}

#[test]
fn reads_never_migrate_and_foreign_databases_are_refused() {
    let s = Scratch::new();
    let path = s.path("theirs.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1); PRAGMA user_version = 3;")
        .unwrap();
    drop(raw);
    let before = std::fs::read(&path).unwrap();
    let db = arg(&path);
    pool(&db, &["query", "firms"]).bad_input(&["theirs.db", "not a finkit pool"]);
    pool(&db, &["init"]).bad_input(&["theirs.db", "not a finkit pool"]);
    finkit(&["lend", "decide", "--db", &db]).bad_input(&["theirs.db", "not a finkit pool"]);
    assert_eq!(std::fs::read(&path).unwrap(), before, "a refused command changed the file");
    let names: Vec<String> = {
        let raw = rusqlite::Connection::open(&path).unwrap();
        let mut stmt = raw.prepare("SELECT name FROM sqlite_master").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    assert_eq!(names, ["t"]);

    // A pool of an older schema: reads refuse and point to the upgrade; upgrade migrates.
    let old = s.path("old.db");
    let raw = rusqlite::Connection::open(&old).unwrap();
    for m in &finkit::pool::migrations::MIGRATIONS[..2] {
        raw.execute_batch(&m.sql(finkit::pool::migrations::Dialect::Sqlite)).unwrap();
    }
    raw.execute_batch("PRAGMA user_version = 2").unwrap();
    drop(raw);
    let before = std::fs::read(&old).unwrap();
    let old_db = arg(&old);
    pool(&old_db, &["query", "firms"]).bad_input(&["pool upgrade"]);
    finkit(&["lend", "decide", "--db", &old_db]).bad_input(&["pool upgrade"]);
    assert_eq!(std::fs::read(&old).unwrap(), before);
    pool(&old_db, &["upgrade"]).ok();
    assert_eq!(pool(&old_db, &["query", "firms", "--json"]).json(), Value::Array(vec![]));
}

#[test]
fn audit_verify_checks_an_anchor_and_the_triggers() {
    let s = Scratch::new();
    let (db, _data, files) = synthetic_pool(&s);
    let doc =
        pool(&db, &["ingest", "--kind", "firms", "--file", &arg(&files.firms), "--json"]).json();
    let head = assert_head(&doc);
    let text = pool(&db, &["ingest", "--kind", "firms", "--file", &arg(&files.firms)]);
    assert!(text.ok().stdout.contains("audit head "), "{}", text.stdout);
    pool(&db, &["audit-verify", "--expect-head", &head]).ok();
    pool(&db, &["audit-verify", "--expect-head", "12"]).bad_input(&["--expect-head"]);

    // Truncate the chain and reset the head, putting the triggers back: consistent inside the
    // file, caught by the anchor (exit 1, tampering).
    let (count, _) = head.split_once(':').unwrap();
    let raw = rusqlite::Connection::open(&db).unwrap();
    let hash: String =
        raw.query_row("SELECT hash FROM audit_log WHERE seq = 2", [], |r| r.get(0)).unwrap();
    raw.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > 2;")
        .unwrap();
    raw.execute("UPDATE audit_head SET count = 2, hash = ?1 WHERE id = 1", [hash]).unwrap();
    let verify = pool(&db, &["audit-verify", "--json"]);
    assert_eq!(verify.code, 1, "the dropped trigger is reported: {verify:?}");
    assert!(verify.stdout.contains("audit_log_no_delete"), "{}", verify.stdout);
    for (_, sql) in
        finkit::pool::migrations::audit_triggers(finkit::pool::migrations::Dialect::Sqlite)
    {
        if sql.contains("audit_log_no_delete") {
            raw.execute_batch(&format!("{sql};")).unwrap();
        }
    }
    drop(raw);
    pool(&db, &["audit-verify"]).ok();
    let anchored = pool(&db, &["audit-verify", "--expect-head", &head]);
    assert_eq!(anchored.code, 1, "{anchored:?}");
    assert!(anchored.stderr.contains(&format!("at least {count}")), "{}", anchored.stderr);
}

/// `pool` with extra environment variables.
#[cfg(feature = "sqlcipher")]
fn pool_env(db: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut full = vec!["pool"];
    full.extend(args);
    full.extend(["--db", db, "--user", "tester"]);
    finkit_env(&full, env)
}

#[cfg(feature = "sqlcipher")]
#[test]
fn an_encrypted_pool_takes_its_key_from_the_environment_only() {
    let s = Scratch::new();
    let (data, files) = synthetic(&s);
    let db = arg(&s.path("secret.db"));
    let key = [("FINKIT_POOL_KEY", "a passphrase only the operator knows")];
    pool_env(&db, &["init"], &key).ok();
    let firms = arg(&files.firms);
    let report = pool_env(&db, &["ingest", "--kind", "firms", "--file", &firms, "--json"], &key);
    assert_report(&report.json(), data.firms.len(), 0);
    let bytes = std::fs::read(s.path("secret.db")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&data.firms[0].name), "a firm name is readable in the file");
    let listed = pool_env(&db, &["query", "firms", "--json"], &key).json();
    assert_eq!(listed.as_array().unwrap().len(), data.firms.len());
    // Without the key, or with another one: bad input naming the problem, never the key.
    pool(&db, &["query", "firms"]).bad_input(&["without its key", "FINKIT_POOL_KEY"]);
    let wrong = pool_env(&db, &["query", "firms"], &[("FINKIT_POOL_KEY", "guess")]);
    let message = wrong.bad_input(&["wrong key"]);
    assert!(!message.contains("guess") && !message.contains("passphrase"), "{message}");
    pool_env(&db, &["query", "firms"], &[("FINKIT_POOL_KEY", "")]).bad_input(&["FINKIT_POOL_KEY"]);
}
