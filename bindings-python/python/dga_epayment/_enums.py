"""The guide's enumerations as ``IntEnum`` classes from the core's tables: members are the guide's
names in UPPER_SNAKE_CASE (``QRPayment`` is ``PaymentType.QR_PAYMENT``), values its numbers."""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any, Callable, Dict

from . import _native

_TABLES = _native.enum_tables()
#: Each enum's rows by number.
_ROWS: Dict[str, Dict[int, Dict[str, Any]]] = {
    enum: {row["number"]: row for row in rows} for enum, rows in _TABLES.items()
}


def _python_name(guide_name: str) -> str:
    """``TransactionNotFound`` -> ``TRANSACTION_NOT_FOUND``, ``QRPayment`` -> ``QR_PAYMENT``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", guide_name)
    return words.upper()


class DgaEnum(IntEnum):
    """Base of the guide's enums: an ``int`` with the guide's name and description."""

    @property
    def description_th(self) -> str:
        """The guide's description (Thai for paid statuses and payment types)."""
        return str(_ROWS[type(self).__name__][self.value]["descriptionTh"])

    @property
    def dga_name(self) -> str:
        """The name as DGA writes it (``"FastPay"``, ``"QRPayment"``)."""
        return str(_ROWS[type(self).__name__][self.value]["name"])


def _build(name: str) -> type[DgaEnum]:
    members = [(_python_name(row["name"]), row["number"]) for row in _TABLES[name]]
    enum = DgaEnum(name, members, module=__name__, qualname=name)  # type: ignore[call-overload]
    enum.__module__ = "dga_epayment"
    return enum  # type: ignore[no-any-return]


def _member(name: str) -> Callable[[Any], Any]:
    """The core's JSON form of an enum value (the guide's name, or the raw value DGA sent
    outside the table) to the member, or the raw value."""
    by_name = {m.dga_name: m for m in globals()[name]}
    return lambda v: by_name.get(v, v) if isinstance(v, str) else v


def _dga_name(value: object) -> str:
    """The guide's name of a member, or the raw value as text."""
    return value.dga_name if isinstance(value, DgaEnum) else str(value)


BankCode, PaymentType, PaidStatus, ResponseStatus, ErrorCode = map(
    _build, ("BankCode", "PaymentType", "PaidStatus", "ResponseStatus", "ErrorCode"))

__all__ = ["DgaEnum", "BankCode", "PaymentType", "PaidStatus", "ResponseStatus", "ErrorCode"]
