<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** A callback body is invalid: $errors names each bad field, or the JSON line and column ("body"). */
final class CallbackException extends DgaException
{
    protected const KIND = 'callback';

    /** @var list<FieldError> every problem, by the guide's field name ("body" for the body as a whole) */
    public readonly array $errors;

    public function __construct(string $message, int $kindNumber = 8, array $detail = [])
    {
        parent::__construct($message, $kindNumber, $detail);
        $this->errors = self::fieldErrors($detail);
    }

    /** @return list<string> the bad fields' names */
    public function fields(): array
    {
        return array_map(static fn (FieldError $e): string => $e->field, $this->errors);
    }
}
