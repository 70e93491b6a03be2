"""tests/vectors/errors.json: error kinds that come from how a call failed (an untrusted
certificate, the verification budget's busy refusal), through Python's exception classes."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

import pytest

import dga_epayment as dga
from conftest import AGENT_ID, SECRET, VECTORS, make_client, sandbox_binary, start_sandbox

DOC = json.loads((VECTORS / "errors.json").read_text(encoding="utf-8"))
CASES: List[Dict[str, Any]] = DOC["cases"]
OPTIONS = {f["wire"]: f for f in dga.schema()["records"]["ClientOptions"]["fields"]}


def python_options(wire: Dict[str, Any]) -> Dict[str, Any]:
    """The case's clientOptions (the core's JSON keys) as Client keywords (durations in s)."""
    out = {}
    for key, value in wire.items():
        f = OPTIONS[key]
        out[f["snake"]] = value / 1000 if f["type"] == "duration" else value
    return out


def provoke(case: Dict[str, Any]) -> Tuple[dga.DgaError, int]:
    """The failure the case's setup leads to, and the callback reply's status for it (0: none)."""
    if case["setup"] == "untrusted-tls":
        tls = VECTORS / "tls"
        sb = start_sandbox("--tls-cert", str(tls / "untrusted-cert.pem"),
                           "--tls-key", str(tls / "untrusted-key.pem"))
        try:
            assert sb.url.startswith("https://"), sb.url
            client = dga.Client(consumer_key="sandbox-key", consumer_secret=SECRET,
                                agent_id=AGENT_ID, gateway_url=sb.url, timeout=5)
            assert case["call"] == "status"
            with pytest.raises(dga.DgaError) as e:
                client.status(case["reference1"], case["reference2"])
            return e.value, 0
        finally:
            sb.stop()
    assert case["setup"] == "verification-budget", case["setup"]
    sb = start_sandbox()
    try:
        client = make_client(sb, **python_options(case["clientOptions"]))
        name = case["name"]
        for i in range(case["maxDeliveries"]):
            body = json.dumps({"ref1": f"FORGED-{name}-{i}", "ref2": "R2", "paidStatus": 1,
                               "amount": "1.00"})
            with pytest.raises(dga.VerificationError) as e:
                client.receive_callback(body)
            if e.value.reason == "busy":
                # The reply for it: the next delivery meets the same empty budget.
                reply = client.handle_callback(body, lambda s: None)
                return e.value, reply.http_status
            assert e.value.reason == "unknown_payment", e.value
        raise AssertionError(f"{name}: no delivery was refused as busy")
    finally:
        sb.stop()


def test_error_vectors_are_there() -> None:
    assert len(CASES) >= 2 and sandbox_binary().exists()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_error_vector(case: Dict[str, Any]) -> None:
    expect = case["expect"]
    e, http_status = provoke(case)
    message = str(e)
    # The kind picks the class; transient is the error's own property.
    assert type(e) is dga.ERROR_CLASSES[expect["errorKind"]] and e.kind == expect["errorKind"]
    assert e.transient is expect["transient"], message
    if "messageContains" in expect:
        assert expect["messageContains"].lower() in message.lower(), message
    for secret in expect.get("messageExcludes", []):
        assert secret not in message and secret not in repr(e), message
    if "endpoint" in expect:
        assert e.endpoint == expect["endpoint"], message
    else:
        assert e.endpoint is None or case["setup"] != "verification-budget", message
    if "reason" in expect:
        assert getattr(e, "reason", None) == expect["reason"]
    if "httpStatus" in expect:
        assert http_status == expect["httpStatus"]
