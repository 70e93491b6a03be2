//! The core's log for hosts without Rust's `log`: a callback (`dga_set_log_callback`) or a
//! buffer the host drains after its calls (`dga_log_buffer`, `dga_log_drain`: PHP, which has
//! no thread to receive a callback on). Only the SDK's own records (target `dga_epayment`)
//! pass; a line repeated more than [`BURST`] times in [`WINDOW`] is held back and counted, and
//! the count is logged when the window ends (a failing token endpoint must not flood the
//! host's log). Why the WARNINGs matter: docs/architecture.md#cancellation-and-outcome-unknown.

use super::{c_string, guard};
use std::collections::{BTreeMap, VecDeque};
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

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

const TARGET: &str = "dga_epayment";
/// Identical lines passed per window before the rest are counted instead.
const BURST: u32 = 5;
const WINDOW: Duration = Duration::from_secs(10);
/// Distinct lines tracked for rate limiting (the table is cleared when full).
const TRACKED: usize = 1024;

#[derive(Clone, Copy)]
struct Sink {
    cb: unsafe extern "C" fn(*mut c_void, i32, *const c_char, *const c_char),
    user_data: *mut c_void,
}
// SAFETY: the pointer is the caller's, only handed back to its callback (the contract says
// the callback may run on any thread).
unsafe impl Send for Sink {}

struct Record {
    level: i32,
    target: String,
    message: String,
}

#[derive(Default)]
struct State {
    sink: Option<Sink>,
    /// `Some` while buffering (`dga_log_buffer`): its capacity and records.
    buffer: Option<(usize, VecDeque<Record>)>,
    dropped: u64,
    /// Per distinct line: its window's start and count. A B-tree, not a hash map: memcheck
    /// calls a hash table reachable only through an interior pointer "possibly lost".
    seen: BTreeMap<String, (Instant, u32)>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);
static LEVEL: AtomicI32 = AtomicI32::new(DgaLogLevel::DGA_LOG_INFO as i32);
static INSTALLED: AtomicBool = AtomicBool::new(false);

fn state() -> MutexGuard<'static, Option<State>> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        (metadata.level() as i32) <= LEVEL.load(Ordering::Relaxed)
            && (metadata.target() == TARGET || metadata.target().starts_with("dga_epayment::"))
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let _ = std::panic::catch_unwind(|| {
            deliver(Record {
                level: record.level() as i32,
                target: record.target().to_owned(),
                message: record.args().to_string(),
            })
        });
    }

    fn flush(&self) {}
}

/// Rate-limits, then buffers or calls the sink (outside the lock: the callback may log or
/// set the sink itself).
fn deliver(record: Record) {
    let mut out = Vec::with_capacity(2);
    let sink = {
        let mut guard = state();
        let Some(st) = guard.as_mut() else { return };
        let now = Instant::now();
        if st.seen.len() >= TRACKED && !st.seen.contains_key(&record.message) {
            st.seen.clear();
        }
        let entry = st.seen.entry(record.message.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            if entry.1 > BURST {
                out.push(Record {
                    level: record.level,
                    target: record.target.clone(),
                    message: format!(
                        "{} more of this line in {} s were not logged: {}",
                        entry.1 - BURST,
                        WINDOW.as_secs(),
                        record.message
                    ),
                });
            }
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 <= BURST {
            out.push(record);
        }
        if let Some((capacity, buf)) = st.buffer.as_mut() {
            for r in out.drain(..) {
                if buf.len() >= *capacity {
                    buf.pop_front();
                    st.dropped += 1;
                }
                buf.push_back(r);
            }
        }
        st.sink
    };
    if crate::queue::LOG_TO_QUEUE.load(Ordering::SeqCst) {
        for r in &out {
            let json =
                serde_json::json!({ "level": r.level, "target": r.target, "message": r.message });
            crate::queue::push(
                std::ptr::null_mut(),
                r.level,
                c_string(json.to_string()).into_raw(),
                std::ptr::null_mut(),
            );
        }
    }
    let Some(sink) = sink else { return };
    for r in out {
        let target = c_string(r.target);
        let message = c_string(r.message);
        // SAFETY: the caller's callback with its pointer; the strings outlive the call.
        unsafe { (sink.cb)(sink.user_data, r.level, target.as_ptr(), message.as_ptr()) };
    }
}

pub(crate) fn install_now() {
    state().get_or_insert_with(State::default);
    install();
}

fn install() {
    if !INSTALLED.swap(true, Ordering::SeqCst) {
        // Fails only when the process already has a `log` logger (another Rust library set
        // one): then that logger receives the records.
        let _ = log::set_boxed_logger(Box::new(Logger));
    }
    log::set_max_level(level_filter(LEVEL.load(Ordering::SeqCst)));
}

fn level_filter(level: i32) -> log::LevelFilter {
    match level {
        i32::MIN..=0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Error,
        2 => log::LevelFilter::Warn,
        3 => log::LevelFilter::Info,
        4 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    }
}

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
        state().get_or_insert_with(State::default).sink = cb.map(|cb| Sink { cb, user_data });
        install();
    })
}

/// The least severe DgaLogLevel delivered (default DGA_LOG_INFO; DGA_LOG_WARN keeps only
/// what needs attention; 0 turns the log off). Process-wide.
#[unsafe(no_mangle)]
pub extern "C" fn dga_set_log_level(level: i32) {
    guard((), || {
        LEVEL.store(level, Ordering::SeqCst);
        if INSTALLED.load(Ordering::SeqCst) {
            log::set_max_level(level_filter(level));
        }
    })
}

/// Keeps the last `capacity` log records in memory for `dga_log_drain` (0 stops keeping and
/// drops what was kept), for hosts that cannot take a callback on another thread (PHP drains
/// after each call). Works beside `dga_set_log_callback`. Process-wide.
#[unsafe(no_mangle)]
pub extern "C" fn dga_log_buffer(capacity: usize) {
    guard((), || {
        let mut guard = state();
        let st = guard.get_or_insert_with(State::default);
        st.buffer = (capacity > 0).then(|| (capacity, VecDeque::new()));
        st.dropped = 0;
        drop(guard);
        install();
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
            let Some(st) = guard.as_mut() else {
                return std::ptr::null_mut();
            };
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
                "target": TARGET,
                "message": format!("{dropped} log records were dropped (the buffer was full)"),
            }));
        }
        list.extend(records.into_iter().map(
            |r| serde_json::json!({ "level": r.level, "target": r.target, "message": r.message }),
        ));
        c_string(serde_json::Value::Array(list).to_string()).into_raw()
    })
}
