//! The allocator of the language bindings (feature `mimalloc`): mimalloc, set up for a library
//! that lives in another program's process. A binding's calls allocate on the caller's thread
//! and free on the runtime's, and back (arguments, tasks, answers): glibc's malloc spent a good
//! part of each call on that, on its arena locks and its frees into other threads' arenas.
//! mimalloc's defaults (arenas committed as they are reserved, a thread's memory left to it
//! after it exits) kept tens of megabytes resident in the host after a burst; here it commits
//! as it uses, and the thread that frees an exited thread's memory takes it over and returns it
//! with its own. Freed pages go back to the system after 10 ms (a whole segment 100 ms), at a
//! later allocation, not at once: a page emptied and filled again on every call was returned
//! and faulted back in each time (a tenth of the CPU with 256 calls in flight). See
//! docs/architecture.md#the-allocator.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_int, c_long};
use std::sync::atomic::{AtomicBool, Ordering};

/// `#[global_allocator] static ALLOCATOR: dga_epayment::alloc::Allocator = dga_epayment::alloc::Allocator;`
pub struct Allocator;

unsafe extern "C" {
    /// mimalloc's own (linked in by the `mimalloc` crate); sets one process-wide option of
    /// this library's copy of mimalloc.
    fn mi_option_set(option: c_int, value: c_long);
    /// mimalloc's version: 20302 for 2.3.2.
    fn mi_version() -> c_int;
}

/// Places in mimalloc's `mi_option_e` (the same in its v2 and v3; the last one v2's only).
const ARENA_EAGER_COMMIT: c_int = 4;
const PURGE_DELAY: c_int = 15;
const ABANDONED_RECLAIM_ON_FREE: c_int = 26;

static SET_UP: AtomicBool = AtomicBool::new(false);

/// The options, before the first allocation reserves an arena.
#[inline]
fn set_up() {
    if !SET_UP.load(Ordering::Relaxed) {
        set_up_now();
    }
}

#[cold]
fn set_up_now() {
    // SAFETY: writes an option slot; allocates nothing. Two threads doing it at once write
    // the same value.
    unsafe {
        mi_option_set(ARENA_EAGER_COMMIT, 0);
        mi_option_set(PURGE_DELAY, 10);
        if mi_version() < 30000 {
            mi_option_set(ABANDONED_RECLAIM_ON_FREE, 1);
        }
    }
    SET_UP.store(true, Ordering::Relaxed);
}

// SAFETY: mimalloc's own `GlobalAlloc`, with the options set before its first allocation.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        set_up();
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        set_up();
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}
