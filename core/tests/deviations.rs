//! DGA's deviations and a broken gateway (docs/architecture.md#dgas-deviations): answers bounded in
//! size and time, tokens checked as header values, Retry-After, settings that would break a
//! header, and secrets or AgentIDs never echoed.

mod common;

use common::*;
use dga_epayment::{Config, ErrorKind, PaymentType, RetryPolicy, blocking::Client};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the hostile server answers payment calls with.
#[derive(Clone, Copy)]
enum Hostile {
    /// `Content-Length: 3221225472`, then bytes as fast as the client takes them.
    DeclaredHuge,
    /// No length, `Connection: close`, bytes as fast as the client takes them.
    EndlessStream,
    /// A length of 100, then one byte every 200 ms.
    Drip,
}

/// A loopback server that hands out a token and answers everything else as `mode` says.
/// Every connection ends within 20 s at most, so the test always stops.
fn hostile_server(mode: Hostile) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50).flatten() {
            std::thread::spawn(move || serve(stream, mode));
        }
    });
    url
}

fn serve(mut stream: TcpStream, mode: Hostile) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let token_call = line.contains("/ws/auth/validate");
        // Skip the headers (a POST's small JSON body is left unread: we never answer it).
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
        }
        if token_call {
            let body = r#"{"Result": "0f0e0d0c-token"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            continue;
        }
        let head = match mode {
            Hostile::DeclaredHuge => "HTTP/1.1 200 OK\r\nContent-Length: 3221225472\r\n\r\n",
            Hostile::EndlessStream => "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
            Hostile::Drip => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
        };
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = vec![b'x'; 64 * 1024];
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            let sent = match mode {
                Hostile::Drip => {
                    std::thread::sleep(Duration::from_millis(200));
                    stream.write_all(b"x")
                }
                _ => stream.write_all(&chunk),
            };
            if sent.is_err() {
                return;
            }
        }
        return;
    }
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn client_at(url: &str, timeout: Duration) -> Client {
    Client::new(
        Config::builder()
            .consumer_key("k")
            .consumer_secret("s")
            .agent_id(AGENT_ID)
            .gateway_url(url)
            .source("SANDBOX")
            .request_timeout(timeout)
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap(),
    )
    .unwrap()
}

// One at a time: they measure this process's memory.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn a_gateway_streaming_gigabytes_costs_neither_memory_nor_time() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mode in [Hostile::DeclaredHuge, Hostile::EndlessStream] {
        let url = hostile_server(mode);
        let client = client_at(&url, Duration::from_secs(5));
        client.token().unwrap();
        let before = resident_kib();
        let started = Instant::now();
        let e = client.status("INV-1", "").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
        assert!(e.to_string().contains("max_response_bytes"), "{e}");
        let e = client
            .create_payment(&payment_request(PaymentType::FastPay, "10"))
            .unwrap_err();
        // The create may have reached DGA: never a plain failure.
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e}");
        let e = client.void("INV-1", "", "123").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e}");
        let e = client.close("INV-1", "").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
        let grew = resident_kib().saturating_sub(before);
        assert!(grew < 16 * 1024, "grew by {grew} KiB");
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}

#[test]
fn a_dripping_answer_ends_at_the_request_deadline() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let url = hostile_server(Hostile::Drip);
    let client = client_at(&url, Duration::from_millis(800));
    client.token().unwrap();
    let started = Instant::now();
    let e = client.status("INV-1", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    // One deadline for headers and body; a read in progress may finish just after it.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let e = client
        .create_payment(&payment_request(PaymentType::FastPay, "10"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutcomeUnknown, "{e}");
}

#[test]
fn a_smaller_limit_is_honoured_against_the_sandbox() {
    let sb = start_sandbox();
    let client = Client::new(config_for(&sb).max_response_bytes(64).build().unwrap()).unwrap();
    // The token answer is small enough; a status answer (a few hundred bytes) is not.
    client.token().unwrap();
    let p = client_for(&sb)
        .create_payment(&payment_request(PaymentType::FastPay, "10"))
        .unwrap();
    let e = client.status(&p.reference1, &p.reference2).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
}

#[test]
fn a_token_with_crlf_is_an_auth_error_never_cached_never_outcome_unknown() {
    let sb = start_sandbox();
    let ctl = Control::new(&sb);
    let client = Client::new(
        config_for(&sb)
            .token_failure_cooldown(Duration::ZERO)
            .build()
            .unwrap(),
    )
    .unwrap();
    ctl.fault(
        "token",
        "respond",
        100,
        json!({"httpStatus": 200, "body": "{\"Result\": \"abc\\r\\nX-Injected: 1\"}"}),
    );
    let e = client
        .create_payment(&payment_request(PaymentType::FastPay, "10"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(ctl.count("create"), 0, "no create was sent");
    ctl.clear_faults();
    // Nothing bad was cached: the next call gets a real token and works.
    client
        .create_payment(&payment_request(PaymentType::FastPay, "10"))
        .unwrap();
}

#[test]
fn a_consumer_key_that_cannot_be_a_header_is_refused_at_build() {
    for key in ["key\r\nX: 1", "key with space", "key\u{7}"] {
        let e = Config::builder()
            .consumer_key(key)
            .consumer_secret("s")
            .agent_id(AGENT_ID)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(e.field_errors()[0].field, "consumerKey");
        assert!(!e.to_string().contains("key"), "the key is not echoed: {e}");
    }
}

#[test]
fn a_gateway_url_with_credentials_is_never_echoed() {
    for url in [
        "https://agency:hunter2@api.egov.go.th",
        "http://agency:hunter2@10.0.0.1:8080",
        "htps://agency:hunter2@host:99999",
        "not a url hunter2",
    ] {
        let e = Config::builder()
            .consumer_key("k")
            .consumer_secret("s")
            .agent_id(AGENT_ID)
            .gateway_url(url)
            .build()
            .unwrap_err();
        let text = format!("{e} {e:?} {}", e.to_json());
        assert!(!text.contains("hunter2"), "{url}: {text}");
        assert_eq!(e.field_errors()[0].field, "gatewayUrl");
    }
}

/// Answers the token call, then status: first `503` with `Retry-After: 1`, then a status.
fn busy_then_ok_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().take(20).flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap_or(0);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let (head, body) = if line.contains("/ws/auth/validate") {
                ("200 OK", r#"{"Result": "0f0e0d0c-token"}"#.to_owned())
            } else if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                (
                    "503 Service Unavailable\r\nRetry-After: 1",
                    "busy".to_owned(),
                )
            } else {
                (
                    "200 OK",
                    json!({"status": 0, "errorCode": null, "message": "Success", "data": {
                        "paidStatus": 0, "ref1": "INV-1", "ref2": "", "amount": "10"}})
                    .to_string(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {head}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, calls)
}

#[test]
fn retry_after_is_honoured_for_status_within_the_backoff_cap() {
    let (url, calls) = busy_then_ok_server();
    let client = Client::new(
        Config::builder()
            .consumer_key("k")
            .consumer_secret("s")
            .agent_id(AGENT_ID)
            .gateway_url(&url)
            .retry_policy(RetryPolicy {
                backoff_base: Duration::from_millis(1),
                backoff_cap: Duration::from_millis(600),
                ..RetryPolicy::default()
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    client.token().unwrap();
    // "Retry-After: 1": the retry waits for it, capped at 600 ms, not the 1 ms backoff.
    let started = Instant::now();
    client.status("INV-1", "").unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(550), "{waited:?}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}
