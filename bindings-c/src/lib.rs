//! The C ABI of dga-epayment (docs/architecture.md#the-c-abi): `libdga_epayment.so` / `.a`,
//! described by `include/dga_epayment.h`, which cbindgen generates from this file (`build.rs`).
//!
//! The binding converts and nothing more: JSON text in, the core's types, the core's normalized
//! JSON out; the core's errors become an opaque `DgaError`. Every exported function runs its
//! body through [`call`] or [`guard`], so a panic becomes `DGA_INTERNAL` instead of unwinding
//! into (and aborting) the host process.

// The C names are the contract; Rust's naming lints do not apply to them.
#![allow(non_camel_case_types)]

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::OnceLock;

use serde_json::{Value, json};

// The enum constants, generated from the core's tables by scripts/gen-tables.py.
mod enums;
pub use enums::*;

/// A client for one configuration (credentials, environment, timeouts): one connection pool and
/// one token cache. Opaque. Created by `dga_client_new`, freed by `dga_client_free`.
///
/// A DgaClient may be used from many threads at once: every call takes it as `const` and the
/// calls overlap (they do not queue behind one another).
pub struct DgaClient {
    client: sdk::blocking::Client,
}

/// An error handed out through an `out_err` parameter. Opaque. The caller owns it and frees it
/// with `dga_error_free`. Read it with `dga_error_kind`, `dga_error_api_code`,
/// `dga_error_message` and `dga_error_json`.
pub struct DgaError {
    kind: i32,
    api_code: i32,
    message: CString,
    json: CString,
    /// The core's error, for `dga_callback_reply_for_error`; `None` for INVALID_ARGUMENT and
    /// INTERNAL.
    error: Option<sdk::Error>,
}

// ---------------------------------------------------------------------------------------------
// The one place where results, errors and panics become a status and out-parameters.

/// Why a call failed before it became a `DgaError`.
enum Failure {
    Sdk(sdk::Error),
    InvalidArgument(String),
}

impl From<sdk::Error> for Failure {
    fn from(e: sdk::Error) -> Self {
        Failure::Sdk(e)
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
        let api_code = error.as_ref().map_or(0, api_code);
        DgaError {
            kind,
            api_code,
            message: c_string(message),
            json: c_string(json.to_string()),
            error,
        }
    }

    fn from_failure(f: Failure) -> DgaError {
        match f {
            Failure::Sdk(e) => {
                DgaError::new(e.kind().number(), e.to_string(), e.to_json(), Some(e))
            }
            Failure::InvalidArgument(m) => DgaError::binding(DgaErrorKind::DGA_INVALID_ARGUMENT, m),
        }
    }

    /// An error of the binding's own kinds, with `dga_error_json`'s `kind` as
    /// `invalid_argument`, `internal` or `cancelled`.
    fn binding(kind: DgaErrorKind, message: String) -> DgaError {
        let code = match kind {
            DgaErrorKind::DGA_INVALID_ARGUMENT => "invalid_argument",
            DgaErrorKind::DGA_CANCELLED => "cancelled",
            _ => "internal",
        };
        let json = json!({ "kind": code, "message": message });
        DgaError::new(kind as i32, message, json, None)
    }
}

/// DGA's errorCode as a number: the guide's number, or an unknown code's own number when DGA
/// sent one; 0 when there is none.
fn api_code(e: &sdk::Error) -> i32 {
    e.error_code()
        .and_then(|c| c.number().or_else(|| c.to_json().as_i64()))
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(0)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned());
    format!("internal error in dga_epayment (please report it): {what}")
}

/// Runs an exported function's body: `DGA_OK` when it succeeds; otherwise its error, or a
/// caught panic as `DGA_INTERNAL`, goes to `*out_err` (when `out_err` is not NULL) and its kind
/// is returned. `*out_err` is NULL after every successful call.
fn call(out_err: *mut *mut DgaError, body: impl FnOnce() -> Result<(), Failure>) -> i32 {
    if !out_err.is_null() {
        // SAFETY: the caller passes NULL or a pointer it owns to a `DgaError *`.
        unsafe { *out_err = ptr::null_mut() };
    }
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return DgaErrorKind::DGA_OK as i32,
        Ok(Err(failure)) => catch_unwind(AssertUnwindSafe(|| DgaError::from_failure(failure))),
        Err(panic) => catch_unwind(AssertUnwindSafe(|| {
            DgaError::binding(DgaErrorKind::DGA_INTERNAL, panic_message(&*panic))
        })),
    };
    let Ok(error) = error else {
        return DgaErrorKind::DGA_INTERNAL as i32;
    };
    let kind = error.kind;
    if !out_err.is_null() {
        // SAFETY: as above.
        unsafe { *out_err = Box::into_raw(Box::new(error)) };
    }
    kind
}

/// [`call`] for the functions whose result is text: `*out` is NULL, then the result (when
/// `out` is not NULL) on success. The caller frees it with `dga_string_free`.
fn call_text(
    out: *mut *mut c_char,
    out_err: *mut *mut DgaError,
    body: impl FnOnce() -> Result<String, Failure>,
) -> i32 {
    if !out.is_null() {
        // SAFETY: the caller passes NULL or a pointer it owns to a `char *`.
        unsafe { *out = ptr::null_mut() };
    }
    call(out_err, || {
        let text = body()?;
        if !out.is_null() {
            // SAFETY: as above.
            unsafe { *out = c_string(text).into_raw() };
        }
        Ok(())
    })
}

/// Runs the body of a function that has no `out_err`, giving `fallback` on a panic.
fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn invalid(message: String) -> Failure {
    Failure::InvalidArgument(message)
}

/// A text argument: NUL-terminated UTF-8, not NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
unsafe fn text<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(invalid(format!("{name} is NULL")));
    }
    // SAFETY: not NULL, and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes.to_str().map_err(|e| {
        invalid(format!(
            "{name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// A JSON text argument, parsed.
///
/// # Safety
/// As [`text`].
unsafe fn json_arg(p: *const c_char, name: &str) -> Result<Value, Failure> {
    // SAFETY: forwarded from the caller.
    let s = unsafe { text(p, name)? };
    serde_json::from_str(s).map_err(|e| invalid(format!("{name} is not valid JSON: {e}")))
}

/// A byte-buffer argument.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes.
unsafe fn bytes<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], Failure> {
    if p.is_null() {
        return Err(invalid(format!("{name} is NULL")));
    }
    // SAFETY: not NULL, `len` bytes by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// # Safety
/// `c` is NULL or a live client from `dga_client_new`.
unsafe fn client_ref<'a>(c: *const DgaClient) -> Result<&'a sdk::blocking::Client, Failure> {
    // SAFETY: NULL or live, by the caller's contract.
    match unsafe { c.as_ref() } {
        Some(c) => Ok(&c.client),
        None => Err(invalid("client is NULL".to_owned())),
    }
}

/// A text result for the functions without `out_err`: NULL only on a panic.
fn into_c(s: String) -> *mut c_char {
    c_string(s).into_raw()
}

fn static_text(cell: &'static OnceLock<CString>, make: fn() -> String) -> *const c_char {
    cell.get_or_init(|| c_string(make())).as_ptr()
}

fn put_status(out: *mut i32, status: u16) {
    if !out.is_null() {
        // SAFETY: the caller passes NULL or a pointer to an `int32_t` it owns.
        unsafe { *out = i32::from(status) };
    }
}

// ---------------------------------------------------------------------------------------------
// Library

/// The SDK's version, e.g. "0.2.0". Static: never freed.
#[unsafe(no_mangle)]
pub extern "C" fn dga_version() -> *const c_char {
    static V: OnceLock<CString> = OnceLock::new();
    guard(ptr::null(), || static_text(&V, || sdk::VERSION.to_owned()))
}

/// The guide's enum tables as JSON: `{"BankCode": [{"name", "number", "descriptionTh"}, ...],
/// "PaymentType": [...], "PaidStatus": [...], "ResponseStatus": [...], "ErrorCode": [...]}`,
/// straight from the core (names, numbers and Thai descriptions; results carry the names).
/// Static: never freed.
#[unsafe(no_mangle)]
pub extern "C" fn dga_enum_tables_json() -> *const c_char {
    static T: OnceLock<CString> = OnceLock::new();
    guard(ptr::null(), || {
        static_text(&T, || sdk::enum_tables().to_string())
    })
}

/// The schema of every record that crosses the ABI, as JSON: `{"version", "records": {"CreatePayment",
/// "Payment", "PaymentStatus", "Confirmation", "ClientOptions", "RetryOptions", "Error",
/// "FieldError", "Mismatch"}}`, each `{"name", "doc", "fields": [{"wire", "snake", "type",
/// "required", "doc"}]}`. The `wire` names are the JSON keys of the config, the create
/// request, every result and `dga_error_json`. Static: never freed.
#[unsafe(no_mangle)]
pub extern "C" fn dga_schema_json() -> *const c_char {
    static S: OnceLock<CString> = OnceLock::new();
    guard(ptr::null(), || {
        static_text(&S, || sdk::schema().to_string())
    })
}

/// The core's error kinds as JSON, `[{"code": "validation", "number": 1}, ...]`: the numbers
/// are DgaErrorKind's 1 to 9, the codes what `dga_error_json` gives as `kind`. Static: never
/// freed.
#[unsafe(no_mangle)]
pub extern "C" fn dga_error_kinds_json() -> *const c_char {
    static K: OnceLock<CString> = OnceLock::new();
    guard(ptr::null(), || {
        static_text(&K, || sdk::error_kinds().to_string())
    })
}

/// Frees a string the library handed out (out_json, out_html, dga_callback_ack, the
/// dga_callback_reply_* bodies). NULL is a no-op. Never pass a string from anywhere else, nor a
/// `const char *` result of this library (those are never freed).
///
/// # Safety
/// `s` is NULL or a string from this library, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: made by `CString::into_raw` in this library, by the caller's contract.
        guard((), || drop(unsafe { CString::from_raw(s) }));
    }
}

// ---------------------------------------------------------------------------------------------
// Client

/// Creates a client from a JSON configuration object: the `wire` keys of the schema's
/// `ClientOptions` record (`dga_schema_json`; e.g. `{"consumerKey", "consumerSecret",
/// "agentId", "gatewayUrl", "source", "timeoutMs"}`; durations in milliseconds, `retry` false
/// or a `RetryOptions` object). Unknown keys are a DGA_VALIDATION error. No network call is
/// made.
///
/// Returns the client, which the caller frees with `dga_client_free`; or NULL, with the error
/// in `*out_err` (when `out_err` is not NULL): DGA_INVALID_ARGUMENT for NULL, invalid UTF-8 or
/// invalid JSON, DGA_VALIDATION for a missing or bad setting.
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `out_err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_new(
    config_json: *const c_char,
    out_err: *mut *mut DgaError,
) -> *mut DgaClient {
    let mut made = ptr::null_mut();
    call(out_err, || {
        // SAFETY: forwarded from the caller.
        let config = sdk::Config::from_json(&unsafe { json_arg(config_json, "config_json")? })?;
        let client = sdk::blocking::Client::new(config)?;
        made = Box::into_raw(Box::new(DgaClient { client }));
        Ok(())
    });
    made
}

/// As `dga_client_new`, with the settings first read from the environment (`DGA_CONSUMER_KEY`,
/// `DGA_CONSUMER_SECRET`, `DGA_AGENT_ID`, `DGA_ENVIRONMENT`, `DGA_GATEWAY_URL`, `DGA_SOURCE`,
/// `DGA_PROXY`, `DGA_CA_FILE`) and `config_json`'s keys applied over them. `config_json` may be
/// NULL (the environment alone). The caller frees the client with `dga_client_free`.
///
/// # Safety
/// As `dga_client_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_new_from_env(
    config_json: *const c_char,
    out_err: *mut *mut DgaError,
) -> *mut DgaClient {
    let mut made = ptr::null_mut();
    call(out_err, || {
        let mut builder = sdk::ConfigBuilder::from_env();
        if !config_json.is_null() {
            // SAFETY: forwarded from the caller.
            builder = builder.with_json(&unsafe { json_arg(config_json, "config_json")? })?;
        }
        let client = sdk::blocking::Client::new(builder.build()?)?;
        made = Box::into_raw(Box::new(DgaClient { client }));
        Ok(())
    });
    made
}

/// The process's shared clients, one per configuration (see `dga_client_shared`). Each entry
/// lives as long as the process: the registry's own reference is never released.
struct SharedClients {
    /// The process that built these clients: a forked child starts its own list.
    pid: u32,
    clients: Vec<(sdk::Config, sdk::blocking::Client)>,
}

static SHARED: std::sync::Mutex<Option<SharedClients>> = std::sync::Mutex::new(None);

/// The shared client for `config`, made on first use.
fn shared_client(config: sdk::Config) -> Result<sdk::blocking::Client, Failure> {
    // A panic elsewhere while the lock was held leaves a list that is still whole.
    let mut slot = SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let pid = std::process::id();
    if slot.as_ref().is_some_and(|s| s.pid != pid) {
        // A forked child: the parent's clients hold its connections and token state, which
        // must be neither used nor dropped here, so they are leaked.
        std::mem::forget(slot.take());
    }
    let registry = slot.get_or_insert_with(|| SharedClients {
        pid,
        clients: Vec::new(),
    });
    if let Some((_, client)) = registry.clients.iter().find(|(c, _)| *c == config) {
        return Ok(client.clone());
    }
    let client = sdk::blocking::Client::new(config.clone())?;
    registry.clients.push((config, client.clone()));
    Ok(client)
}

/// Returns a handle to the process's one client for this configuration, made on first use:
/// every call with the same configuration (compared after parsing, so key order, white space
/// and defaults spelled out do not matter) shares one connection pool and one token cache.
/// For short-lived requests in a long-lived process (PHP-FPM, a CGI host, a plugin): only the
/// first request pays for a token. `config_json` is as for `dga_client_new`.
///
/// Each call returns a new handle, which the caller frees with `dga_client_free` as usual;
/// that releases only the caller's handle: the library keeps its own reference to the client
/// for the life of the process. In a child made by `fork()`, the parent's shared clients are
/// never returned: the child gets its own (its own connections and token).
///
/// Returns NULL on error, with the error in `*out_err` as for `dga_client_new`.
///
/// # Safety
/// As `dga_client_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_shared(
    config_json: *const c_char,
    out_err: *mut *mut DgaError,
) -> *mut DgaClient {
    let mut made = ptr::null_mut();
    call(out_err, || {
        // SAFETY: forwarded from the caller.
        let config = sdk::Config::from_json(&unsafe { json_arg(config_json, "config_json")? })?;
        let client = shared_client(config)?;
        made = Box::into_raw(Box::new(DgaClient { client }));
        Ok(())
    });
    made
}

/// Frees a client. NULL is a no-op. Call it once, after every call using the client (on any
/// thread) has returned.
///
/// # Safety
/// `client` is NULL or from `dga_client_new*`, not freed before, and no longer in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_client_free(client: *mut DgaClient) {
    if !client.is_null() {
        // SAFETY: made by `Box::into_raw` in `dga_client_new*`, by the caller's contract.
        guard((), || drop(unsafe { Box::from_raw(client) }));
    }
}

/// Creates a payment transaction. `request_json` is the guide's create request in camelCase:
/// the schema's `CreatePayment` record (`dga_schema_json`), with `paymentType` as a name
/// ("FastPay" | "QRPayment") and `amount` a decimal string such as "1000.50" (or an exact JSON
/// number). Every bad field is named in one DGA_VALIDATION error before any network call.
///
/// On success `*out_json` (when `out_json` is not NULL) is the payment, the schema's `Payment`
/// record (it carries `reference1`/`reference2`), which the caller frees with
/// `dga_string_free`. Pass it to `dga_checkout_form_html`; use reference1/reference2 with
/// status, close and void. DGA_OUTCOME_UNKNOWN means the payment may exist: check
/// `dga_status` first.
///
/// # Safety
/// `client` is NULL or live; strings are NULL or NUL-terminated; out-parameters are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_create_payment(
    client: *const DgaClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        // SAFETY: forwarded from the caller (this and the other argument readers below).
        let client = unsafe { client_ref(client)? };
        let request =
            sdk::CreatePayment::from_json(&unsafe { json_arg(request_json, "request_json")? })?;
        Ok(client.create_payment(&request)?.to_json().to_string())
    })
}

/// Reads a transaction's state from DGA (retried on transient failures). `reference2` is ""
/// when the payment had none (NULL is an error). On success `*out_json` is the normalized
/// status, the schema's `PaymentStatus` record (`dga_schema_json`: enums as names, amounts as
/// strings, dates `yyyy-MM-ddTHH:mm:ss` or null), freed by the caller with `dga_string_free`.
///
/// # Safety
/// As `dga_create_payment`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_status(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let client = unsafe { client_ref(client)? };
        let (r1, r2) = unsafe {
            (
                text(reference1, "reference1")?,
                text(reference2, "reference2")?,
            )
        };
        Ok(client.status(r1, r2)?.to_json().to_string())
    })
}

/// Closes an unpaid transaction (a paid one is DGA_API with code 14). On success `*out_json` is
/// the confirmation `{"status", "message", "data"}` (plus "warning"), freed by the caller with
/// `dga_string_free`.
///
/// # Safety
/// As `dga_create_payment`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_close(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let client = unsafe { client_ref(client)? };
        let (r1, r2) = unsafe {
            (
                text(reference1, "reference1")?,
                text(reference2, "reference2")?,
            )
        };
        Ok(client.close(r1, r2)?.to_json().to_string())
    })
}

/// Voids a paid FastPay transaction; `payment_reference` is the `refId` from status or the
/// callback. On success `*out_json` is the confirmation, as for `dga_close`, freed by the caller
/// with `dga_string_free`. DGA_OUTCOME_UNKNOWN means the void may have happened: check
/// `dga_status`.
///
/// # Safety
/// As `dga_create_payment`.
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
        let client = unsafe { client_ref(client)? };
        let (r1, r2, pr) = unsafe {
            (
                text(reference1, "reference1")?,
                text(reference2, "reference2")?,
                text(payment_reference, "payment_reference")?,
            )
        };
        Ok(client.void(r1, r2, pr)?.to_json().to_string())
    })
}

/// Confirms a callback with DGA: re-reads the status and checks that references, amount, paid
/// status and refId agree (callbacks are unsigned: act on this result, never on the callback
/// alone). `callback_json` is the normalized JSON `dga_parse_callback` gave (or DGA's raw
/// callback fields). On success `*out_json` is DGA's own status (normalized, as `dga_status`),
/// freed by the caller with `dga_string_free`; a disagreement is DGA_VERIFICATION.
///
/// # Safety
/// As `dga_create_payment`.
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
        Ok(client.verify_callback(&callback)?.to_json().to_string())
    })
}

/// What a callback endpoint does first: parses DGA's raw callback body (`len` bytes, as
/// received) and, when `verify` is true (do this unless you verify yourself), confirms it with
/// DGA as `dga_verify_callback` does. On success `*out_json` is the normalized status (DGA's own
/// when verified), freed by the caller with `dga_string_free`. Answer DGA with
/// `dga_callback_reply_accepted` once recorded, or `dga_callback_reply_for_error` with this
/// call's error.
///
/// # Safety
/// `body` is NULL or points to `len` readable bytes; the rest as `dga_create_payment`.
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
        let client = unsafe { client_ref(client)? };
        let body = unsafe { bytes(body, len, "body")? };
        Ok(client.receive_callback(body, verify)?.to_json().to_string())
    })
}

// ---------------------------------------------------------------------------------------------
// Callbacks, checkout, validation

/// Parses a callback body DGA POSTed (`len` bytes as received; need not be NUL-terminated or
/// UTF-8: a bad body is a DGA_CALLBACK error naming the field, or the JSON line and column).
/// On success `*out_json` is the normalized callback (the 14 keys of `dga_status`'s result),
/// freed by the caller with `dga_string_free`. Confirm it with `dga_verify_callback` before
/// marking an order paid.
///
/// # Safety
/// `body` is NULL or points to `len` readable bytes; out-parameters are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_parse_callback(
    body: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        let body = unsafe { bytes(body, len, "body")? };
        Ok(sdk::parse_callback(body)?.to_json().to_string())
    })
}

/// The acknowledgement JSON an agency answers a callback with:
/// `{"requestTimeStamp": <unix seconds>, "message": "...", "result": true|false}`. `message`
/// may be NULL ("Success"). Answer `accepted` false when the callback could not be taken, so
/// DGA delivers it again. The caller frees the result with `dga_string_free`; NULL when
/// `message` is not valid UTF-8.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_ack(accepted: bool, message: *const c_char) -> *mut c_char {
    guard(ptr::null_mut(), || {
        let message = if message.is_null() {
            "Success"
        } else {
            // SAFETY: forwarded from the caller.
            match unsafe { text(message, "message") } {
                Ok(m) => m,
                Err(_) => return ptr::null_mut(),
            }
        };
        into_c(sdk::callback_ack(accepted, message))
    })
}

/// The HTTP answer to a callback the agency has verified and recorded: returns the body (the
/// ack JSON with `result: true`), and sets `*out_http_status` (when not NULL) to 200. `message`
/// may be NULL ("Success"). The caller frees the body with `dga_string_free`; NULL when
/// `message` is not valid UTF-8. Content type: `dga_callback_reply_content_type()`.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string; `out_http_status` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_accepted(
    message: *const c_char,
    out_http_status: *mut i32,
) -> *mut c_char {
    put_status(out_http_status, 0);
    guard(ptr::null_mut(), || {
        let message = if message.is_null() {
            "Success"
        } else {
            // SAFETY: forwarded from the caller.
            match unsafe { text(message, "message") } {
                Ok(m) => m,
                Err(_) => return ptr::null_mut(),
            }
        };
        let reply = sdk::CallbackReply::accepted(message);
        put_status(out_http_status, reply.http_status);
        into_c(reply.body)
    })
}

/// The HTTP answer to a callback whose `dga_receive_callback` (or parse/verify) failed with
/// `error`, as the core decides it: 400 for an invalid callback, 409 when DGA's status
/// disagrees, 503 when DGA could not be asked (so DGA delivers it again); each with an ack
/// `result: false` and a reason without secrets. For a NULL error, DGA_INVALID_ARGUMENT or
/// DGA_INTERNAL (a bug on the agency's side) it is `dga_callback_reply_handler_failed`'s
/// answer. Returns the body, freed by the caller with `dga_string_free`; sets
/// `*out_http_status` (when not NULL).
///
/// # Safety
/// `error` is NULL or a live error from this library; `out_http_status` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_for_error(
    error: *const DgaError,
    out_http_status: *mut i32,
) -> *mut c_char {
    put_status(out_http_status, 0);
    guard(ptr::null_mut(), || {
        // SAFETY: NULL or live, by the caller's contract.
        let reply = match unsafe { error.as_ref() }.and_then(|e| e.error.as_ref()) {
            Some(e) => sdk::CallbackReply::for_error(e),
            None => sdk::CallbackReply::handler_failed(),
        };
        put_status(out_http_status, reply.http_status);
        into_c(reply.body)
    })
}

/// The HTTP answer when the callback was valid but the agency's own handling failed (its
/// database, say): 500 with `result: false`, so DGA delivers it again; the agency's error stays
/// in its own logs. Returns the body, freed by the caller with `dga_string_free`; sets
/// `*out_http_status` (when not NULL).
///
/// # Safety
/// `out_http_status` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_handler_failed(
    out_http_status: *mut i32,
) -> *mut c_char {
    put_status(out_http_status, 0);
    guard(ptr::null_mut(), || {
        let reply = sdk::CallbackReply::handler_failed();
        put_status(out_http_status, reply.http_status);
        into_c(reply.body)
    })
}

/// The HTTP answer to a callback whose body is larger than the endpoint takes (`limit`
/// bytes), so it was not read: 413 with `result: false` and a reason naming the limit (DGA's
/// callbacks are a few hundred bytes; the cap guards the endpoint's memory). Returns the body,
/// freed by the caller with `dga_string_free`; sets `*out_http_status` (when not NULL).
///
/// # Safety
/// `out_http_status` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_too_large(
    limit: usize,
    out_http_status: *mut i32,
) -> *mut c_char {
    put_status(out_http_status, 0);
    guard(ptr::null_mut(), || {
        let reply = sdk::CallbackReply::too_large(limit);
        put_status(out_http_status, reply.http_status);
        into_c(reply.body)
    })
}

/// The Content-Type of the dga_callback_reply_* bodies ("application/json; charset=utf-8").
/// Static: never freed.
#[unsafe(no_mangle)]
pub extern "C" fn dga_callback_reply_content_type() -> *const c_char {
    static T: OnceLock<CString> = OnceLock::new();
    guard(ptr::null(), || {
        static_text(&T, || sdk::CallbackReply::CONTENT_TYPE.to_owned())
    })
}

/// An HTML page that sends the citizen's browser to KTB's gateway (a POST form with the
/// payment's hidden fields, submitted by script at once; every value HTML-escaped).
/// `payment_json` is the payment `dga_create_payment` gave. On success `*out_html` is the page,
/// freed by the caller with `dga_string_free`. A payment JSON missing fields is DGA_VALIDATION.
///
/// # Safety
/// `payment_json` is NULL or a NUL-terminated string; out-parameters are NULL or writable.
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

/// Whether `id` is a well-formed Thai citizen ID: exactly 13 ASCII digits whose last digit is
/// the check digit. false for NULL or invalid UTF-8.
///
/// # Safety
/// `id` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_validate_citizen_id(id: *const c_char) -> bool {
    // SAFETY: forwarded from the caller.
    guard(false, || {
        unsafe { text(id, "id") }.is_ok_and(sdk::validate_citizen_id)
    })
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The error's kind (a DgaErrorKind: 1 to 9 the core's kinds, DGA_INVALID_ARGUMENT,
/// DGA_INTERNAL, DGA_CANCELLED); DGA_OK for NULL.
///
/// # Safety
/// `error` is NULL or a live error from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_kind(error: *const DgaError) -> i32 {
    // SAFETY: NULL or live, by the caller's contract.
    guard(DgaErrorKind::DGA_INTERNAL as i32, || {
        unsafe { error.as_ref() }.map_or(DgaErrorKind::DGA_OK as i32, |e| e.kind)
    })
}

/// DGA's errorCode number (a DgaErrorCode, e.g. 8 TransactionNotFound) for a DGA_API error;
/// 0 when there is none (other kinds, DGA sent null, or a code that is not a number).
///
/// # Safety
/// `error` is NULL or a live error from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_api_code(error: *const DgaError) -> i32 {
    // SAFETY: NULL or live, by the caller's contract.
    guard(0, || unsafe { error.as_ref() }.map_or(0, |e| e.api_code))
}

/// The error's message in English (UTF-8; names fields, endpoints and DGA's message; never a
/// secret). Owned by `error`: valid until `dga_error_free(error)`, never freed by the caller.
/// "" for NULL.
///
/// # Safety
/// `error` is NULL or a live error from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_message(error: *const DgaError) -> *const c_char {
    // SAFETY: NULL or live, by the caller's contract.
    guard(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// The error as the core's JSON: the schema's `Error` record (`dga_schema_json`: `kind`
/// ("validation", ..., "verification", or "invalid_argument", "internal"), `message`,
/// `transient`, and where they apply `errors`, `endpoint`, `status`, `errorCode`,
/// `reference1`/`reference2`, `reason`, `mismatches`). Owned by `error`: valid until `dga_error_free(error)`, never freed by the
/// caller. "" for NULL.
///
/// # Safety
/// `error` is NULL or a live error from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_json(error: *const DgaError) -> *const c_char {
    // SAFETY: NULL or live, by the caller's contract.
    guard(c"".as_ptr(), || {
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.json.as_ptr())
    })
}

/// Frees an error handed out through an `out_err`. NULL is a no-op.
///
/// # Safety
/// `error` is NULL or from this library, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_error_free(error: *mut DgaError) {
    if !error.is_null() {
        // SAFETY: made by `Box::into_raw` in `call`, by the caller's contract.
        guard((), || drop(unsafe { Box::from_raw(error) }));
    }
}

// Callback floods: the agency's known_reference check, the counters, the 503 reply.
mod async_calls;
mod floods;
mod logging;
mod queue;

#[cfg(test)]
mod tests;
