//! Entry points for the fuzz targets in `fuzz/` and for their corpus replay
//! (`core/tests/fuzz_corpus.rs`). Not part of the API: hidden from the docs, may change at any
//! time.
//!
//! The wrappers ([`token`], [`envelope`], [`create_answer`], [`status_answer`]) run what the
//! client runs on the bytes DGA sends. The `check_*` functions run a wrapper (or a public
//! parser) on one input and panic when an invariant fails; a fuzz target is one call to one of
//! them, so the fuzzer and the stable replay test check exactly the same things.

use crate::enums::ResponseStatus;
use crate::envelope::{
    RawEnvelope, parse_envelope, payment_from, read_answer, read_status, token_message,
    token_result,
};
use crate::error::{Endpoint, Error};
use crate::lenient::{json_type, parse_amount};
use crate::model::{Confirmation, Payment, PaymentStatus, checkout_form_html, parse_callback};
use crate::reply::CallbackReply;
use crate::{Config, Decimal};
use reqwest::StatusCode;
use serde_json::Value;

/// The references `create_answer` attaches (the client attaches the request's).
pub const CREATE_REFERENCES: (&str, &str) = ("FUZZ-REF1", "FUZZ-REF2");

/// A successful token answer (`{"Result": "..."}`): what `fetch_token` keeps as the token.
pub fn token(body: &[u8]) -> Option<String> {
    token_result(body)
}

/// A refused token request's answer (HTTP 400/401/403): the message the `Auth` error quotes.
pub fn token_refusal(body: &[u8]) -> Option<String> {
    token_message(body)
}

/// DGA's envelope as the client reads it, and what the client makes of it.
#[derive(Debug)]
pub struct Envelope {
    /// `status`.
    pub status: ResponseStatus,
    /// `errorCode`.
    pub error_code: Option<crate::ErrorCode>,
    /// `message` (before redaction, which needs the client's secrets).
    pub message: String,
    /// `data`, `None` when null or absent.
    pub data: Option<Value>,
    /// What the client makes of it.
    pub outcome: Outcome,
}

/// What the client makes of a readable envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `status` Error: an `Api` error.
    Api,
    /// A `status` outside the guide's table: neither success nor error, so an error.
    Undefined,
    /// Success, SuccessWithError or Warning: the data is read.
    Success,
}

/// Reads an answer's envelope (every payment endpoint, and the body of a 429/5xx), and what
/// the client makes of it (its own `read_answer`, for status).
pub fn envelope(body: &[u8]) -> Result<Envelope, String> {
    let RawEnvelope {
        status,
        error_code,
        message,
        data,
    } = parse_envelope(body)?;
    let outcome = match read_answer(Endpoint::Status, false, StatusCode::OK, body, REFS, &|t| t) {
        Ok(_) => Outcome::Success,
        Err(Error::Api { .. }) => Outcome::Api,
        Err(_) => Outcome::Undefined,
    };
    Ok(Envelope {
        status,
        error_code,
        message,
        data,
        outcome,
    })
}

const REFS: (&str, &str) = CREATE_REFERENCES;

/// Create's answer as `Client::create_payment` reads it (the client's own functions), with
/// [`CREATE_REFERENCES`].
pub fn create_answer(body: &[u8]) -> Result<Payment, String> {
    let env = read_answer(Endpoint::Create, true, StatusCode::OK, body, REFS, &|t| t)
        .map_err(|e| e.to_string())?;
    payment_from(env, REFS.0, REFS.1).map_err(|e| e.to_string())
}

/// Status's answer as `Client::status` reads it (the client's own functions).
pub fn status_answer(body: &[u8]) -> Result<PaymentStatus, String> {
    read_status(StatusCode::OK, body, REFS, &|t| t).map_err(|e| e.to_string())
}

/// One fuzz target's check: panics when an invariant fails.
pub type Check = fn(&[u8]);

/// The fuzz targets by name (`fuzz/fuzz_targets/<name>.rs`, corpus `fuzz/corpus/<name>/`).
pub const TARGETS: &[(&str, Check)] = &[
    ("parse_callback", check_callback),
    ("token", check_token),
    ("envelope", check_envelope),
    ("create_answer", check_create_answer),
    ("status_answer", check_status_answer),
    ("amount", check_amount),
    ("config", check_config),
];

/// The normalized JSON of a status or callback reads back to the same normalized JSON.
fn status_round_trip(s: &PaymentStatus) {
    let json = s.to_json();
    assert!(json.is_object(), "to_json gave {json}");
    let text = serde_json::to_string(&json).expect("normalized JSON serializes");
    let reparsed: Value = serde_json::from_str(&text).expect("normalized JSON re-parses");
    assert_eq!(reparsed, json, "normalized JSON changes through its text");
    let back = PaymentStatus::from_json(&json)
        .unwrap_or_else(|e| panic!("normalized JSON {json} is refused: {e}"));
    assert_eq!(back.to_json(), json, "normalized JSON does not read back");
    assert_eq!(back.amount, s.amount);
    assert_eq!(back.amount.scale(), s.amount.scale());
    assert_eq!(back.fee_amount, s.fee_amount);
    let _ = format!("{s:?} {}", s.paid_status);
}

/// `parse_callback` on any bytes: an error is a `Callback` error with a reply; a callback
/// round-trips through its normalized JSON.
pub fn check_callback(body: &[u8]) {
    match parse_callback(body) {
        Ok(cb) => status_round_trip(&cb),
        Err(e) => {
            assert!(
                matches!(e, Error::Callback { .. }),
                "parse_callback gave a non-callback error: {e:?}"
            );
            assert!(
                !e.field_errors().is_empty(),
                "a callback error names no field"
            );
            let _ = (e.to_string(), e.to_json(), CallbackReply::for_error(&e));
        }
    }
}

/// Both token readers; a token is never blank.
pub fn check_token(body: &[u8]) {
    if let Some(t) = token(body) {
        assert!(!t.trim().is_empty(), "a blank token was accepted");
    }
    if let Some(m) = token_refusal(body) {
        assert!(!m.trim().is_empty(), "a blank refusal message was kept");
    }
}

/// The envelope, and what close and void hand out from it.
pub fn check_envelope(body: &[u8]) {
    let Ok(env) = envelope(body) else { return };
    assert!(
        !matches!(env.data, Some(Value::Null)),
        "a null data was kept"
    );
    let _ = format!("{} {:?}", env.status, env.error_code);
    if env.outcome == Outcome::Api {
        let e = Error::Api {
            endpoint: Endpoint::Void,
            status: env.status,
            error_code: env.error_code,
            message: env.message,
        };
        let _ = (e.to_string(), e.to_json(), e.kind());
    } else {
        let c = Confirmation {
            status: env.status,
            message: env.message,
            data: env.data,
            warning: None,
        };
        assert!(c.to_json().is_object());
    }
}

/// Create's answer: a payment round-trips through its JSON form; the checkout form is built
/// or refused, never a panic.
pub fn check_create_answer(body: &[u8]) {
    let Ok(p) = create_answer(body) else { return };
    let json = p.to_json();
    let back = Payment::from_json(&json)
        .unwrap_or_else(|e| panic!("a payment's JSON {json} is refused: {e}"));
    assert_eq!(back, p, "a payment does not round-trip through its JSON");
    assert_eq!(back.amount.scale(), p.amount.scale());
    let _ = (
        checkout_form_html(&p),
        p.checkout_fields(),
        format!("{p:?}"),
    );
}

/// Status's answer round-trips through its normalized JSON.
pub fn check_status_answer(body: &[u8]) {
    if let Ok(s) = status_answer(body) {
        status_round_trip(&s);
    }
}

/// The sign, digits and scale a decimal text stands for, exactly, with trailing zeros removed
/// (`None` when the text is not `[+-]digits[.digits][(e|E)[+-]digits]`, where either digit
/// run around the point may be empty but not both).
fn exact_value(text: &str) -> Option<(bool, String, i64)> {
    let (negative, t) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => {
            let exp = &t[i + 1..];
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&t[..i], exp.parse::<i64>().ok()?)
        }
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(int) || !digits_only(frac) || int.len() + frac.len() == 0 {
        return None;
    }
    let mut digits = format!("{int}{frac}").trim_start_matches('0').to_owned();
    let mut scale = i64::try_from(frac.len()).ok()?.checked_sub(exponent)?;
    if digits.is_empty() {
        return Some((negative, "0".into(), 0));
    }
    while digits.ends_with('0') {
        digits.pop();
        scale -= 1;
    }
    if scale < 0 {
        // Only small shifts can be in range; larger ones are compared as "too big".
        let zeros = usize::try_from(-scale).ok()?.min(64);
        digits.push_str(&"0".repeat(zeros));
        scale = 0;
    }
    Some((negative, digits, scale))
}

/// Checks that an amount read from `text` is exactly the number the text stands for.
fn assert_exact(text: &str, d: &Decimal) {
    let Some((negative, digits, scale)) = exact_value(text) else {
        panic!("{text:?} is not a decimal number but was read as {d}");
    };
    let n = d.normalize();
    assert_eq!(
        (
            n.mantissa().unsigned_abs().to_string(),
            i64::from(n.scale())
        ),
        (digits, scale),
        "{text:?} was read as {d}, not exactly"
    );
    if !n.is_zero() {
        assert_eq!(n.is_sign_negative(), negative, "{text:?} read as {d}");
    }
}

/// `parse_amount` on the input as JSON and as a string: an amount is the exact value of its
/// text, its `to_string` reads back to the same value and scale, and a JSON number reads the
/// same as the string of its text.
pub fn check_amount(data: &[u8]) {
    let check_ok = |source: &str, d: &Decimal| {
        let shown = d.to_string();
        let again = parse_amount(&Value::String(shown.clone()))
            .unwrap_or_else(|e| panic!("{d} (read from {source:?}) does not re-read: {e}"));
        assert_eq!(again, *d, "{source:?}: {shown} re-reads as {again}");
        assert_eq!(again.scale(), d.scale(), "{source:?}: scale lost");
        assert_eq!(again.to_string(), shown);
        assert_exact(source, d);
    };
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        let got = parse_amount(&v);
        if let Value::Number(n) = &v {
            let text = n.to_string();
            let as_string = parse_amount(&Value::String(text.clone()));
            assert_eq!(got, as_string, "number {text} and string {text:?} differ");
        }
        match (&v, &got) {
            (Value::Number(n), Ok(d)) => check_ok(&n.to_string(), d),
            (Value::String(s), Ok(d)) => check_ok(s.trim(), d),
            (Value::Number(_) | Value::String(_), Err(_)) => {}
            (other, Ok(d)) => panic!("{} was read as the amount {d}", json_type(other)),
            (_, Err(_)) => {}
        }
    }
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(d) = parse_amount(&Value::String(s.to_owned()))
    {
        check_ok(s.trim(), &d);
    }
}

/// Put in place of each secret; valid in a header and a URL so the settings stay as valid.
const MARKER: &str = "FzSecretMarker7q";

/// `Config::from_json` on any JSON: no panic, and a secret (key, secret, proxy URL) is never
/// in an error nor in the configuration's `Debug`.
pub fn check_config(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    // The fuzzer learns strings it sees compared: an input holding the marker elsewhere
    // (say as gatewayUrl, which errors do quote) proves nothing.
    let has_marker = serde_json::to_string(&v).is_ok_and(|t| t.contains(MARKER));
    let shown = |r: &crate::Result<Config>| match r {
        Ok(c) => format!("{c:?}"),
        Err(e) => format!("{e} {e:?} {}", e.to_json()),
    };
    let _ = shown(&Config::from_json(&v));
    // The same settings with each secret replaced by the marker: the marker must not show.
    let Value::Object(mut map) = v else { return };
    if has_marker {
        return;
    }
    for key in ["consumerKey", "consumerSecret"] {
        if map.get(key).is_some_and(Value::is_string) {
            map.insert(key.into(), Value::String(MARKER.into()));
        }
    }
    if map.get("proxy").is_some_and(Value::is_string) {
        map.insert(
            "proxy".into(),
            Value::String(format!("http://user:{MARKER}@127.0.0.1:3128")),
        );
    }
    let text = shown(&Config::from_json(&Value::Object(map)));
    assert!(!text.contains(MARKER), "a secret shows: {text}");
}
