// An application domain unloaded with async calls in flight (IIS recycling an app): the domain's
// calls are cancelled and their completions taken before it goes, so the library never calls
// into an unloaded domain, and the process (and the other domains' calls) carry on.
using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment.Tests
{
    /// <summary>Runs in the child domain: starts calls the sandbox holds, and leaves them in flight.</summary>
    public sealed class ChildDomainCalls : MarshalByRefObject
    {
        private static DgaClient client;
        private static Task[] calls;

        public int Start(string url, int n)
        {
            client = new DgaClient(new DgaClientOptions
            {
                ConsumerKey = "sandbox-key",
                ConsumerSecret = "sandbox-secret",
                AgentId = Sandbox.AgentId,
                GatewayUrl = url,
                Source = "SANDBOX",
                Timeout = TimeSpan.FromSeconds(30),
            });
            calls = Enumerable.Range(0, n).Select(i => (Task)client.StatusAsync("HELD-" + i)).ToArray();
            return AppDomain.CurrentDomain.Id;
        }

        /// <summary>How many of the calls have ended (none while the sandbox holds them).</summary>
        public int Ended() => calls.Count(t => t.IsCompleted);
    }

    internal sealed class AppDomainTests
    {
        private readonly Sandbox sb;

        public AppDomainTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        public void Register(Runner r)
        {
            r.Add("AppDomain: unloading a domain with 20 calls in flight drains them; the process and this domain's calls carry on", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    // This domain's completion thread runs too, so both domains take completions.
                    client.StatusAsync("no-such").ContinueWith(t => { }).Wait();
                    sb.Fault("status", "latency", 20, JsonNode.Object().Add("latencyMs", JsonNode.Number(4000)));
                    var domain = AppDomain.CreateDomain("dga-child", null, AppDomain.CurrentDomain.SetupInformation);
                    var child = (ChildDomainCalls)domain.CreateInstanceAndUnwrap(typeof(ChildDomainCalls).Assembly.FullName, typeof(ChildDomainCalls).FullName);
                    Assert.True(child.Start(sb.Url, 20) != AppDomain.CurrentDomain.Id, "another domain");
                    Thread.Sleep(500);
                    Assert.Equal(0, child.Ended(), "the calls are held at the sandbox");
                    // Calls of this domain in flight at the same time, across the unload.
                    sb.Fault("status", "latency", 5, JsonNode.Object().Add("latencyMs", JsonNode.Number(1500)));
                    var ours = Enumerable.Range(0, 5).Select(i => client.StatusAsync("no-such")).ToArray();
                    var started = DateTime.UtcNow;
                    AppDomain.Unload(domain);
                    var took = (DateTime.UtcNow - started).TotalSeconds;
                    Console.WriteLine("  unloaded in {0:F2} s with 20 calls in flight", took);
                    Assert.True(took < 3.5, "the domain's calls were cancelled, not waited for (" + took + " s)");
                    Assert.True(Task.WhenAll(ours).ContinueWith(t => { }).Wait(20000), "this domain's calls end");
                    Assert.True(ours.All(t => t.IsFaulted && t.Exception.InnerException is DgaApiException), "with DGA's answer");
                    // Past the holds: nothing calls into the unloaded domain, this one still works.
                    Thread.Sleep(4500);
                    sb.ClearFaults();
                    var p = client.CreatePaymentAsync(Sandbox.Request(PaymentType.QRPayment, 9m)).Result;
                    Assert.Equal<PaidStatus?>(PaidStatus.Pending, client.StatusAsync(p.Reference1, p.Reference2).Result.PaidStatus, "async after the unload");
                    Assert.Equal<PaidStatus?>(PaidStatus.Pending, client.Status(p.Reference1, p.Reference2).PaidStatus, "blocking after the unload");
                    // The log is the process's: the unloaded domain did not turn it off for this one.
                    var warnings = new System.Collections.Concurrent.ConcurrentQueue<DgaLogRecord>();
                    EventHandler<DgaLogRecord> h = (s, rec) => warnings.Enqueue(rec);
                    DgaLog.Record += h;
                    try
                    {
                        string refId;
                        var paid = sb.PaidPayment(client, PaymentType.FastPay, 300m, out refId);
                        var forged = client.Status(paid.Reference1, paid.Reference2).ToJson().Replace("\"amount\":\"300\"", "\"amount\":\"1.00\"");
                        Assert.Contains("\"amount\":\"1.00\"", forged, "a forged amount");
                        Assert.Equal(200, client.HandleCallback(forged, st => { }).HttpStatus, "DGA's status decides");
                        var deadline = DateTime.UtcNow.AddSeconds(10);
                        while (!warnings.Any(w => w.Level == DgaLogLevel.Warning && w.Message.Contains(paid.Reference1)) && DateTime.UtcNow < deadline) Thread.Sleep(20);
                        Assert.True(warnings.Any(w => w.Level == DgaLogLevel.Warning && w.Message.Contains(paid.Reference1)), "a WARNING reaches this domain's DgaLog after the unload");
                    }
                    finally
                    {
                        DgaLog.Record -= h;
                    }
                }
            });
        }
    }
}
