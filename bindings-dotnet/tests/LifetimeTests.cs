// Dispose, use after Dispose, and one client shared by many threads.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace Dga.EPayment.Tests
{
    internal sealed class LifetimeTests
    {
        private readonly Sandbox sb;

        public LifetimeTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        public void Register(Runner r)
        {
            r.Add("Dispose twice is harmless", () =>
            {
                var client = sb.Client();
                client.Dispose();
                client.Dispose();
                Assert.Equal("DgaClient(disposed)", client.ToString(), "disposed");
            });

            r.Add("every call after Dispose is an ObjectDisposedException", () =>
            {
                var client = sb.Client();
                var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1m));
                var cb = DgaCallback.Parse("{\"paidStatus\": 1, \"paidDate\": \"2024-03-07T15:42:28\", \"paidChannel\": \"x\", "
                    + "\"confirmPaidDate\": \"2024-03-07T15:42:28\", \"refId\": \"1234567\", \"ref1\": \"" + p.Reference1 + "\", "
                    + "\"ref2\": \"R2\", \"paymentType\": 3, \"amount\": 1, \"feeAmount\": 0}");
                client.Dispose();
                Assert.Throws<ObjectDisposedException>(() => client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1m)), "create");
                Assert.Throws<ObjectDisposedException>(() => client.Status(p.Reference1, p.Reference2), "status");
                Assert.Throws<ObjectDisposedException>(() => client.Close(p.Reference1, p.Reference2), "close");
                Assert.Throws<ObjectDisposedException>(() => client.Void(p.Reference1, p.Reference2, "1"), "void");
                Assert.Throws<ObjectDisposedException>(() => client.VerifyCallback(cb), "verify");
                Assert.Throws<ObjectDisposedException>(() => client.HandleCallback("{}", st => { }), "handle callback");
                // The static helpers need no client.
                Assert.Equal(p.Reference1, DgaCallback.Parse(cb.ToJson()).Ref1, "Parse still works");
            });

            r.Add("Dispose while a call is in flight waits for it (the handle is ref-counted)", () =>
            {
                sb.ClearFaults();
                var client = sb.Client();
                var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1m));
                sb.Fault("status", "latency", 1, JsonNode.Object().Add("latencyMs", JsonNode.Number(300)));
                Exception inFlight = null;
                PaymentStatus result = null;
                var t = new Thread(() =>
                {
                    try
                    {
                        result = client.Status(p.Reference1, p.Reference2);
                    }
                    catch (Exception e)
                    {
                        inFlight = e;
                    }
                });
                t.Start();
                Thread.Sleep(100);
                client.Dispose();
                t.Join();
                Assert.True(inFlight == null, "the call in flight completes, got " + inFlight);
                Assert.Equal(PaidStatus.Pending, result.PaidStatus, "its result");
                Assert.Throws<ObjectDisposedException>(() => client.Status(p.Reference1, p.Reference2), "then disposed");
            });

            r.Add("one client used from 16 threads at once", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    var errors = new List<string>();
                    var threads = Enumerable.Range(0, 16).Select(i => new Thread(() =>
                    {
                        try
                        {
                            for (int k = 0; k < 5; k++)
                            {
                                var amount = 10m + i + k / 100m;
                                var p = client.CreatePayment(Sandbox.Request(i % 2 == 0 ? PaymentType.FastPay : PaymentType.QRPayment, amount));
                                var st = client.Status(p.Reference1, p.Reference2);
                                if (st.Amount != amount || st.Ref1 != p.Reference1 || st.PaidStatus != PaidStatus.Pending)
                                {
                                    throw new Exception("wrong status " + st);
                                }
                                if (client.Close(p.Reference1, p.Reference2).Status != ResponseStatus.Success)
                                {
                                    throw new Exception("close failed");
                                }
                                DgaCallback.Ack(true, "ok " + i);
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors)
                            {
                                errors.Add(e.Message);
                            }
                        }
                    })).ToList();
                    threads.ForEach(t => t.Start());
                    threads.ForEach(t => t.Join());
                    Assert.True(errors.Count == 0, "no errors, got: " + string.Join("; ", errors.Take(3)));
                }
            });

            r.Add("concurrent calls overlap: 8 calls of 500 ms latency finish in under 2.5 s", () =>
            {
                sb.ClearFaults();
                using (var client = sb.Client())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 1m));
                    sb.Fault("status", "latency", 8, JsonNode.Object().Add("latencyMs", JsonNode.Number(500)));
                    var sw = Stopwatch.StartNew();
                    int failures = 0;
                    var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
                    {
                        try
                        {
                            client.Status(p.Reference1, p.Reference2);
                        }
                        catch (Exception)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    })).ToList();
                    threads.ForEach(t => t.Start());
                    threads.ForEach(t => t.Join());
                    sw.Stop();
                    Assert.Equal(0, failures, "every call succeeded");
                    Assert.True(sw.ElapsedMilliseconds >= 500, "the latency applied");
                    Assert.True(sw.ElapsedMilliseconds < 2500, "calls do not queue behind one another: " + sw.ElapsedMilliseconds + " ms");
                    sb.ClearFaults();
                }
            });
        }
    }
}
