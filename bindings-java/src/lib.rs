//! The JNI half of the Java binding (`io.github.dgaepayment.Native`). Every export gives a tagged
//! string, `R` then the result (the core's normalized JSON, or a value) or `E` then the core's
//! error JSON (`Error::to_json`), and runs inside `catch_unwind`: a panic is an `internal` error,
//! never an unwind into the JVM.
//!
//! A redeployed web application loads its own copy of this file from a new class loader (the JVM
//! refuses one path in two loaders). The first copy in the process is the primary: it stays
//! loaded with its symbols global, and every later copy registers the primary's functions on its
//! own `Native` class in `JNI_OnLoad`, so the process keeps one set of clients, log bridge and
//! runtime.

use std::ffi::{CStr, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString};
use jni::sys::{self, jboolean, jint, jlong};
use jni::{Env, EnvUnowned, NativeMethod, native_method};
use sdk::callback_json::refusal;
use sdk::panics::panic_message;
use serde_json::{Value, json};

#[global_allocator]
static ALLOCATOR: sdk::alloc::Allocator = sdk::alloc::Allocator;

type Outcome = Result<String, Value>;

/// The tagged string the Java side reads (`Native.java`).
fn tagged(outcome: Outcome) -> String {
    match outcome {
        Ok(v) => format!("R{v}"),
        Err(e) => format!("E{e}"),
    }
}

fn internal(message: String) -> Value {
    json!({ "kind": "internal", "message": message, "transient": false })
}

fn invalid(message: String) -> Value {
    json!({ "kind": "invalid_argument", "message": message, "transient": false })
}

/// Runs a body, turning a panic into an `internal` error.
fn guarded(body: impl FnOnce() -> Outcome) -> String {
    let outcome =
        catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|p| Err(internal(panic_message(&*p))));
    tagged(outcome)
}

fn parse_json(text: &str, name: &str) -> Result<Value, Value> {
    serde_json::from_str(text).map_err(|e| invalid(format!("{name} is not valid JSON: {e}")))
}

/// The client a handle stands for. The Java side guarantees a live handle: `DgaClient` frees it
/// only under its write lock, after which no call can start.
///
/// # Safety
/// `handle` is 0 or from `clientNew`, not yet freed.
unsafe fn client<'a>(handle: jlong) -> Result<&'a sdk::blocking::Client, Value> {
    // SAFETY: by the caller's contract.
    unsafe { (handle as usize as *const sdk::blocking::Client).as_ref() }
        .ok_or_else(|| invalid("the client is closed".to_owned()))
}

/// A parameter's Rust type from its `jni_sig!` type.
macro_rules! rust_type {
    (JString) => { JString<'_> };
    (JObject) => { JObject<'_> };
    ([jbyte]) => { JByteArray<'_> };
    ([JObject]) => { JObjectArray<'_> };
    ($primitive:ident) => { $primitive };
}

/// The static native methods of `io.github.dgaepayment.Native` (each Rust name in camel case)
/// and `METHODS`, their table for `RegisterNatives` (`native_method!`; parameters in `jni_sig!`
/// types). `fn name(args) |e| { body }` gives the Java string of `guarded(body)` (`e` the env; a
/// JNI failure, an out-of-memory while making the string, becomes a Java `RuntimeException`);
/// `fn name(args) -> T |env| { body }` gives `T`, its body handed the `EnvUnowned`.
macro_rules! natives {
    ($(
        $(#[$m:meta])*
        fn $name:ident($($arg:ident: $ty:tt),* $(,)?) $(-> $ret:tt)? |$e:ident| $body:block
    )*) => {
        $(natives!(@fn $(#[$m])* $name($($arg: $ty),*) $(-> $ret)? |$e| $body);)*

        const METHODS: &[NativeMethod] = &[$(natives!(@method $name($($arg: $ty),*) $(-> $ret)?)),*];
    };
    (@method $name:ident($($arg:ident: $ty:tt),*)) => {
        native_method! { static fn $name($($arg: $ty),*) -> JString }
    };
    (@method $name:ident($($arg:ident: $ty:tt),*) -> $ret:tt) => {
        native_method! { static raw fn $name($($arg: $ty),*) -> $ret }
    };
    (@fn $(#[$m:meta])* $name:ident($($arg:ident: $ty:tt),*) |$e:ident| $body:block) => {
        $(#[$m])*
        fn $name<'c>(
            $e: &mut Env<'c>,
            _c: JClass<'c>,
            $($arg: rust_type!($ty)),*
        ) -> jni::errors::Result<JString<'c>> {
            JString::from_str($e, guarded(|| $body))
        }
    };
    (@fn $(#[$m:meta])* $name:ident($($arg:ident: $ty:tt),*) -> $ret:tt |$e:ident| $body:block) => {
        $(#[$m])*
        fn $name($e: EnvUnowned<'_>, _c: JClass<'_>, $($arg: rust_type!($ty)),*) -> $ret $body
    };
}

/// A Java string as Rust text, read as UTF-16: modified UTF-8 would turn an unpaired surrogate
/// into U+FFFD unnoticed. That and a NUL are refused naming the parameter, as the C ABI does.
fn text(env: &jni::Env<'_>, s: &JString<'_>, name: &str) -> Result<String, Value> {
    if s.is_null() {
        return Err(invalid(format!("{name} is null")));
    }
    let (raw, s) = (env.get_raw(), s.as_raw());
    // SAFETY: this call's env and its live, non-null local reference; the buffer holds `len`.
    let units = unsafe {
        let fns = &(**raw).v1_2;
        let len = (fns.GetStringLength)(raw, s);
        let mut units = vec![0u16; usize::try_from(len).unwrap_or(0)];
        (fns.GetStringRegion)(raw, s, 0, len, units.as_mut_ptr());
        units
    };
    match String::from_utf16(&units) {
        Ok(text) if !text.contains('\0') => Ok(text),
        Ok(_) => Err(invalid(format!("{name} contains a NUL character"))),
        Err(_) => Err(invalid(format!("{name} has an unpaired surrogate"))),
    }
}

fn bytes(env: &jni::Env<'_>, b: &JByteArray<'_>, name: &str) -> Result<Vec<u8>, Value> {
    if b.is_null() {
        return Err(invalid(format!("{name} is null")));
    }
    env.convert_byte_array(b)
        .map_err(|e| invalid(format!("{name} could not be read: {e}")))
}

fn done_json<T>(r: sdk::Result<T>, to_json_text: fn(&T) -> String) -> Outcome {
    r.map(|v| to_json_text(&v)).map_err(|e| e.to_json())
}

/// `receive_callback`'s result: the verified status, or its refusal.
fn callback_outcome(r: sdk::Result<sdk::Callback>) -> Outcome {
    r.map(|status| status.to_json_text())
        .map_err(|e| refusal(&e))
}

/// A call of the client behind `handle`: with a null `target`, on the blocking client (its
/// result, through `finish`); else one task on the core's runtime that ends by calling
/// `target.done(..)` with that same result, giving at once `R` and the task's handle.
macro_rules! call {
    ($e:ident, $handle:ident, $target:ident, |$c:ident| $call:expr, $to_json:path) => {
        call!($e, $handle, $target, |$c| $call => |r| done_json(r, $to_json))
    };
    ($e:ident, $handle:ident, $target:ident, |$c:ident| $call:expr => $finish:expr) => {{
        // SAFETY: a live handle, by DgaClient's lock.
        let client = unsafe { client($handle)? };
        let finish = $finish;
        if $target.is_null() {
            let $c = client;
            finish($call)
        } else {
            // The async client is a clone that outlives a later close.
            let $c = client.as_async().clone();
            let call = async move { finish($call.await) };
            // SAFETY: this call's env and its live local reference `target`.
            unsafe { future::start($e.get_raw(), $target.as_raw(), call) }
        }
    }};
}

natives! {
    fn version() |_e| { Ok(sdk::VERSION.to_owned()) }

    fn schema_json() |_e| { Ok(sdk::schema().to_string()) }

    fn enum_tables_json() |_e| { Ok(sdk::enum_tables().to_string()) }

    fn error_kinds_json() |_e| { Ok(sdk::error_kinds().to_string()) }

    /// An address inside the primary copy: the same number from every class loader shows that
    /// one copy of the native code serves them all.
    fn process_anchor() -> jlong |_env| {
        static ANCHOR: u8 = 0;
        &ANCHOR as *const u8 as usize as jlong
    }

    fn set_logger(logger: JObject, levels: [JObject], level: jint) -> () |env| {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: this call's env and its live local references.
            unsafe { logging::set_logger(env.as_raw(), logger.as_raw(), levels.as_raw()) };
            sdk::logs::set_level(sdk::logs::level_filter(level));
        }));
    }

    fn client_new(config: JString, from_env: jboolean) |e| {
        let config = parse_json(&text(e, &config, "config")?, "config")?;
        let config = if from_env {
            sdk::ConfigBuilder::from_env()
                .with_json(&config)
                .and_then(|b| b.build())
        } else {
            sdk::Config::from_json(&config)
        }
        .map_err(|e| e.to_json())?;
        let client = sdk::blocking::Client::new(config).map_err(|e| e.to_json())?;
        Ok((Box::into_raw(Box::new(client)) as usize as jlong).to_string())
    }

    fn client_free(handle: jlong) -> () |_env| {
        if handle != 0 {
            // SAFETY: from `client_new`, freed once (DgaClient.close under its write lock).
            let _ = catch_unwind(|| unsafe {
                drop(Box::from_raw(handle as usize as *mut sdk::blocking::Client))
            });
        }
    }

    // The client's calls: blocking with a null `target`, else asynchronous (`call!`).

    fn create_payment(handle: jlong, request: JString, target: JObject) |e| {
        let request = parse_json(&text(e, &request, "request")?, "request")?;
        let request = sdk::CreatePayment::from_json(&request).map_err(|e| e.to_json())?;
        call!(e, handle, target, |c| c.create_payment(&request), sdk::Payment::to_json_text)
    }

    fn status(handle: jlong, r1: JString, r2: JString, target: JObject) |e| {
        let (r1, r2) = (text(e, &r1, "reference1")?, text(e, &r2, "reference2")?);
        call!(e, handle, target, |c| c.status(&r1, &r2), sdk::PaymentStatus::to_json_text)
    }

    fn close_payment(handle: jlong, r1: JString, r2: JString, target: JObject) |e| {
        let (r1, r2) = (text(e, &r1, "reference1")?, text(e, &r2, "reference2")?);
        call!(e, handle, target, |c| c.close(&r1, &r2), sdk::Confirmation::to_json_text)
    }

    fn void_payment(
        handle: jlong,
        r1: JString,
        r2: JString,
        pr: JString,
        target: JObject,
    ) |e| {
        let (r1, r2) = (text(e, &r1, "reference1")?, text(e, &r2, "reference2")?);
        let pr = text(e, &pr, "paymentReference")?;
        call!(e, handle, target, |c| c.void(&r1, &r2, &pr), sdk::Confirmation::to_json_text)
    }

    fn verify_callback(handle: jlong, callback: JString, target: JObject) |e| {
        let callback = parse_json(&text(e, &callback, "callback")?, "callback")?;
        let callback = sdk::PaymentStatus::from_json(&callback).map_err(|e| e.to_json())?;
        call!(e, handle, target, |c| c.verify_callback(&callback), sdk::PaymentStatus::to_json_text)
    }

    /// The callback contract's first half: `R` and the verified status, or `E` and
    /// `{"httpStatus", "body", "error"}`: the core's reply for that error and the error itself.
    fn receive_callback(handle: jlong, body: [jbyte], target: JObject) |e| {
        let body = bytes(e, &body, "body")?;
        call!(e, handle, target, |c| c.receive_callback(&body, true) => callback_outcome)
    }

    /// The references a callback body names, `R["reference1","reference2"]`, or the core's
    /// reply to a body whose references cannot be read (as `receiveCallback` gives it: 400).
    fn callback_references(body: [jbyte]) |e| {
        let body = bytes(e, &body, "body")?;
        let (r1, r2) = sdk::callback_references(&body).map_err(|e| refusal(&e))?;
        Ok(json!([r1, r2]).to_string())
    }

    /// The refusal of references the agency's `knownReference` does not know, counted and
    /// logged by the core, as `receiveCallback` gives a refusal (404, no DGA call).
    fn refuse_unknown_reference(handle: jlong, r1: JString, r2: JString) |e| {
        // SAFETY: a live handle, by DgaClient's lock (and below).
        let client = unsafe { client(handle)? };
        let (r1, r2) = (text(e, &r1, "reference1")?, text(e, &r2, "reference2")?);
        Err(refusal(&client.refuse_unknown_reference(&r1, &r2)))
    }

    /// The core's verification counters (`VerificationStats`) as JSON.
    fn verification_stats_json(handle: jlong) |_e| {
        let client = unsafe { client(handle)? };
        serde_json::to_string(&client.verification_stats()).map_err(|e| internal(e.to_string()))
    }

    fn free_task(task: jlong, abort: jboolean) -> () |_env| {
        // SAFETY: freed once, by NativeCall's lock.
        let _ = catch_unwind(|| unsafe { future::free(task, abort) });
    }

    fn parse_callback(body: [jbyte]) |e| {
        let body = bytes(e, &body, "body")?;
        done_json(sdk::parse_callback(&body), sdk::PaymentStatus::to_json_text)
    }

    fn checkout_form_html(payment: JString) |e| {
        let payment = parse_json(&text(e, &payment, "payment")?, "payment")?;
        let payment = sdk::Payment::from_json(&payment).map_err(|e| e.to_json())?;
        sdk::checkout_form_html(&payment).map_err(|e| e.to_json())
    }

    fn callback_ack(accepted: jboolean, message: JString) |e| {
        Ok(sdk::callback_ack(accepted, &text(e, &message, "message")?))
    }

    /// `R{"httpStatus", "accepted", "body", "contentType"}`: the core's answer to a callback,
    /// by what happened to it.
    /// `which` is 0 accepted (with `message`), 1 handler failed, 2 too large (`limit` bytes),
    /// 3 unavailable (the agency's own reference check failed).
    fn callback_reply(which: jint, message: JString, limit: jlong) |e| {
        let reply = match which {
            0 => sdk::CallbackReply::accepted(&text(e, &message, "message")?),
            1 => sdk::CallbackReply::handler_failed(),
            2 => sdk::CallbackReply::too_large(usize::try_from(limit).unwrap_or(0)),
            3 => sdk::CallbackReply::unavailable(),
            _ => return Err(invalid(format!("no callback reply {which}"))),
        };
        Ok(reply.to_json().to_string())
    }

    fn callback_reply_content_type() |_e| { Ok(sdk::CallbackReply::CONTENT_TYPE.to_owned()) }

    /// `valid`, `bad_format` or `bad_check_digit`.
    fn check_citizen_id(id: JString) |e| {
        // Text that cannot be read (a NUL, an unpaired surrogate) is no ID: bad_format.
        let read = text(e, &id, "id");
        let id = if id.is_null() { read? } else { read.unwrap_or_default() };
        Ok(match sdk::check_citizen_id(&id) {
            sdk::CitizenIdCheck::Valid => "valid",
            sdk::CitizenIdCheck::BadFormat => "bad_format",
            sdk::CitizenIdCheck::BadCheckDigit => "bad_check_digit",
        }
        .to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Loading: the primary copy, and registration of its functions on every Native class

const NATIVE_CLASS: &CStr = c"io/github/dgaepayment/Native";

/// Registers this copy's functions on the `Native` class of the loader now loading a library
/// (`FindClass` inside `JNI_OnLoad` uses that loader). Exported so that a later copy finds the
/// primary's through the global symbol scope.
///
/// # Safety
/// `env` is the JNIEnv of the thread running `JNI_OnLoad`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dga_epayment_java_register(env: *mut sys::JNIEnv) -> jint {
    catch_unwind(|| {
        // SAFETY: a valid env during JNI_OnLoad; `NativeMethod` is a transparent
        // `JNINativeMethod`, its strings static.
        unsafe {
            let fns = &(**env).v1_1;
            let class = (fns.FindClass)(env, NATIVE_CLASS.as_ptr());
            if class.is_null() {
                return sys::JNI_ERR;
            }
            let rc =
                (fns.RegisterNatives)(env, class, METHODS.as_ptr().cast(), METHODS.len() as jint);
            (fns.DeleteLocalRef)(env, class);
            rc
        }
    })
    .unwrap_or(sys::JNI_ERR)
}

/// The primary copy's `dga_epayment_java_register`, when another copy of this library was
/// loaded in the process before this one.
fn primary_register() -> Option<unsafe extern "C" fn(*mut sys::JNIEnv) -> jint> {
    // SAFETY: dlsym on the global scope with a NUL-terminated name.
    let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"dga_epayment_java_register".as_ptr()) };
    let own = dga_epayment_java_register as *mut c_void;
    if found.is_null() || found == own {
        return None;
    }
    // SAFETY: the symbol is this very function in another copy of this library.
    Some(unsafe {
        std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut sys::JNIEnv) -> jint>(found)
    })
}

/// Makes this copy the primary: never unloaded (its runtime threads and clients outlive any one
/// class loader) and its symbols global, for later copies to find.
fn become_primary() {
    let own = dga_epayment_java_register as *const c_void;
    // SAFETY: dladdr on an address inside this library; dlopen of the path it gives with
    // RTLD_NOLOAD only changes the flags of the already loaded object.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(own, &mut info) != 0 && !info.dli_fname.is_null() {
            libc::dlopen(
                info.dli_fname,
                libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_GLOBAL | libc::RTLD_NODELETE,
            );
        }
    }
}

static VM: AtomicPtr<sys::JavaVM> = AtomicPtr::new(ptr::null_mut());

/// Called by the JVM when a class loader loads this file.
///
/// # Safety
/// Called by the JVM with its JavaVM.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn JNI_OnLoad(vm: *mut sys::JavaVM, _reserved: *mut c_void) -> jint {
    catch_unwind(|| {
        let mut env: *mut c_void = ptr::null_mut();
        // SAFETY: the JVM's own JavaVM, on a thread it has attached.
        let env = unsafe {
            if ((**vm).v1_2.GetEnv)(vm, &mut env, sys::JNI_VERSION_1_8) != sys::JNI_OK {
                return sys::JNI_ERR;
            }
            env as *mut sys::JNIEnv
        };
        let register = match primary_register() {
            Some(primary) => primary,
            None => {
                VM.store(vm, Ordering::Release);
                become_primary();
                logging::install();
                dga_epayment_java_register
            }
        };
        // SAFETY: the env of this JNI_OnLoad.
        if unsafe { register(env) } != sys::JNI_OK {
            return sys::JNI_ERR;
        }
        sys::JNI_VERSION_1_8
    })
    .unwrap_or(sys::JNI_ERR)
}

mod future;
mod logging;
