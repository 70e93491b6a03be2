<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** One bad field of a request or callback: the guide's field name ("body" for the whole body). */
final class FieldError
{
    public function __construct(
        public readonly string $field,
        public readonly string $message,
        /** For a JSON syntax error in a callback body: 1-based line. */
        public readonly ?int $line = null,
        /** For a JSON syntax error: the byte column, as the core reports it (0 before the first byte). */
        public readonly ?int $column = null,
    ) {
    }

    /**
     * From the core's JSON of one.
     *
     * @param array<string, mixed> $e
     * @internal
     */
    public static function fromCore(array $e): self
    {
        return new self(
            (string) ($e['field'] ?? ''),
            (string) ($e['message'] ?? ''),
            isset($e['line']) ? (int) $e['line'] : null,
            isset($e['column']) ? (int) $e['column'] : null,
        );
    }

    public function __toString(): string
    {
        return "{$this->field}: {$this->message}";
    }
}
