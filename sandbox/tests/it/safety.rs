//! A sandbox left running on a laptop: other sites' pages cannot drive it (JSON bodies only,
//! DNS rebinding guard), and an agency URL cannot make it fetch elsewhere or read forever.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

/// One raw HTTP/1.1 request with exactly these headers; the status code and body.
fn raw(addr: std::net::SocketAddr, head: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn control_posts_must_be_json() {
    let env = start();
    let before = env.control_get("config");
    let body = r#"{"consumerSecret": "changed-by-a-web-page"}"#;
    // What a form or fetch() from another site can send without a CORS preflight.
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
    ] {
        let mut request = env
            .http
            .post(format!("{}/__sandbox/config", env.url))
            .body(body);
        if let Some(t) = content_type {
            request = request.header("Content-Type", t);
        }
        let (status, answer) = json_of(request.send().unwrap());
        assert_eq!(status, 415, "{content_type:?}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("application/json"),
            "{answer}"
        );
    }
    assert_eq!(env.control_get("config"), before, "nothing changed");

    // Even a bodyless POST (reset, expire-tokens) needs it: a page could send one.
    let token = env.token();
    for path in ["reset", "expire-tokens", "faults", "simulate"] {
        let response = env
            .http
            .post(format!("{}/__sandbox/{path}", env.url))
            .send()
            .unwrap();
        assert_eq!(response.status(), 415, "{path}");
    }
    assert_eq!(env.status(&token, "x", "").0, 200, "the token still lives");

    // JSON with parameters and in any case is fine.
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let (status, answer) = json_of(
            env.http
                .post(format!("{}/__sandbox/config", env.url))
                .header("Content-Type", content_type)
                .body(r#"{"tokenTtlSeconds": 60}"#)
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{content_type}: {answer}");
    }
    // GET and DELETE carry no body and need no Content-Type.
    env.add_fault(json!({"endpoint": "create", "kind": "reset"}));
    let response = env
        .http
        .delete(format!("{}/__sandbox/faults", env.url))
        .send()
        .unwrap();
    assert_eq!(json_of(response).1["cleared"], 1);
}

#[test]
fn dga_posts_must_be_json_but_the_gateway_page_takes_forms() {
    let env = start();
    let token = env.token();
    let ref1 = unique_ref("ctype");
    let response = env
        .http
        .post(format!("{}{}create", env.url, PREFIXES[1]))
        .header("Consumer-Key", "sandbox-key")
        .header("Token", &token)
        .header("Content-Type", "text/plain")
        .body(create_body(&ref1).to_string())
        .send()
        .unwrap();
    let (status, envelope) = json_of(response);
    assert_eq!(status, 415, "{envelope}");
    assert_eq!(
        (envelope["status"].clone(), envelope["errorCode"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(
        env.status(&token, &ref1, "").1["errorCode"],
        8,
        "not created"
    );

    // The checkout form arrives from the citizen's browser form-encoded, as at KTB.
    let data = env.create(&token, &create_body(&ref1));
    let form: Vec<(&str, String)> = [
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
    ]
    .iter()
    .map(|k| {
        let v = match &data[*k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        (*k, v)
    })
    .collect();
    let page = env
        .http
        .post(format!("{}/ktb/payForm", env.url))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let paid = env
        .http
        .post(format!("{}/ktb/pay", env.url))
        .form(&[
            ("orderRef", data["orderRef"].as_str().unwrap()),
            ("securityKey", data["securityKey"].as_str().unwrap()),
            ("action", "pay"),
        ])
        .send()
        .unwrap();
    assert_eq!(paid.status(), 303);
    assert_eq!(env.status_data(&token, &ref1, "")["paidStatus"], "Success");
}

#[test]
fn host_must_be_the_listening_address_or_localhost() {
    let env = start();
    let addr = env.sandbox.addr();
    let port = addr.port();
    let get = |host: &str| {
        raw(
            addr,
            &format!("GET /__sandbox/config HTTP/1.1\r\nHost: {host}"),
            "",
        )
        .0
    };
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_string(),
        format!("localhost:{port}"),
        "localhost".to_string(),
        "LocalHost:1234".to_string(),
    ] {
        assert_eq!(get(&host), 200, "{host}");
    }
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        "127.0.0.1.nip.io".to_string(),
        "localhost.evil.example".to_string(),
        "10.0.0.7".to_string(),
        String::new(),
    ] {
        assert_eq!(get(&host), 403, "{host:?}");
    }
    // No Host header at all.
    assert_eq!(raw(addr, "GET /__sandbox/config HTTP/1.0", "").0, 403);

    // A rebound name cannot post to the control API, even with a JSON body...
    let (status, body) = raw(
        addr,
        "POST /__sandbox/config HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json",
        r#"{"consumerSecret": "x"}"#,
    );
    assert_eq!(status, 403);
    assert!(body.contains("DNS rebinding"), "{body}");
    assert_eq!(
        env.control_get("config")["consumerSecret"],
        "sandbox-secret"
    );
    // ...nor read transactions (their security keys), nor reach the DGA endpoints; a fault
    // is not used up by a refused request, which is logged as 403.
    env.add_fault(json!({"endpoint": "token", "kind": "reset"}));
    let (status, _) = raw(
        addr,
        "GET /ws/auth/validate?ConsumerSecret=sandbox-secret&AgentID=1234567890123 HTTP/1.1\r\n\
         Host: evil.example\r\nConsumer-Key: sandbox-key",
        "",
    );
    assert_eq!(status, 403);
    assert_eq!(env.control_get("faults").as_array().unwrap().len(), 1);
    let logged = env.logged("token");
    assert_eq!(
        (logged[0]["httpStatus"].clone(), logged[0]["fault"].clone()),
        (json!(403), Value::Null)
    );
    assert_eq!(raw(addr, "GET / HTTP/1.1\r\nHost: evil.example", "").0, 403);
}

#[test]
fn on_every_interface_any_ip_address_is_the_listening_address() {
    let env = start_with(dga_sandbox::SandboxConfig {
        host: "0.0.0.0".into(),
        ..test_config()
    });
    let addr = env.sandbox.addr();
    let get = |host: &str| {
        raw(
            addr,
            &format!("GET /__sandbox/config HTTP/1.1\r\nHost: {host}"),
            "",
        )
        .0
    };
    assert_eq!(get("192.168.1.10:8580"), 200);
    assert_eq!(get("localhost"), 200);
    assert_eq!(get("[fe80::1]:8580"), 200);
    assert_eq!(get("laptop.evil.example"), 403);
}

/// A one-connection-at-a-time HTTP server that answers every request with `answer` (after
/// reading the request head) and counts connections.
struct RawServer {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl RawServer {
    fn start(answer: impl Fn(&mut TcpStream) + Send + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/callback", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&connections);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                answer(&mut stream);
            }
        });
        RawServer { url, connections }
    }
}

/// Sets the callback URL (one attempt) and pays a new transaction; its callback log entry.
fn deliver_one(env: &Env, url: &str) -> Value {
    let (status, body) = env.control_post(
        "config",
        &json!({"callbackUrl": url, "callbackMaxAttempts": 1}),
    );
    assert_eq!(status, 200, "{body}");
    let token = env.token();
    let ref1 = unique_ref("cb");
    env.create(&token, &create_body(&ref1));
    let (status, body) = env.simulate(&ref1, "pay");
    assert_eq!(status, 200, "{body}");
    env.wait_callbacks(1)
        .pop()
        .expect("a callback attempt is logged")
}

#[test]
fn callback_delivery_follows_no_redirect() {
    let target = RawServer::start(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"result\": true}",
        );
    });
    let target_url = target.url.clone();
    for code in [301, 302, 303, 307, 308] {
        let to = target_url.clone();
        let redirector = RawServer::start(move |s| {
            let _ = write!(
                s,
                "HTTP/1.1 {code} Moved\r\nLocation: {to}\r\nContent-Length: 5\r\n\r\nmoved"
            );
        });
        let env = start();
        let entry = deliver_one(&env, &redirector.url);
        assert_eq!(entry["httpStatus"], code, "{entry}");
        assert_eq!(entry["accepted"], false, "{entry}");
        assert!(
            entry["error"].as_str().unwrap().contains("redirect"),
            "{entry}"
        );
        assert_eq!(entry["responseBody"], "moved");
        assert_eq!(redirector.connections.load(Ordering::SeqCst), 1);
    }
    // Give a follower time to have reached the target.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        target.connections.load(Ordering::SeqCst),
        0,
        "the redirect target was contacted"
    );
}

#[test]
fn callback_answers_are_read_up_to_64_kib() {
    // An endless answer that starts like an acceptance.
    let wrote = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (w, f) = (Arc::clone(&wrote), Arc::clone(&finished));
    let endless = RawServer::start(move |s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"result\": true, \"pad\": \"",
        );
        let chunk = [b'x'; 16 * 1024];
        // Stops when the sandbox closes the connection (or after 1 GiB, a failed test).
        for _ in 0..65536 {
            if s.write_all(&chunk).is_err() {
                break;
            }
            w.fetch_add(chunk.len(), Ordering::SeqCst);
        }
        f.fetch_add(1, Ordering::SeqCst);
    });
    let env = start();
    let started = Instant::now();
    let entry = deliver_one(&env, &endless.url);
    assert_eq!(entry["accepted"], false, "{}", entry["error"]);
    assert!(
        entry["error"].as_str().unwrap().contains("64 KiB"),
        "{}",
        entry["error"]
    );
    let kept = entry["responseBody"].as_str().unwrap();
    assert_eq!(kept.len(), 64 * 1024);
    assert!(kept.starts_with("{\"result\": true"));
    // Reading stopped: the attempt ended long before its 10 s timeout and the server's
    // writes failed once the kernel buffers filled (a few MB at most, not 1 GiB).
    let deadline = Instant::now() + Duration::from_secs(10);
    while finished.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the sandbox kept reading"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(
        wrote.load(Ordering::SeqCst) < 64 * 1024 * 1024,
        "{} bytes written",
        wrote.load(Ordering::SeqCst)
    );

    // An answer under the cap is judged as usual.
    let padded = format!(
        "{{\"result\": true, \"pad\": \"{}\"}}",
        "x".repeat(60 * 1024)
    );
    let fits = RawServer::start(move |s| {
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{padded}",
            padded.len()
        );
    });
    let env = start();
    let entry = deliver_one(&env, &fits.url);
    assert_eq!(entry["accepted"], true, "{}", entry["error"]);
}

fn spawn_binary(host: &str) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dga-sandbox"))
        .args(["--host", host, "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dga-sandbox");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    (child, first)
}

/// Stops the child with SIGTERM; its whole stderr.
fn stop(mut child: std::process::Child) -> String {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(child.wait().unwrap().success());
    stderr
}

#[test]
fn a_non_loopback_host_warns_on_stderr() {
    let (child, first) = spawn_binary("0.0.0.0");
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first}"
    );
    let stderr = stop(child);
    assert!(
        stderr.contains("warning")
            && stderr.contains("0.0.0.0")
            && stderr.contains("not a loopback"),
        "{stderr}"
    );

    for host in ["127.0.0.1", "localhost"] {
        let (child, first) = spawn_binary(host);
        assert!(first.starts_with("listening on http://"), "{first}");
        let stderr = stop(child);
        assert!(!stderr.contains("warning"), "{host}: {stderr}");
    }
}
