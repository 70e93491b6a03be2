//! `Client.status_many` and the `dga_reconcile` command over the core's reconcile driver
//! (`dga_epayment::reconcile::Driver`, docs/architecture.md#operations): the binding only reads
//! the Python iterable (by the caller, with the GIL, between results) and wraps the rows.

use crate::bridge::{Bridge, Outcome, lock};
use crate::convert::{json_to_py, py_to_json, type_name};
use crate::errors::{from_json, runtime_error, to_py_err};
use crate::records;
use dga_epayment::reconcile::{Driver, InputError, Outcome as Row, Pushed, Reference, TextWriter};
use dga_epayment::reconcile_json::reconcile_options;
use dga_epayment::{self as dga};
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyIterator, PyString};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A `ValidationError` naming the place and the reason (`errors[0]`: field `input`, `line`).
fn input_error(py: Python<'_>, unit: &str, e: &InputError) -> PyErr {
    from_json(py, &e.to_error_json(unit), None)
}

/// The Python iterable being read, and what it raised (given in its place, after every
/// result before it).
#[derive(Default)]
struct Feed {
    iter: Option<Py<PyIterator>>,
    count: u64,
    raised: Option<PyErr>,
}

/// The results of `Client.status_many`, in input order: iterate it (or `async for` through
/// `AsyncClient.status_many`). Dropping it stops the calls not yet made.
#[pyclass(frozen, module = "dga_epayment._native", name = "StatusMany")]
pub struct StatusMany {
    driver: Driver,
    feed: Mutex<Feed>,
    extra: Arc<Vec<String>>,
    /// How an input error names its place: "line" of a file, "item" of an iterable.
    unit: &'static str,
}

/// `(concurrency, rate)` read by the core's rules (its defaults and ranges): a bad one is a
/// `ValidationError` naming it, as in every language.
pub fn limits(
    py: Python<'_>,
    concurrency: Option<&Bound<'_, PyAny>>,
    rate: Option<&Bound<'_, PyAny>>,
) -> PyResult<(usize, u32)> {
    let mut options = serde_json::Map::new();
    for (name, value) in [("concurrency", concurrency), ("rate", rate)] {
        if let Some(v) = value.filter(|v| !v.is_none()) {
            // What JSON cannot hold is shown by its type name.
            let json = py_to_json(v, name).unwrap_or_else(|_| type_name(v).into());
            options.insert(name.to_owned(), json);
        }
    }
    reconcile_options(&Value::Object(options)).map_err(|e| to_py_err(py, &e))
}

impl StatusMany {
    fn new(driver: Driver, iter: Option<Py<PyIterator>>, unit: &'static str) -> Self {
        let extra = Arc::new(driver.extra_headers().to_vec());
        let feed = Mutex::new(Feed {
            iter,
            ..Feed::default()
        });
        StatusMany {
            driver,
            feed,
            extra,
            unit,
        }
    }

    /// A Python iterable of `reference1` strings or `(reference1, reference2)` tuples (`None`:
    /// items pushed by `_push`, as `AsyncClient.status_many` reads an async iterable).
    pub fn from_iterable(
        client: &dga::Client,
        references: Option<&Bound<'_, PyAny>>,
        (concurrency, rate): (usize, u32),
    ) -> PyResult<Self> {
        let iter = references.map(iterate).transpose()?;
        let driver = Driver::start(client, concurrency, rate).map_err(runtime_error)?;
        Ok(Self::new(driver, iter, "item"))
    }

    /// A file (`-`: stdin) read by the core's reader, checked whole first.
    pub fn from_file(
        py: Python<'_>,
        client: &dga::Client,
        path: &str,
        (concurrency, rate): (usize, u32),
    ) -> PyResult<Self> {
        match py.detach(|| Driver::from_file(client, path, concurrency, rate))? {
            Ok(driver) => Ok(Self::new(driver, None, "line")),
            Err(e) => Err(input_error(py, "line", &e)),
        }
    }

    /// Queues references from the iterable until the queue is full or the iterable ends.
    fn feed(&self, py: Python<'_>) {
        // Another thread is feeding (its iterable let the GIL go): it fills the queue.
        let Ok(mut feed) = self.feed.try_lock() else {
            return;
        };
        while self.driver.has_room() {
            let Some(iter) = feed.iter.as_ref() else {
                return;
            };
            let next = iter.bind(py).clone().next();
            if self.push(&mut feed, next) == Pushed::Over {
                feed.iter = None;
            }
        }
    }

    /// Queues the input's next item (`None`: its end; `Err`: what it raised, given in its
    /// place). `Over` once the input is closed: read no more of it.
    fn push(&self, feed: &mut Feed, next: Option<PyResult<Bound<'_, PyAny>>>) -> Pushed {
        let line = feed.count + 1;
        let item = match next {
            None => {
                self.driver.close_input();
                return Pushed::Over;
            }
            Some(Err(raised)) => {
                feed.raised = Some(raised);
                let reason = String::new();
                Err(InputError { line, reason })
            }
            Some(Ok(obj)) => reference(&obj, line),
        };
        let last = item.is_err();
        match self.driver.try_push(item) {
            Pushed::Queued if last => Pushed::Over,
            Pushed::Queued => {
                feed.count = line;
                Pushed::Queued
            }
            full_or_over => full_or_over,
        }
    }

    fn give(
        &self,
        py: Python<'_>,
        next: Option<Result<Row, InputError>>,
    ) -> PyResult<Option<Py<StatusResult>>> {
        match next {
            None => Ok(None),
            Some(Ok(row)) => {
                let extra = self.extra.clone();
                Py::new(py, StatusResult { row, extra }).map(Some)
            }
            Some(Err(e)) => {
                let raised = lock(&self.feed).raised.take();
                Err(raised.unwrap_or_else(|| input_error(py, self.unit, &e)))
            }
        }
    }
}

/// The iterable's iterator; a `TypeError` for a `str` (iterated, one status call per
/// character) or an async iterable (`AsyncClient.status_many` reads those).
fn iterate(references: &Bound<'_, PyAny>) -> PyResult<Py<PyIterator>> {
    let kind = type_name(references);
    let one = references.is_instance_of::<PyString>() || references.is_instance_of::<PyBytes>();
    let wrong = if one {
        format!(
            "a {kind} is one reference, not an iterable of them; pass [reference1] or a list of \
             references"
        )
    } else if references.hasattr("__aiter__")? && !references.hasattr("__iter__")? {
        format!("{kind} is an async iterable: read it with AsyncClient.status_many")
    } else {
        return Ok(references.try_iter()?.unbind());
    };
    let wrong = format!("status_many(references): {wrong}");
    Err(PyTypeError::new_err(wrong))
}

/// One item of the iterable as a reference, or why it cannot be one.
fn reference(obj: &Bound<'_, PyAny>, line: u64) -> Result<Reference, InputError> {
    // A reference2 that is NULL (None) in the agency's table: the payment has none.
    let refs = (obj.extract::<String>().map(|r1| (r1, None)))
        .or_else(|_| obj.extract::<(String, Option<String>)>())
        .or_else(|_| obj.extract::<(String,)>().map(|(r1,)| (r1, None)));
    let Ok((r1, r2)) = refs else {
        let reason = format!(
            "expected a reference1 str or a (reference1, reference2) tuple of str, got {}",
            type_name(obj)
        );
        return Err(InputError { line, reason });
    };
    Reference::pushed(line, &r1, &r2.unwrap_or_default())
}

#[pymethods]
impl StatusMany {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next result in input order (the GIL is released while waiting).
    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Option<Py<StatusResult>>> {
        let (py, this) = (slf.py(), slf.get());
        crate::logs::before_call(py)?;
        loop {
            this.feed(py);
            // Woken now and then to feed the queue and to let Ctrl-C through.
            let wait = Duration::from_millis(100);
            let got = py.detach(|| this.driver.next_blocking(wait));
            crate::logs::flush(py);
            match got.map_err(runtime_error)? {
                Ok(next) => return this.give(py, next),
                Err(()) => py.check_signals()?,
            }
        }
    }

    /// For `AsyncClient.status_many`: a future of `event_loop` settled with the next result
    /// (None at the end).
    fn _next_async(
        slf: &Bound<'_, Self>,
        bridge: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        slf.get().feed(slf.py());
        let (next, this) = (slf.get().driver.next(), slf.clone().unbind());
        Bridge::start(bridge, event_loop, None, async move {
            let next = next.await;
            Outcome::Custom(Box::new(move |py| {
                let given = this.get().give(py, next)?;
                Ok(given.map_or_else(|| py.None(), Py::into_any))
            }))
        })
    }

    /// For `AsyncClient.status_many` over an async iterable: queues the item its `__anext__`
    /// future `pull` holds (what it raised: in its place; `StopAsyncIteration`: the end). 1:
    /// queued; 0: no room yet, push it again after a row; -1: the input is over, read no more.
    fn _push(&self, pull: &Bound<'_, PyAny>) -> i32 {
        let next = match pull.call_method0("result") {
            Err(e) if e.is_instance_of::<PyStopAsyncIteration>(pull.py()) => None,
            next => Some(next),
        };
        match self.push(&mut lock(&self.feed), next) {
            Pushed::Queued => 1,
            Pushed::Full => 0,
            Pushed::Over => -1,
        }
    }

    /// The output's columns: the core's, then the input file's passed-through ones.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.driver.headers()
    }

    /// Counts of the results given so far: `{"total", "unreadable", "byStatus": {key: n}}`
    /// (key: the paid status's name, `TransactionNotFound`, or `error:<Kind>`).
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.driver.summary().to_json())
    }

    /// The summary as one line of text, as `dgapay reconcile` prints it.
    #[getter]
    fn summary_text(&self) -> String {
        self.driver.summary().to_string()
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
        let status = self.row.result.as_ref().ok();
        status.map(|s| records::status(py, s.clone())).transpose()
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

/// The core's CSV (formula cells neutralised) or JSON Lines writer, as text to print.
#[pyclass(module = "dga_epayment._native", name = "_RowWriter")]
pub struct RowWriter(TextWriter);

#[pymethods]
impl RowWriter {
    /// `format`: `csv` (the header is written at once) or `jsonl`.
    #[new]
    #[pyo3(signature = (format, columns, bom = false))]
    fn new(format: &str, columns: Vec<String>, bom: bool) -> PyResult<Self> {
        let extra = columns
            .get(dga::reconcile::COLUMNS.len()..)
            .unwrap_or_default();
        match TextWriter::new(format, extra, bom) {
            Some(w) => Ok(RowWriter(w?)),
            None => Err(PyValueError::new_err(format!(
                "format must be csv or jsonl, not {format:?}"
            ))),
        }
    }

    /// Writes one row; returns everything written since the last call (the header first).
    fn write(&mut self, result: &Bound<'_, StatusResult>) -> PyResult<String> {
        Ok(self.0.write(&result.get().row)?)
    }

    /// What was written and not yet taken (the CSV header before any row).
    fn take(&mut self) -> PyResult<String> {
        Ok(self.0.take()?)
    }
}
