<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * A result from the core: its normalized JSON (camelCase keys, enum names, amounts as decimal
 * strings, dates "yyyy-MM-ddTHH:mm:ss" in Bangkok time), exposed as read-only properties
 * declared by the subclasses' generated traits (src/Generated, from the core's schema) and
 * filled here by the schema's field types.
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
        $values = [];
        foreach (static::fields() as $key => [$type, $required, $enum]) {
            $v = $decoded[$key] ?? null;
            $values[$key] = match ($type) {
                'date' => self::date($v),
                'object' => $v,
                'enum' => $enum::fromJson($v) ?? ($required ? '' : null),
                default => is_scalar($v) ? (string) $v : ($required ? '' : null), // string, decimal
            };
        }
        // Read-only properties can be set only in the scope that declares them: the subclass's.
        (function (array $values): void {
            foreach ($values as $key => $v) {
                $this->$key = $v;
            }
        })->call($this, $values);
    }

    /**
     * The schema's fields (the generated trait's): name => [type, required, enum class, secret].
     *
     * @return array<string, array{string, bool, class-string|null, bool}>
     */
    abstract protected static function fields(): array;

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

    /**
     * What var_dump() and print_r() show: the properties, the schema's secret fields (a
     * payment's securityKey) hidden, as every other binding prints them.
     *
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        $shown = [];
        foreach (static::fields() as $key => [, , , $secret]) {
            $shown[$key] = $secret ? '<hidden>' : $this->$key;
        }
        return $shown;
    }

    /** A date of the normalized JSON ("yyyy-MM-ddTHH:mm:ss", Bangkok time) or null. */
    private static function date(mixed $v): ?\DateTimeImmutable
    {
        if (!is_string($v)) {
            return null;
        }
        $d = \DateTimeImmutable::createFromFormat('!Y-m-d\TH:i:s', $v, new \DateTimeZone('Asia/Bangkok'));
        return $d === false ? null : $d;
    }
}
