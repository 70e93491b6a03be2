// Results, read from the core's normalized JSON (DESIGN.md "The C ABI, exactly": camelCase
// keys, enum names, amounts as decimal strings, dates yyyy-MM-ddTHH:mm:ss or null). Money is
// decimal, parsed with the invariant culture so a Thai or German server locale cannot change it.
using System;
using System.Globalization;
using System.Text;

namespace Dga.EPayment
{
    internal static class Read
    {
        internal const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss";

        internal static string Str(JsonNode obj, string key)
        {
            var v = obj.Get(key);
            if (v == null || v.IsNull)
            {
                return null;
            }
            return v.Text;
        }

        internal static decimal Amount(JsonNode obj, string key)
        {
            decimal? d = OptAmount(obj, key);
            if (d == null)
            {
                throw Bad(key, "is missing");
            }
            return d.Value;
        }

        internal static decimal? OptAmount(JsonNode obj, string key)
        {
            var s = Str(obj, key);
            if (s == null)
            {
                return null;
            }
            decimal d;
            if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign,
                    CultureInfo.InvariantCulture, out d))
            {
                throw Bad(key, "is not a decimal amount");
            }
            return d;
        }

        /// <summary>Bangkok local time as DGA gives it: Kind Unspecified, no offset applied.</summary>
        internal static DateTime? Date(JsonNode obj, string key)
        {
            var s = Str(obj, key);
            if (string.IsNullOrEmpty(s))
            {
                return null;
            }
            DateTime d;
            if (!DateTime.TryParseExact(s, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out d))
            {
                throw Bad(key, "is not a yyyy-MM-ddTHH:mm:ss date");
            }
            return d;
        }

        /// <summary>
        /// An enum the core gives as the guide's name, or as the raw value when it is outside
        /// the table. Known names map to the C# member; anything else leaves it null (the raw
        /// text is kept by the caller).
        /// </summary>
        internal static T? Enum<T>(JsonNode obj, string key, out string raw) where T : struct
        {
            var v = obj.Get(key);
            raw = null;
            if (v == null || v.IsNull)
            {
                return null;
            }
            raw = v.Text ?? v.ToJson();
            if (v.Kind == JsonKind.String && System.Enum.IsDefined(typeof(T), v.Text))
            {
                return (T)System.Enum.Parse(typeof(T), v.Text, false);
            }
            return null;
        }

        internal static DgaProtocolException Bad(string key, string what)
        {
            return new DgaProtocolException(
                "unexpected result from the native library: " + key + " " + what, null);
        }

        internal static JsonNode Object(string json)
        {
            JsonNode node;
            try
            {
                node = JsonNode.Parse(json);
            }
            catch (Exception e)
            {
                throw new DgaProtocolException("unreadable JSON from the native library: " + e.Message, null);
            }
            if (node.Kind != JsonKind.Object)
            {
                throw new DgaProtocolException("expected a JSON object from the native library", null);
            }
            return node;
        }
    }

    /// <summary>
    /// A transaction's state (status), or the same fields in a callback
    /// (<see cref="DgaCallbackData"/>). Dates are Bangkok local time, Kind Unspecified.
    /// </summary>
    public class PaymentStatus
    {
        internal PaymentStatus(JsonNode o, string json)
        {
            string raw;
            PaidStatus = Read.Enum<PaidStatus>(o, "paidStatus", out raw);
            PaidStatusRaw = raw;
            Description = Read.Str(o, "description");
            PaidDate = Read.Date(o, "paidDate");
            PaidChannel = Read.Str(o, "paidChannel");
            ConfirmPaidDate = Read.Date(o, "confirmPaidDate");
            RefId = Read.Str(o, "refId");
            Ref1 = Read.Str(o, "ref1") ?? "";
            Ref2 = Read.Str(o, "ref2") ?? "";
            CardNo = Read.Str(o, "cardNo");
            PaymentType = Read.Enum<PaymentType>(o, "paymentType", out raw);
            PaymentTypeRaw = raw;
            Amount = Read.Amount(o, "amount");
            FeeAmount = Read.OptAmount(o, "feeAmount");
            VoidDate = Read.Date(o, "voidDate");
            RequestRefundDate = Read.Date(o, "requestRefundDate");
            Warning = Read.Str(o, "warning");
            Json = json;
        }

        internal string Json { get; private set; }

        /// <summary>
        /// paidStatus; null when DGA sent a value outside the guide's table (then see
        /// <see cref="PaidStatusRaw"/>). Only <see cref="Dga.EPayment.PaidStatus.Success"/> means paid.
        /// </summary>
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
        public bool IsPaid
        {
            get { return PaidStatus == Dga.EPayment.PaidStatus.Success; }
        }

        /// <summary>The core's normalized JSON of this status (what <c>dgapay callback parse</c> prints).</summary>
        public string ToJson()
        {
            return Json;
        }

        /// <inheritdoc />
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0}(Ref1={1}, Ref2={2}, PaidStatus={3}, Amount={4}, RefId={5})",
                GetType().Name, Ref1, Ref2, PaidStatusRaw, Amount, RefId);
        }
    }

    /// <summary>
    /// A callback from DGA: the same fields as <see cref="PaymentStatus"/>. Callbacks are
    /// unsigned: confirm one with <see cref="DgaClient.VerifyCallback"/> before acting on it.
    /// </summary>
    public sealed class DgaCallbackData : PaymentStatus
    {
        internal DgaCallbackData(JsonNode o, string json)
            : base(o, json)
        {
        }
    }

    /// <summary>A created payment: what the citizen's browser needs to pay at KTB, and the references for status, close and void.</summary>
    public sealed class Payment
    {
        internal Payment(JsonNode o, string json)
        {
            OrderRef = Read.Str(o, "orderRef");
            OrderRef1 = Read.Str(o, "orderRef1");
            OrderRef2 = Read.Str(o, "orderRef2");
            Amount = Read.Amount(o, "amount");
            MerchantId = Read.Str(o, "merchantId");
            CurrCode = Read.Str(o, "currCode");
            Lang = Read.Str(o, "lang");
            PayType = Read.Str(o, "payType");
            PayMethod = Read.Str(o, "payMethod");
            SecurityKey = Read.Str(o, "securityKey");
            GatewayUrl = Read.Str(o, "gatewayUrl");
            SuccessUrl = Read.Str(o, "successUrl");
            FailUrl = Read.Str(o, "failUrl");
            CancelUrl = Read.Str(o, "cancelUrl");
            Reference1 = Read.Str(o, "reference1") ?? "";
            Reference2 = Read.Str(o, "reference2") ?? "";
            Warning = Read.Str(o, "warning");
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

        /// <summary>
        /// An HTML page that sends the citizen's browser to KTB: a POST form with this payment's
        /// hidden fields (every value escaped), submitted by script at once.
        /// </summary>
        public string CheckoutFormHtml()
        {
            return DgaCheckout.FormHtml(this);
        }

        /// <summary>The core's JSON of this payment (contains the security key: store it like a secret).</summary>
        public string ToJson()
        {
            return Json;
        }

        /// <inheritdoc />
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append("Payment(OrderRef=").Append(OrderRef)
                .Append(", Amount=").Append(Amount.ToString(CultureInfo.InvariantCulture))
                .Append(", PayMethod=").Append(PayMethod)
                .Append(", Reference1=").Append(Reference1)
                .Append(", Reference2=").Append(Reference2)
                .Append(", SecurityKey=<redacted>)");
            return sb.ToString();
        }
    }

    /// <summary>DGA's answer to close or void.</summary>
    public sealed class Confirmation
    {
        internal Confirmation(JsonNode o, string json)
        {
            string raw;
            Status = Read.Enum<ResponseStatus>(o, "status", out raw);
            StatusRaw = raw;
            Message = Read.Str(o, "message") ?? "";
            var data = o.Get("data");
            DataJson = data == null || data.IsNull ? null : data.ToJson();
            Warning = Read.Str(o, "warning");
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
        public string ToJson()
        {
            return Json;
        }

        /// <inheritdoc />
        public override string ToString()
        {
            return "Confirmation(Status=" + StatusRaw + ", Message=" + Message + ")";
        }
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

        /// <summary>The ABI's create request JSON (the guide's camelCase fields, amount as a string).</summary>
        internal string ToAbiJson()
        {
            var o = JsonNode.Object();
            AddStr(o, "customerID", CustomerId);
            AddStr(o, "customerTitleName", CustomerTitleName);
            AddStr(o, "customerFirstName", CustomerFirstName);
            AddStr(o, "customerMiddleName", CustomerMiddleName);
            AddStr(o, "customerLastName", CustomerLastName);
            if (PaymentType != null)
            {
                o.Add("paymentType", JsonNode.Str(PaymentType.Value.ToString()));
            }
            if (Amount != null)
            {
                // decimal keeps its scale: 1000.50m is "1000.50".
                o.Add("amount", JsonNode.Str(Amount.Value.ToString(CultureInfo.InvariantCulture)));
            }
            AddStr(o, "requestReference1", RequestReference1);
            AddStr(o, "requestReference2", RequestReference2);
            AddStr(o, "requestReference3", RequestReference3);
            AddStr(o, "source", Source);
            var json = o.ToJson();
            if (DataJson == null)
            {
                return json;
            }
            try
            {
                JsonNode.Parse(DataJson);
            }
            catch (Exception e)
            {
                throw new ArgumentException("DataJson is not valid JSON: " + e.Message, "request", e);
            }
            // Spliced as text so that numbers in it reach DGA with their exact digits.
            var prefix = json.Substring(0, json.Length - 1);
            return prefix + (o.Members.Count > 0 ? "," : "") + "\"data\":" + DataJson + "}";
        }

        private static void AddStr(JsonNode o, string key, string value)
        {
            if (value != null)
            {
                o.Add(key, JsonNode.Str(value));
            }
        }

        /// <summary>The references status, close and void will use, as the core trims them.</summary>
        internal void References(out string reference1, out string reference2)
        {
            reference1 = (RequestReference1 ?? "").Trim();
            reference2 = (RequestReference2 ?? "").Trim();
        }
    }
}
