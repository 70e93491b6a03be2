//! `dgapay reconcile`: the status of every reference of a list, in input order, through the
//! core's reconcile engine (reading, pacing, ordering, rows and headers all live there).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use dga_epayment::reconcile::{self, CsvWriter, InputError, JsonlWriter, Outcome, Summary};
use dga_epayment::reconcile_json::MAX_CONCURRENCY;
use indicatif::{ProgressBar, ProgressStyle};

use crate::connect::ConnectionArgs;
use crate::output::Failure;

/// Every reference was read (including ones DGA does not know).
const EXIT_ALL_READ: u8 = 0;
/// Some statuses could not be read (their rows carry the error kind).
const EXIT_SOME_UNREADABLE: u8 = 1;
/// The input is not usable: the line and the reason are on stderr.
const EXIT_BAD_INPUT: u8 = 2;

/// References handed from the reading thread to the engine, at most this many ahead.
const INPUT_QUEUE: usize = 256;

#[derive(Args)]
pub struct ReconcileArgs {
    /// `reference1[,reference2]` lines, or a CSV whose header names reference1 (and
    /// reference2); stdin when absent or `-`
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,

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
    eprintln!("error[input]: {e}");
    ExitCode::from(EXIT_BAD_INPUT)
}

pub fn run(conn: &ConnectionArgs, args: &ReconcileArgs) -> ExitCode {
    match reconcile_all(conn, args) {
        Ok(code) => code,
        Err(failure) => failure.report(false),
    }
}

fn reconcile_all(conn: &ConnectionArgs, args: &ReconcileArgs) -> Result<ExitCode, Failure> {
    let file = args.file.as_deref().filter(|p| *p != Path::new("-"));
    let what = file.map_or("stdin".to_owned(), |p| p.display().to_string());
    // A file is checked whole before DGA is asked anything, so a bad line costs no calls; stdin
    // can be read once only and stops at its first bad line.
    let mut total = None;
    if let Some(path) = file {
        let input = open(Some(path)).map_err(|e| Failure::io(&what, e))?;
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
    let input = open(file).map_err(|e| Failure::io(&what, e))?;
    let refs = match reconcile::read_references(input) {
        Ok(refs) => refs,
        Err(e) => return Ok(bad_input(&e)),
    };
    let extra = refs.extra_headers().to_vec();

    // The input is read on a thread of its own, so a slow pipe never holds up the calls.
    let (tx, rx) = tokio::sync::mpsc::channel(INPUT_QUEUE);
    std::thread::spawn(move || {
        for r in refs {
            if tx.blocking_send(r).is_err() {
                return;
            }
        }
    });
    let input = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));

    let stdout = io::stdout().lock();
    let out = BufWriter::new(stdout);
    let mut writer = match args.format {
        Format::Csv => Writer::Csv(Box::new(
            CsvWriter::new(out, &extra, args.bom).map_err(|e| Failure::io("stdout", e))?,
        )),
        Format::Jsonl => Writer::Jsonl(JsonlWriter::new(out, &extra)),
    };

    let bar = progress_bar(total);
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::io("tokio runtime", e))?;
    let concurrency = usize::from(args.concurrency);
    let mut summary = Summary::default();
    let result: Result<Option<InputError>, Failure> = runtime.block_on(async {
        let mut many = reconcile::status_many(input, concurrency, args.rate, move |r1, r2| {
            let client = client.as_async().clone();
            async move { client.status(&r1, &r2).await }
        });
        while let Some(item) = many.next().await {
            let outcome = match item {
                Ok(o) => o,
                Err(e) => return Ok(Some(e)),
            };
            summary.add(&outcome);
            if outcome.is_unreadable()
                && let Err(e) = &outcome.result
            {
                let r = &outcome.reference;
                let line = format!(
                    "line {}: {} {}: error[{}]: {e}",
                    r.line,
                    r.reference1,
                    r.reference2,
                    e.kind().code()
                );
                match &bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
            writer
                .write(&outcome)
                .map_err(|e| Failure::io("stdout", e))?;
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        }
        Ok(None)
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    writer.flush().map_err(|e| Failure::io("stdout", e))?;
    if let Some(e) = result? {
        eprintln!("reconcile: stopped at a bad line after {summary}");
        return Ok(bad_input(&e));
    }
    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        summary.total as f64 / secs
    } else {
        0.0
    };
    eprintln!("reconcile: {summary}");
    eprintln!("reconcile: {secs:.1} s, {rate:.0} rows/s");
    Ok(ExitCode::from(if summary.unreadable > 0 {
        EXIT_SOME_UNREADABLE
    } else {
        EXIT_ALL_READ
    }))
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
