//! `finkit pool …`: the embedded SQLite data pool.
//!
//! Every call acts for the user the environment names (`FINKIT_USER`, else `USER`, else
//! `LOGNAME`), in the role the pool's own user table gives that user, under the policy stored
//! in the pool, and is audited. Flags cannot add rights: `--user` may only repeat the acting
//! user, `--role` may only pick a role with fewer permissions, and the policy is changed by an
//! admin with `pool policy-set`, not passed per call.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use finkit::pool::{
    EntityKind, FirmFilter, IngestMode, Policy, PoolError, PoolKey, PoolRead, Principal,
    Pseudonymiser, Role, RowSource, SqliteOptions, SqlitePool, StatementQuery, anonymise::Privacy,
    audit::AuditHead,
};
use serde::Serialize;

use crate::Output;
use crate::error::CliError;
use crate::table::{print_pairs, print_table};

/// The embedded data pool.
#[derive(Debug, Subcommand)]
pub(crate) enum PoolCommand {
    /// Create a pool file (you become its admin) or upgrade an existing one.
    Init(InitArgs),
    /// Apply pending schema migrations to an existing pool (reads never migrate).
    Upgrade(AdminArgs),
    /// Ingest a CSV or JSON file of one entity kind; every rejected row is reported.
    Ingest(IngestArgs),
    /// Query firms, statements as of a date, applications, exposures, credit events or the audit trail.
    Query(QueryArgs),
    /// Write a pseudonymised research export (keyed pseudonyms, quasi-identifiers generalised
    /// until every combination holds at least --k firms).
    Export(ExportArgs),
    /// Verify the hash-chained audit trail (and an anchor); exit code 1 when it was tampered with.
    AuditVerify(AuditVerifyArgs),
    /// Show the access policy stored in the pool.
    PolicyShow(AdminArgs),
    /// Replace the pool's access policy with a TOML or JSON file (admin only; audited).
    PolicySet(PolicySetArgs),
    /// List the pool's users and their roles (admin only).
    Users(AdminArgs),
    /// Register a user with a role, or change its role (admin only; audited).
    UserSet(UserSetArgs),
    /// Remove a user from the pool (admin only; audited).
    UserRemove(UserRemoveArgs),
}

/// The pool file and who is asking.
#[derive(Debug, Args)]
pub(crate) struct AccessArgs {
    /// The pool's SQLite file.
    #[arg(long)]
    db: PathBuf,
    /// The acting user, if given, must be the one the environment names (FINKIT_USER, else
    /// USER): it no longer selects a user.
    #[arg(long)]
    user: Option<String>,
    /// Act in a role with no more permissions than your own role in the pool (default: your
    /// role); a role with more is refused.
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
    /// Only for `pool init` of a new pool: its initial policy (TOML or JSON). Elsewhere
    /// refused; the policy lives in the pool (`pool policy-set`).
    #[arg(long)]
    policy: Option<PathBuf>,
}

/// The pool file and the acting user, for administration.
#[derive(Debug, Args)]
pub(crate) struct AdminArgs {
    /// The pool's SQLite file.
    #[arg(long)]
    db: PathBuf,
    /// The acting user, if given, must be the one the environment names.
    #[arg(long)]
    user: Option<String>,
}

/// Arguments of `pool policy-set`.
#[derive(Debug, Args)]
pub(crate) struct PolicySetArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The new policy, TOML or JSON (`.json`), one list of permissions per role.
    #[arg(long)]
    file: PathBuf,
}

/// Arguments of `pool user-set`.
#[derive(Debug, Args)]
pub(crate) struct UserSetArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The user to register (as the environment of that user names it).
    #[arg(long)]
    name: String,
    /// The user's role.
    #[arg(long, value_enum)]
    role: RoleArg,
}

/// Arguments of `pool user-remove`.
#[derive(Debug, Args)]
pub(crate) struct UserRemoveArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The user to remove.
    #[arg(long)]
    name: String,
}

/// Arguments of `pool audit-verify`.
#[derive(Debug, Args)]
pub(crate) struct AuditVerifyArgs {
    #[command(flatten)]
    access: AccessArgs,
    /// An anchor recorded earlier outside the pool, `COUNT:HASH` as printed by `pool ingest`:
    /// the trail must still hold entry COUNT with that hash.
    #[arg(long)]
    expect_head: Option<String>,
}

/// Roles of the pool's policy.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RoleArg {
    /// Reads and exports; sensitive fields masked.
    Analyst,
    /// Reads firms and applications unmasked.
    CreditOfficer,
    /// Reads the loan book and market data.
    RiskOfficer,
    /// Reads the audit trail.
    Auditor,
    /// Everything.
    Admin,
}

/// Arguments of `pool init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    access: AccessArgs,
}

/// Entity kinds of `pool ingest`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    /// Firms with their technology-innovation profile.
    Firms,
    /// Financial statements (a new available-at date is a new version).
    Statements,
    /// Loan applications.
    Applications,
    /// Loan-book exposures.
    Exposures,
    /// Credit events.
    Events,
    /// Price observations.
    Prices,
}

/// Arguments of `pool ingest`.
#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    #[command(flatten)]
    access: AccessArgs,
    /// What the file holds.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// A CSV file (layouts in finkit-pool's docs) or JSON (`.json` array, `.jsonl` lines).
    #[arg(long)]
    file: PathBuf,
    /// Commit nothing if any row is rejected, exit 2 (default: commit exactly the valid rows,
    /// exit 3 when any row is rejected).
    #[arg(long)]
    strict: bool,
}

/// What `pool query` lists.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum QueryWhat {
    /// Firms (filters: --industry, --region, --tech).
    Firms,
    /// Statements known on --as-of (latest version of each period).
    Statements,
    /// Loan applications.
    Applications,
    /// The loan book.
    Exposures,
    /// Credit events.
    Events,
    /// The audit trail.
    Audit,
}

/// Arguments of `pool query`.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    access: AccessArgs,
    /// What to list.
    what: QueryWhat,
    /// Point-in-time date for statements (YYYY-MM-DD; default: today).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Only firms whose industry code starts with this text.
    #[arg(long)]
    industry: Option<String>,
    /// Only firms in this region.
    #[arg(long)]
    region: Option<String>,
    /// Only technology-innovative firms.
    #[arg(long)]
    tech: bool,
    /// At most this many rows in the table (JSON output is never truncated).
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

/// Arguments of `pool export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    access: AccessArgs,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Point-in-time date of the export (default: today).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Pseudonymisation key as hex (default: the FINKIT_PSEUDONYM_KEY environment variable).
    #[arg(long)]
    key: Option<String>,
    /// Every combination of the firms' quasi-identifiers (founding year, head count, region,
    /// industry, tech flags) holds at least this many firms (generalised, or suppressed).
    #[arg(long, default_value_t = 5)]
    k: usize,
}

/// A problem with the user's file `path` as bad input, its message naming the file.
fn input_naming(path: &Path, e: &PoolError) -> CliError {
    let message = e.to_string();
    let name = path.display().to_string();
    if message.contains(&name) {
        CliError::input(message)
    } else {
        CliError::input(format!("{name}: {message}"))
    }
}

/// The environment variable holding the key of an encrypted pool file (feature `sqlcipher`).
pub(crate) const POOL_KEY_ENV: &str = "FINKIT_POOL_KEY";

/// The pool's encryption key from [`POOL_KEY_ENV`] (never from a flag, so it stays out of
/// shell histories and process lists); `None` when the variable is not set.
///
/// # Errors
///
/// Bad input when the variable is set but empty, not unicode, or holds a NUL character.
pub(crate) fn pool_key() -> Result<Option<PoolKey>, CliError> {
    match std::env::var(POOL_KEY_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(CliError::input(format!("{POOL_KEY_ENV} is not valid unicode")))
        }
        Ok(text) => PoolKey::new(text)
            .map(Some)
            .map_err(|e| CliError::input(format!("{POOL_KEY_ENV}: {e}"))),
    }
}

/// The acting user as the environment names it: `FINKIT_USER`, else `USER`, else `LOGNAME`.
///
/// # Errors
///
/// Bad input when none is set.
pub(crate) fn acting_user() -> Result<String, CliError> {
    ["FINKIT_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .ok_or_else(|| {
            CliError::input(
                "cannot tell who is acting: set FINKIT_USER (or USER) to your user name",
            )
        })
}

/// The acting user, checking that `--user` (when given) only repeats it.
fn checked_user(flag: Option<&str>) -> Result<String, CliError> {
    let name = acting_user()?;
    match flag {
        Some(given) if given != name => Err(CliError::input(format!(
            "--user {given:?} is not the acting user {name:?}: the user comes from the environment \
             (FINKIT_USER, else USER); --user may only repeat it"
        ))),
        _ => Ok(name),
    }
}

/// The principal a command acts for: the environment's user, in its role from the pool's user
/// table, or in a lower `role` that adds no permission to it.
///
/// # Errors
///
/// Bad input when the user is unknown to the pool, `--user` names someone else, or `role`
/// has a permission the user's own role lacks.
pub(crate) fn acting_principal(
    pool: &SqlitePool,
    user_flag: Option<&str>,
    role: Option<Role>,
) -> Result<Principal, CliError> {
    let name = checked_user(user_flag)?;
    let own = pool.principal_for(&name)?;
    match role {
        None => Ok(own),
        Some(r) if pool.policy().is_within(r, own.role) => Ok(Principal::new(name, r)),
        Some(r) => {
            let policy = pool.policy();
            let extra: Vec<&str> = policy
                .permissions(r)
                .difference(&policy.permissions(own.role))
                .map(|p| p.as_str())
                .collect();
            Err(CliError::input(format!(
                "--role {r} is refused: it has permissions ({}) that {name:?}'s role {} in this pool \
                 lacks; --role may only lower privileges (an admin changes roles with `pool user-set`)",
                extra.join(", "),
                own.role
            )))
        }
    }
}

fn role_of(arg: RoleArg) -> Role {
    match arg {
        RoleArg::Analyst => Role::Analyst,
        RoleArg::CreditOfficer => Role::CreditOfficer,
        RoleArg::RiskOfficer => Role::RiskOfficer,
        RoleArg::Auditor => Role::Auditor,
        RoleArg::Admin => Role::Admin,
    }
}

pub(crate) fn principal(pool: &SqlitePool, access: &AccessArgs) -> Result<Principal, CliError> {
    acting_principal(pool, access.user.as_deref(), access.role.map(role_of))
}

/// Opens an existing pool for a command (never creating or migrating it); `--policy` is
/// refused here, since the policy lives in the pool.
pub(crate) fn open(access: &AccessArgs) -> Result<SqlitePool, CliError> {
    if let Some(path) = &access.policy {
        return Err(CliError::input(format!(
            "--policy {} is refused: the policy lives in the pool and an admin changes it with \
             `finkit pool policy-set --db {} --file FILE` (`pool policy-show` prints it)",
            path.display(),
            access.db.display()
        )));
    }
    open_existing(&access.db, false)
}

fn open_existing(db: &Path, upgrade: bool) -> Result<SqlitePool, CliError> {
    let options = SqliteOptions { create: false, upgrade, key: pool_key()?, ..Default::default() };
    SqlitePool::open_with(db, &options).map_err(CliError::from)
}

fn open_admin(args: &AdminArgs) -> Result<(SqlitePool, Principal), CliError> {
    let pool = open_existing(&args.db, false)?;
    let who = acting_principal(&pool, args.user.as_deref(), None)?;
    Ok((pool, who))
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// `pool init --json` and `pool upgrade --json`: the pool file and its schema version.
#[derive(Serialize)]
struct PoolReport {
    db: String,
    schema_version: i64,
}

/// A user of the pool and its role (`pool users --json` lists them; `pool user-set --json`
/// prints the one set).
#[derive(Serialize)]
struct UserReport<'a> {
    name: &'a str,
    role: Role,
}

/// `pool user-remove --json`.
#[derive(Serialize)]
struct UserRemoved<'a> {
    name: &'a str,
    removed: bool,
}

/// `pool audit-verify --json`.
#[derive(Serialize)]
struct AuditVerifyReport<'a> {
    intact: bool,
    entries: u64,
    /// The hash of the last entry.
    head: &'a str,
    /// Every problem found, in words.
    problems: &'a [String],
}

/// `pool ingest --json`: the ingest report and, after a commit, the audit head (`COUNT:HASH`).
#[derive(Serialize)]
struct IngestReportDoc<'a> {
    #[serde(flatten)]
    report: &'a finkit::pool::IngestReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    audit_head: Option<String>,
}

/// `pool export --json`: the file written, its contents and its k-anonymity.
#[derive(Serialize)]
struct ExportReport<'a> {
    file: String,
    as_of: NaiveDate,
    firms: usize,
    statements: usize,
    credit_events: usize,
    k: usize,
    generalisation_level: u8,
    generalisation: &'a str,
    suppressed_firms: usize,
    smallest_class: usize,
}

/// Runs a `pool` subcommand.
pub(crate) fn run(command: PoolCommand, out: Output) -> Result<(), CliError> {
    match command {
        PoolCommand::Init(a) => init(&a, out),
        PoolCommand::Upgrade(a) => {
            let name = checked_user(a.user.as_deref())?;
            let pool = open_existing(&a.db, true)?;
            let admin = pool.bootstrap_admin(&name)?;
            let version = pool.schema_version()?;
            if out.json {
                return out.print_json(&PoolReport {
                    db: a.db.display().to_string(),
                    schema_version: version,
                });
            }
            println!("pool {} at schema version {version}", a.db.display());
            if admin {
                println!("the pool had no users: {name:?} is registered as its admin");
            }
            Ok(())
        }
        PoolCommand::Ingest(a) => ingest(&a, out),
        PoolCommand::Query(a) => query(&a, out),
        PoolCommand::Export(a) => export(&a, out),
        PoolCommand::AuditVerify(a) => audit_verify(&a, out),
        PoolCommand::PolicyShow(a) => {
            let (pool, _) = open_admin(&a)?;
            let policy = pool.policy();
            if out.json {
                return out.print_json(&policy);
            }
            let rows: Vec<Vec<String>> = Role::ALL
                .iter()
                .map(|r| {
                    let perms: Vec<&str> =
                        policy.permissions(*r).iter().map(|p| p.as_str()).collect();
                    vec![r.to_string(), perms.join(", ")]
                })
                .collect();
            print_table(&["role", "permissions"], &rows);
            Ok(())
        }
        PoolCommand::PolicySet(a) => {
            let (pool, who) = open_admin(&a.admin)?;
            let policy = Policy::from_file(&a.file).map_err(|e| input_naming(&a.file, &e))?;
            pool.set_policy(&who, &policy)?;
            if out.json {
                return out.print_json(&policy);
            }
            println!(
                "policy of {} replaced from {} (audited)",
                a.admin.db.display(),
                a.file.display()
            );
            Ok(())
        }
        PoolCommand::Users(a) => {
            let (pool, who) = open_admin(&a)?;
            let users = pool.users(&who)?;
            if out.json {
                let doc: Vec<UserReport> =
                    users.iter().map(|(name, role)| UserReport { name, role: *role }).collect();
                return out.print_json(&doc);
            }
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|(n, r)| vec![n.escape_debug().to_string(), r.to_string()])
                .collect();
            print_table(&["user", "role"], &rows);
            Ok(())
        }
        PoolCommand::UserSet(a) => {
            let (pool, who) = open_admin(&a.admin)?;
            let role = role_of(a.role);
            pool.set_user(&who, &a.name, role)?;
            if out.json {
                return out.print_json(&UserReport { name: &a.name, role });
            }
            println!("user {:?} now has role {role} (audited)", a.name);
            Ok(())
        }
        PoolCommand::UserRemove(a) => {
            let (pool, who) = open_admin(&a.admin)?;
            let removed = pool.remove_user(&who, &a.name)?;
            if !removed {
                return Err(CliError::input(format!("user {:?} is not registered", a.name)));
            }
            if out.json {
                return out.print_json(&UserRemoved { name: &a.name, removed: true });
            }
            println!("user {:?} removed (audited)", a.name);
            Ok(())
        }
    }
}

fn init(a: &InitArgs, out: Output) -> Result<(), CliError> {
    let name = checked_user(a.access.user.as_deref())?;
    let db = &a.access.db;
    let existing = db.exists() && std::fs::metadata(db).is_ok_and(|m| m.len() > 0);
    let policy = match &a.access.policy {
        Some(path) if existing => {
            return Err(CliError::input(format!(
                "--policy {} is refused: {} exists and keeps its stored policy; an admin changes it \
                 with `finkit pool policy-set`",
                path.display(),
                db.display()
            )));
        }
        // The user's policy file: missing, unreadable or malformed is bad input.
        Some(path) => Policy::from_file(path).map_err(|e| input_naming(path, &e))?,
        None => Policy::default(),
    };
    let options = SqliteOptions {
        create: true,
        upgrade: true,
        policy,
        key: pool_key()?,
        ..Default::default()
    };
    let pool = SqlitePool::open_with(db, &options)?;
    let admin = pool.bootstrap_admin(&name)?;
    // The caller must be a user of the pool (an existing pool's admin may have removed them).
    let who = acting_principal(&pool, Some(&name), a.access.role.map(role_of))?;
    let version = pool.schema_version()?;
    if out.json {
        return out
            .print_json(&PoolReport { db: db.display().to_string(), schema_version: version });
    }
    println!("pool {} ready (schema version {version})", db.display());
    if admin {
        println!("{name:?} is registered as the pool's admin");
    } else {
        println!("{name:?} acts as {}", who.role);
    }
    Ok(())
}

fn audit_verify(a: &AuditVerifyArgs, out: Output) -> Result<(), CliError> {
    let anchor = match &a.expect_head {
        Some(text) => Some(
            text.parse::<AuditHead>()
                .map_err(|e| CliError::input(format!("--expect-head: {e}")))?,
        ),
        None => None,
    };
    let pool = open(&a.access)?;
    let mut status = pool.verify_audit(&principal(&pool, &a.access)?)?;
    if let Some(anchor) = &anchor {
        status.check_anchor(anchor);
    }
    let problems: Vec<String> = status.problems.iter().map(|p| format!("{p:?}")).collect();
    if out.json {
        out.print_json(&AuditVerifyReport {
            intact: status.is_intact(),
            entries: status.entries,
            head: &status.head.hash,
            problems: &problems,
        })?;
    } else {
        print_pairs(&[
            ("entries", status.entries.to_string()),
            ("head", status.head.hash.clone()),
            (
                "anchor",
                anchor.as_ref().map_or_else(|| "none given".to_owned(), ToString::to_string),
            ),
            ("intact", status.is_intact().to_string()),
        ]);
    }
    if status.is_intact() {
        Ok(())
    } else {
        Err(CliError::internal(format!(
            "the audit trail was tampered with: {}",
            problems.join("; ")
        )))
    }
}

fn ingest(args: &IngestArgs, out: Output) -> Result<(), CliError> {
    let pool = open(&args.access)?;
    let who = principal(&pool, &args.access)?;
    let kind = match args.kind {
        KindArg::Firms => EntityKind::Firms,
        KindArg::Statements => EntityKind::Statements,
        KindArg::Applications => EntityKind::Applications,
        KindArg::Exposures => EntityKind::Exposures,
        KindArg::Events => EntityKind::CreditEvents,
        KindArg::Prices => EntityKind::Prices,
    };
    let is_json = matches!(args.file.extension().and_then(|e| e.to_str()), Some("json" | "jsonl"));
    // The rows are streamed: parsed, checked and written a chunk at a time in one transaction.
    let rows = if crate::source::is_stdin(&args.file) {
        // `-`: standard input; JSON when it starts with `[` or `{`, CSV otherwise.
        let (is_json, input) = sniff_json(std::io::stdin().lock())
            .map_err(|e| CliError::input(format!("<stdin>: cannot read: {e}")))?;
        if is_json {
            RowSource::json(kind, input, "<stdin>")
        } else {
            RowSource::csv(kind, input, "<stdin>")
        }
    } else if is_json {
        RowSource::json_path(kind, &args.file)
    } else {
        RowSource::csv_path(kind, &args.file)
    }
    // Reading the user's file: a missing or unreadable file is bad input, not an internal error.
    .map_err(|e| input_naming(&args.file, &e))?;
    let bar = crate::progress::bar(1, "ingest");
    let mode = if args.strict { IngestMode::Strict } else { IngestMode::Lenient };
    let (report, head) = match pool.ingest_rows_anchored(&who, rows, mode) {
        Ok(done) => done,
        Err(PoolError::Rejected { report }) => {
            bar.finish_and_clear();
            print_report(&report, None, &args.file, out)?;
            return Err(CliError::input(format!(
                "{}: strict mode: {} row(s) rejected, nothing committed (first: {})",
                args.file.display(),
                report.rejected.len(),
                report.rejected.first().map_or(String::new(), ToString::to_string)
            )));
        }
        // The file turned out malformed or unreadable part way: nothing was written.
        Err(e @ PoolError::Format { .. }) => {
            bar.finish_and_clear();
            return Err(input_naming(&args.file, &e));
        }
        Err(e) => return Err(CliError::from(e)),
    };
    bar.finish_and_clear();
    print_report(&report, Some(&head), &args.file, out)?;
    if report.rejected.is_empty() {
        Ok(())
    } else {
        // Lenient mode committed the valid rows; the rejections must still reach a script.
        Err(CliError::rejected_rows(format!(
            "{}: {} row(s) committed, {} problem(s) in rejected rows (first: {})",
            args.file.display(),
            report.accepted,
            report.rejected.len(),
            report.rejected.first().map_or(String::new(), ToString::to_string)
        )))
    }
}

/// Whether `input` holds JSON (its first non-blank byte is `[` or `{`), and the input with
/// nothing consumed. Blank bytes are looked at up to the line limit; beyond it the input is
/// taken for CSV (whose reader then refuses the over-long line).
fn sniff_json<R: std::io::Read>(input: R) -> std::io::Result<(bool, impl std::io::Read)> {
    use std::io::{BufRead, Read};
    let mut input = std::io::BufReader::new(input);
    let mut blank = Vec::new();
    let first = loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() || blank.len() > finkit::schema::limits::MAX_LINE_BYTES {
            break None;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                blank.extend_from_slice(&buf[..i]);
                input.consume(i);
                break Some(b);
            }
            None => {
                let n = buf.len();
                blank.extend_from_slice(buf);
                input.consume(n);
            }
        }
    };
    Ok((matches!(first, Some(b'[' | b'{')), std::io::Cursor::new(blank).chain(input)))
}

/// Prints an ingest report; `head` is the audit head after a committed ingest, an anchor for
/// `pool audit-verify --expect-head` (JSON field `audit_head`, `COUNT:HASH`).
fn print_report(
    report: &finkit::pool::IngestReport,
    head: Option<&AuditHead>,
    file: &Path,
    out: Output,
) -> Result<(), CliError> {
    if out.json {
        return out
            .print_json(&IngestReportDoc { report, audit_head: head.map(ToString::to_string) });
    }
    if let Some(head) = head {
        println!(
            "audit head {head} (keep it outside the pool; `finkit pool audit-verify --expect-head {head}` checks the trail against it)"
        );
    }
    println!(
        "{}: {} accepted, {} rejected",
        file.display(),
        report.accepted,
        report.rejected.len()
    );
    let rows: Vec<Vec<String>> = report
        .rejected
        .iter()
        .map(|r| vec![r.line.to_string(), r.field.clone(), r.reason.clone()])
        .collect();
    if !rows.is_empty() {
        print_table(&["line", "field", "reason"], &rows);
    }
    Ok(())
}

fn query(args: &QueryArgs, out: Output) -> Result<(), CliError> {
    let pool = open(&args.access)?;
    let who = principal(&pool, &args.access)?;
    let as_of = args.as_of.unwrap_or_else(today);
    let (header, rows): (Vec<&str>, Vec<Vec<String>>) = match args.what {
        QueryWhat::Firms => {
            let filter = FirmFilter {
                industry_prefix: args.industry.clone(),
                region: args.region.clone(),
                tech_innovative: args.tech.then_some(true),
                ..FirmFilter::all()
            };
            let firms = pool.firms(&who, &filter)?;
            if out.json {
                return out.print_json(&firms);
            }
            let rows = firms
                .iter()
                .map(|f| {
                    vec![
                        f.id.to_string(),
                        f.name.clone(),
                        f.registration_number.clone(),
                        format!("{:?} {}", f.industry.scheme, f.industry.code),
                        f.region.clone(),
                        f.tech.patents.invention.to_string(),
                        f.tech.high_tech_certified.to_string(),
                    ]
                })
                .collect();
            (
                vec![
                    "id",
                    "name",
                    "registration",
                    "industry",
                    "region",
                    "inv. patents",
                    "high-tech",
                ],
                rows,
            )
        }
        QueryWhat::Statements => {
            let statements = pool.statements_as_of(&who, as_of, &StatementQuery::all())?;
            if out.json {
                return out.print_json(&statements);
            }
            let rows = statements
                .iter()
                .map(|s| {
                    vec![
                        s.firm_id.to_string(),
                        s.period_end.to_string(),
                        s.available_at.to_string(),
                        format!("{:.0}", s.total_assets),
                        format!("{:.0}", s.revenue),
                        format!("{:.0}", s.net_income),
                    ]
                })
                .collect();
            (
                vec!["firm", "period end", "available at", "total assets", "revenue", "net income"],
                rows,
            )
        }
        QueryWhat::Applications => {
            let apps = pool.applications(&who, &Default::default())?;
            if out.json {
                return out.print_json(&apps);
            }
            let rows = apps
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        a.firm_id.to_string(),
                        a.application_date.to_string(),
                        format!("{:.0}", a.amount.get()),
                        a.currency.to_string(),
                        format!("{:?}", a.product),
                    ]
                })
                .collect();
            (vec!["id", "firm", "date", "amount", "currency", "product"], rows)
        }
        QueryWhat::Exposures => {
            let exposures = pool.exposures(&who)?;
            if out.json {
                return out.print_json(&exposures);
            }
            let rows = exposures
                .iter()
                .map(|e| {
                    vec![
                        e.loan_id.to_string(),
                        e.firm_id.to_string(),
                        format!("{:.4}", e.pd.get()),
                        format!("{:.2}", e.lgd.get()),
                        format!("{:.0}", e.ead.get()),
                        e.sector.clone(),
                    ]
                })
                .collect();
            (vec!["loan", "firm", "pd", "lgd", "ead", "sector"], rows)
        }
        QueryWhat::Events => {
            let events = pool.credit_events(&who, None)?;
            if out.json {
                return out.print_json(&events);
            }
            let rows = events
                .iter()
                .map(|e| vec![e.firm_id.to_string(), format!("{:?}", e.kind), e.date.to_string()])
                .collect();
            (vec!["firm", "kind", "date"], rows)
        }
        QueryWhat::Audit => {
            let log = pool.audit_log(&who)?;
            if out.json {
                return out.print_json(&log);
            }
            let rows = log
                .iter()
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        e.at.clone(),
                        e.principal.clone(),
                        e.role.clone(),
                        e.action.clone(),
                        e.entity.clone(),
                        e.outcome.clone(),
                    ]
                })
                .collect();
            (vec!["seq", "at", "principal", "role", "action", "entity", "outcome"], rows)
        }
    };
    let total = rows.len();
    print_table(&header, &rows.into_iter().take(args.limit).collect::<Vec<_>>());
    if total > args.limit {
        println!("… {} more rows (raise --limit or use --json)", total - args.limit);
    }
    Ok(())
}

fn export(args: &ExportArgs, out: Output) -> Result<(), CliError> {
    let pool = open(&args.access)?;
    let who = principal(&pool, &args.access)?;
    let key_hex = match &args.key {
        Some(k) => k.clone(),
        None => std::env::var("FINKIT_PSEUDONYM_KEY").map_err(|_| {
            CliError::input("no pseudonymisation key: pass --key HEX or set FINKIT_PSEUDONYM_KEY")
        })?,
    };
    let key = hex_decode(&key_hex)
        .ok_or_else(|| CliError::input("--key must be an even number of hex digits"))?;
    let key = Pseudonymiser::new(&key)?;
    let as_of = args.as_of.unwrap_or_else(today);
    let privacy = Privacy::new(args.k).map_err(|e| CliError::input(format!("--k: {e}")))?;
    let export = pool.research_export_with(&who, as_of, &key, &privacy)?;
    let p = &export.privacy;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::input(format!("{}: cannot create: {e}", args.out.display())))?;
    let path = args.out.join(format!("research_export_{as_of}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&export)?)
        .map_err(|e| CliError::input(format!("{}: cannot write: {e}", path.display())))?;
    if out.json {
        return out.print_json(&ExportReport {
            file: path.display().to_string(),
            as_of,
            firms: export.firms.len(),
            statements: export.statements.len(),
            credit_events: export.credit_events.len(),
            k: p.k,
            generalisation_level: p.level,
            generalisation: &p.generalisation,
            suppressed_firms: p.suppressed_firms,
            smallest_class: p.smallest_class,
        });
    }
    println!(
        "wrote {} ({} firms, {} statements, {} credit events; ids pseudonymised, no names or contacts)",
        path.display(),
        export.firms.len(),
        export.statements.len(),
        export.credit_events.len()
    );
    println!(
        "k-anonymity: k = {}, level {} ({}); {} firm(s) suppressed; smallest class {}",
        p.k, p.level, p.generalisation, p.suppressed_firms, p.smallest_class
    );
    Ok(())
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}
