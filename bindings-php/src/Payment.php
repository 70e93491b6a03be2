<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * A created payment: send checkoutFormHtml() to the citizen's browser; keep reference1 and
 * reference2 for status(), close() and void().
 */
final class Payment extends Record
{
    public readonly string $orderRef;
    public readonly ?string $orderRef1;
    public readonly ?string $orderRef2;
    /** Exact decimal string. */
    public readonly string $amount;
    public readonly string $merchantId;
    public readonly string $currCode;
    public readonly string $lang;
    public readonly string $payType;
    public readonly string $payMethod;
    public readonly string $securityKey;
    /** KTB's payment page, where the checkout form posts. */
    public readonly string $gatewayUrl;
    public readonly string $successUrl;
    public readonly string $failUrl;
    public readonly string $cancelUrl;
    /** The references to use with status(), close() and void(). */
    public readonly string $reference1;
    public readonly string $reference2;
    public readonly ?string $warning;

    protected function init(array $f): void
    {
        $this->orderRef = (string) self::str($f, 'orderRef');
        $this->orderRef1 = self::str($f, 'orderRef1');
        $this->orderRef2 = self::str($f, 'orderRef2');
        $this->amount = (string) self::str($f, 'amount');
        $this->merchantId = (string) self::str($f, 'merchantId');
        $this->currCode = (string) self::str($f, 'currCode');
        $this->lang = (string) self::str($f, 'lang');
        $this->payType = (string) self::str($f, 'payType');
        $this->payMethod = (string) self::str($f, 'payMethod');
        $this->securityKey = (string) self::str($f, 'securityKey');
        $this->gatewayUrl = (string) self::str($f, 'gatewayUrl');
        $this->successUrl = (string) self::str($f, 'successUrl');
        $this->failUrl = (string) self::str($f, 'failUrl');
        $this->cancelUrl = (string) self::str($f, 'cancelUrl');
        $this->reference1 = (string) self::str($f, 'reference1');
        $this->reference2 = (string) self::str($f, 'reference2');
        $this->warning = self::str($f, 'warning');
    }

    /**
     * The HTML page that sends the citizen's browser to KTB's payment page: a form with the
     * payment's fields (every value escaped), submitted by script at once.
     */
    public function checkoutFormHtml(): string
    {
        $ffi = Native::ffi();
        [$out, $err] = Native::outs();
        $status = $ffi->dga_checkout_form_html($this->toJson(), Native::addr($out), Native::addr($err));
        $html = Native::take($out);
        Native::check($status, $err);
        return (string) $html;
    }
}
