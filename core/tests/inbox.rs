//! A call made while the runtime is idle wakes one of its two workers, not both
//! (docs/architecture.md#the-inbox): the other stays parked through calls made one at a time.
//! A test binary of its own, since it counts the wake-ups of the process's runtime threads.
mod common;

use common::*;
use dga_epayment::{PaymentType, blocking::Client, runtime};
use std::collections::BTreeMap;

/// The voluntary context switches (wake-ups after a wait) of each of the core's runtime
/// threads, by thread id.
fn worker_wakeups() -> BTreeMap<String, u64> {
    core_threads()
        .into_iter()
        .map(|t| {
            let status = std::fs::read_to_string(t.path().join("status")).unwrap();
            let line = status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .unwrap();
            (
                t.file_name().to_string_lossy().into_owned(),
                line.trim().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn calls_made_one_at_a_time_wake_one_worker_and_leave_the_other_parked() {
    let sb = start_sandbox();
    let client = Client::new(config_for(&sb).worker_threads(2).build().unwrap()).unwrap();
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "10.00"))
        .unwrap();
    for _ in 0..100 {
        client.status(&p.reference1, &p.reference2).unwrap();
    }
    let calls = 1_000;
    // The runtime's threads are only its two workers: the blocking pool starts none here.
    assert_eq!(worker_wakeups().len(), 2);
    // The blocking client's calls, then async calls spawned from this thread (as Node's,
    // Python's, C#'s and Java's are), each awaited before the next (a `Task` is settled after
    // its call has left the runtime).
    let blocking = || client.status(&p.reference1, &p.reference2).map(drop);
    let spawned = || {
        let (c, r1, r2) = (
            client.as_async().clone(),
            p.reference1.clone(),
            p.reference2.clone(),
        );
        let task = runtime::spawn(async move { c.status(&r1, &r2).await.map(drop) }).unwrap();
        runtime::handle().unwrap().block_on(task).unwrap()
    };
    for (how, call) in [
        ("blocking", &blocking as &dyn Fn() -> _),
        ("spawned", &spawned),
    ] {
        let before = worker_wakeups();
        for _ in 0..calls {
            call().unwrap();
        }
        let after = worker_wakeups();
        let woken: Vec<u64> = after.iter().map(|(tid, n)| n - before[tid]).collect();
        let total: u64 = woken.iter().sum();
        eprintln!("{how}: wake-ups over {calls} calls: {woken:?} (per worker)");
        // One worker carries the calls (it wakes for the call and for its answer); the other,
        // without the inbox, was woken by tokio's search for more work on every call.
        assert!(
            woken.iter().min().unwrap() * 10 < calls,
            "{how}: the second worker woke {woken:?} times over {calls} calls"
        );
        assert!(
            total < calls * 3,
            "{how}: {total} wake-ups over {calls} calls"
        );
    }
}
