// The guide's enumerations (its Appendix) as C# enums. Member names are the guide's names and
// values its numbers, exactly as the core's tables: the tests compare them with the core's
// dga_enum_tables_json, so they cannot drift. DGA may send a value outside these tables
// (docs/protocol.md#q6--paymenttype-c); the models then leave the enum property null and keep the
// value as sent in its ...Raw property, instead of throwing.
namespace Dga.EPayment
{
    /// <summary>BankCodeEnum. This gateway always uses <see cref="KTB"/>.</summary>
    public enum BankCode
    {
        /// <summary>กรมบัญชีกลาง (Comptroller General's Department).</summary>
        CGD = 1,
        /// <summary>ธนาคารกรุงไทย (Krungthai Bank).</summary>
        KTB = 2,
    }

    /// <summary>PaymentTypeEnum. KTB takes <see cref="FastPay"/> (card) and <see cref="QRPayment"/>.</summary>
    public enum PaymentType
    {
        /// <summary>บิลเพย์เมนต์.</summary>
        BillPayment = 1,
        /// <summary>บิลเพย์เมนต์ (direct link).</summary>
        DirectLink = 2,
        /// <summary>บัตรเครดิต/เดบิต (card).</summary>
        FastPay = 3,
        /// <summary>อินเทอร์เน็ตแบงก์กิ้ง.</summary>
        PageToPage = 4,
        /// <summary>คิวอาร์เพย์เมนต์ (Thai QR).</summary>
        QRPayment = 5,
        /// <summary>แอปพลิเคชันธนาคาร.</summary>
        AppToApp = 6,
    }

    /// <summary>PaymentTransactionStatusEnum: the paidStatus of a status or callback.</summary>
    public enum PaidStatus
    {
        /// <summary>รอการชำระเงิน: not paid yet.</summary>
        Pending = 0,
        /// <summary>ชำระเงินสำเร็จ: paid. The only status that means money was taken.</summary>
        Success = 1,
        /// <summary>ปฏิเสธชำระเงิน.</summary>
        Rejected = 2,
        /// <summary>ชำระเงินไม่สำเร็จ.</summary>
        Failed = 3,
        /// <summary>ยกเลิกการชำระเงิน: a paid FastPay payment was voided.</summary>
        Void = 4,
        /// <summary>ผิดพลาด.</summary>
        Others = 5,
        /// <summary>หมดอายุ (also: closed by the agency).</summary>
        Expired = 6,
        /// <summary>คืนเงินสำเร็จ.</summary>
        Refunded = 7,
        /// <summary>ยื่นเรื่องขอคืนเงิน.</summary>
        RequestRefund = 8,
    }

    /// <summary>ResponseStatusEnum: the envelope's status.</summary>
    public enum ResponseStatus
    {
        /// <summary>Success.</summary>
        Success = 0,
        /// <summary>Success, with a warning message.</summary>
        SuccessWithError = 1,
        /// <summary>Success, with a warning message.</summary>
        Warning = 2,
        /// <summary>Refused (a <see cref="DgaApiException"/>).</summary>
        Error = 3,
    }

    /// <summary>ErrorCodeEnum: the errorCode of a refused call (<see cref="DgaApiException.ErrorCode"/>).</summary>
    public enum ErrorCode
    {
        /// <summary>Others (999).</summary>
        Others = 999,
        /// <summary>Invalid Request.</summary>
        InvalidRequest = 1,
        /// <summary>Invalid Source.</summary>
        InvalidSource = 2,
        /// <summary>Invalid Data.</summary>
        InvalidData = 3,
        /// <summary>Invalid PaidDate.</summary>
        InvalidPaidDate = 4,
        /// <summary>Invalid ExpiredDate.</summary>
        InvalidExpiredDate = 5,
        /// <summary>Invalid Invoice.</summary>
        InvalidInvoice = 6,
        /// <summary>Invalid Amount.</summary>
        InvalidAmount = 7,
        /// <summary>Transaction Not Found.</summary>
        TransactionNotFound = 8,
        /// <summary>Source Not Found.</summary>
        SourceNotFound = 9,
        /// <summary>Data Not Found.</summary>
        DataNotFound = 10,
        /// <summary>Unsupported PaymentType.</summary>
        UnsupportedPaymentType = 11,
        /// <summary>Endpoint Service Unavailable.</summary>
        EndpointServiceUnavailable = 12,
        /// <summary>Invalid Endpoint Data.</summary>
        InvalidEndpointData = 13,
        /// <summary>Paid Payment Cannot Be Closed.</summary>
        PaidPaymentCannotBeClosed = 14,
        /// <summary>File Downloading Failed.</summary>
        FileDownloadingFailed = 15,
        /// <summary>File Uploading Failed.</summary>
        FileUploadingFailed = 16,
        /// <summary>File Rendering Failed.</summary>
        FileRenderingFailed = 17,
        /// <summary>File Service Unavailable.</summary>
        FileServiceUnavailable = 18,
        /// <summary>Unable To Void Transaction.</summary>
        UnableToVoidTransaction = 19,
        /// <summary>Unable To Refund Transaction.</summary>
        UnableToRefundTransaction = 20,
        /// <summary>Reference Number Duplicate.</summary>
        ReferenceNumberDuplicate = 21,
        /// <summary>Transaction Locked.</summary>
        TransactionLocked = 22,
    }

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
