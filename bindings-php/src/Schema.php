<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** The core's schema of every record that crosses the binding (dga_schema_json). */
final class Schema
{
    /**
     * @return array{version: string, records: array<string, array{name: string, doc: string,
     *   fields: list<array{wire: string, snake: string, type: string, required: bool, secret: bool, doc: string}>}>}
     */
    public static function get(): array
    {
        return json_decode((string) Native::ffi()->dga_schema_json(), true, 512, JSON_THROW_ON_ERROR);
    }
}
