<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** A bug inside the SDK (the native library caught a panic, or answered nothing). */
final class InternalException extends DgaException
{
    protected const KIND = 'internal';
}
