//! The public async client: one connection pool and one token cache per configuration (and
//! per process), calls on the process's one runtime (docs/architecture.md#the-async-core).
//! Creates, voids and closes run as detached tasks: a caller that goes away never stops a call
//! DGA may be acting on; its outcome is logged instead
//! (docs/architecture.md#cancellation-and-outcome-unknown).

use crate::config::Config;
use crate::envelope::{payment_from, read_status};
use crate::error::{Endpoint, Error, FieldError, Result};
use crate::http::{Request, build_http};
use crate::model::{Callback, Confirmation, CreatePayment, Payment, PaymentStatus};
use crate::runtime::{self, DetachedCall, PerProcess};
use crate::token::{Token, TokenCache};
use crate::verify::Verifications;
use serde_json::{Value, json};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{Notify, Semaphore};

pub(crate) const LOG: &str = "dga_epayment";
/// Callers' runtimes whose connection pools a client keeps (see `Inner::http`).
const MAX_RUNTIME_POOLS: usize = 8;

/// One status read of [`Client::status_many`].
pub type StatusFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<PaymentStatus>> + Send + 'static>>;

/// A thread-safe, async DGA e-Payment client. Cheap to clone (clones share the connection pool
/// and the token cache); create one per configuration and share it. Creates, voids and closes
/// run on the process's one runtime whatever awaits them; `status` and callback verification
/// run in place when awaited on a tokio runtime with the I/O and time drivers (as a bare
/// reqwest client does), else on the process's runtime. For synchronous code use
/// [`crate::blocking::Client`].
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    /// Each endpoint's URL, worked out once (indexed by `Endpoint as usize`).
    urls: Vec<reqwest::Url>,
    /// The `Consumer-Key` header, built once.
    pub(crate) consumer_key_header: reqwest::header::HeaderValue,
    /// The configuration's secrets as text from outside may echo them: the first
    /// `plain_secrets` as written, then each one's `encodings`. `scrub` adds the token's.
    secrets: Vec<String>,
    plain_secrets: usize,
    /// What must not cross a fork: pool, token, verifications, call slots.
    process: PerProcess<State>,
}

/// One process's part of a client (see `runtime`).
pub(crate) struct State {
    /// The pool of calls on the process's runtime.
    pub(crate) http: reqwest::Client,
    /// The pools of calls run in place on callers' runtimes, by runtime, the latest last
    /// (see `runtime::Here::Caller`).
    runtimes: RwLock<Vec<(tokio::runtime::Id, reqwest::Client)>>,
    pub(crate) tokens: TokenCache,
    pub(crate) verifications: Verifications,
    /// `max_in_flight` slots: more callers wait here, asynchronously.
    pub(crate) in_flight: Semaphore,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A create, void or close in flight: whether its request may have been written, and whether
/// its caller has gone away. A call whose caller left before it was written is not sent.
#[derive(Default)]
pub(crate) struct Ticket {
    sent: AtomicBool,
    gone: AtomicBool,
    left: Notify,
}

impl Ticket {
    pub(crate) fn was_sent(&self) -> bool {
        self.sent.load(Ordering::SeqCst)
    }

    /// Marks the caller gone (its future was dropped, its deadline passed).
    pub(crate) fn leave(&self) {
        self.gone.store(true, Ordering::SeqCst);
        self.left.notify_waiters();
    }

    /// Marks the request as about to be written, unless the caller has already left.
    pub(crate) fn mark_sent(&self) -> Result<()> {
        if self.was_sent() {
            return Ok(());
        }
        // The order pairs with `leave`: a caller leaving now either sees `sent`, or is seen.
        self.sent.store(true, Ordering::SeqCst);
        if self.gone.load(Ordering::SeqCst) {
            self.sent.store(false, Ordering::SeqCst);
            return Err(not_sent());
        }
        Ok(())
    }

    /// `future`, or the not-sent error as soon as the caller leaves.
    pub(crate) async fn unless_gone<T>(&self, future: impl Future<Output = T>) -> Result<T> {
        let left = self.left.notified();
        tokio::pin!(left);
        left.as_mut().enable();
        if self.gone.load(Ordering::SeqCst) {
            return Err(not_sent());
        }
        tokio::select! {
            v = future => Ok(v),
            _ = left => Err(not_sent()),
        }
    }
}

fn not_sent() -> Error {
    Error::network(
        Endpoint::Create,
        "cancelled by its caller before the request was sent: not sent to DGA",
    )
}

/// Marks the ticket's caller gone when the awaiting future is dropped before its result.
struct LeaveOnDrop<'a>(Option<&'a Ticket>);

impl Drop for LeaveOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.0 {
            t.leave();
        }
    }
}

/// Aborts a spawned status call when its caller's future is dropped.
struct AbortOnDrop(runtime::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Client {
    /// Builds the client (connection pool, TLS roots, proxy). No network call is made and no
    /// thread is started.
    pub fn new(config: Config) -> Result<Client> {
        if let Some(threads) = config.worker_threads {
            crate::runtime::set_worker_threads(threads);
        }
        let urls = Endpoint::ALL
            .iter()
            .map(|e| config.endpoint_url(*e))
            .collect();
        let mut consumer_key_header =
            reqwest::header::HeaderValue::from_str(config.consumer_key.expose())
                .map_err(|_| Error::invalid("consumerKey", "must be visible ASCII (a header)"))?;
        consumer_key_header.set_sensitive(true);
        let mut plain = vec![
            config.consumer_secret.expose().to_owned(),
            config.consumer_key.expose().to_owned(),
        ];
        if let Some(p) = &config.proxy {
            plain.push(p.expose().to_owned());
        }
        let plain_secrets = plain.len();
        let encoded: Vec<String> = plain.iter().flat_map(|s| encodings(s)).collect();
        let secrets = [plain, encoded].concat();
        let inner = Inner {
            config,
            urls,
            consumer_key_header,
            secrets,
            plain_secrets,
            process: PerProcess::new(),
        };
        // Built now so that a bad proxy or CA is an error here, not at the first call.
        inner.state()?;
        Ok(Client {
            inner: Arc::new(inner),
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

    /// A valid token: the cached one, or a new one from DGA (one request however many callers
    /// ask at once). You rarely need this: every call gets its own.
    pub async fn token(&self) -> Result<Token> {
        let inner = self.inner.clone();
        on_runtime(
            Endpoint::Token,
            Box::pin(async move { inner.token().await }),
        )
        .await
    }

    /// Creates a payment transaction. Checks the request first (a `Validation` error lists
    /// every bad field). If the request may have reached DGA but no readable answer came back,
    /// the error is `OutcomeUnknown` with the references: check `status` before retrying.
    ///
    /// Runs to its end even if this future is dropped once the request may have been sent
    /// (its outcome is then logged at WARNING); dropped before that, it is not sent.
    pub async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        self.create_with(request, Arc::default()).await
    }

    pub(crate) async fn create_with(
        &self,
        request: &CreatePayment,
        ticket: Arc<Ticket>,
    ) -> Result<Payment> {
        let source = self.inner.config.source.as_deref();
        request.validate(source)?;
        let body = request.to_wire(source);
        let (r1, r2) = request.references();
        let inner = self.inner.clone();
        let refs = (r1.clone(), r2.clone());
        detached(Endpoint::Create, (r1, r2), ticket, move |t| async move {
            let env = inner
                .call(Endpoint::Create, Request::Post(&body), (&refs.0, &refs.1), Some(&t), None)
                .await?;
            let payment = payment_from(env, &refs.0, &refs.1)?;
            log::info!(target: LOG, "created payment orderRef={} reference1={}", payment.order_ref, refs.0);
            Ok(payment)
        })
        .await
    }

    /// Reads a transaction's state from DGA. Safe to repeat: retried on connection errors,
    /// timeouts, 429 and 5xx. Dropping the future cancels it.
    pub async fn status(&self, reference1: &str, reference2: &str) -> Result<PaymentStatus> {
        let (r1, r2) = check_references(reference1, reference2, None)?;
        let inner = self.inner.clone();
        on_runtime(
            Endpoint::Status,
            Box::pin(async move { inner.status(&r1, &r2).await }),
        )
        .await
    }

    /// Closes an unpaid transaction (a paid one gives `Api` error 14). Like create, it runs
    /// to its end once sent, even if this future is dropped.
    pub async fn close(&self, reference1: &str, reference2: &str) -> Result<Confirmation> {
        self.close_with(reference1, reference2, Arc::default())
            .await
    }

    pub(crate) async fn close_with(
        &self,
        reference1: &str,
        reference2: &str,
        ticket: Arc<Ticket>,
    ) -> Result<Confirmation> {
        let (r1, r2) = check_references(reference1, reference2, None)?;
        let body = json!({ "reference1": r1, "reference2": r2 });
        self.change(Endpoint::Close, (r1, r2), body, ticket).await
    }

    /// Close or void: a change of state at DGA, run to its end once sent (see [`detached`]).
    async fn change(
        &self,
        endpoint: Endpoint,
        (r1, r2): (String, String),
        body: Value,
        ticket: Arc<Ticket>,
    ) -> Result<Confirmation> {
        let inner = self.inner.clone();
        let refs = (r1.clone(), r2.clone());
        // A final status remembered for callbacks must not outlive this client's own change.
        self.inner.state()?.verifications.forget(&r1, &r2);
        detached(endpoint, (r1, r2), ticket, move |t| async move {
            let (r1, r2) = (&refs.0, &refs.1);
            let post = Request::Post(&body);
            let result = inner.call(endpoint, post, (r1, r2), Some(&t), None).await;
            inner.forget_answers(r1, r2);
            Ok(result?.confirmation())
        })
        .await
    }

    /// Voids a paid FastPay transaction; `payment_reference` is the `refId` from status or
    /// the callback. May give `OutcomeUnknown` like create, and like create runs to its end
    /// once sent.
    pub async fn void(
        &self,
        reference1: &str,
        reference2: &str,
        payment_reference: &str,
    ) -> Result<Confirmation> {
        self.void_with(reference1, reference2, payment_reference, Arc::default())
            .await
    }

    pub(crate) async fn void_with(
        &self,
        reference1: &str,
        reference2: &str,
        payment_reference: &str,
        ticket: Arc<Ticket>,
    ) -> Result<Confirmation> {
        let (r1, r2) = check_references(reference1, reference2, Some(payment_reference))?;
        let body = json!({
            "reference1": r1,
            "reference2": r2,
            "paymentReference": payment_reference.trim(),
        });
        self.change(Endpoint::Void, (r1, r2), body, ticket).await
    }

    /// What a callback endpoint does first: reads DGA's raw callback body and, when `verify`
    /// is true (the default everywhere), decides it by DGA's own status
    /// (docs/architecture.md#the-callback-contract), returning that status: the handler acts
    /// on DGA's values, never the callback's. Answer DGA with [`crate::CallbackReply`]:
    /// `accepted` once the agency has recorded the result, `for_error` with this function's
    /// error.
    ///
    /// With `verify`, only the body's references must read (else a `Callback` error): DGA's
    /// status decides, so a delivery with an odd other field (a `paidStatus: 0`, Q9 in
    /// docs/protocol.md, or an unreadable date) is still accepted when DGA confirms the
    /// payment; its problems are logged. Without `verify` this is [`crate::parse_callback`].
    pub async fn receive_callback(&self, body: &[u8], verify: bool) -> Result<Callback> {
        let inner = self.inner.clone();
        let body = body.to_vec();
        on_runtime(
            Endpoint::Status,
            Box::pin(async move { inner.receive_callback(&body, verify).await }),
        )
        .await
    }

    /// Decides a parsed callback by DGA's own status and returns that status. Callbacks are
    /// unsigned and the guide's own example sends `paidStatus: 0` for a paid payment, so the
    /// callback only says where to look:
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
    /// at once fail at once (`Verification` with reason `busy`, reply 503) without calling DGA.
    pub async fn verify_callback(&self, callback: &Callback) -> Result<PaymentStatus> {
        let inner = self.inner.clone();
        let callback = callback.clone();
        on_runtime(
            Endpoint::Status,
            Box::pin(async move {
                let (r1, r2, paid) = (&callback.ref1, &callback.ref2, &callback.paid_status);
                inner.confirm(r1, r2, Some(paid), Some(&callback)).await
            }),
        )
        .await
    }
}

impl Client {
    /// [`Client::receive_callback`] (verifying) after the agency's own check: `known_reference`
    /// answers from the agency's orders whether it ever created `(reference1, reference2)`.
    /// When it says no, the delivery is refused at once (`Verification`, reason
    /// `unknown_payment`, reply 404) and DGA is not asked: a flood of forged references costs
    /// DGA nothing (docs/architecture.md#callback-floods).
    pub async fn receive_callback_known<F, Fut>(
        &self,
        body: &[u8],
        known_reference: F,
    ) -> Result<Callback>
    where
        F: FnOnce(&str, &str) -> Fut,
        Fut: Future<Output = bool>,
    {
        let (r1, r2) = crate::model::callback_references(body)?;
        if !known_reference(&r1, &r2).await {
            return Err(self.refuse_unknown_reference(&r1, &r2));
        }
        self.receive_callback(body, true).await
    }

    /// The error for a delivery whose references the agency does not know (its
    /// `known_reference` said no): counted in [`Client::verification_stats`], logged at most
    /// once a second, reply 404. For bindings whose predicate runs in their own language.
    pub fn refuse_unknown_reference(&self, reference1: &str, reference2: &str) -> Error {
        self.inner.refuse_unknown(reference1, reference2)
    }

    /// Reads the status of every reference of `references` (a stream of input rows, as
    /// [`crate::reconcile::read_references`] gives them), at most `concurrency` at once and
    /// `rate` a second (0: no limit), with the normal retries; results come out in input
    /// order, each with its reference, and memory does not grow with the input
    /// (docs/architecture.md#operations).
    pub fn status_many<S>(
        &self,
        references: S,
        concurrency: usize,
        rate: u32,
    ) -> crate::reconcile::StatusMany<
        S,
        impl Fn(String, String) -> StatusFuture + use<S>,
        StatusFuture,
    >
    where
        S: futures_util::Stream<
                Item = std::result::Result<
                    crate::reconcile::Reference,
                    crate::reconcile::InputError,
                >,
            > + Unpin,
    {
        let client = self.clone();
        crate::reconcile::status_many(references, concurrency, rate, move |r1, r2| {
            let client = client.clone();
            Box::pin(async move { client.status(&r1, &r2).await }) as StatusFuture
        })
    }

    /// What callback verification has cost DGA and what it refused, since the client was
    /// built (in this process).
    pub fn verification_stats(&self) -> crate::VerificationStats {
        self.inner
            .state()
            .map(|s| s.verifications.counters.snapshot())
            .unwrap_or_default()
    }
}

/// Runs a cancellable call where it is awaited when that is a tokio runtime that can run it
/// (see `runtime::Here`), else on the process's runtime; dropping the returned future
/// cancels it. A panic in the call is an error, never the caller's.
///
/// The call comes boxed: its future is several kilobytes, which every `.await` up to the
/// caller's task would otherwise copy on each call.
async fn on_runtime<T: Send + 'static>(
    endpoint: Endpoint,
    future: std::pin::Pin<Box<impl Future<Output = Result<T>> + Send + 'static>>,
) -> Result<T> {
    if runtime::here() != runtime::Here::Elsewhere {
        use futures_util::FutureExt;
        return std::panic::AssertUnwindSafe(future)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(ended_unexpectedly(endpoint, true)));
    }
    let task = runtime::spawn(future).map_err(|e| Error::runtime_failed(endpoint, &e))?;
    let _abort = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(result) => result,
        Err(e) => Err(ended_unexpectedly(endpoint, e == runtime::Ended::Panicked)),
    }
}

fn ended_unexpectedly(endpoint: Endpoint, panic: bool) -> Error {
    Error::network(
        endpoint,
        format!(
            "the call ended unexpectedly ({})",
            if panic {
                "an internal error"
            } else {
                "cancelled"
            }
        ),
    )
}

/// Runs a create, void or close as a detached task: the caller awaits only its result. A
/// caller that leaves before the request is written stops it (not sent); after that the call
/// runs to its end and its outcome is logged at WARNING with the references.
async fn detached<T, F, Fut>(
    endpoint: Endpoint,
    refs: (String, String),
    ticket: Arc<Ticket>,
    work: F,
) -> Result<T>
where
    F: FnOnce(Arc<Ticket>) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Outcome + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (reference1, reference2) = refs.clone();
    let future = work(ticket.clone());
    let task_ticket = ticket.clone();
    let (r1, r2) = refs.clone();
    // Registered for the exit drain (made on the runtime, which exists by then) until `finish`
    // has logged its outcome: a drain that returned earlier would let that line go to a log the
    // binding has already taken down.
    let task = async move {
        let registered = DetachedCall::register(endpoint, &r1, &r2);
        (registered, future.await)
    };
    // The result goes to the caller from `finish`, once the call has left the runtime (a
    // panic drops `tx`: the caller then reports it below).
    // An outcome unknown is logged too, whoever receives it: an agency that loses the error
    // (a caught and ignored exception) still has the references in its log to check.
    let finish = move |got: std::result::Result<(DetachedCall, Result<T>), runtime::Ended>| {
        let Ok((_registered, result)) = got else {
            return;
        };
        let unknown = match &result {
            Err(e @ Error::OutcomeUnknown { .. }) => Some(e.to_string()),
            _ => None,
        };
        match tx.send(result) {
            Err(result) => log_unreceived(endpoint, &refs, &result, task_ticket.was_sent()),
            Ok(()) => {
                if let Some(e) = unknown {
                    let (r1, r2) = &refs;
                    log::warn!(target: LOG, "{endpoint} for reference1={r1} reference2={r2}: outcome unknown, check its status before trying again: {e}");
                }
            }
        }
    };
    runtime::spawn_then(task, finish).map_err(|e| Error::runtime_failed(endpoint, &e))?;
    let mut leave = LeaveOnDrop(Some(&ticket));
    let result = rx.await;
    leave.0 = None;
    result.unwrap_or_else(|_| {
        // The task ended without a result: it panicked.
        Err(if ticket.was_sent() {
            Error::OutcomeUnknown {
                endpoint,
                reference1,
                reference2,
                message: "the call failed unexpectedly after its request may have been sent".into(),
            }
        } else {
            Error::network(endpoint, "the call failed unexpectedly before it was sent")
        })
    })
}

/// A detached call's result, as its log line says it.
#[doc(hidden)]
pub trait Outcome {
    /// One line for the log.
    fn describe(&self) -> String;
}

impl Outcome for Payment {
    fn describe(&self) -> String {
        format!("payment created at DGA: orderRef={}", self.order_ref)
    }
}

impl Outcome for Confirmation {
    fn describe(&self) -> String {
        format!(
            "done at DGA: status={} message={:?}",
            self.status, self.message
        )
    }
}

/// The outcome of a create, void or close whose caller went away (docs/architecture.md,
/// #cancellation-and-outcome-unknown): once, at WARNING, with the references. Public for
/// bindings whose own cancellation path receives such a result (Python's event-loop bridge).
#[doc(hidden)]
pub fn log_unreceived<T: Outcome>(
    endpoint: Endpoint,
    refs: &(String, String),
    result: &Result<T>,
    sent: bool,
) {
    let (r1, r2) = refs;
    if !sent {
        log::info!(target: LOG, "{endpoint} for reference1={r1} reference2={r2} was cancelled before it was sent: not sent to DGA");
        return;
    }
    let outcome = match result {
        Ok(v) => v.describe(),
        Err(e) => format!("failed ({}): {e}", e.kind()),
    };
    log::warn!(target: LOG, "{endpoint} for reference1={r1} reference2={r2} finished after its caller went away: {outcome}");
}

impl Inner {
    /// This process's pool, token cache and slots (built anew in a forked child).
    pub(crate) fn state(&self) -> Result<&State> {
        self.process.get_or_try_init(|| {
            Ok(State {
                http: build_http(&self.config)?,
                runtimes: RwLock::default(),
                tokens: TokenCache::default(),
                verifications: Verifications::default(),
                in_flight: Semaphore::new(self.config.max_in_flight),
            })
        })
    }

    /// The pool for a call running on this thread: the caller's runtime's own when the call
    /// runs in place there (built on its first call), else the process runtime's.
    pub(crate) fn http(&self, state: &State) -> Result<reqwest::Client> {
        let runtime::Here::Caller(id) = runtime::here() else {
            return Ok(state.http.clone());
        };
        let find = |pools: &[(tokio::runtime::Id, reqwest::Client)]| {
            pools
                .iter()
                .rev()
                .find(|(r, _)| *r == id)
                .map(|(_, h)| h.clone())
        };
        if let Some(http) = find(&state.runtimes.read().unwrap_or_else(|e| e.into_inner())) {
            return Ok(http);
        }
        let mut pools = state.runtimes.write().unwrap_or_else(|e| e.into_inner());
        if let Some(http) = find(&pools) {
            return Ok(http);
        }
        // Runtimes end (a test's, a worker's) without saying so: keep only the latest few.
        if pools.len() >= MAX_RUNTIME_POOLS {
            pools.remove(0);
        }
        let http = build_http(&self.config)?;
        pools.push((id, http.clone()));
        Ok(http)
    }

    fn forget_answers(&self, r1: &str, r2: &str) {
        if let Ok(state) = self.state() {
            state.verifications.forget(r1, r2);
        }
    }

    pub(crate) fn url(&self, endpoint: Endpoint) -> &reqwest::Url {
        &self.urls[endpoint as usize]
    }

    /// The status call itself, on the runtime (the verifications call it too).
    pub(crate) async fn status(&self, r1: &str, r2: &str) -> Result<PaymentStatus> {
        let query = [("reference1", r1), ("reference2", r2)];
        let read = |http, body: &[u8]| read_status(http, body, (r1, r2), &|t| self.scrub(t));
        self.call_with(
            Endpoint::Status,
            Request::Get(&query),
            (r1, r2),
            None,
            None,
            read,
        )
        .await
    }

    /// A status call made to verify a callback: counted in the verification stats.
    pub(crate) async fn verification_status(&self, r1: &str, r2: &str) -> Result<PaymentStatus> {
        let counter = &self.state()?.verifications.counters.status_calls;
        let query = [("reference1", r1), ("reference2", r2)];
        let read = |http, body: &[u8]| read_status(http, body, (r1, r2), &|t| self.scrub(t));
        self.call_with(
            Endpoint::Status,
            Request::Get(&query),
            (r1, r2),
            None,
            Some(counter),
            read,
        )
        .await
    }

    /// Removes anything secret from text that came from outside (transport errors, DGA's
    /// messages), in case it echoes a credential back, as written or percent-encoded (a URL).
    pub(crate) fn scrub(&self, text: impl Into<String>) -> String {
        let mut text = text.into();
        let token = self.process.get().and_then(|s| s.tokens.current());
        // As written first, then encoded (the token after the configuration's secrets in
        // each group); longest first, so a secret's encoded form is not half-replaced by a
        // shorter one.
        let mut secrets: Vec<&str> = Vec::with_capacity(self.secrets.len() + 3);
        let (plain, encoded) = self.secrets.split_at(self.plain_secrets);
        secrets.extend(plain.iter().map(String::as_str));
        secrets.extend(token.as_ref().map(|t| t.expose()));
        secrets.extend(encoded.iter().map(String::as_str));
        if let Some(t) = &token {
            secrets.extend(t.encoded().iter().map(String::as_str));
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets.into_iter().filter(|s| s.len() >= 4) {
            if text.contains(s) {
                text = text.replace(s, "<redacted>");
            }
        }
        text
    }
}

/// A secret as it looks percent-encoded in a query and in a URL path or userinfo.
pub(crate) fn encodings(secret: &str) -> [String; 2] {
    [
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        percent_encode_all(secret),
    ]
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
    let given = [("reference1", Some(r1)), ("reference2", Some(r2))];
    for (field, value) in given
        .into_iter()
        .chain([("paymentReference", payment_reference)])
    {
        if let Some(problem) = value.and_then(|v| crate::model::reference_problem(v.trim())) {
            errors.push(FieldError::new(field, problem));
        }
    }
    if errors.is_empty() {
        Ok((r1.trim().to_owned(), r2.trim().to_owned()))
    } else {
        Err(Error::Validation { errors })
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
