//! The control API, the transactions page, lifecycle, the binary, and robustness.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

#[test]
fn config_can_be_read_and_changed() {
    let env = start();
    let defaults = json!({
        "consumerKey": "sandbox-key",
        "consumerSecret": "sandbox-secret",
        "sources": ["DGA", "SANDBOX"],
        "callbackUrl": null,
        "tokenTtlSeconds": null,
        "callbackMaxAttempts": 5,
        "callbackRetryDelayMs": 50,
        "successUrl": null,
        "failUrl": null,
        "cancelUrl": null,
    });
    assert_eq!(env.control_get("config"), defaults);

    let (status, config) = env.control_post(
        "config",
        &json!({"consumerKey": "k2", "sources": ["AGENCY"], "tokenTtlSeconds": 60, "callbackUrl": "http://127.0.0.1:9/cb", "callbackRetryDelayMs": 10}),
    );
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["consumerKey"], "k2");
    assert_eq!(config["sources"], json!(["AGENCY"]));
    assert_eq!(config["tokenTtlSeconds"], 60);
    assert_eq!(config["callbackUrl"], "http://127.0.0.1:9/cb");
    assert_eq!(config["callbackRetryDelayMs"], 10);
    assert_eq!(config["consumerSecret"], "sandbox-secret");
    assert_eq!(env.control_get("config"), config);

    // The new key is required now.
    let response = env
        .http
        .get(format!(
            "{}/ws/auth/validate?ConsumerSecret=sandbox-secret&AgentID={AGENT_ID}",
            env.url
        ))
        .header("Consumer-Key", "sandbox-key")
        .send()
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = env
        .http
        .get(format!(
            "{}/ws/auth/validate?ConsumerSecret=sandbox-secret&AgentID={AGENT_ID}",
            env.url
        ))
        .header("Consumer-Key", "k2")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);

    // Refused patches change nothing.
    for patch in [
        json!({"consumerKey": "k3", "nope": 1}),
        json!({"consumerKey": ""}),
        json!({"consumerKey": 5}),
        json!({"sources": "DGA"}),
        json!({"sources": ["DGA", 1]}),
        json!({"tokenTtlSeconds": -1}),
        json!({"tokenTtlSeconds": "60"}),
        json!({"callbackMaxAttempts": 0}),
        json!({"callbackRetryDelayMs": -5}),
        json!({"callbackUrl": "not a url"}),
        json!({"successUrl": "ftp://x/y"}),
        json!([]),
    ] {
        let (status, body) = env.control_post("config", &patch);
        assert_eq!(status, 400, "{patch}: {body}");
        assert!(body["error"].is_string());
    }
    assert_eq!(env.control_get("config"), config);

    // Reset restores the startup configuration.
    let (status, body) = env.control_post("reset", &json!({}));
    assert_eq!((status, body), (200, json!({"ok": true})));
    assert_eq!(env.control_get("config"), defaults);
}

/// A config with no source would refuse every create (InvalidSource): `"sources": []` is a
/// 400 that changes nothing, as is starting with none.
#[test]
fn sources_cannot_be_emptied() {
    let env = start();
    let before = env.control_get("config");
    for patch in [
        json!({"sources": []}),
        json!({"consumerKey": "k2", "sources": []}),
    ] {
        let (status, body) = env.control_post("config", &patch);
        assert_eq!(status, 400, "{patch}: {body}");
        assert_eq!(
            body["error"],
            "sources must name at least one source: with none, create refuses every source \
             (InvalidSource)"
        );
    }
    assert_eq!(env.control_get("config"), before);
    let token = env.token();
    env.create(&token, &create_body(&unique_ref("sources")));

    let Err(e) = dga_sandbox::start(dga_sandbox::SandboxConfig {
        sources: vec![],
        ..test_config()
    }) else {
        panic!("a sandbox started with no source");
    };
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().starts_with("sources must name"), "{e}");
}

#[test]
fn reset_clears_everything() {
    let receiver = Receiver::start(vec![]);
    let env = start_with(dga_sandbox::SandboxConfig {
        callback_url: Some(receiver.url.clone()),
        ..test_config()
    });
    let token = env.token();
    let ref1 = unique_ref("reset");
    env.create(&token, &create_body(&ref1));
    env.simulate(&ref1, "pay");
    env.wait_callbacks(1);
    env.add_fault(json!({"endpoint": "create", "kind": "reset"}));
    env.control_post("config", &json!({"consumerSecret": "other"}));
    for path in ["transactions", "requests", "callbacks", "faults"] {
        assert!(
            !env.control_get(path).as_array().unwrap().is_empty(),
            "{path}"
        );
    }

    let response = env
        .http
        .post(format!("{}/__sandbox/reset", env.url))
        .header("Content-Type", "application/json")
        .send()
        .unwrap();
    assert_eq!(json_of(response), (200, json!({"ok": true})));
    for path in ["transactions", "requests", "callbacks", "faults"] {
        assert_eq!(env.control_get(path), json!([]), "{path}");
    }
    assert_eq!(env.status(&token, &ref1, "").0, 401, "tokens are gone");
    let token = env.token(); // with the startup secret again
    assert_eq!(env.status(&token, &ref1, "").1["errorCode"], 8);
    // The reference can be used again.
    env.create(&token, &create_body(&ref1));
}

#[test]
fn expire_tokens_counts_live_tokens() {
    let env = start();
    let tokens: Vec<String> = (0..3).map(|_| env.token()).collect();
    let (status, body) = env.control_post("expire-tokens", &json!({}));
    assert_eq!((status, body), (200, json!({"ok": true, "expired": 3})));
    for token in &tokens {
        assert_eq!(env.status(token, "x", "").0, 401);
    }
    let (_, body) = env.control_post("expire-tokens", &json!({}));
    assert_eq!(body["expired"], 0);
}

#[test]
fn transactions_list_and_page() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("<list&>");
    let body = with(
        create_body(&ref1),
        json!({"customerMiddleName": "M", "requestReference3": "R3", "source": "SANDBOX", "customerFirstName": "<i>Ann</i>"}),
    );
    let data = env.create(&token, &body);
    let listed = env.control_get("transactions");
    let row = &listed.as_array().unwrap()[0];
    for (key, expected) in [
        ("orderRef", data["orderRef"].clone()),
        ("source", json!("SANDBOX")),
        ("customerID", json!("1234567890123")),
        ("customerTitleName", json!("นาย")),
        ("customerFirstName", json!("<i>Ann</i>")),
        ("customerMiddleName", json!("M")),
        ("customerLastName", json!("ระบบ")),
        ("requestReference3", json!("R3")),
        ("paidStatus", json!("Pending")),
        ("ref1", json!(ref1)),
        ("ref2", json!("")),
        ("paymentType", json!("FastPay")),
    ] {
        assert_eq!(row[key], expected, "{key}");
    }
    assert_eq!(row["amount"].to_string(), "1000.5");
    let created_at = row["createdAt"].as_str().unwrap();
    assert!(chrono::NaiveDateTime::parse_from_str(created_at, "%Y-%m-%dT%H:%M:%S").is_ok());

    for path in ["/", "/__sandbox/", "/__sandbox"] {
        let response = env.http.get(format!("{}{path}", env.url)).send().unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().unwrap();
        assert!(html.contains(data["orderRef"].as_str().unwrap()));
        assert!(html.contains("&lt;i&gt;Ann&lt;/i&gt;"), "{html}");
        assert!(html.contains("&lt;list&amp;&gt;"));
        assert!(!html.contains("<i>Ann"));
        for link in [
            "/__sandbox/transactions",
            "/__sandbox/requests",
            "/__sandbox/callbacks",
        ] {
            assert!(html.contains(link), "{link}");
        }
    }
}

#[test]
fn unknown_routes_and_methods() {
    let env = start();
    for path in [
        "/nope",
        "/ws/dga/payment/refund",
        "/ws/dga/prod/payment/create",
        "/ws/auth",
    ] {
        let (status, body) = json_of(env.http.post(format!("{}{path}", env.url)).send().unwrap());
        assert_eq!(status, 404, "{path}");
        assert_eq!(
            (
                body["status"].clone(),
                body["errorCode"].clone(),
                body["data"].clone()
            ),
            (json!(3), json!(1), Value::Null)
        );
    }
    let (status, body) = json_of(
        env.http
            .get(format!("{}/__sandbox/nope", env.url))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
    let (status, body) = json_of(
        env.http
            .get(format!("{}/__sandbox/reset", env.url))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 405);
    assert!(body["error"].is_string());
    let (status, body) = json_of(
        env.http
            .post(format!("{}/ws/auth/validate", env.url))
            .send()
            .unwrap(),
    );
    assert_eq!((status, body["Result"].clone()), (405, Value::Null));
}

#[test]
fn start_gives_a_url_and_shutdown_stops() {
    let env = start();
    let addr = env.sandbox.addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(env.url, format!("http://127.0.0.1:{}", addr.port()));
    assert!(!env.url.ends_with('/'));
    // The port is taken while it runs.
    let busy = dga_sandbox::start(dga_sandbox::SandboxConfig {
        port: addr.port(),
        ..test_config()
    });
    let error = busy.expect_err("port in use");
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    assert!(error.to_string().contains(&addr.port().to_string()));

    env.token();
    let Env { sandbox, .. } = env;
    sandbox.shutdown();
    let refused = client()
        .get(format!("http://{addr}/"))
        .timeout(Duration::from_secs(2))
        .send();
    assert!(refused.is_err(), "still serving after shutdown");
}

#[test]
fn start_and_drop_work_inside_async_code() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = dga_sandbox::start(test_config()).expect("starts");
        let addr = sandbox.addr();
        let url = format!("http://{addr}/__sandbox/config");
        let config =
            tokio::task::spawn_blocking(move || client().get(url).send().unwrap().status())
                .await
                .unwrap();
        assert_eq!(config, 200);
        drop(sandbox);
    });
}

#[test]
fn args_make_a_config() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: dga_sandbox::SandboxArgs,
    }
    let cli = Cli::try_parse_from(["x"]).unwrap();
    assert_eq!(cli.args.to_config(), dga_sandbox::SandboxConfig::default());
    let cli = Cli::try_parse_from([
        "x",
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        "--callback-url",
        "http://127.0.0.1:1/cb",
        "--token-ttl",
        "30",
    ])
    .unwrap();
    let config = cli.args.to_config();
    assert_eq!(config.host, "0.0.0.0");
    assert_eq!(config.port, 0);
    assert_eq!(
        config.callback_url.as_deref(),
        Some("http://127.0.0.1:1/cb")
    );
    assert_eq!(config.token_ttl, Some(Duration::from_secs(30)));
    assert!(Cli::try_parse_from(["x", "--callback-url", "nope"]).is_err());
    assert!(Cli::try_parse_from(["x", "--port", "70000"]).is_err());
}

#[test]
fn unspecified_host_serves_loopback_and_uses_the_host_header() {
    let env = start_with(dga_sandbox::SandboxConfig {
        host: "0.0.0.0".into(),
        ..test_config()
    });
    assert!(env.url.starts_with("http://127.0.0.1:"));
    let data = env.create(&env.token(), &create_body(&unique_ref("any-host")));
    assert_eq!(data["gatewayUrl"], format!("{}/ktb/payForm", env.url));
}

/// The binary: first stdout line, newcomer defaults, a working server, bind error exit 1.
#[test]
fn binary_prints_where_it_listens() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dga-sandbox"))
        .args(["--port", "0", "--token-ttl", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dga-sandbox");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("listening on ")
        .expect(&first)
        .to_string();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .expect(&url)
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    let banner: Vec<String> = lines
        .by_ref()
        .take_while(|l| l.as_ref().is_ok_and(|l| !l.starts_with("Press")))
        .map(Result::unwrap)
        .collect();
    let banner = banner.join("\n");
    for needle in [
        "sandbox-key",
        "sandbox-secret",
        "13 digits",
        "DGA, SANDBOX",
        "/ws/auth/validate",
        "/ws/dga/uat/payment/",
        "/__sandbox/",
        "60 s",
    ] {
        assert!(
            banner.contains(needle),
            "banner lacks {needle:?}:\n{banner}"
        );
    }
    let response = client()
        .get(format!(
            "{url}/ws/auth/validate?ConsumerSecret=sandbox-secret&AgentID={AGENT_ID}"
        ))
        .header("Consumer-Key", "sandbox-key")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);

    // A second one on the same port: a clear message and exit code 1.
    let output = Command::new(env!("CARGO_BIN_EXE_dga-sandbox"))
        .args(["--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot listen") && !stderr.contains("panicked"),
        "{stderr}"
    );

    // SIGTERM stops it cleanly.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn garbage_never_gets_a_5xx() {
    let env = start();
    let token = env.token();
    let mut rng = fastrand::Rng::with_seed(20240307);
    let valid = create_body("fuzz").to_string().into_bytes();
    let targets = [
        "/ws/dga/payment/create",
        "/ws/dga/uat/payment/close",
        "/ws/dga/dev/payment/void",
        "/ktb/payForm",
        "/ktb/pay",
        "/__sandbox/simulate",
        "/__sandbox/faults",
    ];
    for i in 0..400 {
        let body: Vec<u8> = match i % 3 {
            // Random bytes.
            0 => (0..rng.usize(0..200)).map(|_| rng.u8(..)).collect(),
            // A valid body with a few bytes changed.
            1 => {
                let mut body = valid.clone();
                for _ in 0..rng.usize(1..6) {
                    let at = rng.usize(..body.len());
                    body[at] = rng.u8(..);
                }
                body
            }
            // Random JSON-ish text.
            _ => {
                let pieces = [
                    "{",
                    "}",
                    "[",
                    "]",
                    "\"amount\"",
                    ":",
                    ",",
                    "1e999",
                    "-0",
                    "null",
                    "\"\\u0000\"",
                    "\"KTB\"",
                    "true",
                    " ",
                    "\"ก\"",
                    "0.1",
                    "\"source\"",
                ];
                (0..rng.usize(0..30))
                    .map(|_| pieces[rng.usize(..pieces.len())])
                    .collect::<String>()
                    .into_bytes()
            }
        };
        let target = if i < 200 {
            targets[0]
        } else {
            targets[rng.usize(..targets.len())]
        };
        let response = env
            .http
            .post(format!("{}{target}", env.url))
            .header("Consumer-Key", "sandbox-key")
            .header("Token", &token)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .unwrap();
        assert!(
            !response.status().is_server_error(),
            "{target} answered {} to {:?}",
            response.status(),
            String::from_utf8_lossy(&body)
        );
    }
    // Random query strings against status and token.
    for _ in 0..100 {
        let query: String = (0..rng.usize(0..40))
            .map(|_| char::from(rng.u8(b' '..=b'~')))
            .collect();
        let encoded = query.replace('#', "%23").replace(' ', "+");
        for path in [
            "/ws/dga/payment/status",
            "/ws/auth/validate",
            "/ktb/result/success",
        ] {
            let response = env
                .http
                .get(format!("{}{path}?{encoded}", env.url))
                .header("Consumer-Key", "sandbox-key")
                .header("Token", &token)
                .send()
                .unwrap();
            assert!(!response.status().is_server_error(), "{path}?{encoded}");
        }
    }
    // The sandbox still works.
    env.create(&token, &create_body(&unique_ref("after-fuzz")));
}
