//! Shared helpers: an embedded sandbox on a free loopback port and its control API.
#![allow(dead_code)]

use dga_epayment::{Config, CreatePayment, Decimal, PaymentType, RetryPolicy, blocking::Client};
use dga_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const AGENT_ID: &str = "1234567890121";

/// The core's runtime threads now running, as `/proc/self/task` entries (the embedded
/// sandbox's threads have another name).
pub fn core_threads() -> Vec<std::fs::DirEntry> {
    let tasks = std::fs::read_dir("/proc/self/task").unwrap().flatten();
    let comm = |t: &std::fs::DirEntry| std::fs::read_to_string(t.path().join("comm"));
    tasks
        .filter(|t| comm(t).is_ok_and(|c| c.trim() == "dga-epayment"))
        .collect()
}

pub fn start_sandbox() -> Sandbox {
    start_sandbox_with(|_| {})
}

pub fn start_sandbox_with(edit: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut cfg = SandboxConfig {
        port: 0,
        callback_retry_delay: Duration::from_millis(20),
        ..SandboxConfig::default()
    };
    edit(&mut cfg);
    dga_sandbox::start(cfg).expect("sandbox starts")
}

/// Fast retries so fault tests do not wait on real backoff.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

pub fn config_for(sb: &Sandbox) -> dga_epayment::ConfigBuilder {
    Config::builder()
        .consumer_key("sandbox-key")
        .consumer_secret("sandbox-secret")
        .agent_id(AGENT_ID)
        .gateway_url(sb.url())
        .source("SANDBOX")
        .retry_policy(fast_retry())
        .request_timeout(Duration::from_secs(5))
}

pub fn client_for(sb: &Sandbox) -> Client {
    Client::new(config_for(sb).build().unwrap()).unwrap()
}

static SEQ: AtomicU64 = AtomicU64::new(1);

/// A unique requestReference1 per call, so tests never collide.
pub fn unique_ref(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn payment_request(payment_type: PaymentType, amount: &str) -> CreatePayment {
    CreatePayment {
        customer_id: "1234567890121".into(),
        customer_title_name: "นาย".into(),
        customer_first_name: "ทดสอบ".into(),
        customer_last_name: "ระบบ".into(),
        payment_type: Some(payment_type),
        amount: Some(amount.parse::<Decimal>().unwrap()),
        request_reference1: unique_ref("T"),
        request_reference2: "R2".into(),
        ..Default::default()
    }
}

/// A payment created and then paid (through the sandbox's simulate), with its refId.
pub fn paid_payment(
    client: &Client,
    ctl: &Control,
    payment_type: PaymentType,
    amount: &str,
) -> (dga_epayment::Payment, String) {
    let p = client
        .create_payment(&payment_request(payment_type, amount))
        .unwrap();
    ctl.simulate(&p.reference1, &p.reference2, "pay");
    let ref_id = client
        .status(&p.reference1, &p.reference2)
        .unwrap()
        .ref_id
        .expect("a paid payment has a refId");
    (p, ref_id)
}

/// The sandbox's control API.
pub struct Control {
    base: String,
    http: reqwest::blocking::Client,
}

impl Control {
    pub fn new(sb: &Sandbox) -> Control {
        Control {
            base: sb.url(),
            http: reqwest::blocking::Client::new(),
        }
    }

    pub fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    pub fn fault(&self, endpoint: &str, kind: &str, count: u32, extra: Value) {
        let mut body = json!({ "endpoint": endpoint, "kind": kind, "count": count });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (status, answer) = self.post("/__sandbox/faults", body);
        assert_eq!(status, 200, "fault not accepted: {answer}");
    }

    pub fn clear_faults(&self) {
        self.http
            .delete(format!("{}/__sandbox/faults", self.base))
            .send()
            .unwrap();
    }

    /// How many requests reached an endpoint (token, create, close, void, status).
    pub fn count(&self, endpoint: &str) -> usize {
        self.get("/__sandbox/requests")
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["endpoint"] == endpoint)
            .count()
    }

    pub fn simulate(&self, reference1: &str, reference2: &str, outcome: &str) -> Value {
        let (status, body) = self.post(
            "/__sandbox/simulate",
            json!({ "reference1": reference1, "reference2": reference2, "outcome": outcome }),
        );
        assert_eq!(status, 200, "simulate failed: {body}");
        body
    }

    /// The body of the first callback delivered for `reference1`, waiting up to 5 s.
    pub fn callback_body(&self, reference1: &str) -> String {
        for _ in 0..250 {
            let log = self.get("/__sandbox/callbacks");
            if let Some(d) = log
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["reference1"] == reference1)
            {
                return d["requestBody"].as_str().unwrap().to_owned();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no callback delivered for {reference1}");
    }
}

pub fn async_client_for(sb: &Sandbox) -> dga_epayment::Client {
    dga_epayment::Client::new(config_for(sb).build().unwrap()).unwrap()
}

/// A create whose caller gives up after 150 ms, while the sandbox holds it `latency_ms`: the
/// request is at DGA by then, and the core finishes it on its own. Returns its reference1 and
/// the caller's runtime.
pub fn create_given_up(
    sb: &Sandbox,
    client: &dga_epayment::Client,
    latency_ms: u64,
) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(client.token()).unwrap();
    Control::new(sb).fault("create", "latency", 1, json!({ "latencyMs": latency_ms }));
    let request = payment_request(PaymentType::QrPayment, "42.00");
    let gave_up = rt.block_on(async {
        tokio::time::timeout(Duration::from_millis(150), client.create_payment(&request)).await
    });
    assert!(gave_up.is_err(), "the caller timed out");
    (request.request_reference1, rt)
}

/// The WARNING and ERROR lines logged in this test binary, as `"{level} {message}"`, once
/// [`capture_warnings`] installed the process's logger (a test binary of its own: the `log`
/// logger is set once per process).
pub fn warnings(containing: &str) -> Vec<String> {
    let lines = CAPTURED.lock().unwrap();
    lines
        .iter()
        .filter(|l| l.contains(containing))
        .cloned()
        .collect()
}

static CAPTURED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            let line = format!("{} {}", r.level(), r.args());
            CAPTURED.lock().unwrap().push(line);
        }
    }
    fn flush(&self) {}
}

/// Installs the logger [`warnings`] reads.
pub fn capture_warnings() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
}
