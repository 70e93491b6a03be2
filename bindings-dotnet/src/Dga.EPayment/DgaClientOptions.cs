using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Dga.EPayment
{
    /// <summary>How to reach DGA. <see cref="ConsumerKey"/>, <see cref="ConsumerSecret"/> and <see cref="AgentId"/>
    /// are required; a null setting takes the core's default; bad ones throw <see cref="DgaValidationException"/>.</summary>
    public sealed class DgaClientOptions
    {
        /// <summary>The Consumer-Key DGA issued (kept out of <see cref="ToString"/> and errors).</summary>
        public string ConsumerKey { get; set; }

        /// <summary>The ConsumerSecret DGA issued (kept out of <see cref="ToString"/> and errors).</summary>
        public string ConsumerSecret { get; set; }

        /// <summary>The AgentID: the responsible officer's 13-digit citizen ID.</summary>
        public string AgentId { get; set; }

        /// <summary>Production, Uat or Test; null = the core's default.</summary>
        public DgaEnvironment? Environment { get; set; }

        /// <summary>Replaces https://api.egov.go.th (the sandbox, a proxy); HTTPS unless loopback.</summary>
        public string GatewayUrl { get; set; }

        /// <summary>The default source for create (assigned by DGA).</summary>
        public string Source { get; set; }

        /// <summary>The whole request's timeout, connect included.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>How long to wait for a connection.</summary>
        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>The longest a cached token is used.</summary>
        public TimeSpan? TokenMaxAge { get; set; }

        /// <summary>Retries; null = the default policy, <see cref="DgaRetryOptions.Disabled"/> = none.</summary>
        public DgaRetryOptions Retry { get; set; }

        /// <summary>An HTTP(S) proxy URL (may carry credentials; kept out of messages).</summary>
        public string Proxy { get; set; }

        /// <summary>Extra CA certificates to trust, as PEM text.</summary>
        public string CaPem { get; set; }

        /// <summary>A PEM file of extra CA certificates to trust.</summary>
        public string CaFile { get; set; }

        /// <summary>Appended to the User-Agent header.</summary>
        public string UserAgentSuffix { get; set; }

        /// <summary>Refuse an AgentId whose check digit is wrong (DGA's test IDs often fail it).</summary>
        public bool? StrictAgentId { get; set; }

        /// <summary>The most bytes of one DGA answer to read (default 1 MiB); more is a protocol error (outcome unknown for create and void).</summary>
        public long? MaxResponseBytes { get; set; }

        /// <summary>How long a failed token round is remembered (default 2 s): calls in that window fail at once with its auth error. Zero turns it off.</summary>
        public TimeSpan? TokenFailureCooldown { get; set; }

        /// <summary>How long a pooled connection may idle before it is closed (default 15 s).</summary>
        public TimeSpan? PoolIdleTimeout { get; set; }

        /// <summary>Callback verifications running at once (default 16); more are answered 503 at once, without a call to DGA.</summary>
        public int? MaxConcurrentVerifications { get; set; }

        /// <summary>Calls of this client in flight at once (default 256); more wait for a slot, holding no thread.</summary>
        public int? MaxInFlight { get; set; }

        /// <summary>The native runtime's worker threads, 1 to 256 (default 2, or DGA_EPAYMENT_THREADS): process-wide, set by the first client built before the first call.</summary>
        public int? WorkerThreads { get; set; }

        /// <summary>Status calls per second for callback verification (default 20, burst 40; 0 turns the limit off); beyond it a delivery is answered 503 without asking DGA.</summary>
        public int? VerificationRate { get; set; }

        /// <summary>How long a final status DGA gave answers repeated deliveries claiming it (default 2 s).</summary>
        public TimeSpan? VerificationReuse { get; set; }

        internal string ToAbiJson() => Wire.Write(this, "ClientOptions", "options");

        /// <summary>Describes the options without the Consumer-Key, secret, proxy or the gateway URL's userinfo and query.</summary>
        public override string ToString() => string.Format(CultureInfo.InvariantCulture,
            "DgaClientOptions(AgentId={0}, Environment={1}, GatewayUrl={2}, Source={3}, Timeout={4})",
            AgentId, Environment, Redacted(GatewayUrl), Source, Timeout);

        // Hides a password (user:pw@, up to the last '@') and a query: the core refuses both, but options may be logged first.
        private static string Redacted(string url) => url == null ? null : Regex.Replace(Regex.Replace(url,
            "^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", "$1***@", RegexOptions.Singleline), @"\?.*", "?***", RegexOptions.Singleline);
    }

    /// <summary>The retry policy (docs/architecture.md#retry-rules); each null keeps the default.</summary>
    public sealed class DgaRetryOptions : IWireValue
    {
        private bool disabled;

        /// <summary>No retries at all: every call is tried once.</summary>
        public static DgaRetryOptions Disabled => new DgaRetryOptions { disabled = true };

        /// <summary>Attempts to obtain a token (default 5).</summary>
        public int? TokenAttempts { get; set; }

        /// <summary>Attempts of a status call (default 3).</summary>
        public int? StatusAttempts { get; set; }

        /// <summary>Attempts when a connection cannot be made (default 3).</summary>
        public int? ConnectAttempts { get; set; }

        /// <summary>Backoff base (default 200 ms).</summary>
        public TimeSpan? BackoffBase { get; set; }

        /// <summary>Longest wait between attempts (default 5 s).</summary>
        public TimeSpan? BackoffCap { get; set; }

        JsonNode IWireValue.ToWire() => disabled ? JsonNode.Bool(false) : JsonNode.Parse(Wire.Write(this, "RetryOptions", "options"));
    }
}
