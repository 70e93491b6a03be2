//! The async core (docs/architecture.md#the-async-core): the async client under any runtime,
//! the blocking client inside a runtime and on the core's own threads, threads held by
//! calls in flight, and what happens to a create whose caller goes away.
mod common;

use common::*;
use dga_epayment::{ErrorCode, ErrorKind, PaidStatus, PaymentType, runtime};
use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The core's log lines, captured for the assertions below.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        if r.target() == "dga_epayment" {
            LINES
                .lock()
                .unwrap()
                .push(format!("{} {}", r.level(), r.args()));
        }
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static LOGGER: Capture = Capture;
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Info);
}

fn logged(pattern: &str, reference1: &str) -> Option<String> {
    LINES
        .lock()
        .unwrap()
        .iter()
        .find(|l| l.contains(pattern) && l.contains(reference1))
        .cloned()
}

fn wait_for_log(pattern: &str, reference1: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(l) = logged(pattern, reference1) {
            return Some(l);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_client_works_under_a_current_thread_runtime() {
    let sb = start_sandbox();
    let client = async_client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::QrPayment, "100.25"))
        .await
        .unwrap();
    let s = client.status(&p.reference1, &p.reference2).await.unwrap();
    assert_eq!(s.paid_status, PaidStatus::Pending);
    assert_eq!(s.amount.to_string(), "100.25");
    client.close(&p.reference1, &p.reference2).await.unwrap();
    let s = client.status(&p.reference1, &p.reference2).await.unwrap();
    assert_eq!(s.paid_status, PaidStatus::Expired, "closed unpaid");
    let err = client.status("NO-SUCH-REF", "").await.unwrap_err();
    assert_eq!(err.error_code(), Some(&ErrorCode::TransactionNotFound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_works_inside_a_runtime_without_panicking() {
    let sb = start_sandbox();
    let client = client_for(&sb);
    // Blocking this runtime's thread is the documented cost; a panic ("Cannot start a
    // runtime from within a runtime") is not acceptable.
    let p = client
        .create_payment(&payment_request(PaymentType::QrPayment, "5.00"))
        .unwrap();
    assert_eq!(
        client
            .status(&p.reference1, &p.reference2)
            .unwrap()
            .paid_status,
        PaidStatus::Pending
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_blocking_client_works_inside_a_current_thread_runtime() {
    let sb = start_sandbox();
    let client = client_for(&sb);
    assert!(client.token().is_ok());
}

#[test]
fn a_blocking_call_on_a_core_runtime_thread_does_not_deadlock() {
    let sb = start_sandbox();
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::QrPayment, "7.00"))
        .unwrap();
    // As a C completion callback would: a blocking call made on one of the core's workers.
    // Several at once, more than the runtime has workers.
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..6 {
        let (c, tx) = (client.clone(), tx.clone());
        let (r1, r2) = (p.reference1.clone(), p.reference2.clone());
        runtime::spawn(async move {
            let _ = tx.send(c.status(&r1, &r2).map(|s| s.paid_status));
        })
        .unwrap();
    }
    for _ in 0..6 {
        let got = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("no deadlock");
        assert_eq!(got.unwrap(), PaidStatus::Pending);
    }
}

#[test]
fn a_thousand_calls_in_flight_hold_no_thread_each() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client =
        dga_epayment::Client::new(config_for(&sb).max_in_flight(2000).build().unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let p = rt
        .block_on(client.create_payment(&payment_request(PaymentType::QrPayment, "1.00")))
        .unwrap();
    let before = threads();
    ctl.fault("status", "latency", 1000, json!({"latencyMs": 1500}));
    let (r1, r2) = (p.reference1.clone(), p.reference2.clone());
    let peak = rt.block_on(async {
        let calls: Vec<_> = (0..1000)
            .map(|_| {
                let (c, r1, r2) = (client.clone(), r1.clone(), r2.clone());
                tokio::spawn(async move { c.status(&r1, &r2).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let peak = threads();
        for call in calls {
            assert_eq!(
                call.await.unwrap().unwrap().paid_status,
                PaidStatus::Pending
            );
        }
        peak
    });
    // The embedded sandbox's own threads are counted in both; the core adds none per call.
    assert!(
        peak <= before + 4,
        "{before} threads before, {peak} with 1,000 calls in flight"
    );
}

#[test]
fn a_create_whose_caller_went_away_still_reaches_dga_and_is_logged() {
    capture_logs();
    let sb = start_sandbox();
    let client = async_client_for(&sb);
    let (r1, rt) = create_given_up(&sb, &client, 600);
    let line =
        wait_for_log("finished after its caller went away", &r1).expect("the outcome is logged");
    assert!(line.starts_with("WARN"), "{line}");
    assert!(line.contains("payment created at DGA"), "{line}");
    let s = rt.block_on(client.status(&r1, "R2")).unwrap();
    assert_eq!(
        s.paid_status,
        PaidStatus::Pending,
        "the payment exists at DGA"
    );
}

#[test]
fn a_create_cancelled_while_queued_is_never_sent() {
    capture_logs();
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client =
        dga_epayment::Client::new(config_for(&sb).max_in_flight(1).build().unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(client.token()).unwrap();
    ctl.fault("status", "latency", 1, json!({"latencyMs": 800}));
    let request = payment_request(PaymentType::QrPayment, "43.00");
    let r1 = request.request_reference1.clone();
    rt.block_on(async {
        // The one slot is taken by a slow status; the create waits for it, then is dropped.
        let c = client.clone();
        let slow = tokio::spawn(async move { c.status("ANY", "").await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let queued =
            tokio::time::timeout(Duration::from_millis(200), client.create_payment(&request)).await;
        assert!(queued.is_err());
        let _ = slow.await;
    });
    wait_for_log("cancelled before it was sent", &r1).expect("logged as not sent");
    let creates = ctl
        .get("/__sandbox/requests")
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["endpoint"] == "create")
        .count();
    assert_eq!(creates, 0, "the create never reached DGA");
    let err = rt.block_on(client.status(&r1, "R2")).unwrap_err();
    assert_eq!(err.error_code(), Some(&ErrorCode::TransactionNotFound));
}

#[test]
fn a_status_whose_caller_went_away_is_cancelled() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = async_client_for(&sb);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(client.token()).unwrap();
    ctl.fault("status", "latency", 1, json!({"latencyMs": 3000}));
    let started = Instant::now();
    let r = rt.block_on(async {
        tokio::time::timeout(Duration::from_millis(100), client.status("ANY", "")).await
    });
    assert!(r.is_err());
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// Status runs in place on a caller's runtime, with that runtime's own connections: a
/// runtime that ended (and took its connections' tasks with it) leaves nothing that breaks
/// the next one's calls.
#[test]
fn status_works_on_one_runtime_after_another() {
    let sb = start_sandbox();
    let client = async_client_for(&sb);
    let p = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(client.create_payment(&payment_request(PaymentType::QrPayment, "3.00")))
            .unwrap()
    };
    for _ in 0..12 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let s = rt
            .block_on(client.status(&p.reference1, &p.reference2))
            .unwrap();
        assert_eq!(s.paid_status, PaidStatus::Pending);
    }
}

/// A runtime without the I/O and time drivers cannot run a call: it is sent to the SDK's
/// runtime instead of panicking.
#[test]
fn status_works_on_a_runtime_without_io_or_time() {
    let sb = start_sandbox();
    let client = async_client_for(&sb);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt.block_on(client.status("NO-SUCH-REF", "")).unwrap_err();
    assert_eq!(err.error_code(), Some(&ErrorCode::TransactionNotFound));
    assert!(rt.block_on(client.token()).is_ok());
}

#[test]
fn max_in_flight_and_the_runtime_settings_are_checked() {
    let err = config_for_url("http://127.0.0.1:9")
        .max_in_flight(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.to_string().contains("maxInFlight"), "{err}");
}

fn config_for_url(url: &str) -> dga_epayment::ConfigBuilder {
    dga_epayment::Config::builder()
        .consumer_key("k")
        .consumer_secret("s")
        .agent_id(AGENT_ID)
        .gateway_url(url)
}

/// A callback taken without verification is the sender's word: said at WARNING, so a test
/// setting left in production shows in the logs.
#[tokio::test]
async fn a_callback_taken_unverified_is_logged() {
    capture_logs();
    let sb = start_sandbox();
    let client = dga_epayment::Client::new(config_for(&sb).build().unwrap()).unwrap();
    let body = r#"{"paidStatus": 1, "description": "", "paidDate": "2024-03-07T15:42:28",
        "paidChannel": "QR", "confirmPaidDate": "2024-03-07T15:42:28", "refId": "1",
        "ref1": "UNVERIFIED-1", "ref2": "", "paymentType": 5, "amount": 10.5, "feeAmount": 0}"#;
    let cb = client
        .receive_callback(body.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(cb.ref1, "UNVERIFIED-1");
    let line = logged("taken without asking DGA", "UNVERIFIED-1").expect("a WARNING");
    assert!(line.starts_with("WARN "), "{line}");
}
