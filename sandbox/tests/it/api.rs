//! The DGA endpoints: token, create, close, void, status, and their business rules.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

fn token_request(env: &Env, key: Option<&str>, query: &[(&str, &str)]) -> (u16, Value) {
    let mut request = env
        .http
        .get(format!("{}/ws/auth/validate", env.url))
        .query(query);
    if let Some(key) = key {
        request = request.header("Consumer-Key", key);
    }
    json_of(request.send().expect("token request"))
}

#[test]
fn token_ok_is_a_uuid_v4_under_result() {
    let env = start();
    let (status, body) = token_request(
        &env,
        Some("sandbox-key"),
        &[("ConsumerSecret", "sandbox-secret"), ("AgentID", AGENT_ID)],
    );
    assert_eq!(status, 200);
    let token = uuid::Uuid::parse_str(body["Result"].as_str().unwrap()).unwrap();
    assert_eq!(token.get_version_num(), 4);
    // Query parameter names are matched case-insensitively, as ASP.NET does.
    let (status, _) = token_request(
        &env,
        Some("sandbox-key"),
        &[
            ("consumersecret", "sandbox-secret"),
            ("agentid", "1234567890121"),
        ],
    );
    assert_eq!(status, 200);
}

#[test]
fn token_bad_credentials_are_401() {
    let env = start();
    let expected = json!({"Result": null, "Message": "Invalid Consumer-Key or ConsumerSecret"});
    let good = [("ConsumerSecret", "sandbox-secret"), ("AgentID", AGENT_ID)];
    for (key, query) in [
        (Some("wrong-key"), &good[..]),
        (None, &good[..]),
        (
            Some("sandbox-key"),
            &[("ConsumerSecret", "wrong"), ("AgentID", AGENT_ID)][..],
        ),
        (Some("sandbox-key"), &[("AgentID", AGENT_ID)][..]),
    ] {
        assert_eq!(token_request(&env, key, query), (401, expected.clone()));
    }
}

#[test]
fn token_agent_id_must_be_13_digits() {
    let env = start();
    let expected = json!({"Result": null, "Message": "AgentID must be 13 digits"});
    for agent in [
        "123456789012",
        "12345678901234",
        "123456789012a",
        " 1234567890123",
        "๑๒๓๔๕๖๗๘๙๐๑๒๓",
    ] {
        let (status, body) = token_request(
            &env,
            Some("sandbox-key"),
            &[("ConsumerSecret", "sandbox-secret"), ("AgentID", agent)],
        );
        assert_eq!((status, &body), (400, &expected), "AgentID {agent:?}");
    }
    let (status, _) = token_request(
        &env,
        Some("sandbox-key"),
        &[("ConsumerSecret", "sandbox-secret")],
    );
    assert_eq!(status, 400);
    // The check digit is not checked: DGA's own example 1234567890123 fails it.
    assert!(!env.token().is_empty());
}

#[test]
fn every_endpoint_works_under_every_prefix_and_they_share_state() {
    let env = start();
    let token = env.token();
    for prefix in PREFIXES {
        let ref1 = unique_ref("prefix");
        let (status, created) = env.post(prefix, "create", &token, &create_body(&ref1));
        assert_eq!(
            (status, created["status"].clone()),
            (200, json!(0)),
            "{prefix}: {created}"
        );
        // Created under one prefix, visible under all three.
        for other in PREFIXES {
            let (status, envelope) = env.status_at(other, &token, &ref1, "");
            assert_eq!(status, 200);
            assert_eq!(envelope["data"]["paidStatus"], "Pending", "{other}");
        }
        let (status, closed) = env.post(
            prefix,
            "close",
            &token,
            &json!({"reference1": ref1, "reference2": ""}),
        );
        assert_eq!(
            (status, closed),
            (
                200,
                json!({"status": 0, "errorCode": null, "message": "Success", "data": null})
            )
        );

        let paid = unique_ref("prefix-void");
        env.create(&token, &create_body(&paid));
        let (_, data) = env.simulate(&paid, "pay");
        let body = json!({"reference1": paid, "reference2": "", "paymentReference": data["refId"]});
        let (status, voided) = env.post(prefix, "void", &token, &body);
        assert_eq!(
            (status, voided["status"].clone()),
            (200, json!(0)),
            "{voided}"
        );
    }
}

#[test]
fn wrong_method_is_405_envelope() {
    let env = start();
    let token = env.token();
    for prefix in PREFIXES {
        for (method, op) in [
            ("GET", "create"),
            ("GET", "close"),
            ("PUT", "void"),
            ("POST", "status"),
        ] {
            let response = env
                .http
                .request(method.parse().unwrap(), format!("{}{prefix}{op}", env.url))
                .header("Consumer-Key", "sandbox-key")
                .header("Token", &token)
                .send()
                .unwrap();
            let (status, body) = json_of(response);
            assert_eq!(status, 405, "{method} {prefix}{op}");
            assert_eq!(body["status"], 3);
            assert_eq!(body["errorCode"], 1);
            assert_eq!(body["data"], Value::Null);
        }
    }
}

#[test]
fn payment_calls_need_key_and_live_token() {
    let env = start();
    let token = env.token();
    let expected = json!({"status": 3, "errorCode": 999, "message": "Unauthorized: invalid or expired token", "data": null});
    let body = create_body(&unique_ref("auth"));
    assert_eq!(
        env.post(PREFIXES[0], "create", "not-a-token", &body),
        (401, expected.clone())
    );
    assert_eq!(env.status("", "x", ""), (401, expected.clone()));
    let response = env
        .http
        .post(format!("{}{}create", env.url, PREFIXES[1]))
        .header("Consumer-Key", "other-key")
        .header("Token", &token)
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(json_of(response), (401, expected.clone()));
    let response = env
        .http
        .get(format!("{}{}status?reference1=x", env.url, PREFIXES[2]))
        .header("Token", &token)
        .send()
        .unwrap();
    assert_eq!(json_of(response), (401, expected));
}

#[test]
fn tokens_expire_after_their_ttl() {
    let env = start_with(dga_sandbox::SandboxConfig {
        token_ttl: Some(Duration::from_millis(300)),
        ..test_config()
    });
    let token = env.token();
    assert_eq!(env.status(&token, "none", "").0, 200);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(env.status(&token, "none", "").0, 401);
    assert_eq!(env.status(&env.token(), "none", "").0, 200);
}

#[test]
fn invalid_json_is_400_with_line_and_column() {
    let env = start();
    let token = env.token();
    for (body, needle) in [
        (&b"{\"amount\": 1,}"[..], "line 1 column 14"),
        (b"{\n  \"a\": 1 2\n}", "line 2 column 10"),
        (b"", "line 1 column 0"),
        (b"\xff\xfe", "line 1 column 1"),
        (b"[1, 2]", "JSON object"),
        (b"\"text\"", "JSON object"),
        (b"null", "JSON object"),
    ] {
        for op in ["create", "close", "void"] {
            let (status, envelope) = env.post_raw(PREFIXES[0], op, &token, body.to_vec());
            assert_eq!(status, 400, "{op} {body:?}: {envelope}");
            assert_eq!(envelope["status"], 3);
            assert_eq!(envelope["errorCode"], 1);
            let message = envelope["message"].as_str().unwrap();
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
    }
}

#[test]
fn a_utf8_byte_order_mark_is_ignored() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("bom");
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(create_body(&ref1).to_string().into_bytes());
    let (status, envelope) = env.post_raw(PREFIXES[0], "create", &token, body);
    assert_eq!(
        (status, envelope["status"].clone()),
        (200, json!(0)),
        "{envelope}"
    );
    // Only at the start.
    let (status, _) = env.post_raw(PREFIXES[0], "close", &token, b" \xEF\xBB\xBF{}".to_vec());
    assert_eq!(status, 400);
}

fn business_error(env: &Env, token: &str, op: &str, body: &Value) -> (u64, String) {
    let (status, envelope) = env.post(PREFIXES[0], op, token, body);
    assert_eq!(status, 200, "business errors are HTTP 200: {envelope}");
    assert_eq!(envelope["status"], 3, "{envelope}");
    assert_eq!(envelope["data"], Value::Null, "{envelope}");
    (
        envelope["errorCode"].as_u64().expect("errorCode"),
        envelope["message"].as_str().expect("message").to_string(),
    )
}

#[test]
fn create_lists_every_missing_field() {
    let env = start();
    let token = env.token();
    let (code, message) = business_error(&env, &token, "create", &json!({}));
    assert_eq!(code, 3);
    for name in [
        "customerID",
        "customerTitleName",
        "customerFirstName",
        "customerLastName",
        "bankCode",
        "paymentType",
        "amount",
        "requestReference1",
        "source",
    ] {
        assert!(message.contains(name), "{message:?} lacks {name}");
    }
    for optional in [
        "customerMiddleName",
        "requestReference2",
        "requestReference3",
    ] {
        assert!(
            !message.contains(optional),
            "{message:?} names optional {optional}"
        );
    }
    // Blank and null values count as missing; the other fields are not named.
    let body = with(
        create_body(&unique_ref("missing")),
        json!({"customerFirstName": "   ", "amount": null}),
    );
    let (code, message) = business_error(&env, &token, "create", &body);
    assert_eq!(code, 3);
    assert!(
        message.contains("customerFirstName") && message.contains("amount"),
        "{message}"
    );
    assert!(!message.contains("customerLastName"), "{message}");
    // A field of the wrong type is invalid data too.
    let body = with(
        create_body(&unique_ref("type")),
        json!({"customerLastName": {"a": 1}}),
    );
    let (code, message) = business_error(&env, &token, "create", &body);
    assert_eq!(code, 3);
    assert!(message.contains("customerLastName"), "{message}");
}

#[test]
fn create_business_rules_in_order() {
    let env = start();
    let token = env.token();
    let body = || create_body(&unique_ref("rules"));

    // Unknown source: 2.
    let (code, message) = business_error(
        &env,
        &token,
        "create",
        &with(body(), json!({"source": "NOPE"})),
    );
    assert_eq!(code, 2, "{message}");
    assert!(message.contains("NOPE"));
    // Missing fields are reported before the source.
    let (code, _) = business_error(
        &env,
        &token,
        "create",
        &with(body(), json!({"source": "NOPE", "customerID": ""})),
    );
    assert_eq!(code, 3);

    // Bank code: KTB in any case, or 2; anything else is 3.
    for bank in [json!("ktb"), json!(2), json!("2"), json!(" KTB ")] {
        env.create(&token, &with(body(), json!({"bankCode": bank})));
    }
    for bank in [json!("CGD"), json!(1), json!("SCB"), json!(true)] {
        let (code, message) = business_error(
            &env,
            &token,
            "create",
            &with(body(), json!({"bankCode": bank})),
        );
        assert_eq!(code, 3, "bankCode {bank}");
        assert!(message.contains("bankCode"), "{message}");
    }

    // Payment types: names any case or numbers; only FastPay and QRPayment.
    for (payment_type, method) in [
        (json!("fastpay"), "CC"),
        (json!(3), "CC"),
        (json!("QRPAYMENT"), "QR"),
        (json!(5), "QR"),
        (json!("5"), "QR"),
    ] {
        let data = env.create(&token, &with(body(), json!({"paymentType": payment_type})));
        assert_eq!(data["payMethod"], method, "{payment_type}");
    }
    for payment_type in [
        json!("BillPayment"),
        json!(1),
        json!("DirectLink"),
        json!("PageToPage"),
        json!(4),
        json!("AppToApp"),
        json!(6),
        json!("Bitcoin"),
        json!(42),
    ] {
        let (code, message) = business_error(
            &env,
            &token,
            "create",
            &with(body(), json!({"paymentType": payment_type})),
        );
        assert_eq!(code, 11, "paymentType {payment_type}: {message}");
    }

    // Amount: 7 for anything but a positive decimal with at most 2 places.
    for amount in [
        json!("0"),
        json!(0),
        json!("-1"),
        json!(-0.5),
        json!("0.001"),
        json!("1.005"),
        json!("0.30000000000000004"),
        json!("abc"),
        json!("1,000"),
        json!(true),
        json!([1]),
        json!("1e-3"),
        json!("1e40"),
    ] {
        let (code, message) = business_error(
            &env,
            &token,
            "create",
            &with(body(), json!({"amount": amount})),
        );
        assert_eq!(code, 7, "amount {amount}: {message}");
    }

    // Duplicate requestReference1: 21, whatever reference2 is.
    let ref1 = unique_ref("dup");
    env.create(&token, &create_body(&ref1));
    let (code, message) = business_error(
        &env,
        &token,
        "create",
        &with(create_body(&ref1), json!({"requestReference2": "other"})),
    );
    assert_eq!(code, 21, "{message}");
    // Business errors create nothing.
    let listed = env.control_get("transactions");
    let refs: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ref1"].as_str().unwrap())
        .collect();
    assert_eq!(refs.iter().filter(|r| **r == ref1).count(), 1);
}

#[test]
fn create_response_has_the_guide_shape() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("shape");
    let data = env.create(&token, &create_body(&ref1));
    let keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "orderRef",
            "orderRef1",
            "orderRef2",
            "amount",
            "merchantId",
            "currCode",
            "lang",
            "payType",
            "payMethod",
            "securityKey",
            "gatewayUrl",
            "successUrl",
            "failUrl",
            "cancelUrl"
        ]
    );
    let order_ref = data["orderRef"].as_str().unwrap();
    assert_eq!(order_ref.len(), 18);
    assert!(order_ref.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(data["orderRef1"], ref1.as_str());
    assert_eq!(data["orderRef2"], Value::Null);
    assert_eq!(data["merchantId"], "900000001");
    assert_eq!(data["currCode"], "764");
    assert_eq!(data["lang"], "T");
    assert_eq!(data["payType"], "N");
    assert_eq!(data["payMethod"], "CC");
    let key = data["securityKey"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    );
    assert_eq!(data["gatewayUrl"], format!("{}/ktb/payForm", env.url));
    assert_eq!(
        data["successUrl"],
        format!("{}/ktb/result/success", env.url)
    );
    assert_eq!(data["failUrl"], format!("{}/ktb/result/fail", env.url));
    assert_eq!(data["cancelUrl"], format!("{}/ktb/result/cancel", env.url));

    // orderRef2 carries requestReference2 when given; order refs and keys are unique.
    let other = env.create(
        &token,
        &with(
            create_body(&unique_ref("shape")),
            json!({"requestReference2": "R2"}),
        ),
    );
    assert_eq!(other["orderRef2"], "R2");
    assert_ne!(other["orderRef"], data["orderRef"]);
    assert_ne!(other["securityKey"], data["securityKey"]);
}

#[test]
fn order_refs_are_unique_across_many_creates() {
    let env = start();
    let token = env.token();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let data = env.create(&token, &create_body(&unique_ref("many")));
        assert!(seen.insert(data["orderRef"].as_str().unwrap().to_string()));
    }
}

#[test]
fn amounts_are_exact_decimals() {
    let env = start();
    let token = env.token();
    for (sent, expected) in [
        (json!("1000.50"), "1000.5"),
        (json!("1000"), "1000"),
        (json!(" 0.30 "), "0.3"),
        (json!("0.1"), "0.1"),
        (json!("1e3"), "1000"),
        (json!("12345678901234567890.12"), "12345678901234567890.12"),
        (serde_json::from_str::<Value>("2.50").unwrap(), "2.5"),
        (serde_json::from_str::<Value>("1.5E+2").unwrap(), "150"),
        (
            serde_json::from_str::<Value>("99999999999999999999999.99").unwrap(),
            "99999999999999999999999.99",
        ),
    ] {
        let ref1 = unique_ref("amount");
        let data = env.create(&token, &with(create_body(&ref1), json!({"amount": sent})));
        assert_eq!(
            data["amount"].to_string(),
            expected,
            "create amount for {sent}"
        );
        let status = env.status_data(&token, &ref1, "");
        assert_eq!(
            status["amount"].to_string(),
            expected,
            "status amount for {sent}"
        );
    }
    // The raw response text carries the exact number.
    let ref1 = unique_ref("raw");
    let response = env.create_request(&token, &create_body(&ref1)).unwrap();
    assert!(response.text().unwrap().contains(r#""amount":1000.5,"#));
}

#[test]
fn keys_are_matched_case_insensitively_after_trimming() {
    let env = start();
    let token = env.token();
    // The guide's create example (PascalCase), without its trailing comma, plus a key with a
    // leading space.
    let body = r#"{
        "Source": "DGA",
        "CustomerID": "1234567890123",
        "CustomerTitleName": "นาย",
        "CustomerFirstName": "ทดสอบ",
        "CustomerMiddleName": "",
        "CustomerLastName": "ระบบ",
        "BankCode": "KTB",
        "PaymentType": "FastPay",
        "Amount": "1000",
        "RequestReference1": "guide-123456789",
        " RequestReference2 ": "12345",
        "REQUESTREFERENCE3": ""
    }"#;
    let (status, envelope) = env.post_raw(PREFIXES[2], "create", &token, body.as_bytes().to_vec());
    assert_eq!(status, 200);
    assert_eq!(envelope["status"], 0, "{envelope}");
    assert_eq!(envelope["data"]["orderRef1"], "guide-123456789");
    assert_eq!(envelope["data"]["orderRef2"], "12345");
    assert_eq!(envelope["data"]["amount"].to_string(), "1000");

    let (status, envelope) = json_of(
        env.http
            .get(format!(
                "{}{}status?Reference1=guide-123456789&REFERENCE2=12345",
                env.url, PREFIXES[2]
            ))
            .header("consumer-key", "sandbox-key")
            .header("token", &token)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, envelope["data"]["ref2"].clone()),
        (200, json!("12345"))
    );

    let (status, envelope) = env.post(
        PREFIXES[0],
        "close",
        &token,
        &json!({" Reference1": "guide-123456789", "REFERENCE2 ": "12345"}),
    );
    assert_eq!(
        (status, envelope["status"].clone()),
        (200, json!(0)),
        "{envelope}"
    );
}

#[test]
fn status_reports_the_transaction() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("status");
    env.create(
        &token,
        &with(create_body(&ref1), json!({"requestReference2": "R2"})),
    );

    let pending = env.status_data(&token, &ref1, "R2");
    assert_eq!(
        pending,
        json!({
            "paidStatus": "Pending", "description": null, "paidDate": "", "paidChannel": "",
            "confirmPaidDate": "", "refId": "", "ref1": ref1, "ref2": "R2", "cardNo": null,
            "paymentType": "FastPay", "amount": pending["amount"], "feeAmount": 0,
            "voidDate": "", "requestRefundDate": ""
        })
    );
    assert_eq!(pending["amount"].to_string(), "1000.5");

    let (code, _) = env.control_post(
        "simulate",
        &json!({"reference1": ref1, "reference2": "R2", "outcome": "pay"}),
    );
    assert_eq!(code, 200);
    let paid = env.status_data(&token, &ref1, "R2");
    assert_eq!(paid["paidStatus"], "Success");
    assert_eq!(paid["description"], "ชำระเงินสำเร็จ");
    assert_eq!(paid["paidChannel"], "บัตรเครดิต/เดบิต");
    assert_eq!(paid["cardNo"], "403375******6369");
    let paid_date = paid["paidDate"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(paid_date, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "{paid_date}"
    );
    // Bangkok local time: within a minute of UTC+7 now.
    let bangkok_now = chrono::Utc::now().naive_utc() + chrono::Duration::hours(7);
    let paid_at = chrono::NaiveDateTime::parse_from_str(paid_date, "%Y-%m-%dT%H:%M:%S").unwrap();
    assert!(
        (bangkok_now - paid_at).num_seconds().abs() < 60,
        "{paid_date}"
    );
    assert_eq!(paid["confirmPaidDate"], paid_date);
    let ref_id = paid["refId"].as_str().unwrap();
    assert!(
        ref_id.len() == 7 && ref_id.bytes().all(|b| b.is_ascii_digit()),
        "{ref_id}"
    );

    // Missing reference1: 3; unknown or wrong reference2: 8.
    let (status, envelope) = json_of(
        env.http
            .get(format!("{}{}status?reference2=R2", env.url, PREFIXES[0]))
            .header("Consumer-Key", "sandbox-key")
            .header("Token", &token)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, envelope["errorCode"].clone()),
        (200, json!(3)),
        "{envelope}"
    );
    assert!(envelope["message"].as_str().unwrap().contains("reference1"));
    for (r1, r2) in [("nope", ""), (ref1.as_str(), ""), (ref1.as_str(), "R3")] {
        let (status, envelope) = env.status(&token, r1, r2);
        assert_eq!(status, 200);
        assert_eq!(
            (envelope["status"].clone(), envelope["errorCode"].clone()),
            (json!(3), json!(8))
        );
    }
}

#[test]
fn qr_payments_have_their_own_channel_and_no_card() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("qr");
    env.create(
        &token,
        &with(create_body(&ref1), json!({"paymentType": "QRPayment"})),
    );
    env.simulate(&ref1, "pay");
    let paid = env.status_data(&token, &ref1, "");
    assert_eq!(paid["paymentType"], "QRPayment");
    assert_eq!(paid["paidChannel"], "คิวอาร์โค้ด");
    assert_eq!(paid["cardNo"], Value::Null);
}

#[test]
fn close_rules() {
    let env = start();
    let token = env.token();
    let close = |ref1: &str| env.post(PREFIXES[0], "close", &token, &json!({"reference1": ref1}));

    // Pending → Expired; closing again is fine and changes nothing.
    let ref1 = unique_ref("close");
    env.create(&token, &create_body(&ref1));
    assert_eq!(close(&ref1).1["status"], 0);
    let closed = env.status_data(&token, &ref1, "");
    assert_eq!(closed["paidStatus"], "Expired");
    assert_eq!(closed["description"], "หมดอายุ");
    assert_eq!(close(&ref1).1["status"], 0);
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Expired");

    // Failed and Rejected stay as they are.
    for (outcome, state) in [("fail", "Failed"), ("cancel", "Rejected")] {
        let ref1 = unique_ref("close");
        env.create(&token, &create_body(&ref1));
        env.simulate(&ref1, outcome);
        assert_eq!(close(&ref1).1["status"], 0);
        assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], state);
    }

    // Paid (Success, Void) cannot be closed: 14.
    let ref1 = unique_ref("close-paid");
    env.create(&token, &create_body(&ref1));
    let (_, paid) = env.simulate(&ref1, "pay");
    let (code, message) = business_error(&env, &token, "close", &json!({"reference1": ref1}));
    assert_eq!(code, 14, "{message}");
    env.post(
        PREFIXES[0],
        "void",
        &token,
        &json!({"reference1": ref1, "paymentReference": paid["refId"]}),
    );
    assert_eq!(
        business_error(&env, &token, "close", &json!({"reference1": ref1})).0,
        14
    );
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Void");

    // Unknown: 8; missing reference1: 3; reference2 null means "".
    assert_eq!(
        business_error(&env, &token, "close", &json!({"reference1": "nope"})).0,
        8
    );
    assert_eq!(
        business_error(&env, &token, "close", &json!({"reference2": "x"})).0,
        3
    );
    assert_eq!(
        business_error(&env, &token, "close", &json!({"reference1": " "})).0,
        3
    );
    let ref1 = unique_ref("close-null");
    env.create(&token, &create_body(&ref1));
    let (_, envelope) = env.post(
        PREFIXES[0],
        "close",
        &token,
        &json!({"reference1": ref1, "reference2": null}),
    );
    assert_eq!(envelope["status"], 0);
}

#[test]
fn void_rules() {
    let env = start();
    let token = env.token();
    let void = |ref1: &str, payment_ref: &Value| {
        business_error(
            &env,
            &token,
            "void",
            &json!({"reference1": ref1, "reference2": "", "paymentReference": payment_ref}),
        )
    };

    let ref1 = unique_ref("void");
    env.create(&token, &create_body(&ref1));
    // Pending cannot be voided: 19.
    assert_eq!(void(&ref1, &json!("1234567")).0, 19);
    let (_, paid) = env.simulate(&ref1, "pay");
    // Wrong payment reference: 19.
    assert_eq!(void(&ref1, &json!("0000000")).0, 19);
    // The right one voids it.
    let (status, envelope) = env.post(
        PREFIXES[1],
        "void",
        &token,
        &json!({"reference1": ref1, "reference2": "", "paymentReference": paid["refId"]}),
    );
    assert_eq!(
        (status, envelope),
        (
            200,
            json!({"status": 0, "errorCode": null, "message": "Success", "data": null})
        )
    );
    let voided = env.status_data(&token, &ref1, "");
    assert_eq!(voided["paidStatus"], "Void");
    assert_eq!(voided["description"], "ยกเลิกการชำระเงิน");
    assert!(!voided["voidDate"].as_str().unwrap().is_empty());
    assert_eq!(voided["paidDate"], paid["paidDate"]);
    // Twice: 19.
    assert_eq!(void(&ref1, &paid["refId"]).0, 19);

    // QR payments cannot be voided: 11.
    let qr = unique_ref("void-qr");
    env.create(
        &token,
        &with(create_body(&qr), json!({"paymentType": "QRPayment"})),
    );
    let (_, paid) = env.simulate(&qr, "pay");
    assert_eq!(void(&qr, &paid["refId"]).0, 11);

    // Failed FastPay: 19. Unknown: 8. Missing fields: 3, all named.
    let failed = unique_ref("void-failed");
    env.create(&token, &create_body(&failed));
    env.simulate(&failed, "fail");
    assert_eq!(void(&failed, &json!("1234567")).0, 19);
    assert_eq!(void("nope", &json!("1234567")).0, 8);
    let (code, message) = business_error(&env, &token, "void", &json!({"reference2": ""}));
    assert_eq!(code, 3);
    assert!(
        message.contains("reference1") && message.contains("paymentReference"),
        "{message}"
    );
}

#[test]
fn data_is_stored_untouched() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("data");
    // Parsed from text, so that 2.50 keeps its exact form (json! would go through f64).
    let extra: Value = serde_json::from_str(
        r#"{"invoice": "INV-1", "items": [1, 2.50, "ก"], "nested": {"a": null}}"#,
    )
    .unwrap();
    env.create(&token, &with(create_body(&ref1), json!({"data": extra})));
    let listed = env.control_get("transactions");
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ref1"] == ref1.as_str())
        .unwrap();
    assert_eq!(row["data"], extra);
    assert_eq!(row["data"]["items"][1].to_string(), "2.50");
}
