"""AsyncClient: calls overlap on its own pool and the event loop stays responsive."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import List

import pytest

import dga_epayment as dga
from conftest import AGENT_ID, SECRET, FAST_RETRY, Sandbox, create, make_client
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
