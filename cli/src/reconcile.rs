//! `dgapay reconcile`: the status of every reference of a list, in input order, through the
//! core's reconcile engine (reading, pacing, ordering, rows and headers all live there).

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use dga_epayment::reconcile::{self, CsvWriter, InputError, JsonlWriter, Outcome, Summary};
use dga_epayment::reconcile_json::MAX_CONCURRENCY;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::signal::unix::{SignalKind, signal};

use crate::connect::ConnectionArgs;
use crate::output::Failure;

/// Every reference was read (including ones DGA does not know).
const EXIT_ALL_READ: u8 = 0;
/// Some statuses could not be read (their rows carry the error kind).
const EXIT_SOME_UNREADABLE: u8 = 1;
/// The input is not usable: the line and the reason are on stderr.
const EXIT_BAD_INPUT: u8 = crate::output::EXIT_BAD_INPUT;
/// Ended by SIGINT (Ctrl-C) or SIGTERM: 128 + the signal's number, as a shell reports it.
const EXIT_SIGINT: u8 = 130;
const EXIT_SIGTERM: u8 = 143;
/// How much of a reference a stderr line shows.
const SHOWN_CHARS: usize = 64;
/// How much of a bad line's reason stderr shows.
const SHOWN_REASON_CHARS: usize = 500;

/// References handed from the reading thread to the engine, at most this many ahead.
const INPUT_QUEUE: usize = 256;

#[derive(Args)]
pub struct ReconcileArgs {
    /// `reference1[,reference2]` lines, or a CSV (`,`, `;` or tab) whose header names
    /// reference1 (ref1, requestReference1, เลขที่อ้างอิง 1, …) and reference2; stdin when
    /// absent or `-`
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,

    /// Output format [default: csv, or jsonl with --json]
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// Status calls in flight at once
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=i64::from(MAX_CONCURRENCY)))]
    concurrency: u16,

    /// Status calls started per second at most (0: no limit). Keep DGA's load reasonable.
    #[arg(long, value_name = "N", default_value_t = 20)]
    rate: u32,

    /// Start the CSV with a UTF-8 byte-order mark (Excel then shows the Thai text)
    #[arg(long)]
    bom: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// CSV, UTF-8, a header line; cells a spreadsheet would run as a formula get a leading '
    Csv,
    /// One JSON object per line, empty cells null, amounts as strings
    Jsonl,
}

enum Writer<W: Write> {
    Csv(Box<CsvWriter<W>>),
    Jsonl(JsonlWriter<W>),
}

impl<W: Write> Writer<W> {
    fn write(&mut self, o: &Outcome) -> io::Result<()> {
        match self {
            Writer::Csv(w) => w.write(o),
            Writer::Jsonl(w) => w.write(o),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Writer::Csv(w) => w.flush(),
            Writer::Jsonl(w) => w.flush(),
        }
    }
}

fn open(file: Option<&Path>) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(match file {
        None => Box::new(BufReader::new(io::stdin())),
        Some(p) if p == Path::new("-") => Box::new(BufReader::new(io::stdin())),
        Some(p) => Box::new(BufReader::new(File::open(p)?)),
    })
}

fn bad_input(e: &InputError) -> ExitCode {
    // The reason may quote the line: bounded and escaped like any echoed input.
    eprintln!(
        "error[input]: {}",
        shown(&e.to_string(), SHOWN_REASON_CHARS)
    );
    ExitCode::from(EXIT_BAD_INPUT)
}

/// `text` with control characters (and the ones that reorder text) escaped, as `\u{1b}`, so
/// input echoed to a terminal cannot drive it.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let reorders = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || reorders {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Input as a stderr line shows it: its first `max` characters (then `…`), escaped, so neither
/// a 2 MB cell nor an escape sequence reaches the terminal.
fn shown(text: &str, max: usize) -> String {
    let head: String = text.chars().take(max).collect();
    let mut out = escaped(&head);
    if head.len() < text.len() {
        out.push('…');
    }
    out
}

/// A line on stderr, above the progress bar when there is one.
fn note(bar: &Option<ProgressBar>, line: String) {
    match bar {
        Some(bar) => bar.println(line),
        None => eprintln!("{line}"),
    }
}

/// How the rows ended.
enum End {
    /// Every reference was read.
    Done,
    /// A bad line (stdin: the rows before it are written).
    BadLine(InputError),
    /// SIGINT or SIGTERM: its exit status. Every call started before it is answered and written.
    Interrupted(u8),
}

pub fn run(conn: &ConnectionArgs, args: &ReconcileArgs, json: bool) -> ExitCode {
    match reconcile_all(conn, args, json) {
        Ok(code) => code,
        // Errors stay off stdout even with --json: stdout is the rows.
        Err(failure) => failure.report(false),
    }
}

fn reconcile_all(
    conn: &ConnectionArgs,
    args: &ReconcileArgs,
    json: bool,
) -> Result<ExitCode, Failure> {
    let file = args.file.as_deref().filter(|p| *p != Path::new("-"));
    let what = file.map_or("stdin".to_owned(), |p| p.display().to_string());
    // A file is checked whole before DGA is asked anything, so a bad line costs no calls; stdin
    // can be read once only and stops at its first bad line.
    let mut total = None;
    if let Some(path) = file {
        let input = open(Some(path)).map_err(|e| Failure::unreadable(&what, e))?;
        let refs = match reconcile::read_references(input) {
            Ok(refs) => refs,
            Err(e) => return Ok(bad_input(&e)),
        };
        let mut n = 0u64;
        for r in refs {
            if let Err(e) = r {
                return Ok(bad_input(&e));
            }
            n += 1;
        }
        total = Some(n);
    }
    let client = conn.client()?;
    let input = open(file).map_err(|e| Failure::unreadable(&what, e))?;
    let refs = match reconcile::read_references(input) {
        Ok(refs) => refs,
        Err(e) => return Ok(bad_input(&e)),
    };
    let extra = refs.extra_headers().to_vec();

    // Set at the first SIGINT or SIGTERM: no reference is read, and no call started, after it.
    let stop = Arc::new(AtomicBool::new(false));
    let started_calls = Arc::new(AtomicU64::new(0));

    // The input is read on a thread of its own, so a slow pipe never holds up the calls.
    let (tx, rx) = tokio::sync::mpsc::channel(INPUT_QUEUE);
    std::thread::spawn(move || {
        for r in refs {
            if tx.blocking_send(r).is_err() {
                return;
            }
        }
    });
    let input = Box::pin(futures_util::stream::unfold(
        (rx, stop.clone()),
        |(mut rx, stop)| async move {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            rx.recv().await.map(|item| (item, (rx, stop)))
        },
    ));

    // Stdout (line-buffered) is flushed after each row, so a pipe gets the rows as they come.
    let out = io::stdout().lock();
    let format = args
        .format
        .unwrap_or(if json { Format::Jsonl } else { Format::Csv });
    let mut writer = match format {
        Format::Csv => Writer::Csv(Box::new(
            CsvWriter::new(out, &extra, args.bom).map_err(Failure::stdout)?,
        )),
        Format::Jsonl => Writer::Jsonl(JsonlWriter::new(out, &extra)),
    };
    writer.flush().map_err(Failure::stdout)?;

    let bar = progress_bar(total);
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::io("tokio runtime", e))?;
    let concurrency = usize::from(args.concurrency);
    let mut summary = Summary::default();
    // Refused credentials (see `refused`): the first row's error is said in full, the rows
    // after it with the same refusal only counted.
    let mut refusal: Option<String> = None;
    let mut more_refused = 0u64;
    let result: Result<End, Failure> = runtime.block_on(async {
        let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| Failure::io("SIGINT", e))?;
        let mut terminate =
            signal(SignalKind::terminate()).map_err(|e| Failure::io("SIGTERM", e))?;
        let (stop, started_calls) = (stop.clone(), started_calls.clone());
        let status_fn = {
            let (stop, started_calls) = (stop.clone(), started_calls.clone());
            move |r1: String, r2: String| {
                let client = client.as_async().clone();
                // A call the engine starts after the signal never goes out (nor ends): the run
                // stops once every earlier row is written.
                let go = !stop.load(Ordering::SeqCst);
                if go {
                    started_calls.fetch_add(1, Ordering::SeqCst);
                }
                async move {
                    if !go {
                        std::future::pending::<()>().await;
                    }
                    client.status(&r1, &r2).await
                }
            }
        };
        let mut many = reconcile::status_many(input, concurrency, args.rate, status_fn);
        let mut end = End::Done;
        loop {
            let interrupted = matches!(end, End::Interrupted(_));
            if interrupted && summary.total == started_calls.load(Ordering::SeqCst) {
                return Ok(end);
            }
            let signal = tokio::select! {
                item = many.next() => {
                    let outcome = match item {
                        None => return Ok(end),
                        Some(Err(e)) => return Ok(End::BadLine(e)),
                        Some(Ok(o)) => o,
                    };
                    summary.add(&outcome);
                    if let Err(e) = &outcome.result
                        && refused(e)
                        && refusal.is_some()
                    {
                        // The same refusal again: counted for one line at the end.
                        more_refused += 1;
                    } else if outcome.is_unreadable()
                        && let Err(e) = &outcome.result
                    {
                        if refused(e) {
                            let (kind, message) = (e.kind().code(), escaped(&e.to_string()));
                            refusal = Some(format!("error[{kind}]: {message}"));
                        }
                        let r = &outcome.reference;
                        note(&bar, format!(
                            "line {}: {} {}: error[{}]: {}",
                            r.line,
                            shown(&r.reference1, SHOWN_CHARS),
                            shown(&r.reference2, SHOWN_CHARS),
                            e.kind().code(),
                            escaped(&e.to_string()),
                        ));
                    }
                    writer
                        .write(&outcome)
                        .and_then(|()| writer.flush())
                        .map_err(Failure::stdout)?;
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
                    continue;
                }
                _ = interrupt.recv() => EXIT_SIGINT,
                _ = terminate.recv() => EXIT_SIGTERM,
            };
            if interrupted {
                return Ok(end); // a second signal: stop now
            }
            stop.store(true, Ordering::SeqCst);
            end = End::Interrupted(signal);
            if many.in_flight() > 0 {
                note(&bar, format!(
                    "reconcile: interrupted; waiting for the {} calls in flight (again to stop now)",
                    many.in_flight()
                ));
            }
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let end = match result.and_then(|end| writer.flush().map_err(Failure::stdout).map(|()| end)) {
        Ok(end) => end,
        // Stdout's reader went away: nothing more is wanted, the status is that of the rows
        // written.
        Err(Failure::Closed) => return Ok(ExitCode::from(rows_status(&summary))),
        Err(failure) => return Err(failure),
    };
    if let Some(reason) = &refusal
        && more_refused > 0
    {
        // A row the engine made without a call has no call counted: at the end every call
        // started has its row, so the rows beyond the calls are the ones not sent.
        let not_sent = summary
            .total
            .saturating_sub(started_calls.load(Ordering::SeqCst))
            .min(more_refused);
        let also_refused = more_refused - not_sent;
        let what = match (also_refused, not_sent) {
            (0, n) => format!("{} not sent", more(n)),
            (r, 0) => format!("{} refused too", more(r)),
            (r, n) => format!("{}: {r} refused too, {n} not sent", more(r + n)),
        };
        eprintln!("reconcile: {what}: {reason}");
    }
    match end {
        End::BadLine(e) => {
            eprintln!("reconcile: stopped at a bad line after {summary}");
            Ok(bad_input(&e))
        }
        End::Interrupted(code) => {
            let of = total.map_or(String::new(), |n| format!(" of {n}"));
            eprintln!(
                "reconcile: interrupted after {}{of} references (their rows are written)",
                summary.total
            );
            eprintln!("reconcile: {summary}");
            Ok(ExitCode::from(code))
        }
        End::Done => {
            let secs = started.elapsed().as_secs_f64();
            let rate = if secs > 0.0 {
                summary.total as f64 / secs
            } else {
                0.0
            };
            eprintln!("reconcile: {summary}");
            eprintln!("reconcile: {secs:.1} s, {rate:.0} rows/s");
            Ok(ExitCode::from(rows_status(&summary)))
        }
    }
}

/// "1 more reference", "4 more references".
fn more(n: u64) -> String {
    format!("{n} more reference{}", if n == 1 { "" } else { "s" })
}

/// DGA refused the credentials: the engine sends nothing more, and every row after it has
/// this error.
fn refused(e: &dga_epayment::Error) -> bool {
    e.kind() == dga_epayment::ErrorKind::Auth && !e.is_transient()
}

/// 0 when every row's status was read, 1 when some could not be.
fn rows_status(summary: &Summary) -> u8 {
    if summary.unreadable > 0 {
        EXIT_SOME_UNREADABLE
    } else {
        EXIT_ALL_READ
    }
}

/// A bar on stderr when it is a terminal (a spinner when the total is not known); none
/// otherwise, so logs and pipes get only the summary.
fn progress_bar(total: Option<u64>) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {pos} {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_shown_cut_and_escaped() {
        assert_eq!(shown("INV-1", 64), "INV-1");
        assert_eq!(shown(&"ก".repeat(64), 64), "ก".repeat(64));
        assert_eq!(shown(&"ก".repeat(65), 64), format!("{}…", "ก".repeat(64)));
        assert_eq!(shown("A\u{1b}[31mB\n", 64), "A\\u{1b}[31mB\\n");
        assert_eq!(shown("A\u{202e}B", 64), "A\\u{202e}B");
    }
}
