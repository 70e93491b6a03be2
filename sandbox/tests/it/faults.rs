//! Fault injection and the request log.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

#[test]
fn latency_delays_the_answer_after_processing() {
    let env = start();
    let token = env.token();
    let fault = env.add_fault(json!({"endpoint": "status", "kind": "latency", "latencyMs": 300}));
    assert_eq!(
        fault,
        json!({"id": fault["id"], "endpoint": "status", "kind": "latency", "count": 1, "latencyMs": 300, "httpStatus": null})
    );
    let started = Instant::now();
    let (status, envelope) = env.status(&token, "nope", "");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((status, envelope["errorCode"].clone()), (200, json!(8)));
    // count 1: the next call is quick.
    let started = Instant::now();
    env.status(&token, "nope", "");
    assert!(started.elapsed() < Duration::from_millis(250));
    let logged = env.logged("status");
    assert_eq!(logged[0]["fault"], "latency");
    assert_eq!(logged[1]["fault"], Value::Null);
}

#[test]
fn a_create_whose_client_timed_out_still_happened() {
    let env = start();
    let token = env.token();
    env.add_fault(json!({"endpoint": "create", "kind": "latency", "latencyMs": 1500}));
    let ref1 = unique_ref("timeout");
    let result = env
        .http
        .post(format!("{}{}create", env.url, PREFIXES[0]))
        .header("Consumer-Key", "sandbox-key")
        .header("Token", &token)
        .header("Content-Type", "application/json")
        .timeout(Duration::from_millis(300))
        .body(create_body(&ref1).to_string())
        .send();
    assert!(result.expect_err("times out").is_timeout());
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Pending");
}

#[test]
fn http_status_answers_without_processing() {
    let env = start();
    let token = env.token();
    env.add_fault(json!({"endpoint": "create", "kind": "http_status"}));
    env.add_fault(json!({"endpoint": "create", "kind": "http_status", "httpStatus": 429}));
    env.add_fault(json!({"endpoint": "token", "kind": "http_status", "httpStatus": 502}));
    let ref1 = unique_ref("http-status");
    for expected in [503, 429] {
        let response = env.create_request(&token, &create_body(&ref1)).unwrap();
        assert_eq!(response.status(), expected);
        let text = response.text().unwrap();
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "not JSON: {text}"
        );
    }
    assert_eq!(
        env.status(&token, &ref1, "").1["errorCode"],
        8,
        "not created"
    );
    let response = env
        .http
        .get(format!("{}/ws/auth/validate", env.url))
        .send()
        .unwrap();
    assert_eq!(response.status(), 502);
    let logged = env.logged("create");
    assert_eq!(
        logged
            .iter()
            .map(|e| (e["httpStatus"].clone(), e["fault"].clone()))
            .collect::<Vec<_>>(),
        [
            (json!(503), json!("http_status")),
            (json!(429), json!("http_status"))
        ]
    );
}

#[test]
fn reset_aborts_the_connection_without_processing() {
    let env = start();
    let token = env.token();
    env.add_fault(json!({"endpoint": "create", "kind": "reset"}));
    let ref1 = unique_ref("reset");
    let error = env
        .create_request(&token, &create_body(&ref1))
        .expect_err("the connection is reset");
    assert!(!error.is_timeout() && !error.is_status(), "{error:?}");
    assert_eq!(
        env.status(&token, &ref1, "").1["errorCode"],
        8,
        "not created"
    );
    // The next call goes through (count 1).
    env.create(&token, &create_body(&ref1));
    let logged = env.logged("create");
    assert_eq!(
        (logged[0]["httpStatus"].clone(), logged[0]["fault"].clone()),
        (Value::Null, json!("reset"))
    );
    assert_eq!(logged[1]["httpStatus"], 200);
}

#[test]
fn reset_is_a_tcp_reset() {
    use std::io::{Read, Write};
    let env = start();
    env.add_fault(json!({"endpoint": "token", "kind": "reset"}));
    let mut stream = std::net::TcpStream::connect(env.sandbox.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(
            b"GET /ws/auth/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
    let mut buf = [0u8; 256];
    let error = stream
        .read(&mut buf)
        .expect_err("RST, not a response or a clean close");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
}

#[test]
fn reset_after_processes_then_aborts_the_connection() {
    let env = start();
    let token = env.token();
    env.add_fault(json!({"endpoint": "create", "kind": "reset_after"}));
    let ref1 = unique_ref("reset-after");
    let error = env
        .create_request(&token, &create_body(&ref1))
        .expect_err("the connection is reset");
    assert!(!error.is_timeout() && !error.is_status(), "{error:?}");
    // The create happened: exactly one transaction, and the reference is now taken.
    let txns = env.control_get("transactions");
    let mine: Vec<_> = txns
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["ref1"] == ref1.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{txns}");
    assert_eq!(mine[0]["paidStatus"], "Pending");
    let (_, again) = env.post(PREFIXES[0], "create", &token, &create_body(&ref1));
    assert_eq!(again["errorCode"], 21, "{again}");
    let logged = env.logged("create");
    assert_eq!(
        (logged[0]["httpStatus"].clone(), logged[0]["fault"].clone()),
        (Value::Null, json!("reset_after"))
    );
    assert_eq!(env.control_get("faults"), json!([]), "count 1 is used up");
}

#[test]
fn reset_after_is_a_tcp_reset_after_the_state_change() {
    use std::io::{Read, Write};
    let env = start();
    let token = env.token();
    env.add_fault(json!({"endpoint": "close", "kind": "reset_after"}));
    let ref1 = unique_ref("reset-after-close");
    env.create(&token, &create_body(&ref1));
    let body = json!({"reference1": ref1, "reference2": ""}).to_string();
    let mut stream = std::net::TcpStream::connect(env.sandbox.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "POST /ws/dga/payment/close HTTP/1.1\r\nHost: 127.0.0.1\r\nConsumer-Key: sandbox-key\r\n\
         Token: {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = [0u8; 256];
    let error = stream
        .read(&mut buf)
        .expect_err("RST, not a response or a clean close");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Expired");
}

#[test]
fn malformed_processes_then_answers_broken_json() {
    let env = start();
    let token = env.token();
    env.add_fault(json!({"endpoint": "create", "kind": "malformed"}));
    let ref1 = unique_ref("malformed");
    let response = env.create_request(&token, &create_body(&ref1)).unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = response.text().unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(
        env.status_data(&token, &ref1, "")["paidStatus"],
        "Pending",
        "created"
    );
}

#[test]
fn respond_answers_exactly_the_given_body_without_processing() {
    let env = start();
    let token = env.token();
    let body = "{\"Status\": 3, \"ErrorCode\": 14, \"Message\": \"ปิดไม่ได้\", \"Data\": null,}";
    let fault = env.add_fault(
        json!({"endpoint": "create", "kind": "respond", "httpStatus": 409, "body": body}),
    );
    assert_eq!(fault["body"], body);
    let ref1 = unique_ref("respond");
    let response = env.create_request(&token, &create_body(&ref1)).unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(response.text().unwrap(), body, "byte for byte");
    assert_eq!(env.logged("create")[0]["fault"], "respond");
    let (_, envelope) = env.status(&token, &ref1, "");
    assert_eq!(envelope["errorCode"], json!(8), "not processed");
    // A respond fault needs its body.
    let (status, _) = env.control_post("faults", &json!({"endpoint": "token", "kind": "respond"}));
    assert_eq!(status, 400);
}

#[test]
fn token_expired_invalidates_tokens_first() {
    let env = start();
    let token = env.token();
    let other = env.token();
    env.add_fault(json!({"endpoint": "status", "kind": "token_expired"}));
    let (status, envelope) = env.status(&token, "x", "");
    assert_eq!((status, envelope["errorCode"].clone()), (401, json!(999)));
    assert_eq!(env.status(&other, "x", "").0, 401, "every token is gone");
    assert_eq!(env.status(&env.token(), "x", "").0, 200);
}

#[test]
fn count_and_order_are_honoured() {
    let env = start();
    let token = env.token();
    let first = env.add_fault(
        json!({"endpoint": "any", "kind": "http_status", "httpStatus": 500, "count": 2}),
    );
    let second =
        env.add_fault(json!({"endpoint": "status", "kind": "http_status", "httpStatus": 502}));
    assert_eq!(env.control_get("faults"), json!([first, second]));
    // The first matching fault is consumed first.
    let codes: Vec<u16> = (0..4)
        .map(|_| {
            env.http
                .get(format!("{}{}status?reference1=x", env.url, PREFIXES[0]))
                .header("Consumer-Key", "sandbox-key")
                .header("Token", &token)
                .send()
                .unwrap()
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(codes, [500, 500, 502, 200]);
    assert_eq!(env.control_get("faults"), json!([]));

    // "status" faults leave create alone; "any" does not touch the gateway or control API.
    env.add_fault(json!({"endpoint": "status", "kind": "http_status", "count": 3}));
    env.create(&token, &create_body(&unique_ref("order")));
    let remaining = env.control_get("faults");
    assert_eq!(remaining[0]["count"], 3);
    let (status, _) = env.control_post("faults", &json!({"endpoint": "any", "kind": "reset"}));
    assert_eq!(status, 200);
    let response = env
        .http
        .get(format!("{}/ktb/result/success", env.url))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(env.control_get("faults").as_array().unwrap().len(), 2);

    let (status, body) = json_of(
        env.http
            .delete(format!("{}/__sandbox/faults", env.url))
            .send()
            .unwrap(),
    );
    assert_eq!((status, body), (200, json!({"ok": true, "cleared": 2})));
    assert_eq!(env.status(&token, "x", "").0, 200);
}

#[test]
fn bad_fault_specs_are_400() {
    let env = start();
    for spec in [
        json!({"endpoint": "create"}),
        json!({"endpoint": "create", "kind": "explode"}),
        json!({"endpoint": "gateway", "kind": "reset"}),
        json!({"kind": "reset"}),
        json!({"endpoint": "create", "kind": "latency"}),
        json!({"endpoint": "create", "kind": "latency", "latencyMs": -1}),
        json!({"endpoint": "create", "kind": "latency", "latencyMs": "100"}),
        json!({"endpoint": "create", "kind": "http_status", "httpStatus": 99}),
        json!({"endpoint": "create", "kind": "http_status", "httpStatus": 600}),
        json!({"endpoint": "create", "kind": "reset", "count": 0}),
        json!({"endpoint": "create", "kind": "reset", "count": 1.5}),
        json!({"endpoint": "create", "kind": "reset", "colour": "red"}),
        json!({"endpoint": "create", "kind": "reset", "latencyMs": 5}),
        json!({"endpoint": "create", "kind": "latency", "latencyMs": 5, "httpStatus": 503}),
        json!({"endpoint": "create", "kind": "http_status", "body": "x"}),
        json!("reset"),
    ] {
        let (status, body) = env.control_post("faults", &spec);
        assert_eq!(status, 400, "{spec}: {body}");
        assert!(body["error"].is_string());
    }
    assert_eq!(env.control_get("faults"), json!([]));
}

#[test]
fn request_log_is_exact_under_concurrency() {
    let env = start();
    let token = env.token();
    let threads = 64;
    let calls = 50;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let env = &env;
            let token = &token;
            scope.spawn(move || {
                let http = client();
                for i in 0..calls {
                    let response = http
                        .get(format!("{}{}status", env.url, PREFIXES[t % 3]))
                        .query(&[("reference1", format!("t{t}-{i}"))])
                        .header("Consumer-Key", "sandbox-key")
                        .header("Token", token)
                        .send()
                        .unwrap();
                    assert_eq!(response.status(), 200);
                }
            });
        }
    });
    let log = env.control_get("requests");
    let log = log.as_array().unwrap();
    assert_eq!(
        log.iter().filter(|e| e["endpoint"] == "status").count(),
        threads * calls
    );
    // seq numbers are 1..=N without gaps or repeats.
    let mut seqs: Vec<u64> = log.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=(threads * calls + 1) as u64).collect::<Vec<_>>());
}

#[test]
fn token_requests_are_counted_exactly_from_16_threads() {
    let env = start();
    let per_thread = 25;
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..per_thread {
                    env.token();
                }
            });
        }
    });
    env.status("bad-token", "x", "");
    let log = env.control_get("requests");
    let log = log.as_array().unwrap();
    assert_eq!(
        log.iter().filter(|e| e["endpoint"] == "token").count(),
        16 * per_thread
    );
    assert_eq!(log.len(), 16 * per_thread + 1);
}

#[test]
fn request_log_entries() {
    let env = start();
    let token = env.token();
    env.status(&token, "x", "");
    env.http
        .get(format!("{}/nowhere?q=1", env.url))
        .send()
        .unwrap();
    env.control_get("config");
    env.http.get(format!("{}/", env.url)).send().unwrap();
    let log = env.control_get("requests");
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3, "control API requests are not logged: {log:?}");
    let token_entry = &log[0];
    assert_eq!(token_entry["seq"], 1);
    assert_eq!(token_entry["method"], "GET");
    assert_eq!(token_entry["endpoint"], "token");
    // Without the query string: it carries the secret.
    assert_eq!(token_entry["path"], "/ws/auth/validate");
    assert_eq!(token_entry["httpStatus"], 200);
    assert_eq!(token_entry["fault"], Value::Null);
    let at = token_entry["at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    assert!(at.ends_with("+07:00"), "{at}");
    assert_eq!(log[1]["endpoint"], "status");
    assert_eq!(
        (
            log[2]["endpoint"].clone(),
            log[2]["path"].clone(),
            log[2]["httpStatus"].clone()
        ),
        (json!("other"), json!("/nowhere"), json!(404))
    );
    assert!(
        !env.control_get("requests")
            .to_string()
            .contains("sandbox-secret")
    );
}
