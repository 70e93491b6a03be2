<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\PaymentType;
use PHPUnit\Framework\TestCase;

/**
 * The README's code as written: the quick start against the sandbox, and the plain-PHP
 * callback endpoint served by `php -S`, registered as the sandbox's callback URL, receiving
 * the sandbox's callback after a simulated payment and answering with the core's reply.
 */
final class ReadmeTest extends TestCase
{
    public function testQuickStartRunsAsWritten(): void
    {
        $sb = Sandbox::shared();
        $app = Php::app();
        $code = Php::readmeBlock('## Quick start');
        $this->assertStringContainsString("getenv('DGA_GATEWAY_URL') ?: 'http://127.0.0.1:8580'", $code);
        file_put_contents("$app/quickstart.php", $code);
        [$rc, $out, $err] = Php::run([PHP_BINARY, 'quickstart.php'], ['DGA_GATEWAY_URL' => $sb->url], $app);
        $this->assertSame(0, $rc, $out . $err);
        $this->assertSame('', $err);
        $this->assertMatchesRegularExpression('/^checkout page for order \d+: \d+ bytes\nPending\n$/', $out);
    }

    public function testPlainPhpEndpointAnswersARealCallback(): void
    {
        $sb = Sandbox::shared();
        $app = Php::app();
        file_put_contents("$app/dga-callback.php", Php::readmeBlock("## Answering DGA's callback (plain PHP)"));
        $port = Sandbox::freePort();
        $env = getenv() + [
            'DGA_CONSUMER_KEY' => 'sandbox-key', 'DGA_CONSUMER_SECRET' => 'sandbox-secret',
            'DGA_AGENT_ID' => Sandbox::AGENT_ID, 'DGA_GATEWAY_URL' => $sb->url, 'DGA_SOURCE' => 'SANDBOX',
        ];
        $log = "$app/server.log";
        // The built-in server is not the CLI: under Debian's ffi.enable=preload it may use FFI
        // only through preloading, as PHP-FPM does. So it runs with the README's PHP-FPM set-up.
        $server = proc_open([PHP_BINARY, ...Preload::iniArgs($app), '-S', "127.0.0.1:$port", '-t', $app], [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']], $pipes, $app, $env);
        try {
            $this->waitForPort($port);
            // Not a POST: the endpoint refuses before touching the SDK.
            [$code] = Sandbox::http('GET', "http://127.0.0.1:$port/dga-callback.php", null);
            $this->assertSame(405, $code);

            $client = $sb->client();
            $p = $client->createPayment(Sandbox::request(PaymentType::FastPay, '321.00'));
            $sb->post('/__sandbox/config', ['callbackUrl' => "http://127.0.0.1:$port/dga-callback.php", 'callbackRetryDelayMs' => 50]);
            $sb->simulate($p->reference1, $p->reference2, 'pay', true);
            $delivery = null;
            for ($i = 0; $i < 250 && $delivery === null; $i++) {
                foreach ($sb->callbacks() as $d) {
                    if ($d['reference1'] === $p->reference1 && $d['httpStatus'] !== null) {
                        $delivery = $d;
                    }
                }
                if ($delivery === null) {
                    usleep(20000);
                }
            }
            $this->assertNotNull($delivery, 'a callback was delivered; server log: ' . @file_get_contents($log));
            $this->assertSame(200, $delivery['httpStatus'], json_encode($delivery) . @file_get_contents($log));
            $this->assertTrue($delivery['accepted'], 'the sandbox took the ack');
            $this->assertTrue(json_decode($delivery['responseBody'], true)['result']);

            $recorded = array_map(static fn ($l) => json_decode($l, true), file("$app/paid-orders.log", FILE_IGNORE_NEW_LINES));
            $mine = array_values(array_filter($recorded, static fn ($r) => $r['ref1'] === $p->reference1));
            $this->assertCount(1, $mine, 'recorded once');
            $this->assertSame(0, bccomp('321.00', $mine[0]['amount'], 2));
            $this->assertSame($client->status($p->reference1, $p->reference2)->refId, $mine[0]['refId'], "DGA's refId");

            // A forged POST to the same endpoint: refused with the core's reply, nothing recorded.
            [$code, $body] = Sandbox::http('POST', "http://127.0.0.1:$port/dga-callback.php", '{"paidStatus": 1', 'application/json');
            $this->assertSame(400, $code);
            $this->assertFalse(json_decode($body, true)['result']);
            $this->assertCount(count($recorded), file("$app/paid-orders.log"));

            // A body past the endpoint's 64 KiB cap is not taken: the core's 413.
            [$code, $body] = Sandbox::http('POST', "http://127.0.0.1:$port/dga-callback.php", str_repeat(' ', 70000) . '{}', 'application/json');
            $this->assertSame(413, $code);
            $this->assertFalse(json_decode($body, true)['result']);
        } finally {
            $sb->post('/__sandbox/config', ['callbackUrl' => null]);
            proc_terminate($server);
            proc_close($server);
        }
    }

    private function waitForPort(int $port): void
    {
        for ($i = 0; $i < 200; $i++) {
            $s = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 0.1);
            if ($s !== false) {
                fclose($s);
                return;
            }
            usleep(20000);
        }
        $this->fail("php -S did not listen on $port");
    }
}
