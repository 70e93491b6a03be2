// The typed surface against the core's schema (DgaSchema.Json): every field of the records that
// cross the binding maps to a public property of the C# type by the naming convention (Wire.cs),
// of the type the schema's field type asks for, and every public property maps back to a field
// (or is a documented helper). A field added to the schema alone fails here.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace Dga.EPayment.Tests
{
    internal sealed class SchemaTests
    {
        // (record, C# type, whether it is read from the core: enums then keep a ...Raw companion)
        private static readonly Tuple<string, Type, bool>[] Surface =
        {
            Tuple.Create("Payment", typeof(Payment), true),
            Tuple.Create("PaymentStatus", typeof(PaymentStatus), true),
            Tuple.Create("PaymentStatus", typeof(DgaCallbackData), true),
            Tuple.Create("Confirmation", typeof(Confirmation), true),
            Tuple.Create("CreatePayment", typeof(CreatePaymentRequest), false),
            Tuple.Create("ClientOptions", typeof(DgaClientOptions), false),
            Tuple.Create("RetryOptions", typeof(DgaRetryOptions), false),
        };

        // Public properties that are helpers, not fields (README "Changelog" lists none removed).
        private static readonly HashSet<string> Helpers = new HashSet<string> { "PaymentStatus.IsPaid", "DgaCallbackData.IsPaid" };

        private static List<JsonNode> Fields(string record, string schema = null)
        {
            var r = JsonNode.Parse(schema ?? DgaSchema.Json).Get("records").Get(record);
            Assert.NotNull(r, "the schema's record " + record);
            return r.Get("fields").Items;
        }

        /// <summary>Whether a property's C# type carries the schema's field type.</summary>
        private static bool Fits(Type t, JsonNode field, bool output)
        {
            var inner = Nullable.GetUnderlyingType(t);
            switch (field.GetString("type"))
            {
                case "string":
                    return t == typeof(string) || (inner != null && inner.IsEnum && !output);
                case "object":
                    return t == typeof(string);
                case "decimal":
                    return inner == typeof(decimal) || (t == typeof(decimal) && output && field.GetString("required") == "true");
                case "date":
                    return inner == typeof(DateTime);
                case "enum":
                    return inner != null && inner.IsEnum && inner.Name == field.GetString("enum");
                case "boolean":
                    return inner == typeof(bool);
                case "integer":
                    return inner == typeof(int) || inner == typeof(long);
                case "duration":
                    return inner == typeof(TimeSpan);
                case "record":
                    return t.Name == "Dga" + field.GetString("record");
                default:
                    return false;
            }
        }

        private static List<string> Drift(string schema)
        {
            var problems = new List<string>();
            foreach (var s in Surface)
            {
                var mapped = new HashSet<string>();
                foreach (var f in Fields(s.Item1, schema))
                {
                    var wire = f.GetString("wire");
                    var p = Wire.Member(s.Item2, wire, f.GetString("type"));
                    if (p == null)
                    {
                        problems.Add(s.Item1 + "." + wire + " (" + f.GetString("type") + ") has no public property on " + s.Item2.Name);
                        continue;
                    }
                    mapped.Add(p.Name);
                    if (!Fits(p.PropertyType, f, s.Item3))
                    {
                        problems.Add(s.Item2.Name + "." + p.Name + " is a " + p.PropertyType.Name + ", not the schema's " + f.GetString("type") + " " + wire);
                    }
                    if (s.Item3 && f.GetString("type") == "enum")
                    {
                        var raw = Wire.RawOf(p);
                        if (raw == null)
                        {
                            problems.Add(s.Item2.Name + "." + p.Name + " has no " + p.Name + "Raw for values outside the table");
                        }
                        else
                        {
                            mapped.Add(raw.Name);
                        }
                    }
                }
                foreach (var p in s.Item2.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (!mapped.Contains(p.Name) && !Helpers.Contains(s.Item2.Name + "." + p.Name))
                    {
                        problems.Add(s.Item2.Name + "." + p.Name + " is no field of the schema's " + s.Item1);
                    }
                }
            }
            return problems;
        }

        /// <summary>A value of the field's type, as the core's JSON gives it.</summary>
        private static JsonNode Sample(JsonNode field, JsonNode tables)
        {
            switch (field.GetString("type"))
            {
                case "decimal":
                    return JsonNode.Str("12.50");
                case "date":
                    return JsonNode.Str("2024-01-02T03:04:05");
                case "enum":
                    return JsonNode.Str(tables.Get(field.GetString("enum")).Items[0].GetString("name"));
                case "object":
                    return JsonNode.Object().Add("k", JsonNode.Number("12345678901234567.25"));
                default:
                    return JsonNode.Str("s");
            }
        }

        public void Register(Runner r)
        {
            r.Add("schema: every field of Payment, PaymentStatus, Confirmation, CreatePayment, ClientOptions maps to a C# property and back", () =>
            {
                var problems = Drift(DgaSchema.Json);
                Assert.True(problems.Count == 0, "the C# types follow DgaSchema.Json; drift: " + string.Join("; ", problems));
            });

            r.Add("schema: the drift check names a field the schema gains and the C# type lacks", () =>
            {
                var schema = JsonNode.Parse(DgaSchema.Json);
                schema.Get("records").Get("Payment").Get("fields").Items.Add(JsonNode.Object()
                    .Add("wire", JsonNode.Str("expiryDate")).Add("type", JsonNode.Str("date")).Add("required", JsonNode.Bool(false)));
                Assert.SetEqual(new[] { "Payment.expiryDate (date) has no public property on Payment" }, Drift(schema.ToJson()), "drift found");
            });

            r.Add("schema: a result with every field set fills every mapped property", () =>
            {
                var tables = JsonNode.Parse(DgaEnums.TablesJson);
                foreach (var s in Surface.Where(x => x.Item3))
                {
                    var o = JsonNode.Object();
                    foreach (var f in Fields(s.Item1))
                    {
                        o.Add(f.GetString("wire"), Sample(f, tables));
                    }
                    var json = o.ToJson();
                    var ctor = s.Item2.GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, null, new[] { typeof(string) }, null);
                    var model = ctor.Invoke(new object[] { json });
                    foreach (var f in Fields(s.Item1))
                    {
                        var p = Wire.Member(s.Item2, f.GetString("wire"), f.GetString("type"));
                        Assert.NotNull(p == null ? null : p.GetValue(model, null), s.Item2.Name + "." + p.Name + " from " + json);
                    }
                }
            });

            r.Add("schema: a create request and options with every property set write every field", () =>
            {
                var req = new CreatePaymentRequest
                {
                    CustomerId = "1", CustomerTitleName = "t", CustomerFirstName = "f", CustomerMiddleName = "m",
                    CustomerLastName = "l", BankCode = BankCode.KTB, PaymentType = PaymentType.QRPayment, Amount = 1.50m,
                    RequestReference1 = "r1", RequestReference2 = "r2", RequestReference3 = "r3", Source = "s", DataJson = "{\"n\": 1.10}",
                };
                var written = JsonNode.Parse(req.ToAbiJson());
                Assert.SetEqual(Fields("CreatePayment").Select(f => f.GetString("wire")), written.Members.Select(m => m.Key), "create keys");
                Assert.Equal("1.50", written.GetString("amount"), "amount exact");
                Assert.Equal("QRPayment", written.GetString("paymentType"), "enum by name");
                var options = new DgaClientOptions { Environment = DgaEnvironment.Production, Timeout = TimeSpan.FromTicks(2000), Retry = new DgaRetryOptions { BackoffCap = TimeSpan.FromSeconds(2) } };
                var o = JsonNode.Parse(options.ToAbiJson());
                Assert.Equal("production", o.GetString("environment"), "environment in lower case");
                Assert.Equal("1", o.Get("timeoutMs").Text, "ms rounded up");
                Assert.Equal("2000", o.Get("retry").Get("backoffCapMs").Text, "nested retry in ms");
                Assert.Equal("false", JsonNode.Parse(new DgaClientOptions { Retry = DgaRetryOptions.Disabled }.ToAbiJson()).Get("retry").Text, "retry off");
            });
        }
    }
}
