//! The HTTP layer: the connection pool a configuration asks for, one exchange with DGA, and its
//! answer read within the request's deadline and `max_response_bytes`
//! (docs/architecture.md#dgas-deviations). The pool belongs to one process (see `runtime`).

use crate::client::Inner;
use crate::config::Config;
use crate::error::{Endpoint, Error, Result};
use crate::token::Token;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::Value;
use std::error::Error as _;
use std::time::{Duration, Instant};

/// DGA's own headers.
const CONSUMER_KEY: HeaderName = HeaderName::from_static("consumer-key");
const TOKEN: HeaderName = HeaderName::from_static("token");

pub(crate) enum Request<'a> {
    /// The token call: `ConsumerSecret` and `AgentID` in the query, no `Token` header.
    Token,
    Get(&'a [(&'a str, &'a str)]),
    Post(&'a Value),
}

/// A failed exchange, before the retry rules decide what it means.
pub(crate) enum Failure {
    /// No usable HTTP answer. `sent`: the request may have reached DGA.
    Transport {
        sent: bool,
        timeout: bool,
        message: String,
    },
    /// The server's certificate is not trusted (unknown issuer, expired, wrong name): asking
    /// again will not change that, and nothing was sent.
    Certificate { message: String },
    /// HTTP 429 or 5xx; `retry_after` from its `Retry-After` header (seconds).
    Http {
        status: StatusCode,
        body: Vec<u8>,
        retry_after: Option<Duration>,
    },
    /// The answer is longer than `max_response_bytes` (declared or as read): not read further.
    TooLarge { status: StatusCode, limit: usize },
}

impl Failure {
    pub(crate) fn summary(&self) -> String {
        match self {
            Failure::Transport { message, .. } | Failure::Certificate { message } => {
                message.clone()
            }
            Failure::Http { status, .. } => format!("HTTP {}", status.as_u16()),
            Failure::TooLarge { limit, .. } => {
                format!("the answer is longer than {limit} bytes")
            }
        }
    }
}

/// The HTTP client a configuration asks for (connection pool, TLS roots, proxy).
pub(crate) fn build_http(config: &Config) -> Result<reqwest::Client> {
    let mut ua = format!("dga-epayment-rust/{}", env!("CARGO_PKG_VERSION"));
    if let Some(suffix) = &config.user_agent_suffix {
        ua.push(' ');
        ua.push_str(suffix);
    }
    let mut builder = reqwest::Client::builder()
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
            Error::invalid(
                "caPem",
                format!("certificate {} is not a PEM certificate", i + 1),
            )
        })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| {
        let text = describe(&e);
        // A PEM whose content is not a certificate passes `from_pem_bundle` and fails here.
        if text.contains("certificate") && !config.extra_ca_pem.is_empty() {
            Error::invalid(
                "caPem",
                format!("is not a valid X.509 certificate ({text})"),
            )
        } else {
            Error::invalid("http", text)
        }
    })
}

/// A transport error's text without its URL (the token URL's query holds the secret).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<url>");
    }
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

/// Whether a transport error is the server's certificate being refused (rustls says
/// "invalid peer certificate"), as opposed to a connection reset during the handshake.
fn is_certificate_problem(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if s.to_string().contains("invalid peer certificate") {
            return true;
        }
        source = s.source();
    }
    false
}

impl Inner {
    /// One HTTP exchange: the request, then the answer read within the request timeout and
    /// `max_response_bytes` (one deadline for headers and body). 429 and 5xx are failures.
    pub(crate) async fn send(
        &self,
        endpoint: Endpoint,
        request: &Request<'_>,
        token: Option<&Token>,
    ) -> std::result::Result<(StatusCode, Vec<u8>), Failure> {
        let c = &self.config;
        let http = self
            .state()
            .and_then(|state| self.http(state))
            .map_err(|e| Failure::Transport {
                sent: false,
                timeout: false,
                message: e.to_string(),
            })?;
        let url = self.url(endpoint).clone();
        let builder = match request {
            Request::Token => http.get(url).query(&[
                ("ConsumerSecret", c.consumer_secret.expose()),
                ("AgentID", c.agent_id.as_str()),
            ]),
            Request::Get(query) => http.get(url).query(query),
            Request::Post(body) => http.post(url).json(body),
        };
        // Header names and values built once (the client's, the token's), not per request.
        let mut builder = builder
            .header(CONSUMER_KEY, self.consumer_key_header.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(token) = token {
            builder = builder.header(TOKEN, token.header().clone());
        }
        let deadline = Instant::now() + c.request_timeout;
        let response = builder.send().await.map_err(|e| self.transport(e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = self.read_body(response, deadline).await?;
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
    /// timeout, a refused certificate) or a request that could not even be built means
    /// nothing was sent.
    fn transport(&self, e: reqwest::Error) -> Failure {
        if is_certificate_problem(&e) {
            return Failure::Certificate {
                message: self.scrub(format!(
                    "the server's TLS certificate is not trusted: {}",
                    describe(&e)
                )),
            };
        }
        Failure::Transport {
            sent: !(e.is_connect() || e.is_builder()),
            timeout: e.is_timeout(),
            message: self.scrub(describe(&e)),
        }
    }

    /// Reads an answer's body up to `max_response_bytes`, before `deadline`.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        deadline: Instant,
    ) -> std::result::Result<Vec<u8>, Failure> {
        let status = response.status();
        let limit = self.config.max_response_bytes;
        let too_large = Failure::TooLarge { status, limit };
        let declared = response.content_length();
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large);
        }
        let late = || Failure::Transport {
            sent: true,
            timeout: true,
            message: format!(
                "the answer's body did not arrive within {} ms (HTTP {})",
                self.config.request_timeout.as_millis(),
                status.as_u16()
            ),
        };
        let mut body = Vec::with_capacity(declared.map_or(8192, |n| n as usize).min(limit));
        // One timer for the whole body, however many chunks it comes in.
        let timer = tokio::time::sleep_until(deadline.into());
        tokio::pin!(timer);
        loop {
            let chunk = tokio::select! {
                biased;
                chunk = response.chunk() => chunk,
                () = &mut timer => return Err(late()),
            };
            match chunk {
                Ok(None) => return Ok(body),
                Ok(Some(c)) if body.len() + c.len() > limit => return Err(too_large),
                Ok(Some(c)) => body.extend_from_slice(&c),
                Err(e) if e.is_timeout() => return Err(late()),
                Err(e) => {
                    return Err(Failure::Transport {
                        sent: true,
                        timeout: false,
                        message: self.scrub(format!("reading the answer failed: {}", describe(&e))),
                    });
                }
            }
        }
    }
}
