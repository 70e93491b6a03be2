<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** An argument the native library refused (not valid UTF-8, say): the message names it. */
final class ArgumentException extends DgaException
{
    protected const KIND = 'invalid_argument';
}
