//! Notebook twins: each `examples/notebooks/<name>.ipynb` is generated from the program
//! `examples/examples/notebook_<name>.rs`, which CI compiles and runs.
//!
//! The twin's layout:
//!
//! ```text
//! //! header (not part of the notebook)
//! // nb:dep finkit = { path = "../../crates/finkit" }     -> a `:dep` line of the first cell
//! use finkit::schema::Dataset;                            -> `use` lines join the first cell
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // %% md                                            -> a markdown cell; `// ` is removed
//!     // # Title
//!     // %%                                               -> a code cell; 4 spaces de-indented
//!     let data = ...;
//!     // %% end                                           -> the rest (`Ok(())`, `}`) is not a cell
//!     Ok(())
//! }
//! ```

use serde_json::{Value, json};

/// One notebook cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Markdown text.
    Markdown(String),
    /// Rust code for the evcxr kernel.
    Code(String),
}

/// Why a twin or a notebook could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotebookError(pub String);

impl std::fmt::Display for NotebookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotebookError {}

/// The cells of a twin program, in order.
///
/// # Errors
///
/// When the twin has no `fn main`, no cell markers, or no `// %% end`.
pub fn cells_from_twin(source: &str) -> Result<Vec<Cell>, NotebookError> {
    let mut deps = Vec::new();
    let mut uses = Vec::new();
    let mut lines = source.lines();
    // A `use` item may span several lines (rustfmt wraps long ones); it ends at its `;`.
    let mut in_use = false;
    for line in lines.by_ref() {
        if in_use {
            uses.push(line.to_owned());
            in_use = !line.trim_end().ends_with(';');
        } else if let Some(dep) = line.strip_prefix("// nb:dep ") {
            deps.push(format!(":dep {}", dep.trim()));
        } else if line.starts_with("use ") {
            uses.push(line.to_owned());
            in_use = !line.trim_end().ends_with(';');
        } else if line.starts_with("fn main(") {
            break;
        }
    }
    let mut cells = vec![Cell::Code([deps, uses].concat().join("\n"))];
    let mut current: Option<(bool, Vec<String>)> = None;
    let mut ended = false;
    let flush = |current: &mut Option<(bool, Vec<String>)>, cells: &mut Vec<Cell>| {
        if let Some((markdown, body)) = current.take() {
            let mut body = body;
            while body.last().is_some_and(|l| l.trim().is_empty()) {
                body.pop();
            }
            let text = body.join("\n");
            cells.push(if markdown { Cell::Markdown(text) } else { Cell::Code(text) });
        }
    };
    for line in lines {
        let trimmed = line.trim();
        if trimmed == "// %% end" {
            flush(&mut current, &mut cells);
            ended = true;
            break;
        } else if trimmed == "// %% md" {
            flush(&mut current, &mut cells);
            current = Some((true, Vec::new()));
        } else if trimmed == "// %%" {
            flush(&mut current, &mut cells);
            current = Some((false, Vec::new()));
        } else if let Some((markdown, body)) = current.as_mut() {
            if *markdown {
                body.push(
                    trimmed
                        .strip_prefix("//")
                        .map_or("", |t| t.strip_prefix(' ').unwrap_or(t))
                        .to_owned(),
                );
            } else {
                body.push(line.strip_prefix("    ").unwrap_or(line.trim_start()).to_owned());
            }
        }
    }
    if !ended {
        return Err(NotebookError("the twin has no `// %% end` marker inside fn main".into()));
    }
    if cells.len() < 2 {
        return Err(NotebookError("the twin has no cells".into()));
    }
    Ok(cells)
}

fn source_lines(text: &str) -> Value {
    let lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    json!(lines)
}

/// The `.ipynb` JSON (nbformat 4) for the cells, with the evcxr Rust kernel.
#[must_use]
pub fn notebook_json(cells: &[Cell]) -> String {
    let cells: Vec<Value> = cells
        .iter()
        .map(|cell| match cell {
            Cell::Markdown(text) => {
                json!({"cell_type": "markdown", "metadata": {}, "source": source_lines(text)})
            }
            Cell::Code(text) => json!({
                "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
                "source": source_lines(text)
            }),
        })
        .collect();
    let notebook = json!({
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
            "language_info": {"codemirror_mode": "rust", "file_extension": ".rs",
                "mimetype": "text/rust", "name": "Rust", "pygment_lexer": "rust", "version": ""}
        },
        "nbformat": 4,
        "nbformat_minor": 5
    });
    let mut text = serde_json::to_string_pretty(&notebook).unwrap_or_default();
    text.push('\n');
    text
}

/// The cells of a notebook file's JSON (outputs are ignored).
///
/// # Errors
///
/// When the JSON is not an nbformat-4 notebook.
pub fn cells_from_notebook(json_text: &str) -> Result<Vec<Cell>, NotebookError> {
    let value: Value = serde_json::from_str(json_text).map_err(|e| NotebookError(e.to_string()))?;
    let cells = value["cells"].as_array().ok_or_else(|| NotebookError("no cells array".into()))?;
    cells
        .iter()
        .map(|cell| {
            let source = match &cell["source"] {
                Value::String(s) => s.clone(),
                Value::Array(parts) => parts.iter().filter_map(Value::as_str).collect(),
                _ => return Err(NotebookError("a cell has no source".into())),
            };
            match cell["cell_type"].as_str() {
                Some("markdown") => Ok(Cell::Markdown(source)),
                Some("code") => Ok(Cell::Code(source)),
                other => Err(NotebookError(format!("unknown cell type {other:?}"))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWIN: &str = "//! header\n// nb:dep a = { path = \"x\" }\nuse a::B;\n\nfn main() -> Result<(), Box<dyn std::error::Error>> {\n    // %% md\n    // # Title\n    //\n    // text\n    // %%\n    let x = 1;\n    println!(\"{x}\");\n\n    // %% end\n    Ok(())\n}\n";

    #[test]
    fn twin_round_trips_through_notebook_json() {
        let cells = cells_from_twin(TWIN).expect("valid twin");
        assert_eq!(
            cells,
            vec![
                Cell::Code(":dep a = { path = \"x\" }\nuse a::B;".into()),
                Cell::Markdown("# Title\n\ntext".into()),
                Cell::Code("let x = 1;\nprintln!(\"{x}\");".into()),
            ]
        );
        let back = cells_from_notebook(&notebook_json(&cells)).expect("valid notebook");
        assert_eq!(back, cells);
    }

    #[test]
    fn multi_line_use_items_are_kept_whole() {
        let twin = "use a::{\n    B,\n    C,\n};\nfn main() {\n    // %%\n    let x = 1;\n    // %% end\n}\n";
        let cells = cells_from_twin(twin).expect("valid twin");
        assert_eq!(cells[0], Cell::Code("use a::{\n    B,\n    C,\n};".into()));
    }

    #[test]
    fn a_twin_without_end_marker_is_rejected() {
        assert!(cells_from_twin("fn main() {\n    // %%\n    let x = 1;\n}\n").is_err());
    }
}
