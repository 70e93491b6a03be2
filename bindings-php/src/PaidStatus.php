<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** PaymentTransactionStatusEnum: where a payment stands (PaymentStatus::$paidStatus). */
enum PaidStatus: int
{
    use TableEnum;

    /** @internal the core table these cases mirror */
    public const TABLE = 'PaidStatus';

    case Pending = 0;
    case Success = 1;
    case Rejected = 2;
    case Failed = 3;
    case Void = 4;
    case Others = 5;
    case Expired = 6;
    case Refunded = 7;
    case RequestRefund = 8;
}
