"""The GIL is released while a call waits; one client is shared by threads; a client made
before os.fork() works in the child."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import List

import dga_epayment as dga
from conftest import Sandbox, create, make_client
from figures import record


def count_while(action: "callable[[], object]") -> int:  # type: ignore[valid-type]
    """How often another Python thread increments a counter while `action` runs."""
    counter = 0
    running = threading.Event()
    stop = threading.Event()

    def spin() -> None:
        nonlocal counter
        running.set()
        while not stop.is_set():
            counter += 1

    t = threading.Thread(target=spin)
    t.start()
    running.wait()
    start = counter
    action()
    end = counter
    stop.set()
    t.join()
    return end - start


def test_gil_is_released_while_a_call_waits(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    baseline = count_while(lambda: time.sleep(0.5))  # time.sleep releases the GIL
    sandbox.fault("status", "latency", 1, latencyMs=500)
    started = time.perf_counter()
    during_call = count_while(lambda: client.status(p.reference1, p.reference2))
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.5, "the latency fault was applied"
    record("gil", counter_during_500ms_call=during_call, counter_during_500ms_sleep=baseline)
    # Holding the GIL for the call would leave the counter thread a few switch intervals
    # (5 ms each) at most; released, it runs about as much as during a sleep.
    assert during_call > baseline * 0.3, (during_call, baseline)


def test_32_threads_share_one_client(client: dga.Client, sandbox: Sandbox) -> None:
    sandbox.fault("status", "latency", 32, latencyMs=200)
    errors: List[BaseException] = []
    refs: List[str] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            p = create(client)
            st = client.status(p.reference1, p.reference2)
            assert st.paid_status is dga.PaidStatus.PENDING and st.ref1 == p.reference1
            with lock:
                refs.append(p.reference1)
        except BaseException as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(32)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert errors == []
    assert len(set(refs)) == 32
    record("threads32", calls=64, seconds=round(elapsed, 3), status_latency_ms=200)
    # 32 status calls of 200 ms each: one after another would take 6.4 s.
    assert elapsed < 3.2, elapsed


def test_client_made_before_fork_works_in_the_child(sandbox: Sandbox) -> None:
    client = make_client(sandbox)
    p = create(client)  # the parent's HTTP client and its I/O thread are in use now
    client.status(p.reference1, p.reference2)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code and the pipe, never return
        code = 1
        try:
            signal.alarm(20)
            os.close(read_end)
            st = client.status(p.reference1, p.reference2)
            p2 = create(client)
            ok = st.paid_status is dga.PaidStatus.PENDING and p2.reference1
            os.write(write_end, f"{st.paid_status.name} {p2.reference1}".encode())
            code = 0 if ok else 1
        except BaseException as e:  # noqa: BLE001
            os.write(write_end, repr(e).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as r:
        report = r.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, report
    assert report.startswith("PENDING ")
    # The parent's client is unaffected.
    assert client.status(p.reference1, p.reference2).paid_status is dga.PaidStatus.PENDING
