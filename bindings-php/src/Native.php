<?php

declare(strict_types=1);

namespace Dga\EPayment;

use FFI;
use FFI\CData;

/**
 * The native library (the Rust core behind include/dga_epayment.h), loaded once per process.
 *
 * The FFI declarations are the committed C header itself: its preprocessor lines are evaluated
 * here for a C99 compiler (FFI::cdef does not run a preprocessor), so there is no second,
 * hand-written copy of them to drift.
 *
 * Ownership: every `char *` the library hands out goes back to dga_string_free, every DgaError
 * to dga_error_free (see take() and error()); `const char *` results are copied by FFI.
 *
 * @internal
 */
final class Native
{
    /** The FFI scope name the preload script registers (FFI::load with FFI_SCOPE). */
    public const SCOPE = 'DGA_EPAYMENT';

    /** The header shipped in the package, a copy of the workspace's include/dga_epayment.h. */
    public const HEADER = __DIR__ . '/../include/dga_epayment.h';

    private static ?FFI $ffi = null;
    private static ?string $loadedFrom = null;

    /** @var array<string, string>|null */
    private static ?array $descriptions = null;

    /** The loaded library (FFI object), loading it on first use. */
    public static function ffi(): FFI
    {
        if (self::$ffi !== null) {
            return self::$ffi;
        }
        // Preloaded (PHP-FPM with ffi.enable=preload): the declarations were bound at startup.
        try {
            self::$ffi = FFI::scope(self::SCOPE);
            self::$loadedFrom = 'preloaded scope ' . self::SCOPE;
            return self::$ffi;
        } catch (\Throwable) {
            // not preloaded: load it now
        }
        [$ffi, $path] = self::open(self::cdef(), static fn (string $code, string $lib): FFI => FFI::cdef($code, $lib));
        self::$ffi = $ffi;
        self::$loadedFrom = $path;
        return $ffi;
    }

    /** Where the library came from (a path, the system's name, or the preloaded scope). */
    public static function loadedFrom(): string
    {
        self::ffi();
        return (string) self::$loadedFrom;
    }

    /**
     * For preload.php: binds the declarations under FFI_SCOPE so that requests of a PHP-FPM
     * pool with ffi.enable=preload can use them (FFI::load only takes a file, so the evaluated
     * header is written to a temporary file first).
     */
    public static function preload(): string
    {
        [$ffi, $path] = self::open(self::cdef(), static function (string $code, string $lib): FFI {
            $file = tempnam(sys_get_temp_dir(), 'dga_epayment_');
            if ($file === false) {
                throw new \RuntimeException('dga/epayment preload: cannot create a temporary file');
            }
            try {
                $defines = '#define FFI_SCOPE ' . json_encode(self::SCOPE) . "\n"
                    . '#define FFI_LIB ' . json_encode($lib, JSON_UNESCAPED_SLASHES) . "\n";
                file_put_contents($file, $defines . $code);
                $ffi = FFI::load($file);
                if ($ffi === null) {
                    throw new FFI\Exception("FFI::load could not load $lib");
                }
                return $ffi;
            } finally {
                @unlink($file);
            }
        });
        self::$ffi = $ffi;
        self::$loadedFrom = $path;
        return $path;
    }

    /**
     * The places the library is looked for, in order: DGA_EPAYMENT_LIB (a path) when set
     * (then only it), else the package's lib/, else the system's libdga_epayment.so.
     *
     * @param callable(string, string): FFI $load
     * @return array{FFI, string}
     */
    private static function open(string $code, callable $load): array
    {
        $env = getenv('DGA_EPAYMENT_LIB');
        $packaged = dirname(__DIR__) . '/lib/' . self::fileName();
        $system = self::fileName();
        if (is_string($env) && $env !== '') {
            $candidates = [['DGA_EPAYMENT_LIB=' . $env, $env]];
            $tried = [];
            $after = "; the package's lib/ ($packaged) and the system's $system were not tried because DGA_EPAYMENT_LIB is set";
        } else {
            $candidates = [["the package's lib/ ($packaged)", $packaged], ["the system's $system", $system]];
            $tried = ['DGA_EPAYMENT_LIB (a path to the library): not set'];
            $after = '';
        }
        foreach ($candidates as [$label, $lib]) {
            if (str_contains($lib, '/') && !is_file($lib)) {
                $tried[] = "$label: no such file";
                continue;
            }
            try {
                return [$load($code, $lib), $lib];
            } catch (\Throwable $e) {
                $tried[] = "$label: " . $e->getMessage();
            }
        }
        throw new LibraryLoadException(
            'dga/epayment could not load its native library (libdga_epayment). Tried: '
            . implode('; ', $tried) . "$after. Set DGA_EPAYMENT_LIB to the library's path, "
            . "put it in the package's lib/, or install it where the system's loader finds it."
            . (self::ffiRestricted() ? ' Note: ffi.enable=preload here: load it from the preload script (README, PHP-FPM).' : '')
        );
    }

    private static function fileName(): string
    {
        return match (PHP_OS_FAMILY) {
            'Windows' => 'dga_epayment.dll',
            'Darwin' => 'libdga_epayment.dylib',
            default => 'libdga_epayment.so',
        };
    }

    private static function ffiRestricted(): bool
    {
        return ini_get('ffi.enable') === 'preload' && PHP_SAPI !== 'cli';
    }

    /**
     * The committed header with its preprocessor lines evaluated for C99 (no __cplusplus,
     * __STDC_VERSION__ 199901L) and removed: what FFI::cdef accepts.
     */
    public static function cdef(?string $header = null): string
    {
        $text = $header ?? @file_get_contents(self::HEADER);
        if ($text === false) {
            throw new LibraryLoadException('dga/epayment: its C header is missing: ' . self::HEADER);
        }
        return HeaderText::forFfi($text);
    }

    // ------------------------------------------------------------ marshalling helpers

    /** A C string for the library: refused when it holds a NUL (C would read it cut short). */
    public static function text(string $value, string $field): string
    {
        if (str_contains($value, "\0")) {
            throw new ValidationException(
                "$field: must not contain a NUL character",
                [new FieldError($field, 'must not contain a NUL character')],
            );
        }
        return $value;
    }

    /** Bytes as a `uint8_t *` buffer (FFI passes PHP strings only to `char *` parameters). */
    public static function bytes(string $body): CData
    {
        $n = strlen($body);
        // Never a zero-length array: the ABI takes a non-NULL pointer with len 0.
        $buffer = self::ffi()->new('uint8_t[' . max(1, $n) . ']');
        if ($n > 0) {
            FFI::memcpy($buffer, $body, $n);
        }
        return $buffer;
    }

    /** Copies a `char *` the library handed out, then frees it with dga_string_free. */
    public static function take(?CData $p): ?string
    {
        if ($p === null || FFI::isNull($p)) {
            return null;
        }
        try {
            return FFI::string($p);
        } finally {
            self::ffi()->dga_string_free($p);
        }
    }

    /**
     * Returns normally for DGA_OK (freeing a stray error); otherwise throws the exception the
     * library's error describes, freeing the error first.
     */
    public static function check(int $status, CData $err): void
    {
        if ($status === 0) {
            if (!FFI::isNull($err)) {
                self::ffi()->dga_error_free($err);
            }
            return;
        }
        throw self::error($status, $err);
    }

    /** The exception for a failing call's DgaError, which is freed here. */
    public static function error(int $status, CData $err): DgaException
    {
        if (FFI::isNull($err)) {
            return new InternalException("the native library failed with status $status but gave no error", 11);
        }
        try {
            return self::describe($err);
        } finally {
            self::ffi()->dga_error_free($err);
        }
    }

    /** The exception for a failed call's live DgaError, which the caller still frees. */
    public static function describeOrNull(int $status, CData $err): DgaException
    {
        return FFI::isNull($err)
            ? new InternalException("the native library failed with status $status but gave no error", 11)
            : self::describe($err);
    }

    /** The exception for a live DgaError (the caller still frees it). */
    public static function describe(CData $err): DgaException
    {
        $ffi = self::ffi();
        $json = $ffi->dga_error_json($err);
        $detail = is_string($json) && $json !== '' ? json_decode($json, true) : null;
        if (!is_array($detail)) {
            $detail = ['kind' => null, 'message' => (string) $ffi->dga_error_message($err)];
        }
        return DgaException::fromCore($ffi->dga_error_kind($err), $detail);
    }

    /** A `char *` out-parameter and a `DgaError *` out-parameter, both NULL. */
    public static function outs(): array
    {
        $ffi = self::ffi();
        return [$ffi->new('char *'), $ffi->new('DgaError *')];
    }

    /** The guide's description of an enum value, from the core's tables (dga_enum_tables_json). */
    public static function description(string $table, int $number): ?string
    {
        if (self::$descriptions === null) {
            $d = [];
            foreach (self::enumTables() as $name => $rows) {
                foreach ($rows as $row) {
                    $d[$name . '/' . $row['number']] = $row['descriptionTh'];
                }
            }
            self::$descriptions = $d;
        }
        return self::$descriptions[$table . '/' . $number] ?? null;
    }

    /** @return array<string, list<array{name: string, number: int, descriptionTh: string}>> */
    public static function enumTables(): array
    {
        return json_decode((string) self::ffi()->dga_enum_tables_json(), true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return list<array{code: string, number: int}> */
    public static function errorKinds(): array
    {
        return json_decode((string) self::ffi()->dga_error_kinds_json(), true, 512, JSON_THROW_ON_ERROR);
    }
}
