//! The synchronous client, for callers without an async runtime: Django views, PHP, C, the
//! CLI. Each call is polled on the calling thread while the process's one runtime drives its
//! sockets and timers (docs/architecture.md#the-async-core). It works from any thread: inside
//! another async runtime the call runs on the SDK's and that thread is blocked meanwhile
//! (prefer the async [`crate::Client`] there); on one of the SDK's own runtime threads (a
//! completion callback) the runtime is told first, so it never deadlocks.

use crate::client::Ticket;
use crate::config::Config;
use crate::error::{Endpoint, Error, Result};
use crate::model::{Callback, Confirmation, CreatePayment, Payment, PaymentStatus};
use crate::runtime;
use crate::token::Token;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A thread-safe, synchronous DGA e-Payment client with the async client's methods. Cheap to
/// clone (clones share the connection pool and the token cache); create one per
/// configuration and share it.
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client,
}

impl Client {
    /// Builds the client (connection pool, TLS roots, proxy). No network call is made and no
    /// thread is started.
    pub fn new(config: Config) -> Result<Client> {
        Ok(Client {
            inner: crate::Client::new(config)?,
        })
    }

    /// `Client::new(Config::from_env()?)`.
    pub fn from_env() -> Result<Client> {
        Client::new(Config::from_env()?)
    }

    /// The async client this one waits on (same pool, same token cache).
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// See [`crate::Client::token`].
    pub fn token(&self) -> Result<Token> {
        let c = self.inner.clone();
        self.wait(Endpoint::Token, async move { c.token().await })
    }

    /// See [`crate::Client::create_payment`]. If the wait outlasts the call's whole budget
    /// (every attempt's timeouts and backoffs, time queued for a slot included) after the
    /// request may have been sent, the error is `OutcomeUnknown`, never `Timeout`.
    pub fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        let (r1, r2) = request.references();
        let c = self.inner.clone();
        let request = request.clone();
        self.wait_detached(Endpoint::Create, (r1, r2), move |t| async move {
            c.create_with(&request, t).await
        })
    }

    /// See [`crate::Client::status`].
    pub fn status(&self, reference1: &str, reference2: &str) -> Result<PaymentStatus> {
        let c = self.inner.clone();
        let (r1, r2) = (reference1.to_owned(), reference2.to_owned());
        self.wait(Endpoint::Status, async move { c.status(&r1, &r2).await })
    }

    /// See [`crate::Client::close`].
    pub fn close(&self, reference1: &str, reference2: &str) -> Result<Confirmation> {
        let c = self.inner.clone();
        let refs = (reference1.trim().to_owned(), reference2.trim().to_owned());
        let (r1, r2) = (reference1.to_owned(), reference2.to_owned());
        self.wait_detached(Endpoint::Close, refs, move |t| async move {
            c.close_with(&r1, &r2, t).await
        })
    }

    /// See [`crate::Client::void`].
    pub fn void(
        &self,
        reference1: &str,
        reference2: &str,
        payment_reference: &str,
    ) -> Result<Confirmation> {
        let c = self.inner.clone();
        let refs = (reference1.trim().to_owned(), reference2.trim().to_owned());
        let (r1, r2, p) = (
            reference1.to_owned(),
            reference2.to_owned(),
            payment_reference.to_owned(),
        );
        self.wait_detached(Endpoint::Void, refs, move |t| async move {
            c.void_with(&r1, &r2, &p, t).await
        })
    }

    /// See [`crate::Client::receive_callback`].
    pub fn receive_callback(&self, body: &[u8], verify: bool) -> Result<Callback> {
        if !verify {
            return crate::model::parse_callback(body);
        }
        let c = self.inner.clone();
        let body = body.to_vec();
        self.wait(Endpoint::Status, async move {
            c.receive_callback(&body, verify).await
        })
    }

    /// See [`crate::Client::receive_callback_known`]: `known_reference` answers from the
    /// agency's own orders; a reference it does not know is refused (404) without asking DGA.
    pub fn receive_callback_known(
        &self,
        body: &[u8],
        known_reference: impl FnOnce(&str, &str) -> bool,
    ) -> Result<Callback> {
        let (r1, r2) = crate::model::callback_references(body)?;
        if !known_reference(&r1, &r2) {
            return Err(self.inner.refuse_unknown_reference(&r1, &r2));
        }
        self.receive_callback(body, true)
    }

    /// See [`crate::Client::refuse_unknown_reference`].
    pub fn refuse_unknown_reference(&self, reference1: &str, reference2: &str) -> Error {
        self.inner.refuse_unknown_reference(reference1, reference2)
    }

    /// See [`crate::Client::verification_stats`].
    pub fn verification_stats(&self) -> crate::VerificationStats {
        self.inner.verification_stats()
    }

    /// See [`crate::Client::verify_callback`].
    pub fn verify_callback(&self, callback: &Callback) -> Result<PaymentStatus> {
        let c = self.inner.clone();
        let callback = callback.clone();
        self.wait(Endpoint::Status, async move {
            c.verify_callback(&callback).await
        })
    }

    /// The longest a call may take by its configuration: the token's attempts and the call's,
    /// each with its timeouts and the backoff between them, plus a 401's one refresh.
    fn budget(&self, endpoint: Endpoint) -> Duration {
        let c = self.config();
        let per_try = c.connect_timeout + c.request_timeout;
        let span = |e: Endpoint| {
            let n = c.retry.for_endpoint(e).attempts;
            per_try * n + c.retry.backoff_cap * n.saturating_sub(1)
        };
        span(Endpoint::Token) * 2 + span(endpoint) + per_try + Duration::from_secs(1)
    }

    fn wait<T: Send + 'static>(
        &self,
        endpoint: Endpoint,
        call: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let budget = self.budget(endpoint);
        match runtime::block_on(call, Instant::now() + budget) {
            Ok(Some(result)) => result,
            Ok(None) => Err(Error::Timeout {
                endpoint,
                message: format!(
                    "no result within {} ms (the call's whole budget)",
                    budget.as_millis()
                ),
            }),
            Err(e) => Err(Error::runtime_failed(endpoint, &e)),
        }
    }

    /// Waits on a create, void or close. Past the budget, the caller is gone: a request not
    /// yet written is then never sent (`Timeout`); one that may have been is `OutcomeUnknown`.
    fn wait_detached<T, F, Fut>(
        &self,
        endpoint: Endpoint,
        refs: (String, String),
        call: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Ticket>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let ticket = Arc::new(Ticket::default());
        let budget = self.budget(endpoint);
        match runtime::block_on(call(ticket.clone()), Instant::now() + budget) {
            Ok(Some(result)) => result,
            Ok(None) => {
                ticket.leave();
                if ticket.was_sent() {
                    Err(Error::OutcomeUnknown {
                        endpoint,
                        reference1: refs.0,
                        reference2: refs.1,
                        message: format!(
                            "no result within {} ms after the request may have been sent; \
                             its outcome will be logged",
                            budget.as_millis()
                        ),
                    })
                } else {
                    Err(Error::Timeout {
                        endpoint,
                        message: format!(
                            "not sent: it waited {} ms for a call slot or a token",
                            budget.as_millis()
                        ),
                    })
                }
            }
            Err(e) => Err(Error::runtime_failed(endpoint, &e)),
        }
    }
}
