//! [`Driver`]: a reconcile run on the SDK's runtime for a front end that is not async Rust (a
//! binding). References go in through a bounded queue, pushed one at a time from the
//! language's iterable or read from a file on a thread of its own; results come out in input
//! order, counted into a [`Summary`]. Dropping the driver stops the calls not yet made.

use std::io::{self, BufRead, BufReader, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{
    CsvWriter, InputError, JsonlWriter, Outcome, Reference, Summary, headers, read_references,
};
use crate::{Client, runtime};

type Item = std::result::Result<Reference, InputError>;
type Row = std::result::Result<Outcome, InputError>;

/// References read ahead of a file's calls (memory stays bounded whatever the file's size).
const INPUT_QUEUE: usize = 256;

/// What [`Driver::try_push`] did with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued.
    Queued,
    /// No room: await [`Driver::ready`] and push it again.
    Full,
    /// The run is over (input closed or calls stopped): stop reading the input.
    Over,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One reconcile run: [`Client::status_many`] spawned on the SDK's runtime.
pub struct Driver {
    input: Mutex<Option<mpsc::Sender<Item>>>,
    output: Arc<tokio::sync::Mutex<mpsc::Receiver<Row>>>,
    summary: Arc<Mutex<Summary>>,
    extra_headers: Vec<String>,
    task: runtime::AbortHandle,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Driver {
    fn spawn(
        client: &Client,
        mut input: mpsc::Receiver<Item>,
        concurrency: usize,
        rate: u32,
        extra_headers: Vec<String>,
    ) -> io::Result<Self> {
        let (out_tx, out_rx) = mpsc::channel(concurrency.max(1));
        let client = client.clone();
        let task = runtime::spawn(async move {
            let refs = futures_util::stream::poll_fn(move |cx| input.poll_recv(cx));
            let mut many = client.status_many(refs, concurrency, rate);
            while let Some(item) = many.next().await {
                let last = item.is_err();
                if out_tx.send(item).await.is_err() || last {
                    return;
                }
            }
        })?;
        Ok(Driver {
            input: Mutex::new(None),
            output: Arc::new(tokio::sync::Mutex::new(out_rx)),
            summary: Arc::default(),
            extra_headers,
            task: task.abort_handle(),
        })
    }

    /// A run fed by [`Driver::push`]; `concurrency` calls at once (at least 1), `rate` started
    /// a second (0: no limit). At most `concurrency` references (64 at most) wait in the queue,
    /// so a language's iterable is read only a little ahead of the calls.
    pub fn start(client: &Client, concurrency: usize, rate: u32) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel(concurrency.clamp(1, 64));
        let driver = Self::spawn(client, rx, concurrency, rate, Vec::new())?;
        *lock(&driver.input) = Some(tx);
        Ok(driver)
    }

    /// A run over a file (`-`: stdin) read by [`read_references`], its passed-through columns
    /// kept. A file is checked whole first, so a bad line costs no call to DGA (the outer
    /// error: the file cannot be opened or the runtime cannot start).
    pub fn from_file(
        client: &Client,
        path: &str,
        concurrency: usize,
        rate: u32,
    ) -> io::Result<std::result::Result<Self, InputError>> {
        let open = |path: &str| -> io::Result<Box<dyn BufRead + Send>> {
            Ok(match path {
                "-" => Box::new(BufReader::new(io::stdin())),
                p => Box::new(BufReader::new(std::fs::File::open(p)?)),
            })
        };
        if path != "-" {
            let first_error = match read_references(open(path)?) {
                Ok(mut refs) => refs.find_map(Result::err),
                Err(e) => Some(e),
            };
            if let Some(e) = first_error {
                return Ok(Err(e));
            }
        }
        let refs = match read_references(open(path)?) {
            Ok(refs) => refs,
            Err(e) => return Ok(Err(e)),
        };
        let extra = refs.extra_headers().to_vec();
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        std::thread::Builder::new()
            .name("dga-reconcile-input".into())
            .spawn(move || {
                for r in refs {
                    if tx.blocking_send(r).is_err() {
                        return;
                    }
                }
            })?;
        Self::spawn(client, rx, concurrency, rate, extra).map(Ok)
    }

    /// Whether [`Driver::push`] would queue a reference now (false once the input is closed).
    pub fn has_room(&self) -> bool {
        lock(&self.input)
            .as_ref()
            .is_some_and(|tx| tx.capacity() > 0)
    }

    /// Queues the next input item (call only when [`Driver::has_room`]). An input error is
    /// given in its place, after every result before it, and closes the input.
    pub fn push(&self, item: Item) {
        let mut input = lock(&self.input);
        let last = item.is_err();
        if let Some(tx) = input.as_ref() {
            let _ = tx.try_send(item);
        }
        if last {
            *input = None;
        }
    }

    /// [`Driver::push`] that says whether the item was queued, for a caller that awaits
    /// [`Driver::ready`] when it was not.
    pub fn try_push(&self, item: Item) -> Pushed {
        let mut input = lock(&self.input);
        let Some(tx) = input.as_ref() else {
            return Pushed::Over;
        };
        let last = item.is_err();
        match tx.try_send(item) {
            Ok(()) if last => {
                *input = None;
                Pushed::Queued
            }
            Ok(()) => Pushed::Queued,
            Err(mpsc::error::TrySendError::Full(_)) => Pushed::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Pushed::Over,
        }
    }

    /// Resolves when the queue has room again (or the input is closed).
    pub fn ready(&self) -> impl Future<Output = ()> + Send + 'static {
        let tx = lock(&self.input).clone();
        async move {
            if let Some(tx) = tx {
                drop(tx.reserve().await);
            }
        }
    }

    /// Ends the input: the results end after the references queued.
    pub fn close_input(&self) {
        *lock(&self.input) = None;
    }

    /// Stops the run: the calls not yet made are not made, and no more rows come.
    pub fn stop(&self) {
        self.close_input();
        self.task.abort();
    }

    /// The next result in input order (`None` at the end), counted into the summary. The
    /// future owns what it needs, so it can be spawned.
    pub fn next(&self) -> impl Future<Output = Option<Row>> + Send + 'static {
        let (rx, summary) = (self.output.clone(), self.summary.clone());
        async move {
            let next = rx.lock().await.recv().await;
            if let Some(Ok(outcome)) = &next {
                lock(&summary).add(outcome);
            }
            next
        }
    }

    /// [`Driver::next`] on the calling thread, waiting at most `wait` (`Err(())`: not yet, so
    /// the caller can feed the input or check for an interrupt). Not from a runtime thread.
    pub fn next_blocking(
        &self,
        wait: Duration,
    ) -> io::Result<std::result::Result<Option<Row>, ()>> {
        let next = self.next();
        let got = runtime::handle()?.block_on(async { tokio::time::timeout(wait, next).await });
        Ok(got.map_err(drop))
    }

    /// Counts of the results given so far.
    pub fn summary(&self) -> Summary {
        lock(&self.summary).clone()
    }

    /// The input file's passed-through columns (empty for pushed references).
    pub fn extra_headers(&self) -> &[String] {
        &self.extra_headers
    }

    /// The output's columns: [`super::COLUMNS`], then the passed-through ones.
    pub fn headers(&self) -> Vec<String> {
        headers(&self.extra_headers)
    }
}

impl Reference {
    /// A reference pushed or read from a file, trimmed, with no passed-through columns yet. One
    /// rule for every input: an empty `reference1`, or a reference the status call would
    /// refuse (longer than [`crate::MAX_REFERENCE_CHARS`], or holding a control character), is
    /// an input error of its line, found before DGA is asked anything (rerunning a row cannot
    /// fix it).
    pub fn pushed(
        line: u64,
        reference1: &str,
        reference2: &str,
    ) -> std::result::Result<Self, InputError> {
        let (reference1, reference2) = (reference1.trim(), reference2.trim());
        let problem = if reference1.is_empty() {
            Some("reference1 is empty".to_owned())
        } else {
            [("reference1", reference1), ("reference2", reference2)]
                .into_iter()
                .find_map(|(name, value)| {
                    crate::model::reference_problem(value).map(|p| format!("{name} {p}"))
                })
        };
        if let Some(reason) = problem {
            return Err(InputError { line, reason });
        }
        Ok(Reference {
            line,
            reference1: reference1.to_owned(),
            reference2: reference2.to_owned(),
            extra: Vec::new(),
        })
    }
}

/// A buffer the writers write into and the caller empties.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Writer {
    Csv(Box<CsvWriter<Buffer>>),
    Jsonl(JsonlWriter<Buffer>),
}

/// [`CsvWriter`] or [`JsonlWriter`] writing text for the caller to print (a binding's
/// `print`, which may not be the process's stdout).
pub struct TextWriter {
    writer: Writer,
    buffer: Buffer,
}

impl TextWriter {
    /// `format`: `csv` (the header is written at once) or `jsonl`; `None` for another format.
    pub fn new(format: &str, extra_headers: &[String], bom: bool) -> Option<io::Result<Self>> {
        let buffer = Buffer::default();
        let writer = match format {
            "csv" => match CsvWriter::new(buffer.clone(), extra_headers, bom) {
                Ok(w) => Writer::Csv(Box::new(w)),
                Err(e) => return Some(Err(e)),
            },
            "jsonl" => Writer::Jsonl(JsonlWriter::new(buffer.clone(), extra_headers)),
            _ => return None,
        };
        Some(Ok(TextWriter { writer, buffer }))
    }

    /// Writes one row; returns everything written since the last call (the header first).
    pub fn write(&mut self, outcome: &Outcome) -> io::Result<String> {
        match &mut self.writer {
            Writer::Csv(w) => w.write(outcome)?,
            Writer::Jsonl(w) => w.write(outcome)?,
        }
        self.take()
    }

    /// What was written and not yet taken (the CSV header before any row).
    pub fn take(&mut self) -> io::Result<String> {
        match &mut self.writer {
            Writer::Csv(w) => w.flush()?,
            Writer::Jsonl(w) => w.flush()?,
        }
        let bytes = std::mem::take(&mut *lock(&self.buffer.0));
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}
