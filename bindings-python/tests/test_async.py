"""AsyncClient: calls overlap on its own pool and the event loop stays responsive."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
from typing import Any, Dict, List

import pytest

import dga_epayment as dga
from conftest import AGENT_ID, SECRET, FAST_RETRY, Sandbox, create, make_client, paid, unique_ref
from figures import record


def test_50_slow_calls_overlap_and_the_loop_stays_responsive(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)

    async def burst(ac: dga.AsyncClient) -> "tuple[float, float]":
        """50 concurrent status calls of 300 ms each, while a ticker measures the loop's lag."""
        sandbox.fault("status", "latency", 50, latencyMs=300)
        lags: List[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            while not done.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - before - 0.01)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        started = time.perf_counter()
        results = await asyncio.gather(*(ac.status(p.reference1, p.reference2) for _ in range(50)))
        elapsed = time.perf_counter() - started
        done.set()
        await tick
        assert all(r.paid_status is dga.PaidStatus.PENDING for r in results)
        return elapsed, max(lags)

    async def main() -> "list[tuple[float, float]]":
        async with dga.AsyncClient.wrap(client) as ac:
            # The first burst also starts the pool's 50 threads; the second finds them idle.
            return [await burst(ac), await burst(ac)]

    (cold, cold_lag), (warm, warm_lag) = asyncio.run(main())
    record("async50", latency_ms=300, seconds_first=round(cold, 3), seconds_again=round(warm, 3),
           max_loop_lag_ms_first=round(cold_lag * 1000, 1), max_loop_lag_ms_again=round(warm_lag * 1000, 1))
    # One after another: 15 s; six at a time (asyncio's default executor here): 2.7 s.
    assert cold < 1.5 and warm < 1.5, (cold, warm)
    # A call run on the loop itself would stall it for the whole 300 ms. Starting 50 threads
    # (first burst only) costs the loop some milliseconds: Thread.start waits for each.
    assert cold_lag < 0.25 and warm_lag < 0.1, (cold_lag, warm_lag)


def test_every_async_call(sandbox: Sandbox) -> None:
    async def main() -> None:
        ac = dga.AsyncClient(consumer_key="sandbox-key", consumer_secret=SECRET, agent_id=AGENT_ID,
                             gateway_url=sandbox.url, source="SANDBOX", retry=FAST_RETRY)
        p = await ac.create_payment(
            customer_id="1234567890121", customer_title_name="นาย", customer_first_name="ก",
            customer_last_name="ข", payment_type=dga.PaymentType.FAST_PAY, amount="10.00",
            request_reference1=f"ASYNC-{time.time_ns()}",
        )
        st = await ac.status(p.reference1, p.reference2)
        assert st.paid_status is dga.PaidStatus.PENDING
        sandbox.simulate(p.reference1, p.reference2, "pay")
        st = await ac.status(p.reference1, p.reference2)
        assert st.ref_id is not None
        body = json.dumps({**st.to_dict(), "paidStatus": 1, "paymentType": 3})
        assert (await ac.verify_callback(dga.parse_callback(body))).is_paid
        assert (await ac.receive_callback(body)).is_paid
        seen: List[dga.PaymentStatus] = []

        async def record_it(status: dga.PaymentStatus) -> None:
            seen.append(status)

        reply = await ac.handle_callback(body, record_it)
        assert (reply.http_status, reply.accepted) == (200, True) and len(seen) == 1

        async def broken(status: dga.PaymentStatus) -> None:
            raise RuntimeError("no database")

        reply = await ac.handle_callback(body, broken)
        assert (reply.http_status, reply.accepted) == (500, False)
        forged = json.dumps({**st.to_dict(), "paidStatus": 3, "paymentType": 3})
        reply = await ac.handle_callback(forged, record_it)
        assert (reply.http_status, reply.accepted) == (409, False) and len(seen) == 1
        v = await ac.void(p.reference1, p.reference2, st.ref_id)
        assert v.status is dga.ResponseStatus.SUCCESS
        p2 = await ac.create_payment(
            customer_id="1234567890121", customer_title_name="นาย", customer_first_name="ก",
            customer_last_name="ข", payment_type="QRPayment", amount=5,
            request_reference1=f"ASYNC2-{time.time_ns()}",
        )
        assert (await ac.close(p2.reference1)).status is dga.ResponseStatus.SUCCESS
        with pytest.raises(dga.ApiError):
            await ac.close(p.reference1, p.reference2)
        ac.close_pool()

    asyncio.run(main())


def test_async_from_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DGA_CONSUMER_KEY", "sandbox-key")
    monkeypatch.setenv("DGA_CONSUMER_SECRET", SECRET)
    monkeypatch.setenv("DGA_AGENT_ID", AGENT_ID)
    monkeypatch.setenv("DGA_GATEWAY_URL", sandbox.url)
    ac = dga.AsyncClient.from_env(source="SANDBOX", max_concurrency=4)
    assert ac.client.source == "SANDBOX"
    with pytest.raises(ValueError):
        dga.AsyncClient.wrap(make_client(sandbox), max_concurrency=0)


def test_cancelled_calls_closed_loops_and_errors_leave_the_workers_serving(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    ac = dga.AsyncClient.wrap(client, max_concurrency=2)

    async def cancel_some() -> None:
        sandbox.fault("status", "latency", 4, latencyMs=200)
        tasks = [asyncio.ensure_future(ac.status(p.reference1, p.reference2)) for _ in range(4)]
        await asyncio.sleep(0.05)
        for t in tasks:  # two running on the workers, two still queued
            t.cancel()
        for t in tasks:
            with pytest.raises(asyncio.CancelledError):
                await t
        await asyncio.sleep(0.3)  # the running ones finish into cancelled futures

    asyncio.run(cancel_some())

    async def leave_one_running() -> None:
        sandbox.fault("status", "latency", 1, latencyMs=200)
        # The bare future (no task, so no "Task was destroyed" warning when the loop goes).
        ac._run(client.status, p.reference1, p.reference2)
        await asyncio.sleep(0.05)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(leave_one_running())
    loop.close()  # before that call finishes
    time.sleep(0.3)

    async def still_serving() -> None:
        assert (await ac.status(p.reference1, p.reference2)).paid_status is dga.PaidStatus.PENDING
        with pytest.raises(dga.ApiError) as async_err:
            await ac.close("NO-SUCH-REF")
        with pytest.raises(dga.ApiError) as sync_err:
            client.close("NO-SUCH-REF")
        assert type(async_err.value) is type(sync_err.value)
        assert str(async_err.value) == str(sync_err.value)

    asyncio.run(still_serving())
    ac.close_pool()


def test_async_client_used_before_fork_works_in_the_child(sandbox: Sandbox) -> None:
    client = make_client(sandbox)
    p = create(client)
    ac = dga.AsyncClient.wrap(client)

    async def two() -> None:  # the parent's workers exist now
        await asyncio.gather(*(ac.status(p.reference1, p.reference2) for _ in range(2)))

    asyncio.run(two())
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code and the pipe, never return
        code = 1
        try:
            signal.alarm(20)
            os.close(read_end)
            asyncio.run(two())
            os.write(write_end, b"ok")
            code = 0
        except BaseException as e:  # noqa: BLE001
            os.write(write_end, repr(e).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as r:
        report = r.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, report
    asyncio.run(two())  # the parent's workers are unaffected
    ac.close_pool()


# --- cancelled creates and voids: the call runs to its end and its outcome is logged ---------


def _transactions(sandbox: Sandbox, reference1: str) -> List[Dict[str, Any]]:
    return [t for t in sandbox.request("GET", "/__sandbox/transactions") if t["ref1"] == reference1]


def _unreceived_warnings(caplog: pytest.LogCaptureFixture, reference1: str, *, wait: float = 10) -> List[logging.LogRecord]:
    """The WARNING records on `dga_epayment` naming `reference1`, waiting (bounded) for the
    worker to finish the call."""
    deadline = time.monotonic() + wait
    while True:
        found = [r for r in caplog.records if r.name == "dga_epayment" and r.levelno == logging.WARNING
                 and f"reference1={reference1!r}" in r.getMessage()]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def _create_kwargs(reference1: str, reference2: str = "R2") -> Dict[str, Any]:
    return dict(customer_id="1234567890121", customer_title_name="นาย", customer_first_name="ก",
                customer_last_name="ข", payment_type=dga.PaymentType.FAST_PAY, amount="321.50",
                request_reference1=reference1, request_reference2=reference2)


def test_a_create_cancelled_by_wait_for_still_creates_and_logs_the_payment(
    client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dga_epayment")
    ac = dga.AsyncClient.wrap(client)
    ref1 = unique_ref("CANCEL-CREATE")
    # The sandbox creates the transaction, then holds the answer for 1 s (a slow DGA).
    sandbox.fault("create", "latency", 1, latencyMs=1000)

    async def impatient() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.create_payment(**_create_kwargs(ref1)), 0.3)

    asyncio.run(impatient())  # the loop is gone before DGA answers
    warnings = _unreceived_warnings(caplog, ref1)
    txs = _transactions(sandbox, ref1)
    assert len(txs) == 1, "the cancelled create still reached DGA"
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    text = warnings[0].getMessage()
    assert "create_payment" in text and "payment created at DGA" in text, text
    assert f"orderRef={txs[0]['orderRef']!r}" in text and "reference2='R2'" in text, text
    assert (warnings[0].reference1, warnings[0].reference2) == (ref1, "R2")  # type: ignore[attr-defined]
    assert txs[0]["securityKey"] not in text and SECRET not in text
    ac.close_pool()


def test_a_create_cancelled_while_its_loop_keeps_running_is_logged_too(
    client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    ac = dga.AsyncClient.wrap(client)
    ref1 = unique_ref("CANCEL-LIVE")
    sandbox.fault("create", "latency", 1, latencyMs=600)

    async def cancel_then_keep_serving() -> None:
        task = asyncio.ensure_future(ac.create_payment(**_create_kwargs(ref1, "")))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.8)  # the call finishes while this loop still runs
        assert (await ac.status(ref1)).paid_status is dga.PaidStatus.PENDING

    asyncio.run(cancel_then_keep_serving())
    warnings = _unreceived_warnings(caplog, ref1)
    assert len(warnings) == 1 and "payment created at DGA" in warnings[0].getMessage()
    assert "reference2=''" in warnings[0].getMessage()
    assert len(_transactions(sandbox, ref1)) == 1
    ac.close_pool()


def test_a_cancelled_create_that_fails_logs_the_error_and_its_kind(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    fresh = make_client(sandbox)  # no token yet: its first token request is slow
    ac = dga.AsyncClient.wrap(fresh)
    ref1 = unique_ref("CANCEL-FAIL")
    sandbox.fault("token", "latency", 1, latencyMs=700)
    # Processed, then an unreadable answer: the payment may exist (OutcomeUnknown).
    sandbox.fault("create", "malformed", 1)

    async def impatient() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.create_payment(**_create_kwargs(ref1)), 0.2)

    asyncio.run(impatient())
    warnings = _unreceived_warnings(caplog, ref1)
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    text = warnings[0].getMessage()
    assert "failed, kind=outcome_unknown" in text and "reference2='R2'" in text, text
    assert "check status" in text
    assert len(_transactions(sandbox, ref1)) == 1
    ac.close_pool()


def test_a_cancelled_void_still_voids_and_logs_it_and_a_failing_one_logs_the_error(
    client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    ac = dga.AsyncClient.wrap(client)
    p, st = paid(client, sandbox)
    assert st.ref_id
    unpaid = create(client)
    sandbox.fault("void", "latency", 2, latencyMs=800)

    async def impatient() -> None:
        for r1, r2, ref_id in ((p.reference1, p.reference2, st.ref_id), (unpaid.reference1, unpaid.reference2, "NO-SUCH")):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ac.void(r1, r2, ref_id), 0.2)

    asyncio.run(impatient())
    done = _unreceived_warnings(caplog, p.reference1)
    assert len(done) == 1, [r.getMessage() for r in caplog.records]
    text = done[0].getMessage()
    assert text.startswith(f"void(reference1={p.reference1!r}, reference2={p.reference2!r}"), text
    assert "done at DGA: status=<ResponseStatus.SUCCESS" in text, text
    assert client.status(p.reference1, p.reference2).void_date is not None, "the void happened"
    failed = _unreceived_warnings(caplog, unpaid.reference1)
    assert len(failed) == 1 and "failed, kind=api" in failed[0].getMessage(), [r.getMessage() for r in caplog.records]
    assert f"reference2={unpaid.reference2!r}" in failed[0].getMessage()
    ac.close_pool()


def test_cancelled_status_and_close_log_nothing(
    client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    ac = dga.AsyncClient.wrap(client)
    p = create(client)
    sandbox.fault("status", "latency", 1, latencyMs=400)
    sandbox.fault("close", "latency", 1, latencyMs=400)

    async def impatient() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.status(p.reference1, p.reference2), 0.1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.close(p.reference1, p.reference2), 0.1)
        await asyncio.sleep(0.6)  # both have finished on their workers

    asyncio.run(impatient())
    # The close did happen (close is idempotent to ask about; nothing to recover), unlogged.
    assert sandbox.count("close") >= 1
    assert [r.getMessage() for r in caplog.records if r.name == "dga_epayment"] == []
    ac.close_pool()


def test_shield_keeps_the_payment_for_the_caller(client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    """The README's asyncio.shield pattern: the caller stops waiting yet still gets the Payment."""
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    ac = dga.AsyncClient.wrap(client)
    ref1 = unique_ref("SHIELD")
    sandbox.fault("create", "latency", 1, latencyMs=600)

    async def main() -> dga.Payment:
        task = asyncio.ensure_future(ac.create_payment(**_create_kwargs(ref1)))
        try:
            return await asyncio.wait_for(asyncio.shield(task), 0.2)
        except asyncio.TimeoutError:
            return await task  # still running: its Payment arrives later

    payment = asyncio.run(main())
    assert payment.reference1 == ref1 and payment.order_ref == _transactions(sandbox, ref1)[0]["orderRef"]
    assert _unreceived_warnings(caplog, ref1, wait=0.5) == [], "the caller got it: nothing to log"
    ac.close_pool()
