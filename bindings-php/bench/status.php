<?php

// The PHP row of the cross-language benchmark: status calls per second against a running
// sandbox, one client, one caller (PHP has no threads: seq only). Prints one JSON line like
// bindings-c/bench/bench.c; exits non-zero if any call failed or was not Pending.
// Usage: php bench/status.php URL SECONDS   (DGA_EPAYMENT_LIB: the release library)

declare(strict_types=1);

require __DIR__ . '/../tests/bootstrap.php';

use Dga\EPayment\Client;
use Dga\EPayment\PaidStatus;

[$url, $secs] = [$argv[1] ?? '', (float) ($argv[2] ?? 0)];
if ($url === '' || $secs <= 0) {
    fwrite(STDERR, "usage: php bench/status.php URL SECONDS\n");
    exit(2);
}
$client = new Client(['consumerKey' => 'sandbox-key', 'consumerSecret' => 'sandbox-secret', 'agentId' => '1234567890121', 'gatewayUrl' => $url, 'source' => 'SANDBOX']);
$p = $client->createPayment(['customerID' => '1234567890121', 'customerTitleName' => 'นาย', 'customerFirstName' => 'ทดสอบ',
    'customerLastName' => 'ระบบ', 'paymentType' => 'FastPay', 'amount' => '100.00', 'requestReference1' => 'BENCH-PHP-' . hrtime(true)]);

$run = static function (float $secs) use ($client, $p): array {
    $calls = 0;
    $failed = 0;
    $start = hrtime(true);
    $end = $start + (int) ($secs * 1e9);
    do {
        // Check the clock every 16 calls (hrtime is cheap, but not free).
        for ($i = 0; $i < 16; $i++) {
            $client->status($p->reference1, $p->reference2)->paidStatus === PaidStatus::Pending ? $calls++ : $failed++;
        }
    } while (hrtime(true) < $end);
    return [$calls, $failed, (hrtime(true) - $start) / 1e9];
};
$run(0.5); // warm-up
[$calls, $failed, $elapsed] = $run($secs);
if ($failed > 0) {
    fwrite(STDERR, "php seq: $failed calls not Pending\n");
    exit(1);
}
printf("{\"lang\":\"php\",\"mode\":\"seq\",\"calls\":%d,\"seconds\":%.3f,\"calls_per_s\":%.1f}\n", $calls, $elapsed, $calls / $elapsed);
