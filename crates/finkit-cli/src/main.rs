//! `finkit`: the command line of the finkit workspace.
//!
//! Human-readable tables by default; `--json` prints one JSON document on stdout. Bad input
//! exits with code 2 and one line on stderr naming the file, line and field; failures not
//! caused by the input (internal errors, an i/o error writing the output) exit with code 1; a
//! lenient `pool ingest` that rejected rows exits with code 3. The flags and JSON fields of the scripting contract are listed in the
//! README and tested in `tests/`.

use finkit_cli::charts;
mod cmd_boost;
mod cmd_credit;
mod cmd_lend;
mod cmd_loop;
mod cmd_pool;
mod cmd_risk;
mod demo;
mod demo_loop;
mod error;
mod options;
mod output;
mod progress;
mod report;
mod source;
mod table;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::CliError;
pub(crate) use crate::output::Output;

/// Corporate lending and risk: data pool, credit scoring, risk, lending decisions.
#[derive(Debug, Parser)]
#[command(name = "finkit", version, about, long_about = None)]
struct Cli {
    /// Print one JSON document on stdout instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The data pool: init, ingest, query, export, audit-verify.
    #[command(subcommand)]
    Pool(cmd_pool::PoolCommand),
    /// Credit scoring: binning, logistic regression, scorecards, validation.
    #[command(subcommand)]
    Credit(cmd_credit::CreditCommand),
    /// Market and credit portfolio risk.
    #[command(subcommand)]
    Risk(cmd_risk::RiskCommand),
    /// Loan decisions with reasons, risk-based pricing and financing plans.
    #[command(subcommand)]
    Lend(cmd_lend::LendCommand),
    /// The end-to-end run: pool, scorecard, decisions, loan book risk, market backtest, report.
    Demo(demo::DemoArgs),
    /// Prints a shell completion script, e.g. `finkit completions bash > ~/.local/share/bash-completion/completions/finkit`.
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `demo --json`: where the report was written.
#[derive(serde::Serialize)]
struct DemoReport {
    /// The path of `report.html`.
    report: String,
}

fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output { json: cli.json };
    match cli.command {
        Command::Pool(c) => cmd_pool::run(c, out),
        Command::Credit(c) => cmd_credit::run(c, out),
        Command::Risk(c) => cmd_risk::run(c, out),
        Command::Lend(c) => cmd_lend::run(c, out),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "finkit", &mut std::io::stdout());
            Ok(())
        }
        Command::Demo(args) => {
            let dir = demo::run(&args)?;
            if out.json {
                out.print_json(&DemoReport {
                    report: dir.join("report.html").display().to_string(),
                })
            } else {
                println!("report written to {}", dir.join("report.html").display());
                Ok(())
            }
        }
    }
}

/// What the standard library's `println!` panics with when standard output cannot be written.
const STDOUT_PANIC: &str = "failed printing to stdout: ";

/// A failed write to standard output as an error of its own (exit code 1), not a panic.
fn stdout_error(e: std::io::Error) -> CliError {
    CliError::internal(format!("i/o error: cannot write to standard output: {e}"))
}

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("")
}

/// A usage error (unknown flag, missing argument, bad value) on one line with exit code 2;
/// help and version go out as clap prints them.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let text = e.render().to_string();
    let what = text.split("\n\n").next().unwrap_or_default();
    let what = what.strip_prefix("error: ").unwrap_or(what);
    let what = what.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("finkit: {} (see --help)", table::escape(&what));
    ExitCode::from(2)
}

/// With the `tracing` feature: spans of long work (fits, simulations, ingests) go to stderr
/// when `FINKIT_LOG` names a level (`info`, `debug`, `trace`); nothing is printed otherwise.
#[cfg(feature = "tracing")]
fn init_tracing() {
    use std::str::FromStr;
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::fmt::format::FmtSpan;
    let Ok(level) = std::env::var("FINKIT_LOG") else { return };
    let Ok(level) = LevelFilter::from_str(level.trim()) else {
        eprintln!(
            "finkit: FINKIT_LOG={level:?} is not a level (off, error, warn, info, debug, trace); ignored"
        );
        return;
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// The stack of the main thread on Linux (its usual limit), given to the pool's threads.
const MAIN_STACK_BYTES: usize = 8 << 20;

fn main() -> ExitCode {
    // A panic is a bug; the user still gets one line and exit code 1, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let payload = panic_text(info.payload());
        // `println!` panics when stdout is a closed pipe (`finkit … | head`); that is not an
        // error of ours, so leave quietly as other command-line tools do.
        if payload.contains("Broken pipe") {
            std::process::exit(0);
        }
        // Any other failed write to stdout (a full disk, `/dev/full`) is reported by `main` as
        // an i/o error, not as a bug.
        if payload.starts_with(STDOUT_PANIC) {
            return;
        }
        let location =
            info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("finkit: internal error{location}; please report it");
    }));
    #[cfg(feature = "tracing")]
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    // The command runs on a thread of rayon's pool, so that its parallel passes start from
    // inside the pool (a join hands work to the other thread directly) instead of each one
    // being injected from outside and the main thread put to sleep until it ends: on the
    // scorecard fit of issue 11 the context switches fall to about a third. The pool's threads
    // get the main thread's 8 MiB of stack, so no command has less than it had on the main
    // thread (the thread count is rayon's default, `RAYON_NUM_THREADS` or the CPUs); should
    // the pool exist already, it is used as it is.
    let _ = rayon::ThreadPoolBuilder::new().stack_size(MAIN_STACK_BYTES).build_global();
    let result = match std::panic::catch_unwind(|| rayon::scope(|_| run(cli))) {
        // What is still buffered must reach the file too, or the failure be reported.
        Ok(Ok(())) => std::io::Write::flush(&mut std::io::stdout()).map_err(stdout_error),
        Ok(Err(e)) => Err(e),
        Err(payload) => match panic_text(payload.as_ref()).strip_prefix(STDOUT_PANIC) {
            Some(reason) => Err(CliError::internal(format!(
                "i/o error: cannot write to standard output: {reason}"
            ))),
            None => return ExitCode::from(error::EXIT_FAILURE),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("finkit: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
