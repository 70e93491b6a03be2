"""Every error kind of the core, driven through the sandbox, raised as the right exception
with its fields; the exception list matches the core's."""

from __future__ import annotations

import json

import pytest

import dga_epayment as dga
from conftest import SECRET, Sandbox, create, make_client, paid, start_sandbox, unique_ref


def test_exception_classes_match_the_cores_error_kinds() -> None:
    kinds = dga.error_kinds()
    assert [k["number"] for k in kinds] == list(range(1, len(kinds) + 1))
    assert [k["code"] for k in kinds] == list(dga.ERROR_CLASSES), (
        "dga_epayment._errors.ERROR_CLASSES should list, in order: "
        + ", ".join(k["code"] for k in kinds)
    )
    for cls in dga.ERROR_CLASSES.values():
        assert issubclass(cls, dga.DgaError) and cls is not dga.DgaError
    assert {c.__name__ for c in dga.ERROR_CLASSES.values()} == {
        "ValidationError", "AuthError", "ApiError", "DgaTimeoutError", "NetworkError",
        "OutcomeUnknownError", "ProtocolError", "CallbackError", "VerificationError",
    }


def test_api_error_carries_code_status_message_endpoint(client: dga.Client) -> None:
    with pytest.raises(dga.ApiError) as e:
        client.status(unique_ref("NOPE"))
    err = e.value
    assert err.kind == "api" and err.endpoint == "status"
    assert err.error_code is dga.ErrorCode.TRANSACTION_NOT_FOUND
    assert err.status is dga.ResponseStatus.ERROR
    assert err.message and err.message in str(err)
    assert "TransactionNotFound (8)" in str(err)


def test_api_errors_for_the_guides_business_rules(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    with pytest.raises(dga.ApiError) as e:
        create(client, request_reference1=p.reference1)
    assert e.value.error_code is dga.ErrorCode.REFERENCE_NUMBER_DUPLICATE and e.value.endpoint == "create"
    p2, st = paid(client, sandbox)
    with pytest.raises(dga.ApiError) as e:
        client.close(p2.reference1, p2.reference2)
    assert e.value.error_code is dga.ErrorCode.PAID_PAYMENT_CANNOT_BE_CLOSED
    with pytest.raises(dga.ApiError) as e:
        client.void(p2.reference1, p2.reference2, "0000000")
    assert e.value.error_code is dga.ErrorCode.UNABLE_TO_VOID_TRANSACTION
    with pytest.raises(dga.ApiError) as e:
        create(client, source="NOT-A-SOURCE")
    assert e.value.error_code is dga.ErrorCode.INVALID_SOURCE


def test_unknown_error_code_is_kept_raw(client: dga.Client, sandbox: Sandbox) -> None:
    client.status(create(client).reference1, "R2")  # a token first: the fault is on status only
    body = json.dumps({"status": 3, "errorCode": 4242, "message": "new rule", "data": None})
    sandbox.fault("status", "respond", 1, httpStatus=200, body=body)
    with pytest.raises(dga.ApiError) as e:
        client.status("X")
    assert e.value.error_code == 4242 and not isinstance(e.value.error_code, dga.ErrorCode)
    assert e.value.message == "new rule"


def test_validation_error_names_fields(client: dga.Client) -> None:
    with pytest.raises(dga.ValidationError) as e:
        client.status("  ")
    assert e.value.kind == "validation" and [f.field for f in e.value.errors] == ["reference1"]
    with pytest.raises(dga.ValidationError) as e:
        client.void("r", "", " ")
    assert [f.field for f in e.value.errors] == ["payment_reference"]


def test_auth_error_for_rejected_credentials(sandbox: Sandbox) -> None:
    c = make_client(sandbox, consumer_secret="wrong-secret")
    with pytest.raises(dga.AuthError) as e:
        create(c)
    assert e.value.kind == "auth" and "wrong-secret" not in str(e.value)
    assert not e.value.transient and str(e.value).startswith("authentication failed")


def test_auth_error_after_token_retries(sandbox: Sandbox) -> None:
    sandbox.fault("token", "http_status", 100, httpStatus=503)
    with pytest.raises(dga.AuthError) as e:
        make_client(sandbox).status("x")
    assert "5 attempts" in str(e.value)
    assert SECRET not in str(e.value)
    # DGA never refused the credentials: worth retrying later, and the text says so first.
    assert e.value.transient and "the credentials were not refused" in str(e.value)


def test_timeout_error(sandbox: Sandbox) -> None:
    c = make_client(sandbox, timeout=0.3)
    p = create(c)
    sandbox.fault("status", "latency", 3, latencyMs=1000)
    with pytest.raises(dga.DgaTimeoutError) as e:
        c.status(p.reference1, p.reference2)
    assert e.value.kind == "timeout" and e.value.endpoint == "status"
    assert "3 attempts" in str(e.value)


def test_network_error_after_status_retries(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    sandbox.fault("status", "http_status", 3, httpStatus=503)
    with pytest.raises(dga.NetworkError) as e:
        client.status(p.reference1, p.reference2)
    assert e.value.kind == "network" and e.value.endpoint == "status"


def test_network_error_when_the_gateway_goes_away() -> None:
    own = start_sandbox()
    c = make_client(own, retry={"connect_attempts": 2, "backoff_base": 0.001, "backoff_cap": 0.005})
    p = create(c)  # a token is cached now
    own.stop()
    with pytest.raises(dga.NetworkError) as e:
        c.close(p.reference1, p.reference2)
    assert e.value.kind == "network" and e.value.endpoint == "close"
    assert "2 attempts" in str(e.value)


@pytest.mark.parametrize("kind,extra,created", [
    ("reset", {}, False),
    ("http_status", {"httpStatus": 500}, False),
    ("malformed", {}, True),
])
def test_outcome_unknown_carries_the_references(client: dga.Client, sandbox: Sandbox, kind: str, extra: dict, created: bool) -> None:
    client.status(create(client).reference1, "R2")  # token first
    ref = unique_ref("OU")
    sandbox.fault("create", kind, 1, **extra)
    with pytest.raises(dga.OutcomeUnknownError) as e:
        create(client, request_reference1=ref)
    assert e.value.kind == "outcome_unknown" and e.value.endpoint == "create"
    assert (e.value.reference1, e.value.reference2) == (ref, "R2")
    # The caller does what the error says: check status.
    if created:
        assert client.status(e.value.reference1, e.value.reference2).paid_status is dga.PaidStatus.PENDING
    else:
        with pytest.raises(dga.ApiError) as nf:
            client.status(e.value.reference1, e.value.reference2)
        assert nf.value.error_code is dga.ErrorCode.TRANSACTION_NOT_FOUND


def test_void_outcome_unknown(client: dga.Client, sandbox: Sandbox) -> None:
    p, st = paid(client, sandbox)
    assert st.ref_id
    sandbox.fault("void", "malformed", 1)
    with pytest.raises(dga.OutcomeUnknownError) as e:
        client.void(p.reference1, p.reference2, st.ref_id)
    assert e.value.endpoint == "void" and e.value.reference1 == p.reference1


def test_protocol_error(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    sandbox.fault("status", "malformed", 1)
    with pytest.raises(dga.ProtocolError) as e:
        client.status(p.reference1, p.reference2)
    assert e.value.kind == "protocol" and e.value.endpoint == "status"


def test_callback_error_lists_fields_and_json_position() -> None:
    with pytest.raises(dga.CallbackError) as e:
        dga.parse_callback(b'{"paidStatus": 1}')
    assert e.value.kind == "callback" and isinstance(e.value, ValueError)
    assert {"amount", "ref1"} <= {f.field for f in e.value.errors}
    with pytest.raises(dga.CallbackError) as e:
        dga.parse_callback('{\n  "a": ,')
    body = [f for f in e.value.errors if f.field == "body"]
    assert body and body[0].line == 2 and body[0].column is not None


def test_verification_error_lists_mismatches(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client, amount="99.00")
    pending = client.status(p.reference1, p.reference2)
    forged = dga.PaymentStatus.from_dict({**pending.to_dict(), "paidStatus": "Success", "amount": "1.00"})
    with pytest.raises(dga.VerificationError) as e:
        client.verify_callback(forged)
    assert e.value.kind == "verification" and e.value.reason == "pending_at_dga"
    # DGA's status decides: the amount is not a reason to refuse (only logged), so the
    # mismatch named is the status.
    assert {m.field for m in e.value.mismatches} == {"paidStatus"}
    m = next(m for m in e.value.mismatches if m.field == "paidStatus")
    assert (m.callback, m.dga) == ("Success", "Pending")
    ghost = dga.PaymentStatus.from_dict({**pending.to_dict(), "ref1": unique_ref("GHOST")})
    with pytest.raises(dga.VerificationError) as e:
        client.verify_callback(ghost)
    assert e.value.reason == "unknown_payment"
    assert e.value.mismatches[0].field == "ref1/ref2"


def test_every_exception_is_a_dga_error_with_kind() -> None:
    with pytest.raises(dga.DgaError) as e:
        dga.parse_callback(b"")
    assert e.value.kind == "callback"
