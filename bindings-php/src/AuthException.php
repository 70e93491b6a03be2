<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** No token: the credentials were rejected, or the token endpoint kept failing after the retries. */
final class AuthException extends DgaException
{
    protected const KIND = 'auth';
}
