// The Task-based calls, over the C ABI's dga_*_async functions: each call returns at once and,
// when it ends, the library queues its completion; one background thread of ours takes them
// (dga_completion_next) and completes each call's TaskCompletionSource. No thread waits per
// call in flight.
//
// - The library's own queueing callback for every call, so that its runtime threads never
//   enter .NET (Mono waits at exit for every foreign thread that once did, forever).
// - Each call's state (its TaskCompletionSource, how to read the result, its cancellation)
//   sits behind a GCHandle whose pointer is the call's user_data; the callback frees it.
// - TaskCreationOptions.RunContinuationsAsynchronously: awaiting code never runs on the
//   library's thread, and Task.WaitAll/.Result on any thread cannot deadlock.
// - A CancellationToken becomes a DgaCancel; cancelling it ends the call at once with
//   OperationCanceledException. A create, void or close already sent still runs to its end at
//   DGA; its outcome is logged at WARNING (see DgaLog).
// - AppDomain unload (IIS recycling an app) and process exit cancel the calls in flight and
//   wait for their callbacks, so the library never calls into an unloaded domain.
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

        // Calls in flight, so that an unloading domain can cancel and wait for them.
        private static readonly ConcurrentDictionary<Call, byte> InFlight = new ConcurrentDictionary<Call, byte>();
        private static int unloading;

        static AsyncCalls()
        {
            new Thread(Dispatch) { IsBackground = true, Name = "Dga.EPayment completions" }.Start();
            AppDomain.CurrentDomain.DomainUnload += (s, e) => Drain();
            AppDomain.CurrentDomain.ProcessExit += (s, e) => Drain();
        }

        /// <summary>One call in flight.</summary>
        internal abstract class Call
        {
            internal IntPtr Cancel;
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
            // Every call gets a DgaCancel, so that an unloading domain can end them all.
            call.Cancel = NativeMethods.dga_cancel_new();
            if (call.Cancel == IntPtr.Zero) throw new OutOfMemoryException("dga_cancel_new");
            var handle = GCHandle.Alloc(call);
            InFlight[call] = 0;
            if (ct.CanBeCanceled)
            {
                // Before the call starts: its callback may come before Start returns.
                call.Registration = ct.Register(s => NativeMethods.dga_cancel((IntPtr)s), call.Cancel);
            }
            int status;
            try
            {
                status = start(call.Cancel, CallbackPtr, GCHandle.ToIntPtr(handle));
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
            NativeMethods.dga_cancel_free(call.Cancel);
            call.Cancel = IntPtr.Zero;
            byte ignored;
            InFlight.TryRemove(call, out ignored);
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
                }
                else
                {
                    OnComplete(userData, kind, outJson, err);
                }
            }
        }

        /// <summary>Ensures the dispatcher runs (the log's records come through it too).</summary>
        internal static void Init()
        {
        }

        /// <summary>One completion: exactly once per started call. Never throws.</summary>
        private static void OnComplete(IntPtr userData, int kind, IntPtr outJson, IntPtr err)
        {
            Call call = null;
            try
            {
                var handle = GCHandle.FromIntPtr(userData);
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
        /// Cancels every call in flight and waits (briefly) for their callbacks, then lets the
        /// creates, voids and closes that were sent finish at DGA while the log still works.
        /// </summary>
        internal static void Drain()
        {
            Interlocked.Exchange(ref unloading, 1);
            try
            {
                foreach (var c in InFlight.Keys)
                {
                    var p = c.Cancel;
                    if (p != IntPtr.Zero) NativeMethods.dga_cancel(p);
                }
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (!InFlight.IsEmpty && DateTime.UtcNow < deadline)
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
                DgaLog.Detach();
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
