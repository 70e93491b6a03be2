using System;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment
{
    /// <summary>
    /// What a callback endpoint answers DGA: HTTP status, content type and the acknowledgement
    /// JSON. The status codes are the core's (200 recorded; 400 invalid callback; 404 unknown
    /// payment; 409 DGA says Pending or another final status; 503 DGA could not be asked; 500
    /// the agency's handler failed), with fixed messages that repeat nothing DGA said, so every
    /// language's SDK answers alike. DGA delivers the callback again until it gets
    /// <c>result: true</c>.
    /// </summary>
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

        /// <summary>
        /// The core's answer to a callback body longer than <paramref name="limit"/> bytes, which
        /// the endpoint did not read: 413 with <c>result: false</c>. DGA's callbacks are a few
        /// hundred bytes; cap what a callback endpoint reads (the README's handler reads at most
        /// 64 KiB) so a hostile request cannot fill the server's memory.
        /// </summary>
        public static DgaCallbackReply TooLarge(int limit)
        {
            if (limit < 0) throw new ArgumentOutOfRangeException("limit");
            int http;
            IntPtr body = NativeMethods.dga_callback_reply_too_large(new UIntPtr((uint)limit), out http);
            if (body == IntPtr.Zero) throw new DgaInternalException("the native library gave no callback reply");
            return new DgaCallbackReply(http, false, NativeMethods.TakeString(body), null,
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

        /// <summary>
        /// Why the callback was not accepted: a <see cref="DgaException"/> (invalid callback,
        /// verification failed, DGA unreachable) or the exception the agency's handler threw.
        /// Log it; it is not sent to DGA. Null when accepted.
        /// </summary>
        public Exception Error { get; private set; }
    }

    public sealed partial class DgaClient
    {
        /// <summary>
        /// The whole callback endpoint, for any web framework: give it the raw request body as
        /// received; it parses it, confirms it with DGA's status (unless
        /// <paramref name="verify"/> is false), calls <paramref name="onVerified"/> with the
        /// verified status (record the payment there; throw to refuse), and returns the HTTP
        /// answer to write back. It does not throw for a bad callback, a failed verification
        /// or a failing handler: each becomes the core's reply (see <see cref="DgaCallbackReply"/>).
        /// </summary>
        public DgaCallbackReply HandleCallback(byte[] body, Action<PaymentStatus> onVerified, bool verify = true)
        {
            if (body == null) throw new ArgumentNullException("body");
            if (onVerified == null) throw new ArgumentNullException("onVerified");
            var h = Handle();
            var buffer = body.Length == 0 ? new byte[1] : body;
            IntPtr outJson, err;
            int status = NativeMethods.dga_receive_callback(h, buffer, new UIntPtr((uint)body.Length), verify, out outJson, out err);
            var json = NativeMethods.TakeString(outJson);
            int http;
            if (status != NativeMethods.DGA_OK)
            {
                if (err == IntPtr.Zero)
                {
                    var bug = new DgaInternalException("dga_receive_callback failed with status " + status + " but gave no error");
                    return Reply(NativeMethods.dga_callback_reply_for_error(IntPtr.Zero, out http), http, false, null, bug);
                }
                try
                {
                    var error = Errors.Describe(err);
                    return Reply(NativeMethods.dga_callback_reply_for_error(err, out http), http, false, null, error);
                }
                finally
                {
                    NativeMethods.dga_error_free(err);
                }
            }
            var node = Wire.Object(json);
            PaymentStatus data = verify ? new PaymentStatus(node, json) : new DgaCallbackData(node, json);
            try
            {
                onVerified(data);
            }
            catch (Exception e)
            {
                return Reply(NativeMethods.dga_callback_reply_handler_failed(out http), http, false, data, e);
            }
            return Reply(NativeMethods.dga_callback_reply_accepted(null, out http), http, true, data, null);
        }

        /// <summary>As <see cref="HandleCallback(byte[], Action{PaymentStatus}, bool)"/>, for a body already read as text (sent as UTF-8).</summary>
        public DgaCallbackReply HandleCallback(string body, Action<PaymentStatus> onVerified, bool verify = true)
        {
            if (body == null) throw new ArgumentNullException("body");
            return HandleCallback(System.Text.Encoding.UTF8.GetBytes(body), onVerified, verify);
        }

        /// <summary>
        /// <see cref="HandleCallback(byte[], Action{PaymentStatus}, bool)"/> without blocking a
        /// thread while DGA is asked: awaits the verification, then awaits
        /// <paramref name="onVerified"/> (record the payment there; throw to refuse), and gives
        /// the HTTP answer to write back. Cancelling <paramref name="cancellationToken"/> (the
        /// request was aborted) throws <see cref="OperationCanceledException"/>.
        /// </summary>
        public async Task<DgaCallbackReply> HandleCallbackAsync(byte[] body, Func<PaymentStatus, Task> onVerified, bool verify = true,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (body == null) throw new ArgumentNullException("body");
            if (onVerified == null) throw new ArgumentNullException("onVerified");
            var h = Handle();
            var buffer = body.Length == 0 ? new byte[1] : body;
            var len = new UIntPtr((uint)body.Length);
            var received = await AsyncCalls.StartRaw(cancellationToken, (cancel, cb, ud) =>
                NativeMethods.dga_receive_callback_async(h, buffer, len, verify, cancel, cb, ud)).ConfigureAwait(false);
            int http;
            if (received.Error != IntPtr.Zero)
            {
                try
                {
                    var error = Errors.Describe(received.Error);
                    return Reply(NativeMethods.dga_callback_reply_for_error(received.Error, out http), http, false, null, error);
                }
                finally
                {
                    NativeMethods.dga_error_free(received.Error);
                }
            }
            var json = received.Json;
            var node = Wire.Object(json);
            PaymentStatus data = verify ? new PaymentStatus(node, json) : new DgaCallbackData(node, json);
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

        /// <summary>As <see cref="HandleCallbackAsync(byte[], Func{PaymentStatus, Task}, bool, CancellationToken)"/>, with a synchronous handler.</summary>
        public Task<DgaCallbackReply> HandleCallbackAsync(byte[] body, Action<PaymentStatus> onVerified, bool verify = true,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (onVerified == null) throw new ArgumentNullException("onVerified");
            return HandleCallbackAsync(body, s => { onVerified(s); return Task.CompletedTask; }, verify, cancellationToken);
        }

        /// <summary>As <see cref="HandleCallbackAsync(byte[], Func{PaymentStatus, Task}, bool, CancellationToken)"/>, for a body already read as text (sent as UTF-8).</summary>
        public Task<DgaCallbackReply> HandleCallbackAsync(string body, Func<PaymentStatus, Task> onVerified, bool verify = true,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (body == null) throw new ArgumentNullException("body");
            return HandleCallbackAsync(System.Text.Encoding.UTF8.GetBytes(body), onVerified, verify, cancellationToken);
        }

        private static DgaCallbackReply Reply(IntPtr body, int http, bool accepted, PaymentStatus data, Exception error)
        {
            if (body == IntPtr.Zero) throw new DgaInternalException("the native library gave no callback reply");
            return new DgaCallbackReply(http, accepted, NativeMethods.TakeString(body), data, error);
        }
    }
}
