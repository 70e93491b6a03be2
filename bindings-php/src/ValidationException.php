<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** Bad input caught before any network call; $errors names every bad field at once. */
final class ValidationException extends DgaException
{
    protected const KIND = 'validation';

    /** @var list<FieldError> every bad field, by the guide's name */
    public readonly array $errors;

    /**
     * @param array<string, mixed>|list<FieldError> $detail the core's error JSON, or the field errors
     */
    public function __construct(string $message, int|array $kindNumber = 1, array $detail = [])
    {
        if (is_array($kindNumber)) { // raised by the binding itself: (message, [FieldError, ...])
            $this->errors = $kindNumber;
            parent::__construct($message, 1, ["kind" => self::KIND]);
            return;
        }
        parent::__construct($message, $kindNumber, $detail);
        $this->errors = self::fieldErrors($detail);
    }

    /** @return list<string> the bad fields' names */
    public function fields(): array
    {
        return array_map(static fn (FieldError $e): string => $e->field, $this->errors);
    }
}
