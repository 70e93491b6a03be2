// Callbacks: parse, ack, verify, and the framework helper (HandleCallback) end to end, with the
// sandbox delivering a real callback to an HttpListener.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Dga.EPayment.Tests
{
    internal sealed class CallbackTests
    {
        private readonly Sandbox sb;

        public CallbackTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        /// <summary>A genuine callback body for a paid FastPay payment: its status, normalized.</summary>
        private string PaidCallbackBody(DgaClient client, out Payment payment)
        {
            string refId;
            payment = sb.PaidPayment(client, PaymentType.FastPay, 1000.50m, out refId);
            return client.Status(payment.Reference1, payment.Reference2).ToJson();
        }

        private static string WithMember(string json, string key, JsonNode value)
        {
            var node = JsonNode.Parse(json);
            var copy = JsonNode.Object();
            foreach (var m in node.Members)
            {
                copy.Add(m.Key, m.Key == key ? value : m.Value);
            }
            return copy.ToJson();
        }

        private static JsonNode Ack(DgaCallbackReply reply)
        {
            return JsonNode.Parse(reply.Body);
        }

        public void Register(Runner r)
        {
            r.Add("Parse keeps values outside the guide's tables instead of throwing", () =>
            {
                var body = "{\"paidStatus\": 42, \"description\": \"\", \"paidDate\": \"2024-03-07T15:42:28\", \"paidChannel\": \"x\", "
                    + "\"confirmPaidDate\": \"2024-03-07T15:42:28.123\", \"refId\": \"1\", \"ref1\": \"A\", \"ref2\": \"\", "
                    + "\"paymentType\": \"C\", \"amount\": 1000.50, \"feeAmount\": null}";
                var cb = DgaCallback.Parse(body);
                Assert.Equal<PaidStatus?>(null, cb.PaidStatus, "unknown paidStatus");
                Assert.Equal("42", cb.PaidStatusRaw, "kept as sent");
                Assert.Equal<PaymentType?>(null, cb.PaymentType, "unknown paymentType");
                Assert.Equal("C", cb.PaymentTypeRaw, "kept as sent");
                Assert.True(!cb.IsPaid, "an unknown status is not paid");
                Assert.Equal(1000.50m, cb.Amount, "exact amount");
                Assert.Equal("1000.50", cb.Amount.ToString(CultureInfo()), "scale kept");
                Assert.Equal<decimal?>(null, cb.FeeAmount, "no fee");
                Assert.Equal(new DateTime(2024, 3, 7, 15, 42, 28), cb.ConfirmPaidDate.Value, "fractional seconds dropped");
                Assert.Equal<string>(null, cb.Description, "empty description is null");
                Assert.Equal("", cb.Ref2, "ref2 empty");
                Assert.DoesNotContain("ConsumerSecret", cb.ToString());
            });

            r.Add("Parse reports every bad field in a DgaCallbackException", () =>
            {
                var e = Assert.Throws<DgaCallbackException>(() => DgaCallback.Parse("{\"paidStatus\": true, \"ref1\": \"A\"}"));
                var fields = e.FieldErrors.Select(f => f.Field).ToList();
                Assert.True(fields.Contains("paidStatus") && fields.Contains("amount") && fields.Contains("refId"), "named fields: " + string.Join(",", fields));
                Assert.Equal(DgaErrorKind.Callback, e.Kind, "kind");

                e = Assert.Throws<DgaCallbackException>(() => DgaCallback.Parse(new byte[] { 0x7b, 0xff, 0xfe }));
                Assert.Equal("body", e.FieldErrors.Single().Field, "bad UTF-8 is about the body");
                Assert.Throws<ArgumentNullException>(() => DgaCallback.Parse((byte[])null));
            });

            r.Add("Ack is the JSON DGA expects", () =>
            {
                var ack = JsonNode.Parse(DgaCallback.Ack(true));
                Assert.Equal("true", ack.Get("result").Text, "result");
                Assert.Equal("Success", ack.GetString("message"), "default message");
                long ts = long.Parse(ack.Get("requestTimeStamp").Text);
                long now = (long)(DateTime.UtcNow - new DateTime(1970, 1, 1)).TotalSeconds;
                Assert.True(Math.Abs(now - ts) < 10, "unix seconds now");
                Assert.Equal("false", JsonNode.Parse(DgaCallback.Ack(false, "busy")).Get("result").Text, "refusal");
            });

            r.Add("VerifyCallback decides by DGA's status: a forged amount gets DGA's, another status is refused", () =>
            {
                using (var client = sb.Client())
                {
                    Payment p;
                    var body = PaidCallbackBody(client, out p);
                    var verified = client.VerifyCallback(DgaCallback.Parse(body));
                    Assert.Equal(PaidStatus.Success, verified.PaidStatus, "DGA's status");
                    Assert.Equal(p.Reference1, verified.Ref1, "ref1");

                    // The contract: DGA says Success, so does the callback; its amount is not
                    // believed but replaced by DGA's.
                    var forged = DgaCallback.Parse(WithMember(body, "amount", JsonNode.Str("1.00")));
                    Assert.Equal(1000.50m, client.VerifyCallback(forged).Amount, "DGA's amount");

                    var claimsVoid = DgaCallback.Parse(WithMember(body, "paidStatus", JsonNode.Str("Void")));
                    var e = Assert.Throws<DgaVerificationException>(() => client.VerifyCallback(claimsVoid));
                    Assert.Equal("status_differs", e.Reason, "reason");
                    Assert.Equal("paidStatus", e.Mismatches.Single().Field, "mismatch");
                    Assert.Equal("Void", e.Mismatches.Single().CallbackValue, "callback's value");
                    Assert.Equal("Success", e.Mismatches.Single().DgaValue, "DGA's value");

                    var unknown = DgaCallback.Parse(WithMember(body, "ref1", JsonNode.Str("no-such-" + Sandbox.UniqueRef("F"))));
                    e = Assert.Throws<DgaVerificationException>(() => client.VerifyCallback(unknown), "no such transaction at DGA");
                    Assert.Equal("unknown_payment", e.Reason, "reason");
                }
            });

            r.Add("HandleCallback: verified and recorded is 200 with result true", () =>
            {
                using (var client = sb.Client())
                {
                    Payment p;
                    var body = PaidCallbackBody(client, out p);
                    PaymentStatus seen = null;
                    var reply = client.HandleCallback(Encoding.UTF8.GetBytes(body), st => seen = st);
                    Assert.Equal(200, reply.HttpStatus, "status");
                    Assert.True(reply.Accepted, "accepted");
                    Assert.Equal("true", Ack(reply).Get("result").Text, "ack result");
                    Assert.Equal("application/json; charset=utf-8", reply.ContentType, "content type");
                    Assert.NotNull(seen, "handler ran");
                    Assert.Equal(PaidStatus.Success, seen.PaidStatus, "verified status");
                    Assert.True(!(seen is DgaCallbackData), "the handler gets DGA's status, not the callback");
                    Assert.True(reply.Status == seen && reply.Error == null, "reply carries the status and no error");
                }
            });

            r.Add("HandleCallbackAsync: a string body with an Action handler; bad arguments throw at once, as the other async calls", () =>
            {
                using (var client = sb.Client())
                {
                    Payment p;
                    var body = PaidCallbackBody(client, out p);
                    PaymentStatus seen = null;
                    var reply = client.HandleCallbackAsync(body, st => { seen = st; }).Result;
                    Assert.Equal(200, reply.HttpStatus, "string body, Action handler");
                    Assert.Equal(p.Reference1, seen.Ref1, "the handler ran");
                    Action<PaymentStatus> record = st => { };
                    Func<PaymentStatus, Task> recordAsync = st => Task.CompletedTask;
                    var bytes = Encoding.UTF8.GetBytes(body);
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync((byte[])null, record), "null byte[] body, Action");
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync((byte[])null, recordAsync), "null byte[] body, Func");
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync((string)null, record), "null string body, Action");
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync((string)null, recordAsync), "null string body, Func");
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync(bytes, (Action<PaymentStatus>)null), "null Action, byte[] body");
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync(bytes, (Func<PaymentStatus, Task>)null), "null Func, byte[] body");
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync(body, (Action<PaymentStatus>)null), "null Action, string body");
                    Assert.Throws<ArgumentNullException>(() => client.HandleCallbackAsync(body, (Func<PaymentStatus, Task>)null), "null Func, string body");
                    client.Dispose();
                    Assert.Throws<ObjectDisposedException>(() => client.HandleCallbackAsync(body, record), "after Dispose");
                }
            });

            r.Add("HandleCallback: invalid body 400, forged 409, DGA unreachable 503, handler failure 500", () =>
            {
                using (var client = sb.Client())
                {
                    Payment p;
                    var body = PaidCallbackBody(client, out p);
                    int calls = 0;
                    Action<PaymentStatus> record = st => calls++;

                    var reply = client.HandleCallback("{\"paidStatus\": 1", record);
                    Assert.Equal(400, reply.HttpStatus, "invalid body");
                    Assert.True(!reply.Accepted && reply.Error is DgaCallbackException, "callback error, got " + reply.Error);
                    Assert.Equal("false", Ack(reply).Get("result").Text, "ack result false");

                    reply = client.HandleCallback(WithMember(body, "paidStatus", JsonNode.Number(3)), record);
                    Assert.Equal(409, reply.HttpStatus, "forged paid status");
                    Assert.True(reply.Error is DgaVerificationException, "verification error, got " + reply.Error);

                    var opts = sb.Options();
                    opts.GatewayUrl = "http://127.0.0.1:" + FreePort();
                    opts.Retry = DgaRetryOptions.Disabled;
                    using (var cut = new DgaClient(opts))
                    {
                        reply = cut.HandleCallback(body, record);
                        Assert.Equal(503, reply.HttpStatus, "DGA unreachable: deliver again later");
                        Assert.True(reply.Error is DgaException, "a DgaException, got " + reply.Error);
                        Assert.DoesNotContain("sandbox-secret", reply.Body, "no secret in the reply");
                    }
                    Assert.Equal(0, calls, "the handler never saw an unverified callback");

                    var boom = new InvalidOperationException("database down");
                    reply = client.HandleCallback(body, st => { throw boom; });
                    Assert.Equal(500, reply.HttpStatus, "handler failed");
                    Assert.True(reply.Error == boom, "the handler's exception is handed back for logging");
                    Assert.DoesNotContain("database down", reply.Body, "the agency's error stays in its logs");
                    Assert.NotNull(reply.Status, "the verified status is still there");

                    DgaCallbackData raw = null;
                    reply = client.HandleCallback(WithMember(body, "amount", JsonNode.Str("1.00")), st => raw = (DgaCallbackData)st, verify: false);
                    Assert.Equal(200, reply.HttpStatus, "verify off");
                    Assert.Equal(1.00m, raw.Amount, "the callback as sent, unverified");
                }
            });

            r.Add("end to end: the sandbox delivers a callback to an HttpListener using HandleCallback", () =>
            {
                int port = FreePort();
                var listener = new HttpListener();
                listener.Prefixes.Add("http://127.0.0.1:" + port + "/");
                listener.Start();
                var recorded = new List<PaymentStatus>();
                try
                {
                    sb.Post("/__sandbox/config", JsonNode.Object()
                        .Add("callbackUrl", JsonNode.Str("http://127.0.0.1:" + port + "/dga/callback"))
                        .Add("callbackRetryDelayMs", JsonNode.Number(50)));
                    using (var client = sb.Client())
                    {
                        var server = new Thread(() =>
                        {
                            try
                            {
                                while (listener.IsListening)
                                {
                                    var ctx = listener.GetContext();
                                    byte[] body;
                                    using (var ms = new MemoryStream())
                                    {
                                        ctx.Request.InputStream.CopyTo(ms);
                                        body = ms.ToArray();
                                    }
                                    var reply = client.HandleCallback(body, st =>
                                    {
                                        lock (recorded)
                                        {
                                            recorded.Add(st);
                                        }
                                    });
                                    ctx.Response.StatusCode = reply.HttpStatus;
                                    ctx.Response.ContentType = reply.ContentType;
                                    var bytes = Encoding.UTF8.GetBytes(reply.Body);
                                    ctx.Response.OutputStream.Write(bytes, 0, bytes.Length);
                                    ctx.Response.Close();
                                }
                            }
                            catch (HttpListenerException)
                            {
                            }
                            catch (ObjectDisposedException)
                            {
                            }
                        });
                        server.IsBackground = true;
                        server.Start();

                        var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 321.00m));
                        sb.Simulate(p.Reference1, p.Reference2, "pay");
                        JsonNode delivery = null;
                        for (int i = 0; i < 250 && delivery == null; i++)
                        {
                            delivery = sb.Get("/__sandbox/callbacks").Items.FirstOrDefault(d => d.GetString("reference1") == p.Reference1);
                            if (delivery == null)
                            {
                                Thread.Sleep(20);
                            }
                        }
                        Assert.NotNull(delivery, "a callback was delivered");
                        Assert.Equal("200", delivery.Get("httpStatus").Text, "answered 200");
                        Assert.Equal("true", delivery.Get("accepted").Text, "the sandbox took the ack");
                        lock (recorded)
                        {
                            var st = recorded.Single(x => x.Ref1 == p.Reference1);
                            Assert.Equal(PaidStatus.Success, st.PaidStatus, "recorded as paid");
                            Assert.Equal(321.00m, st.Amount, "amount");
                        }
                    }
                }
                finally
                {
                    sb.Post("/__sandbox/config", JsonNode.Object().Add("callbackUrl", JsonNode.Null));
                    listener.Close();
                }
            });
        }

        private static System.Globalization.CultureInfo CultureInfo()
        {
            return System.Globalization.CultureInfo.InvariantCulture;
        }

        internal static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }
    }
}
