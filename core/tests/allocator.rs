//! The bindings' allocator (`alloc::Allocator`, docs/architecture.md#the-allocator) as a guest
//! in someone else's process: memory freed after a burst leaves the process's resident set once
//! its purge delay has passed (a child forked while threads allocate: tests/allocator_fork.rs).
#![cfg(all(unix, feature = "mimalloc"))]

mod allocation;

use allocation::burst;

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memory_freed_after_a_burst_leaves_the_resident_set() {
    burst(2, 2); // the threads' heaps and the first arena, before measuring
    let before = rss_kib();
    burst(8, 64); // 512 MiB allocated and freed, 8 threads at once
    // Freed memory goes back to the system after its delay (10 ms, 100 ms for a whole
    // segment), at later allocations: past it, those of a few hundred calls.
    std::thread::sleep(std::time::Duration::from_millis(150));
    for i in 0..200_000 {
        std::hint::black_box(Vec::<u8>::with_capacity(64 + i % 4000));
    }
    let grew = rss_kib().saturating_sub(before);
    assert!(grew < 16 * 1024, "resident set grew by {grew} KiB");
}
