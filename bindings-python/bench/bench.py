"""The Python row of scripts/bench-bindings.sh: ``status`` calls per second against a running
sandbox, one client: one caller (seq), 8 threads sharing it (conc8), or 8 or 64 asyncio tasks
on ``AsyncClient.wrap(client)`` (async8, async64); or ``parse_callback`` of one status body per
second (parse: no network). Prints one JSON line; exits non-zero if any call failed or was not
Pending.

Usage: python bench.py URL seq|conc8|async8|async64|parse SECONDS
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from typing import Callable, List, Tuple

import dga_epayment as dga

PENDING = dga.PaidStatus.PENDING


def run_threads(call: Callable[[], dga.PaymentStatus], n: int, secs: float) -> Tuple[int, int, float]:
    stop = threading.Event()
    counts: List[List[int]] = [[0, 0] for _ in range(n)]

    def caller(c: List[int]) -> None:
        while not stop.is_set():
            try:
                ok = call().paid_status is PENDING
            except dga.DgaError as e:
                print(f"status: {e}", file=sys.stderr)
                ok = False
            c[0 if ok else 1] += 1

    threads = [threading.Thread(target=caller, args=(c,)) for c in counts]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(secs)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return sum(c[0] for c in counts), sum(c[1] for c in counts), elapsed


async def run_async(client: dga.Client, r1: str, r2: str, secs: float, tasks: int) -> Tuple[int, int, float]:
    counts = [0, 0]
    async with dga.AsyncClient.wrap(client) as ac:
        deadline = time.perf_counter() + secs

        async def caller() -> None:
            while time.perf_counter() < deadline:
                try:
                    ok = (await ac.status(r1, r2)).paid_status is PENDING
                except dga.DgaError as e:
                    print(f"status: {e}", file=sys.stderr)
                    ok = False
                counts[0 if ok else 1] += 1

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(tasks)))
        elapsed = time.perf_counter() - started
    return counts[0], counts[1], elapsed


def main() -> int:
    url, mode, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if mode not in ("seq", "conc8", "async8", "async64", "parse"):
        raise SystemExit("mode is seq, conc8, async8, async64 or parse")
    client = dga.Client(
        consumer_key="sandbox-key",
        consumer_secret="sandbox-secret",
        agent_id="1234567890121",
        gateway_url=url,
        source="SANDBOX",
    )
    p = client.create_payment(
        customer_id="1234567890121",
        customer_title_name="นาย",
        customer_first_name="ทดสอบ",
        customer_last_name="ระบบ",
        payment_type=dga.PaymentType.FAST_PAY,
        amount="100.00",
        request_reference1=f"BENCH-PY-{time.time_ns()}",
    )
    r1, r2 = p.reference1, p.reference2
    errors = 0
    body = json.dumps(client.status(r1, r2).to_dict()).encode()
    warmup = float(os.environ.get("BENCH_WARMUP", "0.5"))  # the same for every language
    for s in (warmup, secs):  # warm-up, then the measured run
        # CPU of every thread of the process (the core's runtime threads included).
        cpu_started = time.process_time()
        if mode == "parse":
            calls, failed, started = 0, 0, time.perf_counter()
            while time.perf_counter() - started < s:
                for _ in range(100):
                    failed += dga.parse_callback(body).paid_status is not PENDING
                calls += 100
            elapsed = time.perf_counter() - started
        elif mode.startswith("async"):
            calls, failed, elapsed = asyncio.run(run_async(client, r1, r2, s, int(mode[5:])))
        else:
            calls, failed, elapsed = run_threads(
                lambda: client.status(r1, r2), 1 if mode == "seq" else 8, s
            )
        errors += failed
        cpu_used = time.process_time() - cpu_started
    if errors:
        print(f"python {mode}: {errors} failed calls", file=sys.stderr)
        return 1
    line = {"lang": "python", "mode": mode, "calls": calls, "seconds": round(elapsed, 3),
            "calls_per_s": round(calls / elapsed, 1),
            "cpu_us_per_call": round(cpu_used * 1e6 / max(calls, 1), 1)}
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
