//! Human-readable output: aligned text tables.

/// Prints rows under a header, each column padded to its widest cell; numbers right-aligned.
pub(crate) fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
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
    line(header.to_vec());
    println!("{}", widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>().join("  "));
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// Prints `key: value` pairs aligned on the colon.
pub(crate) fn print_pairs(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|p| p.0.chars().count()).max().unwrap_or(0);
    for (key, value) in pairs {
        println!("{key:<width$}  {value}");
    }
}
