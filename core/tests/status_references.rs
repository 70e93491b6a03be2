//! A status answer that names other references than asked (the guide's own §6 example does):
//! the status, and the status a callback's handler is given, keep the references asked, and
//! DGA's are logged (docs/protocol.md, Q7). One test in its own binary: it installs the logger.

mod common;

use common::*;
use dga_epayment::PaymentType;
use serde_json::json;

/// The guide's §6 answer, word for word but for its invalid `cardNo` escapes: asked about
/// 123456789/12345, it names 6500000100/62025465.
fn guide_answer(paid_status: &str) -> String {
    json!({"status": 0, "errorCode": null, "message": "Success", "data": {
        "paidStatus": paid_status, "description": null, "paidDate": "2022-09-22T11:03:36",
        "paidChannel": "บัตรเครดิต/เดบิต", "confirmPaidDate": "2022-09-22T11:03:36",
        "refId": "7447066", "ref1": "6500000100", "ref2": "62025465",
        "cardNo": "403375******6369", "paymentType": "C", "amount": 1000, "feeAmount": 0,
        "voidDate": "", "requestRefundDate": ""}})
    .to_string()
}

#[test]
fn a_status_naming_other_references_keeps_the_ones_asked() {
    capture_warnings();
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "1000"))
        .unwrap();
    let answer = json!({"httpStatus": 200, "body": guide_answer("Success")});

    ctl.fault("status", "respond", 1, answer.clone());
    let status = client.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(
        (status.ref1.as_str(), status.ref2.as_str()),
        (p.reference1.as_str(), p.reference2.as_str())
    );
    assert_eq!(
        status.ref_id.as_deref(),
        Some("7447066"),
        "DGA's other values"
    );
    let logged = warnings("names ref1=\"6500000100\"");
    assert!(
        logged.iter().any(|l| l.contains(&p.reference1)),
        "{logged:?}"
    );

    // A callback for the agency's payment, confirmed by that answer: the handler gets the
    // agency's references, so it records the right order (it would record 6500000100).
    ctl.fault("status", "respond", 1, answer);
    let body = json!({"ref1": p.reference1, "ref2": p.reference2, "paidStatus": 1,
                      "amount": "1000.00", "refId": "7447066", "paymentType": "C"});
    let verified = client
        .receive_callback(body.to_string().as_bytes(), true)
        .unwrap();
    assert_eq!(
        (verified.ref1.as_str(), verified.ref2.as_str()),
        (p.reference1.as_str(), p.reference2.as_str())
    );
    assert!(verified.paid_status.is_paid());

    // Logged once a minute at most: every answer of a DGA that always does it would be one.
    assert_eq!(warnings("names ref1=").len(), 1);
}
