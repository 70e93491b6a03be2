<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * A created payment: send checkoutFormHtml() to the citizen's browser; keep reference1 and
 * reference2 for status(), close() and void(). Its properties are the schema's Payment fields.
 */
final class Payment extends Record
{
    use Generated\PaymentFields;

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
