// Translation between the core's JSON and the C# types, driven by the core's schema
// (dga_schema_json) instead of a hand-written read or write per key. A schema field maps to the
// public property named after its wire name, case-insensitively (paidStatus -> PaidStatus,
// customerID -> CustomerId); a duration drops its "Ms" (timeoutMs -> Timeout, a TimeSpan), an
// object gains "Json" (data -> DataJson, its JSON text), and an enum's value as the core gave it
// goes to the "Raw" companion (PaidStatusRaw). The property's C# type says how to convert.
// Money is decimal, parsed with the invariant culture so a Thai or German locale cannot change it.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;

namespace Dga.EPayment
{
    /// <summary>The core's schema: every record that crosses a binding, with each field's wire name, type and doc.</summary>
    public static class DgaSchema
    {
        /// <summary>The schema's JSON: <c>{"version", "records": {name: {"name", "doc", "fields": […]}}}</c>.</summary>
        public static string Json => NativeMethods.ReadUtf8(NativeMethods.dga_schema_json());
    }

    /// <summary>A native call's record that sets its own JSON (the retry options' <c>false</c>).</summary>
    internal interface IWireValue
    {
        JsonNode ToWire();
    }

    internal static class Wire
    {
        private const BindingFlags Members = BindingFlags.Public | BindingFlags.Instance;

        /// <summary>One schema field and the property it maps to.</summary>
        internal sealed class Mapping
        {
            internal string Wire, Type, Record;
            internal bool Required;
            internal PropertyInfo Property;

            /// <summary>Converts the field's JSON value (null when absent) and sets it; null when the property cannot be set.</summary>
            internal Action<object, JsonNode> Read;
        }

        internal sealed class RecordMap
        {
            internal Type Type;
            internal string Record;
            internal Mapping[] Fields;
            internal Dictionary<string, int> Index;
        }

        // The map used last: a result's reading skips the dictionaries while its type repeats.
        private static RecordMap last;

        // PublicationOnly: a failure (no native library yet) is not kept, the next call tries again.
        private static readonly Lazy<JsonNode> Records = new Lazy<JsonNode>(() => JsonNode.Parse(DgaSchema.Json).Get("records"),
            System.Threading.LazyThreadSafetyMode.PublicationOnly);

        // Built once per (type, record): the reading of a result uses no reflection.
        private static readonly ConcurrentDictionary<Type, ConcurrentDictionary<string, RecordMap>> Maps = new ConcurrentDictionary<Type, ConcurrentDictionary<string, RecordMap>>();

        /// <summary>The public property a schema field maps to on <paramref name="type"/>, or null.</summary>
        internal static PropertyInfo Member(Type type, string wire, string fieldType)
        {
            var name = fieldType == "object" ? wire + "Json"
                : fieldType == "duration" && wire.EndsWith("Ms", StringComparison.Ordinal) ? wire.Substring(0, wire.Length - 2) : wire;
            var p = type.GetProperty(name, Members | BindingFlags.IgnoreCase);
            // A private setter is reachable only through the declaring type.
            return p == null ? null : p.DeclaringType.GetProperty(p.Name, Members | BindingFlags.DeclaredOnly);
        }

        /// <summary>The property path of a field path of <paramref name="record"/> (retry.backoffBaseMs -> Retry.BackoffBase),
        /// by the mapping Write uses; null for a field not mapped.</summary>
        internal static string PropertyPath(Type type, string record, string path)
        {
            var names = new List<string>();
            foreach (var wire in path.Split('.'))
            {
                var m = record == null ? null : RecordOf(type, record).Fields.FirstOrDefault(f => f.Wire == wire);
                if (m == null) return null;
                names.Add(m.Property.Name);
                type = m.Property.PropertyType;
                record = m.Record;
            }
            return string.Join(".", names);
        }

        /// <summary>The enum property's companion that keeps the value as the core gave it.</summary>
        internal static PropertyInfo RawOf(PropertyInfo p)
        {
            var raw = p.DeclaringType.GetProperty(p.Name + "Raw", Members);
            return raw != null && raw.PropertyType == typeof(string) ? raw : null;
        }

        private static RecordMap RecordOf(Type type, string record)
        {
            var map = last;
            if (map != null && map.Type == type && ReferenceEquals(map.Record, record)) return map;
            // GetOrAdd's closures are allocations: made only when the map used last is another one.
            return last = Maps.GetOrAdd(type, _ => new ConcurrentDictionary<string, RecordMap>()).GetOrAdd(record, _ => Build(type, record));
        }

        // A field this version of the binding does not know is left out (the drift test fails on
        // it): a newer native library must not break an older binding.
        private static RecordMap Build(Type type, string record)
        {
            var r = Records.Value.Get(record);
            var fields = (r == null ? new List<JsonNode>() : r.Get("fields").Items)
                .Select(f => new Mapping { Wire = f.GetString("wire"), Type = f.GetString("type"), Required = f.GetString("required") == "true", Record = f.GetString("record") })
                .Select(m => { m.Property = Member(type, m.Wire, m.Type); return m; })
                .Where(m => m.Property != null).ToArray();
            if (fields.Length > 64) throw new NotSupportedException(type.Name + ": Fill marks at most 64 fields");
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < fields.Length; i++)
            {
                fields[i].Read = Reader(fields[i]);
                index[fields[i].Wire] = i;
            }
            return new RecordMap { Type = type, Record = record, Fields = fields, Index = index };
        }

        private static Action<object, object> Setter(PropertyInfo p)
        {
            var set = p.GetSetMethod(true);
            if (set == null) return null;
            var make = typeof(Wire).GetMethod("TypedSetter", BindingFlags.NonPublic | BindingFlags.Static).MakeGenericMethod(p.DeclaringType, p.PropertyType);
            return (Action<object, object>)make.Invoke(null, new object[] { set });
        }

        private static Action<object, object> TypedSetter<TTarget, TValue>(MethodInfo set)
        {
            var d = (Action<TTarget, TValue>)Delegate.CreateDelegate(typeof(Action<TTarget, TValue>), set);
            return (o, v) => d((TTarget)o, (TValue)v);
        }

        private static Action<object, JsonNode> Reader(Mapping m)
        {
            var set = Setter(m.Property);
            if (set == null) return null;
            var t = m.Property.PropertyType;
            var inner = Nullable.GetUnderlyingType(t) ?? t;
            string wire = m.Wire;
            bool required = m.Required;
            if (t == typeof(string))
            {
                if (m.Type == "object") return (o, v) => set(o, v == null || v.IsNull ? null : v.ToJson());
                return (o, v) => set(o, JsonNode.TextOf(v) ?? (required ? "" : null));
            }
            if (inner == typeof(decimal))
            {
                bool needed = inner == t;
                return (o, v) => set(o, Amount(JsonNode.TextOf(v), wire, needed));
            }
            if (inner == typeof(DateTime)) return (o, v) => set(o, Date(JsonNode.TextOf(v), wire));
            if (inner.IsEnum && inner != t)
            {
                var rawProperty = RawOf(m.Property);
                var raw = rawProperty == null ? null : Setter(rawProperty);
                var names = Enum.GetNames(inner).ToDictionary(n => n, n => Enum.Parse(inner, n), StringComparer.Ordinal);
                // The name read last, by reference: the JSON reader hands out one instance of a repeated string.
                Tuple<string, object> hit = null;
                return (o, v) =>
                {
                    object e = null;
                    var h = hit;
                    var text = v != null && v.Kind == JsonKind.String ? v.Text : null;
                    if (h != null && ReferenceEquals(h.Item1, text)) e = h.Item2;
                    else if (text != null && names.TryGetValue(text, out e)) hit = Tuple.Create(text, e);
                    set(o, e);
                    if (raw != null) raw(o, v == null || v.IsNull ? null : v.Text ?? v.ToJson());
                };
            }
            if (inner == typeof(int))
            {
                return (o, v) =>
                {
                    int n;
                    if (v != null && v.Kind == JsonKind.Number && int.TryParse(v.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) set(o, n);
                };
            }
            return null;
        }

        // Straight from the text into the properties, no tree: a result is read on every call.
        internal static void Fill(object target, string json, string record)
        {
            var map = RecordOf(target.GetType(), record);
            var fields = map.Fields;
            // Fields (those mapped to a property: fewer than 64) seen, by bit.
            ulong seen = 0;
            int i = 0, next = 0;
            try
            {
                for (bool first = true; JsonNode.NextMember(json, ref i, first, next < fields.Length ? fields[next].Wire : null, out var key); first = false)
                {
                    // The core writes a record's fields in the schema's order: the next one is expected.
                    int k = next;
                    var value = JsonNode.ReadValue(json, ref i, 1);
                    if (!(k < fields.Length && ReferenceEquals(fields[k].Wire, key)) && !map.Index.TryGetValue(key, out k)) continue;
                    next = k + 1;
                    seen |= 1UL << k;
                    if (fields[k].Read != null) fields[k].Read(target, value);
                }
                JsonNode.End(json, i);
            }
            catch (FormatException e)
            {
                throw new DgaProtocolException("unreadable JSON from the native library: " + e.Message);
            }
            for (int k = 0; k < fields.Length; k++)
            {
                if ((seen & (1UL << k)) == 0 && fields[k].Read != null) fields[k].Read(target, null);
            }
        }

        private static object Amount(string s, string key, bool required)
        {
            if (s == null && required) throw Bad(key, "is missing");
            if (s == null) return null;
            decimal d;
            if (!SmallDecimal(s, out d) && !decimal.TryParse(s, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign,
                    CultureInfo.InvariantCulture, out d))
            {
                throw Bad(key, "is not a decimal amount");
            }
            return d;
        }

        // The core's amounts ("100", "1000.50"): digits and one point, 18 digits at most. Mono's
        // decimal.TryParse costs more than the rest of a result's reading.
        private static bool SmallDecimal(string s, out decimal d)
        {
            long n = 0;
            int scale = -1, digits = 0;
            foreach (char c in s)
            {
                if (c == '.' && scale < 0) scale = 0;
                else if (c < '0' || c > '9' || ++digits > 18) break;
                else
                {
                    n = n * 10 + (c - '0');
                    if (scale >= 0) scale++;
                }
            }
            d = new decimal((int)n, (int)(n >> 32), 0, false, (byte)Math.Max(scale, 0));
            return digits > 0 && digits <= 18 && scale != 0 && digits + (scale < 0 ? 0 : 1) == s.Length;
        }

        /// <summary>Bangkok local time as DGA gives it: Kind Unspecified, no offset applied.</summary>
        private static object Date(string s, string key)
        {
            if (string.IsNullOrEmpty(s)) return null;
            DateTime d;
            if (!DateTime.TryParseExact(s, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out d)) throw Bad(key, "is not a yyyy-MM-ddTHH:mm:ss date");
            return d;
        }

        private static DgaProtocolException Bad(string key, string what) => new DgaProtocolException("unexpected result from the native library: " + key + " " + what);

        internal static JsonNode Object(string json)
        {
            JsonNode node;
            try
            {
                node = JsonNode.Parse(json);
            }
            catch (Exception e)
            {
                throw new DgaProtocolException("unreadable JSON from the native library: " + e.Message);
            }
            if (node.Kind != JsonKind.Object) throw new DgaProtocolException("expected a JSON object from the native library");
            return node;
        }

        // Every non-null mapped property by its wire name. Object fields (DataJson) are checked and
        // written as their text, so that numbers in them reach DGA with their exact digits.
        internal static string Write(object source, string record, string paramName)
        {
            var o = JsonNode.Object();
            foreach (var m in RecordOf(source.GetType(), record).Fields)
            {
                var v = m.Property.GetValue(source, null);
                // An unpaired surrogate has no UTF-8: refused by name, as in a call's argument (a NUL is JSON's \u0000, the core's to judge).
                if (v is string s && s.Any(char.IsSurrogate) && System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(s)) != s)
                    throw new ArgumentException(m.Property.Name + " is not valid Unicode text (unpaired surrogate)", paramName);
                if (v != null) o.Add(m.Wire, m.Type == "object" ? Checked((string)v, m.Property.Name, paramName) : Node(v, m.Type));
            }
            return o.ToJson();
        }

        private static JsonNode Checked(string json, string name, string paramName)
        {
            try
            {
                JsonNode.Parse(json);
                return JsonNode.Raw(json);
            }
            catch (FormatException e)
            {
                throw new DgaArgumentException(name + " is not valid JSON: " + e.Message, paramName, e);
            }
        }

        internal static JsonNode Node(object v, string fieldType)
        {
            if (v is IWireValue own) return own.ToWire();
            if (v is string) return JsonNode.Str((string)v);
            // decimal keeps its scale: 1000.50m is "1000.50".
            if (v is decimal) return JsonNode.Str(((decimal)v).ToString(CultureInfo.InvariantCulture));
            // Whole milliseconds, rounded up so a tiny positive timeout never becomes 0. A negative
            // one is passed on for the core to refuse by name.
            if (v is TimeSpan) return JsonNode.Number((long)Math.Ceiling(((TimeSpan)v).TotalMilliseconds));
            if (v is bool) return JsonNode.Bool((bool)v);
            // The guide's enums by name; a plain string setting (environment) in lower case.
            if (v is Enum) return JsonNode.Str(fieldType == "enum" ? v.ToString() : v.ToString().ToLowerInvariant());
            return JsonNode.Number(Convert.ToInt64(v, CultureInfo.InvariantCulture));
        }
    }
}
