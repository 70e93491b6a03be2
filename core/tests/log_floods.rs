//! Lines a flood or an outage writes stay few: a forged callback's missing fields and a retry's
//! failure are logged at most once a second (or read the same, so a log's rate limit for
//! identical lines folds them). One test in its own binary: it installs the global logger.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn floods_and_outages_write_few_warning_lines() {
    capture_warnings();
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = client_for(&sb);
    client.token().unwrap();

    // 300 forged deliveries, each with other references and without the fields a paid
    // callback has: refused (404, or 503 past the budget), and logged about once a second.
    let started = std::time::Instant::now();
    for i in 0..300 {
        let body =
            json!({"ref1": format!("FORGED-{i}"), "ref2": "", "paidStatus": 1, "amount": "1.00"});
        assert!(
            client
                .receive_callback(body.to_string().as_bytes(), true)
                .is_err()
        );
    }
    let seconds = started.elapsed().as_secs() as usize;
    let missing = warnings("missing or unreadable fields");
    assert!(!missing.is_empty(), "the first one is logged");
    assert!(
        missing.len() <= seconds + 2,
        "{} lines in {seconds} s",
        missing.len()
    );

    // An outage: every status attempt answers 503. The retry lines read the same each time,
    // whatever each jittered wait is.
    let retry = dga_epayment::RetryPolicy {
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(60),
        ..fast_retry()
    };
    let client =
        dga_epayment::blocking::Client::new(config_for(&sb).retry_policy(retry).build().unwrap())
            .unwrap();
    ctl.fault("status", "http_status", 60, json!({"httpStatus": 503}));
    for _ in 0..20 {
        assert!(client.status("OUTAGE-1", "").is_err());
    }
    let retries = warnings("failed (");
    assert!(retries.len() >= 20, "{retries:?}");
    let mut distinct = retries.clone();
    distinct.sort();
    distinct.dedup();
    assert!(
        distinct.len() <= 3,
        "one line per attempt number: {distinct:?}"
    );
}
