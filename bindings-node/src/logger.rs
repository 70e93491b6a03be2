//! The core's log records (`dga_epayment` target) delivered to a JavaScript function.
//!
//! Records are made on the core's runtime threads, which must never wait on JavaScript: each
//! one is queued and the function's threadsafe function wakes the JavaScript thread, which
//! calls the function with every record queued so far. The threadsafe function never keeps
//! the event loop alive. The queue and the rate limit of identical lines are the core's
//! (`dga_epayment::logs`). When no JavaScript can run any more (the process is
//! exiting, the logger's environment has gone), WARNING and ERROR lines go to stderr, so the
//! outcome of a create still running at exit is not lost.

use dga_epayment::logs;
use napi::sys;
use std::ffi::c_void;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

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
});
/// Set when JavaScript can no longer run (the process's `exit` event).
static EXITING: AtomicBool = AtomicBool::new(false);

fn sink() -> MutexGuard<'static, Sink> {
    SINK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Called by the core on the thread that logged, when its queue was empty: wakes the
/// JavaScript thread, or writes to stderr when no JavaScript can take the records.
fn wake(_: log::Level) {
    let s = sink();
    if s.mode == Mode::Js && !s.tsfn.is_null() && !EXITING.load(Ordering::SeqCst) {
        unsafe {
            sys::napi_call_threadsafe_function(
                s.tsfn,
                ptr::null_mut(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            );
        }
        return;
    }
    let silent = s.mode == Mode::Silent;
    drop(s);
    for r in logs::take() {
        if !silent && r.level <= log::Level::Warn {
            let _ = writeln!(std::io::stderr(), "{} {}: {}", r.target, r.level, r.message);
        }
    }
}

fn install() {
    logs::install(wake);
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
    drop(s);
    logs::set_level(if func.is_none() {
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
        for r in logs::take() {
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
