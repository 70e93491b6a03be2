//! Property tests that complement the vectors in `tests/vectors/`: `parse_callback` and
//! `parse_amount` never panic whatever they are given, and a parsed callback's normalized JSON
//! reads back as the same callback.

use dga_epayment::{Decimal, parse_amount, parse_callback};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Proptest settings: `cases` cases, and no regression files written into the source tree.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The callback's keys (guide section 7).
const FIELDS: [&str; 14] = dga_epayment::CALLBACK_FIELDS;

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// A plain decimal as `Decimal::to_string` writes it: without a leading '+', and zero without
/// a sign ("-0.00" is the amount 0.00).
fn plain(s: &str) -> &str {
    let s = s.strip_prefix('+').unwrap_or(s);
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest,
        _ => s,
    }
}

/// A field name in random case with random white space around it (Q8 in docs/protocol.md), or a
/// stray key.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (
            prop::sample::select(&FIELDS[..]),
            prop::collection::vec(any::<bool>(), 20),
            "[ \t]{0,2}",
            "[ \t]{0,2}",
        )
            .prop_map(|(name, upper, pre, post)| {
                let cased: String = name
                    .chars()
                    .zip(upper.iter().cycle())
                    .map(|(c, u)| if *u { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                    .collect();
                format!("{pre}{cased}{post}")
            }),
        1 => "[a-zA-Z ]{0,12}",
    ]
}

/// The text of a JSON number: ordinary, huge, tiny, long, negative, with exponents.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        "-?(0|[1-9][0-9]{0,60})(\\.[0-9]{1,60})?([eE][+-]?[0-9]{1,5})?",
        Just("1e400".to_owned()),
        Just("-1e-400".to_owned()),
        Just("79228162514264337593543950336".to_owned()),
        Just("0.00000000000000000000000000001".to_owned()),
        Just("1e-2147483648".to_owned()),
        Just("9e9223372036854775807".to_owned()),
    ]
}

/// A string value that is sometimes close to what a field wants.
fn string_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9.,eE+ -]{0,30}",
        "(Success|success|PENDING|FastPay|qrpayment|C|[0-9]{1,3})",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?",
        "[ก-๛]{0,10}",
    ]
    .prop_map(|s| json_str(&s))
}

/// The text of an arbitrary JSON value, nested objects and arrays included.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        number_text(),
        string_text(),
    ];
    leaf.prop_recursive(5, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key(), inner), 0..12).prop_map(|members| {
                let body: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", json_str(k)))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// An object whose keys are (mostly) the callback's, with arbitrary values.
fn callback_like_text() -> impl Strategy<Value = String> {
    prop::collection::vec((key(), json_text()), 0..18).prop_map(|members| {
        let body: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("{}:{v}", json_str(k)))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

/// A date in one of the forms DGA sends, with whether it has fractional seconds.
fn date_text() -> impl Strategy<Value = (String, bool)> {
    (
        1990i32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::of(0u32..1000),
        prop_oneof![
            Just(""),
            Just("Z"),
            Just("+07:00"),
            Just("-03:30"),
            Just("+00:00")
        ],
    )
        .prop_map(|(y, mo, d, h, mi, s, ms, zone)| {
            let frac = ms.map(|ms| format!(".{ms:03}")).unwrap_or_default();
            (
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}"),
                ms.is_some(),
            )
        })
}

/// A date value: a date, or "" / null (absent).
fn date_value() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        4 => date_text().prop_map(|(t, frac)| (json_str(&t), frac)),
        1 => Just(("\"\"".to_owned(), false)),
        1 => Just(("null".to_owned(), false)),
    ]
}

/// An exact decimal as a JSON number or a JSON string.
fn amount_value() -> impl Strategy<Value = String> {
    ("(0|[1-9][0-9]{0,14})(\\.[0-9]{1,4})?", any::<bool>())
        .prop_map(|(t, as_string)| if as_string { json_str(&t) } else { t })
}

fn enum_value(names: &'static [&'static str], max: i64) -> impl Strategy<Value = String> {
    prop_oneof![
        (0..=max + 5).prop_map(|n| n.to_string()),
        (prop::sample::select(names), any::<bool>()).prop_map(|(n, upper)| {
            json_str(&if upper {
                n.to_uppercase()
            } else {
                n.to_lowercase()
            })
        }),
        (0..=max).prop_map(|n| json_str(&n.to_string())),
        "[A-Za-z]{1,8}".prop_map(|s| json_str(&s)),
    ]
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ก-๛a-zA-Z0-9/ *-]{1,20}".prop_map(|s| json_str(&s)),
        any::<String>().prop_map(|s| json_str(&s)),
    ]
}

/// A callback with every required field and values of the right types. Returns the body and
/// whether any date has fractional seconds (which the normalized form drops).
fn valid_callback() -> impl Strategy<Value = (String, bool)> {
    let statuses: &'static [&'static str] = &[
        "Pending",
        "Success",
        "Rejected",
        "Failed",
        "Void",
        "Others",
        "Expired",
        "Refunded",
        "RequestRefund",
    ];
    let types: &'static [&'static str] = &[
        "BillPayment",
        "DirectLink",
        "FastPay",
        "PageToPage",
        "QRPayment",
        "AppToApp",
    ];
    (
        (
            enum_value(statuses, 8),
            prop::option::of(text_value()),
            date_value(),
            text_value(),
            date_value(),
            text_value(),
            "[A-Za-z0-9-]{1,20}",
            "[A-Za-z0-9-]{0,20}",
        ),
        (
            prop::option::of(text_value()),
            enum_value(types, 6),
            amount_value(),
            prop::option::of(amount_value()),
            prop::option::of(date_value()),
            prop::option::of(date_value()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (status, description, paid, channel, confirm, ref_id, ref1, ref2),
                (card, ptype, amount, fee, void, refund, pascal),
            )| {
                let mut frac = paid.1 || confirm.1;
                let mut members = vec![
                    ("paidStatus", status),
                    ("paidDate", paid.0),
                    ("paidChannel", channel),
                    ("confirmPaidDate", confirm.0),
                    ("refId", ref_id),
                    ("ref1", json_str(&ref1)),
                    ("ref2", json_str(&ref2)),
                    ("paymentType", ptype),
                    ("amount", amount),
                    ("feeAmount", fee.unwrap_or_else(|| "null".into())),
                ];
                if let Some(d) = description {
                    members.push(("description", d));
                }
                if let Some(c) = card {
                    members.push(("cardNo", c));
                }
                for (k, d) in [("voidDate", void), ("requestRefundDate", refund)] {
                    if let Some((d, f)) = d {
                        frac |= f;
                        members.push((k, d));
                    }
                }
                let body: Vec<String> = members
                    .iter()
                    .map(|(k, v)| {
                        let k = if pascal {
                            format!(" {}{}", k[..1].to_uppercase(), &k[1..])
                        } else {
                            (*k).to_owned()
                        };
                        format!("{}: {v}", json_str(&k))
                    })
                    .collect();
                (format!("{{\n{}\n}}", body.join(",\n")), frac)
            },
        )
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn parse_callback_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_callback(&body);
    }

    #[test]
    fn parse_amount_never_panics_on_strings(s in any::<String>()) {
        let _ = parse_amount(&Value::String(s));
    }

    #[test]
    fn parse_amount_never_panics_on_number_like_strings(s in "[-+]?[0-9.eE+-]{0,40}") {
        let _ = parse_amount(&Value::String(s.clone()));
        if let Ok(v) = serde_json::from_str::<Value>(&s) {
            let _ = parse_amount(&v);
        }
    }

    #[test]
    fn parse_amount_reads_every_ordinary_amount_exactly(
        s in "[+-]?(0|[1-9][0-9]{0,15})(\\.[0-9]{1,4})?",
    ) {
        // Well within range: must be read, and give back the text.
        let d = parse_amount(&Value::String(s.clone()));
        prop_assert!(d.is_ok(), "{:?} refused: {:?}", s, d);
        prop_assert_eq!(d.map(|d| d.to_string()), Ok(plain(&s).to_owned()));
        // The same text as a JSON number reads the same.
        if let Ok(v) = serde_json::from_str::<Value>(&s) {
            prop_assert_eq!(parse_amount(&v).map(|d| d.to_string()), Ok(plain(&s).to_owned()));
        }
    }

    #[test]
    fn parse_amount_gives_back_a_plain_decimal(
        // Up to the edges of what 96 bits and 28 decimal places hold, and past them.
        s in "[+-]?(0|[1-9][0-9]{0,28})(\\.[0-9]{1,29})?",
    ) {
        if let Ok(d) = parse_amount(&Value::String(s.clone())) {
            prop_assert_eq!(d.to_string(), plain(&s));
            if let Ok(v) = serde_json::from_str::<Value>(&s) {
                prop_assert_eq!(parse_amount(&v).map(|d| d.to_string()), Ok(plain(&s).to_owned()));
            }
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn parse_callback_never_panics_on_near_json_bytes(
        text in callback_like_text(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        // Valid-looking JSON with one byte replaced: syntax errors deep inside a body.
        let mut bytes = text.into_bytes();
        if !bytes.is_empty() {
            let i = cut.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = parse_callback(&bytes);
    }

    #[test]
    fn parse_callback_never_panics_on_json(text in json_text()) {
        let _ = parse_callback(text.as_bytes());
    }

    #[test]
    fn parse_callback_never_panics_on_callback_like_objects(text in callback_like_text()) {
        let _ = parse_callback(text.as_bytes());
    }

    #[test]
    fn a_valid_callback_round_trips((body, fractional) in valid_callback()) {
        let first = match parse_callback(body.as_bytes()) {
            Ok(cb) => cb,
            Err(e) => return Err(TestCaseError::fail(format!(
                "a valid callback was refused: {}\n{body}", e.to_json()
            ))),
        };
        let normalized = first.to_json();
        prop_assert_eq!(first.to_json_text(), normalized.to_string());
        let again = match parse_callback(normalized.to_string().as_bytes()) {
            Ok(cb) => cb,
            Err(e) => return Err(TestCaseError::fail(format!(
                "the normalized form was refused: {}\n{normalized}", e.to_json()
            ))),
        };
        // The normalized form is a fixed point.
        prop_assert_eq!(&again.to_json(), &normalized, "body: {}", body);
        // And without fractional seconds (which it drops) nothing is lost at all.
        if !fractional {
            prop_assert_eq!(&again, &first, "body: {}", body);
        }
        // Amounts keep their exact value.
        prop_assert_eq!(
            normalized["amount"].as_str().map(|a| a.parse::<Decimal>().ok()),
            Some(Some(first.amount))
        );
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for depth in [100, 10_000, 200_000] {
        let array = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse_callback(array.as_bytes()).is_err());
        let object = format!("{}1{}", "{\"paidStatus\":".repeat(depth), "}".repeat(depth));
        assert!(parse_callback(object.as_bytes()).is_err());
        // Unclosed.
        assert!(parse_callback("[".repeat(depth).as_bytes()).is_err());
    }
}

#[test]
fn huge_input_is_handled() {
    // A 6 MB description (2 Mi Thai characters) in an otherwise valid callback is read.
    let big = "ก".repeat(2 << 20);
    let body = format!(
        "{{\"paidStatus\":1,\"description\":{},\"paidDate\":\"2022-09-22T11:03:36\",\
         \"paidChannel\":\"x\",\"confirmPaidDate\":\"2022-09-22T11:03:36\",\"refId\":\"1\",\
         \"ref1\":\"1\",\"ref2\":\"\",\"paymentType\":3,\"amount\":1000,\"feeAmount\":0}}",
        json_str(&big)
    );
    let cb = parse_callback(body.as_bytes()).expect("a big but valid callback");
    assert_eq!(cb.description.as_deref().map(str::len), Some(big.len()));
    // A huge number is refused as an amount, not rounded and not a crash.
    let digits = "9".repeat(1 << 20);
    let body = body.replace("\"amount\":1000", &format!("\"amount\":{digits}"));
    let e = parse_callback(body.as_bytes()).expect_err("an amount of a million digits");
    let fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["amount"]);
}

/// A callback body is whatever anyone on the internet POSTs to the agency (no signature, Q9),
/// so reading it must take time in proportion to its size. 40,000 keys are under 600 KB; read
/// in linear time that is a few tens of milliseconds even in a debug build.
#[test]
fn many_keys_are_read_in_linear_time() {
    let many: Vec<String> = (0..40_000).map(|i| format!("\"k{i}\":{i}")).collect();
    let body = format!(
        "{{\"paidStatus\":1,\"paidDate\":\"2022-09-22T11:03:36\",\"paidChannel\":\"x\",\
         \"confirmPaidDate\":\"\",\"refId\":\"1\",\"ref1\":\"1\",\"ref2\":\"\",\
         \"paymentType\":3,\"amount\":1000,\"feeAmount\":0,{}}}",
        many.join(",")
    );
    let start = Instant::now();
    let parsed = parse_callback(body.as_bytes());
    let took = start.elapsed();
    assert!(parsed.is_ok(), "extra keys are ignored");
    assert!(
        took < Duration::from_millis(1500),
        "reading a {} KB callback with 40,000 keys took {took:?}: quadratic in the number of keys?",
        body.len() >> 10
    );
}
