"""Run by test_fork.py in a fresh interpreter (pytest's own process must not be forked into a
child that unwinds through pytest): makes a ``Client`` before ``fork()``, then lets the child
end the way real programs do, by ``sys.exit(0)`` or by returning from a ``multiprocessing``
fork-context target, so that the client is dropped by normal interpreter teardown.

usage: fork_scenarios.py SANDBOX_URL SCENARIO ENDING
  SCENARIO: drop-unused | exit-unused | use-then-drop | refresh-in-flight
  ENDING:   sys-exit | mp-return

Prints ``child ok: ...`` from a child that did its part, ``parent ok`` once the parent has
checked the child's exit code (bounded: a child still running after CHILD_DEADLINE seconds is
killed and reported as hung). Exit code 0 when all went well.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import sys
import threading
import time
import urllib.request
from typing import Any, List, Optional

import dga_epayment as dga

CHILD_DEADLINE = 30.0

URL, SCENARIO, ENDING = sys.argv[1], sys.argv[2], sys.argv[3]


def control(method: str, path: str, body: Any = None) -> Any:
    req = urllib.request.Request(URL + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def make_client() -> dga.Client:
    return dga.Client(consumer_key="sandbox-key", consumer_secret="sandbox-secret",
                      agent_id="1234567890121", gateway_url=URL, source="SANDBOX", timeout=10,
                      retry={"backoff_base": 0.001, "backoff_cap": 0.005})


def create(c: dga.Client, tag: str) -> dga.Payment:
    return c.create_payment(customer_id="1234567890121", customer_title_name="นาย",
                            customer_first_name="ก", customer_last_name="ข",
                            payment_type=dga.PaymentType.FAST_PAY, amount="10.00",
                            request_reference1=f"FORK-{tag}-{os.getpid()}-{time.time_ns()}")


def say(text: str) -> None:
    print(text, flush=True)  # flushed: a buffer left at fork() would be printed twice


client: Optional[dga.Client] = make_client()
payment = create(client, "PARENT")  # the parent's pool and I/O thread are in use now
in_flight: List[Any] = []


def child_part() -> None:
    """What the child does with the client it inherited (then it ends normally)."""
    global client
    assert client is not None
    if SCENARIO == "drop-unused":
        client = None  # dropped before any call in this process
        gc.collect()
        # The child is healthy: a client of its own works.
        st = make_client().status(payment.reference1, payment.reference2)
        say(f"child ok: dropped unused; own client reads {st.paid_status.name}")
    elif SCENARIO == "exit-unused":
        say("child ok: leaving the inherited client to interpreter teardown")
    elif SCENARIO in ("use-then-drop", "refresh-in-flight"):
        st = client.status(payment.reference1, payment.reference2)
        p2 = create(client, "CHILD")
        st2 = client.status(p2.reference1, p2.reference2)
        client = None
        gc.collect()
        say(f"child ok: {st.paid_status.name} {st2.paid_status.name} {p2.reference1}")
    else:
        raise SystemExit(f"unknown scenario {SCENARIO}")


def mp_target() -> None:
    child_part()  # returns normally; multiprocessing then ends the process


def wait_bounded(pid: int) -> int:
    deadline = time.monotonic() + CHILD_DEADLINE
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    say(f"child hung: still running after {CHILD_DEADLINE} s, killed")
    return -9


def main() -> int:
    global client
    if SCENARIO == "refresh-in-flight":
        # A client with no token yet whose first token request takes 2 s: a thread of the
        # parent is inside the token refresh when the process forks.
        client = make_client()
        control("POST", "/__sandbox/faults", {"endpoint": "token", "kind": "latency", "latencyMs": 2000, "count": 1})
        waiting = threading.Thread(
            target=lambda: in_flight.append(client.status(payment.reference1, payment.reference2)))  # type: ignore[union-attr]
        waiting.start()
        time.sleep(0.5)
    if ENDING == "mp-return":
        proc = multiprocessing.get_context("fork").Process(target=mp_target)
        proc.start()
        proc.join(CHILD_DEADLINE)
        if proc.is_alive():
            proc.kill()
            proc.join()
            say(f"child hung: still running after {CHILD_DEADLINE} s, killed")
        code = proc.exitcode
    else:
        pid = os.fork()
        if pid == 0:
            child_part()
            sys.exit(0)
        code = wait_bounded(pid)
    say(f"child exit code {code}")
    if SCENARIO == "refresh-in-flight":
        waiting.join(CHILD_DEADLINE)
        assert in_flight and in_flight[0].paid_status is dga.PaidStatus.PENDING, "the parent's call"
    assert client is not None
    # The parent's client is unaffected by the child.
    assert client.status(payment.reference1, payment.reference2).paid_status is dga.PaidStatus.PENDING
    if code != 0:
        return 1
    say("parent ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
