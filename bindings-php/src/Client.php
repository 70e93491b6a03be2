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
        Log::drain();
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
     * 503 DGA could not be asked, or over the verificationRate budget; 500 $onStatus threw). It
     * does not throw for any of these.
     *
     * $knownReference, when given, answers from your own orders whether you created the
     * callback's references, before anything is asked of DGA: true goes on; false is the core's
     * refusal (404 unknown payment, counted in verificationStats()['refusedUnknown']) with no
     * DGA call and $onStatus not called, so forged deliveries cost DGA nothing. It must return a
     * bool; if it throws (your database is down) or returns anything else, the answer is 503 and
     * DGA delivers again, with what it threw (or an \UnexpectedValueException) as the reply's
     * error.
     *
     * @param callable(PaymentStatus): mixed $onStatus
     * @param (callable(string, string): bool)|null $knownReference ($reference1, $reference2)
     */
    public function handleCallback(string $body, callable $onStatus, ?callable $knownReference = null): CallbackReply
    {
        try {
            return $this->receive($body, $onStatus, $knownReference);
        } finally {
            Log::drain();
        }
    }

    private function receive(string $body, callable $onStatus, ?callable $knownReference): CallbackReply
    {
        $ffi = Native::ffi();
        if ($knownReference !== null) {
            $refused = $this->checkReference($body, $knownReference);
            if ($refused !== null) {
                return $refused;
            }
        }
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
            return self::refusal($rc, $err);
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

    /**
     * Asks $knownReference about the body's references: null when it said true; otherwise the
     * reply (400 unreadable references, 404 not ours, 503 the check failed).
     */
    private function checkReference(string $body, callable $knownReference): ?CallbackReply
    {
        $ffi = Native::ffi();
        // Out-parameters come from Native: under ffi.enable=preload only preloaded code may
        // make C values.
        [$r1, $err] = Native::outs();
        [$r2] = Native::outs();
        $rc = $ffi->dga_callback_references(Native::bytes($body), strlen($body), Native::addr($r1), Native::addr($r2), Native::addr($err));
        $reference1 = Native::take($r1);
        $reference2 = Native::take($r2);
        if ($rc !== 0) {
            return self::refusal($rc, $err);
        }
        try {
            $known = $knownReference((string) $reference1, (string) $reference2);
            if (!is_bool($known)) {
                throw new \UnexpectedValueException('knownReference must return a bool, it returned ' . get_debug_type($known));
            }
        } catch (\Throwable $e) {
            $http = Native::int32();
            $reply = Native::take($ffi->dga_callback_reply_unavailable(Native::addr($http)));
            return new CallbackReply($http->cdata, self::body($reply), false, null, $e);
        }
        if ($known) {
            return null;
        }
        [, $err] = Native::outs();
        $rc = $ffi->dga_refuse_unknown_reference($this->handle(), Native::text((string) $reference1, 'reference1'), Native::text((string) $reference2, 'reference2'), Native::addr($err));
        return self::refusal($rc, $err);
    }

    /** The core's reply for a failed callback call's error, which it frees. */
    private static function refusal(int $rc, CData $err): CallbackReply
    {
        $ffi = Native::ffi();
        $http = Native::int32();
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

    /**
     * What callback verification has cost DGA and what it refused since this client was built
     * in this process (every counter only grows): ['statusCalls' => status requests sent to DGA
     * to verify callbacks (retries included, token fetches not), 'reused' => deliveries
     * answered from another delivery's status call, 'refusedUnknown' => refused by
     * $knownReference, 'refusedBusy' => refused 503 over the verificationRate budget or too
     * many at once]. Alert on a rise of the last two: a flood. Per client, so under PHP-FPM
     * read it from Client::shared().
     *
     * @return array{statusCalls: int, reused: int, refusedUnknown: int, refusedBusy: int}
     */
    public function verificationStats(): array
    {
        $json = Native::take(Native::ffi()->dga_verification_stats_json($this->handle()));
        $stats = $json === null ? null : json_decode($json, true);
        if (!is_array($stats)) {
            throw new InternalException('the native library gave no verification stats', 11);
        }
        return [
            'statusCalls' => (int) $stats['statusCalls'],
            'reused' => (int) $stats['reused'],
            'refusedUnknown' => (int) $stats['refusedUnknown'],
            'refusedBusy' => (int) $stats['refusedBusy'],
        ];
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
