<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** ResponseStatusEnum: the envelope's status (a Confirmation's status). */
enum ResponseStatus: int
{
    use TableEnum;

    /** @internal the core table these cases mirror */
    public const TABLE = 'ResponseStatus';

    case Success = 0;
    case SuccessWithError = 1;
    case Warning = 2;
    case Error = 3;
}
