//! Reading a [`Dataset`] from CSV text.
//!
//! There are two readers, and both give the same dataset or the same error (a property test
//! checks this on fuzzed input):
//! - [`read_stream`] reads any [`Read`] through the csv crate and the shared
//!   [`BoundedReader`]. It handles quoting and the line limit.
//! - [`read_in_memory`] is used for a regular file held in memory. It needs no quoted cells,
//!   valid UTF-8 and lines well under the limit. It splits the lines itself and parses blocks
//!   of rows in parallel. When the input does not meet these conditions it returns `None`, and
//!   the caller streams instead.
//!
//! One rule decides every cell, [`Store::push`], and one rule makes the columns,
//! [`finish`]. Rows of plain decimals take a one-pass form of the cell rule
//! (`Rows::fill_plain`): a numeric cell is taken there only when it reads as
//! [`number`] reads it on its plain-decimal path ([`plain_prefix`], the same function), or
//! is a missing token; any other row is read the general way.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use ndarray::Array1;
use rayon::prelude::*;

use super::{Column, CsvOptions, Dataset};
use crate::SchemaError;
use crate::csv_input::{NumberError, number, plain_prefix, trim_cell};
use crate::limits::{BoundedReader, LimitExceeded, MAX_LINE_BYTES, limit_exceeded};

/// The UTF-8 byte-order mark, skipped at the start of the input.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Lines longer than this make the in-memory reader hand over to the streaming one, which
/// enforces the exact limit and names the line.
const IN_MEMORY_MAX_LINE: usize = MAX_LINE_BYTES / 2;

/// Below this many bytes of rows a block is not worth a task of its own.
pub(super) const MIN_BLOCK_BYTES: usize = 128 * 1024;

fn csv_error(path: &Path, line: u64, column: &str, message: String) -> SchemaError {
    SchemaError::Csv { path: path.to_owned(), line, column: column.to_owned(), message }
}

/// The checked header: the column names and the position of the target.
struct Header {
    names: Vec<String>,
    target: Option<usize>,
}

impl Header {
    /// Checks the raw header cells (trimmed here) against each other and against the options.
    fn new<'c>(
        cells: impl Iterator<Item = &'c str>,
        options: &CsvOptions,
        path: &Path,
    ) -> Result<Header, SchemaError> {
        let names: Vec<String> = cells.map(|h| h.trim().to_owned()).collect();
        if names.iter().all(String::is_empty) {
            return Err(csv_error(path, 1, "", "empty header row".into()));
        }
        let mut seen = HashSet::new();
        for name in &names {
            if name.is_empty() {
                return Err(csv_error(path, 1, "", "a header cell is empty".into()));
            }
            if !seen.insert(name.as_str()) {
                return Err(csv_error(path, 1, name, "duplicate column name".into()));
            }
        }
        for forced in options.categorical.iter().chain(&options.numeric) {
            if !seen.contains(forced.as_str()) {
                return Err(csv_error(
                    path,
                    1,
                    forced,
                    "column named in the options is not in the header".into(),
                ));
            }
        }
        let target = match &options.target {
            Some(t) => Some(names.iter().position(|n| n == t).ok_or_else(|| {
                csv_error(path, 1, t, "target column not found in the header".into())
            })?),
            None => None,
        };
        Ok(Header { names, target })
    }

    /// One empty store per column, of the kind the options fix (else undecided).
    fn stores(&self, options: &CsvOptions) -> Vec<Store> {
        self.names
            .iter()
            .enumerate()
            .map(|(j, n)| {
                if Some(j) == self.target || options.categorical.contains(n) {
                    Store::Text(Vec::new())
                } else if options.numeric.contains(n) {
                    Store::Numeric(Vec::new(), None)
                } else {
                    Store::Undecided(0)
                }
            })
            .collect()
    }

    fn ragged(&self, path: &Path, line: u64, fields: usize) -> SchemaError {
        csv_error(
            path,
            line,
            "",
            format!("ragged row: {fields} fields, the header has {}", self.names.len()),
        )
    }
}

/// A column while it is read. Its kind is known at its first non-missing value (or from the
/// options); from then on a numeric column is parsed as it is read (no text kept), and its first
/// bad cell is remembered. Errors are reported after the whole input is read, column by column,
/// as a two-pass reader would: the first column with a bad cell, at its first bad line.
enum Store {
    /// No value yet: this many missing cells.
    Undecided(usize),
    Numeric(Vec<f64>, Option<SchemaError>),
    Text(Vec<Option<String>>),
}

/// A cell as the reader sees it: trimmed, and whether it is a missing token.
fn cell<'t>(raw: &'t str, options: &CsvOptions) -> (&'t str, bool) {
    let text = trim_cell(raw);
    (text, is_missing(text.as_bytes(), options))
}
/// Whether a (trimmed) cell is one of the missing-value tokens.
fn is_missing(text: &[u8], options: &CsvOptions) -> bool {
    options.missing_tokens.iter().any(|m| m.as_bytes() == text)
}

/// The value of a (trimmed) cell of a numeric column; a bad cell is NaN and sets `first_error`
/// if it is the column's first.
fn numeric_value(
    text: &str,
    missing: bool,
    at: (&Path, u64, &str),
    first_error: &mut Option<SchemaError>,
) -> f64 {
    if missing {
        return f64::NAN;
    }
    number(text).unwrap_or_else(|e| {
        let (path, line, column) = at;
        first_error
            .get_or_insert_with(|| csv_error(path, line, column, format!("{text:?} is {e}")));
        f64::NAN
    })
}

/// The value of a (trimmed) cell of a text column.
fn text_value(text: &str, missing: bool) -> Option<String> {
    (!missing).then(|| text.to_owned())
}

impl Store {
    /// The one rule for a cell of column `column` on line `line`: the kind of an undecided
    /// column follows its first non-missing cell; then [`numeric_value`] or [`text_value`].
    fn push(&mut self, raw: &str, line: u64, column: &str, options: &CsvOptions, path: &Path) {
        let (text, missing) = cell(raw, options);
        if let Store::Undecided(count) = self {
            if missing {
                *count += 1;
                return;
            }
            let before = *count;
            *self = if number(text) != Err(NumberError::NotANumber) {
                let mut values = Vec::with_capacity(before + 1);
                values.resize(before, f64::NAN);
                Store::Numeric(values, None)
            } else {
                let mut cells = Vec::with_capacity(before + 1);
                cells.resize(before, None);
                Store::Text(cells)
            };
        }
        match self {
            Store::Numeric(values, first_error) => {
                values.push(numeric_value(text, missing, (path, line, column), first_error));
            }
            Store::Text(cells) => cells.push(text_value(text, missing)),
            Store::Undecided(_) => {}
        }
    }
}

/// The columns from the stores once every row is read (`lines`: the line of each row).
fn finish(
    header: Header,
    stores: Vec<Store>,
    lines: &[u64],
    path: &Path,
) -> Result<Dataset, SchemaError> {
    if lines.is_empty() {
        return Err(csv_error(path, 2, "", "no data rows after the header".into()));
    }
    let mut columns = Vec::with_capacity(header.names.len());
    let mut target = None;
    for (j, (name, store)) in header.names.iter().zip(stores).enumerate() {
        if Some(j) == header.target {
            let Store::Text(col) = store else {
                return Err(csv_error(
                    path,
                    1,
                    name,
                    "the target column was not read as text".into(),
                ));
            };
            let mut values = Vec::with_capacity(col.len());
            for (cell, &line) in col.iter().zip(lines) {
                let text = cell
                    .as_deref()
                    .ok_or_else(|| csv_error(path, line, name, "missing target value".into()))?;
                let v = number(text)
                    .map_err(|e| csv_error(path, line, name, format!("{text:?} is {e}")))?;
                if v != 0.0 && v != 1.0 {
                    return Err(csv_error(
                        path,
                        line,
                        name,
                        format!("target must be 0 or 1, got {text:?}"),
                    ));
                }
                values.push(v);
            }
            target = Some((name.clone(), Array1::from(values)));
            continue;
        }
        let column = match store {
            Store::Text(col) => Column::Categorical(col),
            Store::Numeric(_, Some(e)) => return Err(e),
            Store::Numeric(values, None) => Column::Numeric(Array1::from(values)),
            // A column with only missing cells is kept as numeric and all-missing.
            Store::Undecided(count) => Column::Numeric(Array1::from(vec![f64::NAN; count])),
        };
        columns.push((name.clone(), column));
    }
    Dataset::new(columns, target)
}

/// The streaming reader (see the module docs).
pub(super) fn read_stream<R: Read>(
    reader: R,
    path: &Path,
    options: &CsvOptions,
) -> Result<Dataset, SchemaError> {
    // The shared bounded reader caps a record at `MAX_LINE_BYTES` (so `/dev/zero` fails at
    // once), strips a BOM, turns `\r\n` into `\n` and gives true line numbers: the csv
    // crate's own count misses the line breaks inside quoted cells.
    let mut rdr = csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .delimiter(options.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(BoundedReader::csv(reader, options.delimiter));
    let read_error = |rdr: &mut csv::Reader<BoundedReader<R>>, e: csv::Error| {
        if let csv::ErrorKind::Io(io) = e.kind()
            && let Some(limit) = limit_exceeded(io)
        {
            // The line goes in the error's own field, not a second time in the message.
            let message = LimitExceeded::new(None, limit.what, limit.limit).to_string();
            return csv_error(path, limit.line.unwrap_or(0), "", message);
        }
        let line = e
            .position()
            .map_or(rdr.get_mut().lines_read() + 1, |p| rdr.get_mut().line_at(p.byte()));
        csv_error(path, line, "", e.to_string())
    };
    let mut record = csv::StringRecord::new();
    match rdr.read_record(&mut record) {
        Ok(false) => return Err(csv_error(path, 1, "", "empty file: no header row".into())),
        Ok(true) => {}
        Err(e) => return Err(read_error(&mut rdr, e)),
    }
    let header = Header::new(record.iter(), options, path)?;
    let mut stores = header.stores(options);
    let mut lines: Vec<u64> = Vec::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(read_error(&mut rdr, e)),
        }
        let line = rdr.get_mut().line_at(record.position().map_or(0, csv::Position::byte));
        if record.len() != header.names.len() {
            return Err(header.ragged(path, line, record.len()));
        }
        for ((raw, store), name) in record.iter().zip(&mut stores).zip(&header.names) {
            store.push(raw, line, name, options, path);
        }
        lines.push(line);
    }
    finish(header, stores, &lines, path)
}

/// The first line of `text` and the text after it. The line ends at `\n`, and a `\r` right
/// before the `\n` is dropped, as the streaming reader turns `\r\n` into `\n`.
fn next_line(text: &str) -> (&str, &str) {
    match text.find('\n') {
        Some(end) => {
            let body = &text[..end];
            (body.strip_suffix('\r').unwrap_or(body), &text[end + 1..])
        }
        None => (text, ""),
    }
}

/// How the in-memory reader splits and stores rows.
struct Rows<'o> {
    header: Header,
    /// An ASCII byte other than a quote or a line break.
    delimiter: u8,
    options: &'o CsvOptions,
    path: &'o Path,
}

/// What reading some rows came to, short of a dataset.
enum Stop {
    /// A row with the wrong number of fields: the error for the first one.
    Ragged(SchemaError),
    /// A line too long for this reader: the streaming reader takes over.
    TooLong,
}

impl Rows<'_> {
    /// The cells of `row` (line `line`) in `cells`; a row with the wrong number of cells, or a
    /// line too long for this reader, stops the read.
    fn split<'t>(&self, row: &'t str, line: u64, cells: &mut Vec<&'t str>) -> Result<(), Stop> {
        if row.len() > IN_MEMORY_MAX_LINE {
            return Err(Stop::TooLong);
        }
        // `memchr_iter` finds the delimiters a vector at a time (`str::split` costs a search
        // call per short cell).
        cells.clear();
        let mut start = 0;
        for i in memchr::memchr_iter(self.delimiter, row.as_bytes()) {
            cells.push(&row[start..i]);
            start = i + 1;
        }
        cells.push(&row[start..]);
        if cells.len() != self.header.names.len() {
            return Err(Stop::Ragged(self.header.ragged(self.path, line, cells.len())));
        }
        Ok(())
    }

    /// Reads the rows of `text`, whose first line is line `line + 1`, into `stores`, until the
    /// text ends or, with `until_decided`, until no column is undecided. Returns the unread
    /// text and the number of its line before.
    fn read<'t>(
        &self,
        text: &'t str,
        line: u64,
        stores: &mut [Store],
        lines: &mut Vec<u64>,
        until_decided: bool,
    ) -> Result<(&'t str, u64), Stop> {
        let mut cells: Vec<&str> = Vec::with_capacity(self.header.names.len());
        let mut rows = RowIter { text, line };
        while !until_decided || stores.iter().any(|s| matches!(s, Store::Undecided(_))) {
            let Some((line, row)) = rows.next() else { break };
            self.split(row, line, &mut cells)?;
            for ((raw, store), name) in cells.iter().zip(stores.iter_mut()).zip(&self.header.names)
            {
                store.push(raw, line, name, self.options, self.path);
            }
            lines.push(line);
        }
        Ok((rows.text, rows.line))
    }
}

impl Rows<'_> {
    /// Fills a block's `parts` of the columns, and its `lines`, from the rows of `text`, whose
    /// first line is line `line + 1` (the parts have one place per row, as [`count_lines`]
    /// counts them). Returns the first bad cell of each column in the block.
    fn fill(
        &self,
        text: &str,
        line: u64,
        parts: &mut [Part<'_>],
        lines: &mut [u64],
    ) -> Result<Vec<Option<SchemaError>>, Stop> {
        let width = self.header.names.len();
        let mut errors: Vec<Option<SchemaError>> = (0..width).map(|_| None).collect();
        let mut cells: Vec<&str> = Vec::with_capacity(width);
        for (r, (line, row)) in (RowIter { text, line }).enumerate() {
            lines[r] = line;
            if self.fill_plain(row, r, parts) {
                continue;
            }
            self.split(row, line, &mut cells)?;
            for (((raw, part), name), first) in
                cells.iter().zip(parts.iter_mut()).zip(&self.header.names).zip(&mut errors)
            {
                let (text, missing) = cell(raw, self.options);
                match part {
                    Part::Numeric(values) => {
                        values[r] = numeric_value(text, missing, (self.path, line, name), first);
                    }
                    Part::Text(values) => values[r] = text_value(text, missing),
                    Part::Undecided => {}
                }
            }
        }
        Ok(errors)
    }

    /// Row `r` in one pass when every numeric cell of it is a plain decimal (or a missing
    /// token) and the row has the header's width: each numeric cell is parsed as its end is
    /// found ([`plain_prefix`]), with no search for the delimiter and no list of cells; the
    /// other cells are cut at the next delimiter and stored as [`Rows::fill`] stores them.
    /// The values are those `numeric_value` gives the same cells. `false` as soon as a cell
    /// needs more (spaces, exponents, an invalid number, a wrong width): the caller then
    /// reads the whole row again the general way, which overwrites what was stored.
    fn fill_plain(&self, row: &str, r: usize, parts: &mut [Part<'_>]) -> bool {
        if row.len() > IN_MEMORY_MAX_LINE {
            return false; // `split` reports it
        }
        let bytes = row.as_bytes();
        let last = parts.len().saturating_sub(1);
        let mut pos = 0;
        for (c, part) in parts.iter_mut().enumerate() {
            let rest = &bytes[pos..];
            let end = match part {
                Part::Numeric(values) => {
                    let (value, used) = plain_prefix(rest);
                    let cell = &rest[..used];
                    // A cell of sign, digits and points has nothing to trim.
                    values[r] = if is_missing(cell, self.options) {
                        f64::NAN
                    } else if let Some(v) = value {
                        v
                    } else {
                        return false;
                    };
                    used
                }
                Part::Text(_) | Part::Undecided => {
                    memchr::memchr(self.delimiter, rest).unwrap_or(rest.len())
                }
            };
            // The cell must end at the delimiter (at the end of the row for the last one).
            let ends =
                if c == last { end == rest.len() } else { rest.get(end) == Some(&self.delimiter) };
            if !ends {
                return false;
            }
            if let Part::Text(values) = part {
                let (text, is_missing) = cell(&row[pos..pos + end], self.options);
                values[r] = text_value(text, is_missing);
            }
            pos += end + 1;
        }
        true
    }
}

/// The in-memory reader (see the module docs): `None` when the input needs the streaming one.
/// Blocks of about `min_block` bytes of rows or more are read in parallel.
pub(super) fn read_in_memory(
    bytes: &[u8],
    path: &Path,
    options: &CsvOptions,
    min_block: usize,
) -> Option<Result<Dataset, SchemaError>> {
    let delimiter = options.delimiter;
    if !delimiter.is_ascii() || matches!(delimiter, b'"' | b'\n' | b'\r') {
        return None;
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    // Quoted cells (and so line breaks inside cells) are the streaming reader's.
    if body.contains(&b'"') {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    // The header: the first line that is not empty.
    let (mut rest, mut line) = (text, 0u64);
    let header_line = loop {
        if rest.is_empty() {
            return Some(Err(csv_error(path, 1, "", "empty file: no header row".into())));
        }
        let (row, tail) = next_line(rest);
        rest = tail;
        line += 1;
        if !row.is_empty() {
            break row;
        }
    };
    if header_line.len() > IN_MEMORY_MAX_LINE {
        return None;
    }
    let header = match Header::new(header_line.split(char::from(delimiter)), options, path) {
        Ok(header) => header,
        Err(e) => return Some(Err(e)),
    };
    let rows = Rows { header, delimiter, options, path };
    let mut stores = rows.header.stores(options);
    let mut lines: Vec<u64> = Vec::new();
    // Rows one by one until every column's kind is decided; the rest in blocks, in parallel,
    // each starting from stores of the decided kinds.
    let (rest, line) = match rows.read(rest, line, &mut stores, &mut lines, true) {
        Ok(done) => done,
        Err(Stop::TooLong) => return None,
        Err(Stop::Ragged(e)) => return Some(Err(e)),
    };
    let blocks = split_blocks(rest, min_block);
    // First pass: the lines (for numbering) and the rows of each block.
    let counts: Vec<(u64, usize)> = blocks.par_iter().map(|b| count_lines(b)).collect();
    let prescanned = lines.len();
    let total = prescanned + counts.iter().map(|c| c.1).sum::<usize>();
    if total > prescanned && stores.iter().any(|s| matches!(s, Store::Undecided(_))) {
        // Cannot happen: the rows one by one stop early only once every kind is decided.
        return None;
    }
    // Every column at its full length, the rows read one by one first; each block then fills
    // its own part of every column, in parallel.
    for store in &mut stores {
        match store {
            Store::Numeric(values, _) => values.resize(total, f64::NAN),
            Store::Text(cells) => cells.resize(total, None),
            Store::Undecided(_) => {}
        }
    }
    lines.resize(total, 0);
    let mut parts: Vec<Vec<Part<'_>>> = counts.iter().map(|_| Vec::new()).collect();
    for store in &mut stores {
        match store {
            Store::Numeric(values, _) => {
                let mut tail = &mut values[prescanned..];
                for (part, &(_, rows)) in parts.iter_mut().zip(&counts) {
                    let (head, rest) = tail.split_at_mut(rows);
                    part.push(Part::Numeric(head));
                    tail = rest;
                }
            }
            Store::Text(cells) => {
                let mut tail = &mut cells[prescanned..];
                for (part, &(_, rows)) in parts.iter_mut().zip(&counts) {
                    let (head, rest) = tail.split_at_mut(rows);
                    part.push(Part::Text(head));
                    tail = rest;
                }
            }
            Store::Undecided(_) => parts.iter_mut().for_each(|part| part.push(Part::Undecided)),
        }
    }
    let mut line_parts: Vec<&mut [u64]> = Vec::with_capacity(counts.len());
    let mut tail = &mut lines[prescanned..];
    for &(_, rows) in &counts {
        let (head, rest) = tail.split_at_mut(rows);
        line_parts.push(head);
        tail = rest;
    }
    let firsts = counts.iter().scan(line, |before, &(block_lines, _)| {
        let first = *before;
        *before += block_lines;
        Some(first)
    });
    let jobs: Vec<_> = blocks.into_iter().zip(firsts).zip(parts).zip(line_parts).collect();
    let filled: Vec<Result<Vec<Option<SchemaError>>, Stop>> = jobs
        .into_par_iter()
        .map(|(((block, before), mut part), line_part)| {
            rows.fill(block, before, &mut part, line_part)
        })
        .collect();
    // The first stop in row order decides, as in one pass; a too-long line anywhere hands the
    // whole input to the streaming reader.
    if filled.iter().any(|r| matches!(r, Err(Stop::TooLong))) {
        return None;
    }
    for block in filled {
        match block {
            Ok(errors) => {
                for (store, later) in stores.iter_mut().zip(errors) {
                    if let Store::Numeric(_, first @ None) = store {
                        *first = later;
                    }
                }
            }
            Err(Stop::Ragged(e)) => return Some(Err(e)),
            Err(Stop::TooLong) => return None,
        }
    }
    Some(finish(rows.header, stores, &lines, path))
}

/// One block's part of one column.
enum Part<'c> {
    Numeric(&'c mut [f64]),
    Text(&'c mut [Option<String>]),
    /// An undecided column (only with no rows left).
    Undecided,
}

/// The lines of `text` (as [`next_line`] reads them) and how many of them are rows (not empty).
fn count_lines(text: &str) -> (u64, usize) {
    let mut rows = RowIter { text, line: 0 };
    let count = rows.by_ref().count();
    (rows.line, count)
}

/// The rows of `text` (its lines as [`next_line`] reads them, the empty ones skipped as the
/// csv crate skips them) with their 1-based line numbers; `line` is the number of the line
/// before `text`. What is left unread stays in `text`.
struct RowIter<'t> {
    text: &'t str,
    line: u64,
}

impl<'t> Iterator for RowIter<'t> {
    type Item = (u64, &'t str);

    fn next(&mut self) -> Option<(u64, &'t str)> {
        while !self.text.is_empty() {
            let (row, rest) = next_line(self.text);
            self.text = rest;
            self.line += 1;
            if !row.is_empty() {
                return Some((self.line, row));
            }
        }
        None
    }
}

/// `text` in consecutive blocks of whole lines, about `min_block` bytes or more each, at most
/// four per thread of the pool.
fn split_blocks(text: &str, min_block: usize) -> Vec<&str> {
    let count = (text.len() / min_block.max(1)).clamp(1, 4 * rayon::current_num_threads());
    let mut blocks = Vec::with_capacity(count);
    let mut rest = text;
    for i in (1..=count).rev() {
        if i == 1 || rest.is_empty() {
            blocks.push(rest);
            break;
        }
        let cut = rest.len() / i;
        let end = rest.as_bytes()[cut..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(rest.len(), |p| cut + p + 1);
        let (block, tail) = rest.split_at(end);
        blocks.push(block);
        rest = tail;
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both readers on `bytes`: the streaming one always, the in-memory one with blocks of
    /// `min_block` bytes (`None` when it hands over).
    fn both(
        bytes: &[u8],
        options: &CsvOptions,
        min_block: usize,
    ) -> (Result<Dataset, SchemaError>, Option<Result<Dataset, SchemaError>>) {
        let path = Path::new("t.csv");
        (read_stream(bytes, path, options), read_in_memory(bytes, path, options, min_block))
    }

    /// The same dataset (NaN equal to NaN) or the same error message.
    fn same(a: &Result<Dataset, SchemaError>, b: &Result<Dataset, SchemaError>) -> bool {
        match (a, b) {
            (Ok(a), Ok(b)) => format!("{a:?}") == format!("{b:?}"),
            (Err(a), Err(b)) => a.to_string() == b.to_string(),
            _ => false,
        }
    }

    /// CSV-like text without quotes: a header that names the target most of the time, then
    /// cells of every kind the reader tells apart, delimiters, line breaks of both kinds, blank
    /// lines, a BOM and the odd invalid byte.
    fn unquoted() -> impl Strategy<Value = Vec<u8>> {
        let header = prop::sample::select(vec![
            &b"a,b,y\n"[..],
            b"\xEF\xBB\xBFa,b,y\r\n",
            b"\n\na,y,b\n",
            b"a,a,y\n",
            b"a,,y\n",
            b"a,b\n",
            b"",
        ]);
        let token = prop::sample::select(vec![
            &b","[..],
            b",",
            b",",
            b"\n",
            b"\n",
            b"\r\n",
            b"\r",
            b"0",
            b"1",
            b"1",
            b"2.5",
            b"-3",
            b"1e5",
            b"1e400",
            b"NA",
            b" x ",
            b"abc",
            b"-",
            b"\xFF",
            b"\t",
            // The edges of the one-pass numeric path: points, signs, long mantissas.
            b".",
            b"+",
            b"0.125",
            b"12345678901234567890",
        ]);
        (header, prop::collection::vec(token, 0..120))
            .prop_map(|(h, t)| [h.to_vec(), t.concat()].concat())
    }

    /// Rows of mostly numeric cells, as real tables have (so that most rows take the one-pass
    /// path of `Rows::fill_plain`), with the cells that path must hand over and the odd row
    /// of the wrong width.
    fn numeric_rows() -> impl Strategy<Value = Vec<u8>> {
        let valid = prop::sample::select(vec![
            "0",
            "1",
            "2.5",
            "-3",
            "+4",
            "0.125",
            "-0.125",
            "",
            "NA",
            "1e5",
            ".5",
            "5.",
            " 7",
            "7 ",
            "9007199254740993",
            "12345678901234567890",
            "0.1234567890123456789",
        ]);
        // Rare, so that most inputs read without error to the end.
        let invalid = prop::sample::select(vec!["1.2.3", "-", "x", "1e400"]);
        let cell = prop_oneof![300 => valid, 1 => invalid];
        let width = prop_oneof![30 => Just(3usize), 1 => 2usize..5];
        let row = width
            .prop_flat_map(move |w| prop::collection::vec(cell.clone(), w))
            .prop_map(|cells| cells.join(","));
        let end = prop::sample::select(vec!["\n", "\n", "\n", "\r\n"]);
        prop::collection::vec((row, end), 0..40).prop_map(|rows| {
            let body: String = rows.into_iter().map(|(r, e)| r + e).collect();
            format!("a,b,y\n{body}").into_bytes()
        })
    }

    #[test]
    fn most_numeric_rows_inputs_read_to_the_end() {
        // The property test below is only as strong as the rows that reach the one-pass
        // path: most of its inputs must read without error.
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut read, mut rows) = (0, 0);
        for _ in 0..200 {
            let bytes = numeric_rows().new_tree(&mut runner).unwrap().current();
            if let Ok(d) = read_stream(&bytes[..], Path::new("t.csv"), &CsvOptions::default()) {
                read += 1;
                rows += d.n_rows();
            }
        }
        assert!(read > 100 && rows > 1000, "{read} of 200 inputs read, {rows} rows");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn the_one_pass_rows_read_as_the_streaming_reader_reads_them(
            bytes in numeric_rows(),
            min_block in 1usize..64,
            numeric_token in any::<bool>(),
        ) {
            let mut options = CsvOptions::default();
            if numeric_token {
                options.missing_tokens.push("-3".to_owned());
            }
            let (stream, memory) = both(&bytes, &options, min_block);
            let memory = memory.expect("valid UTF-8 without quotes is read in memory");
            prop_assert!(
                same(&stream, &memory),
                "{:?}\nstream {:?}\nmemory {:?}",
                String::from_utf8_lossy(&bytes),
                stream,
                memory
            );
        }

        #[test]
        fn the_in_memory_reader_agrees_with_the_streaming_one(
            bytes in unquoted(),
            min_block in 1usize..64,
            target in any::<bool>(),
            numeric_token in any::<bool>(),
        ) {
            let mut options =
                if target { CsvOptions::default().with_target("y") } else { CsvOptions::default() };
            if numeric_token {
                // A missing-value token that reads as a number.
                options.missing_tokens.push("-3".to_owned());
            }
            let (stream, memory) = both(&bytes, &options, min_block);
            match memory {
                Some(memory) => prop_assert!(
                    same(&stream, &memory),
                    "{:?}\nstream {:?}\nmemory {:?}",
                    String::from_utf8_lossy(&bytes),
                    stream,
                    memory
                ),
                // It hands over only for input it does not take: invalid UTF-8 here.
                None => prop_assert!(std::str::from_utf8(&bytes).is_err()),
            }
        }
    }

    #[test]
    fn quoted_cells_and_long_lines_go_to_the_streaming_reader() {
        let options = CsvOptions::default();
        let path = Path::new("t.csv");
        assert!(read_in_memory(b"a,b\n\"1\",2\n", path, &options, 1).is_none());
        let long = format!("a,b\n1,{}\n", "9".repeat(IN_MEMORY_MAX_LINE + 1));
        assert!(read_in_memory(long.as_bytes(), path, &options, 1).is_none());
        let tab = CsvOptions { delimiter: b'"', ..CsvOptions::default() };
        assert!(read_in_memory(b"a\n1\n", path, &tab, 1).is_none());
    }

    #[test]
    fn blocks_cover_the_text_in_whole_lines() {
        let text = "1,2\n3,4\n5,6\n7,8\n9,10\n";
        for min_block in 1..30 {
            let blocks = split_blocks(text, min_block);
            assert_eq!(blocks.concat(), text);
            for b in &blocks[..blocks.len() - 1] {
                assert!(b.is_empty() || b.ends_with('\n'), "{blocks:?}");
            }
        }
    }

    #[test]
    fn a_late_decided_column_and_errors_in_later_blocks_match() {
        let mut text = String::from("a,late,name,y\n");
        for i in 0..500 {
            let late = if i < 300 { String::new() } else { format!("{i}.5") };
            text.push_str(&format!("{i},{late},f{i},{}\n", i % 2));
        }
        let options = CsvOptions::default().with_target("y");
        for bad in [None, Some((410, "x")), Some((20, "1e999")), Some((480, "3,4"))] {
            let mut input = text.clone();
            if let Some((row, cell)) = bad {
                input = input.replacen(&format!("\n{row},"), &format!("\n{cell},"), 1);
            }
            let (stream, memory) = both(input.as_bytes(), &options, 64);
            let memory = memory.expect("unquoted input is read in memory");
            assert!(same(&stream, &memory), "{bad:?}: {stream:?} vs {memory:?}");
        }
    }
}
