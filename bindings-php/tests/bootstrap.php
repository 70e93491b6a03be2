<?php

declare(strict_types=1);

// PSR-4 for the package and the tests, as Composer's autoloader would (no vendor/ needed).
spl_autoload_register(static function (string $class): void {
    foreach (['Dga\\EPayment\\Tests\\' => __DIR__ . '/', 'Dga\\EPayment\\' => dirname(__DIR__) . '/src/'] as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
