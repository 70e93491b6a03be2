//! `Client.status_many` and the `dga_reconcile` command: the core's reconcile engine
//! (`dga_epayment::reconcile`, docs/architecture.md#operations) runs on the SDK's runtime, fed
//! through a bounded queue from a Python iterable (by the caller, with the GIL, between
//! results) or from a file (the core's reader, on a thread of its own); its rows, headers,
//! summary and CSV/JSONL writers are the core's.

use crate::bridge::{Bridge, Outcome};
use crate::convert::{json_to_py, type_name};
use crate::errors::to_py_err;
use crate::records;
use dga_epayment::reconcile::{
    self, CsvWriter, InputError, JsonlWriter, Outcome as Row, Reference, Summary,
};
use dga_epayment::{self as dga, runtime};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyIterator;
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

type Item = Result<Reference, InputError>;
type Next = Option<Result<Row, InputError>>;

/// References queued ahead of the engine (memory stays bounded whatever the input's size).
const INPUT_QUEUE: usize = 256;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the engine's results need on the Python side.
struct State {
    extra: Arc<Vec<String>>,
    summary: Mutex<Summary>,
    /// What the iterable raised: given in its place, after every result before it.
    raised: Mutex<Option<PyErr>>,
    /// How an input error names its place: "line" of a file, "item" of an iterable.
    unit: &'static str,
}

impl State {
    fn give(&self, py: Python<'_>, next: Next) -> PyResult<Option<Py<StatusResult>>> {
        match next {
            None => Ok(None),
            Some(Ok(row)) => {
                lock(&self.summary).add(&row);
                let extra = self.extra.clone();
                Py::new(py, StatusResult { row, extra }).map(Some)
            }
            Some(Err(e)) => Err(match lock(&self.raised).take() {
                Some(raised) => raised,
                None => input_error(py, self.unit, &e),
            }),
        }
    }
}

/// A `ValidationError` naming the place and the reason (`errors[0]`: field `input`, `line`).
fn input_error(py: Python<'_>, unit: &str, e: &InputError) -> PyErr {
    let json = serde_json::json!({
        "kind": "validation", "kindNumber": 1, "transient": false,
        "message": format!("{unit} {}: {}", e.line, e.reason),
        "errors": [{"field": "input", "message": e.reason, "line": e.line}],
    });
    let make = || -> PyResult<Bound<'_, PyAny>> {
        let from_json = py.import("dga_epayment._errors")?.getattr("_from_json")?;
        from_json.call1((json_to_py(py, &json)?,))
    };
    match make() {
        Ok(exc) => PyErr::from_value(exc),
        Err(failed) => failed,
    }
}

struct Feed {
    tx: Option<mpsc::Sender<Item>>,
    iter: Option<Py<PyIterator>>,
    count: u64,
}

/// The results of `Client.status_many`, in input order: iterate it (or `async for` through
/// `AsyncClient.status_many`). Dropping it stops the calls not yet made.
#[pyclass(frozen, module = "dga_epayment._native", name = "StatusMany")]
pub struct StatusMany {
    state: Arc<State>,
    feed: Mutex<Feed>,
    output: Arc<tokio::sync::Mutex<mpsc::Receiver<Result<Row, InputError>>>>,
    task: tokio::task::AbortHandle,
}

impl Drop for StatusMany {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn runtime_error(e: std::io::Error) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

impl StatusMany {
    fn start(
        client: dga::Client,
        input: mpsc::Receiver<Item>,
        feed: Feed,
        (concurrency, rate): (usize, u32),
        extra: Vec<String>,
        unit: &'static str,
    ) -> PyResult<Self> {
        if concurrency == 0 {
            return Err(PyValueError::new_err("concurrency must be at least 1"));
        }
        let (out_tx, out_rx) = mpsc::channel(concurrency);
        let input = Box::pin(futures_util::stream::unfold(input, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }));
        let task = runtime::spawn(async move {
            let mut many = client.status_many(input, concurrency, rate);
            while let Some(item) = many.next().await {
                let last = item.is_err();
                if out_tx.send(item).await.is_err() || last {
                    return;
                }
            }
        })
        .map_err(runtime_error)?;
        Ok(StatusMany {
            state: Arc::new(State {
                extra: Arc::new(extra),
                summary: Mutex::new(Summary::default()),
                raised: Mutex::new(None),
                unit,
            }),
            feed: Mutex::new(feed),
            output: Arc::new(tokio::sync::Mutex::new(out_rx)),
            task: task.abort_handle(),
        })
    }

    /// A Python iterable of `reference1` strings or `(reference1, reference2)` tuples.
    pub fn from_iterable(
        client: dga::Client,
        references: &Bound<'_, PyAny>,
        limits: (usize, u32),
    ) -> PyResult<Self> {
        let iter = references.try_iter()?.unbind();
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        let feed = Feed {
            tx: Some(tx),
            iter: Some(iter),
            count: 0,
        };
        Self::start(client, rx, feed, limits, Vec::new(), "item")
    }

    /// A file (`-`: stdin) read by the core's reader. A file is checked whole first, so a bad
    /// line costs no call to DGA (as `dgapay reconcile` does).
    pub fn from_file(
        py: Python<'_>,
        client: dga::Client,
        path: &str,
        limits: (usize, u32),
    ) -> PyResult<Self> {
        let open = |path: &str| -> std::io::Result<Box<dyn BufRead + Send>> {
            Ok(match path {
                "-" => Box::new(BufReader::new(std::io::stdin())),
                p => Box::new(BufReader::new(std::fs::File::open(p)?)),
            })
        };
        let first_error = |reader: Box<dyn BufRead + Send>| -> Option<InputError> {
            match reconcile::read_references(reader) {
                Ok(refs) => refs.filter_map(Result::err).next(),
                Err(e) => Some(e),
            }
        };
        if path != "-" {
            let reader = open(path)?;
            if let Some(e) = py.detach(|| first_error(reader)) {
                return Err(input_error(py, "line", &e));
            }
        }
        let refs = match reconcile::read_references(open(path)?) {
            Ok(refs) => refs,
            Err(e) => return Err(input_error(py, "line", &e)),
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
        let feed = Feed {
            tx: None,
            iter: None,
            count: 0,
        };
        Self::start(client, rx, feed, limits, extra, "line")
    }

    /// Queues references from the iterable until the queue is full or the iterable ends.
    fn feed(&self, py: Python<'_>) {
        // Another thread is feeding (its iterable let the GIL go): it fills the queue.
        let Ok(mut feed) = self.feed.try_lock() else {
            return;
        };
        while let (Some(tx), Some(iter)) = (feed.tx.clone(), feed.iter.as_ref()) {
            if tx.capacity() == 0 {
                return;
            }
            let next = iter.bind(py).clone().next();
            feed.count += 1;
            let line = feed.count;
            let item = match next {
                None => {
                    (feed.tx, feed.iter) = (None, None);
                    return;
                }
                Some(Err(raised)) => {
                    *lock(&self.state.raised) = Some(raised);
                    Err(InputError {
                        line,
                        reason: String::new(),
                    })
                }
                Some(Ok(obj)) => reference(&obj, line),
            };
            let last = item.is_err();
            let _ = tx.try_send(item);
            if last {
                (feed.tx, feed.iter) = (None, None);
            }
        }
    }
}

/// One item of the iterable as a reference, or why it cannot be one.
fn reference(obj: &Bound<'_, PyAny>, line: u64) -> Item {
    let bad = |reason: String| InputError { line, reason };
    let (r1, r2) = match (obj.extract::<String>(), obj.extract::<(String, String)>()) {
        (Ok(r1), _) => (r1, String::new()),
        (_, Ok(pair)) => pair,
        _ => match obj.extract::<(String,)>() {
            Ok((r1,)) => (r1, String::new()),
            Err(_) => {
                return Err(bad(format!(
                    "expected a reference1 str or a (reference1, reference2) tuple of str, got {}",
                    type_name(obj)
                )));
            }
        },
    };
    let (r1, r2) = (r1.trim().to_owned(), r2.trim().to_owned());
    if r1.is_empty() {
        return Err(bad("reference1 is empty".into()));
    }
    Ok(Reference {
        line,
        reference1: r1,
        reference2: r2,
        extra: Vec::new(),
    })
}

#[pymethods]
impl StatusMany {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next result in input order (the GIL is released while waiting).
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<StatusResult>>> {
        crate::logs::ensure_pump(py)?;
        let handle = runtime::handle().map_err(runtime_error)?;
        loop {
            self.feed(py);
            let rx = self.output.clone();
            // Woken now and then to feed the queue and to let Ctrl-C through.
            let got = py.detach(|| {
                handle.block_on(async {
                    let next = async { rx.lock().await.recv().await };
                    tokio::time::timeout(Duration::from_millis(100), next).await
                })
            });
            crate::logs::flush(py);
            match got {
                Ok(next) => return self.state.give(py, next),
                Err(_) => py.check_signals()?,
            }
        }
    }

    /// For `AsyncClient.status_many`: a future of `event_loop` settled with the next result
    /// (None at the end).
    fn _next_async(
        &self,
        py: Python<'_>,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        self.feed(py);
        let (rx, state) = (self.output.clone(), self.state.clone());
        Bridge::start(bridge, event_loop, None, async move {
            let next = rx.lock().await.recv().await;
            Outcome::Custom(Box::new(move |py| {
                Ok(state
                    .give(py, next)?
                    .map_or_else(|| py.None(), Py::into_any))
            }))
        })
    }

    /// The output's columns: the core's, then the input file's passed-through ones.
    #[getter]
    fn columns(&self) -> Vec<String> {
        reconcile::headers(&self.state.extra)
    }

    /// Counts of the results given so far: `{"total", "unreadable", "byStatus": {key: n}}`
    /// (key: the paid status's name, `TransactionNotFound`, or `error:<Kind>`).
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &lock(&self.state.summary).to_json())
    }

    /// The summary as one line of text, as `dgapay reconcile` prints it.
    #[getter]
    fn summary_text(&self) -> String {
        lock(&self.state.summary).to_string()
    }
}

/// The status of one reference: DGA's status, or why it could not be read.
#[pyclass(frozen, module = "dga_epayment._native", name = "StatusResult")]
pub struct StatusResult {
    row: Row,
    extra: Arc<Vec<String>>,
}

#[pymethods]
impl StatusResult {
    #[getter]
    fn reference1(&self) -> &str {
        &self.row.reference.reference1
    }

    #[getter]
    fn reference2(&self) -> &str {
        &self.row.reference.reference2
    }

    /// The reference's place in the input (1-based: the file's line, the iterable's item).
    #[getter]
    fn line(&self) -> u64 {
        self.row.reference.line
    }

    /// DGA's status, or None when it could not be read.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.row.result {
            Ok(s) => records::status(py, s.clone()).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Why the status could not be read (an `ApiError` with `TransactionNotFound` when DGA
    /// does not know the reference), or None.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        let e = self.row.result.as_ref().err()?;
        Some(to_py_err(py, e).into_value(py).into_any())
    }

    /// Whether DGA does not know the reference (a row, not a failure).
    #[getter]
    fn not_found(&self) -> bool {
        self.row.is_not_found()
    }

    /// The output row, keyed by the core's columns (`StatusMany.columns`): text or None.
    #[getter]
    fn row<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.row.to_json(&self.extra))
    }

    fn __repr__(&self) -> String {
        let r = &self.row.reference;
        let what = match &self.row.result {
            Ok(s) => format!("paid_status={}", s.paid_status),
            Err(_) => format!("error={}", self.row.error_name()),
        };
        format!(
            "StatusResult(reference1={:?}, reference2={:?}, {what})",
            r.reference1, r.reference2
        )
    }
}

/// A buffer the core's writers write into and the caller empties.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Writer {
    Csv(Box<CsvWriter<Buffer>>),
    Jsonl(JsonlWriter<Buffer>),
}

/// The core's CSV (formula cells neutralised) or JSON Lines writer, as text to print.
#[pyclass(module = "dga_epayment._native", name = "_RowWriter")]
pub struct RowWriter {
    writer: Writer,
    buffer: Buffer,
}

#[pymethods]
impl RowWriter {
    /// `format`: `csv` (the header is written at once) or `jsonl`.
    #[new]
    #[pyo3(signature = (format, columns, bom = false))]
    fn new(format: &str, columns: Vec<String>, bom: bool) -> PyResult<Self> {
        let extra = columns.get(reconcile::COLUMNS.len()..).unwrap_or_default();
        let buffer = Buffer::default();
        let writer = match format {
            "csv" => Writer::Csv(Box::new(CsvWriter::new(buffer.clone(), extra, bom)?)),
            "jsonl" => Writer::Jsonl(JsonlWriter::new(buffer.clone(), extra)),
            other => {
                return Err(PyValueError::new_err(format!(
                    "format must be csv or jsonl, not {other:?}"
                )));
            }
        };
        Ok(RowWriter { writer, buffer })
    }

    /// Writes one row; returns everything written since the last call (the header first).
    fn write(&mut self, result: &Bound<'_, PyAny>) -> PyResult<String> {
        let result = result
            .cast::<StatusResult>()
            .map_err(|_| PyTypeError::new_err("expected a StatusResult"))?;
        let row = &result.get().row;
        match &mut self.writer {
            Writer::Csv(w) => w.write(row)?,
            Writer::Jsonl(w) => w.write(row)?,
        }
        self.take()
    }

    /// What was written and not yet taken (the CSV header before any row).
    fn take(&mut self) -> PyResult<String> {
        match &mut self.writer {
            Writer::Csv(w) => w.flush()?,
            Writer::Jsonl(w) => w.flush()?,
        }
        let bytes = std::mem::take(&mut *lock(&self.buffer.0));
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}
