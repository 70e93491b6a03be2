// DgaLog: the default sink (System.Diagnostics.Trace, whatever the build defines) and a Record
// handler that waits for an SDK call.
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
        }
    }
}
