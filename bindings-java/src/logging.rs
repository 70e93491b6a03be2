//! The core's `log` records, forwarded to the `java.util.logging` logger
//! `io.github.dgaepayment`, the very object the Java side hands over when it loads (asked for
//! from a runtime thread, with no Java caller, `Logger.getLogger` would give the JDK's separate
//! system logger of that name, without the application's handlers). A thread the JVM does not
//! know (a runtime thread) attaches as a daemon, so it never keeps the JVM from exiting.

use std::ffi::{CString, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, Ordering};

use jni::sys::{self, jint, jobject, jvalue};
use sdk::logs;

use super::VM;

struct Bridge {
    /// SEVERE, WARNING, INFO, FINE, FINER: global references.
    levels: [jobject; 5],
    logp: sys::jmethodID,
}

// SAFETY: global references and method IDs are valid on every thread.
unsafe impl Send for Bridge {}
unsafe impl Sync for Bridge {}

static BRIDGE: OnceLock<Option<Bridge>> = OnceLock::new();
/// The application's logger (a global reference), set by the first `Native` class loaded.
static JUL_LOGGER: AtomicPtr<sys::_jobject> = AtomicPtr::new(ptr::null_mut());

/// Makes the core's records (rate-limited and queued by `dga_epayment::logs`) reach the
/// Java logger; WARNING until the Java side sets its logger's level.
pub(crate) fn install() {
    if logs::install(wake) {
        logs::set_level(log::LevelFilter::Warn);
    }
}

/// Keeps the Java side's logger (the first one given: every class loader's `Native` gives the
/// same object).
///
/// # Safety
/// `env` is the calling thread's env and `logger` a live local reference on it.
pub(crate) unsafe fn set_logger(env: *mut sys::JNIEnv, logger: jobject) {
    if logger.is_null() || !JUL_LOGGER.load(Ordering::Acquire).is_null() {
        return;
    }
    // SAFETY: by the caller's contract.
    let global = unsafe { ((**env).v1_1.NewGlobalRef)(env, logger) };
    if JUL_LOGGER
        .compare_exchange(ptr::null_mut(), global, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        // SAFETY: the reference just made, unused.
        unsafe { ((**env).v1_1.DeleteGlobalRef)(env, global) };
    }
}

/// The level the Java side reads from its logger: 0 off, 1 error … 5 trace.
pub(crate) fn set_level(level: jint) {
    logs::set_level(logs::level_filter(level));
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

unsafe fn clear(env: *mut sys::JNIEnv) -> bool {
    // SAFETY: a valid env.
    unsafe {
        if ((**env).v1_2.ExceptionCheck)(env) {
            ((**env).v1_1.ExceptionClear)(env);
            return true;
        }
    }
    false
}

unsafe fn bridge(env: *mut sys::JNIEnv) -> Option<Bridge> {
    // SAFETY: a valid env; every local reference is deleted or made global.
    unsafe {
        let fns = &(**env).v1_1;
        let logger_class = (fns.FindClass)(env, c"java/util/logging/Logger".as_ptr());
        let level_class = (fns.FindClass)(env, c"java/util/logging/Level".as_ptr());
        if clear(env) || logger_class.is_null() || level_class.is_null() {
            return None;
        }
        let logp = (fns.GetMethodID)(
            env,
            logger_class,
            c"logp".as_ptr(),
            c"(Ljava/util/logging/Level;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"
                .as_ptr(),
        );
        if clear(env) || logp.is_null() {
            return None;
        }
        let mut levels = [ptr::null_mut(); 5];
        for (slot, name) in levels
            .iter_mut()
            .zip([c"SEVERE", c"WARNING", c"INFO", c"FINE", c"FINER"])
        {
            let field = (fns.GetStaticFieldID)(
                env,
                level_class,
                name.as_ptr(),
                c"Ljava/util/logging/Level;".as_ptr(),
            );
            if clear(env) || field.is_null() {
                return None;
            }
            let level = (fns.GetStaticObjectField)(env, level_class, field);
            *slot = (fns.NewGlobalRef)(env, level);
            (fns.DeleteLocalRef)(env, level);
        }
        (fns.DeleteLocalRef)(env, logger_class);
        (fns.DeleteLocalRef)(env, level_class);
        Some(Bridge { levels, logp })
    }
}

/// Java's modified UTF-8 needs no NUL inside; the core's text has none, but be safe.
fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Called by the core on the thread that logged, when its queue was empty: the JVM may be
/// called from any thread, so the records are logged at once.
fn wake(_: log::Level) {
    let records = logs::take();
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: env() gives this thread's env; references made here are deleted here.
        unsafe {
            let logger = JUL_LOGGER.load(Ordering::Acquire);
            if logger.is_null() {
                return;
            }
            let Some(env) = env() else { return };
            let Some(bridge) = BRIDGE.get_or_init(|| bridge(env)) else {
                return;
            };
            for record in records {
                let level = bridge.levels[logs::level_number(record.level) as usize - 1];
                let fns = &(**env).v1_1;
                let source = (fns.NewStringUTF)(env, c_text(&record.target).as_ptr());
                let message = (fns.NewStringUTF)(env, c_text(&record.message).as_ptr());
                if !clear(env) {
                    let args = [
                        jvalue { l: level },
                        jvalue { l: source },
                        jvalue { l: ptr::null_mut() },
                        jvalue { l: message },
                    ];
                    (fns.CallVoidMethodA)(env, logger, bridge.logp, args.as_ptr());
                    clear(env);
                }
                (fns.DeleteLocalRef)(env, source);
                (fns.DeleteLocalRef)(env, message);
            }
        }
    }));
}
