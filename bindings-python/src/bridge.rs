//! `AsyncClient`'s bridge: each call is the core's async call spawned on the core's runtime
//! and awaited in Python as an `asyncio.Future` of the caller's event loop.
//!
//! A runtime thread never takes the GIL: a worker waiting for it (up to a switch interval
//! while the loop runs Python) would stall every connection it drives. So a finished call only
//! pushes `(id, outcome)` onto the loop's queue and, when the queue was empty, writes to an
//! eventfd (a pipe off Linux) the loop watches with `loop.add_reader`; the loop's `drain`
//! settles every finished future at once. A call finishing after its loop closed, or after
//! the interpreter finalized, is inert. Loops without `add_reader` (Windows' proactor) get the
//! one fallback that takes the GIL: a `call_soon_threadsafe` per batch.
//!
//! A cancelled future aborts its task: a status stops, a create, void or close not yet sent is
//! not sent, and one already sent runs on in the core, which logs its outcome at WARNING.

use crate::errors::to_py_err;
use crate::records;
use dga_epayment::{self as dga, Endpoint};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a finished call hands the loop.
pub enum Outcome {
    Payment(dga::Result<dga::Payment>),
    Status(dga::Result<dga::PaymentStatus>),
    Confirmation(dga::Result<dga::Confirmation>),
    /// `handle_callback`'s first half: the verified status, or the reply refusing it.
    ForReply(dga::Result<dga::PaymentStatus>),
    /// The call was aborted (its future was cancelled) before it ended.
    Aborted,
    /// A result made into its Python object on the loop's thread, with the GIL.
    Custom(MakePy),
}

/// Makes a finished call's Python object (on the loop's thread, with the GIL).
pub type MakePy = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Queues a call's outcome exactly once: its result, or `Aborted` when the task is dropped
/// first. So every call started leaves one entry, and `drain` alone forgets a call.
struct Deliver {
    shared: Arc<Shared>,
    id: u64,
    sent: bool,
}

impl Drop for Deliver {
    fn drop(&mut self) {
        if !self.sent {
            self.shared.push(self.id, Outcome::Aborted);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The half the runtime threads see: the finished calls and the way to wake the loop.
struct Shared {
    done: Mutex<Vec<(u64, Outcome)>>,
    wake: Wake,
}

enum Wake {
    #[cfg(unix)]
    Fd { read: i32, write: i32 },
    /// `(loop, drain)`: `loop.call_soon_threadsafe(drain)`, under the GIL.
    Loop(Py<PyAny>, Py<PyAny>),
}

impl Shared {
    fn push(&self, id: u64, outcome: Outcome) {
        let mut done = lock(&self.done);
        let first = done.is_empty();
        done.push((id, outcome));
        drop(done);
        if first {
            self.wake();
        }
    }

    fn wake(&self) {
        match &self.wake {
            #[cfg(unix)]
            Wake::Fd { write, .. } => {
                let one: u64 = 1;
                // SAFETY: writes 8 bytes from a live u64 to a descriptor this struct owns. A full
                // pipe (the loop is gone or behind) already means "wake": the error is ignored.
                unsafe {
                    libc::write(*write, (&one as *const u64).cast(), 8);
                }
            }
            Wake::Loop(event_loop, drain) => crate::logs::with_python(|py| {
                // A closed loop has nobody to wake: the results stay queued and are dropped.
                let _ = event_loop.call_method1(py, "call_soon_threadsafe", (drain,));
            }),
        }
    }

    /// Empties the wake-up descriptor (on the loop's thread).
    fn clear(&self) {
        #[cfg(unix)]
        if let Wake::Fd { read, .. } = &self.wake {
            let mut buf = [0u8; 64];
            // SAFETY: reads into a live buffer from a non-blocking descriptor this struct owns.
            while unsafe { libc::read(*read, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Wake::Fd { read, write } = self.wake {
            // SAFETY: closes the descriptors this struct opened, once.
            unsafe {
                libc::close(read);
                if write != read {
                    libc::close(write);
                }
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn wake_fds() -> std::io::Result<(i32, i32)> {
    // SAFETY: plain syscall; the descriptor is owned by `Shared` from here on.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((fd, fd))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn wake_fds() -> std::io::Result<(i32, i32)> {
    let mut fds = [0i32; 2];
    // SAFETY: plain syscalls on descriptors owned by `Shared` from here on.
    unsafe {
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        for fd in fds {
            libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK);
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
    Ok((fds[0], fds[1]))
}

struct Pending {
    future: Py<PyAny>,
    cancel: Py<PyAny>,
    abort: tokio::task::AbortHandle,
    /// A create, void or close: what its result says if nobody receives it.
    detached: Option<(Endpoint, String, String)>,
}

/// One event loop's bridge (made by `AsyncClient` the first time it runs on that loop).
#[pyclass(frozen, module = "dga_epayment._native", name = "_Bridge")]
pub struct Bridge {
    shared: Arc<Shared>,
    pending: Mutex<HashMap<u64, Pending>>,
    next: AtomicU64,
}

#[pymethods]
impl Bridge {
    /// A bridge woken through a descriptor for `loop.add_reader` (`fileno()`), or, where the
    /// platform has none, by `event_loop.call_soon_threadsafe(drain)`: `drain` is then given.
    #[new]
    #[pyo3(signature = (event_loop = None, drain = None))]
    fn new(event_loop: Option<Py<PyAny>>, drain: Option<Py<PyAny>>) -> PyResult<Self> {
        let wake = match (event_loop, drain) {
            (Some(l), Some(d)) => Wake::Loop(l, d),
            #[cfg(unix)]
            _ => {
                let (read, write) = wake_fds()?;
                Wake::Fd { read, write }
            }
            #[cfg(not(unix))]
            _ => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "this platform needs the event loop and drain callback",
                ));
            }
        };
        Ok(Bridge {
            shared: Arc::new(Shared {
                done: Mutex::new(Vec::new()),
                wake,
            }),
            pending: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        })
    }

    /// The descriptor to watch with `loop.add_reader` (-1 without one).
    fn fileno(&self) -> i32 {
        match &self.shared.wake {
            #[cfg(unix)]
            Wake::Fd { read, .. } => *read,
            _ => -1,
        }
    }

    /// Calls in flight on this bridge.
    fn __len__(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Settles the futures of every finished call (on the loop's thread).
    fn drain(&self, py: Python<'_>) {
        self.shared.clear();
        let done = std::mem::take(&mut *lock(&self.shared.done));
        for (id, outcome) in done {
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

    /// The done callback of a future: a cancelled one aborts its call (which then leaves its
    /// `Aborted` entry, or its result if it had just ended).
    fn _cancelled(&self, id: u64) {
        if let Some(p) = lock(&self.pending).get(&id) {
            p.abort.abort();
        }
    }
}

fn settle_one(py: Python<'_>, p: &Pending, outcome: Outcome) -> PyResult<()> {
    let future = p.future.bind(py);
    if future.call_method0("done")?.is_truthy()? {
        unreceived(p, &outcome); // cancelled while its result was on the way
        return Ok(());
    }
    future.call_method1("remove_done_callback", (p.cancel.bind(py),))?;
    if let Outcome::Aborted = outcome {
        future.call_method0("cancel")?; // the runtime dropped the call (process exit)
        return Ok(());
    }
    match settle(py, outcome) {
        Ok(v) => future.call_method1("set_result", (v,))?,
        Err(e) => future.call_method1("set_exception", (e.value(py),))?,
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
        crate::logs::ensure_pump(py)?;
        let this = slf.get();
        let future = event_loop.call_method0("create_future")?;
        let id = this.next.fetch_add(1, Ordering::Relaxed);
        let shared = this.shared.clone();
        let task = dga::runtime::spawn(async move {
            let mut deliver = Deliver {
                shared,
                id,
                sent: false,
            };
            let outcome = call.await;
            deliver.sent = true;
            deliver.shared.push(id, outcome);
        })
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        let cancel = Py::new(
            py,
            Cancel {
                bridge: slf.clone().unbind(),
                id,
            },
        )?
        .into_any();
        future.call_method1("add_done_callback", (cancel.bind(py),))?;
        lock(&this.pending).insert(
            id,
            Pending {
                future: future.clone().unbind(),
                cancel,
                abort: task.abort_handle(),
                detached,
            },
        );
        Ok(future.unbind())
    }
}

/// A future's done callback: only a cancelled future reaches it (a settled one has it
/// removed first).
#[pyclass(frozen, module = "dga_epayment._native")]
struct Cancel {
    bridge: Py<Bridge>,
    id: u64,
}

#[pymethods]
impl Cancel {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.bridge.get()._cancelled(self.id);
    }
}

fn settle(py: Python<'_>, outcome: Outcome) -> PyResult<Bound<'_, PyAny>> {
    let err = |e: dga::Error| to_py_err(py, &e);
    Ok(match outcome {
        Outcome::Payment(r) => records::payment(py, r.map_err(err)?)?,
        Outcome::Status(r) => records::status(py, r.map_err(err)?)?,
        Outcome::Confirmation(r) => records::confirmation(py, r.map_err(err)?)?,
        Outcome::Aborted => return Err(pyo3::exceptions::PyRuntimeError::new_err("aborted")),
        Outcome::Custom(make) => make(py)?.into_bound(py),
        Outcome::ForReply(r) => {
            let (status, refusal) = records::status_or_refusal(py, r)?;
            PyTuple::new(py, [status, refusal])?.into_any()
        }
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
