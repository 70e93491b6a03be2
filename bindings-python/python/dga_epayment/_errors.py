"""``DgaError`` and one subclass per error kind of the core, each with ``kind`` (the core's code,
e.g. ``"outcome_unknown"``) and ``endpoint`` (``"create"``, ... or None); made by ``_from_json``.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Dict, List, Mapping, NamedTuple, Optional, Type, Union

from ._enums import ErrorCode, ResponseStatus, _member
from ._native import schema


class FieldError(NamedTuple):
    """One problem with one field (the guide's name, e.g. ``customerID``), or with the whole
    body (``field == "body"``; ``line``/``column`` locate a JSON syntax error)."""

    field: str
    message: str = ""
    line: Optional[int] = None
    column: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.field} {self.message}"


class Mismatch(NamedTuple):
    """A field on which a callback and DGA's own status disagree."""

    field: str
    callback: str
    dga: str


class DgaError(Exception):
    """Base of every error the SDK raises."""

    kind: ClassVar[str] = ""
    kind_number: int = 0
    #: Whether repeating the call later may succeed (the core decides: timeout, network).
    transient: bool = False
    endpoint: Optional[str] = None

    def __init__(self, message: str, **attributes: Any) -> None:
        super().__init__(message)
        for name in ("errors", "mismatches"):  # a list of its own, given or not
            if name in type(self).__annotations__:
                setattr(self, name, list(attributes.pop(name, ())))
        for name, value in attributes.items():
            setattr(self, name, value)


class ValidationError(DgaError, ValueError):
    """Bad input caught before any network call; ``errors`` names every bad field. Also a
    ``ValueError``."""

    kind = "validation"
    errors: List[FieldError]


class AuthError(DgaError):
    """No token: credentials rejected, or the token endpoint failed after retries."""

    kind = "auth"


class ApiError(DgaError):
    """DGA answered ``status`` = Error: ``error_code`` (an ``ErrorCode``, or the raw value when
    outside the guide's table, or None), ``status``, and DGA's own ``message``."""

    kind = "api"
    error_code: Union[ErrorCode, int, str, None] = None
    error_code_number: Optional[int] = None
    status: Union[ResponseStatus, int, str] = ResponseStatus.ERROR
    status_number: Optional[int] = None
    message: str = ""


class DgaTimeoutError(DgaError):
    """A call took longer than the configured timeout (after retries, where allowed)."""

    kind = "timeout"


class NetworkError(DgaError):
    """The connection failed, or DGA answered HTTP 429/5xx (after retries, where allowed)."""

    kind = "network"


class OutcomeUnknownError(DgaError):
    """A create or void may have taken effect at DGA but no answer came back. Call
    ``status(e.reference1, e.reference2)`` before doing anything else."""

    kind = "outcome_unknown"
    reference1: str = ""
    reference2: str = ""


class ProtocolError(DgaError):
    """DGA answered something the SDK cannot read (not JSON, no envelope)."""

    kind = "protocol"


class CallbackError(DgaError, ValueError):
    """A callback body is invalid; ``errors`` lists every problem (field, or the JSON syntax
    error's ``line``/``column``). Also a ``ValueError``."""

    kind = "callback"
    errors: List[FieldError]


class VerificationError(DgaError):
    """DGA's status does not confirm a callback. ``reason`` (the core's code) says why:
    ``"unknown_payment"`` (DGA has no such transaction; answered 404), ``"pending_at_dga"``
    (DGA still says Pending; 409, DGA delivers again) or ``"status_differs"`` (DGA shows another
    final status; 409). ``mismatches`` lists what disagreed, for the agency's own logs only."""

    kind = "verification"
    reason: Optional[str] = None
    mismatches: List[Mismatch]


ERROR_CLASSES: Dict[str, Type[DgaError]] = {cls.kind: cls for cls in DgaError.__subclasses__()}


def _converter(field: Mapping[str, Any]) -> Callable[[Any], Any]:
    """How an error JSON value becomes an attribute, by its schema type."""
    if field["type"] == "enum":
        return _member(str(field["enum"]))
    if field["type"] == "list":
        cls, fields = _ITEMS[field["record"]], _SCHEMA[field["record"]]["fields"]
        return lambda items: [cls(**{f["snake"]: i.get(f["wire"]) for f in fields}) for i in items]
    return lambda v: v


_SCHEMA: Dict[str, Any] = schema()["records"]
_ITEMS: Dict[str, Callable[..., Any]] = {"FieldError": FieldError, "Mismatch": Mismatch}
# kind is the class's; message is the exception's text (ApiError.message is DGA's words).
_ATTRIBUTES = [(f["wire"], f["snake"], _converter(f)) for f in _SCHEMA["Error"]["fields"]
               if f["snake"] not in ("kind", "message")]


def _from_json(data: Mapping[str, Any], dga_message: Optional[str] = None) -> DgaError:
    """The exception for the core's error JSON (``Error::to_json``): the kind picks the class,
    each key present becomes the snake_case attribute."""
    cls = ERROR_CLASSES.get(data["kind"], DgaError)
    err = cls(data["message"])
    if cls is DgaError:  # a kind newer than this package: still a DgaError
        err.kind = data["kind"]  # type: ignore[misc]
    for key, name, convert in _ATTRIBUTES:
        if key in data:
            setattr(err, name, convert(data[key]))
    if dga_message is not None:
        err.message = dga_message  # type: ignore[attr-defined]
    return err
