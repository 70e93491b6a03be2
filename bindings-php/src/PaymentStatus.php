<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * A transaction's state: what Client::status() reads from DGA, what a callback says
 * (Callback::parse), and what handleCallback() hands your code (DGA's own, verified).
 * Amounts are exact decimal strings ("1000.50"); dates are Bangkok time (Asia/Bangkok).
 */
final class PaymentStatus extends Record
{
    /** PaidStatus::Success once paid; a value outside the guide's table stays as DGA sent it. */
    public readonly PaidStatus|int|string $paidStatus;
    public readonly ?string $description;
    public readonly ?\DateTimeImmutable $paidDate;
    public readonly ?string $paidChannel;
    public readonly ?\DateTimeImmutable $confirmPaidDate;
    /** DGA's payment reference: what void() takes as $paymentReference. */
    public readonly ?string $refId;
    public readonly string $ref1;
    public readonly string $ref2;
    public readonly ?string $cardNo;
    public readonly PaymentType|int|string|null $paymentType;
    /** Exact decimal string, the scale as DGA sent it ("1000.50"). */
    public readonly string $amount;
    public readonly ?string $feeAmount;
    public readonly ?\DateTimeImmutable $voidDate;
    public readonly ?\DateTimeImmutable $requestRefundDate;
    /** Set when DGA answered SuccessWithError or Warning. */
    public readonly ?string $warning;

    protected function init(array $f): void
    {
        $paid = PaidStatus::fromJson($f['paidStatus'] ?? null);
        $this->paidStatus = $paid ?? '';
        $this->description = self::str($f, 'description');
        $this->paidDate = self::date($f, 'paidDate');
        $this->paidChannel = self::str($f, 'paidChannel');
        $this->confirmPaidDate = self::date($f, 'confirmPaidDate');
        $this->refId = self::str($f, 'refId');
        $this->ref1 = (string) self::str($f, 'ref1');
        $this->ref2 = (string) self::str($f, 'ref2');
        $this->cardNo = self::str($f, 'cardNo');
        $this->paymentType = PaymentType::fromJson($f['paymentType'] ?? null);
        $this->amount = (string) self::str($f, 'amount');
        $this->feeAmount = self::str($f, 'feeAmount');
        $this->voidDate = self::date($f, 'voidDate');
        $this->requestRefundDate = self::date($f, 'requestRefundDate');
        $this->warning = self::str($f, 'warning');
    }

    /** Whether DGA says the citizen paid (PaidStatus::Success). */
    public function isPaid(): bool
    {
        return $this->paidStatus === PaidStatus::Success;
    }
}
