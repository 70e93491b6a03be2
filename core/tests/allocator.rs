//! The bindings' allocator (`alloc::Allocator`, docs/architecture.md#the-allocator) as a guest
//! in someone else's process: memory freed after a burst leaves the process's resident set (a
//! child forked while threads allocate: tests/allocator_fork.rs).
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
    let grew = rss_kib().saturating_sub(before);
    assert!(grew < 16 * 1024, "resident set grew by {grew} KiB");
}
