// The dga-sandbox binary on a free loopback port (--port 0; its first stdout line says where),
// and its control API over plain HttpWebRequest.
using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;

namespace Dga.EPayment.Tests
{
    internal sealed class Sandbox : IDisposable
    {
        private readonly Process process;
        private static int seq;

        public string Url { get; private set; }

        public const string AgentId = "1234567890121";

        /// <param name="extraArgs">More flags for the sandbox, e.g. --tls-cert/--tls-key.</param>
        public Sandbox(string binary, string extraArgs = null)
        {
            var psi = new ProcessStartInfo(binary, "--port 0" + (extraArgs == null ? "" : " " + extraArgs))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                CreateNoWindow = true,
            };
            process = Process.Start(psi);
            var line = process.StandardOutput.ReadLine();
            const string prefix = "listening on ";
            if (line == null || !line.StartsWith(prefix, StringComparison.Ordinal))
            {
                Kill();
                throw new Exception("sandbox did not start: " + line);
            }
            Url = line.Substring(prefix.Length).Trim();
            // Keep draining stdout so the sandbox never blocks on a full pipe.
            var drain = new Thread(() =>
            {
                try
                {
                    while (process.StandardOutput.ReadLine() != null)
                    {
                    }
                }
                catch (Exception)
                {
                }
            });
            drain.IsBackground = true;
            drain.Start();
        }

        public DgaClientOptions Options(TimeSpan? timeout = null)
        {
            return new DgaClientOptions
            {
                ConsumerKey = "sandbox-key",
                ConsumerSecret = "sandbox-secret",
                AgentId = AgentId,
                GatewayUrl = Url,
                Source = "SANDBOX",
                Timeout = timeout ?? TimeSpan.FromSeconds(5),
                // Fast retries so fault tests do not wait on real backoff.
                Retry = new DgaRetryOptions { BackoffBase = TimeSpan.FromMilliseconds(1), BackoffCap = TimeSpan.FromMilliseconds(5) },
            };
        }

        public DgaClient Client(TimeSpan? timeout = null)
        {
            return new DgaClient(Options(timeout));
        }

        public static string UniqueRef(string prefix)
        {
            return prefix + "-" + Process.GetCurrentProcess().Id + "-" + Interlocked.Increment(ref seq);
        }

        public static CreatePaymentRequest Request(PaymentType type, decimal amount)
        {
            return new CreatePaymentRequest
            {
                CustomerId = "1234567890121",
                CustomerTitleName = "นาย",
                CustomerFirstName = "ทดสอบ",
                CustomerLastName = "ระบบ",
                PaymentType = type,
                Amount = amount,
                RequestReference1 = UniqueRef("CS"),
                RequestReference2 = "R2",
            };
        }

        // ------------------------------------------------------------ control API

        public JsonNode Get(string path)
        {
            int status;
            return JsonNode.Parse(Send("GET", path, null, out status));
        }

        public JsonNode Post(string path, JsonNode body, out int status)
        {
            var text = Send("POST", path, body == null ? "{}" : body.ToJson(), out status);
            return text.Length == 0 ? JsonNode.Null : JsonNode.Parse(text);
        }

        public JsonNode Post(string path, JsonNode body)
        {
            int status;
            var answer = Post(path, body, out status);
            if (status != 200)
            {
                throw new Exception("POST " + path + " answered " + status + ": " + answer.ToJson());
            }
            return answer;
        }

        public void Delete(string path)
        {
            int status;
            Send("DELETE", path, null, out status);
        }

        public void Reset()
        {
            Post("/__sandbox/reset", null);
        }

        public void Fault(string endpoint, string kind, int count, JsonNode extra = null)
        {
            var body = JsonNode.Object()
                .Add("endpoint", JsonNode.Str(endpoint))
                .Add("kind", JsonNode.Str(kind))
                .Add("count", JsonNode.Number(count));
            if (extra != null)
            {
                foreach (var m in extra.Members)
                {
                    body.Add(m.Key, m.Value);
                }
            }
            Post("/__sandbox/faults", body);
        }

        public void ClearFaults()
        {
            Delete("/__sandbox/faults");
        }

        /// <summary>How many requests reached an endpoint (token, create, close, void, status).</summary>
        public int Count(string endpoint)
        {
            int n = 0;
            foreach (var r in Get("/__sandbox/requests").Items)
            {
                if (r.GetString("endpoint") == endpoint)
                {
                    n++;
                }
            }
            return n;
        }

        public JsonNode Simulate(string reference1, string reference2, string outcome, bool deliverCallback = true)
        {
            return Post("/__sandbox/simulate", JsonNode.Object()
                .Add("reference1", JsonNode.Str(reference1))
                .Add("reference2", JsonNode.Str(reference2))
                .Add("outcome", JsonNode.Str(outcome))
                .Add("deliverCallback", JsonNode.Bool(deliverCallback)));
        }

        /// <summary>A created and paid payment (through simulate), with its refId.</summary>
        public Payment PaidPayment(DgaClient client, PaymentType type, decimal amount, out string refId)
        {
            var p = client.CreatePayment(Request(type, amount));
            Simulate(p.Reference1, p.Reference2, "pay", false);
            refId = client.Status(p.Reference1, p.Reference2).RefId;
            if (refId == null)
            {
                throw new Exception("a paid payment has a refId");
            }
            return p;
        }

        public string Send(string method, string path, string body, out int status, string contentType = "application/json")
        {
            var req = (HttpWebRequest)WebRequest.Create(Url + path);
            req.Method = method;
            req.Proxy = null;
            req.Timeout = 20000;
            if (body != null)
            {
                var bytes = Encoding.UTF8.GetBytes(body);
                req.ContentType = contentType;
                req.ContentLength = bytes.Length;
                using (var s = req.GetRequestStream())
                {
                    s.Write(bytes, 0, bytes.Length);
                }
            }
            HttpWebResponse resp;
            try
            {
                resp = (HttpWebResponse)req.GetResponse();
            }
            catch (WebException e)
            {
                resp = e.Response as HttpWebResponse;
                if (resp == null)
                {
                    throw;
                }
            }
            using (resp)
            using (var reader = new StreamReader(resp.GetResponseStream(), Encoding.UTF8))
            {
                status = (int)resp.StatusCode;
                return reader.ReadToEnd();
            }
        }

        private void Kill()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(5000);
                }
            }
            catch (Exception)
            {
            }
        }

        public void Dispose()
        {
            Kill();
            process.Dispose();
        }
    }
}
