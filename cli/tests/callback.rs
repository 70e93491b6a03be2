//! `dgapay callback parse | ack` and `dgapay checkout`: offline tools.

mod common;

use common::{dgapay, dgapay_with};
use serde_json::json;

/// The guide's callback example as printed (section 7; quirks as docs/protocol.md numbers them):
/// PascalCase keys with a leading space (Q8), `PaidStatus: 0` (Q9), `PaymentType: "C"` (Q6), and
/// markdown escapes in CardNo that make it invalid JSON.
const GUIDE_EXAMPLE: &str = r#"{
  " PaidStatus":  0,
  " Description": "Success", 
  " PaidDate": "2022-09-22T11:03:36", 
  " PaidChannel": "บัตรเครดิต/เดบิต",
  " ConfirmPaidDate": "2022-09-22T11:03:36", 
  " RefId": "7447066", 
  " Ref1": "123456789", 
  " Ref2": "12345", 
  " CardNo": "403375\*\*\*\*\*\*6369", 
  " PaymentType": "C", 
  " Amount": 1000, 
  " FeeAmount": 0, 
  " VoidDate": "", 
  " requestRefundDate": ""
}"#;

fn guide_example_fixed() -> String {
    GUIDE_EXAMPLE.replace(r"\*", "*")
}

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dgapay-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn parse_normalizes_a_valid_callback() {
    let file = temp_file("callback.json", &guide_example_fixed());
    let run = dgapay(&["callback", "parse", file.to_str().unwrap()]);
    run.assert_code(0);
    let v = run.json();
    assert_eq!(v["paidStatus"], "Pending", "Q9: 0 is Pending");
    assert_eq!(v["paymentType"], "C", "Q6: unknown value kept raw");
    assert_eq!(v["amount"], "1000");
    assert_eq!(v["feeAmount"], "0");
    assert_eq!(v["paidDate"], "2022-09-22T11:03:36");
    assert_eq!(v["voidDate"], json!(null));
    assert_eq!(v["ref1"], "123456789");
    assert_eq!(v["cardNo"], "403375******6369");
    assert_eq!(v["paidChannel"], "บัตรเครดิต/เดบิต");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn parse_reads_stdin() {
    let body = guide_example_fixed();
    for args in [&["callback", "parse"][..], &["callback", "parse", "-"][..]] {
        let run = dgapay_with(args, &[], Some(body.as_bytes()));
        run.assert_code(0);
        assert_eq!(run.json()["refId"], "7447066");
    }
}

#[test]
fn parse_names_line_and_column_of_invalid_json() {
    let run = dgapay_with(&["callback", "parse"], &[], Some(GUIDE_EXAMPLE.as_bytes()));
    run.assert_code(1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.starts_with("error[callback]"), "{}", run.stderr);
    // The first `\*` is on line 10 of the example.
    assert!(run.stderr.contains("line 10, column"), "{}", run.stderr);
}

#[test]
fn parse_names_every_missing_field() {
    let body = r#"{"paidStatus": 1, "amount": "10.00", "cardNo": "4033"}"#;
    let run = dgapay_with(&["callback", "parse"], &[], Some(body.as_bytes()));
    run.assert_code(1);
    let missing = [
        "paidDate",
        "paidChannel",
        "confirmPaidDate",
        "refId",
        "ref1",
        "ref2",
        "paymentType",
        "feeAmount",
    ];
    for field in missing {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{field}: "))),
            "{field} not named on a line of its own:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr
            .contains(&format!("({} problems)", missing.len())),
        "{}",
        run.stderr
    );
    // --json also gives the error on stdout, every field in it.
    let run = dgapay_with(&["callback", "parse", "--json"], &[], Some(body.as_bytes()));
    run.assert_code(1);
    let err = run.json();
    assert_eq!(err["kind"], "callback");
    assert_eq!(err["errors"].as_array().unwrap().len(), missing.len());
}

#[test]
fn parse_missing_file_is_an_error() {
    // An input file that cannot be read is a bad command line.
    let run = dgapay(&["callback", "parse", "/nonexistent/dgapay/callback.json"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("error[io]: cannot read"),
        "{}",
        run.stderr
    );
}

#[test]
fn ack_accepts_and_rejects() {
    let run = dgapay(&["callback", "ack"]);
    run.assert_code(0);
    let v = run.json();
    assert_eq!(v["result"], true);
    assert_eq!(v["message"], "Success");
    assert!(v["requestTimeStamp"].as_u64().unwrap() > 1_600_000_000);

    let run = dgapay(&["callback", "ack", "--reject", "--message", "ยังไม่พร้อม"]);
    run.assert_code(0);
    let v = run.json();
    assert_eq!(v["result"], false);
    assert_eq!(v["message"], "ยังไม่พร้อม");
}

#[test]
fn checkout_renders_the_form_from_payment_json() {
    let payment = json!({
        "orderRef": "O-1", "amount": "1000.50", "merchantId": "900000001", "currCode": "764",
        "lang": "T", "payType": "N", "payMethod": "CC", "securityKey": "k\"<>",
        "gatewayUrl": "https://gateway.example/ktb/payForm",
        "successUrl": "https://agency.example/ok?a=1&b=2", "failUrl": "", "cancelUrl": "",
        "reference1": "R1", "reference2": ""
    });
    let run = dgapay_with(&["checkout"], &[], Some(payment.to_string().as_bytes()));
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("action=\"https://gateway.example/ktb/payForm\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("value=\"k&quot;&lt;&gt;\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("value=\"1000.50\""), "{}", run.stdout);

    // Refused before anything is done: bad input, 2.
    let run = dgapay_with(&["checkout"], &[], Some(b"{\"amount\": \"1\"}"));
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("error[validation]"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("orderRef"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    dgapay(&["callback"]).assert_code(2);
    dgapay(&["void", "only-one-ref"]).assert_code(2);
    dgapay(&["frobnicate"]).assert_code(2);
    dgapay(&["--help"]).assert_code(0);
}
