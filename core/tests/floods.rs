//! Callback floods (docs/architecture.md#callback-floods): anyone can POST to a callback URL,
//! and every delivery may cost a status call under the agency's Consumer-Key. The burst an
//! attacker would send: 250 genuine deliveries for 10 paid references and 250 forged ones.
mod common;

use common::*;
use dga_epayment::{CallbackReply, Error, PaidStatus, PaymentType, VerificationReason};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Burst {
    genuine: Vec<u16>,
    forged: Vec<u16>,
    dga_status_calls: usize,
    elapsed: Duration,
}

fn reply_for(r: Result<dga_epayment::Callback, Error>) -> u16 {
    match r {
        Ok(_) => CallbackReply::accepted("Success").http_status,
        Err(e) => CallbackReply::for_error(&e).http_status,
    }
}

/// Sends the burst through `client` from 16 threads; `known` is the agency's order table
/// (None: no known_reference hook).
fn burst(
    client: &dga_epayment::blocking::Client,
    ctl: &Control,
    bodies: &[String],
    known: Option<Arc<HashSet<String>>>,
) -> Burst {
    let forged: Vec<String> = (0..250)
        .map(|i| {
            format!(
                r#"{{"ref1":"FORGED-{i}","ref2":"R2","paidStatus":1,"amount":"1.00","refId":"X{i}"}}"#
            )
        })
        .collect();
    let mut deliveries: Vec<(bool, String)> = (0..250)
        .map(|i| (true, bodies[i % bodies.len()].clone()))
        .chain(forged.into_iter().map(|b| (false, b)))
        .collect();
    fastrand::shuffle(&mut deliveries);
    let queue = Arc::new(Mutex::new(deliveries));
    let results = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let before = ctl.count("status");
    let started = Instant::now();
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (c, queue, results, known) = (
                client.clone(),
                queue.clone(),
                results.clone(),
                known.clone(),
            );
            std::thread::spawn(move || {
                loop {
                    let Some((genuine, body)) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let r = match &known {
                        Some(k) => {
                            c.receive_callback_known(body.as_bytes(), |r1, _| k.contains(r1))
                        }
                        None => c.receive_callback(body.as_bytes(), true),
                    };
                    let code = reply_for(r);
                    let mut res = results.lock().unwrap();
                    if genuine {
                        res.0.push(code)
                    } else {
                        res.1.push(code)
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = started.elapsed();
    let (genuine, forged) = Arc::try_unwrap(results).unwrap().into_inner().unwrap();
    Burst {
        genuine,
        forged,
        dga_status_calls: ctl.count("status") - before,
        elapsed,
    }
}

fn paid_bodies(
    client: &dga_epayment::blocking::Client,
    ctl: &Control,
) -> (Vec<String>, HashSet<String>) {
    let mut bodies = Vec::new();
    let mut known = HashSet::new();
    for _ in 0..10 {
        let (p, _) = paid_payment(client, ctl, PaymentType::FastPay, "100.00");
        let s = client.status(&p.reference1, &p.reference2).unwrap();
        known.insert(p.reference1.clone());
        bodies.push(serde_json::to_string(&s).unwrap());
    }
    (bodies, known)
}

#[test]
fn with_known_reference_forged_deliveries_cost_dga_nothing() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    // A reuse window longer than the burst, so a slow machine cannot make it flaky.
    let client = dga_epayment::blocking::Client::new(
        config_for(&sb)
            .verification_reuse(Duration::from_secs(60))
            .build()
            .unwrap(),
    )
    .unwrap();
    let (bodies, known) = paid_bodies(&client, &ctl);
    let stats_before = client.verification_stats();
    let b = burst(&client, &ctl, &bodies, Some(Arc::new(known)));
    let stats = client.verification_stats();
    assert!(
        b.forged.iter().all(|c| *c == 404 || *c == 503),
        "{:?}",
        b.forged
    );
    assert!(
        b.genuine.iter().all(|c| *c == 200 || *c == 503),
        "{:?}",
        b.genuine
    );
    assert_eq!(stats.refused_unknown - stats_before.refused_unknown, 250);
    assert!(
        b.dga_status_calls <= 20,
        "{} status calls for 10 references",
        b.dga_status_calls
    );
    assert_eq!(
        (stats.status_calls - stats_before.status_calls) as usize,
        b.dga_status_calls,
        "the counter matches the sandbox's request log"
    );
    println!(
        "with known_reference: {} DGA status calls for the burst ({} ms)",
        b.dga_status_calls,
        b.elapsed.as_millis()
    );
}

#[test]
fn without_known_reference_the_budget_bounds_what_a_flood_costs() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = dga_epayment::blocking::Client::new(
        config_for(&sb)
            .verification_reuse(Duration::from_secs(60))
            .build()
            .unwrap(),
    )
    .unwrap();
    let (bodies, _) = paid_bodies(&client, &ctl);
    let b = burst(&client, &ctl, &bodies, None);
    let stats = client.verification_stats();
    assert!(
        b.forged.iter().all(|c| *c == 404 || *c == 503),
        "{:?}",
        b.forged
    );
    assert!(
        b.genuine.iter().all(|c| *c == 200 || *c == 503),
        "{:?}",
        b.genuine
    );
    // The default budget: 20 a second, burst 40.
    let allowed = 40 + (20.0 * b.elapsed.as_secs_f64()).ceil() as usize;
    assert!(
        b.dga_status_calls <= allowed,
        "{} status calls in {} ms (budget {allowed})",
        b.dga_status_calls,
        b.elapsed.as_millis()
    );
    assert!(stats.refused_busy > 0);
    assert_eq!(stats.status_calls as usize, b.dga_status_calls);
    println!(
        "without known_reference: {} DGA status calls for the burst ({} ms), {} refused busy",
        b.dga_status_calls,
        b.elapsed.as_millis(),
        stats.refused_busy
    );
}

#[test]
fn a_reused_answer_is_never_pending_and_a_void_of_ours_is_seen() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = dga_epayment::blocking::Client::new(
        config_for(&sb)
            .verification_reuse(Duration::from_secs(60))
            .verification_rate(0)
            .build()
            .unwrap(),
    )
    .unwrap();
    // Pending: every delivery asks DGA again (a Pending answer is never reused).
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "50.00"))
        .unwrap();
    let body = format!(
        r#"{{"ref1":"{}","ref2":"{}","paidStatus":1,"amount":"50.00"}}"#,
        p.reference1, p.reference2
    );
    let before = ctl.count("status");
    for _ in 0..3 {
        let e = client.receive_callback(body.as_bytes(), true).unwrap_err();
        assert!(matches!(
            e,
            Error::Verification {
                reason: VerificationReason::PendingAtDga,
                ..
            }
        ));
    }
    assert_eq!(ctl.count("status") - before, 3);
    // Paid: the second delivery reuses the first one's answer.
    ctl.simulate(&p.reference1, &p.reference2, "pay");
    let s = client.receive_callback(body.as_bytes(), true).unwrap();
    assert_eq!(s.paid_status, PaidStatus::Success);
    let before = ctl.count("status");
    client.receive_callback(body.as_bytes(), true).unwrap();
    assert_eq!(ctl.count("status"), before, "reused");
    assert_eq!(client.verification_stats().reused, 1);
    // This client voids it: a delivery claiming Success is decided by DGA again (Void now).
    let ref_id = s.ref_id.unwrap();
    client.void(&p.reference1, &p.reference2, &ref_id).unwrap();
    let e = client.receive_callback(body.as_bytes(), true).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Verification {
                reason: VerificationReason::StatusDiffers,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn an_exception_free_unknown_reference_is_404_and_the_busy_reply_is_503() {
    let sb = start_sandbox();
    let client = client_for(&sb);
    let e = client.refuse_unknown_reference("NOT-OURS", "");
    assert_eq!(CallbackReply::for_error(&e).http_status, 404);
    // Its text names the agency's lookup, not DGA, which was never asked.
    assert!(
        e.to_string().starts_with("not a payment of this agency"),
        "{e}"
    );
    assert!(!e.to_string().contains("DGA has no"), "{e}");
    assert_eq!(client.verification_stats().refused_unknown, 1);
    assert_eq!(CallbackReply::unavailable().http_status, 503);
    let busy = Error::Verification {
        reason: VerificationReason::Busy,
        mismatches: vec![],
        dga_asked: false,
    };
    assert_eq!(CallbackReply::for_error(&busy).http_status, 503);
    assert!(busy.is_transient());
    assert_eq!(busy.to_json()["reason"], "busy");
    assert!(busy.to_string().contains("DGA was not asked"), "{busy}");
}

/// The README's form: an async `known_reference` looking the reference up in the agency's
/// orders (a set here).
#[test]
fn the_async_known_reference_hook_refuses_without_asking_dga() {
    struct Orders(HashSet<String>);
    impl Orders {
        async fn exists(&self, reference1: &str) -> bool {
            self.0.contains(reference1)
        }
    }
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = async_client_for(&sb);
    let orders = Arc::new(Orders(HashSet::from(["INV-1".to_owned()])));
    let before = ctl.count("status");
    let body = br#"{"ref1":"FORGED","ref2":"","paidStatus":1,"amount":"1.00"}"#;
    let o = orders.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(
        client.receive_callback_known(body, |reference1, _reference2| {
            let reference1 = reference1.to_owned();
            async move { o.exists(&reference1).await }
        }),
    );
    let e = status.unwrap_err();
    assert_eq!(CallbackReply::for_error(&e).http_status, 404);
    assert_eq!(ctl.count("status"), before, "DGA was not asked");
    assert_eq!(client.verification_stats().refused_unknown, 1);
}
