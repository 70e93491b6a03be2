<?php

declare(strict_types=1);

namespace Dga\EPayment\Tests;

use Dga\EPayment\BankCode;
use Dga\EPayment\DgaException;
use Dga\EPayment\ErrorCode;
use Dga\EPayment\Native;
use Dga\EPayment\PaidStatus;
use Dga\EPayment\PaymentType;
use Dga\EPayment\ResponseStatus;
use PHPUnit\Framework\TestCase;

/** The PHP enums and exception classes are the core's tables (dga_enum_tables_json, dga_error_kinds_json). */
final class EnumsTest extends TestCase
{
    private const ENUMS = [
        'BankCode' => BankCode::class,
        'PaymentType' => PaymentType::class,
        'PaidStatus' => PaidStatus::class,
        'ResponseStatus' => ResponseStatus::class,
        'ErrorCode' => ErrorCode::class,
    ];

    public function testEveryEnumIsTheCoresTable(): void
    {
        $tables = Native::enumTables();
        $this->assertEqualsCanonicalizing(array_keys(self::ENUMS), array_keys($tables), 'the same tables');
        foreach (self::ENUMS as $table => $class) {
            $core = [];
            foreach ($tables[$table] as $row) {
                $core[$row['name']] = $row['number'];
            }
            $php = [];
            foreach ($class::cases() as $case) {
                $php[$case->name] = $case->value;
            }
            ksort($core);
            ksort($php);
            // On a difference, the message is the PHP cases to write.
            $fix = implode("\n", array_map(static fn ($n, $v) => "    case $n = $v;", array_keys($core), $core));
            $this->assertSame($core, $php, "$class differs from the core's $table table; it should be:\n$fix");
            foreach ($tables[$table] as $row) {
                $this->assertSame($row['descriptionTh'], $class::from($row['number'])->descriptionTh(), "$table {$row['name']}");
            }
        }
    }

    public function testThaiDescriptions(): void
    {
        $this->assertSame('ชำระเงินสำเร็จ', PaidStatus::Success->descriptionTh());
        $this->assertSame('Transaction Not Found', ErrorCode::TransactionNotFound->descriptionTh());
        $this->assertSame(PaymentType::QRPayment, PaymentType::tryFromName('QRPayment'));
        $this->assertNull(PaymentType::tryFromName('qrpayment'), 'names are the guide\'s, exactly');
    }

    public function testOneExceptionClassPerErrorKind(): void
    {
        $seen = [];
        foreach (Native::errorKinds() as $k) {
            $e = DgaException::fromCore($k['number'], ['kind' => $k['code'], 'message' => 'm']);
            $this->assertSame($k['number'], $e->getCode());
            $this->assertSame($k['code'], $e->kind);
            $short = substr(strrchr(get_class($e), '\\'), 1);
            $camel = str_replace(' ', '', ucwords(str_replace('_', ' ', $k['code'])));
            $this->assertSame($camel . 'Exception', $short, "kind {$k['code']}");
            $this->assertInstanceOf(\RuntimeException::class, $e);
            $seen[] = $short;
        }
        $this->assertCount(9, array_unique($seen), 'the nine kinds of docs/architecture.md#errors');
    }
}
