//! Every record that crosses a binding, described once (docs/architecture.md#one-schema):
//! the create request, Payment, PaymentStatus (a callback has the same fields), Confirmation,
//! the client options and the error JSON. Each field has its wire name (the guide's camelCase,
//! as the core's JSON gives it), its snake_case name (Rust, Python, keyword arguments), its
//! type, whether it is required, and a one-line doc.
//!
//! The core's field lists ([`crate::CALLBACK_FIELDS`], [`crate::CONFIG_KEYS`], the create
//! request's keys and required fields) are taken from these tables, and its tests check that
//! each record's JSON has exactly these keys. Bindings read [`schema`] (C `dga_schema_json`,
//! Python `schema()`, Node `schema()`, PHP `Schema::get()`) to build or check their typed
//! surface, so a field added here fails every binding that does not map it. Quirk numbers in
//! the docs (Q7) are those of docs/protocol.md#quirks.

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
    /// A secret or secret-like value: every `Debug`, `repr`, `toString` and inspection of the
    /// record shows it hidden (the value itself stays readable: a checkout form needs its key).
    pub secret: bool,
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

    /// The fields shown hidden wherever the record is printed.
    pub fn secrets(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.secret)
    }

    /// This record as JSON: `{"name", "doc", "fields": [{"wire", "snake", "type", "enum"?,
    /// "record"?, "required", "secret", "doc"}]}`.
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
                    "secret": f.secret,
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

/// A field that must be given (inputs) or is always present and non-null (outputs).
const fn required(
    wire: &'static str,
    snake: &'static str,
    kind: FieldType,
    doc: &'static str,
) -> Field {
    Field {
        wire,
        snake,
        kind,
        required: true,
        doc,
        secret: false,
    }
}

/// A field that may be absent (inputs) or null (outputs).
const fn optional(
    wire: &'static str,
    snake: &'static str,
    kind: FieldType,
    doc: &'static str,
) -> Field {
    Field {
        wire,
        snake,
        kind,
        required: false,
        doc,
        secret: false,
    }
}

impl Field {
    /// This field, marked secret (see [`Field::secret`]).
    const fn hidden(self) -> Field {
        Field {
            secret: true,
            ..self
        }
    }
}

// The tables below keep one field per line (wire name, snake_case name, type, doc), so they
// read as tables; rustfmt would spread each call over seven lines.

/// The create request (the guide's section 3), as `create_payment` takes it.
#[rustfmt::skip]
pub const CREATE_PAYMENT: Record = Record {
    name: "CreatePayment",
    doc: "A request to create a payment transaction; every bad field is reported at once.",
    fields: &[
        required("customerID",         "customer_id",          FieldType::String,              "Citizen ID, juristic ID, hospital number or other payer ID."),
        required("customerTitleName",  "customer_title_name",  FieldType::String,              "The payer's title, e.g. นาย, นาง, นางสาว."),
        required("customerFirstName",  "customer_first_name",  FieldType::String,              "The payer's first name."),
        optional("customerMiddleName", "customer_middle_name", FieldType::String,              "The payer's middle name; sent as \"\" when empty."),
        required("customerLastName",   "customer_last_name",   FieldType::String,              "The payer's last name."),
        optional("bankCode",           "bank_code",            FieldType::Enum("BankCode"),    "Always KTB for this gateway; absent means KTB."),
        required("paymentType",        "payment_type",         FieldType::Enum("PaymentType"), "FastPay (card) or QRPayment."),
        required("amount",             "amount",               FieldType::Decimal,             "More than 0, at most 2 decimal places; exact (a string, never a float)."),
        required("requestReference1",  "request_reference1",   FieldType::String,              "The agency's own reference; with requestReference2 it names the payment (Q7)."),
        optional("requestReference2",  "request_reference2",   FieldType::String,              "The second half of the payment's identity (Q7); sent as \"\" when empty."),
        optional("requestReference3",  "request_reference3",   FieldType::String,              "For the agency's own use, not part of the identity."),
        optional("source",             "source",               FieldType::String,              "The source code DGA assigned; absent: the client's configured source."),
        optional("data",               "data",                 FieldType::Object,              "Extra data agreed with DGA beforehand, passed through; must be an object."),
    ],
};

/// A created payment: create's `data` plus the references to use with status, close, void.
#[rustfmt::skip]
pub const PAYMENT: Record = Record {
    name: "Payment",
    doc: "A created payment: what the citizen's browser needs to pay at KTB, and its references.",
    fields: &[
        required("orderRef",    "order_ref",    FieldType::String,  "DGA's order reference for the payment."),
        optional("orderRef1",   "order_ref1",   FieldType::String,  "DGA's orderRef1, when it sends one."),
        optional("orderRef2",   "order_ref2",   FieldType::String,  "DGA's orderRef2, when it sends one."),
        required("amount",      "amount",       FieldType::Decimal, "The amount, exact."),
        required("merchantId",  "merchant_id",  FieldType::String,  "KTB's merchant ID, for the checkout form."),
        required("currCode",    "curr_code",    FieldType::String,  "Currency code (764: baht), for the checkout form."),
        required("lang",        "lang",         FieldType::String,  "The gateway page's language, for the checkout form."),
        required("payType",     "pay_type",     FieldType::String,  "KTB's payType, for the checkout form."),
        required("payMethod",   "pay_method",   FieldType::String,  "KTB's payMethod, for the checkout form."),
        required("securityKey", "security_key", FieldType::String,  "The checkout form's security key; secret-like: never logged.").hidden(),
        required("gatewayUrl",  "gateway_url",  FieldType::String,  "KTB's page the checkout form posts to."),
        required("successUrl",  "success_url",  FieldType::String,  "Where KTB sends the citizen after paying."),
        required("failUrl",     "fail_url",     FieldType::String,  "Where KTB sends the citizen after a failure."),
        required("cancelUrl",   "cancel_url",   FieldType::String,  "Where KTB sends the citizen after cancelling."),
        required("reference1",  "reference1",   FieldType::String,  "The requestReference1 to pass to status, close and void."),
        required("reference2",  "reference2",   FieldType::String,  "The requestReference2 to pass to status, close and void (may be \"\")."),
        optional("warning",     "warning",      FieldType::String,  "DGA's message when it answered SuccessWithError or Warning."),
    ],
};

/// Status's `data` and a callback's body: the guide gives both the same fields.
#[rustfmt::skip]
pub const PAYMENT_STATUS: Record = Record {
    name: "PaymentStatus",
    doc: "Where a payment stands: status's data, and the fields of a callback.",
    fields: &[
        required("paidStatus",        "paid_status",         FieldType::Enum("PaidStatus"),  "Where the payment stands (numbers follow the enum table, Q9)."),
        optional("description",       "description",         FieldType::String,              "DGA's text for the paid status."),
        optional("paidDate",          "paid_date",           FieldType::Date,                "When the citizen paid (Bangkok time)."),
        optional("paidChannel",       "paid_channel",        FieldType::String,              "How the citizen paid, as DGA words it."),
        optional("confirmPaidDate",   "confirm_paid_date",   FieldType::Date,                "When the payment was confirmed as received (Bangkok time)."),
        optional("refId",             "ref_id",              FieldType::String,              "The payment reference after payment (void's paymentReference)."),
        required("ref1",              "ref1",                FieldType::String,              "The agency's requestReference1 (Q7)."),
        required("ref2",              "ref2",                FieldType::String,              "The agency's requestReference2 (Q7); may be \"\"."),
        optional("cardNo",            "card_no",             FieldType::String,              "The masked card number (FastPay only)."),
        optional("paymentType",       "payment_type",        FieldType::Enum("PaymentType"), "The payment type; may be a value outside the table (Q6)."),
        required("amount",            "amount",              FieldType::Decimal,             "The amount paid or due, exact."),
        optional("feeAmount",         "fee_amount",          FieldType::Decimal,             "The payment fee, exact."),
        optional("voidDate",          "void_date",           FieldType::Date,                "When the payment was voided (FastPay only, Bangkok time)."),
        optional("requestRefundDate", "request_refund_date", FieldType::Date,                "When a refund was requested (FastPay only, Bangkok time)."),
        optional("warning",           "warning",             FieldType::String,              "DGA's message when it answered SuccessWithError or Warning (never on callbacks)."),
    ],
};

/// The answer to close or void.
#[rustfmt::skip]
pub const CONFIRMATION: Record = Record {
    name: "Confirmation",
    doc: "DGA's answer to close or void.",
    fields: &[
        required("status",  "status",  FieldType::Enum("ResponseStatus"), "Success, SuccessWithError or Warning (an Error is an api error instead)."),
        required("message", "message", FieldType::String,                 "DGA's message, redacted; may be empty."),
        optional("data",    "data",    FieldType::Object,                 "DGA's data as sent."),
        optional("warning", "warning", FieldType::String,                 "DGA's message when it answered SuccessWithError or Warning."),
    ],
};

/// The client's options: the C ABI's, Node's and C#'s JSON keys (wire) and Python's keywords
/// (snake, durations in seconds).
#[rustfmt::skip]
pub const CLIENT_OPTIONS: Record = Record {
    name: "ClientOptions",
    doc: "How a client is configured; every problem is reported at once, naming the caller's spelling.",
    fields: &[
        required("consumerKey",                "consumer_key",                 FieldType::String,                 "The Consumer-Key DGA issued (a header: visible ASCII only)."),
        required("consumerSecret",             "consumer_secret",              FieldType::String,                 "The ConsumerSecret DGA issued.").hidden(),
        required("agentId",                    "agent_id",                     FieldType::String,                 "The responsible officer's 13-digit citizen ID (AgentID)."),
        optional("environment",                "environment",                  FieldType::String,                 "production, uat (the default) or test."),
        optional("gatewayUrl",                 "gateway_url",                  FieldType::String,                 "Replaces https://api.egov.go.th (the sandbox, a proxy); HTTPS except on loopback."),
        optional("source",                     "source",                       FieldType::String,                 "The default source for create, as DGA assigned it."),
        optional("timeoutMs",                  "timeout",                      FieldType::Duration,               "The whole request, headers and body (default 30 s)."),
        optional("connectTimeoutMs",           "connect_timeout",              FieldType::Duration,               "Waiting for a connection (default 5 s)."),
        optional("tokenMaxAgeMs",              "token_max_age",                FieldType::Duration,               "How long a cached token is used (default 10 min)."),
        optional("retry",                      "retry",                        FieldType::Record("RetryOptions"), "false for no retries, or the retry settings to change."),
        optional("proxy",                      "proxy",                        FieldType::String,                 "An HTTP(S) proxy URL for every call (may carry a password: never echoed)."),
        optional("caPem",                      "ca_pem",                       FieldType::String,                 "Extra trusted CA certificates, PEM text."),
        optional("caFile",                     "ca_file",                      FieldType::String,                 "Extra trusted CA certificates, a PEM file's path."),
        optional("userAgentSuffix",            "user_agent_suffix",            FieldType::String,                 "Text appended to the User-Agent."),
        optional("strictAgentId",              "strict_agent_id",              FieldType::Boolean,                "Refuse an AgentID with a wrong check digit (default: a warning, Q11)."),
        optional("maxResponseBytes",           "max_response_bytes",           FieldType::Integer,                "The most of one DGA answer that is read (default 1 MiB)."),
        optional("tokenFailureCooldownMs",     "token_failure_cooldown",       FieldType::Duration,               "How long a failed token round is remembered (default 2 s; 0: off)."),
        optional("poolIdleTimeoutMs",          "pool_idle_timeout",            FieldType::Duration,               "How long a pooled connection may idle (default 15 s)."),
        optional("maxConcurrentVerifications", "max_concurrent_verifications", FieldType::Integer,                "Callback verifications at once per client (default 16); more get 503."),
        optional("maxInFlight",                "max_in_flight",                FieldType::Integer,                "Calls in flight at once per client (default 256); more wait for a slot."),
        optional("workerThreads",              "worker_threads",               FieldType::Integer,                "The runtime's worker threads, 1 to 256 (default 2): process-wide, the first runtime built wins."),
        optional("verificationRate",           "verification_rate",            FieldType::Integer,                "Status calls per second for callback verification (default 20, burst 40; 0: off)."),
        optional("verificationReuseMs",        "verification_reuse",           FieldType::Duration,               "How long DGA's final status answers repeated deliveries (default 2 s)."),
    ],
};

/// The `retry` option's fields.
#[rustfmt::skip]
pub const RETRY_OPTIONS: Record = Record {
    name: "RetryOptions",
    doc: "Overrides of the retry defaults (attempts are counts; backoff is exponential with full jitter).",
    fields: &[
        optional("tokenAttempts",   "token_attempts",   FieldType::Integer,  "Attempts to obtain a token (default 5)."),
        optional("statusAttempts",  "status_attempts",  FieldType::Integer,  "Attempts for status (default 3)."),
        optional("connectAttempts", "connect_attempts", FieldType::Integer,  "Attempts for create, close, void when nothing was sent (default 3)."),
        optional("backoffBaseMs",   "backoff_base",     FieldType::Duration, "The first backoff's ceiling (default 200 ms)."),
        optional("backoffCapMs",    "backoff_cap",      FieldType::Duration, "The longest wait (default 5 s)."),
    ],
};

/// An error as JSON ([`crate::Error::to_json`]): what every binding builds its exception from.
#[rustfmt::skip]
pub const ERROR: Record = Record {
    name: "Error",
    doc: "An error of the SDK, the same in every language; keys that do not apply are left out.",
    fields: &[
        required("kind",            "kind",              FieldType::String,                 "validation, auth, api, timeout, network, outcome_unknown, protocol, callback or verification."),
        required("kindNumber",      "kind_number",       FieldType::Integer,                "The kind's number, 1 to 9 (the C ABI's DgaErrorKind)."),
        required("message",         "message",           FieldType::String,                 "What happened, without any secret."),
        required("transient",       "transient",         FieldType::Boolean,                "Whether repeating the call later may succeed (timeout, network)."),
        optional("endpoint",        "endpoint",          FieldType::String,                 "The call: token, create, close, void or status."),
        optional("status",          "status",            FieldType::Enum("ResponseStatus"), "DGA's envelope status (api)."),
        optional("statusNumber",    "status_number",     FieldType::Integer,                "DGA's envelope status as a number (api): the guide's, or the one DGA sent outside the table; absent for text outside it."),
        optional("errorCode",       "error_code",        FieldType::Enum("ErrorCode"),      "DGA's errorCode (api)."),
        optional("errorCodeNumber", "error_code_number", FieldType::Integer,                "DGA's errorCode as a number (api): the guide's, or the one DGA sent outside the table; absent for text outside it."),
        optional("reference1",      "reference1",        FieldType::String,                 "The payment's reference1 (outcome_unknown): call status with it."),
        optional("reference2",      "reference2",        FieldType::String,                 "The payment's reference2 (outcome_unknown)."),
        optional("errors",          "errors",            FieldType::List("FieldError"),     "Every bad field (validation, callback)."),
        optional("reason",          "reason",            FieldType::String,                 "Why DGA's status does not confirm a callback (verification): unknown_payment, pending_at_dga, status_differs or busy."),
        optional("mismatches",      "mismatches",        FieldType::List("Mismatch"),       "Where the callback and DGA's status differ (verification)."),
    ],
};

/// One bad field of a validation or callback error.
#[rustfmt::skip]
pub const FIELD_ERROR: Record = Record {
    name: "FieldError",
    doc: "One problem with one field, or with the whole body (field \"body\").",
    fields: &[
        required("field",   "field",   FieldType::String,  "The field's name as the caller spelled it, or body."),
        required("message", "message", FieldType::String,  "What is wrong with it."),
        optional("line",    "line",    FieldType::Integer, "For a JSON syntax error: the line, 1-based."),
        optional("column",  "column",  FieldType::Integer, "For a JSON syntax error: the byte column on that line."),
    ],
};

/// A field on which a callback and DGA's status differ.
#[rustfmt::skip]
pub const MISMATCH: Record = Record {
    name: "Mismatch",
    doc: "A field on which a callback and DGA's status differ (for the agency's logs).",
    fields: &[
        required("field",    "field",    FieldType::String, "The guide's field name, or ref1/ref2."),
        required("callback", "callback", FieldType::String, "The value in the callback."),
        required("dga",      "dga",      FieldType::String, "What DGA's status says."),
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

/// What a callback endpoint answers DGA ([`crate::CallbackReply::to_json`]).
#[rustfmt::skip]
pub const CALLBACK_REPLY: Record = Record {
    name: "CallbackReply",
    doc: "What to answer DGA's callback POST with.",
    fields: &[
        required("httpStatus",  "http_status",  FieldType::Integer, "The HTTP status code to answer with."),
        required("accepted",    "accepted",     FieldType::Boolean, "Whether the callback was taken (result in the body)."),
        required("body",        "body",         FieldType::String,  "The acknowledgement JSON."),
        required("contentType", "content_type", FieldType::String,  "The body's Content-Type."),
    ],
};

/// A client's verification counters ([`crate::VerificationStats`]).
#[rustfmt::skip]
pub const VERIFICATION_STATS: Record = Record {
    name: "VerificationStats",
    doc: "What callback verification has cost DGA and refused since the client was built: counters that only grow.",
    fields: &[
        required("statusCalls",    "status_calls",    FieldType::Integer, "Status requests sent to DGA to verify callbacks (retries included, token fetches not)."),
        required("reused",         "reused",          FieldType::Integer, "Deliveries answered from another delivery's status call."),
        required("refusedUnknown", "refused_unknown", FieldType::Integer, "Deliveries refused 404 at once because the agency's own reference check said no (no DGA call)."),
        required("refusedBusy",    "refused_busy",    FieldType::Integer, "Deliveries refused 503 busy without asking DGA (over the client's verification rate, or too many at once)."),
    ],
};

/// A status-many run's options ([`crate::reconcile_json::reconcile_options`]).
#[rustfmt::skip]
pub const STATUS_MANY_OPTIONS: Record = Record {
    name: "StatusManyOptions",
    doc: "How fast a status-many run asks DGA.",
    fields: &[
        optional("concurrency", "concurrency", FieldType::Integer, "Status calls in flight at once (default 8)."),
        optional("rate",        "rate",        FieldType::Integer, "Status calls started a second (default 20, so a reconcile does not look like a flood to DGA); 0 lifts the limit."),
    ],
};

/// The SDK's own records that bindings hand their language besides [`RECORDS`]: a callback's
/// reply, the verification counters, a status-many run's options. [`schema`] leaves them out
/// (its record set is what bindings check against the wire).
pub const API_RECORDS: [&Record; 3] = [&CALLBACK_REPLY, &VERIFICATION_STATS, &STATUS_MANY_OPTIONS];

/// [`API_RECORDS`] as JSON, `{name: record}`, each as [`Record::to_json`] gives it (Node's
/// typings are generated from it).
pub fn api_records() -> Value {
    let records = API_RECORDS.iter().map(|r| (r.name.to_owned(), r.to_json()));
    Value::Object(records.collect())
}

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
    fn api_records_have_exactly_the_cores_keys() {
        let reply = crate::CallbackReply::unavailable().to_json();
        assert_eq!(keys(&reply), wire(&CALLBACK_REPLY));
        let stats = serde_json::to_value(crate::VerificationStats::default()).unwrap();
        assert_eq!(keys(&stats), wire(&VERIFICATION_STATS));
        // Each option is read (a bad value is named), and no other.
        let bad: serde_json::Map<_, _> = wire(&STATUS_MANY_OPTIONS)
            .into_iter()
            .map(|k| (k, json!(-1.5)))
            .collect();
        let e = crate::reconcile_json::reconcile_options(&Value::Object(bad)).unwrap_err();
        let named: BTreeSet<String> = e.field_errors().iter().map(|f| f.field.clone()).collect();
        assert_eq!(named, wire(&STATUS_MANY_OPTIONS));
        assert_eq!(keys(&api_records()).len(), API_RECORDS.len());
    }

    #[test]
    fn snake_names_are_snake_case_and_unique() {
        for r in RECORDS.iter().chain(&API_RECORDS) {
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
