<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\ApiException;
use Dga\EPayment\ArgumentException;
use Dga\EPayment\AuthException;
use Dga\EPayment\Client;
use Dga\EPayment\Confirmation;
use Dga\EPayment\DgaException;
use Dga\EPayment\ErrorCode;
use Dga\EPayment\NetworkException;
use Dga\EPayment\OutcomeUnknownException;
use Dga\EPayment\PaidStatus;
use Dga\EPayment\Payment;
use Dga\EPayment\PaymentStatus;
use Dga\EPayment\PaymentType;
use Dga\EPayment\ProtocolException;
use Dga\EPayment\ResponseStatus;
use Dga\EPayment\TimeoutException;
use Dga\EPayment\ValidationException;
use PHPUnit\Framework\TestCase;

/** Every call of Client against the sandbox over loopback HTTP, and every error kind it raises. */
final class ClientTest extends TestCase
{
    private Sandbox $sb;

    protected function setUp(): void
    {
        $this->sb = Sandbox::shared();
        $this->sb->clearFaults();
    }

    protected function tearDown(): void
    {
        $this->sb->clearFaults();
    }

    public function testCreateStatusCloseAsTheGuideSays(): void
    {
        $client = $this->sb->client();
        $req = Sandbox::request(PaymentType::QRPayment, '250.75');
        $p = $client->createPayment($req);
        $this->assertInstanceOf(Payment::class, $p);
        $this->assertSame($req['requestReference1'], $p->reference1);
        $this->assertSame('R2', $p->reference2);
        $this->assertSame('250.75', $p->amount);
        $this->assertNotSame('', $p->orderRef);
        $this->assertStringStartsWith($this->sb->url, (string) $p->gatewayUrl);

        $html = $p->checkoutFormHtml();
        $this->assertStringContainsString('<form', $html);
        $this->assertStringContainsString((string) $p->gatewayUrl, $html);
        $this->assertStringContainsString($p->orderRef, $html);

        $st = $client->status($p->reference1, $p->reference2);
        $this->assertInstanceOf(PaymentStatus::class, $st);
        $this->assertSame(PaidStatus::Pending, $st->paidStatus);
        $this->assertFalse($st->isPaid());
        $this->assertSame(PaymentType::QRPayment, $st->paymentType);
        $this->assertSame('250.75', $st->amount);
        $this->assertSame($p->reference1, $st->ref1);
        $this->assertNull($st->paidDate);

        $c = $client->close($p->reference1, $p->reference2);
        $this->assertInstanceOf(Confirmation::class, $c);
        $this->assertSame(ResponseStatus::Success, $c->status);
        $this->assertSame(PaidStatus::Expired, $client->status($p->reference1, $p->reference2)->paidStatus);
    }

    public function testPrintedPaymentHidesTheSecurityKey(): void
    {
        $p = $this->sb->client()->createPayment(Sandbox::request());
        $this->assertNotSame('', $p->securityKey, 'still readable: the checkout form needs it');
        ob_start();
        var_dump($p);
        $dumped = (string) ob_get_clean();
        foreach ([$dumped, print_r($p, true)] as $shown) {
            $this->assertStringNotContainsString($p->securityKey, $shown);
            $this->assertStringContainsString('<hidden>', $shown);
            $this->assertStringContainsString($p->orderRef, $shown);
        }
        $this->assertSame($p->securityKey, json_decode($p->toJson(), true)['securityKey'], 'JSON keeps it');
    }

    public function testPaidThenVoid(): void
    {
        $client = $this->sb->client();
        [$p, $refId] = $this->sb->paidPayment($client, PaymentType::FastPay, '99.50');
        $st = $client->status($p->reference1, $p->reference2);
        $this->assertSame(PaidStatus::Success, $st->paidStatus);
        $this->assertTrue($st->isPaid());
        $this->assertSame($refId, $st->refId);
        $this->assertInstanceOf(\DateTimeImmutable::class, $st->paidDate);
        $this->assertSame('Asia/Bangkok', $st->paidDate->getTimezone()->getName());

        // A paid one cannot be closed: DGA's errorCode 14.
        try {
            $client->close($p->reference1, $p->reference2);
            $this->fail('closing a paid payment must fail');
        } catch (ApiException $e) {
            $this->assertSame(ErrorCode::PaidPaymentCannotBeClosed, $e->errorCode);
            $this->assertSame(14, $e->errorCodeNumber);
            $this->assertSame(ResponseStatus::Error, $e->status);
            $this->assertSame(ResponseStatus::Error->value, $e->statusNumber);
            $this->assertSame('Error', $e->statusRaw);
            $this->assertSame('close', $e->endpoint);
            $this->assertSame('api', $e->kind);
        }

        $v = $client->void($p->reference1, $p->reference2, $refId);
        $this->assertSame(ResponseStatus::Success, $v->status);
        $this->assertSame(PaidStatus::Void, $client->status($p->reference1, $p->reference2)->paidStatus);
    }

    public function testQrPaymentCannotBeVoided(): void
    {
        $client = $this->sb->client();
        [$p, $refId] = $this->sb->paidPayment($client, PaymentType::QRPayment);
        $e = $this->catch(fn () => $client->void($p->reference1, $p->reference2, $refId), ApiException::class);
        $this->assertContains($e->errorCode, [ErrorCode::UnsupportedPaymentType, ErrorCode::UnableToVoidTransaction]);
    }

    public function testDuplicateReferenceIsApiError21(): void
    {
        $client = $this->sb->client();
        $req = Sandbox::request();
        $client->createPayment($req);
        $e = $this->catch(fn () => $client->createPayment($req), ApiException::class);
        $this->assertSame(ErrorCode::ReferenceNumberDuplicate, $e->errorCode);
        $this->assertSame('create', $e->endpoint);
    }

    public function testUnknownTransactionIsApiError8(): void
    {
        $e = $this->catch(fn () => $this->sb->client()->status(Sandbox::uniqueRef('NONE')), ApiException::class);
        $this->assertSame(ErrorCode::TransactionNotFound, $e->errorCode);
        $this->assertSame(8, $e->errorCodeNumber);
        $this->assertSame(3, $e->getCode(), 'getCode() is the kind number (DGA_API)');
    }

    public function testValidationNamesEveryBadFieldBeforeAnyCall(): void
    {
        $before = count($this->sb->get('/__sandbox/requests'));
        $e = $this->catch(fn () => $this->sb->client()->createPayment([
            'customerTitleName' => 'นาย', 'customerFirstName' => 'ก', 'customerLastName' => 'ข',
            'paymentType' => 'BillPayment', 'amount' => 'abc', 'requestReference1' => 'X',
        ]), ValidationException::class);
        $this->assertEqualsCanonicalizing(['customerID', 'paymentType', 'amount'], $e->fields());
        $this->assertSame('validation', $e->kind);
        $this->assertSame($before, count($this->sb->get('/__sandbox/requests')), 'no request reached the sandbox');
    }

    public function testBadOptionsAreValidationErrors(): void
    {
        $e = $this->catch(fn () => new Client(['consumerKey' => 'k']), ValidationException::class);
        $this->assertEqualsCanonicalizing(['consumerSecret', 'agentId'], $e->fields());
        $e = $this->catch(fn () => new Client($this->sb->options(['colour' => 'blue'])), ValidationException::class);
        $this->assertSame(['colour'], $e->fields());
        $e = $this->catch(fn () => new Client($this->sb->options(['timeoutMs' => 'soon'])), ValidationException::class);
        $this->assertSame(['timeoutMs'], $e->fields());
        // PHP's own check of NAN: its hint must fit any field (timeoutMs refuses a string).
        $e = $this->catch(fn () => new Client($this->sb->options(['timeoutMs' => NAN])), ValidationException::class);
        $this->assertSame(['timeoutMs'], $e->fields());
        $this->assertStringNotContainsString('string', $e->getMessage());
    }

    public function testAnEmptyArrayIsTheEmptyObjectWhereTheCoreTakesOne(): void
    {
        // PHP's [] is also {}: `$data = []; if (...) $data['x'] = ...;` must work when nothing was added.
        $client = new Client($this->sb->options(['retry' => []]));
        $this->assertNotSame('', $client->createPayment(Sandbox::request(over: ['data' => []]))->orderRef);
        $shared = Client::shared($this->sb->options(['retry' => []]));
        $this->assertNotSame('', $shared->createPayment(Sandbox::request(over: ['data' => []]))->orderRef);
        // Only the empty array, only there: a list, or [] for a text, is still refused by name.
        $e = $this->catch(fn () => $client->createPayment(Sandbox::request(over: ['data' => [1, 2]])), ValidationException::class);
        $this->assertSame(['data'], $e->fields());
        $e = $this->catch(fn () => $client->createPayment(Sandbox::request(over: ['source' => []])), ValidationException::class);
        $this->assertSame(['source'], $e->fields());
        $this->assertStringContainsString('array', $e->getMessage());
    }

    public function testNulInAReferenceIsRefusedNotCutShort(): void
    {
        $client = $this->sb->client();
        $e = $this->catch(fn () => $client->status("REF\0other"), ValidationException::class);
        $this->assertSame(['reference1'], $e->fields());
        $e = $this->catch(fn () => $client->void('A', "B\0", 'C'), ValidationException::class);
        $this->assertSame(['reference2'], $e->fields());
    }

    public function testInvalidUtf8ReferenceIsAnArgumentError(): void
    {
        $e = $this->catch(fn () => $this->sb->client()->status("\xff\xfe"), ArgumentException::class);
        $this->assertSame('invalid_argument', $e->kind);
        $this->assertStringContainsString('reference1', $e->getMessage());
    }

    public function testWrongSecretIsAuthErrorWithoutTheSecret(): void
    {
        $secret = 'wrong-secret-' . bin2hex(random_bytes(8));
        $client = $this->sb->client(['consumerSecret' => $secret, 'retry' => false]);
        $e = $this->catch(fn () => $client->status('X'), AuthException::class);
        $this->assertSame('auth', $e->kind);
        $this->assertStringNotContainsString($secret, $e->getMessage());
        $this->assertStringNotContainsString($secret, (string) $e);
    }

    public function testDeadGatewayIsNetworkError(): void
    {
        $client = new Client($this->sb->options(['gatewayUrl' => 'http://127.0.0.1:' . Sandbox::freePort(), 'retry' => false]));
        $e = $this->catch(fn () => $client->status('X'), DgaException::class);
        // The token call is the first to fail: the core reports it as auth (no token), or network.
        $this->assertContains(get_class($e), [NetworkException::class, AuthException::class]);
        $this->assertStringNotContainsString('sandbox-secret', $e->getMessage());
    }

    public function testStatusTransportFailureIsNetworkError(): void
    {
        $client = $this->sb->client(['retry' => false]);
        $this->warmToken($client);
        $this->sb->fault('status', 'reset', 5);
        $e = $this->catch(fn () => $client->status('X'), NetworkException::class);
        $this->assertSame('status', $e->endpoint);
        $this->assertSame('network', $e->kind);
    }

    public function testSlowStatusIsTimeoutError(): void
    {
        $client = $this->sb->client(['timeoutMs' => 200, 'retry' => false]);
        $this->warmToken($client);
        $this->sb->fault('status', 'latency', 5, ['latencyMs' => 2000]);
        $e = $this->catch(fn () => $client->status('X'), TimeoutException::class);
        $this->assertSame('timeout', $e->kind);
    }

    public function testMalformedAnswerIsProtocolError(): void
    {
        $client = $this->sb->client(['retry' => false]);
        $this->warmToken($client);
        $this->sb->fault('status', 'malformed', 5);
        $e = $this->catch(fn () => $client->status('X'), ProtocolException::class);
        $this->assertSame('protocol', $e->kind);
    }

    public function testLostCreateAnswerIsOutcomeUnknownWithTheReferences(): void
    {
        $client = $this->sb->client();
        $this->warmToken($client);
        $req = Sandbox::request();
        $this->sb->fault('create', 'reset_after', 1);
        $e = $this->catch(fn () => $client->createPayment($req), OutcomeUnknownException::class);
        $this->assertSame($req['requestReference1'], $e->reference1);
        $this->assertSame('R2', $e->reference2);
        // The advice the error gives works: the payment exists.
        $this->assertSame(PaidStatus::Pending, $client->status($e->reference1, $e->reference2)->paidStatus);
    }

    public function testLostVoidAnswerIsOutcomeUnknown(): void
    {
        $client = $this->sb->client();
        [$p, $refId] = $this->sb->paidPayment($client);
        $this->sb->fault('void', 'reset_after', 1);
        $e = $this->catch(fn () => $client->void($p->reference1, $p->reference2, $refId), OutcomeUnknownException::class);
        $this->assertSame($p->reference1, $e->reference1);
        $this->assertSame(PaidStatus::Void, $client->status($p->reference1, $p->reference2)->paidStatus);
    }

    public function testTransientStatusFailuresAreRetried(): void
    {
        $client = $this->sb->client();
        $p = $client->createPayment(Sandbox::request());
        $this->sb->fault('status', 'http_status', 2, ['httpStatus' => 503]);
        $this->assertSame(PaidStatus::Pending, $client->status($p->reference1, $p->reference2)->paidStatus);
    }

    /**
     * Variables PHP sees that the process environment does not hold ($_ENV from Dotenv here; a
     * FastCGI param or Apache's SetEnv reach getenv(name) the same way) configure fromEnv, and
     * sharedFromEnv is one client (one token) for the worker.
     */
    public function testFromEnvReadsWhatPhpSeesAndSharedFromEnvIsOneClient(): void
    {
        $saved = $_ENV;
        $_ENV += ['DGA_CONSUMER_KEY' => 'sandbox-key', 'DGA_CONSUMER_SECRET' => 'sandbox-secret', 'DGA_AGENT_ID' => Sandbox::AGENT_ID, 'DGA_GATEWAY_URL' => $this->sb->url, 'DGA_SOURCE' => 'SANDBOX'];
        try {
            $this->assertFalse(getenv('DGA_CONSUMER_KEY'), 'not in the process environment');
            $p = Client::fromEnv()->createPayment(Sandbox::request());
            $tokens = fn () => count(array_filter($this->sb->get('/__sandbox/requests'), static fn ($r) => $r['endpoint'] === 'token'));
            $before = $tokens();
            foreach ([1, 2] as $_) {
                // timeoutMs 4321: a configuration no other test's shared client has.
                $this->assertSame(PaidStatus::Pending, Client::sharedFromEnv(['timeoutMs' => 4321])->status($p->reference1, $p->reference2)->paidStatus);
            }
            $this->assertSame($before + 1, $tokens(), 'two sharedFromEnv() handles, one client');
            unset($_ENV['DGA_CONSUMER_SECRET']);
            $e = $this->catch(fn () => Client::sharedFromEnv(), ValidationException::class);
            $this->assertSame(['consumerSecret'], $e->fields());
        } finally {
            $_ENV = $saved;
        }
    }

    public function testFromEnvReadsTheEnvironmentAndOverrides(): void
    {
        $saved = [];
        $env = ['DGA_CONSUMER_KEY' => 'sandbox-key', 'DGA_CONSUMER_SECRET' => 'sandbox-secret', 'DGA_AGENT_ID' => Sandbox::AGENT_ID, 'DGA_GATEWAY_URL' => $this->sb->url, 'DGA_SOURCE' => 'SANDBOX'];
        foreach ($env as $k => $v) {
            $saved[$k] = getenv($k);
            putenv("$k=$v");
        }
        try {
            $p = Client::fromEnv()->createPayment(Sandbox::request());
            $this->assertSame(PaidStatus::Pending, Client::fromEnv(['timeoutMs' => 3000])->status($p->reference1, $p->reference2)->paidStatus);
            putenv('DGA_CONSUMER_SECRET');
            $e = $this->catch(fn () => Client::fromEnv(), ValidationException::class);
            $this->assertSame(['consumerSecret'], $e->fields());
        } finally {
            foreach ($saved as $k => $v) {
                putenv($v === false ? $k : "$k=$v");
            }
        }
    }

    public function testResultsAreReadOnly(): void
    {
        $client = $this->sb->client();
        $p = $client->createPayment(Sandbox::request());
        $this->expectException(\Error::class);
        $p->amount = '1.00'; // @phpstan-ignore-line
    }

    public function testClientHoldsNoReadableSecret(): void
    {
        $secret = 'sandbox-secret';
        $client = $this->sb->client();
        $this->assertStringNotContainsString($secret, print_r($client, true));
        $this->assertStringNotContainsString($secret, var_export((array) $client, true));
        $this->expectException(\LogicException::class);
        serialize($client);
    }

    public function testMoneyInIsExact(): void
    {
        $client = $this->sb->client();
        $this->assertSame('250', $client->createPayment(Sandbox::request(amount: 250))->amount, 'an int');
        $this->assertSame('1000.5', $client->createPayment(Sandbox::request(amount: 1000.5))->amount, 'a float that is exactly an amount');
        $this->assertSame('19.99', $client->createPayment(Sandbox::request(amount: 19.99))->amount, 'a float with 2 decimals');
        $amount = $client->createPayment(Sandbox::request(amount: '1000.50'))->amount;
        $this->assertSame(0, bccomp('1000.50', $amount, 2), 'a numeric string');
        $this->assertSame('1000.5', $amount, "DGA's scale (the sandbox answers 1000.5), as the README says");
        foreach (['0.1 + 0.2' => 0.1 + 0.2, '12.345' => 12.345, 'NAN' => NAN, 'INF' => INF, '-1.5' => -1.5] as $what => $amount) {
            $e = $this->catch(fn () => $client->createPayment(Sandbox::request(amount: $amount)), ValidationException::class);
            $this->assertSame(['amount'], $e->fields(), $what);
        }
    }

    public function testTheSecretIsInNoTraceOfAFailedConstruction(): void
    {
        $secret = 'SECRET-' . bin2hex(random_bytes(8));
        $e = $this->catch(fn () => new Client(['consumerKey' => 'k', 'consumerSecret' => $secret, 'agentId' => 'not-an-id', 'gatewayUrl' => $this->sb->url]), ValidationException::class);
        $this->assertSame(['agentId'], $e->fields());
        // zend.exception_ignore_args is off in phpunit.xml.dist: arguments would be recorded.
        $this->assertStringNotContainsString($secret, (string) $e);
        $sdkFrames = array_filter($e->getTrace(), static fn ($f) => str_starts_with($f['class'] ?? '', 'Dga\\EPayment\\') && !str_starts_with($f['class'], 'Dga\\EPayment\\Tests'));
        $this->assertNotEmpty($sdkFrames);
        $this->assertStringNotContainsString($secret, print_r($sdkFrames, true), "the SDK's frames carry no secret (#[\\SensitiveParameter])");
        $this->assertStringNotContainsString($secret, $e->getMessage());
    }

    /**
     * A script whose options PHP's own checks (Json) or the core refuse, run in a fresh PHP
     * with zend.exception_ignore_args=0 whatever php.ini says: each case's exception chain, its
     * traces (print_r) and (string) serialized to stdout.
     */
    private const TRACE_PROBE = <<<'PHP'
        require getenv('DGA_BOOTSTRAP');
        use Dga\EPayment\Client;
        $key = getenv('PROBE_KEY');
        $secret = getenv('PROBE_SECRET');
        $base = ['consumerKey' => $key, 'consumerSecret' => $secret, 'agentId' => '1234567890121', 'gatewayUrl' => getenv('PROBE_URL')];
        $bad = [
            'source not UTF-8' => ['source' => "\xCA\xC1\xA4"],
            'timeoutMs NAN' => ['timeoutMs' => NAN],
            'secret not UTF-8' => ['consumerSecret' => "\xCA" . $secret],
            'key NAN, secret set' => ['consumerKey' => NAN],
            'not JSON (a resource)' => ['caFile' => STDIN],
            'a JsonSerializable that throws' => ['retry' => new class implements \JsonSerializable {
                public function jsonSerialize(): mixed
                {
                    throw new \RuntimeException('no JSON here');
                }
            }],
            'refused by the core' => ['agentId' => 'not-an-id'],
        ];
        $cases = ['ignore_args' => ini_get('zend.exception_ignore_args')];
        foreach ($bad as $what => $over) {
            foreach (['new', 'shared', 'fromEnv'] as $how) {
                $o = array_replace($base, $over);
                try {
                    // Inline, not a helper taking $o: the probe's own frames carry no options.
                    match ($how) { 'new' => new Client($o), 'shared' => Client::shared($o), 'fromEnv' => Client::fromEnv($o) };
                    $cases["$how: $what"] = null;
                } catch (\Throwable $e) {
                    $dump = (string) $e;
                    for ($x = $e; $x !== null; $x = $x->getPrevious()) {
                        $dump .= "\n" . $x->getMessage() . "\n" . print_r($x->getTrace(), true) . $x->getTraceAsString();
                    }
                    $cases["$how: $what"] = [get_class($e), $dump];
                }
            }
        }
        echo serialize($cases);
        PHP;

    public function testNoTraceArgumentCarriesTheKeyOrSecretOfRefusedOptions(): void
    {
        $key = 'KEY' . bin2hex(random_bytes(5));
        $secret = 'SEC' . bin2hex(random_bytes(5)); // 13 characters: getTraceAsString cuts strings at 15
        [$rc, $out, $err] = Php::run(
            [PHP_BINARY, '-d', 'zend.exception_ignore_args=0', '-d', 'display_errors=stderr', '-r', self::TRACE_PROBE],
            ['DGA_BOOTSTRAP' => __DIR__ . '/bootstrap.php', 'PROBE_KEY' => $key, 'PROBE_SECRET' => $secret, 'PROBE_URL' => $this->sb->url],
        );
        $this->assertSame(0, $rc, $err);
        $cases = unserialize($out);
        $this->assertIsArray($cases, $out . $err);
        $this->assertSame('0', $cases['ignore_args'], 'the probe records arguments in traces');
        unset($cases['ignore_args']);
        $this->assertCount(21, $cases);
        foreach ($cases as $case => $result) {
            $this->assertIsArray($result, "$case: refused");
            [$class, $dump] = $result;
            // Arguments are recorded (the client's own options show as SensitiveParameterValue).
            $this->assertStringContainsString('SensitiveParameterValue', $dump, $case);
            $this->assertStringNotContainsString($secret, $dump, "$case: the secret is in a trace");
            $this->assertStringNotContainsString($key, $dump, "$case: the key is in a trace");
            $this->assertSame(ValidationException::class, $class, $case);
        }
    }

    public function testUseAfterDestructSaysDestroyed(): void
    {
        $client = $this->sb->client();
        $client->__destruct();
        $client->__destruct(); // twice (and again when collected): freed once
        foreach (['status' => fn () => $client->status('X'), 'verificationStats' => fn () => $client->verificationStats()] as $what => $use) {
            $e = $this->catch($use, \LogicException::class);
            $this->assertStringContainsString('this Client was destroyed', $e->getMessage(), $what);
        }
        $bare = (new \ReflectionClass(Client::class))->newInstanceWithoutConstructor();
        $this->assertSame('this Client was not constructed', $this->catch(fn () => $bare->status('X'), \LogicException::class)->getMessage());
    }

    public function testVersion(): void
    {
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', Client::version());
    }

    /** Fetches a token, so that a fault on a payment endpoint is what the next call meets. */
    private function warmToken(Client $client): void
    {
        $this->catch(fn () => $client->status('__token_warmup__'), ApiException::class);
    }

    /**
     * @template T of \Throwable
     * @param class-string<T> $class
     * @return T
     */
    private function catch(callable $f, string $class): \Throwable
    {
        try {
            $f();
        } catch (\Throwable $e) {
            $this->assertInstanceOf($class, $e, 'got ' . get_class($e) . ': ' . $e->getMessage());
            return $e;
        }
        $this->fail("expected $class");
    }
}
