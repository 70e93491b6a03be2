// The vectors' JSON comparison: the tests compare the library's output with the expected JSON.
using System.Globalization;

namespace Dga.EPayment.Tests
{
    internal static class JsonCompare
    {
        /// <summary>
        /// Same JSON value: objects by key set (order ignored), numbers by value, the rest by
        /// text.
        /// </summary>
        public static bool JsonEquals(JsonNode a, JsonNode b)
        {
            if (a == null || b == null)
            {
                return a == b;
            }
            if (a.Kind != b.Kind)
            {
                return false;
            }
            switch (a.Kind)
            {
                case JsonKind.Null:
                    return true;
                case JsonKind.Number:
                    decimal da, db;
                    if (decimal.TryParse(a.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out da)
                        && decimal.TryParse(b.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out db))
                    {
                        return da == db;
                    }
                    return a.Text == b.Text;
                case JsonKind.Array:
                    if (a.Items.Count != b.Items.Count)
                    {
                        return false;
                    }
                    for (int i = 0; i < a.Items.Count; i++)
                    {
                        if (!JsonEquals(a.Items[i], b.Items[i]))
                        {
                            return false;
                        }
                    }
                    return true;
                case JsonKind.Object:
                    if (a.Members.Count != b.Members.Count)
                    {
                        return false;
                    }
                    foreach (var m in a.Members)
                    {
                        if (!JsonEquals(m.Value, b.Get(m.Key)))
                        {
                            return false;
                        }
                    }
                    return true;
                default:
                    return a.Text == b.Text;
            }
        }
    }
}
