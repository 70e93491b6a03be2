//! The async calls: each returns at once and completes through a callback on one of the
//! core's runtime threads, so a host with an event loop of its own (.NET's `Task`s, a C event
//! loop) holds no thread per call in flight (docs/architecture.md#the-async-core).
//!
//! What the callback contract rests on:
//! - A [`Completion`] owns the callback and fires it exactly once: with the result, the error,
//!   a cancellation, a caught panic (`DGA_INTERNAL`), or, if its task were ever dropped
//!   unfinished, from its `Drop`.
//! - The arguments are copied and checked before the function returns; a call that cannot
//!   start returns its error kind and its `Completion` is never built, so it never calls back.
//! - The call holds its own clone of the client (an `Arc`): freeing the `DgaClient` never
//!   cancels it.
//! - Once the process is exiting (the library's `atexit` hook has run), no callback is made:
//!   the host may be tearing down what the callback would touch. Callbacks already running
//!   get a short time to return first.

use super::{
    DgaClient, DgaError, DgaErrorKind, Failure, bytes, c_string, client_ref, json_arg,
    panic_message, text,
};
use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The completion callback of the `dga_*_async` calls. Called exactly once per started call,
/// on one of the library's runtime threads (possibly before the starting function returns):
/// `kind` is DGA_OK with `out_json` the result and `err` NULL, or the failing DgaErrorKind with
/// `out_json` NULL and `err` the error. The callback owns both: free `out_json` with
/// `dga_string_free` and `err` with `dga_error_free`. It may start other calls (async or
/// blocking: a blocking call made here does not deadlock the runtime, though it holds one of
/// its threads meanwhile, so prefer the async calls), must return promptly, and must not
/// unwind (a C++ exception or longjmp out of it ends the process).
pub type DgaCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        kind: i32,
        out_json: *mut c_char,
        err: *mut DgaError,
    ),
>;

/// A cancellation source for async calls. Opaque. Created by `dga_cancel_new`, freed by
/// `dga_cancel_free` (which may be done while calls using it are in flight: each holds its
/// own reference). One DgaCancel may be passed to any number of calls; `dga_cancel` ends all
/// of them that have not completed yet, with DGA_CANCELLED.
pub struct DgaCancel {
    state: Arc<CancelState>,
}

#[derive(Default)]
struct CancelState {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelState {
    async fn cancelled(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.cancelled.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// Creates a cancellation source. The caller frees it with `dga_cancel_free`. NULL only if
/// memory ran out.
#[unsafe(no_mangle)]
pub extern "C" fn dga_cancel_new() -> *mut DgaCancel {
    super::guard(ptr::null_mut(), || {
        Box::into_raw(Box::new(DgaCancel {
            state: Arc::default(),
        }))
    })
}

/// Cancels every call started with `cancel` that has not completed: each one's callback gets
/// DGA_CANCELLED (once, as always; a call that already completed is not called again). A
/// status or callback verification is stopped. A create, void or close stops being waited
/// for but is not abandoned: one not yet sent is never sent; one already sent runs to its end
/// at DGA and its outcome is logged at WARNING with its references (check `dga_status`).
/// Idempotent and thread-safe; callable from a callback. NULL is a no-op.
///
/// # Safety
/// `cancel` is NULL or from `dga_cancel_new`, not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_cancel(cancel: *mut DgaCancel) {
    super::guard((), || {
        // SAFETY: NULL or live, by the caller's contract.
        if let Some(c) = unsafe { cancel.as_ref() } {
            c.state.cancelled.store(true, Ordering::SeqCst);
            c.state.notify.notify_waiters();
        }
    })
}

/// Frees a cancellation source. NULL is a no-op. Calls started with it keep their own
/// reference (they can still be cancelled by nobody, and complete normally).
///
/// # Safety
/// `cancel` is NULL or from `dga_cancel_new`, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_cancel_free(cancel: *mut DgaCancel) {
    if !cancel.is_null() {
        // SAFETY: made by `Box::into_raw` in `dga_cancel_new`, by the caller's contract.
        super::guard((), || drop(unsafe { Box::from_raw(cancel) }));
    }
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

extern "C" fn after_fork_in_child() {
    // The parent's threads running callbacks do not exist in the child.
    RUNNING.store(0, Ordering::SeqCst);
}

/// Registered after the core's runtime exists, so that (atexit runs hooks in reverse) the
/// process is marked exiting before the core's own exit hook waits for creates in flight.
fn install_hooks() {
    HOOKS.call_once(|| {
        // SAFETY: plain functions touching only atomics and a thread-local.
        unsafe {
            libc::atexit(at_exit);
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

/// The caller's pointer, handed back to its callback on a runtime thread (the contract says
/// so; the library never reads it).
struct UserData(*mut c_void);
// SAFETY: never dereferenced by the library; only passed back to the caller's callback.
unsafe impl Send for UserData {}

type RawCallback = unsafe extern "C" fn(
    user_data: *mut c_void,
    kind: i32,
    out_json: *mut c_char,
    err: *mut DgaError,
);

/// One started call's callback, fired exactly once.
struct Completion {
    cb: RawCallback,
    user_data: UserData,
    done: bool,
}

impl Completion {
    fn finish(mut self, result: Result<String, DgaError>) {
        self.fire(result);
    }

    fn fire(&mut self, result: Result<String, DgaError>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let (kind, json, err) = match result {
            Ok(text) => (
                DgaErrorKind::DGA_OK as i32,
                c_string(text).into_raw(),
                ptr::null_mut(),
            ),
            Err(e) => (e.kind, ptr::null_mut(), Box::into_raw(Box::new(e))),
        };
        RUNNING.fetch_add(1, Ordering::SeqCst);
        if EXITING.load(Ordering::SeqCst) {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            // SAFETY: both made just above, never handed out.
            unsafe {
                super::dga_string_free(json);
                super::dga_error_free(err);
            }
            return;
        }
        let was = IN_CALLBACK.with(|c| c.replace(true));
        // SAFETY: the caller's callback, with the pointer it gave and values it now owns.
        unsafe { (self.cb)(self.user_data.0, kind, json, err) };
        IN_CALLBACK.with(|c| c.set(was));
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if !self.done {
            let e = DgaError::binding(
                DgaErrorKind::DGA_INTERNAL,
                "internal error in dga_epayment (please report it): the call ended without a \
                 result"
                    .to_owned(),
            );
            let _ = catch_unwind(AssertUnwindSafe(|| self.fire(Err(e))));
        }
    }
}

/// A future whose panics become an `Err` with the panic's message.
struct CatchUnwind<F>(F);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the only field; it is never moved out.
        let inner = unsafe { self.map_unchecked_mut(|s| &mut s.0) };
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic_message(&*panic))),
        }
    }
}

/// What a cancelled call's callback gets: for a create, void or close, its references too.
fn cancelled(refs: Option<&(String, String)>) -> DgaError {
    let Some((r1, r2)) = refs else {
        return DgaError::binding(
            DgaErrorKind::DGA_CANCELLED,
            "cancelled by its DgaCancel".to_owned(),
        );
    };
    let message = format!(
        "cancelled by its DgaCancel: if the request was already sent it runs to its end at DGA \
         and its outcome is logged; check the status of reference1={r1} reference2={r2}"
    );
    let json = serde_json::json!({
        "kind": "cancelled",
        "message": message,
        "reference1": r1,
        "reference2": r2,
    });
    DgaError::new(DgaErrorKind::DGA_CANCELLED as i32, message, json, None)
}

/// The references of a create, void or close (a cancelled one's error names them).
type Refs = Option<(String, String)>;

/// Starts a call: checks `cb`, runs `prepare` (which copies and checks the arguments and
/// returns the call's future), then spawns the future on the core's runtime. Returns DGA_OK
/// when started (the callback then fires exactly once) or the kind of the argument error (it
/// never fires).
fn start<Fut>(
    cb: DgaCallback,
    user_data: *mut c_void,
    cancel: *const DgaCancel,
    prepare: impl FnOnce() -> Result<(Refs, Fut), Failure>,
) -> i32
where
    Fut: Future<Output = Result<String, Failure>> + Send + 'static,
{
    let started = catch_unwind(AssertUnwindSafe(|| {
        let Some(cb) = cb else {
            return DgaErrorKind::DGA_INVALID_ARGUMENT as i32;
        };
        let (refs, work) = match prepare() {
            Ok(prepared) => prepared,
            Err(Failure::InvalidArgument(_)) => return DgaErrorKind::DGA_INVALID_ARGUMENT as i32,
            Err(Failure::Sdk(e)) => return e.kind().number(),
        };
        let Ok(runtime) = sdk::runtime::handle() else {
            return DgaErrorKind::DGA_INTERNAL as i32;
        };
        install_hooks();
        // SAFETY: NULL or live, by the caller's contract; the call keeps its own reference.
        let cancel = unsafe { cancel.as_ref() }.map(|c| c.state.clone());
        let completion = Completion {
            cb,
            user_data: UserData(user_data),
            done: false,
        };
        runtime.spawn(async move {
            let outcome = CatchUnwind(async move {
                match cancel {
                    Some(cancel) => tokio::select! {
                        biased;
                        () = cancel.cancelled() => Err(cancelled(refs.as_ref())),
                        r = work => r.map_err(DgaError::from_failure),
                    },
                    None => work.await.map_err(DgaError::from_failure),
                }
            })
            .await;
            let result = outcome.unwrap_or_else(|message| {
                Err(DgaError::binding(DgaErrorKind::DGA_INTERNAL, message))
            });
            completion.finish(result);
        });
        DgaErrorKind::DGA_OK as i32
    }));
    started.unwrap_or(DgaErrorKind::DGA_INTERNAL as i32)
}

/// The async client of a `DgaClient` (a clone: the call keeps the client's state alive).
///
/// # Safety
/// As [`client_ref`].
unsafe fn async_client(c: *const DgaClient) -> Result<sdk::Client, Failure> {
    // SAFETY: forwarded from the caller.
    Ok(unsafe { client_ref(c)? }.as_async().clone())
}

fn owned(s: &str) -> String {
    s.to_owned()
}

// ---------------------------------------------------------------------------------------------
// The calls

/// `dga_create_payment`, completing through `cb` (see `DgaCallback`): on success `out_json` is
/// the payment. Returns DGA_OK when started, then `cb` is called exactly once while the process
/// lives; or, without calling `cb`, DGA_INVALID_ARGUMENT when `client`, `request_json` or `cb`
/// is NULL or `request_json` is not UTF-8 JSON (a bad field is a DGA_VALIDATION error through
/// `cb`). `cancel` may be NULL. Every argument is copied before the function returns.
///
/// Cancelling (`dga_cancel`) a create not yet sent means it is never sent; once sent, it runs
/// to its end at DGA and its outcome is logged at WARNING with its references, and `cb` gets
/// DGA_CANCELLED at once: check `dga_status` before creating it again. Freeing the client does
/// not cancel the call.
///
/// # Safety
/// `client` is NULL or live; `request_json` is NULL or NUL-terminated; `cancel` is NULL or
/// live (it may be freed right after this returns); `cb` is NULL or a function as
/// `DgaCallback` says; `user_data` is passed to `cb` untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_create_payment_async(
    client: *const DgaClient,
    request_json: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(cb, user_data, cancel, || {
        // SAFETY: forwarded from the caller (this and the argument readers below).
        let client = unsafe { async_client(client)? };
        let request = unsafe { json_arg(request_json, "request_json")? };
        // Read now, so a cancelled create's log names its references; a bad request fails
        // through `cb`.
        let request = sdk::CreatePayment::from_json(&request);
        let refs = request.as_ref().map_or_else(
            |_| (String::new(), String::new()),
            |r| (r.request_reference1.clone(), r.request_reference2.clone()),
        );
        Ok((Some(refs), async move {
            Ok(client
                .create_payment(&request?)
                .await?
                .to_json()
                .to_string())
        }))
    })
}

/// `dga_status`, completing through `cb`: on success `out_json` is the normalized status.
/// Cancelling it stops it (no result is waited for). Returns as `dga_create_payment_async`.
///
/// # Safety
/// As `dga_create_payment_async`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_status_async(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(cb, user_data, cancel, || {
        let client = unsafe { async_client(client)? };
        let (r1, r2) = unsafe {
            (
                owned(text(reference1, "reference1")?),
                owned(text(reference2, "reference2")?),
            )
        };
        Ok((None, async move {
            Ok(client.status(&r1, &r2).await?.to_json().to_string())
        }))
    })
}

/// `dga_close`, completing through `cb`: on success `out_json` is the confirmation.
/// Cancelling it acts as for a create (never sent if not yet sent; otherwise it runs to its
/// end and its outcome is logged). Returns as `dga_create_payment_async`.
///
/// # Safety
/// As `dga_create_payment_async`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_close_async(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(cb, user_data, cancel, || {
        let client = unsafe { async_client(client)? };
        let (r1, r2) = unsafe {
            (
                owned(text(reference1, "reference1")?),
                owned(text(reference2, "reference2")?),
            )
        };
        let refs = (owned(r1.trim()), owned(r2.trim()));
        Ok((Some(refs), async move {
            Ok(client.close(&r1, &r2).await?.to_json().to_string())
        }))
    })
}

/// `dga_void`, completing through `cb`: on success `out_json` is the confirmation.
/// DGA_OUTCOME_UNKNOWN means the void may have happened: check `dga_status`. Cancelling it
/// acts as for a create. Returns as `dga_create_payment_async`.
///
/// # Safety
/// As `dga_create_payment_async`.
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
    start(cb, user_data, cancel, || {
        let client = unsafe { async_client(client)? };
        let (r1, r2, pr) = unsafe {
            (
                owned(text(reference1, "reference1")?),
                owned(text(reference2, "reference2")?),
                owned(text(payment_reference, "payment_reference")?),
            )
        };
        let refs = (owned(r1.trim()), owned(r2.trim()));
        Ok((Some(refs), async move {
            Ok(client.void(&r1, &r2, &pr).await?.to_json().to_string())
        }))
    })
}

/// `dga_verify_callback`, completing through `cb`: on success `out_json` is DGA's own status;
/// a disagreement is DGA_VERIFICATION. Cancelling it stops it. Returns as
/// `dga_create_payment_async` (`callback_json` must be UTF-8 JSON; a bad field is a
/// DGA_VALIDATION error through `cb`).
///
/// # Safety
/// As `dga_create_payment_async`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_verify_callback_async(
    client: *const DgaClient,
    callback_json: *const c_char,
    cancel: *const DgaCancel,
    cb: DgaCallback,
    user_data: *mut c_void,
) -> i32 {
    start(cb, user_data, cancel, || {
        let client = unsafe { async_client(client)? };
        let callback = unsafe { json_arg(callback_json, "callback_json")? };
        Ok((None, async move {
            let callback = sdk::PaymentStatus::from_json(&callback)?;
            Ok(client
                .verify_callback(&callback)
                .await?
                .to_json()
                .to_string())
        }))
    })
}

/// `dga_receive_callback`, completing through `cb`: reads DGA's raw callback body (`len`
/// bytes, copied before this returns) and, when `verify` is true, decides it by DGA's own
/// status. On success `out_json` is the normalized status (DGA's own when verified); answer
/// DGA with `dga_callback_reply_accepted` or `dga_callback_reply_for_error` with `err`.
/// Cancelling it stops it. Returns as `dga_create_payment_async` (DGA_INVALID_ARGUMENT for a
/// NULL `body`; a bad body is a DGA_CALLBACK error through `cb`).
///
/// # Safety
/// `body` is NULL or points to `len` readable bytes; the rest as `dga_create_payment_async`.
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
    start(cb, user_data, cancel, || {
        let client = unsafe { async_client(client)? };
        let body = unsafe { bytes(body, len, "body")? }.to_vec();
        Ok((None, async move {
            Ok(client
                .receive_callback(&body, verify)
                .await?
                .to_json()
                .to_string())
        }))
    })
}

/// Waits up to `grace_ms` for the creates, voids and closes still running in this process (a
/// caller that went away, an async call cancelled after it was sent), then logs each one left
/// as outcome unknown with its references (once). Returns how many were left. The library does
/// this by itself at process exit (with `DGA_EPAYMENT_SHUTDOWN_GRACE_MS`, default 2000); a host
/// whose own teardown comes first (a .NET AppDomain, a plugin being unloaded) calls it while
/// its log callback still works. Async calls in flight are not affected: cancel them first.
#[unsafe(no_mangle)]
pub extern "C" fn dga_drain(grace_ms: u32) -> usize {
    super::guard(0, || {
        sdk::runtime::drain(Some(Duration::from_millis(u64::from(grace_ms))))
    })
}
