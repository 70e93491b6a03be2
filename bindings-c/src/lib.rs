//! The C ABI of dga-epayment (docs/architecture.md#the-c-abi): `libdga_epayment.so` / `.a`,
//! described by `include/dga_epayment.h`, which cbindgen generates from this crate (`build.rs`).
//! What every function shares (ownership, pointers, threads, errors) is said once, in the
//! header's preamble (`cbindgen.toml`); each function's own doc says only what is its own.
//!
//! The binding converts and nothing more: JSON text in, the core's types, the core's normalized
//! JSON out; the core's errors become an opaque `DgaError`. Every exported function runs its
//! body through [`call`] or [`guard`], so a panic becomes `DGA_INTERNAL` instead of unwinding
//! into (and aborting) the host process.

// The C names are the contract; Rust's naming lints do not apply to them. The safety contract
// of every exported function is the header preamble's "Pointers", not a section per function.
#![allow(non_camel_case_types, clippy::missing_safety_doc)]

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::OnceLock;

use sdk::panics::panic_message;
use serde_json::{Value, json};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: sdk::alloc::Allocator = sdk::alloc::Allocator;

// The enum constants, generated from the core's tables by scripts/gen-tables.py.
mod enums;
pub use enums::*;

/// A client for one configuration (credentials, environment, timeouts): one connection pool and
/// one token cache. Opaque. Usable from many threads at once: the calls overlap, never queue.
pub struct DgaClient {
    client: sdk::blocking::Client,
}

/// An error handed out through an `out_err`. Opaque: read it with the `dga_error_*` functions.
pub struct DgaError {
    kind: i32,
    api_code: i32,
    message: CString,
    json: CString,
    /// The core's error, for `dga_callback_reply_for_error`; `None` for the binding's own kinds.
    error: Option<sdk::Error>,
}

// ---------------------------------------------------------------------------------------------
// The one place where results, errors and panics become a status and out-parameters.

impl From<sdk::Error> for DgaError {
    fn from(e: sdk::Error) -> Self {
        DgaError::new(e.kind().number(), e.to_string(), e.to_json(), Some(e))
    }
}

/// A C string from text that may contain NUL (C strings cannot): NUL becomes U+FFFD.
fn c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let s = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(s).unwrap_or_default()
    })
}

impl DgaError {
    fn new(kind: i32, message: String, json: Value, error: Option<sdk::Error>) -> DgaError {
        DgaError {
            kind,
            // DGA's errorCode as the core numbers it: the guide's, or an unknown code's own.
            api_code: json["errorCodeNumber"].as_i64().map_or(0, |n| n as i32),
            message: c_string(message),
            json: c_string(json.to_string()),
            error,
        }
    }

    /// An error of the binding's own kinds as the schema's `Error` record (`kind` `internal`,
    /// `invalid_argument` or `cancelled`, never transient), with the references it names.
    fn binding(kind: DgaErrorKind, message: String, refs: Option<(String, String)>) -> DgaError {
        let code = match kind {
            DgaErrorKind::DGA_INVALID_ARGUMENT => "invalid_argument",
            DgaErrorKind::DGA_CANCELLED => "cancelled",
            _ => "internal",
        };
        let mut json = json!({ "kind": code, "kindNumber": kind as i32, "message": message,
                               "transient": false });
        if let Some((r1, r2)) = refs {
            (json["reference1"], json["reference2"]) = (r1.into(), r2.into());
        }
        DgaError::new(kind as i32, message, json, None)
    }
}

/// Runs an exported function's body: `DGA_OK` when it succeeds; otherwise its error, or a
/// caught panic as `DGA_INTERNAL`, goes to `*out_err` (when `out_err` is not NULL) and its kind
/// is returned. `*out_err` is NULL after every successful call.
fn call(out_err: *mut *mut DgaError, body: impl FnOnce() -> Result<(), DgaError>) -> i32 {
    put(out_err, ptr::null_mut);
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return DgaErrorKind::DGA_OK as i32,
        Ok(Err(error)) => error,
        Err(panic) => internal(panic),
    };
    let kind = error.kind;
    put(out_err, || Box::into_raw(Box::new(error)));
    kind
}

/// [`call`] for the functions whose result is text: `*out` is NULL, then the result (when
/// `out` is not NULL) on success.
fn call_text(
    out: *mut *mut c_char,
    out_err: *mut *mut DgaError,
    body: impl FnOnce() -> Result<String, DgaError>,
) -> i32 {
    put(out, ptr::null_mut);
    call(out_err, || body().map(|text| put(out, || into_c(text))))
}

/// Runs the body of a function that has no `out_err`, giving `fallback` on a panic.
fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A bug inside the library (a caught panic, or what it says), as DGA_INTERNAL.
fn internal(panic: Box<dyn std::any::Any + Send>) -> DgaError {
    DgaError::binding(DgaErrorKind::DGA_INTERNAL, panic_message(&*panic), None)
}

fn invalid(message: String) -> DgaError {
    DgaError::binding(DgaErrorKind::DGA_INVALID_ARGUMENT, message, None)
}

// The argument readers below are `unsafe` with one contract, the header's (each forwards it to
// the readers it calls): each pointer is NULL or valid for the call (a string NUL-terminated, a
// buffer `len` bytes, a handle live).

/// A pointer argument, not NULL.
fn non_null<T>(p: *const T, name: &str) -> Result<*const T, DgaError> {
    (!p.is_null())
        .then_some(p)
        .ok_or_else(|| invalid(format!("{name} is NULL")))
}

/// A text argument: NUL-terminated UTF-8, not NULL.
unsafe fn text<'a>(p: *const c_char, name: &str) -> Result<&'a str, DgaError> {
    // SAFETY: not NULL, and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(non_null(p, name)?) };
    bytes.to_str().map_err(|e| {
        invalid(format!(
            "{name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// A JSON text argument, parsed.
unsafe fn json_arg(p: *const c_char, name: &str) -> Result<Value, DgaError> {
    let s = unsafe { text(p, name)? };
    serde_json::from_str(s).map_err(|e| invalid(format!("{name} is not valid JSON: {e}")))
}

/// A transaction's two references (reference2 "" when it has none; NULL is an error), copied
/// (an async call keeps them).
unsafe fn refs(r1: *const c_char, r2: *const c_char) -> Result<(String, String), DgaError> {
    let (r1, r2) = unsafe { (text(r1, "reference1")?, text(r2, "reference2")?) };
    Ok((r1.to_owned(), r2.to_owned()))
}

/// A byte-buffer argument; NULL with `len` 0 is empty (C++'s and C#'s empty buffers pass it).
unsafe fn bytes<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], DgaError> {
    if p.is_null() && len == 0 {
        return Ok(&[]);
    }
    // SAFETY: not NULL, `len` bytes by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(non_null(p, name)?, len) })
}

unsafe fn client_ref<'a>(c: *const DgaClient) -> Result<&'a sdk::blocking::Client, DgaError> {
    // SAFETY: not NULL, and live by the caller's contract.
    Ok(unsafe { &(*non_null(c, "client")?).client })
}

/// A text result, the caller's (freed with `dga_string_free`).
fn into_c(s: String) -> *mut c_char {
    c_string(s).into_raw()
}

/// A `const char *` result that lives as long as the library, made on first use.
macro_rules! static_text {
    ($make:expr) => {{
        static TEXT: OnceLock<CString> = OnceLock::new();
        guard(ptr::null(), || {
            TEXT.get_or_init(|| c_string($make)).as_ptr()
        })
    }};
}

/// What a `*_free` function does: unless `p` is NULL, drops what `from_raw` makes of it.
unsafe fn free<P, T>(p: *mut P, from_raw: unsafe fn(*mut P) -> T) {
    if !p.is_null() {
        // SAFETY: made by the matching `into_raw` in this library, by the caller's contract.
        guard((), || drop(unsafe { from_raw(p) }));
    }
}

/// Sets an out-parameter unless it is NULL (that result is not wanted); `value` is made only
/// when it is set.
fn put<T>(out: *mut T, value: impl FnOnce() -> T) {
    if !out.is_null() {
        // SAFETY: the caller passes NULL or a writable pointer it owns.
        unsafe { out.write(value()) };
    }
}

/// A `dga_callback_reply_*` result: the body, with its HTTP status in `*out_http_status` (0
/// when there is no body: `make` gave `None`).
fn reply<R: Into<Option<sdk::CallbackReply>>>(
    out_http_status: *mut i32,
    make: impl FnOnce() -> R,
) -> *mut c_char {
    put(out_http_status, || 0);
    guard(ptr::null_mut(), || {
        let Some(reply) = make().into() else {
            return ptr::null_mut();
        };
        put(out_http_status, || i32::from(reply.http_status));
        into_c(reply.body)
    })
}

/// An ack's `message` argument: "Success" for NULL, `None` when it is not UTF-8.
unsafe fn message<'a>(p: *const c_char) -> Option<&'a str> {
    (p.is_null())
        .then_some("Success")
        .or_else(|| unsafe { text(p, "message") }.ok())
}

// ---------------------------------------------------------------------------------------------
// Library

/// The SDK's version, e.g. "0.2.0".
#[unsafe(no_mangle)]
pub extern "C" fn dga_version() -> *const c_char {
    static_text!(sdk::VERSION.to_owned())
}

/// The core's enum tables as JSON: `{"BankCode": [{"name", "number", "descriptionTh"}, ...],
/// "PaymentType", "PaidStatus", "ResponseStatus", "ErrorCode"}` (results carry the names).
#[unsafe(no_mangle)]
pub extern "C" fn dga_enum_tables_json() -> *const c_char {
    static_text!(sdk::enum_tables().to_string())
}

/// The schema of every record that crosses the ABI, as JSON: `{"version", "records": {name:
/// {"name", "doc", "fields": [{"wire", "snake", "type", "required", "doc"}]}}}`, the `wire`
/// names being the JSON keys of the config, the create request, every result and error.
#[unsafe(no_mangle)]
pub extern "C" fn dga_schema_json() -> *const c_char {
    static_text!(sdk::schema().to_string())
}

/// The core's error kinds as JSON, `[{"code": "validation", "number": 1}, ...]`: DgaErrorKind's
/// 1 to 9 and the `kind` of `dga_error_json`.
#[unsafe(no_mangle)]
pub extern "C" fn dga_error_kinds_json() -> *const c_char {
    static_text!(sdk::error_kinds().to_string())
}

/// Frees a `char *` the library handed out (never another string, nor a `const char *`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_string_free(s: *mut c_char) {
    // SAFETY: forwarded from the caller (here and in every function below).
    unsafe { free(s, CString::from_raw) }
}

// ---------------------------------------------------------------------------------------------
// Client

/// A client (`shared`: the process's one, as `dga_client_shared`) of `config`'s configuration.
fn new_client(
    out_err: *mut *mut DgaError,
    shared: bool,
    config: impl FnOnce() -> Result<sdk::Config, DgaError>,
) -> *mut DgaClient {
    let mut made = ptr::null_mut();
    call(out_err, || {
        let client = match (config()?, shared) {
            (config, true) => sdk::shared_client(config)?,
            (config, false) => sdk::blocking::Client::new(config)?,
        };
        made = Box::into_raw(Box::new(DgaClient { client }));
        Ok(())
    });
    made
}

/// The configuration `config_json` describes, every bad setting named at once.
unsafe fn config(config_json: *const c_char) -> Result<sdk::Config, DgaError> {
    let config = unsafe { json_arg(config_json, "config_json")? };
    Ok(sdk::Config::from_json(&config)?)
}

/// The configuration of `builder` with `config_json` (may be NULL) applied over it.
unsafe fn layered(
    builder: sdk::Result<sdk::ConfigBuilder>,
    config_json: *const c_char,
) -> Result<sdk::Config, DgaError> {
    let mut builder = builder?;
    if !config_json.is_null() {
        builder = builder.with_json(&unsafe { json_arg(config_json, "config_json")? })?;
    }
    Ok(builder.build()?)
}

/// Creates a client from a JSON object of the schema's `ClientOptions` keys (`{"consumerKey",
/// "consumerSecret", "agentId", "gatewayUrl", "timeoutMs", ...}`; durations in milliseconds),
/// without a network call. NULL on error: DGA_VALIDATION for a missing, bad or unknown setting.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_new(
    config_json: *const c_char,
    out_err: *mut *mut DgaError,
) -> *mut DgaClient {
    new_client(out_err, false, || unsafe { config(config_json) })
}

/// As `dga_client_new`, over the settings of the environment (`DGA_CONSUMER_KEY`,
/// `DGA_CONSUMER_SECRET`, `DGA_AGENT_ID`, `DGA_ENVIRONMENT`, `DGA_GATEWAY_URL`, `DGA_SOURCE`,
/// `DGA_PROXY`, `DGA_CA_FILE`); `config_json` may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_new_from_env(
    config_json: *const c_char,
    out_err: *mut *mut DgaError,
) -> *mut DgaClient {
    new_client(out_err, false, || unsafe {
        layered(Ok(sdk::ConfigBuilder::from_env()), config_json)
    })
}

/// As `dga_client_new_from_env` (`shared`: the process's one client, as `dga_client_shared`),
/// with the `DGA_*` settings taken from `vars_json`, a JSON object of variable names to string
/// values, in place of the process environment: for a host whose environment is its own (PHP
/// under FastCGI sees nginx's `fastcgi_param` and PHP-FPM's `env[...]` only through its own
/// `getenv()`). Other names are ignored; `config_json` may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_new_from_vars(
    vars_json: *const c_char,
    config_json: *const c_char,
    shared: bool,
    out_err: *mut *mut DgaError,
) -> *mut DgaClient {
    new_client(out_err, shared, || unsafe {
        let vars = json_arg(vars_json, "vars_json")?;
        layered(sdk::ConfigBuilder::from_vars_json(&vars), config_json)
    })
}

/// As `dga_client_new`, but a handle to the process's one client for this configuration (the
/// same after parsing), made on first use and kept for the process's life: short requests in a
/// long-lived process (PHP-FPM, CGI, a plugin) share its connections and token.
/// `dga_client_free` frees only the handle. A `fork()`ed child gets clients of its own.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_shared(
    config_json: *const c_char,
    out_err: *mut *mut DgaError,
) -> *mut DgaClient {
    new_client(out_err, true, || unsafe { config(config_json) })
}

/// Frees a client, once, after every blocking call using it has returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_free(client: *mut DgaClient) {
    unsafe { free(client, Box::from_raw) }
}

/// Creates a payment transaction from the schema's `CreatePayment` record (`paymentType`
/// "FastPay" or "QRPayment", `amount` a decimal string: "1000.50"); every bad field is named in one
/// DGA_VALIDATION error before any network call. `*out_json` is the schema's `Payment` record.
/// DGA_OUTCOME_UNKNOWN: the payment may exist, check `dga_status`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_create_payment(
    client: *const DgaClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let client = unsafe { client_ref(client)? };
        let request =
            sdk::CreatePayment::from_json(&unsafe { json_arg(request_json, "request_json")? })?;
        Ok(client.create_payment(&request)?.to_json_text())
    })
}

/// Reads a transaction's state from DGA (retried on transient failures) as the schema's
/// `PaymentStatus` record.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_status(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let (client, (r1, r2)) = unsafe { (client_ref(client)?, refs(reference1, reference2)?) };
        Ok(client.status(&r1, &r2)?.to_json_text())
    })
}

/// Closes an unpaid transaction (a paid one is DGA_API, code 14); `*out_json` is the
/// confirmation `{"status", "message", "data"}` (plus "warning").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_close(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let (client, (r1, r2)) = unsafe { (client_ref(client)?, refs(reference1, reference2)?) };
        Ok(client.close(&r1, &r2)?.to_json_text())
    })
}

/// Voids a paid FastPay transaction (`payment_reference`: its `refId`); the confirmation as for
/// `dga_close`. DGA_OUTCOME_UNKNOWN: the void may have happened, check `dga_status`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_void(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    payment_reference: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let (client, (r1, r2)) = unsafe { (client_ref(client)?, refs(reference1, reference2)?) };
        let pr = unsafe { text(payment_reference, "payment_reference")? };
        Ok(client.void(&r1, &r2, pr)?.to_json_text())
    })
}

/// Confirms a parsed callback with DGA (callbacks are unsigned: act on this, never on the
/// callback alone): `*out_json` is DGA's own status. DGA_VERIFICATION when DGA does not know
/// the payment, still has it Pending, or reports a different final status; other differences
/// (amount, refId, dates) are logged at WARNING, never refused (the callback contract).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_verify_callback(
    client: *const DgaClient,
    callback_json: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let client = unsafe { client_ref(client)? };
        let callback =
            sdk::PaymentStatus::from_json(&unsafe { json_arg(callback_json, "callback_json")? })?;
        Ok(client.verify_callback(&callback)?.to_json_text())
    })
}

/// A callback endpoint's first step: parses DGA's raw callback body and, when `verify` (do
/// this unless you verify yourself), confirms it, giving DGA's own status. Answer DGA with
/// `dga_callback_reply_accepted` once recorded, or `dga_callback_reply_for_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_receive_callback(
    client: *const DgaClient,
    body: *const u8,
    len: usize,
    verify: bool,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let (client, body) = unsafe { (client_ref(client)?, bytes(body, len, "body")?) };
        Ok(client.receive_callback(body, verify)?.to_json_text())
    })
}

// ---------------------------------------------------------------------------------------------
// Callbacks, checkout, validation

/// Parses a callback body as received (a bad one is DGA_CALLBACK naming the field, or the JSON
/// line and column) into `dga_status`'s form. Confirm it with `dga_verify_callback`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_parse_callback(
    body: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let body = unsafe { bytes(body, len, "body")? };
        Ok(sdk::parse_callback(body)?.to_json_text())
    })
}

/// The ack JSON a callback is answered with, `{"requestTimeStamp", "message", "result"}`
/// (`accepted` false: DGA delivers it again); `message` NULL is "Success", bad UTF-8 gives NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_ack(accepted: bool, message: *const c_char) -> *mut c_char {
    guard(ptr::null_mut(), || {
        let ack = unsafe { self::message(message) }.map(|m| sdk::callback_ack(accepted, m));
        ack.map_or(ptr::null_mut(), into_c)
    })
}

/// The answer to a callback verified and recorded: 200, the ack with `result: true` (`message`
/// as for `dga_callback_ack`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_accepted(
    message: *const c_char,
    out_http_status: *mut i32,
) -> *mut c_char {
    reply(out_http_status, || {
        unsafe { self::message(message) }.map(sdk::CallbackReply::accepted)
    })
}

/// The answer to a callback whose receiving failed with `error`, as the core decides: 400
/// invalid, 404 unknown payment, 409 DGA's status disagrees, 503 DGA not reached (delivered
/// again); for NULL, DGA_INVALID_ARGUMENT or DGA_INTERNAL, `dga_callback_reply_handler_failed`'s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_for_error(
    error: *const DgaError,
    out_http_status: *mut i32,
) -> *mut c_char {
    reply(out_http_status, || {
        match unsafe { error.as_ref() }.and_then(|e| e.error.as_ref()) {
            Some(e) => sdk::CallbackReply::for_error(e),
            None => sdk::CallbackReply::handler_failed(),
        }
    })
}

/// The answer when the agency's own handling of a valid callback failed: 500, delivered again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_handler_failed(
    out_http_status: *mut i32,
) -> *mut c_char {
    reply(out_http_status, sdk::CallbackReply::handler_failed)
}

/// The answer to a body over the endpoint's `limit` bytes, left unread: 413 naming the limit.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_too_large(
    limit: usize,
    out_http_status: *mut i32,
) -> *mut c_char {
    reply(out_http_status, || sdk::CallbackReply::too_large(limit))
}

/// The Content-Type of the dga_callback_reply_* bodies ("application/json; charset=utf-8").
#[unsafe(no_mangle)]
pub extern "C" fn dga_callback_reply_content_type() -> *const c_char {
    static_text!(sdk::CallbackReply::CONTENT_TYPE.to_owned())
}

/// The HTML page that sends the citizen's browser to KTB's gateway (an escaped POST form,
/// submitted at once) for the payment `dga_create_payment` gave (missing fields: DGA_VALIDATION).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_checkout_form_html(
    payment_json: *const c_char,
    out_html: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_html, out_err, || {
        let payment = sdk::Payment::from_json(&unsafe { json_arg(payment_json, "payment_json")? })?;
        Ok(sdk::checkout_form_html(&payment)?)
    })
}

/// Whether `id` is a Thai citizen ID: 13 ASCII digits, the last the check digit (false for NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_validate_citizen_id(id: *const c_char) -> bool {
    guard(false, || {
        unsafe { text(id, "id") }.is_ok_and(sdk::validate_citizen_id)
    })
}

// ---------------------------------------------------------------------------------------------
// Errors. The texts belong to the error: valid until `dga_error_free`, never freed alone.

/// The error's kind (a DgaErrorKind); DGA_OK for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_kind(error: *const DgaError) -> i32 {
    guard(DgaErrorKind::DGA_INTERNAL as i32, || {
        unsafe { error.as_ref() }.map_or(DgaErrorKind::DGA_OK as i32, |e| e.kind)
    })
}

/// DGA's errorCode (a DgaErrorCode, e.g. 8 TransactionNotFound) of a DGA_API error, else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_api_code(error: *const DgaError) -> i32 {
    guard(0, || unsafe { error.as_ref() }.map_or(0, |e| e.api_code))
}

/// The error's message in English (fields, endpoint, DGA's message; never a secret).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_message(error: *const DgaError) -> *const c_char {
    guard(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// The error as the schema's `Error` record, its `kind` one of `dga_error_kinds_json` or
/// "invalid_argument", "internal", "cancelled".
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_json(error: *const DgaError) -> *const c_char {
    guard(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.json.as_ptr())
    })
}

/// Frees an error handed out through an `out_err`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_free(error: *mut DgaError) {
    unsafe { free(error, Box::from_raw) }
}

mod async_calls;
mod floods;
mod logging;
mod queue;

#[cfg(test)]
mod tests;
