//! `AsyncClient`'s bridge: each call is the core's async call run by the core's `Completions`
//! and awaited in Python as an `asyncio.Future` of the caller's event loop.
//!
//! A runtime thread never takes the GIL: a worker waiting for it (up to a switch interval
//! while the loop runs Python) would stall every connection it drives. So a finished call is
//! only queued and, when the queue was empty, an eventfd (a socket off Linux) the loop watches
//! with `loop.add_reader` is written; the loop's `drain` settles every finished future at once.
//! Loops without `add_reader` (Windows' proactor) get the one fallback that takes the GIL, on a
//! thread of its own: a `call_soon_threadsafe` per batch.
//!
//! A cancelled future aborts its task: a status stops, a create, void or close not yet sent is
//! not sent, and one already sent runs on in the core, which logs its outcome at WARNING.

use crate::errors::{runtime_error, to_py_err};
use crate::records;
use dga_epayment::completions::Completions;
use dga_epayment::{self as dga, Endpoint, runtime};
use pyo3::intern;
use pyo3::prelude::*;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// What a finished call hands the loop.
pub enum Outcome {
    Payment(dga::Result<dga::Payment>),
    Status(dga::Result<dga::PaymentStatus>),
    Confirmation(dga::Result<dga::Confirmation>),
    /// A result made into its Python object on the loop's thread, with the GIL.
    Custom(MakePy),
}

/// Makes a finished call's Python object (on the loop's thread, with the GIL).
pub type MakePy = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A wake-up descriptor's end (unix; elsewhere `call_soon_threadsafe` wakes the loop).
#[cfg(unix)]
type Waker = std::fs::File;
#[cfg(not(unix))]
type Waker = std::convert::Infallible;

/// The wake-up descriptor's `(read, write)` ends, non-blocking: an eventfd on Linux (the
/// cheapest), a socket pair elsewhere.
#[cfg(unix)]
fn wakers() -> std::io::Result<(Waker, Waker)> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::FromRawFd;
        // SAFETY: a plain syscall; the new descriptor is owned by the File from here on.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let file = unsafe { Waker::from_raw_fd(fd) };
        Ok((file.try_clone()?, file))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let (read, write) = std::os::unix::net::UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let file = |s| Waker::from(std::os::unix::io::OwnedFd::from(s));
        Ok((file(read), file(write)))
    }
}

#[cfg(unix)]
fn fileno(w: &Waker) -> i32 {
    std::os::unix::io::AsRawFd::as_raw_fd(w)
}

#[cfg(not(unix))]
fn fileno(w: &Waker) -> i32 {
    match *w {}
}

struct Pending {
    future: Py<PyAny>,
    cancel: Py<PyAny>,
    /// A create, void or close: what its result says if nobody receives it.
    detached: Option<(Endpoint, String, String)>,
}

/// One event loop's bridge (made by `AsyncClient` the first time it runs on that loop).
#[pyclass(frozen, module = "dga_epayment._native", name = "_Bridge")]
pub struct Bridge {
    calls: Arc<Completions<Outcome>>,
    pending: Arc<Mutex<HashMap<u64, Pending>>>,
    waker: Option<Waker>,
    /// The process that made it (`runtime::process_tag`).
    made_in: (u64, u32),
}

type Calls = (
    Weak<Completions<Outcome>>,
    Weak<Mutex<HashMap<u64, Pending>>>,
    (u64, u32),
);

/// Every bridge alive, for the exit hook: a loop closed (`loop.close()`) with calls in flight
/// is never drained again, and nothing else would say what became of them.
static LIVE: Mutex<Vec<Calls>> = Mutex::new(Vec::new());

/// The loop will not drain again (the bridge is going, or the process exits): a create, void
/// or close whose result is queued is logged as unreceived, and calls still running are let
/// go — a status stops, and the core logs the outcome of a create, void or close.
fn forsake(calls: &Completions<Outcome>, pending: &Mutex<HashMap<u64, Pending>>) {
    for (id, outcome) in calls.take() {
        if let (Some(p), Some(outcome)) = (lock(pending).remove(&id), outcome) {
            unreceived(&p, &outcome);
        }
    }
    calls.close();
}

/// At exit, before the core's grace: every bridge's calls are forsaken.
pub fn forsake_all() {
    let here = runtime::process_tag();
    for (calls, pending, made_in) in std::mem::take(&mut *lock(&LIVE)) {
        if let (Some(calls), Some(pending), true) =
            (calls.upgrade(), pending.upgrade(), made_in == here)
        {
            forsake(&calls, &pending);
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // A forked child leaves the parent's bridge alone (leaked): its calls' lock may have
        // been held by a runtime thread of the parent at the fork, and would never be released.
        if self.made_in == runtime::process_tag() {
            forsake(&self.calls, &self.pending);
        } else {
            std::mem::forget(self.calls.clone());
        }
    }
}

#[pymethods]
impl Bridge {
    /// A bridge woken through a descriptor for `loop.add_reader` (`fileno()`), or, where the
    /// platform has none, by `event_loop.call_soon_threadsafe(drain)`: `drain` is then given.
    #[new]
    #[pyo3(signature = (event_loop = None, drain = None))]
    fn new(event_loop: Option<Py<PyAny>>, drain: Option<Py<PyAny>>) -> PyResult<Self> {
        let (calls, waker) = match (event_loop, drain) {
            (Some(event_loop), Some(drain)) => {
                let target = Arc::new((event_loop, drain));
                // On a thread of its own: the core calls this on a runtime thread (never to
                // take the GIL), and `close`, on the loop's thread, waits for it to return.
                let wake = move || {
                    let target = target.clone();
                    std::thread::spawn(move || {
                        crate::logs::with_python(|py| {
                            // A closed loop has nobody to wake: the results stay queued.
                            let (event_loop, drain) = &*target;
                            let _ = event_loop.call_method1(py, "call_soon_threadsafe", (drain,));
                        });
                    });
                };
                (Completions::new(wake), None)
            }
            #[cfg(unix)]
            _ => {
                let (waker, writer) = wakers()?;
                // A full descriptor (the loop is gone or behind) already means "wake"; 8 bytes,
                // as an eventfd takes them.
                let one = 1u64.to_ne_bytes();
                let wake = move || drop(std::io::Write::write(&mut &writer, &one));
                (Completions::new(wake), Some(waker))
            }
            #[cfg(not(unix))]
            _ => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "this platform needs the event loop and drain callback",
                ));
            }
        };
        let pending = Arc::new(Mutex::new(HashMap::new()));
        let mut live = lock(&LIVE);
        live.retain(|(c, _, _)| c.strong_count() > 0);
        let made_in = runtime::process_tag();
        live.push((Arc::downgrade(&calls), Arc::downgrade(&pending), made_in));
        Ok(Bridge {
            calls,
            pending,
            waker,
            made_in,
        })
    }

    /// The descriptor to watch with `loop.add_reader` (-1 without one).
    fn fileno(&self) -> i32 {
        self.waker.as_ref().map_or(-1, fileno)
    }

    /// Calls in flight on this bridge.
    fn __len__(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Settles the futures of every finished call (on the loop's thread).
    fn drain(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Some(mut waker) = self.waker.as_ref() {
            let mut buf = [0u8; 64]; // a short read leaves it empty (an eventfd, the first)
            while std::io::Read::read(&mut waker, &mut buf).is_ok_and(|n| n == buf.len()) {}
        }
        for (id, outcome) in self.calls.take() {
            let Some(p) = lock(&self.pending).remove(&id) else {
                continue;
            };
            // One future's trouble (a closed loop, say) must not strand the rest of the batch.
            if let Err(e) = settle_one(py, &p, outcome) {
                e.write_unraisable(py, None);
            }
        }
        crate::logs::flush(py);
    }
}

/// `outcome` is `None` for a call aborted before it ended.
fn settle_one(py: Python<'_>, p: &Pending, outcome: Option<Outcome>) -> PyResult<()> {
    let future = p.future.bind(py);
    let removed = future.call_method1(intern!(py, "remove_done_callback"), (p.cancel.bind(py),))?;
    if removed.extract::<usize>()? == 0 {
        if let Some(outcome) = &outcome {
            unreceived(p, outcome); // none removed: cancelled while its result was on the way
        }
        return Ok(());
    }
    let Some(outcome) = outcome else {
        future.call_method0(intern!(py, "cancel"))?; // the runtime dropped the call (process exit)
        return Ok(());
    };
    match settle(py, outcome) {
        Ok(v) => future.call_method1(intern!(py, "set_result"), (v,))?,
        Err(e) => future.call_method1(intern!(py, "set_exception"), (e.value(py),))?,
    };
    Ok(())
}

impl Bridge {
    /// Spawns `call` on the core's runtime and returns the future of `event_loop` it settles.
    pub fn start<F>(
        slf: &Bound<'_, Bridge>,
        event_loop: &Bound<'_, PyAny>,
        detached: Option<(Endpoint, String, String)>,
        call: F,
    ) -> PyResult<Py<PyAny>>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let py = slf.py();
        crate::logs::before_call(py)?;
        let this = slf.get();
        let future = event_loop.call_method0(intern!(py, "create_future"))?;
        let id = this.calls.spawn(call).map_err(runtime_error)?;
        let bridge = slf.clone().unbind();
        let cancel = Py::new(py, Cancel { bridge, id })?.into_any();
        future.call_method1(intern!(py, "add_done_callback"), (cancel.bind(py),))?;
        let pending = Pending {
            future: future.clone().unbind(),
            cancel,
            detached,
        };
        lock(&this.pending).insert(id, pending);
        Ok(future.unbind())
    }
}

/// A future's done callback: only a cancelled future reaches it (a settled one has it
/// removed first). It aborts the call, which then ends as `None`, or with its result if it
/// had just ended.
#[pyclass(frozen, module = "dga_epayment._native")]
struct Cancel {
    bridge: Py<Bridge>,
    id: u64,
}

#[pymethods]
impl Cancel {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.bridge.get().calls.abort(self.id);
    }
}

fn settle(py: Python<'_>, outcome: Outcome) -> PyResult<Bound<'_, PyAny>> {
    let err = |e: dga::Error| to_py_err(py, &e);
    Ok(match outcome {
        Outcome::Payment(r) => records::payment(py, r.map_err(err)?)?,
        Outcome::Status(r) => records::status(py, r.map_err(err)?)?,
        Outcome::Confirmation(r) => records::confirmation(py, r.map_err(err)?)?,
        Outcome::Custom(make) => make(py)?.into_bound(py),
    })
}

/// A create, void or close finished while its future was being cancelled: the core handed the
/// result over, so its outcome is logged here, as the core logs one nobody awaited.
fn unreceived(p: &Pending, outcome: &Outcome) {
    let Some((endpoint, r1, r2)) = &p.detached else {
        return;
    };
    let refs = (r1.clone(), r2.clone());
    match outcome {
        Outcome::Payment(r) => dga_epayment::log_unreceived(*endpoint, &refs, r, true),
        Outcome::Confirmation(r) => dga_epayment::log_unreceived(*endpoint, &refs, r, true),
        _ => {}
    }
}
