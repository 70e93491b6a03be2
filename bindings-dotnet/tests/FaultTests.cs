// Every error kind through the sandbox's fault injection, as core/tests/faults.rs drives them.
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dga.EPayment.Tests
{
    internal sealed class FaultTests
    {
        private readonly Sandbox sb;

        public FaultTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        private static JsonNode Http(int code)
        {
            return JsonNode.Object().Add("httpStatus", JsonNode.Number(code));
        }

        private static JsonNode Latency(int ms)
        {
            return JsonNode.Object().Add("latencyMs", JsonNode.Number(ms));
        }

        /// <summary>A client whose request timeout latency faults can outlast.</summary>
        private DgaClient Impatient()
        {
            return sb.Client(TimeSpan.FromMilliseconds(300));
        }

        public void Register(Runner r)
        {
            r.Add("status gives up after its attempts: Network (5xx, reset), Timeout (latency)", () =>
            {
                sb.ClearFaults();
                using (var client = Impatient())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 10m));
                    foreach (var c in new[]
                    {
                        Tuple.Create("http_status", Http(503), typeof(DgaNetworkException)),
                        Tuple.Create("reset", (JsonNode)null, typeof(DgaNetworkException)),
                        Tuple.Create("latency", Latency(1000), typeof(DgaTimeoutException)),
                    })
                    {
                        sb.ClearFaults();
                        int before = sb.Count("status");
                        sb.Fault("status", c.Item1, 3, c.Item2);
                        try
                        {
                            client.Status(p.Reference1, p.Reference2);
                            throw new TestFailure(c.Item1 + ": expected " + c.Item3.Name);
                        }
                        catch (DgaException e)
                        {
                            Assert.Equal(c.Item3, e.GetType(), c.Item1);
                            Assert.True(e.IsTransient, c.Item1 + " is transient");
                            Assert.Equal("status", e.Endpoint, c.Item1 + " endpoint");
                            Assert.Contains("3 attempts", e.Message, c.Item1);
                        }
                        Assert.Equal(3, sb.Count("status") - before, c.Item1 + ": three attempts");
                    }
                    sb.ClearFaults();
                }
            });

            r.Add("a transient status failure is retried and succeeds", () =>
            {
                sb.ClearFaults();
                using (var client = Impatient())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 10m));
                    int before = sb.Count("status");
                    sb.Fault("status", "http_status", 1, Http(500));
                    Assert.Equal(PaidStatus.Pending, client.Status(p.Reference1, p.Reference2).PaidStatus, "after one retry");
                    Assert.Equal(2, sb.Count("status") - before, "one retry");
                }
            });

            r.Add("an unreadable answer is a DgaProtocolException", () =>
            {
                sb.ClearFaults();
                using (var client = Impatient())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 10m));
                    sb.Fault("status", "malformed", 1);
                    var e = Assert.Throws<DgaProtocolException>(() => client.Status(p.Reference1, p.Reference2));
                    Assert.Equal(DgaErrorKind.Protocol, e.Kind, "kind");
                    sb.Fault("close", "malformed", 1);
                    Assert.Throws<DgaProtocolException>(() => client.Close(p.Reference1, p.Reference2), "close");
                }
            });

            r.Add("create after the request was sent is DgaOutcomeUnknownException with its references", () =>
            {
                sb.ClearFaults();
                using (var client = Impatient())
                {
                    foreach (var c in new[]
                    {
                        Tuple.Create("http_status", Http(503), false),
                        Tuple.Create("reset", (JsonNode)null, false),
                        Tuple.Create("malformed", (JsonNode)null, true),
                        Tuple.Create("latency", Latency(1000), true),
                    })
                    {
                        var req = Sandbox.Request(PaymentType.FastPay, 250.75m);
                        req.RequestReference2 = " R2-" + c.Item1 + " ";
                        int before = sb.Count("create");
                        sb.Fault("create", c.Item1, 1, c.Item2);
                        var e = Assert.Throws<DgaOutcomeUnknownException>(() => client.CreatePayment(req), c.Item1);
                        Assert.Equal(req.RequestReference1, e.Reference1, c.Item1 + " reference1");
                        Assert.Equal("R2-" + c.Item1, e.Reference2, c.Item1 + " reference2 as the core sent it (trimmed)");
                        Assert.Equal("create", e.Endpoint, c.Item1 + " endpoint");
                        Assert.True(!e.IsTransient, "not to be simply repeated");
                        Assert.Equal(1, sb.Count("create") - before, c.Item1 + ": never repeated");
                        // The caller does what the error says: check status.
                        if (c.Item3)
                        {
                            Assert.Equal(PaidStatus.Pending, client.Status(e.Reference1, e.Reference2).PaidStatus, c.Item1 + ": created");
                        }
                        else
                        {
                            var nf = Assert.Throws<DgaApiException>(() => client.Status(e.Reference1, e.Reference2), c.Item1);
                            Assert.Equal<ErrorCode?>(ErrorCode.TransactionNotFound, nf.ErrorCode, c.Item1 + ": not created");
                        }
                    }
                }
            });

            r.Add("void after the request was sent is DgaOutcomeUnknownException", () =>
            {
                sb.ClearFaults();
                using (var client = Impatient())
                {
                    foreach (var c in new[]
                    {
                        Tuple.Create("reset", (JsonNode)null, false),
                        Tuple.Create("malformed", (JsonNode)null, true),
                    })
                    {
                        string refId;
                        var p = sb.PaidPayment(client, PaymentType.FastPay, 40m, out refId);
                        sb.Fault("void", c.Item1, 1, c.Item2);
                        var e = Assert.Throws<DgaOutcomeUnknownException>(() => client.Void(p.Reference1, p.Reference2, refId), c.Item1);
                        Assert.Equal(p.Reference1, e.Reference1, c.Item1 + " reference1");
                        Assert.Equal(p.Reference2, e.Reference2, c.Item1 + " reference2");
                        var st = client.Status(p.Reference1, p.Reference2);
                        Assert.Equal(c.Item3 ? PaidStatus.Void : PaidStatus.Success, st.PaidStatus, c.Item1);
                    }
                }
            });

            r.Add("an expired token is renewed once; refused twice is DgaAuthException", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.QRPayment, 7m));
                    sb.Fault("status", "token_expired", 1);
                    Assert.Equal(PaidStatus.Pending, client.Status(p.Reference1, p.Reference2).PaidStatus, "renewed");
                    sb.Fault("close", "token_expired", 2);
                    Assert.Throws<DgaAuthException>(() => client.Close(p.Reference1, p.Reference2), "refused twice");
                }
            });

            r.Add("the token endpoint failing every attempt is DgaAuthException after 5 attempts", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    int before = sb.Count("token");
                    sb.Fault("token", "http_status", 100, Http(503));
                    var e = Assert.Throws<DgaAuthException>(() => client.Status("x", ""));
                    Assert.Contains("5 attempts", e.Message);
                    Assert.Equal(5, sb.Count("token") - before, "token attempts");
                    sb.ClearFaults();
                }
            });

            r.Add("a gateway that cannot be reached is DgaNetworkException", () =>
            {
                // A port that was free a moment ago: connection refused.
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                int port = ((IPEndPoint)l.LocalEndpoint).Port;
                l.Stop();
                var opts = sb.Options();
                opts.GatewayUrl = "http://127.0.0.1:" + port;
                opts.Retry = new DgaRetryOptions { TokenAttempts = 2, ConnectAttempts = 2, BackoffBase = TimeSpan.FromMilliseconds(1), BackoffCap = TimeSpan.FromMilliseconds(2) };
                using (var client = new DgaClient(opts))
                {
                    // The token call fails first: an auth error whose message names the network failure.
                    var e = Assert.Throws<DgaException>(() => client.Status("x", ""));
                    Assert.True(e is DgaAuthException || e is DgaNetworkException, "auth or network, got " + e.GetType().Name);
                }
            });

            r.Add("a create that surely was not sent is DgaNetworkException (connect failure)", () =>
            {
                // Own sandbox, so it can be taken away after the token is cached.
                var own = new Sandbox(SandboxBinary());
                var opts = own.Options();
                opts.Retry = new DgaRetryOptions { ConnectAttempts = 2, BackoffBase = TimeSpan.FromMilliseconds(1), BackoffCap = TimeSpan.FromMilliseconds(2) };
                using (var client = new DgaClient(opts))
                {
                    client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1m));
                    own.Dispose();
                    var e = Assert.Throws<DgaNetworkException>(() => client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1m)));
                    Assert.Contains("2 attempts", e.Message);
                    Assert.Throws<DgaNetworkException>(() => client.Void("a", "b", "c"), "void");
                }
            });

            r.Add("latency below the timeout is just slow", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1m));
                    sb.Fault("status", "latency", 1, Latency(200));
                    var sw = Stopwatch.StartNew();
                    client.Status(p.Reference1, p.Reference2);
                    Assert.True(sw.ElapsedMilliseconds >= 190, "waited for the answer");
                }
            });
        }

        internal static string SandboxBinary()
        {
            return Program.SandboxBinary;
        }
    }
}
