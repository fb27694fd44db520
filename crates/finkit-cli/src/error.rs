//! The command line's error: a one-line message and an exit code.

/// Exit code: a failure that is not the input's (an internal error, an i/o error writing the
/// output, a database failure, a tampered audit trail).
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code: bad input (usage, a file, a line, a value, a pool path).
pub(crate) const EXIT_INPUT: u8 = 2;
/// Exit code: a lenient `pool ingest` committed the valid rows but rejected others.
pub(crate) const EXIT_REJECTED_ROWS: u8 = 3;

/// What went wrong, and whose fault it was.
#[derive(Debug)]
pub(crate) struct CliError {
    /// [`EXIT_INPUT`] for bad input, [`EXIT_REJECTED_ROWS`] for rows rejected by a lenient
    /// ingest, [`EXIT_FAILURE`] for everything else.
    pub(crate) code: u8,
    /// One line, naming the file, line and field where known.
    pub(crate) message: String,
}

impl CliError {
    /// Bad input from the user: exit code 2.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        CliError { code: EXIT_INPUT, message: one_line(message.into()) }
    }
    /// A failure that is not the user's: exit code 1.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        CliError { code: EXIT_FAILURE, message: one_line(message.into()) }
    }
    /// A lenient ingest that rejected rows (and committed the others): exit code 3.
    pub(crate) fn rejected_rows(message: impl Into<String>) -> Self {
        CliError { code: EXIT_REJECTED_ROWS, message: one_line(message.into()) }
    }
}

/// Error messages of the libraries may list several violations; the CLI prints one line, with
/// any control character of user-supplied text escaped.
fn one_line(message: String) -> String {
    crate::table::escape(&message.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
}

impl From<finkit::schema::SchemaError> for CliError {
    fn from(e: finkit::schema::SchemaError) -> Self {
        CliError::input(e.to_string())
    }
}

/// A numeric flag checked by its schema type (`Probability::new`, `Lgd::new`, …); the error
/// names the flag.
pub(crate) fn flag_value<T>(
    flag: &str,
    value: f64,
    make: impl FnOnce(f64) -> Result<T, finkit::schema::SchemaError>,
) -> Result<T, CliError> {
    make(value).map_err(|e| CliError::input(format!("--{flag}: {e}")))
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::internal(format!("i/o error: {e}"))
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::internal(format!("json: {e}"))
    }
}

impl From<finkit_cli::charts::ChartError> for CliError {
    fn from(e: finkit_cli::charts::ChartError) -> Self {
        CliError::internal(e.0)
    }
}

// The libraries' errors, each classified once: the user's input (exit 2) or our failure (exit 1).

impl From<finkit::pool::PoolError> for CliError {
    fn from(e: finkit::pool::PoolError) -> Self {
        use finkit::pool::PoolError;
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
}

impl From<finkit::lending::LendingError> for CliError {
    fn from(e: finkit::lending::LendingError) -> Self {
        match e {
            finkit::lending::LendingError::Pool(_) => CliError::internal(e.to_string()),
            _ => CliError::input(e.to_string()),
        }
    }
}

impl From<finkit::credit::CreditError> for CliError {
    fn from(e: finkit::credit::CreditError) -> Self {
        match e {
            finkit::credit::CreditError::NotConverged { .. } => CliError::internal(e.to_string()),
            _ => CliError::input(e.to_string()),
        }
    }
}

impl From<finkit::risk::RiskError> for CliError {
    fn from(e: finkit::risk::RiskError) -> Self {
        match e {
            finkit::risk::RiskError::NotConverged { .. } => CliError::internal(e.to_string()),
            _ => CliError::input(e.to_string()),
        }
    }
}
