//! The core's log records (`dga_epayment::logs`, rate-limited and queued there) for hosts
//! without Rust's `log`: a callback (`dga_set_log_callback`), the completion queue
//! (`dga_log_to_queue`), or a buffer the host drains after its calls (`dga_log_buffer`,
//! `dga_log_drain`: PHP, which has no thread to take a callback on).

use super::{c_string, guard, into_c};
use sdk::logs;
use sdk::runtime::PerProcess;
use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};

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

/// Receives one log record: `level` a DgaLogLevel, `target` "dga_epayment" or below it,
/// `message` one line of UTF-8 without secrets or tokens. Both strings are valid only during
/// the call. Called on whatever thread logged, possibly several at once and from the library's
/// exit hook (a create still running at exit is logged then); must not unwind.
pub type DgaLogCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: i32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

/// What the host set: a forked child keeps it (its callback and pointer are the child's too).
#[derive(Clone, Copy, Default)]
pub(crate) struct Settings {
    sink: DgaLogCallback,
    user_data: usize,
    /// `dga_log_buffer`'s capacity (0: not buffering).
    pub(crate) capacity: usize,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) settings: Settings,
    /// The records kept while buffering.
    buffer: VecDeque<logs::Record>,
    dropped: u64,
}

/// One per process: a forked child never takes a lock a runtime thread of its parent may have
/// held at the fork, nor drains its parent's records. It starts from `SETTINGS`.
static STATE: PerProcess<Mutex<State>> = PerProcess::new();
/// The settings as last set, for a forked child's `STATE`: replaced whole (under `STATE`'s
/// lock), so a child reads one consistent set without a lock.
static SETTINGS: AtomicPtr<Settings> = AtomicPtr::new(std::ptr::null_mut());
static LEVEL: AtomicI32 = AtomicI32::new(DgaLogLevel::DGA_LOG_INFO as i32);
/// Read-held while records go to the callback, write-held while it is replaced: once
/// `dga_set_log_callback` returns, the host may free what the previous callback used.
static DELIVERY: PerProcess<RwLock<()>> = PerProcess::new();

thread_local! {
    /// This thread is delivering: the callback may log, or replace itself, without waiting.
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
}

/// Holds `DELIVERY` (`write`: to replace), except on a thread already delivering.
fn hold<T>(lock: impl FnOnce(&'static RwLock<()>) -> T) -> Option<T> {
    (!DELIVERING.with(Cell::get)).then(|| lock(DELIVERY.get_or_init(RwLock::default)))
}

pub(crate) fn state() -> MutexGuard<'static, State> {
    let state = STATE.get_or_init(|| {
        // SAFETY: a published `Settings` is freed only after another replaced it, under the
        // lock of a `STATE` that exists only after this `init` has returned in this process.
        let settings = unsafe { SETTINGS.load(Ordering::Acquire).as_ref() };
        let settings = settings.copied().unwrap_or_default();
        Mutex::new(State {
            settings,
            ..State::default()
        })
    });
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// What `dga_set_log_callback` and `dga_log_buffer` do: `set` changes the state under `STATE`'s
/// lock, the settings are published for a forked child, then (the lock released) the hook is
/// installed.
fn change(set: impl FnOnce(&mut State)) {
    guard((), || {
        let replacing = hold(|l| l.write().unwrap_or_else(|e| e.into_inner()));
        let mut st = state();
        set(&mut st);
        let old = SETTINGS.swap(Box::into_raw(Box::new(st.settings)), Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: from `Box::into_raw`, no longer published; see `state`.
            drop(unsafe { Box::from_raw(old) });
        }
        drop((st, replacing));
        install_now();
    })
}

/// The core's queue has records: each goes to the buffer, the completion queue and the
/// callback, the callback outside the lock (it may log or set the sink itself).
fn wake(_: log::Level) {
    let _delivering = hold(|l| l.read().unwrap_or_else(|e| e.into_inner()));
    let outer = DELIVERING.with(|d| d.replace(true));
    deliver();
    DELIVERING.with(|d| d.set(outer));
}

fn deliver() {
    let records = logs::take();
    let (sink, user_data) = {
        let mut st = state();
        if st.settings.capacity > 0 {
            for r in &records {
                if st.buffer.len() >= st.settings.capacity {
                    st.buffer.pop_front();
                    st.dropped += 1;
                }
                st.buffer.push_back(r.clone());
            }
        }
        (st.settings.sink, st.settings.user_data as *mut c_void)
    };
    for r in &records {
        let level = logs::level_number(r.level);
        if crate::queue::LOG_TO_QUEUE.load(Ordering::SeqCst) {
            let json = into_c(record_json(r.level, &r.target, &r.message).to_string());
            crate::queue::push(std::ptr::null_mut(), level, json, std::ptr::null_mut());
        }
        if let Some(cb) = sink {
            let (target, message) = (c_string(r.target.clone()), c_string(r.message.clone()));
            // SAFETY: the caller's callback with its pointer; the strings outlive the call.
            unsafe { cb(user_data, level, target.as_ptr(), message.as_ptr()) };
        }
    }
}

fn record_json(level: log::Level, target: &str, message: &str) -> serde_json::Value {
    let level = logs::level_number(level);
    serde_json::json!({ "level": level, "target": target, "message": message })
}

pub(crate) fn install_now() {
    logs::install(wake);
    logs::set_level(logs::level_filter(LEVEL.load(Ordering::SeqCst)));
}

/// Sends the SDK's log records (at `dga_set_log_level`'s level or above; a line repeated more
/// than 5 times in 10 s is counted, not repeated) to `cb`, NULL stopping them. Keep the
/// WARNINGs: a create, void or close whose caller went away, with its outcome and references;
/// a callback that differs from DGA. Process-wide, replacing the previous callback: it returns
/// once the previous one is no longer running on any thread (called from within that callback,
/// at once), so its `user_data` may be freed then. Never call it holding a lock the callback
/// takes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_set_log_callback(cb: DgaLogCallback, user_data: *mut c_void) {
    change(|st| (st.settings.sink, st.settings.user_data) = (cb, user_data as usize))
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

/// Keeps the last `capacity` log records for `dga_log_drain` (0 stops keeping and drops what
/// was kept), beside any `dga_set_log_callback`. Process-wide.
#[unsafe(no_mangle)]
pub extern "C" fn dga_log_buffer(capacity: usize) {
    change(|st| {
        st.buffer = VecDeque::new();
        st.dropped = 0;
        st.settings.capacity = capacity;
    })
}

/// The records kept since the last drain, oldest first, as a JSON array of `{"level": 1..5,
/// "target", "message"}` (first, when the buffer overflowed, a WARN record saying how many were
/// lost); NULL when there are none.
#[unsafe(no_mangle)]
pub extern "C" fn dga_log_drain() -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        let mut st = state();
        let dropped = std::mem::take(&mut st.dropped);
        let records = std::mem::take(&mut st.buffer);
        drop(st);
        let json = |r: &logs::Record| record_json(r.level, &r.target, &r.message);
        let mut list: Vec<_> = records.iter().map(json).collect();
        if dropped > 0 {
            let message = format!("{dropped} log records were dropped (the buffer was full)");
            list.insert(0, record_json(log::Level::Warn, logs::TARGET, &message));
        }
        if list.is_empty() {
            return std::ptr::null_mut();
        }
        into_c(serde_json::Value::Array(list).to_string())
    })
}
