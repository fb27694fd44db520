//! Bounds on what finkit's readers accept: the one copy of the rule that every file reader of
//! the libraries and the command line uses.
//!
//! - Line-oriented input (CSV, JSON Lines, a JSON array of records) goes through a
//!   [`BoundedReader`], which refuses a line (or, for CSV, a record, counting a quoted multi-line
//!   cell as part of its record) longer than [`MAX_LINE_BYTES`] with an I/O error carrying a
//!   [`LimitExceeded`] that names the line. `/dev/zero` or a stream without a newline therefore
//!   fails after one mebibyte instead of growing without bound.
//! - Whole documents (a policy in TOML, a model in JSON) are read with [`read_document`], which
//!   refuses files larger than [`MAX_DOCUMENT_BYTES`] before taking the memory.
//! - Both strip a leading UTF-8 byte-order mark and turn `\r\n` into `\n`, so a Windows file
//!   reads exactly as its Unix twin (same values, same line numbers, a trailing blank `\r\n` line
//!   is a blank line).
//! - Text fields of the entities are bounded by [`MAX_TEXT_BYTES`] and dates by
//!   [`MIN_YEAR`]..=[`MAX_YEAR`] (checked by [`crate::Validate`]).
//!
//! ```
//! use std::io::Read;
//! use finkit_schema::limits::{BoundedReader, limit_exceeded, MAX_LINE_BYTES};
//!
//! let mut text = String::new();
//! BoundedReader::lines("\u{feff}a,b\r\n1,2\r\n".as_bytes()).read_to_string(&mut text)?;
//! assert_eq!(text, "a,b\n1,2\n");
//!
//! let endless = std::io::repeat(b'0').take(2 * MAX_LINE_BYTES as u64);
//! let err = BoundedReader::lines(endless).read_to_end(&mut Vec::new()).unwrap_err();
//! assert_eq!(limit_exceeded(&err).map(|l| l.line), Some(Some(1)));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::path::Path;

/// The longest line (for CSV: record) a reader accepts, in bytes: 1 MiB.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The largest whole document (policy, model file) [`read_document`] accepts: 64 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// The longest free-text field of an entity (name, region, purpose, sector, …), in bytes.
pub const MAX_TEXT_BYTES: usize = 4096;

/// The earliest year a date of an entity may have.
pub const MIN_YEAR: i32 = 1600;

/// The latest year a date of an entity may have.
pub const MAX_YEAR: i32 = 2100;

/// Whether a date's year lies within [`MIN_YEAR`]..=[`MAX_YEAR`] (the rule [`crate::Validate`]
/// applies to every date of an entity, as `plausible_year`).
#[must_use]
pub fn plausible_date(date: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    (MIN_YEAR..=MAX_YEAR).contains(&date.year())
}

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// A size limit that input broke; carried inside the [`io::Error`] of a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitExceeded {
    /// The 1-based line where the over-long line or record starts (`None` for a whole document).
    pub line: Option<u64>,
    /// What was too long: `"line"`, `"record"` or `"file"`.
    pub what: &'static str,
    /// The limit in bytes.
    pub limit: u64,
}

impl LimitExceeded {
    /// A broken limit: `what` (starting on `line`, if known) is longer than `limit` bytes.
    #[must_use]
    pub fn new(line: Option<u64>, what: &'static str, limit: u64) -> Self {
        LimitExceeded { line, what, limit }
    }
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(
            f,
            "{} longer than the limit of {} bytes (is this a text file of the expected kind?)",
            self.what, self.limit
        )
    }
}

impl std::error::Error for LimitExceeded {}

/// The [`LimitExceeded`] inside an I/O error of a [`BoundedReader`] or [`read_document`], if
/// that is what the error is.
#[must_use]
pub fn limit_exceeded(error: &io::Error) -> Option<&LimitExceeded> {
    error.get_ref()?.downcast_ref::<LimitExceeded>()
}

/// How a [`BoundedReader`] finds the unit it bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Physical lines.
    Lines,
    /// CSV records with this delimiter: a newline inside a quoted cell does not end a record.
    Csv(u8),
}

/// Where a CSV record scanner is, following csv-core's (RFC 4180) quoting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// At the start of a field: a `"` opens a quoted field.
    FieldStart,
    /// In an unquoted field (a `"` here is literal).
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// A `"` inside a quoted field: a second `"` is an escaped quote, anything else closes it.
    QuotedEnd,
}

/// A reader that bounds line (or CSV record) length, strips a UTF-8 BOM, normalises `\r\n` to
/// `\n`, and maps byte offsets of what it handed out back to line numbers.
///
/// The line numbers are exact for CSV records that hold quoted multi-line cells, unlike the
/// csv crate's own count: pass `record.position().byte()` to [`BoundedReader::line_at`].
#[derive(Debug)]
pub struct BoundedReader<R> {
    inner: R,
    framing: Framing,
    max: usize,
    /// Bytes read from `inner` but not yet handed out (the BOM check and a held-back `\r`).
    pending: Vec<u8>,
    started: bool,
    eof: bool,
    /// Bytes handed out so far.
    offset: u64,
    /// Offsets of the `\n`s handed out that [`BoundedReader::line_at`] has not passed yet.
    newlines: VecDeque<u64>,
    /// Newlines before `newlines.front()`.
    passed: u64,
    /// Newlines handed out in total.
    lines: u64,
    /// Line where the current unit (line or record) started, and its length so far.
    unit_line: u64,
    unit_len: usize,
    quote: Quote,
    /// Whether to keep newline offsets for [`BoundedReader::line_at`].
    track: bool,
}

impl<R: Read> BoundedReader<R> {
    fn new(inner: R, framing: Framing, track: bool) -> Self {
        BoundedReader {
            inner,
            framing,
            max: MAX_LINE_BYTES,
            pending: Vec::new(),
            started: false,
            eof: false,
            offset: 0,
            newlines: VecDeque::new(),
            passed: 0,
            lines: 0,
            unit_line: 1,
            unit_len: 0,
            quote: Quote::FieldStart,
            track,
        }
    }

    /// Bounds physical lines (JSON Lines, JSON arrays, TOML).
    pub fn lines(inner: R) -> Self {
        BoundedReader::new(inner, Framing::Lines, false)
    }

    /// Bounds CSV records with `delimiter`, and keeps what [`BoundedReader::line_at`] needs.
    pub fn csv(inner: R, delimiter: u8) -> Self {
        BoundedReader::new(inner, Framing::Csv(delimiter), true)
    }

    /// Uses another limit than [`MAX_LINE_BYTES`] (tests use a small one).
    #[must_use]
    pub fn with_limit(mut self, max: usize) -> Self {
        self.max = max.max(1);
        self
    }

    /// Changes the limit for what is read from now on.
    pub fn set_limit(&mut self, max: usize) {
        self.max = max.max(1);
    }

    /// The number of complete lines handed out so far (the current line is this plus one).
    #[must_use]
    pub fn lines_read(&self) -> u64 {
        self.lines
    }

    /// The 1-based line of the byte at `offset` of the output (for CSV readers: a record's
    /// `position().byte()`). Offsets must be asked in increasing order; only CSV readers keep the
    /// offsets (for a line reader this returns the current line).
    pub fn line_at(&mut self, offset: u64) -> u64 {
        let mut offset = offset;
        while let Some(&n) = self.newlines.front() {
            // The csv crate places a record after blank lines at the first blank line: a line
            // break right at the offset is a skipped blank line, so the record starts after it.
            if n > offset {
                break;
            }
            if n == offset {
                offset += 1;
            }
            self.newlines.pop_front();
            self.passed += 1;
        }
        if self.track { self.passed + 1 } else { self.lines + 1 }
    }

    /// The reader this wraps.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    fn fill_pending(&mut self, want: usize) -> io::Result<()> {
        let mut chunk = [0u8; 8192];
        while self.pending.len() < want && !self.eof {
            let n = self.inner.read(&mut chunk[..(want - self.pending.len()).min(8192)])?;
            if n == 0 {
                self.eof = true;
            }
            self.pending.extend_from_slice(&chunk[..n]);
        }
        Ok(())
    }

    fn too_long(&self) -> io::Error {
        let what = match self.framing {
            Framing::Lines => "line",
            Framing::Csv(_) => "record",
        };
        io::Error::new(
            io::ErrorKind::InvalidData,
            LimitExceeded { line: Some(self.unit_line), what, limit: self.max as u64 },
        )
    }

    /// Whether `b` neither ends a line nor, for CSV, starts or ends a quote. (A CSV delimiter
    /// is plain: it only moves the quote state, which [`Self::account_plain_run`] follows.)
    fn is_plain(&self, b: u8) -> bool {
        b != b'\n'
            && b != b'\r'
            && match self.framing {
                Framing::Lines => true,
                Framing::Csv(_) => b != b'"',
            }
    }

    /// Accounts for `run` plain bytes ending with `last` (see [`BoundedReader::is_plain`]) as
    /// [`Self::account`] would one by one; the caller checked that the unit stays within the
    /// limit.
    fn account_plain_run(&mut self, run: usize, last: u8) {
        if run == 0 {
            return;
        }
        if let Framing::Csv(delimiter) = self.framing {
            // Inside quotes plain bytes keep the state. Anywhere else a delimiter starts a field
            // and any other plain byte makes it unquoted, so the last byte decides.
            if self.quote != Quote::Quoted {
                self.quote = if last == delimiter { Quote::FieldStart } else { Quote::Unquoted };
            }
        }
        self.offset += run as u64;
        self.unit_len += run;
    }

    /// Accounts for one output byte; `Err` when the unit grew past the limit.
    fn account(&mut self, b: u8) -> io::Result<()> {
        let ends_unit = match self.framing {
            Framing::Lines => b == b'\n',
            Framing::Csv(delimiter) => {
                self.quote = match (self.quote, b) {
                    (Quote::FieldStart, b'"') => Quote::Quoted,
                    (Quote::Quoted, b'"') => Quote::QuotedEnd,
                    (Quote::Quoted, _) => Quote::Quoted,
                    (Quote::QuotedEnd, b'"') => Quote::Quoted,
                    (_, b'\n') => Quote::FieldStart,
                    (_, d) if d == delimiter => Quote::FieldStart,
                    _ => Quote::Unquoted,
                };
                b == b'\n' && self.quote == Quote::FieldStart
            }
        };
        if b == b'\n' {
            if self.track {
                self.newlines.push_back(self.offset);
            }
            self.lines += 1;
        }
        self.offset += 1;
        if ends_unit {
            self.unit_line = self.lines + 1;
            self.unit_len = 0;
        } else {
            self.unit_len += 1;
            if self.unit_len > self.max {
                return Err(self.too_long());
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for BoundedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.started {
            self.fill_pending(BOM.len())?;
            if self.pending.starts_with(BOM) {
                self.pending.drain(..BOM.len());
            }
            self.started = true;
        }
        if self.pending.is_empty() && !self.eof {
            // One read of the inner reader, so a pipe hands on what it has.
            let mut chunk = [0u8; 8192];
            let want = buf.len().min(chunk.len());
            let got = self.inner.read(&mut chunk[..want])?;
            self.eof = got == 0;
            self.pending.extend_from_slice(&chunk[..got]);
        }
        // A `\r` at the end may start a `\r\n`: look one byte further before handing it out.
        if self.pending.last() == Some(&b'\r') {
            let before = self.pending.len();
            self.fill_pending(before + 1)?;
        }
        let mut n = 0;
        let mut used = 0;
        while n < buf.len() && used < self.pending.len() {
            let b = self.pending[used];
            // Fast path: a run of bytes that end no line and open or close no quote (for CSV: a
            // whole unquoted record but its newline) is copied at once (the same accounting as
            // byte by byte; a run that would pass the limit takes the slow path, which fails at
            // the exact byte).
            if self.is_plain(b) {
                let limit = (self.pending.len() - used).min(buf.len() - n);
                let run = self.pending[used..used + limit]
                    .iter()
                    .position(|&c| !self.is_plain(c))
                    .unwrap_or(limit);
                if self.unit_len + run <= self.max {
                    let bytes = &self.pending[used..used + run];
                    buf[n..n + run].copy_from_slice(bytes);
                    let last = bytes.last().copied().unwrap_or(b);
                    self.account_plain_run(run, last);
                    n += run;
                    used += run;
                    continue;
                }
            }
            if b == b'\r' && self.pending.get(used + 1) == Some(&b'\n') {
                used += 1;
                continue;
            }
            if b == b'\r' && used + 1 == self.pending.len() && !self.eof {
                break;
            }
            if let Err(e) = self.account(b) {
                self.pending.drain(..used);
                return if n > 0 { Ok(n) } else { Err(e) };
            }
            buf[n] = b;
            n += 1;
            used += 1;
        }
        self.pending.drain(..used);
        Ok(n)
    }
}

/// Reads a whole text document (a policy, a model file): refuses more than
/// [`MAX_DOCUMENT_BYTES`] before taking the memory, strips a UTF-8 BOM and normalises `\r\n`.
///
/// # Errors
///
/// The I/O error of opening or reading the file; [`io::ErrorKind::InvalidData`] carrying a
/// [`LimitExceeded`] for a file over the limit (`/dev/zero` included), or for text that is not
/// UTF-8.
pub fn read_document(path: &Path) -> io::Result<String> {
    read_document_limited(path, MAX_DOCUMENT_BYTES)
}

/// [`read_document`] with another limit.
///
/// # Errors
///
/// As [`read_document`].
pub fn read_document_limited(path: &Path, limit: u64) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::other("is a directory, not a file"));
    }
    let mut bytes = Vec::new();
    BoundedReader::lines(file)
        .with_limit(usize::try_from(limit).unwrap_or(usize::MAX))
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| match limit_exceeded(&e) {
            Some(_) => too_large(limit),
            None => e,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    String::from_utf8(bytes)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("not utf-8 text: {e}")))
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, LimitExceeded { line: None, what: "file", limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads through a reader that hands out one byte per call, to cross every buffer boundary.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn all(r: impl Read) -> io::Result<String> {
        let mut s = String::new();
        r.take(1 << 24).read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn strips_bom_and_crlf_across_any_buffering() {
        let input = "\u{feff}a,b\r\n1,\"x\r\ny\"\r\n\r\n";
        let want = "a,b\n1,\"x\ny\"\n\n";
        assert_eq!(all(BoundedReader::lines(input.as_bytes())).unwrap(), want);
        assert_eq!(all(BoundedReader::csv(Trickle(input.as_bytes()), b',')).unwrap(), want);
        // A lone `\r` is kept; a BOM later in the file is data.
        assert_eq!(all(BoundedReader::lines(Trickle(b"a\rb\r"))).unwrap(), "a\rb\r");
        let late = "x\u{feff}";
        assert_eq!(all(BoundedReader::lines(late.as_bytes())).unwrap(), late);
    }

    #[test]
    fn an_over_long_line_names_its_line() {
        let text = "ab\ncd\nefghij\nk";
        let err = all(BoundedReader::lines(text.as_bytes()).with_limit(4)).unwrap_err();
        let limit = limit_exceeded(&err).expect("limit");
        assert_eq!((limit.line, limit.what, limit.limit), (Some(3), "line", 4));
        assert!(err.to_string().starts_with("line 3: line longer than the limit of 4 bytes"));
        // A line of exactly the limit passes.
        assert!(all(BoundedReader::lines("abcd\nabcd".as_bytes()).with_limit(4)).is_ok());
    }

    #[test]
    fn a_csv_record_counts_its_quoted_lines() {
        // Each physical line is short, but the quoted cell makes one long record from line 2.
        let text = "h\n\"a\nb\nc\nd\ne\"\n";
        let err = all(BoundedReader::csv(text.as_bytes(), b',').with_limit(6)).unwrap_err();
        assert_eq!(limit_exceeded(&err).map(|l| (l.line, l.what)), Some((Some(2), "record")));
        // An escaped quote keeps the cell open; a quote inside an unquoted cell is literal.
        // Record 2 is `"a""b⏎c",5"x`: 12 bytes with its inner line break.
        let text = "h,i\n\"a\"\"b\nc\",5\"x\n";
        assert!(all(BoundedReader::csv(text.as_bytes(), b',').with_limit(12)).is_ok());
        let err = all(BoundedReader::csv(text.as_bytes(), b',').with_limit(11)).unwrap_err();
        assert_eq!(limit_exceeded(&err).map(|l| l.line), Some(Some(2)));
    }

    #[test]
    fn csv_runs_account_as_byte_by_byte() {
        // Reading whole runs (delimiters included) must give the text, the over-long record
        // (by line) and the line of every output offset that `account` gives byte by byte.
        let alphabet = b"ab,;\"\n\r";
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move |m: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m as u64) as usize
        };
        type Outcome = Result<(Vec<u8>, Vec<u64>), Option<(Option<u64>, &'static str)>>;
        let lines_of = |r: &mut BoundedReader<&[u8]>, len: usize| -> Vec<u64> {
            (0..len as u64).map(|o| r.line_at(o)).collect()
        };
        for _ in 0..5000 {
            let len = next(40);
            let text: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let limit = 2 + next(12);
            let mut reader = BoundedReader::csv(&text[..], b',').with_limit(limit);
            let mut out = Vec::new();
            let got: Outcome = match reader.read_to_end(&mut out) {
                Ok(_) => Ok((out.clone(), lines_of(&mut reader, out.len()))),
                Err(e) => Err(limit_exceeded(&e).map(|l| (l.line, l.what))),
            };
            // Byte by byte: `\r\n` is one `\n`, every other byte is accounted.
            let mut normalised = Vec::new();
            for (i, &b) in text.iter().enumerate() {
                if !(b == b'\r' && text.get(i + 1) == Some(&b'\n')) {
                    normalised.push(b);
                }
            }
            let mut slow = BoundedReader::csv(&[][..], b',').with_limit(limit);
            let want: Outcome = match normalised.iter().try_for_each(|&b| slow.account(b)) {
                Ok(()) => Ok((normalised.clone(), lines_of(&mut slow, normalised.len()))),
                Err(e) => Err(limit_exceeded(&e).map(|l| (l.line, l.what))),
            };
            assert_eq!(got, want, "{:?} limit {limit}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn line_at_maps_offsets_to_lines() {
        let mut r = BoundedReader::csv("a\n\"x\ny\"\nz\n".as_bytes(), b',');
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!([r.line_at(0), r.line_at(2), r.line_at(8)], [1, 2, 4]);
    }

    #[test]
    fn documents_are_capped_before_reading_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.toml");
        std::fs::write(&path, "\u{feff}a = 1\r\n").unwrap();
        assert_eq!(read_document(&path).unwrap(), "a = 1\n");
        std::fs::write(&path, "x".repeat(100)).unwrap();
        let err = read_document_limited(&path, 50).unwrap_err();
        assert_eq!(limit_exceeded(&err).map(|l| l.what), Some("file"));
        assert!(read_document(dir.path()).is_err());
        if Path::new("/dev/zero").exists() {
            let err = read_document_limited(Path::new("/dev/zero"), 1 << 16).unwrap_err();
            assert!(limit_exceeded(&err).is_some(), "{err}");
        }
    }
}
