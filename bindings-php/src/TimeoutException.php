<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** A call took longer than the configured timeout (after the retries the policy allows). */
final class TimeoutException extends DgaException
{
    protected const KIND = 'timeout';
}
