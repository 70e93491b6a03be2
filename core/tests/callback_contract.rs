//! `tests/vectors/callback_contract.json`: the callback contract
//! (docs/architecture.md#the-callback-contract) row by row, against
//! the sandbox over loopback HTTP, through `receive_callback` + `CallbackReply` (what every
//! binding's framework handler calls).

mod common;

use common::*;
use dga_epayment::{
    CallbackReply, Error, PaidStatus, PaymentStatus, PaymentType, blocking::Client,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/callback_contract.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(v["cases"].as_array().unwrap().len() >= 18, "truncated file");
    v
}

/// What a framework handler does: receive, call the agency's function, answer.
fn handle(
    client: &Client,
    body: &[u8],
    seen: &Mutex<Vec<PaymentStatus>>,
) -> (CallbackReply, Option<Error>) {
    match client.receive_callback(body, true) {
        Ok(status) => {
            seen.lock().unwrap().push(status);
            (CallbackReply::accepted("Success"), None)
        }
        Err(e) => (CallbackReply::for_error(&e), Some(e)),
    }
}

struct Setup {
    reference1: String,
    reference2: String,
    amount: String,
    ref_id: String,
}

fn set_up(client: &Client, ctl: &Control, case: &Value) -> Setup {
    let Some(payment) = case["payment"].as_object() else {
        return Setup {
            reference1: unique_ref("NEVER-CREATED"),
            reference2: String::new(),
            amount: "1".into(),
            ref_id: String::new(),
        };
    };
    let payment_type = match payment["paymentType"].as_str().unwrap() {
        "FastPay" => PaymentType::FastPay,
        _ => PaymentType::QrPayment,
    };
    let amount = payment["amount"].as_str().unwrap().to_owned();
    let p = client
        .create_payment(&payment_request(payment_type, &amount))
        .unwrap();
    let outcome = case["dgaOutcome"].as_str();
    if let Some(o) = outcome {
        let first = o.split('+').next().unwrap();
        let (status, answer) = ctl.post(
            "/__sandbox/simulate",
            json!({"reference1": p.reference1, "reference2": p.reference2,
                   "outcome": first, "deliverCallback": false}),
        );
        assert_eq!(status, 200, "{answer}");
    }
    let status = client.status(&p.reference1, &p.reference2).unwrap();
    let ref_id = status.ref_id.clone().unwrap_or_default();
    if outcome == Some("pay+void") {
        client.void(&p.reference1, &p.reference2, &ref_id).unwrap();
        assert_eq!(
            client
                .status(&p.reference1, &p.reference2)
                .unwrap()
                .paid_status,
            PaidStatus::Void
        );
    }
    Setup {
        reference1: p.reference1,
        reference2: p.reference2,
        amount,
        ref_id,
    }
}

fn substitute(text: &str, s: &Setup) -> String {
    text.replace("${reference1}", &s.reference1)
        .replace("${reference2}", &s.reference2)
        .replace("${amount}", &s.amount)
        .replace("${refId}", &s.ref_id)
}

#[test]
fn every_row_of_the_callback_contract() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = Arc::new(client_for(&sb));
    let mut failures = Vec::new();
    for case in vectors()["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let expect = &case["expect"];
        let setup = set_up(&client, &ctl, case);
        if let Some(fault) = case["statusFault"].as_object() {
            let count = fault["count"].as_u64().unwrap() as u32;
            let mut extra = fault.clone();
            extra.remove("kind");
            extra.remove("count");
            ctl.fault(
                "status",
                fault["kind"].as_str().unwrap(),
                count,
                Value::Object(extra),
            );
        }
        let body = substitute(case["body"].as_str().unwrap(), &setup);
        let deliveries = case["deliveries"].as_u64().unwrap_or(1) as usize;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let before = ctl.count("status");
        let replies: Vec<(CallbackReply, Option<Error>)> = if deliveries == 1 {
            vec![handle(&client, body.as_bytes(), &seen)]
        } else {
            let barrier = Arc::new(std::sync::Barrier::new(deliveries));
            let threads: Vec<_> = (0..deliveries)
                .map(|_| {
                    let (client, seen, body, barrier) =
                        (client.clone(), seen.clone(), body.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        handle(&client, body.as_bytes(), &seen)
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        };
        let status_calls = ctl.count("status") - before;
        ctl.clear_faults();

        let mut problems = Vec::new();
        let want_status = expect["httpStatus"].as_u64().unwrap() as u16;
        let want_accepted = expect["accepted"].as_bool().unwrap();
        let overflow = expect["overflowHttpStatus"].as_u64().map(|n| n as u16);
        let mut main = 0;
        for (reply, error) in &replies {
            let ack: Value = serde_json::from_str(&reply.body).unwrap();
            if reply.http_status == want_status {
                main += 1;
                if reply.accepted != want_accepted || ack["result"] != want_accepted {
                    problems.push(format!("accepted {} / {}", reply.accepted, ack["result"]));
                }
                if let (Some(kind), Some(e)) = (expect["errorKind"].as_str(), error) {
                    if e.kind().code() != kind {
                        problems.push(format!("error kind {} (want {kind})", e.kind()));
                    }
                    if let Some(reason) = expect["reason"].as_str() {
                        let got = e.to_json()["reason"].clone();
                        if got != reason {
                            problems.push(format!("reason {got} (want {reason})"));
                        }
                    }
                }
            } else if Some(reply.http_status) != overflow {
                problems.push(format!("HTTP {} ({})", reply.http_status, reply.body));
            }
            for text in expect["replyExcludes"].as_array().into_iter().flatten() {
                let text = substitute(text.as_str().unwrap(), &setup);
                if !text.is_empty() && reply.body.contains(&text) {
                    problems.push(format!("the reply carries {text:?}: {}", reply.body));
                }
            }
        }
        if main == 0 {
            problems.push(format!("no reply was HTTP {want_status}"));
        }
        let seen = seen.lock().unwrap();
        let accepted = replies.iter().filter(|(r, _)| r.accepted).count();
        if seen.len() != accepted {
            problems.push(format!(
                "handler called {} times for {accepted} accepted replies",
                seen.len()
            ));
        }
        for status in seen.iter() {
            if let Some(want) = expect["handlerPaidStatus"].as_str()
                && status.paid_status.to_string() != want
            {
                problems.push(format!("handler got paidStatus {}", status.paid_status));
            }
            if let Some(want) = expect["handlerAmount"].as_str()
                && status.amount.to_string() != want
            {
                problems.push(format!("handler got amount {}", status.amount));
            }
            if expect["handlerRefIdIsDgas"] == true
                && status.ref_id.as_deref() != Some(setup.ref_id.as_str())
            {
                problems.push(format!("handler got refId {:?}", status.ref_id));
            }
        }
        if let Some(max) = expect["maxStatusCalls"].as_u64()
            && status_calls as u64 > max
        {
            problems.push(format!(
                "{status_calls} status calls for {deliveries} deliveries"
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
