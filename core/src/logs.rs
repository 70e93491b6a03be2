//! The SDK's log records on their way to a binding's own logging (Python `logging`, a
//! JavaScript function, a C callback, PHP's logger, `java.util.logging`).
//!
//! The core logs with the `log` crate under the target `dga_epayment`, often on a runtime
//! thread where no binding may call into its language (no GIL, no JavaScript, no PHP). A
//! binding calls [`install`] with a `wake` function: every record of the SDK's at the level set
//! ([`set_level`]) is rate-limited, queued, and `wake` is called when the queue was empty or a
//! record more severe than any waiting arrives, so the binding can [`take`] the records on a
//! thread where its language runs (or at once, when it may call from any thread, as a C
//! callback or the JVM can), or leave DEBUG records for the end of the call that made them.
//!
//! What every binding gets from here, so none writes it again:
//! - **Rate limiting**: a line repeated more than [`BURST`] times within [`WINDOW`] is held back
//!   and counted; the next time it is logged after the window, one line says how many were left
//!   out. A failing token endpoint or a callback flood must not flood the agency's log.
//! - **A bounded queue**: at most [`set_capacity`] records (default 10,000) wait; beyond that
//!   the oldest are dropped, and the next [`take`] begins with a WARNING saying how many.
//! - **Fork safety**: the queue belongs to one process (a forked child starts empty and never
//!   takes a lock its parent's threads may have held).
//!
//! Why the WARNINGs matter: docs/architecture.md#cancellation-and-outcome-unknown.

use crate::runtime::PerProcess;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The `log` target of the SDK's records (and the prefix of its modules' targets).
pub const TARGET: &str = "dga_epayment";
/// Identical lines passed per [`WINDOW`] before the rest are counted instead.
pub const BURST: u32 = 5;
/// The rate limit's window.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Distinct lines tracked for the rate limit (the table is cleared when full).
const TRACKED: usize = 1024;
const DEFAULT_CAPACITY: usize = 10_000;

/// One log record of the SDK's: never holds a secret or a token (the core's messages don't).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its severity.
    pub level: log::Level,
    /// `dga_epayment`, or a module's target below it (`dga_epayment::verify`).
    pub target: String,
    /// One line of text.
    pub message: String,
}

/// The line a binding writes to stderr when its language can no longer take records (the
/// process is exiting): `WARN dga_epayment: message`, the same in every binding.
impl std::fmt::Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.level, self.target, self.message)
    }
}

#[derive(Default)]
struct Queue {
    records: VecDeque<Record>,
    /// The most severe level waiting (`log::Level` orders Error first).
    most_severe: Option<log::Level>,
    /// Set by [`wake_waiters`], cleared by the [`wait`] it ends (so no wake-up is lost).
    signalled: bool,
    dropped: u64,
    /// Per distinct line: its window's start and how often it came in that window.
    seen: BTreeMap<String, (Instant, u32)>,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

static SHARED: PerProcess<Shared> = PerProcess::new();
static CAPACITY: AtomicUsize = AtomicUsize::new(DEFAULT_CAPACITY);
static WAKE: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| Shared {
        queue: Mutex::new(Queue::default()),
        ready: Condvar::new(),
    })
}

fn queue() -> MutexGuard<'static, Queue> {
    shared().queue.lock().unwrap_or_else(|e| e.into_inner())
}

struct Sink;

impl log::Log for Sink {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        is_ours(metadata.target()) && metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            // A logger must not unwind into the code that logged.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                push(record.level(), record.target(), record.args().to_string())
            }));
        }
    }

    fn flush(&self) {}
}

fn is_ours(target: &str) -> bool {
    target == TARGET || target.starts_with("dga_epayment::")
}

fn push(level: log::Level, target: &str, message: String) {
    let wake = {
        let mut q = queue();
        let now = Instant::now();
        if q.seen.len() >= TRACKED && !q.seen.contains_key(&message) {
            q.seen.clear();
        }
        let entry = q.seen.entry(message.clone()).or_insert((now, 0));
        let mut out = Vec::with_capacity(2);
        if now.duration_since(entry.0) >= WINDOW {
            if entry.1 > BURST {
                let left_out = entry.1 - BURST;
                out.push(format!(
                    "{left_out} more of this line in {} s were not logged: {message}",
                    WINDOW.as_secs()
                ));
            }
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 <= BURST {
            out.push(message);
        }
        if out.is_empty() {
            return;
        }
        let wake = q.most_severe.is_none_or(|m| level < m);
        if wake {
            q.most_severe = Some(level);
        }
        let capacity = CAPACITY.load(Ordering::Relaxed);
        for message in out {
            if q.records.len() >= capacity {
                if q.records.pop_front().is_none() {
                    q.dropped += 1;
                    continue;
                }
                q.dropped += 1;
            }
            q.records.push_back(Record {
                level,
                target: target.to_owned(),
                message,
            });
        }
        wake && !q.records.is_empty()
    };
    if wake {
        let wake = WAKE.load(Ordering::Acquire);
        if !wake.is_null() {
            // SAFETY: only ever a `fn(log::Level)` stored by `install`.
            let wake: fn(log::Level) =
                unsafe { std::mem::transmute::<*mut (), fn(log::Level)>(wake) };
            wake(level);
        }
    }
}

/// Makes the SDK's records reach this binding: installs the process's `log` logger (once; when
/// another Rust library already set one, that logger receives the records instead and this
/// returns false) and sets the function called, on the thread that logged and outside any lock,
/// with the record's level, whenever a record arrives in a queue that was empty or holds only
/// less severe ones (so a binding may leave DEBUG records for later yet hear of a WARNING at
/// once). `wake` must be quick and must not log; [`wake_waiters`] wakes threads in [`wait`].
pub fn install(wake: fn(log::Level)) -> bool {
    WAKE.store(wake as *mut (), Ordering::Release);
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let ok = log::set_logger(&Sink).is_ok();
        if ok {
            log::set_max_level(log::LevelFilter::Info);
        }
        ok
    })
}

/// The least severe level queued (default INFO). Process-wide (it is the `log` crate's).
pub fn set_level(level: log::LevelFilter) {
    log::set_max_level(level);
}

/// At most `capacity` records wait (0: none are kept); the oldest are dropped beyond that.
pub fn set_capacity(capacity: usize) {
    CAPACITY.store(capacity, Ordering::Relaxed);
    let mut q = queue();
    while q.records.len() > capacity {
        q.records.pop_front();
        q.dropped += 1;
    }
}

/// The records waiting, oldest first; when some were dropped, a first WARNING says how many.
pub fn take() -> Vec<Record> {
    let mut q = queue();
    q.most_severe = None;
    let dropped = std::mem::take(&mut q.dropped);
    let mut out = Vec::with_capacity(q.records.len() + 1);
    if dropped > 0 {
        out.push(Record {
            level: log::Level::Warn,
            target: TARGET.to_owned(),
            message: format!("{dropped} log records of the SDK were dropped (the queue was full)"),
        });
    }
    out.extend(q.records.drain(..));
    out
}

/// Waits until [`wake_waiters`] is called (or was, since the last wait) or `timeout` passes;
/// true when records wait. For a binding's thread that delivers them.
pub fn wait(timeout: Duration) -> bool {
    let s = shared();
    let q = s.queue.lock().unwrap_or_else(|e| e.into_inner());
    let (mut q, _) = s
        .ready
        .wait_timeout_while(q, timeout, |q| !q.signalled)
        .unwrap_or_else(|e| e.into_inner());
    q.signalled = false;
    !q.records.is_empty()
}

/// Wakes the threads in [`wait`] (records to deliver, or a binding stopping its thread).
pub fn wake_waiters() {
    queue().signalled = true;
    shared().ready.notify_all();
}

/// A rate limit for a WARNING whose every instance differs (other references, other bodies),
/// so the log's own limit on identical lines cannot fold them: at most one line a `period`,
/// which says how many were left out since. A `Mutex`, not atomics: it is taken only on the
/// rare paths that warn.
pub(crate) struct Every {
    period: std::time::Duration,
    /// When a line was last allowed, and how many were refused since.
    last: std::sync::Mutex<(Option<std::time::Instant>, u64)>,
}

impl Every {
    pub(crate) const fn new(period: std::time::Duration) -> Self {
        Every {
            period,
            last: std::sync::Mutex::new((None, 0)),
        }
    }
}

/// One line a second.
impl Default for Every {
    fn default() -> Self {
        Every::new(std::time::Duration::from_secs(1))
    }
}

impl Every {
    /// `Some(" (N more like it not logged)")` (empty when none were) when a line may be logged
    /// now; `None` when it is one of those left out.
    pub(crate) fn allow(&self) -> Option<String> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if last.0.is_some_and(|t| now.duration_since(t) < self.period) {
            last.1 += 1;
            return None;
        }
        let skipped = std::mem::replace(&mut *last, (Some(now), 0)).1;
        Some(match skipped {
            0 => String::new(),
            n => format!(" ({n} more like it not logged)"),
        })
    }
}

/// The level as the `log` crate orders it: 1 error … 5 trace (the C ABI's DgaLogLevel).
pub fn level_number(level: log::Level) -> i32 {
    level as i32
}

/// The filter for a level number (≤ 0: off; 1 error … 5 and above: trace).
pub fn level_filter(level: i32) -> log::LevelFilter {
    match level {
        i32::MIN..=0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Error,
        2 => log::LevelFilter::Warn,
        3 => log::LevelFilter::Info,
        4 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line that differs every time: the first allowed, those within the period left out
    /// and counted in the next one allowed.
    #[test]
    fn every_allows_one_a_period_and_counts_the_rest() {
        let every = Every::new(std::time::Duration::from_millis(200));
        assert_eq!(every.allow().as_deref(), Some(""));
        assert_eq!((every.allow(), every.allow()), (None, None));
        std::thread::sleep(std::time::Duration::from_millis(210));
        assert_eq!(
            every.allow().as_deref(),
            Some(" (2 more like it not logged)")
        );
        assert_eq!(every.allow(), None);
    }

    // One test: the queue and the limit are process-wide.
    #[test]
    fn lines_are_rate_limited_queued_and_bounded() {
        let _ = take();
        for _ in 0..(BURST + 7) {
            push(log::Level::Warn, TARGET, "same line".into());
        }
        push(log::Level::Info, "dga_epayment::verify", "other".into());
        let got = take();
        assert_eq!(got.len(), BURST as usize + 1, "{got:?}");
        assert!(
            got.iter()
                .all(|r| r.message == "same line" || r.message == "other")
        );
        assert!(take().is_empty());

        set_capacity(3);
        for i in 0..5 {
            push(log::Level::Warn, TARGET, format!("line {i}"));
        }
        let got = take();
        assert_eq!(got[0].level, log::Level::Warn);
        assert!(got[0].message.starts_with("2 log records"), "{got:?}");
        assert_eq!(got[1].message, "line 2");
        assert_eq!(got.len(), 4);
        set_capacity(DEFAULT_CAPACITY);
        assert!(!wait(Duration::from_millis(10)));
        push(log::Level::Debug, TARGET, "waits".into());
        wake_waiters();
        assert!(
            wait(Duration::from_secs(5)),
            "a wake-up before the wait is not lost"
        );
        assert_eq!(take().len(), 1);
        assert!(is_ours("dga_epayment::client") && !is_ours("dga_epayment_other"));
    }

    #[test]
    fn a_record_reads_as_one_stderr_line() {
        let r = Record {
            level: log::Level::Warn,
            target: TARGET.into(),
            message: "create finished after its caller went away".into(),
        };
        let line = "WARN dga_epayment: create finished after its caller went away";
        assert_eq!(r.to_string(), line);
    }
}
