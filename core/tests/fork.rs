//! A client built and used before `fork()` keeps working in the child (gunicorn --preload,
//! Celery, multiprocessing): reqwest's I/O thread is not copied by fork, so the core must notice
//! the new process and build a new HTTP client there.
#![cfg(unix)]
mod common;

use common::*;
use dga_epayment::{PaidStatus, PaymentType};

#[test]
fn a_client_used_before_fork_works_in_the_child() {
    let sb = start_sandbox();
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::QrPayment, "99.50"))
        .unwrap();
    // Used in the parent: the pooled connection and the I/O thread exist now.
    assert_eq!(
        client
            .status(&p.reference1, &p.reference2)
            .unwrap()
            .paid_status,
        PaidStatus::Pending
    );
    // SAFETY: the child only makes HTTP calls through the client and then `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match client.status(&p.reference1, &p.reference2) {
            Ok(s) if s.paid_status == PaidStatus::Pending => 0,
            Ok(_) => 2,
            Err(_) => 3,
        };
        // SAFETY: leaving the child without running the test harness's exit code.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for the child just forked.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status), "child did not exit normally");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "child's status call failed (2 wrong state, 3 error)"
    );
    // The parent's client is untouched by the child's rebuild.
    assert!(client.status(&p.reference1, &p.reference2).is_ok());
}
