//! The client against the sandbox over real loopback HTTP: every endpoint, every DGA error the
//! sandbox produces, the token cache, callback verification.

mod common;

use common::*;
use dga_epayment::{
    Config, Environment, Error, ErrorCode, ErrorKind, MAX_REFERENCE_CHARS, PaidStatus, PaymentType,
    VerificationReason, blocking::Client, parse_callback,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// A sandbox whose callbacks go to a closed port: the delivery log still records each body.
fn sandbox_logging_callbacks() -> dga_sandbox::Sandbox {
    start_sandbox_with(|c| {
        c.callback_url = Some("http://127.0.0.1:9/callback".into());
        c.callback_max_attempts = 1;
    })
}

fn api_code(e: &Error) -> Option<ErrorCode> {
    match e {
        Error::Api { error_code, .. } => error_code.clone(),
        _ => None,
    }
}

#[test]
fn full_lifecycle_in_every_environment() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    for env in [Environment::Production, Environment::Uat, Environment::Test] {
        let client = Client::new(config_for(&sb).environment(env).build().unwrap()).unwrap();
        let req = payment_request(PaymentType::FastPay, "1000.50");
        let payment = client.create_payment(&req).unwrap();
        assert_eq!(
            payment.amount,
            "1000.50".parse().unwrap(),
            "exact, whatever the scale"
        );
        assert_eq!(payment.reference1, req.request_reference1);
        assert_eq!(payment.reference2, "R2");
        assert!(payment.gateway_url.starts_with(&sb.url()));
        // The text the bindings receive is the JSON form, key for key.
        assert_eq!(payment.to_json_text(), payment.to_json().to_string());

        let st = client
            .status(&payment.reference1, &payment.reference2)
            .unwrap();
        assert_eq!(st.paid_status, PaidStatus::Pending);
        assert_eq!(st.amount.to_string(), "1000.5");
        assert_eq!(st.paid_date, None);

        ctl.simulate(&payment.reference1, &payment.reference2, "pay");
        let st = client
            .status(&payment.reference1, &payment.reference2)
            .unwrap();
        assert_eq!(st.paid_status, PaidStatus::Success);
        let ref_id = st.ref_id.clone().expect("refId after payment");
        assert!(st.paid_date.is_some());

        client
            .void(&payment.reference1, &payment.reference2, &ref_id)
            .unwrap();
        let st = client
            .status(&payment.reference1, &payment.reference2)
            .unwrap();
        assert_eq!(st.paid_status, PaidStatus::Void);
        assert!(st.void_date.is_some());

        let qr = client
            .create_payment(&payment_request(PaymentType::QrPayment, "99"))
            .unwrap();
        assert_eq!(qr.pay_method, "QR");
        let closed = client.close(&qr.reference1, &qr.reference2).unwrap();
        assert_eq!(closed.to_json_text(), closed.to_json().to_string());
        let st = client.status(&qr.reference1, &qr.reference2).unwrap();
        assert_eq!(st.paid_status, PaidStatus::Expired);
    }
    // Each environment's path was really used.
    let paths: Vec<String> = ctl
        .get("/__sandbox/requests")
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    for p in [
        "/ws/dga/payment/create",
        "/ws/dga/uat/payment/close",
        "/ws/dga/dev/payment/void",
        "/ws/dga/dev/payment/status",
    ] {
        assert!(paths.iter().any(|x| x == p), "{p} not called: {paths:?}");
    }
}

#[test]
fn every_dga_error_maps_to_an_api_error_with_its_code() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);

    // 8: unknown transaction, for status, close and void.
    let e = client.status("no-such-ref", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(api_code(&e), Some(ErrorCode::TransactionNotFound));
    assert_eq!(
        api_code(&client.close("no-such-ref", "").unwrap_err()),
        Some(ErrorCode::TransactionNotFound)
    );
    assert_eq!(
        api_code(&client.void("no-such-ref", "", "1").unwrap_err()),
        Some(ErrorCode::TransactionNotFound)
    );

    // 21: duplicate requestReference1.
    let req = payment_request(PaymentType::FastPay, "10");
    let paid = client.create_payment(&req).unwrap();
    let e = client.create_payment(&req).unwrap_err();
    assert_eq!(api_code(&e), Some(ErrorCode::ReferenceNumberDuplicate));
    assert!(
        e.to_string().contains("ReferenceNumberDuplicate (21)"),
        "{e}"
    );

    // 2: a source DGA did not assign.
    let mut bad_source = payment_request(PaymentType::FastPay, "10");
    bad_source.source = Some("NOT-A-SOURCE".into());
    assert_eq!(
        api_code(&client.create_payment(&bad_source).unwrap_err()),
        Some(ErrorCode::InvalidSource)
    );

    // 19: void of an unpaid payment, and with the wrong payment reference.
    let e = client
        .void(&paid.reference1, &paid.reference2, "123")
        .unwrap_err();
    assert_eq!(api_code(&e), Some(ErrorCode::UnableToVoidTransaction));
    ctl.simulate(&paid.reference1, &paid.reference2, "pay");
    let e = client
        .void(&paid.reference1, &paid.reference2, "not-the-ref-id")
        .unwrap_err();
    assert_eq!(api_code(&e), Some(ErrorCode::UnableToVoidTransaction));

    // 14: closing a paid payment.
    let e = client
        .close(&paid.reference1, &paid.reference2)
        .unwrap_err();
    assert_eq!(api_code(&e), Some(ErrorCode::PaidPaymentCannotBeClosed));

    // 11: void is FastPay only.
    let (qr, ref_id) = paid_payment(&client, &ctl, PaymentType::QrPayment, "5");
    let e = client
        .void(&qr.reference1, &qr.reference2, &ref_id)
        .unwrap_err();
    assert_eq!(api_code(&e), Some(ErrorCode::UnsupportedPaymentType));

    // Errors carry DGA's status and message.
    match e {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(status, dga_epayment::ResponseStatus::Error);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_input_is_refused_before_any_network_call() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let mut req = payment_request(PaymentType::PageToPage, "10.001");
    req.customer_first_name = " ".into();
    req.request_reference1 = String::new();
    let e = client.create_payment(&req).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let fields: Vec<_> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "customerFirstName",
            "requestReference1",
            "paymentType",
            "amount"
        ]
    );
    assert_eq!(
        client.status("  ", "x").unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(
        client.void("r", "", "").unwrap_err().kind(),
        ErrorKind::Validation
    );
    // A reference no agency could have: megabytes long, or with a control character. Refused
    // by name, not sent (it once became a transient network error, retried three times).
    let huge = "A".repeat(2_000_000);
    let fields = |e: Error| -> Vec<String> {
        assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
        assert!(!e.is_transient());
        e.field_errors().iter().map(|f| f.field.clone()).collect()
    };
    assert_eq!(
        fields(client.status(&huge, "").unwrap_err()),
        ["reference1"]
    );
    assert_eq!(
        fields(client.close("R1", "a\nb").unwrap_err()),
        ["reference2"]
    );
    let e = client.void("R1", "", &huge).unwrap_err();
    assert!(e.to_string().contains("is 2000000 characters long"), "{e}");
    assert_eq!(fields(e), ["paymentReference"]);
    let mut req = payment_request(PaymentType::FastPay, "10.00");
    req.request_reference1 = "R".repeat(MAX_REFERENCE_CHARS + 1);
    req.request_reference3 = "tab\there".into();
    req.customer_first_name = "สม\0ชาย".into();
    let e = client.create_payment(&req).unwrap_err();
    assert_eq!(
        fields(e),
        [
            "customerFirstName",
            "requestReference1",
            "requestReference3"
        ]
    );
    // Nothing reached the sandbox, not even a token request.
    assert_eq!(ctl.get("/__sandbox/requests").as_array().unwrap().len(), 0);
    // The longest reference allowed is still a reference.
    let longest = "ก".repeat(MAX_REFERENCE_CHARS);
    assert_eq!(
        api_code(&client.status(&longest, "").unwrap_err()),
        Some(ErrorCode::TransactionNotFound)
    );
}

#[test]
fn wrong_credentials_are_an_auth_error_without_retries() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = Client::new(
        config_for(&sb)
            .consumer_secret("wrong-secret")
            .build()
            .unwrap(),
    )
    .unwrap();
    let e = client.status("x", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("HTTP 401"), "{e}");
    assert!(
        !e.is_transient(),
        "a refused credential is not transient: {e}"
    );
    assert_eq!(ctl.count("token"), 1, "a refused credential is not retried");
}

#[test]
fn one_token_for_64_threads_then_one_refresh_after_expiry() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = Arc::new(client_for(&sb));
    let payment = client
        .create_payment(&payment_request(PaymentType::FastPay, "1"))
        .unwrap();
    ctl.post("/__sandbox/reset", json!({}));
    // reset dropped the transaction and the token: a cold client and a fresh payment.
    let client = Arc::new(client_for(&sb));
    let payment2 = client
        .create_payment(&payment_request(PaymentType::FastPay, "1"))
        .unwrap();
    let _ = payment;
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let client = Arc::clone(&client);
            let (r1, r2) = (payment2.reference1.clone(), payment2.reference2.clone());
            std::thread::spawn(move || {
                for _ in 0..50 {
                    client.status(&r1, &r2).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(ctl.count("status"), 64 * 50);
    assert_eq!(ctl.count("token"), 1, "single flight: one token request");

    let (status, _) = ctl.post("/__sandbox/expire-tokens", json!({}));
    assert_eq!(status, 200);
    client
        .status(&payment2.reference1, &payment2.reference2)
        .unwrap();
    assert_eq!(ctl.count("token"), 2, "one refresh after expiry");
}

#[test]
fn a_cold_client_under_concurrency_makes_one_token_request() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = Arc::new(client_for(&sb));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let client = Arc::clone(&client);
            std::thread::spawn(move || client.token().map(|t| t.expose().to_owned()))
        })
        .collect();
    let tokens: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(ctl.count("token"), 1);
}

#[test]
fn token_is_refreshed_after_its_max_age() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = Client::new(
        config_for(&sb)
            .token_max_age(Duration::from_millis(150))
            .build()
            .unwrap(),
    )
    .unwrap();
    let first = client.token().unwrap().expose().to_owned();
    assert_eq!(
        client.token().unwrap().expose(),
        first,
        "cached while fresh"
    );
    std::thread::sleep(Duration::from_millis(200));
    let second = client.token().unwrap().expose().to_owned();
    assert_ne!(first, second);
    assert_eq!(ctl.count("token"), 2);
}

#[test]
fn sandbox_token_ttl_expiry_is_handled_by_one_refresh() {
    let sb = start_sandbox_with(|c| c.token_ttl = Some(Duration::from_millis(100)));
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "1"))
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    client.status(&p.reference1, &p.reference2).unwrap();
    assert_eq!(ctl.count("token"), 2);
    assert_eq!(ctl.count("status"), 2, "the 401 call, then the repeat");
}

#[test]
fn verify_callback_accepts_the_real_one_and_refuses_forgeries() {
    let sb = sandbox_logging_callbacks();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "1500.25"))
        .unwrap();
    ctl.simulate(&p.reference1, &p.reference2, "pay");
    let body = ctl.callback_body(&p.reference1);
    let cb = parse_callback(body.as_bytes()).unwrap();
    assert_eq!(cb.paid_status, PaidStatus::Success);
    assert_eq!(cb.amount.to_string(), "1500.25");
    let verified = client.verify_callback(&cb).unwrap();
    assert_eq!(verified.paid_status, PaidStatus::Success);
    assert_eq!(verified.ref_id, cb.ref_id);

    // The same callback with a different amount and refId: DGA's status is the truth, so it
    // is accepted, and what the caller gets is DGA's amount and refId, not the callback's.
    let mut forged = cb.clone();
    forged.amount = "1.00".parse().unwrap();
    forged.ref_id = Some("x".into());
    let verified = client.verify_callback(&forged).unwrap();
    assert_eq!(verified.amount.to_string(), "1500.25");
    assert_eq!(verified.ref_id, cb.ref_id);

    // Claimed Void while DGA says Success: another final status, refused.
    let mut forged = cb.clone();
    forged.paid_status = PaidStatus::Void;
    match client.verify_callback(&forged).unwrap_err() {
        Error::Verification { reason, .. } => {
            assert_eq!(reason, VerificationReason::StatusDiffers)
        }
        other => panic!("{other:?}"),
    }

    // Claimed paid while DGA says pending.
    let pending = client
        .create_payment(&payment_request(PaymentType::FastPay, "20"))
        .unwrap();
    let mut forged = cb.clone();
    forged.ref1 = pending.reference1.clone();
    forged.ref2 = pending.reference2.clone();
    forged.amount = "20".parse().unwrap();
    forged.ref_id = None;
    match client.verify_callback(&forged).unwrap_err() {
        Error::Verification { reason, .. } => assert_eq!(reason, VerificationReason::PendingAtDga),
        other => panic!("{other:?}"),
    }

    // A transaction DGA never heard of.
    let mut forged = cb;
    forged.ref1 = "invented".into();
    match client.verify_callback(&forged).unwrap_err() {
        Error::Verification { reason, .. } => {
            assert_eq!(reason, VerificationReason::UnknownPayment)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn failed_and_cancelled_payments_reach_their_states() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    for (outcome, expected) in [
        ("fail", PaidStatus::Failed),
        ("cancel", PaidStatus::Rejected),
    ] {
        let p = client
            .create_payment(&payment_request(PaymentType::QrPayment, "3"))
            .unwrap();
        ctl.simulate(&p.reference1, &p.reference2, outcome);
        assert_eq!(
            client
                .status(&p.reference1, &p.reference2)
                .unwrap()
                .paid_status,
            expected
        );
    }
}

#[test]
fn client_is_send_sync_and_config_is_reusable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<Config>();
    assert_send_sync::<Error>();
}
