"""AsyncClient: native awaitables on the core's runtime; calls overlap, the loop stays responsive,
cancellation stops a status and leaves a sent create, void or close to the core (which logs it),
few threads whatever the number of calls, fork and interpreter exit."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
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
            return [await burst(ac), await burst(ac)]

    (cold, cold_lag), (warm, warm_lag) = asyncio.run(main())
    record("async50", latency_ms=300, seconds_first=round(cold, 3), seconds_again=round(warm, 3),
           max_loop_lag_ms_first=round(cold_lag * 1000, 1), max_loop_lag_ms_again=round(warm_lag * 1000, 1))
    # One after another: 15 s; six at a time (asyncio's default executor here): 2.7 s.
    assert cold < 1.5 and warm < 1.5, (cold, warm)
    # A call run on the loop itself would stall it for the whole 300 ms.
    assert cold_lag < 0.25 and warm_lag < 0.25, (cold_lag, warm_lag)


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
        with pytest.raises(dga.ValidationError) as bad:
            await ac.void(p.reference1, p.reference2, " ")
        assert [f.field for f in bad.value.errors] == ["payment_reference"]
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

    asyncio.run(main())


def test_async_from_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DGA_CONSUMER_KEY", "sandbox-key")
    monkeypatch.setenv("DGA_CONSUMER_SECRET", SECRET)
    monkeypatch.setenv("DGA_AGENT_ID", AGENT_ID)
    monkeypatch.setenv("DGA_GATEWAY_URL", sandbox.url)
    ac = dga.AsyncClient.from_env(source="SANDBOX", max_in_flight=4)
    assert ac.client.source == "SANDBOX"
    with pytest.raises(TypeError):  # gone in 0.2.0: the core bounds calls (max_in_flight)
        dga.AsyncClient.wrap(make_client(sandbox), max_concurrency=4)  # type: ignore[call-arg]


THREADS_SCRIPT = textwrap.dedent("""
    import asyncio, json, os, sys
    import dga_epayment as dga

    def threads():
        return len(os.listdir("/proc/self/task"))

    url, r1, r2, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    before = threads()  # the package imported, no client, no call yet
    ac = dga.AsyncClient(consumer_key="sandbox-key", consumer_secret="sandbox-secret",
                         agent_id="1234567890121", gateway_url=url, source="SANDBOX",
                         max_in_flight=n)

    async def main():
        await ac.status(r1, r2)  # the runtime and the log thread exist now
        warm = threads()
        tasks = [asyncio.ensure_future(ac.status(r1, r2)) for _ in range(n)]
        await asyncio.sleep(0.5)  # all of them sent and waiting on DGA
        during = threads()
        results = await asyncio.gather(*tasks)
        assert all(r.paid_status is dga.PaidStatus.PENDING for r in results)
        return warm, during

    warm, during = asyncio.run(main())
    print(json.dumps({"before": before, "warm": warm, "during": during}))
""")


@pytest.mark.parametrize("in_flight", [64, 1000])
def test_calls_in_flight_add_at_most_8_threads(client: dga.Client, sandbox: Sandbox, in_flight: int) -> None:
    p = create(client)
    sandbox.fault("status", "latency", in_flight + 1, latencyMs=1000)
    run = subprocess.run([sys.executable, "-c", THREADS_SCRIPT, sandbox.url, p.reference1, p.reference2,
                          str(in_flight)],
                         capture_output=True, text=True, timeout=60)
    sandbox.clear_faults()
    assert run.returncode == 0, run.stderr
    counts = json.loads(run.stdout)
    record(f"threads_async{in_flight}", **counts)
    # Read from /proc/self/task: the runtime's 2 workers and the log thread, whatever the count.
    assert counts["during"] - counts["before"] <= 8, counts
    assert counts["during"] - counts["warm"] <= 1, "no thread per call"


def test_a_bare_future_whose_loop_closed_and_cancelled_calls_leave_the_client_serving(
    client: dga.Client, sandbox: Sandbox
) -> None:
    p = create(client)
    ac = dga.AsyncClient.wrap(client)

    async def cancel_some() -> None:
        sandbox.fault("status", "latency", 4, latencyMs=3000)
        tasks = [asyncio.ensure_future(ac.status(p.reference1, p.reference2)) for _ in range(4)]
        await asyncio.sleep(0.05)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with pytest.raises(asyncio.CancelledError):
                await t
        bridge, _ = ac._on_loop()
        deadline = time.monotonic() + 2  # the aborted calls report back, long before DGA's 3 s
        while len(bridge) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        assert len(bridge) == 0, "cancelled status calls were aborted and forgotten"

    asyncio.run(cancel_some())

    async def leave_one_running() -> None:
        sandbox.fault("status", "latency", 1, latencyMs=200)
        # The bare future (no task, so no "Task was destroyed" warning when the loop goes).
        client._async(*ac._on_loop(), "status", p.reference1, p.reference2)
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


def _in_child(body: "callable[[], None]") -> None:  # type: ignore[valid-type]
    """Runs `body` in a forked child; fails with the child's error if it did not succeed."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code and the pipe, never return
        code = 1
        try:
            signal.alarm(20)
            os.close(read_end)
            body()
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


def test_async_client_used_before_fork_works_in_the_child(sandbox: Sandbox) -> None:
    client = make_client(sandbox)
    p = create(client)
    ac = dga.AsyncClient.wrap(client)

    async def two() -> None:
        results = await asyncio.gather(*(ac.status(p.reference1, p.reference2) for _ in range(2)))
        assert all(r.paid_status is dga.PaidStatus.PENDING for r in results)

    # Twenty times: a child drops the parent's bridges (their loops are gone), which must not
    # take a lock a runtime thread of the parent held at the fork (it hung about one fork in
    # ten, the child stuck in the bridge's drop).
    for _ in range(20):
        asyncio.run(two())  # the parent's runtime, pool and bridge are in use now
        _in_child(lambda: asyncio.run(two()))
    asyncio.run(two())  # the parent is unaffected


def test_a_fork_while_calls_are_in_flight(sandbox: Sandbox) -> None:
    client = make_client(sandbox)
    p = create(client)
    ac = dga.AsyncClient.wrap(client)

    async def main() -> None:
        sandbox.fault("status", "latency", 20, latencyMs=400)
        tasks = [asyncio.ensure_future(ac.status(p.reference1, p.reference2)) for _ in range(20)]
        await asyncio.sleep(0.1)  # sent, waiting on DGA, on the runtime's threads

        def child() -> None:
            sandbox.clear_faults()

            async def fresh() -> None:
                q = dga.AsyncClient.wrap(client)
                st = await q.status(p.reference1, p.reference2)
                assert st.paid_status is dga.PaidStatus.PENDING
                assert client.status(p.reference1, p.reference2).ref1 == p.reference1

            asyncio.run(fresh())

        _in_child(child)
        results = await asyncio.gather(*tasks)  # the parent's calls finish normally
        assert all(r.paid_status is dga.PaidStatus.PENDING for r in results)

    asyncio.run(main())


EXIT_SCRIPT = textwrap.dedent("""
    import asyncio, sys, time
    import dga_epayment as dga
    url, what, r1 = sys.argv[1], sys.argv[2], sys.argv[3]
    ac = dga.AsyncClient(consumer_key="sandbox-key", consumer_secret="sandbox-secret",
                         agent_id="1234567890121", gateway_url=url, source="SANDBOX")

    async def main():
        if what == "create":
            asyncio.ensure_future(ac.create_payment(
                customer_id="1234567890121", customer_title_name="x", customer_first_name="x",
                customer_last_name="x", payment_type="FastPay", amount="1.00",
                request_reference1="EXIT-INFLIGHT"))
        for _ in range(200):
            asyncio.ensure_future(ac.status(r1))
        await asyncio.sleep(0.2)  # all sent; DGA answers in 10 s
        print("returning", flush=True)

    asyncio.run(main())
    print("returned", flush=True)
""")


@pytest.mark.parametrize("what", ["status", "create"])
def test_asyncio_run_returning_with_calls_in_flight_exits_promptly(
    client: dga.Client, sandbox: Sandbox, what: str
) -> None:
    p = create(client)
    sandbox.fault("status", "latency", 200, latencyMs=10_000)
    if what == "create":
        sandbox.fault("create", "latency", 1, latencyMs=10_000)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, sandbox.url, what, p.reference1], capture_output=True,
                         text=True, timeout=30,
                         env={**os.environ, "DGA_EPAYMENT_SHUTDOWN_GRACE_MS": "300"})
    elapsed = time.perf_counter() - started
    sandbox.clear_faults()
    record(f"exit_{what}", seconds=round(elapsed, 2))
    assert run.returncode == 0, run.stderr
    assert "returned" in run.stdout, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "Event loop is closed" not in run.stderr, run.stderr
    assert "panicked" not in run.stderr, run.stderr
    # The interpreter's start takes a fraction of a second, the grace 0.3 s; the calls' 10 s never.
    assert elapsed < 4, elapsed
    if what == "create":
        # The create still running at exit had its grace, then was logged (through logging's
        # last-resort handler: WARNING to stderr) as outcome unknown with its references.
        assert "reference1=EXIT-INFLIGHT" in run.stderr and "outcome unknown" in run.stderr, run.stderr


CLOSED_LOOP_SCRIPT = textwrap.dedent("""
    import asyncio, logging, sys, time
    import dga_epayment as dga
    logging.basicConfig(format="%(levelname)s %(message)s")
    url, r1, wait = sys.argv[1], sys.argv[2], float(sys.argv[3])
    ac = dga.AsyncClient(consumer_key="sandbox-key", consumer_secret="sandbox-secret",
                         agent_id="1234567890121", gateway_url=url, source="SANDBOX")
    loop = asyncio.new_event_loop()
    created = loop.create_task(ac.create_payment(
        customer_id="1234567890121", customer_title_name="x", customer_first_name="x",
        customer_last_name="x", payment_type="FastPay", amount="1.00", request_reference1=r1))
    loop.run_until_complete(asyncio.sleep(0.2))  # sent; DGA answers in 1 s
    loop.close()  # the task is never cancelled: its future is never settled
    time.sleep(wait)
    print("exiting", flush=True)
""")


@pytest.mark.parametrize("wait", [0.0, 2.0], ids=["running_at_exit", "finished_before_exit"])
def test_a_create_on_a_closed_loop_is_logged_not_lost(sandbox: Sandbox, wait: float) -> None:
    # loop.close() with a create in flight: the payment exists at DGA; once only an INFO line
    # said so. Running at exit, or finished into a loop nobody drains: a WARNING names it.
    r1 = unique_ref("CLOSED-LOOP")
    sandbox.fault("create", "latency", 1, latencyMs=1_000)
    run = subprocess.run([sys.executable, "-c", CLOSED_LOOP_SCRIPT, sandbox.url, r1, str(wait)],
                         capture_output=True, text=True, timeout=30,
                         env={**os.environ, "DGA_EPAYMENT_SHUTDOWN_GRACE_MS": "2000"})
    sandbox.clear_faults()
    assert run.returncode == 0 and "exiting" in run.stdout, run.stderr
    assert "Traceback" not in run.stderr and "panicked" not in run.stderr, run.stderr
    warnings = [line for line in run.stderr.splitlines() if f"reference1={r1}" in line]
    assert warnings and all(w.startswith("WARNING ") for w in warnings), run.stderr
    assert any("payment created" in w or "outcome unknown" in w for w in warnings), run.stderr
    assert len(_transactions(sandbox, r1)) == 1


# --- cancelled creates, voids and closes: the call runs to its end in the core, which logs it ---


def _transactions(sandbox: Sandbox, reference1: str) -> List[Dict[str, Any]]:
    return [t for t in sandbox.request("GET", "/__sandbox/transactions") if t["ref1"] == reference1]


def _unreceived_warnings(caplog: pytest.LogCaptureFixture, reference1: str, *, wait: float = 10) -> List[logging.LogRecord]:
    """The WARNING records on `dga_epayment` naming `reference1`, waiting (bounded) for the
    core to finish the call."""
    deadline = time.monotonic() + wait
    while True:
        found = [r for r in caplog.records if r.name == "dga_epayment" and r.levelno == logging.WARNING
                 and f"reference1={reference1} " in r.getMessage()]
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
    assert text.startswith(f"create for reference1={ref1} reference2=R2 finished after its caller went away"), text
    assert f"payment created at DGA: orderRef={txs[0]['orderRef']}" in text, text
    assert txs[0]["securityKey"] not in text and SECRET not in text


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
    assert f"reference1={ref1} reference2= finished" in warnings[0].getMessage()
    assert len(_transactions(sandbox, ref1)) == 1


def test_a_create_cancelled_while_queued_for_a_slot_is_not_sent(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dga_epayment")
    one = make_client(sandbox, max_in_flight=1)
    p = create(one)
    ac = dga.AsyncClient.wrap(one)
    ref1 = unique_ref("CANCEL-QUEUED")
    sandbox.fault("status", "latency", 1, latencyMs=500)

    async def main() -> None:
        busy = asyncio.ensure_future(ac.status(p.reference1, p.reference2))  # holds the one slot
        await asyncio.sleep(0.1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.create_payment(**_create_kwargs(ref1)), 0.1)
        await busy
        await asyncio.sleep(0.2)

    asyncio.run(main())
    assert _transactions(sandbox, ref1) == [], "a create cancelled before it was written is not sent"
    assert _unreceived_warnings(caplog, ref1, wait=0.3) == []
    notes = [r.getMessage() for r in caplog.records if f"reference1={ref1} " in r.getMessage()]
    assert len(notes) == 1 and "not sent to DGA" in notes[0], notes


def test_a_cancelled_create_that_fails_logs_the_error_and_its_kind(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    ac = dga.AsyncClient(consumer_key="sandbox-key", consumer_secret=SECRET, agent_id=AGENT_ID,
                         gateway_url=sandbox.url, source="SANDBOX", retry=FAST_RETRY, timeout=0.6)
    ref1 = unique_ref("CANCEL-FAIL")
    # Processed, then no answer within the client's timeout: the payment may exist (OutcomeUnknown).
    sandbox.fault("create", "latency", 1, latencyMs=1500)

    async def impatient() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.create_payment(**_create_kwargs(ref1)), 0.3)

    asyncio.run(impatient())
    warnings = _unreceived_warnings(caplog, ref1)
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    text = warnings[0].getMessage()
    assert "failed (outcome_unknown)" in text and "reference2=R2" in text, text
    assert len(_transactions(sandbox, ref1)) == 1


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
    assert text.startswith(f"void for reference1={p.reference1} reference2={p.reference2} "), text
    assert "done at DGA: status=" in text, text
    assert client.status(p.reference1, p.reference2).void_date is not None, "the void happened"
    failed = _unreceived_warnings(caplog, unpaid.reference1)
    assert len(failed) == 1 and "failed (api)" in failed[0].getMessage(), [r.getMessage() for r in caplog.records]


def test_a_cancelled_close_is_logged_and_a_cancelled_status_is_stopped_silently(
    client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    ac = dga.AsyncClient.wrap(client)
    p = create(client)
    sandbox.fault("status", "latency", 1, latencyMs=1000)
    sandbox.fault("close", "latency", 1, latencyMs=1000)

    async def impatient() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.status(p.reference1, p.reference2), 0.3)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ac.close(p.reference1, p.reference2), 0.3)

    asyncio.run(impatient())
    closed = _unreceived_warnings(caplog, p.reference1)
    assert len(closed) == 1 and closed[0].getMessage().startswith(f"close for reference1={p.reference1} "), \
        [r.getMessage() for r in caplog.records]
    assert "done at DGA" in closed[0].getMessage()
    assert [r for r in caplog.records if r.name == "dga_epayment" and "status" in r.getMessage().split(" ")[0]] == []


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
