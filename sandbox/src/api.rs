//! The DGA endpoints: token, and create / close / void / status under the three prefixes.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::model::{self, PaidStatus, PaymentType, Text, error_code};
use crate::respond;
use crate::state::{App, Endpoint, Inner, NewTxn};

/// KTB merchant id of every sandbox order.
const MERCHANT_ID: &str = "900000001";

/// A business error: HTTP 200, envelope status 3.
struct ApiError {
    code: u16,
    message: String,
}

fn err(code: u16, message: impl Into<String>) -> ApiError {
    ApiError {
        code,
        message: message.into(),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `GET /ws/auth/validate?ConsumerSecret=..&AgentID=..` with header `Consumer-Key`.
pub(crate) fn token(app: &App, method: &Method, headers: &HeaderMap, query: &str) -> Response {
    let answer = |status: StatusCode, message: String| {
        respond::json(status, &json!({"Result": null, "Message": message}))
    };
    if method != Method::GET {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method {method} not allowed; use GET"),
        );
    }
    let pairs = model::parse_pairs(query.as_bytes());
    let mut inner = app.lock();
    let key_ok = header(headers, "consumer-key") == Some(inner.config.consumer_key.as_str());
    let secret_ok =
        model::param(&pairs, "ConsumerSecret") == Some(inner.config.consumer_secret.as_str());
    if !key_ok || !secret_ok {
        return answer(
            StatusCode::UNAUTHORIZED,
            "Invalid Consumer-Key or ConsumerSecret".into(),
        );
    }
    let agent = model::param(&pairs, "AgentID").unwrap_or("");
    if agent.len() != 13 || !agent.bytes().all(|b| b.is_ascii_digit()) {
        return answer(StatusCode::BAD_REQUEST, "AgentID must be 13 digits".into());
    }
    let token = inner.issue_token();
    respond::json(StatusCode::OK, &json!({"Result": token}))
}

/// One of the payment endpoints; `base` is the sandbox's own `http://host:port`.
pub(crate) fn payment(
    app: &App,
    op: Endpoint,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
    base: &str,
) -> Response {
    let expected = if op == Endpoint::Status {
        Method::GET
    } else {
        Method::POST
    };
    if *method != expected {
        return respond::envelope_error(
            StatusCode::METHOD_NOT_ALLOWED,
            error_code::INVALID_REQUEST,
            &format!("Method {method} not allowed; use {expected}"),
        );
    }
    // Parsed before taking the lock; reported after the authorization check.
    let parsed = (op != Endpoint::Status).then(|| parse_object(body));
    let mut inner = app.lock();
    let key_ok = header(headers, "consumer-key") == Some(inner.config.consumer_key.as_str());
    if !key_ok || !header(headers, "token").is_some_and(|t| inner.token_live(t)) {
        return respond::envelope_error(
            StatusCode::UNAUTHORIZED,
            error_code::OTHERS,
            "Unauthorized: invalid or expired token",
        );
    }
    if op != Endpoint::Status && !respond::is_json_request(headers) {
        return respond::envelope_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error_code::INVALID_REQUEST,
            "Unsupported Media Type: the body must be sent as Content-Type: application/json",
        );
    }
    let result = match parsed {
        None => status(&inner, &model::parse_pairs(query.as_bytes())),
        Some(Err(message)) => {
            return respond::envelope_error(
                StatusCode::BAD_REQUEST,
                error_code::INVALID_REQUEST,
                &message,
            );
        }
        Some(Ok(obj)) => match op {
            Endpoint::Create => create(&mut inner, &obj, base),
            Endpoint::Close => close(&mut inner, &obj),
            _ => void(&mut inner, &obj),
        },
    };
    match result {
        Ok(data) => respond::envelope_ok(data),
        Err(e) => respond::envelope_error(StatusCode::OK, e.code, &e.message),
    }
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match model::parse_json(body) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => Err("Invalid request: the body must be a JSON object".into()),
        Err(e) => Err(format!("Invalid request: the body is not valid JSON: {e}")),
    }
}

/// Collects fields of a request object, remembering every missing and mistyped one so that a
/// single error names them all.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    missing: Vec<&'static str>,
    wrong_type: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    fn new(obj: &'a Map<String, Value>) -> Self {
        Fields {
            obj,
            missing: Vec::new(),
            wrong_type: Vec::new(),
        }
    }

    /// A string (or number) field; "" when absent and optional.
    fn text(&mut self, name: &'static str, required: bool) -> String {
        match model::text_field(self.obj, name) {
            Text::Present(s) => s,
            Text::Missing => {
                if required {
                    self.missing.push(name);
                }
                String::new()
            }
            Text::WrongType => {
                self.wrong_type.push(name);
                String::new()
            }
        }
    }

    /// A required field of any type; null and blank strings count as missing.
    fn value(&mut self, name: &'static str) -> Option<&'a Value> {
        match model::field(self.obj, name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
        .or_else(|| {
            self.missing.push(name);
            None
        })
    }

    fn check(&self) -> Result<(), ApiError> {
        let mut problems = Vec::new();
        if !self.missing.is_empty() {
            problems.push(format!(
                "missing or empty required field(s): {}",
                self.missing.join(", ")
            ));
        }
        if !self.wrong_type.is_empty() {
            problems.push(format!(
                "field(s) must be strings: {}",
                self.wrong_type.join(", ")
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(err(
                error_code::INVALID_DATA,
                format!("Invalid data: {}", problems.join("; ")),
            ))
        }
    }
}

fn create(inner: &mut Inner, obj: &Map<String, Value>, base: &str) -> Result<Value, ApiError> {
    let mut f = Fields::new(obj);
    let customer_id = f.text("customerID", true);
    let title = f.text("customerTitleName", true);
    let first = f.text("customerFirstName", true);
    let middle = f.text("customerMiddleName", false);
    let last = f.text("customerLastName", true);
    let bank_code = f.value("bankCode");
    let payment_type = f.value("paymentType");
    let amount = f.value("amount");
    let ref1 = f.text("requestReference1", true);
    let ref2 = f.text("requestReference2", false);
    let ref3 = f.text("requestReference3", false);
    let source = f.text("source", true);
    f.check()?;
    let (Some(bank_code), Some(payment_type), Some(amount)) = (bank_code, payment_type, amount)
    else {
        // Not reached: Fields::check has already reported these as missing.
        return Err(err(
            error_code::INVALID_DATA,
            "Invalid data: missing field(s)",
        ));
    };

    if !inner.config.sources.contains(&source) {
        return Err(err(
            error_code::INVALID_SOURCE,
            format!("Invalid source: {source:?} is not a registered source"),
        ));
    }
    if !is_ktb(bank_code) {
        return Err(err(
            error_code::INVALID_DATA,
            format!("Invalid data: bankCode {bank_code} is not supported: use KTB (2)"),
        ));
    }
    let Ok(payment_type) = model::parse_payment_type(payment_type) else {
        return Err(err(
            error_code::UNSUPPORTED_PAYMENT_TYPE,
            format!(
                "Unsupported paymentType {payment_type}: KTB accepts FastPay (3) or QRPayment (5)"
            ),
        ));
    };
    let amount = match model::decimal_from_json(amount) {
        Some(d) if d > Decimal::ZERO && d.normalize().scale() <= 2 => d,
        _ => {
            return Err(err(
                error_code::INVALID_AMOUNT,
                format!(
                    "Invalid amount {amount}: must be a decimal greater than 0 with at most 2 decimal places"
                ),
            ));
        }
    };
    if let Some(existing) = inner.ref1_taken(&ref1) {
        return Err(err(
            error_code::REFERENCE_NUMBER_DUPLICATE,
            format!(
                "Reference number duplicate: requestReference1 {ref1:?} is already used by order {}",
                existing.order_ref
            ),
        ));
    }
    let data = model::field(obj, "data").cloned().unwrap_or(Value::Null);
    let txn = inner.insert(
        NewTxn {
            ref1,
            ref2,
            ref3,
            customer_id,
            title,
            first,
            middle,
            last,
            source,
            payment_type,
            amount,
            data,
        },
        base,
    );
    Ok(json!({
        "orderRef": txn.order_ref,
        "orderRef1": txn.new.ref1,
        "orderRef2": (!txn.new.ref2.is_empty()).then_some(&txn.new.ref2),
        "amount": model::decimal_json(txn.new.amount),
        "merchantId": MERCHANT_ID,
        "currCode": "764",
        "lang": "T",
        "payType": "N",
        "payMethod": txn.new.payment_type.pay_method(),
        "securityKey": txn.security_key,
        "gatewayUrl": format!("{base}/ktb/payForm"),
        "successUrl": txn.success_url,
        "failUrl": txn.fail_url,
        "cancelUrl": txn.cancel_url,
    }))
}

/// BankCodeEnum KTB: the name in any case, or 2.
fn is_ktb(value: &Value) -> bool {
    match value {
        Value::String(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("KTB") || s == "2"
        }
        Value::Number(n) => n.to_string() == "2",
        _ => false,
    }
}

fn not_found(ref1: &str, ref2: &str) -> ApiError {
    err(
        error_code::TRANSACTION_NOT_FOUND,
        format!("Transaction not found: reference1 {ref1:?}, reference2 {ref2:?}"),
    )
}

fn close(inner: &mut Inner, obj: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut f = Fields::new(obj);
    let ref1 = f.text("reference1", true);
    let ref2 = f.text("reference2", false);
    f.check()?;
    let idx = inner
        .find(&ref1, &ref2)
        .ok_or_else(|| not_found(&ref1, &ref2))?;
    let txn = &mut inner.txns[idx];
    match txn.status {
        PaidStatus::Pending => {
            // Closed by the agency: the citizen can no longer pay it.
            txn.status = PaidStatus::Expired;
            Ok(Value::Null)
        }
        PaidStatus::Expired | PaidStatus::Failed | PaidStatus::Rejected => Ok(Value::Null),
        PaidStatus::Success | PaidStatus::Void => Err(err(
            error_code::PAID_PAYMENT_CANNOT_BE_CLOSED,
            format!(
                "Paid payment cannot be closed: the transaction is {}",
                txn.status.name()
            ),
        )),
    }
}

fn void(inner: &mut Inner, obj: &Map<String, Value>) -> Result<Value, ApiError> {
    let mut f = Fields::new(obj);
    let ref1 = f.text("reference1", true);
    let ref2 = f.text("reference2", false);
    let payment_ref = f.text("paymentReference", true);
    f.check()?;
    let idx = inner
        .find(&ref1, &ref2)
        .ok_or_else(|| not_found(&ref1, &ref2))?;
    let txn = &mut inner.txns[idx];
    if txn.new.payment_type != PaymentType::FastPay {
        return Err(err(
            error_code::UNSUPPORTED_PAYMENT_TYPE,
            format!(
                "Unsupported paymentType: only FastPay payments can be voided, this one is {}",
                txn.new.payment_type.name()
            ),
        ));
    }
    if txn.status != PaidStatus::Success {
        return Err(err(
            error_code::UNABLE_TO_VOID_TRANSACTION,
            format!(
                "Unable to void transaction: it is {}, not Success",
                txn.status.name()
            ),
        ));
    }
    if payment_ref != txn.ref_id {
        return Err(err(
            error_code::UNABLE_TO_VOID_TRANSACTION,
            format!(
                "Unable to void transaction: paymentReference {payment_ref:?} is not the payment's refId"
            ),
        ));
    }
    txn.status = PaidStatus::Void;
    txn.void_date = model::guide_date(model::now_bangkok());
    Ok(Value::Null)
}

fn status(inner: &Inner, pairs: &[(String, String)]) -> Result<Value, ApiError> {
    let ref1 = model::param(pairs, "reference1").unwrap_or("").trim();
    let ref2 = model::param(pairs, "reference2").unwrap_or("").trim();
    if ref1.is_empty() {
        return Err(err(
            error_code::INVALID_DATA,
            "Invalid data: missing or empty required parameter(s): reference1",
        ));
    }
    let idx = inner
        .find(ref1, ref2)
        .ok_or_else(|| not_found(ref1, ref2))?;
    Ok(inner.txns[idx].status_data(false))
}
