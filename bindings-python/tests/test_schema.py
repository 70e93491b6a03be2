"""The typed surface follows the core's schema (dga_epayment.schema()) both ways: a field the
schema gains, or an attribute/keyword the package keeps after the schema drops it, fails here."""

from __future__ import annotations

import ast
import typing
from pathlib import Path
from typing import Dict, Set

import pytest

import dga_epayment as dga

PKG = Path(dga.__file__).resolve().parent
RECORDS = dga.schema()["records"]


def snakes(record: str) -> Set[str]:
    return {f["snake"] for f in RECORDS[record]["fields"]}


def stub_classes(name: str) -> Dict[str, ast.ClassDef]:
    tree = ast.parse((PKG / name).read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def members(cls: ast.ClassDef) -> Set[str]:
    """A stub class's properties and annotated attributes."""
    out = set()
    for n in cls.body:
        if isinstance(n, ast.FunctionDef) and any(getattr(d, "id", "") == "property" for d in n.decorator_list):
            out.add(n.name)
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
            out.add(n.target.id)
    return out


def keywords(cls: ast.ClassDef, method: str) -> Set[str]:
    """A stub method's keywords: its keyword-only ones, or the TypedDict its ``**`` unpacks."""
    fn = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == method)
    kwarg = fn.args.kwarg
    if kwarg is not None and kwarg.annotation is not None:
        annotation = ast.unparse(kwarg.annotation)
        assert annotation.startswith("Unpack[") and not fn.args.kwonlyargs, annotation
        return members(stub_classes("_records.pyi")[annotation[len("Unpack["):-1]])
    return {a.arg for a in fn.args.kwonlyargs}


def same(surface: Set[str], record: str, extra: Set[str] = set()) -> None:
    schema = snakes(record)
    assert surface - extra == schema, (
        f"{record}: in the schema only: {sorted(schema - surface)}; "
        f"in the Python surface only: {sorted(surface - extra - schema)}"
    )


@pytest.mark.parametrize("record,extra", [("Payment", set()), ("PaymentStatus", {"is_paid"}), ("Confirmation", set())])
def test_record_attributes_match_the_schema(record: str, extra: Set[str]) -> None:
    same(members(stub_classes("_records.pyi")[record]), record, extra)
    runtime = getattr(dga, record)
    same({n for n in dir(runtime) if not n.startswith("_")}, record,
         extra | {"to_dict", "from_dict", "checkout_form_html", "checkout_fields"})


def test_keywords_match_the_schema() -> None:
    native = stub_classes("_native.pyi")
    same(keywords(native["Client"], "__new__"), "ClientOptions")
    same(keywords(native["Client"], "from_env"), "ClientOptions")
    same(keywords(native["Client"], "create_payment"), "CreatePayment")
    same(set(typing.get_type_hints(dga.RetryOptions)), "RetryOptions")


def test_exceptions_carry_every_error_field() -> None:
    attributes: Set[str] = {"kind", "message"}
    for cls in dga.ERROR_CLASSES.values():
        attributes |= set(typing.get_type_hints(cls))
    same(attributes, "Error")
    same(set(dga.FieldError._fields), "FieldError")
    same(set(dga.Mismatch._fields), "Mismatch")


def test_the_keywords_reach_the_core_by_the_schemas_names() -> None:
    # Every option keyword is one the core reads (an unknown one would be a TypeError).
    with pytest.raises(dga.ValidationError) as e:
        dga.Client(**{name: object() for name in snakes("ClientOptions")})
    assert {f.field for f in e.value.errors} >= snakes("ClientOptions") - {"retry"}, e.value.errors
    with pytest.raises(TypeError, match="unexpected keyword argument 'customerID'"):
        dga.Client(consumer_key="k", consumer_secret="s", agent_id="1234567890121").create_payment(customerID="1")
