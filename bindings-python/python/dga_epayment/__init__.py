"""Client for DGA's (สพร.) e-Payment service with Krungthai Bank: a Rust core (token cache,
retries, exact money, callbacks) with Python's types (``Decimal`` money, naive Bangkok
``datetime``, ``IntEnum`` enums, one exception per error kind). ``Client`` releases the GIL and
is shared between threads; ``AsyncClient`` has the same calls as coroutines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._config import RetryOptions
from ._enums import BankCode, DgaEnum, ErrorCode, PaidStatus, PaymentType, ResponseStatus
from ._errors import (
    ERROR_CLASSES, ApiError, AuthError, CallbackError, DgaError, DgaTimeoutError, FieldError,
    Mismatch, NetworkError, OutcomeUnknownError, ProtocolError, ValidationError,
    VerificationError,
)
from ._native import (
    Client, StatusMany, StatusResult, __version__, callback_ack, checkout_form_html, error_kinds,
    parse_callback, schema, validate_citizen_id,
)
from ._records import CallbackReply, Confirmation, Payment, PaymentStatus

if TYPE_CHECKING:
    from ._async import AsyncClient


def __getattr__(name: str) -> Any:
    # AsyncClient imports asyncio (costlier than the rest of the package) only when used.
    if name == "AsyncClient":
        from ._async import AsyncClient

        return AsyncClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: A callback from DGA has the same fields as a status.
Callback = PaymentStatus

__all__ = [
    "ERROR_CLASSES", "ApiError", "AsyncClient", "AuthError", "BankCode", "Callback",
    "CallbackError", "CallbackReply", "Client", "Confirmation", "DgaEnum", "DgaError",
    "DgaTimeoutError", "ErrorCode", "FieldError", "Mismatch", "NetworkError",
    "OutcomeUnknownError", "PaidStatus", "Payment", "PaymentStatus", "PaymentType",
    "ProtocolError", "ResponseStatus", "RetryOptions", "StatusMany", "StatusResult",
    "ValidationError", "VerificationError",
    "__version__", "callback_ack", "checkout_form_html", "error_kinds", "parse_callback",
    "schema", "validate_citizen_id",
]
