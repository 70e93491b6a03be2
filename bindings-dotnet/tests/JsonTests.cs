// The binding's own JSON reader and writer (Json.cs): strict RFC 8259, numbers kept as their
// exact text, every escape, and a refusal (FormatException) for anything else.
using System;

namespace Dga.EPayment.Tests
{
    internal static class JsonTests
    {
        public static void Register(Runner r)
        {
            r.Add("JSON reader: exact numbers, escapes and Thai text; the writer gives it back", () =>
            {
                var n = JsonNode.Parse(" {\"a\": 12345678901234567890.10, \"b\": [true, false, null, -0.5e+3], \"c\": \"\\u0e1a\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\", \"ไทย\": {}} ");
                Assert.Equal("12345678901234567890.10", n.Get("a").Text, "exact digits");
                Assert.Equal(JsonKind.Array, n.Get("b").Kind, "array");
                Assert.Equal("-0.5e+3", n.Get("b").Items[3].Text, "exponent kept as written");
                Assert.True(n.Get("b").Items[2].IsNull, "null");
                Assert.Equal("\u0e1a\"\\/\b\f\n\r\t\U0001F600", n.Get("c").Text, "escapes");
                Assert.Equal(JsonKind.Object, n.Get("ไทย").Kind, "a Thai key");
                var again = JsonNode.Parse(n.ToJson());
                Assert.Equal(n.Get("c").Text, again.Get("c").Text, "round trip");
                Assert.Equal("{\"k\":\"\\u0001\\\"\"}", JsonNode.Object().Add("k", JsonNode.Str("\u0001\"")).ToJson(), "control characters escaped");
            });

            r.Add("JSON reader: refuses what is not JSON", () =>
            {
                foreach (var bad in new[] { "", " ", "{\"a\": 1,}", "[1,]", "{\"a\" 1}", "01", "1.", ".5", "1e", "+1", "tru", "nul", "\"x", "\"\u0001\"",
                    "\"\\x\"", "\"\\u12\"", "{} {}", "{'a': 1}", "[1 2]", "NaN", new string('[', 300) + new string(']', 300) })
                {
                    Assert.Throws<FormatException>(() => JsonNode.Parse(bad), "refused: " + (bad.Length > 20 ? bad.Substring(0, 20) + "..." : bad));
                }
                Assert.Equal(JsonKind.Array, JsonNode.Parse(new string('[', 200) + new string(']', 200)).Kind, "nesting within the limit");
            });
        }
    }
}
