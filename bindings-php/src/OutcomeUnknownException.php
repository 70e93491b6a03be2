<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** A create or void may have taken effect at DGA, but no answer came back: call status($reference1, $reference2) before anything else. Never a plain failure. */
final class OutcomeUnknownException extends DgaException
{
    protected const KIND = 'outcome_unknown';

    public readonly string $reference1;
    public readonly string $reference2;

    public function __construct(string $message, int $kindNumber = 6, array $detail = [])
    {
        parent::__construct($message, $kindNumber, $detail);
        $this->reference1 = (string) ($detail["reference1"] ?? "");
        $this->reference2 = (string) ($detail["reference2"] ?? "");
    }
}
