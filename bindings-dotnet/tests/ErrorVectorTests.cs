// tests/vectors/errors.json through the C# API: error kinds that come from how a call failed (an
// untrusted certificate, the verification budget), checked on the exception the binding throws
// and on the callback reply it gives (the file's description is the procedure).
using System;
using System.IO;
using System.Linq;
using System.Text;

namespace Dga.EPayment.Tests
{
    internal sealed class ErrorVectorTests
    {
        private readonly string binary;
        private readonly string dir;

        public ErrorVectorTests(string sandboxBinary, string vectorsDir)
        {
            binary = sandboxBinary;
            dir = vectorsDir;
        }

        public void Register(Runner r)
        {
            // A missing or truncated file fails here, while registering (the runner reports it).
            var cases = JsonNode.Parse(File.ReadAllBytes(Path.Combine(dir, "errors.json"))).Get("cases").Items;
            if (cases.Count < 2) throw new Exception("errors.json looks truncated: " + cases.Count + " cases");
            foreach (var c in cases)
            {
                var kase = c;
                r.Add("errors.json: " + kase.GetString("name"), () => Run(kase));
            }
        }

        /// <summary>The core's kind name of an exception's kind (OutcomeUnknown -> outcome_unknown).</summary>
        private static string KindName(DgaErrorKind kind) =>
            string.Concat(kind.ToString().Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));

        private void Run(JsonNode kase)
        {
            var name = kase.GetString("name");
            var expect = kase.Get("expect");
            DgaCallbackReply reply = null;
            DgaException e;
            switch (kase.GetString("setup"))
            {
                case "untrusted-tls":
                    using (var sb = new Sandbox(binary, "--tls-cert " + Path.Combine(dir, "tls", "untrusted-cert.pem") + " --tls-key " + Path.Combine(dir, "tls", "untrusted-key.pem")))
                    using (var client = sb.Client())
                    {
                        Assert.True(sb.Url.StartsWith("https://", StringComparison.Ordinal), name + ": the sandbox serves TLS");
                        Assert.Equal("status", kase.GetString("call"), name + ": call");
                        e = Assert.Throws<DgaException>(() => client.Status(kase.GetString("reference1"), kase.GetString("reference2")), name);
                    }
                    break;
                case "verification-budget":
                    using (var sb = new Sandbox(binary))
                    {
                        var o = sb.Options();
                        var opts = kase.Get("clientOptions");
                        o.VerificationRate = int.Parse(opts.GetString("verificationRate"));
                        o.VerificationReuse = TimeSpan.FromMilliseconds(int.Parse(opts.GetString("verificationReuseMs")));
                        using (var client = new DgaClient(o))
                        {
                            int max = int.Parse(kase.GetString("maxDeliveries"));
                            for (int i = 0; i < max && reply == null; i++)
                            {
                                var body = "{\"ref1\": \"FORGED-" + name + "-" + i + "\", \"ref2\": \"R2\", \"paidStatus\": 1, \"amount\": \"1.00\"}";
                                var answer = client.HandleCallback(Encoding.UTF8.GetBytes(body), s => { throw new TestFailure(name + ": a forged delivery was accepted"); });
                                var v = answer.Error as DgaVerificationException;
                                if (v != null && v.Reason == "busy") reply = answer;
                                else Assert.Equal(404, answer.HttpStatus, name + ": delivery " + i + " (" + answer.Error + ")");
                            }
                            Assert.NotNull(reply, name + ": no delivery was refused as busy");
                            e = (DgaException)reply.Error;
                        }
                    }
                    break;
                default:
                    throw new TestFailure(name + ": unknown setup " + kase.GetString("setup"));
            }
            Assert.Equal(expect.GetString("errorKind"), KindName(e.Kind), name + ": kind (" + e.Message + ")");
            Assert.Equal(expect.GetString("transient"), e.IsTransient ? "true" : "false", name + ": transient (" + e.Message + ")");
            var contains = expect.GetString("messageContains");
            if (contains != null) Assert.Contains(contains.ToLowerInvariant(), e.Message.ToLowerInvariant(), name + ": message");
            var excludes = expect.Get("messageExcludes");
            foreach (var x in excludes == null ? Enumerable.Empty<JsonNode>() : excludes.Items) Assert.DoesNotContain(x.Text, e.Message, name + ": message");
            if (expect.GetString("endpoint") != null) Assert.Equal(expect.GetString("endpoint"), e.Endpoint, name + ": endpoint");
            if (expect.GetString("reason") != null)
            {
                Assert.Equal(expect.GetString("reason"), ((DgaVerificationException)e).Reason, name + ": reason");
                Assert.Equal<string>(null, e.Endpoint, name + ": no endpoint for a refusal DGA never saw");
            }
            if (expect.GetString("httpStatus") != null)
            {
                Assert.NotNull(reply, name + ": a callback reply");
                Assert.Equal(int.Parse(expect.GetString("httpStatus")), reply.HttpStatus, name + ": the reply's status");
            }
        }
    }
}
