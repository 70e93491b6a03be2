<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

/**
 * A php-cgi FastCGI worker (what PHP-FPM runs: one process serving requests one after
 * another), with the README's PHP-FPM preload set-up, and a minimal FastCGI client for it
 * (version 1, RESPONDER).
 */
final class FastCgi
{
    /** @var resource */
    private $process;
    public readonly int $port;

    /** @param array<string, string> $env more environment for the worker */
    public function __construct(public readonly string $app, public readonly string $log, array $env = [])
    {
        $cgi = trim((string) shell_exec('command -v php-cgi'));
        if ($cgi === '') {
            throw new \RuntimeException('php-cgi is not installed (test.sh installs it)');
        }
        $this->port = Sandbox::freePort();
        // PHP_FCGI_CHILDREN=0: the process serves the requests itself, one after another: one
        // worker, as one PHP-FPM child.
        $env = ['PHP_FCGI_CHILDREN' => '0', 'PHP_FCGI_MAX_REQUESTS' => '10000', 'DGA_EPAYMENT_LIB' => Sandbox::library()] + $env + getenv();
        $p = proc_open([$cgi, ...Preload::iniArgs($app), '-d', 'cgi.force_redirect=0', '-b', "127.0.0.1:{$this->port}"], [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'w'], 2 => ['file', $log, 'a']], $pipes, $app, $env);
        if ($p === false) {
            throw new \RuntimeException('cannot start php-cgi');
        }
        $this->process = $p;
    }

    public function stop(): void
    {
        proc_terminate($this->process);
        proc_close($this->process);
    }

    /**
     * One request to $script; returns [HTTP status (the CGI Status header, 200 without one),
     * response body].
     *
     * @param array<string, string> $params more FastCGI parameters
     * @return array{int, string}
     */
    public function request(string $script, array $params = [], string $method = 'GET', string $body = ''): array
    {
        $s = null;
        for ($i = 0; $i < 200 && !$s; $i++) {
            $s = @stream_socket_client("tcp://127.0.0.1:{$this->port}", $errno, $errstr, 1.0);
            if (!$s) {
                usleep(20000);
            }
        }
        if (!$s) {
            throw new \RuntimeException("php-cgi does not listen on {$this->port}: " . @file_get_contents($this->log));
        }
        $record = static fn (int $type, string $content): string => pack('CCnnCx', 1, $type, 1, strlen($content), 0) . $content;
        $length = static fn (string $v): string => strlen($v) < 128 ? chr(strlen($v)) : pack('N', strlen($v) | 0x80000000);
        $name = '/' . basename($script);
        $all = ['SCRIPT_FILENAME' => $script, 'SCRIPT_NAME' => $name, 'REQUEST_URI' => $name, 'REQUEST_METHOD' => $method, 'SERVER_PROTOCOL' => 'HTTP/1.1', 'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_NAME' => 'localhost', 'REDIRECT_STATUS' => '200', 'CONTENT_LENGTH' => (string) strlen($body), 'CONTENT_TYPE' => 'application/json'] + $params;
        $encoded = '';
        foreach ($all as $k => $v) {
            $encoded .= $length($k) . $length($v) . $k . $v;
        }
        $out = $record(1, pack('nCx5', 1, 0)) . $record(4, $encoded) . $record(4, '');
        foreach (str_split($body, 65535) as $chunk) {
            if ($chunk !== '') {
                $out .= $record(5, $chunk);
            }
        }
        fwrite($s, $out . $record(5, ''));
        $stdout = '';
        while (true) {
            $h = unpack('Cversion/Ctype/nid/nlength/Cpadding', self::readExactly($s, 8));
            $content = self::readExactly($s, $h['length'] + $h['padding']);
            if ($h['type'] === 6) {
                $stdout .= substr($content, 0, $h['length']);
            } elseif ($h['type'] === 3) {
                break;
            }
        }
        fclose($s);
        $split = strpos($stdout, "\r\n\r\n");
        $head = $split === false ? '' : substr($stdout, 0, $split);
        $status = preg_match('/^Status: (\d{3})/mi', $head, $m) ? (int) $m[1] : 200;
        return [$status, $split === false ? $stdout : substr($stdout, $split + 4)];
    }

    /** @param resource $s */
    private static function readExactly($s, int $n): string
    {
        $data = '';
        while (strlen($data) < $n) {
            $chunk = fread($s, $n - strlen($data));
            if ($chunk === false || ($chunk === '' && feof($s))) {
                throw new \RuntimeException('php-cgi closed the connection early');
            }
            $data .= $chunk;
        }
        return $data;
    }
}
