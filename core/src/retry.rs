//! One payment call under the retry rules (docs/architecture.md#retry-rules): status is
//! repeated after timeouts, resets, 429 and 5xx; close, create and void only when nothing was
//! sent; a refused token is replaced once; and a create or void that may have reached DGA
//! ends as `OutcomeUnknown`, never as a plain failure.

use crate::client::{Inner, LOG, Ticket};
use crate::enums::ResponseStatus;
use crate::envelope::{Envelope, api_error, parse_envelope, read_answer};
use crate::error::{Endpoint, Error, Result};
use crate::http::{Failure, Request};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

impl Inner {
    /// One payment call: a slot among `max_in_flight`, a token, then attempts under the
    /// endpoint's rule. With a `ticket` (create, void, close), a caller that has gone away
    /// before the request was first written stops it there: it is never sent. `counted`
    /// counts each request sent (a callback verification's cost at DGA).
    pub(crate) async fn call(
        &self,
        endpoint: Endpoint,
        request: Request<'_>,
        refs: (&str, &str),
        ticket: Option<&Ticket>,
        counted: Option<&AtomicU64>,
    ) -> Result<Envelope> {
        let may_take_effect = self.config.retry.for_endpoint(endpoint).may_take_effect;
        let read = |status, body: &[u8]| {
            read_answer(endpoint, may_take_effect, status, body, refs, &|t| {
                self.scrub(t)
            })
        };
        self.call_with(endpoint, request, refs, ticket, counted, read)
            .await
    }

    /// [`Inner::call`] with the answer read by `read` (an answer DGA sent with a status that is
    /// not a failure: 429, 5xx, 401 and 403 are dealt with here).
    pub(crate) async fn call_with<T>(
        &self,
        endpoint: Endpoint,
        request: Request<'_>,
        refs: (&str, &str),
        ticket: Option<&Ticket>,
        counted: Option<&AtomicU64>,
        read: impl Fn(reqwest::StatusCode, &[u8]) -> Result<T>,
    ) -> Result<T> {
        let state = self.state()?;
        let _slot = match ticket {
            Some(t) => t.unless_gone(state.in_flight.acquire()).await?,
            None => state.in_flight.acquire().await,
        }
        .map_err(|_| Error::network(endpoint, "the client's call slots are closed"))?;
        let retry = &self.config.retry;
        let rule = retry.for_endpoint(endpoint);
        let max_attempts = rule.attempts;
        let path = self.url(endpoint).path();
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = match ticket {
                Some(t) if !t.was_sent() => t.unless_gone(self.token()).await??,
                _ => self.token().await?,
            };
            if let Some(t) = ticket {
                t.mark_sent()?;
            }
            if let Some(n) = counted {
                n.fetch_add(1, Ordering::Relaxed);
            }
            let started = Instant::now();
            let failure = match self.send(endpoint, &request, Some(&token)).await {
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
                            transient: false,
                        });
                    }
                    return read(status, &body);
                }
                Err(f) => f,
            };
            // GET status is safe to repeat; the others only when nothing was sent. An answer
            // too large to read is not repeated: it would likely be the same; nor is a
            // refused certificate.
            let retryable = match failure {
                Failure::TooLarge { .. } | Failure::Certificate { .. } => false,
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
                // The wait (jittered) only at DEBUG: in the WARNING it would make every line
                // of an outage distinct, past the log's rate limit for identical lines.
                log::warn!(
                    target: LOG,
                    "{endpoint} attempt {attempt}/{max_attempts} failed ({}); retrying",
                    failure.summary()
                );
                log::debug!(target: LOG, "{endpoint}: next attempt in {} ms", wait.as_millis());
                tokio::time::sleep(wait).await;
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
            Failure::Certificate { message } => Error::untrusted_certificate(endpoint, message),
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
            Failure::Transport { message, .. } => {
                Error::network(endpoint, format!("{message}{tries}"))
            }
            Failure::Http { status, body, .. } => match parse_envelope(&body) {
                Ok(env) if env.status == ResponseStatus::Error => {
                    api_error(endpoint, env, &|t| self.scrub(t))
                }
                _ => Error::network(
                    endpoint,
                    format!("DGA answered HTTP {}{tries}", status.as_u16()),
                ),
            },
        }
    }
}
