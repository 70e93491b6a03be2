// The Task-based calls over the C ABI's dga_*_async functions. Each call's completion is queued
// by the library's own callback (its runtime threads never enter .NET: Mono would wait for them
// at exit, forever), and one background thread of ours takes the queue (dga_completion_next),
// reads the result and completes the call's TaskCompletionSource, made with
// RunContinuationsAsynchronously: its continuations go to the thread pool, one work item each
// (none when nobody awaits yet). No thread waits per call, no continuation runs on our thread
// nor holds back another call's completion, so Task.WaitAll/.Result cannot deadlock.
//
// A call's user_data is a small native block: this domain's mark and the GCHandle of its state.
// The queue is the process's, so a completion of another live domain is queued again for it and
// one of an unloaded domain (its mark cleared) is dropped: no domain reads another's GCHandle.
// AppDomain unload (IIS recycling an app) and process exit cancel the calls in flight and wait
// for their completions.
using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment
{
    internal static class AsyncCalls
    {
        private const int DgaCancelled = 12;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void Queue(IntPtr userData, int kind, IntPtr outJson, IntPtr err);

        // Set by Attach, not by a type initializer: a missing native library is then a
        // DllNotFoundException (not a TypeInitializationException), and a later attempt can succeed.
        private static IntPtr CallbackPtr;
        private static Queue Requeue;
        private static volatile bool attached;
        private static readonly object Attaching = new object();

        // 1 while this domain takes its completions, 0 once it is gone; never freed, so that
        // every domain can still read it after this one was unloaded.
        private static IntPtr Mark;

        // The calls without a cancellable token share this domain's DgaCancel, which an unloading
        // domain cancels; a call with a token has its own, listed here for the same reason.
        private static IntPtr DomainCancel;
        private static readonly ConcurrentDictionary<Call, byte> Cancellable = new ConcurrentDictionary<Call, byte>();
        private static int inFlight;
        private static int unloading;

        /// <summary>From the first client on: the completion thread runs and takes the log's records too.</summary>
        internal static void Attach()
        {
            if (attached) return;
            lock (Attaching)
            {
                if (attached) return;
                var callback = NativeMethods.dga_completion_queue_callback();
                var cancel = NativeMethods.dga_cancel_new();
                if (cancel == IntPtr.Zero) throw new OutOfMemoryException("dga_cancel_new");
                NativeMethods.dga_log_to_queue(true);
                Requeue = (Queue)Marshal.GetDelegateForFunctionPointer(callback, typeof(Queue));
                (CallbackPtr, DomainCancel, Mark) = (callback, cancel, Marshal.AllocHGlobal(IntPtr.Size));
                Marshal.WriteIntPtr(Mark, new IntPtr(1));
                new Thread(Dispatch) { IsBackground = true, Name = "Dga.EPayment completions" }.Start();
                AppDomain.CurrentDomain.DomainUnload += (s, e) => Drain(false);
                AppDomain.CurrentDomain.ProcessExit += (s, e) => Drain(true);
                attached = true;
            }
        }

        internal abstract class Call
        {
            internal IntPtr Cancel, Block;
            internal GCHandle Handle;

            internal CancellationToken Token;
            internal CancellationTokenRegistration Registration;

            // Once per started call, on the completion thread, with the callback's values (the call
            // owns them): frees its state, completes its task. Never throws.
            internal abstract void Complete(int kind, IntPtr outJson, IntPtr err);
        }

        internal sealed class Call<T> : Call
        {
            internal readonly TaskCompletionSource<T> Source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);

            internal Func<int, string, IntPtr, T> Read;

            internal override void Complete(int kind, IntPtr outJson, IntPtr err)
            {
                try
                {
                    Finish(this);
                    if (kind == DgaCancelled)
                    {
                        NativeMethods.dga_error_free(err);
                        NativeMethods.dga_string_free(outJson);
                        Source.TrySetCanceled(Token);
                        return;
                    }
                    Source.TrySetResult(Read(kind, NativeMethods.TakeString(outJson), err));
                }
                catch (Exception e)
                {
                    Source.TrySetException(e);
                }
            }
        }

        // start calls one dga_*_async function with the cancel pointer, the callback and user_data;
        // read makes the result from the status, the JSON and the DgaError* (which it frees or throws).
        internal static Task<T> Start<T>(Func<int, string, IntPtr, T> read, CancellationToken ct, Func<IntPtr, IntPtr, IntPtr, int> start, bool draining = false)
        {
            var call = new Call<T> { Read = read };
            if (ct.IsCancellationRequested) return Task.FromCanceled<T>(ct);
            Attach();
            if (Volatile.Read(ref unloading) != 0 && !draining) throw new InvalidOperationException("the application domain is unloading");
            call.Token = ct;
            call.Cancel = ct.CanBeCanceled ? NativeMethods.dga_cancel_new() : DomainCancel;
            if (call.Cancel == IntPtr.Zero) throw new OutOfMemoryException("dga_cancel_new");
            call.Handle = GCHandle.Alloc(call);
            call.Block = Marshal.AllocHGlobal(2 * IntPtr.Size);
            Marshal.WriteIntPtr(call.Block, Mark);
            Marshal.WriteIntPtr(call.Block, IntPtr.Size, GCHandle.ToIntPtr(call.Handle));
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
                Finish(call);
                throw;
            }
            if (status != NativeMethods.DGA_OK)
            {
                // Not started: the callback never comes.
                Finish(call);
                return Task.FromException<T>(status == 10
                    ? (Exception)new DgaArgumentException("the native library refused an argument (DGA_INVALID_ARGUMENT)")
                    : new DgaInternalException("the native library could not start the call (status " + status + ")"));
            }
            return call.Source.Task;
        }

        private static void Finish(Call call)
        {
            // The registration first: its callback may be using the DgaCancel, and Dispose waits for it.
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
            Marshal.FreeHGlobal(call.Block);
            Interlocked.Decrement(ref inFlight);
            call.Handle.Free();
        }

        private static void Dispatch()
        {
            while (true)
            {
                IntPtr userData, outJson, err;
                int kind;
                if (!NativeMethods.dga_completion_next(1000u, out userData, out kind, out outJson, out err)) continue;
                if (userData == IntPtr.Zero) DgaLog.Deliver(NativeMethods.TakeString(outJson));
                else if (Marshal.ReadIntPtr(userData) == Mark)
                {
                    var call = (Call)GCHandle.FromIntPtr(Marshal.ReadIntPtr(userData, IntPtr.Size)).Target;
                    call.Complete(kind, outJson, err);
                }
                else if (Marshal.ReadIntPtr(Marshal.ReadIntPtr(userData)) == IntPtr.Zero)
                {
                    // A call of an unloaded domain: nobody awaits it.
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

        // Cancels the calls in flight, waits (briefly) for them and for the creates, voids and
        // closes already sent to finish at DGA and for their records to be raised, then clears the mark.
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
                // The records logged so far (the outcomes of the calls just finished) are raised before
                // the log goes: a marker through the library's queue behind them, then the log's own queue.
                if (Start((k, j, e) => true, CancellationToken.None, (c, cb, ud) => { Requeue(ud, 0, IntPtr.Zero, IntPtr.Zero); return NativeMethods.DGA_OK; }, true).Wait(1000))
                {
                    DgaLog.Flush(1000);
                }
            }
            catch (Exception)
            {
            }
            finally
            {
                Marshal.WriteIntPtr(Mark, IntPtr.Zero);
                // The log is the process's: other domains still take it while the process lives.
                if (processExit) NativeMethods.dga_log_to_queue(false);
            }
        }
    }

    public sealed partial class DgaClient
    {
        /// <summary><see cref="CreatePayment"/> without blocking a thread. Cancelling ends the wait; a
        /// create already sent runs to its end at DGA, its outcome logged (<see cref="DgaLog"/>).</summary>
        public Task<Payment> CreatePaymentAsync(CreatePaymentRequest request, CancellationToken cancellationToken = default(CancellationToken))
        {
            var json = AbiJson(request, "request");
            var h = Handle();
            return AsyncCalls.Start(ReadPayment, cancellationToken, (cancel, cb, ud) => NativeMethods.dga_create_payment_async(h, json, cancel, cb, ud));
        }

        /// <summary><see cref="Status"/> without blocking a thread; cancelling stops it.</summary>
        public Task<PaymentStatus> StatusAsync(string reference1, string reference2 = "", CancellationToken cancellationToken = default(CancellationToken))
        {
            var r = Refs(reference1, reference2);
            var h = Handle();
            return AsyncCalls.Start(ReadStatus, cancellationToken, (cancel, cb, ud) => NativeMethods.dga_status_async(h, r[0], r[1], cancel, cb, ud));
        }

        /// <summary><see cref="Close"/> without blocking a thread. Cancelling ends the wait; a close already sent runs to its end (logged).</summary>
        public Task<Confirmation> CloseAsync(string reference1, string reference2 = "", CancellationToken cancellationToken = default(CancellationToken))
        {
            var r = Refs(reference1, reference2);
            var h = Handle();
            return AsyncCalls.Start(ReadConfirmation, cancellationToken, (cancel, cb, ud) => NativeMethods.dga_close_async(h, r[0], r[1], cancel, cb, ud));
        }

        /// <summary><see cref="Void"/> without blocking a thread. Cancelling ends the wait; a void already sent runs to its end (logged).</summary>
        public Task<Confirmation> VoidAsync(string reference1, string reference2, string paymentReference, CancellationToken cancellationToken = default(CancellationToken))
        {
            var r = Refs(reference1, reference2);
            var c = NativeMethods.Utf8Z(paymentReference, "paymentReference");
            var h = Handle();
            return AsyncCalls.Start(ReadConfirmation, cancellationToken, (cancel, cb, ud) => NativeMethods.dga_void_async(h, r[0], r[1], c, cancel, cb, ud));
        }

        /// <summary><see cref="VerifyCallback"/> without blocking a thread; cancelling stops it.</summary>
        public Task<PaymentStatus> VerifyCallbackAsync(DgaCallbackData callback, CancellationToken cancellationToken = default(CancellationToken))
        {
            var json = AbiJson(callback, "callback");
            var h = Handle();
            return AsyncCalls.Start(ReadStatus, cancellationToken, (cancel, cb, ud) => NativeMethods.dga_verify_callback_async(h, json, cancel, cb, ud));
        }
    }
}
