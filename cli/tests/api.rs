//! `token`, `create`, `status`, `close`, `void` against a sandbox started in the test.

mod common;

use common::{AGENT_ID, Sandbox, create_flags, dgapay_with};
use serde_json::json;

#[test]
fn token_is_masked_unless_revealed() {
    let sb = Sandbox::start();
    let run = sb.run(&["token"]);
    run.assert_code(0);
    let line = run.stdout.lines().next().unwrap();
    assert!(
        line.starts_with("token:") && line.ends_with('…'),
        "{}",
        run.stdout
    );
    let shown = line
        .trim_start_matches("token:")
        .trim()
        .trim_end_matches('…');
    assert_eq!(shown.chars().count(), 4, "{}", run.stdout);
    assert!(run.stdout.contains("age:"), "{}", run.stdout);

    let v = sb
        .run(&["token", "--json", "--reveal"])
        .assert_code(0)
        .json();
    assert_eq!(v["revealed"], true);
    let token = v["token"].as_str().unwrap();
    assert!(token.len() > 8 && !token.contains('…'), "{v}");
}

/// The text form masks the fields the schema marks secret (the securityKey); `--json` keeps
/// them, as `dgapay checkout` needs the key.
#[test]
fn create_masks_the_security_key_in_text_only() {
    let sb = Sandbox::start();
    let text = sb.run(&create_flags("INV-50", "FastPay"));
    text.assert_code(0);
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with("securityKey:"))
        .unwrap_or_else(|| panic!("no securityKey line: {}", text.stdout));
    let shown = line.trim_start_matches("securityKey:").trim();
    assert!(
        shown.ends_with('…') && shown.chars().count() <= 5,
        "{}",
        text.stdout
    );

    let p = sb
        .run(&[&create_flags("INV-51", "FastPay")[..], &["--json"]].concat())
        .assert_code(0)
        .json();
    let key = p["securityKey"].as_str().unwrap();
    assert!(key.chars().count() > 8 && !key.contains('…'), "{p}");
}

/// Refused before anything is sent, so a bad command line (2), not a failure at DGA (1): an
/// empty reference, an AgentID that fails its check, an unknown environment, an amount with
/// three decimals. DGA's refusals stay 1.
#[test]
fn bad_values_exit_2() {
    let sb = Sandbox::start();
    let env = [
        ("DGA_CONSUMER_KEY", "sandbox-key"),
        ("DGA_CONSUMER_SECRET", "sandbox-secret"),
        ("DGA_AGENT_ID", AGENT_ID),
        ("DGA_GATEWAY_URL", &sb.url),
    ];
    for (args, field) in [
        (&["status", ""][..], "reference1"),
        (&["--agent-id", "123", "status", "X"], "agentId"),
        (&["--environment", "bogus", "status", "X"], "environment"),
    ] {
        let run = dgapay_with(args, &env, None);
        run.assert_code(2);
        assert!(
            run.stderr.contains(&format!("  {field}: ")),
            "{}",
            run.stderr
        );
    }
    let mut args = create_flags("INV-52", "FastPay");
    let at = args.iter().position(|a| *a == "1000.50").unwrap();
    args[at] = "1.001";
    let run = sb.run(&args);
    run.assert_code(2);
    assert!(run.stderr.contains("  amount: "), "{}", run.stderr);
    assert_eq!(sb.calls_to("create"), 0, "nothing may reach DGA");
    assert_eq!(sb.calls_to("status"), 0, "nothing may reach DGA");
    sb.run(&["status", "NO-SUCH"]).assert_code(1);
}

#[test]
fn create_status_close_with_flags() {
    let sb = Sandbox::start();
    let created = sb.run(&[&create_flags("INV-10", "FastPay")[..], &["--json"]].concat());
    created.assert_code(0);
    let p = created.json();
    assert_eq!(p["reference1"], "INV-10");
    assert_eq!(p["reference2"], "B-2");
    assert_eq!(
        p["amount"].as_str().map(|a| a.parse::<f64>().unwrap()),
        Some(1000.5)
    );
    assert!(p["gatewayUrl"].as_str().unwrap().starts_with(&sb.url));

    let s = sb
        .run(&["status", "INV-10", "B-2", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(s["paidStatus"], "Pending");
    assert_eq!(s["ref1"], "INV-10");
    assert!(s["amount"].is_string(), "{s}");

    // People get `key: value` lines, with the status in Thai.
    let human = sb
        .run(&["status", "INV-10", "B-2"])
        .assert_code(0)
        .stdout
        .clone();
    assert!(
        human
            .lines()
            .any(|l| l.starts_with("paidStatus:") && l.ends_with("Pending")),
        "{human}"
    );
    assert!(human.contains("รอการชำระเงิน"), "{human}");

    let closed = sb
        .run(&["--json", "close", "INV-10", "B-2"])
        .assert_code(0)
        .json();
    assert_eq!(closed["status"], "Success");
    let s = sb
        .run(&["status", "INV-10", "B-2", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(s["paidStatus"], "Expired");
}

#[test]
fn create_from_request_file_and_stdin_and_checkout() {
    let sb = Sandbox::start();
    let request = json!({
        "customerID": AGENT_ID, "customerTitleName": "นาย", "customerFirstName": "ทดสอบ",
        "customerLastName": "ระบบ", "paymentType": "QRPayment", "amount": "25.75",
        "requestReference1": "REQ-1"
    });
    let dir = std::env::temp_dir().join(format!("dgapay-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("request.json");
    std::fs::write(&file, request.to_string()).unwrap();
    let html_file = dir.join("checkout.html");
    let run = sb.run(&[
        "create",
        "--json",
        "--request",
        file.to_str().unwrap(),
        "--checkout-html",
        html_file.to_str().unwrap(),
    ]);
    run.assert_code(0);
    let payment = run.json();
    assert_eq!(payment["reference1"], "REQ-1");
    assert_eq!(payment["payMethod"], "QR");

    // `checkout` turns that JSON into the same page `--checkout-html` wrote.
    let html = std::fs::read_to_string(&html_file).unwrap();
    let again = dgapay_with(&["checkout", "-"], &[], Some(run.stdout.as_bytes()));
    again.assert_code(0);
    assert_eq!(again.stdout, html);
    assert!(html.contains(payment["gatewayUrl"].as_str().unwrap()));

    let mut second = request.clone();
    second["requestReference1"] = json!("REQ-2");
    let run = sb.run_with(
        &["create", "--request", "-"],
        Some(second.to_string().as_bytes()),
    );
    run.assert_code(0);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("reference1:") && l.ends_with("REQ-2")),
        "{}",
        run.stdout
    );

    // --request and field flags do not mix.
    sb.run(&["create", "--request", "-", "--amount", "1"])
        .assert_code(2);
}

#[test]
fn api_error_unknown_reference() {
    let sb = Sandbox::start();
    let run = sb.run(&["status", "NO-SUCH-REF"]);
    run.assert_code(1);
    assert!(run.stderr.starts_with("error[api]: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("TransactionNotFound (8)"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    let run = sb.run(&["status", "NO-SUCH-REF", "--json"]);
    run.assert_code(1);
    let err = run.json();
    assert_eq!(err["kind"], "api");
    assert_eq!(err["errorCode"], "TransactionNotFound");
    assert_eq!(err["endpoint"], "status");
}

#[test]
fn void_of_an_unpaid_payment_is_refused() {
    let sb = Sandbox::start();
    sb.run(&create_flags("INV-20", "FastPay")).assert_code(0);
    let run = sb.run(&["void", "INV-20", "B-2", "12345"]);
    run.assert_code(1);
    assert!(run.stderr.starts_with("error[api]: "), "{}", run.stderr);
}

#[test]
fn validation_names_every_field_and_sends_nothing() {
    let sb = Sandbox::start();
    // Refused before anything is sent: a bad command line (2), not a failure at DGA (1).
    let run = sb.run(&["create", "--amount", "12.345", "--payment-type", "Cash"]);
    run.assert_code(2);
    for field in [
        "customerID",
        "customerTitleName",
        "customerFirstName",
        "customerLastName",
        "requestReference1",
        "paymentType",
        "amount",
    ] {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{field}: "))),
            "{field} not named:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr
            .starts_with("error[validation]: invalid input (7 problems)"),
        "{}",
        run.stderr
    );

    let run = sb.run(&["create", "--json", "--amount", "abc"]);
    run.assert_code(2);
    let err = run.json();
    assert_eq!(err["kind"], "validation");
    let fields: Vec<&str> = err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"amount") && fields.contains(&"customerID"),
        "{err}"
    );
    assert_eq!(sb.calls_to("create"), 0, "nothing may reach DGA");
}

#[test]
fn bad_request_json_names_line_and_column() {
    let sb = Sandbox::start();
    let run = sb.run_with(
        &["create", "--request", "-"],
        Some(b"{\n  \"amount\": 1,\n}"),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("request (line 3, column 1)"),
        "{}",
        run.stderr
    );
}

#[test]
fn closed_port_fails_without_sending() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let args = [
        "create",
        "--json",
        "--gateway-url",
        &url,
        "--customer-id",
        AGENT_ID,
        "--title",
        "นาย",
        "--first-name",
        "ก",
        "--last-name",
        "ข",
        "--payment-type",
        "FastPay",
        "--amount",
        "1",
        "--reference1",
        "X-1",
    ];
    let env = [
        ("DGA_CONSUMER_KEY", "k"),
        ("DGA_CONSUMER_SECRET", "s"),
        ("DGA_AGENT_ID", AGENT_ID),
        ("DGA_SOURCE", "DGA"),
    ];
    let run = dgapay_with(&args, &env, None);
    // Nothing could be sent, so this is a plain failure, not "outcome unknown" (3).
    run.assert_code(1);
    let err = run.json();
    assert!(
        matches!(err["kind"].as_str(), Some("auth" | "network")),
        "{err}"
    );
    // Retries are logged as warnings; the error is the last line.
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("error[{}]: ", err["kind"].as_str().unwrap())),
        "{}",
        run.stderr
    );
}

#[test]
fn outcome_unknown_exits_3_with_a_hint() {
    let sb = Sandbox::start();
    sb.control(
        "POST",
        "faults",
        Some(json!({"endpoint": "create", "kind": "http_status", "httpStatus": 503})),
    );
    let run = sb.run(&[&create_flags("INV-30", "FastPay")[..], &["--json"]].concat());
    run.assert_code(3);
    let err = run.json();
    assert_eq!(err["kind"], "outcome_unknown");
    assert_eq!(err["reference1"], "INV-30");
    assert!(
        run.stderr.contains("dgapay status INV-30 B-2"),
        "{}",
        run.stderr
    );
}

#[test]
fn timeout_ms_applies() {
    let sb = Sandbox::start();
    sb.run(&create_flags("INV-40", "FastPay")).assert_code(0);
    sb.control(
        "POST",
        "faults",
        Some(json!({"endpoint": "status", "kind": "latency", "latencyMs": 3000, "count": 5})),
    );
    let started = std::time::Instant::now();
    let run = sb.run(&["status", "INV-40", "B-2", "--timeout-ms", "200", "--json"]);
    run.assert_code(1);
    assert_eq!(run.json()["kind"], "timeout");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn missing_configuration_is_named() {
    let run = dgapay_with(&["status", "R1"], &[], None);
    run.assert_code(2);
    for (setting, flag, var) in [
        ("consumerKey", "--consumer-key", "DGA_CONSUMER_KEY"),
        ("consumerSecret", "--consumer-secret", "DGA_CONSUMER_SECRET"),
        ("agentId", "--agent-id", "DGA_AGENT_ID"),
    ] {
        let hint = format!("{setting}: is required (pass {flag} or set {var})");
        assert!(run.stderr.contains(&hint), "{hint}\n{}", run.stderr);
    }
}

#[test]
fn environment_variables_configure_and_flags_override() {
    let sb = Sandbox::start();
    let env = [
        ("DGA_CONSUMER_KEY", "sandbox-key"),
        ("DGA_CONSUMER_SECRET", "sandbox-secret"),
        ("DGA_AGENT_ID", AGENT_ID),
        ("DGA_GATEWAY_URL", "http://127.0.0.1:9"),
        ("DGA_SOURCE", "DGA"),
    ];
    // From the environment alone the gateway is wrong; the flag puts it right.
    let run = dgapay_with(&["token", "--gateway-url", &sb.url], &env, None);
    run.assert_code(0);
    // And a flag beats a right environment too.
    let mut good = env;
    good[3].1 = &sb.url;
    dgapay_with(&["token"], &good, None).assert_code(0);
    let run = dgapay_with(&["token", "--consumer-key", "wrong"], &good, None);
    run.assert_code(1);
    // The core may log a warning first; the error is a line of its own.
    assert!(
        run.stderr.lines().any(|l| l.starts_with("error[auth]")),
        "{}",
        run.stderr
    );
}
