//! `DGA_EPAYMENT_THREADS` that is not a count from 1 to 256: the runtime takes its default and
//! says so at WARNING (it was ignored silently). A test binary of its own, since the runtime
//! and the environment are the process's.
mod common;

use common::*;
use dga_epayment::blocking::Client;

#[test]
fn a_thread_count_that_is_not_one_is_logged_and_the_default_used() {
    capture_warnings();
    // SAFETY: set before any thread of this test binary reads the environment.
    unsafe { std::env::set_var("DGA_EPAYMENT_THREADS", "abc") };
    let sb = start_sandbox();
    let client = Client::new(config_for(&sb).build().unwrap()).unwrap();
    client.status("NEVER-CREATED", "").unwrap_err();
    assert_eq!(core_threads().len(), 2, "the default worker threads");
    let lines = warnings("DGA_EPAYMENT_THREADS");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("WARN DGA_EPAYMENT_THREADS=\"abc\"")),
        "{lines:?}"
    );
}
