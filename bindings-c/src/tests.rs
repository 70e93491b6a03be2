//! The header's constants against the core's tables, and the call/argument plumbing. The
//! behaviour over the network is tested from C and C++ (bindings-c/tests, run by test.sh).

use super::*;
use std::collections::BTreeSet;

const HEADER: &str = include_str!("../../include/dga_epayment.h");

/// The `NAME = number` entries of one C enum in the committed header.
fn header_enum(name: &str) -> BTreeSet<(String, i64)> {
    let start = HEADER
        .find(&format!("enum {name}\n"))
        .unwrap_or_else(|| panic!("enum {name} is not in the header"));
    let body = &HEADER[start..];
    let body = &body[body.find(" {\n").unwrap()..body.find("\n};").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("DGA_"))
        .map(|l| {
            let (n, v) = l.trim_end_matches(',').split_once(" = ").unwrap();
            (n.to_owned(), v.parse().unwrap())
        })
        .collect()
}

/// `QRPayment` → `QR_PAYMENT`, `SuccessWithError` → `SUCCESS_WITH_ERROR`, `KTB` → `KTB`.
fn screaming(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

#[test]
fn error_kinds_in_the_header_are_the_cores() {
    let mut expected: BTreeSet<(String, i64)> = sdk::ErrorKind::ALL
        .iter()
        .map(|k| {
            (
                format!("DGA_{}", k.code().to_uppercase()),
                i64::from(k.number()),
            )
        })
        .collect();
    expected.insert(("DGA_OK".into(), 0));
    expected.insert(("DGA_INVALID_ARGUMENT".into(), 10));
    expected.insert(("DGA_INTERNAL".into(), 11));
    expected.insert(("DGA_CANCELLED".into(), 12));
    assert_eq!(header_enum("DgaErrorKind"), expected);
    assert_eq!(
        sdk::error_kinds()
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["number"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
}

#[test]
fn enum_constants_in_the_header_are_the_cores_tables() {
    let tables = sdk::enum_tables();
    let pairs = [
        ("BankCode", "DgaBankCode", "BANK_CODE"),
        ("PaymentType", "DgaPaymentType", "PAYMENT_TYPE"),
        ("PaidStatus", "DgaPaidStatus", "PAID_STATUS"),
        ("ResponseStatus", "DgaResponseStatus", "RESPONSE_STATUS"),
        ("ErrorCode", "DgaErrorCode", "ERROR_CODE"),
    ];
    assert_eq!(
        tables.as_object().unwrap().len(),
        pairs.len(),
        "a new core enum"
    );
    let mut problems = Vec::new();
    for (core, c_enum, prefix) in pairs {
        let expected: BTreeSet<(String, i64)> = tables[core]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let name = v["name"].as_str().unwrap();
                (
                    format!("DGA_{prefix}_{}", screaming(name)),
                    v["number"].as_i64().unwrap(),
                )
            })
            .collect();
        let got = header_enum(c_enum);
        if got != expected {
            problems.push(format!(
                "{c_enum}: missing {:?}, extra {:?}",
                expected.difference(&got).collect::<Vec<_>>(),
                got.difference(&expected).collect::<Vec<_>>()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(screaming("QRPayment"), "QR_PAYMENT");
    assert_eq!(screaming("InvalidPaidDate"), "INVALID_PAID_DATE");
}

#[test]
fn a_panic_is_internal_with_its_message_and_never_unwinds() {
    let mut err: *mut DgaError = ptr::null_mut();
    let status = call(&mut err, || panic!("boom at the core"));
    assert_eq!(status, DgaErrorKind::DGA_INTERNAL as i32);
    unsafe {
        assert_eq!(dga_error_kind(err), DgaErrorKind::DGA_INTERNAL as i32);
        let msg = CStr::from_ptr(dga_error_message(err)).to_str().unwrap();
        assert!(msg.contains("boom at the core"), "{msg}");
        let json: Value =
            serde_json::from_str(CStr::from_ptr(dga_error_json(err)).to_str().unwrap()).unwrap();
        assert_eq!(json["kind"], "internal");
        dga_error_free(err);
    }
    // Without an out_err the status still says it.
    assert_eq!(
        call(ptr::null_mut(), || panic!("again")),
        DgaErrorKind::DGA_INTERNAL as i32
    );
    let mut out: *mut c_char = ptr::dangling_mut();
    assert_eq!(
        call_text(&mut out, ptr::null_mut(), || panic!("text")),
        DgaErrorKind::DGA_INTERNAL as i32
    );
    assert!(out.is_null(), "no result on failure");
    assert!(!guard(false, || panic!("guarded")));
}

fn message(err: *mut DgaError) -> String {
    let s = unsafe { CStr::from_ptr(dga_error_message(err)) }
        .to_str()
        .unwrap()
        .to_owned();
    unsafe { dga_error_free(err) };
    s
}

#[test]
fn bad_arguments_name_the_argument() {
    let mut err = ptr::null_mut();
    let c = unsafe { dga_client_new(ptr::null(), &mut err) };
    assert!(c.is_null());
    assert_eq!(unsafe { dga_error_kind(err) }, 10);
    assert_eq!(message(err), "config_json is NULL");

    let bad_utf8 = c"{\"a\xff\": 1}";
    let c = unsafe { dga_client_new(bad_utf8.as_ptr(), &mut err) };
    assert!(c.is_null());
    let m = message(err);
    assert!(m.starts_with("config_json is not valid UTF-8"), "{m}");

    let mut out = ptr::null_mut();
    let status = unsafe { dga_checkout_form_html(c"{\"orderRef\": ".as_ptr(), &mut out, &mut err) };
    assert_eq!(status, 10);
    assert!(out.is_null());
    let m = message(err);
    assert!(m.starts_with("payment_json is not valid JSON"), "{m}");

    let status =
        unsafe { dga_status(ptr::null(), c"a".as_ptr(), c"".as_ptr(), &mut out, &mut err) };
    assert_eq!(status, 10);
    assert_eq!(message(err), "client is NULL");
}

#[test]
fn a_config_without_credentials_is_a_validation_error_without_secrets() {
    let mut err = ptr::null_mut();
    let c = unsafe {
        dga_client_new(
            c"{\"consumerSecret\": \"s3cr3t-value\", \"bogus\": 1}".as_ptr(),
            &mut err,
        )
    };
    assert!(c.is_null());
    assert_eq!(unsafe { dga_error_kind(err) }, 1);
    let json: Value = serde_json::from_str(
        unsafe { CStr::from_ptr(dga_error_json(err)) }
            .to_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["kind"], "validation");
    assert!(!json.to_string().contains("s3cr3t-value"));
    let m = message(err);
    assert!(m.contains("bogus"), "{m}");
}

#[test]
fn text_with_nul_is_kept_readable() {
    let s = c_string("a\0b".to_owned());
    assert_eq!(s.to_str().unwrap(), "a\u{FFFD}b");
}

#[test]
fn api_code_is_the_number_known_or_not() {
    let api = |code: Option<sdk::ErrorCode>| {
        let e = sdk::Error::Api {
            endpoint: sdk::Endpoint::Status,
            status: sdk::ResponseStatus::Error,
            error_code: code,
            message: String::new(),
        };
        DgaError::from(e).api_code
    };
    assert_eq!(api(Some(sdk::ErrorCode::TransactionNotFound)), 8);
    assert_eq!(api(Some(sdk::ErrorCode::from_number(4242))), 4242);
    assert_eq!(api(Some(sdk::ErrorCode::from_name("Weird"))), 0);
    assert_eq!(api(None), 0);
    let binding = DgaError::binding(DgaErrorKind::DGA_CANCELLED, "x".into(), None);
    assert_eq!(binding.api_code, 0);
}

/// A runtime thread of the parent may hold the completion queue's or the log's lock at the
/// moment of a fork; the child (which has no such thread) must never wait for it: it gets a
/// queue and a log buffer of its own, with the parent's settings (the buffer's capacity).
#[test]
fn a_forked_child_never_waits_on_a_lock_its_parent_held() {
    use logging::{dga_log_buffer, dga_log_drain};
    use queue::dga_completion_next;
    dga_log_buffer(4);
    let (held, hold) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let holder = std::thread::spawn(move || {
        let entries = queue::queue().entries.lock().unwrap();
        let log = logging::state();
        held.0.send(()).unwrap();
        let _ = hold.1.recv();
        drop((entries, log));
    });
    held.1.recv().unwrap();
    // SAFETY: the child only calls the library (bounded by its alarm), then `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        unsafe { libc::alarm(10) };
        let (mut data, mut kind) = (ptr::null_mut(), 0);
        let (mut json, mut err) = (ptr::null_mut(), ptr::null_mut());
        let queued = unsafe { dga_completion_next(0, &mut data, &mut kind, &mut json, &mut err) };
        let drained = dga_log_drain().is_null();
        let kept = logging::state().settings.capacity == 4;
        // SAFETY: ending the child without running the harness's exit.
        unsafe { libc::_exit(if !queued && drained && kept { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waiting for the child just made.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    hold.0.send(()).unwrap();
    holder.join().unwrap();
    dga_log_buffer(0);
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child did not end well (status {status}: killed by its alarm means it waited on a lock)"
    );
}
