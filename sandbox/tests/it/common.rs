//! Helpers shared by the integration tests: a sandbox on a free loopback port, a blocking
//! client, and a tiny callback receiver.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dga_sandbox::{Sandbox, SandboxConfig};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

pub const PREFIXES: [&str; 3] = [
    "/ws/dga/payment/",
    "/ws/dga/uat/payment/",
    "/ws/dga/dev/payment/",
];
pub const AGENT_ID: &str = "1234567890123";

pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// A reference unique within the test process.
pub fn unique_ref(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{tag}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A valid FastPay create body for `ref1`.
pub fn create_body(ref1: &str) -> Value {
    json!({
        "customerID": "1234567890123",
        "customerTitleName": "นาย",
        "customerFirstName": "ทดสอบ",
        "customerMiddleName": "",
        "customerLastName": "ระบบ",
        "bankCode": "KTB",
        "paymentType": "FastPay",
        "amount": "1000.50",
        "requestReference1": ref1,
        "requestReference2": "",
        "requestReference3": "",
        "source": "DGA",
    })
}

/// `body` with `changes` merged in (a null value removes the key).
pub fn with(mut body: Value, changes: Value) -> Value {
    let obj = body.as_object_mut().expect("object");
    for (k, v) in changes.as_object().expect("object") {
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    body
}

pub struct Env {
    pub sandbox: Sandbox,
    pub url: String,
    pub http: Client,
}

pub fn test_config() -> SandboxConfig {
    SandboxConfig {
        port: 0,
        callback_retry_delay: Duration::from_millis(50),
        ..SandboxConfig::default()
    }
}

pub fn start() -> Env {
    start_with(test_config())
}

pub fn start_with(config: SandboxConfig) -> Env {
    let sandbox = dga_sandbox::start(config).expect("sandbox starts");
    let url = sandbox.url();
    Env {
        sandbox,
        url,
        http: client(),
    }
}

/// Status code and body parsed as JSON (panics when the body is not JSON).
pub fn json_of(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

impl Env {
    pub fn token(&self) -> String {
        let (status, body) = json_of(
            self.http
                .get(format!("{}/ws/auth/validate", self.url))
                .query(&[("ConsumerSecret", "sandbox-secret"), ("AgentID", AGENT_ID)])
                .header("Consumer-Key", "sandbox-key")
                .send()
                .expect("token request"),
        );
        assert_eq!(status, 200, "{body}");
        body["Result"].as_str().expect("Result").to_string()
    }

    /// POSTs `body` (serialized JSON) to a payment endpoint.
    pub fn post(&self, prefix: &str, op: &str, token: &str, body: &Value) -> (u16, Value) {
        self.post_raw(prefix, op, token, body.to_string().into_bytes())
    }

    pub fn post_raw(&self, prefix: &str, op: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
        json_of(self.post_request(prefix, op, token, body).expect("request"))
    }

    pub fn post_request(
        &self,
        prefix: &str,
        op: &str,
        token: &str,
        body: Vec<u8>,
    ) -> reqwest::Result<Response> {
        self.http
            .post(format!("{}{prefix}{op}", self.url))
            .header("Consumer-Key", "sandbox-key")
            .header("Token", token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    }

    /// Sends a create request (production base) and hands back the raw outcome.
    pub fn create_request(&self, token: &str, body: &Value) -> reqwest::Result<Response> {
        self.post_request(PREFIXES[0], "create", token, body.to_string().into_bytes())
    }

    /// Creates a payment that must succeed; returns the envelope's data.
    pub fn create(&self, token: &str, body: &Value) -> Value {
        let (status, envelope) = self.post(PREFIXES[0], "create", token, body);
        assert_eq!(status, 200, "{envelope}");
        assert_eq!(envelope["status"], 0, "{envelope}");
        envelope["data"].clone()
    }

    pub fn status(&self, token: &str, ref1: &str, ref2: &str) -> (u16, Value) {
        self.status_at(PREFIXES[0], token, ref1, ref2)
    }

    pub fn status_at(&self, prefix: &str, token: &str, ref1: &str, ref2: &str) -> (u16, Value) {
        json_of(
            self.http
                .get(format!("{}{prefix}status", self.url))
                .query(&[("reference1", ref1), ("reference2", ref2)])
                .header("Consumer-Key", "sandbox-key")
                .header("Token", token)
                .send()
                .expect("status request"),
        )
    }

    /// The status data of a transaction that must exist.
    pub fn status_data(&self, token: &str, ref1: &str, ref2: &str) -> Value {
        let (code, envelope) = self.status(token, ref1, ref2);
        assert_eq!(code, 200, "{envelope}");
        assert_eq!(envelope["status"], 0, "{envelope}");
        envelope["data"].clone()
    }

    pub fn control_get(&self, path: &str) -> Value {
        let (status, body) = json_of(
            self.http
                .get(format!("{}/__sandbox/{path}", self.url))
                .send()
                .expect("control GET"),
        );
        assert_eq!(status, 200, "{body}");
        body
    }

    pub fn control_post(&self, path: &str, body: &Value) -> (u16, Value) {
        json_of(
            self.http
                .post(format!("{}/__sandbox/{path}", self.url))
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .expect("control POST"),
        )
    }

    pub fn add_fault(&self, fault: Value) -> Value {
        let (status, body) = self.control_post("faults", &fault);
        assert_eq!(status, 200, "{body}");
        body
    }

    pub fn simulate(&self, ref1: &str, outcome: &str) -> (u16, Value) {
        self.control_post("simulate", &json!({"reference1": ref1, "outcome": outcome}))
    }

    /// Request log entries for one endpoint.
    pub fn logged(&self, endpoint: &str) -> Vec<Value> {
        self.control_get("requests")
            .as_array()
            .expect("array")
            .iter()
            .filter(|e| e["endpoint"] == endpoint)
            .cloned()
            .collect()
    }

    /// Waits until the callback log has `n` entries.
    pub fn wait_callbacks(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.control_get("callbacks");
            let entries = log.as_array().expect("array").clone();
            if entries.len() >= n || Instant::now() > deadline {
                return entries;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What the receiver got: Content-Type and body.
pub type Received = (Option<String>, String);

#[derive(Default)]
struct ReceiverState {
    /// (HTTP status, body) answers, in order; then `{"result": true}`.
    script: Mutex<VecDeque<(u16, String)>>,
    received: Mutex<Vec<Received>>,
}

async fn receive(
    axum::extract::State(state): axum::extract::State<Arc<ReceiverState>>,
    headers: axum::http::HeaderMap,
    body: String,
) -> impl axum::response::IntoResponse {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    state.received.lock().unwrap().push((content_type, body));
    let (status, answer) = state.script.lock().unwrap().pop_front().unwrap_or((
        200,
        r#"{"requestTimeStamp": 1671095890, "message": "Success", "result": true}"#.to_string(),
    ));
    (
        axum::http::StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        answer,
    )
}

/// A local agency callback endpoint that answers from a script, then `{"result": true}`.
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    pub fn start(script: Vec<(u16, &str)>) -> Receiver {
        let state = Arc::new(ReceiverState {
            script: Mutex::new(
                script
                    .into_iter()
                    .map(|(s, b)| (s, b.to_string()))
                    .collect(),
            ),
            received: Mutex::default(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/callback", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new()
            .route("/callback", axum::routing::post(receive))
            .with_state(Arc::clone(&state));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("receiver serves");
            });
        });
        Receiver {
            url,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// (Content-Type, body) of every callback received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
