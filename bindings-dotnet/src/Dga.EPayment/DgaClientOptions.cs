using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Dga.EPayment
{
    /// <summary>How to reach DGA. <see cref="ConsumerKey"/>, <see cref="ConsumerSecret"/> and <see cref="AgentId"/>
    /// are required; a null setting takes the core's default; bad ones throw <see cref="DgaValidationException"/>.</summary>
    public sealed partial class DgaClientOptions
    {
        // The settings, one per option of the core's schema, are generated: Records.cs.
        internal string ToAbiJson() => Wire.Write(this, "ClientOptions", "options");

        // An option's error names the property the caller set, not its JSON key (timeoutMs -> Timeout,
        // retry.backoffBaseMs -> Retry.BackoffBase); a field the core names otherwise is left as it is.
        internal static string PropertyOf(string field) => Wire.PropertyPath(typeof(DgaClientOptions), "ClientOptions", field);

        /// <summary>Describes the options without the Consumer-Key, secret, proxy or the gateway URL's userinfo and query.</summary>
        public override string ToString() => string.Format(CultureInfo.InvariantCulture,
            "DgaClientOptions(AgentId={0}, Environment={1}, GatewayUrl={2}, Source={3}, Timeout={4})",
            AgentId, Environment, Redacted(GatewayUrl), Source, Timeout);

        // Hides a password (user:pw@, up to the last '@') and a query: the core refuses both, but options may be logged first.
        private static string Redacted(string url) => url == null ? null : Regex.Replace(Regex.Replace(url,
            "^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", "$1***@", RegexOptions.Singleline), @"\?.*", "?***", RegexOptions.Singleline);
    }

    /// <summary>The retry policy (docs/architecture.md#retry-rules); each null keeps the default.</summary>
    public sealed partial class DgaRetryOptions : IWireValue
    {
        // The settings are generated: Records.cs.
        private bool disabled;

        /// <summary>No retries at all: every call is tried once.</summary>
        public static DgaRetryOptions Disabled => new DgaRetryOptions { disabled = true };

        JsonNode IWireValue.ToWire() => disabled ? JsonNode.Bool(false) : JsonNode.Parse(Wire.Write(this, "RetryOptions", "options"));
    }
}
