//! The native half of the Python package `dga_epayment` (imported as `dga_epayment._native`).
//!
//! It converts Python values to the core's types and back, and the core's errors to the
//! package's exceptions; every protocol fact (wire names, enum tables, retry rules, callback
//! replies) stays in the `dga-epayment` crate. Every call that may touch the network releases
//! the GIL (`py.detach`) after taking owned copies of its inputs.

use chrono::{Datelike, NaiveDateTime, Timelike};
use dga_epayment::{
    self as dga, CallbackReply, Config, ConfigBuilder, CreatePayment, Decimal, Error, FieldError,
    RetryPolicy,
};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};
use serde_json::{Map, Value};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Python classes and modules the conversions use (imported once).

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ENUMS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
static MAKE_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

fn enums_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ENUMS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("dga_epayment._enums")?.unbind())
        })
        .map(|m| m.bind(py))
}

// ---------------------------------------------------------------------------------------------
// Errors: the core's `Error` becomes one of the package's exception classes (`_errors.py`).

/// A core error as the matching Python exception, its fields as attributes.
fn to_py_err(py: Python<'_>, e: &Error) -> PyErr {
    match build_exception(py, e) {
        Ok(exc) => PyErr::from_value(exc),
        Err(conversion_failed) => conversion_failed,
    }
}

fn build_exception<'py>(py: Python<'py>, e: &Error) -> PyResult<Bound<'py, PyAny>> {
    let make = MAKE_ERROR.import(py, "dga_epayment._errors", "_from_core")?;
    let fields = PyDict::new(py);
    match e {
        Error::Validation { errors } | Error::Callback { errors } => {
            fields.set_item("errors", field_errors(py, errors)?)?;
        }
        Error::Api {
            endpoint,
            status,
            error_code,
            message,
        } => {
            fields.set_item("endpoint", endpoint.name())?;
            fields.set_item("status", status.to_py(py)?)?;
            let code = match error_code {
                Some(c) => c.to_py(py)?,
                None => py.None().into_bound(py),
            };
            fields.set_item("error_code", code)?;
            fields.set_item("message", message)?;
        }
        Error::Timeout { endpoint, .. }
        | Error::Network { endpoint, .. }
        | Error::Protocol { endpoint, .. } => {
            fields.set_item("endpoint", endpoint.name())?;
        }
        Error::OutcomeUnknown {
            endpoint,
            reference1,
            reference2,
            ..
        } => {
            fields.set_item("endpoint", endpoint.name())?;
            fields.set_item("reference1", reference1)?;
            fields.set_item("reference2", reference2)?;
        }
        Error::Verification { mismatches, .. } => {
            // The reason's code as the core's error JSON spells it (never re-derived here).
            if let Some(reason) = e.to_json()["reason"].as_str() {
                fields.set_item("reason", reason)?;
            }
            let list = PyList::empty(py);
            for m in mismatches {
                let d = PyDict::new(py);
                d.set_item("field", &m.field)?;
                d.set_item("callback", &m.callback)?;
                d.set_item("dga", &m.dga)?;
                list.append(d)?;
            }
            fields.set_item("mismatches", list)?;
        }
        // Auth carries only its message; a kind added to the core later still maps by code.
        _ => {}
    }
    make.call1((e.kind().code(), e.to_string(), fields))
}

fn field_errors<'py>(py: Python<'py>, errors: &[FieldError]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for fe in errors {
        let d = PyDict::new(py);
        d.set_item("field", &fe.field)?;
        d.set_item("message", &fe.message)?;
        d.set_item("line", fe.line)?;
        d.set_item("column", fe.column)?;
        list.append(d)?;
    }
    Ok(list)
}

/// Problems the binding finds while converting arguments, reported as the core reports its own
/// (a `ValidationError` listing every field).
fn validation(errors: Vec<FieldError>) -> Error {
    Error::Validation { errors }
}

trait IntoPyResult<T> {
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}

// ---------------------------------------------------------------------------------------------
// Enums: out as the package's IntEnum member (built from `enum_tables()`), or the raw value DGA
// sent when it is outside the guide's table; in as a member, an int or the guide's name.

trait DgaEnum: Sized {
    const PY_NAME: &'static str;
    fn number(&self) -> Option<i64>;
    fn raw(&self) -> Value;
    fn from_number(n: i64) -> Self;
    fn from_name(s: &str) -> Self;

    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.number() {
            Some(n) => enums_module(py)?.getattr(Self::PY_NAME)?.call1((n,)),
            None => json_to_py(py, &self.raw()),
        }
    }

    fn from_py(obj: &Bound<'_, PyAny>) -> Result<Self, String> {
        if obj.is_instance_of::<PyBool>() {
            return Err(format!(
                "must be a {}, an int or a str, got bool",
                Self::PY_NAME
            ));
        }
        if obj.is_instance_of::<PyInt>() {
            return obj
                .extract::<i64>()
                .map(Self::from_number)
                .map_err(|_| "is out of range".to_owned());
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Self::from_name(&s.to_string_lossy()));
        }
        Err(format!(
            "must be a {}, an int or a str, got {}",
            Self::PY_NAME,
            type_name(obj)
        ))
    }
}

macro_rules! dga_enum {
    ($($t:ident),+) => {$(
        impl DgaEnum for dga::$t {
            const PY_NAME: &'static str = stringify!($t);
            fn number(&self) -> Option<i64> { dga::$t::number(self) }
            fn raw(&self) -> Value { self.to_json() }
            fn from_number(n: i64) -> Self { dga::$t::from_number(n) }
            fn from_name(s: &str) -> Self { dga::$t::from_name(s) }
        }
    )+};
}
dga_enum!(BankCode, PaymentType, PaidStatus, ResponseStatus, ErrorCode);

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

// ---------------------------------------------------------------------------------------------
// Values: JSON <-> Python (numbers exact: ints stay ints, other numbers become Decimal), money,
// dates.

fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                // `arbitrary_precision` keeps the digits as sent: a big integer stays an int,
                // anything else is an exact Decimal (never a float).
                let text = n.to_string();
                if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    py.get_type::<PyInt>().call1((text,))?
                } else {
                    decimal_type(py)?.call1((text,))?
                }
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, json_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A Python value as JSON for `data` and `from_dict`: dict (str keys), list, tuple, str, int,
/// Decimal, float (its shortest exact text), bool, None.
fn py_to_json(obj: &Bound<'_, PyAny>, path: &str) -> Result<Value, String> {
    let py = obj.py();
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_string_lossy().into_owned()));
    }
    let number = |text: String| {
        serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_number)
            .ok_or_else(|| format!("{path} {text} is not a finite number"))
    };
    if obj.is_instance_of::<PyInt>() {
        return number(obj.str().map_err(|e| e.to_string())?.to_string());
    }
    if obj.is_instance_of::<PyFloat>() {
        return number(obj.repr().map_err(|e| e.to_string())?.to_string());
    }
    if decimal_type(py).is_ok_and(|d| obj.is_instance(d).unwrap_or(false)) {
        return number(plain_decimal_text(obj).map_err(|e| e.to_string())?);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| format!("{path} has a key that is not a str: {}", type_name(&k)))?
                .to_string_lossy()
                .into_owned();
            let value = py_to_json(&v, &format!("{path}.{key}"))?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in obj.try_iter().map_err(|e| e.to_string())?.enumerate() {
            let item = item.map_err(|e| e.to_string())?;
            items.push(py_to_json(&item, &format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(items));
    }
    Err(format!("{path} cannot be sent as JSON: {}", type_name(obj)))
}

/// A Decimal's digits without an exponent (`format(d, "f")`).
fn plain_decimal_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = obj.py();
    let builtins = py.import("builtins")?;
    builtins.getattr("format")?.call1((obj, "f"))?.extract()
}

/// An amount from Python: `Decimal`, `str` or `int`. A float is refused: it cannot hold most
/// amounts of money exactly (0.1 + 0.2 is 0.30000000000000004).
fn amount_from_py(obj: &Bound<'_, PyAny>) -> Result<Decimal, String> {
    let py = obj.py();
    let text = if obj.is_instance_of::<PyFloat>() {
        return Err(
            "is a float; pass a decimal.Decimal or a str such as \"1000.50\" (a float cannot \
             hold an amount of money exactly)"
                .into(),
        );
    } else if obj.is_instance_of::<PyBool>() {
        return Err("must be a decimal.Decimal, a str or an int, got bool".into());
    } else if obj.is_instance_of::<PyInt>() {
        obj.str().map_err(|e| e.to_string())?.to_string()
    } else if let Ok(s) = obj.cast::<PyString>() {
        s.to_string_lossy().into_owned()
    } else if decimal_type(py).is_ok_and(|d| obj.is_instance(d).unwrap_or(false)) {
        let finite: bool = obj
            .call_method0("is_finite")
            .and_then(|f| f.extract())
            .unwrap_or(false);
        if !finite {
            return Err(format!("must be a finite amount, got {}", obj_repr(obj)));
        }
        plain_decimal_text(obj).map_err(|e| e.to_string())?
    } else {
        return Err(format!(
            "must be a decimal.Decimal, a str or an int, got {}",
            type_name(obj)
        ));
    };
    dga::parse_amount(&Value::String(text))
}

fn obj_repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn decimal_to_py<'py>(py: Python<'py>, d: &Decimal) -> PyResult<Bound<'py, PyAny>> {
    decimal_type(py)?.call1((d.to_string(),))
}

/// A naive `datetime` (Bangkok local time, as DGA gives it), or None.
fn date_to_py<'py>(py: Python<'py>, d: Option<&NaiveDateTime>) -> PyResult<Bound<'py, PyAny>> {
    match d {
        None => Ok(py.None().into_bound(py)),
        Some(d) => DATETIME.import(py, "datetime", "datetime")?.call1((
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
        )),
    }
}

/// A request or callback body: `bytes`, `bytearray` or `str` (sent as UTF-8).
fn body_bytes(body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = body.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(s.extract::<String>()?.into_bytes());
    }
    Err(PyTypeError::new_err(format!(
        "body must be bytes or str, got {}",
        type_name(body)
    )))
}

// ---------------------------------------------------------------------------------------------
// Client

/// Optional settings shared by `Client(...)` and `Client.from_env(...)`.
struct Options<'py> {
    consumer_key: Option<String>,
    consumer_secret: Option<String>,
    agent_id: Option<String>,
    environment: Option<String>,
    gateway_url: Option<String>,
    source: Option<String>,
    timeout: Option<f64>,
    connect_timeout: Option<f64>,
    token_max_age: Option<f64>,
    proxy: Option<String>,
    ca_pem: Option<Bound<'py, PyAny>>,
    ca_file: Option<String>,
    user_agent_suffix: Option<String>,
    strict_agent_id: bool,
    retry: Option<Bound<'py, PyAny>>,
    max_response_bytes: Option<i64>,
    token_failure_cooldown: Option<f64>,
    pool_idle_timeout: Option<f64>,
    max_concurrent_verifications: Option<i64>,
}

/// A duration that may be zero (zero turns the setting off, e.g. `token_failure_cooldown`).
fn seconds_or_zero(errors: &mut Vec<FieldError>, name: &str, v: Option<f64>) -> Option<Duration> {
    let s = v?;
    match Duration::try_from_secs_f64(s) {
        Ok(d) => Some(d),
        _ => {
            errors.push(FieldError::new(
                name,
                format!("must be zero or a positive number of seconds, got {s}"),
            ));
            None
        }
    }
}

/// A whole number that is not negative; the core checks its range (e.g. at least 1).
fn count(errors: &mut Vec<FieldError>, name: &str, v: Option<i64>) -> Option<usize> {
    let n = v?;
    match usize::try_from(n) {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(
                name,
                format!("must be a positive whole number, got {n}"),
            ));
            None
        }
    }
}

fn seconds(errors: &mut Vec<FieldError>, name: &str, v: Option<f64>) -> Option<Duration> {
    let s = v?;
    match Duration::try_from_secs_f64(s) {
        Ok(d) if !d.is_zero() => Some(d),
        _ => {
            errors.push(FieldError::new(
                name,
                format!("must be a positive number of seconds, got {s}"),
            ));
            None
        }
    }
}

const RETRY_KEYS: [&str; 5] = [
    "token_attempts",
    "status_attempts",
    "connect_attempts",
    "backoff_base",
    "backoff_cap",
];

/// `retry=False` (one attempt each), `True`/None (the core's defaults), or a dict overriding
/// some of the core's defaults: attempts as ints, backoff in seconds.
fn retry_policy(errors: &mut Vec<FieldError>, v: &Bound<'_, PyAny>) -> Option<RetryPolicy> {
    if let Ok(b) = v.cast::<PyBool>() {
        return Some(if b.is_true() {
            RetryPolicy::default()
        } else {
            RetryPolicy::none()
        });
    }
    let Ok(d) = v.cast::<PyDict>() else {
        errors.push(FieldError::new(
            "retry",
            format!("must be True, False or a dict, got {}", type_name(v)),
        ));
        return None;
    };
    let mut policy = RetryPolicy::default();
    for (k, value) in d.iter() {
        let key = k.to_string();
        let name = format!("retry.{key}");
        let attempts = || -> Option<u32> {
            (!value.is_instance_of::<PyBool>())
                .then(|| value.extract::<u32>().ok())
                .flatten()
        };
        let secs = || -> Option<Duration> {
            (!value.is_instance_of::<PyBool>())
                .then(|| value.extract::<f64>().ok())
                .flatten()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
        };
        let ok = match key.as_str() {
            "token_attempts" => attempts().map(|n| policy.token_attempts = n),
            "status_attempts" => attempts().map(|n| policy.status_attempts = n),
            "connect_attempts" => attempts().map(|n| policy.connect_attempts = n),
            "backoff_base" => secs().map(|s| policy.backoff_base = s),
            "backoff_cap" => secs().map(|s| policy.backoff_cap = s),
            _ => {
                errors.push(FieldError::new(
                    name,
                    format!("is not a retry setting (use {})", RETRY_KEYS.join(", ")),
                ));
                continue;
            }
        };
        if ok.is_none() {
            let what = if key.starts_with("backoff") {
                "a number of seconds"
            } else {
                "a whole number of attempts"
            };
            errors.push(FieldError::new(
                name,
                format!("must be {what}, got {}", obj_repr(&value)),
            ));
        }
    }
    Some(policy)
}

fn build_config(mut b: ConfigBuilder, o: Options<'_>) -> Result<Config, Error> {
    let mut errors = Vec::new();
    if let Some(v) = o.consumer_key {
        b = b.consumer_key(v);
    }
    if let Some(v) = o.consumer_secret {
        b = b.consumer_secret(v);
    }
    if let Some(v) = o.agent_id {
        b = b.agent_id(v);
    }
    if let Some(v) = o.environment {
        b = b.environment_name(v);
    }
    if let Some(v) = o.gateway_url {
        b = b.gateway_url(v);
    }
    if let Some(v) = o.source {
        b = b.source(v);
    }
    if let Some(d) = seconds(&mut errors, "timeout", o.timeout) {
        b = b.request_timeout(d);
    }
    if let Some(d) = seconds(&mut errors, "connect_timeout", o.connect_timeout) {
        b = b.connect_timeout(d);
    }
    if let Some(d) = seconds(&mut errors, "token_max_age", o.token_max_age) {
        b = b.token_max_age(d);
    }
    if let Some(v) = o.proxy {
        b = b.proxy(v);
    }
    if let Some(pem) = o.ca_pem {
        match body_bytes(&pem) {
            Ok(bytes) => b = b.add_ca_pem(bytes),
            Err(_) => errors.push(FieldError::new(
                "ca_pem",
                format!(
                    "must be the PEM text as str or bytes, got {}",
                    type_name(&pem)
                ),
            )),
        }
    }
    if let Some(v) = o.ca_file {
        b = b.add_ca_file(v);
    }
    if let Some(v) = o.user_agent_suffix {
        b = b.user_agent_suffix(v);
    }
    if let Some(r) = o.retry.filter(|r| !r.is_none())
        && let Some(policy) = retry_policy(&mut errors, &r)
    {
        b = b.retry_policy(policy);
    }
    if let Some(n) = count(&mut errors, "max_response_bytes", o.max_response_bytes) {
        b = b.max_response_bytes(n);
    }
    if let Some(d) = seconds_or_zero(
        &mut errors,
        "token_failure_cooldown",
        o.token_failure_cooldown,
    ) {
        b = b.token_failure_cooldown(d);
    }
    if let Some(d) = seconds(&mut errors, "pool_idle_timeout", o.pool_idle_timeout) {
        b = b.pool_idle_timeout(d);
    }
    if let Some(n) = count(
        &mut errors,
        "max_concurrent_verifications",
        o.max_concurrent_verifications,
    ) {
        b = b.max_concurrent_verifications(n);
    }
    b = b.strict_agent_id(o.strict_agent_id);
    match b.build() {
        Ok(config) if errors.is_empty() => Ok(config),
        Ok(_) => Err(validation(errors)),
        Err(e) => {
            errors.extend(e.field_errors().iter().cloned());
            Err(if errors.is_empty() {
                e
            } else {
                validation(errors)
            })
        }
    }
}

/// A DGA e-Payment client: one connection pool and one token cache, safe to share between
/// threads and usable in a forked child. Every call releases the GIL while it waits.
#[pyclass(frozen, module = "dga_epayment._native", name = "Client")]
struct PyClient {
    inner: dga::Client,
}

#[pymethods]
impl PyClient {
    #[new]
    #[pyo3(signature = (*, consumer_key, consumer_secret, agent_id, environment = "uat",
        gateway_url = None, source = None, timeout = None, connect_timeout = None,
        token_max_age = None, proxy = None, ca_pem = None, ca_file = None,
        user_agent_suffix = None, strict_agent_id = false, retry = None,
        max_response_bytes = None, token_failure_cooldown = None, pool_idle_timeout = None,
        max_concurrent_verifications = None))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        consumer_key: String,
        consumer_secret: String,
        agent_id: String,
        environment: &str,
        gateway_url: Option<String>,
        source: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        token_max_age: Option<f64>,
        proxy: Option<String>,
        ca_pem: Option<Bound<'py, PyAny>>,
        ca_file: Option<String>,
        user_agent_suffix: Option<String>,
        strict_agent_id: bool,
        retry: Option<Bound<'py, PyAny>>,
        max_response_bytes: Option<i64>,
        token_failure_cooldown: Option<f64>,
        pool_idle_timeout: Option<f64>,
        max_concurrent_verifications: Option<i64>,
    ) -> PyResult<Self> {
        let options = Options {
            consumer_key: Some(consumer_key),
            consumer_secret: Some(consumer_secret),
            agent_id: Some(agent_id),
            environment: Some(environment.to_owned()),
            gateway_url,
            source,
            timeout,
            connect_timeout,
            token_max_age,
            proxy,
            ca_pem,
            ca_file,
            user_agent_suffix,
            strict_agent_id,
            retry,
            max_response_bytes,
            token_failure_cooldown,
            pool_idle_timeout,
            max_concurrent_verifications,
        };
        let config = build_config(ConfigBuilder::default(), options).py(py)?;
        let inner = dga::Client::new(config).py(py)?;
        Ok(PyClient { inner })
    }

    /// A client configured from the `DGA_*` environment variables, with any keyword given
    /// here taking precedence.
    #[classmethod]
    #[pyo3(signature = (*, consumer_key = None, consumer_secret = None, agent_id = None,
        environment = None, gateway_url = None, source = None, timeout = None,
        connect_timeout = None, token_max_age = None, proxy = None, ca_pem = None,
        ca_file = None, user_agent_suffix = None, strict_agent_id = false, retry = None,
        max_response_bytes = None, token_failure_cooldown = None, pool_idle_timeout = None,
        max_concurrent_verifications = None))]
    #[allow(clippy::too_many_arguments)]
    fn from_env<'py>(
        _cls: &Bound<'py, PyType>,
        py: Python<'py>,
        consumer_key: Option<String>,
        consumer_secret: Option<String>,
        agent_id: Option<String>,
        environment: Option<String>,
        gateway_url: Option<String>,
        source: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        token_max_age: Option<f64>,
        proxy: Option<String>,
        ca_pem: Option<Bound<'py, PyAny>>,
        ca_file: Option<String>,
        user_agent_suffix: Option<String>,
        strict_agent_id: bool,
        retry: Option<Bound<'py, PyAny>>,
        max_response_bytes: Option<i64>,
        token_failure_cooldown: Option<f64>,
        pool_idle_timeout: Option<f64>,
        max_concurrent_verifications: Option<i64>,
    ) -> PyResult<Self> {
        let options = Options {
            consumer_key,
            consumer_secret,
            agent_id,
            environment,
            gateway_url,
            source,
            timeout,
            connect_timeout,
            token_max_age,
            proxy,
            ca_pem,
            ca_file,
            user_agent_suffix,
            strict_agent_id,
            retry,
            max_response_bytes,
            token_failure_cooldown,
            pool_idle_timeout,
            max_concurrent_verifications,
        };
        let config = build_config(ConfigBuilder::from_env(), options).py(py)?;
        let inner = dga::Client::new(config).py(py)?;
        Ok(PyClient { inner })
    }

    /// The agency's AgentID this client uses.
    #[getter]
    fn agent_id(&self) -> String {
        self.inner.config().agent_id().to_owned()
    }

    /// `"production"`, `"uat"` or `"test"`.
    #[getter]
    fn environment(&self) -> &'static str {
        self.inner.config().environment().name()
    }

    /// The gateway the client talks to.
    #[getter]
    fn gateway_url(&self) -> String {
        self.inner.config().gateway_url().to_string()
    }

    /// The default `source` for `create_payment`, if configured.
    #[getter]
    fn source(&self) -> Option<String> {
        self.inner.config().source().map(str::to_owned)
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!(
            "Client(agent_id={:?}, environment={:?}, gateway_url={:?}, source={})",
            c.agent_id(),
            c.environment().name(),
            c.gateway_url().as_str(),
            c.source()
                .map_or_else(|| "None".to_owned(), |s| format!("{s:?}"))
        )
    }

    /// Creates a payment transaction; see the package documentation for the fields.
    #[pyo3(signature = (*, customer_id, customer_title_name, customer_first_name,
        customer_middle_name = None, customer_last_name, payment_type, amount,
        request_reference1, request_reference2 = None, request_reference3 = None,
        source = None, bank_code = None, data = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_payment<'py>(
        &self,
        py: Python<'py>,
        customer_id: String,
        customer_title_name: String,
        customer_first_name: String,
        customer_middle_name: Option<String>,
        customer_last_name: String,
        payment_type: Bound<'py, PyAny>,
        amount: Bound<'py, PyAny>,
        request_reference1: String,
        request_reference2: Option<String>,
        request_reference3: Option<String>,
        source: Option<String>,
        bank_code: Option<Bound<'py, PyAny>>,
        data: Option<Bound<'py, PyAny>>,
    ) -> PyResult<PyPayment> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let payment_type = field(e, "paymentType", dga::PaymentType::from_py(&payment_type));
        let amount = field(e, "amount", amount_from_py(&amount));
        let bank_code = match bank_code.filter(|b| !b.is_none()) {
            Some(b) => field(e, "bankCode", dga::BankCode::from_py(&b)),
            None => None,
        };
        let data = match data.filter(|d| !d.is_none()) {
            Some(d) => field(e, "data", py_to_json(&d, "data")),
            None => None,
        };
        let request = CreatePayment {
            customer_id,
            customer_title_name,
            customer_first_name,
            customer_middle_name: customer_middle_name.unwrap_or_default(),
            customer_last_name,
            bank_code,
            payment_type,
            amount,
            request_reference1,
            request_reference2: request_reference2.unwrap_or_default(),
            request_reference3: request_reference3.unwrap_or_default(),
            source,
            data,
        };
        if !errors.is_empty() {
            // Name every bad field at once, as the core does for the ones it checks.
            if let Err(e) = request.validate(self.inner.config().source()) {
                for fe in e.field_errors() {
                    if !errors.iter().any(|x| x.field == fe.field) {
                        errors.push(fe.clone());
                    }
                }
            }
            return Err(to_py_err(py, &validation(errors)));
        }
        let client = self.inner.clone();
        let payment = py.detach(move || client.create_payment(&request)).py(py)?;
        Ok(PyPayment { inner: payment })
    }

    /// The transaction's current state at DGA.
    #[pyo3(signature = (reference1, reference2 = ""))]
    fn status(
        &self,
        py: Python<'_>,
        reference1: String,
        reference2: &str,
    ) -> PyResult<PyPaymentStatus> {
        let client = self.inner.clone();
        let reference2 = reference2.to_owned();
        let status = py
            .detach(move || client.status(&reference1, &reference2))
            .py(py)?;
        Ok(PyPaymentStatus { inner: status })
    }

    /// Closes an unpaid transaction so it can no longer be paid.
    #[pyo3(signature = (reference1, reference2 = ""))]
    fn close(
        &self,
        py: Python<'_>,
        reference1: String,
        reference2: &str,
    ) -> PyResult<PyConfirmation> {
        let client = self.inner.clone();
        let reference2 = reference2.to_owned();
        let c = py
            .detach(move || client.close(&reference1, &reference2))
            .py(py)?;
        Ok(PyConfirmation { inner: c })
    }

    /// Voids a paid FastPay transaction (`payment_reference` is the status's `ref_id`).
    fn void(
        &self,
        py: Python<'_>,
        reference1: String,
        reference2: String,
        payment_reference: String,
    ) -> PyResult<PyConfirmation> {
        let client = self.inner.clone();
        let c = py
            .detach(move || client.void(&reference1, &reference2, &payment_reference))
            .py(py)?;
        Ok(PyConfirmation { inner: c })
    }

    /// Decides a parsed callback by DGA's own status (the callback contract) and returns DGA's
    /// status, or raises `VerificationError` (`reason`: `unknown_payment`, `pending_at_dga` or
    /// `status_differs`).
    fn verify_callback(
        &self,
        py: Python<'_>,
        callback: PyRef<'_, PyPaymentStatus>,
    ) -> PyResult<PyPaymentStatus> {
        let client = self.inner.clone();
        let cb = callback.inner.clone();
        let status = py.detach(move || client.verify_callback(&cb)).py(py)?;
        Ok(PyPaymentStatus { inner: status })
    }

    /// Parses a raw callback body and, with `verify` (the default), confirms it with DGA.
    #[pyo3(signature = (body, *, verify = true))]
    fn receive_callback(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        verify: bool,
    ) -> PyResult<PyPaymentStatus> {
        let bytes = body_bytes(body)?;
        let client = self.inner.clone();
        let status = py
            .detach(move || client.receive_callback(&bytes, verify))
            .py(py)?;
        Ok(PyPaymentStatus { inner: status })
    }

    /// The whole callback endpoint in one call: parse and (with `verify`) confirm the body,
    /// call `handler(status)` with DGA's verified status, and return the reply to send DGA.
    /// `result` is true only when the handler returned without raising; a handler's exception
    /// is logged on the `dga_epayment` logger, not sent to DGA.
    #[pyo3(signature = (body, handler, *, verify = true))]
    fn handle_callback(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        handler: &Bound<'_, PyAny>,
        verify: bool,
    ) -> PyResult<PyCallbackReply> {
        let bytes = body_bytes(body)?;
        let client = self.inner.clone();
        let received = py.detach(move || client.receive_callback(&bytes, verify));
        let status = match received {
            Ok(s) => s,
            Err(e) => {
                log::warn!(target: "dga_epayment", "callback refused: {e}");
                return Ok(PyCallbackReply {
                    inner: CallbackReply::for_error(&e),
                });
            }
        };
        let status = Py::new(py, PyPaymentStatus { inner: status })?;
        match handler.call1((status,)) {
            Ok(_) => Ok(PyCallbackReply {
                inner: CallbackReply::accepted("Success"),
            }),
            // KeyboardInterrupt, SystemExit and the like are not the handler failing: let
            // them through.
            Err(err) if !err.is_instance_of::<PyException>(py) => Err(err),
            Err(err) => {
                log_handler_failure(py, &err)?;
                Ok(PyCallbackReply {
                    inner: CallbackReply::handler_failed(),
                })
            }
        }
    }

    /// For `AsyncClient.handle_callback`: the status, or the reply refusing the callback.
    fn _receive_for_reply(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        verify: bool,
    ) -> PyResult<(Option<PyPaymentStatus>, Option<PyCallbackReply>)> {
        let bytes = body_bytes(body)?;
        let client = self.inner.clone();
        Ok(
            match py.detach(move || client.receive_callback(&bytes, verify)) {
                Ok(s) => (Some(PyPaymentStatus { inner: s }), None),
                Err(e) => {
                    log::warn!(target: "dga_epayment", "callback refused: {e}");
                    (
                        None,
                        Some(PyCallbackReply {
                            inner: CallbackReply::for_error(&e),
                        }),
                    )
                }
            },
        )
    }
}

/// A converted argument, or its problem added to `errors`.
fn field<T>(errors: &mut Vec<FieldError>, name: &str, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(msg) => {
            errors.push(FieldError::new(name, msg));
            None
        }
    }
}

/// The agency's handler raised: its traceback goes to the `dga_epayment` logger (the agency's
/// own logs), DGA only hears that it should deliver again.
fn log_handler_failure(py: Python<'_>, err: &PyErr) -> PyResult<()> {
    let logger = py
        .import("logging")?
        .call_method1("getLogger", ("dga_epayment",))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("exc_info", err.value(py))?;
    logger.call_method(
        "error",
        ("the callback handler raised; answered DGA with result false",),
        Some(&kwargs),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Results

/// A created payment: what the citizen's browser needs to pay at KTB, and the references for
/// status, close and void.
#[pyclass(frozen, eq, module = "dga_epayment._native", name = "Payment")]
#[derive(PartialEq)]
struct PyPayment {
    inner: dga::Payment,
}

#[pymethods]
impl PyPayment {
    #[getter]
    fn order_ref(&self) -> &str {
        &self.inner.order_ref
    }
    #[getter]
    fn order_ref1(&self) -> Option<&str> {
        self.inner.order_ref1.as_deref()
    }
    #[getter]
    fn order_ref2(&self) -> Option<&str> {
        self.inner.order_ref2.as_deref()
    }
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal_to_py(py, &self.inner.amount)
    }
    #[getter]
    fn merchant_id(&self) -> &str {
        &self.inner.merchant_id
    }
    #[getter]
    fn curr_code(&self) -> &str {
        &self.inner.curr_code
    }
    #[getter]
    fn lang(&self) -> &str {
        &self.inner.lang
    }
    #[getter]
    fn pay_type(&self) -> &str {
        &self.inner.pay_type
    }
    #[getter]
    fn pay_method(&self) -> &str {
        &self.inner.pay_method
    }
    /// Proves the checkout form to KTB; kept out of `repr()`.
    #[getter]
    fn security_key(&self) -> &str {
        &self.inner.security_key
    }
    #[getter]
    fn gateway_url(&self) -> &str {
        &self.inner.gateway_url
    }
    #[getter]
    fn success_url(&self) -> &str {
        &self.inner.success_url
    }
    #[getter]
    fn fail_url(&self) -> &str {
        &self.inner.fail_url
    }
    #[getter]
    fn cancel_url(&self) -> &str {
        &self.inner.cancel_url
    }
    /// The request's `request_reference1`: pass it to status, close and void.
    #[getter]
    fn reference1(&self) -> &str {
        &self.inner.reference1
    }
    /// The request's `request_reference2` ("" when it had none).
    #[getter]
    fn reference2(&self) -> &str {
        &self.inner.reference2
    }
    /// DGA's message when it answered SuccessWithError or Warning.
    #[getter]
    fn warning(&self) -> Option<&str> {
        self.inner.warning.as_deref()
    }

    /// The HTML page that sends the citizen's browser to KTB's payment page.
    fn checkout_form_html(&self, py: Python<'_>) -> PyResult<String> {
        dga::checkout_form_html(&self.inner).py(py)
    }

    /// The checkout form's hidden fields, `(name, value)` in the guide's order.
    fn checkout_fields(&self) -> Vec<(&'static str, String)> {
        self.inner.checkout_fields()
    }

    /// The SDK's JSON form (camelCase keys, amount as a decimal string).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json())
    }

    /// Reads back what `to_dict()` gave (e.g. kept in a session between requests).
    #[staticmethod]
    fn from_dict(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<PyPayment> {
        let v = py_to_json(data, "payment")
            .map_err(|m| to_py_err(py, &validation(vec![FieldError::new("payment", m)])))?;
        Ok(PyPayment {
            inner: dga::Payment::from_json(&v).py(py)?,
        })
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>,))> {
        let from = slf.get_type().getattr("from_dict")?;
        Ok((from, (slf.get().to_dict(slf.py())?,)))
    }

    fn __repr__(&self) -> String {
        let p = &self.inner;
        format!(
            "Payment(order_ref={:?}, amount=Decimal('{}'), pay_method={:?}, reference1={:?}, \
             reference2={:?}, gateway_url={:?}, security_key=<hidden>)",
            p.order_ref, p.amount, p.pay_method, p.reference1, p.reference2, p.gateway_url
        )
    }
}

/// A transaction's state: status's answer, and the body of a callback (same fields).
#[pyclass(frozen, eq, module = "dga_epayment._native", name = "PaymentStatus")]
#[derive(PartialEq)]
struct PyPaymentStatus {
    inner: dga::PaymentStatus,
}

#[pymethods]
impl PyPaymentStatus {
    /// A `PaidStatus` member, or the raw value (int or str) when DGA sent one outside the
    /// guide's table.
    #[getter]
    fn paid_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.paid_status.to_py(py)
    }
    /// True only for `PaidStatus.SUCCESS`: money taken and not given back.
    #[getter]
    fn is_paid(&self) -> bool {
        self.inner.paid_status.is_paid()
    }
    #[getter]
    fn description(&self) -> Option<&str> {
        self.inner.description.as_deref()
    }
    #[getter]
    fn paid_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        date_to_py(py, self.inner.paid_date.as_ref())
    }
    #[getter]
    fn paid_channel(&self) -> Option<&str> {
        self.inner.paid_channel.as_deref()
    }
    #[getter]
    fn confirm_paid_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        date_to_py(py, self.inner.confirm_paid_date.as_ref())
    }
    /// The payment reference after payment (`void`'s `payment_reference`).
    #[getter]
    fn ref_id(&self) -> Option<&str> {
        self.inner.ref_id.as_deref()
    }
    /// The agency's requestReference1.
    #[getter]
    fn ref1(&self) -> &str {
        &self.inner.ref1
    }
    /// The agency's requestReference2 (may be "").
    #[getter]
    fn ref2(&self) -> &str {
        &self.inner.ref2
    }
    #[getter]
    fn card_no(&self) -> Option<&str> {
        self.inner.card_no.as_deref()
    }
    /// A `PaymentType` member, the raw value when outside the table, or None.
    #[getter]
    fn payment_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.inner.payment_type {
            Some(t) => t.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal_to_py(py, &self.inner.amount)
    }
    #[getter]
    fn fee_amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.inner.fee_amount {
            Some(d) => decimal_to_py(py, d),
            None => Ok(py.None().into_bound(py)),
        }
    }
    #[getter]
    fn void_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        date_to_py(py, self.inner.void_date.as_ref())
    }
    #[getter]
    fn request_refund_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        date_to_py(py, self.inner.request_refund_date.as_ref())
    }
    /// DGA's message when it answered SuccessWithError or Warning (never set on callbacks).
    #[getter]
    fn warning(&self) -> Option<&str> {
        self.inner.warning.as_deref()
    }

    /// The normalized JSON form (camelCase, enum names, amounts as strings, dates as
    /// `yyyy-MM-ddTHH:mm:ss` or None), the same in every language.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json())
    }

    /// Reads back what `to_dict()` gave, or DGA's own callback fields.
    #[staticmethod]
    fn from_dict(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<PyPaymentStatus> {
        let v = py_to_json(data, "status")
            .map_err(|m| to_py_err(py, &validation(vec![FieldError::new("status", m)])))?;
        Ok(PyPaymentStatus {
            inner: dga::PaymentStatus::from_json(&v).py(py)?,
        })
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>,))> {
        let from = slf.get_type().getattr("from_dict")?;
        Ok((from, (slf.get().to_dict(slf.py())?,)))
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        format!(
            "PaymentStatus(paid_status={}, ref1={:?}, ref2={:?}, amount=Decimal('{}'), \
             ref_id={:?})",
            s.paid_status, s.ref1, s.ref2, s.amount, s.ref_id
        )
    }
}

/// The answer to close or void.
#[pyclass(frozen, eq, module = "dga_epayment._native", name = "Confirmation")]
#[derive(PartialEq)]
struct PyConfirmation {
    inner: dga::Confirmation,
}

#[pymethods]
impl PyConfirmation {
    /// A `ResponseStatus` member (Success, SuccessWithError, Warning), or the raw value.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.status.to_py(py)
    }
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }
    /// DGA's `data` as sent (numbers exact: int or Decimal), or None.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.inner.data {
            Some(v) => json_to_py(py, v),
            None => Ok(py.None().into_bound(py)),
        }
    }
    #[getter]
    fn warning(&self) -> Option<&str> {
        self.inner.warning.as_deref()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json())
    }
    fn __repr__(&self) -> String {
        format!(
            "Confirmation(status={}, message={:?})",
            self.inner.status, self.inner.message
        )
    }
}

/// The HTTP answer to one callback delivery, decided by the core: status code, whether DGA is
/// told `result: true`, and the acknowledgement JSON body.
#[pyclass(frozen, eq, module = "dga_epayment._native", name = "CallbackReply")]
#[derive(PartialEq)]
struct PyCallbackReply {
    inner: CallbackReply,
}

#[pymethods]
impl PyCallbackReply {
    #[classattr]
    const CONTENT_TYPE: &'static str = CallbackReply::CONTENT_TYPE;

    #[getter]
    fn http_status(&self) -> u16 {
        self.inner.http_status
    }
    #[getter]
    fn accepted(&self) -> bool {
        self.inner.accepted
    }
    #[getter]
    fn body(&self) -> &str {
        &self.inner.body
    }
    #[getter]
    fn content_type(&self) -> &'static str {
        CallbackReply::CONTENT_TYPE
    }
    /// 200, `result: true`: the agency recorded the verified result.
    #[staticmethod]
    #[pyo3(signature = (message = "Success"))]
    fn accept(message: &str) -> PyCallbackReply {
        PyCallbackReply {
            inner: CallbackReply::accepted(message),
        }
    }
    /// 500, `result: false`: the agency's own handling failed; DGA should deliver again.
    #[staticmethod]
    fn handler_failed() -> PyCallbackReply {
        PyCallbackReply {
            inner: CallbackReply::handler_failed(),
        }
    }
    fn __repr__(&self) -> String {
        format!(
            "CallbackReply(http_status={}, accepted={}, body={:?})",
            self.inner.http_status,
            if self.inner.accepted { "True" } else { "False" },
            self.inner.body
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Functions

/// Parses a callback body from DGA (bytes or str); raises `CallbackError` listing every
/// problem. Verify it with `Client.verify_callback` before acting on it.
#[pyfunction]
fn parse_callback(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<PyPaymentStatus> {
    let bytes = body_bytes(body)?;
    Ok(PyPaymentStatus {
        inner: dga::parse_callback(&bytes).py(py)?,
    })
}

/// The acknowledgement JSON DGA expects as the answer to a callback.
#[pyfunction]
#[pyo3(signature = (accepted, message = "Success"))]
fn callback_ack(accepted: bool, message: &str) -> String {
    dga::callback_ack(accepted, message)
}

/// Whether `citizen_id` is a well-formed 13-digit Thai citizen ID with a valid check digit.
#[pyfunction]
fn validate_citizen_id(citizen_id: &str) -> bool {
    dga::validate_citizen_id(citizen_id)
}

/// The HTML page that sends the citizen's browser to KTB (same as `Payment.checkout_form_html`).
#[pyfunction]
fn checkout_form_html(py: Python<'_>, payment: PyRef<'_, PyPayment>) -> PyResult<String> {
    dga::checkout_form_html(&payment.inner).py(py)
}

/// The guide's enum tables, from the core: `{"PaidStatus": [{"name", "number",
/// "descriptionTh"}, ...], ...}`.
#[pyfunction]
fn enum_tables(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    json_to_py(py, &dga::enum_tables())
}

/// The core's error kinds: `[{"code": "validation", "number": 1}, ...]`.
#[pyfunction]
fn error_kinds(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    json_to_py(py, &dga::error_kinds())
}

/// The native half of dga_epayment (private: import dga_epayment).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // The core logs with the `log` crate (target `dga_epayment`): forward to Python's logging.
    // Levels are read from Python on every record (only the loggers are cached), so
    // configuring logging after import works. A second import in the same process (a
    // subinterpreter) keeps the first logger.
    // Only the core's own records: the HTTP stack's (reqwest logs from its runtime thread)
    // would take the GIL from threads Python does not know, for nothing the agency needs.
    if let Ok(logger) = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers) {
        let _ = logger
            .filter(log::LevelFilter::Off)
            .filter_target("dga_epayment".to_owned(), log::LevelFilter::Debug)
            .install();
    }
    // setattr rather than add: the version is not part of the module's `__all__`.
    m.setattr("__version__", dga::VERSION)?;
    m.add_class::<PyClient>()?;
    m.add_class::<PyPayment>()?;
    m.add_class::<PyPaymentStatus>()?;
    m.add_class::<PyConfirmation>()?;
    m.add_class::<PyCallbackReply>()?;
    m.add_function(wrap_pyfunction!(parse_callback, m)?)?;
    m.add_function(wrap_pyfunction!(callback_ack, m)?)?;
    m.add_function(wrap_pyfunction!(validate_citizen_id, m)?)?;
    m.add_function(wrap_pyfunction!(checkout_form_html, m)?)?;
    m.add_function(wrap_pyfunction!(enum_tables, m)?)?;
    m.add_function(wrap_pyfunction!(error_kinds, m)?)?;
    Ok(())
}
