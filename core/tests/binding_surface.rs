//! The JSON-level surface the bindings (Node, C, C#, Python) are built on: configuration from
//! JSON, results to JSON and back, the enum and error tables, and what a callback endpoint
//! answers DGA.
mod common;

use common::*;
use dga_epayment::{
    CONFIG_KEYS, CallbackReply, Config, ErrorKind, PaidStatus, Payment, PaymentStatus, PaymentType,
    blocking::Client, enum_tables, error_kinds, parse_callback,
};
use serde_json::{Value, json};
use std::time::Duration;

fn sandbox_logging_callbacks() -> dga_sandbox::Sandbox {
    start_sandbox_with(|c| c.callback_url = Some("http://127.0.0.1:9/unreachable".into()))
}

fn full_config(sb: &dga_sandbox::Sandbox) -> Value {
    json!({
        "consumerKey": "sandbox-key",
        "consumerSecret": "sandbox-secret",
        "agentId": AGENT_ID,
        "environment": "test",
        "gatewayUrl": sb.url(),
        "source": "SANDBOX",
        "timeoutMs": 4000,
        "connectTimeoutMs": 1000,
        "tokenMaxAgeMs": 60000,
        "retry": {"tokenAttempts": 2, "statusAttempts": 2, "connectAttempts": 1,
                  "backoffBaseMs": 1, "backoffCapMs": 2},
        "proxy": null,
        "userAgentSuffix": "tests/1",
        "strictAgentId": true,
        "maxResponseBytes": 65536,
        "tokenFailureCooldownMs": 500,
        "poolIdleTimeoutMs": 5000,
        "maxConcurrentVerifications": 4,
        "maxInFlight": 64,
        "verificationRate": 50,
        "verificationReuseMs": 1500,
        // The default: this test binary's other tests keep the runtime they expect.
        "workerThreads": 2
    })
}

#[test]
fn config_from_json_builds_a_working_client() {
    let sb = start_sandbox();
    let config = Config::from_json(&full_config(&sb)).unwrap();
    assert_eq!(config.source(), Some("SANDBOX"));
    assert_eq!(config.retry_policy().status_attempts, 2);
    assert_eq!(config.retry_policy().backoff_cap, Duration::from_millis(2));
    assert_eq!(config.token_max_age(), Duration::from_secs(60));
    assert_eq!(config.environment().name(), "test");
    assert_eq!(config.max_response_bytes(), 65536);
    assert_eq!(config.token_failure_cooldown(), Duration::from_millis(500));
    assert_eq!(config.pool_idle_timeout(), Duration::from_secs(5));
    assert_eq!(config.max_concurrent_verifications(), 4);
    assert_eq!(config.worker_threads(), Some(2));
    let client = Client::new(config).unwrap();
    let p = client
        .create_payment(&payment_request(PaymentType::QrPayment, "10.50"))
        .unwrap();
    assert_eq!(
        client
            .status(&p.reference1, &p.reference2)
            .unwrap()
            .paid_status,
        PaidStatus::Pending
    );
    // Every documented key is in the example above, so none is documented but unread.
    let full = full_config(&sb);
    for key in CONFIG_KEYS {
        assert!(
            full.get(key).is_some() || ["caPem", "caFile"].contains(&key),
            "{key}"
        );
    }
}

#[test]
fn config_from_json_reports_every_problem_without_echoing_secrets() {
    let e = Config::from_json(&json!({
        "consumerKey": "k",
        "consumerSecret": 12345678,
        "agentId": "1234567890121",
        "timeoutMs": -5,
        "retry": {"tokenAttempts": "many", "colour": 1},
        "consumer_secret": "s3cr3t-value",
        "strictAgentId": "yes"
    }))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let mut fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "consumerSecret",
            "consumer_secret",
            "retry.colour",
            "retry.tokenAttempts",
            "strictAgentId",
            "timeoutMs"
        ]
    );
    let text = format!("{e} {e:?} {}", e.to_json());
    assert!(
        !text.contains("12345678") && !text.contains("s3cr3t-value"),
        "{text}"
    );
    // A bad number is shown (it is never a secret); "got a number" said nothing. -5 is whole:
    // what is wrong is that it is not in the range the setting allows.
    assert!(
        text.contains("timeoutMs must be greater than zero, got -5"),
        "{text}"
    );

    // Range problems are named by the JSON keys the caller wrote, not the builder's names; a
    // control character in the secret is refused without echoing it.
    let e = Config::from_json(
        &json!({"consumerKey": "k", "consumerSecret": "s3cr3t\u{0}x",
        "agentId": AGENT_ID, "timeoutMs": 0, "connectTimeoutMs": 0, "tokenMaxAgeMs": 0,
        "verificationRate": 2.5, "source": "SAND\u{0}BOX", "userAgentSuffix": "a\u{0}b"}),
    )
    .unwrap_err();
    let fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "verificationRate",
            "consumerSecret",
            "source",
            "connectTimeoutMs",
            "timeoutMs",
            "tokenMaxAgeMs",
            "userAgentSuffix"
        ]
    );
    let text = format!("{e} {e:?} {}", e.to_json());
    assert!(text.contains("got 2.5"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");

    // A PEM block whose content is not a certificate is named as the option that holds it.
    let config = Config::from_json(&json!({"consumerKey": "k", "consumerSecret": "s",
        "agentId": AGENT_ID,
        "caPem": "-----BEGIN CERTIFICATE-----\nU0VDUkVUSlVOSw==\n-----END CERTIFICATE-----\n"}))
    .unwrap();
    let e = dga_epayment::blocking::Client::new(config).unwrap_err();
    assert_eq!(e.field_errors()[0].field, "caPem", "{e}");
    assert!(
        e.to_string().contains("is not a valid X.509 certificate"),
        "{e}"
    );

    // Not an object at all; null values count as absent; retry false means no retries.
    assert_eq!(
        Config::from_json(&json!("x")).unwrap_err().field_errors()[0].field,
        "config"
    );
    // Shape problems and build problems together, each field once.
    let e =
        Config::from_json(&json!({"colour": 1, "agentId": "x", "consumerSecret": 5})).unwrap_err();
    let fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        ["colour", "consumerSecret", "consumerKey", "agentId"]
    );
    let e = Config::from_json(&json!({"consumerKey": null})).unwrap_err();
    let missing: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(missing, ["consumerKey", "consumerSecret", "agentId"]);
    let c = Config::from_json(&json!({"consumerKey": "k", "consumerSecret": "s",
        "agentId": AGENT_ID, "retry": false}))
    .unwrap();
    assert_eq!(c.retry_policy().status_attempts, 1);
    assert_eq!(c.retry_policy().token_attempts, 1);
}

#[test]
fn json_layers_over_the_environment() {
    // Only the keys given override; the rest come from the builder it is applied to.
    let b = Config::builder()
        .consumer_key("from-env")
        .consumer_secret("s")
        .agent_id(AGENT_ID)
        .source("DGA");
    let c = b
        .with_json(&json!({"source": "SANDBOX"}))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(c.source(), Some("SANDBOX"));
}

#[test]
fn normalized_callbacks_read_back_equal() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/callbacks.json"
    ))
    .unwrap();
    let cases: Value = serde_json::from_str(&text).unwrap();
    let mut n = 0;
    for case in cases["cases"].as_array().unwrap() {
        let Some(body) = case["body"].as_str() else {
            continue;
        };
        let Ok(cb) = parse_callback(body.as_bytes()) else {
            continue;
        };
        let back = PaymentStatus::from_json(&cb.to_json())
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        // The normalized form drops fractions of seconds, so compare in that form.
        assert_eq!(back.to_json(), cb.to_json(), "{}", case["name"]);
        n += 1;
    }
    assert!(n >= 40, "only {n} valid callbacks");
    let e = PaymentStatus::from_json(&json!({"paidStatus": "Success"})).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["ref1", "amount"]);
}

#[test]
fn payment_json_round_trips_and_keeps_the_references() {
    let sb = start_sandbox();
    let client = client_for(&sb);
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "1000.50"))
        .unwrap();
    let v = p.to_json();
    assert_eq!(v["reference1"], p.reference1.as_str());
    assert_eq!(v["amount"], p.amount.to_string());
    assert_eq!(p.amount, "1000.50".parse().unwrap());
    assert_eq!(Payment::from_json(&v).unwrap(), p);
}

#[test]
fn enum_and_error_tables_match_the_types() {
    let t = enum_tables();
    let paid = t["PaidStatus"].as_array().unwrap();
    assert_eq!(paid.len(), PaidStatus::KNOWN.len());
    for (row, v) in paid.iter().zip(PaidStatus::KNOWN) {
        assert_eq!(row["name"], v.name().unwrap());
        assert_eq!(row["number"], v.number().unwrap());
        assert_eq!(row["descriptionTh"], v.description_th().unwrap());
    }
    assert_eq!(
        t["PaymentType"].as_array().unwrap().len(),
        PaymentType::KNOWN.len()
    );
    for key in ["BankCode", "ResponseStatus", "ErrorCode"] {
        assert!(!t[key].as_array().unwrap().is_empty(), "{key}");
    }
    let kinds = error_kinds();
    let kinds = kinds.as_array().unwrap();
    assert_eq!(kinds.len(), ErrorKind::ALL.len());
    for (i, (row, k)) in kinds.iter().zip(ErrorKind::ALL).enumerate() {
        assert_eq!(row["code"], k.code());
        assert_eq!(row["number"], i as i64 + 1);
    }
}

fn ack(reply: &CallbackReply) -> Value {
    serde_json::from_str(&reply.body).unwrap()
}

#[test]
fn receive_callback_verifies_and_the_reply_says_what_happened() {
    let sb = sandbox_logging_callbacks();
    let ctl = Control::new(&sb);
    // Every delivery below asks DGA (no answer reused), so a fault there is seen.
    let client = Client::new(
        config_for(&sb)
            .verification_reuse(std::time::Duration::ZERO)
            .build()
            .unwrap(),
    )
    .unwrap();
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "250.75"))
        .unwrap();
    ctl.simulate(&p.reference1, &p.reference2, "pay");
    let body = ctl.callback_body(&p.reference1);

    let verified = client.receive_callback(body.as_bytes(), true).unwrap();
    assert_eq!(verified.paid_status, PaidStatus::Success);
    let ok = CallbackReply::accepted("Success");
    assert_eq!((ok.http_status, ok.accepted), (200, true));
    assert_eq!(ack(&ok)["result"], true);

    // Forged amount: DGA's status decides, so it is accepted with DGA's amount (the handler
    // never sees the forged one).
    let forged = body.replace("250.75", "1.00");
    assert_ne!(forged, body);
    let verified = client.receive_callback(forged.as_bytes(), true).unwrap();
    assert_eq!(verified.amount.to_string(), "250.75");
    // Claiming Void while DGA says Success: 409, and the reply says nothing DGA said.
    let void = body.replacen("\"paidStatus\":1", "\"paidStatus\":4", 1);
    assert_ne!(void, body, "the sandbox's callback has \"paidStatus\":1");
    let e = client.receive_callback(void.as_bytes(), true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Verification);
    let r = CallbackReply::for_error(&e);
    assert_eq!((r.http_status, r.accepted), (409, false));
    assert_eq!(ack(&r)["result"], false);
    for secret in ["250.75", verified.ref_id.as_deref().unwrap(), "Success"] {
        assert!(!r.body.contains(secret), "{secret} in {}", r.body);
    }
    // Without verification the forged body is only parsed.
    assert_eq!(
        client
            .receive_callback(forged.as_bytes(), false)
            .unwrap()
            .amount
            .to_string(),
        "1.00"
    );

    // Malformed: 400, the reason in the ack.
    let e = client
        .receive_callback(b"{\"paidStatus\": 2", true)
        .unwrap_err();
    let r = CallbackReply::for_error(&e);
    assert_eq!((r.http_status, r.accepted), (400, false));
    assert!(
        ack(&r)["message"].as_str().unwrap().contains("JSON"),
        "{}",
        r.body
    );

    // DGA unreachable while verifying: 503 so DGA delivers again; no internal detail leaks.
    ctl.fault("status", "http_status", 10, json!({"httpStatus": 503}));
    let e = client.receive_callback(body.as_bytes(), true).unwrap_err();
    let r = CallbackReply::for_error(&e);
    assert_eq!((r.http_status, r.accepted), (503, false));
    assert!(!r.body.contains("127.0.0.1"), "{}", r.body);

    let r = CallbackReply::too_large(65536);
    assert_eq!(
        (r.http_status, ack(&r)["result"].clone()),
        (413, json!(false))
    );
    assert!(r.body.contains("65536"), "{}", r.body);

    let r = CallbackReply::handler_failed();
    assert_eq!(
        (r.http_status, ack(&r)["result"].clone()),
        (500, json!(false))
    );
}

#[test]
fn options_in_snake_case_keywords_are_read_once_by_the_core_and_errors_use_that_spelling() {
    let sb = start_sandbox();
    let config = Config::from_keywords(&json!({
        "consumer_key": "sandbox-key",
        "consumer_secret": "sandbox-secret",
        "agent_id": AGENT_ID,
        "gateway_url": sb.url(),
        "source": "SANDBOX",
        "timeout": 2.5,
        "token_failure_cooldown": 0,
        "retry": {"status_attempts": 2, "backoff_cap": 0.01},
        "max_concurrent_verifications": 3
    }))
    .unwrap();
    assert_eq!(config.request_timeout(), Duration::from_millis(2500));
    assert_eq!(config.token_failure_cooldown(), Duration::ZERO);
    assert_eq!(config.retry_policy().status_attempts, 2);
    assert_eq!(config.retry_policy().backoff_cap, Duration::from_millis(10));
    assert_eq!(config.max_concurrent_verifications(), 3);
    Client::new(config).unwrap().token().unwrap();

    let e = Config::from_keywords(&json!({
        "consumer_key": "k",
        "agent_id": "12",
        "timeout": "soon",
        "ca_pem": "not a certificate",
        "retry": {"token_attempts": 0, "nope": 1},
        "consumerSecret": "camel case is not a keyword",
        "connect_timeout": 0
    }))
    .unwrap_err();
    let fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    for want in [
        "timeout",
        "ca_pem",
        "retry.token_attempts",
        "retry.nope",
        "consumerSecret",
        "consumer_secret",
        "agent_id",
    ] {
        assert!(fields.contains(&want), "{want} not in {fields:?}");
    }
    for f in &fields {
        assert!(
            ![
                "timeoutMs",
                "caPem",
                "caCertificates[0]",
                "agentId",
                "retry.tokenAttempts"
            ]
            .contains(f),
            "{f} is the JSON spelling"
        );
    }
}

#[test]
fn the_schema_names_every_record_and_the_error_json_says_if_it_is_transient() {
    let s = dga_epayment::schema();
    for name in [
        "CreatePayment",
        "Payment",
        "PaymentStatus",
        "Confirmation",
        "ClientOptions",
        "RetryOptions",
        "Error",
        "FieldError",
        "Mismatch",
    ] {
        assert!(
            s["records"][name]["fields"]
                .as_array()
                .is_some_and(|f| !f.is_empty()),
            "{name}"
        );
    }
    let wires: Vec<&str> = s["records"]["PaymentStatus"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["wire"].as_str().unwrap())
        .collect();
    assert_eq!(&wires[..14], dga_epayment::CALLBACK_FIELDS);
    let e = dga_epayment::Error::Timeout {
        endpoint: dga_epayment::Endpoint::Status,
        message: "m".into(),
    };
    assert_eq!(e.to_json()["transient"], true);
    assert_eq!(e.to_json()["kindNumber"], 4);
}
