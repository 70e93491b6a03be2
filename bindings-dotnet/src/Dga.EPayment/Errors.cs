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
        internal static string Check(int status, string result, IntPtr err, Func<string, string> rename = null)
        {
            if (status != NativeMethods.DGA_OK) throw Take(status, err, rename);
            if (err != IntPtr.Zero) NativeMethods.dga_error_free(err);
            return result;
        }

        /// <summary>The exception of a failed call's error (freed); <paramref name="rename"/>, when given, names its fields.</summary>
        internal static Exception Take(int status, IntPtr err, Func<string, string> rename = null)
        {
            if (err == IntPtr.Zero) return new DgaInternalException("the native library failed with status " + status + " but gave no error");
            try
            {
                return Build(NativeMethods.dga_error_kind(err), NativeMethods.dga_error_api_code(err),
                    NativeMethods.ReadUtf8(NativeMethods.dga_error_json(err)), rename);
            }
            finally
            {
                NativeMethods.dga_error_free(err);
            }
        }

        internal static Exception Build(int kind, int apiCode, string json, Func<string, string> rename = null)
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
            if (rename != null && Rename(d, rename)) json = d.ToJson();
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

        /// <summary>Each error's field by its new name (when <paramref name="rename"/> has one), in the message too.</summary>
        private static bool Rename(JsonNode d, Func<string, string> rename)
        {
            var message = d.GetString("message");
            bool renamed = false;
            foreach (var e in Each(d, "errors", n => n))
            {
                string field = e.GetString("field"), problem = " " + e.GetString("message"), name = field == null ? null : rename(field);
                if (name == null || name == field) continue;
                message = message?.Replace(field + problem, name + problem);
                e.Members[e.Members.FindIndex(m => m.Key == "field")] = new KeyValuePair<string, JsonNode>("field", JsonNode.Str(name));
                renamed = true;
            }
            if (renamed) d.Members[d.Members.FindIndex(m => m.Key == "message")] = new KeyValuePair<string, JsonNode>("message", JsonNode.Str(message));
            return renamed;
        }

        /// <summary>The records of the error JSON's list <paramref name="key"/> (none when absent).</summary>
        internal static ReadOnlyCollection<T> Each<T>(JsonNode d, string key, Func<JsonNode, T> make)
        {
            var v = d?.Get(key);
            return new ReadOnlyCollection<T>(v != null && v.Kind == JsonKind.Array ? v.Items.Select(make).ToList() : new List<T>());
        }
    }
}
