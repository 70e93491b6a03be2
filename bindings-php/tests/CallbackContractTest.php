<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\ApiException;
use Dga\EPayment\Callback;
use Dga\EPayment\CallbackException;
use Dga\EPayment\CallbackReply;
use Dga\EPayment\DgaException;
use Dga\EPayment\PaidStatus;
use Dga\EPayment\PaymentStatus;
use Dga\EPayment\PaymentType;
use Dga\EPayment\VerificationException;
use PHPUnit\Framework\TestCase;

/**
 * The callback contract (docs/architecture.md#the-callback-contract) through
 * Client::handleCallback: tests/vectors/
 * callback_contract.json row by row (its description is the runner's spec), and what the
 * file does not cover (the handler failing, the ack, verifyCallback).
 */
final class CallbackContractTest extends TestCase
{
    public static function contractCases(): array
    {
        $file = (getenv('DGA_VECTORS') ?: dirname(__DIR__, 2) . '/tests/vectors') . '/callback_contract.json';
        $doc = json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
        if (count($doc['cases']) < 15) {
            throw new \RuntimeException("$file looks truncated");
        }
        $out = [];
        foreach ($doc['cases'] as $c) {
            // Deliveries "at once" test the core's single flight and its cap per client. A PHP
            // process serves one request at a time (PHP-FPM runs many processes, each with its
            // own client), so there is no concurrent delivery within one client to make.
            if (($c['deliveries'] ?? 1) > 1) {
                continue;
            }
            $out['callback_contract.json: ' . $c['name']] = [$c];
        }
        return $out;
    }

    /** @dataProvider contractCases */
    public function testContractRow(array $c): void
    {
        $sb = Sandbox::shared();
        $client = $sb->client();
        $sb->clearFaults();
        try {
            $r1 = 'NEVER-CREATED-' . Sandbox::uniqueRef();
            $r2 = '';
            $amount = '';
            $refId = '';
            if ($c['payment'] !== null) {
                $p = $client->createPayment(Sandbox::request(PaymentType::tryFromName($c['payment']['paymentType']), $c['payment']['amount']));
                [$r1, $r2, $amount] = [$p->reference1, $p->reference2, $c['payment']['amount']];
                $outcome = $c['dgaOutcome'];
                if ($outcome !== null) {
                    $sb->simulate($r1, $r2, $outcome === 'pay+void' ? 'pay' : $outcome, false);
                }
                $refId = (string) $client->status($r1, $r2)->refId;
                if ($outcome === 'pay+void') {
                    $client->void($r1, $r2, $refId);
                }
            }
            if (isset($c['statusFault'])) {
                $f = $c['statusFault'];
                $sb->fault('status', $f['kind'], $f['count'] ?? 1, array_diff_key($f, ['kind' => 1, 'count' => 1]));
            }
            $subst = ['${reference1}' => $r1, '${reference2}' => $r2, '${amount}' => $amount, '${refId}' => $refId];
            $body = strtr($c['body'], $subst);

            $seen = [];
            $reply = $client->handleCallback($body, function (PaymentStatus $st) use (&$seen): void {
                $seen[] = $st;
            });
            $expect = $c['expect'];
            $this->assertSame($expect['httpStatus'], $reply->httpStatus, 'HTTP status; ' . $reply->body . ($reply->error ? '; ' . $reply->error->getMessage() : ''));
            $ack = json_decode($reply->body, true, 512, JSON_THROW_ON_ERROR);
            $this->assertSame($expect['accepted'], $ack['result'], 'ack result');
            $this->assertSame($expect['accepted'], $reply->accepted);
            $this->assertSame('application/json; charset=utf-8', $reply->contentType);
            if ($expect['accepted']) {
                $this->assertCount(1, $seen, 'the handler ran once');
                $this->assertNull($reply->error);
                $st = $seen[0];
                $this->assertSame($reply->status, $st);
                $this->assertSame(PaidStatus::tryFromName($expect['handlerPaidStatus']), $st->paidStatus, "DGA's paidStatus");
                if (isset($expect['handlerAmount'])) {
                    $this->assertSame(0, bccomp($expect['handlerAmount'], $st->amount, 2), "DGA's amount, got {$st->amount}");
                }
                if (!empty($expect['handlerRefIdIsDgas'])) {
                    $this->assertSame($refId, $st->refId, "DGA's refId");
                }
            } else {
                $this->assertSame([], $seen, 'the handler never sees a callback that was not accepted');
                $this->assertInstanceOf(DgaException::class, $reply->error);
                if (isset($expect['errorKind'])) {
                    $this->assertSame($expect['errorKind'], $reply->error->kind, $reply->error->getMessage());
                }
                if (isset($expect['reason'])) {
                    $this->assertInstanceOf(VerificationException::class, $reply->error);
                    $this->assertSame($expect['reason'], $reply->error->reason);
                }
            }
            foreach ($expect['replyExcludes'] ?? [] as $s) {
                $s = strtr($s, $subst);
                if ($s !== '') {
                    $this->assertStringNotContainsString($s, $reply->body . "\n" . $reply->contentType, 'the reply says nothing DGA said');
                }
            }
        } finally {
            $sb->clearFaults();
        }
    }

    /** A genuine callback body for a paid payment: DGA's own status for it. */
    private function paidBody(): array
    {
        $sb = Sandbox::shared();
        $client = $sb->client();
        [$p, $refId] = $sb->paidPayment($client, PaymentType::FastPay, '1000.50');
        return [$client, $p, $client->status($p->reference1, $p->reference2)->toJson(), $refId];
    }

    public function testHandlerFailureIs500AndKeepsTheAgencysErrorOutOfTheReply(): void
    {
        [$client, , $body] = $this->paidBody();
        $boom = new \RuntimeException('database down at db01.internal');
        $reply = $client->handleCallback($body, static function () use ($boom): void {
            throw $boom;
        });
        $this->assertSame(500, $reply->httpStatus);
        $this->assertFalse($reply->accepted);
        $this->assertFalse(json_decode($reply->body, true)['result']);
        $this->assertSame($boom, $reply->error, 'the handler\'s exception is handed back for logging');
        $this->assertStringNotContainsString('db01', $reply->body);
        $this->assertInstanceOf(PaymentStatus::class, $reply->status, 'the verified status is still there');
    }

    public function testAcceptedReplyIsTheCoresAck(): void
    {
        [$client, $p, $body] = $this->paidBody();
        $reply = $client->handleCallback($body, static fn () => null);
        $this->assertSame(200, $reply->httpStatus);
        $ack = json_decode($reply->body, true);
        $this->assertTrue($ack['result']);
        $this->assertSame('Success', $ack['message']);
        $this->assertEqualsWithDelta(time(), $ack['requestTimeStamp'], 10);
        $this->assertSame($p->reference1, $reply->status->ref1);
    }

    public function testInvalidAndEmptyBodiesAre400(): void
    {
        $client = Sandbox::shared()->client();
        foreach (['', '{"paidStatus": 1', "\xff\xfe", '[]'] as $body) {
            $called = false;
            $reply = $client->handleCallback($body, function () use (&$called): void {
                $called = true;
            });
            $this->assertSame(400, $reply->httpStatus, var_export($body, true));
            $this->assertInstanceOf(CallbackException::class, $reply->error);
            $this->assertFalse($called);
        }
    }

    public function testUnreachableDgaIs503WithoutTheSecret(): void
    {
        [, , $body] = $this->paidBody();
        $client = Sandbox::shared()->client(['gatewayUrl' => 'http://127.0.0.1:' . Sandbox::freePort(), 'retry' => false]);
        $reply = $client->handleCallback($body, fn () => $this->fail('never called'));
        $this->assertSame(503, $reply->httpStatus);
        $this->assertStringNotContainsString('sandbox-secret', $reply->body);
        $this->assertStringNotContainsString('sandbox-secret', (string) $reply->error);
    }

    public function testVerifyCallbackConfirmsOrRefuses(): void
    {
        [$client, $p, $body, $refId] = $this->paidBody();
        $verified = $client->verifyCallback(Callback::parse($body));
        $this->assertSame(PaidStatus::Success, $verified->paidStatus);
        $this->assertSame($refId, $verified->refId);
        $this->assertSame(PaidStatus::Success, $client->verifyCallback($body)->paidStatus, 'a raw body works too');

        $forged = json_decode($body, true);
        $forged['paidStatus'] = 'Void';
        $e = null;
        try {
            $client->verifyCallback(json_encode($forged));
        } catch (VerificationException $e) {
        }
        $this->assertInstanceOf(VerificationException::class, $e);
        $this->assertSame('status_differs', $e->reason);
        $this->assertSame(9, $e->getCode());

        $this->expectException(CallbackException::class);
        $client->verifyCallback('not json');
    }

    public function testVerifyCallbackReadsARawBodyAsHandleCallbackDoes(): void
    {
        [$client, , $body, $refId] = $this->paidBody();
        // A delivery lacking fields DGA's status has: only its references must read.
        $lean = json_decode($body, true);
        unset($lean['paidChannel'], $lean['confirmPaidDate'], $lean['feeAmount']);
        $lean = json_encode($lean);
        $this->assertSame(200, $client->handleCallback($lean, fn () => null)->httpStatus);
        $verified = $client->verifyCallback($lean);
        $this->assertSame(PaidStatus::Success, $verified->paidStatus);
        $this->assertSame($refId, $verified->refId);

        $this->expectException(CallbackException::class);
        $client->verifyCallback('{"paidStatus": 1, "ref1": 5}');
    }

    public function testAck(): void
    {
        $ack = json_decode(Callback::ack(true), true);
        $this->assertTrue($ack['result']);
        $this->assertSame('Success', $ack['message']);
        $this->assertEqualsWithDelta(time(), $ack['requestTimeStamp'], 10);
        $no = json_decode(Callback::ack(false, 'ระบบไม่ว่าง'), true);
        $this->assertFalse($no['result']);
        $this->assertSame('ระบบไม่ว่าง', $no['message']);
    }

    public function testParseKeepsValuesOutsideTheTables(): void
    {
        $cb = Callback::parse('{"paidStatus": 42, "description": "", "paidDate": "2024-03-07T15:42:28", "paidChannel": "x", '
            . '"confirmPaidDate": "2024-03-07T15:42:28.123", "refId": "1", "ref1": "A", "ref2": "", '
            . '"paymentType": "C", "amount": 1000.50, "feeAmount": null}');
        $this->assertSame(42, $cb->paidStatus);
        $this->assertSame('C', $cb->paymentType);
        $this->assertFalse($cb->isPaid());
        $this->assertSame('1000.50', $cb->amount);
        $this->assertNull($cb->feeAmount);
        $this->assertNull($cb->description);
        $this->assertSame('2024-03-07 15:42:28', $cb->confirmPaidDate->format('Y-m-d H:i:s'));
    }

    public function testCallbackErrorNamesEveryField(): void
    {
        try {
            Callback::parse('{"paidStatus": true, "ref1": "A"}');
            $this->fail('must fail');
        } catch (CallbackException $e) {
            $this->assertContains('amount', $e->fields());
            $this->assertContains('refId', $e->fields());
            $this->assertSame('callback', $e->kind);
            $this->assertSame(8, $e->getCode());
        }
    }

    public function testApiErrorsAreNotVerificationErrors(): void
    {
        // Sanity of the fixture: an unknown reference is DGA's errorCode 8 for status.
        $this->expectException(ApiException::class);
        Sandbox::shared()->client()->status('NEVER-' . Sandbox::uniqueRef());
    }
}
