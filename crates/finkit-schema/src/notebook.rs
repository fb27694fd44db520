//! Inline display in notebooks (the evcxr Rust kernel for Jupyter): HTML tables.
//!
//! evcxr shows a value inline when it has an `evcxr_display` method that prints
//! `EVCXR_BEGIN_CONTENT <mime>` … `EVCXR_END_CONTENT`. The result types of finkit (binning
//! tables, scorecards, backtests, loss distributions) build an [`HtmlTable`] and print it that
//! way; outside a notebook the same text is just printed.

use std::fmt::Write as _;

/// A small HTML table with a caption, for notebook display.
///
/// ```
/// use finkit_schema::notebook::HtmlTable;
/// let t = HtmlTable::new("IV", ["variable", "iv"]).with_row(["age <b>", "0.12"]);
/// let html = t.to_html();
/// assert!(html.contains("<caption>IV</caption>") && html.contains("age &lt;b&gt;"));
/// assert!(t.evcxr_content().starts_with("EVCXR_BEGIN_CONTENT text/html\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HtmlTable {
    caption: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// `text` with the HTML special characters escaped.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The evcxr display protocol text for an HTML fragment.
#[must_use]
pub fn evcxr_html(html: &str) -> String {
    format!("EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT\n")
}

impl HtmlTable {
    /// An empty table with a caption and column headers.
    #[must_use]
    pub fn new<S: Into<String>>(
        caption: impl Into<String>,
        header: impl IntoIterator<Item = S>,
    ) -> Self {
        HtmlTable {
            caption: caption.into(),
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (cells as text; escaped when rendered).
    #[must_use]
    pub fn with_row<S: Into<String>>(mut self, cells: impl IntoIterator<Item = S>) -> Self {
        self.push_row(cells);
        self
    }

    /// Adds a row in place.
    pub fn push_row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// The number of body rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no body rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as an HTML fragment.
    #[must_use]
    pub fn to_html(&self) -> String {
        let mut html = String::from("<table>");
        let _ = write!(html, "<caption>{}</caption><thead><tr>", escape_html(&self.caption));
        for h in &self.header {
            let _ = write!(html, "<th>{}</th>", escape_html(h));
        }
        html.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            html.push_str("<tr>");
            for cell in row {
                let _ = write!(html, "<td>{}</td>", escape_html(cell));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        html
    }

    /// The evcxr display protocol text of the table.
    #[must_use]
    pub fn evcxr_content(&self) -> String {
        evcxr_html(&self.to_html())
    }

    /// Shows the table inline in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        print!("{}", self.evcxr_content());
    }
}

/// A number with a fixed count of decimals, for table cells.
#[must_use]
pub fn cell(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_rows_in_order() {
        let mut t = HtmlTable::new("a & b", ["x", "y"]);
        t.push_row(["1", "<2>"]);
        t.push_row(["3", "4"]);
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.to_html(),
            "<table><caption>a &amp; b</caption><thead><tr><th>x</th><th>y</th></tr></thead>\
             <tbody><tr><td>1</td><td>&lt;2&gt;</td></tr><tr><td>3</td><td>4</td></tr></tbody></table>"
        );
        assert!(t.evcxr_content().ends_with("</table>\nEVCXR_END_CONTENT\n"));
    }
}
