//! Protocol values the sandbox needs: enums, exact decimals, lenient key lookup, dates.
//!
//! This is deliberately an independent implementation of the guide (not the `dga-epayment`
//! crate), so that the sandbox can serve as a test oracle for the client core.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};

/// ErrorCodeEnum values the sandbox answers with.
pub(crate) mod error_code {
    pub const INVALID_REQUEST: u16 = 1;
    pub const INVALID_SOURCE: u16 = 2;
    pub const INVALID_DATA: u16 = 3;
    pub const INVALID_AMOUNT: u16 = 7;
    pub const TRANSACTION_NOT_FOUND: u16 = 8;
    pub const UNSUPPORTED_PAYMENT_TYPE: u16 = 11;
    pub const PAID_PAYMENT_CANNOT_BE_CLOSED: u16 = 14;
    pub const UNABLE_TO_VOID_TRANSACTION: u16 = 19;
    pub const REFERENCE_NUMBER_DUPLICATE: u16 = 21;
    pub const TRANSACTION_LOCKED: u16 = 22;
    pub const OTHERS: u16 = 999;
}

/// The payment types KTB supports (PaymentTypeEnum 3 and 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PaymentType {
    FastPay,
    QrPayment,
}

impl PaymentType {
    pub fn number(self) -> u8 {
        match self {
            PaymentType::FastPay => 3,
            PaymentType::QrPayment => 5,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PaymentType::FastPay => "FastPay",
            PaymentType::QrPayment => "QRPayment",
        }
    }

    /// `payMethod` in the create response.
    pub fn pay_method(self) -> &'static str {
        match self {
            PaymentType::FastPay => "CC",
            PaymentType::QrPayment => "QR",
        }
    }

    /// `paidChannel` of a paid transaction.
    pub fn channel_th(self) -> &'static str {
        match self {
            PaymentType::FastPay => "บัตรเครดิต/เดบิต",
            PaymentType::QrPayment => "คิวอาร์โค้ด",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentType::FastPay => "บัตรเครดิต/เดบิต (FastPay, credit/debit card)",
            PaymentType::QrPayment => "คิวอาร์โค้ด (QRPayment, Thai QR)",
        }
    }
}

/// Reads a `paymentType` value: a PaymentTypeEnum name (any case) or number (JSON number or
/// digits in a string). `Err` for every other value, known to the enum (BillPayment, …) or not:
/// the KTB service supports only FastPay and QRPayment.
pub(crate) fn parse_payment_type(value: &Value) -> Result<PaymentType, ()> {
    let text = match value {
        Value::String(s) => s.trim().to_ascii_lowercase(),
        Value::Number(n) => n.to_string(),
        _ => return Err(()),
    };
    match text.as_str() {
        "fastpay" | "3" => Ok(PaymentType::FastPay),
        "qrpayment" | "5" => Ok(PaymentType::QrPayment),
        _ => Err(()),
    }
}

/// PaymentTransactionStatusEnum values a sandbox transaction can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PaidStatus {
    Pending,
    Success,
    Rejected,
    Failed,
    Void,
    Expired,
}

impl PaidStatus {
    pub fn number(self) -> u8 {
        match self {
            PaidStatus::Pending => 0,
            PaidStatus::Success => 1,
            PaidStatus::Rejected => 2,
            PaidStatus::Failed => 3,
            PaidStatus::Void => 4,
            PaidStatus::Expired => 6,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PaidStatus::Pending => "Pending",
            PaidStatus::Success => "Success",
            PaidStatus::Rejected => "Rejected",
            PaidStatus::Failed => "Failed",
            PaidStatus::Void => "Void",
            PaidStatus::Expired => "Expired",
        }
    }

    /// The `[Description(...)]` of the guide's enum.
    pub fn description_th(self) -> &'static str {
        match self {
            PaidStatus::Pending => "รอการชำระเงิน",
            PaidStatus::Success => "ชำระเงินสำเร็จ",
            PaidStatus::Rejected => "ปฏิเสธชำระเงิน",
            PaidStatus::Failed => "ชำระเงินไม่สำเร็จ",
            PaidStatus::Void => "ยกเลิกการชำระเงิน",
            PaidStatus::Expired => "หมดอายุ",
        }
    }
}

/// A JSON object member matched the way the real ASP.NET service does: key trimmed,
/// ASCII case ignored. When several keys match, the last one wins (as in Json.NET).
pub(crate) fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .next_back()
}

/// A query-string or form parameter, name matched trimmed and case-insensitively (last wins).
pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .next_back()
}

/// Parses a request body as JSON. A leading UTF-8 byte order mark is ignored, as ASP.NET
/// does (RFC 8259 allows it; legacy .NET writers emit one).
pub(crate) fn parse_json(body: &[u8]) -> serde_json::Result<Value> {
    serde_json::from_slice(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body))
}

/// Parses `a=b&c=d` (query string or form body).
pub(crate) fn parse_pairs(input: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(input).into_owned().collect()
}

/// A text field: a JSON string (trimmed) or a JSON number (its exact text).
pub(crate) enum Text {
    /// Absent, null, or blank.
    Missing,
    Present(String),
    /// A boolean, array or object.
    WrongType,
}

pub(crate) fn text_field(obj: &Map<String, Value>, name: &str) -> Text {
    match field(obj, name) {
        None | Some(Value::Null) => Text::Missing,
        Some(Value::String(s)) if s.trim().is_empty() => Text::Missing,
        Some(Value::String(s)) => Text::Present(s.trim().to_string()),
        Some(Value::Number(n)) => Text::Present(n.to_string()),
        Some(_) => Text::WrongType,
    }
}

/// Parses a decimal exactly: `-?digits(.digits)?([eE][+-]?digits)?`, surrounding white space
/// allowed. Never goes through a float; `None` for anything else, or for a value a `Decimal`
/// cannot hold exactly.
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let digits = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let mut value = Decimal::from_str_exact(mantissa).ok()?;
    let scale = i64::from(value.scale());
    if exponent <= scale {
        let new_scale = u32::try_from(scale.checked_sub(exponent)?).ok()?;
        if new_scale > Decimal::MAX_SCALE {
            return None;
        }
        value.set_scale(new_scale).ok()?;
    } else {
        value.set_scale(0).ok()?;
        let extra = exponent - scale;
        if extra > 29 {
            return (value.is_zero()).then_some(Decimal::ZERO);
        }
        for _ in 0..extra {
            value = value.checked_mul(Decimal::TEN)?;
        }
    }
    Some(value)
}

/// Reads an amount from a JSON string or number, exactly.
pub(crate) fn decimal_from_json(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(s) => parse_decimal(s),
        Value::Number(n) => parse_decimal(&n.to_string()),
        _ => None,
    }
}

/// An amount as a JSON number with its exact decimal text (trailing zeros removed).
pub(crate) fn decimal_json(value: Decimal) -> Value {
    let text = value.normalize().to_string();
    match Number::from_str(&text) {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(text),
    }
}

/// Bangkok is UTC+7 all year (no daylight saving).
fn bangkok() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

pub(crate) fn now_bangkok() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&bangkok())
}

/// `yyyy-MM-ddTHH:mm:ss`, Bangkok local time without offset, as the guide's dates.
pub(crate) fn guide_date(at: DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// RFC 3339 with milliseconds and the +07:00 offset, for the sandbox's own logs.
pub(crate) fn log_time(at: DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

/// `n` random uppercase hexadecimal characters.
pub(crate) fn random_hex(n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    (0..n)
        .map(|_| char::from(HEX[fastrand::usize(..16)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(s: &str) -> Option<String> {
        parse_decimal(s).map(|d| d.to_string())
    }

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(dec("1000.50").as_deref(), Some("1000.50"));
        assert_eq!(dec(" 0.30 ").as_deref(), Some("0.30"));
        assert_eq!(dec("-1").as_deref(), Some("-1"));
        assert_eq!(dec("1e3").as_deref(), Some("1000"));
        assert_eq!(dec("1.5E+2").as_deref(), Some("150"));
        assert_eq!(dec("12345e-2").as_deref(), Some("123.45"));
        assert_eq!(dec("0.1e1").as_deref(), Some("1"));
        assert_eq!(
            dec("12345678901234567890.12").as_deref(),
            Some("12345678901234567890.12")
        );
        for bad in [
            "",
            " ",
            "abc",
            "1,000",
            "1_000",
            ".5",
            "5.",
            "+5",
            "--1",
            "1e",
            "e5",
            "1e999999",
            "1e-99",
            "NaN",
            "0x10",
            "1.2.3",
            "1e-9223372036854775808",
        ] {
            assert_eq!(dec(bad), None, "{bad:?} must not parse");
        }
        assert_eq!(dec("0e999").as_deref(), Some("0"));
    }

    #[test]
    fn decimal_json_is_exact_number() {
        let v = decimal_json(parse_decimal("1000.50").unwrap());
        assert_eq!(serde_json::to_string(&v).unwrap(), "1000.5");
        let v = decimal_json(parse_decimal("0.10").unwrap());
        assert_eq!(serde_json::to_string(&v).unwrap(), "0.1");
        let n: Value = serde_json::from_str("1.10").unwrap();
        assert_eq!(decimal_from_json(&n).unwrap().to_string(), "1.10");
    }

    #[test]
    fn keys_match_trimmed_and_case_insensitively() {
        let obj = json!({" PaidStatus": 1, "AMOUNT": "2", "amount": "3"});
        let obj = obj.as_object().unwrap();
        assert_eq!(field(obj, "paidStatus"), Some(&json!(1)));
        assert_eq!(field(obj, "amount"), Some(&json!("3")));
        assert_eq!(field(obj, "missing"), None);
    }

    #[test]
    fn payment_types() {
        assert_eq!(
            parse_payment_type(&json!("fastpay")),
            Ok(PaymentType::FastPay)
        );
        assert_eq!(parse_payment_type(&json!(5)), Ok(PaymentType::QrPayment));
        assert_eq!(parse_payment_type(&json!(" 3 ")), Ok(PaymentType::FastPay));
        assert_eq!(parse_payment_type(&json!("BillPayment")), Err(()));
        assert_eq!(parse_payment_type(&json!(true)), Err(()));
    }
}
