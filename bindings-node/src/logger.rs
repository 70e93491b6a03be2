//! The core's log records (`dga_epayment::logs`: its queue and rate limit) delivered to a
//! JavaScript function, woken through the settler of the function's environment (runtime
//! threads never wait on JavaScript). When no JavaScript can run any more (the process is
//! exiting, the logger's environment has gone), WARNING and ERROR lines go to stderr, so the
//! outcome of a create still running at exit is not lost.

use crate::settle::{Calls, Settler, check};
use dga_epayment::logs;
use napi::sys;
use std::io::Write;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

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
    func: sys::napi_ref,
    /// The settler of `env`, whose wake-up delivers the records.
    wake: Option<Arc<Calls>>,
    /// Whether the function was set explicitly (a default never replaces it).
    explicit: bool,
}

// SAFETY: `env` and `func` are only used on their environment's JavaScript thread.
unsafe impl Send for Sink {}

const UNSET: Sink = Sink {
    mode: Mode::Unset,
    env: ptr::null_mut(),
    func: ptr::null_mut(),
    wake: None,
    explicit: false,
};
static SINK: Mutex<Sink> = Mutex::new(UNSET);
/// Set when JavaScript can no longer run (the process's `exit` event).
static EXITING: AtomicBool = AtomicBool::new(false);

fn sink() -> MutexGuard<'static, Sink> {
    SINK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Called by the core on the thread that logged, when its queue was empty.
fn wake(_: log::Level) {
    let s = sink();
    if let (Mode::Js, Some(calls), false) = (s.mode, &s.wake, EXITING.load(Ordering::SeqCst)) {
        calls.wake();
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
    logs::install(wake);
    let calls = Settler::of(env)?.calls.clone();
    let mut s = sink();
    if !explicit && s.explicit && s.mode != Mode::Unset {
        return Ok(());
    }
    let mut new = ptr::null_mut();
    if let Some(func) = func {
        check(
            unsafe { sys::napi_create_reference(env, func, 1, &mut new) },
            "napi_create_reference",
        )?;
    }
    // A function set from another environment (a worker) goes with that environment.
    if !s.func.is_null() && s.env == env {
        unsafe { sys::napi_delete_reference(env, s.func) };
    }
    *s = Sink {
        mode: if func.is_some() {
            Mode::Js
        } else {
            Mode::Silent
        },
        env,
        func: new,
        wake: Some(calls),
        explicit,
    };
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

/// `env` is going away: its function no longer gets records (stderr at WARNING until another
/// environment's default takes over).
pub(crate) fn forget(env: sys::napi_env) {
    let mut s = sink();
    if s.env == env && s.mode == Mode::Js {
        *s = UNSET;
    }
}

/// On `env`'s JavaScript thread: calls the function with each queued record, when it is
/// this environment's.
pub(crate) fn deliver(env: sys::napi_env) {
    let func = {
        let s = sink();
        if s.env != env || s.mode != Mode::Js {
            return;
        }
        s.func
    };
    let mut f = ptr::null_mut();
    if unsafe { sys::napi_get_reference_value(env, func, &mut f) } != sys::Status::napi_ok {
        return;
    }
    for r in logs::take() {
        let json = serde_json::json!({
            "level": r.level.as_str().to_ascii_lowercase(),
            "target": r.target,
            "message": r.message,
        });
        unsafe {
            let Ok(arg) = napi::bindgen_prelude::ToNapiValue::to_napi_value(env, json) else {
                continue;
            };
            let mut out = ptr::null_mut();
            if sys::napi_call_function(env, f, f, 1, &arg, &mut out) != sys::Status::napi_ok {
                // A logger that throws must not take the process down with it.
                sys::napi_get_and_clear_last_exception(env, &mut out);
            }
        }
    }
}
