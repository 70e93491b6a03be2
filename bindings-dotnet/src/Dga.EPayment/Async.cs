// The Task-based calls, over the C ABI's dga_*_async functions: each call returns at once and,
// when it ends, the library queues its completion; one background thread of ours takes them
// (dga_completion_next) and completes each call's TaskCompletionSource. No thread waits per
// call in flight.
//
// - The library's own queueing callback for every call, so that its runtime threads never
//   enter .NET (Mono waits at exit for every foreign thread that once did, forever).
// - Each call's state (its TaskCompletionSource, how to read the result, its cancellation)
//   sits behind a GCHandle. The call's user_data is a small native block: this domain's mark
//   and that GCHandle. The queue is the process's, so every domain's completion thread may take
//   any completion: one of another live domain is queued again for it, one of an unloaded
//   domain (its mark cleared) is dropped, so no domain ever reads another's GCHandle.
// - TaskCreationOptions.RunContinuationsAsynchronously: awaiting code never runs on the
//   library's thread, and Task.WaitAll/.Result on any thread cannot deadlock.
// - A CancellationToken becomes a DgaCancel; cancelling it ends the call at once with
//   OperationCanceledException. A create, void or close already sent still runs to its end at
//   DGA; its outcome is logged at WARNING (see DgaLog).
// - AppDomain unload (IIS recycling an app) and process exit cancel the calls in flight and
//   wait for their completions, then clear the domain's mark.
using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment
{
    /// <summary>The machinery behind the *Async calls (see the file's header).</summary>
    internal static class AsyncCalls
    {
        private const int DgaCancelled = 12;

        // The library's own callback, which queues each completion; one background thread of
        // ours takes them (dga_completion_next). The library's threads never enter .NET: Mono
        // would count them as its own and wait for them at exit, forever.
        private static readonly IntPtr CallbackPtr = NativeMethods.dga_completion_queue_callback();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void Queue(IntPtr userData, int kind, IntPtr outJson, IntPtr err);

        // The library's queueing callback, to hand another domain's completion back to the queue.
        private static readonly Queue Requeue = (Queue)Marshal.GetDelegateForFunctionPointer(CallbackPtr, typeof(Queue));

        // This domain's mark: 1 while it takes its completions, 0 once it is gone. Never freed,
        // so that any domain can still read it after this one was unloaded.
        private static readonly IntPtr Mark = NewMark();

        private static IntPtr NewMark()
        {
            var m = Marshal.AllocHGlobal(IntPtr.Size);
            Marshal.WriteIntPtr(m, new IntPtr(1));
            return m;
        }

        // The calls without a cancellable token share this domain's DgaCancel, which an unloading
        // domain cancels; a call with a token has its own, listed here for the same reason.
        private static readonly IntPtr DomainCancel = NativeMethods.dga_cancel_new();
        private static readonly ConcurrentDictionary<Call, byte> Cancellable = new ConcurrentDictionary<Call, byte>();

        // Calls started and not yet completed, which an unloading domain waits for.
        private static int inFlight;
        private static int unloading;

        static AsyncCalls()
        {
            new Thread(Dispatch) { IsBackground = true, Name = "Dga.EPayment completions" }.Start();
            AppDomain.CurrentDomain.DomainUnload += (s, e) => Drain(false);
            AppDomain.CurrentDomain.ProcessExit += (s, e) => Drain(true);
        }

        /// <summary>One call in flight.</summary>
        internal abstract class Call
        {
            internal IntPtr Cancel;

            // The user_data: [this domain's mark, the GCHandle].
            internal IntPtr Block;
            internal CancellationToken Token;
            internal CancellationTokenRegistration Registration;

            /// <summary>Completes the task from the callback's values (which it owns).</summary>
            internal abstract void Complete(int kind, IntPtr outJson, IntPtr err);

            internal abstract void Fail(Exception e);
        }

        /// <summary>A result as the library gave it: the JSON, or the live DgaError* (the receiver frees it).</summary>
        internal struct Received
        {
            internal string Json;
            internal IntPtr Error;
        }

        internal sealed class Call<T> : Call
        {
            internal readonly TaskCompletionSource<T> Source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            private readonly Func<string, T> read;
            private readonly Func<Received, T> readRaw;

            internal Call(Func<string, T> read, Func<Received, T> readRaw)
            {
                this.read = read;
                this.readRaw = readRaw;
            }

            internal override void Complete(int kind, IntPtr outJson, IntPtr err)
            {
                if (kind == DgaCancelled)
                {
                    NativeMethods.dga_error_free(err);
                    NativeMethods.dga_string_free(outJson);
                    Source.TrySetCanceled(Token);
                    return;
                }
                var json = NativeMethods.TakeString(outJson);
                if (readRaw != null)
                {
                    Source.TrySetResult(readRaw(new Received { Json = json, Error = kind == NativeMethods.DGA_OK ? IntPtr.Zero : err }));
                    return;
                }
                if (kind != NativeMethods.DGA_OK)
                {
                    Source.TrySetException(Errors.Take(kind, err));
                    return;
                }
                if (err != IntPtr.Zero) NativeMethods.dga_error_free(err);
                Source.TrySetResult(read(json));
            }

            internal override void Fail(Exception e)
            {
                Source.TrySetException(e);
            }
        }

        /// <summary>
        /// Starts a call: <paramref name="start"/> calls one dga_*_async function with the
        /// cancel pointer, the callback and user_data. Returns the call's task.
        /// </summary>
        internal static Task<T> Start<T>(Func<string, T> read, CancellationToken ct, Func<IntPtr, IntPtr, IntPtr, int> start)
        {
            return Start(new Call<T>(read, null), ct, start);
        }

        /// <summary>As <see cref="Start{T}(Func{string, T}, CancellationToken, Func{IntPtr, IntPtr, IntPtr, int})"/>, with an error handed over live instead of thrown.</summary>
        internal static Task<Received> StartRaw(CancellationToken ct, Func<IntPtr, IntPtr, IntPtr, int> start)
        {
            return Start(new Call<Received>(null, r => r), ct, start);
        }

        private static Task<T> Start<T>(Call<T> call, CancellationToken ct, Func<IntPtr, IntPtr, IntPtr, int> start)
        {
            if (ct.IsCancellationRequested) return Task.FromCanceled<T>(ct);
            if (Volatile.Read(ref unloading) != 0) throw new InvalidOperationException("the application domain is unloading");
            call.Token = ct;
            call.Cancel = ct.CanBeCanceled ? NativeMethods.dga_cancel_new() : DomainCancel;
            if (call.Cancel == IntPtr.Zero) throw new OutOfMemoryException("dga_cancel_new");
            var handle = GCHandle.Alloc(call);
            call.Block = Marshal.AllocHGlobal(2 * IntPtr.Size);
            Marshal.WriteIntPtr(call.Block, Mark);
            Marshal.WriteIntPtr(call.Block, IntPtr.Size, GCHandle.ToIntPtr(handle));
            Interlocked.Increment(ref inFlight);
            if (ct.CanBeCanceled)
            {
                Cancellable[call] = 0;
                // Before the call starts: its callback may come before Start returns.
                call.Registration = ct.Register(s => NativeMethods.dga_cancel((IntPtr)s), call.Cancel);
            }
            int status;
            try
            {
                status = start(call.Cancel, CallbackPtr, call.Block);
            }
            catch
            {
                Finish(call, handle);
                throw;
            }
            if (status != NativeMethods.DGA_OK)
            {
                // Not started: the callback never comes.
                Finish(call, handle);
                return Task.FromException<T>(status == 10
                    ? (Exception)new DgaArgumentException("the native library refused an argument (DGA_INVALID_ARGUMENT)")
                    : new DgaInternalException("the native library could not start the call (status " + status + ")"));
            }
            return call.Source.Task;
        }

        private static void Finish(Call call, GCHandle handle)
        {
            // The registration first: its callback may be using the DgaCancel right now, and
            // Dispose waits for it.
            call.Registration.Dispose();
            if (call.Cancel != DomainCancel)
            {
                // Under the lock Drain cancels with, so that it never uses a freed DgaCancel.
                lock (Cancellable)
                {
                    byte ignored;
                    Cancellable.TryRemove(call, out ignored);
                    NativeMethods.dga_cancel_free(call.Cancel);
                }
            }
            call.Cancel = IntPtr.Zero;
            Marshal.FreeHGlobal(call.Block);
            call.Block = IntPtr.Zero;
            Interlocked.Decrement(ref inFlight);
            handle.Free();
        }

        /// <summary>Takes the queued completions and log records, for the process's life.</summary>
        private static void Dispatch()
        {
            while (true)
            {
                IntPtr userData, outJson, err;
                int kind;
                if (!NativeMethods.dga_completion_next(1000, out userData, out kind, out outJson, out err)) continue;
                if (userData == IntPtr.Zero)
                {
                    DgaLog.Deliver(NativeMethods.TakeString(outJson));
                    continue;
                }
                var mark = Marshal.ReadIntPtr(userData);
                if (mark == Mark)
                {
                    OnComplete(Marshal.ReadIntPtr(userData, IntPtr.Size), kind, outJson, err);
                }
                else if (Marshal.ReadIntPtr(mark) == IntPtr.Zero)
                {
                    // A call of an unloaded domain that ended after it went: nobody awaits it.
                    NativeMethods.dga_string_free(outJson);
                    NativeMethods.dga_error_free(err);
                    Marshal.FreeHGlobal(userData);
                }
                else
                {
                    // Another domain's: back to the queue, and a moment for its thread to take it.
                    Requeue(userData, kind, outJson, err);
                    Thread.Sleep(1);
                }
            }
        }

        /// <summary>Ensures the dispatcher runs (the log's records come through it too).</summary>
        internal static void Init()
        {
        }

        /// <summary>One completion: exactly once per started call. Never throws.</summary>
        private static void OnComplete(IntPtr gcHandle, int kind, IntPtr outJson, IntPtr err)
        {
            Call call = null;
            try
            {
                var handle = GCHandle.FromIntPtr(gcHandle);
                call = (Call)handle.Target;
                Finish(call, handle);
                call.Complete(kind, outJson, err);
            }
            catch (Exception e)
            {
                // An exception must not unwind into the native library.
                try
                {
                    if (call != null) call.Fail(e);
                }
                catch (Exception)
                {
                }
            }
        }

        /// <summary>
        /// Cancels every call in flight and waits (briefly) for their completions, then lets the
        /// creates, voids and closes that were sent finish at DGA while the log still works, and
        /// clears this domain's mark.
        /// </summary>
        internal static void Drain(bool processExit)
        {
            Interlocked.Exchange(ref unloading, 1);
            try
            {
                NativeMethods.dga_cancel(DomainCancel);
                lock (Cancellable)
                {
                    foreach (var c in Cancellable.Keys)
                    {
                        NativeMethods.dga_cancel(c.Cancel);
                    }
                }
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (Volatile.Read(ref inFlight) > 0 && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(5);
                }
                NativeMethods.dga_drain(2000);
            }
            catch (Exception)
            {
            }
            finally
            {
                Marshal.WriteIntPtr(Mark, IntPtr.Zero);
                // The log is the process's: other domains still take it while the process lives.
                if (processExit) DgaLog.Detach();
            }
        }
    }

    public sealed partial class DgaClient
    {
        /// <summary>
        /// <see cref="CreatePayment"/> without blocking a thread. Cancelling
        /// <paramref name="cancellationToken"/> ends the wait at once
        /// (<see cref="OperationCanceledException"/>); a create not yet sent is then never sent,
        /// and one already sent runs to its end at DGA with its outcome logged at WARNING
        /// (<see cref="DgaLog"/>): check <see cref="StatusAsync"/> before creating it again.
        /// </summary>
        public Task<Payment> CreatePaymentAsync(CreatePaymentRequest request, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            var json = NativeMethods.Utf8Z(request.ToAbiJson(), "request");
            var h = Handle();
            return AsyncCalls.Start(r => new Payment(Wire.Object(r), r), cancellationToken,
                (cancel, cb, ud) => NativeMethods.dga_create_payment_async(h, json, cancel, cb, ud));
        }

        /// <summary><see cref="Status"/> without blocking a thread; cancelling stops it.</summary>
        public Task<PaymentStatus> StatusAsync(string reference1, string reference2 = "", CancellationToken cancellationToken = default(CancellationToken))
        {
            var a = NativeMethods.Utf8Z(reference1, "reference1");
            var b = NativeMethods.Utf8Z(reference2 ?? "", "reference2");
            var h = Handle();
            return AsyncCalls.Start(ReadStatus, cancellationToken,
                (cancel, cb, ud) => NativeMethods.dga_status_async(h, a, b, cancel, cb, ud));
        }

        /// <summary>
        /// <see cref="Close"/> without blocking a thread. Cancelling ends the wait; a close
        /// already sent runs to its end at DGA (its outcome logged), as for a create.
        /// </summary>
        public Task<Confirmation> CloseAsync(string reference1, string reference2 = "", CancellationToken cancellationToken = default(CancellationToken))
        {
            var a = NativeMethods.Utf8Z(reference1, "reference1");
            var b = NativeMethods.Utf8Z(reference2 ?? "", "reference2");
            var h = Handle();
            return AsyncCalls.Start(ReadConfirmation, cancellationToken,
                (cancel, cb, ud) => NativeMethods.dga_close_async(h, a, b, cancel, cb, ud));
        }

        /// <summary>
        /// <see cref="Void"/> without blocking a thread. Cancelling ends the wait; a void
        /// already sent runs to its end at DGA (its outcome logged), as for a create.
        /// </summary>
        public Task<Confirmation> VoidAsync(string reference1, string reference2, string paymentReference, CancellationToken cancellationToken = default(CancellationToken))
        {
            var a = NativeMethods.Utf8Z(reference1, "reference1");
            var b = NativeMethods.Utf8Z(reference2 ?? "", "reference2");
            var c = NativeMethods.Utf8Z(paymentReference, "paymentReference");
            var h = Handle();
            return AsyncCalls.Start(ReadConfirmation, cancellationToken,
                (cancel, cb, ud) => NativeMethods.dga_void_async(h, a, b, c, cancel, cb, ud));
        }

        /// <summary><see cref="VerifyCallback"/> without blocking a thread; cancelling stops it.</summary>
        public Task<PaymentStatus> VerifyCallbackAsync(DgaCallbackData callback, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (callback == null) throw new ArgumentNullException("callback");
            var json = NativeMethods.Utf8Z(callback.Json, "callback");
            var h = Handle();
            return AsyncCalls.Start(ReadStatus, cancellationToken,
                (cancel, cb, ud) => NativeMethods.dga_verify_callback_async(h, json, cancel, cb, ud));
        }

        private static readonly Func<string, PaymentStatus> ReadStatus = r => new PaymentStatus(Wire.Object(r), r);
        private static readonly Func<string, Confirmation> ReadConfirmation = r => new Confirmation(Wire.Object(r), r);
    }
}
