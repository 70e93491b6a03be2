//! `client.statusMany(refs)`: the core's reconcile `Driver`, fed from the JavaScript iterable
//! by index.js and read back one row at a time (the core's `reconcile::Outcome::to_json`).

use dga_epayment as core;
use dga_epayment::Endpoint::Status;
use dga_epayment::reconcile::{Driver, InputError, Pushed};
use dga_epayment::reconcile_json::{json_reference, reconcile_options};
use napi::bindgen_prelude::{External, PromiseRaw, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::Value;

/// The native half of one `statusMany` iteration, held by index.js's async generator as an
/// external value (collected with it: the calls stop then). The count numbers the input items.
pub struct StatusMany(Driver, u64);

impl StatusMany {
    /// Reads `statusMany`'s options and starts the core's driver.
    pub(crate) fn start(client: &core::Client, options: Option<Unknown>) -> Result<Self> {
        let options = options.map_or(Ok(Value::Null), |o| crate::object_arg(o, "options"))?;
        let (concurrency, rate) = reconcile_options(&options).map_err(crate::throw)?;
        Driver::start(client, concurrency, rate)
            .map(|driver| StatusMany(driver, 0))
            .map_err(|e| crate::settle::runtime_error(Status, e))
    }
}

/// Queues one reference: 1 queued, 0 no room (await `_manyReady` and send again), -1 the
/// iteration is over (stop reading the input). An item that is not a reference ends the
/// iteration with a `DGA_VALIDATION` naming it, after the rows before it.
#[napi(js_name = "_manySend", skip_typescript)]
pub fn send(many: &mut External<StatusMany>, item: Unknown) -> i32 {
    const EXPECTED: &str = "must be a reference1 string or a [reference1, reference2] array";
    let line = many.1 + 1;
    let item = match crate::js_to_json(&item, "", 0) {
        Ok(item) => json_reference(line, &item, EXPECTED),
        Err(_) => Err(InputError {
            line,
            reason: format!("{EXPECTED}, got {}", crate::js_type(&item)),
        }),
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
    let ready = async move {
        ready.await;
        Ok("null".into())
    };
    crate::spawn(env, Status, None, Ok(ready))
}

/// The next row in input order, `null` after the last.
#[napi(js_name = "_manyNext", skip_typescript)]
pub fn next<'e>(env: &'e Env, many: &External<StatusMany>) -> Result<PromiseRaw<'e, Value>> {
    let next = many.0.next();
    let next = async move {
        match next.await {
            None => Ok("null".into()),
            Some(Ok(outcome)) => Ok(outcome.to_json(&[]).to_string()),
            Some(Err(e)) => {
                let field = format!("refs[{}]", e.line.saturating_sub(1));
                let errors = vec![core::FieldError::new(field, e.reason)];
                Err(core::Error::Validation { errors }.to_json())
            }
        }
    };
    crate::spawn(env, Status, None, Ok(next))
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
