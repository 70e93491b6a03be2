// tests/vectors/callback_contract.json: the callback contract
// (docs/architecture.md#the-callback-contract) row by row against the
// sandbox. Each single delivery goes through the README's ASP.NET handler in System.Web's
// pipeline (status, body and headers as sent) and through DgaClient.HandleCallback, which the
// handler calls (what the agency's function was given, and the exception with its Reason); the
// 200-delivery flood runs HandleCallback from 200 threads. Mirrors core/tests/callback_contract.rs
// and reports every failing case.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Web;

namespace Dga.EPayment.Tests
{
    internal sealed class CallbackContractTests
    {
        private readonly Sandbox sb;
        private readonly string vectorsDir;

        private readonly bool viaAsync;

        /// <param name="viaAsync">Deliver through HandleCallbackAsync (the flood: every delivery started from one thread, then awaited together) instead of HandleCallback.</param>
        public CallbackContractTests(Sandbox sandbox, string vectorsDir, bool viaAsync = false)
        {
            sb = sandbox;
            this.vectorsDir = vectorsDir;
            this.viaAsync = viaAsync;
        }

        private sealed class Setup
        {
            public string Reference1, Reference2, Amount, RefId;

            public string Substitute(string text)
            {
                return text.Replace("${reference1}", Reference1).Replace("${reference2}", Reference2)
                    .Replace("${amount}", Amount).Replace("${refId}", RefId);
            }
        }

        /// <summary>One delivery as the runner sees it.</summary>
        private sealed class Delivery
        {
            public int Http;
            public string Body;
            public Dictionary<string, string> Headers = new Dictionary<string, string>();
            public bool? Result;
            public Exception Error;
        }

        private Setup SetUp(DgaClient client, JsonNode c)
        {
            var payment = c.Get("payment");
            if (payment == null || payment.IsNull)
            {
                return new Setup { Reference1 = Sandbox.UniqueRef("NEVER-CREATED"), Reference2 = "", Amount = "1", RefId = "" };
            }
            var type = payment.GetString("paymentType") == "FastPay" ? PaymentType.FastPay : PaymentType.QRPayment;
            var amountText = payment.GetString("amount");
            var p = client.CreatePayment(Sandbox.Request(type, decimal.Parse(amountText, System.Globalization.CultureInfo.InvariantCulture)));
            var outcome = c.GetString("dgaOutcome");
            if (outcome != null)
            {
                sb.Simulate(p.Reference1, p.Reference2, outcome.Split('+')[0], false);
            }
            var refId = client.Status(p.Reference1, p.Reference2).RefId ?? "";
            if (outcome == "pay+void")
            {
                client.Void(p.Reference1, p.Reference2, refId);
                Assert.Equal<PaidStatus?>(PaidStatus.Void, client.Status(p.Reference1, p.Reference2).PaidStatus, "voided");
            }
            // The README's handler asks its Orders whether the agency created the payment.
            Orders.Created.TryAdd(p.Reference1 + "/" + p.Reference2, true);
            return new Setup { Reference1 = p.Reference1, Reference2 = p.Reference2, Amount = amountText, RefId = refId };
        }

        private static bool? AckResult(string body)
        {
            try
            {
                var r = JsonNode.Parse(body).Get("result");
                return r == null || r.Kind != JsonKind.Bool ? (bool?)null : r.Text == "true";
            }
            catch (Exception)
            {
                return null;
            }
        }

        /// <summary>The README's ASP.NET handler, as in AspNetTests.</summary>
        private static Delivery ThroughAspNet(byte[] body)
        {
            var wr = new CallbackWorkerRequest(body);
            var ctx = new HttpContext(wr);
            new DgaCallbackHandler().ProcessRequestAsync(ctx).GetAwaiter().GetResult();
            ctx.Response.Flush();
            var text = Encoding.UTF8.GetString(wr.Output.ToArray());
            return new Delivery { Http = wr.Status, Body = text, Headers = wr.Headers, Result = AckResult(text) };
        }

        private Delivery ThroughHandleCallback(DgaClient client, byte[] body, Action<PaymentStatus> record)
        {
            return ToDelivery(viaAsync ? client.HandleCallbackAsync(body, record).GetAwaiter().GetResult() : client.HandleCallback(body, record));
        }

        private static Delivery ToDelivery(DgaCallbackReply reply)
        {
            var d = new Delivery { Http = reply.HttpStatus, Body = reply.Body, Result = AckResult(reply.Body), Error = reply.Error };
            d.Headers["Content-Type"] = reply.ContentType;
            if (reply.Accepted != (d.Result == true))
            {
                d.Result = null; // Accepted and the ack disagree: reported as a wrong result
            }
            return d;
        }

        private List<string> RunCase(DgaClient client, JsonNode c)
        {
            var expect = c.Get("expect");
            var problems = new List<string>();
            var seen = new List<PaymentStatus>();
            Action<PaymentStatus> record = st => { lock (seen) { seen.Add(st); } };
            var setup = SetUp(client, c);
            var fault = c.Get("statusFault");
            if (fault != null && !fault.IsNull)
            {
                var extra = JsonNode.Object();
                foreach (var m in fault.Members.Where(m => m.Key != "kind" && m.Key != "count"))
                {
                    extra.Add(m.Key, m.Value);
                }
                sb.Fault("status", fault.GetString("kind"), int.Parse(fault.Get("count").Text), extra);
            }
            var body = Encoding.UTF8.GetBytes(setup.Substitute(c.GetString("body")));
            var dn = c.Get("deliveries");
            int deliveries = dn == null ? 1 : int.Parse(dn.Text);
            int before = sb.Count("status");
            var replies = new List<Delivery>();
            int aspNetAccepted = 0;
            if (deliveries == 1)
            {
                var viaAspNet = ThroughAspNet(body);
                aspNetAccepted = viaAspNet.Result == true ? 1 : 0;
                replies.Add(viaAspNet);
                replies.Add(ThroughHandleCallback(client, body, record));
            }
            else if (viaAsync)
            {
                var tasks = Enumerable.Range(0, deliveries).Select(i => client.HandleCallbackAsync(body, record)).ToArray();
                Task.WaitAll(tasks);
                replies.AddRange(tasks.Select(t => ToDelivery(t.Result)));
            }
            else
            {
                var results = new Delivery[deliveries];
                using (var go = new ManualResetEventSlim(false))
                {
                    var threads = Enumerable.Range(0, deliveries).Select(i => new Thread(() =>
                    {
                        go.Wait();
                        results[i] = ThroughHandleCallback(client, body, record);
                    })).ToList();
                    threads.ForEach(t => t.Start());
                    go.Set();
                    threads.ForEach(t => t.Join());
                }
                replies.AddRange(results.Where(r => r != null));
                if (replies.Count != deliveries)
                {
                    problems.Add((deliveries - replies.Count) + " deliveries gave no reply");
                }
            }
            int statusCalls = sb.Count("status") - before;
            sb.ClearFaults();

            int wantStatus = int.Parse(expect.Get("httpStatus").Text);
            bool wantAccepted = expect.Get("accepted").Text == "true";
            var overflowNode = expect.Get("overflowHttpStatus");
            int? overflow = overflowNode == null ? (int?)null : int.Parse(overflowNode.Text);
            string kind = expect.GetString("errorKind");
            string reason = expect.GetString("reason");
            int main = 0;
            foreach (var d in replies)
            {
                if (d.Http == wantStatus)
                {
                    main++;
                    if (d.Result != wantAccepted)
                    {
                        problems.Add("ack result " + d.Result + " (want " + wantAccepted + "): " + d.Body);
                    }
                }
                else if (d.Http != overflow)
                {
                    problems.Add("HTTP " + d.Http + " (" + d.Body + ")");
                }
                var excludes = expect.Get("replyExcludes");
                foreach (var x in excludes == null ? new List<JsonNode>() : excludes.Items)
                {
                    var t = setup.Substitute(x.Text);
                    if (t.Length == 0)
                    {
                        continue;
                    }
                    if (d.Body.Contains(t))
                    {
                        problems.Add("the reply body carries \"" + t + "\": " + d.Body);
                    }
                    if (d.Headers.Any(h => h.Key.Contains(t) || (h.Value ?? "").Contains(t)))
                    {
                        problems.Add("a reply header carries \"" + t + "\"");
                    }
                }
            }
            if (main == 0)
            {
                problems.Add("no reply was HTTP " + wantStatus);
            }

            // The README's handler calls the agency's Orders.Record, which records nothing: the
            // handler's calls are counted on the HandleCallback deliveries.
            int accepted = replies.Count(d => d.Result == true) - aspNetAccepted;
            if (seen.Count != accepted)
            {
                problems.Add("handler called " + seen.Count + " times for " + accepted + " accepted replies");
            }
            foreach (var st in seen)
            {
                var j = JsonNode.Parse(st.ToJson());
                var paid = expect.GetString("handlerPaidStatus");
                if (paid != null && j.GetString("paidStatus") != paid)
                {
                    problems.Add("handler got paidStatus " + j.GetString("paidStatus"));
                }
                var amount = expect.GetString("handlerAmount");
                if (amount != null && j.GetString("amount") != amount)
                {
                    problems.Add("handler got amount " + j.GetString("amount"));
                }
                var dgas = expect.Get("handlerRefIdIsDgas");
                if (dgas != null && dgas.Text == "true" && st.RefId != setup.RefId)
                {
                    problems.Add("handler got refId " + st.RefId + " (DGA's is " + setup.RefId + ")");
                }
                if (st is DgaCallbackData)
                {
                    problems.Add("the handler got the callback's data, not DGA's status");
                }
            }
            foreach (var d in replies.Where(d => d.Error != null && d.Http == wantStatus))
            {
                var e = d.Error as DgaException;
                if (kind != null && (e == null || e.Kind.ToString().ToLowerInvariant() != kind.Replace("_", "")))
                {
                    problems.Add("error " + d.Error.GetType().Name + " (want kind " + kind + ")");
                }
                if (reason != null)
                {
                    var v = d.Error as DgaVerificationException;
                    if (v == null || v.Reason != reason)
                    {
                        problems.Add("reason " + (v == null ? "(not a verification error)" : v.Reason) + " (want " + reason + ")");
                    }
                }
            }
            if (deliveries == 1 && !wantAccepted && replies[1].Error == null)
            {
                problems.Add("HandleCallback refused without an error");
            }
            var maxCalls = expect.Get("maxStatusCalls");
            if (maxCalls != null && statusCalls > int.Parse(maxCalls.Text))
            {
                problems.Add(statusCalls + " status calls for " + deliveries + " deliveries");
            }
            return problems;
        }

        public void Register(Runner r)
        {
            r.Add("callback_contract.json: every row, through the ASP.NET handler and " + (viaAsync ? "HandleCallbackAsync" : "HandleCallback"), () =>
            {
                var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(vectorsDir, "callback_contract.json"), Encoding.UTF8));
                var cases = doc.Get("cases").Items;
                Assert.True(cases.Count >= 18, "callback_contract.json has its cases");
                // MaxConcurrentVerifications at its default (16), as the vectors' description asks.
                using (var client = sb.Client())
                {
                    DgaCallbackHandler.Client = client;
                    var failures = new List<string>();
                    try
                    {
                        foreach (var c in cases)
                        {
                            List<string> problems;
                            try
                            {
                                problems = RunCase(client, c);
                            }
                            catch (Exception e)
                            {
                                problems = new List<string> { "threw " + e };
                                sb.ClearFaults();
                            }
                            if (problems.Count > 0)
                            {
                                failures.Add(c.GetString("name") + ": " + string.Join("; ", problems));
                            }
                        }
                    }
                    finally
                    {
                        DgaCallbackHandler.Client = null;
                    }
                    Assert.True(failures.Count == 0, "every case passes:\n" + string.Join("\n", failures));
                }
            });

            if (viaAsync) return;
            r.Add("DgaClientOptions sets exactly the core's config keys, and the new ones reach it", () =>
            {
                var o = sb.Options();
                o.Environment = DgaEnvironment.Uat;
                o.ConnectTimeout = TimeSpan.FromSeconds(1);
                o.TokenMaxAge = TimeSpan.FromMinutes(1);
                o.Proxy = "http://127.0.0.1:1";
                o.CaPem = "";
                o.CaFile = "";
                o.UserAgentSuffix = "tests/1";
                o.StrictAgentId = false;
                o.MaxResponseBytes = 65536;
                o.TokenFailureCooldown = TimeSpan.Zero;
                o.PoolIdleTimeout = TimeSpan.FromSeconds(5);
                o.MaxConcurrentVerifications = 4;
                o.MaxInFlight = 64;
                o.VerificationRate = 50;
                o.VerificationReuse = TimeSpan.FromSeconds(1);
                o.WorkerThreads = 2;
                var keys = JsonNode.Parse(o.ToAbiJson()).Members.Select(m => m.Key).ToList();
                // The core names every key it knows when it refuses an unknown one.
                var withUnknown = JsonNode.Parse(o.ToAbiJson()).Add("notASetting", JsonNode.Number(1)).ToJson();
                IntPtr err;
                var handle = NativeMethods.dga_client_new(NativeMethods.Utf8Z(withUnknown, "config"), out err);
                Assert.True(handle.IsInvalid, "an unknown key is refused");
                handle.Dispose();
                var e = (DgaValidationException)Errors.Take(1, err);
                var problem = e.FieldErrors.Single(f => f.Field == "notASetting").Message;
                var known = problem.Substring(problem.IndexOf("(known: ", StringComparison.Ordinal) + 8).TrimEnd(')').Split(new[] { ", " }, StringSplitOptions.None);
                Assert.SetEqual(known, keys, "DgaClientOptions' JSON keys");

                var ok = sb.Options();
                ok.MaxResponseBytes = 65536;
                ok.TokenFailureCooldown = TimeSpan.Zero;
                ok.PoolIdleTimeout = TimeSpan.FromSeconds(5);
                ok.MaxConcurrentVerifications = 4;
                ok.MaxInFlight = 64;
                using (var client = new DgaClient(ok))
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 10m));
                    Assert.Equal<PaidStatus?>(PaidStatus.Pending, client.Status(p.Reference1, p.Reference2).PaidStatus, "works");
                }
                ok.MaxConcurrentVerifications = 0;
                ok.MaxResponseBytes = 0;
                var bad = Assert.Throws<DgaValidationException>(() => new DgaClient(ok).Dispose());
                Assert.SetEqual(new[] { "MaxConcurrentVerifications", "MaxResponseBytes" }, bad.FieldErrors.Select(f => f.Field), "refused by name");
            });
        }
    }
}
