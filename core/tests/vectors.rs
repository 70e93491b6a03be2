//! The cross-language conformance vectors in `tests/vectors/` (format: tests/vectors/README.md),
//! run against the Rust core. Every binding runs the same files.
//!
//! Each test runs every case of its file, collects every failure, and fails once at the end
//! with all of them (case name, expected, actual), so one run shows the whole picture.

use dga_epayment::{CitizenIdCheck, CreatePayment, Error, check_citizen_id, parse_amount};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

/// The smallest number of cases each file must hold: a truncated file fails.
const MIN_CASES: [(&str, usize); 4] = [
    ("callbacks.json", 90),
    ("create_requests.json", 40),
    ("citizen_ids.json", 15),
    ("amounts.json", 35),
];

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn load(file: &str) -> Vec<Value> {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
    doc["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{file} has no \"cases\" array"))
        .clone()
}

fn report(file: &str, total: usize, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} of {total} cases in {file} failed:\n\n{}\n",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Standard base64 (with or without padding), enough for `bodyBase64`.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 character {:?}", c as char),
        }
    };
    let digits: Vec<u32> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(val)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= d << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// The body of a callback case: `body` as UTF-8 bytes, or `bodyBase64` decoded.
fn body_of(case: &Value) -> Vec<u8> {
    match (case.get("body"), case.get("bodyBase64")) {
        (Some(Value::String(s)), None) => s.as_bytes().to_vec(),
        (None, Some(Value::String(b))) => base64_decode(b),
        _ => panic!(
            "case {}: exactly one of \"body\" (string) and \"bodyBase64\" is required",
            case["name"]
        ),
    }
}

fn expected_fields(expect: &Value) -> BTreeSet<String> {
    expect["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f.as_str().expect("field names are strings").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn error_fields(e: &Error) -> BTreeSet<String> {
    e.field_errors().iter().map(|f| f.field.clone()).collect()
}

fn describe(e: &Error) -> String {
    e.to_json().to_string()
}

/// Compares an error with `expect` (`errorKind`, `fields`, and `line`/`column` when given).
fn check_error(expect: &Value, e: &Error) -> Option<String> {
    let mut problems = Vec::new();
    let kind = e.kind().code();
    if expect["errorKind"].as_str() != Some(kind) {
        problems.push(format!(
            "kind: expected {}, got {kind:?}",
            expect["errorKind"]
        ));
    }
    let want = expected_fields(expect);
    let got = error_fields(e);
    if want != got {
        problems.push(format!("fields: expected {want:?}, got {got:?}"));
    }
    for key in ["line", "column"] {
        if let Some(n) = expect.get(key).and_then(Value::as_u64) {
            let at: Vec<Option<usize>> = e
                .field_errors()
                .iter()
                .filter(|f| f.field == "body")
                .map(|f| if key == "line" { f.line } else { f.column })
                .collect();
            if !at.contains(&Some(n as usize)) {
                problems.push(format!("{key}: expected {n}, got {at:?}"));
            }
        }
    }
    if problems.is_empty() {
        None
    } else {
        Some(format!(
            "{}\n    actual error: {}",
            problems.join("; "),
            describe(e)
        ))
    }
}

#[test]
fn every_file_is_present_non_empty_and_has_unique_cases() {
    let mut problems = Vec::new();
    for (file, min) in MIN_CASES {
        let cases = load(file);
        if cases.len() < min {
            problems.push(format!(
                "{file}: {} cases, expected at least {min} (truncated?)",
                cases.len()
            ));
        }
        // Callbacks and create requests are named; citizen IDs and amounts are keyed by input.
        // ("" is a legitimate citizen ID input, not a legitimate case name.)
        let (key, empty_ok) = match file {
            "citizen_ids.json" => ("id", true),
            "amounts.json" => ("json", false),
            _ => ("name", false),
        };
        let mut seen = HashSet::new();
        for (i, case) in cases.iter().enumerate() {
            match case.get(key).and_then(Value::as_str) {
                Some(k) if empty_ok || !k.is_empty() => {
                    if !seen.insert(k.to_owned()) {
                        problems.push(format!("{file}: case {i}: {key} {k:?} appears twice"));
                    }
                }
                _ => problems.push(format!("{file}: case {i} has no {key:?} string")),
            }
            if case.get("expect").is_none() && case.get("check").is_none() {
                problems.push(format!("{file}: case {i} has no expectation"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn callback_vectors() {
    let cases = load("callbacks.json");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let expect = &case["expect"];
        let body = body_of(case);
        let outcome = dga_epayment::parse_callback(&body);
        let failure = match (expect["ok"].as_bool(), &outcome) {
            (Some(true), Ok(status)) => {
                let got = status.to_json();
                let want = &expect["callback"];
                if &got == want {
                    None
                } else {
                    let diff: Vec<String> = want
                        .as_object()
                        .map(|w| {
                            w.iter()
                                .filter(|(k, v)| got.get(k.as_str()) != Some(*v))
                                .map(|(k, v)| {
                                    format!(
                                        "{k}: expected {v}, got {}",
                                        got.get(k.as_str())
                                            .map_or("<absent>".into(), |g| g.to_string())
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let extra: Vec<&String> = got
                        .as_object()
                        .map(|g| {
                            g.keys()
                                .filter(|k| want.get(k.as_str()).is_none())
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(format!(
                        "normalized callback differs: {}{}\n    actual: {got}",
                        diff.join("; "),
                        if extra.is_empty() {
                            String::new()
                        } else {
                            format!("; unexpected keys {extra:?}")
                        }
                    ))
                }
            }
            (Some(true), Err(e)) => Some(format!(
                "expected a callback, got an error: {}",
                describe(e)
            )),
            (Some(false), Ok(status)) => Some(format!(
                "expected a {} error on {:?}, got a callback: {}",
                expect["errorKind"],
                expected_fields(expect),
                status.to_json()
            )),
            (Some(false), Err(e)) => check_error(expect, e),
            (None, _) => Some("expect.ok must be true or false".into()),
        };
        if let Some(f) = failure {
            failures.push(format!("[{name}] {f}"));
        }
    }
    report("callbacks.json", cases.len(), failures);
}

#[test]
fn create_request_vectors() {
    let cases = load("create_requests.json");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let expect = &case["expect"];
        let Some(raw) = case["request"].as_str() else {
            failures.push(format!("[{name}] \"request\" must be the raw JSON text"));
            continue;
        };
        let default_source = case["defaultSource"].as_str();
        let failure = match serde_json::from_str::<Value>(raw) {
            Err(e) => {
                if expect["ok"] == false && expect["errorKind"] == "invalid_json" {
                    None
                } else {
                    Some(format!("the request text is not valid JSON: {e}"))
                }
            }
            // Read (`from_json`) and check (`validate`) as every binding does before any
            // network call; an error from either step is the outcome.
            Ok(request) => match (
                expect["ok"].as_bool(),
                match CreatePayment::from_json(&request) {
                    Ok(r) => r.validate(default_source),
                    Err(e) => Err(e),
                },
            ) {
                (Some(true), Ok(())) => None,
                (Some(true), Err(e)) => Some(format!(
                    "expected the request to be accepted, got: {}",
                    describe(&e)
                )),
                (Some(false), Ok(())) => Some(format!(
                    "expected a {} error on {:?}, but the request was accepted",
                    expect["errorKind"],
                    expected_fields(expect)
                )),
                (Some(false), Err(e)) => check_error(expect, &e),
                (None, _) => Some("expect.ok must be true or false".into()),
            },
        };
        if let Some(f) = failure {
            failures.push(format!("[{name}] {f}"));
        }
    }
    report("create_requests.json", cases.len(), failures);
}

#[test]
fn citizen_id_vectors() {
    let cases = load("citizen_ids.json");
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().expect("id is a string");
        let want = case["check"].as_str().unwrap_or("?");
        let got = match check_citizen_id(id) {
            CitizenIdCheck::Valid => "valid",
            CitizenIdCheck::BadCheckDigit => "bad_check_digit",
            CitizenIdCheck::BadFormat => "bad_format",
        };
        if want != got {
            failures.push(format!("[{id:?}] expected {want}, got {got}"));
        }
        if dga_epayment::validate_citizen_id(id) != (want == "valid") {
            failures.push(format!(
                "[{id:?}] validate_citizen_id disagrees with check {want}"
            ));
        }
    }
    report("citizen_ids.json", cases.len(), failures);
}

#[test]
fn amount_vectors() {
    let cases = load("amounts.json");
    let mut failures = Vec::new();
    for case in &cases {
        let raw = case["json"].as_str().expect("json is the raw JSON text");
        let value: Value = match serde_json::from_str(raw) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("[{raw}] the \"json\" text is not valid JSON: {e}"));
                continue;
            }
        };
        let got = parse_amount(&value).map(|d| d.to_string());
        match (&case["expect"], got) {
            (Value::String(want), Ok(got)) if *want == got => {}
            (Value::Null, Err(_)) => {}
            (want, got) => failures.push(format!("[{raw}] expected {want}, got {got:?}")),
        }
    }
    report("amounts.json", cases.len(), failures);
}
