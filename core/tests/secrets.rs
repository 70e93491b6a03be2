//! Secrets and tokens never appear in errors (Display or Debug), Debug output or log lines,
//! whatever goes wrong. One test in its own binary: it installs the global logger.

mod common;

use common::*;
use dga_epayment::{Config, Error, PaymentType, blocking::Client, parse_callback};
use serde_json::json;
use std::sync::Mutex;
use std::time::Duration;

const KEY: &str = "ck-DISTINCTIVE-key-5f3a9c";
// With characters a URL encodes, so the percent-encoded form is checked too.
const SECRET: &str = "cs-DISTINCTIVE/secret+8e1ac089=&";
const SECRET_ENCODED: &str = "cs-DISTINCTIVE%2Fsecret%2B8e1ac089%3D%26";

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        LINES.lock().unwrap().push(format!(
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

#[test]
fn no_secret_or_token_in_errors_debug_or_logs() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let sb = start_sandbox_with(|c| {
        c.consumer_key = KEY.into();
        c.consumer_secret = SECRET.into();
    });
    let ctl = Control::new(&sb);
    let config = config_for(&sb)
        .consumer_key(KEY)
        .consumer_secret(SECRET)
        .request_timeout(Duration::from_millis(300))
        // Each fault round ends by asking for a token at once: no remembered failure.
        .token_failure_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    let client = Client::new(config.clone()).unwrap();
    let token = client.token().unwrap().expose().to_owned();
    assert!(token.len() >= 8);
    let mut tokens = vec![token];

    let mut seen: Vec<String> = vec![
        format!("{config:?}"),
        format!("{client:?}"),
        format!("{:?}", client.token().unwrap()),
    ];
    let mut record = |r: Result<String, Error>| {
        if let Err(e) = r {
            seen.push(e.to_string());
            seen.push(format!("{e:?}"));
            seen.push(e.to_json().to_string());
        }
    };
    let p = client
        .create_payment(&payment_request(PaymentType::FastPay, "10"))
        .unwrap();
    let payment_debug = format!("{p:?}");
    for endpoint in ["token", "create", "close", "void", "status"] {
        for (kind, extra) in [
            ("http_status", json!({"httpStatus": 503})),
            ("reset", json!({})),
            ("malformed", json!({})),
            ("latency", json!({"latencyMs": 600})),
            ("token_expired", json!({})),
        ] {
            ctl.clear_faults();
            ctl.fault(endpoint, kind, 20, extra);
            ctl.post("/__sandbox/expire-tokens", json!({}));
            record(client.token().map(|_| String::new()));
            record(
                client
                    .create_payment(&payment_request(PaymentType::FastPay, "1"))
                    .map(|p| format!("{p:?}")),
            );
            record(client.status(&p.reference1, "R2").map(|s| format!("{s:?}")));
            record(client.close("nope", "").map(|c| format!("{c:?}")));
            record(
                client
                    .void(&p.reference1, "R2", "1")
                    .map(|c| format!("{c:?}")),
            );
            ctl.clear_faults();
            tokens.push(client.token().unwrap().expose().to_owned());
        }
    }
    ctl.clear_faults();
    // Refused credentials, and an unreachable gateway.
    let wrong = Client::new(
        config_for(&sb)
            .consumer_key(KEY)
            .consumer_secret(format!("{SECRET}-wrong"))
            .build()
            .unwrap(),
    )
    .unwrap();
    record(wrong.token().map(|_| String::new()));
    let nowhere = Client::new(
        Config::builder()
            .consumer_key(KEY)
            .consumer_secret(SECRET)
            .agent_id(AGENT_ID)
            .gateway_url("http://127.0.0.1:9")
            .retry_policy(fast_retry())
            .build()
            .unwrap(),
    )
    .unwrap();
    record(nowhere.status("x", "").map(|_| String::new()));
    record(parse_callback(SECRET.as_bytes()).map(|_| String::new()));

    // DGA echoing the token URL (with the secret percent-encoded) in an error message.
    ctl.fault(
        "status",
        "respond",
        5,
        json!({"httpStatus": 200, "body": format!(
            "{{\"status\": 3, \"errorCode\": 1, \"message\": \"bad call with secret {SECRET_ENCODED} in it\"}}"
        )}),
    );
    record(client.status(&p.reference1, "R2").map(|_| String::new()));
    ctl.clear_faults();

    seen.push(payment_debug);
    let errors_seen = seen.len();
    let log_lines = LINES.lock().unwrap().clone();
    for line in &log_lines {
        // The AgentID is a citizen ID: logs name it by its last 4 digits only.
        assert!(!line.contains(AGENT_ID), "AgentID in full in: {line}");
    }
    seen.extend(log_lines);
    assert!(errors_seen > 50, "the faults produced errors to inspect");
    let logs = seen.len() - errors_seen;
    assert!(logs > 20, "the client logged what it did ({logs} lines)");
    for text in &seen {
        for secret in [KEY, SECRET, SECRET_ENCODED, "ConsumerSecret="]
            .into_iter()
            .chain(tokens.iter().map(String::as_str))
        {
            assert!(!text.contains(secret), "{secret:?} leaked in: {text}");
        }
    }
}
