//! A status-many run's options and input items as a binding receives them in JSON, read with
//! the defaults, limits and shapes every language gives them.

use crate::reconcile::{InputError, Reference};
use crate::{Error, FieldError};
use serde_json::Value;

/// Status calls in flight at once when the caller does not say (at least 1).
pub const DEFAULT_CONCURRENCY: u32 = 8;
/// The most status calls in flight one run may ask for (`dgapay reconcile --concurrency` too).
pub const MAX_CONCURRENCY: u32 = 256;
/// Status calls started a second when the caller does not say (0: no limit), so a reconcile
/// does not look like a flood to DGA.
pub const DEFAULT_RATE: u32 = 20;

/// `(concurrency, rate)` from an options object (a key left out takes its default); every
/// bad option is named in one `Validation` error.
pub fn reconcile_options(options: &Value) -> Result<(usize, u32), Error> {
    let mut errors = Vec::new();
    let mut count = |name: &str, default: u32, min: u32, max: u32| match options.get(name) {
        None => default,
        Some(v) => match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= f64::from(min) && n <= f64::from(max) => n as u32,
            _ if max < u32::MAX => {
                let want = format!("must be a whole number from {min} to {max}, got {v}");
                errors.push(FieldError::new(name, want));
                default
            }
            _ => {
                let want = format!("must be a whole number of at least {min}, got {v}");
                errors.push(FieldError::new(name, want));
                default
            }
        },
    };
    let concurrency = count("concurrency", DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY);
    let rate = count("rate", DEFAULT_RATE, 0, u32::MAX);
    match errors.is_empty() {
        true => Ok((concurrency as usize, rate)),
        false => Err(Error::Validation { errors }),
    }
}

/// One pushed item: `"reference1"`, `["reference1"]` or `["reference1", "reference2"]`; any
/// other value is an input error, `expected` (the language's words for those shapes) and
/// what it was.
pub fn json_reference(line: u64, item: &Value, expected: &str) -> Result<Reference, InputError> {
    let text = |i: usize| item.get(i).and_then(Value::as_str);
    let got = match item {
        Value::String(r1) => return Reference::pushed(line, r1, ""),
        Value::Array(a) => match (a.len(), text(0), text(1)) {
            (1, Some(r1), _) => return Reference::pushed(line, r1, ""),
            (2, Some(r1), Some(r2)) => return Reference::pushed(line, r1, r2),
            // A reference2 that is NULL in the agency's table: the payment has none.
            (2, Some(r1), None) if a[1].is_null() => return Reference::pushed(line, r1, ""),
            (2, Some(_), None) => "a pair whose reference2 is not a string",
            (1 | 2, None, _) => "an array whose reference1 is not a string",
            _ => "another array",
        },
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::Object(_) => "an object",
    };
    let reason = format!("{expected}, got {got}");
    Err(InputError { line, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_limits_and_every_bad_option_named() {
        assert_eq!(reconcile_options(&json!({})).unwrap(), (8, 20));
        assert_eq!(
            reconcile_options(&json!({"concurrency": 2, "rate": 0})).unwrap(),
            (2, 0)
        );
        let e = reconcile_options(&json!({"concurrency": 2.5, "rate": "20"})).unwrap_err();
        let fields: Vec<_> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["concurrency", "rate"]);
        assert_eq!(
            reconcile_options(&json!({"concurrency": 256})).unwrap(),
            (256, 20)
        );
        // Every rate a u32 holds is paced (status_many), so all are accepted.
        assert_eq!(
            reconcile_options(&json!({"rate": u32::MAX})).unwrap(),
            (8, u32::MAX)
        );
        assert!(reconcile_options(&json!({"rate": 4_294_967_296u64})).is_err());
        let e = reconcile_options(&json!({"concurrency": 257})).unwrap_err();
        assert!(e.to_string().contains("from 1 to 256, got 257"), "{e}");
        for bad in [
            json!({"concurrency": 0}),
            json!({"rate": -1}),
            json!({"rate": null}),
        ] {
            assert!(reconcile_options(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn items_are_a_reference1_or_a_pair() {
        let refs = |item: Value| json_reference(3, &item, "must be a reference");
        let r = refs(json!([" A ", "B"])).unwrap();
        assert_eq!((r.reference1.as_str(), r.reference2.as_str()), ("A", "B"));
        assert_eq!(refs(json!("A")).unwrap().reference2, "");
        assert_eq!(refs(json!(["A"])).unwrap().reference1, "A");
        assert_eq!(refs(json!(["A", null])).unwrap().reference2, "");
        let e = refs(json!(["A", 7])).unwrap_err();
        assert!(
            e.reason
                .ends_with("got a pair whose reference2 is not a string")
        );
        let e = refs(json!([null, "B"])).unwrap_err();
        assert!(
            e.reason
                .ends_with("got an array whose reference1 is not a string")
        );
        let e = refs(json!(42)).unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (3, "must be a reference, got a number")
        );
        for bad in [
            json!(["A", 1]),
            json!([]),
            json!(["A", "B", "C"]),
            json!(" "),
            json!("A\u{1}"),
            json!(["A", "B\nC"]),
            json!("R".repeat(256)),
        ] {
            assert!(refs(bad.clone()).is_err(), "{bad}");
        }
    }
}
