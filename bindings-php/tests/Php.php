<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

/** Running PHP scripts in child processes, and the README's code blocks. */
final class Php
{
    /**
     * Runs a command; returns [exit code, stdout, stderr].
     *
     * @param list<string> $cmd
     * @param array<string, string|false> $env changes to this process's environment (false: unset)
     * @return array{int, string, string}
     */
    public static function run(array $cmd, array $env = [], ?string $cwd = null): array
    {
        $full = getenv();
        foreach ($env as $k => $v) {
            if ($v === false) {
                unset($full[$k]);
            } else {
                $full[$k] = $v;
            }
        }
        $p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, $full);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($p), (string) $out, (string) $err];
    }

    /** A directory that looks like a Composer app's root: vendor/autoload.php loads this package. */
    public static function app(): string
    {
        $dir = sys_get_temp_dir() . '/dga-php-app-' . getmypid() . '-' . bin2hex(random_bytes(3));
        mkdir("$dir/vendor", 0755, true);
        chmod($dir, 0777); // the endpoint may write paid-orders.log as another user
        file_put_contents("$dir/vendor/autoload.php", "<?php\nrequire " . var_export(__DIR__ . '/bootstrap.php', true) . ";\n");
        return $dir;
    }

    /** The ```php block under README.md's heading $heading (the $n-th block there, from 0). */
    public static function readmeBlock(string $heading, int $n = 0): string
    {
        $readme = (string) file_get_contents(dirname(__DIR__) . '/README.md');
        $start = strpos($readme, "\n$heading\n");
        if ($start === false) {
            throw new \RuntimeException("README.md has no '$heading'");
        }
        $end = strpos($readme, "\n## ", $start + strlen($heading) + 2);
        $section = substr($readme, $start, $end === false ? null : $end - $start);
        preg_match_all('/```php\n(.*?)```/s', $section, $m);
        if (!isset($m[1][$n])) {
            throw new \RuntimeException("no php block $n under '$heading'");
        }
        return $m[1][$n];
    }
}
