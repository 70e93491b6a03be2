//! The core's `log` records, forwarded to the `java.util.logging` logger
//! `io.github.dgaepayment`, the very object the Java side hands over when it loads (asked for
//! from a runtime thread, with no Java caller, `Logger.getLogger` would give the JDK's separate
//! system logger of that name, without the application's handlers). A thread the JVM does not
//! know (a runtime thread) attaches as a daemon, so it never keeps the JVM from exiting.

use std::ffi::c_void;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use jni::sys::{self, jobject, jobjectArray, jvalue};
use sdk::logs;

use super::VM;

struct Bridge {
    logger: jobject,
    /// `Level[]`: SEVERE, WARNING, INFO, FINE, FINER.
    levels: jobjectArray,
    logp: sys::jmethodID,
}

// SAFETY: global references and method IDs are valid on every thread.
unsafe impl Send for Bridge {}
unsafe impl Sync for Bridge {}

/// The application's logger and its levels (global references), set by the first `Native`
/// class loaded: every class loader's `Native` gives the same JDK objects.
static BRIDGE: OnceLock<Bridge> = OnceLock::new();

/// Makes the core's records (rate-limited and queued by `dga_epayment::logs`) reach the
/// Java logger; WARNING until the Java side sets its logger's level.
pub(crate) fn install() {
    if logs::install(wake) {
        logs::set_level(log::LevelFilter::Warn);
    }
}

/// Keeps the Java side's logger and its five levels (the first ones given).
///
/// # Safety
/// `env` is the calling thread's env, `logger` and `levels` live local references on it.
pub(crate) unsafe fn set_logger(env: *mut sys::JNIEnv, logger: jobject, levels: jobjectArray) {
    if logger.is_null() || levels.is_null() || BRIDGE.get().is_some() {
        return;
    }
    // SAFETY: by the caller's contract.
    unsafe {
        let fns = &(**env).v1_1;
        let class = (fns.GetObjectClass)(env, logger);
        let logp = (fns.GetMethodID)(
            env,
            class,
            c"logp".as_ptr(),
            c"(Ljava/util/logging/Level;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"
                .as_ptr(),
        );
        if clear(env) || logp.is_null() {
            return;
        }
        // Another class loader's `Native` may be first: its objects are the same JDK ones.
        BRIDGE.get_or_init(|| Bridge {
            logger: (fns.NewGlobalRef)(env, logger),
            levels: (fns.NewGlobalRef)(env, levels),
            logp,
        });
    }
}

/// The env of this thread, attaching it as a daemon when the JVM does not know it.
pub(crate) unsafe fn env() -> Option<*mut sys::JNIEnv> {
    let vm = VM.load(Ordering::Acquire);
    if vm.is_null() {
        return None;
    }
    let mut env: *mut c_void = ptr::null_mut();
    // SAFETY: the JVM's JavaVM, stored in JNI_OnLoad.
    unsafe {
        let fns = &(**vm).v1_4;
        if (fns.GetEnv)(vm, &mut env, sys::JNI_VERSION_1_8) == sys::JNI_OK {
            return Some(env as *mut sys::JNIEnv);
        }
        if (fns.AttachCurrentThreadAsDaemon)(vm, &mut env, ptr::null_mut()) == sys::JNI_OK {
            return Some(env as *mut sys::JNIEnv);
        }
    }
    None
}

/// Whether a Java exception was pending; it is printed (no Java caller would see it) and cleared.
pub(crate) unsafe fn clear(env: *mut sys::JNIEnv) -> bool {
    // SAFETY: a valid env.
    unsafe {
        let pending = ((**env).v1_2.ExceptionCheck)(env);
        if pending {
            ((**env).v1_1.ExceptionDescribe)(env);
            ((**env).v1_1.ExceptionClear)(env);
        }
        pending
    }
}

/// A new Java string (a local reference; null when the JVM is out of memory), from UTF-16, which
/// unlike `NewStringUTF`'s modified UTF-8 takes every character as it is.
pub(crate) unsafe fn java_string(env: *mut sys::JNIEnv, text: &str) -> jobject {
    let utf16: Vec<u16> = text.encode_utf16().collect();
    // SAFETY: a valid env; the buffer outlives the call.
    unsafe { ((**env).v1_1.NewString)(env, utf16.as_ptr(), utf16.len() as sys::jsize) }
}

/// Called by the core on the thread that logged, when its queue was empty: the JVM may be called
/// from any thread, so the records are logged at once. What the logger cannot take (the JVM is
/// gone at exit, when the core names the creates still running) goes to stderr, WARNING and up.
fn wake(_: log::Level) {
    let records = logs::take();
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: env() gives this thread's env; references made here are deleted here.
        unsafe {
            let java = BRIDGE.get().zip(env());
            for record in records {
                let mut logged = false;
                if let Some((bridge, env)) = java {
                    let fns = &(**env).v1_1;
                    let n = logs::level_number(record.level) - 1;
                    let level = (fns.GetObjectArrayElement)(env, bridge.levels, n);
                    let source = java_string(env, &record.target);
                    let message = java_string(env, &record.message);
                    if !clear(env) {
                        let args = [
                            jvalue { l: level },
                            jvalue { l: source },
                            jvalue { l: ptr::null_mut() },
                            jvalue { l: message },
                        ];
                        (fns.CallVoidMethodA)(env, bridge.logger, bridge.logp, args.as_ptr());
                        logged = !clear(env);
                    }
                    for local in [level, source, message] {
                        (fns.DeleteLocalRef)(env, local);
                    }
                }
                if !logged && record.level <= log::Level::Warn {
                    let _ = writeln!(std::io::stderr(), "{record}");
                }
            }
        }
    }));
}
