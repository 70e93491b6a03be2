//! The client: one connection pool, one token cache, the retry policy of DESIGN.md.

use crate::config::{Config, Secret, is_header_value, last4};
use crate::enums::{ErrorCode, PaidStatus, ResponseStatus};
use crate::error::{Endpoint, Error, FieldError, Mismatch, Result, VerificationReason};
use crate::lenient::{Fields, json_type};
use crate::model::{Callback, Confirmation, CreatePayment, Payment, PaymentStatus};
use reqwest::StatusCode;
use reqwest::blocking::Client as HttpClient;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::error::Error as _;
use std::fmt;
use std::io::Read;
use std::mem::ManuallyDrop;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
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
    verifications: Verifications,
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

/// The token cache: one refresh at a time (single flight); callers that waited on a failed
/// refresh get its error instead of starting one each, and so does every caller for
/// `token_failure_cooldown` after it. Waiters wait at most the request timeout.
///
/// No lock is held during the token request itself, only a note of which process is
/// refreshing: a child forked while its parent refreshes does not wait on a thread it lacks.
struct TokenCache {
    /// Read by every call, written only on refresh: a read-write lock keeps calls from
    /// queueing behind each other.
    state: RwLock<TokenState>,
    /// The process whose thread is refreshing now, if any.
    refreshing: Mutex<Option<u32>>,
    refreshed: Condvar,
}

#[derive(Default)]
struct TokenState {
    token: Option<Token>,
    flights: u64,
    /// The last round's error and when it ended, while no token has been obtained since.
    failure: Option<(Error, Instant)>,
}

/// Clears the refreshing mark however the refresh ends (a panic included) and wakes waiters.
struct RefreshGuard<'a>(&'a TokenCache);

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        *lock(&self.0.refreshing) = None;
        self.0.refreshed.notify_all();
    }
}

/// Callback verifications in flight: at most `max_concurrent_verifications`, and one status
/// call per reference however many deliveries of it arrive at once (DESIGN.md).
struct Verifications {
    running: Mutex<usize>,
    flights: Mutex<HashMap<(String, String), Arc<StatusFlight>>>,
}

/// One status call that concurrent verifications of the same references share.
#[derive(Default)]
struct StatusFlight {
    result: Mutex<Option<Result<PaymentStatus>>>,
    done: Condvar,
}

/// A verification's slot, given back on drop.
struct VerificationPermit<'a>(&'a Mutex<usize>);

impl Drop for VerificationPermit<'_> {
    fn drop(&mut self) {
        let mut n = lock(self.0);
        *n = n.saturating_sub(1);
    }
}

/// Ends a shared status call: publishes its result (an error if the caller unwound), removes
/// it from the map so the next delivery asks DGA afresh, and wakes the followers.
struct FlightGuard<'a> {
    verifications: &'a Verifications,
    key: (String, String),
    flight: Arc<StatusFlight>,
    result: Option<Result<PaymentStatus>>,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        let result = self.result.take().unwrap_or_else(|| {
            Err(Error::Network {
                endpoint: Endpoint::Status,
                message: "the shared status call was interrupted".into(),
            })
        });
        lock(&self.verifications.flights).remove(&self.key);
        *lock(&self.flight.result) = Some(result);
        self.flight.done.notify_all();
    }
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
    /// The token call: `ConsumerSecret` and `AgentID` in the query, no `Token` header.
    Token,
    Get(&'a [(&'a str, &'a str)]),
    Post(&'a Value),
}

/// DGA's response envelope.
pub(crate) struct Envelope {
    pub(crate) status: ResponseStatus,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
    pub(crate) warning: Option<String>,
}

/// A failed exchange, before the retry policy decides what it means.
enum Failure {
    /// No usable HTTP answer. `sent`: the request may have reached DGA.
    Transport {
        sent: bool,
        timeout: bool,
        message: String,
    },
    /// HTTP 429 or 5xx; `retry_after` from its `Retry-After` header (seconds).
    Http {
        status: StatusCode,
        body: Vec<u8>,
        retry_after: Option<Duration>,
    },
    /// The answer is longer than `max_response_bytes` (declared or as read): not read further.
    TooLarge { status: StatusCode, limit: usize },
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
        .pool_idle_timeout(config.pool_idle_timeout);
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
    /// Dropped by hand: only in the process that built it (see `Drop`).
    current: RwLock<(u32, ManuallyDrop<HttpClient>)>,
}

impl Drop for ForkSafeHttp {
    fn drop(&mut self) {
        let current = self.current.get_mut().unwrap_or_else(|e| e.into_inner());
        if current.0 == std::process::id() {
            // SAFETY: dropped once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut current.1) };
        }
        // Otherwise it is the parent's client in a forked child: dropping it would stop and
        // join an I/O thread that does not exist in this process (reqwest then panics:
        // "threads should not terminate unexpectedly"). Its memory is the parent's copy; leave it.
    }
}

impl ForkSafeHttp {
    fn new(config: &Config) -> Result<ForkSafeHttp> {
        Ok(ForkSafeHttp {
            current: RwLock::new((std::process::id(), ManuallyDrop::new(build_http(config)?))),
        })
    }

    fn get(&self, config: &Config) -> HttpClient {
        let pid = std::process::id();
        {
            let current = read(&self.current);
            if current.0 == pid {
                return HttpClient::clone(&current.1);
            }
        }
        let mut current = write(&self.current);
        if current.0 != pid {
            match build_http(config) {
                Ok(fresh) => {
                    log::debug!(target: "dga_epayment", "new process {pid}: new HTTP client");
                    // Dropping the parent's client would try to stop and join its I/O thread,
                    // which does not exist in this process: leave it (ManuallyDrop, once per
                    // fork).
                    *current = (pid, ManuallyDrop::new(fresh));
                }
                // Cannot happen with a configuration that built once; keep the old client, whose
                // calls then end in a timeout rather than a crash.
                Err(e) => log::error!(target: "dga_epayment", "rebuilding the HTTP client: {e}"),
            }
        }
        HttpClient::clone(&current.1)
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
                    refreshing: Mutex::new(None),
                    refreshed: Condvar::new(),
                },
                verifications: Verifications {
                    running: Mutex::new(0),
                    flights: Mutex::new(HashMap::new()),
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
        let payment = payment_from(env, &r1, &r2)?;
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
        status_from(env, &r1, &r2)
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

    /// What a callback endpoint does first: reads DGA's raw callback body and, when `verify`
    /// is true (the default everywhere), decides it by DGA's own status (DESIGN.md, "The
    /// callback contract"), returning that status: the handler acts on DGA's values, never the
    /// callback's. Answer DGA with [`crate::CallbackReply`]: `accepted` once the agency has
    /// recorded the result, `for_error` with this function's error.
    ///
    /// With `verify`, only the body's references must read (else a `Callback` error): DGA's
    /// status decides, so a delivery with an odd other field (a Q9 `paidStatus: 0`, an
    /// unreadable date) is still accepted when DGA confirms the payment; its problems are
    /// logged. Without `verify` this is [`crate::parse_callback`].
    pub fn receive_callback(&self, body: &[u8], verify: bool) -> Result<Callback> {
        if !verify {
            return crate::model::parse_callback(body);
        }
        let n = crate::model::read_notification(body)?;
        if !n.problems.is_empty() {
            let fields: Vec<&str> = n.problems.iter().map(|e| e.field.as_str()).collect();
            log::warn!(
                target: LOG,
                "callback for reference1={} reference2={} has unreadable fields ({}); \
                 deciding by DGA's status",
                n.ref1,
                n.ref2,
                fields.join(", ")
            );
        }
        self.confirm(
            &n.ref1,
            &n.ref2,
            n.paid_status.as_ref(),
            n.callback.as_ref(),
        )
    }

    /// Decides a parsed callback by DGA's own status, by DESIGN.md's callback contract, and
    /// returns that status. Callbacks are unsigned and the guide's own example sends
    /// `paidStatus: 0` for a paid payment (Q9), so the callback only says where to look:
    ///
    /// | DGA's status | the callback's paidStatus | result |
    /// | --- | --- | --- |
    /// | not found (errorCode 8) | any | `Verification` (`UnknownPayment`): reply 404 |
    /// | Pending | any | `Verification` (`PendingAtDga`): 409, DGA redelivers |
    /// | final | the same, Pending, or unknown | **Ok(DGA's status)**: reply 200 |
    /// | final | another known final value | `Verification` (`StatusDiffers`): 409 |
    /// | could not be read | any | that error: 503 |
    ///
    /// Other differences (amount, refId, dates) never refuse the callback: they are logged
    /// at WARNING with the callback's values, and the caller gets DGA's. Concurrent calls for
    /// the same references share one status call; more than `max_concurrent_verifications`
    /// at once fail at once (a `Network` error, reply 503) without calling DGA.
    pub fn verify_callback(&self, callback: &Callback) -> Result<PaymentStatus> {
        self.confirm(
            &callback.ref1,
            &callback.ref2,
            Some(&callback.paid_status),
            Some(callback),
        )
    }

    fn confirm(
        &self,
        ref1: &str,
        ref2: &str,
        claimed: Option<&PaidStatus>,
        callback: Option<&Callback>,
    ) -> Result<PaymentStatus> {
        let _permit = self.inner.verification_permit()?;
        let refs = || format!("{ref1}/{ref2}");
        let claimed_text = || claimed.map_or_else(|| "unreadable".to_owned(), |c| c.to_string());
        let status = match self.shared_status(ref1, ref2) {
            Err(Error::Api {
                error_code: Some(ErrorCode::TransactionNotFound),
                ..
            }) => {
                log::warn!(target: LOG, "callback for unknown payment reference1={ref1} reference2={ref2}");
                return Err(Error::Verification {
                    reason: VerificationReason::UnknownPayment,
                    mismatches: vec![Mismatch {
                        field: "ref1/ref2".into(),
                        callback: refs(),
                        dga: "no such transaction".into(),
                    }],
                });
            }
            other => other?,
        };
        let refuse = |reason: VerificationReason, status: &PaymentStatus| {
            log::warn!(
                target: LOG,
                "callback for reference1={ref1} reference2={ref2} claims paidStatus {} but DGA \
                 does not confirm it ({}); not accepted",
                claimed_text(),
                reason.code()
            );
            Err(Error::Verification {
                reason,
                mismatches: vec![Mismatch {
                    field: "paidStatus".into(),
                    callback: claimed_text(),
                    dga: status.paid_status.to_string(),
                }],
            })
        };
        if status.paid_status == PaidStatus::Pending {
            return refuse(VerificationReason::PendingAtDga, &status);
        }
        if let Some(c) = claimed
            && c.is_known()
            && *c != PaidStatus::Pending
            && *c != status.paid_status
        {
            return refuse(VerificationReason::StatusDiffers, &status);
        }
        if let Some(cb) = callback {
            log_differences(cb, &status);
        }
        Ok(status)
    }

    /// `status` for a callback's references, one call however many verifications of the same
    /// references run at once; the result is not kept after it returns.
    fn shared_status(&self, ref1: &str, ref2: &str) -> Result<PaymentStatus> {
        let key = (ref1.trim().to_owned(), ref2.trim().to_owned());
        let (flight, leader) = {
            let mut flights = lock(&self.inner.verifications.flights);
            match flights.get(&key) {
                Some(f) => (f.clone(), false),
                None => {
                    let f = Arc::new(StatusFlight::default());
                    flights.insert(key.clone(), f.clone());
                    (f, true)
                }
            }
        };
        if leader {
            let mut guard = FlightGuard {
                verifications: &self.inner.verifications,
                key,
                flight: flight.clone(),
                result: None,
            };
            let result = self.status(ref1, ref2);
            guard.result = Some(result.clone());
            return result;
        }
        let mut result = lock(&flight.result);
        loop {
            if let Some(r) = result.as_ref() {
                return r.clone();
            }
            result = flight.done.wait(result).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Logs, once, where a callback that DGA's status confirms differs from it: field names and
/// the callback's values only (DGA's are what the handler gets).
fn log_differences(cb: &Callback, dga: &PaymentStatus) {
    let mut fields = Vec::new();
    if cb.amount != dga.amount {
        fields.push(format!("amount {}", cb.amount));
    }
    if cb.ref_id.is_some() && cb.ref_id != dga.ref_id {
        fields.push(format!("refId {:?}", cb.ref_id.as_deref().unwrap_or("")));
    }
    if cb.payment_type.is_some() && cb.payment_type != dga.payment_type {
        fields.push(format!(
            "paymentType {}",
            cb.payment_type
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default()
        ));
    }
    if cb.paid_date.is_some() && cb.paid_date != dga.paid_date {
        fields.push("paidDate".to_owned());
    }
    if cb.paid_status != dga.paid_status {
        fields.push(format!("paidStatus {}", cb.paid_status));
    }
    if !fields.is_empty() {
        log::warn!(
            target: LOG,
            "callback for reference1={} reference2={} differs from DGA's status in: {} (the \
             callback's values); acting on DGA's",
            cb.ref1,
            cb.ref2,
            fields.join(", ")
        );
    }
}

/// Create's answer (a successful envelope) as the payment, with the request's references; an
/// answer without readable data is `OutcomeUnknown` (the payment may exist).
pub(crate) fn payment_from(env: Envelope, r1: &str, r2: &str) -> Result<Payment> {
    let unknown = |message: String| Error::OutcomeUnknown {
        endpoint: Endpoint::Create,
        reference1: r1.to_owned(),
        reference2: r2.to_owned(),
        message,
    };
    let data = env
        .data
        .as_ref()
        .and_then(Value::as_object)
        .ok_or_else(|| unknown("DGA answered success without the payment data".to_owned()))?;
    let mut payment = Payment::from_create_data(data, r1, r2).map_err(|errors| {
        unknown(format!(
            "DGA's answer could not be read: {}",
            join_fields(&errors)
        ))
    })?;
    payment.warning = env.warning;
    Ok(payment)
}

/// Status's answer (a successful envelope) as the payment's status; unreadable data is
/// `Protocol`. A status without `ref1` gets the references it was asked for.
pub(crate) fn status_from(env: Envelope, r1: &str, r2: &str) -> Result<PaymentStatus> {
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
    let mut status = match PaymentStatus::read(&mut f, false) {
        Some(s) if f.errors.is_empty() => s,
        _ => return Err(protocol(join_fields(&f.errors))),
    };
    if status.ref1.is_empty() {
        status.ref1 = r1.to_owned();
        status.ref2 = r2.to_owned();
    }
    status.warning = env.warning;
    Ok(status)
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

    /// A slot for one callback verification, or the 503-mapped error when all are taken.
    fn verification_permit(&self) -> Result<VerificationPermit<'_>> {
        let max = self.config.max_concurrent_verifications;
        let mut running = lock(&self.verifications.running);
        if *running >= max {
            log::warn!(target: LOG, "{max} callback verifications already running: refusing one (503)");
            return Err(Error::Network {
                endpoint: Endpoint::Status,
                message: format!(
                    "{max} callback verifications are already running \
                     (max_concurrent_verifications); DGA should deliver it again later"
                ),
            });
        }
        *running += 1;
        Ok(VerificationPermit(&self.verifications.running))
    }

    /// Removes anything secret from text that came from outside (transport errors, DGA's
    /// messages), in case it echoes a credential back, as written or percent-encoded (a URL).
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
        let encoded: Vec<String> = secrets
            .iter()
            .flat_map(|s| {
                let query: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
                let path = percent_encode_all(s);
                [query, path]
            })
            .collect();
        secrets.extend(encoded);
        // Longest first, so a secret's encoded form is not half-replaced by a shorter one.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets.iter().filter(|s| s.len() >= 4) {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "<redacted>");
            }
        }
        text
    }

    fn token(&self) -> Result<Token> {
        let max_age = self.config.token_max_age;
        let cooldown = self.config.token_failure_cooldown;
        let pid = std::process::id();
        let fresh = |st: &TokenState| st.token.clone().filter(|t| t.age() < max_age);
        let cooling = |st: &TokenState| {
            st.failure
                .as_ref()
                .filter(|(_, at)| at.elapsed() < cooldown)
                .map(|(e, _)| e.clone())
        };
        let seen = {
            let st = read(&self.tokens.state);
            if let Some(t) = fresh(&st) {
                return Ok(t);
            }
            if let Some(e) = cooling(&st) {
                return Err(e);
            }
            st.flights
        };
        // Wait for a refresh in flight in this process (at most the request timeout), or
        // become the one that refreshes.
        let deadline = Instant::now() + self.config.request_timeout;
        let mut refreshing = lock(&self.tokens.refreshing);
        loop {
            {
                let st = read(&self.tokens.state);
                if let Some(t) = fresh(&st) {
                    return Ok(t);
                }
                if let Some(e) = cooling(&st) {
                    return Err(e);
                }
                if st.flights != seen
                    && let Some((e, _)) = &st.failure
                {
                    // We waited on a refresh that failed: share its outcome.
                    return Err(e.clone());
                }
            }
            // A mark left by another process (a fork's parent) is not a refresh here.
            if *refreshing != Some(pid) {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Auth {
                    message: format!(
                        "no token: a token request in flight did not finish within {} ms",
                        self.config.request_timeout.as_millis()
                    ),
                });
            }
            refreshing = self
                .tokens
                .refreshed
                .wait_timeout(refreshing, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *refreshing = Some(pid);
        drop(refreshing);
        let _guard = RefreshGuard(&self.tokens);
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
                st.failure = None;
                Ok(token)
            }
            Err(e) => {
                st.token = None;
                st.failure = Some((e.clone(), Instant::now()));
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
        let attempts = c.retry.for_endpoint(Endpoint::Token).attempts;
        let mut last = String::new();
        for attempt in 1..=attempts {
            if attempt > 1 {
                std::thread::sleep(c.retry.backoff(attempt - 1));
            }
            let started = Instant::now();
            let (status, body) = match self.send(Endpoint::Token, &Request::Token, None) {
                Ok(ok) => ok,
                Err(f) => {
                    last = f.summary();
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
                        "DGA refused the Consumer-Key, ConsumerSecret or AgentID (AgentID {}) \
                         (HTTP {}){detail}",
                        last4(&c.agent_id),
                        status.as_u16()
                    ),
                });
            }
            if status.is_success() {
                match token_result(&body) {
                    Some(token) if is_header_value(token.trim()) => {
                        return Ok(Secret::new(token.trim()));
                    }
                    // It could never be sent as the Token header: not a token, not cached.
                    Some(_) => {
                        last = "the token DGA sent holds characters a header cannot carry \
                                (CR/LF, spaces or control characters)"
                            .into()
                    }
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

    /// One HTTP exchange: the request, then the answer read within the request timeout and
    /// `max_response_bytes` (one deadline for headers and body). 429 and 5xx are failures.
    fn send(
        &self,
        endpoint: Endpoint,
        request: &Request<'_>,
        token: Option<&Token>,
    ) -> std::result::Result<(StatusCode, Vec<u8>), Failure> {
        let c = &self.config;
        let url = self.url(endpoint).clone();
        let builder = match request {
            Request::Token => self.http().get(url).query(&[
                ("ConsumerSecret", c.consumer_secret.expose()),
                ("AgentID", c.agent_id.as_str()),
            ]),
            Request::Get(query) => self.http().get(url).query(query),
            Request::Post(body) => self.http().post(url).json(body),
        };
        let mut builder = builder
            .header("Consumer-Key", c.consumer_key.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            builder = builder.header("Token", token.expose());
        }
        let started = Instant::now();
        let response = builder.send().map_err(|e| self.transport(e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = self.read_body(response, started + c.request_timeout)?;
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Failure::Http {
                status,
                body,
                retry_after,
            });
        }
        Ok((status, body))
    }

    /// A transport error as a failure. A connect failure (refused, unreachable, connect
    /// timeout) or a request that could not even be built means nothing was sent.
    fn transport(&self, e: reqwest::Error) -> Failure {
        Failure::Transport {
            sent: !(e.is_connect() || e.is_builder()),
            timeout: e.is_timeout(),
            message: self.scrub(describe(e)),
        }
    }

    /// Reads an answer's body up to `max_response_bytes`, before `deadline`.
    fn read_body(
        &self,
        mut response: reqwest::blocking::Response,
        deadline: Instant,
    ) -> std::result::Result<Vec<u8>, Failure> {
        let status = response.status();
        let limit = self.config.max_response_bytes;
        let too_large = Failure::TooLarge { status, limit };
        let declared = response.content_length();
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large);
        }
        let mut body = Vec::with_capacity(declared.map_or(8192, |n| n as usize).min(limit));
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if Instant::now() >= deadline {
                return Err(Failure::Transport {
                    sent: true,
                    timeout: true,
                    message: format!(
                        "the answer's body did not arrive within {} ms (HTTP {})",
                        self.config.request_timeout.as_millis(),
                        status.as_u16()
                    ),
                });
            }
            match response.read(&mut chunk) {
                Ok(0) => return Ok(body),
                Ok(n) if body.len() + n > limit => return Err(too_large),
                Ok(n) => body.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let timeout = e.kind() == std::io::ErrorKind::TimedOut
                        || e.get_ref()
                            .and_then(|i| i.downcast_ref::<reqwest::Error>())
                            .is_some_and(|r| r.is_timeout());
                    return Err(Failure::Transport {
                        sent: true,
                        timeout,
                        message: self.scrub(format!("reading the answer failed: {e}")),
                    });
                }
            }
        }
    }

    /// One payment call under the retry policy of DESIGN.md.
    fn call(
        &self,
        endpoint: Endpoint,
        request: Request<'_>,
        refs: (&str, &str),
    ) -> Result<Envelope> {
        let retry = &self.config.retry;
        let rule = retry.for_endpoint(endpoint);
        let max_attempts = rule.attempts;
        let path = self.url(endpoint).path();
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = self.token()?;
            let started = Instant::now();
            let failure = match self.send(endpoint, &request, Some(&token)) {
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
                    return self.read_envelope(endpoint, status, &body, refs);
                }
                Err(f) => f,
            };
            // GET status is safe to repeat; the others only when nothing was sent. An answer
            // too large to read is not repeated: it would likely be the same.
            let retryable = match failure {
                Failure::TooLarge { .. } => false,
                Failure::Transport { sent: false, .. } => true,
                _ => rule.retry_after_send,
            };
            if retryable && attempt < max_attempts {
                let wait = match failure {
                    // DGA (or its proxy) said when to come back: honour it, within the cap.
                    Failure::Http {
                        retry_after: Some(after),
                        ..
                    } if rule.retry_after_send => after.min(retry.backoff_cap),
                    _ => retry.backoff(attempt),
                };
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
        let may_have_acted = self.config.retry.for_endpoint(endpoint).may_take_effect;
        let tries = if attempts > 1 {
            format!(" after {attempts} attempts")
        } else {
            String::new()
        };
        let unknown = |message: String| Error::OutcomeUnknown {
            endpoint,
            reference1: refs.0.to_owned(),
            reference2: refs.1.to_owned(),
            message,
        };
        match failure {
            Failure::Transport {
                sent: true,
                message,
                timeout,
            } if may_have_acted => unknown(if timeout {
                format!("no answer within the timeout: {message}")
            } else {
                format!("the connection failed after the request was sent: {message}")
            }),
            Failure::Http { status, .. } if may_have_acted => {
                unknown(format!("DGA answered HTTP {}", status.as_u16()))
            }
            Failure::TooLarge { status, limit } => {
                let message = format!(
                    "the answer (HTTP {}) is longer than max_response_bytes ({limit} bytes); \
                     not read",
                    status.as_u16()
                );
                if may_have_acted {
                    unknown(message)
                } else {
                    Error::Protocol { endpoint, message }
                }
            }
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
            Failure::Http { status, body, .. } => match parse_envelope(&body) {
                Ok(env) if env.status == ResponseStatus::Error => {
                    api_error(endpoint, env, &|t| self.scrub(t))
                }
                _ => Error::Network {
                    endpoint,
                    message: format!("DGA answered HTTP {}{tries}", status.as_u16()),
                },
            },
        }
    }

    fn read_envelope(
        &self,
        endpoint: Endpoint,
        http: StatusCode,
        body: &[u8],
        refs: (&str, &str),
    ) -> Result<Envelope> {
        let may_take_effect = self.config.retry.for_endpoint(endpoint).may_take_effect;
        read_answer(endpoint, may_take_effect, http, body, refs, &|t| {
            self.scrub(t)
        })
    }
}

/// What a DGA answer with a non-failure HTTP status means (DESIGN.md, "DGA's deviations"): an
/// `Api` error for envelope status Error; for a status the guide does not define, or an
/// unreadable success, `OutcomeUnknown` when the call may have taken effect (create, void),
/// else `Protocol`; otherwise the envelope. `scrub` redacts DGA's text.
pub(crate) fn read_answer(
    endpoint: Endpoint,
    may_have_acted: bool,
    http: StatusCode,
    body: &[u8],
    refs: (&str, &str),
    scrub: &dyn Fn(String) -> String,
) -> Result<Envelope> {
    let unreadable = |message: String| {
        if may_have_acted {
            Error::OutcomeUnknown {
                endpoint,
                reference1: refs.0.to_owned(),
                reference2: refs.1.to_owned(),
                message,
            }
        } else {
            Error::Protocol { endpoint, message }
        }
    };
    match parse_envelope(body) {
        Ok(env) if env.status == ResponseStatus::Error => Err(api_error(endpoint, env, scrub)),
        // A status the guide does not define (4, 7, ...) says neither success nor error:
        // never report it as a success.
        Ok(env) if !env.status.is_known() => Err(unreadable(format!(
            "DGA answered envelope status {} (HTTP {}), which the guide does not define{}",
            env.status,
            http.as_u16(),
            if env.message.is_empty() {
                String::new()
            } else {
                format!(": {}", scrub(env.message))
            }
        ))),
        Ok(env) => {
            let warning = (env.status != ResponseStatus::Success).then(|| {
                let w = if env.message.is_empty() {
                    format!("DGA answered {}", env.status)
                } else {
                    scrub(env.message.clone())
                };
                log::warn!(target: LOG, "{endpoint}: DGA answered {}: {w}", env.status);
                w
            });
            Ok(Envelope {
                status: env.status,
                message: scrub(env.message),
                data: env.data,
                warning,
            })
        }
        Err(problem) => {
            let problem = scrub(problem);
            if http.is_success() {
                Err(unreadable(format!(
                    "DGA's answer (HTTP {}) was unreadable: {problem}",
                    http.as_u16()
                )))
            } else {
                Err(Error::Protocol {
                    endpoint,
                    message: format!("HTTP {}: {problem}", http.as_u16()),
                })
            }
        }
    }
}

fn api_error(endpoint: Endpoint, env: RawEnvelope, scrub: &dyn Fn(String) -> String) -> Error {
    Error::Api {
        endpoint,
        status: env.status,
        error_code: env.error_code,
        message: scrub(env.message),
    }
}

/// Every byte but unreserved ones as `%XX` (how a secret looks in a URL path or userinfo).
fn percent_encode_all(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Failure {
    fn summary(&self) -> String {
        match self {
            Failure::Transport { message, .. } => message.clone(),
            Failure::Http { status, .. } => format!("HTTP {}", status.as_u16()),
            Failure::TooLarge { limit, .. } => {
                format!("the answer is longer than {limit} bytes")
            }
        }
    }
}

pub(crate) struct RawEnvelope {
    pub(crate) status: ResponseStatus,
    pub(crate) error_code: Option<ErrorCode>,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

/// Reads `{status, errorCode, message, data}` leniently (keys in any case, enums as numbers
/// or names, unknown values kept).
pub(crate) fn parse_envelope(body: &[u8]) -> std::result::Result<RawEnvelope, String> {
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
pub(crate) fn token_result(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let map = value.as_object()?;
    let mut f = Fields::new(map);
    f.string("result", false).filter(|t| !t.trim().is_empty())
}

pub(crate) fn token_message(body: &[u8]) -> Option<String> {
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
