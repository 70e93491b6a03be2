<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * Every error the SDK reports. The subclass says the kind (docs/architecture.md#errors); the fields
 * come from the core's error JSON (dga_error_json), never from parsing the message. Messages
 * never contain a secret or a token. getCode() is the kind's number (DgaErrorKind, 1 to 11).
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

    /** The core's kind numbers (DgaErrorKind) to classes. */
    private const CLASSES = [
        1 => ValidationException::class,
        2 => AuthException::class,
        3 => ApiException::class,
        4 => TimeoutException::class,
        5 => NetworkException::class,
        6 => OutcomeUnknownException::class,
        7 => ProtocolException::class,
        8 => CallbackException::class,
        9 => VerificationException::class,
        10 => ArgumentException::class,
        11 => InternalException::class,
    ];

    /**
     * The exception for one of the core's errors.
     *
     * @param array<string, mixed> $detail the core's error JSON
     * @internal
     */
    public static function fromCore(int $kindNumber, array $detail): self
    {
        $class = self::CLASSES[$kindNumber] ?? InternalException::class;
        $message = is_string($detail['message'] ?? null) ? $detail['message'] : "error of kind $kindNumber";
        return new $class($message, $kindNumber, $detail);
    }

    /** @return list<FieldError> */
    protected static function fieldErrors(array $detail): array
    {
        $list = [];
        foreach (is_array($detail['errors'] ?? null) ? $detail['errors'] : [] as $e) {
            if (is_array($e)) {
                $list[] = new FieldError(
                    (string) ($e['field'] ?? ''),
                    (string) ($e['message'] ?? ''),
                    isset($e['line']) ? (int) $e['line'] : null,
                    isset($e['column']) ? (int) $e['column'] : null,
                );
            }
        }
        return $list;
    }
}
