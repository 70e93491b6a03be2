<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** DGA's answer to close() and void(). */
final class Confirmation extends Record
{
    /** ResponseStatus::Success, or a value outside the guide's table as DGA sent it. */
    public readonly ResponseStatus|int|string $status;
    public readonly string $message;
    /** Whatever DGA sent as data (usually null). */
    public readonly mixed $data;
    public readonly ?string $warning;

    protected function init(array $f): void
    {
        $this->status = ResponseStatus::fromJson($f['status'] ?? null) ?? '';
        $this->message = (string) self::str($f, 'message');
        $this->data = $f['data'] ?? null;
        $this->warning = self::str($f, 'warning');
    }
}
