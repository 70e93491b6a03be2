<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** ErrorCodeEnum: DGA's errorCode (ApiException::$errorCode). */
enum ErrorCode: int
{
    use TableEnum;

    /** @internal the core table these cases mirror */
    public const TABLE = 'ErrorCode';

    case Others = 999;
    case InvalidRequest = 1;
    case InvalidSource = 2;
    case InvalidData = 3;
    case InvalidPaidDate = 4;
    case InvalidExpiredDate = 5;
    case InvalidInvoice = 6;
    case InvalidAmount = 7;
    case TransactionNotFound = 8;
    case SourceNotFound = 9;
    case DataNotFound = 10;
    case UnsupportedPaymentType = 11;
    case EndpointServiceUnavailable = 12;
    case InvalidEndpointData = 13;
    case PaidPaymentCannotBeClosed = 14;
    case FileDownloadingFailed = 15;
    case FileUploadingFailed = 16;
    case FileRenderingFailed = 17;
    case FileServiceUnavailable = 18;
    case UnableToVoidTransaction = 19;
    case UnableToRefundTransaction = 20;
    case ReferenceNumberDuplicate = 21;
    case TransactionLocked = 22;
}
