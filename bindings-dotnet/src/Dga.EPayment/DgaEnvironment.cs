// Which DGA environment a client calls (DgaClientOptions.Environment).
namespace Dga.EPayment
{
    /// <summary>Which DGA environment (path prefix) to call.</summary>
    public enum DgaEnvironment
    {
        /// <summary>Production: <c>/ws/dga/payment/</c>.</summary>
        Production,
        /// <summary>UAT: <c>/ws/dga/uat/payment/</c>.</summary>
        Uat,
        /// <summary>Test: <c>/ws/dga/dev/payment/</c>.</summary>
        Test,
    }
}
