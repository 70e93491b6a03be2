"""``Payment``, ``PaymentStatus`` (also ``Callback``) and ``Confirmation``, built from the core's
schema: each attribute is a field's snake_case name, converted by its type (enum: the ``IntEnum``
member, or the raw value DGA sent outside the guide's table). A record holds the core's JSON
form (``to_dict()``); ``src/records.rs`` fills the ones it returns. Frozen, comparable, picklable.
"""

from __future__ import annotations

import copy
import datetime
import json
from decimal import Decimal
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from . import _enums, _native

_SCHEMA: Dict[str, Any] = _native.schema()["records"]


_CONVERT: Dict[str, Callable[[Any], Any]] = {
    "decimal": lambda v: None if v is None else Decimal(v),
    "date": lambda v: None if v is None else datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S"),
    "object": copy.deepcopy,
}


def _converter(field: Mapping[str, Any]) -> Callable[[Any], Any]:
    if field["type"] == "enum":
        return _enums._member(field["enum"])
    return _CONVERT.get(field["type"], lambda v: v)


def _q(v: str) -> str:
    """Text as the reprs show it: JSON-quoted (double quotes, non-ASCII kept)."""
    return json.dumps(v, ensure_ascii=False)


def _hidden(record: str) -> str:
    """The record's secret fields as its repr shows them."""
    return "".join(f", {f['snake']}=<hidden>" for f in _SCHEMA[record]["fields"] if f["secret"])


class _Record:
    __slots__ = ("_wire",)
    _fields: Tuple[Tuple[str, str, Callable[[Any], Any]], ...] = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"cannot create '{cls.__module__}.{cls.__qualname__}' instances")

    @classmethod
    def _from_wire(cls, wire: Dict[str, Any]) -> Any:
        self = object.__new__(cls)
        object.__setattr__(self, "_wire", wire)
        for snake, key, convert in cls._fields:
            object.__setattr__(self, snake, convert(wire.get(key)))
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"'{type(self).__name__}' object attribute '{name}' is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"'{type(self).__name__}' object attribute '{name}' is read-only")

    def _data(self) -> Dict[str, Any]:
        wire = self._wire  # type: ignore[attr-defined]
        if isinstance(wire, _native._Wire):
            return wire.to_py()  # a new dict
        return copy.deepcopy(wire)  # type: ignore[no-any-return]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self._data() == other._data())  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> Dict[str, Any]:
        """The SDK's JSON form (camelCase keys, enums by name, amounts and dates as text), the
        same in every language."""
        return self._data()

    def __reduce__(self) -> Tuple[Any, Tuple[Dict[str, Any]]]:
        return (type(self)._from_wire, (self.to_dict(),))


def _record(name: str, doc: str, **members: Any) -> Any:
    fields = _SCHEMA[name]["fields"]
    namespace: Dict[str, Any] = {
        "__slots__": tuple(f["snake"] for f in fields),
        "__doc__": doc,
        "__module__": "dga_epayment",
        "_fields": tuple((f["snake"], f["wire"], _converter(f)) for f in fields),
        **members,
    }
    return type(name, (_Record,), namespace)


def _read(name: str) -> Any:
    """``from_dict``: reads back what ``to_dict()`` gave (e.g. kept in a session)."""
    return staticmethod(lambda data: RECORDS[name]._from_wire(_native._read_record(name, data)))


Payment = _record(
    "Payment",
    "A created payment: what the citizen's browser needs to pay at KTB, and the references for"
    " status, close and void. ``security_key`` is kept out of ``repr()`` (the schema marks it"
    " secret).",
    checkout_form_html=lambda self: _native.checkout_form_html(self),
    checkout_fields=lambda self: _native._checkout_fields(self),
    from_dict=_read("Payment"),
    __repr__=lambda p: (
        f"Payment(order_ref={_q(p.order_ref)}, amount=Decimal('{p.amount}'), "
        f"pay_method={_q(p.pay_method)}, reference1={_q(p.reference1)}, "
        f"reference2={_q(p.reference2)}, gateway_url={_q(p.gateway_url)}{_hidden('Payment')})"
    ),
)

PaymentStatus = _record(
    "PaymentStatus",
    "A transaction's state: status's answer, and the body of a callback (same fields).",
    # True only for PaidStatus.SUCCESS: money taken and not given back.
    is_paid=property(lambda s: s.paid_status is _enums.PaidStatus.SUCCESS),
    from_dict=_read("PaymentStatus"),
    __repr__=lambda s: (
        f"PaymentStatus(paid_status={_enums._dga_name(s.paid_status)}, ref1={_q(s.ref1)}, "
        f"ref2={_q(s.ref2)}, amount=Decimal('{s.amount}'), ref_id={'None' if s.ref_id is None else f'Some({_q(s.ref_id)})'})"
    ),
)

Confirmation = _record(
    "Confirmation",
    "The answer to close or void.",
    __repr__=lambda c: (
        f"Confirmation(status={_enums._dga_name(c.status)}, message={_q(c.message)})"
    ),
)

CallbackReply = type("CallbackReply", (_Record,), {
    "__doc__": "The HTTP answer to one callback delivery, decided by the core: status code,"
    " whether DGA is told ``result: true``, and the acknowledgement JSON body.",
    "__module__": "dga_epayment",
    "__slots__": ("http_status", "accepted", "body"),
    "_fields": tuple((n, n, lambda v: v) for n in ("http_status", "accepted", "body")),
    "CONTENT_TYPE": _native._CONTENT_TYPE,
    "content_type": property(lambda r: r.CONTENT_TYPE),
    # 200, result true: the agency recorded the verified result.
    "accept": staticmethod(lambda message="Success": _native._callback_reply("accepted", message)),
    # 500, result false: the agency's own handling failed; DGA should deliver again.
    "handler_failed": staticmethod(lambda: _native._callback_reply("handler_failed")),
    # 503, result false: the callback could not be checked now; DGA delivers it again.
    "unavailable": staticmethod(lambda: _native._callback_reply("unavailable")),
    # 413, result false: the body is over the endpoint's cap of `limit` bytes, so not read.
    "too_large": staticmethod(lambda limit: _native._callback_reply("too_large", limit)),
    "__repr__": lambda r: (f"CallbackReply(http_status={r.http_status}, accepted={r.accepted}, "
                           f"body={_q(r.body)})"),
})

#: The record classes by schema name.
RECORDS: Dict[str, Any] = {"Payment": Payment, "PaymentStatus": PaymentStatus,
                           "Confirmation": Confirmation, "CallbackReply": CallbackReply}
