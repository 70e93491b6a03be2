//! A completion queue, for hosts whose runtime must not be entered from the library's threads:
//! Mono counts a foreign thread that once called into managed code as one of its own and waits
//! for it at exit, forever (the library's runtime threads never end). Such a host (the .NET
//! binding) takes its completions, and its log, on a thread of its own.

use super::DgaError;
use super::async_calls::DgaCallback;
use sdk::runtime::PerProcess;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// One completion: the callback's arguments, handed over whole to whoever takes it.
pub(crate) struct Entry(*mut c_void, i32, *mut c_char, *mut DgaError);
// SAFETY: the pointers are only handed over, never read here.
unsafe impl Send for Entry {}

/// The queue, its condition and the threads waiting in `dga_completion_next` (changed and read
/// under the queue's lock). One per process: a forked child starts with an empty queue, never
/// with its parent's lock (which a runtime thread may have held at the fork) nor its parent's
/// completions.
#[derive(Default)]
pub(crate) struct Queue {
    pub(crate) entries: Mutex<VecDeque<Entry>>,
    ready: Condvar,
    waiting: AtomicUsize,
}

static QUEUE: PerProcess<Queue> = PerProcess::new();
pub(crate) static LOG_TO_QUEUE: AtomicBool = AtomicBool::new(false);

pub(crate) fn queue() -> &'static Queue {
    QUEUE.get_or_init(Queue::default)
}

pub(crate) extern "C" fn push(
    user_data: *mut c_void,
    kind: i32,
    json: *mut c_char,
    err: *mut DgaError,
) {
    let queue = queue();
    let mut q = queue.entries.lock().unwrap_or_else(|e| e.into_inner());
    q.push_back(Entry(user_data, kind, json, err));
    // Only a waiting thread needs waking (a busy one takes this entry next), and after the lock
    // is released: woken before, it finds the lock still held and sleeps again.
    let wake = queue.waiting.load(Ordering::Relaxed) > 0;
    drop(q);
    if wake {
        queue.ready.notify_one();
    }
}

/// The `DgaCallback` that queues each completion for `dga_completion_next` instead of running
/// anything on the library's thread.
#[unsafe(no_mangle)]
pub extern "C" fn dga_completion_queue_callback() -> DgaCallback {
    Some(push)
}

/// Takes the next queued completion, waiting up to `timeout_ms` for one: true with the
/// callback's arguments in the out-parameters (the caller owns `*out_json` and `*out_err`), or
/// false when none came in time. A log record (`dga_log_to_queue`) comes with `*out_user_data`
/// NULL, `*out_kind` its DgaLogLevel and `*out_json` `{"level", "target", "message"}`. Any
/// number of threads may wait. Every out-parameter must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_completion_next(
    timeout_ms: u32,
    out_user_data: *mut *mut c_void,
    out_kind: *mut i32,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> bool {
    super::guard(false, || {
        let queue = queue();
        let q = queue.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = Duration::from_millis(u64::from(timeout_ms));
        queue.waiting.fetch_add(1, Ordering::Relaxed);
        let (mut q, _) = queue
            .ready
            .wait_timeout_while(q, wait, |q| q.is_empty())
            .unwrap_or_else(|e| e.into_inner());
        queue.waiting.fetch_sub(1, Ordering::Relaxed);
        let Some(Entry(user_data, kind, json, err)) = q.pop_front() else {
            return false;
        };
        // SAFETY: writable, by the caller's contract.
        unsafe { (*out_user_data, *out_kind, *out_json, *out_err) = (user_data, kind, json, err) };
        true
    })
}

/// Sends the SDK's log records to the completion queue too (see `dga_completion_next`) when
/// `on`. Process-wide.
#[unsafe(no_mangle)]
pub extern "C" fn dga_log_to_queue(on: bool) {
    super::guard((), || {
        LOG_TO_QUEUE.store(on, Ordering::SeqCst);
        super::logging::install_now();
    })
}
