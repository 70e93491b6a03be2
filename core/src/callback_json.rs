//! A callback's reply and refusal as JSON, for a binding that hands results to its language as
//! JSON (the Java and Node bindings do): what the callback contract answers, with the error
//! that made it (docs/architecture.md#the-callback-contract).

use crate::{CallbackReply, Error};
use serde_json::{Value, json};

impl CallbackReply {
    /// The reply as its record's JSON ([`crate::schema::CALLBACK_REPLY`]): `{"httpStatus",
    /// "accepted", "body", "contentType"}`.
    pub fn to_json(&self) -> Value {
        let content_type = CallbackReply::CONTENT_TYPE;
        json!({ "httpStatus": self.http_status, "accepted": self.accepted, "body": self.body,
                "contentType": content_type })
    }
}

/// A refused callback: the reply for `error` ([`CallbackReply::to_json`]) with the error's own
/// JSON ([`Error::to_json`]) as `"error"`.
pub fn refusal(error: &Error) -> Value {
    let mut out = CallbackReply::for_error(error).to_json();
    out["error"] = error.to_json();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_the_reply_and_the_error() {
        let error = crate::parse_callback(b"not json").unwrap_err();
        let reply = CallbackReply::for_error(&error);
        let got = refusal(&error);
        assert_eq!(got["httpStatus"], json!(reply.http_status));
        assert_eq!(got["body"], json!(reply.body));
        assert_eq!(got["accepted"], json!(false));
        assert_eq!(got["error"], error.to_json());
        assert_eq!(reply.to_json()["httpStatus"], json!(400));
    }
}
