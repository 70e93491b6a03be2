// tests/vectors/*.json through the C# API: the same results as Rust (tests/vectors/README.md).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Dga.EPayment.Tests
{
    internal sealed class VectorTests
    {
        private readonly Sandbox sb;
        private readonly string dir;

        public VectorTests(Sandbox sandbox, string vectorsDir)
        {
            sb = sandbox;
            dir = vectorsDir;
        }

        private List<JsonNode> Cases(string file, int minimum)
        {
            var doc = JsonNode.Parse(File.ReadAllBytes(Path.Combine(dir, file)));
            var cases = doc.Get("cases").Items;
            if (cases.Count < minimum)
            {
                throw new Exception(file + " looks truncated: " + cases.Count + " cases");
            }
            return cases;
        }

        public void Register(Runner r)
        {
            // A missing or truncated file fails here, while registering (the runner reports it).
            foreach (var c in Cases("callbacks.json", 90))
            {
                var kase = c;
                r.Add("callbacks.json: " + kase.GetString("name"), () => Callback(kase));
            }
            foreach (var c in Cases("responses.json", 30))
            {
                var kase = c;
                var endpoint = kase.GetString("endpoint");
                if (endpoint == "token" && kase.Get("expect").Get("ok").Text == "true")
                {
                    // The C ABI has no token call: a token the sandbox hands out verbatim cannot be
                    // observed. Not run, so not counted.
                    Console.WriteLine("note responses.json: {0} not applicable (no token call in the C ABI)", kase.GetString("name"));
                    continue;
                }
                r.Add("responses.json: " + kase.GetString("name"), () => Response(kase));
            }
            // Create requests as a C# caller writes them: only the cases a CreatePaymentRequest can
            // express (typed properties cannot hold a boolean name or an unknown key) are run.
            foreach (var c in Cases("create_requests.json", 40))
            {
                var kase = c;
                CreatePaymentRequest req;
                string why;
                if (kase.Get("expect").GetString("errorKind") == "invalid_json")
                {
                    Console.WriteLine("note create_requests.json: {0} not expressible in C# (invalid JSON text)", kase.GetString("name"));
                    continue;
                }
                if (!TryRequest(kase.GetString("request"), out req, out why))
                {
                    Console.WriteLine("note create_requests.json: {0} not expressible in C# ({1})", kase.GetString("name"), why);
                    continue;
                }
                r.Add("create_requests.json: " + kase.GetString("name"), () => Create(kase, req));
            }
            // The C ABI has no parse_amount: each amount goes through a callback's amount field,
            // which the core reads with parse_amount, and must come out as the exact decimal.
            foreach (var c in Cases("amounts.json", 40))
            {
                var kase = c;
                r.Add("amounts.json (as a callback amount): " + kase.GetString("json"), () => Amount(kase));
            }
            r.Add("citizen_ids.json through DgaCitizenId.Validate", () =>
            {
                var failures = new List<string>();
                foreach (var c in Cases("citizen_ids.json", 15))
                {
                    var id = c.GetString("id");
                    bool expected = c.GetString("check") == "valid";
                    if (DgaCitizenId.Validate(id) != expected)
                    {
                        failures.Add(id + " (" + c.GetString("check") + ")");
                    }
                }
                Assert.True(failures.Count == 0, "every ID as the vectors say; wrong: " + string.Join(", ", failures));
            });
        }

        private static void Callback(JsonNode c)
        {
            byte[] body = c.Get("body") != null
                ? Encoding.UTF8.GetBytes(c.GetString("body"))
                : Convert.FromBase64String(c.GetString("bodyBase64"));
            var expect = c.Get("expect");
            if (expect.Get("ok").Text == "true")
            {
                var want = expect.Get("callback");
                var cb = DgaCallback.Parse(body);
                var got = JsonNode.Parse(cb.ToJson());
                Assert.True(JsonCompare.JsonEquals(want, got), "normalized JSON\n  expected " + want.ToJson() + "\n  got      " + got.ToJson());
                CheckTyped(want, cb);
                return;
            }
            var e = Assert.Throws<DgaCallbackException>(() => DgaCallback.Parse(body));
            Assert.Equal(expect.GetString("errorKind"), "callback", "vector kind");
            Assert.SetEqual(expect.Get("fields").Items.Select(f => f.Text), e.FieldErrors.Select(f => f.Field), "fields");
            if (expect.Get("line") != null)
            {
                int line = int.Parse(expect.Get("line").Text), column = int.Parse(expect.Get("column").Text);
                Assert.True(e.FieldErrors.Any(f => f.Field == "body" && f.Line == line && f.Column == column),
                    "a body error at line " + line + ", column " + column + "; got " + string.Join("; ", e.FieldErrors.Select(f => f.Field + "@" + f.Line + ":" + f.Column)));
            }
        }

        private void Create(JsonNode c, CreatePaymentRequest req)
        {
            // Nothing listens on this port: a request the core accepts fails at the token call,
            // after validation; one it refuses fails validation before any network call.
            var opts = sb.Options();
            opts.GatewayUrl = "http://127.0.0.1:" + CallbackTests.FreePort();
            opts.Retry = DgaRetryOptions.Disabled;
            opts.Source = c.GetString("defaultSource");
            var expect = c.Get("expect");
            using (var client = new DgaClient(opts))
            {
                DgaException e = Assert.Throws<DgaException>(() => client.CreatePayment(req));
                if (expect.Get("ok").Text == "true")
                {
                    Assert.True(!(e is DgaValidationException), "accepted, got " + e.Message);
                    return;
                }
                Assert.Equal(typeof(DgaValidationException), e.GetType(), "refused before any call: " + e.Message);
                Assert.SetEqual(expect.Get("fields").Items.Select(f => f.Text), ((DgaValidationException)e).FieldErrors.Select(f => f.Field), "fields");
            }
        }

        /// <summary>The raw request as a CreatePaymentRequest, when its properties can express it.</summary>
        private static bool TryRequest(string json, out CreatePaymentRequest req, out string why)
        {
            req = null;
            JsonNode o;
            try
            {
                o = JsonNode.Parse(json);
            }
            catch (Exception)
            {
                why = "not JSON";
                return false;
            }
            if (o.Kind != JsonKind.Object)
            {
                why = "not an object";
                return false;
            }
            var r = new CreatePaymentRequest();
            foreach (var m in o.Members)
            {
                var v = m.Value;
                var key = m.Key.Trim().ToLowerInvariant();
                if (key == "data")
                {
                    r.DataJson = v.IsNull ? null : v.ToJson();
                    continue;
                }
                if (v.Kind == JsonKind.Bool || v.Kind == JsonKind.Array || v.Kind == JsonKind.Object)
                {
                    why = m.Key + " is a " + v.Kind;
                    return false;
                }
                var text = v.IsNull ? null : v.Text;
                switch (key)
                {
                    case "customerid": r.CustomerId = text; break;
                    case "customertitlename": r.CustomerTitleName = text; break;
                    case "customerfirstname": r.CustomerFirstName = text; break;
                    case "customermiddlename": r.CustomerMiddleName = text; break;
                    case "customerlastname": r.CustomerLastName = text; break;
                    case "requestreference1": r.RequestReference1 = text; break;
                    case "requestreference2": r.RequestReference2 = text; break;
                    case "requestreference3": r.RequestReference3 = text; break;
                    case "source": r.Source = text; break;
                    case "bankcode":
                        if (text != null && text.Trim().ToUpperInvariant() != "KTB" && text.Trim() != "2")
                        {
                            why = "bankCode " + text + " (the C# request always sends KTB)";
                            return false;
                        }
                        break;
                    case "paymenttype":
                    {
                        PaymentType t;
                        int n;
                        if (text == null)
                        {
                            break;
                        }
                        if (int.TryParse(text.Trim(), out n) && Enum.IsDefined(typeof(PaymentType), n))
                        {
                            r.PaymentType = (PaymentType)n;
                        }
                        else if (Enum.TryParse(text.Trim(), true, out t) && Enum.IsDefined(typeof(PaymentType), t))
                        {
                            r.PaymentType = t;
                        }
                        else
                        {
                            why = "paymentType " + text;
                            return false;
                        }
                        break;
                    }
                    case "amount":
                    {
                        decimal d;
                        if (text == null)
                        {
                            break;
                        }
                        if (!decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out d))
                        {
                            why = "amount " + text;
                            return false;
                        }
                        r.Amount = d;
                        break;
                    }
                    default:
                        why = "key " + m.Key;
                        return false;
                }
            }
            req = r;
            why = null;
            return true;
        }

        private static void Amount(JsonNode c)
        {
            var body = "{\"paidStatus\": 1, \"paidDate\": \"2024-03-07T15:42:28\", \"paidChannel\": \"x\", "
                + "\"confirmPaidDate\": \"2024-03-07T15:42:28\", \"refId\": \"1\", \"ref1\": \"A\", \"ref2\": \"\", "
                + "\"paymentType\": 3, \"feeAmount\": 0, \"amount\": " + c.GetString("json") + "}";
            var expect = c.GetString("expect");
            if (expect == null)
            {
                var e = Assert.Throws<DgaCallbackException>(() => DgaCallback.Parse(body));
                Assert.SetEqual(new[] { "amount" }, e.FieldErrors.Select(f => f.Field), "refused amount");
                return;
            }
            var cb = DgaCallback.Parse(body);
            Assert.Equal(expect, cb.Amount.ToString(CultureInfo.InvariantCulture), "decimal, exact, scale kept");
        }

        /// <summary>The typed properties say what the normalized JSON says.</summary>
        private static void CheckTyped(JsonNode want, PaymentStatus st)
        {
            Assert.Equal(want.Get("paidStatus").Text, st.PaidStatusRaw, "PaidStatusRaw");
            var ps = want.Get("paidStatus");
            bool knownPaid = ps.Kind == JsonKind.String && Enum.IsDefined(typeof(PaidStatus), ps.Text);
            Assert.Equal(knownPaid ? (PaidStatus?)Enum.Parse(typeof(PaidStatus), ps.Text) : null, st.PaidStatus, "PaidStatus");
            var pt = want.Get("paymentType");
            Assert.Equal(pt.IsNull ? null : pt.Text, st.PaymentTypeRaw, "PaymentTypeRaw");
            bool knownType = pt.Kind == JsonKind.String && Enum.IsDefined(typeof(PaymentType), pt.Text);
            Assert.Equal(knownType ? (PaymentType?)Enum.Parse(typeof(PaymentType), pt.Text) : null, st.PaymentType, "PaymentType");
            Assert.Equal(want.GetString("amount"), st.Amount.ToString(CultureInfo.InvariantCulture), "Amount (exact, scale kept)");
            Assert.Equal(want.GetString("feeAmount"), st.FeeAmount == null ? null : st.FeeAmount.Value.ToString(CultureInfo.InvariantCulture), "FeeAmount");
            foreach (var d in new[]
            {
                Tuple.Create("paidDate", st.PaidDate),
                Tuple.Create("confirmPaidDate", st.ConfirmPaidDate),
                Tuple.Create("voidDate", st.VoidDate),
                Tuple.Create("requestRefundDate", st.RequestRefundDate),
            })
            {
                Assert.Equal(want.GetString(d.Item1), d.Item2 == null ? null : d.Item2.Value.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), d.Item1);
                Assert.True(d.Item2 == null || d.Item2.Value.Kind == DateTimeKind.Unspecified, d.Item1 + " is Bangkok local time (Kind Unspecified)");
            }
            Assert.Equal(want.GetString("ref1"), st.Ref1, "Ref1");
            Assert.Equal(want.GetString("ref2"), st.Ref2, "Ref2");
            Assert.Equal(want.GetString("refId"), st.RefId, "RefId");
            Assert.Equal(want.GetString("description"), st.Description, "Description");
            Assert.Equal(want.GetString("paidChannel"), st.PaidChannel, "PaidChannel");
            Assert.Equal(want.GetString("cardNo"), st.CardNo, "CardNo");
            Assert.Equal(want.GetString("warning"), st.Warning, "Warning");
        }

        private void Response(JsonNode c)
        {
            var endpoint = c.GetString("endpoint");
            var expect = c.Get("expect");
            using (var client = sb.Client())
            {
                sb.ClearFaults();
                if (endpoint != "token")
                {
                    // Obtain a token first: the fault only touches the named endpoint. (The C ABI
                    // has no token call; any call fetches one.)
                    Assert.Throws<DgaApiException>(() => client.Status("__token_warmup__", ""), "warm-up");
                }
                sb.Fault(endpoint, "respond", 100, JsonNode.Object()
                    .Add("httpStatus", c.Get("httpStatus"))
                    .Add("body", c.Get("body")));
                try
                {
                    Func<string> call;
                    switch (endpoint)
                    {
                        case "token":
                            call = () => client.Status("x", "").ToJson();
                            break;
                        case "status":
                            call = () => client.Status(c.GetString("reference1"), c.GetString("reference2") ?? "").ToJson();
                            break;
                        case "close":
                            call = () => client.Close(c.GetString("reference1"), c.GetString("reference2") ?? "").ToJson();
                            break;
                        case "void":
                            call = () => client.Void(c.GetString("reference1"), c.GetString("reference2") ?? "", c.GetString("paymentReference")).ToJson();
                            break;
                        case "create":
                            call = () => client.CreatePayment(RequestFrom(c.GetString("request"))).ToJson();
                            break;
                        default:
                            throw new TestFailure("unknown endpoint " + endpoint);
                    }
                    if (expect.Get("ok").Text == "true")
                    {
                        var got = JsonNode.Parse(call());
                        var want = expect.Get("result");
                        Assert.True(JsonCompare.JsonEquals(want, got), "result\n  expected " + want.ToJson() + "\n  got      " + got.ToJson());
                        return;
                    }
                    DgaException e = null;
                    try
                    {
                        var got = call();
                        throw new TestFailure("expected a " + expect.GetString("errorKind") + " error, got " + got);
                    }
                    catch (DgaException x)
                    {
                        e = x;
                    }
                    var kinds = new Dictionary<string, Type>
                    {
                        { "api", typeof(DgaApiException) },
                        { "protocol", typeof(DgaProtocolException) },
                        { "outcome_unknown", typeof(DgaOutcomeUnknownException) },
                        { "auth", typeof(DgaAuthException) },
                    };
                    Assert.Equal(kinds[expect.GetString("errorKind")], e.GetType(), "error kind (" + e.Message + ")");
                    var code = expect.Get("errorCode");
                    if (code != null)
                    {
                        var api = (DgaApiException)e;
                        Assert.Equal(code.Text, api.ErrorCodeRaw, "ErrorCodeRaw");
                        bool known = code.Kind == JsonKind.String && Enum.IsDefined(typeof(ErrorCode), code.Text);
                        Assert.Equal(known ? (ErrorCode?)Enum.Parse(typeof(ErrorCode), code.Text) : null, api.ErrorCode, "ErrorCode");
                    }
                    if (expect.Get("reference1") != null)
                    {
                        var ou = (DgaOutcomeUnknownException)e;
                        Assert.Equal(expect.GetString("reference1"), ou.Reference1, "Reference1");
                        Assert.Equal(expect.GetString("reference2"), ou.Reference2, "Reference2");
                    }
                }
                finally
                {
                    sb.ClearFaults();
                }
            }
        }

        /// <summary>A create request's raw JSON (the guide's camelCase) as the C# request object.</summary>
        internal static CreatePaymentRequest RequestFrom(string json)
        {
            var o = JsonNode.Parse(json);
            var req = new CreatePaymentRequest();
            foreach (var m in o.Members)
            {
                var v = m.Value.IsNull ? null : m.Value.Text;
                switch (m.Key.Trim().ToLowerInvariant())
                {
                    case "customerid": req.CustomerId = v; break;
                    case "customertitlename": req.CustomerTitleName = v; break;
                    case "customerfirstname": req.CustomerFirstName = v; break;
                    case "customermiddlename": req.CustomerMiddleName = v; break;
                    case "customerlastname": req.CustomerLastName = v; break;
                    case "paymenttype": req.PaymentType = (PaymentType)Enum.Parse(typeof(PaymentType), v, true); break;
                    case "amount": req.Amount = decimal.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture); break;
                    case "requestreference1": req.RequestReference1 = v; break;
                    case "requestreference2": req.RequestReference2 = v; break;
                    case "requestreference3": req.RequestReference3 = v; break;
                    case "source": req.Source = v; break;
                    case "data": req.DataJson = m.Value.ToJson(); break;
                    case "bankcode": break; // always KTB for this gateway; the core sends it
                    default: throw new TestFailure("unexpected create field " + m.Key);
                }
            }
            return req;
        }
    }
}
