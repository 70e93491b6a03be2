//! The core's log records to Python's `logging`. Runtime threads never take the GIL: a record
//! is queued in the core and emitted by a Python thread (the caller's when its call returns,
//! the event loop when it settles futures, else the package's `dga-epayment-log` thread). At
//! exit the core's detached calls get their grace; later records go to stderr (WARNING up).

use dga_epayment::logs;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Set when records wait in the core's queue, so a call's return checks an atomic, not a lock.
static QUEUED: AtomicBool = AtomicBool::new(false);
/// False once the interpreter's exit began: records then go to stderr.
static PYTHON: AtomicBool = AtomicBool::new(true);
/// Threads inside Python on the bridge's fallback path (see `with_python`).
static INSIDE: AtomicUsize = AtomicUsize::new(0);
/// Whether the core's records come here (no other `log` logger was set first).
static OURS: AtomicBool = AtomicBool::new(false);
/// Whether this process's pump thread runs (cleared in a forked child).
static PUMP: AtomicBool = AtomicBool::new(false);
/// Set at exit: the pump thread stops.
static STOP: AtomicBool = AtomicBool::new(false);

/// Called by the core when a record more severe than any waiting is queued. DEBUG records are
/// emitted when their call ends: waking the pump for each would make it fight for the GIL.
fn wake(level: log::Level) {
    QUEUED.store(true, Ordering::SeqCst);
    if !PYTHON.load(Ordering::SeqCst) {
        for r in logs::take() {
            if r.level <= log::Level::Warn {
                let _ = writeln!(std::io::stderr(), "{r}");
            }
        }
    } else if level <= log::Level::Info {
        logs::wake_waiters();
    }
}

static LOGGER_OF_TARGET: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The `dga_epayment` logger, looked up once.
pub fn our_logger(py: Python<'_>) -> PyResult<&Py<PyAny>> {
    LOGGER_OF_TARGET.get_or_try_init(py, || {
        py.import("logging")?
            .call_method1("getLogger", (logs::TARGET,))
            .map(Bound::unbind)
    })
}

/// Installs the forwarding (once per process; another `log` logger already set wins).
pub fn install() {
    if logs::install(wake) {
        OURS.store(true, Ordering::Relaxed);
    }
    // A forked child has neither the pump thread nor the threads inside Python of its parent.
    dga_epayment::runtime::on_fork_child(|| {
        PUMP.store(false, Ordering::SeqCst);
        QUEUED.store(false, Ordering::SeqCst);
        INSIDE.store(0, Ordering::SeqCst);
    });
}

fn emit(py: Python<'_>, records: Vec<logs::Record>) {
    let Ok(logging) = py.import("logging") else {
        return;
    };
    let ours = our_logger(py).ok();
    for r in records {
        // Python's numbers: ERROR 40, WARNING 30, INFO 20, DEBUG 10 (the core's 1 to 4); TRACE 5.
        let number = match r.level {
            log::Level::Trace => 5,
            level => 50 - 10 * logs::level_number(level),
        };
        let logger = match ours {
            Some(l) if r.target == logs::TARGET => Ok(l.bind(py).clone()),
            _ => logging.call_method1("getLogger", (r.target.replace("::", "."),)),
        };
        let logged = logger.and_then(|l| l.call_method1("log", (number, r.message)));
        if let Err(e) = logged {
            e.write_unraisable(py, None);
        }
    }
}

/// Emits the queued records on this thread (which holds the GIL).
pub fn flush(py: Python<'_>) {
    if QUEUED.swap(false, Ordering::SeqCst) {
        emit(py, logs::take());
    }
}

/// Before a call: the core makes DEBUG records only while Python's `dga_epayment` logger takes
/// them, checked per call so a level set later applies (making and dropping one per call cost a
/// one-at-a-time caller ~5% of its calls per second).
pub fn before_call(py: Python<'_>) -> PyResult<()> {
    use log::LevelFilter::{Debug, Info};
    ensure_pump(py)?;
    // Another `log` logger set first takes the core's records: nothing to ask Python then.
    if !OURS.load(Ordering::Relaxed) {
        return Ok(());
    }
    let debug = our_logger(py)?.call_method1(py, intern!(py, "isEnabledFor"), (10,))?;
    let level = if debug.is_truthy(py)? { Debug } else { Info };
    if log::max_level() != level {
        logs::set_level(level);
    }
    Ok(())
}

/// Starts the pump thread of this process if it is not running.
fn ensure_pump(py: Python<'_>) -> PyResult<()> {
    let running = PUMP.load(Ordering::Relaxed) || !PYTHON.load(Ordering::SeqCst);
    if running || PUMP.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    STOP.store(false, Ordering::SeqCst);
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
    if py.detach(|| logs::wait(Duration::from_secs(60))) {
        QUEUED.store(false, Ordering::SeqCst);
        emit(py, logs::take());
    }
    !STOP.load(Ordering::SeqCst)
}

/// Python's `atexit`: the calls of loops that will not drain again are let go (a closed loop's),
/// the core's detached calls get their grace, their records are logged,
/// then the pump stops and records go to stderr.
#[pyfunction]
pub fn _at_exit(py: Python<'_>) {
    crate::bridge::forsake_all();
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
    STOP.store(true, Ordering::SeqCst);
    logs::wake_waiters();
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
