//! `finkit pool …`: the embedded SQLite data pool.
//!
//! Every call acts as a principal (`--user`, `--role`) under the pool's policy (the default
//! policy, or `--policy FILE` in TOML or JSON), and is audited.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use finkit::pool::{
    Batch, EntityKind, FirmFilter, IngestMode, Policy, PoolError, PoolRead, PoolWrite, Principal,
    Pseudonymiser, Role, SqliteOptions, SqlitePool, StatementQuery,
};
use serde_json::json;

use crate::Output;
use crate::error::CliError;
use crate::table::{print_pairs, print_table};

/// The embedded data pool.
#[derive(Debug, Subcommand)]
pub(crate) enum PoolCommand {
    /// Create a pool file (schema migrations applied) or upgrade an existing one.
    Init(InitArgs),
    /// Ingest a CSV or JSON file of one entity kind; every rejected row is reported.
    Ingest(IngestArgs),
    /// Query firms, statements as of a date, applications, exposures, credit events or the audit trail.
    Query(QueryArgs),
    /// Write a pseudonymised research export (firm ids replaced by keyed HMAC-SHA256 pseudonyms).
    Export(ExportArgs),
    /// Verify the hash-chained audit trail; exit code 1 when it was tampered with.
    AuditVerify(AccessArgs),
}

/// The pool file and who is asking.
#[derive(Debug, Args)]
pub(crate) struct AccessArgs {
    /// The pool's SQLite file.
    #[arg(long)]
    db: PathBuf,
    /// The user name recorded in the audit trail (default: $USER).
    #[arg(long)]
    user: Option<String>,
    /// The role to act in.
    #[arg(long, value_enum, default_value_t = RoleArg::Admin)]
    role: RoleArg,
    /// A policy file (TOML or JSON) mapping roles to permissions (default: the built-in policy).
    #[arg(long)]
    policy: Option<PathBuf>,
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
}

/// Maps a pool error: access, data and file problems are input; the rest is internal.
pub(crate) fn pool_error(e: PoolError) -> CliError {
    // A read-only, unwritable or unopenable pool path is the user's input, not our failure.
    if e.is_database_file_problem() {
        return CliError::input(e.to_string());
    }
    match e {
        PoolError::Sqlite { .. } | PoolError::Io { .. } | PoolError::AuditConflict { .. } => {
            CliError::internal(e.to_string())
        }
        _ => CliError::input(e.to_string()),
    }
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

pub(crate) fn principal(access: &AccessArgs) -> Principal {
    let name = access
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "finkit-cli".into());
    let role = match access.role {
        RoleArg::Analyst => Role::Analyst,
        RoleArg::CreditOfficer => Role::CreditOfficer,
        RoleArg::RiskOfficer => Role::RiskOfficer,
        RoleArg::Auditor => Role::Auditor,
        RoleArg::Admin => Role::Admin,
    };
    Principal::new(name, role)
}

pub(crate) fn open(access: &AccessArgs, create: bool) -> Result<SqlitePool, CliError> {
    let policy = match &access.policy {
        // The user's policy file: missing, unreadable or malformed is bad input.
        Some(path) => Policy::from_file(path).map_err(|e| input_naming(path, &e))?,
        None => Policy::default(),
    };
    let options = SqliteOptions { create, policy, ..Default::default() };
    SqlitePool::open_with(&access.db, &options).map_err(pool_error)
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Runs a `pool` subcommand.
pub(crate) fn run(command: PoolCommand, out: Output) -> Result<(), CliError> {
    match command {
        PoolCommand::Init(a) => {
            let pool = open(&a.access, true)?;
            let version = pool.schema_version().map_err(pool_error)?;
            if out.json {
                return out.print_json(
                    &json!({"db": a.access.db.display().to_string(), "schema_version": version}),
                );
            }
            println!("pool {} ready (schema version {version})", a.access.db.display());
            Ok(())
        }
        PoolCommand::Ingest(a) => ingest(&a, out),
        PoolCommand::Query(a) => query(&a, out),
        PoolCommand::Export(a) => export(&a, out),
        PoolCommand::AuditVerify(a) => {
            let pool = open(&a, false)?;
            let status = pool.verify_audit(&principal(&a)).map_err(pool_error)?;
            let problems: Vec<String> = status.problems.iter().map(|p| format!("{p:?}")).collect();
            if out.json {
                out.print_json(&json!({
                    "intact": status.is_intact(), "entries": status.entries,
                    "head": status.head.hash, "problems": problems,
                }))?;
            } else {
                print_pairs(&[
                    ("entries", status.entries.to_string()),
                    ("head", status.head.hash.clone()),
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
    }
}

fn ingest(args: &IngestArgs, out: Output) -> Result<(), CliError> {
    let pool = open(&args.access, false)?;
    let kind = match args.kind {
        KindArg::Firms => EntityKind::Firms,
        KindArg::Statements => EntityKind::Statements,
        KindArg::Applications => EntityKind::Applications,
        KindArg::Exposures => EntityKind::Exposures,
        KindArg::Events => EntityKind::CreditEvents,
        KindArg::Prices => EntityKind::Prices,
    };
    let is_json = matches!(args.file.extension().and_then(|e| e.to_str()), Some("json" | "jsonl"));
    let batch = if crate::source::is_stdin(&args.file) {
        // `-`: standard input; JSON when it starts with `[` or `{`, CSV otherwise.
        let text = crate::source::read_to_string(&args.file)?;
        if text.trim_start().starts_with(['[', '{']) {
            Batch::from_json_str(kind, &text, "<stdin>")
        } else {
            Batch::from_csv_reader(kind, text.as_bytes(), "<stdin>")
        }
    } else if is_json {
        Batch::from_json_path(kind, &args.file)
    } else {
        Batch::from_csv_path(kind, &args.file)
    }
    // Reading the user's file: a missing or unreadable file is bad input, not an internal error.
    .map_err(|e| input_naming(&args.file, &e))?;
    let bar = crate::progress::bar(1, "ingest");
    let mode = if args.strict { IngestMode::Strict } else { IngestMode::Lenient };
    let report = match pool.ingest(&principal(&args.access), &batch, mode) {
        Ok(report) => report,
        Err(PoolError::Rejected { report }) => {
            bar.finish_and_clear();
            print_report(&report, &args.file, out)?;
            return Err(CliError::input(format!(
                "{}: strict mode: {} row(s) rejected, nothing committed (first: {})",
                args.file.display(),
                report.rejected.len(),
                report.rejected.first().map_or(String::new(), ToString::to_string)
            )));
        }
        Err(e) => return Err(pool_error(e)),
    };
    bar.finish_and_clear();
    print_report(&report, &args.file, out)?;
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

fn print_report(
    report: &finkit::pool::IngestReport,
    file: &Path,
    out: Output,
) -> Result<(), CliError> {
    if out.json {
        return out.print_json(&serde_json::to_value(report)?);
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
    let pool = open(&args.access, false)?;
    let who = principal(&args.access);
    let as_of = args.as_of.unwrap_or_else(today);
    let (header, rows, doc): (Vec<&str>, Vec<Vec<String>>, serde_json::Value) = match args.what {
        QueryWhat::Firms => {
            let filter = FirmFilter {
                industry_prefix: args.industry.clone(),
                region: args.region.clone(),
                tech_innovative: args.tech.then_some(true),
                ..FirmFilter::all()
            };
            let firms = pool.firms(&who, &filter).map_err(pool_error)?;
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
                serde_json::to_value(&firms)?,
            )
        }
        QueryWhat::Statements => {
            let statements =
                pool.statements_as_of(&who, as_of, &StatementQuery::all()).map_err(pool_error)?;
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
                serde_json::to_value(&statements)?,
            )
        }
        QueryWhat::Applications => {
            let apps = pool.applications(&who, &Default::default()).map_err(pool_error)?;
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
            (
                vec!["id", "firm", "date", "amount", "currency", "product"],
                rows,
                serde_json::to_value(&apps)?,
            )
        }
        QueryWhat::Exposures => {
            let exposures = pool.exposures(&who).map_err(pool_error)?;
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
            (
                vec!["loan", "firm", "pd", "lgd", "ead", "sector"],
                rows,
                serde_json::to_value(&exposures)?,
            )
        }
        QueryWhat::Events => {
            let events = pool.credit_events(&who, None).map_err(pool_error)?;
            let rows = events
                .iter()
                .map(|e| vec![e.firm_id.to_string(), format!("{:?}", e.kind), e.date.to_string()])
                .collect();
            (vec!["firm", "kind", "date"], rows, serde_json::to_value(&events)?)
        }
        QueryWhat::Audit => {
            let log = pool.audit_log(&who).map_err(pool_error)?;
            let doc = serde_json::to_value(&log)?;
            let rows = doc
                .as_array()
                .map(|entries| {
                    entries
                        .iter()
                        .map(|e| {
                            ["seq", "at", "principal", "role", "action", "entity", "outcome"]
                                .iter()
                                .map(|k| {
                                    e.get(*k).map_or(String::new(), |v| {
                                        v.as_str().map_or(v.to_string(), str::to_owned)
                                    })
                                })
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default();
            (vec!["seq", "at", "principal", "role", "action", "entity", "outcome"], rows, doc)
        }
    };
    if out.json {
        return out.print_json(&doc);
    }
    let total = rows.len();
    print_table(&header, &rows.into_iter().take(args.limit).collect::<Vec<_>>());
    if total > args.limit {
        println!("… {} more rows (raise --limit or use --json)", total - args.limit);
    }
    Ok(())
}

fn export(args: &ExportArgs, out: Output) -> Result<(), CliError> {
    let pool = open(&args.access, false)?;
    let key_hex = match &args.key {
        Some(k) => k.clone(),
        None => std::env::var("FINKIT_PSEUDONYM_KEY").map_err(|_| {
            CliError::input("no pseudonymisation key: pass --key HEX or set FINKIT_PSEUDONYM_KEY")
        })?,
    };
    let key = hex_decode(&key_hex)
        .ok_or_else(|| CliError::input("--key must be an even number of hex digits"))?;
    let key = Pseudonymiser::new(&key).map_err(pool_error)?;
    let as_of = args.as_of.unwrap_or_else(today);
    let export = pool.research_export(&principal(&args.access), as_of, &key).map_err(pool_error)?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::input(format!("{}: cannot create: {e}", args.out.display())))?;
    let path = args.out.join(format!("research_export_{as_of}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&export)?)
        .map_err(|e| CliError::input(format!("{}: cannot write: {e}", path.display())))?;
    if out.json {
        return out.print_json(&json!({
            "file": path.display().to_string(), "as_of": as_of.to_string(),
            "firms": export.firms.len(), "statements": export.statements.len(), "credit_events": export.credit_events.len(),
        }));
    }
    println!(
        "wrote {} ({} firms, {} statements, {} credit events; ids pseudonymised, sensitive fields masked)",
        path.display(),
        export.firms.len(),
        export.statements.len(),
        export.credit_events.len()
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
