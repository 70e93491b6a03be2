<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** Thai citizen IDs (เลขประจำตัวประชาชน), e.g. the agentId setting. */
final class CitizenId
{
    /** Whether $id is exactly 13 ASCII digits whose last digit is the check digit (the core's check). */
    public static function isValid(string $id): bool
    {
        if (str_contains($id, "\0")) {
            return false;
        }
        return (bool) Native::ffi()->dga_validate_citizen_id($id);
    }
}
