<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\ApiException;
use Dga\EPayment\CallbackException;
use Dga\EPayment\Client;
use Dga\EPayment\Confirmation;
use Dga\EPayment\DgaException;
use Dga\EPayment\FieldError;
use Dga\EPayment\Mismatch;
use Dga\EPayment\OutcomeUnknownException;
use Dga\EPayment\Payment;
use Dga\EPayment\PaymentStatus;
use Dga\EPayment\Schema;
use Dga\EPayment\ValidationException;
use Dga\EPayment\VerificationException;
use PHPUnit\Framework\TestCase;

/** The PHP surface is the core's schema (dga_schema_json): a new field fails here until mapped. */
final class SchemaTest extends TestCase
{
    private const RECORDS = [
        'Payment' => Payment::class,
        'PaymentStatus' => PaymentStatus::class,
        'Confirmation' => Confirmation::class,
        'FieldError' => FieldError::class,
        'Mismatch' => Mismatch::class,
    ];

    /** @return array<string, \ReflectionProperty> public properties by name */
    private static function properties(string $class): array
    {
        $out = [];
        foreach ((new \ReflectionClass($class))->getProperties(\ReflectionProperty::IS_PUBLIC) as $p) {
            $out[$p->getName()] = $p;
        }
        return $out;
    }

    public function testResultPropertiesAreTheSchemasFields(): void
    {
        $records = Schema::get()['records'];
        $this->assertSame(Client::version(), Schema::get()['version']);
        foreach (self::RECORDS as $record => $class) {
            $props = self::properties($class);
            $wire = array_column($records[$record]['fields'], 'wire');
            $this->assertEqualsCanonicalizing($wire, array_keys($props), "$class's properties are $record's fields");
            foreach ($records[$record]['fields'] as $f) {
                $p = $props[$f['wire']];
                $this->assertTrue($p->isReadOnly(), "$class::\${$f['wire']} is read-only");
                $type = $p->getType();
                if ($f['type'] !== 'object') { // mixed: whatever JSON DGA sent, null included
                    $this->assertSame(!$f['required'], $type->allowsNull(), "$class::\${$f['wire']}: nullable exactly when optional");
                }
                $names = $type instanceof \ReflectionUnionType ? array_map(fn ($t) => $t->getName(), $type->getTypes()) : [$type->getName()];
                $expected = match ($f['type']) {
                    'decimal', 'string' => ['string'],
                    'date' => ['DateTimeImmutable'],
                    'enum' => null, // the enum, or the raw int or string
                    'object' => ['mixed'],
                    'integer' => ['int'],
                    default => null,
                };
                if ($expected !== null) {
                    $this->assertSame($expected, array_values(array_diff($names, ['null'])), "$class::\${$f['wire']} ({$f['type']})");
                } elseif ($f['type'] === 'enum') {
                    $this->assertContains('int', $names);
                    $this->assertContains('string', $names);
                    $this->assertCount(1, array_filter($names, fn ($n) => enum_exists($n)), "$class::\${$f['wire']} has its enum");
                }
            }
        }
    }

    public function testTheHydratorsFieldsAreTheSchemas(): void
    {
        $records = Schema::get()['records'];
        foreach ([Payment::class, PaymentStatus::class, Confirmation::class] as $class) {
            $record = (new \ReflectionClass($class))->getShortName();
            $expected = [];
            foreach ($records[$record]['fields'] as $f) {
                $expected[$f['wire']] = [$f['type'], $f['required'], isset($f['enum']) ? 'Dga\\EPayment\\' . $f['enum'] : null, $f['secret']];
            }
            $fields = (new \ReflectionMethod($class, 'fields'))->getClosure(null)();
            $this->assertSame($expected, $fields, "$class's generated fields() is $record's schema (run scripts/gen-records.php)");
        }
    }

    public function testAnEmptyResultSetsEveryProperty(): void
    {
        $records = Schema::get()['records'];
        foreach ([Payment::class, PaymentStatus::class, Confirmation::class] as $class) {
            $record = (new \ReflectionClass($class))->getShortName();
            $result = new $class('{}');
            foreach ($records[$record]['fields'] as $f) {
                $this->assertTrue(property_exists($class, $f['wire']), "$class has \${$f['wire']} (run scripts/gen-records.php)");
                $p = new \ReflectionProperty($class, $f['wire']);
                $this->assertTrue($p->isInitialized($result), "$class::\${$f['wire']} is set");
                // Required text is "" (an enum: its raw ""), everything optional null, as before.
                $this->assertSame($f['required'] ? '' : null, $p->getValue($result), "$class::\${$f['wire']} of {}");
            }
        }
    }

    public function testEveryErrorFieldIsAnExceptionProperty(): void
    {
        $classes = [DgaException::class, ApiException::class, OutcomeUnknownException::class, ValidationException::class, CallbackException::class, VerificationException::class];
        $all = [];
        foreach ($classes as $c) {
            $all += self::properties($c);
        }
        foreach (Schema::get()['records']['Error']['fields'] as $f) {
            $name = match ($f['wire']) {
                'message' => null,    // getMessage()
                'kindNumber' => null, // getCode()
                default => $f['wire'],
            };
            if ($name !== null) {
                $this->assertArrayHasKey($name, $all, "the error JSON's {$f['wire']} is an exception property");
            }
        }
    }
}
