<?php

// Memory across many calls: resident set size (VmRSS) before and after N calls of
// Callback::parse (no network) and of Client::status against a sandbox. Every char* and
// DgaError the library hands out must be freed, so RSS stays flat.
// Usage: php bench/rss.php SANDBOX_URL [N=100000]   (DGA_EPAYMENT_LIB as for the tests)

declare(strict_types=1);

require __DIR__ . '/../tests/bootstrap.php';

use Dga\EPayment\Callback;
use Dga\EPayment\Client;
use Dga\EPayment\ApiException;

$url = $argv[1] ?? exit("usage: php bench/rss.php SANDBOX_URL [N]\n");
$n = (int) ($argv[2] ?? 100000);

function rss_kb(): int
{
    preg_match('/^VmRSS:\s+(\d+)/m', (string) file_get_contents('/proc/self/status'), $m);
    return (int) $m[1];
}

$body = '{"paidStatus": 1, "paidDate": "2024-03-07T15:42:28", "paidChannel": "x", "confirmPaidDate": "2024-03-07T15:42:28", '
    . '"refId": "1", "ref1": "A", "ref2": "", "paymentType": 3, "feeAmount": 0, "amount": 1000.50}';
$client = new Client(['consumerKey' => 'sandbox-key', 'consumerSecret' => 'sandbox-secret', 'agentId' => '1234567890121', 'gatewayUrl' => $url, 'source' => 'SANDBOX']);
$p = $client->createPayment(['customerID' => '1234567890121', 'customerTitleName' => 'นาย', 'customerFirstName' => 'ทดสอบ',
    'customerLastName' => 'ระบบ', 'paymentType' => 'FastPay', 'amount' => '100.00', 'requestReference1' => 'RSS-' . hrtime(true)]);

$results = [];
$cases = [
    'Callback::parse' => static fn () => Callback::parse($body),
    'Callback::parse (invalid: a CallbackException each)' => static function () {
        try {
            Callback::parse('{"paidStatus": true}');
        } catch (\Dga\EPayment\CallbackException) {
        }
    },
    'Client::status' => static fn () => $client->status($p->reference1, $p->reference2),
    'Client::status (unknown: an ApiException each)' => static function () use ($client) {
        try {
            $client->status('NO-SUCH-REF');
        } catch (ApiException) {
        }
    },
];
foreach ($cases as $name => $f) {
    for ($i = 0; $i < 1000; $i++) { // warm-up: allocator pools, token, connection
        $f();
    }
    gc_collect_cycles();
    $before = rss_kb();
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $f();
    }
    gc_collect_cycles();
    $after = rss_kb();
    $s = (hrtime(true) - $t) / 1e9;
    $results[] = ['call' => $name, 'calls' => $n, 'rssBeforeKb' => $before, 'rssAfterKb' => $after, 'growthKb' => $after - $before, 'seconds' => round($s, 2)];
    printf("%-52s %d calls: RSS %d kB -> %d kB (%+d kB) in %.1f s\n", $name, $n, $before, $after, $after - $before, $s);
}
file_put_contents('php://stderr', json_encode($results) . "\n");
