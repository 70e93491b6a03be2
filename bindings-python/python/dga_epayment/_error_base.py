"""``DgaError``, the base of the exception per error kind that ``_errors`` (generated from the
core's error kinds) declares, and the reading of the core's error JSON (``Error::to_json``):
the kind picks the class, each key present becomes the snake_case attribute."""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping, Optional, Type

from ._enums import _member
from ._native import schema


# The error JSON's lists (errors, mismatches): each exception has a list of its own.
_LISTS = [f["snake"] for f in schema()["records"]["Error"]["fields"] if f["type"] == "list"]


class DgaError(Exception):
    """Base of every error the SDK raises."""

    kind: ClassVar[str] = ""
    kind_number: int = 0
    #: Whether repeating the call later may succeed (the core decides: a timeout, a network
    #: failure, no token without a refusal, a busy verification).
    transient: bool = False
    #: The call that failed (``"token"``, ``"create"``, ``"close"``, ``"void"``,
    #: ``"status"``), or None.
    endpoint: Optional[str] = None

    def __init__(self, message: str, **attributes: Any) -> None:
        super().__init__(message)
        for name in _LISTS:  # given or not
            if name in type(self).__annotations__:
                setattr(self, name, list(attributes.pop(name, ())))
        for name, value in attributes.items():
            setattr(self, name, value)


def _reader(classes: Mapping[str, Type[DgaError]],
            items: Mapping[str, Callable[..., Any]]) -> Callable[..., DgaError]:
    """``_from_json`` over the kinds' classes and the classes of the records listed in errors
    (``FieldError``, ``Mismatch``)."""
    records = schema()["records"]

    def converter(field: Mapping[str, Any]) -> Callable[[Any], Any]:
        if field["type"] == "enum":
            return _member(str(field["enum"]))
        if field["type"] == "list":
            cls, fields = items[field["record"]], records[field["record"]]["fields"]
            return lambda items: [cls(**{f["snake"]: i.get(f["wire"]) for f in fields})
                                  for i in items]
        return lambda v: v

    # kind is the class's; message is the exception's text (ApiError.message is DGA's words).
    attributes = [(f["wire"], f["snake"], converter(f)) for f in records["Error"]["fields"]
                  if f["snake"] not in ("kind", "message")]

    def from_json(data: Mapping[str, Any], dga_message: Optional[str] = None) -> DgaError:
        cls = classes.get(data["kind"], DgaError)
        err = cls(data["message"])
        if cls is DgaError:  # a kind newer than this package: still a DgaError
            err.kind = data["kind"]  # type: ignore[misc]
        for key, name, convert in attributes:
            if key in data:
                setattr(err, name, convert(data[key]))
        if dga_message is not None:
            err.message = dga_message  # type: ignore[attr-defined]
        return err

    return from_json


__all__ = ["DgaError"]
