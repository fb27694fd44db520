//! Human-readable output: aligned text tables, with control characters of user-supplied text
//! escaped so that a name cannot move the cursor, clear the screen or forge a table line.

use std::borrow::Cow;

/// Whether a character must not reach a terminal raw: C0/C1 controls (ESC, NUL, line breaks)
/// and the bidirectional overrides that reorder what is shown.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The text with every unsafe character escaped (`\n`, `\t`, `\r`, `\u{1b}`); borrowed when
/// nothing needs escaping.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Prints rows under a header, each column padded to its widest cell; numbers right-aligned.
pub(crate) fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let header: Vec<Cow<'_, str>> = header.iter().map(|h| escape(h)).collect();
    let rows: Vec<Vec<Cow<'_, str>>> =
        rows.iter().map(|row| row.iter().map(|c| escape(c)).collect()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let is_number = |s: &str| s.parse::<f64>().is_ok() || s.ends_with('%');
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| if is_number(c) { format!("{c:>w$}") } else { format!("{c:<w$}") })
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.iter().map(AsRef::as_ref).collect());
    println!("{}", widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>().join("  "));
    for row in &rows {
        line(row.iter().map(AsRef::as_ref).collect());
    }
}

/// Prints `key: value` pairs aligned on the colon.
pub(crate) fn print_pairs(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|p| p.0.chars().count()).max().unwrap_or(0);
    for (key, value) in pairs {
        println!("{:<width$}  {}", escape(key), escape(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert!(matches!(escape("plain text, ünïcode"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ny\tz\r\0"), "x\\ny\\tz\\r\\u{0}");
        assert_eq!(escape("\u{202E}evil"), "\\u{202e}evil");
    }
}
