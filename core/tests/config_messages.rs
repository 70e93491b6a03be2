//! What a bad client configuration is told, on every path a binding takes (JSON, keywords,
//! the builder, the environment): the hint for a missing setting matches the path, and a
//! negative number is told the range the setting allows, not that it must be whole.

use dga_epayment::schema::{CLIENT_OPTIONS, FieldType, RETRY_OPTIONS};
use dga_epayment::{Config, ConfigBuilder, Error};
use serde_json::{Value, json};

const AGENT_ID: &str = "1234567890121";

/// The message of the field error named `field` (panics, showing them all, when none is).
fn message(e: &Error, field: &str) -> String {
    e.field_errors()
        .iter()
        .find(|f| f.field == field)
        .unwrap_or_else(|| panic!("no error for {field}: {e}"))
        .message
        .clone()
}

fn credentials() -> Value {
    json!({"consumerKey": "k", "consumerSecret": "s", "agentId": AGENT_ID})
}

/// The JSON form with `key` (a `retry.` key goes into the `retry` object) set to `v`.
fn with(key: &str, v: Value) -> Value {
    let mut j = credentials();
    match key.strip_prefix("retry.") {
        Some(k) => j["retry"] = json!({ k: v }),
        None => j[key] = v,
    }
    j
}

#[test]
fn a_missing_setting_in_code_does_not_point_at_a_variable_that_is_not_read() {
    let in_code = "is required (set it in code, or build the client from the environment to \
                   read DGA_CONSUMER_KEY)";
    let e = Config::from_json(&json!({})).unwrap_err();
    assert_eq!(message(&e, "consumerKey"), in_code);
    assert_eq!(
        message(&e, "agentId"),
        "is required (set it in code, or build the client from the environment to read \
         DGA_AGENT_ID)"
    );
    let e = Config::builder().build().unwrap_err();
    assert_eq!(message(&e, "consumerKey"), in_code);
    let e = Config::from_keywords(&json!({})).unwrap_err();
    assert_eq!(message(&e, "consumer_key"), in_code);

    // From the environment, the variable is one of the ways (dgapay turns this hint into its
    // flag's). Set empty in code, so whatever this process's environment holds, it is missing.
    let from_env = ConfigBuilder::from_env()
        .consumer_key("")
        .consumer_secret("")
        .agent_id("");
    let e = from_env.clone().build().unwrap_err();
    assert_eq!(
        message(&e, "consumerKey"),
        "is required (set it in code or with DGA_CONSUMER_KEY)"
    );
    assert_eq!(
        message(&e, "consumerSecret"),
        "is required (set it in code or with DGA_CONSUMER_SECRET)"
    );
    let e = Config::from_keywords_over(from_env, &json!({})).unwrap_err();
    assert_eq!(
        message(&e, "consumer_key"),
        "is required (set it in code or with DGA_CONSUMER_KEY)"
    );
}

#[test]
fn a_negative_number_is_told_the_range_its_setting_allows() {
    let cases = [
        (
            "timeoutMs",
            json!(-5000),
            "must be greater than zero, got -5000",
        ),
        (
            "connectTimeoutMs",
            json!(-1),
            "must be greater than zero, got -1",
        ),
        (
            "maxResponseBytes",
            json!(-1),
            "must be greater than zero, got -1",
        ),
        ("maxInFlight", json!(-1), "must be at least 1, got -1"),
        ("workerThreads", json!(-1), "must be 1 to 256, got -1"),
        (
            "retry.tokenAttempts",
            json!(-2),
            "must be at least 1, got -2",
        ),
        (
            "poolIdleTimeoutMs",
            json!(-1),
            "must not be negative, got -1",
        ),
        (
            "verificationRate",
            json!(-3),
            "must not be negative, got -3",
        ),
        (
            "retry.backoffBaseMs",
            json!(-1),
            "must not be negative, got -1",
        ),
        // Not whole: that is still what is wrong.
        (
            "timeoutMs",
            json!(-1.5),
            "must be a whole number of milliseconds, got -1.5",
        ),
        ("maxInFlight", json!(2.5), "must be a whole number, got 2.5"),
        (
            "retry.backoffCapMs",
            json!(0.5),
            "must be a whole number of milliseconds, got 0.5",
        ),
    ];
    for (key, v, want) in cases {
        let e = Config::from_json(&with(key, v.clone())).unwrap_err();
        assert_eq!(message(&e, key), want, "{key} = {v}");
        // The from-environment path reads the JSON without building: the same words.
        let e = ConfigBuilder::default()
            .with_json(&with(key, v.clone()))
            .unwrap_err();
        assert_eq!(message(&e, key), want, "{key} = {v} (with_json)");
    }
    // Whole, but not written as a whole number; or past what any setting holds.
    let e =
        Config::from_json(&with("maxInFlight", serde_json::from_str("8.0").unwrap())).unwrap_err();
    assert_eq!(
        message(&e, "maxInFlight"),
        "must be a whole number written with digits only, got 8.0"
    );
    let huge: Value = serde_json::from_str("100000000000000000000").unwrap();
    let e = Config::from_json(&with("timeoutMs", huge)).unwrap_err();
    assert_eq!(
        message(&e, "timeoutMs"),
        "must be at most 18446744073709551615, got 100000000000000000000"
    );
}

#[test]
fn every_numeric_setting_names_the_same_range_for_zero_and_below() {
    let numeric = |f: &&dga_epayment::schema::Field| {
        matches!(f.kind, FieldType::Integer | FieldType::Duration)
    };
    let keys = CLIENT_OPTIONS
        .fields
        .iter()
        .filter(numeric)
        .map(|f| f.wire.to_owned())
        .chain(
            RETRY_OPTIONS
                .fields
                .iter()
                .filter(numeric)
                .map(|f| format!("retry.{}", f.wire)),
        );
    for key in keys {
        let below = message(
            &Config::from_json(&with(&key, json!(-1))).unwrap_err(),
            &key,
        );
        let rule = below
            .strip_suffix(", got -1")
            .unwrap_or_else(|| panic!("{key}: {below}"));
        assert!(rule.starts_with("must "), "{key}: {below}");
        match Config::from_json(&with(&key, json!(0))) {
            // 0 is allowed: only the sign is wrong.
            Ok(_) => assert_eq!(rule, "must not be negative", "{key}"),
            // 0 is refused: in the same words as -1.
            Err(e) => assert_eq!(message(&e, &key), rule, "{key}"),
        }
    }
}

#[test]
fn a_negative_keyword_is_told_the_range_in_its_own_units() {
    let base = json!({"consumer_key": "k", "consumer_secret": "s", "agent_id": AGENT_ID});
    let cases = [
        ("timeout", json!(-5), "must be greater than zero, got -5"),
        (
            "token_failure_cooldown",
            json!(-0.5),
            "must not be negative, got -0.5",
        ),
        ("max_in_flight", json!(-1), "must be at least 1, got -1"),
        (
            "max_response_bytes",
            json!(-1),
            "must be greater than zero, got -1",
        ),
    ];
    for (key, v, want) in cases {
        let mut kw = base.clone();
        kw[key] = v.clone();
        let e = Config::from_keywords(&kw).unwrap_err();
        assert_eq!(message(&e, key), want, "{key} = {v}");
    }
    let mut kw = base.clone();
    kw["retry"] = json!({"backoff_cap": -1});
    let e = Config::from_keywords(&kw).unwrap_err();
    assert_eq!(
        message(&e, "retry.backoff_cap"),
        "must not be negative, got -1"
    );
}

#[test]
fn a_bad_value_read_from_a_variable_names_the_variable() {
    let vars = |k: &str| {
        let v = match k {
            "DGA_CONSUMER_KEY" => "k",
            "DGA_CONSUMER_SECRET" => "s",
            "DGA_AGENT_ID" => "123",
            "DGA_ENVIRONMENT" => "staging",
            "DGA_GATEWAY_URL" => "http://example.com",
            _ => return None,
        };
        Some(v.to_owned())
    };
    let e = ConfigBuilder::from_vars(vars).build().unwrap_err();
    assert_eq!(
        message(&e, "agentId"),
        "must be a 13-digit Thai citizen ID (read from DGA_AGENT_ID)"
    );
    assert!(
        message(&e, "environment").ends_with(" (read from DGA_ENVIRONMENT)"),
        "{e}"
    );
    assert!(
        message(&e, "gatewayUrl").ends_with(" (read from DGA_GATEWAY_URL)"),
        "{e}"
    );
    // Replaced in code, the bad value is the code's: no variable is named.
    let e = ConfigBuilder::from_vars(vars)
        .agent_id("456")
        .build()
        .unwrap_err();
    assert_eq!(message(&e, "agentId"), "must be a 13-digit Thai citizen ID");
    // The JSON over the variables (PHP's and C's fromVars path) likewise.
    let over = ConfigBuilder::from_vars(vars)
        .with_json(&json!({"agentId": "789"}))
        .unwrap();
    assert_eq!(
        message(&over.build().unwrap_err(), "agentId"),
        "must be a 13-digit Thai citizen ID"
    );
}
