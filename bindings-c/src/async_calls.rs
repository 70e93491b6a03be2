//! The async calls: each returns at once and completes through a callback on one of the
//! core's runtime threads, so a host with an event loop of its own (.NET's `Task`s, a C event
//! loop) holds no thread per call in flight (docs/architecture.md#the-async-core). A
//! [`Completion`], built only once the arguments are copied and checked, fires exactly once
//! (result, error, cancellation, caught panic, or from its `Drop`), but never once the process
//! is exiting: the host may be tearing down what the callback would touch.

use super::{
    DgaClient, DgaError, DgaErrorKind, bytes, client_ref, guard, internal, into_c, invalid,
    json_arg, refs, text,
};
use futures_util::FutureExt;
use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The completion callback of the `dga_*_async` calls. Each copies and checks its arguments,
/// then returns DGA_OK and calls `cb` exactly once while the process lives (on a runtime
/// thread, maybe before it returns), or returns its error kind (DGA_INVALID_ARGUMENT for a
/// NULL `client` or `cb`, bad UTF-8 or JSON; its message logged at WARNING) and never calls
/// it. `cb` owns what it gets: DGA_OK and `out_json` the blocking call's result, or the error's
/// kind (DGA_CANCELLED when its `cancel`, which may be NULL, was cancelled) and `err`. It may
/// start other calls (a blocking one holds a runtime thread meanwhile), must return promptly
/// and must not unwind. Freeing the client does not cancel the calls: each completes with its
/// real result.
pub type DgaCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        kind: i32,
        out_json: *mut c_char,
        err: *mut DgaError,
    ),
>;

/// A cancellation source for async calls. Opaque. One may be passed to any number of calls;
/// `dga_cancel` ends every one of them not yet completed, with DGA_CANCELLED.
pub struct DgaCancel {
    cancelled: watch::Sender<bool>,
}

/// Creates a cancellation source, freed with `dga_cancel_free`.
#[unsafe(no_mangle)]
pub extern "C" fn dga_cancel_new() -> *mut DgaCancel {
    guard(ptr::null_mut(), || {
        let cancelled = watch::Sender::new(false);
        Box::into_raw(Box::new(DgaCancel { cancelled }))
    })
}

/// Cancels every call started with `cancel` not yet completed: its callback gets DGA_CANCELLED.
/// A status or verification stops; a create, void or close not yet sent is never sent, one
/// sent runs to its end at DGA with its outcome logged at WARNING (check `dga_status` before
/// trying again). Idempotent, thread-safe, callable from a callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_cancel(cancel: *mut DgaCancel) {
    // SAFETY: NULL or live, by the caller's contract.
    guard((), || {
        if let Some(c) = unsafe { cancel.as_ref() } {
            c.cancelled.send_replace(true);
        }
    })
}

/// Frees a cancellation source, even while calls using it are in flight.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_cancel_free(cancel: *mut DgaCancel) {
    // SAFETY: forwarded from the caller.
    unsafe { super::free(cancel, Box::from_raw) }
}

// ---------------------------------------------------------------------------------------------
// Exactly once, never into a host that is exiting.

static EXITING: AtomicBool = AtomicBool::new(false);
/// Callbacks running now (in this process).
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static HOOKS: std::sync::Once = std::sync::Once::new();
/// How long the exit hook lets callbacks already running return.
const EXIT_WAIT: Duration = Duration::from_secs(1);

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

extern "C" fn at_exit() {
    EXITING.store(true, Ordering::SeqCst);
    // exit() called from inside a callback: that one will never return to be counted out.
    let own = usize::from(IN_CALLBACK.with(Cell::get));
    let deadline = Instant::now() + EXIT_WAIT;
    while RUNNING.load(Ordering::SeqCst) > own && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Registered after the core's runtime exists, so that (atexit runs hooks in reverse) the
/// process is marked exiting before the core's own exit hook waits for creates in flight.
fn install_hooks() {
    HOOKS.call_once(|| {
        // SAFETY: a plain function touching only atomics and a thread-local.
        unsafe { libc::atexit(at_exit) };
        // The parent's threads running callbacks do not exist in a forked child.
        sdk::runtime::on_fork_child(|| RUNNING.store(0, Ordering::SeqCst));
    });
}

/// One started call's callback (`None` once fired) and the caller's pointer, handed back.
struct Completion {
    cb: DgaCallback,
    user_data: *mut c_void,
}
// SAFETY: `user_data` is never dereferenced here, only passed back to the caller's callback,
// which the contract says runs on a runtime thread.
unsafe impl Send for Completion {}

impl Completion {
    fn fire(&mut self, result: Result<String, DgaError>) {
        let Some(cb) = self.cb.take() else { return };
        RUNNING.fetch_add(1, Ordering::SeqCst);
        if EXITING.load(Ordering::SeqCst) {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let (kind, json, err) = match result {
            Ok(text) => (DgaErrorKind::DGA_OK as i32, into_c(text), ptr::null_mut()),
            Err(e) => (e.kind, ptr::null_mut(), Box::into_raw(Box::new(e))),
        };
        let was = IN_CALLBACK.with(|c| c.replace(true));
        // SAFETY: the caller's callback, with the pointer it gave and values it now owns.
        unsafe { cb(self.user_data, kind, json, err) };
        IN_CALLBACK.with(|c| c.set(was));
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        let Some(_) = self.cb else { return };
        let e = internal(Box::new("the call ended without a result"));
        guard((), || self.fire(Err(e)));
    }
}

/// The references of a create, void or close: a cancelled one's error names them.
type Refs = Option<(String, String)>;

/// What a cancelled call's callback gets, naming the references as DGA reads them (trimmed;
/// none when reference1 is blank: the request could not have been sent).
fn cancelled(refs: Refs) -> DgaError {
    let refs = refs.map(|(r1, r2)| (r1.trim().to_owned(), r2.trim().to_owned()));
    let refs = refs.filter(|(r1, _)| !r1.is_empty());
    let mut message = "cancelled by its DgaCancel".to_owned();
    if let Some((r1, r2)) = &refs {
        message += &format!(
            ": if the request was already sent it runs to its end at DGA and its outcome is \
             logged; check the status of reference1={r1} reference2={r2}"
        );
    }
    DgaError::binding(DgaErrorKind::DGA_CANCELLED, message, refs)
}

/// Starts a call: checks `client` and `cb`, runs `prepare` (which copies and checks the
/// arguments and returns the call's future) and spawns the future on the core's runtime.
fn start<Fut>(
    client: *const DgaClient,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
    prepare: impl FnOnce(sdk::Client) -> Result<(Refs, Fut), DgaError>,
) -> i32
where
    Fut: Future<Output = Result<String, sdk::Error>> + Send + 'static,
{
    guard(DgaErrorKind::DGA_INTERNAL as i32, || {
        // SAFETY: NULL or live, by the caller's contract; the call keeps its own clone.
        let prepared = unsafe { client_ref(client) }.and_then(|c| prepare(c.as_async().clone()));
        let (refs, work) = match prepared {
            Ok(prepared) if cb.is_some() => prepared,
            not_started => {
                let e = not_started.err();
                let e = e.unwrap_or_else(|| invalid("cb is NULL".to_owned()));
                let message = e.message.to_string_lossy();
                log::warn!(target: sdk::logs::TARGET, "an async call did not start: {message}");
                return e.kind;
            }
        };
        // Built first: the spawn below then cannot fail (and drop a call that must call back).
        if sdk::runtime::handle().is_err() {
            return DgaErrorKind::DGA_INTERNAL as i32;
        }
        install_hooks();
        // SAFETY: NULL or live, by the caller's contract; the call keeps its own receiver.
        let cancel = unsafe { cancel.as_ref() }.map(|c| c.cancelled.subscribe());
        let mut completion = Completion { cb, user_data };
        let call = async move {
            let work = async move {
                let work = async { work.await.map_err(DgaError::from) };
                let Some(mut cancel) = cancel else {
                    return work.await;
                };
                // A sender freed uncancelled fails `wait_for`: that branch is then disabled.
                tokio::select! {
                    biased;
                    Ok(_) = cancel.wait_for(|c| *c) => Err(cancelled(refs)),
                    r = work => r,
                }
            };
            let r = AssertUnwindSafe(work).catch_unwind().await;
            r.unwrap_or_else(|panic| Err(internal(panic)))
        };
        // From `finish`, once the call has left the runtime; dropped, `Completion` calls back.
        let _detached = sdk::runtime::spawn_then(call, move |got| {
            if let Ok(result) = got {
                completion.fire(result);
            }
        });
        DgaErrorKind::DGA_OK as i32
    })
}

// ---------------------------------------------------------------------------------------------
// The calls (see `DgaCallback` for what they share)

/// `dga_create_payment`, completing through `cb` (a bad field: DGA_VALIDATION through `cb`).
/// Cancelled, `cb` gets DGA_CANCELLED at once, as `dga_cancel` says.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_create_payment_async(
    client: *const DgaClient,
    request_json: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, cancel, cb, user_data, |client| {
        // Read now, so a cancelled create's log names its references; a bad request fails
        // through `cb`.
        // SAFETY: forwarded from the caller (in every function below too).
        let request = unsafe { json_arg(request_json, "request_json")? };
        let request = sdk::CreatePayment::from_json(&request);
        let refs = (request.as_ref().ok())
            .map(|r| (r.request_reference1.clone(), r.request_reference2.clone()));
        Ok((refs, async move {
            Ok(client.create_payment(&request?).await?.to_json_text())
        }))
    })
}

/// `dga_status`, completing through `cb`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_status_async(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, cancel, cb, user_data, |client| {
        let (r1, r2) = unsafe { refs(reference1, reference2)? };
        Ok((None, async move {
            client.status(&r1, &r2).await.map(|s| s.to_json_text())
        }))
    })
}

/// `dga_close`, completing through `cb`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_close_async(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, cancel, cb, user_data, |client| {
        let r = unsafe { refs(reference1, reference2)? };
        Ok((Some(r.clone()), async move {
            client.close(&r.0, &r.1).await.map(|c| c.to_json_text())
        }))
    })
}

/// `dga_void`, completing through `cb`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_void_async(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    payment_reference: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, cancel, cb, user_data, |client| {
        let r = unsafe { refs(reference1, reference2)? };
        let pr = unsafe { text(payment_reference, "payment_reference")? }.to_owned();
        Ok((Some(r.clone()), async move {
            client.void(&r.0, &r.1, &pr).await.map(|c| c.to_json_text())
        }))
    })
}

/// `dga_verify_callback`, completing through `cb` (a bad field: DGA_VALIDATION through `cb`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_verify_callback_async(
    client: *const DgaClient,
    callback_json: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, cancel, cb, user_data, |client| {
        let callback = unsafe { json_arg(callback_json, "callback_json")? };
        Ok((None, async move {
            let callback = sdk::PaymentStatus::from_json(&callback)?;
            Ok(client.verify_callback(&callback).await?.to_json_text())
        }))
    })
}

/// `dga_receive_callback`, completing through `cb` (a bad body: DGA_CALLBACK through `cb`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_receive_callback_async(
    client: *const DgaClient,
    body: *const u8,
    len: usize,
    verify: bool,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(client, cancel, cb, user_data, |client| {
        let body = unsafe { bytes(body, len, "body")? }.to_vec();
        Ok((None, async move {
            Ok(client.receive_callback(&body, verify).await?.to_json_text())
        }))
    })
}

/// Waits up to `grace_ms` for the creates, voids and closes still running (a caller gone, an
/// async call cancelled once sent), then logs each one left as outcome unknown with its
/// references and returns how many. Done at process exit by itself
/// (`DGA_EPAYMENT_SHUTDOWN_GRACE_MS`, default 2000); a host whose teardown comes first (a .NET
/// AppDomain, a plugin unloaded) calls it while its log callback works. Cancel async calls first.
#[unsafe(no_mangle)]
pub extern "C" fn dga_drain(grace_ms: u32) -> usize {
    guard(0, || {
        sdk::runtime::drain(Some(Duration::from_millis(u64::from(grace_ms))))
    })
}
