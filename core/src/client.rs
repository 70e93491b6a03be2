//! The client: one connection pool, one token cache, the retry policy of DESIGN.md.

use crate::config::{Config, Secret};
use crate::enums::{ErrorCode, ResponseStatus};
use crate::error::{Endpoint, Error, FieldError, Mismatch, Result};
use crate::lenient::{Fields, json_type};
use crate::model::{Callback, Confirmation, CreatePayment, Payment, PaymentStatus};
use reqwest::StatusCode;
use reqwest::blocking::Client as HttpClient;
use serde_json::{Value, json};
use std::error::Error as _;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

const LOG: &str = "dga_epayment";

/// A token from DGA's token endpoint. Neither `Debug` nor `Display` shows it.
#[derive(Clone)]
pub struct Token {
    value: Secret,
    obtained_at: Instant,
    generation: u64,
}

impl Token {
    /// The token itself, for the `Token` header.
    pub fn expose(&self) -> &str {
        self.value.expose()
    }
    /// How long ago it was obtained.
    pub fn age(&self) -> Duration {
        self.obtained_at.elapsed()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &self.value)
            .field("age", &self.age())
            .finish()
    }
}

/// A thread-safe DGA e-Payment client. Cheap to clone (clones share the connection pool and
/// the token cache); create one per configuration and share it.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: ForkSafeHttp,
    tokens: TokenCache,
    /// Each endpoint's URL, worked out once (indexed by `Endpoint as usize`).
    urls: Vec<reqwest::Url>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The token cache: one refresh at a time (single flight); callers that queued behind a failed
/// refresh get its error instead of starting one each.
struct TokenCache {
    /// Read by every call, written only on refresh: a read-write lock keeps calls from
    /// queueing behind each other.
    state: RwLock<TokenState>,
    refresh: Mutex<()>,
}

#[derive(Default)]
struct TokenState {
    token: Option<Token>,
    flights: u64,
    last_error: Option<Error>,
}

// A panic elsewhere must not turn every later call into a panic: recover poisoned locks.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

enum Request<'a> {
    Get(&'a [(&'a str, &'a str)]),
    Post(&'a Value),
}

/// DGA's response envelope.
struct Envelope {
    status: ResponseStatus,
    message: String,
    data: Option<Value>,
    warning: Option<String>,
}

/// A failed exchange, before the retry policy decides what it means.
enum Failure {
    /// No usable HTTP answer. `sent`: the request may have reached DGA.
    Transport {
        sent: bool,
        timeout: bool,
        message: String,
    },
    /// HTTP 429 or 5xx.
    Http { status: StatusCode, body: Vec<u8> },
}

/// The HTTP client a configuration asks for (connection pool, TLS roots, proxy).
fn build_http(config: &Config) -> Result<HttpClient> {
    let mut ua = format!("dga-epayment-rust/{}", env!("CARGO_PKG_VERSION"));
    if let Some(suffix) = &config.user_agent_suffix {
        ua.push(' ');
        ua.push_str(suffix);
    }
    let mut builder = HttpClient::builder()
        .use_rustls_tls()
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        // A redirect would carry the Token header (and, for the token call, the secret in
        // the query) to wherever it points: never follow one.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(ua)
        .pool_idle_timeout(Duration::from_secs(60));
    if let Some(proxy) = &config.proxy {
        let p = reqwest::Proxy::all(proxy.expose())
            .map_err(|_| Error::invalid("proxy", "is not a valid proxy URL"))?;
        builder = builder.proxy(p);
    }
    for (i, pem) in config.extra_ca_pem.iter().enumerate() {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|_| {
            Error::invalid(&format!("caCertificates[{i}]"), "is not a PEM certificate")
        })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| Error::invalid("http", describe(e)))
}

/// reqwest's blocking client does its I/O on a background thread, and `fork()` copies only the
/// calling thread: in a child (gunicorn `--preload`, Celery, multiprocessing) the parent's
/// client would wait on a thread that is not there. So the client remembers which process built
/// it, and a forked child builds its own on first use.
struct ForkSafeHttp {
    current: RwLock<(u32, HttpClient)>,
}

impl ForkSafeHttp {
    fn new(config: &Config) -> Result<ForkSafeHttp> {
        Ok(ForkSafeHttp {
            current: RwLock::new((std::process::id(), build_http(config)?)),
        })
    }

    fn get(&self, config: &Config) -> HttpClient {
        let pid = std::process::id();
        {
            let current = read(&self.current);
            if current.0 == pid {
                return current.1.clone();
            }
        }
        let mut current = write(&self.current);
        if current.0 != pid {
            match build_http(config) {
                Ok(fresh) => {
                    log::debug!(target: "dga_epayment", "new process {pid}: new HTTP client");
                    // Dropping the parent's client would try to stop and join its I/O thread,
                    // which does not exist in this process: leak it instead (once per fork).
                    std::mem::forget(std::mem::replace(&mut *current, (pid, fresh)));
                }
                // Cannot happen with a configuration that built once; keep the old client, whose
                // calls then end in a timeout rather than a crash.
                Err(e) => log::error!(target: "dga_epayment", "rebuilding the HTTP client: {e}"),
            }
        }
        current.1.clone()
    }
}

impl Client {
    /// Builds the client (connection pool, TLS roots, proxy). No network call is made.
    pub fn new(config: Config) -> Result<Client> {
        let http = ForkSafeHttp::new(&config)?;
        let urls = Endpoint::ALL
            .iter()
            .map(|e| config.endpoint_url(*e))
            .collect();
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                tokens: TokenCache {
                    state: RwLock::new(TokenState::default()),
                    refresh: Mutex::new(()),
                },
                urls,
            }),
        })
    }

    /// `Client::new(Config::from_env()?)`.
    pub fn from_env() -> Result<Client> {
        Client::new(Config::from_env()?)
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A valid token: the cached one, or a new one from DGA (one request however many threads
    /// ask at once). You rarely need this: every call gets its own.
    pub fn token(&self) -> Result<Token> {
        self.inner.token()
    }

    /// Creates a payment transaction. Checks the request first (a `Validation` error lists
    /// every bad field). If the request may have reached DGA but no readable answer came back,
    /// the error is `OutcomeUnknown` with the references: check `status` before retrying.
    pub fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        let source = self.inner.config.source.as_deref();
        request.validate(source)?;
        let body = request.to_wire(source);
        let (r1, r2) = request.references();
        let env = self
            .inner
            .call(Endpoint::Create, Request::Post(&body), (&r1, &r2))?;
        let unknown = |message: String| Error::OutcomeUnknown {
            endpoint: Endpoint::Create,
            reference1: r1.clone(),
            reference2: r2.clone(),
            message,
        };
        let data = env
            .data
            .as_ref()
            .and_then(Value::as_object)
            .ok_or_else(|| unknown("DGA answered success without the payment data".to_owned()))?;
        let mut payment = Payment::from_create_data(data, &r1, &r2).map_err(|errors| {
            unknown(format!(
                "DGA's answer could not be read: {}",
                join_fields(&errors)
            ))
        })?;
        payment.warning = env.warning;
        log::info!(target: LOG, "created payment orderRef={} reference1={r1}", payment.order_ref);
        Ok(payment)
    }

    /// Reads a transaction's state from DGA. Safe to repeat: retried on connection errors,
    /// timeouts, 429 and 5xx.
    pub fn status(&self, reference1: &str, reference2: &str) -> Result<PaymentStatus> {
        let (r1, r2) = check_references(reference1, reference2, None)?;
        let query = [("reference1", r1.as_str()), ("reference2", r2.as_str())];
        let env = self
            .inner
            .call(Endpoint::Status, Request::Get(&query), (&r1, &r2))?;
        let protocol = |message: String| Error::Protocol {
            endpoint: Endpoint::Status,
            message,
        };
        let map = match &env.data {
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(protocol(format!(
                    "expected the status data object, got {}",
                    json_type(other)
                )));
            }
            None => return Err(protocol("DGA answered success without status data".into())),
        };
        let mut f = Fields::new(map);
        let status = PaymentStatus::read(&mut f, false);
        let mut status = match status {
            Some(s) if f.errors.is_empty() => s,
            _ => return Err(protocol(join_fields(&f.errors))),
        };
        if status.ref1.is_empty() {
            status.ref1 = r1;
            status.ref2 = r2;
        }
        status.warning = env.warning;
        Ok(status)
    }

    /// Closes an unpaid transaction (a paid one gives `Api` error 14).
    pub fn close(&self, reference1: &str, reference2: &str) -> Result<Confirmation> {
        let (r1, r2) = check_references(reference1, reference2, None)?;
        let body = json!({ "reference1": r1, "reference2": r2 });
        let env = self
            .inner
            .call(Endpoint::Close, Request::Post(&body), (&r1, &r2))?;
        Ok(env.confirmation())
    }

    /// Voids a paid FastPay transaction; `payment_reference` is the `refId` from status or
    /// the callback. May give `OutcomeUnknown` like create.
    pub fn void(
        &self,
        reference1: &str,
        reference2: &str,
        payment_reference: &str,
    ) -> Result<Confirmation> {
        let (r1, r2) = check_references(reference1, reference2, Some(payment_reference))?;
        let body = json!({
            "reference1": r1,
            "reference2": r2,
            "paymentReference": payment_reference.trim(),
        });
        let env = self
            .inner
            .call(Endpoint::Void, Request::Post(&body), (&r1, &r2))?;
        Ok(env.confirmation())
    }

    /// What a callback endpoint does first: parses DGA's raw callback body and, when `verify`
    /// is true (the default everywhere), confirms it with [`Client::verify_callback`],
    /// returning DGA's own status. Answer DGA with [`crate::CallbackReply`]: `accepted` once
    /// the agency has recorded the result, `for_error` with this function's error.
    pub fn receive_callback(&self, body: &[u8], verify: bool) -> Result<Callback> {
        let callback = crate::model::parse_callback(body)?;
        if verify {
            self.verify_callback(&callback)
        } else {
            Ok(callback)
        }
    }

    /// Confirms a callback with DGA: re-reads the status and checks that the references,
    /// amount, paid status and refId agree. Callbacks are unsigned (Q9); act on the status this
    /// returns, never on the callback alone. A disagreement is a `Verification` error.
    pub fn verify_callback(&self, callback: &Callback) -> Result<PaymentStatus> {
        let status = match self.status(&callback.ref1, &callback.ref2) {
            Err(Error::Api {
                error_code: Some(ErrorCode::TransactionNotFound),
                ..
            }) => {
                return Err(Error::Verification {
                    mismatches: vec![Mismatch {
                        field: "ref1/ref2".into(),
                        callback: format!("{}/{}", callback.ref1, callback.ref2),
                        dga: "no such transaction".into(),
                    }],
                });
            }
            other => other?,
        };
        let mut mismatches = Vec::new();
        let mut check = |field: &str, cb: String, dga: String| {
            if cb != dga {
                mismatches.push(Mismatch {
                    field: field.into(),
                    callback: cb,
                    dga,
                });
            }
        };
        check("ref1", callback.ref1.clone(), status.ref1.clone());
        check("ref2", callback.ref2.clone(), status.ref2.clone());
        if callback.amount != status.amount {
            check(
                "amount",
                callback.amount.to_string(),
                status.amount.to_string(),
            );
        }
        check(
            "paidStatus",
            callback.paid_status.to_string(),
            status.paid_status.to_string(),
        );
        if let (Some(a), Some(b)) = (&callback.ref_id, &status.ref_id) {
            check("refId", a.clone(), b.clone());
        }
        if mismatches.is_empty() {
            Ok(status)
        } else {
            log::warn!(
                target: LOG,
                "callback for reference1={} does not match DGA's status ({} fields)",
                callback.ref1,
                mismatches.len()
            );
            Err(Error::Verification { mismatches })
        }
    }
}

fn check_references(
    r1: &str,
    r2: &str,
    payment_reference: Option<&str>,
) -> Result<(String, String)> {
    let mut errors = Vec::new();
    if r1.trim().is_empty() {
        errors.push(FieldError::new("reference1", "is required"));
    }
    if payment_reference.is_some_and(|p| p.trim().is_empty()) {
        errors.push(FieldError::new("paymentReference", "is required"));
    }
    if errors.is_empty() {
        Ok((r1.trim().to_owned(), r2.trim().to_owned()))
    } else {
        Err(Error::Validation { errors })
    }
}

fn join_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A transport error's text without its URL (the token URL's query holds the secret).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

impl Envelope {
    fn confirmation(self) -> Confirmation {
        Confirmation {
            status: self.status,
            message: self.message,
            data: self.data,
            warning: self.warning,
        }
    }
}

impl Inner {
    fn url(&self, endpoint: Endpoint) -> &reqwest::Url {
        &self.urls[endpoint as usize]
    }

    /// This process's HTTP client (see [`ForkSafeHttp`]).
    fn http(&self) -> HttpClient {
        self.http.get(&self.config)
    }

    /// Removes anything secret from text that came from outside (transport errors, DGA's
    /// messages), in case it echoes a credential back.
    fn scrub(&self, text: impl Into<String>) -> String {
        let mut text = text.into();
        let mut secrets = vec![
            self.config.consumer_secret.expose().to_owned(),
            self.config.consumer_key.expose().to_owned(),
        ];
        if let Some(p) = &self.config.proxy {
            secrets.push(p.expose().to_owned());
        }
        if let Some(t) = &read(&self.tokens.state).token {
            secrets.push(t.expose().to_owned());
        }
        for s in secrets.iter().filter(|s| s.len() >= 4) {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "<redacted>");
            }
        }
        text
    }

    fn token(&self) -> Result<Token> {
        let max_age = self.config.token_max_age;
        let fresh = |st: &TokenState| st.token.clone().filter(|t| t.age() < max_age);
        let seen = {
            let st = read(&self.tokens.state);
            if let Some(t) = fresh(&st) {
                return Ok(t);
            }
            st.flights
        };
        let _flight = lock(&self.tokens.refresh);
        {
            let st = read(&self.tokens.state);
            if let Some(t) = fresh(&st) {
                return Ok(t);
            }
            if st.flights != seen
                && let Some(e) = &st.last_error
            {
                // We queued behind a refresh that failed: share its outcome.
                return Err(e.clone());
            }
        }
        let result = self.fetch_token();
        let mut st = write(&self.tokens.state);
        st.flights += 1;
        match result {
            Ok(value) => {
                let token = Token {
                    value,
                    obtained_at: Instant::now(),
                    generation: st.flights,
                };
                st.token = Some(token.clone());
                st.last_error = None;
                Ok(token)
            }
            Err(e) => {
                st.token = None;
                st.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Drops the cached token if it is still the one that was rejected.
    fn invalidate(&self, token: &Token) {
        let mut st = write(&self.tokens.state);
        if st
            .token
            .as_ref()
            .is_some_and(|t| t.generation == token.generation)
        {
            st.token = None;
        }
    }

    /// The guide: "if the token request fails, call it again until a token is obtained";
    /// bounded here, with exponential backoff and full jitter.
    fn fetch_token(&self) -> Result<Secret> {
        let c = &self.config;
        let url = self.url(Endpoint::Token);
        let attempts = c.retry.token_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            if attempt > 1 {
                std::thread::sleep(c.retry.backoff(attempt - 1));
            }
            let started = Instant::now();
            let sent = self
                .http()
                .get(url.clone())
                .query(&[
                    ("ConsumerSecret", c.consumer_secret.expose()),
                    ("AgentID", c.agent_id.as_str()),
                ])
                .header("Consumer-Key", c.consumer_key.expose())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .send()
                .and_then(|r| {
                    let status = r.status();
                    r.bytes().map(|b| (status, b))
                });
            let (status, body) = match sent {
                Ok(ok) => ok,
                Err(e) => {
                    last = self.scrub(describe(e));
                    log::warn!(target: LOG, "token attempt {attempt}/{attempts} failed: {last}");
                    continue;
                }
            };
            log::debug!(
                target: LOG,
                "token GET {} -> HTTP {} in {} ms",
                url.path(),
                status.as_u16(),
                started.elapsed().as_millis()
            );
            if matches!(status.as_u16(), 400 | 401 | 403) {
                // Credentials or AgentID refused: asking again will not change the answer.
                let detail = token_message(&body)
                    .map(|m| format!(": {}", self.scrub(m)))
                    .unwrap_or_default();
                return Err(Error::Auth {
                    message: format!(
                        "DGA refused the Consumer-Key, ConsumerSecret or AgentID (HTTP {}){detail}",
                        status.as_u16()
                    ),
                });
            }
            if status.is_success() {
                match token_result(&body) {
                    Some(token) => return Ok(Secret::new(token)),
                    None => last = "the answer held no token (no \"Result\")".into(),
                }
            } else {
                last = format!("HTTP {}", status.as_u16());
            }
            log::warn!(target: LOG, "token attempt {attempt}/{attempts} failed: {last}");
        }
        Err(Error::Auth {
            message: format!("no token after {attempts} attempts; last problem: {last}"),
        })
    }

    fn send(
        &self,
        endpoint: Endpoint,
        request: &Request<'_>,
        token: &Token,
    ) -> std::result::Result<(StatusCode, Vec<u8>), reqwest::Error> {
        let url = self.url(endpoint).clone();
        let builder = match request {
            Request::Get(query) => self.http().get(url).query(query),
            Request::Post(body) => self.http().post(url).json(body),
        };
        let response = builder
            .header("Consumer-Key", self.config.consumer_key.expose())
            .header("Token", token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .send()?;
        let status = response.status();
        let body = response.bytes()?;
        Ok((status, body.to_vec()))
    }

    /// One payment call under the retry policy of DESIGN.md.
    fn call(
        &self,
        endpoint: Endpoint,
        request: Request<'_>,
        refs: (&str, &str),
    ) -> Result<Envelope> {
        let retry = &self.config.retry;
        let max_attempts = if endpoint == Endpoint::Status {
            retry.status_attempts
        } else {
            retry.connect_attempts
        }
        .max(1);
        let path = self.url(endpoint).path();
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = self.token()?;
            let started = Instant::now();
            let failure = match self.send(endpoint, &request, &token) {
                Ok((status, body)) => {
                    log::debug!(
                        target: LOG,
                        "{endpoint} {path} -> HTTP {} in {} ms (attempt {attempt})",
                        status.as_u16(),
                        started.elapsed().as_millis()
                    );
                    if matches!(status.as_u16(), 401 | 403) {
                        // The token was refused before anything was done: safe to repeat once
                        // with a new one, for every endpoint.
                        self.invalidate(&token);
                        if !refreshed {
                            refreshed = true;
                            attempt -= 1;
                            log::info!(target: LOG, "{endpoint}: token refused (HTTP {}), refreshing", status.as_u16());
                            continue;
                        }
                        return Err(Error::Auth {
                            message: format!(
                                "DGA refused a freshly obtained token for {endpoint} (HTTP {})",
                                status.as_u16()
                            ),
                        });
                    }
                    if status.as_u16() == 429 || status.is_server_error() {
                        Failure::Http { status, body }
                    } else {
                        return self.read_envelope(endpoint, status, &body, refs);
                    }
                }
                Err(e) => Failure::Transport {
                    // A connect failure (refused, unreachable, connect timeout) means nothing
                    // was sent; anything later may have reached DGA.
                    sent: !e.is_connect(),
                    timeout: e.is_timeout(),
                    message: self.scrub(describe(e)),
                },
            };
            // GET status is safe to repeat; the others only when nothing was sent.
            let retryable = endpoint == Endpoint::Status
                || matches!(failure, Failure::Transport { sent: false, .. });
            if retryable && attempt < max_attempts {
                let wait = retry.backoff(attempt);
                log::warn!(
                    target: LOG,
                    "{endpoint} attempt {attempt}/{max_attempts} failed ({}); retrying in {} ms",
                    failure.summary(),
                    wait.as_millis()
                );
                std::thread::sleep(wait);
                continue;
            }
            return Err(self.give_up(endpoint, failure, attempt, refs));
        }
    }

    fn give_up(
        &self,
        endpoint: Endpoint,
        failure: Failure,
        attempts: u32,
        refs: (&str, &str),
    ) -> Error {
        let may_have_acted = matches!(endpoint, Endpoint::Create | Endpoint::Void);
        let tries = if attempts > 1 {
            format!(" after {attempts} attempts")
        } else {
            String::new()
        };
        match failure {
            Failure::Transport {
                sent: true,
                message,
                timeout,
            } if may_have_acted => Error::OutcomeUnknown {
                endpoint,
                reference1: refs.0.to_owned(),
                reference2: refs.1.to_owned(),
                message: if timeout {
                    format!("no answer within the timeout: {message}")
                } else {
                    format!("the connection failed after the request was sent: {message}")
                },
            },
            Failure::Http { status, .. } if may_have_acted => Error::OutcomeUnknown {
                endpoint,
                reference1: refs.0.to_owned(),
                reference2: refs.1.to_owned(),
                message: format!("DGA answered HTTP {}", status.as_u16()),
            },
            Failure::Transport {
                timeout: true,
                message,
                ..
            } => Error::Timeout {
                endpoint,
                message: format!("{message}{tries}"),
            },
            Failure::Transport { message, .. } => Error::Network {
                endpoint,
                message: format!("{message}{tries}"),
            },
            Failure::Http { status, body } => match parse_envelope(&body) {
                Ok(env) if env.status == ResponseStatus::Error => self.api_error(endpoint, env),
                _ => Error::Network {
                    endpoint,
                    message: format!("DGA answered HTTP {}{tries}", status.as_u16()),
                },
            },
        }
    }

    fn api_error(&self, endpoint: Endpoint, env: RawEnvelope) -> Error {
        Error::Api {
            endpoint,
            status: env.status,
            error_code: env.error_code,
            message: self.scrub(env.message),
        }
    }

    fn read_envelope(
        &self,
        endpoint: Endpoint,
        http: StatusCode,
        body: &[u8],
        refs: (&str, &str),
    ) -> Result<Envelope> {
        match parse_envelope(body) {
            Ok(env) => {
                let is_error = env.status == ResponseStatus::Error
                    || (!env.status.is_known() && env.error_code.is_some());
                if is_error {
                    return Err(self.api_error(endpoint, env));
                }
                let warning = (env.status != ResponseStatus::Success).then(|| {
                    let w = if env.message.is_empty() {
                        format!("DGA answered {}", env.status)
                    } else {
                        self.scrub(env.message.clone())
                    };
                    log::warn!(target: LOG, "{endpoint}: DGA answered {}: {w}", env.status);
                    w
                });
                Ok(Envelope {
                    status: env.status,
                    message: self.scrub(env.message),
                    data: env.data,
                    warning,
                })
            }
            Err(problem) => {
                let problem = self.scrub(problem);
                if http.is_success() && matches!(endpoint, Endpoint::Create | Endpoint::Void) {
                    Err(Error::OutcomeUnknown {
                        endpoint,
                        reference1: refs.0.to_owned(),
                        reference2: refs.1.to_owned(),
                        message: format!(
                            "DGA's answer (HTTP {}) was unreadable: {problem}",
                            http.as_u16()
                        ),
                    })
                } else {
                    Err(Error::Protocol {
                        endpoint,
                        message: format!("HTTP {}: {problem}", http.as_u16()),
                    })
                }
            }
        }
    }
}

impl Failure {
    fn summary(&self) -> String {
        match self {
            Failure::Transport { message, .. } => message.clone(),
            Failure::Http { status, .. } => format!("HTTP {}", status.as_u16()),
        }
    }
}

struct RawEnvelope {
    status: ResponseStatus,
    error_code: Option<ErrorCode>,
    message: String,
    data: Option<Value>,
}

/// Reads `{status, errorCode, message, data}` leniently (keys in any case, enums as numbers
/// or names, unknown values kept).
fn parse_envelope(body: &[u8]) -> std::result::Result<RawEnvelope, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let map = value
        .as_object()
        .ok_or_else(|| format!("expected a JSON object, got {}", json_type(&value)))?;
    let mut f = Fields::new(map);
    let status = f
        .enumeration("status", true, ResponseStatus::from_json)
        .ok_or_else(|| "no envelope: \"status\" is missing or invalid".to_owned())?;
    let error_code = f.enumeration("errorCode", false, ErrorCode::from_json);
    let message = f.string("message", false).unwrap_or_default();
    let data = f.get("data").filter(|d| !d.is_null()).cloned();
    Ok(RawEnvelope {
        status,
        error_code,
        message,
        data,
    })
}

/// The token in `{"Result": "..."}` (Q2: the key's case varies).
fn token_result(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let map = value.as_object()?;
    let mut f = Fields::new(map);
    f.string("result", false).filter(|t| !t.trim().is_empty())
}

fn token_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let mut f = Fields::new(value.as_object()?);
    f.string("message", false).filter(|m| !m.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_is_read_leniently() {
        let env = parse_envelope(
            br#"{"Status": "error", "ErrorCode": "8", "Message": "x", "Data": null}"#,
        )
        .unwrap();
        assert_eq!(env.status, ResponseStatus::Error);
        assert_eq!(env.error_code, Some(ErrorCode::TransactionNotFound));
        assert!(env.data.is_none());
        assert!(parse_envelope(b"<html>").is_err());
        assert!(parse_envelope(br#"{"result": true}"#).is_err());
    }

    #[test]
    fn token_key_in_any_case() {
        assert_eq!(
            token_result(br#"{"Result": "abc"}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_result(br#"{"result": "abc"}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(token_result(br#"{"Result": ""}"#), None);
        assert_eq!(token_result(br#"{"Result": null}"#), None);
    }
}
