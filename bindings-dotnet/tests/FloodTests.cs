// Callback floods (docs/architecture.md#callback-floods) through the C# handlers: the burst an
// attacker sends at a callback URL -- 250 genuine deliveries for 10 paid references and 250
// forged ones, 16 at a time -- through the README's ASP.NET handler (HandleCallbackAsync with
// its knownReference lookup) and through HandleCallback without one. What it cost DGA is read
// from the sandbox's request log and from the client's VerificationStats.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment.Tests
{
    internal sealed class FloodTests
    {
        private const int Paid = 10, Genuine = 250, Forged = 250, Workers = 16;

        private readonly Sandbox sb;

        public FloodTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        private DgaClient Client(int? rate, TimeSpan? reuse)
        {
            var o = sb.Options();
            o.VerificationRate = rate;
            o.VerificationReuse = reuse;
            return new DgaClient(o);
        }

        private sealed class Delivery
        {
            public bool Genuine;
            public string Body;
            public int Http;
            public bool Accepted;
        }

        /// <summary>Ten paid payments' callback bodies (DGA's status for each), and their references.</summary>
        private List<string> PaidBodies(DgaClient client, List<Payment> payments)
        {
            var bodies = new List<string>();
            for (int i = 0; i < Paid; i++)
            {
                string refId;
                var p = sb.PaidPayment(client, PaymentType.FastPay, 100.00m, out refId);
                payments.Add(p);
                bodies.Add(client.Status(p.Reference1, p.Reference2).ToJson());
            }
            return bodies;
        }

        /// <summary>The burst, shuffled, through <paramref name="endpoint"/> on 16 threads; checks every answer and the counter.</summary>
        private int Burst(DgaClient client, List<string> bodies, Func<string, Delivery, bool> endpoint, string what, out DgaVerificationStats delta, out double seconds)
        {
            var ds = new List<Delivery>();
            for (int i = 0; i < Genuine; i++) ds.Add(new Delivery { Genuine = true, Body = bodies[i % Paid] });
            for (int i = 0; i < Forged; i++)
            {
                ds.Add(new Delivery { Body = "{\"ref1\":\"FORGED-" + i + "\",\"ref2\":\"R2\",\"paidStatus\":1,\"amount\":\"1.00\",\"refId\":\"X" + i + "\"}" });
            }
            var rng = new Random(21);
            ds = ds.OrderBy(d => rng.Next()).ToList();
            var before = client.VerificationStats;
            int logged = sb.Count("status"), next = -1;
            var started = DateTime.UtcNow;
            var threads = Enumerable.Range(0, Workers).Select(_ => new Thread(() =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < ds.Count)
                {
                    endpoint(ds[i].Body, ds[i]);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            seconds = (DateTime.UtcNow - started).TotalSeconds;
            int calls = sb.Count("status") - logged;
            var after = client.VerificationStats;
            foreach (var d in ds)
            {
                // Never 404/409 while DGA says paid; a forged one never taken.
                bool ok = d.Genuine ? (d.Http == 200 && d.Accepted) || (d.Http == 503 && !d.Accepted) : (d.Http == 404 || d.Http == 503) && !d.Accepted;
                Assert.True(ok, what + ": " + (d.Genuine ? "genuine" : "forged") + " delivery answered " + d.Http + " (result " + d.Accepted + "): " + d.Body);
            }
            Assert.Equal((long)calls, after.StatusCalls - before.StatusCalls, what + ": the counter equals the sandbox's status requests");
            delta = new DgaVerificationStats(JsonNode.Object()
                .Add("reused", JsonNode.Number(after.Reused - before.Reused))
                .Add("refusedUnknown", JsonNode.Number(after.RefusedUnknown - before.RefusedUnknown))
                .Add("refusedBusy", JsonNode.Number(after.RefusedBusy - before.RefusedBusy)));
            Console.WriteLine("  {0}: {1} DGA status calls for the burst ({2:F0} ms); reused {3}, refused unknown {4}, refused busy {5}; 404s {6}",
                what, calls, seconds * 1000, delta.Reused, delta.RefusedUnknown, delta.RefusedBusy, ds.Count(d => d.Http == 404));
            return calls;
        }

        private static bool Take(DgaCallbackReply reply, Delivery d)
        {
            d.Http = reply.HttpStatus;
            d.Accepted = JsonNode.Parse(reply.Body).Get("result").Text == "true";
            return d.Accepted;
        }

        public void Register(Runner r)
        {
            r.Add("floods: the burst through the README's ASP.NET handler with its knownReference: forged deliveries cost DGA 0 calls, genuine <= 20", () =>
            {
                using (var client = Client(null, TimeSpan.FromMinutes(10)))
                {
                    var payments = new List<Payment>();
                    var bodies = PaidBodies(client, payments);
                    DgaCallbackHandler.Client = client;
                    foreach (var p in payments) Orders.Created.TryAdd(p.Reference1 + "/" + p.Reference2, true);
                    try
                    {
                        DgaVerificationStats delta;
                        double seconds;
                        int calls = Burst(client, bodies, (body, d) =>
                        {
                            var wr = AspNetTests.Post(body);
                            d.Http = wr.Status;
                            d.Accepted = JsonNode.Parse(Encoding.UTF8.GetString(wr.Output.ToArray())).Get("result").Text == "true";
                            return d.Accepted;
                        }, "with knownReference (README handler)", out delta, out seconds);
                        Assert.Equal(250L, delta.RefusedUnknown, "every forged delivery refused by the agency's lookup");
                        Assert.True(calls <= 2 * Paid, calls + " status calls for " + Paid + " references (at most " + 2 * Paid + ")");
                    }
                    finally
                    {
                        DgaCallbackHandler.Client = null;
                        foreach (var p in payments)
                        {
                            bool ignored;
                            Orders.Created.TryRemove(p.Reference1 + "/" + p.Reference2, out ignored);
                        }
                    }
                }
            });

            r.Add("floods: the burst without any defence (no knownReference, VerificationRate 0, no reuse): each forged delivery costs DGA a call", () =>
            {
                using (var client = Client(0, TimeSpan.Zero))
                {
                    var bodies = PaidBodies(client, new List<Payment>());
                    DgaVerificationStats delta;
                    double seconds;
                    int calls = Burst(client, bodies, (body, d) => Take(client.HandleCallback(body, s => { }), d), "before (no defence)", out delta, out seconds);
                    Assert.True(calls >= Forged, calls + " status calls: every forged reference was asked");
                }
            });

            r.Add("floods: the burst through HandleCallback without knownReference: at most the budget's burst plus its rate over the burst", () =>
            {
                // 5 a second (burst 10) rather than the default 20 (burst 40), so that the budget,
                // not the machine's speed, is what limits the burst.
                using (var client = Client(5, TimeSpan.FromMinutes(10)))
                {
                    var bodies = PaidBodies(client, new List<Payment>());
                    DgaVerificationStats delta;
                    double seconds;
                    int calls = Burst(client, bodies, (body, d) => Take(client.HandleCallback(body, s => { }), d), "budget only (verificationRate 5)", out delta, out seconds);
                    int allowed = 10 + (int)Math.Ceiling(5 * seconds);
                    Assert.True(calls <= allowed, calls + " status calls in " + seconds.ToString("F1") + " s (budget " + allowed + ")");
                    Assert.True(delta.RefusedBusy > 0, "refused busy");
                    Assert.Equal(0L, delta.RefusedUnknown, "no lookup, no refusedUnknown");
                }
            });

            r.Add("floods: the burst through HandleCallbackAsync with an async knownReference", () =>
            {
                using (var client = Client(null, TimeSpan.FromMinutes(10)))
                {
                    var payments = new List<Payment>();
                    var bodies = PaidBodies(client, payments);
                    var ours = new HashSet<string>(payments.Select(p => p.Reference1 + "/" + p.Reference2));
                    Func<string, string, Task<bool>> known = async (r1, r2) =>
                    {
                        await Task.Yield();
                        return ours.Contains(r1 + "/" + r2);
                    };
                    DgaVerificationStats delta;
                    double seconds;
                    int calls = Burst(client, bodies, (body, d) => Take(client.HandleCallbackAsync(body, s => Task.CompletedTask, knownReference: known).Result, d),
                        "with knownReference (HandleCallbackAsync)", out delta, out seconds);
                    Assert.Equal(250L, delta.RefusedUnknown, "refused unknown");
                    Assert.True(calls <= 2 * Paid, calls + " status calls for " + Paid + " references");
                }
            });

            r.Add("knownReference: false is 404 with no DGA call and no handler; an exception is 503; a null Task is 503; the body's references are what it sees", () =>
            {
                using (var client = Client(null, null))
                {
                    string refId;
                    var p = sb.PaidPayment(client, PaymentType.FastPay, 75.25m, out refId);
                    var body = client.Status(p.Reference1, p.Reference2).ToJson();
                    var seen = new List<string>();
                    int handled = 0, logged = sb.Count("status");
                    var stats = client.VerificationStats;

                    var reply = client.HandleCallback(body, s => handled++, knownReference: (r1, r2) => { seen.Add(r1 + "/" + r2); return false; });
                    Assert.Equal(404, reply.HttpStatus, "not ours");
                    Assert.True(!reply.Accepted && reply.Status == null && handled == 0, "refused, handler not called");
                    Assert.Equal("unknown_payment", ((DgaVerificationException)reply.Error).Reason, "reason");
                    Assert.Equal(p.Reference1 + "/" + p.Reference2, seen.Single(), "the predicate saw the body's references");
                    Assert.Equal(stats.RefusedUnknown + 1, client.VerificationStats.RefusedUnknown, "counted");

                    var down = new InvalidOperationException("database down");
                    reply = client.HandleCallback(body, s => handled++, knownReference: (r1, r2) => { throw down; });
                    Assert.Equal(503, reply.HttpStatus, "the lookup failed");
                    Assert.True(!reply.Accepted && reply.Error == down && handled == 0, "503, the lookup's exception as the reply's error");
                    reply = client.HandleCallbackAsync(body, s => { handled++; return Task.CompletedTask; }, knownReference: (r1, r2) => { throw down; }).Result;
                    Assert.True(reply.HttpStatus == 503 && reply.Error == down, "async: a throwing lookup is 503");
                    reply = client.HandleCallbackAsync(body, s => { handled++; return Task.CompletedTask; }, knownReference: async (r1, r2) => { await Task.Delay(1); throw down; }).Result;
                    Assert.True(reply.HttpStatus == 503 && reply.Error == down, "async: a faulted lookup is 503");
                    reply = client.HandleCallbackAsync(body, s => { handled++; return Task.CompletedTask; }, knownReference: (r1, r2) => null).Result;
                    Assert.True(reply.HttpStatus == 503 && reply.Error is InvalidOperationException, "async: a null Task is 503");
                    reply = client.HandleCallbackAsync(body, s => { handled++; return Task.CompletedTask; }, knownReference: (r1, r2) => Task.FromResult(false)).Result;
                    Assert.True(reply.HttpStatus == 404 && handled == 0, "async: not ours is 404");
                    Assert.Equal(logged, sb.Count("status"), "DGA was not asked");

                    reply = client.HandleCallback("{not json", s => handled++, knownReference: (r1, r2) => { throw new TestFailure("never asked"); });
                    Assert.Equal(400, reply.HttpStatus, "unreadable body: 400, the lookup not asked");

                    reply = client.HandleCallback(body, s => handled++, knownReference: (r1, r2) => true);
                    Assert.True(reply.HttpStatus == 200 && handled == 1, "ours: verified and handled");
                    reply = client.HandleCallbackAsync(body, s => { handled++; return Task.CompletedTask; }, knownReference: (r1, r2) => Task.FromResult(true)).Result;
                    Assert.True(reply.HttpStatus == 200 && handled == 2, "async: ours, verified and handled");
                    Assert.True(client.VerificationStats.ToString().StartsWith("DgaVerificationStats(StatusCalls=", StringComparison.Ordinal), "ToString");
                }
            });
        }
    }
}
