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
    private CData|false|null $handle = null; // false: freed by __destruct()

    /**
     * @param array<string, mixed> $options the C ABI's JSON config keys, camelCase, durations
     *   in ms: the core's ClientOptions record (Schema::get(); the README's API table lists them).
     *   An unknown key or a bad value is a ValidationException naming it. No network call is made.
     */
    public function __construct(#[\SensitiveParameter] array $options)
    {
        $this->handle = self::open('dga_client_new', Json::object($options, 'options'));
    }

    /**
     * A client configured from the environment (DGA_CONSUMER_KEY, DGA_CONSUMER_SECRET,
     * DGA_AGENT_ID, DGA_ENVIRONMENT, DGA_GATEWAY_URL, DGA_SOURCE, DGA_PROXY, DGA_CA_FILE), with
     * $overrides (the constructor's keys) applied over it. The environment is what PHP sees:
     * the process's, and under FastCGI nginx's fastcgi_param, Apache's SetEnv and PHP-FPM's
     * env[...] (which the process environment does not hold), and $_ENV.
     *
     * @param array<string, mixed> $overrides
     */
    public static function fromEnv(#[\SensitiveParameter] array $overrides = []): self
    {
        return self::fromVars($overrides, false);
    }

    /**
     * As fromEnv(), the process's one client for these settings (as shared()): what a PHP-FPM
     * callback endpoint configured by its environment uses.
     *
     * @param array<string, mixed> $overrides
     */
    public static function sharedFromEnv(#[\SensitiveParameter] array $overrides = []): self
    {
        return self::fromVars($overrides, true);
    }

    /** @param array<string, mixed> $overrides */
    private static function fromVars(#[\SensitiveParameter] array $overrides, bool $shared): self
    {
        // Every DGA_ variable PHP sees (the core knows which it reads), each as getenv(name)
        // reads it: what the server passed (FastCGI params, Apache's SetEnv) before the process
        // environment; then $_ENV (Dotenv). The names are found in all three.
        $vars = [];
        foreach ([getenv(), $_SERVER, $_ENV] as $source) {
            foreach ($source as $name => $_) {
                if (is_string($name) && str_starts_with($name, 'DGA_') && !isset($vars[$name])) {
                    $value = getenv($name);
                    $value = $value !== false ? $value : ($_ENV[$name] ?? null);
                    if (is_string($value)) {
                        $vars[$name] = $value;
                    }
                }
            }
        }
        $client = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $client->handle = self::open('dga_client_new_from_vars', Json::object($vars, 'vars'),
            $overrides === [] ? null : Json::object($overrides, 'options'), $shared);
        return $client;
    }

    /**
     * The process's one client for these options (compared after parsing), kept for the PHP-FPM
     * worker's life: its requests share one token and connection pool. A forked child gets its
     * own. What the README recommends under PHP-FPM.
     *
     * @param array<string, mixed> $options as for the constructor
     */
    public static function shared(#[\SensitiveParameter] array $options): self
    {
        $client = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $client->handle = self::open('dga_client_shared', Json::object($options, 'options'));
        return $client;
    }

    private static function open(string $function, #[\SensitiveParameter] mixed ...$args): CData
    {
        [, $err] = Native::outs();
        $h = Native::ffi()->$function(...[...$args, Native::addr($err)]);
        Log::drain();
        if ($h === null || Native::isNull($h)) {
            throw Native::error(-1, $err);
        }
        return $h;
    }

    public function __destruct()
    {
        if ($this->handle instanceof CData) {
            Native::ffi()->dga_client_free($this->handle);
        }
        $this->handle = false;
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
        return new Payment($this->call('dga_create_payment', Json::object($request, 'request')));
    }

    /** Reads a transaction's state from DGA (retried on transient failures). */
    public function status(string $reference1, string $reference2 = ''): PaymentStatus
    {
        return new PaymentStatus($this->call('dga_status', ...self::refs($reference1, $reference2)));
    }

    /** Closes an unpaid transaction so it can no longer be paid (a paid one: ApiException, PaidPaymentCannotBeClosed). */
    public function close(string $reference1, string $reference2 = ''): Confirmation
    {
        return new Confirmation($this->call('dga_close', ...self::refs($reference1, $reference2)));
    }

    /**
     * Voids a paid FastPay transaction; $paymentReference is its PaymentStatus::$refId (from
     * status() or the callback).
     *
     * @throws OutcomeUnknownException when the void may have happened: check status().
     */
    public function void(string $reference1, string $reference2, string $paymentReference): Confirmation
    {
        $refs = [...self::refs($reference1, $reference2), Native::text($paymentReference, 'paymentReference')];
        return new Confirmation($this->call('dga_void', ...$refs));
    }

    /**
     * Confirms a callback with DGA: re-reads the status for its references and decides by the
     * callback contract (DGA's status is the truth). Returns DGA's own status; act on that,
     * never on the callback alone. Not confirmed: VerificationException.
     *
     * @param PaymentStatus|string $callback what Callback::parse() gave, or the raw body, read
     *   as handleCallback() reads it: only its references must read (else CallbackException),
     *   DGA's status decides the rest
     */
    public function verifyCallback(PaymentStatus|string $callback): PaymentStatus
    {
        return new PaymentStatus(is_string($callback)
            ? $this->call('dga_receive_callback', Native::bytes($callback), strlen($callback), true)
            : $this->call('dga_verify_callback', $callback->toJson()));
    }

    /** Calls `$function(client, ...$args, &out_json, &out_err)`: its JSON, or its error thrown. */
    private function call(string $function, mixed ...$args): string
    {
        [$out, $err] = Native::outs();
        $status = Native::ffi()->$function($this->handle(), ...$args, ...[Native::addr($out), Native::addr($err)]);
        $result = Native::take($out);
        Native::check($status, $err);
        return (string) $result;
    }

    /** @return array{string, string} */
    private static function refs(string $reference1, string $reference2): array
    {
        return [Native::text($reference1, 'reference1'), Native::text($reference2, 'reference2')];
    }

    /**
     * The whole callback endpoint, for any framework: give it the raw request body as received.
     * The core parses it and confirms it with DGA's status; once accepted, $onStatus gets DGA's
     * own status (record the payment there, idempotently: DGA may deliver again; throw to
     * refuse). Returns the core's HTTP answer (CallbackReply::$httpStatus), never throwing.
     *
     * $knownReference, when given, says from your own orders whether you created the callback's
     * references, before DGA is asked: false is a 404 with no DGA call (forged deliveries cost
     * DGA nothing); a throw or a non-bool is a 503 (DGA delivers again) with it as the error.
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
        if ($knownReference !== null) {
            $refused = $this->checkReference($body, $knownReference);
            if ($refused !== null) {
                return $refused;
            }
        }
        [$out, $err] = Native::outs();
        $rc = Native::ffi()->dga_receive_callback(
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
        $verified = new PaymentStatus((string) $json);
        try {
            $onStatus($verified);
        } catch (\Throwable $e) {
            return CallbackReply::fromNative('dga_callback_reply_handler_failed', [], false, $verified, $e);
        }
        return CallbackReply::fromNative('dga_callback_reply_accepted', [null], true, $verified, null);
    }

    /** Asks $knownReference: null when it said true, else the reply (400, 404 or 503). */
    private function checkReference(string $body, callable $knownReference): ?CallbackReply
    {
        $ffi = Native::ffi();
        // From Native: under ffi.enable=preload only preloaded code may make C values.
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
            return CallbackReply::fromNative('dga_callback_reply_unavailable', [], false, null, $e);
        }
        if ($known) {
            return null;
        }
        [, $err] = Native::outs();
        $rc = $ffi->dga_refuse_unknown_reference($this->handle(), Native::text((string) $reference1, 'reference1'), Native::text((string) $reference2, 'reference2'), Native::addr($err));
        return self::refusal($rc, $err);
    }

    /** The core's reply for a failed callback call's error (NULL: the handler-failed answer), which it frees. */
    private static function refusal(int $rc, CData $err): CallbackReply
    {
        try {
            $error = Native::describeOrNull($rc, $err);
            return CallbackReply::fromNative('dga_callback_reply_for_error', [Native::isNull($err) ? null : $err], false, null, $error);
        } finally {
            if (!Native::isNull($err)) {
                Native::ffi()->dga_error_free($err);
            }
        }
    }

    /**
     * This client's callback verification counters, which only grow: status requests sent to
     * DGA (retries included), deliveries answered from another's status call, refused by
     * $knownReference, refused 503 over verificationRate. A rise of the last two is a flood.
     * Under PHP-FPM read it from Client::shared().
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
        // The core's counters (its VerificationStats record), keys and order as it gives them.
        return array_map('intval', $stats);
    }

    private function handle(): CData
    {
        if (!$this->handle instanceof CData) {
            throw new \LogicException($this->handle === false ? 'this Client was destroyed (its __destruct() was called): build a new one' : 'this Client was not constructed');
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
