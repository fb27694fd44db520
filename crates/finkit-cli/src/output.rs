//! How a command's result is printed: tables by default, one JSON document with `--json`.
//!
//! Every JSON document is a `Serialize` value: a report type of the libraries (`PdMetrics`,
//! `IngestReport`, `MonitoringReport`, …) or a small report struct of the command's module that
//! names the fields of the scripting contract in one typed place. The keys of every object are
//! printed in sorted order, whatever the declaration order of the struct: one rule, applied
//! here, so that documents built from library types and from CLI structs look alike and stay
//! byte-for-byte the same when a library reorders its fields.

use serde::Serialize;

use crate::error::CliError;

/// How a command's result is printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    /// `--json` was given.
    pub(crate) json: bool,
}

impl Output {
    /// Prints `report` as one JSON document (pretty, keys sorted).
    ///
    /// A failed write (a full disk, `/dev/full`) is an i/o error, never a panic.
    pub(crate) fn print_json(&self, report: &impl Serialize) -> Result<(), CliError> {
        use std::io::Write;
        let text = serde_json::to_string_pretty(&sorted(report)?)?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{text}").and_then(|()| stdout.flush()).map_err(crate::stdout_error)
    }
}

/// `report` as compact JSON text on one line, keys sorted (a row of a streamed document).
pub(crate) fn json_line(report: &impl Serialize) -> Result<String, CliError> {
    Ok(serde_json::to_string(&sorted(report)?)?)
}

/// `report` as a JSON value: every object a map with its keys in sorted order.
fn sorted(report: &impl Serialize) -> Result<serde_json::Value, CliError> {
    Ok(serde_json::to_value(report)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Inner {
        zeta: f64,
        alpha: Option<f64>,
    }

    #[derive(Serialize)]
    struct Outer {
        rows: Vec<Inner>,
        count: usize,
        #[serde(flatten)]
        inner: Inner,
    }

    #[test]
    fn keys_are_sorted_at_every_level_and_non_finite_numbers_are_null() {
        let doc = Outer {
            rows: vec![Inner { zeta: f64::NAN, alpha: Some(1.5) }],
            count: 2,
            inner: Inner { zeta: f64::INFINITY, alpha: None },
        };
        assert_eq!(
            json_line(&doc).unwrap(),
            r#"{"alpha":null,"count":2,"rows":[{"alpha":1.5,"zeta":null}],"zeta":null}"#
        );
    }
}
