//! The process's one tokio runtime, shared by every client and every binding.
//!
//! Why it looks like this (docs/architecture.md#the-async-core, #fork-safety):
//! - Built on first use, never at load: importing a binding starts no thread.
//! - Fork-aware: gunicorn, multiprocessing and PHP-FPM fork processes that already used the SDK.
//!   `fork()` copies only the calling thread, so a child must never use (or drop) its parent's
//!   runtime, connection pool or locks. Everything per process lives in a [`PerProcess`] cell,
//!   tagged with the process id and a fork generation that a `pthread_atfork` child hook bumps
//!   (the hook only touches an atomic). A child sees a stale tag and builds its own; the
//!   parent's copy is leaked, never dropped: dropping it would deregister the parent's sockets
//!   from an epoll set the two processes share.
//! - Creates, voids and closes run as detached tasks registered here, so that at process exit
//!   they get `shutdown_grace` to finish and those still running are logged with their
//!   references (docs/architecture.md#cancellation-and-outcome-unknown).

use crate::error::Endpoint;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const LOG: &str = "dga_epayment";

/// Worker threads when neither [`set_worker_threads`] nor `DGA_EPAYMENT_THREADS` says otherwise.
pub const DEFAULT_WORKER_THREADS: usize = 2;
/// The worker threads a runtime may have: what the configuration, `DGA_EPAYMENT_THREADS` and
/// [`set_worker_threads`] accept.
pub const WORKER_THREADS: std::ops::RangeInclusive<usize> = 1..=256;
/// What creates, voids and closes still running get at process exit (see [`drain`]).
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Threads for blocking work (the system's DNS resolver): bounded, so a real hostname never
/// brings back a thread per call.
const MAX_BLOCKING_THREADS: usize = 8;

/// Bumped in a forked child (the `pthread_atfork` child hook), so per-process state built
/// before the fork reads as stale there.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static FORK_HOOK: AtomicBool = AtomicBool::new(false);
static REQUESTED_THREADS: AtomicUsize = AtomicUsize::new(0);
static SHUTDOWN_GRACE_MS: AtomicU64 = AtomicU64::new(u64::MAX);
static RUNTIME: PerProcess<Runtime> = PerProcess::new();

thread_local! {
    /// The fork generation + 1 of the runtime whose worker this thread is (0: none).
    static CORE_THREAD: Cell<u64> = const { Cell::new(0) };
    /// The last other tokio runtime seen polling on this thread, and whether calls can run on
    /// it (see [`here`]).
    static OTHER_RUNTIME: Cell<Option<(tokio::runtime::Id, bool)>> = const { Cell::new(None) };
}

/// A binding's own child hook ([`on_fork_child`]); the list only grows, and its nodes are
/// leaked, so the child hook walks it with atomic loads alone.
struct ChildHook {
    hook: fn(),
    next: *const ChildHook,
}
static CHILD_HOOKS: AtomicPtr<ChildHook> = AtomicPtr::new(std::ptr::null_mut());

fn hooks_from(head: *const ChildHook) -> impl Iterator<Item = &'static ChildHook> {
    // SAFETY: every node is leaked (never freed) and fully written before it is published.
    std::iter::successors(unsafe { head.as_ref() }, |h| unsafe { h.next.as_ref() })
}

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
    for h in hooks_from(CHILD_HOOKS.load(Ordering::SeqCst)) {
        (h.hook)();
    }
}

/// Runs `hook` in every forked child of this process, from the core's `pthread_atfork` child
/// handler, so a binding resets its own per-process marks (a pump thread, callbacks in flight:
/// the parent's threads do not exist in the child). It may only touch atomics: a lock another
/// thread held at the fork stays held. Registering the same hook again does nothing.
pub fn on_fork_child(hook: fn()) {
    install_fork_hook();
    let mut node: Option<&'static mut ChildHook> = None;
    loop {
        let head = CHILD_HOOKS.load(Ordering::SeqCst);
        // Checked from the head the exchange below expects, so no copy slips in between.
        if hooks_from(head).any(|h| std::ptr::fn_addr_eq(h.hook, hook)) {
            return;
        }
        let next = std::ptr::null();
        let n = node.get_or_insert_with(|| Box::leak(Box::new(ChildHook { hook, next })));
        n.next = head;
        let n: *mut ChildHook = &mut **n;
        if CHILD_HOOKS
            .compare_exchange(head, n, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
}

fn install_fork_hook() {
    // Checked before it is set: every call passes here, and a write would bounce the cache
    // line between threads.
    #[cfg(unix)]
    if !FORK_HOOK.load(Ordering::Acquire) && !FORK_HOOK.swap(true, Ordering::SeqCst) {
        // SAFETY: registers a handler that only increments an atomic.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    }
    #[cfg(not(unix))]
    FORK_HOOK.store(true, Ordering::SeqCst);
}

/// This process, fork-aware: `(fork generation, process id)`. An object that keeps the value
/// from when it was made tells by comparing whether it came through a `fork()`, so a forked
/// child never takes a lock of it that a parent thread (absent here) may have held.
pub fn process_tag() -> (u64, u32) {
    (FORK_GENERATION.load(Ordering::SeqCst), process_id())
}

/// The process id, without a system call on each read (a call reads it several times, and
/// `getpid` costs a few hundred nanoseconds): kept in a page the kernel zero-fills in every
/// forked child, however the fork was made (`MADV_WIPEONFORK`, Linux 4.14+), so a zero there
/// means a new process whose id is asked once. Where the page cannot be had (an older kernel,
/// another system) each read asks the kernel.
fn process_id() -> u32 {
    #[cfg(target_os = "linux")]
    if let Some(cached) = pid_page() {
        let pid = cached.load(Ordering::Relaxed);
        if pid != 0 {
            return pid;
        }
        let pid = std::process::id();
        cached.store(pid, Ordering::Relaxed);
        return pid;
    }
    std::process::id()
}

/// The wiped-on-fork page holding the process id: mapped once (a child inherits the mapping,
/// zeroed); `None` when the kernel refuses the advice.
#[cfg(target_os = "linux")]
fn pid_page() -> Option<&'static AtomicU32> {
    // Null: not tried yet; `UNSUPPORTED`: the kernel said no. No `OnceLock`: a child forked
    // while another thread was initializing one would wait for that thread forever.
    const UNSUPPORTED: *mut AtomicU32 = std::ptr::dangling_mut();
    static PAGE: AtomicPtr<AtomicU32> = AtomicPtr::new(std::ptr::null_mut());
    let page = PAGE.load(Ordering::Acquire);
    if page == UNSUPPORTED {
        return None;
    }
    if page.is_null() {
        let len = 4096;
        // SAFETY: a fresh anonymous private mapping, advised, and unmapped if refused or
        // if another thread published its own first.
        let fresh = unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                UNSUPPORTED
            } else if libc::madvise(p, len, libc::MADV_WIPEONFORK) != 0 {
                libc::munmap(p, len);
                UNSUPPORTED
            } else {
                p.cast::<AtomicU32>()
            }
        };
        return match PAGE.compare_exchange(page, fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => pid_page(),
            Err(_) => {
                if fresh != UNSUPPORTED {
                    // SAFETY: our own mapping, never published.
                    unsafe { libc::munmap(fresh.cast(), len) };
                }
                pid_page()
            }
        };
    }
    // SAFETY: the page is mapped for the life of the process (and of its children).
    Some(unsafe { &*page })
}

/// A value that belongs to one process: a forked child gets a new one on first use and leaks
/// its parent's. Built once per process (concurrent first callers wait for the builder; no
/// lock a parent thread could have held is ever taken). Public for the bindings' own
/// process-wide state (the C ABI's completion queue and log buffer): a `static Mutex` there
/// would reach a forked child locked if a runtime thread of the parent held it at the fork.
pub struct PerProcess<T> {
    current: AtomicPtr<Tagged<T>>,
    /// The pid of the process whose thread is building now (0: none). A child inherits its
    /// parent's mark, sees another pid and takes over.
    building: AtomicU32,
    /// Shared between threads as a `T` is (`AtomicPtr` alone would make any `T` `Sync`).
    _value: std::marker::PhantomData<T>,
}

struct Tagged<T> {
    generation: u64,
    pid: u32,
    value: T,
}

impl<T> Default for PerProcess<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PerProcess<T> {
    /// An empty cell (its value is built on first use in each process).
    pub const fn new() -> Self {
        PerProcess {
            current: AtomicPtr::new(std::ptr::null_mut()),
            building: AtomicU32::new(0),
            _value: std::marker::PhantomData,
        }
    }

    fn valid(&self, tag: (u64, u32)) -> Option<&T> {
        // SAFETY: a published pointer is freed only by `Drop` (in its own process); a stale
        // one (a parent's) is never freed, so the reference outlives every use.
        let t = unsafe { self.current.load(Ordering::Acquire).as_ref()? };
        (t.generation == tag.0 && t.pid == tag.1).then_some(&t.value)
    }

    /// This process's value, built by `init` on first use.
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        match self.get_or_try_init(|| Ok::<T, std::convert::Infallible>(init())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// This process's value, built by `init` on first use (an error leaves it unbuilt).
    pub fn get_or_try_init<E>(&self, init: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
        install_fork_hook();
        let tag = process_tag();
        if let Some(v) = self.valid(tag) {
            return Ok(v);
        }
        loop {
            let mark = self.building.load(Ordering::Acquire);
            if mark == tag.1 {
                // Another thread of this process is building it.
                std::thread::yield_now();
                if let Some(v) = self.valid(tag) {
                    return Ok(v);
                }
                continue;
            }
            if self
                .building
                .compare_exchange(mark, tag.1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                break;
            }
        }
        struct Release<'a>(&'a AtomicU32);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(0, Ordering::Release);
            }
        }
        let _release = Release(&self.building);
        if let Some(v) = self.valid(tag) {
            return Ok(v);
        }
        let fresh = Box::into_raw(Box::new(Tagged {
            generation: tag.0,
            pid: tag.1,
            value: init()?,
        }));
        // The previous value, if any, is a parent's: leaked on purpose (see the module doc).
        self.current.store(fresh, Ordering::Release);
        // SAFETY: just published; see `valid`.
        Ok(unsafe { &(*fresh).value })
    }

    /// This process's value, if it has been built.
    pub fn get(&self) -> Option<&T> {
        self.valid(process_tag())
    }
}

impl<T> Drop for PerProcess<T> {
    fn drop(&mut self) {
        let p = *self.current.get_mut();
        // SAFETY: only this process's own value is freed (a parent's is leaked).
        if let Some(t) = unsafe { p.as_ref() }
            && (t.generation, t.pid) == process_tag()
        {
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

struct Runtime {
    rt: tokio::runtime::Runtime,
    generation: u64,
    threads: usize,
    detached: Mutex<Detached>,
    #[cfg(target_os = "linux")]
    inbox: Option<std::sync::Arc<crate::inbox::Inbox>>,
    /// Calls started by [`spawn_then`] or [`block_on`] and not yet ended: 0 means the workers
    /// are most likely parked, and a new call then goes through the inbox.
    busy: AtomicUsize,
}

impl Runtime {
    /// Counts a call as busy until the guard drops; `true` when none was (the runtime idle).
    fn busy(&'static self) -> (Busy, bool) {
        let idle = self.busy.fetch_add(1, Ordering::Relaxed) == 0;
        (Busy(self), idle)
    }

    /// Starts `task`: through the inbox when the runtime is idle and this thread is not one of
    /// its workers (docs/architecture.md#the-inbox), else by tokio's own `spawn`.
    fn start<F: Future<Output = ()> + Send + 'static>(&self, task: F, idle: bool) {
        #[cfg(target_os = "linux")]
        if idle
            && !on_core_thread()
            && let Some(inbox) = &self.inbox
        {
            if let Err(task) = inbox.push(Box::pin(task)) {
                drop(self.rt.spawn(task));
            }
            return;
        }
        #[cfg(not(target_os = "linux"))]
        let _ = idle;
        drop(self.rt.spawn(task));
    }
}

/// A call counted in [`Runtime::busy`] while it lives.
struct Busy(&'static Runtime);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Detached {
    next: u64,
    running: HashMap<u64, (Endpoint, String, String)>,
}

fn configured_threads() -> usize {
    match REQUESTED_THREADS.load(Ordering::SeqCst) {
        0 => match std::env::var("DGA_EPAYMENT_THREADS") {
            Err(_) => DEFAULT_WORKER_THREADS,
            Ok(v) => match v.trim().parse::<usize>() {
                Ok(n) if WORKER_THREADS.contains(&n) => n,
                // A setting that does nothing must say so once, not be ignored silently.
                _ => {
                    log::warn!(target: LOG, "DGA_EPAYMENT_THREADS={v:?} is not a whole number from {} to {}: using {DEFAULT_WORKER_THREADS} worker threads", WORKER_THREADS.start(), WORKER_THREADS.end());
                    DEFAULT_WORKER_THREADS
                }
            },
        },
        n => n,
    }
}

fn runtime() -> std::io::Result<&'static Runtime> {
    RUNTIME.get_or_try_init(|| {
        let threads = configured_threads();
        let generation = FORK_GENERATION.load(Ordering::SeqCst) + 1;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .max_blocking_threads(MAX_BLOCKING_THREADS)
            .thread_name("dga-epayment")
            .on_thread_start(move || CORE_THREAD.with(|c| c.set(generation)))
            .enable_io()
            .enable_time()
            .build()?;
        register_exit_hook();
        log::debug!(target: LOG, "runtime started: {threads} worker threads");
        #[cfg(target_os = "linux")]
        let inbox = crate::inbox::Inbox::start(&rt)
            .inspect_err(|e| log::debug!(target: LOG, "no inbox ({e}): calls go by spawn"))
            .ok();
        Ok(Runtime {
            rt,
            generation,
            threads,
            detached: Mutex::new(Detached::default()),
            #[cfg(target_os = "linux")]
            inbox,
            busy: AtomicUsize::new(0),
        })
    })
}

/// The process's runtime handle, building the runtime on first use. Fails only when the
/// operating system refuses threads.
pub fn handle() -> std::io::Result<tokio::runtime::Handle> {
    runtime().map(|r| r.rt.handle().clone())
}

/// How a task ended without its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It panicked (the panic is caught and goes no further).
    Panicked,
    /// It was aborted, or dropped by a runtime going away.
    Aborted,
}

/// Aborts a task of [`spawn`] or [`spawn_then`]: it is dropped at its next turn, unless it has
/// ended.
#[derive(Clone, Debug)]
pub struct AbortHandle(futures_util::future::AbortHandle);

impl AbortHandle {
    /// Aborts the task (nothing when it has ended).
    pub fn abort(&self) {
        self.0.abort();
    }
}

/// A task started by [`spawn`]: awaiting it gives its output. Dropping it leaves it running.
#[derive(Debug)]
pub struct Task<T> {
    output: tokio::sync::oneshot::Receiver<Result<T, Ended>>,
    abort: AbortHandle,
}

impl<T> Task<T> {
    /// A handle that aborts the task, kept apart from awaiting it.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, Ended>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.output)
            .poll(cx)
            .map(|got| got.unwrap_or(Err(Ended::Aborted)))
    }
}

/// Spawns a future on the process's runtime; await the [`Task`] for its output. A binding
/// settling its own language's future uses [`spawn_then`].
pub fn spawn<F>(future: F) -> std::io::Result<Task<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, output) = tokio::sync::oneshot::channel();
    let abort = spawn_then(future, move |got| drop(tx.send(got)))?;
    Ok(Task { output, abort })
}

/// Runs `future` on the process's runtime, then `finish` with its output, or how it ended
/// without one. `finish` is dropped uncalled only when the runtime drops the task (it never
/// does while the process lives). A binding settles its language's future in `finish`, not
/// at the end of `future`: by then the call no longer counts as running, so a caller woken by
/// it and calling again finds the runtime idle and goes in through the inbox
/// (docs/architecture.md#the-inbox).
pub fn spawn_then<F, D>(future: F, finish: D) -> std::io::Result<AbortHandle>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    D: FnOnce(Result<F::Output, Ended>) + Send + 'static,
{
    use futures_util::FutureExt;
    let r = runtime()?;
    let (abort, registration) = futures_util::future::AbortHandle::new_pair();
    let (busy, idle) = r.busy();
    let guarded = std::panic::AssertUnwindSafe(future).catch_unwind();
    let task = futures_util::future::Abortable::new(guarded, registration);
    r.start(
        async move {
            let got = task.await;
            // Before `finish`: a caller woken by it and calling again finds the runtime idle.
            drop(busy);
            finish(match got {
                Ok(Ok(output)) => Ok(output),
                Ok(Err(_panic)) => Err(Ended::Panicked),
                Err(_aborted) => Err(Ended::Aborted),
            });
        },
        idle,
    );
    Ok(AbortHandle(abort))
}

/// Sets the runtime's worker threads (default 2, or `DGA_EPAYMENT_THREADS`). Process-wide:
/// the first runtime built wins; a different count asked later is logged and ignored.
/// Returns whether it will apply.
pub fn set_worker_threads(threads: usize) -> bool {
    let threads = threads.clamp(*WORKER_THREADS.start(), *WORKER_THREADS.end());
    if let Some(r) = RUNTIME.get() {
        if r.threads != threads {
            log::warn!(
                target: LOG,
                "the runtime already runs {} worker threads; {threads} asked later is ignored \
                 (the first setting in a process wins)",
                r.threads
            );
        }
        return r.threads == threads;
    }
    REQUESTED_THREADS.store(threads, Ordering::SeqCst);
    true
}

/// The time creates, voids and closes still running get at process exit before they are
/// logged as outcome unknown (default 2 s, or `DGA_EPAYMENT_SHUTDOWN_GRACE_MS`).
pub fn set_shutdown_grace(grace: Duration) {
    SHUTDOWN_GRACE_MS.store(grace.as_millis() as u64, Ordering::SeqCst);
}

fn shutdown_grace() -> Duration {
    match SHUTDOWN_GRACE_MS.load(Ordering::SeqCst) {
        u64::MAX => std::env::var("DGA_EPAYMENT_SHUTDOWN_GRACE_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_SHUTDOWN_GRACE, Duration::from_millis),
        ms => Duration::from_millis(ms),
    }
}

/// Whether the current thread is one of this process's runtime workers.
pub(crate) fn on_core_thread() -> bool {
    let mine = CORE_THREAD.with(|c| c.get());
    mine != 0 && RUNTIME.get().is_some_and(|r| r.generation == mine)
}

/// Where a cancellable call (status, a callback's verification) runs when it is awaited here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Here {
    /// On the process's runtime.
    Core,
    /// In place, on the caller's own tokio runtime (it has the I/O and time drivers): no hop
    /// to another runtime and back, the same path a bare reqwest client takes. Its connections
    /// come from a pool of that runtime's own (a connection's task lives on the runtime that
    /// opened it).
    Caller(tokio::runtime::Id),
    /// Not on a tokio runtime that can run it (another executor, a thread of a binding, a
    /// runtime without I/O or time): the call goes to the process's runtime.
    Elsewhere,
}

/// Where a call awaited on this thread runs (see [`Here`]).
pub(crate) fn here() -> Here {
    if on_core_thread() {
        return Here::Core;
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return Here::Elsewhere;
    };
    let id = handle.id();
    if RUNTIME.get().is_some_and(|r| r.rt.handle().id() == id) {
        return Here::Core;
    }
    let usable = match OTHER_RUNTIME.with(Cell::get) {
        Some((seen, usable)) if seen == id => usable,
        _ => {
            let usable = has_io_and_time();
            if !usable {
                log::debug!(
                    target: LOG,
                    "tokio runtime {id} has no I/O or time driver: calls awaited on it run on \
                     the SDK's runtime"
                );
            }
            OTHER_RUNTIME.with(|c| c.set(Some((id, usable))));
            usable
        }
    };
    if usable {
        Here::Caller(id)
    } else {
        Here::Elsewhere
    }
}

/// Whether the runtime entered on this thread has the I/O and time drivers a call needs.
/// tokio has no query for it, only accessors that panic ("IO is disabled"): so each one is
/// tried once under `catch_unwind` (a runtime without them prints that panic message once).
fn has_io_and_time() -> bool {
    std::panic::catch_unwind(|| {
        let socket = std::net::UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
        socket.set_nonblocking(true)?;
        drop(tokio::net::UdpSocket::from_std(socket)?);
        let sleep = std::pin::pin!(tokio::time::sleep(Duration::ZERO));
        let _ = sleep.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        Ok::<_, std::io::Error>(())
    })
    .is_ok_and(|probe| probe.is_ok())
}

fn lock(m: &Mutex<Detached>) -> MutexGuard<'_, Detached> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A detached call's entry in the runtime's list, removed on drop.
pub(crate) struct DetachedCall(u64);

impl DetachedCall {
    pub(crate) fn register(endpoint: Endpoint, reference1: &str, reference2: &str) -> Self {
        let Some(r) = RUNTIME.get() else {
            return DetachedCall(u64::MAX);
        };
        let mut d = lock(&r.detached);
        d.next += 1;
        let id = d.next;
        d.running
            .insert(id, (endpoint, reference1.to_owned(), reference2.to_owned()));
        DetachedCall(id)
    }
}

impl Drop for DetachedCall {
    fn drop(&mut self) {
        if let Some(r) = RUNTIME.get() {
            lock(&r.detached).running.remove(&self.0);
        }
    }
}

/// Waits up to `grace` (default: the shutdown grace) for the creates, voids and closes still
/// running in this process, then logs each one left as outcome unknown with its references
/// (once: they are forgotten after). Returns how many were left. Runs by itself at process
/// exit; a binding whose language tears down its logging before that (Python's interpreter)
/// calls it from its own exit hook first.
pub fn drain(grace: Option<Duration>) -> usize {
    let Some(r) = RUNTIME.get() else { return 0 };
    let deadline = Instant::now() + grace.unwrap_or_else(shutdown_grace);
    loop {
        let left = lock(&r.detached).running.len();
        if left == 0 {
            return 0;
        }
        if Instant::now() >= deadline || on_core_thread() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let left: Vec<_> = lock(&r.detached).running.drain().map(|(_, v)| v).collect();
    for (endpoint, r1, r2) in &left {
        log::warn!(
            target: LOG,
            "{endpoint} for reference1={r1} reference2={r2} was still running at exit: outcome \
             unknown, check its status at DGA"
        );
    }
    left.len()
}

extern "C" fn drain_at_exit() {
    // Never unwind into the C runtime's exit path.
    let _ = std::panic::catch_unwind(|| drain(None));
}

fn register_exit_hook() {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if !REGISTERED.swap(true, Ordering::SeqCst) {
        // SAFETY: registers a plain function; it catches its own panics.
        unsafe {
            libc::atexit(drain_at_exit);
        }
    }
}

/// Runs `future` to its end or to `deadline` for a thread that waits on it: the blocking
/// client's way in. `None` when the deadline passed (or the future panicked: the binding
/// reports that call, and no panic reaches the caller). Works on any thread:
/// - on a thread outside any runtime (the usual caller: a web worker, PHP, C, the JVM): when
///   the runtime is idle, the call goes in through its inbox and this thread waits (one worker
///   woken); else the future is polled right here while the runtime's workers drive its I/O
///   and timers, so its request reading and answer parsing run on the caller's own thread, as
///   a bare reqwest caller's do, instead of queueing on the runtime's few busy workers;
/// - inside another runtime, it runs on the core's and this thread waits (blocked meanwhile);
/// - on one of the core's own workers, the wait goes through `block_in_place`, so the runtime
///   keeps running the call.
pub(crate) fn block_on<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
    deadline: Instant,
) -> std::io::Result<Option<T>> {
    use futures_util::FutureExt;
    let wait_for = |rx: std::sync::mpsc::Receiver<_>| {
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()
    };
    // Outside any runtime (a core worker is inside its own, so never takes this path), with
    // calls running: polled here. Idle, the call goes in through the inbox, below.
    let r = runtime()?;
    #[cfg(target_os = "linux")]
    let idle = r.inbox.is_some() && r.busy.load(Ordering::Relaxed) == 0;
    #[cfg(not(target_os = "linux"))]
    let idle = false;
    if !idle && tokio::runtime::Handle::try_current().is_err() {
        let _busy = r.busy();
        // Boxed: a call's future is several kilobytes, and would be copied around.
        let guarded = std::panic::AssertUnwindSafe(Box::pin(future)).catch_unwind();
        let got = r.rt.handle().block_on(async move {
            match tokio::time::timeout_at(deadline.into(), guarded).await {
                Ok(Ok(got)) => Some(got),
                _ => None,
            }
        });
        return Ok(got);
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let task = spawn_then(future, move |got| drop(tx.send(got)))?;
    let got = if on_core_thread() {
        tokio::task::block_in_place(|| wait_for(rx))
    } else {
        wait_for(rx)
    };
    if got.is_none() {
        task.abort();
    }
    Ok(got.and_then(Result::ok))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A fork made without the `pthread_atfork` handlers (a raw `clone`) is still a new process
    /// to every per-process cell: the kernel zeroed the cached id, so the child asks for its own.
    #[test]
    fn a_child_forked_past_the_atfork_hook_reads_its_own_process_id() {
        let parent = process_tag();
        assert_eq!(parent.1, std::process::id());
        let page = pid_page().expect("Linux 4.14+ wipes advised pages in a forked child");
        assert_eq!(page.load(Ordering::Relaxed), parent.1);
        // SAFETY: a plain fork by system call; the child only reads atomics and its id, then
        // `_exit`s.
        let pid =
            unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_long, 0, 0, 0, 0) };
        assert!(pid >= 0, "clone failed");
        if pid == 0 {
            let wiped = page.load(Ordering::Relaxed) == 0;
            let tag = process_tag();
            let ok = wiped
                && tag.0 == parent.0
                && tag.1 == std::process::id()
                && tag.1 != parent.1
                && page.load(Ordering::Relaxed) == tag.1;
            // SAFETY: ending the child without running the harness's exit.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waiting for the child just made.
        assert_eq!(
            unsafe { libc::waitpid(pid as i32, &mut status, 0) },
            pid as i32
        );
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "status {status}"
        );
        assert_eq!(process_tag(), parent);
    }
}
