// One exception per error kind of the core (docs/architecture.md#errors), all deriving from
// DgaException. Messages come from the core, which never puts a secret or a token in them.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace Dga.EPayment
{
    /// <summary>One problem with one field, by the guide's name (or <c>body</c>).</summary>
    public sealed class DgaFieldError
    {
        internal DgaFieldError(string json) => Wire.Fill(this, json, "FieldError");

        /// <summary>The guide's field name (<c>customerID</c>, <c>paidStatus</c>), or <c>body</c>.</summary>
        public string Field { get; private set; }

        /// <summary>What is wrong, worded to follow the field name.</summary>
        public string Message { get; private set; }

        /// <summary>For a JSON syntax error in a callback body: the line (1-based).</summary>
        public int? Line { get; private set; }

        /// <summary>For a JSON syntax error: the byte column on that line (0 when nothing was read).</summary>
        public int? Column { get; private set; }

        /// <inheritdoc />
        public override string ToString() => Field + " " + Message;
    }

    /// <summary>A field on which a callback and DGA's own status disagree.</summary>
    public sealed class DgaMismatch
    {
        internal DgaMismatch(string field, string callback, string dga)
        {
            Field = field;
            CallbackValue = callback;
            DgaValue = dga;
        }

        /// <summary>The guide's field name (<c>amount</c>, <c>paidStatus</c>, …).</summary>
        public string Field { get; private set; }

        /// <summary>The value in the callback.</summary>
        public string CallbackValue { get; private set; }

        /// <summary>The value DGA's status gave.</summary>
        public string DgaValue { get; private set; }
    }

    /// <summary>Every failure of the SDK. Catch a subclass to handle one kind.</summary>
    public class DgaException : Exception
    {
        internal DgaException(DgaErrorKind kind, string message)
            : base(message)
        {
            Kind = kind;
        }

        /// <summary>The kind of failure.</summary>
        public DgaErrorKind Kind { get; private set; }

        /// <summary>The call that failed (<c>token</c>, <c>create</c>, <c>close</c>, <c>void</c>, <c>status</c>), or null.</summary>
        public string Endpoint { get; private set; }

        /// <summary>Whether repeating the call later may succeed, as the core says (never for an outcome unknown).</summary>
        public bool IsTransient { get; internal set; }
    }

    /// <summary>Bad input caught before any network call; <see cref="FieldErrors"/> names every bad field.</summary>
    public class DgaValidationException : DgaException
    {
        internal DgaValidationException(string message, IList<DgaFieldError> errors)
            : base(DgaErrorKind.Validation, message)
        {
            FieldErrors = new ReadOnlyCollection<DgaFieldError>(errors ?? new List<DgaFieldError>());
        }

        /// <summary>Every bad field or setting, by the guide's name.</summary>
        public ReadOnlyCollection<DgaFieldError> FieldErrors { get; private set; }
    }

    /// <summary>A token could not be obtained (credentials rejected, or retries exhausted).</summary>
    public class DgaAuthException : DgaException
    {
        internal DgaAuthException(string message) : base(DgaErrorKind.Auth, message) { }
    }

    /// <summary>DGA refused the call: its envelope said <c>status</c> = Error.</summary>
    public class DgaApiException : DgaException
    {
        internal DgaApiException(string message) : base(DgaErrorKind.Api, message) { }

        /// <summary>DGA's errorCode; null when DGA sent none or a value outside the guide's table (see <see cref="ErrorCodeRaw"/>).</summary>
        public ErrorCode? ErrorCode { get; private set; }

        /// <summary>DGA's errorCode as the core reports it: the guide's name, or the raw value when unknown; null when none.</summary>
        public string ErrorCodeRaw { get; private set; }

        /// <summary>The guide's number of the errorCode (<c>dga_error_api_code</c>), 0 when none or unknown.</summary>
        public int ErrorCodeNumber { get; internal set; }

        /// <summary>DGA's envelope status (Error, or null for a value outside the table: see <see cref="StatusRaw"/>).</summary>
        public ResponseStatus? Status { get; private set; }

        /// <summary>DGA's envelope status as reported by the core (name, or raw value), or null when not available.</summary>
        public string StatusRaw { get; private set; }
    }

    /// <summary>The call took longer than the configured timeout (after any allowed retries).</summary>
    public class DgaTimeoutException : DgaException
    {
        internal DgaTimeoutException(string message) : base(DgaErrorKind.Timeout, message) { }
    }

    /// <summary>The connection failed (after any allowed retries).</summary>
    public class DgaNetworkException : DgaException
    {
        internal DgaNetworkException(string message) : base(DgaErrorKind.Network, message) { }
    }

    /// <summary>A create or void may have reached DGA: call <see cref="DgaClient.Status"/> with
    /// <see cref="Reference1"/> and <see cref="Reference2"/> before anything else.</summary>
    public class DgaOutcomeUnknownException : DgaException
    {
        internal DgaOutcomeUnknownException(string message) : base(DgaErrorKind.OutcomeUnknown, message) { }

        /// <summary>The transaction's requestReference1, to pass to status.</summary>
        public string Reference1 { get; private set; }

        /// <summary>The transaction's requestReference2 (may be empty), to pass to status.</summary>
        public string Reference2 { get; private set; }
    }

    /// <summary>DGA answered something the SDK cannot read.</summary>
    public class DgaProtocolException : DgaException
    {
        internal DgaProtocolException(string message) : base(DgaErrorKind.Protocol, message) { }
    }

    /// <summary>A callback body is invalid; <see cref="FieldErrors"/> lists every problem.</summary>
    public class DgaCallbackException : DgaException
    {
        internal DgaCallbackException(string message, IList<DgaFieldError> errors)
            : base(DgaErrorKind.Callback, message)
        {
            FieldErrors = new ReadOnlyCollection<DgaFieldError>(errors ?? new List<DgaFieldError>());
        }

        /// <summary>Every missing or invalid field, or the body's JSON syntax error with its position.</summary>
        public ReadOnlyCollection<DgaFieldError> FieldErrors { get; private set; }
    }

    /// <summary>DGA's status does not confirm a callback: do not act on it; <see cref="Reason"/> says why.</summary>
    public class DgaVerificationException : DgaException
    {
        internal DgaVerificationException(string message, IList<DgaMismatch> mismatches)
            : base(DgaErrorKind.Verification, message)
        {
            Mismatches = new ReadOnlyCollection<DgaMismatch>(mismatches ?? new List<DgaMismatch>());
        }

        /// <summary><c>unknown_payment</c>, <c>pending_at_dga</c> or <c>status_differs</c>, as the core gives it.</summary>
        public string Reason { get; private set; }

        /// <summary>What disagreed, for the agency's own logs (never sent to DGA).</summary>
        public ReadOnlyCollection<DgaMismatch> Mismatches { get; private set; }
    }

    /// <summary>A bug in the native library (it caught a panic). Please report it.</summary>
    public class DgaInternalException : DgaException
    {
        internal DgaInternalException(string message) : base(DgaErrorKind.Internal, message) { }
    }

    /// <summary>The native library refused an argument (malformed JSON, invalid UTF-8): the caller's bug.</summary>
    public class DgaArgumentException : ArgumentException
    {
        internal DgaArgumentException(string message) : base(message) { }

        /// <summary>Always <see cref="DgaErrorKind.InvalidArgument"/>.</summary>
        public DgaErrorKind Kind => DgaErrorKind.InvalidArgument;
    }
}
