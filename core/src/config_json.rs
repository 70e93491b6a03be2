//! Configuration from a JSON object: the form the Node, C and C# bindings take their options in
//! (docs/architecture.md#the-c-abi). The keys live here so no binding spells them itself.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{Config, ConfigBuilder, RetryPolicy, range_rule};
use crate::error::{Error, FieldError, Result};
use crate::lenient::json_type;
use crate::schema::{self, FieldType, Record};

/// Every key [`ConfigBuilder::with_json`] accepts, in documentation order (the schema's
/// [`crate::schema::CLIENT_OPTIONS`]).
pub const CONFIG_KEYS: [&str; 23] = crate::schema::wire_names(&schema::CLIENT_OPTIONS);

/// The keys of the `retry` object.
const RETRY_KEYS: [&str; 5] = crate::schema::wire_names(&schema::RETRY_OPTIONS);

/// Collects every problem with the JSON's shape before any is reported.
struct Reader<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// The value under `key`; `null` counts as absent (JavaScript's `undefined` and `null`).
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong(key, "a string", other);
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong(key, "true or false", other);
                None
            }
        }
    }

    fn millis(&mut self, key: &str) -> Option<Duration> {
        let v = self.get(key)?;
        match v.as_u64() {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => {
                self.not_whole(key, "a whole number of milliseconds", v);
                None
            }
        }
    }

    fn count(&mut self, key: &str) -> Option<usize> {
        let v = self.get(key)?;
        match v.as_u64() {
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => {
                self.not_whole(key, "a whole number", v);
                None
            }
        }
    }

    fn wrong(&mut self, key: &str, expected: &str, got: &Value) {
        self.errors.push(FieldError::new(
            key,
            format!("must be {expected}, got {}", json_type(got)),
        ));
    }

    /// A number the setting cannot take (`-5`, `1.5`) is shown: "got a number" would not say
    /// what is wrong with it (only settings that are numbers, never a secret). A negative whole
    /// number is told the range the setting allows: its sign is what is wrong, not that it is
    /// not whole.
    fn not_whole(&mut self, key: &str, expected: &str, got: &Value) {
        let whole = |n: &serde_json::Number| n.as_f64().filter(|f| f.fract() == 0.0);
        let message = match got {
            Value::Number(n) => match whole(n) {
                Some(f) if f < 0.0 => format!("{}, got {n}", range_rule(key)),
                Some(f) if f >= u64::MAX as f64 => {
                    format!("must be at most {}, got {n}", u64::MAX)
                }
                // `8.0`, `1e3`: whole, but not written as one.
                Some(_) => format!("must be {expected} written with digits only, got {n}"),
                None => format!("must be {expected}, got {n}"),
            },
            other => return self.wrong(key, expected, other),
        };
        self.errors.push(FieldError::new(key, message));
    }
}

impl ConfigBuilder {
    /// A builder from a JSON object with the keys in [`CONFIG_KEYS`] (`consumerKey`,
    /// `consumerSecret`, `agentId`, `environment`, `gatewayUrl`, `source`, `timeoutMs`, …).
    pub fn from_json(v: &Value) -> Result<ConfigBuilder> {
        ConfigBuilder::default().with_json(v)
    }

    /// [`ConfigBuilder::from_vars`] over a JSON object of variable names to string values (a
    /// host's own view of its environment, passed through an FFI); other names are ignored.
    pub fn from_vars_json(vars: &Value) -> Result<ConfigBuilder> {
        match vars {
            Value::Object(m) => match m.iter().find(|(_, v)| !v.is_string()) {
                Some((name, _)) => Err(Error::invalid(name, "must be a string")),
                None => Ok(ConfigBuilder::from_vars(|k| {
                    Some(m.get(k)?.as_str()?.to_owned())
                })),
            },
            _ => Err(Error::invalid(
                "vars",
                "must be a JSON object of names to values",
            )),
        }
    }

    /// Applies a JSON object's settings over this builder (so JSON can be layered on
    /// [`ConfigBuilder::from_env`]). `null` means "not set". Unknown keys and values of the
    /// wrong type are a `Validation` error listing every one; secrets never appear in it.
    ///
    /// `timeoutMs` is the whole-request timeout, `connectTimeoutMs` the connect timeout,
    /// `tokenMaxAgeMs` the cached token's maximum age. `retry` is `false` (no retries) or an
    /// object with any of `tokenAttempts`, `statusAttempts`, `connectAttempts`,
    /// `backoffBaseMs`, `backoffCapMs`. `caPem` is one PEM text (it may hold several
    /// certificates); `caFile` a path to one.
    pub fn with_json(self, v: &Value) -> Result<ConfigBuilder> {
        let (builder, errors) = self.apply_json(v)?;
        if errors.is_empty() {
            Ok(builder)
        } else {
            Err(Error::validation(errors))
        }
    }

    /// Applies what can be read, returning the problems found beside the builder (so
    /// [`Config::from_json`] can add the build's own to them). Fails only for a non-object.
    fn apply_json(mut self, v: &Value) -> Result<(ConfigBuilder, Vec<FieldError>)> {
        let map = v.as_object().ok_or_else(|| {
            Error::invalid(
                "config",
                format!("expected a JSON object, got {}", json_type(v)),
            )
        })?;
        let mut r = Reader {
            map,
            errors: Vec::new(),
        };
        for key in map.keys() {
            if !CONFIG_KEYS.contains(&key.as_str()) {
                r.errors.push(FieldError::new(
                    key.as_str(),
                    format!("is not a setting (known: {})", CONFIG_KEYS.join(", ")),
                ));
            }
        }
        if let Some(s) = r.string("consumerKey") {
            self = self.consumer_key(s);
        }
        if let Some(s) = r.string("consumerSecret") {
            self = self.consumer_secret(s);
        }
        if let Some(s) = r.string("agentId") {
            self = self.agent_id(s);
        }
        if let Some(s) = r.string("environment") {
            self = self.environment_name(s);
        }
        if let Some(s) = r.string("gatewayUrl") {
            self = self.gateway_url(s);
        }
        if let Some(s) = r.string("source") {
            self = self.source(s);
        }
        if let Some(d) = r.millis("timeoutMs") {
            self = self.request_timeout(d);
        }
        if let Some(d) = r.millis("connectTimeoutMs") {
            self = self.connect_timeout(d);
        }
        if let Some(d) = r.millis("tokenMaxAgeMs") {
            self = self.token_max_age(d);
        }
        if let Some(policy) = read_retry(&mut r) {
            self = self.retry_policy(policy);
        }
        if let Some(s) = r.string("proxy") {
            self = self.proxy(s);
        }
        if let Some(s) = r.string("caPem") {
            self = self.add_ca_pem(s.into_bytes());
        }
        if let Some(s) = r.string("caFile") {
            self = self.add_ca_file(s);
        }
        if let Some(s) = r.string("userAgentSuffix") {
            self = self.user_agent_suffix(s);
        }
        if let Some(b) = r.boolean("strictAgentId") {
            self = self.strict_agent_id(b);
        }
        if let Some(n) = r.count("maxResponseBytes") {
            self = self.max_response_bytes(n);
        }
        if let Some(d) = r.millis("tokenFailureCooldownMs") {
            self = self.token_failure_cooldown(d);
        }
        if let Some(d) = r.millis("poolIdleTimeoutMs") {
            self = self.pool_idle_timeout(d);
        }
        if let Some(n) = r.count("maxConcurrentVerifications") {
            self = self.max_concurrent_verifications(n);
        }
        if let Some(n) = r.count("maxInFlight") {
            self = self.max_in_flight(n);
        }
        if let Some(n) = r.count("workerThreads") {
            self = self.worker_threads(n);
        }
        if let Some(n) = r.count("verificationRate") {
            self = self.verification_rate(u32::try_from(n).unwrap_or(u32::MAX));
        }
        if let Some(d) = r.millis("verificationReuseMs") {
            self = self.verification_reuse(d);
        }
        Ok((self, r.errors))
    }
}

fn read_retry(r: &mut Reader<'_>) -> Option<RetryPolicy> {
    let v = r.get("retry")?;
    let obj = match v {
        Value::Bool(false) => return Some(RetryPolicy::none()),
        Value::Bool(true) => return Some(RetryPolicy::default()),
        Value::Object(obj) => obj,
        other => {
            r.wrong("retry", "false, true or an object", other);
            return None;
        }
    };
    let mut policy = RetryPolicy::default();
    for (key, v) in obj {
        let field = format!("retry.{key}");
        if !RETRY_KEYS.contains(&key.as_str()) {
            r.errors.push(FieldError::new(
                field,
                format!("is not a retry setting (known: {})", RETRY_KEYS.join(", ")),
            ));
            continue;
        }
        let Some(n) = v.as_u64() else {
            let unit = if key.ends_with("Ms") {
                "a whole number of milliseconds"
            } else {
                "a whole number"
            };
            r.not_whole(&field, unit, v);
            continue;
        };
        let attempts = u32::try_from(n).unwrap_or(u32::MAX);
        match key.as_str() {
            "tokenAttempts" => policy.token_attempts = attempts,
            "statusAttempts" => policy.status_attempts = attempts,
            "connectAttempts" => policy.connect_attempts = attempts,
            "backoffBaseMs" => policy.backoff_base = Duration::from_millis(n),
            _ => policy.backoff_cap = Duration::from_millis(n),
        }
    }
    Some(policy)
}

impl Config {
    /// A configuration from a JSON object (see [`ConfigBuilder::with_json`]): what the C ABI's
    /// `dga_client_new` and the Node and C# options pass.
    /// Every problem is reported at once: keys and types in the JSON, then what `build`
    /// checks (missing settings, a bad URL, …) for the fields not already named.
    pub fn from_json(v: &Value) -> Result<Config> {
        let (builder, mut errors) = ConfigBuilder::default().apply_json(v)?;
        match builder.build() {
            Ok(config) if errors.is_empty() => Ok(config),
            Ok(_) => Err(Error::validation(errors)),
            Err(e) => {
                for fe in e.field_errors() {
                    if !errors.iter().any(|x| x.field == fe.field) {
                        errors.push(fe.clone());
                    }
                }
                Err(Error::validation(errors))
            }
        }
    }
}

/// Python's spelling of the options: [`schema::CLIENT_OPTIONS`]'s snake_case names, durations
/// in seconds. Turned into the JSON form here, so no binding reads options itself.
impl ConfigBuilder {
    /// Applies snake_case keyword options (`consumer_key`, `timeout` in seconds, `retry` with
    /// `token_attempts`, `backoff_base` in seconds, …) over this builder. `null` means unset.
    /// Problems are a `Validation` error naming the keywords as the caller spelled them.
    pub fn with_keywords(self, v: &Value) -> Result<ConfigBuilder> {
        let (wire, errors) = keywords_to_wire(v)?;
        let (builder, more) = self.apply_json(&wire)?;
        let errors = merge(errors, more.iter().map(snake_error));
        if errors.is_empty() {
            Ok(builder)
        } else {
            Err(Error::validation(errors))
        }
    }
}

impl Config {
    /// A configuration from snake_case keywords (see [`ConfigBuilder::with_keywords`]);
    /// every problem is reported at once, named as the caller spelled it.
    pub fn from_keywords(v: &Value) -> Result<Config> {
        Config::from_keywords_over(ConfigBuilder::default(), v)
    }

    /// As [`Config::from_keywords`], over a builder (e.g. [`ConfigBuilder::from_env`]).
    pub fn from_keywords_over(base: ConfigBuilder, v: &Value) -> Result<Config> {
        let (wire, errors) = keywords_to_wire(v)?;
        let (builder, more) = base.apply_json(&wire)?;
        let mut errors = merge(errors, more.iter().map(snake_error));
        match builder.build() {
            Ok(config) if errors.is_empty() => Ok(config),
            Ok(_) => Err(Error::validation(errors)),
            Err(e) => {
                errors = merge(errors, e.field_errors().iter().map(snake_error));
                Err(Error::validation(errors))
            }
        }
    }
}

fn merge(mut errors: Vec<FieldError>, more: impl Iterator<Item = FieldError>) -> Vec<FieldError> {
    for fe in more {
        if !errors.iter().any(|x| x.field == fe.field) {
            errors.push(fe);
        }
    }
    errors
}

/// A field error named by the wire key, renamed to the keyword (`timeoutMs` → `timeout`,
/// `retry.tokenAttempts` → `retry.token_attempts`, `caPem` → `ca_pem`).
fn snake_error(fe: &FieldError) -> FieldError {
    let mut out = fe.clone();
    let rename = |r: &Record, key: &str| r.field(key).map(|f| f.snake.to_owned());
    out.field = if let Some(key) = fe.field.strip_prefix("retry.") {
        format!(
            "retry.{}",
            rename(&schema::RETRY_OPTIONS, key).unwrap_or_else(|| key.to_owned())
        )
    } else {
        rename(&schema::CLIENT_OPTIONS, &fe.field).unwrap_or_else(|| fe.field.clone())
    };
    out.message = out.message.replace("milliseconds", "seconds");
    out
}

/// Keyword options (snake_case, seconds) to the JSON form (camelCase, milliseconds).
fn keywords_to_wire(v: &Value) -> Result<(Value, Vec<FieldError>)> {
    let map = v.as_object().ok_or_else(|| {
        Error::invalid(
            "options",
            format!("expected keyword options, got {}", json_type(v)),
        )
    })?;
    let mut errors = Vec::new();
    let wire = record_to_wire(&schema::CLIENT_OPTIONS, map, "", &mut errors);
    Ok((Value::Object(wire), errors))
}

fn record_to_wire(
    r: &Record,
    map: &Map<String, Value>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in map {
        let name = format!("{prefix}{key}");
        let Some(field) = r.fields.iter().find(|f| f.snake == key) else {
            let known: Vec<&str> = r.fields.iter().map(|f| f.snake).collect();
            errors.push(FieldError::new(
                name,
                format!("is not an option (known: {})", known.join(", ")),
            ));
            continue;
        };
        let converted = match (field.kind, value) {
            (_, Value::Null) => Value::Null,
            (FieldType::Duration, Value::Number(n)) => match n.as_f64() {
                Some(s) if s.is_finite() && s >= 0.0 => Value::from((s * 1000.0).round() as u64),
                // The range the setting allows, as the JSON form names it.
                Some(s) if s < 0.0 => {
                    let rule = range_rule(&format!("{prefix}{}", field.wire));
                    errors.push(FieldError::new(name, format!("{rule}, got {n}")));
                    continue;
                }
                _ => {
                    errors.push(FieldError::new(
                        name,
                        format!("must be a finite number of seconds, got {n}"),
                    ));
                    continue;
                }
            },
            (FieldType::Duration, other) => {
                errors.push(FieldError::new(
                    name,
                    format!("must be a number of seconds, got {}", json_type(other)),
                ));
                continue;
            }
            (FieldType::Record(inner), Value::Object(m)) => {
                let inner = schema::RECORDS
                    .iter()
                    .find(|x| x.name == inner)
                    .expect("a record of the schema");
                Value::Object(record_to_wire(inner, m, &format!("{name}."), errors))
            }
            (_, other) => other.clone(),
        };
        out.insert(field.wire.to_owned(), converted);
    }
    out
}
