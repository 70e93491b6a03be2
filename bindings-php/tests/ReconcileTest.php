<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\ApiException;
use Dga\EPayment\Client;
use Dga\EPayment\DgaException;
use Dga\EPayment\ErrorCode;
use Dga\EPayment\PaidStatus;
use PHPUnit\Framework\TestCase;

// README: reconcile begin
/**
 * Each pending payment's status at DGA, one call at a time, at most $perSecond calls a second
 * (a reconcile must not look like a flood to DGA): [reference1, reference2, PaymentStatus or
 * null, null or why not: 'TransactionNotFound' (DGA does not know it) or the error's kind].
 *
 * @param iterable<array{string, string}> $pending
 */
function reconcile(Client $client, iterable $pending, int $perSecond = 20): \Generator
{
    $next = hrtime(true);
    foreach ($pending as [$reference1, $reference2]) {
        $wait = $next - hrtime(true);
        if ($wait > 0) {
            usleep(intdiv($wait, 1000));
        }
        $next = max($next, hrtime(true)) + intdiv(1_000_000_000, $perSecond);
        try {
            yield [$reference1, $reference2, $client->status($reference1, $reference2), null];
        } catch (ApiException $e) {
            yield [$reference1, $reference2, null, $e->errorCode === ErrorCode::TransactionNotFound ? 'TransactionNotFound' : $e->kind];
        } catch (DgaException $e) {
            yield [$reference1, $reference2, null, $e->kind];   // could not be read now: rerun it later
        }
    }
}
// README: reconcile end

/** The README's reconcile loop against the sandbox: mixed statuses, an unknown reference, a fault. */
final class ReconcileTest extends TestCase
{
    public function testTheReadmesLoop(): void
    {
        $sb = new Sandbox();
        try {
            $client = $sb->client(['retry' => false]);
            [$paid] = $sb->paidPayment($client, amount: '10.00');
            $pending = $client->createPayment(Sandbox::request(amount: '11.00'));
            $faulty = $client->createPayment(Sandbox::request(amount: '12.00'));
            $refs = [[$paid->reference1, $paid->reference2], [$pending->reference1, $pending->reference2],
                ['NEVER-CREATED', 'R2'], [$faulty->reference1, $faulty->reference2]];
            $started = hrtime(true);
            $rows = [];
            foreach (reconcile($client, $refs, 10) as $row) {
                if ($row[0] === 'NEVER-CREATED') {
                    $sb->fault('status', 'reset', 1);   // the next status call fails
                }
                $rows[] = $row;
            }
            $seconds = (hrtime(true) - $started) / 1e9;
            $this->assertSame(array_column($refs, 0), array_column($rows, 0), 'input order');
            $this->assertSame(PaidStatus::Success, $rows[0][2]->paidStatus);
            $this->assertSame(PaidStatus::Pending, $rows[1][2]->paidStatus);
            $this->assertSame([null, 'TransactionNotFound'], [$rows[2][2], $rows[2][3]]);
            $this->assertSame([null, 'network'], [$rows[3][2], $rows[3][3]]);
            $this->assertGreaterThanOrEqual(0.3, $seconds, '10 a second: 4 calls take at least 0.3 s');

            $readme = (string) file_get_contents(dirname(__DIR__) . '/README.md');
            $src = (string) file_get_contents(__FILE__);
            $code = substr($src, strpos($src, "// README: reconcile begin\n") + 27, strpos($src, '// README: reconcile end') - strpos($src, "// README: reconcile begin\n") - 27);
            foreach (explode("\n", trim($code)) as $line) {
                $this->assertStringContainsString(trim($line), $readme, 'README.md lacks a line of the loop');
            }
        } finally {
            $sb->stop();
        }
    }
}
