<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * Every error the SDK reports. The subclass says the kind (docs/architecture.md#errors); the fields
 * come from the core's error JSON (dga_error_json), never from parsing the message. Messages
 * never contain a secret or a token. getCode() is the kind's number (DgaErrorKind, 1 to 11). The
 * subclass per kind of the core is generated (scripts/gen-tables.py).
 */
class DgaException extends \RuntimeException
{
    /** The core's kind code: "validation", "auth", "api", ..., "invalid_argument", "internal". */
    public readonly string $kind;

    /** The DGA call that failed ("token", "create", "status", "close", "void"), when there is one. */
    public readonly ?string $endpoint;

    /** Whether trying again later may succeed (timeouts, network, DGA unavailable), as the core says. */
    public readonly bool $transient;

    /** @param array<string, mixed> $detail the core's error JSON */
    public function __construct(string $message, int $kindNumber = 0, array $detail = [])
    {
        parent::__construct($message, $kindNumber);
        $this->kind = is_string($detail['kind'] ?? null) ? $detail['kind'] : static::KIND;
        $this->endpoint = is_string($detail['endpoint'] ?? null) ? $detail['endpoint'] : null;
        $this->transient = ($detail['transient'] ?? false) === true;
    }

    /** The kind code of this class; the core's JSON says it for every instance. */
    protected const KIND = 'internal';

    /** The C ABI's own statuses beside the core's kinds (ErrorKinds::CLASSES). */
    private const OWN = [10 => ArgumentException::class, 11 => InternalException::class];

    /**
     * The exception for one of the core's errors.
     *
     * @param array<string, mixed> $detail the core's error JSON
     * @internal
     */
    public static function fromCore(int $kindNumber, array $detail): self
    {
        $class = ErrorKinds::CLASSES[$kindNumber] ?? self::OWN[$kindNumber] ?? InternalException::class;
        $message = is_string($detail['message'] ?? null) ? $detail['message'] : "error of kind $kindNumber";
        return new $class($message, $kindNumber, $detail);
    }

    // The readings of the core's error JSON that the generated subclasses' constructors use.

    protected static function text(mixed $v): string
    {
        return is_scalar($v) ? (string) $v : '';
    }

    protected static function integer(mixed $v): ?int
    {
        return is_int($v) ? $v : null;
    }

    protected static function raw(mixed $v): int|string|null
    {
        return is_int($v) || is_string($v) ? $v : null;
    }

    /**
     * @template T
     * @param array<string, mixed> $detail
     * @param callable(array<string, mixed>): T $make
     * @return list<T>
     */
    protected static function listOf(array $detail, string $key, callable $make): array
    {
        $items = is_array($detail[$key] ?? null) ? $detail[$key] : [];
        return array_values(array_map($make, array_filter($items, 'is_array')));
    }
}
