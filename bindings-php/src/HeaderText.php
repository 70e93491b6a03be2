<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * FFI::cdef takes plain C declarations: no preprocessor. The committed header is cbindgen's,
 * with include guards, C++ guards and C23-only enum bases behind #if. This evaluates those
 * conditions as a C99 compiler would (no __cplusplus, __STDC_VERSION__ 199901L) and keeps the
 * active lines. A condition it does not know is an error, so a new construct in the header
 * fails loudly here instead of declaring the wrong thing.
 *
 * @internal
 */
final class HeaderText
{
    /** #if expressions as they appear in the header, and their value under C99. */
    private const CONDITIONS = [
        'defined(__cplusplus) || __STDC_VERSION__ >= 202311L' => false,
        '__STDC_VERSION__ >= 202311L' => false,
        'defined(__cplusplus)' => false,
    ];

    public static function forFfi(string $header): string
    {
        $defined = [];
        /** @var list<bool> $stack whether each open #if branch is taken */
        $stack = [];
        $out = [];
        foreach (preg_split('/\r\n|\n|\r/', $header) as $n => $line) {
            $active = !in_array(false, $stack, true);
            if (!preg_match('~^\s*#\s*(\w+)\s*(.*?)\s*(?://.*|/\*.*\*/)?$~', $line, $m)) {
                $out[] = $active ? $line : '';
                continue;
            }
            [, $directive, $arg] = $m;
            $where = 'include/dga_epayment.h line ' . ($n + 1);
            switch ($directive) {
                case 'ifdef':
                case 'ifndef':
                    $isDefined = isset($defined[$arg]);
                    $stack[] = $directive === 'ifdef' ? $isDefined : !$isDefined;
                    break;
                case 'if':
                    if (!array_key_exists($arg, self::CONDITIONS)) {
                        throw new LibraryLoadException("dga/epayment cannot read #if $arg ($where): update HeaderText");
                    }
                    $stack[] = self::CONDITIONS[$arg];
                    break;
                case 'else':
                case 'endif':
                    if ($stack === []) {
                        throw new LibraryLoadException("dga/epayment: #$directive without #if ($where)");
                    }
                    $taken = array_pop($stack);
                    if ($directive === 'else') {
                        $stack[] = !$taken;
                    }
                    break;
                case 'define':
                    if ($active) {
                        $defined[preg_split('/[\s(]/', $arg)[0]] = true;
                    }
                    break;
                case 'include':
                    break; // stdbool/stddef/stdint: FFI knows bool, size_t, int32_t, uint8_t
                default:
                    throw new LibraryLoadException("dga/epayment cannot read #$directive ($where): update HeaderText");
            }
            $out[] = '';
        }
        if ($stack !== []) {
            throw new LibraryLoadException('dga/epayment: include/dga_epayment.h has an unterminated #if');
        }
        return implode("\n", $out);
    }
}
