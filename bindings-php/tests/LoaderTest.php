<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\HeaderText;
use Dga\EPayment\LibraryLoadException;
use Dga\EPayment\Native;
use PHPUnit\Framework\TestCase;

/**
 * Where the library is looked for (DGA_EPAYMENT_LIB, the package's lib/, the system's), the
 * declarations taken from the committed header, and the PHP-FPM preload set-up. Each case runs
 * in a fresh PHP process, since a process loads the library once.
 */
final class LoaderTest extends TestCase
{
    private const PROBE = 'require %s; echo \Dga\EPayment\Native::loadedFrom(), "|", \Dga\EPayment\Callback::ack(true);';

    /** @var list<string> the package copies made, removed after the class's tests */
    private static array $copies = [];

    public static function tearDownAfterClass(): void
    {
        foreach (self::$copies as $dir) {
            self::remove($dir);
        }
        self::$copies = [];
    }

    /** Removes a file or a directory tree (each copy holds a 75 MB library). */
    private static function remove(string $path): void
    {
        if (is_dir($path) && !is_link($path)) {
            foreach (array_diff(scandir($path), ['.', '..']) as $entry) {
                self::remove("$path/$entry");
            }
            rmdir($path);
        } elseif (file_exists($path) || is_link($path)) {
            unlink($path);
        }
    }

    /** A copy of the package (src, include, lib/) in a temporary directory; returns its path. */
    private static function packageCopy(bool $withLib): string
    {
        $dir = sys_get_temp_dir() . '/dga-php-pkg-' . getmypid() . '-' . bin2hex(random_bytes(3));
        self::$copies[] = $dir;
        $src = dirname(__DIR__);
        mkdir("$dir/lib", 0755, true);
        foreach (['src', 'src/Generated', 'include'] as $d) {
            mkdir("$dir/$d");
            foreach (glob("$src/$d/*") as $f) {
                if (is_file($f)) {
                    copy($f, "$dir/$d/" . basename($f));
                }
            }
        }
        file_put_contents("$dir/autoload.php", "<?php spl_autoload_register(function (\$c) { \$f = __DIR__ . '/src/' . str_replace('\\\\', '/', substr(\$c, strlen('Dga\\\\EPayment\\\\'))) . '.php'; if (is_file(\$f)) require \$f; });");
        if ($withLib) {
            copy(Sandbox::library(), "$dir/lib/libdga_epayment.so");
        }
        return $dir;
    }

    private static function probe(string $pkg, array $env): array
    {
        return Php::run([PHP_BINARY, '-r', sprintf(self::PROBE, var_export("$pkg/autoload.php", true))], $env + ['LD_LIBRARY_PATH' => false]);
    }

    public function testEnvironmentVariableWins(): void
    {
        $pkg = self::packageCopy(true);
        [$rc, $out, $err] = self::probe($pkg, ['DGA_EPAYMENT_LIB' => Sandbox::library()]);
        $this->assertSame(0, $rc, $err);
        $this->assertStringStartsWith(Sandbox::library() . '|{"requestTimeStamp"', $out);
    }

    public function testPackagesLibDirectoryNext(): void
    {
        $pkg = self::packageCopy(true);
        [$rc, $out, $err] = self::probe($pkg, ['DGA_EPAYMENT_LIB' => false]);
        $this->assertSame(0, $rc, $err);
        $this->assertStringStartsWith("$pkg/lib/libdga_epayment.so|", $out);
    }

    public function testSystemLibraryLast(): void
    {
        $pkg = self::packageCopy(false);
        // The system's loader search, here through LD_LIBRARY_PATH (read at process start).
        [$rc, $out, $err] = Php::run([PHP_BINARY, '-r', sprintf(self::PROBE, var_export("$pkg/autoload.php", true))], ['DGA_EPAYMENT_LIB' => false, 'LD_LIBRARY_PATH' => dirname(Sandbox::library())]);
        $this->assertSame(0, $rc, $err);
        $this->assertStringStartsWith('libdga_epayment.so|', $out);
    }

    public function testNoneLoadsIsOneErrorNamingAllThree(): void
    {
        $pkg = self::packageCopy(false);
        [$rc, $out, $err] = self::probe($pkg, ['DGA_EPAYMENT_LIB' => false]);
        $this->assertNotSame(0, $rc);
        $text = $out . $err;
        $this->assertStringContainsString('LibraryLoadException', $text);
        $this->assertStringContainsString('DGA_EPAYMENT_LIB (a path to the library): not set', $text);
        $this->assertStringContainsString("the package's lib/ ($pkg/lib/libdga_epayment.so): no such file", $text);
        $this->assertStringContainsString("the system's libdga_epayment.so: ", $text);

        [$rc, $out, $err] = self::probe($pkg, ['DGA_EPAYMENT_LIB' => '/nonexistent/libdga_epayment.so']);
        $this->assertNotSame(0, $rc);
        $this->assertStringContainsString('DGA_EPAYMENT_LIB=/nonexistent/libdga_epayment.so: no such file', $out . $err);
        $this->assertStringContainsString('were not tried because DGA_EPAYMENT_LIB is set', $out . $err);
    }

    public function testNoFfiSaysSoNotWhereToPutTheLibrary(): void
    {
        $probe = sprintf(self::PROBE, var_export(dirname(__DIR__) . '/tests/bootstrap.php', true));
        $env = ['DGA_EPAYMENT_LIB' => Sandbox::library()];
        // -n: no php.ini, so no ffi module (Debian's PHP loads it from conf.d).
        [$rc, $out, $err] = Php::run([PHP_BINARY, '-n', '-r', $probe], $env);
        $this->assertNotSame(0, $rc);
        $this->assertStringContainsString("needs PHP's FFI extension, which this PHP (cli) has not loaded", $out . $err);
        $this->assertStringNotContainsString('Set DGA_EPAYMENT_LIB', $out . $err);
        foreach (['0', 'off'] as $off) {
            [$rc, $out, $err] = Php::run([PHP_BINARY, '-d', "ffi.enable=$off", '-r', $probe], $env);
            $this->assertNotSame(0, $rc);
            $this->assertStringContainsString('which ffi.enable turns off here: set ffi.enable=true', $out . $err);
            $this->assertStringNotContainsString('Set DGA_EPAYMENT_LIB', $out . $err);
        }
    }

    public function testDeclarationsAreTheCommittedHeader(): void
    {
        $workspace = dirname(__DIR__, 2) . '/include/dga_epayment.h';
        $this->assertFileEquals($workspace, Native::HEADER, 'bindings-php/include/dga_epayment.h is a copy of include/dga_epayment.h: cp include/dga_epayment.h bindings-php/include/');
        $code = Native::cdef();
        $this->assertDoesNotMatchRegularExpression('/^\s*#/m', $code, 'no preprocessor line is left');
        $this->assertStringNotContainsString('extern "C"', $code);
        preg_match_all('/\b(dga_\w+)\s*\(/', preg_replace('~/\*.*?\*/~s', '', (string) file_get_contents($workspace)), $m);
        $declared = array_unique($m[1]);
        $this->assertGreaterThan(25, count($declared));
        // FFI::cdef resolves every declared function: it fails if one did not parse or the
        // library does not export it.
        $ffi = \FFI::cdef($code, Sandbox::library());
        foreach ($declared as $fn) {
            $this->assertStringContainsString($fn, $code);
        }
        $this->assertSame(\Dga\EPayment\Client::version(), $ffi->dga_version());
    }

    public function testUnknownPreprocessorConditionIsRefused(): void
    {
        $this->expectException(LibraryLoadException::class);
        $this->expectExceptionMessage('#if FOO_BAR > 2');
        HeaderText::forFfi("#if FOO_BAR > 2\nint x;\n#endif\n");
    }

    public function testPhpCgiWithThePreloadScriptAlone(): void
    {
        // php-cgi is a web SAPI like PHP-FPM: with ffi.enable=preload it may use FFI only
        // through preloading. As a user other than root, preload.php alone is the set-up.
        $cgi = trim((string) shell_exec('command -v php-cgi'));
        $this->assertNotSame('', $cgi, 'php-cgi is installed by test.sh');
        $sb = Sandbox::shared();
        $app = Php::app();
        $script = "$app/flow.php";
        file_put_contents($script, '<?php require __DIR__ . "/vendor/autoload.php";'
            . '$c = new Dga\EPayment\Client(["consumerKey" => "sandbox-key", "consumerSecret" => "sandbox-secret", "agentId" => "1234567890121", "gatewayUrl" => getenv("DGA_GATEWAY_URL"), "source" => "SANDBOX"]);'
            . '$p = $c->createPayment(["customerID" => "1234567890121", "customerTitleName" => "x", "customerFirstName" => "a", "customerLastName" => "b", "paymentType" => "FastPay", "amount" => "10.00", "requestReference1" => "CGI-" . hrtime(true)]);'
            . 'echo Dga\EPayment\Native::loadedFrom(), "|", $c->status($p->reference1, $p->reference2)->paidStatus->name, "|", strlen($p->checkoutFormHtml()) > 0 ? "form" : "", "|", $c->handleCallback("{}", fn () => null)->httpStatus;');
        chmod($script, 0644);
        $ini = ['-d', 'ffi.enable=preload', '-d', 'opcache.enable=1', '-d', 'opcache.preload=' . dirname(__DIR__) . '/preload.php'];
        $asRoot = trim((string) shell_exec('id -u')) === '0';
        $cmd = [...($asRoot ? ['runuser', '-u', 'nobody', '--'] : []), 'env', 'DGA_EPAYMENT_LIB=' . Sandbox::library(), "DGA_GATEWAY_URL={$sb->url}", $cgi, '-q', ...$ini, $script];
        [$rc, $out, $err] = Php::run($cmd);
        $this->assertSame(0, $rc, $out . $err);
        $this->assertSame('preloaded scope DGA_EPAYMENT|Pending|form|400', $out, $err);

        // And without the preload set-up, the one error says what to do.
        [, $out, $err] = Php::run([$cgi, '-q', '-d', 'ffi.enable=preload', '-d', 'display_errors=stderr', $script], ['DGA_EPAYMENT_LIB' => Sandbox::library(), 'DGA_GATEWAY_URL' => $sb->url]);
        $this->assertStringContainsString('ffi.enable=preload here', $out . $err);
    }
}
