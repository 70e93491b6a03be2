"""Callback floods (docs/architecture.md#callback-floods) through Python: the agency's
known_reference before DGA is asked, the core's verification budget and reuse, the counters;
and the burst an attacker would send, through handle_callback and the Django view."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import random
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import pytest

import dga_epayment as dga
import django_site
import figures
from conftest import Sandbox, create, make_client, paid, start_sandbox, unique_ref

django_site.configure()

from django.test import Client as DjangoClient  # noqa: E402
from django.urls import path  # noqa: E402

from dga_epayment.django import callback_view  # noqa: E402


def body_of(status: dga.PaymentStatus) -> str:
    return json.dumps(status.to_dict(), default=str)


def forged_body(i: int) -> str:
    return json.dumps({"ref1": f"FORGED-{i}", "ref2": "R2", "paidStatus": 1, "amount": "1.00",
                       "refId": f"X{i}"})


def test_an_unknown_reference_is_404_without_asking_dga(client: dga.Client, sandbox: Sandbox) -> None:
    p, st = paid(client, sandbox)
    asked: List[Tuple[str, str]] = []
    handled: List[Any] = []

    def known(r1: str, r2: str) -> bool:
        asked.append((r1, r2))
        return False

    before, stats = sandbox.count("status"), client.verification_stats()
    reply = client.handle_callback(body_of(st), handled.append, known_reference=known)
    assert (reply.http_status, reply.accepted) == (404, False)
    assert asked == [(p.reference1, p.reference2)] and handled == []
    assert sandbox.count("status") == before, "no DGA call"
    after = client.verification_stats()
    assert after["refused_unknown"] == stats["refused_unknown"] + 1
    assert after["status_calls"] == stats["status_calls"]
    with pytest.raises(dga.VerificationError) as e:
        client.receive_callback(body_of(st), known_reference=known)
    assert e.value.reason == "unknown_payment"
    # Known: verified with DGA as usual.
    reply = client.handle_callback(body_of(st), handled.append, known_reference=lambda a, b: True)
    assert reply.http_status == 200 and handled[0].ref1 == p.reference1
    assert client.verification_stats()["status_calls"] == after["status_calls"] + 1


def test_a_failing_lookup_is_503(client: dga.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    _, st = paid(client, sandbox)

    def broken(r1: str, r2: str) -> bool:
        raise ConnectionError("orders database down")

    before = sandbox.count("status")
    with caplog.at_level(logging.ERROR, logger="dga_epayment"):
        reply = client.handle_callback(body_of(st), lambda s: None, known_reference=broken)
    assert (reply.http_status, reply.accepted) == (503, False)
    assert "database" not in reply.body and sandbox.count("status") == before
    assert any("known_reference raised" in r.getMessage() and r.exc_info for r in caplog.records)
    with pytest.raises(ConnectionError):
        client.receive_callback(body_of(st), known_reference=broken)
    # A coroutine function is for AsyncClient: on Client it is a failing lookup, never a yes.

    async def later(r1: str, r2: str) -> bool:
        return True

    with pytest.warns(RuntimeWarning):  # the coroutine is never awaited
        reply = client.handle_callback(body_of(st), lambda s: None, known_reference=later)  # type: ignore[arg-type]
        gc.collect()
    assert reply.http_status == 503 and sandbox.count("status") == before


def test_a_lookup_that_returns_no_bool_is_503_not_404(client: dga.Client, sandbox: Sandbox,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    # A forgotten `return` (None) once refused every genuine payment as unknown (404).
    _, st = paid(client, sandbox)

    def forgot_return(r1: str, r2: str) -> bool:
        r1 in {"INV-1"}  # noqa: B015
        return None  # type: ignore[return-value]

    async def async_forgot(r1: str, r2: str) -> bool:
        return 1  # type: ignore[return-value]

    before, refused = sandbox.count("status"), client.verification_stats()["refused_unknown"]
    with caplog.at_level(logging.ERROR, logger="dga_epayment"):
        reply = client.handle_callback(body_of(st), lambda s: None, known_reference=forgot_return)
    assert (reply.http_status, reply.accepted) == (503, False)
    assert any("known_reference raised" in r.getMessage() for r in caplog.records)
    with pytest.raises(TypeError, match="must return True or False, got NoneType"):
        client.receive_callback(body_of(st), known_reference=forgot_return)

    async def main() -> int:
        ac = dga.AsyncClient.wrap(client)
        with pytest.raises(TypeError, match="must return True or False, got int"):
            await ac.receive_callback(body_of(st), known_reference=async_forgot)
        return (await ac.handle_callback(body_of(st), lambda s: None,
                                         known_reference=async_forgot)).http_status

    assert asyncio.run(main()) == 503
    assert sandbox.count("status") == before
    assert client.verification_stats()["refused_unknown"] == refused


def test_a_flood_of_forged_callbacks_writes_a_few_warning_lines(client: dga.Client,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # Each delivery has other references and lacks a paid callback's fields: refused (404, or
    # 503 past the budget) and logged by the core at most once a second per kind of line.
    caplog.set_level(logging.WARNING, logger="dga_epayment")
    started = time.monotonic()
    for i in range(100):
        assert client.handle_callback(forged_body(i), lambda s: None).http_status in (404, 503)
    seconds = time.monotonic() - started
    lines = [r.getMessage() for r in caplog.records if r.name == "dga_epayment"]
    assert 0 < len(lines) <= 3 * (int(seconds) + 2), lines


def test_a_body_without_references_is_still_400(client: dga.Client) -> None:
    reply = client.handle_callback('{"paidStatus": 1}', lambda s: None, known_reference=lambda a, b: True)
    assert reply.http_status == 400


def test_async_known_reference_may_be_async(client: dga.Client, sandbox: Sandbox) -> None:
    p, st = paid(client, sandbox)
    orders = {p.reference1}
    handled: List[dga.PaymentStatus] = []

    async def known(r1: str, r2: str) -> bool:
        await asyncio.sleep(0)
        return r1 in orders

    async def broken(r1: str, r2: str) -> bool:
        raise ConnectionError("down")

    async def main() -> List[int]:
        ac = dga.AsyncClient.wrap(client)
        ghost = {**st.to_dict(), "ref1": unique_ref("GHOST")}
        before = sandbox.count("status")
        codes = [(await ac.handle_callback(json.dumps(ghost, default=str), handled.append,
                                           known_reference=known)).http_status]
        assert sandbox.count("status") == before
        with pytest.raises(dga.VerificationError):
            await ac.receive_callback(json.dumps(ghost, default=str), known_reference=known)
        codes.append((await ac.handle_callback(body_of(st), handled.append,
                                               known_reference=broken)).http_status)
        codes.append((await ac.handle_callback(body_of(st), handled.append,
                                               known_reference=lambda a, b: a in orders)).http_status)
        codes.append((await ac.handle_callback(body_of(st), handled.append,
                                               known_reference=known)).http_status)
        assert ac.verification_stats()["refused_unknown"] >= 2
        return codes

    assert asyncio.run(main()) == [404, 503, 200, 200]
    assert [s.ref1 for s in handled] == [p.reference1] * 2


def test_the_verification_options_reach_the_core(sandbox: Sandbox) -> None:
    client = make_client(sandbox, verification_rate=1, verification_reuse=0)
    codes = []
    for i in range(10):
        reply = client.handle_callback(forged_body(i), lambda s: None)
        codes.append(reply.http_status)
        if reply.http_status == 503:
            break
    # Burst 2 × 1, then one a second: the third or so delivery is refused as busy.
    assert codes[-1] == 503 and len(codes) <= 4, codes
    assert client.verification_stats()["refused_busy"] == 1


# --- the burst: 250 genuine deliveries for 10 paid references, 250 forged ones ---------------

def burst(send: Callable[[str], int], genuine: List[str]) -> Tuple[List[int], List[int], float]:
    deliveries = [(True, genuine[i % len(genuine)]) for i in range(250)]
    deliveries += [(False, forged_body(i)) for i in range(250)]
    random.shuffle(deliveries)
    lock = threading.Lock()
    codes: Tuple[List[int], List[int]] = ([], [])

    def worker() -> None:
        while True:
            with lock:
                if not deliveries:
                    return
                real, body = deliveries.pop()
            code = send(body)
            with lock:
                codes[0 if real else 1].append(code)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes[0], codes[1], time.monotonic() - started


@pytest.mark.parametrize("through", ["handle_callback", "django"])
@pytest.mark.parametrize("with_known", [True, False], ids=["known_reference", "no_hook"])
def test_burst(through: str, with_known: bool) -> None:
    sb = start_sandbox()
    try:
        # A reuse window longer than the burst, so a slow machine cannot make it flaky.
        client = make_client(sb, verification_reuse=60)
        orders: Set[str] = set()
        genuine = []
        for _ in range(10):
            p, st = paid(client, sb)
            orders.add(p.reference1)
            genuine.append(body_of(st))
        known: Optional[Callable[[str, str], bool]] = (lambda r1, r2: r1 in orders) if with_known else None
        if through == "django":
            django_site.serve([path("dga/callback", callback_view(lambda s: None, client=client,
                                                                  known_reference=known))])
            local = threading.local()

            def send(body: str) -> int:
                if not hasattr(local, "web"):
                    local.web = DjangoClient()
                r = local.web.post("/dga/callback", data=body, content_type="application/json")
                return int(r.status_code)
        else:
            def send(body: str) -> int:
                return client.handle_callback(body, lambda s: None, known_reference=known).http_status

        before, stats_before = sb.count("status"), client.verification_stats()
        ok, forged, seconds = burst(send, genuine)
        calls = sb.count("status") - before
        stats = client.verification_stats()
        assert set(ok) <= {200, 503} and len(ok) == 250, sorted(set(ok))
        assert set(forged) <= {404, 503} and len(forged) == 250, sorted(set(forged))
        assert stats["status_calls"] - stats_before["status_calls"] == calls, \
            "the counter matches the sandbox's request log"
        if with_known:
            assert stats["refused_unknown"] - stats_before["refused_unknown"] == 250
            assert calls <= 20, f"{calls} DGA status calls for 10 genuine references"
        else:
            allowed = 40 + int(20 * seconds + 0.999)  # the default budget: 20 a second, burst 40
            assert calls <= allowed, f"{calls} status calls in {seconds:.2f} s (budget {allowed})"
        figures.record(f"callback burst through {through}, {'with' if with_known else 'without'} "
                       "known_reference", dga_status_calls=calls, seconds=round(seconds, 2),
                       genuine_200=ok.count(200), forged_404=forged.count(404),
                       refused_busy=stats["refused_busy"], reused=stats["reused"])
    finally:
        sb.stop()
