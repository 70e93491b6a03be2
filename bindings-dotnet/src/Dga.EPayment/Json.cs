// JSON across the C ABI: a small reader and writer of our own (RFC 8259, strict), so there is no
// NuGet dependency and no detour through an XML reader on every call. A small tree keeps
// numbers as their exact text: amounts and unknown enum values must never pass through a double.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Dga.EPayment
{
    internal enum JsonKind
    {
        Null,
        Bool,
        Number,
        String,
        Array,
        Object,

        /// <summary>JSON text written as it stands (checked when made).</summary>
        Raw,
    }

    /// <summary>One JSON value; numbers keep their exact text.</summary>
    internal sealed class JsonNode
    {
        internal static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        public JsonKind Kind { get; private set; }

        /// <summary>The text of a string, number or boolean (<c>true</c>/<c>false</c>).</summary>
        public string Text { get; private set; }

        public List<KeyValuePair<string, JsonNode>> Members { get; private set; }

        public List<JsonNode> Items { get; private set; }

        public static readonly JsonNode Null = new JsonNode { Kind = JsonKind.Null };

        public static JsonNode Str(string s) => s == null ? Null : new JsonNode { Kind = JsonKind.String, Text = s };

        public static JsonNode Bool(bool b) => new JsonNode { Kind = JsonKind.Bool, Text = b ? "true" : "false" };

        public static JsonNode Number(string exactText) => new JsonNode { Kind = JsonKind.Number, Text = exactText };

        public static JsonNode Raw(string checkedJson) => new JsonNode { Kind = JsonKind.Raw, Text = checkedJson };

        public static JsonNode Number(long n) => Number(n.ToString(CultureInfo.InvariantCulture));

        public static JsonNode Object() => new JsonNode { Kind = JsonKind.Object, Members = new List<KeyValuePair<string, JsonNode>>(16) };

        public JsonNode Add(string key, JsonNode value)
        {
            Members.Add(new KeyValuePair<string, JsonNode>(key, value ?? Null));
            return this;
        }

        /// <summary>The member's value, or null when absent (JSON null is <see cref="Null"/>).</summary>
        public JsonNode Get(string key)
        {
            if (Kind != JsonKind.Object) return null;
            // The last one wins, as in the core's reader of its own output (keys are unique there).
            for (int k = Members.Count - 1; k >= 0; k--)
            {
                if (Members[k].Key == key) return Members[k].Value;
            }
            return null;
        }

        public string GetString(string key) => TextOf(Get(key));

        /// <summary>The value's text; null when it is absent or JSON null.</summary>
        public static string TextOf(JsonNode v) => v == null || v.IsNull ? null : v.Text;

        public bool IsNull => Kind == JsonKind.Null;

        // Deeper nesting than any record of ours is refused rather than risking the stack.
        private const int MaxDepth = 256;

        public static JsonNode Parse(byte[] utf8) => Parse(StrictUtf8.GetString(utf8));

        /// <summary>One JSON value and nothing else but whitespace; a FormatException otherwise.</summary>
        public static JsonNode Parse(string json)
        {
            if (json == null) throw new ArgumentNullException("json");
            int i = 0;
            var node = ReadValue(json, ref i, 0);
            End(json, i);
            return node;
        }

        private static FormatException Bad(int at, string what) => new FormatException("invalid JSON at character " + at + ": " + what);

        /// <summary>Steps over a container's punctuation: true with i at its next element, false once past its end.</summary>
        private static bool Next(string s, ref int i, bool first, char open, char close)
        {
            SkipSpace(s, ref i);
            char c = i < s.Length ? s[i] : '\0';
            if (first ? c != open : c != ',' && c != close) throw Bad(i, first ? "expected '" + open + "'" : "expected ',' or '" + close + "'");
            i++;
            SkipSpace(s, ref i);
            if (c == close || !first || i >= s.Length || s[i] != close) return c != close;
            i++;
            return false;
        }

        /// <summary>Steps through the object at s[i] without building it: true with the next key and i at its value.</summary>
        internal static bool NextMember(string s, ref int i, bool first, string expected, out string key)
        {
            key = null;
            if (!Next(s, ref i, first, '{', '}')) return false;
            if (i >= s.Length || s[i] != '"') throw Bad(i, "expected a member name");
            // The expected key compared as it is scanned (one pass), and then handed out itself.
            int e = 0, m = expected == null ? -1 : expected.Length;
            while (e < m && i + 1 + e < s.Length && s[i + 1 + e] == expected[e]) e++;
            bool same = e == m && i + 1 + e < s.Length && s[i + 1 + e] == '"';
            key = same ? expected : ReadString(s, ref i);
            if (same) i += m + 2;
            SkipSpace(s, ref i);
            if (i >= s.Length || s[i++] != ':') throw Bad(i - 1, "expected ':'");
            return true;
        }

        /// <summary>Nothing but whitespace from s[i] on.</summary>
        internal static void End(string s, int i)
        {
            SkipSpace(s, ref i);
            if (i != s.Length) throw Bad(i, "unexpected text after the value");
        }

        private static void SkipSpace(string s, ref int i)
        {
            int j = i;
            while (j < s.Length && s[j] <= ' ' && (s[j] == ' ' || s[j] == '\n' || s[j] == '\r' || s[j] == '\t'))
            {
                j++;
            }
            i = j;
        }

        private static void Expect(string s, ref int i, string word)
        {
            for (int k = 0; k < word.Length; k++, i++)
            {
                if (i >= s.Length || s[i] != word[k]) throw Bad(i, "expected " + word);
            }
        }

        internal static JsonNode ReadValue(string s, ref int i, int depth)
        {
            SkipSpace(s, ref i);
            if (i >= s.Length) throw Bad(i, "unexpected end");
            char c = s[i];
            if (c == '{' || c == '[')
            {
                if (depth >= MaxDepth) throw Bad(i, "nested too deeply");
                var node = c == '{' ? Object() : new JsonNode { Kind = JsonKind.Array, Items = new List<JsonNode>() };
                string key = null;
                for (bool first = true; c == '{' ? NextMember(s, ref i, first, null, out key) : Next(s, ref i, first, '[', ']'); first = false)
                {
                    var item = ReadValue(s, ref i, depth + 1);
                    if (c == '{') node.Members.Add(new KeyValuePair<string, JsonNode>(key, item));
                    else node.Items.Add(item);
                }
                return node;
            }
            switch (c)
            {
                case '"':
                    return new JsonNode { Kind = JsonKind.String, Text = ReadString(s, ref i) };
                case 't':
                    Expect(s, ref i, "true");
                    return new JsonNode { Kind = JsonKind.Bool, Text = "true" };
                case 'f':
                    Expect(s, ref i, "false");
                    return new JsonNode { Kind = JsonKind.Bool, Text = "false" };
                case 'n':
                    Expect(s, ref i, "null");
                    return Null;
                default:
                    return Number(ReadNumber(s, ref i));
            }
        }

        private static bool Digit(string s, int i) => i < s.Length && s[i] >= '0' && s[i] <= '9';

        /// <summary>A number's exact text, checked against the grammar (no leading zeros, digits after '.' and 'e').</summary>
        private static string ReadNumber(string s, ref int i)
        {
            int start = i;
            if (i < s.Length && s[i] == '-') i++;
            if (!Digit(s, i)) throw Bad(i, "unexpected character");
            if (s[i] == '0') i++;
            else while (Digit(s, i)) i++;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                if (!Digit(s, i)) throw Bad(i, "expected a digit");
                while (Digit(s, i)) i++;
            }
            if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
            {
                i++;
                if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
                if (!Digit(s, i)) throw Bad(i, "expected a digit");
                while (Digit(s, i)) i++;
            }
            return s.Substring(start, i - start);
        }

        /// <summary>A string at s[i] == '"'; leaves i after its closing quote.</summary>
        private static string ReadString(string s, ref int i)
        {
            int start = ++i, j = i;
            // The common case, no escapes: the text as it stands, a cached copy when short. A
            // local index: Mono keeps it in a register, not a ref parameter.
            int n = s.Length;
            char c0;
            while (j < n && (c0 = s[j]) != '"' && c0 != '\\' && c0 >= ' ')
            {
                j++;
            }
            i = j;
            if (i < n && s[i] == '"')
            {
                return Shared(s, start, i++ - start);
            }
            var sb = new StringBuilder(s, start, i - start, i - start + 16);
            while (true)
            {
                if (i >= s.Length) throw Bad(i, "unterminated string");
                char c = s[i++];
                if (c == '"') return sb.ToString();
                if (c < ' ') throw Bad(i - 1, "control character in a string");
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                if (i >= s.Length) throw Bad(i, "unterminated string");
                c = s[i++];
                int simple = "\"\\/bfnrt".IndexOf(c);
                int code;
                if (simple >= 0)
                {
                    sb.Append("\"\\/\b\f\n\r\t"[simple]);
                }
                else if (c == 'u' && i + 4 <= s.Length && int.TryParse(s.Substring(i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code))
                {
                    sb.Append((char)code);
                    i += 4;
                }
                else
                {
                    throw c == 'u' ? Bad(i, "bad \\u escape") : Bad(i - 1, "bad escape");
                }
            }
        }

        // Short strings seen before (member names, enum names, references): every result has the
        // same keys, and Substring costs more than the whole scan on Mono. A slot holds one string;
        // a race between threads only costs a copy, as strings never change.
        private static readonly string[] Seen = new string[1024];

        private static string Shared(string s, int start, int length)
        {
            if (length > 40 || length == 0) return length == 0 ? "" : s.Substring(start, length);
            // Hashed by length and three characters: cheaper than a pass over every one.
            int slot = (length * 31 + s[start] * 7 + s[start + length / 2] * 131 + s[start + length - 1] * 1031) & (Seen.Length - 1);
            var cached = Seen[slot];
            // A loop: string.CompareOrdinal costs more than the comparison itself on Mono.
            int k = cached == null || cached.Length != length ? -1 : 0;
            while (k >= 0 && k < length && cached[k] == s[start + k]) k++;
            if (k == length) return cached;
            var text = s.Substring(start, length);
            Seen[slot] = text;
            return text;
        }

        public string ToJson()
        {
            var sb = new StringBuilder();
            Write(sb, this);
            return sb.ToString();
        }

        private static void Write(StringBuilder sb, JsonNode n)
        {
            switch (n.Kind)
            {
                case JsonKind.Null:
                    sb.Append("null");
                    break;
                case JsonKind.Bool:
                case JsonKind.Number:
                case JsonKind.Raw:
                    sb.Append(n.Text);
                    break;
                case JsonKind.String:
                    Quote(sb, n.Text);
                    break;
                default:
                    bool obj = n.Kind == JsonKind.Object;
                    sb.Append(obj ? '{' : '[');
                    for (int k = 0; k < (obj ? n.Members.Count : n.Items.Count); k++)
                    {
                        if (k > 0) sb.Append(',');
                        if (obj) Quote(sb, n.Members[k].Key).Append(':');
                        Write(sb, obj ? n.Members[k].Value : n.Items[k]);
                    }
                    sb.Append(obj ? '}' : ']');
                    break;
            }
        }

        private static StringBuilder Quote(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                else if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.Append('"');
        }
    }
}
