<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\Log;
use Dga\EPayment\OutcomeUnknownException;
use PHPUnit\Framework\TestCase;

/** A PSR-3-shaped logger without psr/log: any object with log($level, $message, $context). */
final class CollectingLogger
{
    /** @var list<array{string, string, array<string, mixed>}> */
    public array $records = [];

    public function log($level, $message, array $context = []): void
    {
        $this->records[] = [(string) $level, (string) $message, $context];
    }

    /** @return list<array{string, string, array<string, mixed>}> */
    public function at(string $level, string $contains): array
    {
        return array_values(array_filter($this->records, static fn ($r) => $r[0] === $level && str_contains($r[1], $contains)));
    }
}

/**
 * The core's log reaches PHP (Log::setLogger, Log::setFile): records kept by the library are
 * handed over on the calling thread right after each SDK call, with their references and
 * never a secret or a token.
 */
final class LogTest extends TestCase
{
    private Sandbox $sb;

    protected function setUp(): void
    {
        $this->sb = new Sandbox();
    }

    protected function tearDown(): void
    {
        Log::setLogger(null);
        $this->sb->stop();
    }

    /** @param list<array{string, string, array<string, mixed>}> $records */
    private function assertNoSecret(array $records): void
    {
        $this->assertNotEmpty($records);
        foreach ($records as [, $message, $context]) {
            $text = $message . json_encode($context);
            $this->assertStringNotContainsString('sandbox-secret', $text);
            // The sandbox's tokens are UUIDs.
            $this->assertDoesNotMatchRegularExpression('/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/', $text);
        }
    }

    public function testAFailedCallsWarningReachesThePsr3LoggerWithItsReferences(): void
    {
        $logger = new CollectingLogger();
        Log::setLogger($logger);
        $client = $this->sb->client();
        $p = $client->createPayment(Sandbox::request(amount: '42.00'));
        $this->assertCount(1, $logger->at('info', $p->reference1), 'the create is logged as soon as it returns');

        // DGA says Pending; the delivery claims Success: refused 409, with a WARNING.
        $body = json_encode(['ref1' => $p->reference1, 'ref2' => $p->reference2, 'paidStatus' => 1, 'amount' => '42.00']);
        $reply = $client->handleCallback($body, fn () => $this->fail('not accepted'));
        $this->assertSame(409, $reply->httpStatus);
        $warnings = $logger->at('warning', "reference1={$p->reference1} reference2={$p->reference2} claims paidStatus Success but DGA does not confirm it");
        $this->assertCount(1, $warnings, json_encode($logger->records));
        $this->assertSame('dga_epayment', $warnings[0][2]['target']);

        // A create whose answer is lost: OutcomeUnknown, and what the core logs on the way.
        $this->sb->fault('create', 'reset_after', 1);
        $request = Sandbox::request(amount: '43.00');
        try {
            $client->createPayment($request);
            $this->fail('expected OutcomeUnknownException');
        } catch (OutcomeUnknownException $e) {
            $this->assertSame($request['requestReference1'], $e->reference1);
        }
        // ... logged too, with its references (the core logs it as it hands the error over).
        usleep(200_000);
        Log::drain();
        $this->assertNotEmpty($logger->at('warning', 'reference1=' . $request['requestReference1'] . ' '), json_encode($logger->records));
        // A status retried after a reset: a WARNING per failed attempt.
        $this->sb->fault('status', 'reset', 1);
        $client->status($p->reference1, $p->reference2);
        $this->assertNotEmpty($logger->at('warning', 'status attempt 1/'), json_encode($logger->records));
        $this->assertNoSecret($logger->records);
    }

    public function testACallableAndALevel(): void
    {
        $got = [];
        Log::setLogger(function (string $level, string $message, array $context) use (&$got): void {
            $got[] = [$level, $message, $context];
        }, 'warning');
        $client = $this->sb->client();
        $p = $client->createPayment(Sandbox::request(amount: '12.00'));
        $this->assertSame([], $got, 'INFO is below the level');
        $body = json_encode(['ref1' => $p->reference1, 'ref2' => $p->reference2, 'paidStatus' => 1, 'amount' => '12.00']);
        $client->handleCallback($body, fn () => null);
        $this->assertNotEmpty($got);
        foreach ($got as [$level, $message]) {
            $this->assertSame('warning', $level);
            $this->assertStringContainsString("reference1={$p->reference1}", $message);
        }
        $this->assertNoSecret($got);
    }

    public function testNoticeIsAboveInfo(): void
    {
        // PSR-3's notice sits between info and warning; the core has no notice: warnings and up.
        $logger = new CollectingLogger();
        Log::setLogger($logger, 'notice');
        $client = $this->sb->client();
        $p = $client->createPayment(Sandbox::request(amount: '14.00'));
        $body = json_encode(['ref1' => $p->reference1, 'ref2' => $p->reference2, 'paidStatus' => 1, 'amount' => '14.00']);
        $client->handleCallback($body, fn () => null);
        $this->assertNotEmpty($logger->at('warning', "reference1={$p->reference1}"));
        $this->assertSame([], array_diff(array_column($logger->records, 0), ['warning', 'error']), json_encode($logger->records));
    }

    public function testALogFileAndNoLoggerDropsRecords(): void
    {
        $file = tempnam(sys_get_temp_dir(), 'dga-log-');
        try {
            Log::setFile($file, 'warning');
            $client = $this->sb->client();
            $p = $client->createPayment(Sandbox::request(amount: '13.00'));
            $body = json_encode(['ref1' => $p->reference1, 'ref2' => $p->reference2, 'paidStatus' => 1, 'amount' => '13.00']);
            $client->handleCallback($body, fn () => null);
            $lines = file($file, FILE_IGNORE_NEW_LINES);
            $this->assertNotEmpty($lines);
            foreach ($lines as $line) {
                $this->assertMatchesRegularExpression("/^\\S+ WARNING dga_epayment: callback for reference1={$p->reference1} /", $line);
            }
            $this->assertStringNotContainsString('sandbox-secret', (string) file_get_contents($file));

            Log::setFile(null);
            $client->handleCallback($body, fn () => null);
            $this->assertCount(count($lines), file($file), 'no logger: records dropped');
            Log::setFile($file, 'warning');
            $this->assertCount(count($lines), file($file), 'nothing kept from while there was none');
        } finally {
            @unlink($file);
        }
    }

    public function testALogFileThatCannotBeWrittenIsRefusedOrFallsBackQuietly(): void
    {
        try {
            Log::setFile('/nonexistent-dir/dga.log', 'warning');
            $this->fail('refused');
        } catch (\InvalidArgumentException $e) {
            $this->assertStringContainsString("'/nonexistent-dir/dga.log'", $e->getMessage());
        }
        // Unwritable after it was set (here a directory in its place): no PHP warning, the
        // line goes to PHP's error log.
        $file = tempnam(sys_get_temp_dir(), 'dga-log-');
        $errorLog = tempnam(sys_get_temp_dir(), 'php-errors-');
        $previous = ini_set('error_log', $errorLog);
        $warnings = [];
        set_error_handler(function (int $no, string $message) use (&$warnings): bool {
            if (error_reporting() & $no) { // not silenced with @: PHP would show it
                $warnings[] = $message;
            }
            return true;
        });
        try {
            Log::setFile($file, 'warning');
            unlink($file);
            mkdir($file);
            $client = $this->sb->client();
            $p = $client->createPayment(Sandbox::request(amount: '14.00'));
            $body = json_encode(['ref1' => $p->reference1, 'ref2' => $p->reference2, 'paidStatus' => 1, 'amount' => '14.00']);
            $client->handleCallback($body, fn () => null);
            Log::setFile(null);
            $this->assertSame([], $warnings);
            $this->assertStringContainsString("reference1={$p->reference1}", (string) file_get_contents($errorLog));
        } finally {
            restore_error_handler();
            ini_set('error_log', (string) $previous);
            @rmdir($file);
            @unlink($errorLog);
        }
    }

    public function testABadLoggerOrLevelIsRefused(): void
    {
        foreach ([fn () => Log::setLogger(new \stdClass()), fn () => Log::setLogger(new CollectingLogger(), 'verbose')] as $bad) {
            try {
                $bad();
                $this->fail('refused');
            } catch (\InvalidArgumentException $e) {
                $this->assertMatchesRegularExpression('/log\(\$level|unknown log level/', $e->getMessage());
            }
        }
    }

    public function testAtShutdownTheLastRecordsAreHandedOver(): void
    {
        // A script whose last SDK call leaves a record behind (Log::drain is not called after it).
        $file = tempnam(sys_get_temp_dir(), 'dga-log-');
        $script = tempnam(sys_get_temp_dir(), 'dga-log-script-');
        try {
            $autoload = dirname(__DIR__) . '/vendor/autoload.php';
            $src = dirname(__DIR__) . '/src';
            file_put_contents($script, '<?php
                spl_autoload_register(function ($c) { $f = ' . var_export($src, true) . ' . "/" . str_replace("Dga\\\\EPayment\\\\", "", $c) . ".php"; if (is_file($f)) require $f; });
                Dga\EPayment\Log::setFile(' . var_export($file, true) . ', "debug");
                // A raw C ABI call, so no drain after it: a configuration that warns (an
                // AgentID with a wrong check digit).
                $ffi = Dga\EPayment\Native::ffi();
                $err = $ffi->new("DgaError *");
                $c = $ffi->dga_client_new(' . var_export(json_encode($this->sb->options(['agentId' => '1234567890122'])), true) . ', FFI::addr($err));
                $ffi->dga_client_free($c);
                echo "done\n";
            ');
            $out = [];
            exec('php ' . escapeshellarg($script), $out, $rc);
            $this->assertSame(0, $rc, implode("\n", $out));
            $this->assertSame(['done'], $out);
            $this->assertStringContainsString('WARNING dga_epayment: AgentID ending …0122 has a wrong check digit', (string) file_get_contents($file), 'drained at shutdown');
        } finally {
            @unlink($file);
            @unlink($script);
        }
    }
}
