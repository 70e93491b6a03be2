//! What goes to DGA (strictly checked) and what comes back (leniently read). Quirk numbers
//! (Q1–Q11) are those of docs/protocol.md#quirks.

use crate::enums::{BankCode, PaidStatus, PaymentType, ResponseStatus};
use crate::error::{Error, FieldError, Result};
use crate::lenient::{self, Fields, json_type};
use crate::schema::FieldType;
use crate::slots::{self, ReadError, Slots, Val};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};
use std::fmt;

/// A request to create a payment transaction (the guide's section 3). Field names follow the
/// guide; every missing or bad field is reported at once by [`CreatePayment::validate`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreatePayment {
    /// Citizen ID, juristic ID, hospital number or other payer ID.
    pub customer_id: String,
    /// e.g. นาย, นาง, นางสาว.
    pub customer_title_name: String,
    /// The payer's first name (`customerFirstName`).
    pub customer_first_name: String,
    /// Optional; sent as "" when empty.
    pub customer_middle_name: String,
    /// The payer's last name (`customerLastName`).
    pub customer_last_name: String,
    /// Always KTB for this guide; `None` means KTB.
    pub bank_code: Option<BankCode>,
    /// FastPay (card) or QRPayment.
    pub payment_type: Option<PaymentType>,
    /// More than 0, at most 2 decimal places.
    pub amount: Option<Decimal>,
    /// The agency's own reference; with `request_reference2` it identifies the transaction
    /// for status, close and void (Q7).
    pub request_reference1: String,
    /// Optional; the second half of the transaction's identity (Q7). Sent as "" when empty.
    pub request_reference2: String,
    /// Optional; for the agency's own use, not part of the identity. Sent as "" when empty.
    pub request_reference3: String,
    /// The source code DGA assigned; `None` uses the client's configured source.
    pub source: Option<String>,
    /// Extra data agreed with DGA beforehand; passed through untouched. Must be an object.
    pub data: Option<Value>,
}

/// The wire names, in the guide's order (also the field names in validation errors).
const CREATE_FIELDS: [&str; 13] = crate::schema::wire_names(&crate::schema::CREATE_PAYMENT);

impl CreatePayment {
    /// Reads a request in the guide's camelCase form (keys case-insensitive), as the C ABI and
    /// the CLI take it. `amount` may be a string or an exact JSON number. When something cannot
    /// be read, the error also lists what [`CreatePayment::validate`] would refuse.
    pub fn from_json(v: &Value) -> Result<CreatePayment> {
        let map = object(v)?;
        let mut f = Fields::new(map);
        let text = |f: &mut Fields, k: &str| f.string(k, false).unwrap_or_default();
        let req = CreatePayment {
            customer_id: text(&mut f, "customerID"),
            customer_title_name: text(&mut f, "customerTitleName"),
            customer_first_name: text(&mut f, "customerFirstName"),
            customer_middle_name: text(&mut f, "customerMiddleName"),
            customer_last_name: text(&mut f, "customerLastName"),
            bank_code: f.enumeration("bankCode", false, BankCode::from_json),
            payment_type: f.enumeration("paymentType", false, PaymentType::from_json),
            amount: f.amount("amount", false),
            request_reference1: text(&mut f, "requestReference1"),
            request_reference2: text(&mut f, "requestReference2"),
            request_reference3: text(&mut f, "requestReference3"),
            source: f.string("source", false),
            data: f.get("data").filter(|d| !d.is_null()).cloned(),
        };
        // A JSON number with a long fraction is usually a binary float that missed its mark
        // (JavaScript's 0.1 + 0.2): say how to send an exact amount.
        if let (Some(a), Some(Value::Number(_))) = (req.amount, f.get("amount")) {
            if a.normalize().scale() > 2 {
                f.errors.push(FieldError::new(
                    "amount",
                    format!(
                        "{a} has more than 2 decimal places; a number like this is usually \
                         a rounded floating-point value: pass the amount as a string, \
                         e.g. \"{}\"",
                        a.round_dp(2)
                    ),
                ));
            }
        }
        for (key, _) in map {
            let k = key.trim();
            if !CREATE_FIELDS.iter().any(|n| n.eq_ignore_ascii_case(k)) {
                f.errors.push(FieldError::new(k, "is not a create field"));
            }
        }
        if f.errors.is_empty() {
            return Ok(req);
        }
        // Report the request's other problems too, so one answer names every bad field; the
        // source is left out, since the client's default source may still supply it.
        let mut errors = f.errors;
        if let Err(e) = req.validate(Some("default")) {
            for fe in e.field_errors() {
                if !errors.iter().any(|x| x.field == fe.field) {
                    errors.push(fe.clone());
                }
            }
        }
        Err(Error::validation(errors))
    }

    /// Checks the request as the guide requires, with `default_source` standing in for a
    /// missing `source`. Lists every problem.
    pub fn validate(&self, default_source: Option<&str>) -> Result<()> {
        let mut errors = Vec::new();
        // The schema says which text fields are required.
        for field in crate::schema::CREATE_PAYMENT.fields {
            let text = self.text(field.wire);
            if field.required
                && field.kind == crate::schema::FieldType::String
                && text.is_some_and(|v| v.trim().is_empty())
            {
                errors.push(FieldError::new(field.wire, "is required"));
            } else if text.is_some_and(has_control) && !field.wire.starts_with("requestReference") {
                // A NUL or line break in a name is an accident DGA would store or refuse.
                errors.push(FieldError::new(field.wire, "contains a control character"));
            }
        }
        match &self.bank_code {
            None | Some(BankCode::Ktb) => {}
            Some(other) => errors.push(FieldError::new(
                "bankCode",
                format!("must be KTB for this gateway, got {other}"),
            )),
        }
        match &self.payment_type {
            None => errors.push(FieldError::new("paymentType", "is required")),
            Some(t) if t.is_ktb() => {}
            Some(t) => errors.push(FieldError::new(
                "paymentType",
                format!("KTB takes FastPay or QRPayment, got {t}"),
            )),
        }
        match self.amount {
            None => errors.push(FieldError::new("amount", "is required")),
            Some(a) if a <= Decimal::ZERO => {
                errors.push(FieldError::new("amount", "must be greater than 0"))
            }
            Some(a) if a.normalize().scale() > 2 => errors.push(FieldError::new(
                "amount",
                format!("{a} has more than 2 decimal places"),
            )),
            Some(_) => {}
        }
        match self.effective_source(default_source) {
            Some(s) if !s.trim().is_empty() => {}
            _ => errors.push(FieldError::new(
                "source",
                "is required (pass it or configure a default source)",
            )),
        }
        for (field, value) in [
            ("requestReference1", &self.request_reference1),
            ("requestReference2", &self.request_reference2),
            ("requestReference3", &self.request_reference3),
        ] {
            if let Some(problem) = reference_problem(value.trim()) {
                errors.push(FieldError::new(field, problem));
            }
        }
        if let Some(d) = &self.data
            && !d.is_object()
        {
            errors.push(FieldError::new(
                "data",
                format!("must be a JSON object, got {}", json_type(d)),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(errors))
        }
    }

    /// The body DGA receives: camelCase keys (Q3), names for enums, the amount as an exact
    /// decimal string (Q4), "" for absent optional strings.
    pub(crate) fn to_wire(&self, default_source: Option<&str>) -> Value {
        let source = self.effective_source(default_source).unwrap_or("");
        let amount = self.amount.map(|a| a.to_string()).unwrap_or_default();
        let mut body = json!({
            "customerID": self.customer_id.trim(),
            "customerTitleName": self.customer_title_name.trim(),
            "customerFirstName": self.customer_first_name.trim(),
            "customerMiddleName": self.customer_middle_name.trim(),
            "customerLastName": self.customer_last_name.trim(),
            "bankCode": self.bank_code.clone().unwrap_or(BankCode::Ktb),
            "paymentType": self.payment_type,
            "amount": amount,
            "requestReference1": self.request_reference1.trim(),
            "requestReference2": self.request_reference2.trim(),
            "requestReference3": self.request_reference3.trim(),
            "source": source.trim(),
        });
        if let (Some(d), Some(obj)) = (&self.data, body.as_object_mut()) {
            obj.insert("data".into(), d.clone());
        }
        body
    }

    /// A text field by its wire name (`None` for the fields that are not text).
    fn text(&self, wire: &str) -> Option<&str> {
        Some(match wire {
            "customerID" => &self.customer_id,
            "customerTitleName" => &self.customer_title_name,
            "customerFirstName" => &self.customer_first_name,
            "customerMiddleName" => &self.customer_middle_name,
            "customerLastName" => &self.customer_last_name,
            "requestReference1" => &self.request_reference1,
            "requestReference2" => &self.request_reference2,
            "requestReference3" => &self.request_reference3,
            _ => return None,
        })
    }

    /// The request's source, or the default when it has none (an empty one counts as none).
    fn effective_source<'a>(&'a self, default_source: Option<&'a str>) -> Option<&'a str> {
        self.source
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .or(default_source)
    }

    /// The references status, close and void use for this payment (Q7).
    pub fn references(&self) -> (String, String) {
        (
            self.request_reference1.trim().to_owned(),
            self.request_reference2.trim().to_owned(),
        )
    }
}

/// A created payment transaction: what the citizen's browser needs to pay at KTB, plus the
/// references to use with status, close and void.
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// `orderRef`: the payment reference KTB's page is given.
    pub order_ref: String,
    /// `orderRef1`: a second payment reference; `None` when absent or empty.
    pub order_ref1: Option<String>,
    /// `orderRef2`: a third payment reference; `None` when absent or empty.
    pub order_ref2: Option<String>,
    /// The amount to pay, exact, in the currency of `curr_code`.
    #[serde(serialize_with = "decimal_str")]
    pub amount: Decimal,
    /// `merchantId`: the agency's merchant number registered with KTB.
    pub merchant_id: String,
    /// 764 THB, 840 USD.
    pub curr_code: String,
    /// T Thai, E English.
    pub lang: String,
    /// N normal, H hold.
    pub pay_type: String,
    /// CC card, QR.
    pub pay_method: String,
    /// Proves the form to KTB; goes to the citizen's browser, but is kept out of `Debug`.
    pub security_key: String,
    /// `gatewayUrl`: KTB's payment page, where the checkout form posts.
    pub gateway_url: String,
    /// `successUrl`: where KTB sends the browser after a successful payment.
    pub success_url: String,
    /// `failUrl`: where KTB sends the browser after a failed payment.
    pub fail_url: String,
    /// `cancelUrl`: where KTB sends the browser when the citizen cancels.
    pub cancel_url: String,
    /// The agency's requestReference1/2: pass them to status, close and void.
    pub reference1: String,
    /// The agency's `requestReference2` (empty when it had none).
    pub reference2: String,
    /// DGA's message when it answered SuccessWithError or Warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl fmt::Debug for Payment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payment")
            .field("order_ref", &self.order_ref)
            .field("order_ref1", &self.order_ref1)
            .field("order_ref2", &self.order_ref2)
            .field("amount", &self.amount)
            .field("merchant_id", &self.merchant_id)
            .field("pay_method", &self.pay_method)
            .field("security_key", &"<redacted>")
            .field("gateway_url", &self.gateway_url)
            .field("reference1", &self.reference1)
            .field("reference2", &self.reference2)
            .field("warning", &self.warning)
            .finish_non_exhaustive()
    }
}

/// The object a JSON input must be, or a validation error naming the body.
fn object(v: &Value) -> Result<&Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        Error::invalid(
            "body",
            format!("expected a JSON object, got {}", json_type(v)),
        )
    })
}

fn decimal_str<S: Serializer>(d: &Decimal, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

fn opt_decimal_str<S: Serializer>(
    d: &Option<Decimal>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

fn opt_date<S: Serializer>(
    d: &Option<NaiveDateTime>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&lenient::format_date(d)),
        None => s.serialize_none(),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

impl Payment {
    /// Reads create's `data` (leniently), attaching the references the request used.
    pub(crate) fn from_create_data(
        map: &Map<String, Value>,
        reference1: &str,
        reference2: &str,
    ) -> std::result::Result<Payment, Vec<FieldError>> {
        let mut f = Fields::new(map);
        let payment = read_payment(&mut f, reference1, reference2);
        match payment {
            Some(p) if f.errors.is_empty() => Ok(p),
            _ => Err(f.errors),
        }
    }

    /// Reads a payment in the SDK's own JSON form (what `serde_json::to_value(payment)` gives,
    /// or DGA's create `data` plus `reference1`/`reference2`). Used by the C ABI and the CLI.
    pub fn from_json(v: &Value) -> Result<Payment> {
        let map = object(v)?;
        let mut f = Fields::new(map);
        let r1 = f.string("reference1", false).unwrap_or_default();
        let r2 = f.string("reference2", false).unwrap_or_default();
        let warning = f.string("warning", false);
        match read_payment(&mut f, &r1, &r2) {
            Some(mut p) if f.errors.is_empty() => {
                p.warning = warning;
                Ok(p)
            }
            _ => Err(Error::validation(f.errors)),
        }
    }

    /// The SDK's JSON form of the payment (camelCase, amount as a string, `reference1` and
    /// `reference2` included): what the C ABI and the Node binding hand out, and what
    /// [`Payment::from_json`] reads back.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// [`Self::to_json`] as text, written straight from the record: what a binding hands its
    /// language, without building the value first (a quarter of the cost).
    pub fn to_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned())
    }

    /// The hidden fields of the form that sends the citizen to KTB, in the guide's order.
    pub fn checkout_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("merchantId", self.merchant_id.clone()),
            ("amount", self.amount.to_string()),
            ("orderRef", self.order_ref.clone()),
            ("currCode", self.curr_code.clone()),
            ("successUrl", self.success_url.clone()),
            ("failUrl", self.fail_url.clone()),
            ("cancelUrl", self.cancel_url.clone()),
            ("payType", self.pay_type.clone()),
            ("lang", self.lang.clone()),
            ("payMethod", self.pay_method.clone()),
            ("securityKey", self.security_key.clone()),
        ];
        for (name, v) in [
            ("orderRef1", &self.order_ref1),
            ("orderRef2", &self.order_ref2),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                fields.push((name, v.clone()));
            }
        }
        fields
    }
}

fn read_payment(f: &mut Fields, reference1: &str, reference2: &str) -> Option<Payment> {
    let order_ref = f.non_empty("orderRef");
    let order_ref1 = non_empty(f.string("orderRef1", false));
    let order_ref2 = non_empty(f.string("orderRef2", false));
    let amount = f.amount("amount", true);
    let merchant_id = f.non_empty("merchantId");
    let text = |f: &mut Fields, k: &str| f.string(k, false).unwrap_or_default();
    let curr_code = text(f, "currCode");
    let lang = text(f, "lang");
    let pay_type = text(f, "payType");
    let pay_method = text(f, "payMethod");
    let security_key = f.non_empty("securityKey");
    let gateway_url = f.non_empty("gatewayUrl");
    let success_url = text(f, "successUrl");
    let fail_url = text(f, "failUrl");
    let cancel_url = text(f, "cancelUrl");
    Some(Payment {
        order_ref: order_ref?,
        order_ref1,
        order_ref2,
        amount: amount?,
        merchant_id: merchant_id?,
        curr_code,
        lang,
        pay_type,
        pay_method,
        security_key: security_key?,
        gateway_url: gateway_url?,
        success_url,
        fail_url,
        cancel_url,
        reference1: reference1.to_owned(),
        reference2: reference2.to_owned(),
        warning: None,
    })
}

/// The state of a payment transaction: status's `data`, and the body of a callback (the
/// guide gives both the same fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatus {
    /// `paidStatus`: where the payment stands (numbers follow the enum table, Q9).
    pub paid_status: PaidStatus,
    /// `description`: DGA's text for the paid status; `None` when absent or empty.
    pub description: Option<String>,
    /// `paidDate`: when the citizen paid, Bangkok local time; `None` when absent or empty.
    #[serde(serialize_with = "opt_date")]
    pub paid_date: Option<NaiveDateTime>,
    /// `paidChannel`: how the citizen paid, as DGA words it (e.g. บัตรเครดิต/เดบิต); `None`
    /// when absent or empty.
    pub paid_channel: Option<String>,
    /// `confirmPaidDate`: when the payment was confirmed as received, Bangkok local time;
    /// `None` when absent or empty.
    #[serde(serialize_with = "opt_date")]
    pub confirm_paid_date: Option<NaiveDateTime>,
    /// The payment reference after payment (void's `paymentReference`).
    pub ref_id: Option<String>,
    /// `ref1`: the agency's `requestReference1` (Q7).
    pub ref1: String,
    /// `ref2`: the agency's `requestReference2` (Q7); may be empty.
    pub ref2: String,
    /// Masked card number (FastPay only).
    pub card_no: Option<String>,
    /// May be a value outside the table (Q6: `"C"`), kept as sent.
    pub payment_type: Option<PaymentType>,
    /// `amount`: the amount paid or due, exact.
    #[serde(serialize_with = "decimal_str")]
    pub amount: Decimal,
    /// `feeAmount`: the payment fee, exact; `None` when null or absent.
    #[serde(serialize_with = "opt_decimal_str")]
    pub fee_amount: Option<Decimal>,
    /// `voidDate`: when the payment was voided (FastPay only), Bangkok local time; `None` when
    /// absent or empty.
    #[serde(serialize_with = "opt_date")]
    pub void_date: Option<NaiveDateTime>,
    /// `requestRefundDate`: when a refund was requested (FastPay only), Bangkok local time;
    /// `None` when absent or empty.
    #[serde(serialize_with = "opt_date")]
    pub request_refund_date: Option<NaiveDateTime>,
    /// DGA's message when it answered SuccessWithError or Warning (never set on callbacks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The callback's (and status data's) fields, as the guide spells them, in its order (the
/// schema's [`crate::schema::PAYMENT_STATUS`] without `warning`).
pub const CALLBACK_FIELDS: [&str; STATUS_FIELDS] =
    crate::schema::wire_names(&crate::schema::PAYMENT_STATUS);

/// A callback from DGA has the same fields as a status.
pub type Callback = PaymentStatus;

impl PaymentStatus {
    /// The SDK's normalized JSON (camelCase, enum names, amounts as strings, dates
    /// `yyyy-MM-ddTHH:mm:ss` or null): what `dgapay callback parse` prints.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// [`Self::to_json`] as text, written straight from the record: what a binding hands its
    /// language, without building the value first (a quarter of the cost).
    pub fn to_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned())
    }

    /// Reads a status or callback given as JSON: the normalized form [`PaymentStatus::to_json`]
    /// gives, or DGA's own fields (numbers for enums, any key case). Only `paidStatus`, `ref1`
    /// and `amount` are required. Used where a binding hands a parsed callback back, e.g. to
    /// [`crate::Client::verify_callback`]; problems are a `Validation` error naming each field.
    pub fn from_json(v: &Value) -> Result<PaymentStatus> {
        let map = object(v)?;
        let mut f = Fields::new(map);
        let warning = non_empty(f.string("warning", false));
        if f.get("ref1").is_none() {
            f.errors.push(FieldError::new("ref1", "is required"));
        }
        let slots = Slots::of_map(&CALLBACK_FIELDS, map);
        match PaymentStatus::read(&slots.values, false, &mut f.errors) {
            Some(mut s) if f.errors.is_empty() => {
                s.warning = warning;
                Ok(s)
            }
            _ => Err(Error::validation(f.errors)),
        }
    }

    /// Reads status or callback fields found in `values` (slots in the schema's order), each
    /// by its schema type, appending every problem to `errors`. `strict` (callbacks) requires
    /// every key but [`CALLBACK_OPTIONAL`] and a non-empty [`CALLBACK_NON_EMPTY`]; otherwise
    /// (DGA's status answer) only the required non-text fields (paidStatus, amount) must be
    /// there, and missing references read as "".
    pub(crate) fn read(
        values: &[Option<Val<'_>>; STATUS_FIELDS],
        strict: bool,
        errors: &mut Vec<FieldError>,
    ) -> Option<PaymentStatus> {
        let mut r = Reader { values, errors };
        let read: [Read; STATUS_FIELDS] = std::array::from_fn(|i| r.field(i, strict));
        // The struct's fields in the schema's order (the callback vectors check that each value
        // lands in its own field).
        let [
            paid_status,
            description,
            paid_date,
            paid_channel,
            confirm_paid_date,
            ref_id,
            ref1,
            ref2,
            card_no,
            payment_type,
            amount,
            fee_amount,
            void_date,
            request_refund_date,
        ] = read;
        Some(PaymentStatus {
            paid_status: paid_status.paid()?,
            description: description.text(),
            paid_date: paid_date.date(),
            paid_channel: paid_channel.text(),
            confirm_paid_date: confirm_paid_date.date(),
            ref_id: ref_id.text(),
            ref1: ref1.text()?,
            ref2: ref2.text()?,
            card_no: card_no.text(),
            payment_type: payment_type.payment_type(),
            amount: amount.amount()?,
            fee_amount: fee_amount.amount(),
            void_date: void_date.date(),
            request_refund_date: request_refund_date.date(),
            warning: None,
        })
    }
}

/// How many fields a status or callback carries from DGA (the schema's, without `warning`).
const STATUS_FIELDS: usize = 14;

/// The keys a callback may leave out (the guide marks every other one required).
const CALLBACK_OPTIONAL: [&str; 4] = ["description", "cardNo", "voidDate", "requestRefundDate"];

/// The callback's text field that must not be empty: the agency's reference (Q7).
const CALLBACK_NON_EMPTY: &str = "ref1";

/// The callback's text field read as "" when null: the agency's second reference, which may be
/// empty (Q7), and which DGA's .NET services write as null when unset. The status asked of DGA
/// to verify the callback decides whether the payment is the agency's.
const CALLBACK_NULL_IS_EMPTY: &str = "ref2";

/// A field's slot in [`CALLBACK_FIELDS`].
const fn slot(wire: &str) -> usize {
    let mut i = 0;
    while i < STATUS_FIELDS {
        let (a, b) = (CALLBACK_FIELDS[i].as_bytes(), wire.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not a status field")
}

/// One status field as read by its schema type (`None`: absent, null, blank, or bad).
enum Read {
    Text(Option<String>),
    Date(Option<NaiveDateTime>),
    Amount(Option<Decimal>),
    Paid(Option<PaidStatus>),
    Type(Option<PaymentType>),
}

impl Read {
    fn text(self) -> Option<String> {
        match self {
            Read::Text(v) => v,
            _ => None,
        }
    }
    fn date(self) -> Option<NaiveDateTime> {
        match self {
            Read::Date(v) => v,
            _ => None,
        }
    }
    fn amount(self) -> Option<Decimal> {
        match self {
            Read::Amount(v) => v,
            _ => None,
        }
    }
    fn paid(self) -> Option<PaidStatus> {
        match self {
            Read::Paid(v) => v,
            _ => None,
        }
    }
    fn payment_type(self) -> Option<PaymentType> {
        match self {
            Read::Type(v) => v,
            _ => None,
        }
    }
}

/// Reads slots by the schema's field types, collecting every problem.
struct Reader<'s, 'a> {
    values: &'s [Option<Val<'a>>; STATUS_FIELDS],
    errors: &'s mut Vec<FieldError>,
}

impl<'s, 'a> Reader<'s, 'a> {
    /// Field `i` of the schema's `PaymentStatus`, read by its type.
    fn field(&mut self, i: usize, strict: bool) -> Read {
        let f = &crate::schema::PAYMENT_STATUS.fields[i];
        let (wire, required) = (f.wire, f.required);
        // Whether the key must be there.
        let present = if strict {
            !CALLBACK_OPTIONAL.contains(&wire)
        } else {
            required && f.kind != FieldType::String
        };
        match f.kind {
            FieldType::Enum("PaidStatus") => Read::Paid(self.enumeration(
                i,
                present,
                PaidStatus::from_number,
                PaidStatus::from_name,
                PaidStatus::from_json,
            )),
            FieldType::Enum("PaymentType") => Read::Type(self.enumeration(
                i,
                present,
                PaymentType::from_number,
                PaymentType::from_name,
                PaymentType::from_json,
            )),
            // A required amount must read; an optional one that is blank is absent.
            FieldType::Decimal => Read::Amount(self.amount(i, present, !required)),
            FieldType::Date => Read::Date(self.date(i, present)),
            FieldType::String if required && !strict => {
                Read::Text(Some(self.string(i, false).unwrap_or_default()))
            }
            FieldType::String if required && wire == CALLBACK_NON_EMPTY => {
                Read::Text(self.non_empty(i))
            }
            FieldType::String if required && wire == CALLBACK_NULL_IS_EMPTY => {
                Read::Text(self.null_is_empty(i))
            }
            FieldType::String if required => Read::Text(self.string(i, true)),
            FieldType::String => Read::Text(non_empty(self.string(i, present))),
            other => unreachable!("a status field of type {}", other.name()),
        }
    }

    fn fail(&mut self, i: usize, message: impl Into<String>) {
        self.errors
            .push(FieldError::new(CALLBACK_FIELDS[i], message));
    }

    /// A present key, reported missing when `required`.
    fn present(&mut self, i: usize, required: bool) -> Option<&'s Val<'a>> {
        let v = self.values[i].as_ref();
        if v.is_none() && required {
            self.fail(i, "is required");
        }
        v
    }

    /// A string (numbers are accepted as their text: DGA is not consistent about references).
    /// `null` and a missing key are `None`; `""` is kept.
    fn string(&mut self, i: usize, required: bool) -> Option<String> {
        match self.present(i, required)? {
            Val::Null => None,
            Val::Str(s) | Val::Number(s) => Some(s.as_ref().to_owned()),
            other => {
                let msg = format!("expected a string, got {}", other.json_type());
                self.fail(i, msg);
                None
            }
        }
    }

    /// A string that must be present; null is "".
    fn null_is_empty(&mut self, i: usize) -> Option<String> {
        match self.values[i] {
            Some(Val::Null) => Some(String::new()),
            _ => self.string(i, true),
        }
    }

    /// A string that must be present and non-empty.
    fn non_empty(&mut self, i: usize) -> Option<String> {
        match self.values[i] {
            None => {
                self.fail(i, "is required");
                None
            }
            Some(Val::Null) => {
                self.fail(i, "must not be null");
                None
            }
            Some(_) => match self.string(i, true) {
                Some(s) if !s.trim().is_empty() => Some(s),
                Some(_) => {
                    self.fail(i, "must not be empty");
                    None
                }
                None => None,
            },
        }
    }

    fn amount(&mut self, i: usize, required: bool, blank_is_absent: bool) -> Option<Decimal> {
        match self.present(i, required)? {
            v if blank_is_absent && v.is_blank() => None,
            v => match lenient::amount_of(v) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.fail(i, e);
                    None
                }
            },
        }
    }

    fn date(&mut self, i: usize, required: bool) -> Option<NaiveDateTime> {
        let v = self.present(i, required)?;
        match lenient::date_of(v) {
            Ok(d) => d,
            Err(e) => {
                self.fail(i, e);
                None
            }
        }
    }

    /// An enum value: a number, a name, or a digit string (any other string is kept as
    /// unknown); `null` is absent, and an error when `required`.
    fn enumeration<T>(
        &mut self,
        i: usize,
        required: bool,
        from_number: fn(i64) -> T,
        from_name: fn(&str) -> T,
        from_json: fn(&Value) -> std::result::Result<T, String>,
    ) -> Option<T> {
        let v = self.present(i, required)?;
        if matches!(v, Val::Null) {
            if required {
                self.fail(i, "must not be null");
            }
            return None;
        }
        if !required && v.is_blank() {
            return None;
        }
        match slots::enum_of(v, from_number, from_name, from_json) {
            Ok(t) => Some(t),
            Err(e) => {
                self.fail(i, e);
                None
            }
        }
    }
}

/// The answer to close or void: DGA's envelope without data of note.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirmation {
    /// DGA's `status`: Success, SuccessWithError, Warning, or an unknown value sent without an
    /// `errorCode` (an Error is an [`Error::Api`] instead).
    pub status: ResponseStatus,
    /// DGA's `message`, redacted; may be empty.
    pub message: String,
    /// DGA's `data` as sent, untouched; `None` when null or absent.
    pub data: Option<Value>,
    /// DGA's message when it answered SuccessWithError or Warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Confirmation {
    /// The SDK's JSON form: `{"status": "Success", "message": …, "data": …}` (plus `warning`).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// [`Self::to_json`] as text, written straight from the record: what a binding hands its
    /// language, without building the value first (a quarter of the cost).
    pub fn to_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned())
    }
}

/// Parses a callback body from DGA, reporting every problem: each missing or invalid field by
/// name, or the line and column of a JSON syntax error. Keys are matched ignoring case and
/// surrounding spaces (Q8); enum values may be numbers or names, unknown ones kept (Q6);
/// amounts are exact.
///
/// Callbacks carry no signature (Q9): before marking an order paid, confirm it with
/// [`crate::Client::verify_callback`].
pub fn parse_callback(body: &[u8]) -> Result<Callback> {
    let slots = callback_slots(body)?;
    let mut errors = slots.repeated_errors(&CALLBACK_FIELDS);
    match PaymentStatus::read(&slots.values, true, &mut errors) {
        Some(s) if errors.is_empty() => {
            check_callback_references(&s.ref1, &s.ref2)?;
            Ok(s)
        }
        _ => Err(Error::Callback { errors }),
    }
}

/// A callback body's fields, read in one pass; a `Callback` error naming the body when it is
/// not a JSON object.
fn callback_slots(body: &[u8]) -> Result<Slots<'_, STATUS_FIELDS>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let not_json = |e: serde_json::Error| {
        // Said first when it is so: a proxy that re-encodes bodies, or a form post.
        let hint = match std::str::from_utf8(body) {
            Err(u) => format!(" (it is not UTF-8 text: byte {} is not)", u.valid_up_to()),
            Ok(t) if !t.trim_start().starts_with(['{', '[']) && t.contains('=') => {
                " (it looks form-encoded, key=value&…; DGA posts JSON)".to_owned()
            }
            Ok(_) => String::new(),
        };
        let mut fe = FieldError::new("body", format!("is not valid JSON: {e}{hint}"));
        if e.line() > 0 {
            fe.line = Some(e.line());
            fe.column = Some(e.column());
        }
        Error::Callback { errors: vec![fe] }
    };
    match slots::read(&CALLBACK_FIELDS, body) {
        Ok(s) => Ok(s),
        Err(ReadError::Json(e)) => Err(not_json(e)),
        // Whatever it is, serde_json's `Value` says it: its syntax error, or what it is.
        Err(ReadError::NotAnObject) => {
            let value: Value = serde_json::from_slice(body).map_err(not_json)?;
            Err(Error::Callback {
                errors: vec![FieldError::new(
                    "body",
                    format!("expected a JSON object, got {}", json_type(&value)),
                )],
            })
        }
    }
}

/// What a callback endpoint needs from a delivery to ask DGA: the references, and what the
/// body claims. A body whose references read is never refused for its other fields: DGA's
/// status decides (docs/architecture.md#the-callback-contract); their problems are only reported.
pub(crate) struct Notification {
    pub ref1: String,
    pub ref2: String,
    /// The callback's own paidStatus; `None` when missing or unreadable.
    pub paid_status: Option<PaidStatus>,
    /// The whole callback when every field read.
    pub callback: Option<Callback>,
    /// The fields that did not read (empty when `callback` is set).
    pub problems: Vec<FieldError>,
}

/// Reads a delivery for [`crate::Client::receive_callback`]: a `Callback` error only when the
/// body is not a JSON object or its `ref1`/`ref2` are missing, ambiguous or unreadable.
pub(crate) fn read_notification(body: &[u8]) -> Result<Notification> {
    let n = read_notification_unchecked(body)?;
    check_callback_references(&n.ref1, &n.ref2)?;
    Ok(n)
}

fn read_notification_unchecked(body: &[u8]) -> Result<Notification> {
    let slots = callback_slots(body)?;
    let mut errors = slots.repeated_errors(&CALLBACK_FIELDS);
    let callback = PaymentStatus::read(&slots.values, true, &mut errors);
    if let Some(cb) = callback.filter(|_| errors.is_empty()) {
        return Ok(Notification {
            ref1: cb.ref1.clone(),
            ref2: cb.ref2.clone(),
            paid_status: Some(cb.paid_status.clone()),
            callback: Some(cb),
            problems: Vec::new(),
        });
    }
    // Only what is needed to ask DGA is reported: the references.
    let blocking: Vec<FieldError> = errors
        .iter()
        .filter(|e| matches!(e.field.as_str(), "body" | "ref1" | "ref2"))
        .cloned()
        .collect();
    if !blocking.is_empty() {
        return Err(Error::Callback { errors: blocking });
    }
    let mut quiet = Vec::new();
    let mut r = Reader {
        values: &slots.values,
        errors: &mut quiet,
    };
    const REF1: usize = slot("ref1");
    const REF2: usize = slot("ref2");
    const PAID_STATUS: usize = slot("paidStatus");
    let ref1 = r.non_empty(REF1);
    let ref2 = r.null_is_empty(REF2);
    let paid_status = r.enumeration(
        PAID_STATUS,
        false,
        PaidStatus::from_number,
        PaidStatus::from_name,
        PaidStatus::from_json,
    );
    match (ref1, ref2) {
        (Some(ref1), Some(ref2)) => Ok(Notification {
            ref1,
            ref2,
            paid_status,
            callback: None,
            problems: errors,
        }),
        // The references' own errors when the first reading found none: the error names what
        // is wrong, never nothing.
        _ => Err(Error::Callback {
            errors: if errors.is_empty() { quiet } else { errors },
        }),
    }
}

/// The JSON an agency answers a callback with:
/// `{"requestTimeStamp": <unix seconds>, "message": "...", "result": true|false}`.
/// Answer `false` when the callback could not be taken, so DGA sends it again.
pub fn callback_ack(accepted: bool, message: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({ "requestTimeStamp": now, "message": message, "result": accepted }).to_string()
}

/// An HTML page that sends the citizen's browser to KTB's gateway: a POST form with the
/// payment's hidden fields, submitted by script at once, with a button for browsers without
/// script. Every value is HTML-escaped. (If your site's Content-Security-Policy forbids inline
/// script, render [`Payment::checkout_fields`] yourself.)
pub fn checkout_form_html(payment: &Payment) -> Result<String> {
    let url = url::Url::parse(&payment.gateway_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"));
    if url.is_none() {
        return Err(Error::invalid(
            "gatewayUrl",
            "must be an http(s) URL to post the checkout form to",
        ));
    }
    use html_escape::encode_double_quoted_attribute as attr;
    let mut inputs = String::new();
    for (name, value) in payment.checkout_fields() {
        inputs.push_str(&format!(
            "    <input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            attr(name),
            attr(&value)
        ));
    }
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"th\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <title>กำลังไปยังหน้าชำระเงิน / Redirecting to payment</title>\n</head>\n<body>\n  \
         <form id=\"dga-epayment-checkout\" method=\"post\" action=\"{action}\" \
         accept-charset=\"UTF-8\">\n{inputs}    <noscript>\n      <p>กรุณากดปุ่มเพื่อไปยังหน้าชำระเงิน \
         / Press the button to continue to payment.</p>\n      <button type=\"submit\">\
         ชำระเงิน / Continue to payment</button>\n    </noscript>\n  </form>\n  <script>\
         document.getElementById(\"dga-epayment-checkout\").submit();</script>\n</body>\n</html>\n",
        action = attr(&payment.gateway_url),
    ))
}

/// The SDK's bound on a reference (the guide gives none): room for any agency's numbering, and
/// no forged callback can make a request line or a log line of megabytes from it.
pub const MAX_REFERENCE_CHARS: usize = 255;

/// Why `value` cannot be a reference, if it cannot: longer than [`MAX_REFERENCE_CHARS`], or
/// holding a control character (no reference DGA issues or takes has one). On every call and
/// callback: a byte scan, no decoding, when the text is short.
pub(crate) fn reference_problem(value: &str) -> Option<String> {
    if value.len() > MAX_REFERENCE_CHARS {
        let n = value.chars().count();
        if n > MAX_REFERENCE_CHARS {
            return Some(format!(
                "is {n} characters long; a reference is at most {MAX_REFERENCE_CHARS}"
            ));
        }
    }
    has_control(value).then(|| "contains a control character".to_owned())
}

/// `text.contains(char::is_control)` (C0, DEL and C1) by a byte scan, without decoding: the
/// one check for references (on every call and callback), names, the secret and `source`.
pub(crate) fn has_control(text: &str) -> bool {
    let b = text.as_bytes();
    // C1 (U+0080–U+009F) is 0xC2 followed by 0x80–0x9F in UTF-8.
    (0..b.len()).any(|i| {
        b[i].is_ascii_control() || (b[i] == 0xC2 && b.get(i + 1).is_some_and(|n| *n <= 0x9F))
    })
}

/// A `Callback` error naming each of the references that cannot be one.
pub(crate) fn check_callback_references(ref1: &str, ref2: &str) -> Result<()> {
    let errors: Vec<FieldError> = [("ref1", ref1), ("ref2", ref2)]
        .into_iter()
        .filter_map(|(field, v)| reference_problem(v).map(|p| FieldError::new(field, p)))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Callback { errors })
    }
}

/// The references a callback body names (`ref1`, `ref2`), read as leniently as
/// [`crate::Client::receive_callback`] reads them; a `Callback` error when they cannot be read.
/// What a callback endpoint asks the agency's `known_reference` about before anything else.
pub fn callback_references(body: &[u8]) -> Result<(String, String)> {
    let n = read_notification(body)?;
    Ok((n.ref1, n.ref2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment() -> Payment {
        Payment {
            order_ref: "202212091544433591".into(),
            order_ref1: Some("INV-1".into()),
            order_ref2: None,
            amount: "1000.50".parse().unwrap(),
            merchant_id: "900000001".into(),
            curr_code: "764".into(),
            lang: "T".into(),
            pay_type: "N".into(),
            pay_method: "CC".into(),
            security_key: "A\"><script>alert(1)</script>&".into(),
            gateway_url: "https://uatktbfastpay.ktb.co.th/SIT/eng/payment/payForm.jsp?a=1&b=2"
                .into(),
            success_url: "https://agency.go.th/ok?x=1&y='2'".into(),
            fail_url: "https://agency.go.th/fail".into(),
            cancel_url: "https://agency.go.th/cancel".into(),
            reference1: "INV-1".into(),
            reference2: String::new(),
            warning: None,
        }
    }

    #[test]
    fn the_byte_scan_finds_what_char_is_control_finds() {
        for s in [
            "INV-1",
            "ก\u{0}x",
            "a\tb",
            "x\u{7f}",
            "x\u{85}y",
            "x\u{9f}",
            "x\u{a0}",
            "ชำระ",
            "é",
        ] {
            assert_eq!(has_control(s), s.contains(char::is_control), "{s:?}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_says_what_it_looks_like() {
        let problem = |body: &[u8]| {
            parse_callback(body).unwrap_err().field_errors()[0]
                .message
                .clone()
        };
        assert!(problem(b"\xff\xfe{}").ends_with("(it is not UTF-8 text: byte 0 is not)"));
        assert!(problem(b"paidStatus=1&ref1=INV-1").contains("looks form-encoded"));
        assert!(!problem(b"{\"ref1\": ").contains("(it "));
        // The references: too long, or with a control character, are a callback error.
        let long = format!(
            "{{\"ref1\": \"{}\", \"ref2\": \"a\\u0000b\"}}",
            "A".repeat(256)
        );
        let full = long.replace(
            "{",
            r#"{"paidStatus": 1, "paidDate": "2024-03-07T15:42:28", "paidChannel": "QR",
               "confirmPaidDate": "2024-03-07T15:42:28", "refId": "1", "paymentType": 5,
               "amount": 10.5, "feeAmount": 0, "#,
        );
        for e in [
            callback_references(long.as_bytes()).unwrap_err(),
            parse_callback(full.as_bytes()).unwrap_err(),
        ] {
            let fields: Vec<_> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
            assert_eq!(fields, ["ref1", "ref2"], "{e}");
        }
    }

    #[test]
    fn checkout_form_escapes_every_value_and_submits_itself() {
        let html = checkout_form_html(&payment()).unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("value=\"A&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;\""));
        assert!(html.contains(
            "action=\"https://uatktbfastpay.ktb.co.th/SIT/eng/payment/payForm.jsp?a=1&amp;b=2\""
        ));
        assert!(
            html.contains("name=\"successUrl\" value=\"https://agency.go.th/ok?x=1&amp;y='2'\"")
        );
        assert!(html.contains("name=\"amount\" value=\"1000.50\""));
        assert!(html.contains("name=\"orderRef1\" value=\"INV-1\""));
        assert!(!html.contains("orderRef2"), "absent fields are not sent");
        assert!(html.contains("<noscript>") && html.contains("<button type=\"submit\">"));
        assert!(html.contains(".submit();"));
        assert_eq!(html.matches("type=\"hidden\"").count(), 12);
    }

    #[test]
    fn checkout_form_refuses_a_non_http_gateway() {
        for url in ["javascript:alert(1)", "data:text/html,x", "not a url"] {
            let mut p = payment();
            p.gateway_url = url.into();
            let e = checkout_form_html(&p).unwrap_err();
            assert_eq!(e.field_errors()[0].field, "gatewayUrl");
        }
    }

    #[test]
    fn payment_json_round_trips_and_debug_hides_the_security_key() {
        let p = payment();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["amount"], "1000.50");
        assert_eq!(Payment::from_json(&v).unwrap(), p);
        assert!(!format!("{p:?}").contains("script"));
        // Every field the schema marks secret, whatever its value.
        let mut marked = v.clone();
        for f in crate::schema::PAYMENT.secrets() {
            marked[f.wire] = json!("MARKED-SECRET-VALUE");
        }
        let p = Payment::from_json(&marked).unwrap();
        assert!(!format!("{p:?}").contains("MARKED-SECRET"), "{p:?}");
        assert_eq!(crate::schema::PAYMENT.secrets().count(), 1);
    }

    #[test]
    fn callback_ack_is_the_json_dga_expects() {
        let v: Value = serde_json::from_str(&callback_ack(true, "Success")).unwrap();
        assert_eq!(v["result"], true);
        assert_eq!(v["message"], "Success");
        let ts = v["requestTimeStamp"].as_u64().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(now.abs_diff(ts) < 5);
        let v: Value = serde_json::from_str(&callback_ack(false, "ระบบขัดข้อง \"x\"")).unwrap();
        assert_eq!(v["result"], false);
        assert_eq!(v["message"], "ระบบขัดข้อง \"x\"");
    }

    #[test]
    fn create_body_uses_the_guides_camel_case_and_an_exact_amount_string() {
        let req = CreatePayment {
            customer_id: "1".into(),
            payment_type: Some(PaymentType::QrPayment),
            amount: Some("0.10".parse().unwrap()),
            request_reference1: " R1 ".into(),
            source: Some(String::new()),
            ..Default::default()
        };
        let body = req.to_wire(Some("DGA"));
        let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, CREATE_FIELDS[..12]);
        assert_eq!(body["amount"], "0.10");
        assert_eq!(body["bankCode"], "KTB");
        assert_eq!(body["paymentType"], "QRPayment");
        assert_eq!(
            body["source"], "DGA",
            "an empty source falls back to the default"
        );
        assert_eq!(body["requestReference1"], "R1");
        assert_eq!(body["customerMiddleName"], "");
    }

    #[test]
    fn a_float_artifact_amount_is_refused_with_advice_but_exact_numbers_pass() {
        let mut req = json!({"customerID": "1234567890121", "customerTitleName": "นาย",
            "customerFirstName": "ก", "customerLastName": "ข", "paymentType": "FastPay",
            "requestReference1": "R1", "source": "DGA"});
        req["amount"] = serde_json::from_str("0.30000000000000004").unwrap();
        let e = CreatePayment::from_json(&req).unwrap_err();
        assert_eq!(e.field_errors().len(), 1, "{e}");
        let msg = &e.field_errors()[0].message;
        assert!(
            msg.contains("as a string") && msg.contains("\"0.30\""),
            "{msg}"
        );
        for ok in ["99.5", "1000", "1000.50"] {
            req["amount"] = serde_json::from_str(ok).unwrap();
            let r = CreatePayment::from_json(&req).unwrap();
            assert_eq!(r.amount.unwrap().to_string(), ok);
        }
    }
}
