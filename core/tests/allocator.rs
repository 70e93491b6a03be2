//! The bindings' allocator (`alloc::Allocator`, docs/architecture.md#the-allocator) as a guest
//! in someone else's process: memory freed after a burst leaves the process's resident set (a
//! child forked while threads allocate: tests/allocator_fork.rs).
#![cfg(all(unix, feature = "mimalloc"))]

use std::sync::mpsc;
use std::thread;

#[global_allocator]
static ALLOCATOR: dga_epayment::alloc::Allocator = dga_epayment::alloc::Allocator;

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A call's pattern: a buffer grown chunk by chunk to `max_response_bytes` (1 MiB) on one
/// thread, freed on another.
fn burst(threads: usize, rounds: usize) {
    let (to_free, freed) = mpsc::channel::<Vec<u8>>();
    let freer = thread::spawn(move || freed.into_iter().for_each(drop));
    let makers: Vec<_> = (0..threads)
        .map(|_| {
            let to_free = to_free.clone();
            thread::spawn(move || {
                for _ in 0..rounds {
                    let mut body = Vec::with_capacity(8192);
                    while body.len() < 1 << 20 {
                        body.extend_from_slice(&[7u8; 16 * 1024]);
                    }
                    to_free.send(body).unwrap();
                }
            })
        })
        .collect();
    makers.into_iter().for_each(|t| t.join().unwrap());
    drop(to_free);
    freer.join().unwrap();
}

#[test]
fn memory_freed_after_a_burst_leaves_the_resident_set() {
    burst(2, 2); // the threads' heaps and the first arena, before measuring
    let before = rss_kib();
    burst(8, 64); // 512 MiB allocated and freed, 8 threads at once
    let grew = rss_kib().saturating_sub(before);
    assert!(grew < 16 * 1024, "resident set grew by {grew} KiB");
}
