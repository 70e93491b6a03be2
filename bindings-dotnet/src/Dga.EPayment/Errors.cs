// Turns a failing ABI call (status code + DgaError*) into the matching exception, built from the
// core's error JSON (dga_error_json, the schema's Error record) alone.
using System;
using System.Collections.Generic;
using System.Linq;

namespace Dga.EPayment
{
    internal static class Errors
    {
        /// <summary>A call's result; for a non-zero status, the error thrown. Frees the error either way.</summary>
        internal static string Check(int status, string result, IntPtr err)
        {
            if (status != NativeMethods.DGA_OK) throw Take(status, err);
            if (err != IntPtr.Zero) NativeMethods.dga_error_free(err);
            return result;
        }

        internal static Exception Take(int status, IntPtr err)
        {
            if (err == IntPtr.Zero) return new DgaInternalException("the native library failed with status " + status + " but gave no error");
            try
            {
                return Build(NativeMethods.dga_error_kind(err), NativeMethods.dga_error_api_code(err),
                    NativeMethods.ReadUtf8(NativeMethods.dga_error_json(err)));
            }
            finally
            {
                NativeMethods.dga_error_free(err);
            }
        }

        internal static Exception Build(int kind, int apiCode, string json)
        {
            JsonNode d;
            try
            {
                d = Wire.Object(json);
            }
            catch (DgaException e)
            {
                return new DgaInternalException("the native library's error JSON: " + e.Message);
            }
            var message = d.GetString("message") ?? "";
            DgaException ex;
            switch ((DgaErrorKind)kind)
            {
                case DgaErrorKind.Validation: ex = new DgaValidationException(message, FieldErrors(d)); break;
                case DgaErrorKind.Auth: ex = new DgaAuthException(message); break;
                case DgaErrorKind.Api: ex = new DgaApiException(message); break;
                case DgaErrorKind.Timeout: ex = new DgaTimeoutException(message); break;
                case DgaErrorKind.Network: ex = new DgaNetworkException(message); break;
                case DgaErrorKind.OutcomeUnknown: ex = new DgaOutcomeUnknownException(message); break;
                case DgaErrorKind.Protocol: ex = new DgaProtocolException(message); break;
                case DgaErrorKind.Callback: ex = new DgaCallbackException(message, FieldErrors(d)); break;
                case DgaErrorKind.Verification: ex = new DgaVerificationException(message, Mismatches(d)); break;
                case DgaErrorKind.InvalidArgument: return new DgaArgumentException(message);
                default: return new DgaInternalException(message);
            }
            // endpoint, status, errorCode, reference1/2, reason: the properties of the same names.
            Wire.Fill(ex, json, "Error");
            ex.IsTransient = d.GetString("transient") == "true";
            // dga_error_api_code: also an unknown code's own number (errorCodeNumber is not).
            if (ex is DgaApiException api) api.ErrorCodeNumber = apiCode;
            return ex;
        }

        private static List<DgaFieldError> FieldErrors(JsonNode d) => Each(d, "errors", e => new DgaFieldError(e.ToJson()));

        private static List<DgaMismatch> Mismatches(JsonNode d) => Each(d, "mismatches", m => new DgaMismatch(m.GetString("field"), m.GetString("callback"), m.GetString("dga")));

        private static List<T> Each<T>(JsonNode d, string key, Func<JsonNode, T> make)
        {
            var v = d.Get(key);
            return v != null && v.Kind == JsonKind.Array ? v.Items.Select(make).ToList() : new List<T>();
        }
    }
}
