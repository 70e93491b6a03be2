<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** DGA answered something unreadable (not JSON, no envelope, too large). */
final class ProtocolException extends DgaException
{
    protected const KIND = 'protocol';
}
