//! A create or void whose request reached DGA but whose answer was lost (the sandbox's
//! `reset_after` fault: processed, then the connection reset) is `OutcomeUnknown`, carries
//! the references to check, and is never sent twice.

mod common;

use common::*;
use dga_epayment::{Error, ErrorKind, PaidStatus, PaymentType};
use serde_json::json;

/// The sandbox's transactions with this requestReference1.
fn transactions_for(ctl: &Control, reference1: &str) -> Vec<serde_json::Value> {
    ctl.get("/__sandbox/transactions")
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["ref1"] == reference1)
        .cloned()
        .collect()
}

#[test]
fn create_whose_answer_is_lost_is_outcome_unknown_and_created_once() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    // A pooled connection from an earlier call carries the create, as in production.
    client.token().unwrap();
    client.status("warm-up", "").unwrap_err();

    let req = payment_request(PaymentType::FastPay, "1000.50");
    ctl.fault("create", "reset_after", 1, json!({}));
    let e = client.create_payment(&req).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e}");
    assert_eq!(e.kind().code(), "outcome_unknown");
    match &e {
        Error::OutcomeUnknown {
            reference1,
            reference2,
            ..
        } => {
            assert_eq!(reference1, &req.request_reference1);
            assert_eq!(reference2, &req.request_reference2);
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    let as_json = e.to_json();
    assert_eq!(as_json["reference1"], req.request_reference1.as_str());
    assert_eq!(as_json["reference2"], req.request_reference2.as_str());

    // Sent once, never repeated; the sandbox holds exactly one transaction for it.
    assert_eq!(ctl.count("create"), 1);
    let held = transactions_for(&ctl, &req.request_reference1);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["ref2"], req.request_reference2.as_str());

    // What the error says to do works: status shows the payment, on a fresh connection.
    let st = client
        .status(&req.request_reference1, &req.request_reference2)
        .unwrap();
    assert_eq!(st.paid_status, PaidStatus::Pending);
}

#[test]
fn void_whose_answer_is_lost_is_outcome_unknown_and_sent_once() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let (p, ref_id) = paid_payment(&client, &ctl, PaymentType::FastPay, "40");
    ctl.fault("void", "reset_after", 1, json!({}));
    let e = client
        .void(&p.reference1, &p.reference2, &ref_id)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e}");
    assert_eq!(ctl.count("void"), 1, "never repeated");
    let st = client.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(st.paid_status, PaidStatus::Void, "the void happened");
}

#[test]
fn status_whose_answer_is_lost_is_asked_again() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::QrPayment, "5"))
        .unwrap();
    ctl.fault("status", "reset_after", 1, json!({}));
    let st = client.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(st.paid_status, PaidStatus::Pending);
    assert_eq!(ctl.count("status"), 2, "a read is safe to repeat");
}
