//! A status-many run's options as a binding receives them in JSON (`{concurrency, rate}`),
//! read with the defaults and limits every language gives them.

use crate::{Error, FieldError};
use serde_json::Value;

/// Status calls in flight at once when the caller does not say (at least 1).
pub const DEFAULT_CONCURRENCY: u32 = 8;
/// Status calls started a second when the caller does not say (0: no limit), so a reconcile
/// does not look like a flood to DGA.
pub const DEFAULT_RATE: u32 = 20;

/// `(concurrency, rate)` from an options object (a key left out takes its default); every
/// bad option is named in one `Validation` error.
pub fn reconcile_options(options: &Value) -> Result<(usize, u32), Error> {
    let mut errors = Vec::new();
    let mut count = |name: &str, default: u32, min: u32| match options.get(name) {
        None => default,
        Some(v) => match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= f64::from(min) && n <= f64::from(u32::MAX) => {
                n as u32
            }
            _ => {
                let want = format!("must be a whole number of at least {min}, got {v}");
                errors.push(FieldError::new(name, want));
                default
            }
        },
    };
    let concurrency = count("concurrency", DEFAULT_CONCURRENCY, 1);
    let rate = count("rate", DEFAULT_RATE, 0);
    match errors.is_empty() {
        true => Ok((concurrency as usize, rate)),
        false => Err(Error::Validation { errors }),
    }
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
        for bad in [
            json!({"concurrency": 0}),
            json!({"rate": -1}),
            json!({"rate": null}),
        ] {
            assert!(reconcile_options(&bad).is_err(), "{bad}");
        }
    }
}
