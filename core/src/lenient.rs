//! Lenient reading of what DGA sends (Q2, Q6, Q8 in docs/protocol.md): keys matched
//! case-insensitively after trimming, amounts read exactly from JSON numbers or strings, dates
//! in every form seen.
//!
//! A [`Fields`] reader collects every problem instead of stopping at the first, so a bad
//! callback is reported whole.

use crate::error::FieldError;
use crate::slots::Val;
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Bangkok is UTC+7 all year (no daylight saving).
const BANGKOK_OFFSET_SECONDS: i32 = 7 * 3600;

/// The format DGA uses and the SDK hands out.
pub const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads an amount exactly from a JSON number or string (never through `f64`).
pub fn parse_amount(v: &Value) -> Result<Decimal, String> {
    amount_of(&Val::of(v))
}

/// [`parse_amount`] on a value read by `slots`.
pub(crate) fn amount_of(v: &Val<'_>) -> Result<Decimal, String> {
    match v {
        // The number's text as written (serde_json's `arbitrary_precision`).
        Val::Number(text) => parse_decimal_text(text),
        Val::Str(s) => parse_decimal_text(s.trim()),
        other => Err(format!(
            "expected a decimal amount, got {}",
            other.json_type()
        )),
    }
}

pub(crate) fn parse_decimal_text(text: &str) -> Result<Decimal, String> {
    if text.is_empty() {
        return Err("expected a decimal amount, got an empty string".into());
    }
    let not_decimal = || format!("{text:?} is not a decimal amount");
    let plain = text.strip_prefix('+').unwrap_or(text);
    if plain.len() < text.len() && plain.starts_with(['+', '-']) {
        return Err(not_decimal());
    }
    // JSON's exponent form (`2.5e-7`), read exactly: rust_decimal's own scientific parser
    // accepts more than JSON does and rounds mantissas it cannot hold (found by fuzzing).
    let (mantissa, exponent) = match plain.split_once(['e', 'E']) {
        Some((m, e)) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(not_decimal());
            }
            // No amount's digits reach past 10^±64: bound the exponent before using it
            // (an unbounded one overflows, or loops once per unit; found by fuzzing).
            let exponent = e.parse::<i64>().map_err(|_| out_of_range_text(text))?;
            if !(-64..=64).contains(&exponent) {
                return Err(out_of_range_text(text));
            }
            (m, exponent)
        }
        None => (plain, 0),
    };
    let ok_chars = mantissa
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'));
    // Two points are malformed, not out of range (rust_decimal says both in one error type).
    if !ok_chars
        || !mantissa.chars().any(|c| c.is_ascii_digit())
        || mantissa.matches('.').count() > 1
    {
        return Err(not_decimal());
    }
    let exact = Decimal::from_str_exact(mantissa).map_err(|e| match e {
        rust_decimal::Error::Underflow => {
            format!("{text:?} has more decimal places than can be represented exactly")
        }
        _ => format!("{text:?} is out of range for an amount"),
    })?;
    if exponent == 0 {
        return Ok(exact);
    }
    let out_of_range = || out_of_range_text(text);
    let mut units = exact.mantissa();
    let mut scale = i64::from(exact.scale()) - exponent;
    while scale < 0 {
        units = units.checked_mul(10).ok_or_else(out_of_range)?;
        scale += 1;
    }
    if scale > 28 {
        return Err(format!(
            "{text:?} has more decimal places than can be represented exactly"
        ));
    }
    Decimal::try_from_i128_with_scale(units, scale as u32).map_err(|_| out_of_range())
}

/// Whether an optional value DGA sent means "absent": `null`, `""` or white space. DGA's
/// .NET services send these for fields that do not apply.
pub(crate) fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn out_of_range_text(text: &str) -> String {
    format!("{text:?} is out of range for an amount")
}

/// Reads a date as DGA sends it: `yyyy-MM-ddTHH:mm:ss` (Bangkok local time), optionally with
/// fractional seconds, or with `Z` / an offset (converted to Bangkok time). `null`, `""` and
/// .NET's `DateTime.MinValue` (`0001-01-01T00:00:00`, what an unset .NET date serializes to)
/// mean absent.
pub fn parse_date(v: &Value) -> Result<Option<NaiveDateTime>, String> {
    date_of(&Val::of(v))
}

/// [`parse_date`] on a value read by `slots`.
pub(crate) fn date_of(v: &Val<'_>) -> Result<Option<NaiveDateTime>, String> {
    match v {
        v if v.is_blank() => Ok(None),
        Val::Str(s) if is_dotnet_min_date(s.trim()) => Ok(None),
        // Any time on 0001-01-01 is .NET's MinValue in some form (a padded day, an offset).
        Val::Str(s) => parse_date_text(s.trim()).map(|d| {
            Some(d).filter(|d| Some(d.date()) != chrono::NaiveDate::from_ymd_opt(1, 1, 1))
        }),
        other => Err(format!(
            "expected a date (yyyy-MM-ddTHH:mm:ss), got {}",
            other.json_type()
        )),
    }
}

/// `0001-01-01T00:00:00` in any of the forms [`parse_date`] reads (`T` or space, fractions,
/// `Z` or an offset).
fn is_dotnet_min_date(s: &str) -> bool {
    let rest = match s.strip_prefix("0001-01-01") {
        Some(r) => r,
        None => return false,
    };
    let time = rest.trim_start_matches(['T', ' ']);
    time.starts_with("00:00:00")
        && time["00:00:00".len()..]
            .trim_start_matches(['.', '0'])
            .trim_start_matches(['Z', '+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':')
}

fn parse_date_text(s: &str) -> Result<NaiveDateTime, String> {
    if let Some(d) = guide_date(s) {
        return Ok(d);
    }
    let bangkok = FixedOffset::east_opt(BANGKOK_OFFSET_SECONDS).expect("valid offset");
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&bangkok).naive_local());
    }
    // Some .NET services send a space instead of `T`.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(dt);
        }
    }
    Err(format!(
        "{s:?} is not a date in the form yyyy-MM-ddTHH:mm:ss"
    ))
}

/// `yyyy-MM-ddTHH:mm:ss` (or with a space for the `T`), the form DGA sends, read without
/// chrono's general parser (which reads its format string again on every call). `None` for
/// any other form, which chrono then reads; a leap second is left to chrono too.
fn guide_date(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 19
        || (b[4], b[7], b[13], b[16]) != (b'-', b'-', b':', b':')
        || !matches!(b[10], b'T' | b' ')
    {
        return None;
    }
    let number = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let second = number(17..19).filter(|s| *s < 60)?;
    chrono::NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?
        .and_hms_opt(number(11..13)?, number(14..16)?, second)
}

/// Formats a date the way the SDK hands it out.
pub fn format_date(d: &NaiveDateTime) -> String {
    d.format(DATE_FORMAT).to_string()
}

/// A JSON object whose keys are looked up case-insensitively after trimming white space.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    pub errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            map,
            errors: Vec::new(),
        }
    }

    /// The first member whose key is `key` once trimmed, ignoring ASCII case.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(key, message));
    }

    /// A present key, reported missing when `required`.
    fn present(&mut self, key: &str, required: bool) -> Option<&'a Value> {
        let v = self.get(key);
        if v.is_none() && required {
            self.fail(key, "is required");
        }
        v
    }

    /// A string (numbers are accepted as their text: DGA is not consistent about references).
    /// `null` and a missing key are `None`; `""` is kept.
    pub fn string(&mut self, key: &str, required: bool) -> Option<String> {
        match self.present(key, required)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            other => {
                let msg = format!("expected a string, got {}", json_type(other));
                self.fail(key, msg);
                None
            }
        }
    }

    /// A string that must be present and non-empty.
    pub fn non_empty(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            None => {
                self.fail(key, "is required");
                None
            }
            Some(Value::Null) => {
                self.fail(key, "must not be null");
                None
            }
            Some(_) => match self.string(key, true) {
                Some(s) if !s.trim().is_empty() => Some(s),
                Some(_) => {
                    self.fail(key, "must not be empty");
                    None
                }
                None => None,
            },
        }
    }

    /// An amount. An optional one that is `null`, `""` or white space is absent; a required
    /// one must be there and readable.
    pub fn amount(&mut self, key: &str, required: bool) -> Option<Decimal> {
        match self.present(key, required)? {
            v if !required && is_blank(v) => None,
            v => match parse_amount(v) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.fail(key, e);
                    None
                }
            },
        }
    }

    pub fn enumeration<T>(
        &mut self,
        key: &str,
        required: bool,
        read: fn(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.present(key, required)?;
        if v.is_null() {
            if required {
                self.fail(key, "must not be null");
            }
            return None;
        }
        if !required && is_blank(v) {
            return None;
        }
        match read(v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.fail(key, e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn amounts_are_exact() {
        assert_eq!(parse_amount(&num("1000")).unwrap().to_string(), "1000");
        assert_eq!(parse_amount(&num("0.1")).unwrap().to_string(), "0.1");
        assert_eq!(
            parse_amount(&num("12345678901234567.89"))
                .unwrap()
                .to_string(),
            "12345678901234567.89"
        );
        assert_eq!(
            parse_amount(&json!(" 99.50 ")).unwrap().to_string(),
            "99.50"
        );
        assert_eq!(parse_amount(&num("1e3")).unwrap(), Decimal::from(1000));
        assert!(parse_amount(&json!("1,000")).is_err());
        assert!(parse_amount(&json!("")).is_err());
        assert!(parse_amount(&json!(true)).is_err());
        assert!(parse_amount(&json!("NaN")).is_err());
        assert!(parse_amount(&num("1e400")).is_err());
    }

    #[test]
    fn a_malformed_amount_is_not_called_out_of_range() {
        let err = |v: Value| parse_amount(&v).unwrap_err();
        for text in [
            "1000.5.0", "1..5", ".", "1.2.3e2", "1,000.50", "1_000", "NaN", "+-1",
        ] {
            assert_eq!(
                err(json!(text)),
                format!("{text:?} is not a decimal amount"),
                "{text}"
            );
        }
        for text in [
            "79228162514264337593543950336",
            "-79228162514264337593543950336",
            "99999999999999999999999999999.99",
            "1e65",
            "1e29",
            "1e99999999999999999999",
        ] {
            assert_eq!(
                err(json!(text)),
                format!("{text:?} is out of range for an amount"),
                "{text}"
            );
        }
    }

    #[test]
    fn dates_in_every_form_seen() {
        let d = |v: Value| parse_date(&v).unwrap().map(|d| format_date(&d));
        assert_eq!(
            d(json!("2022-09-22T11:03:36")).unwrap(),
            "2022-09-22T11:03:36"
        );
        assert_eq!(
            d(json!("2022-09-22T11:03:36.713")).unwrap(),
            "2022-09-22T11:03:36"
        );
        // Z is UTC: Bangkok is seven hours ahead.
        assert_eq!(
            d(json!("2021-08-26T08:27:34.713Z")).unwrap(),
            "2021-08-26T15:27:34"
        );
        assert_eq!(
            d(json!("2021-08-26T08:27:34+07:00")).unwrap(),
            "2021-08-26T08:27:34"
        );
        assert_eq!(d(json!("")), None);
        assert_eq!(d(Value::Null), None);
        assert!(parse_date(&json!("22/09/2022")).is_err());
        assert!(parse_date(&json!(20220922)).is_err());
    }

    #[test]
    fn the_guide_form_reads_as_chrono_reads_it() {
        for s in [
            "2022-09-22T11:03:36",
            "2022-09-22 11:03:36",
            "0000-01-01T00:00:00",
            "2024-02-29T23:59:59",
            "2023-02-29T00:00:00",
            "2022-13-01T00:00:00",
            "2022-00-10T00:00:00",
            "2022-09-22T24:00:00",
            "2022-09-22T11:60:00",
            "2022-09-22T11:03:60",
            "2022-9-22T11:03:36 ",
            "+022-09-22T11:03:36",
            "2022-09-22t11:03:36",
            "2022-09-22T11:03:3a",
            "2022-09-22T11:03:36Z",
        ] {
            let chrono = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok());
            if let Some(d) = guide_date(s) {
                assert_eq!(Some(d), chrono, "{s}");
            }
            assert_eq!(
                parse_date_text(s).ok(),
                chrono.or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d
                    .with_timezone(&FixedOffset::east_opt(BANGKOK_OFFSET_SECONDS).unwrap())
                    .naive_local())),
                "{s}"
            );
        }
    }

    #[test]
    fn keys_are_case_insensitive_and_trimmed() {
        let v = json!({" PaidStatus": 1, "REFID": "7"});
        let map = v.as_object().unwrap();
        let f = Fields::new(map);
        assert_eq!(f.get("paidStatus"), Some(&json!(1)));
        assert_eq!(f.get("refId"), Some(&json!("7")));
    }
}
