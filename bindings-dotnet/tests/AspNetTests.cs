// The README's ASP.NET IHttpHandler (compiled by test.sh from the README, as written), run in
// System.Web's pipeline objects with a minimal HttpWorkerRequest: a real callback body in, the
// HTTP answer out.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Web;

namespace Dga.EPayment.Tests
{
    /// <summary>One POST request with a body, its response captured.</summary>
    internal sealed class CallbackWorkerRequest : HttpWorkerRequest
    {
        private readonly byte[] body;

        public CallbackWorkerRequest(byte[] body)
        {
            this.body = body;
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            Output = new MemoryStream();
        }

        public int Status { get; private set; }

        public Dictionary<string, string> Headers { get; private set; }

        public MemoryStream Output { get; private set; }

        public override string GetUriPath() { return "/dga/callback"; }
        public override string GetQueryString() { return ""; }
        public override string GetRawUrl() { return "/dga/callback"; }
        public override string GetHttpVerbName() { return "POST"; }
        // HTTP/1.0, so that the response body is captured without chunked framing.
        public override string GetHttpVersion() { return "HTTP/1.0"; }
        public override string GetRemoteAddress() { return "127.0.0.1"; }
        public override int GetRemotePort() { return 40000; }
        public override string GetLocalAddress() { return "127.0.0.1"; }
        public override int GetLocalPort() { return 80; }
        public override void SendStatus(int statusCode, string statusDescription) { Status = statusCode; }
        public override void SendKnownResponseHeader(int index, string value) { Headers[GetKnownResponseHeaderName(index)] = value; }
        public override void SendUnknownResponseHeader(string name, string value) { Headers[name] = value; }
        public override void SendResponseFromMemory(byte[] data, int length) { Output.Write(data, 0, length); }
        public override void SendResponseFromFile(string filename, long offset, long length) { }
        public override void SendResponseFromFile(IntPtr handle, long offset, long length) { }
        public override void FlushResponse(bool finalFlush) { }
        public override void EndOfRequest() { }
        public override byte[] GetPreloadedEntityBody() { return body; }
        public override bool IsEntireEntityBodyIsPreloaded() { return true; }
        public override int GetTotalEntityBodyLength() { return body.Length; }
        public override int GetPreloadedEntityBodyLength() { return body.Length; }

        public override string GetKnownRequestHeader(int index)
        {
            if (index == HeaderContentLength)
            {
                return body.Length.ToString();
            }
            return index == HeaderContentType ? "application/json" : null;
        }
    }

    internal sealed class AspNetTests
    {
        private readonly Sandbox sb;

        public AspNetTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        internal static CallbackWorkerRequest Post(string body)
        {
            var wr = new CallbackWorkerRequest(Encoding.UTF8.GetBytes(body));
            var ctx = new HttpContext(wr);
            new DgaCallbackHandler().ProcessRequestAsync(ctx).GetAwaiter().GetResult();
            ctx.Response.Flush();
            return wr;
        }

        public void Register(Runner r)
        {
            r.Add("the README's ASP.NET handler answers DGA's callback: 200, 409, 400, 413 over 64 KiB", () =>
            {
                using (var client = sb.Client())
                {
                    DgaCallbackHandler.Client = client;
                    try
                    {
                        string refId;
                        var p = sb.PaidPayment(client, PaymentType.FastPay, 1500.00m, out refId);
                        Orders.Created.TryAdd(p.Reference1 + "/" + p.Reference2, true);
                        var body = client.Status(p.Reference1, p.Reference2).ToJson();

                        var wr = Post(body);
                        Assert.Equal(200, wr.Status, "genuine callback");
                        Assert.Contains("application/json", wr.Headers["Content-Type"], "content type");
                        var ack = JsonNode.Parse(Encoding.UTF8.GetString(wr.Output.ToArray()));
                        Assert.Equal("true", ack.Get("result").Text, "ack result");

                        wr = Post(body.Replace("\"paidStatus\":\"Success\"", "\"paidStatus\":\"Failed\""));
                        Assert.Equal(409, wr.Status, "forged paid status");
                        ack = JsonNode.Parse(Encoding.UTF8.GetString(wr.Output.ToArray()));
                        Assert.Equal("false", ack.Get("result").Text, "refused");

                        wr = Post("not json");
                        Assert.Equal(400, wr.Status, "not a callback");

                        // The body is capped at 64 KiB: one byte more is the core's 413, unread.
                        var padded = body.Substring(0, body.Length - 1) + ",\"padding\":\"";
                        var over = padded + new string('x', DgaCallbackHandler.MaxBody - Encoding.UTF8.GetByteCount(padded) - 1) + "\"}";
                        Assert.Equal(DgaCallbackHandler.MaxBody + 1, Encoding.UTF8.GetByteCount(over), "test body size");
                        wr = Post(over);
                        Assert.Equal(413, wr.Status, "over the cap");
                        ack = JsonNode.Parse(Encoding.UTF8.GetString(wr.Output.ToArray()));
                        Assert.Equal("false", ack.Get("result").Text, "refused");
                        Assert.Contains("larger than 65536 bytes", ack.Get("message").Text, "the core's reason");
                        wr = Post(new string('x', 1024 * 1024));
                        Assert.Equal(413, wr.Status, "1 MiB");

                        // At the cap exactly it is read and judged like any body (here: a valid
                        // callback with an extra field, which DGA's status still confirms).
                        var exact = padded + new string('x', DgaCallbackHandler.MaxBody - Encoding.UTF8.GetByteCount(padded) - 2) + "\"}";
                        Assert.Equal(DgaCallbackHandler.MaxBody, Encoding.UTF8.GetByteCount(exact), "test body size");
                        wr = Post(exact);
                        Assert.Equal(200, wr.Status, "64 KiB exactly");
                    }
                    finally
                    {
                        DgaCallbackHandler.Client = null;
                    }
                }
            });
        }
    }
}
