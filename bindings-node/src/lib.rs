//! Node binding (napi-rs) of dga-epayment: JS values to the core's JSON forms and back, and
//! the core's errors as index.js's `DgaError`. No protocol logic lives here. Every call runs as
//! a task on the core's one runtime; `settle` settles its Promise on the JavaScript thread.

#![deny(clippy::all)]

use core::Endpoint::{Close, Create, Status, Void};
use dga_epayment as core;
use napi::bindgen_prelude::{External, FromNapiValue, Function, JsObjectValue, Object, PromiseRaw};
use napi::bindgen_prelude::{Uint8Array, Unknown};
use napi::{Env, JsValue, Result, ValueType};
use napi_derive::napi;
use serde_json::{Map, Value};
use std::future::Future;

mod logger;
pub mod reconcile;
mod settle;

#[global_allocator]
static ALLOCATOR: core::alloc::Allocator = core::alloc::Allocator;

/// A core error as the `DgaError` to throw.
pub(crate) fn throw(e: core::Error) -> napi::Error {
    settle::thrown(e.to_json())
}

/// A validation error raised by the binding itself (a JS value the core's JSON cannot hold).
pub(crate) fn invalid(field: &str, message: impl Into<String>) -> napi::Error {
    settle::thrown(core::Error::argument(field, message).to_json())
}

/// A core call's record as JSON text (its `to_json` form), or its error's JSON.
async fn text<T: serde::Serialize>(call: impl Future<Output = core::Result<T>>) -> settle::Text {
    let record = call.await.map_err(|e| e.to_json())?;
    serde_json::to_string(&record).map_err(|e| settle::unconvertible(&e))
}

/// `call` as a Promise, rejected at once when `call` is an error (bad arguments); `slot`, when
/// index.js passes one (the caller gave an `AbortSignal`), gets the call's `id` for `_abort`.
pub(crate) fn spawn<'e>(
    env: &'e Env,
    endpoint: core::Endpoint,
    slot: Option<Unknown>,
    call: Result<impl Future<Output = settle::Text> + Send + 'static>,
) -> Result<PromiseRaw<'e, Value>> {
    let (promise, id) = settle::Settler::of(env.raw())?.spawn(endpoint, call)?;
    if let Some(slot) = slot.filter(|s| s.get_type().ok() == Some(ValueType::Object)) {
        slot.coerce_to_object()?
            .set_named_property("id", id as f64)?;
    }
    Ok(PromiseRaw::new(env.raw(), promise))
}

/// Cancels call `id` of this environment (its `AbortSignal` fired); unknown or finished ids
/// are ignored. A create, void or close already sent runs to its end in the core.
#[napi(js_name = "_abort", skip_typescript)]
pub fn abort(env: &Env, id: f64) -> Result<()> {
    settle::Settler::of(env.raw())?.calls.abort(id as u64);
    Ok(())
}

/// Reads a JS value into JSON for the core. Numbers that JSON cannot hold (NaN, ±Infinity)
/// are refused here, naming the field, instead of napi's generic conversion error.
pub(crate) fn js_to_json(v: &Unknown, path: &str, depth: u32) -> Result<Value> {
    let fail = |m: String| invalid(path, m);
    let na = |e: napi::Error| invalid(path, e.reason);
    if depth > 64 {
        return Err(fail("is nested too deeply".into()));
    }
    Ok(match v.get_type().map_err(na)? {
        ValueType::Null | ValueType::Undefined => Value::Null,
        ValueType::Boolean => Value::Bool(bool::from_unknown(*v).map_err(na)?),
        ValueType::String => Value::String(String::from_unknown(*v).map_err(na)?),
        ValueType::Number => {
            let n = f64::from_unknown(*v).map_err(na)?;
            number_to_json(n).ok_or_else(|| {
                let amount = path.to_ascii_lowercase().ends_with("amount");
                let hint = amount.then_some("; pass the amount as a string such as \"0.30\"");
                let hint = hint.unwrap_or_default();
                // Past 2^53 a number is no longer what was written (2^53 + 1 reads as 2^53).
                let want = if n.is_finite() {
                    "below 2^53"
                } else {
                    "a finite number"
                };
                // As JavaScript writes it (Rust's `inf` means nothing to a JS reader).
                let n = format!("{n}").replace("inf", "Infinity");
                fail(format!("must be {want}, got {n}{hint}"))
            })?
        }
        ValueType::Object if v.is_array().map_err(na)? => {
            let items = Vec::<Unknown>::from_unknown(*v)
                .map_err(na)?
                .into_iter()
                .enumerate();
            let item = |(i, item)| js_to_json(&item, &format!("{path}[{i}]"), depth + 1);
            Value::Array(items.map(item).collect::<Result<_>>()?)
        }
        ValueType::Object => {
            let obj: Object = v.coerce_to_object().map_err(na)?;
            let names = obj.get_property_names().map_err(na)?;
            let mut map = Map::new();
            for i in 0..names.get_array_length().map_err(na)? {
                let key: String = names.get_element(i).map_err(na)?;
                let value: Unknown = obj.get_named_property(&key).map_err(na)?;
                // An undefined property is left out, as JSON.stringify leaves it out.
                if value.get_type().ok() != Some(ValueType::Undefined) {
                    let dot = if path.is_empty() { "" } else { "." };
                    let child = format!("{path}{dot}{key}");
                    map.insert(key, js_to_json(&value, &child, depth + 1)?);
                }
            }
            Value::Object(map)
        }
        ValueType::BigInt => {
            // Exact integers: keep the digits (serde_json's arbitrary precision holds them).
            let text = String::from_unknown(v.coerce_to_string().map_err(na)?.to_unknown());
            serde_json::from_str::<Value>(&text.map_err(na)?).map_err(|e| fail(e.to_string()))?
        }
        other => return Err(fail(format!("cannot be a {other}"))),
    })
}

/// A JS number as JSON: integers stay integers, other numbers below 2^53 are written the way
/// JS prints them (shortest round-trip form), so `99.5` reaches the core as `99.5` and
/// `0.1 + 0.2` as `0.30000000000000004`, which the core refuses for its decimals. NaN, the
/// infinities and numbers from 2^53 up (no longer exact) are refused.
fn number_to_json(n: f64) -> Option<Value> {
    match n.abs() < 9_007_199_254_740_992.0 {
        true if n.fract() == 0.0 => Some(Value::from(n as i64)),
        true => serde_json::Number::from_f64(n).map(Value::Number),
        false => None,
    }
}

/// The options object (or request) argument as a JSON object.
pub(crate) fn object_arg(v: Unknown, what: &str) -> Result<Value> {
    match v.get_type() {
        Ok(ValueType::Object) => js_to_json(&v, "", 0),
        Ok(ValueType::Undefined | ValueType::Null) => Ok(Value::Object(Map::new())),
        _ => Err(invalid(what, "must be an object")),
    }
}

/// The JS type name of a value, for argument errors.
pub(crate) fn js_type(v: &Unknown) -> String {
    match v.get_type() {
        Ok(ValueType::Object) if v.is_array().unwrap_or(false) => "an array".into(),
        Ok(ValueType::Object) => "an object".into(),
        Ok(t) => format!("{t}").to_ascii_lowercase(),
        Err(_) => "an unknown value".into(),
    }
}

/// The error of an argument that is not what it must be.
pub(crate) fn wrong(v: &Unknown, name: &str, want: &str) -> napi::Error {
    invalid(name, format!("must be {want}, got {}", js_type(v)))
}

/// A string argument; `undefined` and `null` give `default`, when there is one (a `reference2`
/// left out, or a database's NULL column). Anything else is a `DGA_VALIDATION` naming it.
fn string_arg(v: Unknown, name: &str, default: Option<&str>) -> Result<String> {
    match (v.get_type(), default) {
        (Ok(ValueType::String), _) => String::from_unknown(v).map_err(|e| invalid(name, e.reason)),
        (Ok(ValueType::Undefined | ValueType::Null), Some(default)) => Ok(default.into()),
        _ => Err(wrong(&v, name, "a string")),
    }
}

/// Throws a `DGA_VALIDATION` naming each key of `options` (an object, or left out) not among
/// `known`, as the core names an unknown client option: such a key would do nothing, unnoticed.
#[napi(js_name = "_knownKeys", skip_typescript)]
pub fn known_keys(options: Unknown, known: Vec<String>) -> Result<()> {
    let keys = match options.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => return Ok(()),
        Ok(ValueType::Object) => Object::keys(&options.coerce_to_object()?)?,
        _ => return Err(wrong(&options, "options", "an object")),
    };
    let message = format!("is not an option (known: {})", known.join(", "));
    let error = |k: String| core::FieldError::new(k, &message);
    let unknown = keys.into_iter().filter(|k| !known.contains(k));
    let errors: Vec<_> = unknown.map(error).collect();
    match errors.len() {
        0 => Ok(()),
        _ => Err(throw(core::Error::Validation { errors })),
    }
}

/// An object argument read by one of the core's `from_json`.
fn record<T>(v: Unknown, what: &str, from: impl Fn(&Value) -> core::Result<T>) -> Result<T> {
    from(&object_arg(v, what)?).map_err(throw)
}

/// A raw callback body: a string (sent as UTF-8) or a Buffer / Uint8Array (bytes as received).
fn body_arg(v: Unknown) -> Result<Vec<u8>> {
    let fail = |e: napi::Error| invalid("body", e.reason);
    if v.get_type().ok() == Some(ValueType::String) {
        return Ok(String::from_unknown(v).map_err(fail)?.into_bytes());
    }
    if v.is_typedarray().unwrap_or(false) || v.is_buffer().unwrap_or(false) {
        return Ok(Uint8Array::from_unknown(v).map_err(fail)?.to_vec());
    }
    Err(wrong(&v, "body", "a string or a Buffer"))
}

/// A boolean argument (`undefined` and `null` give `default`, when there is one).
fn bool_arg(v: Unknown, name: &str, default: Option<bool>) -> Result<bool> {
    match (v.get_type(), default) {
        (Ok(ValueType::Boolean), _) => bool::from_unknown(v).map_err(|e| invalid(name, e.reason)),
        (Ok(ValueType::Undefined | ValueType::Null), Some(default)) => Ok(default),
        _ => Err(wrong(&v, name, "true or false")),
    }
}

/// A client for DGA's e-Payment API: one connection pool and one token cache; share it.
#[napi]
pub struct Client {
    inner: core::Client,
}

#[napi]
impl Client {
    /// A client from options (`consumerKey`, `consumerSecret`, `agentId`, `environment`, …);
    /// throws a `DGA_VALIDATION` `DgaError` naming every bad or unknown option.
    #[napi(constructor, ts_args_type = "options: ClientOptions")]
    pub fn new(options: Unknown) -> Result<Self> {
        client(record(options, "options", core::Config::from_json)?)
    }

    /// A client from `process.env`'s `DGA_CONSUMER_KEY`, `DGA_CONSUMER_SECRET`, `DGA_AGENT_ID`,
    /// `DGA_ENVIRONMENT`, `DGA_GATEWAY_URL`, `DGA_SOURCE`, `DGA_PROXY` and `DGA_CA_FILE`, with
    /// `options` applied over them.
    #[napi(factory, ts_args_type = "options?: ClientOptions")]
    pub fn from_env(env: &Env, options: Unknown) -> Result<Self> {
        // JavaScript's view: a Worker's own copy, and what dotenv set there.
        let process: Object = env.get_global()?.get_named_property("process")?;
        let vars = object_arg(process.get_named_property("env")?, "process.env")?;
        let builder = core::ConfigBuilder::from_vars_json(&vars).map_err(throw)?;
        let builder = builder.with_json(&object_arg(options, "options")?);
        client(builder.and_then(|b| b.build()).map_err(throw)?)
    }
}

fn client(config: core::Config) -> Result<Client> {
    let inner = core::Client::new(config).map_err(throw)?;
    Ok(Client { inner })
}

/// The Client's calls that reach DGA: a bad argument rejects, the call runs on the core's
/// runtime. Docs are `#[doc]`s: napi reads a doc comment through a macro as a raw string.
macro_rules! calls {
    ($($(#[doc = $doc:literal])* fn $name:ident($($arg:ident = $read:ident($($how:expr),*)),*)
        -> ($ts:literal, $ret:literal, $endpoint:ident) |$c:ident| $call:expr;)*) => {
        #[napi]
        impl Client {$(
            $(#[doc = $doc])*
            #[napi(ts_args_type = $ts, ts_return_type = $ret)]
            pub fn $name<'e>(
                &self,
                env: &'e Env,
                $($arg: Unknown,)*
                o: Option<Unknown>,
            ) -> Result<PromiseRaw<'e, Value>> {
                let $c = self.inner.clone();
                let read = || -> Result<_> { Ok(($($read($arg, $($how),*)?,)*)) };
                spawn(env, $endpoint, o, read().map(|($($arg,)*)| text(async move { $call.await })))
            }
        )*}
    };
}

calls! {
    #[doc = "Creates a payment from the guide's camelCase fields (`amount` a string: `\"1000.50\"`)."]
    #[doc = "Resolves to the payment: the checkout form's fields, and the references."]
    fn create_payment(request = record("request", core::CreatePayment::from_json))
        -> ("request: CreatePaymentRequest, options?: CallOptions", "Promise<Payment>", Create)
        |c| c.create_payment(&request);

    #[doc = "DGA's status of the transaction `reference1`/`reference2` (`\"\"` when left out or null)."]
    fn status(r1 = string_arg("reference1", None), r2 = string_arg("reference2", Some("")))
        -> ("reference1: string, reference2?: string | null, options?: CallOptions",
            "Promise<PaymentStatus>", Status)
        |c| c.status(&r1, &r2);

    #[doc = "Closes an unpaid transaction so it can no longer be paid (`reference2`: `\"\"` when left"]
    #[doc = "out or null)."]
    fn close(r1 = string_arg("reference1", None), r2 = string_arg("reference2", Some("")))
        -> ("reference1: string, reference2?: string | null, options?: CallOptions",
            "Promise<Confirmation>", Close)
        |c| c.close(&r1, &r2);

    #[doc = "Voids a paid FastPay transaction (`paymentReference` is the callback's or status's"]
    #[doc = "`refId`)."]
    fn void(r1 = string_arg("reference1", None), r2 = string_arg("reference2", Some("")),
            pr = string_arg("paymentReference", None))
        -> ("reference1: string, reference2: string | null, paymentReference: string, options?: CallOptions",
            "Promise<Confirmation>", Void)
        |c| c.void(&r1, &r2, &pr);

    #[doc = "Confirms a callback (as `parseCallback` returned it) with DGA and resolves to DGA's own"]
    #[doc = "status; rejects with `DGA_VERIFICATION` when DGA does not know the payment, still has it"]
    #[doc = "Pending or reports another final status (other differences are logged, never refused)."]
    #[doc = "Act on what this returns."]
    fn verify_callback(callback = record("callback", core::PaymentStatus::from_json))
        -> ("callback: PaymentStatus, options?: CallOptions", "Promise<PaymentStatus>", Status)
        |c| c.verify_callback(&callback);

    #[doc = "Parses DGA's raw callback body and, unless `verify` is false, confirms it with DGA;"]
    #[doc = "resolves to DGA's status (record it, answer `callbackReplyAccepted()`), or rejects"]
    #[doc = "(`callbackReplyFor` answers it). `knownReference`, your own lookup, runs first: false"]
    #[doc = "refuses the delivery (404) with no DGA call."]
    fn receive_callback(body = body_arg(), verify = bool_arg("verify", Some(true)))
        -> ("body: string | Buffer, options?: boolean | ReceiveCallbackOptions",
            "Promise<PaymentStatus>", Status)
        |c| c.receive_callback(&body, verify);
}

#[napi]
impl Client {
    /// The status of every reference of `refs` (an iterable or async iterable, read as fast as
    /// the calls go), `concurrency` at once and `rate` a second: one row each, in input order;
    /// `error` is `TransactionNotFound` (DGA does not know it) or the kind of a failed read.
    #[napi(
        ts_args_type = "refs: Iterable<StatusManyItem> | AsyncIterable<StatusManyItem>, options?: StatusManyOptions",
        ts_return_type = "AsyncIterableIterator<ReconcileRow>"
    )]
    pub fn status_many(
        &self,
        _refs: Unknown,
        options: Option<Unknown>,
    ) -> Result<External<reconcile::StatusMany>> {
        reconcile::StatusMany::start(&self.inner, options).map(External::new)
    }

    /// What callback verification has cost DGA and refused since this client was built. Alert
    /// on a rise of `refusedUnknown` or `refusedBusy`: a flood.
    #[napi(ts_return_type = "VerificationStats")]
    pub fn verification_stats(&self) -> Value {
        serde_json::to_value(self.inner.verification_stats()).unwrap_or_default()
    }

    /// The core's refusal (its error JSON) of a delivery the agency's `knownReference` said is
    /// not its own: counted, no DGA call.
    #[napi(js_name = "_refuseUnknown", skip_typescript)]
    pub fn refuse_unknown(&self, reference1: Unknown, reference2: Unknown) -> Result<Value> {
        let r1 = string_arg(reference1, "reference1", None)?;
        let r2 = string_arg(reference2, "reference2", None)?;
        Ok(self.inner.refuse_unknown_reference(&r1, &r2).to_json())
    }
}

/// Parses a callback body DGA posted (the raw text or bytes, before any JSON parsing) into the
/// normalized form. Throws `DgaError` (`DGA_CALLBACK`) naming every bad field. Callbacks are
/// not signed: confirm with `client.verifyCallback` before acting.
#[napi(
    ts_args_type = "body: string | Buffer",
    ts_return_type = "PaymentStatus"
)]
pub fn parse_callback(body: Unknown) -> Result<Value> {
    let status = core::parse_callback(&body_arg(body)?).map_err(throw)?;
    Ok(status.to_json())
}

/// The acknowledgement JSON DGA expects in answer to a callback.
#[napi(ts_args_type = "accepted: boolean, message?: string")]
pub fn callback_ack(accepted: Unknown, message: Unknown) -> Result<String> {
    let accepted = bool_arg(accepted, "accepted", None)?;
    let message = string_arg(message, "message", Some("Success"))?;
    Ok(core::callback_ack(accepted, &message))
}

/// The reply for a callback the agency has recorded (HTTP 200, `result: true`).
#[napi(ts_args_type = "message?: string", ts_return_type = "CallbackReply")]
pub fn callback_reply_accepted(message: Unknown) -> Result<Value> {
    let message = string_arg(message, "message", Some("Success"))?;
    Ok(core::CallbackReply::accepted(&message).to_json())
}

/// The reply when the agency's own handler failed (HTTP 500, `result: false`: DGA retries).
#[napi(ts_return_type = "CallbackReply")]
pub fn callback_reply_handler_failed() -> Value {
    core::CallbackReply::handler_failed().to_json()
}

/// A WARNING through the core's log (so `setLogger`'s function gets it, rate-limited like the
/// core's own): express.js's word that the agency's handler or `knownReference` failed.
#[napi(js_name = "_warn", skip_typescript)]
pub fn warn(message: String) {
    log::warn!(target: core::logs::TARGET, "{message}");
}

/// The reply when the callback could not be checked now (the agency's `knownReference` threw
/// or rejected): HTTP 503, `result: false`, so DGA delivers it again.
#[napi(ts_return_type = "CallbackReply")]
pub fn callback_reply_unavailable() -> Value {
    core::CallbackReply::unavailable().to_json()
}

/// The reply when the body is larger than the endpoint takes (HTTP 413, `result: false`).
#[napi(ts_args_type = "limit: number", ts_return_type = "CallbackReply")]
pub fn callback_reply_too_large(limit: f64) -> Value {
    core::CallbackReply::too_large(limit as usize).to_json()
}

/// The core's reply to DGA for what `receiveCallback` rejected with: a `DgaError`'s by the
/// callback contract (400, 404, 409 or 503), 503 for any other `Error` (what `knownReference`
/// threw); for endpoints that do not use the Express handler.
#[napi(ts_args_type = "error: unknown", ts_return_type = "CallbackReply")]
pub fn callback_reply_for(error: Unknown) -> Result<Value> {
    let json = object_arg(error, "error")?;
    if json.get("kind").and_then(Value::as_str).is_none() {
        return Err(invalid("error", "must be a DgaError (with its kind)"));
    }
    Ok(core::CallbackReply::for_error_json(&json).to_json())
}

/// The references a callback body names, `[reference1, reference2]`, read as leniently as
/// `receiveCallback` reads them (what `knownReference` is asked about).
#[napi(js_name = "_callbackReferences", skip_typescript)]
pub fn callback_references(body: Unknown) -> Result<Vec<String>> {
    let (r1, r2) = core::callback_references(&body_arg(body)?).map_err(throw)?;
    Ok(vec![r1, r2])
}

/// The columns of `statusMany`'s rows, as the core names them (for records.d.ts).
#[napi(js_name = "_reconcileColumns", skip_typescript)]
pub fn reconcile_columns() -> Vec<String> {
    core::reconcile::headers(&[])
}

/// An HTML page that posts the payment's form to KTB's gateway (send it to the citizen).
#[napi(ts_args_type = "payment: Payment")]
pub fn checkout_form_html(payment: Unknown) -> Result<String> {
    let payment = record(payment, "payment", core::Payment::from_json)?;
    core::checkout_form_html(&payment).map_err(throw)
}

/// Whether `id` is a well-formed 13-digit Thai citizen ID with a correct check digit.
#[napi(ts_args_type = "id: string")]
pub fn validate_citizen_id(id: Unknown) -> Result<bool> {
    Ok(core::validate_citizen_id(&string_arg(id, "id", None)?))
}

/// The core's enum tables: `{PaidStatus: [{name, number, descriptionTh}, …], …}`.
#[napi(ts_return_type = "Record<string, Array<EnumEntry>>")]
pub fn enum_tables() -> Value {
    core::enum_tables()
}

/// The core's schema: every record that crosses the binding (records.d.ts is generated from it).
#[napi(ts_return_type = "Schema")]
pub fn schema() -> Value {
    core::schema()
}

/// The core's own API records (StatusManyOptions, …), for records.d.ts.
#[napi(js_name = "_apiRecords", skip_typescript)]
pub fn api_records() -> Value {
    core::schema::api_records()
}

/// The core's error kinds: `[{code: "validation", number: 1}, …]`.
#[napi(ts_return_type = "Array<{ code: string; number: number }>")]
pub fn error_kinds() -> Value {
    core::error_kinds()
}

/// The SDK's version (the core's).
#[napi]
pub fn version() -> String {
    core::VERSION.to_owned()
}

/// Sends the core's log records at `level` (default `'warn'`) and above to `logger`, called on
/// the JavaScript thread with `{level, target, message}`; `null` silences them. The default is
/// the `console` at `'warn'`. Repeated identical lines are rate-limited.
#[napi(ts_args_type = "logger: ((record: LogRecord) => void) | null, level?: LogLevel")]
pub fn set_logger(env: &Env, logger: Unknown, level: Unknown) -> Result<()> {
    // `log`'s names, read without regard to case; "off" is what `null` is for.
    let name = string_arg(level, "level", Some("warn"))?;
    let Some(level) = name.parse().ok().filter(|l| *l != log::LevelFilter::Off) else {
        let levels = "'error', 'warn', 'info', 'debug' or 'trace'";
        return Err(invalid("level", format!("must be {levels}, got {name:?}")));
    };
    logger::set(env, logger, level, true)
}

/// From index.js at load: errors are `new DgaError(json)` with the core's error JSON; a
/// turn's leftovers go through `set_immediate`, node:timers' own as loaded (so a test's mocked
/// timers do not stall them); `logger` is the default (at `'warn'`), which never replaces one
/// set with `setLogger`.
#[napi(js_name = "_init", skip_typescript)]
pub fn init(
    env: &Env,
    dga_error: Function<Value, Unknown<'static>>,
    logger: Unknown,
    set_immediate: Function<Unknown<'static>, Unknown<'static>>,
) -> Result<()> {
    let settler = settle::Settler::of(env.raw())?;
    settler.error_class.replace(Some(dga_error.create_ref()?));
    settler
        .set_immediate
        .replace(Some(set_immediate.create_ref()?));
    logger::set(env, logger, log::LevelFilter::Warn, false)
}

/// From index.js at the process's `exit` event: JavaScript runs no more, so the core's lines
/// written after it (creates still running at exit) go to stderr.
#[napi(js_name = "_exiting", skip_typescript)]
pub fn exiting() {
    logger::EXITING.store(true, std::sync::atomic::Ordering::SeqCst);
}
