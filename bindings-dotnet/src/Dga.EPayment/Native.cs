// The C ABI of include/dga_epayment.h: docs/architecture.md#the-c-abi, plus the header's
// dga_client_new_from_env, dga_receive_callback, dga_callback_reply_*, dga_error_json and the
// *_json tables. Strings go in as NUL-terminated UTF-8 byte arrays; every char* the library hands out is
// read here and given back to dga_string_free (Rust allocates, Rust frees).
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Dga.EPayment
{
    // .NET Framework checks the caller's permission to run native code on every call without it.
    [System.Security.SuppressUnmanagedCodeSecurity]
    internal static partial class NativeMethods
    {
        // "dga_epayment": libdga_epayment.so on Linux (LD_LIBRARY_PATH, or a <dllmap>),
        // dga_epayment.dll beside the .exe on Windows.
        internal const string Lib = "dga_epayment";

        internal const int DGA_OK = 0;

        // Every export is cdecl (the default on x86 Windows would be stdcall). The DllImports,
        // one per function of the C header, are generated: NativeImports.cs.
        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        // NUL-terminated UTF-8. A string holding a NUL would reach the library cut short (another
        // transaction's reference), an unpaired surrogate as U+FFFD: both are refused.
        internal static byte[] Utf8Z(string s, string paramName)
        {
            if (s == null) throw new ArgumentNullException(paramName);
            if (s.IndexOf('\0') >= 0) throw new ArgumentException("must not contain a NUL character", paramName);
            try
            {
                int n = JsonNode.StrictUtf8.GetByteCount(s);
                var bytes = new byte[n + 1];
                JsonNode.StrictUtf8.GetBytes(s, 0, s.Length, bytes, 0);
                return bytes;
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("is not valid Unicode text (unpaired surrogate)", paramName, e);
            }
        }

        // A text body as UTF-8, as sent (lenient: what the core reads is its business).
        internal static byte[] Utf8(string s, string paramName) => Encoding.UTF8.GetBytes(s ?? throw new ArgumentNullException(paramName));

        // An empty array may be marshalled as a NULL pointer, which the ABI refuses; the length says 0 either way.
        internal static byte[] Body(byte[] body) => (body ?? throw new ArgumentNullException("body")).Length == 0 ? new byte[1] : body;

        /// <summary>Reads a NUL-terminated UTF-8 string the library owns (does not free it).</summary>
        internal static string ReadUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            // Byte by byte up to an 8-byte boundary, then a word at a time: an aligned word never
            // crosses into another page, so reading the whole word that holds the NUL is safe.
            while (((p.ToInt64() + len) & 7) != 0 && Marshal.ReadByte(p, len) != 0)
            {
                len++;
            }
            if (((p.ToInt64() + len) & 7) == 0)
            {
                while (true)
                {
                    long word = Marshal.ReadInt64(p, len);
                    if (((word - 0x0101010101010101L) & ~word & unchecked((long)0x8080808080808080UL)) != 0) break;
                    len += 8;
                }
                while (Marshal.ReadByte(p, len) != 0)
                {
                    len++;
                }
            }
            var bytes = len <= 4096 ? copied ?? (copied = new byte[4096]) : new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes, 0, len);
        }

        // A result's bytes on their way to a string: one buffer per thread, not an array per call.
        [ThreadStatic]
        private static byte[] copied;

        /// <summary>A native call's result string, or the core's error thrown (both freed).</summary>
        internal static string Result(int status, IntPtr outJson, IntPtr err) => Errors.Check(status, TakeString(outJson), err);

        internal static string TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try
            {
                return ReadUtf8(p);
            }
            finally
            {
                dga_string_free(p);
            }
        }
    }
}
