<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** A field where a callback and DGA's own status disagree. */
final class Mismatch
{
    public function __construct(
        /** The guide's field name (a PaymentStatus property's), or "ref1/ref2". */
        public readonly string $field,
        /** The value the callback claimed. */
        public readonly string $callback,
        /** The value DGA's status gave. */
        public readonly string $dga,
    ) {
    }

    /**
     * From the core's JSON of one (values that are not text as their JSON).
     *
     * @param array<string, mixed> $m
     * @internal
     */
    public static function fromCore(array $m): self
    {
        $str = static fn (mixed $v): string => is_scalar($v) ? (string) $v : (string) json_encode($v);
        return new self((string) ($m['field'] ?? ''), $str($m['callback'] ?? ''), $str($m['dga'] ?? ''));
    }
}
