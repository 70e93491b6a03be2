"""The exception hierarchy: ``DgaError`` and one subclass per error kind of the core.

Every exception has ``kind`` (the core's stable code, e.g. ``"outcome_unknown"``) and
``endpoint`` (``"create"``, ``"status"``, ... or None). Messages never contain a secret or a
token. The native module raises them through ``_from_core``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Mapping, NamedTuple, Optional, Sequence, Type, Union

from ._enums import ErrorCode, ResponseStatus


class FieldError(NamedTuple):
    """One problem with one field (the guide's name, e.g. ``customerID``), or with the whole
    body (``field == "body"``; ``line``/``column`` locate a JSON syntax error)."""

    field: str
    message: str
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
    endpoint: Optional[str]

    def __init__(self, message: str, *, endpoint: Optional[str] = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class ValidationError(DgaError, ValueError):
    """Bad input caught before any network call; ``errors`` names every bad field. Also a
    ``ValueError``, so code that already catches bad values catches it."""

    kind = "validation"
    errors: List[FieldError]

    def __init__(self, message: str, *, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class AuthError(DgaError):
    """No token: credentials rejected, or the token endpoint failed after retries."""

    kind = "auth"


class ApiError(DgaError):
    """DGA answered ``status`` = Error: ``error_code`` (an ``ErrorCode``, or the raw value when
    outside the guide's table, or None), ``status``, and DGA's own ``message``."""

    kind = "api"
    error_code: Union[ErrorCode, int, str, None]
    status: Union[ResponseStatus, int, str]
    message: str

    def __init__(
        self,
        text: str,
        *,
        endpoint: Optional[str] = None,
        error_code: Union[ErrorCode, int, str, None] = None,
        status: Union[ResponseStatus, int, str] = ResponseStatus.ERROR,
        message: str = "",
    ) -> None:
        super().__init__(text, endpoint=endpoint)
        self.error_code = error_code
        self.status = status
        self.message = message


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
    reference1: str
    reference2: str

    def __init__(
        self,
        message: str,
        *,
        endpoint: Optional[str] = None,
        reference1: str = "",
        reference2: str = "",
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.reference1 = reference1
        self.reference2 = reference2


class ProtocolError(DgaError):
    """DGA answered something the SDK cannot read (not JSON, no envelope)."""

    kind = "protocol"


class CallbackError(DgaError, ValueError):
    """A callback body is invalid; ``errors`` lists every problem (field, or the JSON syntax
    error's ``line``/``column``). Also a ``ValueError``."""

    kind = "callback"
    errors: List[FieldError]

    def __init__(self, message: str, *, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class VerificationError(DgaError):
    """DGA's status does not confirm a callback. ``reason`` (the core's code) says why:
    ``"unknown_payment"`` (DGA has no such transaction; answered 404), ``"pending_at_dga"``
    (DGA still says Pending; 409, DGA delivers again) or ``"status_differs"`` (DGA shows another
    final status; 409). ``mismatches`` lists what disagreed, for the agency's own logs only."""

    kind = "verification"
    reason: Optional[str]
    mismatches: List[Mismatch]

    def __init__(
        self, message: str, *, reason: Optional[str] = None, mismatches: Sequence[Mismatch] = ()
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.mismatches = list(mismatches)


ERROR_CLASSES: Dict[str, Type[DgaError]] = {
    cls.kind: cls
    for cls in (
        ValidationError,
        AuthError,
        ApiError,
        DgaTimeoutError,
        NetworkError,
        OutcomeUnknownError,
        ProtocolError,
        CallbackError,
        VerificationError,
    )
}


def _from_core(kind: str, text: str, fields: Mapping[str, Any]) -> DgaError:
    """The exception for a core error (called by the native module)."""
    cls = ERROR_CLASSES.get(kind)
    kwargs: Dict[str, Any] = dict(fields)
    if "errors" in kwargs:
        kwargs["errors"] = [FieldError(**e) for e in kwargs["errors"]]
    if "mismatches" in kwargs:
        kwargs["mismatches"] = [Mismatch(**m) for m in kwargs["mismatches"]]
    if cls is None:  # a kind newer than this package: still a DgaError
        err = DgaError(text, endpoint=kwargs.get("endpoint"))
        err.kind = kind  # type: ignore[misc]
        return err
    return cls(text, **kwargs)
