//! What an agency's callback endpoint answers DGA, decided once here so every framework
//! handler (Django, Express, ASP.NET, C) answers the same way.

use crate::error::{Error, VerificationReason};
use crate::model::callback_ack;

/// The HTTP answer to one callback delivery: status code and the acknowledgement JSON body
/// (`Content-Type: application/json`). DGA delivers again until it gets `result: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackReply {
    /// The HTTP status code to answer with.
    pub http_status: u16,
    /// Whether the callback was taken (`result` in the body).
    pub accepted: bool,
    /// The acknowledgement JSON ([`callback_ack`]).
    pub body: String,
}

impl CallbackReply {
    /// The content type of [`CallbackReply::body`].
    pub const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    /// 200 with `result: true`: the callback was verified and the agency recorded it.
    pub fn accepted(message: &str) -> CallbackReply {
        CallbackReply {
            http_status: 200,
            accepted: true,
            body: callback_ack(true, message),
        }
    }

    /// The refusal for an error met while parsing or verifying a callback, with `result:
    /// false`, by the callback contract (docs/architecture.md#the-callback-contract): 400 for a
    /// body that is not a valid callback
    /// (the message names the fields of the sender's own body), 404 when DGA has no such
    /// payment, 409 while DGA says Pending or shows another final status (DGA redelivers),
    /// and 503 when DGA could not be asked (timeout, network, auth, DGA error, too many
    /// verifications at once), so that DGA delivers it again later.
    ///
    /// The messages are fixed texts: nothing DGA's status call said (amount, refId, status,
    /// dates) appears in a reply, so a forged POST learns nothing.
    pub fn for_error(error: &Error) -> CallbackReply {
        CallbackReply::for_error_json(&error.to_json())
    }

    /// [`CallbackReply::for_error`] for an error given as its JSON ([`Error::to_json`]: only
    /// `kind`, `reason` and, for a 400, `message` are read), for bindings that hand the error
    /// to the agency's code first and build the reply later.
    pub fn for_error_json(error: &serde_json::Value) -> CallbackReply {
        let kind = error["kind"].as_str().unwrap_or("");
        let (http_status, message) = match kind {
            // Its text names the sender's own fields (already "invalid callback: ...").
            "callback" => (
                400,
                error["message"]
                    .as_str()
                    .unwrap_or("invalid callback")
                    .to_owned(),
            ),
            "validation" => (
                400,
                format!(
                    "invalid callback: {}",
                    error["message"].as_str().unwrap_or("")
                ),
            ),
            "verification" if error["reason"] == VerificationReason::UnknownPayment.code() => {
                (404, "unknown payment: not confirmed by DGA".to_owned())
            }
            "verification" if error["reason"] == VerificationReason::Busy.code() => (
                503,
                "could not confirm the callback with DGA yet; please deliver it again".to_owned(),
            ),
            "verification" => (
                409,
                "not confirmed by DGA yet; please deliver it again later".to_owned(),
            ),
            _ => (
                503,
                "could not confirm the callback with DGA yet; please deliver it again".to_owned(),
            ),
        };
        CallbackReply {
            http_status,
            accepted: false,
            body: callback_ack(false, &message),
        }
    }

    /// 413 with `result: false`: the body is larger than the endpoint takes (`limit` bytes),
    /// so it was not read. DGA's callbacks are a few hundred bytes; this guards the endpoint.
    pub fn too_large(limit: usize) -> CallbackReply {
        CallbackReply {
            http_status: 413,
            accepted: false,
            body: callback_ack(
                false,
                &format!("invalid callback: the body is larger than {limit} bytes"),
            ),
        }
    }

    /// 503 with `result: false`: the callback could not be checked now (the agency's own
    /// `known_reference` check failed, say); DGA delivers it again.
    pub fn unavailable() -> CallbackReply {
        CallbackReply {
            http_status: 503,
            accepted: false,
            body: callback_ack(
                false,
                "could not confirm the callback with DGA yet; please deliver it again",
            ),
        }
    }

    /// 500 with `result: false`: the callback was valid but the agency's own handler failed,
    /// so DGA should deliver it again. The agency's error stays in its own logs.
    pub fn handler_failed() -> CallbackReply {
        CallbackReply {
            http_status: 500,
            accepted: false,
            body: callback_ack(
                false,
                "the agency could not record the payment; please deliver it again",
            ),
        }
    }
}
