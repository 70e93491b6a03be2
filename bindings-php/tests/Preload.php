<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

/** The README's PHP-FPM set-up (ffi.enable=preload) as php -d arguments. */
final class Preload
{
    /**
     * As root, PHP preloads as opcache.preload_user, where FFI::load is refused: the
     * declarations come from ffi.preload (ffi-header.php's header) and preload.php only
     * preloads the package's FFI code. As another user, preload.php does both.
     *
     * @return list<string>
     */
    public static function iniArgs(string $dir): array
    {
        $pkg = dirname(__DIR__);
        $args = ['-d', 'ffi.enable=preload', '-d', 'opcache.enable=1', '-d', 'opcache.enable_cli=1', '-d', "opcache.preload=$pkg/preload.php"];
        if (function_exists('posix_geteuid') ? posix_geteuid() === 0 : trim((string) shell_exec('id -u')) === '0') {
            [$rc, $header, $err] = Php::run([PHP_BINARY, "$pkg/ffi-header.php"]);
            if ($rc !== 0) {
                throw new \RuntimeException("ffi-header.php failed: $err");
            }
            file_put_contents("$dir/dga_epayment_ffi.h", $header);
            chmod("$dir/dga_epayment_ffi.h", 0644);
            array_push($args, '-d', "ffi.preload=$dir/dga_epayment_ffi.h", '-d', 'opcache.preload_user=nobody');
        }
        return $args;
    }
}
