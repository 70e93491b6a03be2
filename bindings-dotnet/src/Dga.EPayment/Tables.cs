using System.Collections.Generic;

namespace Dga.EPayment
{
    /// <summary>The guide's enum tables as the native core holds them (names, numbers, Thai descriptions).</summary>
    public static class DgaEnums
    {
        /// <summary>The core's tables as JSON: <c>{"PaidStatus": [{"name", "number", "descriptionTh"}, …], …}</c>.</summary>
        public static string TablesJson => NativeMethods.ReadUtf8(NativeMethods.dga_enum_tables_json());

        private static readonly object Gate = new object();
        private static Dictionary<string, string> descriptions;

        /// <summary>The guide's description of a value (Thai for PaidStatus and PaymentType), from the core's table.</summary>
        public static string DescriptionTh(PaidStatus value) => Describe("PaidStatus", (long)value);

        /// <summary>The guide's description of a payment type (Thai), from the core's table.</summary>
        public static string DescriptionTh(PaymentType value) => Describe("PaymentType", (long)value);

        /// <summary>The guide's description of an error code, from the core's table.</summary>
        public static string Description(ErrorCode value) => Describe("ErrorCode", (long)value);

        private static string Describe(string table, long number)
        {
            lock (Gate)
            {
                if (descriptions == null)
                {
                    var d = new Dictionary<string, string>();
                    var root = JsonNode.Parse(TablesJson);
                    foreach (var t in root.Members)
                    {
                        foreach (var row in t.Value.Items)
                        {
                            var n = row.Get("number");
                            d[t.Key + "/" + n.Text] = row.GetString("descriptionTh");
                        }
                    }
                    descriptions = d;
                }
                string s;
                return descriptions.TryGetValue(table + "/" + number, out s) ? s : null;
            }
        }
    }
}
