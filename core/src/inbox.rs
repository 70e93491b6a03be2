//! The runtime's inbox: how a call started outside the runtime reaches it when the runtime is
//! idle (docs/architecture.md#the-inbox).
//!
//! Why: a task spawned from outside a tokio multi-thread runtime wakes a parked worker as a
//! "searching" worker, and a searching worker that finds a task wakes another one in turn
//! (tokio's guard against a lost wake-up), which finds nothing and parks again. For a caller
//! that makes one call at a time that is two thread wake-ups per call instead of one. Here the
//! caller writes to an eventfd that the runtime's I/O driver watches: the worker parked on the
//! driver wakes, not as a searching worker, runs the serving task, and spawns the call from
//! inside the runtime, which wakes nobody else.

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

pub(crate) type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

pub(crate) struct Inbox {
    queue: Mutex<Queue>,
    /// Set by the first push after a drain, cleared by the drain: only that push writes to
    /// the eventfd, so a burst of calls costs one wake-up.
    pending: AtomicBool,
    fd: OwnedFd,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// The serving task has ended (its driver failed, or the runtime shut down): pushes are
    /// refused from then on.
    closed: bool,
}

/// The registered eventfd; the `Inbox` it holds keeps the descriptor open while registered.
struct Registered(Arc<Inbox>);

impl AsRawFd for Registered {
    fn as_raw_fd(&self) -> RawFd {
        self.0.fd.as_raw_fd()
    }
}

impl Inbox {
    /// An inbox served by a task on `rt`; `Err` where eventfd or its registration fails (the
    /// runtime then takes every call by `spawn`).
    pub(crate) fn start(rt: &tokio::runtime::Runtime) -> io::Result<Arc<Inbox>> {
        // SAFETY: eventfd only returns a new descriptor or -1.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let inbox = Arc::new(Inbox {
            queue: Mutex::default(),
            pending: AtomicBool::new(false),
            // SAFETY: a descriptor just made, owned by nothing else.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        });
        let _entered = rt.enter();
        // SAFETY: the descriptor stays open and the same while registered: `Registered` holds
        // the `Inbox` that owns it.
        let registered = unsafe {
            AsyncFd::register_with_interest(Registered(inbox.clone()), Interest::READABLE)
        }
        .map_err(io::Error::from)?;
        rt.spawn(serve(registered));
        Ok(inbox)
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job` for the runtime; gives it back when the inbox is closed.
    pub(crate) fn push(&self, job: Job) -> Result<(), Job> {
        let mut q = self.lock();
        if q.closed {
            return Err(job);
        }
        q.jobs.push(job);
        let wake = !self.pending.swap(true, Ordering::AcqRel);
        drop(q);
        if wake {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our own eventfd. It cannot fail short
            // of the counter overflowing, which a drain per wake-up never lets happen.
            unsafe { libc::write(self.fd.as_raw_fd(), (&raw const one).cast(), 8) };
        }
        Ok(())
    }
}

async fn serve(registered: AsyncFd<Registered>) {
    let inbox = registered.get_ref().0.clone();
    // However serving ends (its driver failed, or the runtime shut down and dropped this
    // task), later pushes are refused and given back, never queued for nobody.
    let _closing = Closing(inbox.clone());
    loop {
        let Ok(mut ready) = registered.readable().await else {
            break;
        };
        let read = ready.try_io(|fd| {
            let mut count: u64 = 0;
            // SAFETY: reads 8 bytes into a live u64 from our own eventfd.
            let n = unsafe { libc::read(fd.as_raw_fd(), (&raw mut count).cast(), 8) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            }
        });
        match read {
            Ok(Ok(())) => {}
            // Not readable after all: `try_io` cleared the readiness.
            Err(_would_block) => continue,
            Ok(Err(_)) => break,
        }
        // No push writes while `pending` is set, so no wake-up can arrive between the read and
        // this: clearing the readiness here saves a read that would only say "empty".
        ready.clear_ready();
        for job in take(&inbox, false) {
            tokio::spawn(job);
        }
    }
    for job in take(&inbox, true) {
        tokio::spawn(job);
    }
}

/// Closes the inbox when the serving task ends or is dropped. Jobs still queued then are
/// dropped with it: their callers see their task end as aborted.
struct Closing(Arc<Inbox>);

impl Drop for Closing {
    fn drop(&mut self) {
        drop(take(&self.0, true));
    }
}

/// The queued jobs, clearing `pending` under the queue's lock (a later push wakes again).
fn take(inbox: &Inbox, close: bool) -> Vec<Job> {
    let mut q = inbox.lock();
    q.closed |= close;
    inbox.pending.store(false, Ordering::Release);
    std::mem::take(&mut q.jobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    fn two_workers() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    /// A lost wake-up leaves a job queued with nobody to run it. Each job here is pushed only
    /// once the one before has run, so the pushes meet the drain at every point of it.
    #[test]
    fn a_job_pushed_once_the_last_one_ran_always_runs() {
        let rt = two_workers();
        let inbox = Inbox::start(&rt).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..20_000 {
            let tx = tx.clone();
            let job = Box::pin(async move { tx.send(i).unwrap() });
            assert!(inbox.push(job).is_ok());
            let ran = rx.recv_timeout(Duration::from_secs(10));
            assert_eq!(ran, Ok(i), "job {i} was left in the inbox");
        }
    }

    #[test]
    fn jobs_pushed_from_several_threads_at_once_each_run_once() {
        let rt = two_workers();
        let inbox = Inbox::start(&rt).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let (threads, each) = (4, 10_000);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    for _ in 0..each {
                        let ran = ran.clone();
                        let job = Box::pin(async move {
                            ran.fetch_add(1, Ordering::SeqCst);
                        });
                        assert!(inbox.push(job).is_ok());
                    }
                });
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while ran.load(Ordering::SeqCst) < threads * each && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(ran.load(Ordering::SeqCst), threads * each);
    }

    #[test]
    fn a_push_after_the_runtime_shut_down_is_given_back() {
        let rt = two_workers();
        let inbox = Inbox::start(&rt).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let job = Box::pin(async move { tx.send(()).unwrap() });
        assert!(inbox.push(job).is_ok());
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        drop(rt);
        let job: Job = Box::pin(async {});
        assert!(
            inbox.push(job).is_err(),
            "queued for a runtime that is gone"
        );
    }
}
