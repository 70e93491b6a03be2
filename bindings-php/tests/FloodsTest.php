<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\CallbackException;
use Dga\EPayment\Client;
use Dga\EPayment\PaymentStatus;
use Dga\EPayment\VerificationException;
use PHPUnit\Framework\TestCase;

/**
 * Callback floods (docs/architecture.md#callback-floods): $knownReference runs in PHP before any
 * core call, and the burst an attacker sends -- 250 genuine deliveries for 10 paid references and
 * 250 forged ones -- through Client::shared in a php-cgi FastCGI worker, counted in the sandbox's
 * request log.
 *
 * The burst runs through ONE worker, sequentially: that is what a PHP-FPM child does (one
 * request at a time), and the budget and the reused answers live in the worker's shared client,
 * so one worker is where they protect; N workers would each have their own (N times the rate,
 * as the README says), and their interleaving would make the counts depend on the scheduler.
 * Sequential deliveries never overlap, so the in-flight sharing plays no part: a genuine
 * delivery is answered from an earlier one only through the reuse window, which the test sets
 * longer than the burst so that a slow machine cannot make it flaky.
 */
final class FloodsTest extends TestCase
{
    private const GENUINE = 250;
    private const FORGED = 250;
    private const PAID = 10;

    public function testFalseIsTheCoresRefusalWithoutAskingDga(): void
    {
        $sb = new Sandbox();
        try {
            $client = $sb->client();
            $before = $this->statusRequests($sb);
            $asked = [];
            $reply = $client->handleCallback(
                '{"ref1":"FORGED-1","ref2":"R2","paidStatus":1,"amount":"1.00"}',
                fn () => $this->fail('the handler of a refused delivery is not called'),
                function (string $reference1, string $reference2) use (&$asked): bool {
                    $asked[] = [$reference1, $reference2];
                    return false;
                },
            );
            $this->assertSame(404, $reply->httpStatus);
            $this->assertFalse($reply->accepted);
            $this->assertFalse(json_decode($reply->body, true)['result']);
            $this->assertInstanceOf(VerificationException::class, $reply->error);
            $this->assertSame('unknown_payment', $reply->error->reason);
            $this->assertSame([['FORGED-1', 'R2']], $asked);
            $this->assertSame($before, $this->statusRequests($sb), 'DGA was not asked');
            $this->assertSame(['statusCalls' => 0, 'reused' => 0, 'refusedUnknown' => 1, 'refusedBusy' => 0], $client->verificationStats());
        } finally {
            $sb->stop();
        }
    }

    public function testAFailingCheckIs503AndAnUnreadableBody400(): void
    {
        $sb = new Sandbox();
        try {
            $client = $sb->client();
            $body = '{"ref1":"INV-1","ref2":"","paidStatus":1,"amount":"1.00"}';
            $noHandler = fn () => $this->fail('the handler is not called');
            $before = $this->statusRequests($sb);
            $down = new \RuntimeException('the orders database is down');
            $reply = $client->handleCallback($body, $noHandler, fn (string $r1, string $r2): bool => throw $down);
            $this->assertSame(503, $reply->httpStatus);
            $this->assertFalse(json_decode($reply->body, true)['result']);
            $this->assertSame($down, $reply->error);
            $this->assertStringNotContainsString('database', $reply->body, 'your error stays in your logs');
            // Not a bool (a PDO fetchColumn() result, say): never read as yes or no.
            $reply = $client->handleCallback($body, $noHandler, fn (string $r1, string $r2) => '1');
            $this->assertSame(503, $reply->httpStatus);
            $this->assertInstanceOf(\UnexpectedValueException::class, $reply->error);
            $this->assertStringContainsString('must return a bool', $reply->error->getMessage());
            // References that cannot be read: the core's 400; the check is not asked.
            $reply = $client->handleCallback('{"paidStatus": 1}', $noHandler, fn () => $this->fail('not asked'));
            $this->assertSame(400, $reply->httpStatus);
            $this->assertInstanceOf(CallbackException::class, $reply->error);
            $this->assertSame($before, $this->statusRequests($sb), 'DGA was not asked');
            $this->assertSame(0, $client->verificationStats()['refusedUnknown']);
        } finally {
            $sb->stop();
        }
    }

    public function testTrueGoesOnToDgasStatusAndAReusedAnswerIsNeverPending(): void
    {
        $sb = new Sandbox();
        try {
            $client = $sb->client(['verificationReuseMs' => 600000, 'verificationRate' => 0]);
            $p = $client->createPayment(Sandbox::request(amount: '50.00'));
            $body = json_encode(['ref1' => $p->reference1, 'ref2' => $p->reference2, 'paidStatus' => 1, 'amount' => '50.00']);
            $ours = fn (string $r1, string $r2): bool => $r1 === $p->reference1 && $r2 === $p->reference2;
            $recorded = [];
            $record = function (PaymentStatus $s) use (&$recorded): void {
                $recorded[] = $s->paidStatus->name;
            };
            $before = $this->statusRequests($sb);
            for ($i = 0; $i < 3; $i++) {
                $reply = $client->handleCallback($body, $record, $ours);
                $this->assertSame(409, $reply->httpStatus, 'Pending at DGA');
            }
            $this->assertSame($before + 3, $this->statusRequests($sb), 'a Pending answer is never reused');
            $sb->simulate($p->reference1, $p->reference2, 'pay', false);
            $this->assertSame(200, $client->handleCallback($body, $record, $ours)->httpStatus);
            $this->assertSame(200, $client->handleCallback($body, $record, $ours)->httpStatus);
            $this->assertSame($before + 4, $this->statusRequests($sb), 'the second paid delivery reused the first answer');
            $this->assertSame(['Success', 'Success'], $recorded);
            $stats = $client->verificationStats();
            $this->assertSame(1, $stats['reused']);
            $this->assertSame(4, $stats['statusCalls']);
            // This client voids it: the next delivery claiming Success is decided by DGA again.
            $client->void($p->reference1, $p->reference2, (string) $client->status($p->reference1, $p->reference2)->refId);
            $reply = $client->handleCallback($body, $record, $ours);
            $this->assertSame(409, $reply->httpStatus);
            $this->assertSame('status_differs', $reply->error->reason);
        } finally {
            $sb->stop();
        }
    }

    public function testTheBurstThroughClientSharedInAPhpCgiWorker(): void
    {
        $before = $this->burst(['verificationRate' => 0, 'verificationReuseMs' => 0], false);
        $budget = $this->burst(['verificationReuseMs' => 600000], false);
        $known = $this->burst(['verificationReuseMs' => 600000], true);
        fwrite(STDERR, sprintf(
            "\nPHP burst (%d genuine for %d references + %d forged, one php-cgi worker, Client::shared): DGA status calls before %d (%.1f s), budget only %d (%.1f s, %d refused busy), with \$knownReference %d (%.1f s)\n",
            self::GENUINE, self::PAID, self::FORGED,
            $before['calls'], $before['seconds'], $budget['calls'], $budget['seconds'], $budget['stats']['refusedBusy'], $known['calls'], $known['seconds'],
        ));

        // The old behaviour: every delivery asks DGA.
        $this->assertSame(self::GENUINE + self::FORGED, $before['calls']);
        $this->assertSame(self::FORGED, $before['forged'][404] ?? 0);
        $this->assertSame(self::GENUINE, $before['genuine'][200] ?? 0);

        // The default budget, 20 a second with a burst of 40, bounds it.
        $allowed = 40 + (int) ceil(20 * $budget['seconds']);
        $this->assertLessThanOrEqual($allowed, $budget['calls'], "budget $allowed");
        if ($budget['seconds'] < 11) { // 260 references need more than the budget gives by then
            $this->assertGreaterThan(0, $budget['stats']['refusedBusy']);
        }

        // $knownReference: forged deliveries cost nothing, genuine ones one call a reference.
        $this->assertSame(self::FORGED, $known['forged'][404] ?? 0, 'every forged delivery refused by the check');
        $this->assertSame(self::FORGED, $known['stats']['refusedUnknown']);
        $this->assertLessThanOrEqual(2 * self::PAID, $known['calls']);
        $this->assertSame(self::GENUINE - $known['calls'], $known['stats']['reused']);
    }

    /**
     * The burst through a fresh php-cgi worker whose endpoint uses Client::shared($options),
     * with the paid references as its orders when $withCheck. Checks the answers and the
     * counters against the sandbox's log; returns the figures.
     *
     * @param array<string, mixed> $options
     * @return array{calls: int, seconds: float, stats: array<string, int>, genuine: array<int, int>, forged: array<int, int>}
     */
    private function burst(array $options, bool $withCheck): array
    {
        $sb = new Sandbox();
        $app = Php::app();
        $worker = new FastCgi($app, "$app/cgi.log");
        try {
            $client = $sb->client();
            $bodies = [];
            $orders = [];
            for ($i = 0; $i < self::PAID; $i++) {
                [$p] = $sb->paidPayment($client, amount: '100.00');
                $orders[] = [$p->reference1, $p->reference2];
                $bodies[] = $client->status($p->reference1, $p->reference2)->toJson();
            }
            file_put_contents("$app/options.json", json_encode($sb->options($options)));
            file_put_contents("$app/orders.json", json_encode($withCheck ? $orders : null));
            // The endpoint a PHP-FPM pool runs: the shared client, the agency's orders as the check.
            $endpoint = "$app/callback.php";
            file_put_contents($endpoint, <<<'PHP'
                <?php
                require __DIR__ . '/vendor/autoload.php';
                $client = Dga\EPayment\Client::shared(json_decode(file_get_contents(__DIR__ . '/options.json'), true));
                if (($_SERVER['QUERY_STRING'] ?? '') === 'stats') {
                    echo json_encode($client->verificationStats());
                    return;
                }
                $orders = json_decode(file_get_contents(__DIR__ . '/orders.json'), true);
                $known = $orders === null ? null
                    : fn (string $reference1, string $reference2): bool => in_array([$reference1, $reference2], $orders, true);
                $client->handleCallback(file_get_contents('php://input'), function (Dga\EPayment\PaymentStatus $status): void {
                    // the agency records DGA's status here
                }, $known)->send();
                PHP);
            chmod($endpoint, 0644);
            $deliveries = [];
            for ($i = 0; $i < self::GENUINE; $i++) {
                $deliveries[] = [true, $bodies[$i % self::PAID]];
            }
            for ($i = 0; $i < self::FORGED; $i++) {
                $deliveries[] = [false, sprintf('{"ref1":"FORGED-%d","ref2":"R2","paidStatus":1,"amount":"1.00","refId":"X%d"}', $i, $i)];
            }
            mt_srand(21);
            shuffle($deliveries);
            [, $statsJson] = $worker->request($endpoint, ['QUERY_STRING' => 'stats']);
            $statsBefore = json_decode($statsJson, true);
            $this->assertIsArray($statsBefore, $statsJson . @file_get_contents("$app/cgi.log"));
            $requestsBefore = $this->statusRequests($sb);
            $started = hrtime(true);
            $answers = ['genuine' => [], 'forged' => []];
            foreach ($deliveries as [$genuine, $body]) {
                [$http, $ack] = $worker->request($endpoint, [], 'POST', $body);
                $result = json_decode($ack, true)['result'] ?? null;
                // Never 404/409 while DGA says paid; a forged delivery never taken.
                $allowed = $genuine ? [200, 503] : [404, 503];
                $this->assertContains($http, $allowed, ($genuine ? 'genuine' : 'forged') . " delivery: $http $ack " . @file_get_contents("$app/cgi.log"));
                $this->assertSame($http === 200, $result, $ack);
                $kind = $genuine ? 'genuine' : 'forged';
                $answers[$kind][$http] = ($answers[$kind][$http] ?? 0) + 1;
            }
            $seconds = (hrtime(true) - $started) / 1e9;
            $calls = $this->statusRequests($sb) - $requestsBefore;
            [, $statsJson] = $worker->request($endpoint, ['QUERY_STRING' => 'stats']);
            $after = json_decode($statsJson, true);
            $stats = array_map(static fn (string $k): int => $after[$k] - $statsBefore[$k], array_combine(array_keys($after), array_keys($after)));
            $this->assertSame($calls, $stats['statusCalls'], 'the counter is the sandbox\'s status requests during the burst');
            return ['calls' => $calls, 'seconds' => $seconds, 'stats' => $stats, 'genuine' => $answers['genuine'], 'forged' => $answers['forged']];
        } finally {
            $worker->stop();
            $sb->stop();
        }
    }

    private function statusRequests(Sandbox $sb): int
    {
        return count(array_filter($sb->get('/__sandbox/requests'), static fn ($r) => $r['endpoint'] === 'status'));
    }
}
