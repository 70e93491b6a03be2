using System;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment
{
    /// <summary>What a callback endpoint answers DGA, as the core decides it: 200 recorded, 400 invalid, 404 unknown
    /// payment, 409 DGA says otherwise, 503 DGA not reachable, 500 the handler failed. DGA delivers the callback again
    /// until it gets <c>result: true</c>.</summary>
    public sealed class DgaCallbackReply
    {
        internal DgaCallbackReply(int httpStatus, bool accepted, string body, PaymentStatus status, Exception error)
        {
            HttpStatus = httpStatus;
            Accepted = accepted;
            Body = body;
            Status = status;
            Error = error;
        }

        /// <summary>The answer (413, <c>result: false</c>) to a body longer than <paramref name="limit"/>
        /// bytes, which the endpoint did not read: cap what it reads (DGA's are a few hundred bytes).</summary>
        public static DgaCallbackReply TooLarge(int limit)
        {
            if (limit < 0) throw new ArgumentOutOfRangeException("limit");
            int http;
            return DgaClient.Reply(NativeMethods.dga_callback_reply_too_large(new UIntPtr((uint)limit), out http), http, false, null,
                new InvalidOperationException("the callback body is larger than " + limit + " bytes; not read"));
        }

        /// <summary>The HTTP status code to answer with.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>Whether the callback was taken (the ack's <c>result</c>).</summary>
        public bool Accepted { get; private set; }

        /// <summary>The acknowledgement JSON to write as the response body.</summary>
        public string Body { get; private set; }

        /// <summary>The response's Content-Type (<c>application/json; charset=utf-8</c>).</summary>
        public string ContentType => NativeMethods.ReadUtf8(NativeMethods.dga_callback_reply_content_type());

        /// <summary>The status handed to the agency's handler (DGA's own when verified); null when it never ran.</summary>
        public PaymentStatus Status { get; private set; }

        /// <summary>Why it was not accepted (a <see cref="DgaException"/>, or what the handler threw): log it;
        /// DGA is not told. Null when accepted.</summary>
        public Exception Error { get; private set; }
    }

    public sealed partial class DgaClient
    {
        /// <summary>This client's callback verification counters (no network call).</summary>
        public DgaVerificationStats VerificationStats
        {
            get
            {
                var json = NativeMethods.TakeString(NativeMethods.dga_verification_stats_json(Handle()));
                if (json == null) throw new DgaInternalException("dga_verification_stats_json returned NULL");
                return new DgaVerificationStats(Wire.Object(json));
            }
        }

        /// <summary>The whole callback endpoint: give it the raw body; it parses it, confirms it with DGA's status
        /// (unless <paramref name="verify"/> is false), calls <paramref name="onVerified"/> (record the payment; throw
        /// to refuse) and returns the answer to write back. A bad callback, failed verification or failing handler
        /// becomes the core's reply, not an exception. <paramref name="knownReference"/> says from the agency's orders
        /// whether it made the callback's (reference1, reference2): false is answered 404 without asking DGA, an
        /// exception in it 503 (DGA delivers again).</summary>
        public DgaCallbackReply HandleCallback(byte[] body, Action<PaymentStatus> onVerified, bool verify = true, Func<string, string, bool> knownReference = null)
        {
            var handler = Sync(onVerified);
            // Nothing below awaits a task that is not complete: it all runs on this thread.
            return Receive(Handle(), body, handler, verify, default(CancellationToken),
                knownReference == null ? null : (Func<string, string, Task<bool>>)((a, b) => Task.FromResult(knownReference(a, b))), true).GetAwaiter().GetResult();
        }

        /// <summary>As <see cref="HandleCallback(byte[], Action{PaymentStatus}, bool, Func{string, string, bool})"/>, for a body already read as text (sent as UTF-8).</summary>
        public DgaCallbackReply HandleCallback(string body, Action<PaymentStatus> onVerified, bool verify = true, Func<string, string, bool> knownReference = null)
        {
            return HandleCallback(NativeMethods.Utf8(body, "body"), onVerified, verify, knownReference);
        }

        /// <summary><see cref="HandleCallback(byte[], Action{PaymentStatus}, bool, Func{string, string, bool})"/>
        /// holding no thread while DGA is asked; cancelling (the request was aborted) stops it.</summary>
        public Task<DgaCallbackReply> HandleCallbackAsync(byte[] body, Func<PaymentStatus, Task> onVerified, bool verify = true,
            CancellationToken cancellationToken = default(CancellationToken), Func<string, string, Task<bool>> knownReference = null)
        {
            // Checked here, not in the async method: a bad argument throws at once, as in the other async calls.
            if (body == null) throw new ArgumentNullException("body");
            if (onVerified == null) throw new ArgumentNullException("onVerified");
            return Receive(Handle(), body, onVerified, verify, cancellationToken, knownReference, false);
        }

        /// <summary>As <see cref="HandleCallbackAsync(byte[], Func{PaymentStatus, Task}, bool, CancellationToken, Func{string, string, Task{bool}})"/>, with a synchronous handler.</summary>
        public Task<DgaCallbackReply> HandleCallbackAsync(byte[] body, Action<PaymentStatus> onVerified, bool verify = true,
            CancellationToken cancellationToken = default(CancellationToken), Func<string, string, Task<bool>> knownReference = null)
        {
            return HandleCallbackAsync(body, Sync(onVerified), verify, cancellationToken, knownReference);
        }

        /// <summary>As <see cref="HandleCallbackAsync(byte[], Func{PaymentStatus, Task}, bool, CancellationToken, Func{string, string, Task{bool}})"/>, for a body already read as text (sent as UTF-8).</summary>
        public Task<DgaCallbackReply> HandleCallbackAsync(string body, Func<PaymentStatus, Task> onVerified, bool verify = true,
            CancellationToken cancellationToken = default(CancellationToken), Func<string, string, Task<bool>> knownReference = null)
        {
            return HandleCallbackAsync(NativeMethods.Utf8(body, "body"), onVerified, verify, cancellationToken, knownReference);
        }

        /// <summary>As <see cref="HandleCallbackAsync(byte[], Func{PaymentStatus, Task}, bool, CancellationToken, Func{string, string, Task{bool}})"/>, for a body
        /// already read as text (sent as UTF-8), with a synchronous handler.</summary>
        public Task<DgaCallbackReply> HandleCallbackAsync(string body, Action<PaymentStatus> onVerified, bool verify = true,
            CancellationToken cancellationToken = default(CancellationToken), Func<string, string, Task<bool>> knownReference = null)
        {
            return HandleCallbackAsync(NativeMethods.Utf8(body, "body"), Sync(onVerified), verify, cancellationToken, knownReference);
        }

        private static Func<PaymentStatus, Task> Sync(Action<PaymentStatus> onVerified)
        {
            if (onVerified == null) throw new ArgumentNullException("onVerified");
            return s => { onVerified(s); return Task.CompletedTask; };
        }

        private async Task<DgaCallbackReply> Receive(DgaClientHandle h, byte[] body, Func<PaymentStatus, Task> onVerified, bool verify, CancellationToken ct,
            Func<string, string, Task<bool>> knownReference, bool blocking)
        {
            var buffer = NativeMethods.Body(body);
            var len = new UIntPtr((uint)body.Length);
            if (knownReference != null)
            {
                string r1, r2;
                var refused = References(buffer, len, out r1, out r2);
                if (refused != null) return refused;
                bool known;
                try
                {
                    var lookup = knownReference(r1, r2);
                    if (lookup == null) throw new InvalidOperationException("knownReference returned a null Task");
                    known = await lookup.ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    return Unavailable(e);
                }
                if (!known) return RefuseUnknown(h, r1, r2);
            }
            object outcome;
            if (blocking)
            {
                IntPtr outJson, err;
                int status = NativeMethods.dga_receive_callback(h, buffer, len, verify, out outJson, out err);
                outcome = Received(status, NativeMethods.TakeString(outJson), err, verify);
            }
            else
            {
                outcome = await AsyncCalls.Start((status, json, err) => Received(status, json, err, verify), ct, (cancel, cb, ud) =>
                    NativeMethods.dga_receive_callback_async(h, buffer, len, verify, cancel, cb, ud)).ConfigureAwait(false);
            }
            var data = outcome as PaymentStatus;
            if (data == null) return (DgaCallbackReply)outcome;
            int http;
            try
            {
                await onVerified(data).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                return Reply(NativeMethods.dga_callback_reply_handler_failed(out http), http, false, data, e);
            }
            return Reply(NativeMethods.dga_callback_reply_accepted(null, out http), http, true, data, null);
        }

        private static object Received(int status, string json, IntPtr err, bool verified)
        {
            if (status != NativeMethods.DGA_OK) return ErrorReply(status, err);
            Errors.Check(status, json, err);
            return verified ? new PaymentStatus(json) : new DgaCallbackData(json);
        }

        /// <summary>The body's references (null), or the reply to a body whose references cannot be read (400).</summary>
        private static DgaCallbackReply References(byte[] buffer, UIntPtr len, out string r1, out string r2)
        {
            IntPtr p1, p2, err;
            int status = NativeMethods.dga_callback_references(buffer, len, out p1, out p2, out err);
            r1 = NativeMethods.TakeString(p1);
            r2 = NativeMethods.TakeString(p2);
            return status == NativeMethods.DGA_OK && r1 != null && r2 != null ? null : ErrorReply(status, err);
        }

        /// <summary>The core's refusal of a reference the agency does not know: 404, counted, DGA not asked.</summary>
        private static DgaCallbackReply RefuseUnknown(DgaClientHandle h, string r1, string r2)
        {
            IntPtr err;
            int status = NativeMethods.dga_refuse_unknown_reference(h, NativeMethods.Utf8Z(r1, "reference1"), NativeMethods.Utf8Z(r2, "reference2"), out err);
            return ErrorReply(status, err);
        }

        /// <summary>The agency's own check failed: 503, so DGA delivers again.</summary>
        private static DgaCallbackReply Unavailable(Exception e)
        {
            int http;
            return Reply(NativeMethods.dga_callback_reply_unavailable(out http), http, false, null, e);
        }

        /// <summary>The core's reply for a failed call's error (which is freed here).</summary>
        private static DgaCallbackReply ErrorReply(int status, IntPtr err)
        {
            int http;
            var body = NativeMethods.dga_callback_reply_for_error(err, out http);
            return Reply(body, http, false, null, Errors.Take(status, err));
        }

        internal static DgaCallbackReply Reply(IntPtr body, int http, bool accepted, PaymentStatus data, Exception error)
        {
            if (body == IntPtr.Zero) throw new DgaInternalException("the native library gave no callback reply");
            return new DgaCallbackReply(http, accepted, NativeMethods.TakeString(body), data, error);
        }
    }
}
