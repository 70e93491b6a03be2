# Stubs for the enums built at import from the core's tables (checked by mypy.stubtest and
# tests/test_enums.py; regenerate by hand when the core's tables change).
from enum import IntEnum
from typing import Any, Callable, Dict

_DESCRIPTIONS: Dict[str, Dict[int, str]]
_DGA_NAMES: Dict[str, Dict[int, str]]

def _member(name: str) -> Callable[[Any], Any]: ...
def _dga_name(value: object) -> str: ...

class DgaEnum(IntEnum):  # type: ignore[misc]  # a base with no members, by design
    @property
    def description_th(self) -> str: ...
    @property
    def dga_name(self) -> str: ...

class BankCode(DgaEnum):
    CGD = 1
    KTB = 2

class PaymentType(DgaEnum):
    BILL_PAYMENT = 1
    DIRECT_LINK = 2
    FAST_PAY = 3
    PAGE_TO_PAGE = 4
    QR_PAYMENT = 5
    APP_TO_APP = 6

class PaidStatus(DgaEnum):
    PENDING = 0
    SUCCESS = 1
    REJECTED = 2
    FAILED = 3
    VOID = 4
    OTHERS = 5
    EXPIRED = 6
    REFUNDED = 7
    REQUEST_REFUND = 8

class ResponseStatus(DgaEnum):
    SUCCESS = 0
    SUCCESS_WITH_ERROR = 1
    WARNING = 2
    ERROR = 3

class ErrorCode(DgaEnum):
    OTHERS = 999
    INVALID_REQUEST = 1
    INVALID_SOURCE = 2
    INVALID_DATA = 3
    INVALID_PAID_DATE = 4
    INVALID_EXPIRED_DATE = 5
    INVALID_INVOICE = 6
    INVALID_AMOUNT = 7
    TRANSACTION_NOT_FOUND = 8
    SOURCE_NOT_FOUND = 9
    DATA_NOT_FOUND = 10
    UNSUPPORTED_PAYMENT_TYPE = 11
    ENDPOINT_SERVICE_UNAVAILABLE = 12
    INVALID_ENDPOINT_DATA = 13
    PAID_PAYMENT_CANNOT_BE_CLOSED = 14
    FILE_DOWNLOADING_FAILED = 15
    FILE_UPLOADING_FAILED = 16
    FILE_RENDERING_FAILED = 17
    FILE_SERVICE_UNAVAILABLE = 18
    UNABLE_TO_VOID_TRANSACTION = 19
    UNABLE_TO_REFUND_TRANSACTION = 20
    REFERENCE_NUMBER_DUPLICATE = 21
    TRANSACTION_LOCKED = 22

__all__ = ["DgaEnum", "BankCode", "PaymentType", "PaidStatus", "ResponseStatus", "ErrorCode"]
