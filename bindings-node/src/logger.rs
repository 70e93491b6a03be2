//! The core's log records (`dga_epayment` target) delivered to a JavaScript function.
//!
//! Records are made on the core's runtime threads, which must never wait on JavaScript: each
//! one is queued and the function's threadsafe function wakes the JavaScript thread, which
//! calls the function with every record queued so far. The threadsafe function never keeps
//! the event loop alive. Identical lines are rate-limited (one a second per message; the next
//! one says how many were left out). When no JavaScript can run any more (the process is
//! exiting, the logger's environment has gone), WARNING and ERROR lines go to stderr, so the
//! outcome of a create still running at exit is not lost.

use napi::sys;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

const TARGET: &str = "dga_epayment";
const REPEAT_WINDOW: Duration = Duration::from_secs(1);
/// Distinct messages remembered for the rate limit; older ones are forgotten past this.
const REMEMBERED: usize = 1024;

struct Record {
    level: log::Level,
    target: String,
    message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Nothing set yet (stderr at WARNING until index.js installs its default).
    Unset,
    /// A JavaScript function gets the records.
    Js,
    /// `setLogger(null)`: nothing anywhere.
    Silent,
}

struct Sink {
    mode: Mode,
    env: sys::napi_env,
    tsfn: sys::napi_threadsafe_function,
    /// Which threadsafe function `tsfn` is (its finalizer's data), so a replaced one's
    /// finalizer leaves its successor alone.
    id: usize,
    /// Whether the function was set explicitly (a default never replaces it).
    explicit: bool,
    queue: Vec<Record>,
    scheduled: bool,
    seen: BTreeMap<String, (Instant, u64)>,
}

// SAFETY: `tsfn` is only called through `napi_call_threadsafe_function` (any thread) and
// released on its own JavaScript thread; the mutex orders both against its teardown.
unsafe impl Send for Sink {}

static SINK: Mutex<Sink> = Mutex::new(Sink {
    mode: Mode::Unset,
    env: ptr::null_mut(),
    tsfn: ptr::null_mut(),
    id: 0,
    explicit: false,
    queue: Vec::new(),
    scheduled: false,
    seen: BTreeMap::new(),
});
/// Set when JavaScript can no longer run (the process's `exit` event).
static EXITING: AtomicBool = AtomicBool::new(false);

fn sink() -> MutexGuard<'static, Sink> {
    SINK.lock().unwrap_or_else(|e| e.into_inner())
}

struct JsLogger;

impl log::Log for JsLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with(TARGET) && metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| deliver(record)));
    }

    fn flush(&self) {}
}

fn deliver(record: &log::Record) {
    let mut message = record.args().to_string();
    let mut s = sink();
    if s.mode == Mode::Silent {
        return;
    }
    let now = Instant::now();
    if s.seen.len() >= REMEMBERED {
        s.seen
            .retain(|_, (at, _)| now.duration_since(*at) < REPEAT_WINDOW);
        if s.seen.len() >= REMEMBERED {
            s.seen.clear();
        }
    }
    match s.seen.get_mut(&message) {
        Some((at, left_out)) if now.duration_since(*at) < REPEAT_WINDOW => {
            *left_out += 1;
            return;
        }
        Some((at, left_out)) => {
            if *left_out > 0 {
                message = format!("{message} (and {left_out} identical lines in the last second)");
            }
            *at = now;
            *left_out = 0;
        }
        None => {
            s.seen.insert(message.clone(), (now, 0));
        }
    }
    let to_js = s.mode == Mode::Js && !s.tsfn.is_null() && !EXITING.load(Ordering::SeqCst);
    if !to_js {
        drop(s);
        if record.level() <= log::Level::Warn {
            let _ = writeln!(
                std::io::stderr(),
                "{} {}: {message}",
                record.target(),
                record.level()
            );
        }
        return;
    }
    s.queue.push(Record {
        level: record.level(),
        target: record.target().to_owned(),
        message,
    });
    if !s.scheduled {
        s.scheduled = true;
        unsafe {
            sys::napi_call_threadsafe_function(
                s.tsfn,
                ptr::null_mut(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            );
        }
    }
}

fn install() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    INSTALLED.get_or_init(|| log::set_logger(&JsLogger).is_ok());
}

/// The `log` level for a name (`error`, `warn`, `info`, `debug`, `trace`).
pub(crate) fn level_of(name: &str) -> Option<log::LevelFilter> {
    match name.to_ascii_lowercase().as_str() {
        "error" => Some(log::LevelFilter::Error),
        "warn" | "warning" => Some(log::LevelFilter::Warn),
        "info" => Some(log::LevelFilter::Info),
        "debug" => Some(log::LevelFilter::Debug),
        "trace" => Some(log::LevelFilter::Trace),
        _ => None,
    }
}

/// Sends the core's records at `level` and above to `func` (null: nowhere). A default
/// (`explicit` false) never replaces a function set explicitly.
pub(crate) fn set(
    env: sys::napi_env,
    func: Option<sys::napi_value>,
    level: log::LevelFilter,
    explicit: bool,
) -> napi::Result<()> {
    install();
    let mut s = sink();
    if !explicit && s.explicit && s.mode != Mode::Unset {
        return Ok(());
    }
    let id = s.id + 1;
    let new_tsfn = match func {
        None => ptr::null_mut(),
        Some(func) => {
            let mut name = ptr::null_mut();
            let label = "dga-epayment log";
            let mut tsfn = ptr::null_mut();
            let status = unsafe {
                sys::napi_create_string_utf8(
                    env,
                    label.as_ptr().cast(),
                    label.len() as isize,
                    &mut name,
                );
                sys::napi_create_threadsafe_function(
                    env,
                    func,
                    ptr::null_mut(),
                    name,
                    0,
                    1,
                    id as *mut c_void,
                    Some(finalize),
                    ptr::null_mut(),
                    Some(call_js),
                    &mut tsfn,
                )
            };
            if status != sys::Status::napi_ok {
                return Err(napi::Error::from_reason(format!(
                    "could not create the log function's threadsafe function (napi status {status})"
                )));
            }
            unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
            tsfn
        }
    };
    s.id = id;
    let old = std::mem::replace(&mut s.tsfn, new_tsfn);
    let old_env = std::mem::replace(&mut s.env, env);
    if !old.is_null() {
        // Released from its own thread when it is this one; a function set from another
        // environment (a worker) is released by that environment's teardown.
        if old_env == env {
            unsafe {
                sys::napi_release_threadsafe_function(
                    old,
                    sys::ThreadsafeFunctionReleaseMode::release,
                )
            };
        }
    }
    s.mode = if new_tsfn.is_null() {
        Mode::Silent
    } else {
        Mode::Js
    };
    s.explicit = explicit;
    s.queue.clear();
    s.scheduled = false;
    drop(s);
    log::set_max_level(if func.is_none() {
        log::LevelFilter::Off
    } else {
        level
    });
    Ok(())
}

/// From the process's `exit` event: JavaScript runs no more, so lines go to stderr.
pub(crate) fn exiting() {
    EXITING.store(true, Ordering::SeqCst);
}

/// A threadsafe function is finalized (released, or its environment is gone).
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let mut s = sink();
        if s.id == data as usize && s.mode == Mode::Js {
            s.tsfn = ptr::null_mut();
            s.env = ptr::null_mut();
            s.queue.clear();
            // Back to stderr at WARNING; a new environment's default may take over.
            s.mode = Mode::Unset;
            s.explicit = false;
        }
    }));
}

/// On the JavaScript thread: calls the function with each queued record.
unsafe extern "C" fn call_js(
    env: sys::napi_env,
    func: sys::napi_value,
    _context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() || func.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let records = {
            let mut s = sink();
            s.scheduled = false;
            std::mem::take(&mut s.queue)
        };
        for r in records {
            let json = serde_json::json!({
                "level": r.level.as_str().to_ascii_lowercase(),
                "target": r.target,
                "message": r.message,
            });
            unsafe {
                let mut scope = ptr::null_mut();
                sys::napi_open_handle_scope(env, &mut scope);
                if let Ok(arg) =
                    <serde_json::Value as napi::bindgen_prelude::ToNapiValue>::to_napi_value(
                        env, json,
                    )
                {
                    let mut undefined = ptr::null_mut();
                    let mut out = ptr::null_mut();
                    sys::napi_get_undefined(env, &mut undefined);
                    if sys::napi_call_function(env, undefined, func, 1, &arg, &mut out)
                        != sys::Status::napi_ok
                    {
                        // A logger that throws must not take the process down with it.
                        let mut ex = ptr::null_mut();
                        sys::napi_get_and_clear_last_exception(env, &mut ex);
                    }
                }
                sys::napi_close_handle_scope(env, scope);
            }
        }
    }));
}
