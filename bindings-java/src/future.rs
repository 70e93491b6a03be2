//! The asynchronous calls: one task each on the core's runtime, ending with `done(String)` called
//! on the call's `NativeCall` from the runtime thread (attached to the JVM as a daemon). Aborting
//! the task drops the call: a status or close stops; a create or void runs on inside the core.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use futures_util::FutureExt;
use jni::sys::{self, jlong, jobject, jvalue};

use super::{Outcome, internal, logging, tagged};
use sdk::panics::panic_message;

/// A global reference to the Java object to call back, deleted wherever the task ends (an
/// aborted task drops it on a runtime thread).
struct JavaRef(jobject);

// SAFETY: a global reference is valid on every thread.
unsafe impl Send for JavaRef {}

impl Drop for JavaRef {
    fn drop(&mut self) {
        // SAFETY: the env of this thread; the reference is global and deleted once.
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
            if let Some(env) = logging::env() {
                ((**env).v1_1.DeleteGlobalRef)(env, self.0);
            }
        }));
    }
}

/// Calls `done(tagged)` on the Java object.
fn complete(target: &JavaRef, text: String) {
    // SAFETY: this thread's env (attached as a daemon when new); every local reference made here
    // is deleted here, since a native thread's locals are never freed otherwise.
    unsafe {
        let Some(env) = logging::env() else { return };
        let fns = &(**env).v1_1;
        let s = logging::java_string(env, &text);
        let class = (fns.GetObjectClass)(env, target.0);
        let done = (fns.GetMethodID)(
            env,
            class,
            c"done".as_ptr(),
            c"(Ljava/lang/String;)V".as_ptr(),
        );
        if !s.is_null() && !done.is_null() {
            (fns.CallVoidMethodA)(env, target.0, done, [jvalue { l: s }].as_ptr());
        }
        logging::clear(env);
        (fns.DeleteLocalRef)(env, s);
        (fns.DeleteLocalRef)(env, class);
    }
}

/// Starts `call` on the core's runtime, to end with `done` called on `target`. Gives the task's
/// handle (for `free_task`) as decimal text.
///
/// # Safety
/// `env` is the calling thread's env and `target` a live local reference on it.
pub(crate) unsafe fn start<F>(env: *mut sys::JNIEnv, target: jobject, call: F) -> Outcome
where
    F: Future<Output = Outcome> + Send + 'static,
{
    // SAFETY: by the caller's contract.
    let global = unsafe { ((**env).v1_1.NewGlobalRef)(env, target) };
    if global.is_null() {
        return Err(internal(
            "no global reference for the completion".to_owned(),
        ));
    }
    let target = JavaRef(global);
    let call = async move {
        let outcome = AssertUnwindSafe(call).catch_unwind().await;
        outcome.unwrap_or_else(|panic| Err(internal(panic_message(&*panic))))
    };
    // Completed in `finish`, after the call has left the runtime; an aborted call is not.
    let finish = move |got: Result<Outcome, sdk::runtime::Ended>| {
        if let Ok(outcome) = got {
            complete(&target, tagged(outcome));
        }
    };
    let abort = sdk::runtime::spawn_then(call, finish)
        .map_err(|e| internal(format!("the runtime could not start: {e}")))?;
    Ok((Box::into_raw(Box::new(abort)) as usize as jlong).to_string())
}

/// Frees a task's handle. With `abort` (a cancelled call) the task is aborted first (nothing
/// when it has ended); else it runs on, or has ended.
///
/// # Safety
/// `task` is from [`start`], freed once.
pub(crate) unsafe fn free(task: jlong, abort: bool) {
    if task != 0 {
        // SAFETY: by the caller's contract.
        let handle = unsafe { Box::from_raw(task as usize as *mut sdk::runtime::AbortHandle) };
        if abort {
            handle.abort();
        }
    }
}
