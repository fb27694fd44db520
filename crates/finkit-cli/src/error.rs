//! The command line's error: a one-line message and an exit code.

/// What went wrong, and whose fault it was.
#[derive(Debug)]
pub(crate) struct CliError {
    /// 2 for bad input (a file, a column, a value, a parameter), 1 for an internal failure.
    pub(crate) code: u8,
    /// One line, naming the file, line and field where known.
    pub(crate) message: String,
}

impl CliError {
    /// Bad input from the user: exit code 2.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        CliError { code: 2, message: one_line(message.into()) }
    }
    /// A failure that is not the user's: exit code 1.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        CliError { code: 1, message: one_line(message.into()) }
    }
}

/// Error messages of the libraries may list several violations; the CLI prints one line.
fn one_line(message: String) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl From<finkit::schema::SchemaError> for CliError {
    fn from(e: finkit::schema::SchemaError) -> Self {
        CliError::input(e.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::internal(format!("i/o: {e}"))
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
