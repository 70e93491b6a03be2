//! Callback floods (docs/architecture.md#callback-floods): the agency's own `known_reference`
//! check before DGA is asked, the counters an agency alerts on, and the 503 for a check that
//! could not be made. The verification budget and the reuse of DGA's answers are the core's
//! (`verificationRate`, `verificationReuseMs` in the client's configuration).

use std::ffi::{c_char, c_void};
use std::ptr;

use super::{
    DgaClient, DgaError, Failure, bytes, c_string, call, call_text, client_ref, guard, into_c,
    put_status, text,
};

/// The agency's check of a callback's references against its own orders: true when it created
/// the payment `(reference1, reference2)` (reference2 may be ""). Both
/// strings are NUL-terminated UTF-8, valid only during the call. It runs on the thread that
/// called `dga_receive_callback_known`, before any network call, and must return normally (no
/// C++ exception, no longjmp out of it). A lookup that cannot answer (the database is down)
/// has no bool for it: use the two-step form in `dga_receive_callback_known`'s documentation.
pub type DgaKnownReference = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        reference1: *const c_char,
        reference2: *const c_char,
    ) -> bool,
>;

/// The references a callback body names (`ref1`, `ref2`), read as leniently as
/// `dga_receive_callback` reads them: what a callback endpoint looks up in its own orders
/// before anything else. `body` is `len` bytes as received. On success `*out_reference1` and
/// `*out_reference2` (each when not NULL) are the references (`ref2` may be ""), freed
/// by the caller with `dga_string_free`; on error both are NULL and a body whose references
/// cannot be read is DGA_CALLBACK (answer it with `dga_callback_reply_for_error`: 400).
///
/// # Safety
/// `body` is NULL or points to `len` readable bytes; out-parameters are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_references(
    body: *const u8,
    len: usize,
    out_reference1: *mut *mut c_char,
    out_reference2: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    for out in [out_reference1, out_reference2] {
        if !out.is_null() {
            // SAFETY: the caller passes NULL or a pointer it owns to a `char *`.
            unsafe { *out = ptr::null_mut() };
        }
    }
    call(out_err, || {
        // SAFETY: forwarded from the caller.
        let body = unsafe { bytes(body, len, "body")? };
        let (r1, r2) = sdk::callback_references(body)?;
        // Both are made before either is handed out, so an error leaves both NULL.
        let (r1, r2) = (c_string(r1), c_string(r2));
        for (out, s) in [(out_reference1, r1), (out_reference2, r2)] {
            if !out.is_null() {
                // SAFETY: as above.
                unsafe { *out = s.into_raw() };
            }
        }
        Ok(())
    })
}

/// The refusal of a delivery whose references the agency does not know (its own lookup said
/// no): DGA is not asked. It is counted (`refusedUnknown` in `dga_verification_stats_json`)
/// and logged at most once a second. Like `dga_receive_callback` failing, it returns
/// DGA_VERIFICATION with the error (reason `unknown_payment`) in `*out_err`, which the
/// endpoint answers with `dga_callback_reply_for_error` (404) and frees with
/// `dga_error_free`. Never DGA_OK; DGA_INVALID_ARGUMENT for a NULL client or reference.
///
/// # Safety
/// `client` is NULL or live; strings are NULL or NUL-terminated; `out_err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_refuse_unknown_reference(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call(out_err, || {
        // SAFETY: forwarded from the caller.
        let client = unsafe { client_ref(client)? };
        let (r1, r2) = unsafe {
            (
                text(reference1, "reference1")?,
                text(reference2, "reference2")?,
            )
        };
        Err(Failure::Sdk(client.refuse_unknown_reference(r1, r2)))
    })
}

/// What callback verification has cost DGA and what it refused since the client was built
/// (every counter only grows), as JSON: `{"statusCalls", "reused", "refusedUnknown",
/// "refusedBusy"}` — status requests sent to DGA to verify callbacks (retries included, token
/// fetches not), deliveries answered from another delivery's status call, deliveries refused
/// by the agency's own lookup, deliveries refused 503 `busy` (over `verificationRate` or too
/// many at once). Alert on a rise of the last two: a flood. The caller frees the result with
/// `dga_string_free`; NULL for a NULL client.
///
/// # Safety
/// `client` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_verification_stats_json(client: *const DgaClient) -> *mut c_char {
    guard(ptr::null_mut(), || {
        // SAFETY: forwarded from the caller.
        match unsafe { client_ref(client) } {
            Ok(c) => into_c(
                serde_json::to_string(&c.verification_stats()).unwrap_or_else(|_| "{}".into()),
            ),
            Err(_) => ptr::null_mut(),
        }
    })
}

/// `dga_receive_callback` (verifying) after the agency's own check, in one call: the body's
/// references are read, `known_reference(user_data, reference1, reference2)` is asked on this
/// thread, and when it returns false the delivery is refused at once as
/// `dga_refuse_unknown_reference` does (DGA_VERIFICATION, reason `unknown_payment`, reply 404)
/// without a network call, so forged references cost DGA nothing. A NULL `known_reference` is
/// no check (`dga_receive_callback` with `verify` true). On success `*out_json` is DGA's own
/// status (normalized, as `dga_status`), freed by the caller with `dga_string_free`; answer
/// DGA with `dga_callback_reply_accepted` once recorded, or `dga_callback_reply_for_error`
/// with this call's error (400, 404, 409 or 503, the last when over `verificationRate`).
///
/// When the lookup itself can fail, use the two steps instead: `dga_callback_references`, the
/// lookup, then `dga_refuse_unknown_reference` (not ours), `dga_callback_reply_unavailable`
/// (the lookup failed: 503, DGA delivers again) or `dga_receive_callback` (ours).
///
/// # Safety
/// `body` is NULL or points to `len` readable bytes; `known_reference` is NULL or a function
/// as `DgaKnownReference` describes, given `user_data` as passed; the rest as
/// `dga_create_payment`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_receive_callback_known(
    client: *const DgaClient,
    body: *const u8,
    len: usize,
    known_reference: DgaKnownReference,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call_text(out_json, out_err, || {
        // SAFETY: forwarded from the caller.
        let client = unsafe { client_ref(client)? };
        let body = unsafe { bytes(body, len, "body")? };
        let status = match known_reference {
            None => client.receive_callback(body, true),
            Some(known) => client.receive_callback_known(body, |r1, r2| {
                // A reference with a NUL cannot be one of the agency's: U+FFFD keeps it so.
                let (r1, r2) = (c_string(r1.to_owned()), c_string(r2.to_owned()));
                // SAFETY: the caller's function, with its own user_data, by its contract.
                unsafe { known(user_data, r1.as_ptr(), r2.as_ptr()) }
            }),
        };
        Ok(status?.to_json().to_string())
    })
}

/// The HTTP answer when a callback could not be checked now (the agency's own lookup of its
/// references failed): 503 with `result: false`, so DGA delivers it again. Returns the body,
/// freed by the caller with `dga_string_free`; sets `*out_http_status` (when not NULL).
///
/// # Safety
/// `out_http_status` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_unavailable(out_http_status: *mut i32) -> *mut c_char {
    put_status(out_http_status, 0);
    guard(ptr::null_mut(), || {
        let reply = sdk::CallbackReply::unavailable();
        put_status(out_http_status, reply.http_status);
        into_c(reply.body)
    })
}
