//! Configuration: credentials, environment, gateway, timeouts, retry policy, network options.

use crate::citizen_id::{CitizenIdCheck, check_citizen_id};
use crate::error::{Endpoint, Error, FieldError, Result};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;
use url::Url;

/// DGA's public gateway host.
pub const DEFAULT_GATEWAY_URL: &str = "https://api.egov.go.th";
/// The token endpoint's path on the gateway.
pub const TOKEN_PATH: &str = "/ws/auth/validate";

/// Which DGA payment service to talk to. The token endpoint is the same for all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Environment {
    /// DGA's production service (`/ws/dga/payment/`).
    Production,
    /// DGA's UAT; the default, so nothing reaches production by accident.
    #[default]
    Uat,
    /// DGA's test service (`/ws/dga/dev/payment/`).
    Test,
}

impl Environment {
    /// The payment base path (create, close, void and status live under it).
    /// Q1 (docs/protocol.md): the guide prints production close under `uat/`; we use the production path for
    /// every production endpoint. `ConfigBuilder::endpoint_path` can follow DGA if it differs.
    pub fn payment_base_path(self) -> &'static str {
        match self {
            Environment::Production => "/ws/dga/payment/",
            Environment::Uat => "/ws/dga/uat/payment/",
            Environment::Test => "/ws/dga/dev/payment/",
        }
    }

    /// The lowercase name (`production`, `uat`, `test`), as `DGA_ENVIRONMENT` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Uat => "uat",
            Environment::Test => "test",
        }
    }
}

impl FromStr for Environment {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "production" | "prod" => Ok(Environment::Production),
            "uat" => Ok(Environment::Uat),
            "test" | "dev" => Ok(Environment::Test),
            other => Err(Error::invalid(
                "environment",
                format!("{other:?} is not one of production, uat, test"),
            )),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many times, and how patiently, the client repeats a failed call
/// (docs/architecture.md#retry-rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts to obtain a token (the guide says "until a token is obtained"; we bound it).
    pub token_attempts: u32,
    /// Attempts for `status`, which is safe to repeat: connect errors, timeouts, 429 and 5xx.
    pub status_attempts: u32,
    /// Attempts for create, close and void when the connection could not even be made (so the
    /// request surely was not sent).
    pub connect_attempts: u32,
    /// Exponential backoff with full jitter: a random wait up to `min(cap, base * 2^n)`.
    pub backoff_base: Duration,
    /// The longest any one wait may be.
    pub backoff_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            token_attempts: 5,
            status_attempts: 3,
            connect_attempts: 3,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(5),
        }
    }
}

/// What the retry policy allows for one endpoint: [`RetryPolicy::for_endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRule {
    /// How many attempts in all.
    pub attempts: u32,
    /// Whether a failure after the request may have been sent (timeout, reset, 429/5xx) may be
    /// retried: only for status, which reads and changes nothing.
    pub retry_after_send: bool,
    /// Whether the call changes something at DGA (create, void), so that a failure after the
    /// request may have been sent, or an answer that cannot be read, is `OutcomeUnknown`.
    pub may_take_effect: bool,
}

impl RetryPolicy {
    /// The rule for one endpoint (docs/architecture.md#retry-rules):
    ///
    /// | endpoint | attempts | retried after the request may have been sent | may take effect |
    /// | --- | --- | --- | --- |
    /// | token | `token_attempts` (5) | yes (it changes nothing); 400/401/403 never | no |
    /// | status | `status_attempts` (3) | yes: timeouts, resets, 429, 5xx (`Retry-After` honoured) | no |
    /// | close | `connect_attempts` (3) | no: only when the connection was never made | no |
    /// | create, void | `connect_attempts` (3) | no: only when the connection was never made | **yes**: `OutcomeUnknown` |
    ///
    /// Any endpoint: a 401/403 drops the token, fetches a new one and repeats the call once.
    pub fn for_endpoint(&self, endpoint: Endpoint) -> CallRule {
        let (attempts, retry_after_send, may_take_effect) = match endpoint {
            Endpoint::Token => (self.token_attempts, true, false),
            Endpoint::Status => (self.status_attempts, true, false),
            Endpoint::Close => (self.connect_attempts, false, false),
            Endpoint::Create | Endpoint::Void => (self.connect_attempts, false, true),
        };
        CallRule {
            attempts: attempts.max(1),
            retry_after_send,
            may_take_effect,
        }
    }

    /// No retries at all (each call is tried once).
    pub fn none() -> Self {
        RetryPolicy {
            token_attempts: 1,
            status_attempts: 1,
            connect_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1 = the first retry).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = self.backoff_base.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let ceiling = exp.min(self.backoff_cap);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// A string that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The value itself: only for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// A validated configuration. Build it with [`Config::builder`] or [`Config::from_env`].
#[derive(Clone, PartialEq)]
pub struct Config {
    pub(crate) consumer_key: Secret,
    pub(crate) consumer_secret: Secret,
    pub(crate) agent_id: String,
    pub(crate) environment: Environment,
    pub(crate) gateway_url: Url,
    pub(crate) paths: HashMap<Endpoint, String>,
    pub(crate) source: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) token_max_age: Duration,
    pub(crate) proxy: Option<Secret>,
    pub(crate) extra_ca_pem: Vec<Vec<u8>>,
    pub(crate) user_agent_suffix: Option<String>,
    pub(crate) max_response_bytes: usize,
    pub(crate) token_failure_cooldown: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) max_concurrent_verifications: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) verification_rate: u32,
    pub(crate) verification_reuse: Duration,
}

/// The most of any one DGA answer the client reads (DGA's answers are a few KiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// How long a failed token round is remembered: calls in that window fail at once.
pub const DEFAULT_TOKEN_FAILURE_COOLDOWN: Duration = Duration::from_secs(2);
/// How long a pooled connection may idle: below common load balancers' keep-alive (60 s), so
/// the client never reuses a connection the other side has just dropped.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(15);
/// How many callback verifications run at once per client; more get a 503 reply at once.
pub const DEFAULT_MAX_CONCURRENT_VERIFICATIONS: usize = 16;
/// How many calls one client has in flight at once; more wait (asynchronously) for a slot.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;
/// Status calls per second a client may make to verify callbacks (burst: twice as many).
pub const DEFAULT_VERIFICATION_RATE: u32 = 20;
/// How long a final status DGA gave for a callback answers repeated deliveries of it.
pub const DEFAULT_VERIFICATION_REUSE: Duration = Duration::from_secs(2);

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &self.consumer_secret)
            .field("agent_id", &self.agent_id)
            .field("environment", &self.environment)
            .field("gateway_url", &self.gateway_url.as_str())
            .field("paths", &self.paths)
            .field("source", &self.source)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("token_max_age", &self.token_max_age)
            .field("proxy", &self.proxy.as_ref().map(|_| "<redacted>"))
            .field("extra_ca_certificates", &self.extra_ca_pem.len())
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("token_failure_cooldown", &self.token_failure_cooldown)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field(
                "max_concurrent_verifications",
                &self.max_concurrent_verifications,
            )
            .field("max_in_flight", &self.max_in_flight)
            .field("worker_threads", &self.worker_threads)
            .field("verification_rate", &self.verification_rate)
            .field("verification_reuse", &self.verification_reuse)
            .finish()
    }
}

impl Config {
    /// A builder with nothing set; see [`ConfigBuilder`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads `DGA_CONSUMER_KEY`, `DGA_CONSUMER_SECRET`, `DGA_AGENT_ID`, `DGA_ENVIRONMENT`,
    /// `DGA_GATEWAY_URL`, `DGA_SOURCE` (and `DGA_PROXY`, `DGA_CA_FILE`). Use
    /// [`ConfigBuilder::from_env`] to override some of them in code.
    pub fn from_env() -> Result<Config> {
        ConfigBuilder::from_env().build()
    }

    /// The `AgentID`: the responsible officer's 13-digit citizen ID.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }
    /// Which DGA payment service the client talks to.
    pub fn environment(&self) -> Environment {
        self.environment
    }
    /// The gateway's base URL ([`DEFAULT_GATEWAY_URL`] unless replaced).
    pub fn gateway_url(&self) -> &Url {
        &self.gateway_url
    }
    /// The default `source` for create.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }
    /// How failed calls are repeated.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
    /// How long a cached token is used before it is refreshed proactively.
    pub fn token_max_age(&self) -> Duration {
        self.token_max_age
    }

    /// The most bytes of one DGA answer that are read ([`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }
    /// How long a failed token round is remembered ([`DEFAULT_TOKEN_FAILURE_COOLDOWN`]).
    pub fn token_failure_cooldown(&self) -> Duration {
        self.token_failure_cooldown
    }
    /// How long a pooled connection may idle ([`DEFAULT_POOL_IDLE_TIMEOUT`]).
    pub fn pool_idle_timeout(&self) -> Duration {
        self.pool_idle_timeout
    }
    /// How many callback verifications may run at once
    /// ([`DEFAULT_MAX_CONCURRENT_VERIFICATIONS`]).
    pub fn max_concurrent_verifications(&self) -> usize {
        self.max_concurrent_verifications
    }

    /// Calls in flight at once per client (default 256); more wait for a slot.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// The runtime's worker threads this configuration asks for, if it does
    /// ([`ConfigBuilder::worker_threads`]).
    pub fn worker_threads(&self) -> Option<usize> {
        self.worker_threads
    }

    /// Status calls per second for callback verification (default 20, burst 40; 0: no limit).
    pub fn verification_rate(&self) -> u32 {
        self.verification_rate
    }

    /// How long a final status DGA gave answers repeated deliveries (default 2 s).
    pub fn verification_reuse(&self) -> Duration {
        self.verification_reuse
    }
    /// The whole-request timeout (headers and body of one attempt).
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The full URL of an endpoint (the token URL without its query).
    pub fn endpoint_url(&self, endpoint: Endpoint) -> Url {
        let path = self.paths.get(&endpoint).cloned().unwrap_or_else(|| {
            if endpoint == Endpoint::Token {
                TOKEN_PATH.to_owned()
            } else {
                format!(
                    "{}{}",
                    self.environment.payment_base_path(),
                    endpoint.name()
                )
            }
        });
        let mut url = self.gateway_url.clone();
        // The gateway URL may carry a path prefix (a reverse proxy): append, don't replace.
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/{}", path.trim_start_matches('/')));
        url
    }
}

/// Builds a [`Config`]; `build` checks everything and reports every problem at once.
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    consumer_key: Option<String>,
    consumer_secret: Option<String>,
    agent_id: Option<String>,
    environment: Option<String>,
    gateway_url: Option<String>,
    paths: HashMap<Endpoint, String>,
    source: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    token_max_age: Option<Duration>,
    proxy: Option<String>,
    extra_ca_pem: Vec<Vec<u8>>,
    ca_files: Vec<String>,
    user_agent_suffix: Option<String>,
    strict_agent_id: bool,
    max_response_bytes: Option<usize>,
    token_failure_cooldown: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    max_concurrent_verifications: Option<usize>,
    max_in_flight: Option<usize>,
    worker_threads: Option<usize>,
    verification_rate: Option<u32>,
    verification_reuse: Option<Duration>,
    /// Made by [`ConfigBuilder::from_env`]: only then does a missing setting's hint name its
    /// `DGA_*` variable as a way to set it.
    from_env: bool,
    /// The settings read from `DGA_*` variables: (setting, variable, value as read).
    from_vars: Vec<(&'static str, &'static str, String)>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("agent_id", &self.agent_id)
            .field("environment", &self.environment)
            .field("gateway_url", &self.gateway_url)
            .finish_non_exhaustive()
    }
}

/// Default lifetime of a cached token before it is refreshed proactively. DGA does not document
/// a lifetime; a token rejected earlier is refreshed on the 401/403 anyway.
pub const DEFAULT_TOKEN_MAX_AGE: Duration = Duration::from_secs(10 * 60);

impl ConfigBuilder {
    /// A builder pre-filled from the `DGA_*` environment variables that are set.
    pub fn from_env() -> Self {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// As [`Self::from_env`], with the variables read by `lookup`: a host whose environment is
    /// not the process's (PHP under FastCGI sees nginx's `fastcgi_param` and PHP-FPM's `env[…]`
    /// through its own `getenv()`, not in the process environment).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut from_vars = Vec::new();
        let mut var = |setting: &'static str, name: &'static str| {
            let v = lookup(name).filter(|v| !v.trim().is_empty())?;
            from_vars.push((setting, name, v.clone()));
            Some(v)
        };
        let mut b = ConfigBuilder {
            consumer_key: var("consumerKey", "DGA_CONSUMER_KEY"),
            consumer_secret: var("consumerSecret", "DGA_CONSUMER_SECRET"),
            agent_id: var("agentId", "DGA_AGENT_ID"),
            environment: var("environment", "DGA_ENVIRONMENT"),
            gateway_url: var("gatewayUrl", "DGA_GATEWAY_URL"),
            source: var("source", "DGA_SOURCE"),
            proxy: var("proxy", "DGA_PROXY"),
            ..ConfigBuilder::default()
        };
        // The file's path is in its own errors already.
        if let Some(file) = var("caFile", "DGA_CA_FILE") {
            b.ca_files.push(file);
        }
        b.from_env = true;
        b.from_vars = from_vars;
        b
    }

    /// The setting's value now, to tell whether a bad one is still the variable's.
    fn value_of(&self, setting: &str) -> Option<&str> {
        match setting {
            "consumerKey" => self.consumer_key.as_deref(),
            "consumerSecret" => self.consumer_secret.as_deref(),
            "agentId" => self.agent_id.as_deref(),
            "environment" => self.environment.as_deref(),
            "gatewayUrl" => self.gateway_url.as_deref(),
            "source" => self.source.as_deref(),
            "proxy" => self.proxy.as_deref(),
            _ => None,
        }
    }

    /// The Consumer-Key DGA issued (sent as the `Consumer-Key` header). Required.
    pub fn consumer_key(mut self, v: impl Into<String>) -> Self {
        self.consumer_key = Some(v.into());
        self
    }
    /// The ConsumerSecret DGA issued (sent in the token URL's query). Required.
    pub fn consumer_secret(mut self, v: impl Into<String>) -> Self {
        self.consumer_secret = Some(v.into());
        self
    }
    /// The 13-digit citizen ID of the responsible officer.
    pub fn agent_id(mut self, v: impl Into<String>) -> Self {
        self.agent_id = Some(v.into());
        self
    }
    /// Which DGA payment service to use; [`Environment::Uat`] when not set.
    pub fn environment(mut self, v: Environment) -> Self {
        self.environment = Some(v.name().to_owned());
        self
    }
    /// `production`, `uat` or `test` (also `prod`, `dev`); checked in `build`.
    pub fn environment_name(mut self, v: impl Into<String>) -> Self {
        self.environment = Some(v.into());
        self
    }
    /// Replaces `https://api.egov.go.th` (the sandbox, a proxy). Must be HTTPS unless it is a
    /// loopback address.
    pub fn gateway_url(mut self, v: impl Into<String>) -> Self {
        self.gateway_url = Some(v.into());
        self
    }
    /// Overrides one endpoint's path (e.g. if DGA confirms production close under `uat/`, Q1).
    pub fn endpoint_path(mut self, endpoint: Endpoint, path: impl Into<String>) -> Self {
        self.paths.insert(endpoint, path.into());
        self
    }
    /// The default `source` for create (assigned by DGA).
    pub fn source(mut self, v: impl Into<String>) -> Self {
        self.source = Some(v.into());
        self
    }
    /// How long to wait for a connection (default 5 s).
    pub fn connect_timeout(mut self, v: Duration) -> Self {
        self.connect_timeout = Some(v);
        self
    }
    /// The whole request, connect included (default 30 s).
    pub fn request_timeout(mut self, v: Duration) -> Self {
        self.request_timeout = Some(v);
        self
    }
    /// How failed calls are repeated (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, v: RetryPolicy) -> Self {
        self.retry = Some(v);
        self
    }
    /// How long a cached token is used before it is refreshed proactively (default
    /// [`DEFAULT_TOKEN_MAX_AGE`]).
    pub fn token_max_age(mut self, v: Duration) -> Self {
        self.token_max_age = Some(v);
        self
    }
    /// An HTTP(S) proxy for every call, e.g. `http://user:pass@proxy.agency.go.th:3128`.
    pub fn proxy(mut self, v: impl Into<String>) -> Self {
        self.proxy = Some(v.into());
        self
    }
    /// Extra trusted CA certificates (PEM, one or more), for agency networks that inspect TLS.
    pub fn add_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem.push(pem.into());
        self
    }
    /// Like `add_ca_pem`, read from a file at `build`.
    pub fn add_ca_file(mut self, path: impl Into<String>) -> Self {
        self.ca_files.push(path.into());
        self
    }
    /// Text appended to the `User-Agent` (after `dga-epayment-rust/{version}`), e.g. the
    /// agency system's name.
    pub fn user_agent_suffix(mut self, v: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(v.into());
        self
    }
    /// Refuse an AgentID whose check digit is wrong (by default it is only a warning, Q11).
    pub fn strict_agent_id(mut self, strict: bool) -> Self {
        self.strict_agent_id = strict;
        self
    }

    /// The most bytes of one DGA answer to read (default 1 MiB): a longer answer is a
    /// `Protocol` error (`OutcomeUnknown` for create and void), so a broken gateway or proxy
    /// cannot exhaust memory.
    pub fn max_response_bytes(mut self, v: usize) -> Self {
        self.max_response_bytes = Some(v);
        self
    }
    /// How long a failed token round is remembered (default 2 s): calls in that window get its
    /// `Auth` error at once instead of starting another round. Zero turns it off.
    pub fn token_failure_cooldown(mut self, v: Duration) -> Self {
        self.token_failure_cooldown = Some(v);
        self
    }
    /// How long a pooled connection may idle before it is closed (default 15 s).
    pub fn pool_idle_timeout(mut self, v: Duration) -> Self {
        self.pool_idle_timeout = Some(v);
        self
    }
    /// How many callback verifications may run at once (default 16); more are answered 503
    /// at once, without a call to DGA.
    pub fn max_concurrent_verifications(mut self, v: usize) -> Self {
        self.max_concurrent_verifications = Some(v);
        self
    }

    /// Calls in flight at once (default 256, at least 1); more wait asynchronously for a
    /// slot, never on a thread of their own.
    pub fn max_in_flight(mut self, v: usize) -> Self {
        self.max_in_flight = Some(v);
        self
    }

    /// The worker threads of the runtime every client of the process shares (1 to 256;
    /// default 2, or `DGA_EPAYMENT_THREADS`), set when the client is built: the first runtime
    /// built wins, and a later different count is logged and ignored
    /// ([`crate::runtime::set_worker_threads`]). One is enough for a process that makes one
    /// call at a time (docs/architecture.md#the-async-core).
    pub fn worker_threads(mut self, v: usize) -> Self {
        self.worker_threads = Some(v);
        self
    }

    /// Status calls per second a client makes to verify callbacks (default 20, with a burst
    /// of twice that; 0 turns the limit off). Beyond it a delivery is answered 503 (`busy`)
    /// without asking DGA, so a flood of forged callbacks cannot make the agency flood DGA.
    pub fn verification_rate(mut self, per_second: u32) -> Self {
        self.verification_rate = Some(per_second);
        self
    }

    /// How long a final status DGA gave for a callback's references answers further
    /// deliveries claiming that same status (default 2 s; zero: never reused).
    pub fn verification_reuse(mut self, d: Duration) -> Self {
        self.verification_reuse = Some(d);
        self
    }

    /// Checks everything; a `Validation` error lists every bad setting.
    pub fn build(self) -> Result<Config> {
        let mut errors = Vec::new();
        let from_env = self.from_env;
        // A bad value still as a DGA_* variable gave it is named with the variable: the code
        // that builds the client does not show it.
        let read_from: Vec<(&str, &str)> = (self.from_vars.iter())
            .filter(|(setting, _, v)| self.value_of(setting) == Some(v.as_str()))
            .map(|(setting, name, _)| (*setting, *name))
            .collect();
        let mut required = |name: &str, v: Option<String>, env: &str| -> String {
            match v {
                Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
                _ => {
                    // A client configured in code never reads the variable: naming it alone
                    // would suggest setting it is enough. Every binding has a from-environment
                    // constructor, so that way is named too.
                    let hint = if from_env {
                        format!("set it in code or with {env}")
                    } else {
                        format!(
                            "set it in code, or build the client from the environment to read {env}"
                        )
                    };
                    errors.push(FieldError::new(name, format!("is required ({hint})")));
                    String::new()
                }
            }
        };
        let consumer_key = required("consumerKey", self.consumer_key, "DGA_CONSUMER_KEY");
        let consumer_secret = required(
            "consumerSecret",
            self.consumer_secret,
            "DGA_CONSUMER_SECRET",
        );
        let agent_id = required("agentId", self.agent_id, "DGA_AGENT_ID");
        if !consumer_key.is_empty() && !is_header_value(&consumer_key) {
            // Sent as a header: a CR/LF would be refused at every call (or, worse, split it).
            errors.push(FieldError::new(
                "consumerKey",
                "must contain only visible ASCII characters (no spaces, CR/LF or control \
                 characters)",
            ));
        }
        // A NUL or CR/LF in the secret is a copy-paste accident DGA would only answer with a
        // refusal; said here, without echoing the secret.
        if crate::model::has_control(&consumer_secret) {
            errors.push(FieldError::new(
                "consumerSecret",
                "must not contain control characters (NUL, CR/LF, tab)",
            ));
        }
        if !agent_id.is_empty() {
            match check_citizen_id(&agent_id) {
                CitizenIdCheck::Valid => {}
                CitizenIdCheck::BadFormat => errors.push(FieldError::new(
                    "agentId",
                    "must be a 13-digit Thai citizen ID",
                )),
                CitizenIdCheck::BadCheckDigit if self.strict_agent_id => errors.push(
                    FieldError::new("agentId", "has a wrong check digit (strict mode)"),
                ),
                CitizenIdCheck::BadCheckDigit => log::warn!(
                    target: "dga_epayment",
                    "AgentID ending {} has a wrong check digit; DGA test IDs often do (Q11), \
                     but check it for typos",
                    last4(&agent_id)
                ),
            }
        }
        let environment = match self.environment.as_deref().map(Environment::from_str) {
            None => Environment::default(),
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                errors.extend(e.field_errors().iter().cloned());
                Environment::default()
            }
        };
        let gateway_text = self
            .gateway_url
            .unwrap_or_else(|| DEFAULT_GATEWAY_URL.to_owned());
        let gateway_url = match check_gateway_url(gateway_text.trim()) {
            Ok(u) => u,
            Err(msg) => {
                errors.push(FieldError::new("gatewayUrl", msg));
                Url::parse(DEFAULT_GATEWAY_URL).expect("constant URL")
            }
        };
        for (endpoint, path) in &self.paths {
            if !path.starts_with('/') || path.contains(['?', '#']) {
                errors.push(FieldError::new(
                    format!("path.{endpoint}"),
                    "must be an absolute path starting with / and without a query",
                ));
            }
        }
        let source = match self.source {
            Some(s) if s.trim().is_empty() => {
                errors.push(FieldError::new("source", "must not be empty when given"));
                None
            }
            Some(s) if crate::model::has_control(&s) => {
                errors.push(FieldError::new("source", "contains a control character"));
                None
            }
            other => other.map(|s| s.trim().to_owned()),
        };
        let connect_timeout = self.connect_timeout.unwrap_or(Duration::from_secs(5));
        let request_timeout = self.request_timeout.unwrap_or(Duration::from_secs(30));
        for (name, d) in [
            // Named by their JSON keys, as every binding's options are.
            ("connectTimeoutMs", connect_timeout),
            ("timeoutMs", request_timeout),
        ] {
            if d.is_zero() {
                errors.push(FieldError::new(name, range_rule(name)));
            }
        }
        let retry = self.retry.unwrap_or_default();
        for (name, n) in [
            ("retry.tokenAttempts", retry.token_attempts),
            ("retry.statusAttempts", retry.status_attempts),
            ("retry.connectAttempts", retry.connect_attempts),
        ] {
            if n == 0 {
                errors.push(FieldError::new(name, range_rule(name)));
            }
        }
        let token_max_age = self.token_max_age.unwrap_or(DEFAULT_TOKEN_MAX_AGE);
        if token_max_age.is_zero() {
            errors.push(FieldError::new(
                "tokenMaxAgeMs",
                range_rule("tokenMaxAgeMs"),
            ));
        }
        let proxy = match self.proxy {
            Some(p) if reqwest::Proxy::all(p.as_str()).is_err() || Url::parse(&p).is_err() => {
                // Never echo the proxy URL: it may carry a password.
                errors.push(FieldError::new("proxy", "is not a valid proxy URL"));
                None
            }
            other => other.map(Secret),
        };
        let mut extra_ca_pem = self.extra_ca_pem;
        // The PEMs given as text come first, then the files': each bad one is named by the
        // setting the caller wrote (caPem, or caFile with its path).
        let (given, mut read) = (extra_ca_pem.len(), Vec::new());
        for file in &self.ca_files {
            match std::fs::read(file) {
                Ok(pem) => {
                    extra_ca_pem.push(pem);
                    read.push(file);
                }
                Err(e) => errors.push(FieldError::new(
                    "caFile",
                    format!("cannot read {file}: {e}"),
                )),
            }
        }
        for (i, pem) in extra_ca_pem.iter().enumerate() {
            match reqwest::Certificate::from_pem_bundle(pem) {
                Ok(certs) if !certs.is_empty() => {}
                _ if i < given => errors.push(FieldError::new("caPem", "is not a PEM certificate")),
                _ => errors.push(FieldError::new(
                    "caFile",
                    format!("{} is not a PEM certificate", read[i - given]),
                )),
            }
        }
        // Sent in the User-Agent header: a character a header cannot carry is named here, not
        // as an HTTP builder error when the client is made.
        if let Some(s) = &self.user_agent_suffix
            && !s.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        {
            errors.push(FieldError::new(
                "userAgentSuffix",
                "must contain only visible ASCII characters and spaces",
            ));
        }
        let max_response_bytes = self
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            errors.push(FieldError::new(
                "maxResponseBytes",
                range_rule("maxResponseBytes"),
            ));
        }
        let max_concurrent_verifications = self
            .max_concurrent_verifications
            .unwrap_or(DEFAULT_MAX_CONCURRENT_VERIFICATIONS);
        if max_concurrent_verifications == 0 {
            errors.push(FieldError::new(
                "maxConcurrentVerifications",
                range_rule("maxConcurrentVerifications"),
            ));
        }
        let max_in_flight = self.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
        if max_in_flight == 0 || max_in_flight > tokio::sync::Semaphore::MAX_PERMITS {
            errors.push(FieldError::new("maxInFlight", range_rule("maxInFlight")));
        }
        let range = crate::runtime::WORKER_THREADS;
        if self.worker_threads.is_some_and(|n| !range.contains(&n)) {
            errors.push(FieldError::new(
                "workerThreads",
                range_rule("workerThreads"),
            ));
        }
        let pool_idle_timeout = self.pool_idle_timeout.unwrap_or(DEFAULT_POOL_IDLE_TIMEOUT);
        if !errors.is_empty() {
            for e in &mut errors {
                if let Some((_, name)) = read_from.iter().find(|(s, _)| *s == e.field) {
                    e.message = format!("{} (read from {name})", e.message);
                }
            }
            return Err(Error::validation(errors));
        }
        Ok(Config {
            max_response_bytes,
            token_failure_cooldown: self
                .token_failure_cooldown
                .unwrap_or(DEFAULT_TOKEN_FAILURE_COOLDOWN),
            pool_idle_timeout,
            max_concurrent_verifications,
            max_in_flight,
            worker_threads: self.worker_threads,
            verification_rate: self.verification_rate.unwrap_or(DEFAULT_VERIFICATION_RATE),
            verification_reuse: self
                .verification_reuse
                .unwrap_or(DEFAULT_VERIFICATION_REUSE),
            consumer_key: Secret(consumer_key),
            consumer_secret: Secret(consumer_secret),
            agent_id,
            environment,
            gateway_url,
            paths: self.paths,
            source,
            connect_timeout,
            request_timeout,
            retry,
            token_max_age,
            proxy,
            extra_ca_pem,
            user_agent_suffix: self.user_agent_suffix,
        })
    }
}

/// What a numeric setting (by its JSON key, `retry.` keys included) must be: `build` says it
/// of a value out of range, and the JSON reader of a negative number, so both name the range
/// the setting allows. The settings not named here allow 0 and more.
pub(crate) fn range_rule(key: &str) -> String {
    match key {
        "timeoutMs" | "connectTimeoutMs" | "tokenMaxAgeMs" | "maxResponseBytes" => {
            "must be greater than zero".into()
        }
        "maxConcurrentVerifications"
        | "maxInFlight"
        | "retry.tokenAttempts"
        | "retry.statusAttempts"
        | "retry.connectAttempts" => "must be at least 1".into(),
        "workerThreads" => {
            let range = crate::runtime::WORKER_THREADS;
            format!("must be {} to {}", range.start(), range.end())
        }
        _ => "must not be negative".into(),
    }
}

/// Whether a value can be sent as an HTTP header as it is: visible ASCII only (tokens and
/// keys never hold spaces; a CR/LF would split or break the request).
pub(crate) fn is_header_value(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic())
}

/// The last four characters of an AgentID (a citizen ID): enough to tell which one, in logs.
pub(crate) fn last4(id: &str) -> String {
    let n = id.chars().count();
    let tail: String = id.chars().skip(n.saturating_sub(4)).collect();
    format!("…{tail}")
}

/// HTTPS everywhere, except plain HTTP to this machine (the sandbox). Messages never echo the
/// URL: a mistyped one may carry a password.
fn check_gateway_url(text: &str) -> std::result::Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("is not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err("must not carry credentials or a query".into());
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "uses plain HTTP to {}; HTTPS is required except for a loopback address \
             (127.0.0.1, ::1, localhost)",
            url.host_str().unwrap_or("")
        )),
        other => Err(format!("scheme {other:?} is not supported; use https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ConfigBuilder {
        Config::builder()
            .consumer_key("k")
            .consumer_secret("s")
            .agent_id("1234567890121")
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Config::builder()
            .agent_id("12345")
            .gateway_url("http://dga.example.com")
            .environment_name("staging")
            .build()
            .unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "consumerKey",
                "consumerSecret",
                "agentId",
                "environment",
                "gatewayUrl"
            ]
        );
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8580",
            "http://localhost:1",
            "http://[::1]:8580",
            "https://api.egov.go.th",
        ] {
            assert!(base().gateway_url(ok).build().is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "ftp://x",
            "https://u:p@api.egov.go.th",
            "nonsense",
        ] {
            assert!(base().gateway_url(bad).build().is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_urls_per_environment() {
        let c = base().environment(Environment::Production).build().unwrap();
        assert_eq!(
            c.endpoint_url(Endpoint::Close).as_str(),
            "https://api.egov.go.th/ws/dga/payment/close"
        );
        assert_eq!(
            c.endpoint_url(Endpoint::Token).as_str(),
            "https://api.egov.go.th/ws/auth/validate"
        );
        let c = base()
            .environment(Environment::Test)
            .gateway_url("http://127.0.0.1:9/prefix/")
            .endpoint_path(Endpoint::Status, "/custom/status")
            .build()
            .unwrap();
        assert_eq!(
            c.endpoint_url(Endpoint::Create).as_str(),
            "http://127.0.0.1:9/prefix/ws/dga/dev/payment/create"
        );
        assert_eq!(
            c.endpoint_url(Endpoint::Status).as_str(),
            "http://127.0.0.1:9/prefix/custom/status"
        );
    }

    #[test]
    fn bad_check_digit_is_only_a_warning_unless_strict() {
        assert!(base().agent_id("1234567890123").build().is_ok());
        assert!(
            base()
                .agent_id("1234567890123")
                .strict_agent_id(true)
                .build()
                .is_err()
        );
    }

    #[test]
    fn debug_hides_credentials() {
        let c = Config::builder()
            .consumer_key("KEY-abc")
            .consumer_secret("SECRET-xyz")
            .agent_id("1234567890121")
            .proxy("http://user:pw-123@proxy.local:3128")
            .build()
            .unwrap();
        let d = format!("{c:?}");
        for s in ["KEY-abc", "SECRET-xyz", "pw-123"] {
            assert!(!d.contains(s), "{d}");
        }
    }

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy::default();
        for n in 1..40 {
            assert!(p.backoff(n) <= p.backoff_cap);
        }
    }
}
