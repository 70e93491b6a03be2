//! A create whose outcome is unknown is logged at WARNING with its references, also when the
//! caller receives the error: an agency that catches and ignores it still has them in its log
//! to check. One test in its own binary: it installs the logger.

mod common;

use common::*;
use dga_epayment::{ErrorKind, PaymentType};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn a_received_outcome_unknown_is_logged_with_its_references() {
    capture_warnings();
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let req = payment_request(PaymentType::FastPay, "100.00");
    ctl.fault("create", "reset_after", 1, json!({}));
    let e = client.create_payment(&req).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e}");
    // Logged by the runtime once the result is handed over: a moment after the caller has it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let wanted = format!("reference1={} ", req.request_reference1);
    let logged = loop {
        let lines = warnings("outcome unknown, check its status");
        if lines.iter().any(|l| l.contains(&wanted)) || Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        logged
            .iter()
            .any(|l| l.starts_with("WARN create for ") && l.contains(&wanted)),
        "{logged:?}"
    );
    // Once: the caller received it, so not also as "finished after its caller went away".
    assert!(
        warnings("went away").is_empty(),
        "{:?}",
        warnings("went away")
    );
}
