using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dga.EPayment
{
    /// <summary>The native DgaClient*, freed once with dga_client_free.</summary>
    internal sealed class DgaClientHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        // Created by the marshaller for dga_client_new's return value.
        private DgaClientHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.dga_client_free(handle);
            return true;
        }
    }

    /// <summary>
    /// The DGA e-Payment client. One per configuration, shared by the whole application: it is
    /// safe to call from many threads at once and keeps one connection pool and one token cache.
    /// Calls block until DGA answers (or the timeout and retries run out). Dispose it when the
    /// application stops.
    /// </summary>
    public sealed partial class DgaClient : IDisposable
    {
        private readonly DgaClientHandle handle;

        static DgaClient()
        {
            // The core's WARNINGs reach DgaLog (or Trace) from the first client on.
            DgaLog.Attach();
        }

        /// <summary>Builds the client; no network call is made. Bad options throw <see cref="DgaValidationException"/>.</summary>
        public DgaClient(DgaClientOptions options)
            : this(New(options, false))
        {
        }

        private DgaClient(DgaClientHandle h)
        {
            handle = h;
        }

        /// <summary>
        /// A client configured from the environment (<c>DGA_CONSUMER_KEY</c>,
        /// <c>DGA_CONSUMER_SECRET</c>, <c>DGA_AGENT_ID</c>, <c>DGA_ENVIRONMENT</c>,
        /// <c>DGA_GATEWAY_URL</c>, <c>DGA_SOURCE</c>, <c>DGA_PROXY</c>, <c>DGA_CA_FILE</c>), with
        /// the non-null <paramref name="overrides"/> applied over it.
        /// </summary>
        public static DgaClient FromEnvironment(DgaClientOptions overrides = null) => new DgaClient(New(overrides, true));

        private static DgaClientHandle New(DgaClientOptions options, bool fromEnv)
        {
            if (options == null && !fromEnv) throw new ArgumentNullException("options");
            var config = NativeMethods.Utf8Z((options ?? new DgaClientOptions()).ToAbiJson(), "options");
            IntPtr err;
            var h = fromEnv
                ? NativeMethods.dga_client_new_from_env(config, out err)
                : NativeMethods.dga_client_new(config, out err);
            if (h == null || h.IsInvalid)
            {
                if (h != null)
                {
                    h.SetHandleAsInvalid();
                }
                throw Errors.Take(-1, err);
            }
            if (err != IntPtr.Zero)
            {
                NativeMethods.dga_error_free(err);
            }
            return h;
        }

        /// <summary>The native library's version (dga_version).</summary>
        public static string Version => NativeMethods.ReadUtf8(NativeMethods.dga_version());

        /// <summary>
        /// Creates a payment transaction. A failure after the request may have reached DGA is a
        /// <see cref="DgaOutcomeUnknownException"/>: check <see cref="Status"/> before retrying.
        /// </summary>
        public Payment CreatePayment(CreatePaymentRequest request)
        {
            if (request == null) throw new ArgumentNullException("request");
            var json = NativeMethods.Utf8Z(request.ToAbiJson(), "request");
            IntPtr j, e;
            var result = NativeMethods.Result(NativeMethods.dga_create_payment(Handle(), json, out j, out e), j, e);
            return new Payment(Wire.Object(result), result);
        }

        /// <summary>Reads a transaction's state from DGA (retried on transient failures).</summary>
        public PaymentStatus Status(string reference1, string reference2 = "")
        {
            var a = NativeMethods.Utf8Z(reference1, "reference1");
            var b = NativeMethods.Utf8Z(reference2 ?? "", "reference2");
            IntPtr j, e;
            var result = NativeMethods.Result(NativeMethods.dga_status(Handle(), a, b, out j, out e), j, e);
            return new PaymentStatus(Wire.Object(result), result);
        }

        /// <summary>Closes an unpaid transaction so it can no longer be paid.</summary>
        public Confirmation Close(string reference1, string reference2 = "")
        {
            var a = NativeMethods.Utf8Z(reference1, "reference1");
            var b = NativeMethods.Utf8Z(reference2 ?? "", "reference2");
            IntPtr j, e;
            var result = NativeMethods.Result(NativeMethods.dga_close(Handle(), a, b, out j, out e), j, e);
            return new Confirmation(Wire.Object(result), result);
        }

        /// <summary>
        /// Voids a paid FastPay transaction; <paramref name="paymentReference"/> is its
        /// <see cref="PaymentStatus.RefId"/>. May throw <see cref="DgaOutcomeUnknownException"/>.
        /// </summary>
        public Confirmation Void(string reference1, string reference2, string paymentReference)
        {
            var a = NativeMethods.Utf8Z(reference1, "reference1");
            var b = NativeMethods.Utf8Z(reference2 ?? "", "reference2");
            var c = NativeMethods.Utf8Z(paymentReference, "paymentReference");
            IntPtr j, e;
            var result = NativeMethods.Result(NativeMethods.dga_void(Handle(), a, b, c, out j, out e), j, e);
            return new Confirmation(Wire.Object(result), result);
        }

        /// <summary>
        /// Decides a callback by DGA's own status for its references (the core's callback
        /// contract): accepted when DGA's status is final and the callback claims the same,
        /// Pending, or nothing readable; other fields (amount, refId) never refuse it. Returns
        /// DGA's status; act on that, never on the callback. Otherwise a
        /// <see cref="DgaVerificationException"/> whose <c>Reason</c> says why.
        /// </summary>
        public PaymentStatus VerifyCallback(DgaCallbackData callback)
        {
            if (callback == null) throw new ArgumentNullException("callback");
            var json = NativeMethods.Utf8Z(callback.Json, "callback");
            IntPtr j, e;
            var result = NativeMethods.Result(NativeMethods.dga_verify_callback(Handle(), json, out j, out e), j, e);
            return new PaymentStatus(Wire.Object(result), result);
        }

        /// <summary>Frees the native client. Calling it again does nothing; any other call afterwards throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            if (handle != null)
            {
                // A call in flight holds a reference on the handle (P/Invoke marshalling adds
                // one), so the native client is freed only once that call returns.
                handle.Dispose();
            }
        }

        internal DgaClientHandle Handle()
        {
            if (handle == null || handle.IsClosed) throw new ObjectDisposedException("DgaClient");
            return handle;
        }

        /// <inheritdoc />
        public override string ToString() => handle == null || handle.IsClosed ? "DgaClient(disposed)" : "DgaClient";
    }

    /// <summary>Parsing and acknowledging DGA's callbacks (no client needed).</summary>
    public static class DgaCallback
    {
        /// <summary>
        /// Parses a callback body exactly as received (bytes). Every missing or invalid field
        /// is reported at once in a <see cref="DgaCallbackException"/>. The result is not yet
        /// trusted: confirm it with <see cref="DgaClient.VerifyCallback"/>.
        /// </summary>
        public static DgaCallbackData Parse(byte[] body)
        {
            if (body == null) throw new ArgumentNullException("body");
            // An empty array may be marshalled as a NULL pointer, which the ABI refuses; the
            // length says 0 either way.
            var buffer = body.Length == 0 ? new byte[1] : body;
            IntPtr j, e;
            var result = NativeMethods.Result(NativeMethods.dga_parse_callback(buffer, new UIntPtr((uint)body.Length), out j, out e), j, e);
            return new DgaCallbackData(Wire.Object(result), result);
        }

        /// <summary>Parses a callback body given as text (encoded as UTF-8).</summary>
        public static DgaCallbackData Parse(string body)
        {
            if (body == null) throw new ArgumentNullException("body");
            return Parse(System.Text.Encoding.UTF8.GetBytes(body));
        }

        /// <summary>
        /// The JSON DGA expects in answer to a callback:
        /// <c>{"requestTimeStamp": …, "message": …, "result": true|false}</c>. Answer false when
        /// the callback could not be taken, so DGA sends it again.
        /// </summary>
        public static string Ack(bool accepted, string message = "Success")
        {
            var m = NativeMethods.Utf8Z(message ?? "", "message");
            var p = NativeMethods.dga_callback_ack(accepted, m);
            if (p == IntPtr.Zero) throw new DgaInternalException("dga_callback_ack returned NULL");
            return NativeMethods.TakeString(p);
        }
    }

    /// <summary>The page that sends the citizen to KTB's payment page.</summary>
    public static class DgaCheckout
    {
        /// <summary>An auto-submitting HTML form posting the payment's fields to its gateway URL (every value escaped).</summary>
        public static string FormHtml(Payment payment)
        {
            if (payment == null) throw new ArgumentNullException("payment");
            var json = NativeMethods.Utf8Z(payment.Json, "payment");
            IntPtr j, e;
            return NativeMethods.Result(NativeMethods.dga_checkout_form_html(json, out j, out e), j, e);
        }
    }

    /// <summary>Thai citizen ID (เลขประจำตัวประชาชน) checks.</summary>
    public static class DgaCitizenId
    {
        /// <summary>True when <paramref name="id"/> is exactly 13 ASCII digits with a correct check digit.</summary>
        public static bool Validate(string id)
        {
            if (id == null || id.IndexOf('\0') >= 0) return false;
            byte[] bytes;
            try
            {
                bytes = NativeMethods.Utf8Z(id, "id");
            }
            catch (ArgumentException)
            {
                return false;
            }
            return NativeMethods.dga_validate_citizen_id(bytes);
        }
    }
}
