//! What the allocator tests share: the allocator itself, and a call's pattern of allocation.
#![allow(dead_code)] // each test binary uses part of it
use std::sync::mpsc;
use std::thread;

#[global_allocator]
static ALLOCATOR: dga_epayment::alloc::Allocator = dga_epayment::alloc::Allocator;

/// A call's pattern: a buffer grown chunk by chunk to `max_response_bytes` (1 MiB), handed to
/// another thread to free.
pub fn grow(free: &mpsc::Sender<Vec<u8>>) {
    let mut body = Vec::with_capacity(8192);
    while body.len() < 1 << 20 {
        body.extend_from_slice(&[7u8; 16 * 1024]);
    }
    let _ = free.send(body);
}

/// `threads` new threads each `grow` `rounds` buffers, freed on one more new thread.
pub fn burst(threads: usize, rounds: usize) {
    let (to_free, freed) = mpsc::channel::<Vec<u8>>();
    let freer = thread::spawn(move || freed.into_iter().for_each(drop));
    let makers: Vec<_> = (0..threads)
        .map(|_| {
            let to_free = to_free.clone();
            thread::spawn(move || (0..rounds).for_each(|_| grow(&to_free)))
        })
        .collect();
    makers.into_iter().for_each(|t| t.join().unwrap());
    drop(to_free);
    freer.join().unwrap();
}
