// Every call against the sandbox over loopback HTTP, and the errors DGA's business rules give.
using System;
using System.Globalization;
using System.Linq;
using System.Threading;

namespace Dga.EPayment.Tests
{
    internal sealed class ClientTests
    {
        private readonly Sandbox sb;

        public ClientTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        public void Register(Runner r)
        {
            r.Add("version is the native library's", () =>
            {
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(DgaClient.Version, @"^\d+\.\d+\.\d+"), "a semantic version, got " + DgaClient.Version);
            });

            r.Add("create payment gives exact money, references and a checkout form", () =>
            {
                using (var client = sb.Client())
                {
                    var req = Sandbox.Request(PaymentType.FastPay, 1000.50m);
                    var p = client.CreatePayment(req);
                    Assert.Equal(1000.50m, p.Amount, "amount");
                    // DGA (and the sandbox) answer 1000.5: decimal compares by value, and the form sends what DGA gave.
                    Assert.Equal(req.RequestReference1, p.Reference1, "reference1");
                    Assert.Equal("R2", p.Reference2, "reference2");
                    Assert.Equal("CC", p.PayMethod, "payMethod for FastPay");
                    Assert.Equal("764", p.CurrCode, "currCode");
                    Assert.Equal(18, p.OrderRef.Length, "orderRef is 18 digits");
                    Assert.Equal(64, p.SecurityKey.Length, "securityKey");
                    Assert.True(p.GatewayUrl.StartsWith(sb.Url, StringComparison.Ordinal), "gateway URL is the sandbox's page");
                    Assert.DoesNotContain(p.SecurityKey, p.ToString(), "ToString hides the security key");

                    var html = p.CheckoutFormHtml();
                    Assert.Equal(html, DgaCheckout.FormHtml(p), "both spellings give the same page");
                    Assert.Contains("action=\"" + p.GatewayUrl + "\"", html);
                    Assert.Contains("name=\"amount\" value=\"" + p.Amount.ToString(CultureInfo.InvariantCulture) + "\"", html);
                    Assert.Contains("name=\"securityKey\" value=\"" + p.SecurityKey + "\"", html);
                    Assert.Contains("name=\"orderRef\" value=\"" + p.OrderRef + "\"", html);

                    // The form's fields are accepted by the gateway page it posts to.
                    int status;
                    var fields = System.Text.RegularExpressions.Regex.Matches(html, "name=\"([^\"]+)\" value=\"([^\"]*)\"")
                        .Cast<System.Text.RegularExpressions.Match>()
                        .Select(m => Uri.EscapeDataString(m.Groups[1].Value) + "=" + Uri.EscapeDataString(System.Net.WebUtility.HtmlDecode(m.Groups[2].Value)));
                    var page = sb.Send("POST", new Uri(p.GatewayUrl).PathAndQuery, string.Join("&", fields), out status, "application/x-www-form-urlencoded");
                    Assert.Equal(200, status, "gateway page accepts the checkout form: " + page);
                    Assert.Contains(p.OrderRef, page, "gateway page shows the order");
                }
            });

            r.Add("status follows the payment: pending, paid (with Bangkok dates), voided", () =>
            {
                using (var client = sb.Client())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 250.75m));
                    var st = client.Status(p.Reference1, p.Reference2);
                    Assert.Equal(PaidStatus.Pending, st.PaidStatus, "pending");
                    Assert.Equal("Pending", st.PaidStatusRaw, "raw name");
                    Assert.Equal(250.75m, st.Amount, "amount");
                    Assert.Equal<DateTime?>(null, st.PaidDate, "no paid date yet");
                    Assert.Equal<string>(null, st.RefId, "no refId yet");
                    Assert.True(!st.IsPaid, "not paid");

                    sb.Simulate(p.Reference1, p.Reference2, "pay", false);
                    st = client.Status(p.Reference1, p.Reference2);
                    Assert.Equal(PaidStatus.Success, st.PaidStatus, "paid");
                    Assert.True(st.IsPaid, "IsPaid");
                    Assert.Equal(PaymentType.FastPay, st.PaymentType, "payment type");
                    Assert.NotNull(st.PaidDate, "paid date");
                    Assert.Equal(DateTimeKind.Unspecified, st.PaidDate.Value.Kind, "Bangkok local time, no offset");
                    var bangkokNow = DateTime.UtcNow.AddHours(7);
                    Assert.True(Math.Abs((st.PaidDate.Value - bangkokNow).TotalMinutes) < 5, "paid date is Bangkok's now, got " + st.PaidDate);
                    Assert.Equal(7, st.RefId.Length, "refId");
                    Assert.Equal("บัตรเครดิต/เดบิต", st.PaidChannel, "Thai paid channel");
                    Assert.NotNull(st.CardNo, "masked card number");
                    Assert.Equal(p.Reference1, st.Ref1, "ref1");
                    Assert.Equal("R2", st.Ref2, "ref2");

                    var c = client.Void(p.Reference1, p.Reference2, st.RefId);
                    Assert.Equal(ResponseStatus.Success, c.Status, "void confirmed");
                    st = client.Status(p.Reference1, p.Reference2);
                    Assert.Equal(PaidStatus.Void, st.PaidStatus, "voided");
                    Assert.NotNull(st.VoidDate, "void date");
                }
            });

            r.Add("close an unpaid payment; closing a paid one is DGA error 14", () =>
            {
                using (var client = sb.Client())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.QRPayment, 7m));
                    Assert.Equal("QR", p.PayMethod, "payMethod for QR");
                    var c = client.Close(p.Reference1, p.Reference2);
                    Assert.Equal(ResponseStatus.Success, c.Status, "closed");
                    Assert.Equal("Success", c.StatusRaw, "raw status");
                    Assert.Equal(PaidStatus.Expired, client.Status(p.Reference1, p.Reference2).PaidStatus, "closed is Expired");

                    string refId;
                    var paid = sb.PaidPayment(client, PaymentType.FastPay, 40m, out refId);
                    var e = Assert.Throws<DgaApiException>(() => client.Close(paid.Reference1, paid.Reference2));
                    Assert.Equal<ErrorCode?>(ErrorCode.PaidPaymentCannotBeClosed, e.ErrorCode, "errorCode");
                    Assert.Equal(14, e.ErrorCodeNumber, "errorCode number");
                    Assert.Equal("PaidPaymentCannotBeClosed", e.ErrorCodeRaw, "errorCode name");
                    Assert.Equal<ResponseStatus?>(ResponseStatus.Error, e.Status, "envelope status");
                    Assert.Equal<int?>((int)ResponseStatus.Error, e.StatusNumber, "envelope status number");
                    Assert.Equal("close", e.Endpoint, "endpoint");
                    Assert.Equal(DgaErrorKind.Api, e.Kind, "kind");
                }
            });

            r.Add("DGA's business errors are DgaApiException with the guide's error code", () =>
            {
                using (var client = sb.Client())
                {
                    var e = Assert.Throws<DgaApiException>(() => client.Status("no-such-" + Sandbox.UniqueRef("x"), ""));
                    Assert.Equal<ErrorCode?>(ErrorCode.TransactionNotFound, e.ErrorCode, "unknown transaction");
                    Assert.Equal("status", e.Endpoint, "endpoint");

                    var req = Sandbox.Request(PaymentType.FastPay, 1m);
                    client.CreatePayment(req);
                    var dup = Sandbox.Request(PaymentType.FastPay, 1m);
                    dup.RequestReference1 = req.RequestReference1;
                    e = Assert.Throws<DgaApiException>(() => client.CreatePayment(dup));
                    Assert.Equal<ErrorCode?>(ErrorCode.ReferenceNumberDuplicate, e.ErrorCode, "duplicate reference1");

                    var bad = Sandbox.Request(PaymentType.FastPay, 1m);
                    bad.Source = "NOPE";
                    e = Assert.Throws<DgaApiException>(() => client.CreatePayment(bad));
                    Assert.Equal<ErrorCode?>(ErrorCode.InvalidSource, e.ErrorCode, "unknown source");

                    string refId;
                    var qr = client.CreatePayment(Sandbox.Request(PaymentType.QRPayment, 5m));
                    sb.Simulate(qr.Reference1, qr.Reference2, "pay", false);
                    refId = client.Status(qr.Reference1, qr.Reference2).RefId;
                    e = Assert.Throws<DgaApiException>(() => client.Void(qr.Reference1, qr.Reference2, refId));
                    Assert.Equal<ErrorCode?>(ErrorCode.UnsupportedPaymentType, e.ErrorCode, "void of a QR payment");

                    var card = sb.PaidPayment(client, PaymentType.FastPay, 5m, out refId);
                    e = Assert.Throws<DgaApiException>(() => client.Void(card.Reference1, card.Reference2, "0000000"));
                    Assert.Equal<ErrorCode?>(ErrorCode.UnableToVoidTransaction, e.ErrorCode, "void with a wrong payment reference");
                }
            });

            r.Add("a bad request is a validation error naming every field, before any network call", () =>
            {
                using (var client = sb.Client())
                {
                    int before = sb.Count("create") + sb.Count("token");
                    var req = new CreatePaymentRequest
                    {
                        CustomerId = "1234567890121",
                        CustomerTitleName = "นาย",
                        CustomerFirstName = "ทดสอบ",
                        CustomerLastName = "",
                        PaymentType = PaymentType.BillPayment,
                        Amount = 10.123m,
                        RequestReference1 = Sandbox.UniqueRef("V"),
                    };
                    var e = Assert.Throws<DgaValidationException>(() => client.CreatePayment(req));
                    Assert.SetEqual(new[] { "customerLastName", "paymentType", "amount" }, e.FieldErrors.Select(f => f.Field), "bad fields");
                    Assert.Contains("amount", e.Message);

                    req = Sandbox.Request(PaymentType.FastPay, -5m);
                    e = Assert.Throws<DgaValidationException>(() => client.CreatePayment(req));
                    Assert.SetEqual(new[] { "amount" }, e.FieldErrors.Select(f => f.Field), "negative amount");

                    req = Sandbox.Request(PaymentType.FastPay, 1m);
                    req.PaymentType = null;
                    req.Amount = null;
                    e = Assert.Throws<DgaValidationException>(() => client.CreatePayment(req));
                    Assert.SetEqual(new[] { "paymentType", "amount" }, e.FieldErrors.Select(f => f.Field), "missing fields");

                    req = Sandbox.Request(PaymentType.FastPay, 1m);
                    req.DataJson = "[1, 2]";
                    e = Assert.Throws<DgaValidationException>(() => client.CreatePayment(req));
                    Assert.SetEqual(new[] { "data" }, e.FieldErrors.Select(f => f.Field), "data must be an object");

                    Assert.Equal(before, sb.Count("create") + sb.Count("token"), "no request reached DGA");
                }
            });

            r.Add("DataJson passes through with exact numbers; malformed DataJson is a DgaArgumentException", () =>
            {
                using (var client = sb.Client())
                {
                    var req = Sandbox.Request(PaymentType.FastPay, 3m);
                    req.DataJson = "{\"invoice\": \"ใบแจ้งหนี้ 1\", \"big\": 12345678901234567890.10}";
                    var p = client.CreatePayment(req);
                    var tx = sb.Get("/__sandbox/transactions").Items.First(t => t.GetString("ref1") == p.Reference1);
                    var data = tx.Get("data");
                    Assert.Equal("ใบแจ้งหนี้ 1", data.GetString("invoice"), "Thai text in data");
                    Assert.Equal("12345678901234567890.10", data.Get("big").Text, "the exact digits");

                    req = Sandbox.Request(PaymentType.FastPay, 3m);
                    req.DataJson = "{\"a\": ";
                    Assert.Throws<DgaArgumentException>(() => client.CreatePayment(req), "unterminated");
                    req.DataJson = "{\"a\": 1,}";
                    var e = Assert.Throws<DgaArgumentException>(() => client.CreatePaymentAsync(req), "trailing comma");
                    Assert.Contains("DataJson is not valid JSON", e.Message);
                    Assert.Equal("request", e.ParamName, "the argument");
                    Assert.Equal(DgaErrorKind.InvalidArgument, e.Kind, "kind");
                }
            });

            r.Add("client options are checked by the core, each bad one named by its property", () =>
            {
                var e = Assert.Throws<DgaValidationException>(() => new DgaClient(new DgaClientOptions { AgentId = "12345" }));
                var fields = e.FieldErrors.Select(f => f.Field).ToList();
                Assert.True(fields.Contains("ConsumerKey") && fields.Contains("ConsumerSecret") && fields.Contains("AgentId"),
                    "ConsumerKey, ConsumerSecret and AgentId named, got " + string.Join(",", fields));

                var opts = sb.Options();
                opts.GatewayUrl = "ftp://example";
                Assert.Throws<DgaValidationException>(() => new DgaClient(opts), "bad gateway URL");

                opts = sb.Options();
                opts.Timeout = TimeSpan.FromMilliseconds(-5);
                e = Assert.Throws<DgaValidationException>(() => new DgaClient(opts), "negative timeout");
                Assert.SetEqual(new[] { "Timeout" }, e.FieldErrors.Select(f => f.Field), "negative timeout named");
                Assert.Contains("Timeout must be greater than zero", e.Message, "the message names the property");

                // The names the caller wrote, a nested one too, in the fields and the message; never the JSON keys.
                opts = sb.Options();
                opts.ConnectTimeout = TimeSpan.FromSeconds(-1);
                opts.MaxInFlight = 0;
                opts.Retry = new DgaRetryOptions { BackoffBase = TimeSpan.FromMilliseconds(-1), StatusAttempts = 0 };
                e = Assert.Throws<DgaValidationException>(() => new DgaClient(opts), "several bad options");
                Assert.SetEqual(new[] { "ConnectTimeout", "MaxInFlight", "Retry.BackoffBase", "Retry.StatusAttempts" }, e.FieldErrors.Select(f => f.Field), "named by property");
                foreach (var f in e.FieldErrors) Assert.Contains(f.Field + " " + f.Message, e.Message, "the message");
                foreach (var key in new[] { "connectTimeoutMs", "maxInFlight", "retry.", "backoffBaseMs" }) Assert.DoesNotContain(key, e.Message, "the message");

                Assert.Throws<ArgumentNullException>(() => new DgaClient(null));

                foreach (DgaEnvironment env in Enum.GetValues(typeof(DgaEnvironment)))
                {
                    opts = sb.Options();
                    opts.Environment = env;
                    using (var c = new DgaClient(opts))
                    {
                        // Each environment's path exists on the sandbox: a status call reaches DGA's rules.
                        var api = Assert.Throws<DgaApiException>(() => c.Status("none-" + env, ""), env.ToString());
                        Assert.Equal<ErrorCode?>(ErrorCode.TransactionNotFound, api.ErrorCode, env.ToString());
                    }
                }

                opts = sb.Options();
                opts.Retry = DgaRetryOptions.Disabled;
                opts.ConnectTimeout = TimeSpan.FromSeconds(2);
                opts.TokenMaxAge = TimeSpan.FromMinutes(10);
                opts.UserAgentSuffix = "agency-test/1.0";
                opts.StrictAgentId = true;
                using (var c = new DgaClient(opts))
                {
                    Assert.Throws<DgaApiException>(() => c.Status("none", ""));
                }
            });

            r.Add("FromEnvironment reads DGA_* variables, options override them", () =>
            {
                Environment.SetEnvironmentVariable("DGA_CONSUMER_KEY", "sandbox-key");
                Environment.SetEnvironmentVariable("DGA_CONSUMER_SECRET", "sandbox-secret");
                Environment.SetEnvironmentVariable("DGA_AGENT_ID", Sandbox.AgentId);
                Environment.SetEnvironmentVariable("DGA_GATEWAY_URL", "http://127.0.0.1:1");
                try
                {
                    using (var c = DgaClient.FromEnvironment(new DgaClientOptions { GatewayUrl = sb.Url }))
                    {
                        var e = Assert.Throws<DgaApiException>(() => c.Status("env-none", ""));
                        Assert.Equal<ErrorCode?>(ErrorCode.TransactionNotFound, e.ErrorCode, "reached the sandbox");
                    }
                }
                finally
                {
                    foreach (var v in new[] { "DGA_CONSUMER_KEY", "DGA_CONSUMER_SECRET", "DGA_AGENT_ID", "DGA_GATEWAY_URL" })
                    {
                        Environment.SetEnvironmentVariable(v, null);
                    }
                }
            });

            r.Add("wrong credentials are a DgaAuthException that never shows the secret", () =>
            {
                var opts = sb.Options();
                opts.ConsumerSecret = "wrong-secret-3141592653";
                opts.Retry = new DgaRetryOptions { TokenAttempts = 2, BackoffBase = TimeSpan.FromMilliseconds(1), BackoffCap = TimeSpan.FromMilliseconds(2) };
                using (var client = new DgaClient(opts))
                {
                    var e = Assert.Throws<DgaAuthException>(() => client.Status("x", ""));
                    Assert.Equal(DgaErrorKind.Auth, e.Kind, "kind");
                    Assert.DoesNotContain("wrong-secret-3141592653", e.ToString(), "exception text");
                    Assert.DoesNotContain("sandbox-key", e.ToString(), "exception text");
                }
                Assert.DoesNotContain("wrong-secret-3141592653", opts.ToString(), "options ToString");
                Assert.DoesNotContain("sandbox-key", opts.ToString(), "options ToString");
            });

            r.Add("Thai text round-trips through create, status, callbacks and acks", () =>
            {
                using (var client = sb.Client())
                {
                    var req = Sandbox.Request(PaymentType.QRPayment, 99.99m);
                    req.CustomerTitleName = "นางสาว";
                    req.CustomerFirstName = "สมหญิง";
                    req.CustomerMiddleName = "กลาง";
                    req.CustomerLastName = "ใจดี ๑๒๓";
                    req.RequestReference3 = "ค่าธรรมเนียม 😀";
                    var p = client.CreatePayment(req);
                    var tx = sb.Get("/__sandbox/transactions").Items.First(t => t.GetString("ref1") == p.Reference1);
                    Assert.Equal("นางสาว", tx.GetString("customerTitleName"), "title");
                    Assert.Equal("สมหญิง", tx.GetString("customerFirstName"), "first name");
                    Assert.Equal("กลาง", tx.GetString("customerMiddleName"), "middle name");
                    Assert.Equal("ใจดี ๑๒๓", tx.GetString("customerLastName"), "last name with Thai digits");
                    Assert.Equal("ค่าธรรมเนียม 😀", tx.GetString("requestReference3"), "astral plane character");

                    sb.Simulate(p.Reference1, p.Reference2, "pay", false);
                    var st = client.Status(p.Reference1, p.Reference2);
                    Assert.Equal("คิวอาร์โค้ด", st.PaidChannel, "QR paid channel");
                    Assert.Equal("ชำระเงินสำเร็จ", st.Description, "Thai description");

                    var ack = JsonNode.Parse(DgaCallback.Ack(false, "ระบบขัดข้อง \"ชั่วคราว\""));
                    Assert.Equal("ระบบขัดข้อง \"ชั่วคราว\"", ack.GetString("message"), "ack message");
                    Assert.Equal("false", ack.Get("result").Text, "ack result");

                    var thaiRef = "ใบเสร็จ-" + Sandbox.UniqueRef("ท");
                    var r2 = Sandbox.Request(PaymentType.FastPay, 1m);
                    r2.RequestReference1 = thaiRef;
                    r2.RequestReference2 = "สาขา ๒";
                    var tp = client.CreatePayment(r2);
                    Assert.Equal(thaiRef, tp.Reference1, "Thai reference1");
                    var ts = client.Status(thaiRef, "สาขา ๒");
                    Assert.Equal(thaiRef, ts.Ref1, "Thai ref1 from status");
                    Assert.Equal("สาขา ๒", ts.Ref2, "Thai ref2 from status");
                }
            });

            r.Add("amounts and dates do not depend on the thread's culture", () =>
            {
                var saved = Thread.CurrentThread.CurrentCulture;
                try
                {
                    using (var client = sb.Client())
                    {
                        foreach (var name in new[] { "th-TH", "de-DE", "fr-FR" })
                        {
                            Thread.CurrentThread.CurrentCulture = new CultureInfo(name);
                            var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1234.56m));
                            Assert.Equal(1234.56m, p.Amount, name + " create");
                            sb.Simulate(p.Reference1, p.Reference2, "pay", false);
                            var st = client.Status(p.Reference1, p.Reference2);
                            Assert.Equal(1234.56m, st.Amount, name + " status");
                            Assert.True(st.PaidDate.Value.Year >= 2024 && st.PaidDate.Value.Year < 2100, name + ": a Gregorian year, got " + st.PaidDate.Value.Year);
                        }
                    }
                }
                finally
                {
                    Thread.CurrentThread.CurrentCulture = saved;
                }
            });

            r.Add("citizen IDs are checked by the core", () =>
            {
                Assert.True(DgaCitizenId.Validate("1234567890121"), "valid");
                Assert.True(!DgaCitizenId.Validate("1234567890123"), "the guide's example fails the check digit");
                Assert.True(!DgaCitizenId.Validate("123456789012"), "12 digits");
                Assert.True(!DgaCitizenId.Validate("๑๒๓๔๕๖๗๘๙๐๑๒๑"), "Thai digits");
                Assert.True(!DgaCitizenId.Validate(null), "null");
                Assert.True(!DgaCitizenId.Validate("1234567890121\0"), "with a NUL");
            });

            r.Add("strings with a NUL are refused before they reach C", () =>
            {
                using (var client = sb.Client())
                {
                    Assert.Throws<ArgumentException>(() => client.Status("INV-1\0INV-2", ""), "reference1");
                    Assert.Throws<ArgumentException>(() => client.Void("a", "b", "c\0"), "paymentReference");
                    Assert.Throws<ArgumentNullException>(() => client.Status(null, ""), "null reference1");
                    Assert.Throws<ArgumentException>(() => client.Close("\ud800", ""), "unpaired surrogate");
                }
            });

            // Option and request strings travel as JSON, where a NUL is an escaped character: the
            // binding leaves them to the core, which refuses control characters in the secret.
            r.Add("a ConsumerSecret containing NUL is refused by name when the client is built", () =>
            {
                var opts = sb.Options();
                opts.ConsumerSecret = "sandbox-secret\0EXTRA";
                var e = Assert.Throws<DgaValidationException>(() => new DgaClient(opts).Dispose(), "new DgaClient");
                Assert.True(e.FieldErrors.Any(f => string.Equals(f.Field, "consumerSecret", StringComparison.OrdinalIgnoreCase)), "names consumerSecret: " + e.Message);
                Assert.DoesNotContain("EXTRA", e.ToString(), "exception text");
                Assert.DoesNotContain("sandbox-secret", e.ToString(), "exception text");
            });

            r.Add("an unpaired surrogate in an option or a request field is refused by the property's name", () =>
            {
                var opts = sb.Options();
                opts.ConsumerSecret = "sandbox-secret\ud800";
                var e = Assert.Throws<ArgumentException>(() => new DgaClient(opts).Dispose(), "ConsumerSecret");
                Assert.Equal("options", e.ParamName, "options: ParamName");
                Assert.Contains("ConsumerSecret is not valid Unicode text", e.Message, "options");
                Assert.DoesNotContain("sandbox-secret", e.ToString(), "exception text");
                using (var client = sb.Client())
                {
                    var req = Sandbox.Request(PaymentType.FastPay, 1m);
                    req.CustomerFirstName = "\udc00ทดสอบ";
                    var a = Assert.Throws<ArgumentException>(() => client.CreatePayment(req), "CustomerFirstName");
                    Assert.Equal("request", a.ParamName, "request: ParamName");
                    Assert.Contains("CustomerFirstName is not valid Unicode text", a.Message, "request");
                    req.CustomerFirstName = "ทดสอบ 😀";
                    client.CreatePayment(req); // a surrogate pair is fine
                }
            });

            r.Add("options ToString leaves out the gateway URL's userinfo and query", () =>
            {
                foreach (var url in new[] { "http://u:GWPW@127.0.0.1:8580", "https://u:GWPW/x@y@h/p", "u:GWPW@h", "https://h/p?key=GWPW" })
                {
                    Assert.DoesNotContain("GWPW", new DgaClientOptions { GatewayUrl = url }.ToString(), url);
                }
                Assert.Contains("GatewayUrl=http://***@127.0.0.1:8580,", new DgaClientOptions { GatewayUrl = "http://u:GWPW@127.0.0.1:8580" }.ToString());
                Assert.Contains("GatewayUrl=https://h/p?***,", new DgaClientOptions { GatewayUrl = "https://h/p?key=GWPW" }.ToString());
                Assert.Contains("GatewayUrl=https://dga.example/base,", new DgaClientOptions { GatewayUrl = "https://dga.example/base" }.ToString(), "no credentials: as given");
            });

            r.Add("C# enums equal the core's tables (dga_enum_tables_json)", () =>
            {
                var tables = JsonNode.Parse(DgaEnums.TablesJson);
                var pairs = new[]
                {
                    Tuple.Create("BankCode", typeof(BankCode)),
                    Tuple.Create("PaymentType", typeof(PaymentType)),
                    Tuple.Create("PaidStatus", typeof(PaidStatus)),
                    Tuple.Create("ResponseStatus", typeof(ResponseStatus)),
                    Tuple.Create("ErrorCode", typeof(ErrorCode)),
                };
                Assert.SetEqual(pairs.Select(p => p.Item1), tables.Members.Select(m => m.Key), "the core's enums");
                foreach (var pair in pairs)
                {
                    var core = tables.Get(pair.Item1).Items.Select(row => row.GetString("name") + "=" + row.Get("number").Text);
                    var cs = Enum.GetValues(pair.Item2).Cast<object>().Select(v => Enum.GetName(pair.Item2, v) + "=" + Convert.ToInt64(v));
                    Assert.SetEqual(core, cs, pair.Item1);
                }
                Assert.Equal("ชำระเงินสำเร็จ", DgaEnums.DescriptionTh(PaidStatus.Success), "Thai description from the core");
                Assert.Equal("คิวอาร์เพย์เมนต์", DgaEnums.DescriptionTh(PaymentType.QRPayment), "Thai description from the core");
                Assert.Equal("Transaction Not Found", DgaEnums.Description(ErrorCode.TransactionNotFound), "error code description");
            });

            r.Add("exceptions serialize (BinaryFormatter, as across AppDomains) keeping type, Kind, message and their own properties", () =>
            {
                var formatter = new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter();
                Func<Exception, Exception> roundTrip = e =>
                {
                    using (var m = new System.IO.MemoryStream())
                    {
                        formatter.Serialize(m, e);
                        m.Position = 0;
                        return (Exception)formatter.Deserialize(m);
                    }
                };
                for (int kind = 1; kind <= 11; kind++)
                {
                    var e = Errors.Build(kind, 0, "{\"message\": \"m" + kind + "\", \"transient\": true, \"endpoint\": \"status\"}");
                    var back = roundTrip(e);
                    Assert.Equal(e.GetType(), back.GetType(), "type of status " + kind);
                    Assert.Equal(e.Message, back.Message, "message of status " + kind);
                    if (e is DgaException dga)
                    {
                        Assert.Equal(dga.Kind, ((DgaException)back).Kind, "Kind of status " + kind);
                        Assert.Equal(dga.Endpoint, ((DgaException)back).Endpoint, "Endpoint of status " + kind);
                        Assert.Equal(dga.IsTransient, ((DgaException)back).IsTransient, "IsTransient of status " + kind);
                    }
                }
                Assert.True(((DgaException)roundTrip(Errors.Build(5, 0, "{\"message\": \"m\", \"transient\": true}"))).IsTransient, "IsTransient");
                var unknown = (DgaOutcomeUnknownException)roundTrip(Errors.Build(6, 0,
                    "{\"message\": \"m\", \"endpoint\": \"create\", \"reference1\": \"INV-1\", \"reference2\": \"R2\"}"));
                Assert.Equal("INV-1", unknown.Reference1, "reference1");
                Assert.Equal("R2", unknown.Reference2, "reference2");
                var differs = (DgaVerificationException)roundTrip(Errors.Build(9, 0, "{\"message\": \"m\", \"reason\": \"status_differs\", "
                    + "\"mismatches\": [{\"field\": \"amount\", \"callback\": \"1.00\", \"dga\": \"300\"}]}"));
                Assert.Equal("status_differs", differs.Reason, "reason");
                Assert.Equal("300", differs.Mismatches.Single().DgaValue, "mismatches");
                var invalid = Assert.Throws<DgaValidationException>(() => new DgaClient(new DgaClientOptions { AgentId = "1" }));
                var back2 = (DgaValidationException)roundTrip(invalid);
                Assert.SetEqual(invalid.FieldErrors.Select(f => f.Field + " " + f.Message), back2.FieldErrors.Select(f => f.Field + " " + f.Message), "field errors");
                Assert.Equal(invalid.StackTrace, back2.StackTrace, "the stack trace");
                using (var client = sb.Client())
                {
                    var api = Assert.Throws<DgaApiException>(() => client.Status("no-such-" + Sandbox.UniqueRef("S")));
                    var back = (DgaApiException)roundTrip(api);
                    Assert.Equal<ErrorCode?>(ErrorCode.TransactionNotFound, back.ErrorCode, "ErrorCode");
                    Assert.Equal(api.ErrorCodeRaw, back.ErrorCodeRaw, "ErrorCodeRaw");
                    Assert.Equal(api.ErrorCodeNumber, back.ErrorCodeNumber, "ErrorCodeNumber");
                    Assert.Equal(api.Status, back.Status, "Status");
                    Assert.Equal(api.StatusNumber, back.StatusNumber, "StatusNumber");
                    Assert.Equal("status", back.Endpoint, "Endpoint");
                }
                var argument = (DgaArgumentException)roundTrip(new DgaArgumentException("bad", "request"));
                Assert.Equal("request", argument.ParamName, "ParamName");
            });

            r.Add("every ABI status maps to its exception type", () =>
            {
                var expected = new[]
                {
                    typeof(DgaValidationException), typeof(DgaAuthException), typeof(DgaApiException),
                    typeof(DgaTimeoutException), typeof(DgaNetworkException), typeof(DgaOutcomeUnknownException),
                    typeof(DgaProtocolException), typeof(DgaCallbackException), typeof(DgaVerificationException),
                    typeof(DgaArgumentException), typeof(DgaInternalException),
                };
                for (int kind = 1; kind <= 11; kind++)
                {
                    var e = Errors.Build(kind, 0, "{\"message\": \"m\"}");
                    Assert.Equal(expected[kind - 1], e.GetType(), "status " + kind);
                    Assert.Equal("m", e.Message, "message kept");
                    var dga = e as DgaException;
                    if (dga != null)
                    {
                        Assert.Equal((DgaErrorKind)kind, dga.Kind, "Kind of status " + kind);
                    }
                }
                Assert.Equal(typeof(DgaInternalException), Errors.Build(99, 0, "{\"message\": \"m\"}").GetType(), "an unknown status is internal");
                var api = (DgaApiException)Errors.Build(3, 8, "{\"message\": \"m\", \"errorCode\": \"TransactionNotFound\", \"errorCodeNumber\": 8}");
                Assert.Equal<ErrorCode?>(ErrorCode.TransactionNotFound, api.ErrorCode, "from the error JSON");
                Assert.Equal(8, api.ErrorCodeNumber, "dga_error_api_code");
                var unknown = (DgaApiException)Errors.Build(3, 777, "{\"message\": \"m\", \"errorCode\": 777, \"status\": \"Error\"}");
                Assert.Equal<ErrorCode?>(null, unknown.ErrorCode, "unknown code");
                Assert.Equal("777", unknown.ErrorCodeRaw, "kept raw");
            });

            r.Add("DgaErrorKind equals the core's error kinds (dga_error_kinds_json)", () =>
            {
                var kinds = JsonNode.Parse(NativeMethods.ReadUtf8(NativeMethods.dga_error_kinds_json()));
                var core = kinds.Items.Select(k => k.GetString("code").Replace("_", "") + "=" + k.Get("number").Text);
                var cs = Enum.GetValues(typeof(DgaErrorKind)).Cast<DgaErrorKind>()
                    .Where(k => k != DgaErrorKind.InvalidArgument && k != DgaErrorKind.Internal && k != DgaErrorKind.Cancelled)
                    .Select(k => k.ToString().ToLowerInvariant() + "=" + (int)k);
                Assert.SetEqual(core, cs, "error kinds");
            });
        }
    }
}
