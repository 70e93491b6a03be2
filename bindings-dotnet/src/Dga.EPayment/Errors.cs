// Turns a failing ABI call (status code + DgaError*) into the matching exception, built from the
// core's error JSON (dga_error_json, the schema's Error record) alone.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
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
            if ((DgaErrorKind)kind == DgaErrorKind.InvalidArgument) return new DgaArgumentException(message);
            var ex = ErrorKinds.Exception((DgaErrorKind)kind, message, d);
            if (ex == null) return new DgaInternalException(message);
            // endpoint, status, errorCode, reference1/2, reason: the properties of the same names.
            Wire.Fill(ex, json, "Error");
            ex.IsTransient = d.GetString("transient") == "true";
            // dga_error_api_code: as errorCodeNumber, an unknown code's own number too.
            if (ex is DgaApiException api) api.ErrorCodeNumber = apiCode;
            return ex;
        }

        /// <summary>The records of the error JSON's list <paramref name="key"/> (none when absent).</summary>
        internal static ReadOnlyCollection<T> Each<T>(JsonNode d, string key, Func<JsonNode, T> make)
        {
            var v = d?.Get(key);
            return new ReadOnlyCollection<T>(v != null && v.Kind == JsonKind.Array ? v.Items.Select(make).ToList() : new List<T>());
        }
    }
}
