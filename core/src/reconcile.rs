//! Reconciling: reading the status of many payments at once, to find the callbacks that never
//! arrived (DGA has no list endpoint, so asking about each pending payment is the only way).
//!
//! - [`read_references`] reads the agency's list: `reference1[,reference2]` lines, or a CSV
//!   whose header names `reference1` (or the guide's `ref1`, `requestReference1`, or its Thai
//!   `รหัสอ้างอิงการชำระเงิน 1`, `เลขที่อ้างอิง 1`, …) and optionally `reference2`, its other
//!   columns passed through to the output; `,`, `;` or tab separated.
//! - [`status_many`] reads each status with at most `concurrency` calls in flight and at most
//!   `rate` calls a second, and gives the results in input order through a bounded reorder
//!   window, so memory does not grow with the list.
//! - [`COLUMNS`], [`Outcome::cells`], [`Outcome::to_json`], [`CsvWriter`], [`JsonlWriter`] and
//!   [`Summary`] are the output every front end (CLI, bindings) writes, so none spells a field.
//!
//! ```no_run
//! # async fn run(client: std::sync::Arc<dga_epayment::blocking::Client>) -> Result<(), Box<dyn std::error::Error>> {
//! use dga_epayment::reconcile::{self, CsvWriter};
//! let refs = reconcile::read_references(std::io::BufReader::new(std::fs::File::open("pending.csv")?))?;
//! let mut out = CsvWriter::new(std::io::stdout(), refs.extra_headers(), false)?;
//! let input = futures_util::stream::iter(refs);
//! let mut results = reconcile::status_many(input, 8, 20, move |r1, r2| {
//!     let client = client.clone();
//!     async move { client.status(&r1, &r2) }
//! });
//! while let Some(item) = results.next().await {
//!     out.write(&item?)?;
//! }
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io::{self, BufRead, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, Stream, StreamExt};
use serde_json::{Map, Value};

use crate::{ErrorCode, PaymentStatus, Result, format_date};

mod driver;
pub use driver::{Driver, Pushed, TextWriter};

/// The output's own columns, in order; the input's other columns follow them. The status
/// columns are `PaymentStatus` fields of the core's schema (checked by a test).
pub const COLUMNS: [&str; 12] = [
    "reference1",
    "reference2",
    "paidStatus",
    "paidStatusTh",
    "description",
    "amount",
    "feeAmount",
    "refId",
    "paidDate",
    "paidChannel",
    "paymentType",
    "error",
];

/// The `error` value of a reference DGA does not know (a row, not a failure).
pub const NOT_FOUND: &str = "TransactionNotFound";

/// Default reorder window per unit of concurrency (results waiting for an earlier one).
const WINDOW_PER_CALL: usize = 8;
/// Smallest reorder window.
const MIN_WINDOW: usize = 64;
/// The most bytes one record may take, its lines and quoted line breaks together: a quote
/// left open, or a file that is not a list of references, must not be read whole into memory.
/// A spreadsheet row is far smaller (an Excel cell holds at most 32,767 characters).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// A line of the input that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line number in the input.
    pub line: u64,
    /// What is wrong with it, and how to fix it.
    pub reason: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for InputError {}

/// One reference to look up, with the input's other columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// 1-based line number in the input (where its record starts).
    pub line: u64,
    /// `requestReference1` of the payment (surrounding white space removed).
    pub reference1: String,
    /// `requestReference2`, empty when the input has none.
    pub reference2: String,
    /// The input's other columns, in the order of [`References::extra_headers`].
    pub extra: Vec<String>,
}

/// The references of an input, read lazily: an iterator of `Result<Reference, InputError>` that
/// ends after the first error.
pub struct References<R: BufRead> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    /// Lines read ahead to find the separator, not yet given to the parser.
    ahead: VecDeque<Vec<u8>>,
    parser: csv_core::Reader,
    /// `Some` in header mode: the positions of reference1, reference2 and the passed-through
    /// columns.
    layout: Option<Layout>,
    extra_headers: Vec<String>,
    first: Option<Reference>,
    failed: bool,
}

struct Layout {
    reference1: usize,
    reference2: Option<usize>,
    extra: Vec<usize>,
    width: usize,
}

/// The header names read as the `reference1` column, in any case, with white space ignored
/// and the number in Thai digits or not (`เลขที่อ้างอิง๑` is `เลขที่อ้างอิง 1`): the SDK's, the guide's (`ref1` in a
/// callback, `requestReference1` at create), the Thai guide's (`รหัสอ้างอิงการชำระเงิน 1` for
/// Reference1/Ref1, `รหัสอ้างอิงการชำระเงินของระบบต้นทาง 1` for RequestReference1), and the
/// short forms a Thai agency's spreadsheet uses.
pub const REFERENCE1_NAMES: &[&str] = &[
    "reference1",
    "ref1",
    "requestReference1",
    "รหัสอ้างอิงการชำระเงิน 1",
    "รหัสอ้างอิงการชำระเงินของระบบต้นทาง 1",
    "รหัสอ้างอิง 1",
    "เลขที่อ้างอิง 1",
    "เลขอ้างอิง 1",
];
/// The header names read as the `reference2` column, as [`REFERENCE1_NAMES`].
pub const REFERENCE2_NAMES: &[&str] = &[
    "reference2",
    "ref2",
    "requestReference2",
    "รหัสอ้างอิงการชำระเงิน 2",
    "รหัสอ้างอิงการชำระเงินของระบบต้นทาง 2",
    "รหัสอ้างอิง 2",
    "เลขที่อ้างอิง 2",
    "เลขอ้างอิง 2",
];

/// Starts reading references: skips a UTF-8 byte-order mark and reads the first record, which
/// is either a header (a cell is one of [`REFERENCE1_NAMES`] or [`REFERENCE2_NAMES`], in any
/// case, white space ignored; it must name a reference1 column, then every record must have
/// the header's number of columns, and the columns other than reference1/reference2 are passed
/// through) or the first `reference1[,reference2]` line.
///
/// Fields are CSV (RFC 4180, as Excel writes it): a field may be quoted, `""` is a quote in a
/// quoted field, and a quoted field may hold line breaks (a cell typed with Alt-Enter); a record
/// is numbered by the line it starts on. The separator is the first of `,`, `;` and tab outside
/// quotes in the first record (Excel writes `;` in many locales, other systems tabs), `,` when
/// it has none (one column); the whole input is read with it. A quote still open at the end of
/// the input is an error naming the line its field starts on. Blank lines between records are
/// skipped. A cell that starts with `'` before `=`, `+`, `-` or `@` is read without the `'`:
/// that is what [`neutralise_cell`] adds, so an output file's reference columns can be fed
/// back in. Input that is not UTF-8 (e.g. Windows-874 Thai) is refused naming the line, as is
/// a record over [`MAX_RECORD_BYTES`] (read no further than that).
pub fn read_references<R: BufRead>(
    mut reader: R,
) -> std::result::Result<References<R>, InputError> {
    skip_bom(&mut reader).map_err(|e| io_error(1, &e))?;
    let mut refs = References {
        reader,
        line: 0,
        buf: Vec::new(),
        ahead: VecDeque::new(),
        parser: csv_core::Reader::new(),
        layout: None,
        extra_headers: Vec::new(),
        first: None,
        failed: false,
    };
    let delimiter = refs.find_delimiter()?;
    // Only `\n` ends a record, so a lone `\r` is text (refused in a reference), not a
    // second record whose cells would be lost.
    refs.parser = csv_core::ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(csv_core::Terminator::Any(b'\n'))
        .build();
    let Some(first) = refs.next_record()? else {
        return Ok(refs);
    };
    let (line, fields) = first;
    if fields.iter().any(|f| reference_column(f).is_some()) {
        refs.set_header(line, &fields)?;
    } else {
        refs.first = Some(plain_line(line, fields)?);
    }
    Ok(refs)
}

impl<R: BufRead> References<R> {
    /// The names of the passed-through columns (empty for `reference1[,reference2]` lines).
    pub fn extra_headers(&self) -> &[String] {
        &self.extra_headers
    }

    fn set_header(&mut self, line: u64, fields: &[String]) -> std::result::Result<(), InputError> {
        let mut layout = Layout {
            reference1: 0,
            reference2: None,
            extra: Vec::new(),
            width: fields.len(),
        };
        let mut reference1 = None;
        // (the column's meaning, its name as written)
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (i, raw) in fields.iter().enumerate() {
            let name = raw.trim();
            let err = |reason: String| InputError { line, reason };
            if name.is_empty() {
                return Err(err(format!("column {} of the header has no name", i + 1)));
            }
            let meaning = reference_column(name).unwrap_or(name);
            if let Some((_, first)) = seen.iter().find(|(m, _)| m.eq_ignore_ascii_case(meaning)) {
                let (first, name_q) = (quoted(first), quoted(name));
                return Err(err(match first.eq_ignore_ascii_case(&name_q) {
                    true => format!("the header names {name_q} twice"),
                    false => {
                        format!("the header's columns {first} and {name_q} both name {meaning}")
                    }
                }));
            }
            seen.push((meaning, name));
            if meaning == "reference1" {
                reference1 = Some(i);
            } else if meaning == "reference2" {
                layout.reference2 = Some(i);
            } else if COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                return Err(err(format!(
                    "the header's column {} has the name of an output column; rename it \
                     (the output's own columns are {})",
                    quoted(name),
                    COLUMNS.join(", ")
                )));
            } else {
                layout.extra.push(i);
                self.extra_headers.push(name.to_owned());
            }
        }
        let Some(reference1) = reference1 else {
            return Err(InputError {
                line,
                reason: format!(
                    "the header names a reference2 column but no reference1 column (one of {})",
                    REFERENCE1_NAMES.join(", ")
                ),
            });
        };
        layout.reference1 = reference1;
        self.layout = Some(layout);
        Ok(())
    }

    /// The separator of the input: the first of `,`, `;` and tab outside quotes in its first
    /// record, `,` when there is none. Only the first field is scanned (the first separator
    /// ends it), so a quote opens only at its start, as in the parser. The lines read are kept
    /// in `ahead` for [`Self::next_record`].
    fn find_delimiter(&mut self) -> std::result::Result<u8, InputError> {
        #[derive(Clone, Copy)]
        enum At {
            Start,
            Plain,
            Quoted,
            // A quote inside the quoted field: its end, or the first of `""`.
            QuoteInQuoted,
        }
        let mut at = At::Start;
        // The first record's bytes so far, and the line it starts on.
        let (mut used, mut start) = (0, None);
        loop {
            let mut line = Vec::new();
            let number = self.ahead.len() as u64 + 1;
            let n = read_line(&mut self.reader, &mut line, MAX_RECORD_BYTES - used)
                .map_err(|e| io_error(number, &e))?;
            if n == 0 {
                return Ok(b',');
            }
            let text = trim_line_end(&line);
            let blank = matches!(at, At::Start) && text.iter().all(u8::is_ascii_whitespace);
            if !blank {
                let start = *start.get_or_insert(number);
                used += n;
                if used > MAX_RECORD_BYTES {
                    return Err(too_long(start));
                }
            }
            let mut found = None;
            if !blank {
                for &b in text {
                    at = match (at, b) {
                        (At::Quoted, b'"') => At::QuoteInQuoted,
                        (At::Quoted, _) | (At::QuoteInQuoted, b'"') => At::Quoted,
                        (At::Start, b'"') => At::Quoted,
                        (_, b',' | b';' | b'\t') => {
                            found = Some(b);
                            break;
                        }
                        _ => At::Plain,
                    };
                }
            }
            self.ahead.push_back(line);
            match (found, at) {
                (Some(b), _) => return Ok(b),
                // The record ended without one: a single column.
                (None, At::Plain | At::QuoteInQuoted) => return Ok(b','),
                // Blank lines before the record, or a quoted line break: read on.
                (None, At::Start | At::Quoted) => {}
            }
        }
    }

    /// Reads the next line into `buf` (a line read ahead first), at most `room` bytes of it
    /// and one more (which tells it was longer); false at the end of the input.
    fn next_line(&mut self, room: usize) -> std::result::Result<bool, InputError> {
        self.buf.clear();
        if let Some(line) = self.ahead.pop_front() {
            self.buf = line;
        } else if read_line(&mut self.reader, &mut self.buf, room)
            .map_err(|e| io_error(self.line + 1, &e))?
            == 0
        {
            return Ok(false);
        }
        self.line += 1;
        Ok(true)
    }

    /// The next record that is not a blank line, as UTF-8 fields (each [`unguard`]ed), with
    /// the line it starts on. Lines are read one at a time, so the numbers are the file's own.
    fn next_record(&mut self) -> std::result::Result<Option<(u64, Vec<String>)>, InputError> {
        let mut start = None;
        // The line the field being read starts on (an unclosed quote's).
        let mut field_start = 0;
        let mut fields = Vec::new();
        let mut field = Vec::new();
        // The record's bytes so far (its lines read ahead were bounded the same way).
        let mut used = 0;
        loop {
            if !self.next_line(MAX_RECORD_BYTES - used)? {
                return match start {
                    None => Ok(None),
                    Some(_) => Err(InputError {
                        line: field_start,
                        reason: "unterminated quote: the quoted field that starts on this line \
                                 is not closed before the end of the input (a quoted field may \
                                 span lines; close it with \")"
                            .into(),
                    }),
                };
            }
            let text = trim_line_end(&self.buf);
            let line = match start {
                Some(line) => line,
                None if text.iter().all(u8::is_ascii_whitespace) => continue,
                None => {
                    self.parser.reset();
                    start = Some(self.line);
                    field_start = self.line;
                    self.line
                }
            };
            used += self.buf.len();
            if used > MAX_RECORD_BYTES {
                return Err(too_long(line));
            }
            let before = fields.len();
            let ended = feed_line(&mut self.parser, text, &mut fields, &mut field);
            if fields.len() > before {
                field_start = self.line;
            }
            if !ended {
                continue; // inside a quoted field: its line break is part of it
            }
            let mut cells = Vec::with_capacity(fields.len());
            for (col, bytes) in fields.into_iter().enumerate() {
                match String::from_utf8(bytes) {
                    Ok(s) => cells.push(unguard(s)),
                    Err(e) => {
                        let at = e.utf8_error().valid_up_to();
                        return Err(InputError {
                            line,
                            reason: format!(
                                "column {} is not UTF-8 (byte 0x{:02X} at offset {at}); save the \
                                 file as UTF-8 (Windows-874/TIS-620 Thai is not read)",
                                col + 1,
                                e.as_bytes()[at],
                            ),
                        });
                    }
                }
            }
            return Ok(Some((line, cells)));
        }
    }

    fn next_reference(&mut self) -> std::result::Result<Option<Reference>, InputError> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        let Some((line, fields)) = self.next_record()? else {
            return Ok(None);
        };
        match &self.layout {
            None => plain_line(line, fields).map(Some),
            Some(layout) => {
                if fields.len() != layout.width {
                    return Err(InputError {
                        line,
                        reason: format!(
                            "{} columns where the header has {}",
                            fields.len(),
                            layout.width
                        ),
                    });
                }
                let reference2 = layout.reference2.map_or("", |i| fields[i].as_str());
                let mut reference =
                    Reference::pushed(line, &fields[layout.reference1], reference2)?;
                reference.extra = layout.extra.iter().map(|&i| fields[i].clone()).collect();
                Ok(Some(reference))
            }
        }
    }
}

impl<R: BufRead> Iterator for References<R> {
    type Item = std::result::Result<Reference, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_reference() {
            Ok(r) => r.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

fn plain_line(line: u64, fields: Vec<String>) -> std::result::Result<Reference, InputError> {
    if fields.len() > 2 {
        return Err(InputError {
            line,
            reason: format!(
                "{} columns where reference1[,reference2] was expected (to pass other columns \
                 through, start the file with a header line naming reference1)",
                fields.len()
            ),
        });
    }
    let mut it = fields.into_iter();
    let reference1 = it.next().unwrap_or_default();
    Reference::pushed(line, &reference1, &it.next().unwrap_or_default())
}

fn skip_bom<R: BufRead>(reader: &mut R) -> io::Result<()> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut seen = Vec::with_capacity(3);
    // fill_buf may return fewer than three bytes at a time (a pipe): look until decided.
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        let want = 3 - seen.len();
        let take = want.min(buf.len());
        if buf[..take] != BOM[seen.len()..seen.len() + take] {
            // Not a BOM. The bytes already consumed were BOM bytes, which are not text anyway.
            return Ok(());
        }
        seen.extend_from_slice(&buf[..take]);
        reader.consume(take);
        if seen.len() == 3 {
            return Ok(());
        }
    }
}

/// Appends one line to `buf`, reading at most `room + 1` bytes (more than `room`: too long);
/// the bytes read.
fn read_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>, room: usize) -> io::Result<usize> {
    reader.take(room as u64 + 1).read_until(b'\n', buf)
}

fn too_long(line: u64) -> InputError {
    InputError {
        line,
        reason: format!(
            "the record that starts on this line is longer than {} MiB; is a quoted field \
             left open (a \" with no closing \")?",
            MAX_RECORD_BYTES >> 20
        ),
    }
}

/// A line without its line break (`\n`, and any `\r` before it).
fn trim_line_end(mut text: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = text {
        text = rest;
    }
    text
}

fn io_error(line: u64, e: &io::Error) -> InputError {
    InputError {
        line,
        reason: format!("could not be read: {e}"),
    }
}

/// Feeds one line (its line break removed) and a `\n` to the CSV parser: completed fields go to
/// `fields`, a field still open (a quoted one that goes on to the next line) stays in `field`.
/// True when the record has ended.
fn feed_line(
    parser: &mut csv_core::Reader,
    text: &[u8],
    fields: &mut Vec<Vec<u8>>,
    field: &mut Vec<u8>,
) -> bool {
    let mut out = [0u8; 1024];
    for part in [text, b"\n"] {
        let mut input = part;
        // An empty input would tell the parser the input has ended: never give one.
        while !input.is_empty() {
            let (result, nin, nout) = parser.read_field(input, &mut out);
            input = &input[nin..];
            field.extend_from_slice(&out[..nout]);
            if let csv_core::ReadFieldResult::Field { record_end } = result {
                fields.push(std::mem::take(field));
                if record_end {
                    return true;
                }
            }
        }
    }
    false
}

/// Which reference column a header cell names, if it names one ([`REFERENCE1_NAMES`],
/// [`REFERENCE2_NAMES`]).
fn reference_column(cell: &str) -> Option<&'static str> {
    let is = |names: &[&str]| names.iter().any(|n| same_name(n, cell));
    if is(REFERENCE1_NAMES) {
        Some("reference1")
    } else if is(REFERENCE2_NAMES) {
        Some("reference2")
    } else {
        None
    }
}

/// Whether two header names are the same in any ASCII case, white space ignored and Thai
/// digits read as digits (a Thai header is written with or without a space before its
/// number, and the number as ๑ or 1).
fn same_name(a: &str, b: &str) -> bool {
    fn name(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars().filter(|c| !c.is_whitespace()).map(|c| match c {
            // Thai digits (๑, ๒) as Thai documents write the number.
            '๐'..='๙' => char::from(b'0' + (c as u32 - '๐' as u32) as u8),
            c => c.to_ascii_lowercase(),
        })
    }
    name(a).eq(name(b))
}

/// A header name in quotes for a message, its quotes, backslashes and control characters
/// escaped as `{:?}` does; Thai vowel and tone marks are kept as written (`{:?}` would show
/// them as `\u{e49}`).
fn quoted(name: &str) -> String {
    let mut out = String::from('"');
    for c in name.chars() {
        match c {
            '"' | '\\' => out.extend(['\\', c]),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The reader's mirror of [`neutralise_cell`]: a `'` before `=`, `+`, `-` or `@` is dropped, so
/// a cell of an output file reads as the value it was written from.
fn unguard(cell: String) -> String {
    match cell.as_bytes() {
        [b'\'', b'=' | b'+' | b'-' | b'@', ..] => cell[1..].to_owned(),
        _ => cell,
    }
}

/// The result for one reference.
#[derive(Debug)]
pub struct Outcome {
    /// The reference as read from the input, with its passed-through columns.
    pub reference: Reference,
    /// DGA's status, or why it could not be read (`Api` with `TransactionNotFound` for a
    /// reference DGA does not know).
    pub result: Result<PaymentStatus>,
}

impl Outcome {
    /// Whether DGA does not know the reference.
    pub fn is_not_found(&self) -> bool {
        matches!(&self.result, Err(e) if e.error_code() == Some(&ErrorCode::TransactionNotFound))
    }

    /// Whether the status could not be read (an error other than "not found").
    pub fn is_unreadable(&self) -> bool {
        self.result.is_err() && !self.is_not_found()
    }

    /// The `error` column: empty when read, `TransactionNotFound`, or the error kind's name
    /// (`Network`, `Timeout`, `Auth`, …).
    pub fn error_name(&self) -> String {
        match &self.result {
            Ok(_) => String::new(),
            Err(_) if self.is_not_found() => NOT_FOUND.to_owned(),
            Err(e) => format!("{:?}", e.kind()),
        }
    }

    /// The key this outcome counts under in a [`Summary`]: the paid status's name,
    /// `TransactionNotFound`, or `error:<kind>`.
    pub fn summary_key(&self) -> String {
        match &self.result {
            Ok(s) => s.paid_status.to_string(),
            Err(_) if self.is_not_found() => NOT_FOUND.to_owned(),
            Err(_) => format!("error:{}", self.error_name()),
        }
    }

    /// The row's cells in [`COLUMNS`] order, then the passed-through columns; `None` for an
    /// empty cell.
    pub fn values(&self) -> Vec<Option<String>> {
        let r = &self.reference;
        let mut out: Vec<Option<String>> = Vec::with_capacity(COLUMNS.len() + r.extra.len());
        out.push(Some(r.reference1.clone()));
        out.push(Some(r.reference2.clone()));
        match &self.result {
            Ok(s) => {
                out.push(Some(s.paid_status.to_string()));
                out.push(s.paid_status.description_th().map(str::to_owned));
                out.push(s.description.clone());
                out.push(Some(s.amount.to_string()));
                out.push(s.fee_amount.map(|d| d.to_string()));
                out.push(s.ref_id.clone());
                out.push(s.paid_date.as_ref().map(format_date));
                out.push(s.paid_channel.clone());
                out.push(s.payment_type.as_ref().map(ToString::to_string));
                out.push(None);
            }
            Err(_) => {
                out.extend(std::iter::repeat_n(None, COLUMNS.len() - 3));
                out.push(Some(self.error_name()));
            }
        }
        out.extend(r.extra.iter().cloned().map(Some));
        out
    }

    /// The row's cells as text (an empty cell is `""`), as a CSV writer wants them.
    pub fn cells(&self) -> Vec<String> {
        self.values()
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect()
    }

    /// The row as a JSON object keyed by [`headers`]`(extra_headers)`; empty cells are `null`,
    /// amounts are strings (exact).
    pub fn to_json(&self, extra_headers: &[String]) -> Value {
        let mut map = Map::new();
        for (name, value) in headers(extra_headers).into_iter().zip(self.values()) {
            map.insert(name, value.map_or(Value::Null, Value::String));
        }
        Value::Object(map)
    }
}

/// The output's header: [`COLUMNS`] then the passed-through columns.
pub fn headers(extra_headers: &[String]) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(extra_headers.iter().cloned())
        .collect()
}

/// Makes a cell safe to open in a spreadsheet: one that Excel or LibreOffice would run as a
/// formula (first character `=`, `+`, `-`, `@`, or a tab or carriage return that hides one)
/// gets a leading apostrophe, which both show as text and do not display. Amounts are never
/// negative, so no number is changed.
pub fn neutralise_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes outcomes as CSV (UTF-8, a header line, formula-looking cells neutralised).
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header (after a UTF-8 byte-order mark when `bom`, so Excel shows Thai).
    pub fn new(mut out: W, extra_headers: &[String], bom: bool) -> io::Result<Self> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut inner = csv::Writer::from_writer(out);
        inner
            .write_record(
                headers(extra_headers)
                    .iter()
                    .map(|h| neutralise_cell(h).into_owned()),
            )
            .map_err(into_io)?;
        Ok(CsvWriter { inner })
    }

    /// Writes one row.
    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        let cells = outcome.cells();
        self.inner
            .write_record(cells.iter().map(|c| neutralise_cell(c).into_owned()))
            .map_err(into_io)
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn into_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes outcomes as JSON Lines, one object per row ([`Outcome::to_json`]).
pub struct JsonlWriter<W: Write> {
    out: W,
    extra_headers: Vec<String>,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer for rows with these passed-through columns.
    pub fn new(out: W, extra_headers: &[String]) -> Self {
        JsonlWriter {
            out,
            extra_headers: extra_headers.to_vec(),
        }
    }

    /// Writes one row.
    pub fn write(&mut self, outcome: &Outcome) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &outcome.to_json(&self.extra_headers))?;
        self.out.write_all(b"\n")
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Counts by status, for the end of a run.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Rows written.
    pub total: u64,
    /// Rows whose status could not be read.
    pub unreadable: u64,
    /// Rows per [`Outcome::summary_key`], in first-seen order.
    pub by_status: Vec<(String, u64)>,
}

impl Summary {
    /// Counts one outcome.
    pub fn add(&mut self, outcome: &Outcome) {
        self.total += 1;
        if outcome.is_unreadable() {
            self.unreadable += 1;
        }
        let key = outcome.summary_key();
        match self.by_status.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => self.by_status.push((key, 1)),
        }
    }

    /// The summary as JSON: `{"total", "unreadable", "byStatus": {key: count}}`.
    pub fn to_json(&self) -> Value {
        let by: Map<String, Value> = self
            .by_status
            .iter()
            .map(|(k, n)| (k.clone(), Value::from(*n)))
            .collect();
        serde_json::json!({"total": self.total, "unreadable": self.unreadable, "byStatus": by})
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} references", self.total)?;
        for (k, n) in &self.by_status {
            write!(f, ", {k}: {n}")?;
        }
        if self.unreadable > 0 {
            write!(f, " ({} could not be read)", self.unreadable)?;
        }
        Ok(())
    }
}

/// A status call in flight, tagged with its place in the input.
struct Call<Fut> {
    index: u64,
    reference: Option<Reference>,
    fut: Pin<Box<Fut>>,
}

impl<Fut: Future<Output = Result<PaymentStatus>>> Future for Call<Fut> {
    type Output = (u64, Outcome);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = std::task::ready!(self.fut.as_mut().poll(cx));
        let reference = self.reference.take().unwrap_or_else(|| Reference {
            line: 0,
            reference1: String::new(),
            reference2: String::new(),
            extra: Vec::new(),
        });
        Poll::Ready((self.index, Outcome { reference, result }))
    }
}

/// Many status reads, in input order. Made by [`status_many`]; drive it with
/// [`StatusMany::next`] (or as a [`Stream`]) on a tokio runtime with the time driver (the rate
/// limit sleeps on it). The calls run inside `next()`: nothing is spawned.
pub struct StatusMany<S, F, Fut> {
    input: Option<S>,
    staged: Option<Reference>,
    input_error: Option<(u64, InputError)>,
    status_fn: F,
    in_flight: FuturesUnordered<Call<Fut>>,
    /// Finished outcomes from `next_emit` on, by index - next_emit.
    ready: VecDeque<Option<Outcome>>,
    next_start: u64,
    next_emit: u64,
    concurrency: usize,
    window: usize,
    pacer: Pacer,
    /// The first `Auth` error of the run that is not transient (DGA refused the credentials):
    /// every reference not yet started gets it at once, without a call.
    refused: Option<crate::Error>,
    done: bool,
}

/// How late a start may be and still be made up for: a longer stall (the window full, a slow
/// input) is not followed by a burst. Tokio's own `Interval` uses the same 5 ms.
const STALL: Duration = Duration::from_millis(5);

/// Paces starts at `rate` a second by each start's due time (`base + k / rate`, in whole
/// nanoseconds), not by a period: any rate works, however high (no period rounds to zero), and
/// at the timer's millisecond resolution the starts due within one tick go together, so the
/// average is the rate asked for.
struct Pacer {
    /// Starts a second; 0: no limit.
    rate: u32,
    /// When start number 0 of the current run of starts was due.
    base: Option<tokio::time::Instant>,
    /// Starts since `base`.
    started: u64,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Pacer {
    fn new(rate: u32) -> Self {
        Pacer {
            rate,
            base: None,
            started: 0,
            sleep: None,
        }
    }

    /// Ready when the next start is due (and counts it).
    fn poll_start(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.rate == 0 {
            return Poll::Ready(());
        }
        let now = tokio::time::Instant::now();
        let base = *self.base.get_or_insert(now);
        let nanos = u128::from(self.started) * 1_000_000_000 / u128::from(self.rate);
        let due = base + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        if due > now {
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
            if sleep.deadline() != due {
                sleep.as_mut().reset(due);
            }
            std::task::ready!(sleep.as_mut().poll(cx));
        } else if now - due > STALL {
            self.base = Some(now);
            self.started = 0;
        }
        self.started += 1;
        Poll::Ready(())
    }
}

/// Reads the status of every reference of `references` (for an iterator such as
/// [`References`], pass `futures_util::stream::iter(it)`) with `status_fn` (e.g. a client's
/// `status`): at most `concurrency` calls at once (at least 1), at most `rate` calls started a
/// second (`0`: no limit; any other `u32` is paced as asked, on average, however high; starts
/// due within one millisecond timer tick go together), results in input order. Once a call
/// fails with an `Auth` error that is not transient (DGA refused the credentials), no later
/// reference is sent: each gets a row with that error at once (the calls already in flight
/// finish), so every reference still has its row. An input error is given in its place (after
/// every result before it) and ends the stream; no reference after it is read. Reference `i` is
/// not started while `i - next_to_give >= window` (`8 × concurrency`, at least 64), so memory
/// stays bounded when one call is slow.
pub fn status_many<S, F, Fut>(
    references: S,
    concurrency: usize,
    rate: u32,
    status_fn: F,
) -> StatusMany<S, F, Fut>
where
    S: Stream<Item = std::result::Result<Reference, InputError>> + Unpin,
    F: Fn(String, String) -> Fut,
    Fut: Future<Output = Result<PaymentStatus>>,
{
    let concurrency = concurrency.max(1);
    StatusMany {
        input: Some(references),
        staged: None,
        input_error: None,
        status_fn,
        in_flight: FuturesUnordered::new(),
        ready: VecDeque::new(),
        next_start: 0,
        next_emit: 0,
        concurrency,
        window: concurrency.saturating_mul(WINDOW_PER_CALL).max(MIN_WINDOW),
        pacer: Pacer::new(rate),
        refused: None,
        done: false,
    }
}

impl<S, F, Fut> StatusMany<S, F, Fut>
where
    S: Stream<Item = std::result::Result<Reference, InputError>> + Unpin,
    F: Fn(String, String) -> Fut,
    Fut: Future<Output = Result<PaymentStatus>>,
{
    /// Sets the reorder window (at least `concurrency`).
    pub fn with_window(mut self, window: usize) -> Self {
        self.window = window.max(self.concurrency);
        self
    }

    /// The next result in input order, `None` at the end.
    pub async fn next(&mut self) -> Option<std::result::Result<Outcome, InputError>> {
        std::future::poll_fn(|cx| self.poll_step(cx)).await
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    fn poll_step(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Outcome, InputError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        loop {
            if let Some(Some(_)) = self.ready.front() {
                let outcome = self.ready.pop_front().flatten();
                self.next_emit += 1;
                return Poll::Ready(outcome.map(Ok));
            }
            if let Some((index, _)) = &self.input_error
                && *index == self.next_emit
            {
                self.done = true;
                return Poll::Ready(self.input_error.take().map(|(_, e)| Err(e)));
            }
            self.start_calls(cx);
            match self.in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some((index, outcome))) => {
                    if let Err(e) = &outcome.result
                        && e.kind() == crate::ErrorKind::Auth
                        && !e.is_transient()
                    {
                        self.refused.get_or_insert_with(|| e.clone());
                    }
                    self.set_ready(index, outcome);
                }
                Poll::Ready(None) | Poll::Pending => {
                    if matches!(self.ready.front(), Some(Some(_))) {
                        continue; // a refused reference's row, made without a call
                    }
                    if matches!(&self.input_error, Some((i, _)) if *i == self.next_emit) {
                        continue; // every result before the bad line is out: give the error
                    }
                    let idle = self.in_flight.is_empty()
                        && self.input.is_none()
                        && self.staged.is_none()
                        && self.input_error.is_none();
                    if idle {
                        self.done = true;
                        return Poll::Ready(None);
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// Puts reference `index`'s outcome in its place in the reorder window.
    fn set_ready(&mut self, index: u64, outcome: Outcome) {
        let slot = usize::try_from(index - self.next_emit).unwrap_or(usize::MAX);
        if self.ready.len() <= slot {
            self.ready.resize_with(slot + 1, || None);
        }
        self.ready[slot] = Some(outcome);
    }

    /// Starts calls while there is room: concurrency, the reorder window, the rate.
    fn start_calls(&mut self, cx: &mut Context<'_>) {
        while self.in_flight.len() < self.concurrency
            && self.next_start - self.next_emit < self.window as u64
        {
            if self.staged.is_none() {
                let Some(input) = self.input.as_mut() else {
                    return;
                };
                match input.poll_next_unpin(cx) {
                    Poll::Ready(Some(Ok(r))) => self.staged = Some(r),
                    Poll::Ready(Some(Err(e))) => {
                        self.input_error = Some((self.next_start, e));
                        self.input = None;
                        return;
                    }
                    Poll::Ready(None) => {
                        self.input = None;
                        return;
                    }
                    Poll::Pending => return,
                }
            }
            if let Some(refused) = self.refused.clone()
                && let Some(reference) = self.staged.take()
            {
                // Refused credentials cannot succeed on a later reference: no call, no wait.
                let result = Err(refused);
                self.set_ready(self.next_start, Outcome { reference, result });
                self.next_start += 1;
                continue;
            }
            if self.pacer.poll_start(cx).is_pending() {
                return;
            }
            let Some(reference) = self.staged.take() else {
                return;
            };
            let fut = (self.status_fn)(reference.reference1.clone(), reference.reference2.clone());
            self.in_flight.push(Call {
                index: self.next_start,
                reference: Some(reference),
                fut: Box::pin(fut),
            });
            self.next_start += 1;
        }
    }
}

impl<S, F, Fut> Stream for StatusMany<S, F, Fut>
where
    S: Stream<Item = std::result::Result<Reference, InputError>> + Unpin,
    F: Fn(String, String) -> Fut + Unpin,
    Fut: Future<Output = Result<PaymentStatus>>,
{
    type Item = std::result::Result<Outcome, InputError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_step(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::{PaidStatus, schema};
    use std::cell::Cell;
    use std::rc::Rc;

    fn read(text: &[u8]) -> std::result::Result<Vec<Reference>, InputError> {
        read_references(text)?.collect()
    }

    #[test]
    fn status_columns_are_the_schemas() {
        for c in &COLUMNS[2..11] {
            if *c == "paidStatusTh" {
                continue;
            }
            assert!(schema::PAYMENT_STATUS.field(c).is_some(), "{c}");
        }
    }

    #[test]
    fn plain_lines_bom_blank_and_quotes() {
        let refs = read(b"\xEF\xBB\xBFINV-1\nINV-2,B\n\n\"INV,3\", C \n").unwrap();
        let got: Vec<(&str, &str, u64)> = refs
            .iter()
            .map(|r| (r.reference1.as_str(), r.reference2.as_str(), r.line))
            .collect();
        assert_eq!(
            got,
            [("INV-1", "", 1), ("INV-2", "B", 2), ("INV,3", "C", 4)]
        );
    }

    #[test]
    fn header_passes_other_columns_through() {
        let r =
            read_references("customer,Reference1,note\nสมศรี,INV-1,a\nสมชาย,INV-2,b\n".as_bytes())
                .unwrap();
        assert_eq!(r.extra_headers(), ["customer", "note"]);
        let refs: Vec<Reference> = r.collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(refs[1].reference1, "INV-2");
        assert_eq!(refs[1].extra, ["สมชาย", "b"]);
        assert_eq!(refs[1].line, 3);
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            read(b"INV-1\nA,B,C\n").unwrap_err().line,
            2,
            "three columns without a header"
        );
        let e = read(b"reference1,x\nINV-1,1\nINV-2\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.reason.contains("1 columns where the header has 2"), "{e}");
        let e = read(b"INV-1\n,B\n").unwrap_err();
        assert_eq!((e.line, e.reason.as_str()), (2, "reference1 is empty"));
        // "ชำระ" in Windows-874.
        let e = read(b"INV-1\nINV-2,\xAA\xD3\xC3\xD0\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("not UTF-8"), "{e}");
        // What the status call would refuse is the line's error, before any call.
        let e = read(b"RC-1\x01,B-1\n").unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (1, "reference1 contains a control character")
        );
        let e = read(b"INV-1\nRC-2,B\x1b[31m\n").unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (2, "reference2 contains a control character")
        );
        let long = format!("INV-1\n{},B-1\n", "ร".repeat(256));
        let e = read(long.as_bytes()).unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (
                2,
                "reference1 is 256 characters long; a reference is at most 255"
            )
        );
        assert_eq!(read("ร".repeat(255).as_bytes()).unwrap().len(), 1);
        let e = read(b"reference1,amount\n").unwrap_err();
        assert!(e.reason.contains("output column"), "{e}");
        assert!(read(b"").unwrap().is_empty());
    }

    fn pairs(refs: &[Reference]) -> Vec<(&str, &str, u64)> {
        refs.iter()
            .map(|r| (r.reference1.as_str(), r.reference2.as_str(), r.line))
            .collect()
    }

    /// The guide's names for the references make a header, not a reference to ask DGA about.
    #[test]
    fn the_guides_names_make_a_header() {
        for text in [
            "ref1,ref2\nRC-1,B-1\n",
            "RequestReference1,REQUESTREFERENCE2\nRC-1,B-1\n",
            " Ref2 ,requestReference1\nB-1,RC-1\n",
        ] {
            let refs = read(text.as_bytes()).unwrap();
            assert_eq!(pairs(&refs), [("RC-1", "B-1", 2)], "{text}");
        }
        assert_eq!(pairs(&read(b"ref1\nRC-1\n").unwrap()), [("RC-1", "", 2)]);
        let r = read_references(&b"note,requestReference1\nx,RC-1\n"[..]).unwrap();
        assert_eq!(r.extra_headers(), ["note"]);
        let e = read(b"note,ref2\nx,B-1\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("no reference1 column"), "{e}");
        let e = read(b"ref1,reference1\nA,B\n").unwrap_err();
        assert_eq!(
            e.reason,
            "the header's columns \"ref1\" and \"reference1\" both name reference1"
        );
    }

    /// A Thai agency's export names the columns in Thai: the guide's terms, or the short forms
    /// its staff write, with or without a space before the number.
    #[test]
    fn thai_names_make_a_header() {
        for text in [
            "เลขอ้างอิง1,เลขอ้างอิง2\nRC-1,B-1\n",
            "เลขที่อ้างอิง 1,เลขที่อ้างอิง 2\nRC-1,B-1\n",
            "รหัสอ้างอิง1,รหัสอ้างอิง 2\nRC-1,B-1\n",
            "รหัสอ้างอิงการชำระเงิน 1,รหัสอ้างอิงการชำระเงิน2\nRC-1,B-1\n",
            "รหัสอ้างอิงการชำระเงินของระบบต้นทาง1,รหัสอ้างอิงการชำระเงินของระบบต้นทาง 2\nRC-1,B-1\n",
            " เลขที่อ้างอิง  2 ,เลขอ้างอิง 1\nB-1,RC-1\n",
            // A header cell wrapped with Alt-Enter.
            "\"เลขที่อ้างอิง\n1\",เลขที่อ้างอิง 2\nRC-1,B-1\n",
            "Reference 1,REF 2\nRC-1,B-1\n",
            // The number in Thai digits.
            "เลขที่อ้างอิง ๑,เลขที่อ้างอิง๒\nRC-1,B-1\n",
        ] {
            let refs = read(text.as_bytes()).unwrap();
            assert_eq!(refs.len(), 1, "{text}");
            assert_eq!(
                (&refs[0].reference1[..], &refs[0].reference2[..]),
                ("RC-1", "B-1"),
                "{text}"
            );
        }
        let r = read_references(
            "ชื่อผู้ชำระ,เลขที่อ้างอิง 1,เลขที่อ้างอิง 2,จำนวนเงิน\nสมศรี มีสุข,RC-1,B-1,100.00\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(r.extra_headers(), ["ชื่อผู้ชำระ", "จำนวนเงิน"]);
        let refs: Vec<Reference> = r.collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(pairs(&refs), [("RC-1", "B-1", 2)]);
        assert_eq!(refs[0].extra, ["สมศรี มีสุข", "100.00"]);
        let e = read("เลขอ้างอิง1,reference1\nA,B\n".as_bytes()).unwrap_err();
        assert_eq!(
            e.reason,
            "the header's columns \"เลขอ้างอิง1\" and \"reference1\" both name reference1"
        );
        // Thai names in a message as written (not `\u{e49}`), a line break escaped.
        let e = read("\"เลขที่อ้างอิง\n1\",หมายเหตุ,เลขที่อ้างอิง 1\n".as_bytes()).unwrap_err();
        assert_eq!(
            e.reason,
            "the header's columns \"เลขที่อ้างอิง\\n1\" and \"เลขที่อ้างอิง 1\" both name reference1"
        );
        let e = read("หมายเหตุ,ref1,หมายเหตุ\n".as_bytes()).unwrap_err();
        assert_eq!(e.reason, "the header names \"หมายเหตุ\" twice");
        let e = read("หมายเหตุ,เลขอ้างอิง 2\nx,B-1\n".as_bytes()).unwrap_err();
        assert!(e.reason.contains("no reference1 column"), "{e}");
        assert!(e.reason.contains("เลขที่อ้างอิง 1"), "{e}");
        // A name without its number is not a reference column: the line is a reference.
        assert_eq!(
            pairs(&read("เลขที่อ้างอิง\n".as_bytes()).unwrap()),
            [("เลขที่อ้างอิง", "", 1)]
        );
    }

    /// The separator is the first of `,` `;` tab outside quotes on the first record, whatever
    /// later lines hold; a one-column file reads as `,`.
    #[test]
    fn the_first_record_decides_the_separator() {
        for text in [
            &b"RC-1;B-1\nRC-2;B-2\n"[..],
            b"RC-1\tB-1\nRC-2\tB-2\n",
            b"\xEF\xBB\xBFRC-1;B-1\r\n\r\nRC-2;\" B-2 \"\r\n",
        ] {
            let refs = read(text).unwrap();
            let lines: Vec<u64> = refs.iter().map(|r| r.line).collect();
            let got: Vec<(&str, &str)> = pairs(&refs).iter().map(|p| (p.0, p.1)).collect();
            let text = String::from_utf8_lossy(text);
            assert_eq!(got, [("RC-1", "B-1"), ("RC-2", "B-2")], "{text:?}");
            assert!(lines == [1, 2] || lines == [1, 3], "{text:?}");
        }
        // A header, and a later `,` is text.
        let r = read_references("เลขที่อ้างอิง 1;note;เลขที่อ้างอิง 2\nRC-1;a,b;B-1\n".as_bytes()).unwrap();
        assert_eq!(r.extra_headers(), ["note"]);
        let refs: Vec<Reference> = r.collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(pairs(&refs), [("RC-1", "B-1", 2)]);
        assert_eq!(refs[0].extra, ["a,b"]);
        let r = read_references(&b"reference1\tnote\nRC-1\t\"x\ty\"\n"[..]).unwrap();
        let refs: Vec<Reference> = r.collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(refs[0].extra, ["x\ty"]);
        // One column: read as before, `,` splitting a later line and `;` being text.
        assert_eq!(
            pairs(&read(b"RC-1\nRC-2,B-2\nRC;3\n").unwrap()),
            [("RC-1", "", 1), ("RC-2", "B-2", 2), ("RC;3", "", 3)]
        );
        assert_eq!(
            read(b"RC-1\nA,B,C\n").unwrap_err().reason,
            "3 columns where reference1[,reference2] was expected (to pass other columns \
             through, start the file with a header line naming reference1)"
        );
        // `,` files: a `;` or tab inside quotes is text, on the first line or a later one.
        assert_eq!(
            pairs(&read(b"\"R;1\",B-1\nRC-2,\"B;2\"\n").unwrap()),
            [("R;1", "B-1", 1), ("RC-2", "B;2", 2)],
        );
        // A quote opens a field only at its start, as the parser reads it.
        assert_eq!(
            pairs(&read(b"RC\"1;B-1\n\"R\"\"2\";B-2\n").unwrap()),
            [("RC\"1", "B-1", 1), ("R\"2", "B-2", 2)],
        );
        // A first cell wrapped with Alt-Enter: the separator after it, on its next line.
        let text = "\n\"เลขที่อ้างอิง\n1\";เลขที่อ้างอิง 2\nRC-1;B-1\n";
        assert_eq!(pairs(&read(text.as_bytes()).unwrap()), [("RC-1", "B-1", 4)]);
        let e = read(b"\n\"RC-1;B-1\nRC-2;B-2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.starts_with("unterminated quote"), "{e}");
    }

    #[test]
    fn an_unterminated_quote_is_the_lines_error() {
        for text in [
            &b"RC-4,B-4\n\"RC-1,B-1\n"[..],
            b"RC-4,B-4\n\"RC-1,B-1",
            b"RC-4,B-4\nRC-1,\"B-1\nRC-5\n\nRC-6\n",
        ] {
            let e = read(text).unwrap_err();
            assert_eq!(e.line, 2, "{e}");
            assert!(e.reason.starts_with("unterminated quote"), "{e}");
        }
        // The open field's line, not the record's.
        let e = read(b"reference1,a,b\nRC-1,\"x\ny\",\"z\nw\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }

    /// A record is read into memory only up to its bound: a quote left open on the first line
    /// (where the separator is looked for), or later, or one endless line, is an error naming
    /// the record's line, not the whole input held.
    #[test]
    fn a_record_has_a_bound() {
        let long = "x".repeat(MAX_RECORD_BYTES);
        let lines = "y\n".repeat(MAX_RECORD_BYTES / 2 + 1);
        for (text, line) in [
            (format!("\n\"RC-1,{lines}"), 2),
            (format!("RC-1,B-1\nRC-2,\"{lines}"), 2),
            (format!("reference1,note\nRC-1,a\nRC-2,{long}\nRC-3,b\n"), 3),
            (format!("{long}\n"), 1),
        ] {
            let e = read(text.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{e}");
            assert!(e.reason.contains("longer than 1 MiB"), "{e}");
        }
        // Just within it: read.
        let cell = "z".repeat(MAX_RECORD_BYTES - "RC-1,\n".len());
        let refs = read(format!("reference1,note\nRC-1,{cell}\n").as_bytes()).unwrap();
        assert_eq!(refs[0].extra, [cell]);
    }

    /// A quoted cell with line breaks (Alt-Enter in Excel) is one cell; CRLF files too.
    #[test]
    fn a_quoted_field_may_span_lines() {
        let text = "reference1,address,note\r\nRC-1,\"12 ถนนพระราม\r\n\r\nกรุงเทพ\",x\r\n\r\nRC-2,\"\",\"a\"\"\nb\"\r\n";
        let refs = read(text.as_bytes()).unwrap();
        assert_eq!(pairs(&refs), [("RC-1", "", 2), ("RC-2", "", 6)]);
        assert_eq!(refs[0].extra, ["12 ถนนพระราม\n\nกรุงเทพ", "x"]);
        assert_eq!(refs[1].extra, ["", "a\"\nb"]);
        // A line break inside a reference is what the status call refuses.
        let e = read(b"\"RC-1\nRC-2\",B\n").unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (1, "reference1 contains a control character")
        );
        // A lone CR is text, not the end of a record that would drop "INV-2".
        let e = read(b"INV-1\rINV-2\n").unwrap_err();
        assert_eq!(e.reason, "reference1 contains a control character");
    }

    /// What the output's formula guard adds is read back off, so a day's output feeds the next.
    #[test]
    fn the_formula_guard_is_read_back_off() {
        let refs = read(b"'-2026-0001,'@home\n'+66,'=1\n'abc,''-x\n").unwrap();
        assert_eq!(
            pairs(&refs),
            [
                ("-2026-0001", "@home", 1),
                ("+66", "=1", 2),
                ("'abc", "''-x", 3)
            ]
        );
        let r = read_references(&b"reference1,note\nA,'=HYPERLINK(1)\n"[..]).unwrap();
        let refs: Vec<Reference> = r.collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(refs[0].extra, ["=HYPERLINK(1)"]);
        for cell in ["=1+1", "@SUM(A1)", "-2", "+66", "INV-1"] {
            assert_eq!(unguard(neutralise_cell(cell).into_owned()), cell);
        }
    }

    #[test]
    fn neutralises_formulas() {
        assert_eq!(neutralise_cell("=1+1"), "'=1+1");
        assert_eq!(neutralise_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_cell("-2"), "'-2");
        assert_eq!(neutralise_cell("+66"), "'+66");
        assert_eq!(neutralise_cell("INV-1"), "INV-1");
        assert_eq!(neutralise_cell("1000.50"), "1000.50");
    }

    fn status(r1: &str) -> PaymentStatus {
        let body = serde_json::json!({"paidStatus": "Success", "ref1": r1, "amount": "10.00"});
        PaymentStatus::from_json(&body).unwrap()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    }

    /// Results come in input order although later calls finish first, with at most
    /// `concurrency` in flight, and the window bounds how far ahead calls start.
    #[test]
    fn input_order_concurrency_and_window() {
        let rt = runtime();
        rt.block_on(async {
            let n = 200u64;
            let refs = (0..n).map(|i| {
                Ok(Reference {
                    line: i + 1,
                    reference1: format!("R{i}"),
                    reference2: String::new(),
                    extra: vec![],
                })
            });
            let live = Rc::new(Cell::new(0usize));
            let peak = Rc::new(Cell::new(0usize));
            let started = Rc::new(Cell::new(0u64));
            let (l, p, s) = (live.clone(), peak.clone(), started.clone());
            let mut many = status_many(futures_util::stream::iter(refs), 4, 0, move |r1, _| {
                let (l, p) = (l.clone(), p.clone());
                s.set(s.get() + 1);
                async move {
                    l.set(l.get() + 1);
                    p.set(p.get().max(l.get()));
                    let i: u64 = r1[1..].parse().unwrap();
                    // Reference 0 is slow: everything else waits behind it in the window.
                    let ms = if i == 0 { 10_000 } else { 10 + (i * 7) % 13 };
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    l.set(l.get() - 1);
                    Ok(status(&r1))
                }
            })
            .with_window(16);
            let first = many.next().await.unwrap().unwrap();
            assert_eq!(first.reference.reference1, "R0");
            assert!(
                started.get() <= 16,
                "started {} with window 16",
                started.get()
            );
            let mut seen = vec![0];
            while let Some(o) = many.next().await {
                let o = o.unwrap();
                seen.push(o.reference.reference1[1..].parse::<u64>().unwrap());
            }
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            assert_eq!(peak.get(), 4);
        });
    }

    /// How long `n` instant status calls take at `rate` on the paused clock.
    fn paced(n: u64, rate: u32) -> Duration {
        runtime().block_on(async {
            let refs = (0..n).map(|i| {
                Ok(Reference {
                    line: i + 1,
                    reference1: format!("R{i}"),
                    reference2: String::new(),
                    extra: vec![],
                })
            });
            let t0 = tokio::time::Instant::now();
            let mut many = status_many(
                futures_util::stream::iter(refs),
                8,
                rate,
                |r1, _| async move { Ok(status(&r1)) },
            );
            let mut got = 0;
            while let Some(o) = many.next().await {
                o.unwrap();
                got += 1;
            }
            assert_eq!(got, n);
            t0.elapsed()
        })
    }

    #[test]
    fn rate_paces_the_starts() {
        // 21 starts at 10 a second: the first at once, the last 2 s later.
        let took = paced(21, 10);
        assert!(
            took >= Duration::from_millis(1990) && took < Duration::from_millis(2100),
            "{took:?}"
        );
        // Faster than the timer's millisecond ticks: still the rate on average.
        let took = paced(1001, 5000);
        assert!(
            took >= Duration::from_millis(199) && took < Duration::from_millis(210),
            "{took:?}"
        );
    }

    /// A rate whose period rounds to zero (above about 2e9 a second) is a rate, not a panic.
    #[test]
    fn every_rate_works() {
        for rate in [1_000_000_000, 2_000_000_001, u32::MAX] {
            assert!(paced(100, rate) < Duration::from_millis(10), "{rate}");
        }
    }

    fn auth(transient: bool) -> Error {
        Error::Auth {
            message: "DGA refused the credentials".into(),
            transient,
        }
    }

    /// Refused credentials: the calls in flight finish, no later reference is sent to DGA, and
    /// every reference still gets its row, in order, at once (not at the rate).
    #[test]
    fn refused_credentials_stop_the_calls() {
        let rt = runtime();
        for (conc, transient, want_calls) in [(1, false, 1), (4, false, 4), (4, true, 100)] {
            rt.block_on(async {
                let refs = (0..100).map(|i| Reference::pushed(i + 1, &format!("R{i}"), ""));
                let calls = Rc::new(Cell::new(0));
                let c = calls.clone();
                let t0 = tokio::time::Instant::now();
                let mut many =
                    status_many(futures_util::stream::iter(refs), conc, 10, move |_, _| {
                        c.set(c.get() + 1);
                        async move {
                            // Longer than 3 starts at 10 a second: 4 in flight.
                            tokio::time::sleep(Duration::from_millis(350)).await;
                            Err::<PaymentStatus, _>(auth(transient))
                        }
                    });
                let mut lines = Vec::new();
                while let Some(o) = many.next().await {
                    let o = o.unwrap();
                    assert!(matches!(&o.result, Err(Error::Auth { .. })), "{o:?}");
                    assert_eq!(o.result.unwrap_err().is_transient(), transient);
                    lines.push(o.reference.line);
                }
                assert_eq!(lines, (1..=100).collect::<Vec<_>>());
                assert_eq!(calls.get(), want_calls, "concurrency {conc}");
                if !transient {
                    let took = t0.elapsed();
                    assert!(took < Duration::from_millis(700), "{took:?}");
                }
            });
        }
    }

    #[test]
    fn input_error_comes_in_its_place_and_ends() {
        let rt = runtime();
        // Concurrency 1: the error is read after the last call has finished.
        for conc in [1, 8] {
            rt.block_on(async {
                let input = read_references(&b"A\nB\nC,D,E\nF\n"[..]).unwrap();
                let calls = Rc::new(Cell::new(0));
                let c = calls.clone();
                let mut many =
                    status_many(futures_util::stream::iter(input), conc, 0, move |r1, _| {
                        c.set(c.get() + 1);
                        async move {
                            if r1 == "B" {
                                Err(Error::Api {
                                    endpoint: crate::Endpoint::Status,
                                    status: crate::ResponseStatus::Error,
                                    error_code: Some(ErrorCode::TransactionNotFound),
                                    message: String::new(),
                                })
                            } else {
                                Ok(status(&r1))
                            }
                        }
                    });
                let a = many.next().await.unwrap().unwrap();
                assert_eq!(a.cells()[2], "Success");
                assert_eq!(a.cells()[3], PaidStatus::Success.description_th().unwrap());
                let b = many.next().await.unwrap().unwrap();
                assert!(b.is_not_found() && !b.is_unreadable());
                assert_eq!(b.cells()[11], NOT_FOUND);
                let e = many.next().await.unwrap().unwrap_err();
                assert_eq!(e.line, 3);
                assert!(many.next().await.is_none());
                assert_eq!(calls.get(), 2);
            });
        }
    }

    #[test]
    fn writers() {
        let input = read_references(&b"reference1,note\nINV-1,=HYPERLINK(\"x\")\n"[..]).unwrap();
        let extra = input.extra_headers().to_vec();
        let reference = input.into_iter().next().unwrap().unwrap();
        let o = Outcome {
            reference,
            result: Ok(status("INV-1")),
        };
        let mut buf = Vec::new();
        let mut w = CsvWriter::new(&mut buf, &extra, true).unwrap();
        w.write(&o).unwrap();
        w.flush().unwrap();
        drop(w);
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.starts_with("\u{feff}reference1,reference2,paidStatus,"),
            "{text}"
        );
        assert!(text.ends_with(",\"'=HYPERLINK(\"\"x\"\")\"\n"), "{text}");
        let mut buf = Vec::new();
        let mut w = JsonlWriter::new(&mut buf, &extra);
        w.write(&o).unwrap();
        let v: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["note"], "=HYPERLINK(\"x\")");
        assert_eq!(v["amount"], "10.00");
        assert_eq!(v["error"], Value::Null);
        let mut s = Summary::default();
        s.add(&o);
        assert_eq!(s.to_string(), "1 references, Success: 1");
    }
}
