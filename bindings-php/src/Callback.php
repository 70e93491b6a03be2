<?php

declare(strict_types=1);

namespace Dga\EPayment;


/** Parsing and acknowledging DGA's callbacks (no client needed). */
final class Callback
{
    /**
     * Parses a callback body exactly as received (php://input). Every missing or invalid field
     * is reported at once in a CallbackException. The result is not yet trusted (callbacks are
     * unsigned): confirm it with Client::verifyCallback(), or use Client::handleCallback().
     */
    public static function parse(string $body): PaymentStatus
    {
        [$out, $err] = Native::outs();
        $status = Native::ffi()->dga_parse_callback(Native::bytes($body), strlen($body), Native::addr($out), Native::addr($err));
        $json = Native::take($out);
        Native::check($status, $err);
        return new PaymentStatus((string) $json);
    }

    /**
     * The request body (php://input), at most $limit bytes of it: null when it is longer
     * (answer CallbackReply::tooLarge($limit) then). DGA's callbacks are a few hundred bytes.
     */
    public static function readInput(int $limit = 65536, string $stream = 'php://input'): ?string
    {
        $in = fopen($stream, 'rb');
        if ($in === false) {
            return '';
        }
        try {
            $body = stream_get_contents($in, $limit + 1);
        } finally {
            fclose($in);
        }
        return $body === false ? '' : (strlen($body) > $limit ? null : $body);
    }

    /**
     * The JSON DGA expects in answer to a callback: {"requestTimeStamp", "message", "result"}.
     * Answer false when the callback could not be taken, so that DGA delivers it again.
     */
    public static function ack(bool $accepted, string $message = 'Success'): string
    {
        $reply = Native::take(Native::ffi()->dga_callback_ack($accepted, Native::text($message, 'message')));
        if ($reply === null) {
            throw new ValidationException('message: is not valid UTF-8 text', [new FieldError('message', 'is not valid UTF-8 text')]);
        }
        return $reply;
    }
}
