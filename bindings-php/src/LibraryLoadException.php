<?php

declare(strict_types=1);

namespace Dga\EPayment;

/** The native library could not be loaded: the message names every place that was tried. */
final class LibraryLoadException extends \RuntimeException
{
}
