// DgaLog: the default sink (System.Diagnostics.Trace, whatever the build defines) and a Record
// handler that waits for an SDK async call (raised off the completion thread, it gets its answer).
using System;
using System.Diagnostics;
using System.Text;
using System.Threading;

namespace Dga.EPayment.Tests
{
    internal sealed class LogTests
    {
        private readonly Sandbox sb;

        public LogTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        /// <summary>Every line written to it, as text.</summary>
        private sealed class Lines : TraceListener
        {
            private readonly StringBuilder text = new StringBuilder();

            public override void Write(string message)
            {
                lock (text) text.Append(message);
            }

            public override void WriteLine(string message)
            {
                lock (text) text.Append(message).Append('\n');
            }

            public string All
            {
                get { lock (text) return text.ToString(); }
            }
        }

        private static bool Eventually(Func<bool> condition, int ms)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(ms);
            while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(20);
            return condition();
        }

        public void Register(Runner r)
        {
            // mcs defines no TRACE unless told: the library keeps its Trace calls itself.
            r.Add("log: without a subscriber, a record reaches a TraceListener", () =>
            {
                var lines = new Lines();
                Trace.Listeners.Add(lines);
                try
                {
                    using (var client = sb.Client())
                    {
                        var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 4m));
                        var line = "dga_epayment: created payment orderRef=" + p.OrderRef;
                        Assert.True(Eventually(() => lines.All.Contains(line), 10000), "<" + line + "> traced; got <" + lines.All + ">");
                    }
                }
                finally
                {
                    Trace.Listeners.Remove(lines);
                }
            });

            r.Add("log: a Record handler that waits for a StatusAsync gets its answer (no stall of the completions)", () =>
            {
                using (var client = sb.Client())
                {
                    var p = client.CreatePayment(Sandbox.Request(PaymentType.FastPay, 6m));
                    var request = Sandbox.Request(PaymentType.FastPay, 7m);
                    var ran = new ManualResetEventSlim();
                    bool answered = false;
                    EventHandler<DgaLogRecord> h = (s, rec) =>
                    {
                        if (!rec.Message.Contains("reference1=" + request.RequestReference1)) return;
                        answered = client.StatusAsync(p.Reference1, p.Reference2).Wait(5000);
                        ran.Set();
                    };
                    DgaLog.Record += h;
                    try
                    {
                        client.CreatePayment(request);
                        Assert.True(ran.Wait(15000), "the handler ran on the create's INFO");
                        Assert.True(answered, "the StatusAsync awaited in the handler finished within 5 s");
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
