<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\ApiException;
use Dga\EPayment\AuthException;
use Dga\EPayment\Callback;
use Dga\EPayment\CallbackException;
use Dga\EPayment\CitizenId;
use Dga\EPayment\Client;
use Dga\EPayment\DgaException;
use Dga\EPayment\ErrorCode;
use Dga\EPayment\OutcomeUnknownException;
use Dga\EPayment\PaidStatus;
use Dga\EPayment\PaymentStatus;
use Dga\EPayment\PaymentType;
use Dga\EPayment\ProtocolException;
use Dga\EPayment\ValidationException;
use PHPUnit\Framework\TestCase;

/**
 * tests/vectors/*.json through the PHP API: the same results as every other language
 * (tests/vectors/README.md). Bodies go to the SDK as the raw bytes the files give.
 */
final class VectorsTest extends TestCase
{
    /** Fewer cases than this means a truncated file. */
    private const MINIMUM = ['callbacks.json' => 90, 'responses.json' => 30, 'create_requests.json' => 40, 'amounts.json' => 40, 'citizen_ids.json' => 15, 'errors.json' => 2];

    /** @return list<array<string, mixed>> */
    private static function cases(string $file): array
    {
        $dir = getenv('DGA_VECTORS') ?: dirname(__DIR__, 2) . '/tests/vectors';
        $doc = json_decode((string) file_get_contents("$dir/$file"), true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        $cases = $doc['cases'];
        if (count($cases) < self::MINIMUM[$file]) {
            throw new \RuntimeException("$file looks truncated: " . count($cases) . ' cases');
        }
        return $cases;
    }

    /** @return array<string, array{array<string, mixed>}> */
    private static function keyed(string $file, string $key, ?callable $filter = null): array
    {
        $out = [];
        foreach (self::cases($file) as $c) {
            if ($filter === null || $filter($c)) {
                $out["$file: " . (is_string($c[$key]) ? $c[$key] : json_encode($c[$key]))] = [$c];
            }
        }
        return $out;
    }

    public static function callbackCases(): array
    {
        return self::keyed('callbacks.json', 'name');
    }

    /** @dataProvider callbackCases */
    public function testCallback(array $c): void
    {
        $body = array_key_exists('body', $c) ? $c['body'] : base64_decode($c['bodyBase64'], true);
        $expect = $c['expect'];
        if ($expect['ok']) {
            $cb = Callback::parse($body);
            $this->assertSame(self::canonical($expect['callback']), self::canonical($cb->toArray()), 'normalized JSON');
            self::assertTyped($expect['callback'], $cb);
            return;
        }
        $this->assertSame('callback', $expect['errorKind']);
        try {
            Callback::parse($body);
            $this->fail('expected a CallbackException');
        } catch (CallbackException $e) {
            $this->assertEqualsCanonicalizing($expect['fields'], $e->fields(), $e->getMessage());
            if (isset($expect['line'])) {
                $at = array_map(static fn ($f) => "{$f->field}@{$f->line}:{$f->column}", $e->errors);
                $this->assertContains("body@{$expect['line']}:{$expect['column']}", $at);
            }
        }
    }

    public static function responseCases(): array
    {
        // The C ABI has no token call: a token DGA hands out cannot be observed through it, so
        // the two "token is read" cases do not apply (token failures do, through any call).
        return self::keyed('responses.json', 'name', static fn ($c) => !($c['endpoint'] === 'token' && $c['expect']['ok']));
    }

    /** @dataProvider responseCases */
    public function testResponse(array $c): void
    {
        $sb = Sandbox::shared();
        $client = $sb->client();
        $sb->clearFaults();
        try {
            if ($c['endpoint'] !== 'token') {
                // A token first: the fault only touches the named endpoint.
                try {
                    $client->status('__token_warmup__');
                } catch (ApiException) {
                }
            }
            $sb->fault($c['endpoint'], 'respond', 100, ['httpStatus' => $c['httpStatus'], 'body' => $c['body']]);
            $call = match ($c['endpoint']) {
                'token' => fn () => $client->status('x'),
                'status' => fn () => $client->status($c['reference1'], $c['reference2'] ?? ''),
                'close' => fn () => $client->close($c['reference1'], $c['reference2'] ?? ''),
                'void' => fn () => $client->void($c['reference1'], $c['reference2'] ?? '', $c['paymentReference']),
                'create' => fn () => $client->createPayment(json_decode($c['request'], true, 512, JSON_THROW_ON_ERROR)),
            };
            $expect = $c['expect'];
            if ($expect['ok']) {
                $this->assertSame(self::canonical($expect['result']), self::canonical($call()->toArray()));
                return;
            }
            $kinds = ['api' => ApiException::class, 'protocol' => ProtocolException::class, 'outcome_unknown' => OutcomeUnknownException::class, 'auth' => AuthException::class];
            try {
                $got = $call();
                $this->fail("expected a {$expect['errorKind']} error, got " . $got->toJson());
            } catch (DgaException $e) {
                $this->assertInstanceOf($kinds[$expect['errorKind']], $e, $e->getMessage());
            }
            if (array_key_exists('errorCode', $expect)) {
                $this->assertSame($expect['errorCode'], $e->errorCodeRaw);
                $this->assertSame(is_string($expect['errorCode']) ? ErrorCode::tryFromName($expect['errorCode']) : null, $e->errorCode);
            }
            if (array_key_exists('reference1', $expect)) {
                $this->assertSame($expect['reference1'], $e->reference1);
                $this->assertSame($expect['reference2'], $e->reference2);
            }
        } finally {
            $sb->clearFaults();
        }
    }

    public static function createCases(): array
    {
        return self::keyed('create_requests.json', 'name');
    }

    /**
     * Each request as a PHP caller writes it: the JSON decoded to a PHP array (numbers become
     * int or float, as in a PHP literal) and given to createPayment. Nothing listens at the
     * gateway: a request the core accepts fails at the token call, one it refuses fails
     * validation before any call.
     *
     * @dataProvider createCases
     */
    public function testCreateRequest(array $c): void
    {
        $expect = $c['expect'];
        $request = json_decode($c['request'], true, 512, JSON_BIGINT_AS_STRING);
        if (($expect['errorKind'] ?? null) === 'invalid_json') {
            // Not a request a PHP caller can even build: the JSON text itself is refused.
            $this->assertNull($request);
            $this->assertNotSame(JSON_ERROR_NONE, json_last_error());
            return;
        }
        $this->assertIsArray($request);
        if ($request === [] && trim($c['request']) === '[]') {
            // A JSON array is no request; in PHP [] is also the empty request, which the core
            // then finds missing every field. That is what a PHP caller gets for it.
            $expect = ['ok' => false, 'fields' => ['customerID', 'customerTitleName', 'customerFirstName', 'customerLastName', 'paymentType', 'amount', 'requestReference1', 'source']];
        }
        $client = new Client(Sandbox::shared()->options([
            'gatewayUrl' => 'http://127.0.0.1:' . Sandbox::freePort(),
            'retry' => false,
            'source' => $c['defaultSource'],
        ]));
        try {
            $client->createPayment($request);
            $this->fail('nothing listens there: the call cannot succeed');
        } catch (DgaException $e) {
            if ($expect['ok']) {
                $this->assertNotInstanceOf(ValidationException::class, $e, 'accepted; got ' . $e->getMessage());
                return;
            }
            $this->assertInstanceOf(ValidationException::class, $e, $e->getMessage());
            $this->assertEqualsCanonicalizing($expect['fields'], $e->fields(), $e->getMessage());
        }
    }

    public static function amountCases(): array
    {
        return self::keyed('amounts.json', 'json');
    }

    /**
     * The C ABI has no parse_amount: each amount goes through a callback's amount field, which
     * the core reads with parse_amount, and must come out as the exact decimal string.
     *
     * @dataProvider amountCases
     */
    public function testAmount(array $c): void
    {
        $body = '{"paidStatus": 1, "paidDate": "2024-03-07T15:42:28", "paidChannel": "x", '
            . '"confirmPaidDate": "2024-03-07T15:42:28", "refId": "1", "ref1": "A", "ref2": "", '
            . '"paymentType": 3, "feeAmount": 0, "amount": ' . $c['json'] . '}';
        if ($c['expect'] === null) {
            try {
                Callback::parse($body);
                $this->fail('the amount must be refused');
            } catch (CallbackException $e) {
                $this->assertSame(['amount'], $e->fields());
            }
            return;
        }
        $this->assertSame((string) $c['expect'], Callback::parse($body)->amount);
    }

    public function testCitizenIds(): void
    {
        $wrong = [];
        foreach (self::cases('citizen_ids.json') as $c) {
            if (CitizenId::isValid($c['id']) !== ($c['check'] === 'valid')) {
                $wrong[] = "{$c['id']} ({$c['check']})";
            }
        }
        $this->assertSame([], $wrong, 'every ID as the vectors say');
    }

    /** The typed properties say what the normalized JSON says. */
    private static function assertTyped(array $want, PaymentStatus $st): void
    {
        $enum = static function (mixed $wire, string $class): mixed {
            return is_string($wire) ? ($class::tryFromName($wire) ?? $wire) : $wire;
        };
        self::assertSame($enum($want['paidStatus'], PaidStatus::class), $st->paidStatus, 'paidStatus');
        self::assertSame($enum($want['paymentType'], PaymentType::class), $st->paymentType, 'paymentType');
        self::assertSame($want['amount'], $st->amount, 'amount (exact, scale kept)');
        self::assertSame($want['feeAmount'], $st->feeAmount, 'feeAmount');
        foreach (['paidDate', 'confirmPaidDate', 'voidDate', 'requestRefundDate'] as $k) {
            self::assertSame($want[$k], $st->$k?->format('Y-m-d\TH:i:s'), $k);
            if ($st->$k !== null) {
                self::assertSame('Asia/Bangkok', $st->$k->getTimezone()->getName(), "$k is Bangkok time");
            }
        }
        foreach (['ref1', 'ref2', 'refId', 'description', 'paidChannel', 'cardNo'] as $k) {
            self::assertSame($want[$k], $st->$k, $k);
        }
        self::assertSame($want['warning'] ?? null, $st->warning, 'warning');
    }

    /** Keys sorted at every level, so that key order does not matter and values compare strictly. */
    private static function canonical(mixed $v): mixed
    {
        if (!is_array($v)) {
            return $v;
        }
        if (!array_is_list($v)) {
            ksort($v);
        }
        return array_map([self::class, 'canonical'], $v);
    }

    public static function errorCases(): array
    {
        return self::keyed('errors.json', 'name');
    }

    /**
     * Error kinds from how a call failed (an untrusted certificate, the verification budget),
     * each provoked over real loopback HTTP(S) as the file's description says.
     *
     * @dataProvider errorCases
     */
    public function testError(array $c): void
    {
        [$e, $http] = $this->provoke($c);
        $expect = $c['expect'];
        $message = $e->getMessage();
        $this->assertSame($expect['errorKind'], $e->kind, $message);
        $this->assertSame($expect['transient'], $e->transient, $message);
        if (isset($expect['messageContains'])) {
            $this->assertStringContainsStringIgnoringCase($expect['messageContains'], $message);
        }
        foreach ($expect['messageExcludes'] ?? [] as $part) {
            $this->assertStringNotContainsString($part, $message);
            $this->assertStringNotContainsString($part, (string) $e);
        }
        if (array_key_exists('endpoint', $expect)) {
            $this->assertSame($expect['endpoint'], $e->endpoint, $message);
        }
        if (isset($expect['reason'])) {
            $this->assertInstanceOf(\Dga\EPayment\VerificationException::class, $e);
            $this->assertSame($expect['reason'], $e->reason, $message);
            $this->assertNull($e->endpoint, 'no endpoint DGA was not asked on');
        }
        if (isset($expect['httpStatus'])) {
            $this->assertSame($expect['httpStatus'], $http);
        }
    }

    /** @return array{DgaException, ?int} the error a case's setup leads to, and the callback reply's status */
    private function provoke(array $c): array
    {
        $dir = getenv('DGA_VECTORS') ?: dirname(__DIR__, 2) . '/tests/vectors';
        if ($c['setup'] === 'untrusted-tls') {
            $sb = new Sandbox(['--tls-cert', "$dir/tls/untrusted-cert.pem", '--tls-key', "$dir/tls/untrusted-key.pem"]);
            try {
                $this->assertStringStartsWith('https://', $sb->url);
                $this->assertSame('status', $c['call']);
                try {
                    $sb->client()->status($c['reference1'], $c['reference2']);
                } catch (DgaException $e) {
                    return [$e, null];
                }
                $this->fail("{$c['name']}: the call succeeded");
            } finally {
                $sb->stop();
            }
        }
        $this->assertSame('verification-budget', $c['setup']);
        $sb = new Sandbox();
        try {
            $client = $sb->client($c['clientOptions']);
            for ($i = 0; $i < $c['maxDeliveries']; $i++) {
                $body = json_encode(['ref1' => "FORGED-{$c['name']}-$i", 'ref2' => 'R2', 'paidStatus' => 1, 'amount' => '1.00']);
                $reply = $client->handleCallback($body, fn () => $this->fail('not accepted'));
                $this->assertInstanceOf(\Dga\EPayment\VerificationException::class, $reply->error);
                if ($reply->error->reason === 'busy') {
                    return [$reply->error, $reply->httpStatus];
                }
                $this->assertSame(404, $reply->httpStatus, $reply->error->getMessage());
            }
            $this->fail("{$c['name']}: no delivery was refused as busy");
        } finally {
            $sb->stop();
        }
    }
}
