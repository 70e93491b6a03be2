// Turns a failing ABI call (status code + DgaError*) into the matching exception. The error
// object is always freed here, whatever happens (try/finally).
using System;
using System.Collections.Generic;

namespace Dga.EPayment
{
    internal static class Errors
    {
        /// <summary>
        /// Throws for a non-zero status. <paramref name="references"/> are the references the call
        /// used (create, void), for an outcome-unknown error when the library gives no details.
        /// </summary>
        internal static void Check(int status, IntPtr err, string[] references = null)
        {
            if (status == NativeMethods.DGA_OK)
            {
                if (err != IntPtr.Zero)
                {
                    NativeMethods.dga_error_free(err);
                }
                return;
            }
            throw Take(status, err, references);
        }

        internal static Exception Take(int status, IntPtr err, string[] references = null)
        {
            if (err == IntPtr.Zero)
            {
                return new DgaInternalException("the native library failed with status " + status + " but gave no error");
            }
            try
            {
                return Describe(err, references);
            }
            finally
            {
                NativeMethods.dga_error_free(err);
            }
        }

        /// <summary>The exception for a live DgaError (which the caller still frees).</summary>
        internal static Exception Describe(IntPtr err, string[] references = null)
        {
            int kind = NativeMethods.dga_error_kind(err);
            int apiCode = NativeMethods.dga_error_api_code(err);
            string message = NativeMethods.ReadUtf8(NativeMethods.dga_error_message(err)) ?? "";
            JsonNode detail = null;
            var json = NativeMethods.ReadUtf8(NativeMethods.dga_error_json(err));
            if (!string.IsNullOrEmpty(json))
            {
                try
                {
                    detail = JsonNode.Parse(json);
                    if (detail.Kind != JsonKind.Object)
                    {
                        detail = null;
                    }
                }
                catch (Exception)
                {
                    // The message alone still describes the failure.
                    detail = null;
                }
            }
            return Build(kind, apiCode, message, detail, references);
        }

        internal static Exception Build(int kind, int apiCode, string message, JsonNode detail, string[] references)
        {
            string endpoint = detail == null ? null : detail.GetString("endpoint");
            switch ((DgaErrorKind)kind)
            {
                case DgaErrorKind.Validation:
                    return new DgaValidationException(message, FieldErrors(detail));
                case DgaErrorKind.Auth:
                    return new DgaAuthException(message, endpoint);
                case DgaErrorKind.Api:
                {
                    string codeRaw = null;
                    string statusRaw = null;
                    ErrorCode? code = null;
                    ResponseStatus? st = null;
                    if (detail != null)
                    {
                        code = Read.Enum<ErrorCode>(detail, "errorCode", out codeRaw);
                        st = Read.Enum<ResponseStatus>(detail, "status", out statusRaw);
                    }
                    else if (apiCode != 0 && Enum.IsDefined(typeof(ErrorCode), apiCode))
                    {
                        code = (ErrorCode)apiCode;
                        codeRaw = code.Value.ToString();
                    }
                    if (code == null && apiCode != 0 && Enum.IsDefined(typeof(ErrorCode), apiCode))
                    {
                        code = (ErrorCode)apiCode;
                    }
                    return new DgaApiException(message, endpoint, code, codeRaw, apiCode, st, statusRaw);
                }
                case DgaErrorKind.Timeout:
                    return new DgaTimeoutException(message, endpoint);
                case DgaErrorKind.Network:
                    return new DgaNetworkException(message, endpoint);
                case DgaErrorKind.OutcomeUnknown:
                {
                    string r1 = detail == null ? null : detail.GetString("reference1");
                    string r2 = detail == null ? null : detail.GetString("reference2");
                    if (r1 == null && references != null)
                    {
                        r1 = references[0];
                        r2 = references[1];
                    }
                    return new DgaOutcomeUnknownException(message, endpoint, r1, r2 ?? "");
                }
                case DgaErrorKind.Protocol:
                    return new DgaProtocolException(message, endpoint);
                case DgaErrorKind.Callback:
                    return new DgaCallbackException(message, FieldErrors(detail));
                case DgaErrorKind.Verification:
                    return new DgaVerificationException(message, detail == null ? null : detail.GetString("reason"), Mismatches(detail));
                case DgaErrorKind.InvalidArgument:
                    return new DgaArgumentException(message);
                default:
                    return new DgaInternalException(message);
            }
        }

        private static List<DgaFieldError> FieldErrors(JsonNode detail)
        {
            var list = new List<DgaFieldError>();
            var errors = detail == null ? null : detail.Get("errors");
            if (errors == null || errors.Kind != JsonKind.Array)
            {
                return list;
            }
            foreach (var e in errors.Items)
            {
                list.Add(new DgaFieldError(e.GetString("field"), e.GetString("message"), Int(e, "line"), Int(e, "column")));
            }
            return list;
        }

        private static List<DgaMismatch> Mismatches(JsonNode detail)
        {
            var list = new List<DgaMismatch>();
            var ms = detail == null ? null : detail.Get("mismatches");
            if (ms == null || ms.Kind != JsonKind.Array)
            {
                return list;
            }
            foreach (var m in ms.Items)
            {
                list.Add(new DgaMismatch(m.GetString("field"), m.GetString("callback"), m.GetString("dga")));
            }
            return list;
        }

        private static int? Int(JsonNode o, string key)
        {
            var v = o.Get(key);
            int n;
            if (v != null && v.Kind == JsonKind.Number && int.TryParse(v.Text, out n))
            {
                return n;
            }
            return null;
        }
    }
}
