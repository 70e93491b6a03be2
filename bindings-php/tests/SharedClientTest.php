<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\ApiException;
use Dga\EPayment\Client;
use Dga\EPayment\ErrorCode;
use PHPUnit\Framework\TestCase;

/**
 * Client::shared: one token per PHP worker. The worker is php-cgi serving FastCGI (what PHP-FPM
 * runs) in one process, with the README's PHP-FPM preload set-up; the token fetches are counted
 * in the sandbox's request log.
 */
final class SharedClientTest extends TestCase
{
    public function testSharedClientIsOneClientPerConfiguration(): void
    {
        $sb = new Sandbox();
        try {
            $a = Client::shared($sb->options());
            $this->assertNotFound($a);
            // The same options in another order: the same client, no second token.
            $b = Client::shared(array_reverse($sb->options(), true));
            $this->assertNotFound($b);
            $this->assertSame(1, $this->tokens($sb));
            unset($a, $b); // releases the handles only
            $this->assertNotFound(Client::shared($sb->options()));
            $this->assertSame(1, $this->tokens($sb), 'the worker still holds the client');
            $this->assertNotFound(Client::shared($sb->options(['source' => 'DGA'])));
            $this->assertSame(2, $this->tokens($sb), 'other options, another client');
        } finally {
            $sb->stop();
        }
    }

    public function testOnePhpCgiWorkerFetchesOneTokenFor100Requests(): void
    {
        $shared = $this->runWorker('shared', 100);
        $perRequest = $this->runWorker('new', 100);
        fwrite(STDERR, "\nPHP worker, 100 requests: token fetches with Client::shared {$shared}, with new Client {$perRequest}\n");
        $this->assertSame(1, $shared);
        $this->assertSame(100, $perRequest);
    }

    /** Runs $n requests through one php-cgi FastCGI worker; returns the token fetches. */
    private function runWorker(string $mode, int $n): int
    {
        $cgi = trim((string) shell_exec('command -v php-cgi'));
        $this->assertNotSame('', $cgi, 'php-cgi is installed by test.sh');
        $sb = new Sandbox();
        $app = Php::app();
        // The README's status.php, run as written (or with `new Client` in its place), from a
        // front script that shows what an unknown reference gives and which process served it.
        $page = Php::readmeBlock('### One token per worker: `Client::shared`');
        if ($mode !== 'shared') {
            $page = str_replace('Dga\EPayment\Client::shared(', 'new Dga\EPayment\Client(', $page);
        }
        file_put_contents("$app/status.php", $page);
        chmod("$app/status.php", 0644);
        $script = "$app/front.php";
        file_put_contents($script, "<?php\ntry { require __DIR__ . '/status.php'; }\n"
            . "catch (Dga\\EPayment\\ApiException \$e) { echo getmypid(), ':', \$e->errorCode?->name; }\n");
        chmod($script, 0644);
        $port = Sandbox::freePort();
        $log = "$app/cgi.log";
        // PHP_FCGI_CHILDREN=0: the process serves the requests itself, one after another: one
        // worker, as one PHP-FPM child.
        $env = getenv() + ['PHP_FCGI_CHILDREN' => '0', 'PHP_FCGI_MAX_REQUESTS' => '10000', 'DGA_EPAYMENT_LIB' => Sandbox::library()];
        $env['PHP_FCGI_CHILDREN'] = '0';
        $worker = proc_open([$cgi, ...Preload::iniArgs($app), '-d', 'cgi.force_redirect=0', '-b', "127.0.0.1:$port"], [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']], $pipes, $app, $env);
        try {
            $pids = [];
            for ($i = 0; $i < $n; $i++) {
                $out = $this->fastcgi($port, $script, ['QUERY_STRING' => 'reference1=FPM-UNKNOWN', 'DGA_GATEWAY_URL' => $sb->url]);
                $this->assertMatchesRegularExpression('/(\d+):TransactionNotFound$/', $out, "request $i: $out " . @file_get_contents($log));
                preg_match('/(\d+):TransactionNotFound$/', $out, $m);
                $pids[$m[1]] = true;
            }
            $this->assertCount(1, $pids, 'one worker process served every request');
            return $this->tokens($sb);
        } finally {
            proc_terminate($worker);
            proc_close($worker);
            $sb->stop();
        }
    }

    private function assertNotFound(Client $c): void
    {
        try {
            $c->status('SHARED-UNKNOWN');
            $this->fail('status of an unknown reference');
        } catch (ApiException $e) {
            $this->assertSame(ErrorCode::TransactionNotFound, $e->errorCode);
        }
    }

    private function tokens(Sandbox $sb): int
    {
        return count(array_filter($sb->get('/__sandbox/requests'), static fn ($r) => $r['endpoint'] === 'token'));
    }

    /** One FastCGI request (the protocol PHP-FPM speaks; version 1, RESPONDER); the body. */
    /** @param array<string, string> $more */
    private function fastcgi(int $port, string $script, array $more): string
    {
        $s = null;
        for ($i = 0; $i < 200 && !$s; $i++) {
            $s = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 1.0);
            if (!$s) {
                usleep(20000);
            }
        }
        $this->assertNotFalse($s, "php-cgi listens on $port");
        $record = static fn (int $type, string $body): string => pack('CCnnCx', 1, $type, 1, strlen($body), 0) . $body;
        $params = '';
        foreach (['SCRIPT_FILENAME' => $script, 'SCRIPT_NAME' => '/status.php', 'REQUEST_URI' => '/status.php', 'REQUEST_METHOD' => 'GET', 'SERVER_PROTOCOL' => 'HTTP/1.1', 'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_NAME' => 'localhost', 'REDIRECT_STATUS' => '200'] + $more as $k => $v) {
            $params .= chr(strlen($k)) . chr(strlen($v)) . $k . $v; // every length < 128
        }
        fwrite($s, $record(1, pack('nCx5', 1, 0)) . $record(4, $params) . $record(4, '') . $record(5, ''));
        $stdout = '';
        while (true) {
            $head = $this->readExactly($s, 8);
            $h = unpack('Cversion/Ctype/nid/nlength/Cpadding', $head);
            $body = $this->readExactly($s, $h['length'] + $h['padding']);
            if ($h['type'] === 6) {
                $stdout .= substr($body, 0, $h['length']);
            } elseif ($h['type'] === 3) {
                break;
            }
        }
        fclose($s);
        $split = strpos($stdout, "\r\n\r\n");
        return $split === false ? $stdout : substr($stdout, $split + 4);
    }

    /** @param resource $s */
    private function readExactly($s, int $n): string
    {
        $data = '';
        while (strlen($data) < $n) {
            $chunk = fread($s, $n - strlen($data));
            if ($chunk === false || ($chunk === '' && feof($s))) {
                $this->fail('php-cgi closed the connection early');
            }
            $data .= $chunk;
        }
        return $data;
    }
}
