//! The core's log for hosts without Rust's `log`: a callback (`dga_set_log_callback`) or a
//! buffer the host drains after its calls (`dga_log_buffer`, `dga_log_drain`: PHP, which has
//! no thread to receive a callback on). Only the SDK's own records (target `dga_epayment`)
//! pass, rate-limited by the core (`dga_epayment::logs`: a line repeated more than 5 times in
//! 10 s is held back and counted). Why the WARNINGs matter: docs/architecture.md#cancellation-and-outcome-unknown.

use super::{c_string, guard};
use sdk::logs;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Log levels as `dga_set_log_callback`'s callback receives them (the `log` crate's order:
/// lower is more severe).
#[repr(i32)]
#[allow(dead_code)] // the C names; the values come from `log::Level`
pub enum DgaLogLevel {
    DGA_LOG_ERROR = 1,
    DGA_LOG_WARN = 2,
    DGA_LOG_INFO = 3,
    DGA_LOG_DEBUG = 4,
    DGA_LOG_TRACE = 5,
}

/// Receives one log record: `level` a DgaLogLevel, `target` the logger's name
/// ("dga_epayment" or below it), `message` one line of UTF-8 text, never containing a secret
/// or a token. Both strings belong to the library and are valid only during the call: copy
/// what you keep. Called on whatever thread logged (a caller's thread or a runtime thread),
/// possibly from several at once and from the library's exit hook (a create still running
/// at exit is logged then); it must not call back into `dga_set_log_callback`'s setter
/// expecting to stop a record already being delivered, and must not unwind.
pub type DgaLogCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: i32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

#[derive(Clone, Copy)]
struct Sink {
    cb: unsafe extern "C" fn(*mut c_void, i32, *const c_char, *const c_char),
    user_data: *mut c_void,
}
// SAFETY: the pointer is the caller's, only handed back to its callback (the contract says
// the callback may run on any thread).
unsafe impl Send for Sink {}

#[derive(Default)]
struct State {
    sink: Option<Sink>,
    /// `Some` while buffering (`dga_log_buffer`): its capacity and records.
    buffer: Option<(usize, VecDeque<logs::Record>)>,
    dropped: u64,
}

static STATE: Mutex<State> = Mutex::new(State {
    sink: None,
    buffer: None,
    dropped: 0,
});

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The core's queue has records (rate-limited already): each goes to the buffer, the
/// completion queue and the callback, the callback outside the lock (it may log or set the
/// sink itself).
fn wake(_: log::Level) {
    let records = logs::take();
    let sink = {
        let mut st = state();
        let st = &mut *st;
        if let Some((capacity, buf)) = st.buffer.as_mut() {
            for r in &records {
                if buf.len() >= *capacity {
                    buf.pop_front();
                    st.dropped += 1;
                }
                buf.push_back(r.clone());
            }
        }
        st.sink
    };
    if crate::queue::LOG_TO_QUEUE.load(Ordering::SeqCst) {
        for r in &records {
            crate::queue::push(
                std::ptr::null_mut(),
                logs::level_number(r.level),
                c_string(record_json(r).to_string()).into_raw(),
                std::ptr::null_mut(),
            );
        }
    }
    let Some(sink) = sink else { return };
    for r in records {
        let target = c_string(r.target);
        let message = c_string(r.message);
        // SAFETY: the caller's callback with its pointer; the strings outlive the call.
        unsafe {
            (sink.cb)(
                sink.user_data,
                logs::level_number(r.level),
                target.as_ptr(),
                message.as_ptr(),
            )
        };
    }
}

fn record_json(r: &logs::Record) -> serde_json::Value {
    serde_json::json!({ "level": logs::level_number(r.level), "target": r.target, "message": r.message })
}

pub(crate) fn install_now() {
    logs::install(wake);
    logs::set_level(logs::level_filter(LEVEL.load(Ordering::SeqCst)));
}

static LEVEL: AtomicI32 = AtomicI32::new(DgaLogLevel::DGA_LOG_INFO as i32);

/// Sends the SDK's log records to `cb` (NULL stops them), with `user_data` passed back to it
/// untouched; see `DgaLogCallback`. Records at `dga_set_log_level`'s level (default
/// DGA_LOG_INFO) and more severe pass; WARNING records are the ones to keep: a create, void or
/// close whose caller went away (cancelled, timed out, exited) with its outcome and
/// references, a callback whose values differ from DGA's. Process-wide; replaces the previous
/// callback (a record being delivered on another thread at that moment may still reach the
/// previous one). Without a callback the records are dropped.
///
/// # Safety
/// `cb` is NULL or a function as `DgaLogCallback` says, callable until it is replaced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_set_log_callback(cb: DgaLogCallback, user_data: *mut c_void) {
    guard((), || {
        state().sink = cb.map(|cb| Sink { cb, user_data });
        install_now();
    })
}

/// The least severe DgaLogLevel delivered (default DGA_LOG_INFO; DGA_LOG_WARN keeps only
/// what needs attention; 0 turns the log off). Process-wide.
#[unsafe(no_mangle)]
pub extern "C" fn dga_set_log_level(level: i32) {
    guard((), || {
        LEVEL.store(level, Ordering::SeqCst);
        logs::set_level(logs::level_filter(level));
    })
}

/// Keeps the last `capacity` log records in memory for `dga_log_drain` (0 stops keeping and
/// drops what was kept), for hosts that cannot take a callback on another thread (PHP drains
/// after each call). Works beside `dga_set_log_callback`. Process-wide.
#[unsafe(no_mangle)]
pub extern "C" fn dga_log_buffer(capacity: usize) {
    guard((), || {
        let mut st = state();
        st.buffer = (capacity > 0).then(|| (capacity, VecDeque::new()));
        st.dropped = 0;
        drop(st);
        install_now();
    })
}

/// The records kept since the last drain, oldest first, as a JSON array of
/// `{"level": 1..5, "target": "...", "message": "..."}` (plus, when the buffer overflowed, a
/// first WARN record saying how many were lost); NULL when there are none. The caller frees it
/// with `dga_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn dga_log_drain() -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        let (records, dropped) = {
            let mut guard = state();
            let st = &mut *guard;
            let Some((_, buf)) = st.buffer.as_mut() else {
                return std::ptr::null_mut();
            };
            (std::mem::take(buf), std::mem::take(&mut st.dropped))
        };
        if records.is_empty() && dropped == 0 {
            return std::ptr::null_mut();
        }
        let mut list = Vec::with_capacity(records.len() + 1);
        if dropped > 0 {
            list.push(serde_json::json!({
                "level": DgaLogLevel::DGA_LOG_WARN as i32,
                "target": logs::TARGET,
                "message": format!("{dropped} log records were dropped (the buffer was full)"),
            }));
        }
        list.extend(records.iter().map(record_json));
        c_string(serde_json::Value::Array(list).to_string()).into_raw()
    })
}
