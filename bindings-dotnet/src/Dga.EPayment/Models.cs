// Results, read from the core's normalized JSON (docs/architecture.md#the-c-abi: camelCase
// keys, enum names, amounts as decimal strings, dates yyyy-MM-ddTHH:mm:ss or null) by the
// schema (Wire.cs): each property is named after its field's wire name. The properties are
// generated from the schema (Records.cs); here are the constructors and methods.
using System;
using System.Globalization;

namespace Dga.EPayment
{
    /// <summary>A transaction's state, or a callback's (<see cref="DgaCallbackData"/>). Dates are Bangkok time.</summary>
    public partial class PaymentStatus
    {
        internal PaymentStatus(string json)
        {
            Wire.Fill(this, json, "PaymentStatus");
            Json = json;
        }

        internal string Json { get; private set; }

        /// <summary>Whether money has been taken: paidStatus is Success.</summary>
        public bool IsPaid => PaidStatus == Dga.EPayment.PaidStatus.Success;

        /// <summary>The core's normalized JSON of this status (what <c>dgapay callback parse</c> prints).</summary>
        public string ToJson() => Json;

        /// <inheritdoc />
        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0}(Ref1={1}, Ref2={2}, PaidStatus={3}, Amount={4}, RefId={5})",
            GetType().Name, Ref1, Ref2, PaidStatusRaw, Amount, RefId);
    }

    /// <summary>A callback (unsigned): confirm it with <see cref="DgaClient.VerifyCallback"/> before acting on it.</summary>
    public sealed class DgaCallbackData : PaymentStatus
    {
        internal DgaCallbackData(string json) : base(json) { }
    }

    /// <summary>A created payment: what the citizen's browser needs to pay at KTB, and the references for status, close and void.</summary>
    public sealed partial class Payment
    {
        internal Payment(string json)
        {
            Wire.Fill(this, json, "Payment");
            Json = json;
        }

        internal string Json { get; private set; }

        /// <summary>The HTML page whose form sends the citizen's browser to KTB (<see cref="DgaCheckout.FormHtml"/>).</summary>
        public string CheckoutFormHtml() => DgaCheckout.FormHtml(this);

        /// <summary>The core's JSON of this payment (contains the security key: store it like a secret).</summary>
        public string ToJson() => Json;

        /// <inheritdoc />
        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "Payment(OrderRef={0}, Amount={1}, PayMethod={2}, Reference1={3}, Reference2={4}, SecurityKey=<redacted>)",
            OrderRef, Amount, PayMethod, Reference1, Reference2);
    }

    /// <summary>DGA's answer to close or void.</summary>
    public sealed partial class Confirmation
    {
        internal Confirmation(string json)
        {
            Wire.Fill(this, json, "Confirmation");
            Json = json;
        }

        internal string Json { get; private set; }

        /// <summary>The core's JSON of this confirmation.</summary>
        public string ToJson() => Json;

        /// <inheritdoc />
        public override string ToString() => "Confirmation(Status=" + StatusRaw + ", Message=" + Message + ")";
    }

    /// <summary>A request to create a payment (the guide's section 3). The core checks it and names every bad field.</summary>
    public sealed partial class CreatePaymentRequest
    {

        internal string ToAbiJson() => Wire.Write(this, "CreatePayment", "request");
    }
}
