<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\Client;
use Dga\EPayment\PaymentType;

/**
 * The dga-sandbox binary on a free loopback port (--port 0; its first stdout line says where),
 * one per test run, and its control API over PHP's http stream wrapper (always with
 * Content-Type: application/json, which the control API requires).
 */
final class Sandbox
{
    public const AGENT_ID = '1234567890121';

    private static ?self $shared = null;
    private static int $seq = 0;

    /** @var resource */
    private $process;
    /** @var array<int, resource> */
    private array $pipes = [];
    public readonly string $url;

    public static function shared(): self
    {
        return self::$shared ??= new self();
    }

    public static function binary(): string
    {
        $bin = getenv('DGA_SANDBOX') ?: dirname(__DIR__, 2) . '/target/x86_64-unknown-linux-gnu/debug/dga-sandbox';
        if (!is_file($bin)) {
            throw new \RuntimeException("no sandbox binary at $bin: cargo build -p dga-sandbox (or set DGA_SANDBOX)");
        }
        return $bin;
    }

    /**
     * @param list<string> $args more sandbox arguments (--tls-cert FILE --tls-key FILE for HTTPS)
     * @param ?string $caFile the CA the control API calls trust, for an HTTPS sandbox
     */
    public function __construct(array $args = [], private readonly ?string $caFile = null)
    {
        $spec = [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']];
        $p = proc_open([self::binary(), '--port', '0', ...$args], $spec, $this->pipes);
        if ($p === false) {
            throw new \RuntimeException('cannot start the sandbox');
        }
        $this->process = $p;
        $line = fgets($this->pipes[1]);
        if ($line === false || !str_starts_with($line, 'listening on ')) {
            $this->stop();
            throw new \RuntimeException('the sandbox did not start: ' . var_export($line, true));
        }
        $this->url = trim(substr($line, strlen('listening on ')));
        // Never let the sandbox block on a full stdout pipe: read it without waiting from now on.
        stream_set_blocking($this->pipes[1], false);
        register_shutdown_function([$this, 'stop']);
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
    }

    /** @return array<string, mixed> the options of a client for this sandbox */
    public function options(array $over = []): array
    {
        return $over + [
            'consumerKey' => 'sandbox-key',
            'consumerSecret' => 'sandbox-secret',
            'agentId' => self::AGENT_ID,
            'gatewayUrl' => $this->url,
            'source' => 'SANDBOX',
            'timeoutMs' => 5000,
            // Fast retries so fault tests do not wait on real backoff.
            'retry' => ['backoffBaseMs' => 1, 'backoffCapMs' => 5],
        ];
    }

    public function client(array $over = []): Client
    {
        return new Client($this->options($over));
    }

    public static function uniqueRef(string $prefix = 'PHP'): string
    {
        return $prefix . '-' . getmypid() . '-' . hrtime(true) % 1000000000 . '-' . ++self::$seq;
    }

    /** @return array<string, mixed> a valid create request */
    public static function request(PaymentType $type = PaymentType::FastPay, string|int|float $amount = '1000.50', array $over = []): array
    {
        return $over + [
            'customerID' => self::AGENT_ID,
            'customerTitleName' => 'นาย',
            'customerFirstName' => 'ทดสอบ',
            'customerLastName' => 'ระบบ',
            'paymentType' => $type,
            'amount' => $amount,
            'requestReference1' => self::uniqueRef(),
            'requestReference2' => 'R2',
        ];
    }

    /** A payment the citizen paid (no callback delivered); returns [payment, refId]. */
    public function paidPayment(Client $client, PaymentType $type = PaymentType::FastPay, string $amount = '1000.50'): array
    {
        $p = $client->createPayment(self::request($type, $amount));
        $st = $this->simulate($p->reference1, $p->reference2, 'pay', false);
        return [$p, (string) $st['refId']];
    }

    /** POST /__sandbox/simulate; returns the transaction's status data. */
    public function simulate(string $r1, string $r2, string $outcome, bool $deliver = true): array
    {
        return $this->post('/__sandbox/simulate', ['reference1' => $r1, 'reference2' => $r2, 'outcome' => $outcome, 'deliverCallback' => $deliver]);
    }

    public function fault(string $endpoint, string $kind, int $count = 1, array $extra = []): void
    {
        $this->post('/__sandbox/faults', ['endpoint' => $endpoint, 'kind' => $kind, 'count' => $count] + $extra);
    }

    public function clearFaults(): void
    {
        $this->send('DELETE', '/__sandbox/faults', null);
    }

    /** @return list<array<string, mixed>> */
    public function callbacks(): array
    {
        return $this->get('/__sandbox/callbacks');
    }

    public function get(string $path): mixed
    {
        [$code, $body] = $this->send('GET', $path, null);
        if ($code !== 200) {
            throw new \RuntimeException("GET $path answered $code: $body");
        }
        return json_decode($body, true, 512, JSON_THROW_ON_ERROR);
    }

    public function post(string $path, array|\stdClass $body): mixed
    {
        [$code, $text] = $this->send('POST', $path, json_encode($body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
        if ($code !== 200) {
            throw new \RuntimeException("POST $path answered $code: $text");
        }
        return json_decode($text, true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return array{int, string} HTTP status and body */
    public function send(string $method, string $path, ?string $body, string $contentType = 'application/json'): array
    {
        return self::http($method, $this->url . $path, $body, $contentType, $this->caFile);
    }

    /** @return array{int, string} */
    public static function http(string $method, string $url, ?string $body, string $contentType = 'application/json', ?string $caFile = null): array
    {
        $options = ['http' => [
            'method' => $method,
            'header' => "Content-Type: $contentType\r\nConnection: close\r\n",
            'content' => $body ?? '',
            'ignore_errors' => true,
            'timeout' => 10,
        ]];
        if ($caFile !== null) {
            $options['ssl'] = ['cafile' => $caFile, 'verify_peer' => true, 'verify_peer_name' => true];
        }
        $ctx = stream_context_create($options);
        $text = @file_get_contents($url, false, $ctx);
        $code = 0;
        foreach ($http_response_header ?? [] as $h) {
            if (preg_match('~^HTTP/\S+ (\d{3})~', $h, $m)) {
                $code = (int) $m[1];
            }
        }
        return [$code, $text === false ? '' : $text];
    }

    public static function freePort(): int
    {
        $s = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($s, false);
        fclose($s);
        return (int) substr((string) $name, strrpos((string) $name, ':') + 1);
    }

    /** The library the tests load (test.sh sets DGA_EPAYMENT_LIB). */
    public static function library(): string
    {
        return getenv('DGA_EPAYMENT_LIB') ?: dirname(__DIR__, 2) . '/target/x86_64-unknown-linux-gnu/debug/libdga_epayment.so';
    }
}
