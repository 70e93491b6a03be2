//! Promises settled from the core's runtime, with no thread of the binding's own.
//!
//! Each call runs as a task of the core's `Completions` (its result already JSON text there).
//! One threadsafe function per Node environment wakes the JavaScript thread, which settles
//! every result queued so far in one turn, through one `JSON.parse` (V8 builds the objects
//! faster than napi can, property by property). The threadsafe function is referenced only
//! while calls are in flight: a pending call keeps the event loop alive (as undici's do), an
//! idle client never does. The same wake-up delivers the core's log records (`logger`). When
//! the environment goes away, its calls are aborted.

use dga_epayment::completions::Completions;
use dga_epayment::{Endpoint, Error};
use napi::bindgen_prelude::{Function, FunctionRef, JsObjectValue, Object, ToNapiValue, Unknown};
use napi::{Env, JsValue, sys};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

/// How a call ended, as queued: its result as JSON text, or the core's error JSON.
pub(crate) type Text = Result<String, Value>;
pub(crate) type Calls = Completions<Text>;
/// A JavaScript function kept across turns (its results are read at once, so `'static`).
pub(crate) type JsFn<Args> = FunctionRef<Args, Unknown<'static>>;

/// One Node environment's settler; lives on its JavaScript thread.
pub(crate) struct Settler {
    env: sys::napi_env,
    tsfn: sys::napi_threadsafe_function,
    pub(crate) calls: Arc<Calls>,
    pending: RefCell<HashMap<u64, (sys::napi_deferred, Endpoint)>>,
    /// `DgaError`, registered by index.js, to reject with.
    pub(crate) error_class: RefCell<Option<JsFn<Value>>>,
    json_parse: JsFn<String>,
    /// node:timers' `setImmediate`, and whether it will settle the outcomes one turn left.
    pub(crate) set_immediate: RefCell<Option<JsFn<Unknown<'static>>>>,
    turn_queued: Cell<bool>,
}

/// The most outcomes settled in one turn of the event loop: bounds the loop's delay.
const TURN: usize = 32;

const CANCELLED: &str = "the call was cancelled before its result (its AbortSignal, or its Node \
                         environment going away)";

thread_local! {
    static SETTLERS: RefCell<Vec<Rc<Settler>>> = const { RefCell::new(Vec::new()) };
}

/// A napi status as a `Result`.
fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    let failed = || napi::Error::from_reason(format!("{what} failed (napi status {status})"));
    ok(status).then_some(()).ok_or_else(failed)
}

fn ok(status: sys::napi_status) -> bool {
    status == sys::Status::napi_ok
}

/// The core's error JSON as the `DgaError` to throw (on this JavaScript thread).
pub(crate) fn thrown(json: Value) -> napi::Error {
    match SETTLERS.with(|s| s.borrow().first().cloned()) {
        Some(s) => unsafe { Unknown::from_raw_unchecked(s.env, s.error_value(json)) }.into(),
        None => napi::Error::from_reason(json["message"].as_str().unwrap_or_default()),
    }
}

/// The runtime could not start (the operating system refused threads).
pub(crate) fn runtime_error(endpoint: Endpoint, e: std::io::Error) -> napi::Error {
    thrown(Error::runtime_failed(endpoint, &e).to_json())
}

/// The core's error JSON for a result that could not be made into a JavaScript value.
pub(crate) fn unconvertible(reason: &dyn std::fmt::Display) -> Value {
    Error::unconvertible(Endpoint::Status, "JavaScript", reason).to_json()
}

fn find(env: sys::napi_env) -> Option<Rc<Settler>> {
    SETTLERS.with(|s| s.borrow().iter().find(|s| s.env == env).cloned())
}

impl Settler {
    /// The settler of `env`, made on first use.
    pub(crate) fn of(env: sys::napi_env) -> napi::Result<Rc<Settler>> {
        if let Some(s) = find(env) {
            return Ok(s);
        }
        let mut tsfn = ptr::null_mut();
        unsafe {
            let name = String::to_napi_value(env, "dga-epayment".into())?;
            let (no_func, no_data) = (ptr::null_mut(), ptr::null_mut());
            check(
                sys::napi_create_threadsafe_function(
                    env,
                    no_func,
                    no_func,
                    name,
                    0,
                    1,
                    no_data,
                    Some(gone),
                    no_data,
                    Some(drain),
                    &mut tsfn,
                ),
                "napi_create_threadsafe_function",
            )?;
            // Idle, it never keeps the event loop alive.
            sys::napi_unref_threadsafe_function(env, tsfn);
            sys::napi_add_env_cleanup_hook(env, Some(env_cleanup), env.cast());
        }
        let json: Object = Env::from_raw(env)
            .get_global()?
            .get_named_property("JSON")?;
        let json_parse: Function<String, Unknown<'static>> = json.get_named_property("parse")?;
        // Any thread may call a threadsafe function; `Completions` never calls this once
        // `close` (at teardown) has returned.
        let address = tsfn as usize;
        let calls = Completions::new(move || unsafe {
            sys::napi_call_threadsafe_function(
                address as sys::napi_threadsafe_function,
                ptr::null_mut(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            );
        });
        let settler = Rc::new(Settler {
            env,
            tsfn,
            calls,
            pending: RefCell::new(HashMap::new()),
            error_class: RefCell::new(None),
            json_parse: json_parse.create_ref()?,
            set_immediate: RefCell::new(None),
            turn_queued: Cell::new(false),
        });
        SETTLERS.with(|s| s.borrow_mut().push(settler.clone()));
        Ok(settler)
    }

    /// A Promise settled by `call`, which runs as a task on the core's runtime, and its id;
    /// the Promise rejects at once when `call` is an error (bad arguments).
    pub(crate) fn spawn(
        &self,
        endpoint: Endpoint,
        call: napi::Result<impl Future<Output = Text> + Send + 'static>,
    ) -> napi::Result<(sys::napi_value, u64)> {
        let (env, mut deferred, mut promise) = (self.env, ptr::null_mut(), ptr::null_mut());
        let created = unsafe { sys::napi_create_promise(env, &mut deferred, &mut promise) };
        check(created, "napi_create_promise")?;
        match call.and_then(|c| self.calls.spawn(c).map_err(|e| runtime_error(endpoint, e))) {
            Ok(id) => {
                let mut pending = self.pending.borrow_mut();
                if pending.is_empty() {
                    unsafe { sys::napi_ref_threadsafe_function(env, self.tsfn) };
                }
                pending.insert(id, (deferred, endpoint));
                Ok((promise, id))
            }
            Err(e) => unsafe {
                sys::napi_reject_deferred(env, deferred, napi::JsError::from(e).into_value(env));
                Ok((promise, 0))
            },
        }
    }

    /// Settles the calls that ended, `TURN` at most; the rest in a later turn (on the
    /// JavaScript thread).
    fn settle_all(&self) {
        let mut done = self.calls.take_up_to(TURN);
        // Maybe more: the rest after a `setImmediate` (now, if none can be queued).
        if done.len() == TURN && !self.turn_queued.get() && !self.queue_turn() {
            done.extend(self.calls.take());
        }
        let texts = done.iter().filter_map(|(_, o)| o.as_ref()?.as_ref().ok());
        let texts: Vec<&str> = texts.map(String::as_str).collect();
        let parsed = self.parse(format!("[{}]", texts.join(",")));
        let (env, mut index) = (self.env, 0);
        let mut pending = self.pending.borrow_mut();
        for (id, outcome) in done {
            let Some((deferred, endpoint)) = pending.remove(&id) else {
                continue;
            };
            let error = match outcome {
                Some(Ok(_)) => {
                    let mut value = ptr::null_mut();
                    index += 1;
                    if let Some(array) = parsed
                        && ok(unsafe { sys::napi_get_element(env, array, index - 1, &mut value) })
                    {
                        unsafe { sys::napi_resolve_deferred(env, deferred, value) };
                        continue;
                    }
                    unconvertible(&"JSON.parse failed")
                }
                Some(Err(error)) => error,
                None => Error::unanswered(endpoint, CANCELLED).to_json(),
            };
            unsafe { sys::napi_reject_deferred(env, deferred, self.error_value(error)) };
        }
        if pending.is_empty() {
            unsafe { sys::napi_unref_threadsafe_function(env, self.tsfn) };
        }
    }

    /// `setImmediate(turn)`: what is left after timers and I/O have run.
    fn queue_turn(&self) -> bool {
        let env = Env::from_raw(self.env);
        let queued = self.set_immediate.borrow().as_ref().is_some_and(|f| {
            let turn = env.create_function::<(), ()>("turn", turn);
            // SAFETY: a value of this environment, passed on at once.
            let turn = turn.map(|t| unsafe { Unknown::from_raw_unchecked(self.env, t.raw()) });
            turn.and_then(|t| f.borrow_back(&env)?.call(t)).is_ok()
        });
        self.turn_queued.set(queued);
        queued
    }

    /// `JSON.parse(text)`.
    fn parse(&self, text: String) -> Option<sys::napi_value> {
        let env = Env::from_raw(self.env);
        let parsed = self.json_parse.borrow_back(&env).and_then(|f| f.call(text));
        parsed.ok().map(|v| v.raw())
    }

    /// `new DgaError(json)`, or a plain `Error` with the core's message when no class was
    /// registered or it threw.
    pub(crate) fn error_value(&self, json: Value) -> sys::napi_value {
        let (env, mut out) = (self.env, ptr::null_mut());
        let (class, js) = (self.error_class.borrow(), Env::from_raw(env));
        let made = class
            .as_ref()
            .map(|c| c.borrow_back(&js)?.new_instance(json.clone()));
        if let Some(Ok(error)) = made {
            return error.raw();
        }
        unsafe {
            // A constructor that threw leaves its exception pending.
            sys::napi_get_and_clear_last_exception(env, &mut out);
            let message = json["message"].as_str().unwrap_or("dga-epayment error");
            if let Ok(message) = String::to_napi_value(env, message.to_owned()) {
                sys::napi_create_error(env, ptr::null_mut(), message, &mut out);
            }
        }
        out
    }
}

/// The threadsafe function's call: runs on the JavaScript thread (env is null at teardown).
unsafe extern "C" fn drain(env: sys::napi_env, _: sys::napi_value, _: *mut c_void, _: *mut c_void) {
    if env.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if let Some(settler) = find(env) {
            settler.settle_all();
        }
        crate::logger::deliver(env);
    }));
}

/// Run by `setImmediate`: the outcomes a turn left.
unsafe extern "C" fn turn(env: sys::napi_env, _: sys::napi_callback_info) -> sys::napi_value {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if let Some(settler) = find(env) {
            settler.turn_queued.set(false);
            settler.settle_all();
        }
    }));
    ptr::null_mut()
}

/// The threadsafe function is finalized (its environment is going away).
unsafe extern "C" fn gone(env: sys::napi_env, _: *mut c_void, _: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| teardown(env)));
}

unsafe extern "C" fn env_cleanup(env: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| teardown(env.cast())));
}

/// No more settling nor logging in `env`, and its calls are aborted (the core sees their
/// callers gone).
fn teardown(env: sys::napi_env) {
    crate::logger::forget(env);
    if let Some(settler) = find(env) {
        SETTLERS.with(|s| s.borrow_mut().retain(|x| x.env != env));
        settler.calls.close();
    }
}
