//! The token cache: one refresh at a time (single flight); callers that waited on a failed
//! refresh get its error instead of starting one each, and so does every caller for
//! `token_failure_cooldown` after it. Waiters wait at most the request timeout
//! (docs/architecture.md#retry-rules). The cache belongs to one process (see `runtime`).

use crate::client::{Inner, LOG};
use crate::config::{Secret, is_header_value, last4};
use crate::envelope::{token_message, token_result};
use crate::error::{Endpoint, Error, Result};
use crate::http::{Failure, Request};
use reqwest::header::HeaderValue;
use std::fmt;
use std::sync::Arc;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// A token from DGA's token endpoint. Neither `Debug` nor `Display` shows it. Cheap to clone
/// (every call takes one).
#[derive(Clone)]
pub struct Token(Arc<Obtained>);

struct Obtained {
    value: Secret,
    /// The `Token` header, built once.
    header: HeaderValue,
    /// How it looks percent-encoded, for redaction (see `Inner::scrub`).
    encoded: [String; 2],
    obtained_at: Instant,
    generation: u64,
}

impl Token {
    /// The token itself, for the `Token` header.
    pub fn expose(&self) -> &str {
        self.0.value.expose()
    }
    /// How long ago it was obtained.
    pub fn age(&self) -> Duration {
        self.0.obtained_at.elapsed()
    }
    /// The `Token` header's value.
    pub(crate) fn header(&self) -> &HeaderValue {
        &self.0.header
    }
    /// The token percent-encoded (as a query, as a path).
    pub(crate) fn encoded(&self) -> &[String; 2] {
        &self.0.encoded
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &self.0.value)
            .field("age", &self.age())
            .finish()
    }
}

#[derive(Default)]
pub(crate) struct TokenCache {
    /// Read by every call, written only on refresh; never held across an await.
    state: RwLock<TokenState>,
    /// Held by the one refresh in flight; others wait on it.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct TokenState {
    token: Option<Token>,
    flights: u64,
    /// The last round's error and when it ended, while no token has been obtained since.
    failure: Option<(Error, Instant)>,
}

// A panic elsewhere must not turn every later call into a panic: recover poisoned locks.
fn read(m: &RwLock<TokenState>) -> RwLockReadGuard<'_, TokenState> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

fn write(m: &RwLock<TokenState>) -> RwLockWriteGuard<'_, TokenState> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

impl TokenCache {
    /// The cached token, for redacting text that may echo it.
    pub(crate) fn current(&self) -> Option<Token> {
        read(&self.state).token.clone()
    }
}

impl Inner {
    pub(crate) async fn token(&self) -> Result<Token> {
        let tokens = &self.state()?.tokens;
        let max_age = self.config.token_max_age;
        let cooldown = self.config.token_failure_cooldown;
        let fresh = |st: &TokenState| st.token.clone().filter(|t| t.age() < max_age);
        let cooling = |st: &TokenState| {
            st.failure
                .as_ref()
                .filter(|(_, at)| at.elapsed() < cooldown)
                .map(|(e, _)| e.clone())
        };
        let seen = {
            let st = read(&tokens.state);
            if let Some(t) = fresh(&st) {
                return Ok(t);
            }
            if let Some(e) = cooling(&st) {
                return Err(e);
            }
            st.flights
        };
        // Wait for a refresh in flight (at most the request timeout), or become the one.
        let timeout = self.config.request_timeout;
        let _refreshing = tokio::time::timeout(timeout, tokens.refresh.lock())
            .await
            .map_err(|_| Error::Auth {
                message: format!(
                    "no token: a token request in flight did not finish within {} ms",
                    timeout.as_millis()
                ),
                transient: true,
            })?;
        {
            let st = read(&tokens.state);
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
        let result = self.fetch_token().await;
        let mut st = write(&tokens.state);
        st.flights += 1;
        match result {
            Ok((value, header)) => {
                let token = Token(Arc::new(Obtained {
                    encoded: crate::client::encodings(value.expose()),
                    value,
                    header,
                    obtained_at: Instant::now(),
                    generation: st.flights,
                }));
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
    pub(crate) fn invalidate(&self, token: &Token) {
        let Ok(state) = self.state() else { return };
        let mut st = write(&state.tokens.state);
        if st
            .token
            .as_ref()
            .is_some_and(|t| t.0.generation == token.0.generation)
        {
            st.token = None;
        }
    }

    /// The guide: "if the token request fails, call it again until a token is obtained";
    /// bounded here, with exponential backoff and full jitter. A refused certificate is not
    /// retried: it is a `Network` error that names it (docs/architecture.md#errors).
    async fn fetch_token(&self) -> Result<(Secret, HeaderValue)> {
        let c = &self.config;
        let url = self.url(Endpoint::Token);
        let attempts = c.retry.for_endpoint(Endpoint::Token).attempts;
        let mut last = String::new();
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(c.retry.backoff(attempt - 1)).await;
            }
            let started = Instant::now();
            let (status, body) = match self.send(Endpoint::Token, &Request::Token, None).await {
                Ok(ok) => ok,
                Err(Failure::Certificate { message }) => {
                    return Err(Error::untrusted_certificate(Endpoint::Token, message));
                }
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
                // For operators (the caller gets the error too); a refused round is remembered
                // (tokenFailureCooldownMs), so this is at most one line a cooldown.
                log::warn!(target: LOG, "DGA refused the credentials (HTTP {}): every call fails with auth until they are fixed", status.as_u16());
                return Err(Error::Auth {
                    message: format!(
                        "DGA refused the Consumer-Key, ConsumerSecret or AgentID (AgentID {}) \
                         (HTTP {}){detail}",
                        last4(&c.agent_id),
                        status.as_u16()
                    ),
                    transient: false,
                });
            }
            if status.is_success() {
                // Visible ASCII (`is_header_value`) is always a valid header value.
                let header = token_result(&body)
                    .map(|t| (t.trim().to_owned(), HeaderValue::from_str(t.trim())));
                match header {
                    Some((token, Ok(mut header))) if is_header_value(&token) => {
                        header.set_sensitive(true);
                        // Counted by operators: about one per token lifetime per process.
                        log::info!(target: LOG, "new token from DGA");
                        return Ok((Secret::new(token), header));
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
            transient: true,
        })
    }
}
