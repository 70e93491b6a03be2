<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** PaymentTypeEnum. KTB takes FastPay (card) and QRPayment. */
enum PaymentType: int
{
    use TableEnum;

    /** @internal the core table these cases mirror */
    public const TABLE = 'PaymentType';

    case BillPayment = 1;
    case DirectLink = 2;
    case FastPay = 3;
    case PageToPage = 4;
    case QRPayment = 5;
    case AppToApp = 6;
}
