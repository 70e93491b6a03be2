<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** DGA's answer to close() and void(); its properties are the schema's Confirmation fields. */
final class Confirmation extends Record
{
    use Generated\ConfirmationFields;
}
