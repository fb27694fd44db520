//! The demo report: `report.md` and a self-contained `report.html` beside the PNG charts.
//!
//! The HTML has inline CSS and references only the PNG files in its own directory, so it opens
//! in a browser with no network.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::CliError;

/// One block of the report.
#[derive(Debug, Clone)]
pub(crate) enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph of plain text.
    Paragraph(String),
    /// A table: header and rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A chart: file name in the report directory and caption.
    Image(String, String),
}

/// A report under construction.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    title: String,
    blocks: Vec<Block>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Report {
    pub(crate) fn new(title: &str) -> Self {
        Report { title: title.to_owned(), blocks: Vec::new() }
    }
    pub(crate) fn heading(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Heading(text.into()));
    }
    pub(crate) fn paragraph(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }
    pub(crate) fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table(header.iter().map(|s| (*s).to_owned()).collect(), rows));
    }
    pub(crate) fn image(&mut self, file: &str, caption: &str) {
        self.blocks.push(Block::Image(file.to_owned(), caption.to_owned()));
    }

    fn markdown(&self) -> String {
        let mut md = format!("# {}\n\n", self.title);
        for block in &self.blocks {
            match block {
                Block::Heading(h) => {
                    let _ = write!(md, "## {h}\n\n");
                }
                Block::Paragraph(p) => {
                    let _ = write!(md, "{p}\n\n");
                }
                Block::Table(header, rows) => {
                    let _ = writeln!(md, "| {} |", header.join(" | "));
                    let _ = writeln!(
                        md,
                        "|{}|",
                        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
                    );
                    for row in rows {
                        let _ = writeln!(md, "| {} |", row.join(" | ").replace('\n', " "));
                    }
                    md.push('\n');
                }
                Block::Image(file, caption) => {
                    let _ = write!(md, "![{caption}]({file})\n\n");
                }
            }
        }
        md
    }

    fn html(&self) -> String {
        let mut body = String::new();
        for block in &self.blocks {
            match block {
                Block::Heading(h) => {
                    let _ = writeln!(body, "<h2>{}</h2>", escape(h));
                }
                Block::Paragraph(p) => {
                    let _ = writeln!(body, "<p>{}</p>", escape(p));
                }
                Block::Table(header, rows) => {
                    body.push_str("<table><thead><tr>");
                    for h in header {
                        let _ = write!(body, "<th>{}</th>", escape(h));
                    }
                    body.push_str("</tr></thead><tbody>\n");
                    for row in rows {
                        body.push_str("<tr>");
                        for cell in row {
                            let _ = write!(body, "<td>{}</td>", escape(cell));
                        }
                        body.push_str("</tr>\n");
                    }
                    body.push_str("</tbody></table>\n");
                }
                Block::Image(file, caption) => {
                    let _ = writeln!(
                        body,
                        "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
                        escape(file),
                        escape(caption),
                        escape(caption)
                    );
                }
            }
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n\
             body {{ font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }}\n\
             h1 {{ border-bottom: 2px solid #345; }} h2 {{ margin-top: 1.6em; color: #345; }}\n\
             table {{ border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }}\n\
             th, td {{ border: 1px solid #ccd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}\n\
             th {{ background: #eef1f6; }} tr:nth-child(even) td {{ background: #fafbfd; }}\n\
             figure {{ margin: 1em 0; }} img {{ max-width: 100%; border: 1px solid #ddd; }} figcaption {{ color: #666; font-size: 0.9em; }}\n\
             </style></head>\n<body>\n<h1>{title}</h1>\n{body}</body></html>\n",
            title = escape(&self.title)
        )
    }

    /// Writes `report.md` and `report.html` into `dir`.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), CliError> {
        let write = |name: &str, text: String| {
            std::fs::write(dir.join(name), text).map_err(|e| {
                CliError::input(format!("{}: cannot write: {e}", dir.join(name).display()))
            })
        };
        write("report.md", self.markdown())?;
        write("report.html", self.html())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_references_local_images() {
        let mut r = Report::new("T <1>");
        r.paragraph("a & b");
        r.image("roc.png", "ROC");
        r.table(&["x"], vec![vec!["<y>".into()]]);
        let html = r.html();
        assert!(
            html.contains("T &lt;1&gt;")
                && html.contains("a &amp; b")
                && html.contains("&lt;y&gt;")
        );
        assert!(html.contains("src=\"roc.png\""));
        assert!(!html.contains("http"), "no network references");
        let md = r.markdown();
        assert!(md.contains("![ROC](roc.png)") && md.contains("| <y> |"));
    }
}
