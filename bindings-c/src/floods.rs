//! Callback floods (docs/architecture.md#callback-floods): the agency's own `known_reference`
//! check before DGA is asked, the counters an agency alerts on, and the 503 for a check that
//! could not be made. The verification budget and the reuse of DGA's answers are the core's
//! (`verificationRate`, `verificationReuseMs` in the client's configuration).

use std::ffi::{c_char, c_void};
use std::ptr;

use super::{
    DgaClient, DgaError, bytes, c_string, call, call_text, client_ref, guard, into_c, put, refs,
    reply,
};

/// The agency's lookup of a callback's references in its own orders: true when it created the
/// payment `(reference1, reference2)` (strings valid during the call). Runs on the thread that
/// called `dga_receive_callback_known`, before any network call; must not unwind.
pub type DgaKnownReference = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        reference1: *const c_char,
        reference2: *const c_char,
    ) -> bool,
>;

/// The references a callback body names (`ref2` may be ""), read as `dga_receive_callback`
/// reads them, for the endpoint's own lookup; unreadable ones are DGA_CALLBACK (reply 400).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_references(
    body: *const u8,
    len: usize,
    out_reference1: *mut *mut c_char,
    out_reference2: *mut *mut c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    put(out_reference2, ptr::null_mut);
    call_text(out_reference1, out_err, || {
        // SAFETY: forwarded from the caller (here and in every function below).
        let (r1, r2) = sdk::callback_references(unsafe { bytes(body, len, "body")? })?;
        // Set last (nothing after it can fail), so an error leaves both NULL.
        put(out_reference2, || into_c(r2));
        Ok(r1)
    })
}

/// Refuses a delivery whose references the agency does not know, without asking DGA: counted
/// (`refusedUnknown`), logged at most once a second, and always DGA_VERIFICATION (reason
/// `unknown_payment`; reply 404).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_refuse_unknown_reference(
    client: *const DgaClient,
    reference1: *const c_char,
    reference2: *const c_char,
    out_err: *mut *mut DgaError,
) -> i32 {
    call(out_err, || {
        let (client, (r1, r2)) = unsafe { (client_ref(client)?, refs(reference1, reference2)?) };
        Err(client.refuse_unknown_reference(&r1, &r2).into())
    })
}

/// The client's callback verification counters, as JSON `{"statusCalls", "reused",
/// "refusedUnknown", "refusedBusy"}`: status requests sent to DGA (retries included),
/// deliveries answered from another's status call, refused by the agency's lookup, refused 503
/// `busy` (over `verificationRate`). A rise of the last two is a flood. NULL for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_verification_stats_json(client: *const DgaClient) -> *mut c_char {
    guard(ptr::null_mut(), || match unsafe { client_ref(client) } {
        Ok(client) => into_c(serde_json::json!(client.verification_stats()).to_string()),
        Err(_) => ptr::null_mut(),
    })
}

/// `dga_receive_callback` (verifying) after `known_reference(user_data, reference1,
/// reference2)` (NULL: no check): when it says false the delivery is refused as
/// `dga_refuse_unknown_reference` does, so forged references cost DGA nothing. A lookup that
/// can fail takes the steps apart: `dga_callback_references`, the lookup, then
/// `dga_refuse_unknown_reference`, `dga_callback_reply_unavailable` or `dga_receive_callback`.
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
        let (client, body) = unsafe { (client_ref(client)?, bytes(body, len, "body")?) };
        let status = match known_reference {
            None => client.receive_callback(body, true),
            Some(known) => client.receive_callback_known(body, |r1, r2| {
                // A reference with a NUL cannot be one of the agency's: U+FFFD keeps it so.
                let (r1, r2) = (c_string(r1.to_owned()), c_string(r2.to_owned()));
                // SAFETY: the caller's function, with its own user_data, by its contract.
                unsafe { known(user_data, r1.as_ptr(), r2.as_ptr()) }
            }),
        };
        Ok(status?.to_json_text())
    })
}

/// The answer when the agency's lookup of a callback's references failed: 503, delivered again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_callback_reply_unavailable(out_http_status: *mut i32) -> *mut c_char {
    reply(out_http_status, sdk::CallbackReply::unavailable)
}
