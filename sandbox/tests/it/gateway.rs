//! The KTB gateway page, callback delivery and simulate.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

/// The checkout form fields the agency's page posts to the gateway, from create's data.
fn checkout_fields(data: &Value) -> Vec<(String, String)> {
    [
        "merchantId",
        "amount",
        "orderRef",
        "currCode",
        "successUrl",
        "failUrl",
        "cancelUrl",
        "payType",
        "lang",
        "payMethod",
        "securityKey",
        "orderRef1",
    ]
    .iter()
    .map(|k| {
        let v = match &data[*k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        (k.to_string(), v)
    })
    .collect()
}

fn post_form(env: &Env, path: &str, fields: &[(String, String)]) -> reqwest::blocking::Response {
    env.http
        .post(format!("{}{path}", env.url))
        .form(fields)
        .send()
        .expect("form POST")
}

fn pay(env: &Env, data: &Value, action: &str) -> reqwest::blocking::Response {
    let fields = [
        (
            "orderRef".to_string(),
            data["orderRef"].as_str().unwrap().to_string(),
        ),
        (
            "securityKey".to_string(),
            data["securityKey"].as_str().unwrap().to_string(),
        ),
        ("action".to_string(), action.to_string()),
    ];
    post_form(env, "/ktb/pay", &fields)
}

#[test]
fn pay_form_shows_the_order_escaped_with_three_buttons() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("form");
    let body = with(
        create_body(&ref1),
        json!({"customerFirstName": "<b>\"Tom\" & 'Jerry'</b>", "customerLastName": "<script>x</script>"}),
    );
    let data = env.create(&token, &body);
    let response = post_form(&env, "/ktb/payForm", &checkout_fields(&data));
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().unwrap();
    for needle in [
        r#"action="/ktb/pay""#,
        r#"name="action" value="pay" id="pay""#,
        r#"name="action" value="fail" id="fail""#,
        r#"name="action" value="cancel" id="cancel""#,
        &format!(
            r#"name="orderRef" value="{}""#,
            data["orderRef"].as_str().unwrap()
        ),
        &format!(
            r#"name="securityKey" value="{}""#,
            data["securityKey"].as_str().unwrap()
        ),
        "1000.50 THB",
        "FastPay",
        "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;",
        "&lt;script&gt;x&lt;/script&gt;",
        "ชำระเงิน",
        "Pay",
    ] {
        assert!(html.contains(needle), "page lacks {needle:?}:\n{html}");
    }
    assert!(!html.contains("<script>x"), "unescaped value in:\n{html}");
    assert!(!html.contains("<b>\"Tom"), "unescaped value in:\n{html}");
}

#[test]
fn pay_form_checks_order_key_and_amount() {
    let env = start();
    let token = env.token();
    let data = env.create(&token, &create_body(&unique_ref("form-check")));
    let fields = checkout_fields(&data);
    let replace = |name: &str, value: &str| -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if k == name {
                        value.to_string()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    };
    // The amount is compared as a decimal.
    for amount in ["1000.5", "1000.50", "1000.500"] {
        assert_eq!(
            post_form(&env, "/ktb/payForm", &replace("amount", amount)).status(),
            200
        );
    }
    for (name, value) in [
        ("orderRef", "000000000000000000"),
        ("securityKey", "00"),
        ("securityKey", ""),
        ("amount", "1000.51"),
        ("amount", "abc"),
        ("amount", ""),
    ] {
        let response = post_form(&env, "/ktb/payForm", &replace(name, value));
        assert_eq!(response.status(), 400, "{name}={value}");
        assert!(response.text().unwrap().contains("<html"));
    }
    let response = env
        .http
        .get(format!("{}/ktb/payForm", env.url))
        .send()
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[test]
fn paying_on_the_gateway_redirects_and_delivers_the_callback_with_retries() {
    let receiver = Receiver::start(vec![
        (
            200,
            r#"{"requestTimeStamp": 1671095890, "message": "busy", "result": false}"#,
        ),
        (500, "oops"),
    ]);
    let env = start_with(dga_sandbox::SandboxConfig {
        callback_url: Some(receiver.url.clone()),
        ..test_config()
    });
    let token = env.token();
    let ref1 = unique_ref("gateway-pay");
    let data = env.create(
        &token,
        &with(create_body(&ref1), json!({"requestReference2": "R2"})),
    );
    assert_eq!(
        post_form(&env, "/ktb/payForm", &checkout_fields(&data)).status(),
        200
    );

    let response = pay(&env, &data, "pay");
    assert_eq!(response.status(), 303);
    let order_ref = data["orderRef"].as_str().unwrap();
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("{}/ktb/result/success?orderRef={order_ref}", env.url)
    );
    let paid = env.status_data(&token, &ref1, "R2");
    assert_eq!(paid["paidStatus"], "Success");

    // result:false, then HTTP 500, then accepted on the third attempt.
    let log = env.wait_callbacks(3);
    assert_eq!(log.len(), 3, "{log:?}");
    for (i, entry) in log.iter().enumerate() {
        assert_eq!(entry["attempt"], i as u64 + 1);
        assert_eq!(entry["reference1"], ref1.as_str());
        assert_eq!(entry["reference2"], "R2");
        assert_eq!(entry["url"], receiver.url.as_str());
    }
    assert_eq!(
        (log[0]["accepted"].clone(), log[0]["httpStatus"].clone()),
        (json!(false), json!(200))
    );
    assert!(log[0]["error"].as_str().unwrap().contains("result"));
    assert_eq!(
        (log[1]["accepted"].clone(), log[1]["httpStatus"].clone()),
        (json!(false), json!(500))
    );
    assert_eq!(
        (log[2]["accepted"].clone(), log[2]["error"].clone()),
        (json!(true), Value::Null)
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        env.control_get("callbacks").as_array().unwrap().len(),
        3,
        "no retry after acceptance"
    );

    // The body: the status fields, camelCase, enums as numbers (the guide's callback).
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    let (content_type, body) = &received[0];
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(body, log[0]["requestBody"].as_str().unwrap());
    let callback: Value = serde_json::from_str(body).unwrap();
    let mut expected = paid.clone();
    expected["paidStatus"] = json!(1);
    expected["paymentType"] = json!(3);
    assert_eq!(callback, expected);
    assert_eq!(callback["amount"].to_string(), "1000.5");

    // Paying again: 409, TransactionLocked 22.
    let response = pay(&env, &data, "pay");
    assert_eq!(response.status(), 409);
    assert!(response.text().unwrap().contains("22"));
}

#[test]
fn fail_and_cancel_redirect_to_their_pages() {
    let receiver = Receiver::start(vec![]);
    let env = start_with(dga_sandbox::SandboxConfig {
        callback_url: Some(receiver.url.clone()),
        ..test_config()
    });
    let token = env.token();
    for (action, page, state, number) in [
        ("fail", "fail", "Failed", 3),
        ("cancel", "cancel", "Rejected", 2),
    ] {
        let ref1 = unique_ref(action);
        let data = env.create(
            &token,
            &with(create_body(&ref1), json!({"paymentType": "QRPayment"})),
        );
        let response = pay(&env, &data, action);
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(
            location,
            format!(
                "{}/ktb/result/{page}?orderRef={}",
                env.url,
                data["orderRef"].as_str().unwrap()
            )
        );
        let status = env.status_data(&token, &ref1, "");
        assert_eq!(status["paidStatus"], state);
        assert_eq!(status["paidDate"], "");
        assert_eq!(status["refId"], "");
        assert_eq!(status["cardNo"], Value::Null);
        // The result page shows the order.
        let page_html = env.http.get(&location).send().unwrap().text().unwrap();
        assert!(page_html.contains(data["orderRef"].as_str().unwrap()));
        assert!(page_html.contains(state));
        let log = env.wait_callbacks(if action == "fail" { 1 } else { 2 });
        let last: Value =
            serde_json::from_str(log.last().unwrap()["requestBody"].as_str().unwrap()).unwrap();
        assert_eq!(
            (last["paidStatus"].clone(), last["paymentType"].clone()),
            (json!(number), json!(5))
        );
    }
}

#[test]
fn gateway_refusals() {
    let env = start();
    let token = env.token();
    // Closed by the agency: 409 mentioning error 14.
    let ref1 = unique_ref("refuse");
    let data = env.create(&token, &create_body(&ref1));
    env.post(PREFIXES[0], "close", &token, &json!({"reference1": ref1}));
    let response = pay(&env, &data, "pay");
    assert_eq!(response.status(), 409);
    assert!(response.text().unwrap().contains("14"));
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Expired");

    let data = env.create(&token, &create_body(&unique_ref("refuse")));
    // Unknown action, bad key, unknown order: 400; nothing changes.
    assert_eq!(pay(&env, &data, "steal").status(), 400);
    assert_eq!(pay(&env, &data, "").status(), 400);
    let mut bad_key = data.clone();
    bad_key["securityKey"] = json!("0".repeat(64));
    assert_eq!(pay(&env, &bad_key, "pay").status(), 400);
    let mut unknown = data.clone();
    unknown["orderRef"] = json!("199901010000000000");
    assert_eq!(pay(&env, &unknown, "pay").status(), 400);
    assert_eq!(
        env.http
            .get(format!("{}/ktb/pay", env.url))
            .send()
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        env.http
            .get(format!("{}/ktb/elsewhere", env.url))
            .send()
            .unwrap()
            .status(),
        404
    );
    // Failed then pay: 409, 22.
    assert_eq!(pay(&env, &data, "fail").status(), 303);
    let response = pay(&env, &data, "pay");
    assert_eq!(response.status(), 409);
    assert!(response.text().unwrap().contains("22"));
    // Gateway requests are in the request log.
    assert!(env.logged("gateway").len() >= 8);
}

#[test]
fn configured_result_urls_are_used() {
    let env = start();
    let (status, _) = env.control_post(
        "config",
        &json!({"successUrl": "https://agency.example/paid?lang=th", "failUrl": "https://agency.example/failed", "cancelUrl": null}),
    );
    assert_eq!(status, 200);
    let token = env.token();
    let data = env.create(&token, &create_body(&unique_ref("urls")));
    assert_eq!(data["successUrl"], "https://agency.example/paid?lang=th");
    assert_eq!(data["failUrl"], "https://agency.example/failed");
    assert_eq!(data["cancelUrl"], format!("{}/ktb/result/cancel", env.url));
    let response = pay(&env, &data, "pay");
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!(
            "https://agency.example/paid?lang=th&orderRef={}",
            data["orderRef"].as_str().unwrap()
        )
    );
}

#[test]
fn callbacks_give_up_after_max_attempts() {
    let receiver = Receiver::start(vec![(503, "down"); 10]);
    let env = start_with(dga_sandbox::SandboxConfig {
        callback_url: Some(receiver.url.clone()),
        callback_max_attempts: 3,
        ..test_config()
    });
    let token = env.token();
    let ref1 = unique_ref("give-up");
    env.create(&token, &create_body(&ref1));
    env.simulate(&ref1, "pay");
    let log = env.wait_callbacks(3);
    std::thread::sleep(Duration::from_millis(300));
    let log_after = env.control_get("callbacks");
    assert_eq!(log_after.as_array().unwrap().len(), 3, "{log_after}");
    assert!(
        log.iter()
            .all(|e| e["accepted"] == false && e["httpStatus"] == 503)
    );
    assert_eq!(receiver.received().len(), 3);
}

#[test]
fn callback_transport_errors_are_logged_and_retried() {
    // A port with nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/callback", closed.local_addr().unwrap());
    drop(closed);
    let env = start_with(dga_sandbox::SandboxConfig {
        callback_url: Some(url),
        callback_max_attempts: 2,
        ..test_config()
    });
    let token = env.token();
    let ref1 = unique_ref("transport");
    env.create(&token, &create_body(&ref1));
    env.simulate(&ref1, "cancel");
    let log = env.wait_callbacks(2);
    assert_eq!(log.len(), 2);
    for entry in &log {
        assert_eq!(entry["httpStatus"], Value::Null);
        assert_eq!(entry["accepted"], false);
        assert_eq!(entry["responseBody"], Value::Null);
        assert!(!entry["error"].as_str().unwrap().is_empty());
    }
}

#[test]
fn simulate_applies_outcomes() {
    let receiver = Receiver::start(vec![]);
    let env = start_with(dga_sandbox::SandboxConfig {
        callback_url: Some(receiver.url.clone()),
        ..test_config()
    });
    let token = env.token();
    let ref1 = unique_ref("simulate");
    env.create(
        &token,
        &with(create_body(&ref1), json!({"requestReference2": "B"})),
    );
    // Unknown transaction (reference2 is part of the identity): 404, errorCode 8.
    let (status, body) = env.simulate(&ref1, "pay");
    assert_eq!((status, body["errorCode"].clone()), (404, json!(8)));
    assert!(body["error"].is_string());

    let (status, data) = env.control_post(
        "simulate",
        &json!({"reference1": ref1, "reference2": "B", "outcome": "pay"}),
    );
    assert_eq!(status, 200);
    assert_eq!(data, env.status_data(&token, &ref1, "B"));
    let (status, body) = env.control_post(
        "simulate",
        &json!({"reference1": ref1, "reference2": "B", "outcome": "fail"}),
    );
    assert_eq!((status, body["errorCode"].clone()), (409, json!(22)));

    let closed = unique_ref("simulate-closed");
    env.create(&token, &create_body(&closed));
    env.post(PREFIXES[0], "close", &token, &json!({"reference1": closed}));
    let (status, body) = env.simulate(&closed, "pay");
    assert_eq!((status, body["errorCode"].clone()), (409, json!(14)));

    // deliverCallback false: the state changes, no callback is sent.
    let quiet = unique_ref("simulate-quiet");
    env.create(&token, &create_body(&quiet));
    let (status, data) = env.control_post(
        "simulate",
        &json!({"reference1": quiet, "outcome": "CANCEL", "deliverCallback": false}),
    );
    assert_eq!(
        (status, data["paidStatus"].clone()),
        (200, json!("Rejected"))
    );
    let log = env.wait_callbacks(1);
    std::thread::sleep(Duration::from_millis(200));
    let log_after = env.control_get("callbacks");
    assert_eq!(log_after.as_array().unwrap().len(), 1, "{log_after}");
    assert_eq!(log[0]["reference1"], ref1.as_str());

    // Bad requests: 400.
    for body in [
        json!({"reference1": quiet, "outcome": "refund"}),
        json!({"outcome": "pay"}),
        json!({"reference1": quiet}),
        json!({"reference1": quiet, "outcome": "pay", "deliverCallback": "yes"}),
        json!({"reference1": quiet, "outcome": "pay", "extra": 1}),
        json!([1]),
    ] {
        let (status, answer) = env.control_post("simulate", &body);
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["error"].is_string());
    }
}
