#define TRACE // Trace.TraceWarning and the others are [Conditional("TRACE")]: kept whatever the build command defines.
// The core's log, in .NET: the native library queues each record (dga_log_to_queue), the
// binding's completion thread hands it to the log's own thread, which raises DgaLog's Record
// event with it, or writes it to System.Diagnostics.Trace when nobody subscribed. The WARNINGs
// are the ones an agency must keep: a create, void or close whose caller went away (a cancelled
// token) with its outcome and references, a callback whose values differ from DGA's.
using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;

namespace Dga.EPayment
{
    /// <summary>Severity of a <see cref="DgaLogRecord"/> (lower is more severe).</summary>
    public enum DgaLogLevel
    {
        /// <summary>Nothing is logged.</summary>
        Off = 0,
        /// <summary>A failure.</summary>
        Error = 1,
        /// <summary>Needs attention: an unreceived create's outcome, a callback that differs from DGA.</summary>
        Warning = 2,
        /// <summary>What the SDK did (a payment created).</summary>
        Information = 3,
        /// <summary>Details for debugging.</summary>
        Debug = 4,
        /// <summary>Everything.</summary>
        Trace = 5,
    }

    /// <summary>One record of the SDK's log.</summary>
    public sealed class DgaLogRecord : EventArgs
    {
        internal DgaLogRecord(DgaLogLevel level, string target, string message)
        {
            Level = level;
            Target = target;
            Message = message;
        }

        /// <summary>The record's severity.</summary>
        public DgaLogLevel Level { get; private set; }

        /// <summary>The logger's name: <c>dga_epayment</c> or below it.</summary>
        public string Target { get; private set; }

        /// <summary>One line of text; never a secret or a token.</summary>
        public string Message { get; private set; }

        /// <inheritdoc />
        public override string ToString() => Level + " " + Target + ": " + Message;
    }

    /// <summary>The SDK's log: subscribe to <see cref="Record"/> (raised in order on the log's own thread, so
    /// a handler may wait for an SDK call); without a subscriber it goes to <see cref="System.Diagnostics.Trace"/>.</summary>
    public static class DgaLog
    {
        /// <summary>Raised for every record at <see cref="Level"/> or more severe.</summary>
        public static event EventHandler<DgaLogRecord> Record;

        private static DgaLogLevel level = DgaLogLevel.Information;

        /// <summary>The least severe level delivered (default <see cref="DgaLogLevel.Information"/>). Process-wide.</summary>
        public static DgaLogLevel Level
        {
            get => level;
            set => NativeMethods.dga_set_log_level((int)(level = value));
        }

        // The records for the log's thread (started with the first), which raises them in order: a
        // handler that waits for an SDK call holds back no completion. A handler that never returns
        // holds at most MaxPending; those left out after are counted in the next record raised.
        private static readonly BlockingCollection<object> Pending = new BlockingCollection<object>();
        private const int MaxPending = 10000;
        private static int started, leftOut;

        /// <summary>One record, as the library queued it: {"level", "target", "message"} (on the completion thread).</summary>
        internal static void Deliver(string json)
        {
            if (Pending.Count < MaxPending) Enqueue(json);
            else Interlocked.Increment(ref leftOut);
        }

        private static void Enqueue(object item)
        {
            Pending.Add(item);
            if (Interlocked.Exchange(ref started, 1) == 0) new Thread(Run) { IsBackground = true, Name = "Dga.EPayment log" }.Start();
        }

        /// <summary>Waits (at most <paramref name="ms"/>) until the records queued so far are raised.</summary>
        internal static void Flush(int ms)
        {
            var done = new ManualResetEventSlim();
            Enqueue(done);
            done.Wait(ms);
        }

        private static void Run()
        {
            foreach (var item in Pending.GetConsumingEnumerable())
            {
                if (item is ManualResetEventSlim done)
                {
                    done.Set();
                    continue;
                }
                int n = Interlocked.Exchange(ref leftOut, 0);
                if (n > 0) Raise(DgaLogLevel.Warning, "dga_epayment", n + " log records left out: a DgaLog.Record handler did not return");
                try
                {
                    var o = JsonNode.Parse((string)item);
                    Raise((DgaLogLevel)int.Parse(o.GetString("level"), System.Globalization.CultureInfo.InvariantCulture), o.GetString("target"), o.GetString("message"));
                }
                catch (Exception)
                {
                    // An unreadable record is dropped; the thread carries on.
                }
            }
        }

        private static void Raise(DgaLogLevel level, string target, string message)
        {
            try
            {
                var record = new DgaLogRecord(level, target, message);
                var handlers = Record;
                if (handlers != null)
                {
                    handlers(null, record);
                    return;
                }
                var text = record.Target + ": " + record.Message;
                switch (record.Level)
                {
                    case DgaLogLevel.Error: Trace.TraceError(text); break;
                    case DgaLogLevel.Warning: Trace.TraceWarning(text); break;
                    default: Trace.TraceInformation(text); break;
                }
            }
            catch (Exception)
            {
                // A handler's exception must not end the log's thread.
            }
        }
    }
}
