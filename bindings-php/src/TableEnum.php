<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * What every enum of the guide has: its Thai description from the core's table, and the
 * mapping from the normalized JSON (the value's name, or the raw value when DGA sent one the
 * table lacks). The case names and numbers are the core's; a unit test compares them with
 * dga_enum_tables_json.
 *
 * @internal
 */
trait TableEnum
{
    /** The guide's description of this value (Thai for PaidStatus, PaymentType, BankCode), from the core's table. */
    public function descriptionTh(): string
    {
        return (string) Native::description(self::TABLE, $this->value);
    }

    /** The case with the guide's name ("FastPay"), or null. */
    public static function tryFromName(string $name): ?self
    {
        foreach (self::cases() as $case) {
            if ($case->name === $name) {
                return $case;
            }
        }
        return null;
    }

    /**
     * A value of the core's normalized JSON: the case for a known name, else the raw value as
     * DGA sent it (int or string), or null.
     *
     * @internal
     */
    public static function fromJson(mixed $value): self|int|string|null
    {
        if (is_string($value)) {
            return self::tryFromName($value) ?? $value;
        }
        return is_int($value) ? $value : null;
    }
}
