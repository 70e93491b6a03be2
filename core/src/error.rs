//! One error type for the whole SDK, with a stable code per kind (docs/architecture.md#errors).
//!
//! Messages never contain the ConsumerSecret, the Consumer-Key, a token or the token URL's
//! query: they are built from our own text, and text that comes from outside (transport errors,
//! DGA's `message`) passes through the client's redactor first.

use crate::enums::{ErrorCode, ResponseStatus};
use serde::{Serialize, Serializer};
use std::fmt;

/// Declares an enumeration of kinds once: the enum, `ALL` (every value in declaration order),
/// the stable text of each value (its `Display` and its serialized form), its doc line (what
/// the binding generator, `core/examples/tables.rs`, writes into every language's typings), and
/// for a `#[repr(i32)]` enum its stable number.
macro_rules! kinds {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, text $text:ident {
            $( $(#[doc = $doc:literal])+ $variant:ident $(= $num:literal)? => $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[doc = $doc])+ $variant $(= $num)?, )+
        }

        impl $name {
            /// Every value, in declaration order (the order of docs/architecture.md#errors).
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// The stable text, as in the error's JSON and in every binding.
            pub fn $text(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }

            /// What the value means: its doc comment, one line.
            pub fn doc(self) -> &'static str {
                match self {
                    $( $name::$variant => concat!($($doc),+), )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.$text())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.$text())
            }
        }
    };
}

kinds! {
    /// The call an error belongs to; its text is the last segment of the payment paths and the
    /// `endpoint` of an error's JSON.
    pub enum Endpoint, text name {
        /// The token call, `GET /ws/auth/validate`.
        Token => "token",
        /// `POST {base}create`: creates a payment transaction.
        Create => "create",
        /// `POST {base}close`: closes an unpaid transaction.
        Close => "close",
        /// `POST {base}void`: voids a paid FastPay transaction.
        Void => "void",
        /// `GET {base}status`: reads a transaction's state.
        Status => "status",
    }
}

kinds! {
    /// The kind of an [`Error`], with a stable code and number (1..=9, as in the C ABI) that
    /// every binding maps.
    #[repr(i32)]
    pub enum ErrorKind, text code {
        /// Bad input caught before any network call.
        Validation = 1 => "validation",
        /// No token: credentials rejected, or retries exhausted.
        Auth = 2 => "auth",
        /// DGA answered with `status` = Error.
        Api = 3 => "api",
        /// A call took longer than the configured timeout (after the retries the policy allows).
        Timeout = 4 => "timeout",
        /// The connection failed (after the retries the policy allows).
        Network = 5 => "network",
        /// A create or void may have taken effect at DGA; check status before anything else.
        OutcomeUnknown = 6 => "outcome_unknown",
        /// DGA answered something unreadable.
        Protocol = 7 => "protocol",
        /// A callback body is invalid.
        Callback = 8 => "callback",
        /// A callback disagrees with DGA's own status for the transaction.
        Verification = 9 => "verification",
    }
}

impl ErrorKind {
    /// The stable number (1..=9), as in the C ABI.
    pub fn number(self) -> i32 {
        self as i32
    }

    /// Whether errors of this kind are usually transient (a timeout, a network failure); an
    /// error's own [`Error::is_transient`] is the one to act on (an untrusted certificate is a
    /// `Network` error that is not).
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::Timeout | ErrorKind::Network)
    }

    /// The keys of [`crate::schema::ERROR`] that an error of this kind may add to the four every
    /// error has (`kind`, `kindNumber`, `message`, `transient`) in its JSON ([`Error::to_json`]):
    /// what a binding's exception class of this kind reads.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            ErrorKind::Validation | ErrorKind::Callback => &["errors"],
            ErrorKind::Auth => &[],
            ErrorKind::Api => &[
                "endpoint",
                "status",
                "statusNumber",
                "errorCode",
                "errorCodeNumber",
            ],
            ErrorKind::Timeout | ErrorKind::Network | ErrorKind::Protocol => &["endpoint"],
            ErrorKind::OutcomeUnknown => &["endpoint", "reference1", "reference2"],
            ErrorKind::Verification => &["reason", "mismatches"],
        }
    }
}

/// One problem with one field (or with the whole body, `field == "body"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The guide's field name (`customerID`, `paidStatus`), or `body`.
    pub field: String,
    /// What is wrong, worded to follow the field name (`is required`).
    pub message: String,
    /// For a JSON syntax error: where it is (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// For a JSON syntax error: the column (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl FieldError {
    /// A problem with `field`, without a position.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

/// A field on which a callback and DGA's own status disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The guide's field name (`ref1`, `amount`, `paidStatus`, `refId`), or `ref1/ref2` when
    /// DGA has no such transaction.
    pub field: String,
    /// The value in the callback.
    pub callback: String,
    /// The value DGA's status endpoint gave.
    pub dga: String,
}

/// The `dga` side of the mismatch of a refusal by the agency's own lookup (DGA not asked).
pub(crate) const NOT_ASKED: &str = "not asked: the agency does not know this reference";

kinds! {
    /// Why a callback was not confirmed (docs/architecture.md#the-callback-contract); it
    /// decides the reply. Its text is the `reason` of the error's JSON.
    pub enum VerificationReason, text code {
        /// DGA has no transaction with the callback's references (errorCode 8), or the
        /// agency's own lookup (`known_reference`) does not know them: reply 404.
        UnknownPayment => "unknown_payment",
        /// DGA still says Pending: the callback came early (or is forged); DGA redelivers: 409.
        PendingAtDga => "pending_at_dga",
        /// DGA shows a different final status than the callback claims (lag or forgery): 409.
        StatusDiffers => "status_differs",
        /// The client is already verifying as many callbacks as it may
        /// (`max_concurrent_verifications`, `verification_rate`); DGA was not asked and
        /// delivers again: 503.
        Busy => "busy",
    }
}

/// Every failure the SDK reports.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// Bad input caught before any network call; lists every bad field.
    Validation {
        /// Every bad field or setting, by the guide's name.
        errors: Vec<FieldError>,
    },
    /// A token could not be obtained (credentials rejected, or retries exhausted).
    Auth {
        /// Why: DGA's answer or the last transport problem, redacted.
        message: String,
        /// True when DGA did not refuse the credentials (it was not reached, or its answers
        /// held no token): retrying later may succeed. False for a refusal.
        transient: bool,
    },
    /// DGA answered with an error envelope (`status` = Error).
    Api {
        /// The call that failed.
        endpoint: Endpoint,
        /// DGA's `status`: Error, or an unknown value that came with an `errorCode`.
        status: ResponseStatus,
        /// DGA's `errorCode`, `None` when DGA sent null.
        error_code: Option<ErrorCode>,
        /// DGA's `message`, redacted; may be empty.
        message: String,
    },
    /// The call took longer than the configured timeout (and retries, where allowed, ran out).
    Timeout {
        /// The call that failed.
        endpoint: Endpoint,
        /// The transport's description, with the number of attempts when there were several.
        message: String,
    },
    /// The connection failed (and retries, where allowed, ran out).
    Network {
        /// The call that failed.
        endpoint: Endpoint,
        /// The transport's description or the HTTP status, with the number of attempts when
        /// there were several.
        message: String,
        /// Whether repeating the call later may succeed: false for a server certificate that
        /// is not trusted (asking again will not change it).
        transient: bool,
    },
    /// A create or void may have reached DGA but no readable answer came back. Check
    /// `status(reference1, reference2)` before doing anything else.
    OutcomeUnknown {
        /// The call whose outcome is unknown (create or void).
        endpoint: Endpoint,
        /// The transaction's `requestReference1`, to pass to status.
        reference1: String,
        /// The transaction's `requestReference2` (may be empty), to pass to status.
        reference2: String,
        /// What went wrong after the request was sent (timeout, dropped connection, HTTP
        /// status, unreadable answer).
        message: String,
    },
    /// DGA answered something the SDK cannot read (not JSON, no envelope, missing data).
    Protocol {
        /// The call that failed.
        endpoint: Endpoint,
        /// The HTTP status and what could not be read.
        message: String,
    },
    /// A callback body is invalid; lists every problem.
    Callback {
        /// Every missing or invalid field, or the body's JSON syntax error with its position.
        errors: Vec<FieldError>,
    },
    /// DGA's status does not confirm a callback: unknown payment, still Pending, or another
    /// final status than the callback claims.
    Verification {
        /// Why, which decides the reply to DGA (404 or 409).
        reason: VerificationReason,
        /// The fields on which the callback and DGA disagree (for the agency's own logs; a
        /// reply to the callback's sender never carries them).
        mismatches: Vec<Mismatch>,
        /// Whether DGA's status was asked: false for a refusal before it (the agency's
        /// `known_reference` said no, or `busy`), so the text never blames DGA.
        dga_asked: bool,
    },
}

/// The SDK's result type: the error is [`Error`] unless said otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The kind, with its stable code and number.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation { .. } => ErrorKind::Validation,
            Error::Auth { .. } => ErrorKind::Auth,
            Error::Api { .. } => ErrorKind::Api,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Network { .. } => ErrorKind::Network,
            Error::OutcomeUnknown { .. } => ErrorKind::OutcomeUnknown,
            Error::Protocol { .. } => ErrorKind::Protocol,
            Error::Callback { .. } => ErrorKind::Callback,
            Error::Verification { .. } => ErrorKind::Verification,
        }
    }

    /// Whether the operation may succeed if simply repeated later: a timeout, a network
    /// failure other than an untrusted certificate, no token without a refusal, a callback
    /// refused as busy. Never
    /// `OutcomeUnknown`: the caller must check the status first.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Network { transient, .. } | Error::Auth { transient, .. } => *transient,
            Error::Verification { reason, .. } => *reason == VerificationReason::Busy,
            _ => false,
        }
    }

    /// A `Network` error for a server certificate that is not trusted: not transient.
    pub(crate) fn untrusted_certificate(endpoint: Endpoint, message: String) -> Self {
        Error::Network {
            endpoint,
            message,
            transient: false,
        }
    }

    /// A transient `Network` error.
    pub(crate) fn network(endpoint: Endpoint, message: impl Into<String>) -> Self {
        Error::Network {
            endpoint,
            message: message.into(),
            transient: true,
        }
    }

    /// DGA's errorCode for an `Api` error.
    pub fn error_code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { error_code, .. } => error_code.as_ref(),
            _ => None,
        }
    }

    /// The field problems of a `Validation` or `Callback` error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::Validation { errors } | Error::Callback { errors } => errors,
            _ => &[],
        }
    }

    /// The error as JSON, the same shape in every language's tooling:
    /// `{"kind", "message", "endpoint", "errorCode", "status", "reference1", "reference2",
    /// "errors": [{field, message, line?, column?}], "mismatches": [{field, callback, dga}]}`
    /// (keys that do not apply are left out). Contains no secret (see the module docs).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let kind = self.kind();
        let mut v = json!({
            "kind": kind.code(),
            "kindNumber": kind.number(),
            "message": self.to_string(),
            "transient": self.is_transient(),
        });
        let obj = v.as_object_mut().expect("object literal");
        match self {
            Error::Validation { errors } | Error::Callback { errors } => {
                obj.insert("errors".into(), json!(errors));
            }
            Error::Auth { .. } => {}
            Error::Api {
                endpoint,
                status,
                error_code,
                ..
            } => {
                obj.insert("endpoint".into(), json!(endpoint));
                obj.insert("status".into(), json!(status));
                if let Some(n) = number_of(status.number(), status.to_json()) {
                    obj.insert("statusNumber".into(), json!(n));
                }
                obj.insert("errorCode".into(), json!(error_code));
                let code = error_code.as_ref();
                if let Some(n) = code.and_then(|c| number_of(c.number(), c.to_json())) {
                    obj.insert("errorCodeNumber".into(), json!(n));
                }
            }
            Error::Timeout { endpoint, .. }
            | Error::Network { endpoint, .. }
            | Error::Protocol { endpoint, .. } => {
                obj.insert("endpoint".into(), json!(endpoint));
            }
            Error::OutcomeUnknown {
                endpoint,
                reference1,
                reference2,
                ..
            } => {
                obj.insert("endpoint".into(), json!(endpoint));
                obj.insert("reference1".into(), json!(reference1));
                obj.insert("reference2".into(), json!(reference2));
            }
            Error::Verification {
                reason, mismatches, ..
            } => {
                obj.insert("reason".into(), json!(reason.code()));
                obj.insert("mismatches".into(), json!(mismatches));
            }
        }
        v
    }

    pub(crate) fn validation(errors: Vec<FieldError>) -> Self {
        Error::Validation { errors }
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Validation {
            errors: vec![FieldError::new(field, message)],
        }
    }
}

/// An enum's number for the error JSON: the guide's, or the one DGA sent outside the table
/// (`errorCode: 12345`), as the C ABI's `dga_error_api_code` gives it. Only a number that fits
/// 32 bits: every binding reads the field into a 32-bit integer.
fn number_of(known: Option<i64>, raw: serde_json::Value) -> Option<i64> {
    known
        .or_else(|| raw.as_i64())
        .filter(|n| i32::try_from(*n).is_ok())
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| match (e.line, e.column) {
            // serde_json's own text already says "at line L column C".
            (Some(l), Some(c)) if !e.message.contains(&format!("line {l} column {c}")) => {
                format!("{} (line {l}, column {c})", e)
            }
            _ => e.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validation { errors } => write!(f, "invalid input: {}", join(errors)),
            Error::Auth {
                message,
                transient: false,
            } => write!(f, "authentication failed: {message}"),
            // Not the credentials: say so first, so nobody starts by checking them.
            Error::Auth {
                message,
                transient: true,
            } => write!(
                f,
                "could not get a token from DGA (the credentials were not refused): {message}"
            ),
            Error::Api {
                endpoint,
                status,
                error_code,
                message,
            } => {
                write!(f, "DGA refused {endpoint}: ")?;
                if let Some(code) = error_code {
                    match code.number() {
                        Some(n) => write!(f, "{code} ({n})")?,
                        None => write!(f, "{code}")?,
                    }
                } else {
                    write!(f, "status {status}")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            Error::Timeout { endpoint, message } => write!(f, "{endpoint} timed out: {message}"),
            Error::Network {
                endpoint, message, ..
            } => write!(f, "{endpoint} failed: {message}"),
            Error::OutcomeUnknown {
                endpoint,
                reference1,
                reference2,
                message,
            } => write!(
                f,
                "{endpoint} may or may not have taken effect at DGA ({message}); check \
                 status(reference1={reference1:?}, reference2={reference2:?}) before retrying"
            ),
            Error::Protocol { endpoint, message } => {
                write!(f, "unreadable answer from DGA to {endpoint}: {message}")
            }
            Error::Callback { errors } => write!(f, "invalid callback: {}", join(errors)),
            Error::Verification {
                reason: VerificationReason::UnknownPayment,
                mismatches,
                dga_asked,
            } => {
                let refs = mismatches
                    .first()
                    .map(|m| m.callback.as_str())
                    .unwrap_or("");
                if !dga_asked {
                    write!(
                        f,
                        "not a payment of this agency (known_reference said no; DGA was not \
                         asked): references {refs:?}"
                    )
                } else {
                    write!(
                        f,
                        "DGA has no transaction for the callback's references {refs:?}"
                    )
                }
            }
            Error::Verification {
                reason: VerificationReason::Busy,
                ..
            } => write!(
                f,
                "callback not verified: more verifications than maxConcurrentVerifications or \
                 verificationRate allow; DGA was not asked and delivers again"
            ),
            // Only the callback's own claims: an agency that echoes this text to the sender
            // must not leak what DGA said (the mismatches keep DGA's values for its logs).
            Error::Verification {
                reason, mismatches, ..
            } => {
                write!(
                    f,
                    "callback not confirmed by DGA's status ({})",
                    reason.code()
                )?;
                let parts: Vec<String> = mismatches
                    .iter()
                    .map(|m| format!("{} is {:?} in the callback", m.field, m.callback))
                    .collect();
                if !parts.is_empty() {
                    write!(f, ": {}", parts.join("; "))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

/// Every error kind as JSON, `[{"code": "validation", "number": 1}, …]` in the order
/// of docs/architecture.md#errors,
/// so each binding can check its exception list against the core's.
pub fn error_kinds() -> serde_json::Value {
    ErrorKind::ALL
        .iter()
        .map(|k| serde_json::json!({ "code": k.code(), "number": k.number() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_names_the_keys_its_json_carries() {
        let endpoint = Endpoint::Status;
        let message = String::new();
        let errors = vec![FieldError::new("amount", "is required")];
        let samples = [
            Error::Validation {
                errors: errors.clone(),
            },
            Error::Auth {
                message: message.clone(),
                transient: false,
            },
            Error::Api {
                endpoint,
                status: ResponseStatus::Error,
                error_code: Some(ErrorCode::from_number(8)),
                message: message.clone(),
            },
            Error::Timeout {
                endpoint,
                message: message.clone(),
            },
            Error::Network {
                endpoint,
                message: message.clone(),
                transient: true,
            },
            Error::OutcomeUnknown {
                endpoint,
                reference1: "R1".into(),
                reference2: "R2".into(),
                message: message.clone(),
            },
            Error::Protocol {
                endpoint,
                message: message.clone(),
            },
            Error::Callback { errors },
            Error::Verification {
                reason: VerificationReason::UnknownPayment,
                mismatches: vec![],
                dga_asked: true,
            },
        ];
        assert_eq!(samples.len(), ErrorKind::ALL.len());
        let wire: Vec<_> = crate::schema::ERROR.fields.iter().map(|f| f.wire).collect();
        for e in samples {
            let kind = e.kind();
            let json = e.to_json();
            let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
            let mut expected = ["kind", "kindNumber", "message", "transient"].to_vec();
            expected.extend(kind.fields());
            keys.sort();
            expected.sort();
            assert_eq!(keys, expected, "{kind:?}");
            assert!(kind.fields().iter().all(|f| wire.contains(f)), "{kind:?}");
        }
    }

    #[test]
    fn kinds_have_stable_codes_and_numbers() {
        let codes: Vec<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "validation",
                "auth",
                "api",
                "timeout",
                "network",
                "outcome_unknown",
                "protocol",
                "callback",
                "verification"
            ]
        );
        let numbers: Vec<_> = ErrorKind::ALL.iter().map(|k| k.number()).collect();
        assert_eq!(numbers, (1..=9).collect::<Vec<_>>());
    }

    #[test]
    fn api_error_reads_well() {
        let e = Error::Api {
            endpoint: Endpoint::Close,
            status: ResponseStatus::Error,
            error_code: Some(ErrorCode::PaidPaymentCannotBeClosed),
            message: "paid".into(),
        };
        assert_eq!(
            e.to_string(),
            "DGA refused close: PaidPaymentCannotBeClosed (14): paid"
        );
        assert_eq!(e.kind(), ErrorKind::Api);
        let j = e.to_json();
        assert_eq!(j["kind"], "api");
        assert_eq!(j["errorCode"], "PaidPaymentCannotBeClosed");
        assert_eq!(j["errorCodeNumber"], 14);
        assert_eq!(j["endpoint"], "close");
    }

    #[test]
    fn an_error_code_outside_the_table_keeps_its_number() {
        use serde_json::json;
        let api = |status: serde_json::Value, code: serde_json::Value| {
            Error::Api {
                endpoint: Endpoint::Create,
                status: ResponseStatus::from_json(&status).unwrap(),
                error_code: Some(ErrorCode::from_json(&code).unwrap()),
                message: "m".into(),
            }
            .to_json()
        };
        // DGA answered errorCode 12345 (and an envelope status 7): numbers, though not the
        // guide's.
        let j = api(json!(7), json!(12345));
        assert_eq!(j["errorCode"], 12345);
        assert_eq!(j["errorCodeNumber"], 12345);
        assert_eq!(j["statusNumber"], 7);
        // A known code given by name still has its number; text DGA sent has none, nor has a
        // number no binding's 32-bit field can hold.
        let j = api(json!("Error"), json!("TransactionNotFound"));
        assert_eq!(
            (j["statusNumber"].clone(), j["errorCodeNumber"].clone()),
            (json!(3), json!(8))
        );
        for code in [
            json!("E-17"),
            json!("12345"),
            json!(4_294_967_296_i64),
            json!(1.5),
        ] {
            let j = api(json!(3), code.clone());
            assert_eq!(j["errorCode"], code);
            assert!(j.get("errorCodeNumber").is_none(), "{j}");
        }
    }
}
