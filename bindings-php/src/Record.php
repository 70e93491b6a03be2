<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * A result from the core: its normalized JSON (camelCase keys, enum names, amounts as decimal
 * strings, dates "yyyy-MM-ddTHH:mm:ss" in Bangkok time), exposed as read-only properties by
 * the subclasses.
 */
abstract class Record implements \JsonSerializable
{
    /** @var array<string, mixed> */
    private readonly array $fields;

    /** @internal */
    final public function __construct(private readonly string $json)
    {
        $decoded = json_decode($json, true, 512, JSON_BIGINT_AS_STRING);
        if (!is_array($decoded)) {
            throw new InternalException('the native library returned a result that is not a JSON object', 11);
        }
        $this->fields = $decoded;
        $this->init($decoded);
    }

    /** @param array<string, mixed> $f */
    abstract protected function init(array $f): void;

    /** The core's normalized JSON of this result, as it came. */
    public function toJson(): string
    {
        return $this->json;
    }

    /** @return array<string, mixed> the normalized JSON as an array */
    public function toArray(): array
    {
        return $this->fields;
    }

    /** @return array<string, mixed> */
    public function jsonSerialize(): array
    {
        return $this->fields;
    }

    /** @param array<string, mixed> $f */
    protected static function str(array $f, string $key): ?string
    {
        $v = $f[$key] ?? null;
        return is_scalar($v) ? (string) $v : null;
    }

    /** A date of the normalized JSON ("yyyy-MM-ddTHH:mm:ss", Bangkok time) or null. */
    protected static function date(array $f, string $key): ?\DateTimeImmutable
    {
        $v = $f[$key] ?? null;
        if (!is_string($v)) {
            return null;
        }
        $d = \DateTimeImmutable::createFromFormat('!Y-m-d\TH:i:s', $v, new \DateTimeZone('Asia/Bangkok'));
        return $d === false ? null : $d;
    }
}
