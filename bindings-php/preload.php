<?php

// opcache.preload for PHP-FPM with ffi.enable=preload (README, "PHP-FPM"): binds the native
// library's declarations under the FFI scope "DGA_EPAYMENT" at start-up, so that requests can
// use them. It creates no client: a client's threads and connections would not survive the
// fork into worker processes; each worker makes its own.

declare(strict_types=1);

require_once __DIR__ . '/src/LibraryLoadException.php';
require_once __DIR__ . '/src/HeaderText.php';
require_once __DIR__ . '/src/Native.php';

\Dga\EPayment\Native::preload();
