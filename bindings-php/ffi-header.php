<?php

// Writes the header for PHP's ffi.preload setting (README, "PHP-FPM"), for a PHP-FPM whose
// master runs as root (where opcache.preload cannot use FFI::load):
//   php vendor/dga/epayment/ffi-header.php > /etc/php/8.2/fpm/dga_epayment_ffi.h
// It is generated from the package's include/dga_epayment.h and names the library found as
// the package finds it (DGA_EPAYMENT_LIB, the package's lib/, the system's). Regenerate it
// after upgrading the package.

declare(strict_types=1);

require_once __DIR__ . '/src/LibraryLoadException.php';
require_once __DIR__ . '/src/HeaderText.php';
require_once __DIR__ . '/src/Native.php';

echo \Dga\EPayment\Native::preloadHeader();
