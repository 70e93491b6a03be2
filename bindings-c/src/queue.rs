//! A completion queue, for hosts whose runtime must not be entered from the library's threads.
//! Mono counts a foreign thread that once called into managed code as one of its own and
//! waits for it at exit, forever (the library's runtime threads never end). Such a host passes
//! `dga_completion_queue_callback()` as the `DgaCallback` of its async calls and takes the
//! completions on a thread of its own with `dga_completion_next`; `dga_log_to_queue` sends the
//! log there too. The .NET binding works this way.

use super::DgaError;
use super::async_calls::DgaCallback;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Entry {
    user_data: *mut c_void,
    kind: i32,
    json: *mut c_char,
    err: *mut DgaError,
}
// SAFETY: the pointers are handed over whole to whoever takes the entry.
unsafe impl Send for Entry {}

static QUEUE: Mutex<VecDeque<Entry>> = Mutex::new(VecDeque::new());
static READY: Condvar = Condvar::new();
pub(crate) static LOG_TO_QUEUE: AtomicBool = AtomicBool::new(false);

fn queue() -> MutexGuard<'static, VecDeque<Entry>> {
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn push(user_data: *mut c_void, kind: i32, json: *mut c_char, err: *mut DgaError) {
    queue().push_back(Entry {
        user_data,
        kind,
        json,
        err,
    });
    READY.notify_one();
}

unsafe extern "C" fn queue_callback(
    user_data: *mut c_void,
    kind: i32,
    out_json: *mut c_char,
    err: *mut DgaError,
) {
    push(user_data, kind, out_json, err);
}

/// The `DgaCallback` that queues each completion for `dga_completion_next` instead of running
/// anything on the library's thread.
#[unsafe(no_mangle)]
pub extern "C" fn dga_completion_queue_callback() -> DgaCallback {
    Some(queue_callback)
}

/// Takes the next queued completion, waiting up to `timeout_ms` for one. Returns true with
/// `*out_user_data`, `*out_kind`, `*out_json` and `*out_err` as the callback would have had them
/// (the caller owns `*out_json` and `*out_err`), or false when none came in time. A log record
/// (`dga_log_to_queue`) comes with `*out_user_data` NULL, `*out_kind` its DgaLogLevel and
/// `*out_json` `{"level", "target", "message"}`. Any number of threads may wait.
///
/// # Safety
/// Every out-parameter is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_completion_next(
    timeout_ms: u32,
    out_user_data: *mut *mut c_void,
    out_kind: *mut i32,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> bool {
    super::guard(false, || {
        let deadline = Instant::now() + Duration::from_millis(u64::from(timeout_ms));
        let mut q = queue();
        loop {
            if let Some(e) = q.pop_front() {
                drop(q);
                // SAFETY: writable, by the caller's contract.
                unsafe {
                    *out_user_data = e.user_data;
                    *out_kind = e.kind;
                    *out_json = e.json;
                    *out_err = e.err;
                }
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            q = READY
                .wait_timeout(q, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    })
}

/// Sends the SDK's log records to the completion queue (see `dga_completion_next`) when `on`,
/// beside any `dga_set_log_callback`. Process-wide.
#[unsafe(no_mangle)]
pub extern "C" fn dga_log_to_queue(on: bool) {
    super::guard((), || {
        LOG_TO_QUEUE.store(on, Ordering::SeqCst);
        super::logging::install_now();
    })
}
