<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * The HTTP answer to one callback delivery, as the core decides it (the same in every
 * language): send httpStatus, contentType and body back to DGA as they are. DGA delivers the
 * callback again until it gets `result: true` (accepted).
 */
final class CallbackReply
{
    /** @internal */
    public function __construct(
        /** 200 accepted; 400 invalid callback; 404 unknown payment; 409 not confirmed (yet); 413 too large; 500 your handler threw; 503 DGA could not be asked, over the verification budget, or your knownReference failed. */
        public readonly int $httpStatus,
        /** The acknowledgement JSON: {"requestTimeStamp", "message", "result"}. */
        public readonly string $body,
        /** Whether the callback was taken (the ack's result). */
        public readonly bool $accepted,
        /** DGA's verified status that your handler got; null when it never ran. */
        public readonly ?PaymentStatus $status = null,
        /**
         * Why it was not accepted: a DgaException (invalid, not confirmed, DGA unreachable) or
         * what your handler or your knownReference threw. Log it; it is never sent to DGA.
         */
        public readonly ?\Throwable $error = null,
    ) {
        $this->contentType = (string) Native::ffi()->dga_callback_reply_content_type();
    }

    /** The Content-Type to answer with ("application/json; charset=utf-8", the core's). */
    public readonly string $contentType;

    /**
     * The core's answer to a callback body longer than $limit bytes, which the endpoint did not
     * take (Callback::readInput() gave null): 413 with `result: false`. DGA's callbacks are a
     * few hundred bytes; the cap keeps a hostile request from filling the server's memory.
     */
    public static function tooLarge(int $limit): self
    {
        if ($limit < 0) {
            throw new \InvalidArgumentException('limit must be >= 0');
        }
        $error = new \LengthException("the callback body is larger than $limit bytes; not taken");
        return self::fromNative('dga_callback_reply_too_large', [$limit], false, null, $error);
    }

    /**
     * The reply `$function(...$args, &http_status)` of the C ABI makes.
     *
     * @param list<mixed> $args
     * @internal
     */
    public static function fromNative(string $function, array $args, bool $accepted, ?PaymentStatus $status, ?\Throwable $error): self
    {
        $http = Native::int32();
        $body = Native::take(Native::ffi()->$function(...$args, ...[Native::addr($http)]));
        if ($body === null) {
            throw new InternalException('the native library gave no callback reply', 11);
        }
        return new self($http->cdata, $body, $accepted, $status, $error);
    }

    /** Writes this answer as the current PHP response (status line, Content-Type, body). */
    public function send(): void
    {
        http_response_code($this->httpStatus);
        header('Content-Type: ' . $this->contentType);
        echo $this->body;
    }
}
