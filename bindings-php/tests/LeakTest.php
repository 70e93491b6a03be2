<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\ApiException;
use Dga\EPayment\Callback;
use Dga\EPayment\CallbackException;
use PHPUnit\Framework\TestCase;

/**
 * Every char* and DgaError the library hands out is freed: resident memory stays flat over
 * thousands of calls (a leaked result string would grow it by megabytes). bench/rss.php gives
 * the figures over 100 000 calls.
 */
final class LeakTest extends TestCase
{
    private const LIMIT_KB = 256;

    private static function rssKb(): int
    {
        preg_match('/^VmRSS:\s+(\d+)/m', (string) file_get_contents('/proc/self/status'), $m);
        return (int) $m[1];
    }

    private function assertFlat(int $n, callable $f): void
    {
        for ($i = 0; $i < 500; $i++) {
            $f($i);
        }
        gc_collect_cycles();
        $before = self::rssKb();
        for ($i = 0; $i < $n; $i++) {
            $f($i);
        }
        gc_collect_cycles();
        $growth = self::rssKb() - $before;
        $this->assertLessThan(self::LIMIT_KB, $growth, "RSS grew by $growth kB over $n calls");
    }

    public function testParseAndItsErrorsDoNotLeak(): void
    {
        $good = '{"paidStatus": 1, "paidDate": "2024-03-07T15:42:28", "paidChannel": "x", "confirmPaidDate": "2024-03-07T15:42:28", '
            . '"refId": "1", "ref1": "A", "ref2": "", "paymentType": 3, "feeAmount": 0, "amount": 1000.50}';
        $this->assertFlat(10000, static function (int $i) use ($good): void {
            if ($i % 2 === 0) {
                Callback::parse($good);
                return;
            }
            try {
                Callback::parse('{"paidStatus": true}');
            } catch (CallbackException) {
            }
        });
    }

    public function testStatusAndItsErrorsDoNotLeak(): void
    {
        $client = Sandbox::shared()->client();
        $p = $client->createPayment(Sandbox::request());
        $this->assertFlat(3000, static function (int $i) use ($client, $p): void {
            if ($i % 2 === 0) {
                $client->status($p->reference1, $p->reference2);
                return;
            }
            try {
                $client->status('NO-SUCH-REF');
            } catch (ApiException) {
            }
        });
    }
}
