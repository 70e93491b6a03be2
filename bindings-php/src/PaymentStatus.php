<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * A transaction's state: what Client::status() reads from DGA, what a callback says
 * (Callback::parse), and what handleCallback() hands your code (DGA's own, verified).
 * Amounts are exact decimal strings as DGA sent them ("1000.5": compare with bccomp); dates are
 * Bangkok time (Asia/Bangkok). Its properties are the schema's PaymentStatus fields.
 */
final class PaymentStatus extends Record
{
    use Generated\PaymentStatusFields;

    /** Whether DGA says the citizen paid (PaidStatus::Success). */
    public function isPaid(): bool
    {
        return $this->paidStatus === PaidStatus::Success;
    }
}
