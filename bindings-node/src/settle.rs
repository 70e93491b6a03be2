//! Promises settled from the core's runtime, with no thread of the binding's own.
//!
//! Each call runs as a task on the core's one runtime (`dga_epayment::runtime::spawn`); its
//! result, already turned into JSON there, goes into a queue shared with the JavaScript thread.
//! One threadsafe function per Node environment wakes that thread, which settles every result
//! queued so far in one turn (one wake-up for many calls, instead of napi's threadsafe function
//! per Promise). The threadsafe function is referenced only while calls are in flight: a pending
//! call keeps the event loop alive until it settles (as undici's do), an idle client never does.
//!
//! When the environment goes away (a worker terminated, the process exiting) its calls' tasks
//! are aborted, as is a call whose `AbortSignal` fires: a status stops there, and a create, void or close already sent runs to its end
//! in the core, which logs its outcome (docs/architecture.md#cancellation-and-outcome-unknown).

use napi::sys;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

/// How a call ended: the result's JSON, or the core's error JSON (`Error::to_json`).
pub(crate) type Outcome = std::result::Result<Value, Value>;

/// One settled call waiting for the JavaScript thread: its result as JSON text (V8's
/// `JSON.parse` builds the object faster than napi can, property by property), or its error.
struct Done {
    id: u64,
    deferred: sys::napi_deferred,
    outcome: std::result::Result<String, Value>,
}

struct Queue {
    /// Null once the environment is gone: results are then dropped.
    tsfn: sys::napi_threadsafe_function,
    items: Vec<Done>,
    /// Whether the JavaScript thread has been woken and not yet taken the queue.
    scheduled: bool,
}

/// The part of an environment's settler that runtime threads touch.
pub(crate) struct Shared {
    queue: Mutex<Queue>,
}

// SAFETY: the raw napi handles in the queue are only used on the JavaScript thread (the
// deferreds) or through `napi_call_threadsafe_function`, which any thread may call; the mutex
// orders that call against the environment's teardown nulling the handle.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

fn lock(m: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn push(&self, done: Done) {
        let mut q = lock(&self.queue);
        if q.tsfn.is_null() {
            return;
        }
        q.items.push(done);
        if !q.scheduled {
            q.scheduled = true;
            // Non-blocking on an unbounded queue: never waits on the JavaScript thread.
            unsafe {
                sys::napi_call_threadsafe_function(
                    q.tsfn,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                );
            }
        }
    }

    fn close(&self) {
        let mut q = lock(&self.queue);
        q.tsfn = ptr::null_mut();
        q.items.clear();
    }
}

/// A call's Promise until its task ends. Dropped without a result (the task aborted), it
/// settles the Promise as cancelled.
struct Pending {
    id: u64,
    endpoint: dga_epayment::Endpoint,
    deferred: sys::napi_deferred,
    shared: Arc<Shared>,
    done: bool,
}

// SAFETY: see `Shared`; the deferred is handed back to the JavaScript thread untouched.
unsafe impl Send for Pending {}

impl Pending {
    fn finish(mut self, outcome: Outcome) {
        self.done = true;
        self.shared.push(Done {
            id: self.id,
            deferred: self.deferred,
            outcome: outcome.map(|v| v.to_string()),
        });
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            self.shared.push(Done {
                id: self.id,
                deferred: self.deferred,
                outcome: Err(crate::ended_json(self.endpoint)),
            });
        }
    }
}

/// One Node environment's settler; lives on its JavaScript thread.
pub(crate) struct Settler {
    env: sys::napi_env,
    shared: Arc<Shared>,
    tsfn: sys::napi_threadsafe_function,
    next: Cell<u64>,
    /// Calls in flight, to abort when the environment goes away.
    calls: RefCell<HashMap<u64, tokio::task::AbortHandle>>,
    /// `DgaError`, registered by index.js, to reject with.
    error_class: Cell<sys::napi_ref>,
    /// `JSON.parse`, to build results from their text.
    json_parse: sys::napi_ref,
}

thread_local! {
    static SETTLERS: RefCell<Vec<Rc<Settler>>> = const { RefCell::new(Vec::new()) };
}

fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_reason(format!(
            "{what} failed (napi status {status})"
        )))
    }
}

impl Settler {
    /// The settler of `env`, made on first use.
    pub(crate) fn of(env: sys::napi_env) -> napi::Result<Rc<Settler>> {
        if let Some(s) = SETTLERS.with(|s| s.borrow().iter().find(|s| s.env == env).cloned()) {
            return Ok(s);
        }
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                tsfn: ptr::null_mut(),
                items: Vec::new(),
                scheduled: false,
            }),
        });
        let mut name = ptr::null_mut();
        let label = "dga-epayment";
        check(
            unsafe {
                sys::napi_create_string_utf8(
                    env,
                    label.as_ptr().cast(),
                    label.len() as isize,
                    &mut name,
                )
            },
            "napi_create_string_utf8",
        )?;
        let context = Arc::into_raw(shared.clone()) as *mut c_void;
        let mut tsfn = ptr::null_mut();
        let created = check(
            unsafe {
                sys::napi_create_threadsafe_function(
                    env,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    name,
                    0,
                    1,
                    context,
                    Some(finalize),
                    context,
                    Some(drain),
                    &mut tsfn,
                )
            },
            "napi_create_threadsafe_function",
        );
        if let Err(e) = created {
            drop(unsafe { Arc::from_raw(context as *const Shared) });
            return Err(e);
        }
        // Idle, it never keeps the event loop alive.
        unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
        lock(&shared.queue).tsfn = tsfn;
        let settler = Rc::new(Settler {
            env,
            shared,
            tsfn,
            next: Cell::new(0),
            calls: RefCell::new(HashMap::new()),
            error_class: Cell::new(ptr::null_mut()),
            json_parse: json_parse(env)?,
        });
        unsafe { sys::napi_add_env_cleanup_hook(env, Some(env_cleanup), env as *mut c_void) };
        SETTLERS.with(|s| s.borrow_mut().push(settler.clone()));
        Ok(settler)
    }

    /// Rejections become instances of `class` (index.js's `DgaError`, built from the core's
    /// error JSON).
    pub(crate) fn set_error_class(&self, class: sys::napi_value) -> napi::Result<()> {
        let mut r = ptr::null_mut();
        check(
            unsafe { sys::napi_create_reference(self.env, class, 1, &mut r) },
            "napi_create_reference",
        )?;
        let old = self.error_class.replace(r);
        if !old.is_null() {
            unsafe { sys::napi_delete_reference(self.env, old) };
        }
        Ok(())
    }

    /// A Promise settled by `call`, which runs as a task on the core's runtime.
    pub(crate) fn spawn(
        &self,
        endpoint: dga_epayment::Endpoint,
        call: impl Future<Output = Outcome> + Send + 'static,
    ) -> napi::Result<(sys::napi_value, u64)> {
        let handle = dga_epayment::runtime::handle().map_err(|e| {
            crate::to_napi(&dga_epayment::Error::Network {
                endpoint,
                message: format!("the SDK's runtime could not start: {e}"),
                transient: true,
            })
        })?;
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        check(
            unsafe { sys::napi_create_promise(self.env, &mut deferred, &mut promise) },
            "napi_create_promise",
        )?;
        let id = self.next.get() + 1;
        self.next.set(id);
        let pending = Pending {
            id,
            endpoint,
            deferred,
            shared: self.shared.clone(),
            done: false,
        };
        let task = handle.spawn(async move {
            let pending = pending;
            let outcome = call.await;
            pending.finish(outcome);
        });
        let mut calls = self.calls.borrow_mut();
        if calls.is_empty() {
            unsafe { sys::napi_ref_threadsafe_function(self.env, self.tsfn) };
        }
        calls.insert(id, task.abort_handle());
        Ok((promise, id))
    }

    /// Aborts the task of call `id`, if it is still running: its Promise rejects.
    pub(crate) fn abort(&self, id: u64) {
        if let Some(task) = self.calls.borrow().get(&id) {
            task.abort();
        }
    }

    /// Settles what the runtime queued (on the JavaScript thread).
    fn settle_all(&self, items: Vec<Done>) {
        for done in items {
            let mut scope = ptr::null_mut();
            unsafe { sys::napi_open_handle_scope(self.env, &mut scope) };
            self.settle(done.deferred, done.outcome);
            unsafe { sys::napi_close_handle_scope(self.env, scope) };
            self.calls.borrow_mut().remove(&done.id);
        }
        if self.calls.borrow().is_empty() {
            unsafe { sys::napi_unref_threadsafe_function(self.env, self.tsfn) };
        }
    }

    fn settle(&self, deferred: sys::napi_deferred, outcome: std::result::Result<String, Value>) {
        let env = self.env;
        match outcome {
            Ok(text) => match self.parse(&text) {
                Some(v) => unsafe {
                    sys::napi_resolve_deferred(env, deferred, v);
                },
                None => {
                    let mut ex = ptr::null_mut();
                    unsafe { sys::napi_get_and_clear_last_exception(env, &mut ex) };
                    self.reject(deferred, crate::error_json_of("JSON.parse failed"))
                }
            },
            Err(error) => self.reject(deferred, error),
        }
    }

    /// `JSON.parse(text)`.
    fn parse(&self, text: &str) -> Option<sys::napi_value> {
        let env = self.env;
        unsafe {
            let mut parse = ptr::null_mut();
            let mut arg = ptr::null_mut();
            let mut undefined = ptr::null_mut();
            let mut out = ptr::null_mut();
            let ok = sys::napi_get_reference_value(env, self.json_parse, &mut parse)
                == sys::Status::napi_ok
                && sys::napi_create_string_utf8(
                    env,
                    text.as_ptr().cast(),
                    text.len() as isize,
                    &mut arg,
                ) == sys::Status::napi_ok
                && sys::napi_get_undefined(env, &mut undefined) == sys::Status::napi_ok
                && sys::napi_call_function(env, undefined, parse, 1, &arg, &mut out)
                    == sys::Status::napi_ok;
            ok.then_some(out)
        }
    }

    fn reject(&self, deferred: sys::napi_deferred, error: Value) {
        let env = self.env;
        let error = self.error_value(error);
        unsafe { sys::napi_reject_deferred(env, deferred, error) };
    }

    /// `new DgaError(json)`, or a plain `Error` whose message carries the JSON when no class
    /// was registered (index.js turns that into a `DgaError` too).
    fn error_value(&self, json: Value) -> sys::napi_value {
        let env = self.env;
        let class = self.error_class.get();
        if !class.is_null() {
            let mut ctor = ptr::null_mut();
            let mut out = ptr::null_mut();
            let ok = unsafe {
                sys::napi_get_reference_value(env, class, &mut ctor) == sys::Status::napi_ok
                    && !ctor.is_null()
            };
            if ok
                && let Ok(arg) = unsafe {
                    <Value as napi::bindgen_prelude::ToNapiValue>::to_napi_value(env, json.clone())
                }
                && unsafe { sys::napi_new_instance(env, ctor, 1, &arg, &mut out) }
                    == sys::Status::napi_ok
            {
                return out;
            }
            // The constructor threw: drop its exception, fall back to the plain form.
            let mut ex = ptr::null_mut();
            unsafe { sys::napi_get_and_clear_last_exception(env, &mut ex) };
        }
        let text = format!("{}{json}", crate::ERROR_MARKER);
        let mut msg = ptr::null_mut();
        let mut out = ptr::null_mut();
        unsafe {
            sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len() as isize, &mut msg);
            sys::napi_create_error(env, ptr::null_mut(), msg, &mut out);
        }
        out
    }
}

/// A reference to `JSON.parse` in `env`.
fn json_parse(env: sys::napi_env) -> napi::Result<sys::napi_ref> {
    let mut global = ptr::null_mut();
    let mut json = ptr::null_mut();
    let mut parse = ptr::null_mut();
    let mut r = ptr::null_mut();
    unsafe {
        check(sys::napi_get_global(env, &mut global), "napi_get_global")?;
        check(
            sys::napi_get_named_property(env, global, c"JSON".as_ptr(), &mut json),
            "reading JSON",
        )?;
        check(
            sys::napi_get_named_property(env, json, c"parse".as_ptr(), &mut parse),
            "reading JSON.parse",
        )?;
        check(
            sys::napi_create_reference(env, parse, 1, &mut r),
            "napi_create_reference",
        )?;
    }
    Ok(r)
}

/// The threadsafe function's call: runs on the JavaScript thread (env is null at teardown).
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() || context.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the context is the `Shared` this threadsafe function owns a count of.
        let shared = unsafe { &*(context as *const Shared) };
        let items = {
            let mut q = lock(&shared.queue);
            q.scheduled = false;
            std::mem::take(&mut q.items)
        };
        let settler = SETTLERS.with(|s| s.borrow().iter().find(|s| s.env == env).cloned());
        if let Some(settler) = settler {
            settler.settle_all(items);
        }
    }));
}

/// The threadsafe function is gone: stop calling it, release its count of `Shared`.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` is the `Arc<Shared>` handed over at creation, released once here.
    let shared = unsafe { Arc::from_raw(data as *const Shared) };
    shared.close();
}

/// The environment is going away: no more settling there, and its calls' tasks are aborted so
/// that the core sees their callers gone.
unsafe extern "C" fn env_cleanup(arg: *mut c_void) {
    let env = arg as sys::napi_env;
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let settler = SETTLERS.with(|s| {
            let mut s = s.borrow_mut();
            let i = s.iter().position(|x| x.env == env)?;
            Some(s.swap_remove(i))
        });
        if let Some(settler) = settler {
            settler.shared.close();
            for (_, task) in settler.calls.borrow_mut().drain() {
                task.abort();
            }
        }
    }));
}
