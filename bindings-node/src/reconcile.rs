//! `client.statusMany(refs)`: the core's reconcile `Driver`, fed from the JavaScript iterable
//! by index.js and read back one row at a time (the core's `reconcile::Outcome::to_json`).

use crate::OrThrow;
use dga_epayment as core;
use dga_epayment::reconcile::{Driver, InputError, Pushed, Reference};
use dga_epayment::reconcile_options::reconcile_options;
use napi::bindgen_prelude::{External, FromNapiValue, JsObjectValue, Object, PromiseRaw, Unknown};
use napi::{Env, JsValue, Result, ValueType};
use napi_derive::napi;
use serde_json::Value;

/// The native half of one `statusMany` iteration, held by index.js's async generator as an
/// external value (collected with it: the calls stop then). The count numbers the input items.
pub struct StatusMany(Driver, u64);

impl StatusMany {
    /// Reads `statusMany`'s options and starts the core's driver.
    pub(crate) fn start(client: &core::Client, options: Option<Unknown>) -> Result<Self> {
        let options = options.map_or(Ok(Value::Null), |o| crate::object_arg(o, "options"))?;
        let (concurrency, rate) = reconcile_options(&options).or_throw()?;
        Driver::start(client, concurrency, rate)
            .map(|driver| StatusMany(driver, 0))
            .map_err(|e| crate::settle::runtime_error(core::Endpoint::Status, e))
    }
}

/// A JavaScript string, or `None` for anything else.
fn js_string(v: &Unknown) -> Option<String> {
    let string = v.get_type().ok() == Some(ValueType::String);
    string.then(|| String::from_unknown(*v).ok()).flatten()
}

/// One input item: `reference1`, or `[reference1, reference2]` (`[reference1]` too).
fn reference_of(item: &Unknown) -> std::result::Result<(String, String), String> {
    const EXPECTED: &str = "must be a reference1 string or a [reference1, reference2] array";
    if let Some(r1) = js_string(item) {
        return Ok((r1, String::new()));
    }
    if !item.is_array().unwrap_or(false) {
        return Err(format!("{EXPECTED}, got {}", crate::js_type(item)));
    }
    let array: Object = item.coerce_to_object().map_err(|e| e.reason)?;
    let len = array.get_array_length().map_err(|e| e.reason)?;
    let get = |i| -> Option<String> { js_string(&array.get_element::<Unknown>(i).ok()?) };
    match (len, get(0), get(1)) {
        (1, Some(r1), _) => Ok((r1, String::new())),
        (2, Some(r1), Some(r2)) => Ok((r1, r2)),
        _ => Err(format!("{EXPECTED} of strings")),
    }
}

/// Queues one reference: 1 queued, 0 no room (await `_manyReady` and send again), -1 the
/// iteration is over (stop reading the input). An item that is not a reference ends the
/// iteration with a `DGA_VALIDATION` naming it, after the rows before it.
#[napi(js_name = "_manySend", skip_typescript)]
pub fn send(many: &mut External<StatusMany>, item: Unknown) -> i32 {
    let line = many.1 + 1;
    let item = match reference_of(&item) {
        Ok((r1, r2)) => Reference::pushed(line, &r1, &r2),
        Err(reason) => Err(InputError { line, reason }),
    };
    match many.0.try_push(item) {
        Pushed::Queued => {
            many.1 = line;
            1
        }
        Pushed::Full => 0,
        Pushed::Over => -1,
    }
}

/// Resolves when `_manySend` has room again (or the iteration is over).
#[napi(js_name = "_manyReady", skip_typescript)]
pub fn ready<'e>(env: &'e Env, many: &External<StatusMany>) -> Result<PromiseRaw<'e, Value>> {
    let ready = many.0.ready();
    crate::spawn_json(env, async move {
        ready.await;
        Ok(Value::Null)
    })
}

/// The next row in input order, `null` after the last.
#[napi(js_name = "_manyNext", skip_typescript)]
pub fn next<'e>(env: &'e Env, many: &External<StatusMany>) -> Result<PromiseRaw<'e, Value>> {
    let next = many.0.next();
    crate::spawn_json(env, async move {
        match next.await {
            None => Ok(Value::Null),
            Some(Ok(outcome)) => Ok(outcome.to_json(&[])),
            Some(Err(e)) => {
                let field = format!("refs[{}]", e.line.saturating_sub(1));
                let errors = vec![core::FieldError::new(field, e.reason)];
                Err(core::Error::Validation { errors }.to_json())
            }
        }
    })
}

/// The input is over (`close`: and the rows are no longer wanted: calls in flight stop).
#[napi(js_name = "_manyEnd", skip_typescript)]
pub fn end(many: &mut External<StatusMany>, close: bool) {
    if close {
        many.0.stop();
    } else {
        many.0.close_input();
    }
}
