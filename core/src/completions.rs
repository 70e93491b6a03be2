//! Calls that run on the SDK's runtime and end on a binding's own thread.
//!
//! A language whose futures are settled on one thread of its own (JavaScript's event loop, an
//! asyncio loop) must not be called from a runtime thread. [`Completions`] spawns each call on
//! the runtime ([`crate::runtime::spawn`]) and queues its outcome exactly once: its output, or
//! `None` when the task was aborted or dropped first. The binding's `wake` runs when the queue
//! was empty, so its thread [`Completions::take`]s every outcome queued so far in one turn (one
//! wake-up for many calls). `wake` runs after the queue's lock is released: the woken thread's
//! `take` never finds it held by the waker (on 2 cores, a contended lock cost each call a
//! second sleep and wake-up of the binding's thread). A call in flight is aborted by its id
//! (its caller cancelled), or all at once by [`Completions::close`] (the binding's thread going
//! away): a status stops, and a create, void or close already sent runs to its end in the
//! core, which logs its outcome (docs/architecture.md#cancellation-and-outcome-unknown).

use crate::runtime::AbortHandle;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// One binding thread's calls in flight and the outcomes waiting for it.
pub struct Completions<T> {
    state: Mutex<State<T>>,
    /// Read-locked while `wake` runs; `close` write-locks it to drop `wake`, so once `close`
    /// returns, `wake` never runs again (the binding's notifier may be gone).
    wake: RwLock<Option<Wake>>,
}

type Wake = Box<dyn Fn() + Send + Sync>;

struct State<T> {
    done: Vec<(u64, Option<T>)>,
    running: HashMap<u64, Running>,
    next: u64,
    /// Whether `wake` ran and the binding's thread has not taken the queue since.
    woken: bool,
    closed: bool,
}

impl<T> State<T> {
    /// Whether the caller must run `wake` (once the lock is released): the binding's thread
    /// was not woken since it last took the queue.
    fn claim_wake(&mut self) -> bool {
        let claim = !self.woken && !self.closed;
        self.woken |= claim;
        claim
    }
}

/// A call in flight: its task's abort handle once `spawn` has it (the task is spawned outside
/// the queue's lock, so that a worker's outcome never waits on the caller's spawn).
enum Running {
    /// Being spawned; `true` when it was aborted meanwhile.
    Starting(bool),
    Task(AbortHandle),
}

impl Running {
    fn abort(&mut self) {
        match self {
            Running::Starting(aborted) => *aborted = true,
            Running::Task(task) => task.abort(),
        }
    }
}

/// Queues the call's outcome once: its output, or `None` when dropped without one.
struct Deliver<T: Send + 'static> {
    owner: Arc<Completions<T>>,
    id: u64,
    output: Option<T>,
}

impl<T: Send + 'static> Drop for Deliver<T> {
    fn drop(&mut self) {
        let wake = {
            let mut s = self.owner.lock();
            if s.closed {
                return;
            }
            s.done.push((self.id, self.output.take()));
            s.claim_wake()
        };
        if wake {
            self.owner.run_wake();
        }
    }
}

impl<T: Send + 'static> Completions<T> {
    /// `wake` is called from any thread, never after [`Completions::close`] returned: it must
    /// be quick (a non-blocking notification of the binding's thread) and must not call
    /// `close`. Its thread may then find nothing to take (another turn took it first).
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Completions {
            state: Mutex::new(State {
                done: Vec::new(),
                running: HashMap::new(),
                next: 0,
                woken: false,
                closed: false,
            }),
            wake: RwLock::new(Some(Box::new(wake))),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run_wake(&self) {
        if let Some(wake) = &*self.wake.read().unwrap_or_else(|e| e.into_inner()) {
            wake();
        }
    }

    /// Runs `call` on the SDK's runtime; returns its id. Fails only when the runtime cannot
    /// start (the operating system refuses threads).
    pub fn spawn(
        self: &Arc<Self>,
        call: impl Future<Output = T> + Send + 'static,
    ) -> std::io::Result<u64> {
        let id = {
            let mut s = self.lock();
            let id = s.next + 1;
            s.next = id;
            s.running.insert(id, Running::Starting(false));
            id
        };
        let deliver = Deliver {
            owner: self.clone(),
            id,
            output: None,
        };
        let task = crate::runtime::spawn_then(call, move |got| {
            let mut deliver = deliver; // the whole guard, not only its field, moves in
            deliver.output = got.ok();
        })?;
        let mut s = self.lock();
        let closed = s.closed;
        // Absent: it ended and was taken already, or `close` took it.
        match s.running.get_mut(&id) {
            Some(r @ Running::Starting(false)) => *r = Running::Task(task),
            Some(_) => task.abort(),
            None if closed => task.abort(),
            None => {}
        }
        Ok(id)
    }

    /// Aborts call `id` if it still runs (its outcome is then `None`); others are ignored.
    pub fn abort(&self, id: u64) {
        if let Some(task) = self.lock().running.get_mut(&id) {
            task.abort();
        }
    }

    /// Wakes the binding's thread (for something else it delivers there, such as log records).
    pub fn wake(&self) {
        if self.lock().claim_wake() {
            self.run_wake();
        }
    }

    /// The outcomes queued so far, in the order the calls ended; the calls are then forgotten.
    pub fn take(&self) -> Vec<(u64, Option<T>)> {
        self.take_up_to(usize::MAX)
    }

    /// The first `max` outcomes queued. When more wait, `wake` is not called for them (nor for
    /// later ones) until they are taken: the binding's thread was woken for them already and
    /// takes them on a later turn of its own.
    pub fn take_up_to(&self, max: usize) -> Vec<(u64, Option<T>)> {
        let mut s = self.lock();
        let done = if s.done.len() <= max {
            std::mem::take(&mut s.done)
        } else {
            s.done.drain(..max).collect()
        };
        s.woken = !s.done.is_empty();
        for (id, _) in &done {
            s.running.remove(id);
        }
        done
    }

    /// Calls started whose outcomes have not been taken yet.
    pub fn in_flight(&self) -> usize {
        self.lock().running.len()
    }

    /// The binding's thread is going away: every call in flight is aborted, and no outcome is
    /// queued nor `wake` called any more.
    pub fn close(&self) {
        let running = {
            let mut s = self.lock();
            s.closed = true;
            s.done.clear();
            std::mem::take(&mut s.running)
        };
        // Waits for a `wake` running now; none runs after this.
        drop(self.wake.write().unwrap_or_else(|e| e.into_inner()).take());
        for mut task in running.into_values() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn wait_for(c: &Completions<u32>, n: usize) -> Vec<(u64, Option<u32>)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut got = Vec::new();
        while got.len() < n && Instant::now() < deadline {
            got.extend(c.take());
            std::thread::sleep(Duration::from_millis(5));
        }
        got
    }

    #[test]
    fn outcomes_arrive_once_aborted_calls_as_none_and_close_stops_all() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let counted = wakes.clone();
        let c = Completions::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let quick = c.spawn(async { 7 }).unwrap();
        let slow = c.spawn(std::future::pending::<u32>()).unwrap();
        let mut got = wait_for(&c, 1);
        assert_eq!(got, vec![(quick, Some(7))]);
        assert!(wakes.load(Ordering::SeqCst) >= 1);
        assert_eq!(c.in_flight(), 1);
        c.abort(slow);
        got = wait_for(&c, 1);
        assert_eq!(got, vec![(slow, None)], "an aborted call ends as None");
        assert_eq!(c.in_flight(), 0);

        let three: Vec<_> = (0..3).map(|i| c.spawn(async move { i }).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(50));
        let woken = wakes.load(Ordering::SeqCst);
        let first = c.take_up_to(2);
        assert_eq!(first.len(), 2);
        c.spawn(async { 9 }).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            wakes.load(Ordering::SeqCst),
            woken,
            "no wake-up while outcomes wait to be taken"
        );
        let rest = c.take_up_to(2);
        let ids: Vec<_> = first.iter().chain(&rest).map(|(id, _)| *id).collect();
        assert_eq!(ids[..3].iter().filter(|id| three.contains(id)).count(), 3);
        assert_eq!(c.take().len(), 0, "two and then two of four, in order");
        c.spawn(async { 1 }).unwrap();
        wait_for(&c, 1);
        assert!(
            wakes.load(Ordering::SeqCst) > woken,
            "taken, the next one wakes"
        );

        c.spawn(std::future::pending::<u32>()).unwrap();
        let before = wakes.load(Ordering::SeqCst);
        c.close();
        std::thread::sleep(Duration::from_millis(50));
        assert!(c.take().is_empty(), "nothing is queued after close");
        assert_eq!(
            wakes.load(Ordering::SeqCst),
            before,
            "no wake-up after close"
        );
    }

    #[test]
    fn wake_runs_outside_the_queue_lock() {
        // A wake that takes the queue itself deadlocks if it runs under the lock.
        let me: Arc<std::sync::OnceLock<std::sync::Weak<Completions<u32>>>> = Arc::default();
        let taken = Arc::new(Mutex::new(Vec::new()));
        let (me2, taken2) = (me.clone(), taken.clone());
        let c = Completions::new(move || {
            if let Some(c) = me2.get().and_then(std::sync::Weak::upgrade) {
                taken2.lock().unwrap().extend(c.take());
            }
        });
        me.set(Arc::downgrade(&c)).unwrap();
        let id = c.spawn(async { 5 }).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while taken.lock().unwrap().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(*taken.lock().unwrap(), vec![(id, Some(5))]);
    }
}
