//! `tests/vectors/errors.json`: error kinds that come from how a call failed (an untrusted
//! certificate, the verification budget), the same in every language.
mod common;

use common::*;
use dga_epayment::{CallbackReply, Error, blocking::Client};
use dga_sandbox::TlsPem;
use serde_json::Value;

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(vectors_dir().join("errors.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 2, "errors.json is truncated");
    cases
}

/// The failure a case's setup leads to.
fn provoke(case: &Value) -> Error {
    match case["setup"].as_str().unwrap() {
        "untrusted-tls" => {
            let read = |f: &str| std::fs::read(vectors_dir().join("tls").join(f)).unwrap();
            let sb = start_sandbox_with(|c| {
                c.tls = Some(TlsPem {
                    cert_pem: read("untrusted-cert.pem"),
                    key_pem: read("untrusted-key.pem"),
                })
            });
            assert!(sb.url().starts_with("https://"));
            let client = client_for(&sb);
            assert_eq!(case["call"], "status");
            let r1 = case["reference1"].as_str().unwrap();
            let r2 = case["reference2"].as_str().unwrap();
            client.status(r1, r2).unwrap_err()
        }
        "verification-budget" => {
            let sb = start_sandbox();
            let config = config_for(&sb)
                .with_json(&case["clientOptions"])
                .unwrap()
                .build()
                .unwrap();
            let client = Client::new(config).unwrap();
            let name = case["name"].as_str().unwrap();
            for i in 0..case["maxDeliveries"].as_u64().unwrap() {
                let body = serde_json::json!({
                    "ref1": format!("FORGED-{name}-{i}"), "ref2": "R2", "paidStatus": 1, "amount": "1.00"
                });
                let e = client
                    .receive_callback(body.to_string().as_bytes(), true)
                    .unwrap_err();
                if e.to_json()["reason"] == "busy" {
                    return e;
                }
                assert_eq!(CallbackReply::for_error(&e).http_status, 404, "{e}");
            }
            panic!("{name}: no delivery was refused as busy");
        }
        other => panic!("unknown setup {other}"),
    }
}

#[test]
fn error_vectors() {
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let expect = &case["expect"];
        let e = provoke(&case);
        let json = e.to_json();
        let message = e.to_string();
        assert_eq!(json["kind"], expect["errorKind"], "{name}: {message}");
        assert_eq!(e.kind().code(), expect["errorKind"], "{name}");
        assert_eq!(
            Value::Bool(e.is_transient()),
            expect["transient"],
            "{name}: {message}"
        );
        assert_eq!(json["transient"], expect["transient"], "{name}");
        if let Some(part) = expect["messageContains"].as_str() {
            assert!(message.to_lowercase().contains(part), "{name}: {message}");
        }
        for part in expect["messageExcludes"].as_array().into_iter().flatten() {
            assert!(
                !message.contains(part.as_str().unwrap()),
                "{name}: {message}"
            );
        }
        if !expect["endpoint"].is_null() {
            assert_eq!(json["endpoint"], expect["endpoint"], "{name}: {json}");
        }
        if !expect["reason"].is_null() {
            assert_eq!(json["reason"], expect["reason"], "{name}: {json}");
            assert!(json.get("endpoint").is_none(), "{name}: {json}");
        }
        if let Some(status) = expect["httpStatus"].as_u64() {
            assert_eq!(u64::from(CallbackReply::for_error(&e).http_status), status);
        }
    }
}
