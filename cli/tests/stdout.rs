//! A stdout that is closed (`| head -1`) or full (`> /dev/full`) is never a panic: a closed one
//! ends the command quietly with the status of what was done, a full one is `error[io]` and 1.
//! When DGA did a create, close or void whose answer stdout could not take, its references go
//! to stderr so that the payment is not lost.

mod common;

use common::{AGENT_ID, Run, Sandbox, broken_pipe, dev_full, dgapay_to};
use serde_json::json;
use std::process::Stdio;

const CALLBACK: &str = r#"{"PaidStatus": 1, "Description": "Success", "PaidDate": "2022-09-22T11:03:36",
  "ConfirmPaidDate": "2022-09-22T11:03:36", "PaidChannel": "QR", "RefId": "7447066", "Ref1": "123456789", "Ref2": "12345",
  "PaymentType": "Q", "Amount": 1000, "FeeAmount": 0}"#;

const PAYMENT: &str = r#"{"orderRef": "O-1", "amount": "1000.50", "merchantId": "900000001",
  "currCode": "764", "lang": "T", "payType": "N", "payMethod": "CC", "securityKey": "k-123456789",
  "gatewayUrl": "https://gateway.example/ktb/payForm", "successUrl": "", "failUrl": "",
  "cancelUrl": "", "reference1": "R1", "reference2": ""}"#;

/// A closed stdout: the status of what was done, and nothing said about stdout.
fn quiet(run: &Run, code: i32, what: &str) {
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert!(!run.stderr.contains("error["), "{what}: {}", run.stderr);
    assert_eq!(run.code, code, "{what}: {}", run.stderr);
}

/// A full stdout: `error[io]: stdout: …` and 1.
fn full(run: &Run, what: &str) {
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert!(
        run.stderr.contains("error[io]: stdout: "),
        "{what}: {}",
        run.stderr
    );
    assert_eq!(run.code, 1, "{what}: {}", run.stderr);
}

fn offline(args: &[&str], stdin: Option<&str>, stdout: Stdio) -> Run {
    dgapay_to(args, &[], stdin.map(str::as_bytes), stdout)
}

#[test]
fn offline_commands_survive_a_closed_or_full_stdout() {
    let cases: [(&[&str], Option<&str>); 5] = [
        (&["callback", "ack"], None),
        (&["--json", "callback", "ack"], None),
        (&["callback", "parse"], Some(CALLBACK)),
        (&["checkout"], Some(PAYMENT)),
        (&["checkout", "--json"], Some(PAYMENT)),
    ];
    for (args, stdin) in cases {
        let what = args.join(" ");
        quiet(&offline(args, stdin, broken_pipe()), 0, &what);
        full(&offline(args, stdin, dev_full()), &what);
    }
    // A failure stays a failure; its JSON on a closed stdout changes nothing.
    let run = offline(&["--json", "checkout"], Some("{}"), broken_pipe());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error[validation]"),
        "{}",
        run.stderr
    );
}

#[test]
fn demo_stops_quietly_on_a_closed_stdout() {
    // The walk stops at the first line it cannot print: not every step ran, so not 0.
    let run = offline(&["demo"], None, broken_pipe());
    quiet(&run, 1, "demo");
    full(&offline(&["demo"], None, dev_full()), "demo");
}

fn create_args(reference1: &str) -> Vec<&str> {
    vec![
        "create",
        "--customer-id",
        AGENT_ID,
        "--title",
        "นาย",
        "--first-name",
        "a",
        "--last-name",
        "b",
        "--payment-type",
        "FastPay",
        "--amount",
        "5",
        "--reference1",
        reference1,
        "--reference2",
        "B-2",
    ]
}

#[test]
fn calls_survive_a_closed_or_full_stdout() {
    let sb = Sandbox::start();
    sb.run(&create_args("PIPE-0")).assert_code(0);
    for args in [
        &["token"][..],
        &["status", "PIPE-0", "B-2"],
        &["--json", "status", "PIPE-0", "B-2"],
    ] {
        let what = args.join(" ");
        quiet(&sb.run_to(args, None, broken_pipe()), 0, &what);
        full(&sb.run_to(args, None, dev_full()), &what);
    }
}

/// The references of what DGA did are on stderr.
fn names(run: &Run, what: &str, refs: &[&str]) {
    assert!(run.stderr.contains(what), "{}", run.stderr);
    for r in refs {
        assert!(run.stderr.contains(r), "{r} not on stderr: {}", run.stderr);
    }
}

#[test]
fn create_close_void_keep_their_references_on_stderr() {
    let sb = Sandbox::start();
    for (reference1, stdout, json) in [
        ("PIPE-1", broken_pipe(), false),
        ("PIPE-2", dev_full(), false),
        ("PIPE-3", broken_pipe(), true),
    ] {
        let mut args = create_args(reference1);
        if json {
            args.push("--json");
        }
        let closed = matches!(reference1, "PIPE-1" | "PIPE-3");
        let run = sb.run_to(&args, None, stdout);
        if closed {
            quiet(&run, 0, reference1);
        } else {
            full(&run, reference1);
        }
        // The payment exists at DGA, and what finds it is on stderr.
        let status = sb.run(&["--json", "status", reference1, "B-2"]);
        status.assert_code(0);
        let order_ref = status.json()["orderRef"].as_str().map(str::to_owned);
        names(
            &run,
            "the payment was created",
            &[reference1, "B-2", "orderRef"],
        );
        if let Some(order_ref) = order_ref {
            assert!(run.stderr.contains(&order_ref), "{}", run.stderr);
        }
        assert!(!run.stderr.contains("securityKey"), "{}", run.stderr);
    }

    let run = sb.run_to(&["close", "PIPE-1", "B-2"], None, broken_pipe());
    quiet(&run, 0, "close");
    names(&run, "the payment was closed", &["PIPE-1", "B-2"]);
    assert_eq!(
        sb.run(&["--json", "status", "PIPE-1", "B-2"]).json()["paidStatus"],
        "Expired"
    );

    sb.control(
        "POST",
        "simulate",
        Some(json!({"reference1": "PIPE-2", "reference2": "B-2", "outcome": "pay", "deliverCallback": false})),
    );
    let paid = sb.run(&["--json", "status", "PIPE-2", "B-2"]).json();
    let ref_id = paid["refId"].as_str().unwrap().to_owned();
    let run = sb.run_to(&["void", "PIPE-2", "B-2", &ref_id], None, dev_full());
    full(&run, "void");
    names(&run, "the payment was voided", &["PIPE-2", "B-2", &ref_id]);
}
