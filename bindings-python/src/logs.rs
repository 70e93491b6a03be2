//! The core's log records (the `log` crate, target `dga_epayment`) to Python's `logging`.
//!
//! The core logs from its runtime threads (a create's outcome after its caller left, a token
//! retry), and those threads never take the GIL: a record is queued in Rust, and Python threads
//! emit it: the caller's own thread when its blocking call returns (so a call's records are
//! logged before it returns), the event loop when it settles futures, and otherwise a daemon
//! thread of the package's (`dga-epayment-log`, started with the first call) that waits for
//! records with the GIL released (it is woken for INFO and above; DEBUG records belong to a
//! call, whose end emits them). Levels are Python's: every record of the core is queued and the `dga_epayment`
//! logger decides, so configuring logging after import works.
//!
//! At interpreter exit (`atexit`) the core's creates, voids and closes still running get their
//! grace (`runtime::drain`), their records are emitted, and from then on records go to stderr
//! (WARNING and above): after finalization nothing calls into Python.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

const TARGET: &str = "dga_epayment";
/// Records kept for Python at most; older ones are dropped (and counted) beyond that.
const MAX_QUEUED: usize = 10_000;

/// Level, logger name, message.
type Entry = (log::Level, String, String);

struct Queue {
    records: VecDeque<Entry>,
    dropped: usize,
    stop: bool,
}

/// This process's queue. A forked child makes its own on first use and leaks the parent's, whose
/// lock a thread of the parent may have held at the fork (fork copies only the forking thread).
struct Owned {
    pid: u32,
    queue: Mutex<Queue>,
    ready: Condvar,
}

static OWNED: AtomicPtr<Owned> = AtomicPtr::new(std::ptr::null_mut());

fn owned() -> &'static Owned {
    let pid = std::process::id();
    let current = OWNED.load(Ordering::Acquire);
    // SAFETY: a published pointer is never freed (see `Owned`).
    if let Some(o) = unsafe { current.as_ref() }
        && o.pid == pid
    {
        return o;
    }
    let fresh = Box::into_raw(Box::new(Owned {
        pid,
        queue: Mutex::new(Queue {
            records: VecDeque::new(),
            dropped: 0,
            stop: false,
        }),
        ready: Condvar::new(),
    }));
    match OWNED.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: just published, never freed.
        Ok(_) => unsafe { &*fresh },
        Err(other) => {
            // SAFETY: `fresh` was never shared; `other` was published by this process's winner.
            drop(unsafe { Box::from_raw(fresh) });
            unsafe { &*other }
        }
    }
}
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// False once the interpreter's exit began: records then go to stderr.
static PYTHON: AtomicBool = AtomicBool::new(true);
/// Threads inside Python on the bridge's fallback path (see `with_python`).
static INSIDE: AtomicUsize = AtomicUsize::new(0);
/// Whether this process's pump thread runs (cleared in a forked child).
static PUMP: AtomicBool = AtomicBool::new(false);

fn queue() -> MutexGuard<'static, Queue> {
    owned().queue.lock().unwrap_or_else(|e| e.into_inner())
}

struct Forward;

impl log::Log for Forward {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with(TARGET)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let entry = (
            record.level(),
            record.target().replace("::", "."),
            record.args().to_string(),
        );
        if !PYTHON.load(Ordering::SeqCst) {
            if entry.0 <= log::Level::Warn {
                eprintln!("{} {}: {}", entry.0, entry.1, entry.2);
            }
            return;
        }
        let mut q = queue();
        if q.records.len() >= MAX_QUEUED {
            q.records.pop_front();
            q.dropped += 1;
        }
        let level = entry.0;
        q.records.push_back(entry);
        QUEUED.store(q.records.len(), Ordering::SeqCst);
        drop(q);
        // Debug records come from calls, whose end (or future's settling) emits them: waking
        // the pump for each would make it fight every caller for the GIL.
        if level <= log::Level::Info {
            owned().ready.notify_one();
        }
    }

    fn flush(&self) {}
}

static LOGGER: Forward = Forward;

/// Installs the forwarding (once per process; another `log` logger already set wins).
pub fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
    #[cfg(unix)]
    {
        extern "C" fn child() {
            PUMP.store(false, Ordering::SeqCst);
            QUEUED.store(0, Ordering::SeqCst);
            INSIDE.store(0, Ordering::SeqCst);
        }
        static HOOKED: AtomicBool = AtomicBool::new(false);
        if !HOOKED.swap(true, Ordering::SeqCst) {
            // SAFETY: registers a handler that only stores atomics.
            unsafe {
                libc::pthread_atfork(None, None, Some(child));
            }
        }
    }
}

fn take() -> Option<(Vec<Entry>, usize)> {
    if QUEUED.load(Ordering::SeqCst) == 0 {
        return None;
    }
    let mut q = queue();
    let records: Vec<_> = q.records.drain(..).collect();
    let dropped = std::mem::take(&mut q.dropped);
    QUEUED.store(0, Ordering::SeqCst);
    Some((records, dropped))
}

/// The `dga_epayment` logger (loggers live as long as the interpreter): looked up once.
static LOGGER_OF_TARGET: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn our_logger(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    LOGGER_OF_TARGET.get_or_try_init(py, || {
        py.import("logging")?
            .call_method1("getLogger", (TARGET,))
            .map(Bound::unbind)
    })
}

fn emit(py: Python<'_>, records: &[Entry]) {
    let Ok(logging) = py.import("logging") else {
        return;
    };
    let ours = our_logger(py).ok();
    for (level, name, message) in records {
        let number = match level {
            log::Level::Error => 40,
            log::Level::Warn => 30,
            log::Level::Info => 20,
            log::Level::Debug => 10,
            log::Level::Trace => 5,
        };
        let logger = match ours {
            Some(l) if name == TARGET => Ok(l.bind(py).clone()),
            _ => logging.call_method1("getLogger", (name,)),
        };
        let logged = logger.and_then(|l| l.call_method1("log", (number, message)));
        if let Err(e) = logged {
            e.write_unraisable(py, None);
        }
    }
}

/// Emits the queued records on this thread (which holds the GIL).
pub fn flush(py: Python<'_>) {
    if let Some((records, dropped)) = take() {
        if dropped > 0 {
            let note = format!("{dropped} log records of the SDK were dropped (queue full)");
            emit(py, &[(log::Level::Warn, TARGET.to_owned(), note)]);
        }
        emit(py, &records);
    }
}

/// Starts the pump thread of this process if it is not running.
pub fn ensure_pump(py: Python<'_>) -> PyResult<()> {
    if PUMP.load(Ordering::Relaxed) || !PYTHON.load(Ordering::SeqCst) {
        return Ok(());
    }
    if PUMP.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    queue().stop = false;
    // `logging` is first imported here, on the caller's thread, never by the pump: a fork
    // while the pump was importing it would leave the child's import lock held for good.
    let started = our_logger(py)
        .and_then(|_| py.import("dga_epayment._logs"))
        .and_then(|m| m.call_method0("_start"));
    if started.is_err() {
        PUMP.store(false, Ordering::SeqCst);
    }
    started.map(drop)
}

/// The pump thread's body: waits (without the GIL) for records, emits them; false to stop.
#[pyfunction]
pub fn _pump_logs(py: Python<'_>) -> bool {
    let stop = py.detach(|| {
        let mut q = queue();
        while q.records.is_empty() && !q.stop {
            q = owned()
                .ready
                .wait_timeout(q, Duration::from_secs(60))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        q.stop
    });
    flush(py);
    !stop
}

/// Python's `atexit`: the core's detached calls get their grace, their records are logged,
/// then the pump stops and records go to stderr.
#[pyfunction]
pub fn _at_exit(py: Python<'_>) {
    py.detach(|| dga_epayment::runtime::drain(None));
    flush(py);
    PYTHON.store(false, Ordering::SeqCst);
    // Bounded: a fallback wake-up that entered Python just before is waited for, with the GIL
    // released so it can finish.
    py.detach(|| {
        for _ in 0..1000 {
            if INSIDE.load(Ordering::SeqCst) == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    flush(py);
    queue().stop = true;
    owned().ready.notify_all();
}

/// Runs `f` with the GIL from a thread Python does not know, unless the interpreter is exiting
/// (then `f` is skipped): the bridge's fallback for event loops without `add_reader`.
pub fn with_python(f: impl FnOnce(Python<'_>)) {
    INSIDE.fetch_add(1, Ordering::SeqCst);
    if PYTHON.load(Ordering::SeqCst) {
        Python::attach(f);
    }
    INSIDE.fetch_sub(1, Ordering::SeqCst);
}
