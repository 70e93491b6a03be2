// JSON across the C ABI. Reading and writing go through the JSON reader and writer behind
// DataContractJsonSerializer (JsonReaderWriterFactory, in the box since .NET Framework 3.5 and
// in netstandard2.0), so there is no NuGet dependency. A small tree keeps numbers as their
// exact text: amounts and unknown enum values must never pass through a double.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Xml;

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

        private JsonNode(JsonKind kind)
        {
            Kind = kind;
        }

        public static readonly JsonNode Null = new JsonNode(JsonKind.Null);

        public static JsonNode Str(string s) => s == null ? Null : new JsonNode(JsonKind.String) { Text = s };

        public static JsonNode Bool(bool b) => new JsonNode(JsonKind.Bool) { Text = b ? "true" : "false" };

        public static JsonNode Number(string exactText) => new JsonNode(JsonKind.Number) { Text = exactText };

        public static JsonNode Number(long n) => Number(n.ToString(CultureInfo.InvariantCulture));

        public static JsonNode Object() => new JsonNode(JsonKind.Object) { Members = new List<KeyValuePair<string, JsonNode>>() };

        public static JsonNode Array() => new JsonNode(JsonKind.Array) { Items = new List<JsonNode>() };

        /// <summary>Adds a member to an object (chainable).</summary>
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
            JsonNode found = null;
            foreach (var m in Members)
            {
                if (m.Key == key)
                {
                    found = m.Value;
                }
            }
            return found;
        }

        /// <summary>A string member, or null when absent or JSON null.</summary>
        public string GetString(string key)
        {
            var v = Get(key);
            if (v == null || v.Kind == JsonKind.Null) return null;
            return v.Text;
        }

        public bool IsNull => Kind == JsonKind.Null;

        // ---------------------------------------------------------------- reading

        public static JsonNode Parse(string json) => Parse(StrictUtf8.GetBytes(json));

        public static JsonNode Parse(byte[] utf8)
        {
            using (var reader = JsonReaderWriterFactory.CreateJsonReader(utf8, XmlDictionaryReaderQuotas.Max))
            {
                reader.MoveToContent();
                return ReadElement(reader);
            }
        }

        private static JsonNode ReadElement(XmlReader r)
        {
            // Positioned on an element start; leaves the reader after its end.
            string type = r.GetAttribute("type") ?? "string";
            var node = type == "null" ? Null : type == "object" ? Object() : type == "array" ? Array() : new JsonNode(KindOf(type)) { Text = "" };
            if (r.IsEmptyElement || type == "null")
            {
                r.Skip();
                return node;
            }
            var text = new StringBuilder();
            r.Read();
            while (r.NodeType != XmlNodeType.EndElement)
            {
                if (r.NodeType == XmlNodeType.Element && node.Members != null)
                {
                    // Keys that are not XML names come as <item item="key">.
                    node.Add(r.GetAttribute("item") ?? r.LocalName, ReadElement(r));
                }
                else if (r.NodeType == XmlNodeType.Element && node.Items != null)
                {
                    node.Items.Add(ReadElement(r));
                }
                else
                {
                    if (node.Text != null && (r.NodeType == XmlNodeType.Text || r.NodeType == XmlNodeType.Whitespace
                        || r.NodeType == XmlNodeType.SignificantWhitespace || r.NodeType == XmlNodeType.CDATA))
                    {
                        text.Append(r.Value);
                    }
                    r.Read();
                }
            }
            r.Read();
            if (node.Text != null) node.Text = text.ToString();
            return node;
        }

        private static JsonKind KindOf(string type) => type == "number" ? JsonKind.Number : type == "boolean" ? JsonKind.Bool : JsonKind.String;

        // ---------------------------------------------------------------- writing

        public string ToJson()
        {
            var ms = new MemoryStream();
            using (var w = JsonReaderWriterFactory.CreateJsonWriter(ms, new UTF8Encoding(false), false))
            {
                w.WriteStartElement("root");
                WriteBody(w, this);
                w.WriteEndElement();
            }
            return StrictUtf8.GetString(ms.ToArray());
        }

        private static void WriteBody(XmlDictionaryWriter w, JsonNode n)
        {
            switch (n.Kind)
            {
                case JsonKind.Null:
                    w.WriteAttributeString("type", "null");
                    break;
                case JsonKind.Bool:
                    w.WriteAttributeString("type", "boolean");
                    w.WriteString(n.Text);
                    break;
                case JsonKind.Number:
                    w.WriteAttributeString("type", "number");
                    w.WriteString(n.Text);
                    break;
                case JsonKind.String:
                    w.WriteAttributeString("type", "string");
                    w.WriteString(n.Text);
                    break;
                case JsonKind.Array:
                    w.WriteAttributeString("type", "array");
                    foreach (var item in n.Items)
                    {
                        w.WriteStartElement("item");
                        WriteBody(w, item);
                        w.WriteEndElement();
                    }
                    break;
                case JsonKind.Object:
                    w.WriteAttributeString("type", "object");
                    foreach (var m in n.Members)
                    {
                        // The <item item="key"> form takes any key text.
                        w.WriteStartElement("a", "item", "item");
                        w.WriteAttributeString("item", m.Key);
                        WriteBody(w, m.Value);
                        w.WriteEndElement();
                    }
                    break;
            }
        }
    }
}
