//! The bindings' allocator (`alloc::Allocator`, docs/architecture.md#the-allocator): a process
//! forked while other threads allocate and free across threads can allocate in the child, on
//! new threads too.
//!
//! A binary of its own, and no thread starts or ends in the parent while it forks: Rust's std
//! takes a process-wide lock while a thread starts or ends (its stack-overflow bookkeeping), and a
//! fork at that moment leaves it held in the child, where every new thread then waits forever.
//! That is std's, not the allocator's (docs/architecture.md#fork-safety).
#![cfg(all(unix, feature = "mimalloc"))]

mod allocation;

use allocation::{burst, grow};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

#[test]
fn a_child_forked_while_threads_allocate_can_allocate() {
    let stop = Arc::new(AtomicBool::new(false));
    let (to_free, freed) = mpsc::channel::<Vec<u8>>();
    let freer = thread::spawn(move || freed.into_iter().for_each(drop));
    let busy: Vec<_> = (0..4)
        .map(|_| {
            let (stop, to_free) = (stop.clone(), to_free.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    grow(&to_free);
                }
            })
        })
        .collect();
    thread::sleep(std::time::Duration::from_millis(50));
    for _ in 0..20 {
        // SAFETY: the child only allocates, spawns threads and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            burst(2, 8);
            // SAFETY: ends the child without running the harness's exit.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child status {status}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    busy.into_iter().for_each(|t| t.join().unwrap());
    drop(to_free);
    freer.join().unwrap();
}
