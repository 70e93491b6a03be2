<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * Where the SDK's log records go: a PSR-3 logger (any object with a `log($level, $message,
 * array $context)` method; psr/log is not required), a callable of the same arguments, or a
 * file; without one they are dropped. PHP is never entered from the library's threads: the
 * library keeps the records (dga_log_buffer), handed over here after each SDK call and at
 * shutdown. Keep the WARNINGs (a callback DGA does not confirm, an outcome logged after its
 * caller left); they name references, never a secret. The context has 'target' ("dga_epayment").
 */
final class Log
{
    /** Records kept between two drains; more are dropped and counted in a first WARNING. */
    private const CAPACITY = 1024;

    /**
     * PSR-3 levels to the core's DgaLogLevel (the least severe one delivered). The core has no
     * notice: above info, it delivers warnings and up.
     */
    private const LEVELS = ['emergency' => 1, 'alert' => 1, 'critical' => 1, 'error' => 1, 'warning' => 2, 'notice' => 2, 'info' => 3, 'debug' => 4];

    /** The core's DgaLogLevel (1 error ... 5 trace) to PSR-3 levels. */
    private const NAMES = [1 => 'error', 2 => 'warning', 3 => 'info', 4 => 'debug', 5 => 'debug'];

    /** @var (\Closure(string, string, array<string, mixed>): void)|null */
    private static ?\Closure $sink = null;

    private static bool $shutdownHook = false;

    /**
     * Sends the records at $level and more severe (a PSR-3 level name, default 'info') to
     * $logger; null stops them. Process-wide (PHP-FPM: per worker, so set it in a bootstrap
     * file every request includes).
     *
     * @param object|callable|null $logger a PSR-3 logger, or fn (string $level, string $message, array $context)
     */
    public static function setLogger(object|callable|null $logger, string $level = 'info'): void
    {
        if ($logger === null) {
            self::install(null, $level);
            return;
        }
        if (is_object($logger) && method_exists($logger, 'log')) {
            self::install(static function (string $lvl, string $message, array $context) use ($logger): void {
                $logger->log($lvl, $message, $context);
            }, $level);
            return;
        }
        if (!is_callable($logger)) {
            throw new \InvalidArgumentException('the logger is neither an object with a log($level, $message, $context) method nor a callable');
        }
        self::install(\Closure::fromCallable($logger), $level);
    }

    /**
     * Appends the records at $level and more severe to the file at $path, one line each
     * ("2026-01-31T10:00:00+07:00 WARNING dga_epayment: message"); null stops them. A path
     * that cannot be appended to is refused at once (\InvalidArgumentException naming it).
     */
    public static function setFile(?string $path, string $level = 'info'): void
    {
        if ($path === null) {
            self::install(null, $level);
            return;
        }
        $file = @fopen($path, 'ab');
        if ($file === false) {
            throw new \InvalidArgumentException("cannot append to the log file '$path': " . (error_get_last()['message'] ?? 'refused'));
        }
        fclose($file);
        self::install(static function (string $lvl, string $message, array $context) use ($path): void {
            $line = date('c') . ' ' . strtoupper($lvl) . ' ' . ($context['target'] ?? 'dga_epayment') . ': '
                . str_replace(["\r", "\n"], ' ', $message) . "\n";
            // A file gone unwritable must not print a PHP warning into the HTTP answer
            // (display_errors): the line goes to PHP's own error log instead.
            if (@file_put_contents($path, $line, FILE_APPEND | LOCK_EX) === false) {
                error_log(rtrim($line));
            }
        }, $level);
    }

    /** @param (\Closure(string, string, array<string, mixed>): void)|null $sink */
    private static function install(?\Closure $sink, string $level): void
    {
        $number = self::LEVELS[strtolower($level)] ?? null;
        if ($number === null) {
            throw new \InvalidArgumentException("unknown log level '$level' (a PSR-3 level: debug, info, notice, warning, error, ...)");
        }
        $ffi = Native::ffi();
        if ($sink === null) {
            self::drain();
            self::$sink = null;
            $ffi->dga_log_buffer(0);
            return;
        }
        $ffi->dga_set_log_level($number);
        $ffi->dga_log_buffer(self::CAPACITY);
        self::$sink = $sink;
        if (!self::$shutdownHook) {
            self::$shutdownHook = true;
            register_shutdown_function([self::class, 'drain']);
        }
    }

    /**
     * Hands the records kept since the last drain to the logger, on this thread. The SDK calls
     * it after each call and at shutdown; call it yourself in a long-running worker between jobs.
     * A logger that throws loses that record, never the SDK call's own result.
     */
    public static function drain(): void
    {
        $sink = self::$sink;
        if ($sink === null) {
            return;
        }
        $json = Native::take(Native::ffi()->dga_log_drain());
        if ($json === null) {
            return;
        }
        $records = json_decode($json, true);
        foreach (is_array($records) ? $records : [] as $r) {
            try {
                $sink(self::NAMES[$r['level'] ?? 2] ?? 'warning', (string) ($r['message'] ?? ''), ['target' => (string) ($r['target'] ?? '')]);
            } catch (\Throwable $e) {
                error_log('dga/epayment: the logger threw ' . get_class($e) . ': ' . $e->getMessage());
            }
        }
    }
}
