//! DGA's response envelope `{status, errorCode, message, data}` and what an answer means:
//! read leniently (keys in any case, enums as numbers or names, unknown values kept), decided
//! strictly (an envelope status the guide does not define is never a success;
//! docs/architecture.md#dgas-deviations). Free functions, so the fuzz targets run exactly
//! what the client runs.

use crate::client::LOG;
use crate::enums::{ErrorCode, ResponseStatus};
use crate::error::{Endpoint, Error, FieldError, Result};
use crate::lenient::{Fields, json_type};
use crate::model::{CALLBACK_FIELDS, Confirmation, Payment, PaymentStatus};
use crate::slots::{Slots, Val};
use reqwest::StatusCode;
use serde_json::Value;

/// DGA's response envelope.
pub(crate) struct Envelope {
    pub(crate) status: ResponseStatus,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
    pub(crate) warning: Option<String>,
}

/// Create's answer (a successful envelope) as the payment, with the request's references; an
/// answer without readable data is `OutcomeUnknown` (the payment may exist).
pub(crate) fn payment_from(env: Envelope, r1: &str, r2: &str) -> Result<Payment> {
    let unknown = |message: String| Error::OutcomeUnknown {
        endpoint: Endpoint::Create,
        reference1: r1.to_owned(),
        reference2: r2.to_owned(),
        message,
    };
    let data = env
        .data
        .as_ref()
        .and_then(Value::as_object)
        .ok_or_else(|| unknown("DGA answered success without the payment data".to_owned()))?;
    let mut payment = Payment::from_create_data(data, r1, r2).map_err(|errors| {
        unknown(format!(
            "DGA's answer could not be read: {}",
            join_fields(&errors)
        ))
    })?;
    payment.warning = env.warning;
    Ok(payment)
}

/// Status's answer (a successful envelope) as the payment's status; unreadable data is
/// `Protocol`. A status without `ref1` gets the references it was asked for.
pub(crate) fn status_from(env: Envelope, r1: &str, r2: &str) -> Result<PaymentStatus> {
    let protocol = |message: String| Error::Protocol {
        endpoint: Endpoint::Status,
        message,
    };
    let map = match &env.data {
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(protocol(format!(
                "expected the status data object, got {}",
                json_type(other)
            )));
        }
        None => return Err(protocol("DGA answered success without status data".into())),
    };
    let slots = Slots::of_map(&CALLBACK_FIELDS, map);
    let mut errors = Vec::new();
    let mut status = match PaymentStatus::read(&slots.values, false, &mut errors) {
        Some(s) if errors.is_empty() => s,
        _ => return Err(protocol(join_fields(&errors))),
    };
    asked_references(&mut status, (r1, r2));
    status.warning = env.warning;
    Ok(status)
}

/// The status names the payment by the references it was asked for. DGA's answer may name
/// others: the guide's own status example (§6) asks `123456789`/`12345` and answers `ref1`
/// `6500000100`, `ref2` `62025465` (docs/protocol.md#q7--what-reference1-and-reference2-are).
/// A handler that records a callback's payment by `ref1`/`ref2` would then mark another order
/// (or none) paid while DGA is told it was accepted, so the asked ones are kept and DGA's
/// are logged (at most once a minute: if DGA always does it, every answer would).
fn asked_references(status: &mut PaymentStatus, (r1, r2): (&str, &str)) {
    let differ = status.ref1.trim() != r1.trim() || status.ref2.trim() != r2.trim();
    if let Some(skipped) = (differ && !status.ref1.is_empty())
        .then(|| OTHER_REFERENCES.allow())
        .flatten()
    {
        let cut = |s: &str| s.chars().take(64).collect::<String>();
        log::warn!(
            target: LOG,
            "{}: DGA's answer for reference1={r1:?} reference2={r2:?} names ref1={:?} \
             ref2={:?}; the status keeps the references asked (docs/protocol.md, Q7){skipped}",
            Endpoint::Status,
            cut(&status.ref1),
            cut(&status.ref2)
        );
    }
    if differ {
        status.ref1 = r1.to_owned();
        status.ref2 = r2.to_owned();
    }
}

static OTHER_REFERENCES: crate::logs::Every =
    crate::logs::Every::new(std::time::Duration::from_secs(60));

/// Status's answer as `read_answer` then `status_from` read it; a plain successful answer
/// (the usual one) is read in one pass without building its `Value` first.
pub(crate) fn read_status(
    http: StatusCode,
    body: &[u8],
    refs: (&str, &str),
    scrub: &dyn Fn(String) -> String,
) -> Result<PaymentStatus> {
    let plain = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if let Some(status) = status_in_one_pass(plain, refs, scrub) {
        return Ok(status);
    }
    let env = read_answer(Endpoint::Status, false, http, body, refs, scrub)?;
    status_from(env, refs.0, refs.1)
}

/// The one-pass reading of [`read_status`]: `None` unless the envelope's status is a success
/// and its data reads whole (everything else takes the general path, which says what is wrong).
fn status_in_one_pass(
    body: &[u8],
    refs: (&str, &str),
    scrub: &dyn Fn(String) -> String,
) -> Option<PaymentStatus> {
    let answer = crate::slots::read_status_answer(body)?;
    let status = match answer.status? {
        Val::Null => return None,
        v => crate::slots::enum_of(
            &v,
            ResponseStatus::from_number,
            ResponseStatus::from_name,
            ResponseStatus::from_json,
        )
        .ok()?,
    };
    if !status.is_known() || status == ResponseStatus::Error {
        return None;
    }
    let mut errors = Vec::new();
    let mut read = PaymentStatus::read(&answer.data?.values, false, &mut errors)?;
    if !errors.is_empty() {
        return None;
    }
    let message = match answer.message {
        Some(Val::Str(s) | Val::Number(s)) => s.into_owned(),
        _ => String::new(),
    };
    read.warning = (status != ResponseStatus::Success).then(|| {
        let w = if message.is_empty() {
            format!("DGA answered {status}")
        } else {
            scrub(message)
        };
        log::warn!(target: LOG, "{}: DGA answered {status}: {w}", Endpoint::Status);
        w
    });
    asked_references(&mut read, refs);
    Some(read)
}

pub(crate) fn join_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Envelope {
    pub(crate) fn confirmation(self) -> Confirmation {
        Confirmation {
            status: self.status,
            message: self.message,
            data: self.data,
            warning: self.warning,
        }
    }
}

/// What a DGA answer with a non-failure HTTP status means (docs/architecture.md#dgas-deviations): an
/// `Api` error for envelope status Error; for a status the guide does not define, or an
/// unreadable success, `OutcomeUnknown` when the call may have taken effect (create, void),
/// else `Protocol`; otherwise the envelope. `scrub` redacts DGA's text.
pub(crate) fn read_answer(
    endpoint: Endpoint,
    may_have_acted: bool,
    http: StatusCode,
    body: &[u8],
    refs: (&str, &str),
    scrub: &dyn Fn(String) -> String,
) -> Result<Envelope> {
    let unreadable = |message: String| {
        if may_have_acted {
            Error::OutcomeUnknown {
                endpoint,
                reference1: refs.0.to_owned(),
                reference2: refs.1.to_owned(),
                message,
            }
        } else {
            Error::Protocol { endpoint, message }
        }
    };
    match parse_envelope(body) {
        Ok(env) if env.status == ResponseStatus::Error => Err(api_error(endpoint, env, scrub)),
        // A status the guide does not define (4, 7, ...) says neither success nor error:
        // never report it as a success.
        Ok(env) if !env.status.is_known() => Err(unreadable(format!(
            "DGA answered envelope status {} (HTTP {}), which the guide does not define{}",
            env.status,
            http.as_u16(),
            if env.message.is_empty() {
                String::new()
            } else {
                format!(": {}", scrub(env.message))
            }
        ))),
        Ok(env) => {
            let warning = (env.status != ResponseStatus::Success).then(|| {
                let w = if env.message.is_empty() {
                    format!("DGA answered {}", env.status)
                } else {
                    scrub(env.message.clone())
                };
                log::warn!(target: LOG, "{endpoint}: DGA answered {}: {w}", env.status);
                w
            });
            Ok(Envelope {
                status: env.status,
                message: scrub(env.message),
                data: env.data,
                warning,
            })
        }
        Err(problem) => {
            let problem = scrub(problem);
            if http.is_success() {
                Err(unreadable(format!(
                    "DGA's answer (HTTP {}) was unreadable: {problem}",
                    http.as_u16()
                )))
            } else {
                Err(Error::Protocol {
                    endpoint,
                    message: format!("HTTP {}: {problem}", http.as_u16()),
                })
            }
        }
    }
}

pub(crate) fn api_error(
    endpoint: Endpoint,
    env: RawEnvelope,
    scrub: &dyn Fn(String) -> String,
) -> Error {
    Error::Api {
        endpoint,
        status: env.status,
        error_code: env.error_code,
        message: scrub(env.message),
    }
}

pub(crate) struct RawEnvelope {
    pub(crate) status: ResponseStatus,
    pub(crate) error_code: Option<ErrorCode>,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

/// Reads `{status, errorCode, message, data}` leniently (keys in any case, enums as numbers
/// or names, unknown values kept).
pub(crate) fn parse_envelope(body: &[u8]) -> std::result::Result<RawEnvelope, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(map) = &mut value else {
        return Err(format!("expected a JSON object, got {}", json_type(&value)));
    };
    let mut f = Fields::new(map);
    let status = f
        .enumeration("status", true, ResponseStatus::from_json)
        .ok_or_else(|| "no envelope: \"status\" is missing or invalid".to_owned())?;
    let error_code = f.enumeration("errorCode", false, ErrorCode::from_json);
    let message = f.string("message", false).unwrap_or_default();
    // Taken out of the envelope rather than copied: it is most of the answer.
    let data_key = map
        .keys()
        .find(|k| k.trim().eq_ignore_ascii_case("data"))
        .cloned();
    let data = data_key
        .and_then(|k| map.remove(&k))
        .filter(|d| !d.is_null());
    Ok(RawEnvelope {
        status,
        error_code,
        message,
        data,
    })
}

/// The token in `{"Result": "..."}` (Q2 in docs/protocol.md: the key's case varies).
pub(crate) fn token_result(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let map = value.as_object()?;
    let mut f = Fields::new(map);
    f.string("result", false).filter(|t| !t.trim().is_empty())
}

pub(crate) fn token_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let mut f = Fields::new(value.as_object()?);
    f.string("message", false).filter(|m| !m.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_is_read_leniently() {
        let env = parse_envelope(
            br#"{"Status": "error", "ErrorCode": "8", "Message": "x", "Data": null}"#,
        )
        .unwrap();
        assert_eq!(env.status, ResponseStatus::Error);
        assert_eq!(env.error_code, Some(ErrorCode::TransactionNotFound));
        assert!(env.data.is_none());
        assert!(parse_envelope(b"<html>").is_err());
        assert!(parse_envelope(br#"{"result": true}"#).is_err());
    }

    #[test]
    fn token_key_in_any_case() {
        assert_eq!(
            token_result(br#"{"Result": "abc"}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_result(br#"{"result": "abc"}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(token_result(br#"{"Result": ""}"#), None);
        assert_eq!(token_result(br#"{"Result": null}"#), None);
    }
}
