<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** The connection to DGA failed (after the retries the policy allows). */
final class NetworkException extends DgaException
{
    protected const KIND = 'network';
}
