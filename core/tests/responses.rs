//! tests/vectors/responses.json: DGA's answers, served verbatim by the sandbox's `respond`
//! fault over real loopback HTTP, and what the client must make of each.

mod common;

use common::*;
use dga_epayment::{CreatePayment, Error};
use serde_json::{Value, json};

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/responses.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 30, "responses.json looks truncated");
    cases
}

fn check_error(case: &Value, e: &Error, failures: &mut Vec<String>) {
    let name = case["name"].as_str().unwrap();
    let expect = &case["expect"];
    let j = e.to_json();
    if j["kind"] != expect["errorKind"] {
        failures.push(format!(
            "{name}: expected {} error, got {}",
            expect["errorKind"], j
        ));
        return;
    }
    for key in ["errorCode", "reference1", "reference2"] {
        if !expect[key].is_null() && j[key] != expect[key] {
            failures.push(format!(
                "{name}: {key} expected {}, got {}",
                expect[key], j[key]
            ));
        }
    }
}

#[test]
fn every_response_vector() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let mut failures = Vec::new();
    for case in vectors() {
        let name = case["name"].as_str().unwrap().to_owned();
        let endpoint = case["endpoint"].as_str().unwrap();
        // A new client per case: token cases must not find a cached token.
        let client = client_for(&sb);
        if endpoint != "token" {
            client.token().unwrap();
        }
        ctl.clear_faults();
        ctl.fault(
            endpoint,
            "respond",
            100,
            json!({ "httpStatus": case["httpStatus"], "body": case["body"] }),
        );
        let s = |k: &str| case[k].as_str().unwrap_or_default().to_owned();
        let outcome: Result<Value, Error> = match endpoint {
            "token" => client.token().map(|t| json!(t.expose())),
            "status" => client
                .status(&s("reference1"), &s("reference2"))
                .map(|r| serde_json::to_value(r).unwrap()),
            "close" => client
                .close(&s("reference1"), &s("reference2"))
                .map(|r| serde_json::to_value(r).unwrap()),
            "void" => client
                .void(&s("reference1"), &s("reference2"), &s("paymentReference"))
                .map(|r| serde_json::to_value(r).unwrap()),
            "create" => {
                let req: Value = serde_json::from_str(&s("request")).unwrap();
                let req = CreatePayment::from_json(&req).unwrap();
                client
                    .create_payment(&req)
                    .map(|r| serde_json::to_value(r).unwrap())
            }
            other => panic!("{name}: unknown endpoint {other}"),
        };
        let expect = &case["expect"];
        match (outcome, expect["ok"].as_bool().unwrap()) {
            (Ok(got), true) => {
                let want = if endpoint == "token" {
                    &expect["token"]
                } else {
                    &expect["result"]
                };
                if &got != want {
                    failures.push(format!("{name}:\n  expected {want}\n  got      {got}"));
                }
            }
            (Ok(got), false) => failures.push(format!(
                "{name}: expected a {} error, got {got}",
                expect["errorKind"]
            )),
            (Err(e), true) => failures.push(format!("{name}: expected success, got {e}")),
            (Err(e), false) => check_error(&case, &e, &mut failures),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
