//! Every record that crosses a binding, described once (DESIGN.md, "One schema in the core"):
//! the create request, Payment, PaymentStatus (a callback has the same fields), Confirmation,
//! the client options and the error JSON. Each field has its wire name (the guide's camelCase,
//! as the core's JSON gives it), its snake_case name (Rust, Python, keyword arguments), its
//! type, whether it is required, and a one-line doc.
//!
//! The core's field lists ([`crate::CALLBACK_FIELDS`], [`crate::CONFIG_KEYS`], the create
//! request's keys and required fields) are taken from these tables, and its tests check that
//! each record's JSON has exactly these keys. Bindings read [`schema`] (C `dga_schema_json`,
//! Python `schema()`, Node `schema()`, PHP `Schema::get()`) to build or check their typed
//! surface, so a field added here fails every binding that does not map it.

use serde_json::{Value, json};

/// A field's type, as bindings map it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    String,
    /// An exact decimal amount: a string in JSON (`"1000.50"`), never a float.
    Decimal,
    /// `yyyy-MM-ddTHH:mm:ss` in Bangkok time, or null.
    Date,
    /// One of the guide's enums, by its table's name (`"PaidStatus"`): its name in JSON, or the
    /// raw value DGA sent when the table lacks it.
    Enum(&'static str),
    /// Any JSON object, passed through.
    Object,
    /// `true` or `false`.
    Boolean,
    /// A whole number (a count or a size).
    Integer,
    /// A duration: whole milliseconds under the wire name, seconds (a number) under the
    /// snake_case name (Python).
    Duration,
    /// A nested record of this schema, by its name.
    Record(&'static str),
    /// A list of records of this schema, by its name.
    List(&'static str),
}

impl FieldType {
    /// The type's name in [`schema`]'s JSON: `string`, `decimal`, `date`, `enum`, `object`,
    /// `boolean`, `integer`, `duration`, `record`, `list`.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Decimal => "decimal",
            FieldType::Date => "date",
            FieldType::Enum(_) => "enum",
            FieldType::Object => "object",
            FieldType::Boolean => "boolean",
            FieldType::Integer => "integer",
            FieldType::Duration => "duration",
            FieldType::Record(_) => "record",
            FieldType::List(_) => "list",
        }
    }
}

/// One field of a record.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The guide's camelCase name, as the core's JSON (and the C ABI, Node, C#, PHP) spell it.
    pub wire: &'static str,
    /// The snake_case name (Rust struct fields, Python attributes and keywords).
    pub snake: &'static str,
    /// Its type.
    pub kind: FieldType,
    /// Whether it must be given (inputs) or is always present and non-null (outputs).
    pub required: bool,
    /// One line for documentation and typings.
    pub doc: &'static str,
}

/// A record: its name, what it is, and its fields in the guide's order.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    /// `CreatePayment`, `Payment`, `PaymentStatus`, `Confirmation`, `ClientOptions`,
    /// `RetryOptions`, `Error`, `FieldError`, `Mismatch`.
    pub name: &'static str,
    /// One line.
    pub doc: &'static str,
    /// The fields.
    pub fields: &'static [Field],
}

impl Record {
    /// The field with this wire name.
    pub fn field(&self, wire: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.wire == wire)
    }

    /// This record as JSON: `{"name", "doc", "fields": [{"wire", "snake", "type", "enum"?,
    /// "record"?, "required", "doc"}]}`.
    pub fn to_json(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|f| {
                let mut v = json!({
                    "wire": f.wire,
                    "snake": f.snake,
                    "type": f.kind.name(),
                    "required": f.required,
                    "doc": f.doc,
                });
                match f.kind {
                    FieldType::Enum(e) => v["enum"] = json!(e),
                    FieldType::Record(r) | FieldType::List(r) => v["record"] = json!(r),
                    _ => {}
                }
                v
            })
            .collect();
        json!({ "name": self.name, "doc": self.doc, "fields": fields })
    }
}

const fn f(
    wire: &'static str,
    snake: &'static str,
    kind: FieldType,
    required: bool,
    doc: &'static str,
) -> Field {
    Field {
        wire,
        snake,
        kind,
        required,
        doc,
    }
}

use FieldType as T;

/// The create request (the guide's section 3), as `create_payment` takes it.
pub const CREATE_PAYMENT: Record = Record {
    name: "CreatePayment",
    doc: "A request to create a payment transaction; every bad field is reported at once.",
    fields: &[
        f(
            "customerID",
            "customer_id",
            T::String,
            true,
            "Citizen ID, juristic ID, hospital number or other payer ID.",
        ),
        f(
            "customerTitleName",
            "customer_title_name",
            T::String,
            true,
            "The payer's title, e.g. นาย, นาง, นางสาว.",
        ),
        f(
            "customerFirstName",
            "customer_first_name",
            T::String,
            true,
            "The payer's first name.",
        ),
        f(
            "customerMiddleName",
            "customer_middle_name",
            T::String,
            false,
            "The payer's middle name; sent as \"\" when empty.",
        ),
        f(
            "customerLastName",
            "customer_last_name",
            T::String,
            true,
            "The payer's last name.",
        ),
        f(
            "bankCode",
            "bank_code",
            T::Enum("BankCode"),
            false,
            "Always KTB for this gateway; absent means KTB.",
        ),
        f(
            "paymentType",
            "payment_type",
            T::Enum("PaymentType"),
            true,
            "FastPay (card) or QRPayment.",
        ),
        f(
            "amount",
            "amount",
            T::Decimal,
            true,
            "More than 0, at most 2 decimal places; exact (a string, never a float).",
        ),
        f(
            "requestReference1",
            "request_reference1",
            T::String,
            true,
            "The agency's own reference; with requestReference2 it names the payment (Q7).",
        ),
        f(
            "requestReference2",
            "request_reference2",
            T::String,
            false,
            "The second half of the payment's identity (Q7); sent as \"\" when empty.",
        ),
        f(
            "requestReference3",
            "request_reference3",
            T::String,
            false,
            "For the agency's own use, not part of the identity.",
        ),
        f(
            "source",
            "source",
            T::String,
            false,
            "The source code DGA assigned; absent: the client's configured source.",
        ),
        f(
            "data",
            "data",
            T::Object,
            false,
            "Extra data agreed with DGA beforehand, passed through; must be an object.",
        ),
    ],
};

/// A created payment: create's `data` plus the references to use with status, close, void.
pub const PAYMENT: Record = Record {
    name: "Payment",
    doc: "A created payment: what the citizen's browser needs to pay at KTB, and its references.",
    fields: &[
        f(
            "orderRef",
            "order_ref",
            T::String,
            true,
            "DGA's order reference for the payment.",
        ),
        f(
            "orderRef1",
            "order_ref1",
            T::String,
            false,
            "DGA's orderRef1, when it sends one.",
        ),
        f(
            "orderRef2",
            "order_ref2",
            T::String,
            false,
            "DGA's orderRef2, when it sends one.",
        ),
        f("amount", "amount", T::Decimal, true, "The amount, exact."),
        f(
            "merchantId",
            "merchant_id",
            T::String,
            true,
            "KTB's merchant ID, for the checkout form.",
        ),
        f(
            "currCode",
            "curr_code",
            T::String,
            true,
            "Currency code (764: baht), for the checkout form.",
        ),
        f(
            "lang",
            "lang",
            T::String,
            true,
            "The gateway page's language, for the checkout form.",
        ),
        f(
            "payType",
            "pay_type",
            T::String,
            true,
            "KTB's payType, for the checkout form.",
        ),
        f(
            "payMethod",
            "pay_method",
            T::String,
            true,
            "KTB's payMethod, for the checkout form.",
        ),
        f(
            "securityKey",
            "security_key",
            T::String,
            true,
            "The checkout form's security key; secret-like: never logged.",
        ),
        f(
            "gatewayUrl",
            "gateway_url",
            T::String,
            true,
            "KTB's page the checkout form posts to.",
        ),
        f(
            "successUrl",
            "success_url",
            T::String,
            true,
            "Where KTB sends the citizen after paying.",
        ),
        f(
            "failUrl",
            "fail_url",
            T::String,
            true,
            "Where KTB sends the citizen after a failure.",
        ),
        f(
            "cancelUrl",
            "cancel_url",
            T::String,
            true,
            "Where KTB sends the citizen after cancelling.",
        ),
        f(
            "reference1",
            "reference1",
            T::String,
            true,
            "The requestReference1 to pass to status, close and void.",
        ),
        f(
            "reference2",
            "reference2",
            T::String,
            true,
            "The requestReference2 to pass to status, close and void (may be \"\").",
        ),
        f(
            "warning",
            "warning",
            T::String,
            false,
            "DGA's message when it answered SuccessWithError or Warning.",
        ),
    ],
};

/// Status's `data` and a callback's body: the guide gives both the same fields.
pub const PAYMENT_STATUS: Record = Record {
    name: "PaymentStatus",
    doc: "Where a payment stands: status's data, and the fields of a callback.",
    fields: &[
        f(
            "paidStatus",
            "paid_status",
            T::Enum("PaidStatus"),
            true,
            "Where the payment stands (numbers follow the enum table, Q9).",
        ),
        f(
            "description",
            "description",
            T::String,
            false,
            "DGA's text for the paid status.",
        ),
        f(
            "paidDate",
            "paid_date",
            T::Date,
            false,
            "When the citizen paid (Bangkok time).",
        ),
        f(
            "paidChannel",
            "paid_channel",
            T::String,
            false,
            "How the citizen paid, as DGA words it.",
        ),
        f(
            "confirmPaidDate",
            "confirm_paid_date",
            T::Date,
            false,
            "When the payment was confirmed as received (Bangkok time).",
        ),
        f(
            "refId",
            "ref_id",
            T::String,
            false,
            "The payment reference after payment (void's paymentReference).",
        ),
        f(
            "ref1",
            "ref1",
            T::String,
            true,
            "The agency's requestReference1 (Q7).",
        ),
        f(
            "ref2",
            "ref2",
            T::String,
            true,
            "The agency's requestReference2 (Q7); may be \"\".",
        ),
        f(
            "cardNo",
            "card_no",
            T::String,
            false,
            "The masked card number (FastPay only).",
        ),
        f(
            "paymentType",
            "payment_type",
            T::Enum("PaymentType"),
            false,
            "The payment type; may be a value outside the table (Q6).",
        ),
        f(
            "amount",
            "amount",
            T::Decimal,
            true,
            "The amount paid or due, exact.",
        ),
        f(
            "feeAmount",
            "fee_amount",
            T::Decimal,
            false,
            "The payment fee, exact.",
        ),
        f(
            "voidDate",
            "void_date",
            T::Date,
            false,
            "When the payment was voided (FastPay only, Bangkok time).",
        ),
        f(
            "requestRefundDate",
            "request_refund_date",
            T::Date,
            false,
            "When a refund was requested (FastPay only, Bangkok time).",
        ),
        f(
            "warning",
            "warning",
            T::String,
            false,
            "DGA's message when it answered SuccessWithError or Warning (never on callbacks).",
        ),
    ],
};

/// The answer to close or void.
pub const CONFIRMATION: Record = Record {
    name: "Confirmation",
    doc: "DGA's answer to close or void.",
    fields: &[
        f(
            "status",
            "status",
            T::Enum("ResponseStatus"),
            true,
            "Success, SuccessWithError or Warning (an Error is an api error instead).",
        ),
        f(
            "message",
            "message",
            T::String,
            true,
            "DGA's message, redacted; may be empty.",
        ),
        f("data", "data", T::Object, false, "DGA's data as sent."),
        f(
            "warning",
            "warning",
            T::String,
            false,
            "DGA's message when it answered SuccessWithError or Warning.",
        ),
    ],
};

/// The client's options: the C ABI's, Node's and C#'s JSON keys (wire) and Python's keywords
/// (snake, durations in seconds).
pub const CLIENT_OPTIONS: Record = Record {
    name: "ClientOptions",
    doc: "How a client is configured; every problem is reported at once, naming the caller's spelling.",
    fields: &[
        f(
            "consumerKey",
            "consumer_key",
            T::String,
            true,
            "The Consumer-Key DGA issued (a header: visible ASCII only).",
        ),
        f(
            "consumerSecret",
            "consumer_secret",
            T::String,
            true,
            "The ConsumerSecret DGA issued.",
        ),
        f(
            "agentId",
            "agent_id",
            T::String,
            true,
            "The responsible officer's 13-digit citizen ID (AgentID).",
        ),
        f(
            "environment",
            "environment",
            T::String,
            false,
            "production, uat (the default) or test.",
        ),
        f(
            "gatewayUrl",
            "gateway_url",
            T::String,
            false,
            "Replaces https://api.egov.go.th (the sandbox, a proxy); HTTPS except on loopback.",
        ),
        f(
            "source",
            "source",
            T::String,
            false,
            "The default source for create, as DGA assigned it.",
        ),
        f(
            "timeoutMs",
            "timeout",
            T::Duration,
            false,
            "The whole request, headers and body (default 30 s).",
        ),
        f(
            "connectTimeoutMs",
            "connect_timeout",
            T::Duration,
            false,
            "Waiting for a connection (default 5 s).",
        ),
        f(
            "tokenMaxAgeMs",
            "token_max_age",
            T::Duration,
            false,
            "How long a cached token is used (default 10 min).",
        ),
        f(
            "retry",
            "retry",
            T::Record("RetryOptions"),
            false,
            "false for no retries, or the retry settings to change.",
        ),
        f(
            "proxy",
            "proxy",
            T::String,
            false,
            "An HTTP(S) proxy URL for every call (may carry a password: never echoed).",
        ),
        f(
            "caPem",
            "ca_pem",
            T::String,
            false,
            "Extra trusted CA certificates, PEM text.",
        ),
        f(
            "caFile",
            "ca_file",
            T::String,
            false,
            "Extra trusted CA certificates, a PEM file's path.",
        ),
        f(
            "userAgentSuffix",
            "user_agent_suffix",
            T::String,
            false,
            "Text appended to the User-Agent.",
        ),
        f(
            "strictAgentId",
            "strict_agent_id",
            T::Boolean,
            false,
            "Refuse an AgentID with a wrong check digit (default: a warning, Q11).",
        ),
        f(
            "maxResponseBytes",
            "max_response_bytes",
            T::Integer,
            false,
            "The most of one DGA answer that is read (default 1 MiB).",
        ),
        f(
            "tokenFailureCooldownMs",
            "token_failure_cooldown",
            T::Duration,
            false,
            "How long a failed token round is remembered (default 2 s; 0: off).",
        ),
        f(
            "poolIdleTimeoutMs",
            "pool_idle_timeout",
            T::Duration,
            false,
            "How long a pooled connection may idle (default 15 s).",
        ),
        f(
            "maxConcurrentVerifications",
            "max_concurrent_verifications",
            T::Integer,
            false,
            "Callback verifications at once per client (default 16); more get 503.",
        ),
        f(
            "maxInFlight",
            "max_in_flight",
            T::Integer,
            false,
            "Calls in flight at once per client (default 256); more wait for a slot.",
        ),
    ],
};

/// The `retry` option's fields.
pub const RETRY_OPTIONS: Record = Record {
    name: "RetryOptions",
    doc: "Overrides of the retry defaults (attempts are counts; backoff is exponential with full jitter).",
    fields: &[
        f(
            "tokenAttempts",
            "token_attempts",
            T::Integer,
            false,
            "Attempts to obtain a token (default 5).",
        ),
        f(
            "statusAttempts",
            "status_attempts",
            T::Integer,
            false,
            "Attempts for status (default 3).",
        ),
        f(
            "connectAttempts",
            "connect_attempts",
            T::Integer,
            false,
            "Attempts for create, close, void when nothing was sent (default 3).",
        ),
        f(
            "backoffBaseMs",
            "backoff_base",
            T::Duration,
            false,
            "The first backoff's ceiling (default 200 ms).",
        ),
        f(
            "backoffCapMs",
            "backoff_cap",
            T::Duration,
            false,
            "The longest wait (default 5 s).",
        ),
    ],
};

/// An error as JSON ([`crate::Error::to_json`]): what every binding builds its exception from.
pub const ERROR: Record = Record {
    name: "Error",
    doc: "An error of the SDK, the same in every language; keys that do not apply are left out.",
    fields: &[
        f(
            "kind",
            "kind",
            T::String,
            true,
            "validation, auth, api, timeout, network, outcome_unknown, protocol, callback or verification.",
        ),
        f(
            "kindNumber",
            "kind_number",
            T::Integer,
            true,
            "The kind's number, 1 to 9 (the C ABI's DgaErrorKind).",
        ),
        f(
            "message",
            "message",
            T::String,
            true,
            "What happened, without any secret.",
        ),
        f(
            "transient",
            "transient",
            T::Boolean,
            true,
            "Whether repeating the call later may succeed (timeout, network).",
        ),
        f(
            "endpoint",
            "endpoint",
            T::String,
            false,
            "The call: token, create, close, void or status.",
        ),
        f(
            "status",
            "status",
            T::Enum("ResponseStatus"),
            false,
            "DGA's envelope status (api).",
        ),
        f(
            "statusNumber",
            "status_number",
            T::Integer,
            false,
            "DGA's envelope status as a number (api), when it is one.",
        ),
        f(
            "errorCode",
            "error_code",
            T::Enum("ErrorCode"),
            false,
            "DGA's errorCode (api).",
        ),
        f(
            "errorCodeNumber",
            "error_code_number",
            T::Integer,
            false,
            "DGA's errorCode as a number (api), when it is one.",
        ),
        f(
            "reference1",
            "reference1",
            T::String,
            false,
            "The payment's reference1 (outcome_unknown): call status with it.",
        ),
        f(
            "reference2",
            "reference2",
            T::String,
            false,
            "The payment's reference2 (outcome_unknown).",
        ),
        f(
            "errors",
            "errors",
            T::List("FieldError"),
            false,
            "Every bad field (validation, callback).",
        ),
        f(
            "reason",
            "reason",
            T::String,
            false,
            "Why DGA's status does not confirm a callback (verification): unknown_payment, pending_at_dga or status_differs.",
        ),
        f(
            "mismatches",
            "mismatches",
            T::List("Mismatch"),
            false,
            "Where the callback and DGA's status differ (verification).",
        ),
    ],
};

/// One bad field of a validation or callback error.
pub const FIELD_ERROR: Record = Record {
    name: "FieldError",
    doc: "One problem with one field, or with the whole body (field \"body\").",
    fields: &[
        f(
            "field",
            "field",
            T::String,
            true,
            "The field's name as the caller spelled it, or body.",
        ),
        f(
            "message",
            "message",
            T::String,
            true,
            "What is wrong with it.",
        ),
        f(
            "line",
            "line",
            T::Integer,
            false,
            "For a JSON syntax error: the line, 1-based.",
        ),
        f(
            "column",
            "column",
            T::Integer,
            false,
            "For a JSON syntax error: the byte column on that line.",
        ),
    ],
};

/// A field on which a callback and DGA's status differ.
pub const MISMATCH: Record = Record {
    name: "Mismatch",
    doc: "A field on which a callback and DGA's status differ (for the agency's logs).",
    fields: &[
        f(
            "field",
            "field",
            T::String,
            true,
            "The guide's field name, or ref1/ref2.",
        ),
        f(
            "callback",
            "callback",
            T::String,
            true,
            "The value in the callback.",
        ),
        f("dga", "dga", T::String, true, "What DGA's status says."),
    ],
};

/// Every record, in documentation order.
pub const RECORDS: [&Record; 9] = [
    &CREATE_PAYMENT,
    &PAYMENT,
    &PAYMENT_STATUS,
    &CONFIRMATION,
    &CLIENT_OPTIONS,
    &RETRY_OPTIONS,
    &ERROR,
    &FIELD_ERROR,
    &MISMATCH,
];

/// The wire names of a record's fields, as a fixed-size array (for the core's constants).
pub(crate) const fn wire_names<const N: usize>(r: &Record) -> [&'static str; N] {
    assert!(r.fields.len() >= N);
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = r.fields[i].wire;
        i += 1;
    }
    out
}

/// The whole schema as JSON: `{"version", "records": {name: record}}`, with each record as
/// [`Record::to_json`] gives it. Bindings build or check their typed surface from it.
pub fn schema() -> Value {
    let mut records = serde_json::Map::new();
    for r in RECORDS {
        records.insert(r.name.to_owned(), r.to_json());
    }
    json!({ "version": crate::VERSION, "records": records })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Confirmation, Error, PaidStatus, Payment, PaymentStatus, ResponseStatus};
    use std::collections::BTreeSet;

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    fn wire(r: &Record) -> BTreeSet<String> {
        r.fields.iter().map(|f| f.wire.to_owned()).collect()
    }

    #[test]
    fn records_json_has_exactly_the_schemas_fields() {
        let status = PaymentStatus {
            paid_status: PaidStatus::Success,
            description: None,
            paid_date: None,
            paid_channel: None,
            confirm_paid_date: None,
            ref_id: None,
            ref1: "a".into(),
            ref2: String::new(),
            card_no: None,
            payment_type: None,
            amount: "1".parse().unwrap(),
            fee_amount: None,
            void_date: None,
            request_refund_date: None,
            warning: Some("w".into()),
        };
        assert_eq!(keys(&status.to_json()), wire(&PAYMENT_STATUS));
        let payment = Payment::from_json(&json!({
            "orderRef": "1", "amount": "1", "merchantId": "m", "securityKey": "k",
            "gatewayUrl": "https://x", "reference1": "r", "warning": "w"
        }))
        .unwrap();
        assert_eq!(keys(&payment.to_json()), wire(&PAYMENT));
        let c = Confirmation {
            status: ResponseStatus::Success,
            message: String::new(),
            data: None,
            warning: Some("w".into()),
        };
        assert_eq!(keys(&c.to_json()), wire(&CONFIRMATION));
        assert_eq!(
            crate::CONFIG_KEYS.iter().copied().collect::<BTreeSet<_>>(),
            CLIENT_OPTIONS.fields.iter().map(|f| f.wire).collect()
        );
        // Every key an error's JSON can have is in the schema.
        let e = Error::OutcomeUnknown {
            endpoint: crate::Endpoint::Create,
            reference1: "a".into(),
            reference2: String::new(),
            message: "m".into(),
        };
        assert!(keys(&e.to_json()).is_subset(&wire(&ERROR)));
    }

    #[test]
    fn snake_names_are_snake_case_and_unique() {
        for r in RECORDS {
            let mut seen = BTreeSet::new();
            for f in r.fields {
                assert!(
                    f.snake
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{}.{}",
                    r.name,
                    f.snake
                );
                assert!(seen.insert(f.snake), "{}.{} twice", r.name, f.snake);
            }
        }
    }
}
