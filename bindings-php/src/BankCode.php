<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** BankCodeEnum: the bank of a create request (KTB for this gateway). */
enum BankCode: int
{
    use TableEnum;

    /** @internal the core table these cases mirror */
    public const TABLE = 'BankCode';

    case CGD = 1;
    case KTB = 2;
}
