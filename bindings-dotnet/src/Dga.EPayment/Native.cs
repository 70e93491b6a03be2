// The C ABI of include/dga_epayment.h: docs/architecture.md#the-c-abi, plus the header's
// dga_client_new_from_env, dga_receive_callback, dga_callback_reply_*, dga_error_json and the
// *_json tables. Strings go in as NUL-terminated UTF-8 byte arrays; every char* the library hands out is
// read here and given back to dga_string_free (Rust allocates, Rust frees).
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Dga.EPayment
{
    internal static partial class NativeMethods
    {
        // "dga_epayment": libdga_epayment.so on Linux (LD_LIBRARY_PATH, or a <dllmap>),
        // dga_epayment.dll beside the .exe on Windows.
        internal const string Lib = "dga_epayment";

        internal const int DGA_OK = 0;

        // Every export is cdecl (the default on x86 Windows would be stdcall).
        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_version();

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern DgaClientHandle dga_client_new(byte[] configJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern DgaClientHandle dga_client_new_from_env(byte[] configJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dga_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_create_payment(DgaClientHandle client, byte[] requestJson, out IntPtr outJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_status(DgaClientHandle client, byte[] reference1, byte[] reference2, out IntPtr outJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_close(DgaClientHandle client, byte[] reference1, byte[] reference2, out IntPtr outJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_void(DgaClientHandle client, byte[] reference1, byte[] reference2, byte[] paymentReference,
            out IntPtr outJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_verify_callback(DgaClientHandle client, byte[] callbackJson, out IntPtr outJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_receive_callback(DgaClientHandle client, byte[] body, UIntPtr len, [MarshalAs(UnmanagedType.U1)] bool verify,
            out IntPtr outJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_callback_references(byte[] body, UIntPtr len, out IntPtr outReference1, out IntPtr outReference2, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_refuse_unknown_reference(DgaClientHandle client, byte[] reference1, byte[] reference2, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_verification_stats_json(DgaClientHandle client);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_callback_reply_unavailable(out int outHttpStatus);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_parse_callback(byte[] body, UIntPtr len, out IntPtr outJson, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_checkout_form_html(byte[] paymentJson, out IntPtr outHtml, out IntPtr outErr);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_callback_ack([MarshalAs(UnmanagedType.U1)] bool accepted, byte[] message);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_callback_reply_accepted(byte[] message, out int outHttpStatus);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_callback_reply_for_error(IntPtr error, out int outHttpStatus);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_callback_reply_handler_failed(out int outHttpStatus);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_callback_reply_too_large(UIntPtr limit, out int outHttpStatus);

        /// <summary>Static: never freed.</summary>
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_callback_reply_content_type();

        [DllImport(Lib, CallingConvention = Cdecl)] [return: MarshalAs(UnmanagedType.U1)]
        internal static extern bool dga_validate_citizen_id(byte[] id);

        /// <summary>Static: never freed.</summary>
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_enum_tables_json();

        /// <summary>Static: never freed.</summary>
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_error_kinds_json();

        /// <summary>Static: never freed.</summary>
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_schema_json();

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_error_kind(IntPtr error);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern int dga_error_api_code(IntPtr error);

        /// <summary>Owned by the error: never freed.</summary>
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dga_error_json(IntPtr error);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dga_error_free(IntPtr error);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dga_string_free(IntPtr s);

        // ------------------------------------------------------------ marshalling helpers

        /// <summary>
        /// NUL-terminated UTF-8. A C string ends at the first NUL, so a .NET string holding one
        /// would reach the library cut short (another transaction's reference): refuse it.
        /// Unpaired surrogates are refused too, instead of silently becoming U+FFFD.
        /// </summary>
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
            var bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>A native call's result string, or the core's error thrown (both freed).</summary>
        internal static string Result(int status, IntPtr outJson, IntPtr err)
        {
            var result = TakeString(outJson);
            Errors.Check(status, err);
            return result;
        }

        /// <summary>Reads a string the library handed out, then gives it back to dga_string_free.</summary>
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
