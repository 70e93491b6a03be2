"""Every call of the blocking client against the sandbox, and the result types."""

from __future__ import annotations

import asyncio
import datetime
import pickle
from decimal import Decimal

import pytest

import dga_epayment as dga
from conftest import AGENT_ID, SECRET, Sandbox, create, make_client, paid, unique_ref


def test_create_payment_returns_a_typed_payment(client: dga.Client, sandbox: Sandbox) -> None:
    ref = unique_ref()
    p = client.create_payment(
        customer_id="1234567890121",
        customer_title_name="นาย",
        customer_first_name="ทดสอบ",
        customer_middle_name="กลาง",
        customer_last_name="ระบบ",
        payment_type=dga.PaymentType.FAST_PAY,
        amount=Decimal("1000.50"),
        request_reference1=ref,
        request_reference2="B2",
        request_reference3="note",
        data={"invoice": "INV-9", "lines": [1, Decimal("2.50")]},
    )
    assert isinstance(p, dga.Payment)
    assert p.reference1 == ref and p.reference2 == "B2"
    assert p.amount == Decimal("1000.50") and isinstance(p.amount, Decimal)
    assert p.pay_method == "CC"
    assert p.merchant_id == "900000001" and p.curr_code == "764"
    assert len(p.order_ref) == 18 and p.order_ref1 == ref
    assert p.gateway_url.startswith(sandbox.url) and p.gateway_url.endswith("/ktb/payForm")
    assert len(p.security_key) == 64
    assert p.success_url and p.fail_url and p.cancel_url
    assert p.warning is None
    # The sandbox stored the data object as sent, exact numbers included.
    tx = next(t for t in sandbox.request("GET", "/__sandbox/transactions") if t["ref1"] == ref)
    assert tx["data"] == {"invoice": "INV-9", "lines": [1, 2.5]}
    assert tx["customerMiddleName"] == "กลาง" and tx["requestReference3"] == "note"


@pytest.mark.parametrize("amount", [Decimal("12.30"), "12.30", 12, Decimal("1.2E+1")])
def test_amount_takes_decimal_str_or_int(client: dga.Client, amount: object) -> None:
    p = create(client, amount=amount)
    assert p.amount == Decimal(str(amount))


def test_a_float_amount_is_refused_with_a_message_saying_what_to_pass(client: dga.Client, sandbox: Sandbox) -> None:
    before = sandbox.count("create")
    with pytest.raises(dga.ValidationError) as e:
        create(client, amount=1000.5)
    assert [f.field for f in e.value.errors] == ["amount"]
    assert "Decimal" in str(e.value) and "str" in str(e.value)
    # Also a ValueError, as Python code catching bad values expects.
    assert isinstance(e.value, ValueError)
    for bad in (True, None, [1], Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(dga.ValidationError) as e:
            create(client, amount=bad)
        assert [f.field for f in e.value.errors] == ["amount"], bad
    assert sandbox.count("create") == before, "refused before any network call"


def test_every_bad_field_is_named_at_once(client: dga.Client) -> None:
    with pytest.raises(dga.ValidationError) as e:
        create(client, customer_id=" ", amount=0.1, payment_type=dga.PaymentType.BILL_PAYMENT, data=[1])
    # Named by the keywords they came as, whether the binding or the core found them.
    assert {f.field for f in e.value.errors} == {"customer_id", "amount", "payment_type", "data"}
    assert e.value.kind == "validation"
    with pytest.raises(dga.ValidationError) as e:
        create(client, customer_first_name="", request_reference2="a\nb", data={"at": {1, 2}})
    assert [(f.field, f.message) for f in e.value.errors] == [
        ("data", "data.at cannot be sent as JSON: set"),
        ("customer_first_name", "is required"),
        ("request_reference2", "contains a control character"),
    ]
    with pytest.raises(dga.ValidationError, match=r"^invalid input: timeout cannot be sent as JSON: timedelta(;|$)"):
        dga.Client.from_env(timeout=datetime.timedelta(seconds=5))


@pytest.mark.parametrize("payment_type", [dga.PaymentType.QR_PAYMENT, 5, "QRPayment", "qrpayment"])
def test_payment_type_as_member_number_or_name(client: dga.Client, payment_type: object) -> None:
    assert create(client, payment_type=payment_type).pay_method == "QR"


def test_status_close_and_void(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client, amount="250.75")
    st = client.status(p.reference1, p.reference2)
    assert st.paid_status is dga.PaidStatus.PENDING and not st.is_paid
    assert st.amount == Decimal("250.75") and st.ref1 == p.reference1 and st.ref2 == "R2"
    assert st.paid_date is None and st.ref_id is None
    assert st.payment_type is dga.PaymentType.FAST_PAY

    c = client.close(p.reference1, p.reference2)
    assert isinstance(c, dga.Confirmation)
    assert c.status is dga.ResponseStatus.SUCCESS and c.data is None
    assert client.status(p.reference1, p.reference2).paid_status is dga.PaidStatus.EXPIRED

    p2, st2 = paid(client, sandbox)
    assert st2.paid_status is dga.PaidStatus.SUCCESS and st2.is_paid
    assert isinstance(st2.paid_date, datetime.datetime) and st2.paid_date.tzinfo is None
    assert st2.paid_channel and st2.card_no and st2.ref_id
    assert st2.fee_amount == Decimal(0)
    assert st2.paid_status.description_th == "ชำระเงินสำเร็จ"
    assert st2.ref_id is not None
    v = client.void(p2.reference1, p2.reference2, st2.ref_id)
    assert v.status is dga.ResponseStatus.SUCCESS
    st3 = client.status(p2.reference1, p2.reference2)
    assert st3.paid_status is dga.PaidStatus.VOID and isinstance(st3.void_date, datetime.datetime)


def test_status_reference2_defaults_to_empty(client: dga.Client) -> None:
    p = client.create_payment(
        customer_id="1234567890121", customer_title_name="นาย", customer_first_name="ก",
        customer_last_name="ข", payment_type="FastPay", amount="1", request_reference1=unique_ref(),
    )
    assert p.reference2 == ""
    assert client.status(p.reference1).ref1 == p.reference1
    # None (a NULL reference2 column) is no reference2, as status_many reads it.
    assert client.status(p.reference1, None).ref1 == p.reference1
    ac = dga.AsyncClient.wrap(client)
    assert asyncio.run(ac.status(p.reference1, None)).ref1 == p.reference1
    assert client.close(p.reference1, None).status is dga.ResponseStatus.SUCCESS


def test_checkout_form_html_posts_every_field_to_the_gateway(client: dga.Client) -> None:
    p = create(client)
    html = p.checkout_form_html()
    assert html == dga.checkout_form_html(p)
    assert f'action="{p.gateway_url}"' in html
    assert f'name="securityKey" value="{p.security_key}"' in html
    assert f'name="amount" value="{p.amount}"' in html
    names = [n for n, _ in p.checkout_fields()]
    assert names[:3] == ["merchantId", "amount", "orderRef"]


def test_repr_never_shows_the_security_key_or_secret(client: dga.Client) -> None:
    p = create(client)
    assert p.security_key not in repr(p) and "security_key=<hidden>" in repr(p)
    assert p.reference1 in repr(p)
    assert SECRET not in repr(client) and AGENT_ID in repr(client)


def test_results_round_trip_through_dict_and_pickle(client: dga.Client, sandbox: Sandbox) -> None:
    p, st = paid(client, sandbox)
    assert dga.Payment.from_dict(p.to_dict()) == p
    assert pickle.loads(pickle.dumps(p)) == p
    d = st.to_dict()
    assert d["paidStatus"] == "Success" and Decimal(d["amount"]) == 40 and isinstance(d["amount"], str)
    assert dga.PaymentStatus.from_dict(d) == st
    assert pickle.loads(pickle.dumps(st)) == st
    with pytest.raises(dga.ValidationError):
        dga.PaymentStatus.from_dict({"amount": "1"})


def test_verify_callback_returns_dgas_status(client: dga.Client, sandbox: Sandbox) -> None:
    p, st = paid(client, sandbox)
    cb = dga.PaymentStatus.from_dict(st.to_dict())
    verified = client.verify_callback(cb)
    assert verified.paid_status is dga.PaidStatus.SUCCESS and verified.ref1 == p.reference1


def test_worker_threads_is_an_option_checked_by_the_core() -> None:
    # Process-wide (the runtime is the process's), so only its checking is tested here; the
    # core's tests/worker_threads.rs counts the threads it gives.
    with pytest.raises(dga.ValidationError) as e:
        dga.Client(consumer_key="k", consumer_secret="s", agent_id="1234567890121", worker_threads=0)
    assert [f.field for f in e.value.errors] == ["worker_threads"]


def test_config_errors_name_every_setting(sandbox: Sandbox) -> None:
    with pytest.raises(dga.ValidationError) as e:
        dga.Client(consumer_key="", consumer_secret=SECRET, agent_id="12", environment="moon",
                   timeout=-1, retry={"token_attempts": "x", "bogus": 1})
    fields = {f.field for f in e.value.errors}
    # Named as the caller spelled them (the keywords): the core names them by the binding's spelling.
    assert {"consumer_key", "agent_id", "environment", "timeout", "retry.token_attempts", "retry.bogus"} <= fields
    assert SECRET not in str(e.value)
    with pytest.raises(TypeError):
        dga.Client(consumer_key="k", consumer_secret="s")  # type: ignore[call-arg]


def test_client_options(sandbox: Sandbox) -> None:
    c = make_client(sandbox, environment="production", retry=False, connect_timeout=1.5,
                    token_max_age=60, user_agent_suffix="agency/1", strict_agent_id=True)
    assert c.environment == "production" and c.source == "SANDBOX" and c.agent_id == AGENT_ID
    p = create(c)
    assert c.status(p.reference1, p.reference2).paid_status is dga.PaidStatus.PENDING
    with pytest.raises(dga.ValidationError) as e:
        make_client(sandbox, agent_id="1234567890123", strict_agent_id=True)
    assert e.value.errors[0].field == "agent_id"
    with pytest.raises(dga.ValidationError) as e:
        make_client(sandbox, ca_pem="not a certificate")
    assert "PEM" in str(e.value)


def test_from_env_reads_the_dga_variables(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DGA_CONSUMER_KEY", "sandbox-key")
    monkeypatch.setenv("DGA_CONSUMER_SECRET", SECRET)
    monkeypatch.setenv("DGA_AGENT_ID", AGENT_ID)
    monkeypatch.setenv("DGA_GATEWAY_URL", sandbox.url)
    monkeypatch.setenv("DGA_SOURCE", "SANDBOX")
    c = dga.Client.from_env()
    assert c.gateway_url.startswith(sandbox.url) and c.source == "SANDBOX"
    assert create(c).reference1
    assert dga.Client.from_env(source="DGA").source == "DGA", "keywords override the environment"
    monkeypatch.delenv("DGA_CONSUMER_SECRET")
    with pytest.raises(dga.ValidationError) as e:
        dga.Client.from_env()
    assert "DGA_CONSUMER_SECRET" in str(e.value)


def test_callback_ack_and_citizen_id() -> None:
    import json

    ack = json.loads(dga.callback_ack(True))
    assert ack["result"] is True and ack["message"] == "Success" and isinstance(ack["requestTimeStamp"], int)
    nack = json.loads(dga.callback_ack(False, "ระบบขัดข้อง"))
    assert nack == {**nack, "result": False, "message": "ระบบขัดข้อง"}
    assert dga.validate_citizen_id("1234567890121") is True
    assert dga.validate_citizen_id("1234567890123") is False


def test_receive_and_handle_callback(client: dga.Client, sandbox: Sandbox) -> None:
    import json

    p, st = paid(client, sandbox)
    body = json.dumps({**st.to_dict(), "paidStatus": 1, "paymentType": 3})
    got = client.receive_callback(body.encode())
    assert got.is_paid and got.ref1 == p.reference1
    seen: list[dga.PaymentStatus] = []
    reply = client.handle_callback(body, seen.append)
    assert reply.http_status == 200 and reply.accepted and json.loads(reply.body)["result"] is True
    assert seen == [got]

    def broken(status: dga.PaymentStatus) -> None:
        raise RuntimeError("database down")

    reply = client.handle_callback(body, broken)
    assert (reply.http_status, reply.accepted) == (500, False)
    assert "database" not in reply.body
    reply = client.handle_callback(b"{not json", seen.append)
    assert (reply.http_status, reply.accepted) == (400, False) and len(seen) == 1
    with pytest.raises(TypeError):
        client.receive_callback(123)  # type: ignore[arg-type]
