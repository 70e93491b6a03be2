<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** DGA answered with an error envelope: $errorCode says which (ErrorCode::TransactionNotFound, ...). */
final class ApiException extends DgaException
{
    protected const KIND = 'api';

    /** DGA's errorCode as the guide's enum; null when DGA sent none or a value outside the table. */
    public readonly ?ErrorCode $errorCode;

    /** DGA's errorCode number (8 for TransactionNotFound); null when there is none. */
    public readonly ?int $errorCodeNumber;

    /** DGA's errorCode as it came when the table lacks it (an int or a string); else the name. */
    public readonly int|string|null $errorCodeRaw;

    /** DGA's envelope status: ResponseStatus::Error, or the raw value outside the table. */
    public readonly ResponseStatus|int|string|null $status;

    /** DGA's envelope status number (3 for Error); null when there is none. */
    public readonly ?int $statusNumber;

    public function __construct(string $message, int $kindNumber = 3, array $detail = [])
    {
        parent::__construct($message, $kindNumber, $detail);
        $raw = $detail["errorCode"] ?? null;
        $this->errorCodeRaw = is_int($raw) || is_string($raw) ? $raw : null;
        $this->errorCode = is_string($raw) ? ErrorCode::tryFromName($raw) : null;
        $n = $detail["errorCodeNumber"] ?? null;
        $this->errorCodeNumber = is_int($n) ? $n : $this->errorCode?->value;
        $st = $detail["status"] ?? null;
        $sn = $detail["statusNumber"] ?? null;
        $this->statusNumber = is_int($sn) ? $sn : (is_int($st) ? $st : null);
        $this->status = is_string($st) ? (ResponseStatus::tryFromName($st) ?? $st) : (is_int($st) ? $st : null);
    }
}
