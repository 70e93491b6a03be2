// Results, read from the core's normalized JSON (docs/architecture.md#the-c-abi: camelCase
// keys, enum names, amounts as decimal strings, dates yyyy-MM-ddTHH:mm:ss or null) by the
// schema (Wire.cs): each property is named after its field's wire name.
using System;
using System.Globalization;

namespace Dga.EPayment
{
    /// <summary>A transaction's state, or a callback's (<see cref="DgaCallbackData"/>). Dates are Bangkok time.</summary>
    public class PaymentStatus
    {
        internal PaymentStatus(string json)
        {
            Wire.Fill(this, json, "PaymentStatus");
            Json = json;
        }

        internal string Json { get; private set; }

        /// <summary>paidStatus (null outside the table: see <see cref="PaidStatusRaw"/>); only Success means paid.</summary>
        public PaidStatus? PaidStatus { get; private set; }

        /// <summary>paidStatus as the core reports it: the guide's name (<c>Success</c>), or the value as DGA sent it (<c>42</c>).</summary>
        public string PaidStatusRaw { get; private set; }

        /// <summary>DGA's text for the paid status; null when absent or empty.</summary>
        public string Description { get; private set; }

        /// <summary>When the citizen paid (Bangkok local time); null when not paid.</summary>
        public DateTime? PaidDate { get; private set; }

        /// <summary>How the citizen paid, as DGA words it (e.g. บัตรเครดิต/เดบิต); null when absent or empty.</summary>
        public string PaidChannel { get; private set; }

        /// <summary>When the payment was confirmed as received (Bangkok local time); null when absent.</summary>
        public DateTime? ConfirmPaidDate { get; private set; }

        /// <summary>The payment reference after payment: void's paymentReference. Null before.</summary>
        public string RefId { get; private set; }

        /// <summary>The agency's requestReference1.</summary>
        public string Ref1 { get; private set; }

        /// <summary>The agency's requestReference2 (may be empty).</summary>
        public string Ref2 { get; private set; }

        /// <summary>Masked card number (FastPay only), or null.</summary>
        public string CardNo { get; private set; }

        /// <summary>paymentType; null when absent or outside the table (see <see cref="PaymentTypeRaw"/>).</summary>
        public PaymentType? PaymentType { get; private set; }

        /// <summary>paymentType as the core reports it: the guide's name, or the value as sent (<c>C</c>); null when absent.</summary>
        public string PaymentTypeRaw { get; private set; }

        /// <summary>The amount paid or due, exact.</summary>
        public decimal Amount { get; private set; }

        /// <summary>The fee, exact; null when DGA sent none.</summary>
        public decimal? FeeAmount { get; private set; }

        /// <summary>When the payment was voided (Bangkok local time), or null.</summary>
        public DateTime? VoidDate { get; private set; }

        /// <summary>When a refund was requested (Bangkok local time), or null.</summary>
        public DateTime? RequestRefundDate { get; private set; }

        /// <summary>DGA's message when it answered SuccessWithError or Warning; null otherwise.</summary>
        public string Warning { get; private set; }

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
    public sealed class Payment
    {
        internal Payment(string json)
        {
            Wire.Fill(this, json, "Payment");
            Json = json;
        }

        internal string Json { get; private set; }

        /// <summary>orderRef: the payment reference KTB's page is given.</summary>
        public string OrderRef { get; private set; }

        /// <summary>orderRef1, or null.</summary>
        public string OrderRef1 { get; private set; }

        /// <summary>orderRef2, or null.</summary>
        public string OrderRef2 { get; private set; }

        /// <summary>The amount to pay, exact.</summary>
        public decimal Amount { get; private set; }

        /// <summary>The agency's merchant number at KTB.</summary>
        public string MerchantId { get; private set; }

        /// <summary>764 THB, 840 USD.</summary>
        public string CurrCode { get; private set; }

        /// <summary>T Thai, E English.</summary>
        public string Lang { get; private set; }

        /// <summary>N normal, H hold.</summary>
        public string PayType { get; private set; }

        /// <summary>CC card, QR.</summary>
        public string PayMethod { get; private set; }

        /// <summary>Proves the checkout form to KTB. It goes to the citizen's browser in the form, but never into logs: <see cref="ToString"/> leaves it out.</summary>
        public string SecurityKey { get; private set; }

        /// <summary>KTB's payment page, where the checkout form posts.</summary>
        public string GatewayUrl { get; private set; }

        /// <summary>Where KTB sends the browser after a successful payment.</summary>
        public string SuccessUrl { get; private set; }

        /// <summary>Where KTB sends the browser after a failed payment.</summary>
        public string FailUrl { get; private set; }

        /// <summary>Where KTB sends the browser when the citizen cancels.</summary>
        public string CancelUrl { get; private set; }

        /// <summary>The requestReference1 to pass to status, close and void.</summary>
        public string Reference1 { get; private set; }

        /// <summary>The requestReference2 to pass to status, close and void (may be empty).</summary>
        public string Reference2 { get; private set; }

        /// <summary>DGA's message when it answered SuccessWithError or Warning; null otherwise.</summary>
        public string Warning { get; private set; }

        /// <summary>The HTML page whose form sends the citizen's browser to KTB (<see cref="DgaCheckout.FormHtml"/>).</summary>
        public string CheckoutFormHtml() => DgaCheckout.FormHtml(this);

        /// <summary>The core's JSON of this payment (contains the security key: store it like a secret).</summary>
        public string ToJson() => Json;

        /// <inheritdoc />
        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "Payment(OrderRef={0}, Amount={1}, PayMethod={2}, Reference1={3}, Reference2={4}, SecurityKey=<redacted>)",
            OrderRef, Amount, PayMethod, Reference1, Reference2);
    }

    /// <summary>DGA's answer to close or void.</summary>
    public sealed class Confirmation
    {
        internal Confirmation(string json)
        {
            Wire.Fill(this, json, "Confirmation");
            Json = json;
        }

        internal string Json { get; private set; }

        /// <summary>DGA's status (Success, SuccessWithError, Warning); null for a value outside the table (see <see cref="StatusRaw"/>).</summary>
        public ResponseStatus? Status { get; private set; }

        /// <summary>DGA's status as the core reports it: the guide's name or the raw value.</summary>
        public string StatusRaw { get; private set; }

        /// <summary>DGA's message; may be empty.</summary>
        public string Message { get; private set; }

        /// <summary>DGA's data as JSON text, or null.</summary>
        public string DataJson { get; private set; }

        /// <summary>DGA's message when it answered SuccessWithError or Warning; null otherwise.</summary>
        public string Warning { get; private set; }

        /// <summary>The core's JSON of this confirmation.</summary>
        public string ToJson() => Json;

        /// <inheritdoc />
        public override string ToString() => "Confirmation(Status=" + StatusRaw + ", Message=" + Message + ")";
    }

    /// <summary>A request to create a payment (the guide's section 3). The core checks it and names every bad field.</summary>
    public sealed class CreatePaymentRequest
    {
        /// <summary>customerID: citizen ID, juristic ID or other payer ID.</summary>
        public string CustomerId { get; set; }

        /// <summary>customerTitleName, e.g. นาย, นาง, นางสาว.</summary>
        public string CustomerTitleName { get; set; }

        /// <summary>customerFirstName.</summary>
        public string CustomerFirstName { get; set; }

        /// <summary>customerMiddleName (optional).</summary>
        public string CustomerMiddleName { get; set; }

        /// <summary>customerLastName.</summary>
        public string CustomerLastName { get; set; }

        /// <summary>Always <see cref="Dga.EPayment.BankCode.KTB"/> for this gateway; null sends KTB.</summary>
        public BankCode? BankCode { get; set; }

        /// <summary>FastPay (card) or QRPayment.</summary>
        public PaymentType? PaymentType { get; set; }

        /// <summary>More than 0, at most 2 decimal places; sent as an exact decimal string.</summary>
        public decimal? Amount { get; set; }

        /// <summary>The agency's own reference; with <see cref="RequestReference2"/> it identifies the transaction.</summary>
        public string RequestReference1 { get; set; }

        /// <summary>Optional second half of the transaction's identity.</summary>
        public string RequestReference2 { get; set; }

        /// <summary>Optional, for the agency's own use.</summary>
        public string RequestReference3 { get; set; }

        /// <summary>The source code DGA assigned; null uses <see cref="DgaClientOptions.Source"/>.</summary>
        public string Source { get; set; }

        /// <summary>Extra data agreed with DGA, as a JSON object's text; passed through untouched.</summary>
        public string DataJson { get; set; }

        internal string ToAbiJson() => Wire.Write(this, "CreatePayment", "request");
    }
}
