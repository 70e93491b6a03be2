#define TRACE // Trace.TraceWarning and the others are [Conditional("TRACE")]: kept whatever the build command defines.
// The core's log, in .NET: the native library queues each record (dga_log_to_queue) and the
// binding's completion thread raises DgaLog's Record event with it, or writes it to
// System.Diagnostics.Trace when nobody subscribed. The WARNINGs are the ones an agency must keep:
// a create, void or close whose caller went away (a cancelled token) with its outcome and
// references, a callback whose values differ from DGA's.
using System;
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

    /// <summary>The SDK's log: subscribe to <see cref="Record"/> (raised on the completion thread: keep
    /// handlers short); without a subscriber it goes to <see cref="System.Diagnostics.Trace"/>.</summary>
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

        /// <summary>One record, as the library queued it: {"level", "target", "message"}.</summary>
        internal static void Deliver(string json)
        {
            try
            {
                var o = JsonNode.Parse(json);
                var record = new DgaLogRecord((DgaLogLevel)int.Parse(o.GetString("level"), System.Globalization.CultureInfo.InvariantCulture),
                    o.GetString("target"), o.GetString("message"));
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
                // A handler's exception must not end the dispatcher.
            }
        }
    }
}
