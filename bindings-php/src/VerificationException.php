<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** A callback was not confirmed by DGA's own status (unknown payment, still Pending at DGA, or a different final status). */
final class VerificationException extends DgaException
{
    protected const KIND = 'verification';

    /** Why: "unknown_payment", "pending_at_dga" or "status_differs" (the core's codes). */
    public readonly ?string $reason;

    /** @var list<Mismatch> */
    public readonly array $mismatches;

    public function __construct(string $message, int $kindNumber = 9, array $detail = [])
    {
        parent::__construct($message, $kindNumber, $detail);
        $this->reason = is_string($detail["reason"] ?? null) ? $detail["reason"] : null;
        $list = [];
        foreach (is_array($detail["mismatches"] ?? null) ? $detail["mismatches"] : [] as $m) {
            if (is_array($m)) {
                $list[] = new Mismatch((string) ($m["field"] ?? ""), self::str($m["callback"] ?? ""), self::str($m["dga"] ?? ""));
            }
        }
        $this->mismatches = $list;
    }

    private static function str(mixed $v): string
    {
        return is_scalar($v) ? (string) $v : (string) json_encode($v);
    }
}
