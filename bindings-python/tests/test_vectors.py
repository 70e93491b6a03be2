"""The cross-language vectors of tests/vectors/ through the Python API: same results as Rust."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any, Dict, List, Optional

import pytest

import dga_epayment as dga
from conftest import Sandbox, load_vectors, make_client, unique_ref

CALLBACKS = load_vectors("callbacks")
CREATES = load_vectors("create_requests")
CITIZEN_IDS = load_vectors("citizen_ids")
AMOUNTS = load_vectors("amounts")
RESPONSES = load_vectors("responses")


def exact_json(text: str) -> Any:
    """JSON with exact numbers (ints stay ints, other numbers Decimal), as the binding gives."""
    return json.loads(text, parse_float=Decimal)


def body_of(case: Dict[str, Any]) -> bytes:
    if "bodyBase64" in case:
        return base64.b64decode(case["bodyBase64"])
    return str(case["body"]).encode("utf-8")


def test_vector_files_are_complete() -> None:
    assert len(CALLBACKS) >= 50 and len(CREATES) >= 30 and len(RESPONSES) >= 20


@pytest.mark.parametrize("case", CALLBACKS, ids=[c["name"] for c in CALLBACKS])
def test_callback_vector(case: Dict[str, Any]) -> None:
    expect = case["expect"]
    raw = body_of(case)
    if expect["ok"]:
        cb = dga.parse_callback(raw)
        assert cb.to_dict() == exact_json(json.dumps(expect["callback"]))
        if "bodyBase64" not in case:
            assert dga.parse_callback(raw.decode("utf-8")) == cb, "str and bytes read alike"
        return
    with pytest.raises(dga.CallbackError) as e:
        dga.parse_callback(raw)
    assert expect["errorKind"] == e.value.kind == "callback"
    assert {f.field for f in e.value.errors} == set(expect["fields"])
    if "line" in expect:
        assert any(
            f.field == "body" and f.line == expect["line"] and f.column == expect["column"]
            for f in e.value.errors
        ), e.value.errors


# The guide's camelCase keys as create_payment's keywords (keys are case-insensitive).
KWARGS = {
    "customerid": "customer_id",
    "customertitlename": "customer_title_name",
    "customerfirstname": "customer_first_name",
    "customermiddlename": "customer_middle_name",
    "customerlastname": "customer_last_name",
    "bankcode": "bank_code",
    "paymenttype": "payment_type",
    "amount": "amount",
    "requestreference1": "request_reference1",
    "requestreference2": "request_reference2",
    "requestreference3": "request_reference3",
    "source": "source",
    "data": "data",
}
REQUIRED_TEXT = ["customer_id", "customer_title_name", "customer_first_name", "customer_last_name", "request_reference1"]


def create_kwargs(request: Any) -> Optional[Dict[str, Any]]:
    """The request as keywords, or None when Python's signature cannot express it (not an
    object, an unknown key): those are a TypeError in Python, checked below."""
    if not isinstance(request, dict):
        return None
    kwargs: Dict[str, Any] = {}
    for key, value in request.items():
        name = KWARGS.get(key.strip().lower())
        if name is None:
            return None
        kwargs[name] = value
    # A required keyword cannot be left out in Python: absent text is "" (refused alike),
    # an absent payment type or amount is None (refused alike).
    for name in REQUIRED_TEXT:
        kwargs.setdefault(name, "")
    kwargs.setdefault("payment_type", None)
    kwargs.setdefault("amount", None)
    return kwargs


@pytest.mark.parametrize("case", CREATES, ids=[c["name"] for c in CREATES])
def test_create_request_vector(case: Dict[str, Any], sandbox: Sandbox) -> None:
    expect = case["expect"]
    if expect.get("errorKind") == "invalid_json":
        with pytest.raises(ValueError):
            exact_json(case["request"])
        return
    request = exact_json(case["request"])
    client = make_client(sandbox, source=case["defaultSource"])
    kwargs = create_kwargs(request)
    text_not_str = kwargs is not None and any(
        not isinstance(kwargs.get(n), (str, type(None))) for n in REQUIRED_TEXT + ["customer_middle_name", "source"]
    )
    if kwargs is None or text_not_str:
        # Not expressible as keywords of the right type: Python refuses the call itself.
        assert not expect["ok"]
        with pytest.raises(TypeError):
            client.create_payment(**(kwargs or {"request": request}))
        return
    if expect["ok"]:
        kwargs["request_reference1"] = unique_ref("VEC")  # the sandbox refuses a repeat
        payment = client.create_payment(**kwargs)
        assert payment.reference1 == kwargs["request_reference1"]
        return
    before = sandbox.count("create")
    with pytest.raises(dga.ValidationError) as e:
        client.create_payment(**kwargs)
    # Named by the keyword: the vector's wire names as Python spells them.
    assert {f.field for f in e.value.errors} == {KWARGS[f.lower()] for f in expect["fields"]}
    assert sandbox.count("create") == before, "refused before any network call"


@pytest.mark.parametrize("case", CITIZEN_IDS, ids=[repr(c["id"]) for c in CITIZEN_IDS])
def test_citizen_id_vector(case: Dict[str, Any]) -> None:
    assert dga.validate_citizen_id(case["id"]) is (case["check"] == "valid")


@pytest.mark.parametrize("case", AMOUNTS, ids=[c["json"] for c in AMOUNTS])
def test_amount_vector_through_a_callback(case: Dict[str, Any]) -> None:
    # parse_amount is what reads a callback's amount: the JSON value goes in as the amount.
    body = ('{"paidStatus": 1, "description": "", "paidDate": "", "paidChannel": "", '
            '"confirmPaidDate": "", "refId": "", "ref1": "R1", "ref2": "", "paymentType": 3, '
            '"amount": %s, "feeAmount": 0}') % case["json"]
    if case["expect"] is None:
        with pytest.raises(dga.CallbackError) as e:
            dga.parse_callback(body)
        assert {f.field for f in e.value.errors} == {"amount"}
        return
    amount = dga.parse_callback(body).amount
    assert isinstance(amount, Decimal)
    assert format(amount, "f") == case["expect"], "exact, with the scale as written"


def enum_value(v: Any) -> Any:
    return v.dga_name if isinstance(v, dga.DgaEnum) else v


def call_for(client: dga.Client, case: Dict[str, Any]) -> Any:
    endpoint = case["endpoint"]
    if endpoint == "create":
        kwargs = create_kwargs(exact_json(case["request"]))
        assert kwargs is not None
        return client.create_payment(**kwargs)
    if endpoint == "status" or endpoint == "token":
        return client.status(case.get("reference1", "X"), case.get("reference2", ""))
    if endpoint == "close":
        return client.close(case["reference1"], case["reference2"])
    return client.void(case["reference1"], case["reference2"], case["paymentReference"])


# Python does not hand out the token itself (it is a secret); a successful token answer is
# checked by the Rust runner. Token failures are seen through any call.
RESPONSE_CASES = [c for c in RESPONSES if not (c["endpoint"] == "token" and c["expect"]["ok"])]


@pytest.mark.parametrize("case", RESPONSE_CASES, ids=[c["name"] for c in RESPONSE_CASES])
def test_response_vector(case: Dict[str, Any], sandbox: Sandbox) -> None:
    sandbox.fault(case["endpoint"], "respond", 100, httpStatus=case["httpStatus"], body=case["body"])
    try:
        client = make_client(sandbox, retry=False)
        expect = case["expect"]
        if expect["ok"]:
            result = call_for(client, case)
            assert result.to_dict() == exact_json(json.dumps(expect["result"]))
            return
        with pytest.raises(dga.DgaError) as e:
            call_for(client, case)
        err = e.value
        assert err.kind == expect["errorKind"], str(err)
        if "errorCode" in expect:
            assert isinstance(err, dga.ApiError)
            assert enum_value(err.error_code) == expect["errorCode"]
        if "reference1" in expect:
            assert isinstance(err, dga.OutcomeUnknownError)
            assert (err.reference1, err.reference2) == (expect["reference1"], expect["reference2"])
    finally:
        sandbox.clear_faults()
