<?php

declare(strict_types=1);

namespace Dga\EPayment;

/**
 * PHP values to the JSON the C ABI takes (options, create requests). No field names here:
 * the core reads and validates every key. Floats are written in their shortest round-trip
 * form, as Node writes numbers, so 1000.5 reaches the core as 1000.5 and 0.1 + 0.2 as
 * 0.30000000000000004, which the core refuses for an amount (more than 2 decimals). Enums go
 * as their numbers.
 *
 * @internal
 */
final class Json
{
    /** @param array<mixed> $value */
    public static function object(#[\SensitiveParameter] array $value, string $what): string
    {
        $problems = [];
        self::check($value, '', $problems);
        if ($problems !== []) {
            throw new ValidationException('invalid input: ' . implode('; ', $problems), $problems);
        }
        // An empty PHP array is the empty object (no settings, no fields): the core then names
        // what is missing.
        $top = $value === [] ? new \stdClass() : self::emptyObjects($value, $what);
        $saved = ini_get('serialize_precision');
        ini_set('serialize_precision', '-1');
        try {
            $json = json_encode($top, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
        } catch (\Throwable $e) { // a jsonSerialize()'s too; not chained: its trace has json_encode's arguments
            throw new ValidationException("$what: cannot be sent as JSON: " . $e->getMessage(), [new FieldError($what, $e->getMessage())]);
        } finally {
            ini_set('serialize_precision', (string) $saved);
        }
        return Native::text($json, $what);
    }

    /**
     * PHP has one empty array for [] and {}: a top-level one goes as {} where the core's schema
     * takes an object or a record. A non-empty list stays a list, for the core to refuse by name.
     */
    private static function emptyObjects(#[\SensitiveParameter] array $value, string $what): array
    {
        if (!in_array([], $value, true)) {
            return $value;
        }
        $record = ['options' => 'ClientOptions', 'request' => 'CreatePayment'][$what] ?? '';
        foreach (Schema::get()['records'][$record]['fields'] ?? [] as $f) {
            if (($value[$f['wire']] ?? null) === [] && in_array($f['type'], ['object', 'record'], true)) {
                $value[$f['wire']] = new \stdClass();
            }
        }
        return $value;
    }

    /** Collects what JSON cannot carry exactly: NaN/INF, text that is not UTF-8. */
    private static function check(#[\SensitiveParameter] mixed $value, string $path, array &$problems): void
    {
        if (is_float($value) && !is_finite($value)) {
            $problems[] = new FieldError($path, 'must be a finite number, not NAN or INF');
        } elseif (is_string($value) && preg_match('//u', $value) !== 1) {
            $problems[] = new FieldError($path, 'is not valid UTF-8 text');
        } elseif (is_array($value)) {
            foreach ($value as $k => $v) {
                $key = (string) $k;
                if (preg_match('//u', $key) !== 1) {
                    $problems[] = new FieldError($path === '' ? $key : "$path.$key", 'the key is not valid UTF-8 text');
                    continue;
                }
                self::check($v, $path === '' ? $key : "$path.$key", $problems);
            }
        }
    }
}
