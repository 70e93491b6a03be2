using System;
using System.Collections.Generic;

namespace Dga.EPayment
{
    /// <summary>The guide's enum tables as the native core holds them (names, numbers, Thai descriptions).</summary>
    public static class DgaEnums
    {
        /// <summary>The core's tables as JSON: <c>{"PaidStatus": [{"name", "number", "descriptionTh"}, …], …}</c>.</summary>
        public static string TablesJson => NativeMethods.ReadUtf8(NativeMethods.dga_enum_tables_json());

        // "PaidStatus/0" -> the description, read once from the core's tables (a failure, such as
        // a missing native library, is not kept: the next call tries again).
        private static readonly Lazy<Dictionary<string, string>> Descriptions = new Lazy<Dictionary<string, string>>(() =>
        {
            var d = new Dictionary<string, string>();
            foreach (var t in JsonNode.Parse(TablesJson).Members)
            {
                foreach (var row in t.Value.Items)
                {
                    d[t.Key + "/" + row.Get("number").Text] = row.GetString("descriptionTh");
                }
            }
            return d;
        }, System.Threading.LazyThreadSafetyMode.PublicationOnly);

        /// <summary>The guide's description of a value (Thai for PaidStatus and PaymentType), from the core's table.</summary>
        public static string DescriptionTh(PaidStatus value) => Describe("PaidStatus", (long)value);

        /// <summary>The guide's description of a payment type (Thai), from the core's table.</summary>
        public static string DescriptionTh(PaymentType value) => Describe("PaymentType", (long)value);

        /// <summary>The guide's description of an error code, from the core's table.</summary>
        public static string Description(ErrorCode value) => Describe("ErrorCode", (long)value);

        private static string Describe(string table, long number)
        {
            string s;
            return Descriptions.Value.TryGetValue(table + "/" + number, out s) ? s : null;
        }
    }
}
