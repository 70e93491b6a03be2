"""The core's log records reach Python's logging (logger `dga_epayment`) without secrets."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest

import dga_epayment as dga
from conftest import SECRET, Sandbox, create, make_client

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def test_log_records_go_to_the_dga_epayment_logger_without_secrets(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # The core folds a line repeated more than 5 times in 10 s into a count, and the tests before
    # this one fetched tokens of their own ("new token from DGA" each): a window of 10 s without
    # one makes this test's two token fetches the first of a new window, whatever ran before.
    time.sleep(10.1)
    caplog.set_level(logging.DEBUG)  # every logger, the root too
    client = make_client(sandbox)
    p = create(client)
    sandbox.fault("token", "http_status", 2, httpStatus=503)
    sandbox.request("POST", "/__sandbox/expire-tokens")
    client.status(p.reference1, p.reference2)  # token refused, refreshed through 2 failures
    bad = make_client(sandbox, consumer_secret="not-the-" + SECRET)
    with pytest.raises(dga.AuthError):
        bad.status("x")
    records = [r for r in caplog.records if r.name.startswith("dga_epayment")]
    native = [r.name for r in caplog.records if r.name.split(".")[0] in ("reqwest", "hyper", "rustls", "h2")]
    assert native == [], "only the core's records are forwarded"
    text = "\n".join(r.getMessage() for r in records)
    assert f"created payment orderRef={p.order_ref} reference1={p.reference1}" in text
    assert any(r.levelno == logging.WARNING and "token attempt" in r.getMessage() for r in records)
    # What operators count: a token fetch (INFO; two here: the first, and the refresh) and a
    # refusal of the credentials (WARNING).
    assert [r.levelno for r in records if r.getMessage() == "new token from DGA"] == [logging.INFO] * 2
    assert any(r.levelno == logging.WARNING and "DGA refused the credentials" in r.getMessage() for r in records)
    assert SECRET not in text and "sandbox-key" not in text
    assert p.security_key not in text
    assert not UUID.search(text), "a token (the sandbox's are UUIDs) was logged"


def test_a_failing_callback_handler_is_logged_with_its_traceback(
    client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="dga_epayment")

    def broken(status: dga.PaymentStatus) -> None:
        raise RuntimeError("ledger offline")

    p = create(client)
    # Paid at DGA, so the callback is accepted (DGA's status decides) and the handler runs.
    sandbox.simulate(p.reference1, p.reference2, "pay")
    body = client.status(p.reference1, p.reference2).to_dict()
    import json

    reply = client.handle_callback(json.dumps({**body, "paidStatus": 0, "paymentType": 3, "paidDate": "",
                                               "confirmPaidDate": "", "refId": "", "paidChannel": "",
                                               "feeAmount": 0}), broken)
    assert reply.http_status == 500
    failure = [r for r in caplog.records if r.name == "dga_epayment" and r.exc_info]
    assert failure and "ledger offline" in str(failure[0].exc_info[1])


def test_debug_records_follow_the_loggers_level_at_each_call(
    client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    p = create(client)

    def debug() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "dga_epayment" and r.levelno == logging.DEBUG]

    caplog.set_level(logging.INFO, logger="dga_epayment")
    client.status(p.reference1, p.reference2)
    assert debug() == []
    # Set after the client made calls: the next call follows it, blocking and async alike.
    caplog.set_level(logging.DEBUG, logger="dga_epayment")
    client.status(p.reference1, p.reference2)
    assert any("-> HTTP 200" in m and "(attempt 1)" in m for m in debug()), debug()
    caplog.clear()

    async def one() -> None:
        async with dga.AsyncClient.wrap(client) as ac:
            await ac.status(p.reference1, p.reference2)

    asyncio.run(one())
    assert any("-> HTTP 200" in m for m in debug()), debug()
