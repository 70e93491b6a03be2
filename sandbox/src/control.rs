//! The control API under `/__sandbox/` and the transactions page for people.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::SandboxConfig;
use crate::callback;
use crate::model::{self, error_code};
use crate::respond::{self, control_error, esc};
use crate::state::{App, Endpoint, FaultKind, FinishError, Outcome};

/// Longest latency a fault may inject.
const MAX_LATENCY_MS: u64 = 600_000;

/// `sub` is the path after `/__sandbox`, lower-cased, without surrounding slashes; "" is the
/// transactions page.
pub(crate) fn handle(
    app: &Arc<App>,
    method: &Method,
    headers: &HeaderMap,
    sub: &str,
    body: &[u8],
) -> Response {
    let allowed: &[Method] = match sub {
        "" | "requests" | "callbacks" | "transactions" => &[Method::GET],
        "config" => &[Method::GET, Method::POST],
        "reset" | "simulate" | "expire-tokens" => &[Method::POST],
        "faults" => &[Method::GET, Method::POST, Method::DELETE],
        _ => {
            return control_error(
                StatusCode::NOT_FOUND,
                &format!("unknown control endpoint /__sandbox/{sub}"),
            );
        }
    };
    if !allowed.contains(method) {
        let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
        return control_error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("method {method} not allowed; use {}", names.join(" or ")),
        );
    }
    // A web page can post a form or text/plain to any address without asking; it cannot send
    // application/json cross-site without a CORS preflight, which the sandbox never grants. So
    // requiring it, even for an empty body, keeps other sites' pages from driving the sandbox.
    if *method == Method::POST && !respond::is_json_request(headers) {
        return control_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "control requests must be sent with Content-Type: application/json",
        );
    }
    let ok = |value: Value| respond::json(StatusCode::OK, &value);
    match (sub, method.as_str()) {
        ("", _) => home_page(app),
        ("reset", _) => {
            app.lock().reset(&app.startup);
            ok(json!({"ok": true}))
        }
        ("config", "GET") => ok(config_json(&app.lock().config)),
        ("config", _) => {
            let mut inner = app.lock();
            match control_object(body).and_then(|obj| apply_config(&inner.config, &obj)) {
                Ok(next) => {
                    inner.config = next;
                    ok(config_json(&inner.config))
                }
                Err(message) => control_error(StatusCode::BAD_REQUEST, &message),
            }
        }
        ("simulate", _) => simulate(app, body),
        ("expire-tokens", _) => {
            let expired = app.lock().expire_tokens();
            ok(json!({"ok": true, "expired": expired}))
        }
        ("faults", "GET") => {
            let faults: Vec<Value> = app.lock().faults.iter().map(|f| f.to_json()).collect();
            ok(Value::Array(faults))
        }
        ("faults", "DELETE") => {
            let mut inner = app.lock();
            let cleared = inner.faults.len();
            inner.faults.clear();
            ok(json!({"ok": true, "cleared": cleared}))
        }
        ("faults", _) => add_fault(app, body),
        ("requests", _) => ok(json!(app.lock().requests())),
        ("callbacks", _) => ok(json!(app.lock().callbacks())),
        _ => {
            let inner = app.lock();
            ok(Value::Array(
                inner.txns.iter().map(|t| t.listing()).collect(),
            ))
        }
    }
}

/// A control request body: a JSON object; an empty body counts as `{}`.
fn control_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match model::parse_json(body) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("the body is not valid JSON: {e}")),
    }
}

/// Key names of a control body, matched trimmed and case-insensitively; unknown keys are an
/// error so that a typo does not go unnoticed.
fn known_keys<'a>(
    obj: &'a Map<String, Value>,
    known: &[&'static str],
) -> Result<Vec<(&'static str, &'a Value)>, String> {
    obj.iter()
        .map(|(key, value)| {
            known
                .iter()
                .find(|k| key.trim().eq_ignore_ascii_case(k))
                .map(|k| (*k, value))
                .ok_or_else(|| format!("unknown key {key:?}; known keys: {}", known.join(", ")))
        })
        .collect()
}

pub(crate) fn config_json(c: &SandboxConfig) -> Value {
    let ttl = c.token_ttl.map(|ttl| {
        if ttl.subsec_nanos() == 0 {
            json!(ttl.as_secs())
        } else {
            json!(ttl.as_secs_f64())
        }
    });
    json!({
        "consumerKey": c.consumer_key,
        "consumerSecret": c.consumer_secret,
        "sources": c.sources,
        "callbackUrl": c.callback_url,
        "tokenTtlSeconds": ttl,
        "callbackMaxAttempts": c.callback_max_attempts,
        "callbackRetryDelayMs": u64::try_from(c.callback_retry_delay.as_millis()).unwrap_or(u64::MAX),
        "successUrl": c.success_url,
        "failUrl": c.fail_url,
        "cancelUrl": c.cancel_url,
    })
}

/// Why an empty `sources` is refused (by the control API and by [`crate::start`]).
pub(crate) const NO_SOURCES: &str =
    "sources must name at least one source: with none, create refuses every source (InvalidSource)";

const CONFIG_KEYS: &[&str] = &[
    "consumerKey",
    "consumerSecret",
    "sources",
    "callbackUrl",
    "tokenTtlSeconds",
    "callbackMaxAttempts",
    "callbackRetryDelayMs",
    "successUrl",
    "failUrl",
    "cancelUrl",
];

/// The configuration with `patch` applied, or why the patch is refused (nothing applied).
fn apply_config(
    current: &SandboxConfig,
    patch: &Map<String, Value>,
) -> Result<SandboxConfig, String> {
    let mut next = current.clone();
    for (key, value) in known_keys(patch, CONFIG_KEYS)? {
        match key {
            "consumerKey" => next.consumer_key = non_empty_string(key, value)?,
            "consumerSecret" => next.consumer_secret = non_empty_string(key, value)?,
            "sources" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| format!("{key} must be an array of strings"))?;
                if items.is_empty() {
                    return Err(NO_SOURCES.into());
                }
                next.sources = items
                    .iter()
                    .map(|item| non_empty_string(key, item))
                    .collect::<Result<_, _>>()?;
            }
            "callbackUrl" => next.callback_url = optional_url(key, value)?,
            "successUrl" => next.success_url = optional_url(key, value)?,
            "failUrl" => next.fail_url = optional_url(key, value)?,
            "cancelUrl" => next.cancel_url = optional_url(key, value)?,
            "tokenTtlSeconds" => {
                next.token_ttl = match value {
                    Value::Null => None,
                    Value::Number(n) => Some(
                        n.as_f64()
                            .and_then(|s| Duration::try_from_secs_f64(s).ok())
                            .ok_or_else(|| {
                                format!("{key} must be a number of seconds >= 0, or null")
                            })?,
                    ),
                    _ => return Err(format!("{key} must be a number of seconds >= 0, or null")),
                }
            }
            "callbackMaxAttempts" => {
                next.callback_max_attempts = value
                    .as_u64()
                    .filter(|n| *n >= 1)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| format!("{key} must be an integer >= 1"))?;
            }
            _ => {
                let ms = value
                    .as_u64()
                    .ok_or_else(|| format!("{key} must be an integer >= 0"))?;
                next.callback_retry_delay = Duration::from_millis(ms);
            }
        }
    }
    Ok(next)
}

fn non_empty_string(key: &str, value: &Value) -> Result<String, String> {
    match value.as_str().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(format!("{key} must be a non-empty string")),
    }
}

fn optional_url(key: &str, value: &Value) -> Result<Option<String>, String> {
    let bad = || format!("{key} must be an absolute http(s) URL, or null");
    match value {
        Value::Null => Ok(None),
        Value::String(s) => {
            let url = url::Url::parse(s.trim()).map_err(|_| bad())?;
            if matches!(url.scheme(), "http" | "https") {
                Ok(Some(s.trim().to_string()))
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

fn simulate(app: &Arc<App>, body: &[u8]) -> Response {
    let obj = match control_object(body) {
        Ok(obj) => obj,
        Err(message) => return control_error(StatusCode::BAD_REQUEST, &message),
    };
    let fields = match known_keys(
        &obj,
        &["reference1", "reference2", "outcome", "deliverCallback"],
    ) {
        Ok(fields) => fields,
        Err(message) => return control_error(StatusCode::BAD_REQUEST, &message),
    };
    let (mut ref1, mut ref2, mut outcome, mut deliver) = (None, String::new(), None, true);
    for (key, value) in fields {
        let text = match value {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match (key, value) {
            ("deliverCallback", Value::Bool(b)) => deliver = *b,
            ("deliverCallback", _) => {
                return control_error(StatusCode::BAD_REQUEST, "deliverCallback must be a boolean");
            }
            ("reference2", Value::Null) => {}
            (_, _) if text.is_none() => {
                return control_error(StatusCode::BAD_REQUEST, &format!("{key} must be a string"));
            }
            ("reference1", _) => ref1 = text.filter(|t| !t.is_empty()),
            ("reference2", _) => ref2 = text.unwrap_or_default(),
            _ => outcome = text,
        }
    }
    let Some(ref1) = ref1 else {
        return control_error(StatusCode::BAD_REQUEST, "reference1 is required");
    };
    let Some(outcome) = outcome.as_deref().and_then(Outcome::parse) else {
        return control_error(
            StatusCode::BAD_REQUEST,
            "outcome must be \"pay\", \"fail\" or \"cancel\"",
        );
    };
    let mut inner = app.lock();
    let Some(idx) = inner.find(&ref1, &ref2) else {
        return respond::json(
            StatusCode::NOT_FOUND,
            &json!({
                "error": format!("transaction not found: reference1 {ref1:?}, reference2 {ref2:?}"),
                "errorCode": error_code::TRANSACTION_NOT_FOUND,
            }),
        );
    };
    match inner.finish(idx, outcome, deliver) {
        Ok(job) => {
            let data = inner.txns[idx].status_data(false);
            drop(inner);
            if let Some(job) = job {
                callback::spawn(Arc::clone(app), job);
            }
            respond::json(StatusCode::OK, &data)
        }
        Err(FinishError::Closed) => respond::json(
            StatusCode::CONFLICT,
            &json!({
                "error": "the transaction was closed by the agency (Expired) and cannot be paid",
                "errorCode": error_code::PAID_PAYMENT_CANNOT_BE_CLOSED,
            }),
        ),
        Err(FinishError::Locked(status)) => respond::json(
            StatusCode::CONFLICT,
            &json!({
                "error": format!("the transaction already has an outcome: {}", status.name()),
                "errorCode": error_code::TRANSACTION_LOCKED,
            }),
        ),
    }
}

fn add_fault(app: &App, body: &[u8]) -> Response {
    match control_object(body).and_then(|obj| parse_fault(&obj)) {
        Ok((target, kind, count)) => {
            let mut inner = app.lock();
            let fault = inner.add_fault(target, kind, count).to_json();
            respond::json(StatusCode::OK, &fault)
        }
        Err(message) => control_error(StatusCode::BAD_REQUEST, &message),
    }
}

fn parse_fault(obj: &Map<String, Value>) -> Result<(Option<Endpoint>, FaultKind, u32), String> {
    let fields = known_keys(
        obj,
        &[
            "endpoint",
            "kind",
            "count",
            "latencyMs",
            "httpStatus",
            "body",
        ],
    )?;
    let get = |name: &str| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let target = match get("endpoint").and_then(Value::as_str).map(str::trim) {
        Some("any") => None,
        Some("token") => Some(Endpoint::Token),
        Some("create") => Some(Endpoint::Create),
        Some("close") => Some(Endpoint::Close),
        Some("void") => Some(Endpoint::Void),
        Some("status") => Some(Endpoint::Status),
        _ => {
            return Err(
                "endpoint must be one of token, create, close, void, status, any".to_string(),
            );
        }
    };
    let count = match get("count") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| *n >= 1)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or("count must be an integer >= 1")?,
    };
    let kind_name = get("kind").and_then(Value::as_str).map(str::trim);
    let kind = match kind_name {
        Some("latency") => {
            let ms = get("latencyMs")
                .and_then(Value::as_u64)
                .filter(|ms| *ms <= MAX_LATENCY_MS)
                .ok_or(format!(
                    "a latency fault needs latencyMs, an integer from 0 to {MAX_LATENCY_MS}"
                ))?;
            FaultKind::Latency(ms)
        }
        Some("http_status") => {
            let code = match get("httpStatus") {
                None | Some(Value::Null) => 503,
                Some(v) => v
                    .as_u64()
                    .filter(|c| (200..=599).contains(c))
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or("httpStatus must be an integer from 200 to 599")?,
            };
            FaultKind::HttpStatus(code)
        }
        Some("reset") => FaultKind::Reset,
        Some("reset_after") => FaultKind::ResetAfter,
        Some("malformed") => FaultKind::Malformed,
        Some("token_expired") => FaultKind::TokenExpired,
        Some("respond") => {
            let code = match get("httpStatus") {
                None | Some(Value::Null) => 200,
                Some(v) => v
                    .as_u64()
                    .filter(|c| (200..=599).contains(c))
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or("httpStatus must be an integer from 200 to 599")?,
            };
            let body = get("body")
                .and_then(Value::as_str)
                .ok_or("a respond fault needs body, the exact text to answer")?;
            FaultKind::Respond(code, body.into())
        }
        _ => {
            return Err(
                "kind must be one of latency, http_status, reset, reset_after, malformed, \
                 token_expired, respond"
                    .to_string(),
            );
        }
    };
    // A key the kind does not read would pass silently, as a misspelt one would (null is absent).
    let reads: &[&str] = match kind_name {
        Some("latency") => &["latencyMs"],
        Some("http_status") => &["httpStatus"],
        Some("respond") => &["httpStatus", "body"],
        _ => &[],
    };
    for name in ["latencyMs", "httpStatus", "body"] {
        if get(name).is_some_and(|v| !v.is_null()) && !reads.contains(&name) {
            return Err(format!(
                "{name} does not apply to a {} fault",
                kind_name.unwrap_or_default()
            ));
        }
    }
    Ok((target, kind, count))
}

/// `GET /` and `GET /__sandbox/`: every transaction, for people.
fn home_page(app: &App) -> Response {
    let inner = app.lock();
    let mut rows = String::new();
    for txn in inner.txns.iter().rev() {
        let open = if txn.status == model::PaidStatus::Pending {
            let mut amount = txn.new.amount;
            amount.rescale(2);
            let hidden = [
                ("merchantId", "900000001".to_string()),
                ("amount", amount.to_string()),
                ("orderRef", txn.order_ref.clone()),
                ("currCode", "764".to_string()),
                ("successUrl", txn.success_url.clone()),
                ("failUrl", txn.fail_url.clone()),
                ("cancelUrl", txn.cancel_url.clone()),
                ("payType", "N".to_string()),
                ("lang", "T".to_string()),
                ("payMethod", txn.new.payment_type.pay_method().to_string()),
                ("securityKey", txn.security_key.clone()),
            ]
            .iter()
            .map(|(name, value)| {
                format!(
                    r#"<input type="hidden" name="{name}" value="{}">"#,
                    esc(value)
                )
            })
            .collect::<String>();
            format!(
                r#"<form method="post" action="/ktb/payForm">{hidden}<button type="submit">เปิดหน้าชำระเงิน / Open gateway page</button></form>"#
            )
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{open}</td></tr>\n",
            esc(&txn.created_at),
            esc(&txn.order_ref),
            esc(&txn.new.ref1),
            esc(&txn.new.ref2),
            esc(&txn.customer_name()),
            esc(&txn.new.amount.normalize().to_string()),
            esc(txn.new.payment_type.name()),
            esc(txn.status.name()),
            esc(&txn.paid_date),
            esc(&txn.ref_id),
        ));
    }
    if rows.is_empty() {
        rows = r#"<tr><td colspan="11">ยังไม่มีรายการ / No transactions yet.</td></tr>"#.into();
    }
    let callback = inner.config.callback_url.as_deref().unwrap_or("(none)");
    let body = format!(
        r#"<h1>dga-sandbox: รายการชำระเงิน / Transactions</h1>
<p class="banner">A local emulator of the DGA e-Payment service and the KTB gateway page. No real money moves.
Consumer-Key <code>{key}</code>, ConsumerSecret <code>{secret}</code>, any 13-digit AgentID, sources <code>{sources}</code>.
Callback URL: <code>{callback}</code>.</p>
<table>
<tr><th>Created</th><th>orderRef</th><th>reference1</th><th>reference2</th><th>Customer</th><th>Amount</th><th>Type</th><th>Status</th><th>Paid</th><th>refId</th><th></th></tr>
{rows}</table>
<p>JSON: <a href="/__sandbox/transactions">transactions</a> ·
<a href="/__sandbox/requests">request log</a> ·
<a href="/__sandbox/callbacks">callback deliveries</a> ·
<a href="/__sandbox/config">config</a> ·
<a href="/__sandbox/faults">faults</a></p>
"#,
        key = esc(&inner.config.consumer_key),
        secret = esc(&inner.config.consumer_secret),
        sources = esc(&inner.config.sources.join(", ")),
        callback = esc(callback),
    );
    respond::html(StatusCode::OK, respond::page("dga-sandbox", &body))
}
