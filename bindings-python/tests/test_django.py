"""dga_epayment.django.callback_view with real Django and its test client."""

from __future__ import annotations

import json
import time
import warnings
from typing import Any, List

import pytest

import dga_epayment as dga
import django_site
from conftest import AGENT_ID, SECRET, Sandbox, create, unique_ref

django_site.configure()

from django.test import Client as DjangoClient  # noqa: E402
from django.urls import path  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.test import override_settings  # noqa: E402

import dga_epayment.django as dga_django  # noqa: E402
from dga_epayment.django import callback_view  # noqa: E402

recorded: List[dga.PaymentStatus] = []


def record_payment(status: dga.PaymentStatus) -> None:
    recorded.append(status)


def failing(status: dga.PaymentStatus) -> None:
    raise RuntimeError("orders table locked")


@pytest.fixture
def web(client: dga.Client) -> DjangoClient:
    recorded.clear()
    return django_site.serve([
        path("dga/callback", callback_view(record_payment, client=client)),
        path("dga/callback-failing", callback_view(failing, client=client)),
        path("dga/callback-unverified", callback_view(record_payment, client=client, verify=False)),
    ])


@pytest.fixture
def callbacks_logged(sandbox: Sandbox) -> Any:
    sandbox.log_callbacks()
    yield
    sandbox.request("POST", "/__sandbox/config", {"callbackUrl": None})


def post(web: DjangoClient, url: str, body: str) -> Any:
    return web.post(url, data=body, content_type="application/json")


def test_a_valid_paid_callback_is_verified_recorded_and_acknowledged(
    web: DjangoClient, client: dga.Client, sandbox: Sandbox, callbacks_logged: Any
) -> None:
    p = create(client, amount="1500.25")
    sandbox.simulate(p.reference1, p.reference2, "pay")
    body = sandbox.delivered_body(p.reference1)
    assert json.loads(body)["paidStatus"] == 1  # DGA's numbers, as the guide's example
    r = post(web, "/dga/callback", body)
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("application/json")
    ack = json.loads(r.content)
    assert ack["result"] is True and ack["message"] == "Success"
    assert len(recorded) == 1
    st = recorded[0]
    assert st.is_paid and st.ref1 == p.reference1 and str(st.amount) in ("1500.25",)


def test_a_forged_callback_is_refused(web: DjangoClient, client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client, amount="80.00")
    pending = client.status(p.reference1, p.reference2).to_dict()
    forged = {**pending, "paidStatus": 1, "paymentType": 3, "paidDate": "2024-03-07T15:42:28",
              "confirmPaidDate": "2024-03-07T15:42:28", "refId": "1234567", "paidChannel": "x",
              "feeAmount": 0}
    r = post(web, "/dga/callback", json.dumps(forged))
    ack = json.loads(r.content)
    # DGA still says Pending: 409 (DGA delivers again), and the reply repeats nothing DGA said.
    assert ack["result"] is False and r.status_code == 409
    assert "Pending" not in r.content.decode() and "80" not in ack["message"]
    assert recorded == [], "the handler never sees an unconfirmed callback"
    ghost = {**forged, "ref1": unique_ref("GHOST")}
    r = post(web, "/dga/callback", json.dumps(ghost))
    # A reference DGA does not know: 404, not a mismatch.
    assert r.status_code == 404
    assert json.loads(r.content)["result"] is False and recorded == []


def test_a_malformed_body_is_400_with_the_reason(web: DjangoClient) -> None:
    r = post(web, "/dga/callback", '{"paidStatus": 1, "amount": ')
    assert r.status_code == 400
    ack = json.loads(r.content)
    assert ack["result"] is False and "not valid JSON" in ack["message"]
    r = post(web, "/dga/callback", '{"paidStatus": 1}')
    # With verification the core names only the references' problems (core 798f29b).
    assert r.status_code == 400 and "ref1" in json.loads(r.content)["message"]
    assert recorded == []


def test_a_failing_handler_means_result_false(web: DjangoClient, client: dga.Client, sandbox: Sandbox, callbacks_logged: Any) -> None:
    p = create(client)
    sandbox.simulate(p.reference1, p.reference2, "pay")
    r = post(web, "/dga/callback-failing", sandbox.delivered_body(p.reference1))
    assert r.status_code == 500
    ack = json.loads(r.content)
    assert ack["result"] is False and "locked" not in ack["message"]


async def recorded_later(status: dga.PaymentStatus) -> None:
    recorded.append(status)


def test_an_async_handler_is_refused_not_acknowledged(
    web: DjangoClient, client: dga.Client, sandbox: Sandbox, callbacks_logged: Any, caplog: Any
) -> None:
    # The blocking view cannot await it: DGA must hear result false (and deliver again), and
    # the log must say why, rather than the payment going unrecorded behind a 200.
    p = create(client)
    sandbox.simulate(p.reference1, p.reference2, "pay")
    web = django_site.serve([path("dga/callback-async", callback_view(recorded_later, client=client))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited"
        r = post(web, "/dga/callback-async", sandbox.delivered_body(p.reference1))
    assert r.status_code == 500 and json.loads(r.content)["result"] is False
    assert recorded == [] and "AsyncClient.handle_callback" in caplog.text


def test_without_a_client_the_settings_one_is_made_at_the_first_delivery(
    client: dga.Client, sandbox: Sandbox, callbacks_logged: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # urls.py builds no client, so manage.py check (and migrate) run without DGA's credentials.
    for name in ("DGA_CONSUMER_KEY", "DGA_CONSUMER_SECRET", "DGA_AGENT_ID", "DGA_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(dga_django, "_shared", None)
    web = django_site.serve([path("dga/callback-settings", callback_view(record_payment))])
    call_command("check")
    p = create(client)
    sandbox.simulate(p.reference1, p.reference2, "pay")
    settings = {"consumer_key": "sandbox-key", "consumer_secret": SECRET, "agent_id": AGENT_ID,
                "gateway_url": sandbox.url}
    with override_settings(DGA_EPAYMENT=settings):
        r = post(web, "/dga/callback-settings", sandbox.delivered_body(p.reference1))
    assert r.status_code == 200 and [s.ref1 for s in recorded] == [p.reference1]
    assert dga_django.shared_client() is dga_django.shared_client()


def test_unverified_view_passes_the_parsed_callback(web: DjangoClient, client: dga.Client, sandbox: Sandbox) -> None:
    before = sandbox.count("status")
    body = {"paidStatus": 1, "description": "", "paidDate": "2024-03-07T15:42:28", "paidChannel": "QR",
            "confirmPaidDate": "2024-03-07T15:42:28", "refId": "1", "ref1": "LOCAL-1", "ref2": "",
            "paymentType": 5, "amount": 10.5, "feeAmount": 0}
    r = post(web, "/dga/callback-unverified", json.dumps(body))
    assert r.status_code == 200 and json.loads(r.content)["result"] is True
    assert recorded[0].ref1 == "LOCAL-1" and sandbox.count("status") == before


def test_a_body_over_the_cap_is_413_unread(web: DjangoClient, sandbox: Sandbox) -> None:
    # A forged megabyte body reaches neither the core nor DGA.
    before = sandbox.count("status")
    r = post(web, "/dga/callback", '{"ref1": "' + "A" * 70_000 + '", "ref2": ""}')
    assert r.status_code == 413
    ack = json.loads(r.content)
    assert ack["result"] is False and "larger than 65536 bytes" in ack["message"]
    assert recorded == [] and sandbox.count("status") == before
    reply = dga.CallbackReply.too_large(10)
    assert (reply.http_status, reply.accepted) == (413, False) and "10 bytes" in reply.body


def test_only_post(web: DjangoClient) -> None:
    assert web.get("/dga/callback").status_code == 405
