// The Task-based calls against the sandbox: every call and its errors; 1,000 StatusAsync in
// flight holding no thread each (threads read from /proc/self/task); cancellation through a
// CancellationToken (a held status, a create that still completes at DGA and is logged at
// WARNING through DgaLog); Task.WaitAll on the calling thread; the log's default sink.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment.Tests
{
    internal sealed class AsyncTests
    {
        private readonly Sandbox sb;

        public AsyncTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        private static int Threads() => Directory.GetDirectories("/proc/self/task").Length;

        private static JsonNode Latency(int ms) => JsonNode.Object().Add("latencyMs", JsonNode.Number(ms));

        private static T Throws<T>(Task task, string what) where T : Exception
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                throw new TestFailure(what + ": expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message);
            }
            throw new TestFailure(what + ": expected " + typeof(T).Name + ", got a result");
        }

        public void Register(Runner r)
        {
            r.Add("async: every call, with DGA's results and errors", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    var created = client.CreatePaymentAsync(Sandbox.Request(PaymentType.FastPay, 250.5m)).Result;
                    Assert.Equal(250.5m, created.Amount, "payment amount");
                    var st = client.StatusAsync(created.Reference1, created.Reference2).Result;
                    Assert.Equal<PaidStatus?>(PaidStatus.Pending, st.PaidStatus, "pending");
                    string refId;
                    var p = sb.PaidPayment(client, PaymentType.FastPay, 1000.50m, out refId);
                    var paid = client.StatusAsync(p.Reference1, p.Reference2).Result;
                    Assert.Equal<PaidStatus?>(PaidStatus.Success, paid.PaidStatus, "paid");
                    var cb = DgaCallback.Parse(paid.ToJson());
                    Assert.Equal<PaidStatus?>(PaidStatus.Success, client.VerifyCallbackAsync(cb).Result.PaidStatus, "verified");
                    var voided = client.VoidAsync(p.Reference1, p.Reference2, paid.RefId).Result;
                    Assert.NotNull(voided, "void confirmation");
                    Assert.Equal<PaidStatus?>(PaidStatus.Void, client.Status(p.Reference1, p.Reference2).PaidStatus, "voided");

                    var q = client.CreatePaymentAsync(Sandbox.Request(PaymentType.QRPayment, 10m)).Result;
                    Assert.NotNull(client.CloseAsync(q.Reference1, q.Reference2).Result, "close confirmation");

                    var api = Throws<DgaApiException>(client.StatusAsync("no-such"), "unknown payment");
                    Assert.Equal<ErrorCode?>(ErrorCode.TransactionNotFound, api.ErrorCode, "errorCode");
                    Throws<DgaValidationException>(client.CreatePaymentAsync(new CreatePaymentRequest()), "empty request");
                    Throws<DgaVerificationException>(client.VerifyCallbackAsync(DgaCallback.Parse(paid.ToJson().Replace(p.Reference1, "NEVER-" + p.Reference1))), "unknown callback");
                    sb.Fault("status", "malformed", 1);
                    Throws<DgaProtocolException>(client.StatusAsync("x"), "malformed answer");
                    sb.Fault("create", "reset", 1);
                    var unknown = Throws<DgaOutcomeUnknownException>(client.CreatePaymentAsync(Sandbox.Request(PaymentType.FastPay, 10m)), "create reset");
                    Assert.True(!string.IsNullOrEmpty(unknown.Reference1), "outcome unknown carries the references");
                    sb.ClearFaults();
                    try
                    {
                        client.StatusAsync(null);
                        throw new TestFailure("a null reference must throw at once");
                    }
                    catch (ArgumentNullException)
                    {
                    }
                }
                using (var wrong = new DgaClient(new DgaClientOptions { ConsumerKey = "sandbox-key", ConsumerSecret = "wrong", AgentId = Sandbox.AgentId, GatewayUrl = sb.Url, Source = "SANDBOX" }))
                {
                    Throws<DgaAuthException>(wrong.StatusAsync("x"), "wrong secret");
                }
            });

            r.Add("async: 1,000 StatusAsync held 700 ms each complete with at most 32 threads added", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    client.StatusAsync("no-such").ContinueWith(t => { }).Wait();
                    client.StatusAsync("no-such").ContinueWith(t => { }).Wait();
                    int before = Threads();
                    sb.Fault("status", "latency", 1000, Latency(700));
                    var started = DateTime.UtcNow;
                    var tasks = Enumerable.Range(0, 1000).Select(i => client.StatusAsync("no-such")).ToArray();
                    int most = Threads();
                    var all = Task.WhenAll(tasks).ContinueWith(t => { });
                    while (!all.Wait(20))
                    {
                        most = Math.Max(most, Threads());
                    }
                    var took = (DateTime.UtcNow - started).TotalSeconds;
                    sb.ClearFaults();
                    Assert.True(tasks.All(t => t.IsFaulted && t.Exception.InnerException is DgaApiException), "every call got DGA's answer");
                    Console.WriteLine("  1000 StatusAsync held 0.7 s: {0:F1} s, threads {1} before, at most {2} during (+{3})", took, before, most, most - before);
                    Assert.True(most - before <= 32, "at most 32 threads added (" + (most - before) + ")");
                }
            });

            r.Add("async: a CancellationToken ends a status held 10 s well before (OperationCanceledException)", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                using (var cts = new CancellationTokenSource())
                {
                    sb.Fault("status", "latency", 1, Latency(10000));
                    var started = DateTime.UtcNow;
                    var task = client.StatusAsync("held", "", cts.Token);
                    cts.CancelAfter(300);
                    var e = Throws<OperationCanceledException>(task, "cancelled status");
                    var took = (DateTime.UtcNow - started).TotalSeconds;
                    Assert.True(task.IsCanceled, "the task is cancelled");
                    Assert.True(took < 3, "cancelled after " + took + " s");
                    Assert.True(e.CancellationToken == cts.Token, "the exception carries the token");
                    sb.ClearFaults();
                    // Already cancelled: not started at all.
                    Assert.True(client.StatusAsync("x", "", cts.Token).IsCanceled, "a cancelled token gives a cancelled task");
                }
            });

            r.Add("async: a cancelled CreatePaymentAsync still creates the payment at DGA and logs a WARNING with DgaLog", () =>
            {
                sb.ClearFaults();
                var records = new List<DgaLogRecord>();
                EventHandler<DgaLogRecord> h = (s, rec) => { lock (records) { records.Add(rec); } };
                DgaLog.Record += h;
                try
                {
                    using (var client = sb.Client())
                    using (var cts = new CancellationTokenSource())
                    {
                        sb.Fault("create", "latency", 1, Latency(1500));
                        var request = Sandbox.Request(PaymentType.FastPay, 99m);
                        var task = client.CreatePaymentAsync(request, cts.Token);
                        Thread.Sleep(400);
                        cts.Cancel();
                        Throws<OperationCanceledException>(task, "cancelled create");
                        DgaLogRecord warning = null;
                        var deadline = DateTime.UtcNow.AddSeconds(20);
                        while (warning == null && DateTime.UtcNow < deadline)
                        {
                            lock (records)
                            {
                                warning = records.FirstOrDefault(x => x.Level == DgaLogLevel.Warning && x.Message.Contains(request.RequestReference1));
                            }
                            Thread.Sleep(20);
                        }
                        Assert.NotNull(warning, "a WARNING naming " + request.RequestReference1);
                        Console.WriteLine("  " + warning);
                        Assert.Equal("dga_epayment", warning.Target.Split(':')[0], "target");
                        Assert.Equal<PaidStatus?>(PaidStatus.Pending, client.Status(request.RequestReference1, request.RequestReference2 ?? "").PaidStatus, "the create reached DGA");
                    }
                }
                finally
                {
                    DgaLog.Record -= h;
                    sb.ClearFaults();
                }
            });

            r.Add("async: Task.WaitAll and .Result on the calling thread return", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    var p = client.CreatePaymentAsync(Sandbox.Request(PaymentType.QRPayment, 5m));
                    Assert.True(Task.WaitAll(new Task[] { p }, 30000), "create");
                    var tasks = new Task[]
                    {
                        client.StatusAsync(p.Result.Reference1, p.Result.Reference2),
                        client.StatusAsync(p.Result.Reference1, p.Result.Reference2),
                        client.StatusAsync("no-such"),
                    };
                    Assert.True(Task.WaitAll(tasks.Take(2).ToArray(), 30000), "WaitAll returns");
                    Assert.True(tasks[2].ContinueWith(t => t.IsFaulted).Wait(30000), "the failing one too");
                    Assert.Equal<PaidStatus?>(PaidStatus.Pending, client.StatusAsync(p.Result.Reference1, p.Result.Reference2).Result.PaidStatus, ".Result");
                    // A continuation never runs on the library's thread: a blocking call inside one works.
                    var nested = client.StatusAsync(p.Result.Reference1, p.Result.Reference2)
                        .ContinueWith(t => client.Status(p.Result.Reference1, p.Result.Reference2).PaidStatus, TaskContinuationOptions.ExecuteSynchronously);
                    Assert.Equal<PaidStatus?>(PaidStatus.Pending, nested.Result, "blocking call in a continuation");
                    // Nor on the completion thread: one that waits for another call's completion gets it.
                    // Held 300 ms, so the continuation is registered before the call ends (registered
                    // after, ExecuteSynchronously would run it at once on this thread).
                    sb.Fault("status", "latency", 1, Latency(300));
                    var status = client.StatusAsync(p.Result.Reference1, p.Result.Reference2);
                    Assert.True(status.CreationOptions.HasFlag(TaskCreationOptions.RunContinuationsAsynchronously), "creation options");
                    var waited = status.ContinueWith(t => Tuple.Create(Thread.CurrentThread.IsThreadPoolThread,
                        client.StatusAsync(p.Result.Reference1, p.Result.Reference2).Wait(20000)), TaskContinuationOptions.ExecuteSynchronously);
                    Assert.True(waited.Wait(30000) && waited.Result.Item1, "the continuation runs on the thread pool");
                    Assert.True(waited.Result.Item2, "a call awaited inside a continuation completes");
                }
            });

            r.Add("async: a client disposed with calls in flight: each completes with its result", () =>
            {
                sb.ClearFaults();
                var client = sb.Client();
                client.StatusAsync("no-such").ContinueWith(t => { }).Wait();
                sb.Fault("status", "latency", 5, Latency(400));
                var tasks = Enumerable.Range(0, 5).Select(i => client.StatusAsync("no-such")).ToArray();
                client.Dispose();
                foreach (var t in tasks)
                {
                    Throws<DgaApiException>(t, "status after Dispose");
                }
                sb.ClearFaults();
            });
        }
    }
}
