using System;
using Microsoft.Win32.SafeHandles;

namespace Dga.EPayment
{
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

    /// <summary>The DGA e-Payment client: one per configuration, shared by the whole application
    /// (thread-safe; one connection pool and token cache). Dispose it when the application stops.</summary>
    public sealed partial class DgaClient : IDisposable
    {
        private readonly DgaClientHandle handle;

        /// <summary>Builds the client; no network call is made. Bad options throw <see cref="DgaValidationException"/>.</summary>
        public DgaClient(DgaClientOptions options)
            : this(New(options, false))
        {
        }

        private DgaClient(DgaClientHandle h)
        {
            handle = h;
        }

        /// <summary>A client from the environment (<c>DGA_CONSUMER_KEY</c>, <c>DGA_CONSUMER_SECRET</c>,
        /// <c>DGA_AGENT_ID</c>, … as the README lists), with the non-null <paramref name="overrides"/> over it.</summary>
        public static DgaClient FromEnvironment(DgaClientOptions overrides = null) => new DgaClient(New(overrides, true));

        private static DgaClientHandle New(DgaClientOptions options, bool fromEnv)
        {
            if (options == null && !fromEnv) throw new ArgumentNullException("options");
            var config = NativeMethods.Utf8Z((options ?? new DgaClientOptions()).ToAbiJson(), "options");
            // The core's WARNINGs reach DgaLog (or Trace) from the first client on.
            AsyncCalls.Attach();
            IntPtr err;
            var h = fromEnv
                ? NativeMethods.dga_client_new_from_env(config, out err)
                : NativeMethods.dga_client_new(config, out err);
            if (h != null && h.IsInvalid) h.SetHandleAsInvalid();
            Errors.Check(h == null || h.IsInvalid ? -1 : NativeMethods.DGA_OK, null, err, DgaClientOptions.PropertyOf);
            return h;
        }

        /// <summary>The native library's version (dga_version).</summary>
        public static string Version => NativeMethods.ReadUtf8(NativeMethods.dga_version());

        /// <summary>Creates a payment transaction. A failure after the request may have reached DGA is a
        /// <see cref="DgaOutcomeUnknownException"/>: check <see cref="Status"/> before retrying.</summary>
        public Payment CreatePayment(CreatePaymentRequest request)
        {
            var json = AbiJson(request, "request");
            IntPtr j, e;
            return ReadPayment(NativeMethods.dga_create_payment(Handle(), json, out j, out e), NativeMethods.TakeString(j), e);
        }

        /// <summary>Reads a transaction's state from DGA (retried on transient failures).</summary>
        public PaymentStatus Status(string reference1, string reference2 = "")
        {
            var r = Refs(reference1, reference2);
            IntPtr j, e;
            return ReadStatus(NativeMethods.dga_status(Handle(), r[0], r[1], out j, out e), NativeMethods.TakeString(j), e);
        }

        /// <summary>Closes an unpaid transaction so it can no longer be paid.</summary>
        public Confirmation Close(string reference1, string reference2 = "")
        {
            var r = Refs(reference1, reference2);
            IntPtr j, e;
            return ReadConfirmation(NativeMethods.dga_close(Handle(), r[0], r[1], out j, out e), NativeMethods.TakeString(j), e);
        }

        /// <summary>Voids a paid FastPay transaction; <paramref name="paymentReference"/> is its
        /// <see cref="PaymentStatus.RefId"/>. May throw <see cref="DgaOutcomeUnknownException"/>.</summary>
        public Confirmation Void(string reference1, string reference2, string paymentReference)
        {
            var r = Refs(reference1, reference2);
            var c = NativeMethods.Utf8Z(paymentReference, "paymentReference");
            IntPtr j, e;
            return ReadConfirmation(NativeMethods.dga_void(Handle(), r[0], r[1], c, out j, out e), NativeMethods.TakeString(j), e);
        }

        /// <summary>Confirms a callback by DGA's own status (the core's callback contract) and returns that status:
        /// act on it, never on the callback. A refusal is a <see cref="DgaVerificationException"/> whose <c>Reason</c> says why.</summary>
        public PaymentStatus VerifyCallback(DgaCallbackData callback)
        {
            var json = AbiJson(callback, "callback");
            IntPtr j, e;
            return ReadStatus(NativeMethods.dga_verify_callback(Handle(), json, out j, out e), NativeMethods.TakeString(j), e);
        }

        private static byte[] AbiJson(object record, string name)
        {
            if (record == null) throw new ArgumentNullException(name);
            return NativeMethods.Utf8Z(record is CreatePaymentRequest ? ((CreatePaymentRequest)record).ToAbiJson() : ((PaymentStatus)record).Json, name);
        }

        // reference2 may be null (empty).
        private static byte[][] Refs(string reference1, string reference2) =>
            new[] { NativeMethods.Utf8Z(reference1, "reference1"), NativeMethods.Utf8Z(reference2 ?? "", "reference2") };

        // A result from its call's status, JSON and DgaError* (thrown unless the status is DGA_OK; freed either way).
        private static readonly Func<int, string, IntPtr, Payment> ReadPayment = (k, r, e) => new Payment(Errors.Check(k, r, e));
        private static readonly Func<int, string, IntPtr, PaymentStatus> ReadStatus = (k, r, e) => new PaymentStatus(Errors.Check(k, r, e));
        private static readonly Func<int, string, IntPtr, Confirmation> ReadConfirmation = (k, r, e) => new Confirmation(Errors.Check(k, r, e));

        /// <summary>Frees the native client. Calling it again does nothing; any other call afterwards throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            // A call in flight holds a reference on the handle (P/Invoke marshalling adds one), so
            // the native client is freed only once that call returns.
            handle?.Dispose();
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
        /// <summary>Parses a callback body as received; every bad field is named in one <see cref="DgaCallbackException"/>.
        /// Not yet trusted: confirm it with <see cref="DgaClient.VerifyCallback"/>.</summary>
        public static DgaCallbackData Parse(byte[] body)
        {
            IntPtr j, e;
            var result = NativeMethods.Result(NativeMethods.dga_parse_callback(NativeMethods.Body(body), new UIntPtr((uint)body.Length), out j, out e), j, e);
            return new DgaCallbackData(result);
        }

        /// <summary>Parses a callback body given as text (encoded as UTF-8).</summary>
        public static DgaCallbackData Parse(string body) => Parse(NativeMethods.Utf8(body, "body"));

        /// <summary>The JSON DGA expects in answer to a callback; false when it could not be taken (DGA sends
        /// it again).</summary>
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
            try
            {
                return id != null && NativeMethods.dga_validate_citizen_id(NativeMethods.Utf8Z(id, "id"));
            }
            catch (ArgumentException)
            {
                return false; // a NUL or an unpaired surrogate
            }
        }
    }
}
