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

/// Forks, runs `child` in the child (its return value the exit code, after the client is
/// dropped there), and returns the child's exit code; a child alive after 10 s is a hang.
fn in_child(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child runs the closure and leaves with `exit`, running atexit handlers and
    // flushing stdio as a normally ending program would (not `_exit`).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(70);
        // SAFETY: ending the child process.
        unsafe { libc::exit(code) };
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut status = 0;
    loop {
        // SAFETY: polling the child just forked.
        let waited = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if waited == pid {
            break;
        }
        if std::time::Instant::now() > deadline {
            // SAFETY: killing our own hung child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the child hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(libc::WIFEXITED(status), "the child did not exit normally");
    libc::WEXITSTATUS(status)
}

#[test]
fn a_client_dropped_in_a_forked_child_neither_panics_nor_hangs() {
    let sb = start_sandbox();
    let client = client_for(&sb);
    client.token().unwrap();
    // Dropped without a call in the child: the parent's HTTP client is left alone.
    let c = client.clone();
    assert_eq!(
        in_child(move || {
            drop(c);
            0
        }),
        0
    );
    // Used, then dropped.
    let c = client.clone();
    assert_eq!(
        in_child(move || {
            let ok = c.token().is_ok();
            drop(c);
            if ok { 0 } else { 3 }
        }),
        0
    );
}

#[test]
fn a_token_refresh_in_flight_at_fork_time_does_not_deadlock_the_child() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    ctl.fault(
        "token",
        "latency",
        1,
        serde_json::json!({"latencyMs": 1500}),
    );
    let client = client_for(&sb);
    let parent = client.clone();
    let refresh = std::thread::spawn(move || parent.token().map(|_| ()));
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The parent's thread is inside its (slow) token request now; the child must not wait
    // for that thread, which it does not have: it makes its own request.
    let c = client.clone();
    let started = std::time::Instant::now();
    let code = in_child(move || match c.token() {
        Ok(_) => 0,
        Err(_) => 3,
    });
    assert_eq!(code, 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    refresh.join().unwrap().unwrap();
}

#[test]
fn the_async_client_used_before_fork_works_in_the_child() {
    let sb = start_sandbox();
    let client = async_client_for(&sb);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let p = rt
        .block_on(client.create_payment(&payment_request(PaymentType::QrPayment, "12.00")))
        .unwrap();
    let c = client.clone();
    let (r1, r2) = (p.reference1.clone(), p.reference2.clone());
    // The child gets its own runtime and pool: the parent's worker threads are not there.
    let code = in_child(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        match rt.block_on(c.status(&r1, &r2)) {
            Ok(s) if s.paid_status == PaidStatus::Pending => 0,
            Ok(_) => 2,
            Err(_) => 3,
        }
    });
    assert_eq!(code, 0);
    assert!(
        rt.block_on(client.status(&p.reference1, &p.reference2))
            .is_ok()
    );
}

#[test]
fn a_fork_while_calls_are_in_flight_leaves_both_processes_working() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::QrPayment, "13.00"))
        .unwrap();
    ctl.fault(
        "status",
        "latency",
        8,
        serde_json::json!({"latencyMs": 800}),
    );
    // Eight status calls are on the parent's runtime when it forks.
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            let (r1, r2) = (p.reference1.clone(), p.reference2.clone());
            std::thread::spawn(move || c.status(&r1, &r2).map(|s| s.paid_status))
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let c = client.clone();
    let (r1, r2) = (p.reference1.clone(), p.reference2.clone());
    let code = in_child(move || match c.status(&r1, &r2) {
        Ok(s) if s.paid_status == PaidStatus::Pending => 0,
        Ok(_) => 2,
        Err(_) => 3,
    });
    assert_eq!(code, 0);
    for call in calls {
        assert_eq!(call.join().unwrap().unwrap(), PaidStatus::Pending);
    }
}

#[test]
fn creates_still_running_at_exit_get_the_grace_then_are_counted_as_unknown() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    client.token().unwrap();
    ctl.fault(
        "create",
        "latency",
        2,
        serde_json::json!({"latencyMs": 4000}),
    );
    let c = client.clone();
    let started = std::time::Instant::now();
    // The child starts a create DGA is slow to answer, then ends: the exit drain waits the
    // grace (300 ms here), logs it as outcome unknown, and the process ends.
    let code = in_child(move || {
        dga_epayment::runtime::set_shutdown_grace(std::time::Duration::from_millis(300));
        let c2 = c.clone();
        std::thread::spawn(move || {
            c2.create_payment(&payment_request(PaymentType::QrPayment, "9.00"))
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        dga_epayment::runtime::drain(Some(std::time::Duration::from_millis(100))) as i32 + 10
    });
    assert_eq!(code, 11, "one create was still running and was reported");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[test]
fn hooks_registered_for_forked_children_run_in_the_child_only_once_each() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static BITS: AtomicU32 = AtomicU32::new(0);
    static RUNS: AtomicU32 = AtomicU32::new(0);
    fn mark(bit: u32) {
        BITS.fetch_or(1 << bit, Ordering::SeqCst);
        RUNS.fetch_add(1, Ordering::SeqCst);
    }
    // More hooks than any fixed table would hold, and the first one twice.
    let hooks: [fn(); 6] = [
        || mark(0),
        || mark(1),
        || mark(2),
        || mark(3),
        || mark(4),
        || mark(5),
    ];
    for hook in hooks.iter().chain(&hooks[..1]) {
        dga_epayment::runtime::on_fork_child(*hook);
    }
    let code = in_child(|| {
        let (bits, runs) = (BITS.load(Ordering::SeqCst), RUNS.load(Ordering::SeqCst));
        i32::from(!(bits == 0b11_1111 && runs == 6))
    });
    assert_eq!(code, 0, "each hook ran once in the child");
    assert_eq!(BITS.load(Ordering::SeqCst), 0, "none ran in the parent");
}
