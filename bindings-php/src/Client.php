<?php

declare(strict_types=1);

namespace Dga\EPayment;

use FFI\CData;

/**
 * The DGA e-Payment client: one per configuration. It keeps one connection pool and one token
 * cache (inside the native library) for as long as it lives, so build it once per process
 * (PHP-FPM worker) and reuse it. Calls block until DGA answers, or the timeout and the retry
 * policy run out.
 */
final class Client
{
    private ?CData $handle = null;

    /**
     * @param array<string, mixed> $options the C ABI's JSON config keys, camelCase, durations
     *   in ms: the core's ClientOptions record (Schema::get(); the README's API table lists them).
     *   An unknown key or a bad value is a ValidationException naming it. No network call is made.
     */
    public function __construct(#[\SensitiveParameter] array $options)
    {
        $this->handle = self::open(Json::object($options, 'options'), false);
    }

    /**
     * A client configured from the environment (DGA_CONSUMER_KEY, DGA_CONSUMER_SECRET,
     * DGA_AGENT_ID, DGA_ENVIRONMENT, DGA_GATEWAY_URL, DGA_SOURCE, DGA_PROXY, DGA_CA_FILE), with
     * $overrides (the constructor's keys) applied over it.
     *
     * @param array<string, mixed> $overrides
     */
    public static function fromEnv(#[\SensitiveParameter] array $overrides = []): self
    {
        $client = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $client->handle = self::open($overrides === [] ? null : Json::object($overrides, 'options'), true);
        return $client;
    }

    /**
     * The process's one client for these options (dga_client_shared): every request of a
     * PHP-FPM worker that asks with the same options (compared after parsing) shares one token
     * and one connection pool, so only the worker's first request fetches a token. Dropping the
     * object releases only this request's handle; the client stays for the worker's life. A
     * forked child never gets its parent's. What the README recommends under PHP-FPM.
     *
     * @param array<string, mixed> $options as for the constructor
     */
    public static function shared(#[\SensitiveParameter] array $options): self
    {
        $client = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $client->handle = self::open(Json::object($options, 'options'), false, true);
        return $client;
    }

    private static function open(#[\SensitiveParameter] ?string $json, bool $fromEnv, bool $shared = false): CData
    {
        $ffi = Native::ffi();
        [, $err] = Native::outs();
        $h = match (true) {
            $shared => $ffi->dga_client_shared($json, Native::addr($err)),
            $fromEnv => $ffi->dga_client_new_from_env($json, Native::addr($err)),
            default => $ffi->dga_client_new($json, Native::addr($err)),
        };
        if ($h === null || Native::isNull($h)) {
            throw Native::error(-1, $err);
        }
        if (!Native::isNull($err)) {
            $ffi->dga_error_free($err);
        }
        return $h;
    }

    public function __destruct()
    {
        if ($this->handle !== null) {
            Native::ffi()->dga_client_free($this->handle);
            $this->handle = null;
        }
    }

    /** The native library's version (dga_version). */
    public static function version(): string
    {
        return (string) Native::ffi()->dga_version();
    }

    /**
     * Creates a payment transaction.
     *
     * @param array<string, mixed> $request the guide's camelCase fields: the core's CreatePayment
     *   record (Schema::get(); the README's quick start shows them). An enum field takes the
     *   case (PaymentType::FastPay) or its name; amount a decimal string such as "1000.50", an
     *   int, or a float that is exactly an amount with at most 2 decimals; data an associative
     *   array. Every bad field is named in one ValidationException before any network call.
     * @throws OutcomeUnknownException when the request may have reached DGA but no answer came
     *   back: call status() with its references before anything else.
     */
    public function createPayment(array $request): Payment
    {
        $json = Json::object($request, 'request');
        [$out, $err] = Native::outs();
        $status = Native::ffi()->dga_create_payment($this->handle(), $json, Native::addr($out), Native::addr($err));
        $result = Native::take($out);
        Native::check($status, $err);
        return new Payment((string) $result);
    }

    /** Reads a transaction's state from DGA (retried on transient failures). */
    public function status(string $reference1, string $reference2 = ''): PaymentStatus
    {
        $a = Native::text($reference1, 'reference1');
        $b = Native::text($reference2, 'reference2');
        [$out, $err] = Native::outs();
        $status = Native::ffi()->dga_status($this->handle(), $a, $b, Native::addr($out), Native::addr($err));
        $result = Native::take($out);
        Native::check($status, $err);
        return new PaymentStatus((string) $result);
    }

    /** Closes an unpaid transaction so it can no longer be paid (a paid one: ApiException, PaidPaymentCannotBeClosed). */
    public function close(string $reference1, string $reference2 = ''): Confirmation
    {
        $a = Native::text($reference1, 'reference1');
        $b = Native::text($reference2, 'reference2');
        [$out, $err] = Native::outs();
        $status = Native::ffi()->dga_close($this->handle(), $a, $b, Native::addr($out), Native::addr($err));
        $result = Native::take($out);
        Native::check($status, $err);
        return new Confirmation((string) $result);
    }

    /**
     * Voids a paid FastPay transaction; $paymentReference is its PaymentStatus::$refId (from
     * status() or the callback).
     *
     * @throws OutcomeUnknownException when the void may have happened: check status().
     */
    public function void(string $reference1, string $reference2, string $paymentReference): Confirmation
    {
        $a = Native::text($reference1, 'reference1');
        $b = Native::text($reference2, 'reference2');
        $c = Native::text($paymentReference, 'paymentReference');
        [$out, $err] = Native::outs();
        $status = Native::ffi()->dga_void($this->handle(), $a, $b, $c, Native::addr($out), Native::addr($err));
        $result = Native::take($out);
        Native::check($status, $err);
        return new Confirmation((string) $result);
    }

    /**
     * Confirms a callback with DGA: re-reads the status for its references and decides by the
     * callback contract (DGA's status is the truth). Returns DGA's own status; act on that,
     * never on the callback alone. Not confirmed: VerificationException.
     *
     * @param PaymentStatus|string $callback what Callback::parse() gave, or the raw body
     */
    public function verifyCallback(PaymentStatus|string $callback): PaymentStatus
    {
        $parsed = is_string($callback) ? Callback::parse($callback) : $callback;
        [$out, $err] = Native::outs();
        $status = Native::ffi()->dga_verify_callback($this->handle(), $parsed->toJson(), Native::addr($out), Native::addr($err));
        $result = Native::take($out);
        Native::check($status, $err);
        return new PaymentStatus((string) $result);
    }

    /**
     * The whole callback endpoint, for any framework: give it the raw request body as received.
     * The core parses it and confirms it with DGA's status; when it is accepted, $onStatus is
     * called with DGA's own status (record the payment there, idempotently: DGA may deliver
     * again; throw to refuse). Returns the HTTP answer to send back, decided by the core (200
     * accepted; 400 invalid; 404 unknown payment; 409 not confirmed yet or a different status;
     * 503 DGA could not be asked; 500 $onStatus threw). It does not throw for any of these.
     *
     * @param callable(PaymentStatus): mixed $onStatus
     */
    public function handleCallback(string $body, callable $onStatus): CallbackReply
    {
        $ffi = Native::ffi();
        [$out, $err] = Native::outs();
        $http = Native::int32();
        $rc = $ffi->dga_receive_callback(
            $this->handle(),
            Native::bytes($body),
            strlen($body),
            true,
            Native::addr($out),
            Native::addr($err),
        );
        $json = Native::take($out);
        if ($rc !== 0) {
            // The reply for the core's error (NULL error: the handler-failed answer).
            try {
                $error = Native::describeOrNull($rc, $err);
                $reply = Native::take($ffi->dga_callback_reply_for_error(Native::isNull($err) ? null : $err, Native::addr($http)));
            } finally {
                if (!Native::isNull($err)) {
                    $ffi->dga_error_free($err);
                }
            }
            return new CallbackReply($http->cdata, self::body($reply), false, null, $error);
        }
        if (!Native::isNull($err)) {
            $ffi->dga_error_free($err);
        }
        $verified = new PaymentStatus((string) $json);
        try {
            $onStatus($verified);
        } catch (\Throwable $e) {
            $reply = Native::take($ffi->dga_callback_reply_handler_failed(Native::addr($http)));
            return new CallbackReply($http->cdata, self::body($reply), false, $verified, $e);
        }
        $reply = Native::take($ffi->dga_callback_reply_accepted(null, Native::addr($http)));
        return new CallbackReply($http->cdata, self::body($reply), true, $verified, null);
    }

    private static function body(?string $reply): string
    {
        if ($reply === null) {
            throw new InternalException('the native library gave no callback reply', 11);
        }
        return $reply;
    }

    private function handle(): CData
    {
        if ($this->handle === null) {
            throw new \LogicException('this Client was not constructed');
        }
        return $this->handle;
    }

    /** @return array<string, string> nothing of the configuration (it holds the secret) */
    public function __debugInfo(): array
    {
        return ['version' => self::version()];
    }

    public function __serialize(): array
    {
        throw new \LogicException('a Client cannot be serialized (it owns a native connection pool); build one per process');
    }

    /** Not clonable: two objects would free one native client. Share the one instance. */
    private function __clone()
    {
    }
}
