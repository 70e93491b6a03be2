//! The core's log records (`dga_epayment::logs`: its queue and rate limit) delivered to a
//! JavaScript function, woken through the settler of the function's environment (runtime
//! threads never wait on JavaScript). When no JavaScript can run any more (the process is
//! exiting, the logger's environment has gone), WARNING and ERROR lines go to stderr, so the
//! outcome of a create still running at exit is not lost.

use crate::settle::{Calls, JsFn, Settler};
use dga_epayment::logs;
use log::LevelFilter;
use napi::bindgen_prelude::{FromNapiValue, Function, Unknown};
use napi::{Env, Result, ValueType, sys};
use serde_json::Value;
use std::io::Write;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Where the records go: `func` in `env`, woken through `wake`; with no function,
/// nowhere when `silent` (`setLogger(null)`), else stderr at WARNING (before index.js set its
/// default, or after the function's environment went away).
struct Sink {
    env: sys::napi_env,
    func: Option<JsFn<Value>>,
    wake: Option<Arc<Calls>>,
    silent: bool,
    /// Whether the function was set with `setLogger` (a default never replaces it).
    explicit: bool,
}

// SAFETY: `env` is only used on its environment's JavaScript thread.
unsafe impl Send for Sink {}

static SINK: Mutex<Sink> = Mutex::new(Sink {
    env: null_mut(),
    func: None,
    wake: None,
    silent: false,
    explicit: false,
});
/// Set when JavaScript can no longer run (the process's `exit` event).
pub(crate) static EXITING: AtomicBool = AtomicBool::new(false);

fn sink() -> MutexGuard<'static, Sink> {
    SINK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Called by the core on the thread that logged, when its queue was empty.
fn wake(_: log::Level) {
    let s = sink();
    if let (true, Some(calls), false) = (s.func.is_some(), &s.wake, EXITING.load(Ordering::SeqCst))
    {
        return calls.wake();
    }
    let silent = s.silent;
    drop(s);
    for r in logs::take() {
        if !silent && r.level <= log::Level::Warn {
            let _ = writeln!(std::io::stderr(), "{r}");
        }
    }
}

/// Sends the core's records at `level` and above to `func` (null: nowhere). A default
/// (`explicit` false) never replaces a function set explicitly.
pub(crate) fn set(env: &Env, func: Unknown, level: LevelFilter, explicit: bool) -> Result<()> {
    let func = match func.get_type() {
        Ok(ValueType::Function) => Some(Function::<Value, Unknown>::from_unknown(func)?),
        Ok(ValueType::Null | ValueType::Undefined) => None,
        _ => return Err(crate::wrong(&func, "logger", "a function or null")),
    };
    logs::install(wake);
    let wake = Some(Settler::of(env.raw())?.calls.clone());
    let mut s = sink();
    if !explicit && s.explicit && (s.silent || s.func.is_some()) {
        return Ok(());
    }
    let silent = func.is_none();
    let new = func.map(|f| f.create_ref()).transpose()?;
    (s.env, s.func, s.wake, s.silent, s.explicit) = (env.raw(), new, wake, silent, explicit);
    drop(s);
    logs::set_level(if silent { LevelFilter::Off } else { level });
    Ok(())
}

/// `env` is going away: its function no longer gets records (stderr at WARNING until another
/// environment's default takes over).
pub(crate) fn forget(env: sys::napi_env) {
    let mut s = sink();
    if s.env == env && s.func.is_some() {
        // Its reference goes with the environment.
        std::mem::forget(s.func.take());
        s.explicit = false;
    }
}

/// On `env`'s JavaScript thread: calls the function with each queued record, when it is
/// this environment's.
pub(crate) fn deliver(env: sys::napi_env) {
    let js = Env::from_raw(env);
    let Some(Ok(f)) = (match &*sink() {
        s if s.env == env => s.func.as_ref().map(|f| f.borrow_back(&js)),
        _ => None,
    }) else {
        return;
    };
    for r in logs::take() {
        let level = r.level.as_str().to_ascii_lowercase();
        let json = serde_json::json!({"level": level, "target": r.target, "message": r.message});
        // A logger that throws must not take the process down with it (its exception is
        // cleared).
        let _ = f.call(json);
    }
}
