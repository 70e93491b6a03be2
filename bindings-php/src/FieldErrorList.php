<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** What the exceptions listing FieldErrors (ValidationException, CallbackException) add. */
trait FieldErrorList
{
    /** @return list<string> the bad fields' names */
    public function fields(): array
    {
        return array_map(static fn (FieldError $e): string => $e->field, $this->errors);
    }
}
