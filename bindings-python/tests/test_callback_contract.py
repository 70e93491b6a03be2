"""tests/vectors/callback_contract.json: the callback contract
(docs/architecture.md#the-callback-contract) row by row, against the
sandbox over loopback HTTP, through the Django view (``dga_epayment.django.callback_view``,
driven by Django's test client) and through ``Client.receive_callback`` (which exposes the
error and its ``reason``). Mirrors core/tests/callback_contract.rs; reports every failing case."""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, List, Optional, Tuple

import dga_epayment as dga
import django_site
from conftest import VECTORS, Sandbox, create, make_client, unique_ref

django_site.configure()

from django.test import Client as DjangoClient  # noqa: E402
from django.urls import path  # noqa: E402

from dga_epayment.django import callback_view  # noqa: E402


def load() -> Dict[str, Any]:
    data = json.loads((VECTORS / "callback_contract.json").read_text(encoding="utf-8"))
    assert len(data["cases"]) >= 18, "truncated file"
    return dict(data)


class Setup:
    def __init__(self, reference1: str, reference2: str, amount: str, ref_id: str) -> None:
        self.reference1 = reference1
        self.reference2 = reference2
        self.amount = amount
        self.ref_id = ref_id

    def substitute(self, text: str) -> str:
        return (
            text.replace("${reference1}", self.reference1)
            .replace("${reference2}", self.reference2)
            .replace("${amount}", self.amount)
            .replace("${refId}", self.ref_id)
        )


def set_up(client: dga.Client, sandbox: Sandbox, case: Dict[str, Any]) -> Setup:
    payment = case["payment"]
    if payment is None:
        return Setup(unique_ref("NEVER-CREATED"), "", "1", "")
    kind = dga.PaymentType.FAST_PAY if payment["paymentType"] == "FastPay" else dga.PaymentType.QR_PAYMENT
    p = create(client, amount=payment["amount"], payment_type=kind)
    outcome: Optional[str] = case["dgaOutcome"]
    if outcome is not None:
        sandbox.request("POST", "/__sandbox/simulate", {
            "reference1": p.reference1, "reference2": p.reference2,
            "outcome": outcome.split("+")[0], "deliverCallback": False,
        })
    ref_id = client.status(p.reference1, p.reference2).ref_id or ""
    if outcome == "pay+void":
        client.void(p.reference1, p.reference2, ref_id)
        assert client.status(p.reference1, p.reference2).paid_status is dga.PaidStatus.VOID
    return Setup(p.reference1, p.reference2, payment["amount"], ref_id)


# One reply as the runner sees it: HTTP status, body, headers, the ack's result.
Reply = Tuple[int, str, List[Tuple[str, str]], Any]


def deliver(web: DjangoClient, body: bytes) -> Reply:
    r = web.post("/dga/callback", data=body, content_type="application/json")
    text = r.content.decode("utf-8")
    try:
        result = json.loads(text).get("result")
    except ValueError:
        result = None
    return r.status_code, text, list(r.items()), result


def run_case(client: dga.Client, sandbox: Sandbox, case: Dict[str, Any]) -> List[str]:
    expect = case["expect"]
    seen: List[dga.PaymentStatus] = []
    seen_lock = threading.Lock()

    def record(status: dga.PaymentStatus) -> None:
        with seen_lock:
            seen.append(status)

    serve = [path("dga/callback", callback_view(record, client=client))]
    setup = set_up(client, sandbox, case)
    fault = case.get("statusFault")
    if fault:
        extra = {k: v for k, v in fault.items() if k not in ("kind", "count")}
        sandbox.fault("status", fault["kind"], fault["count"], **extra)
    body = setup.substitute(case["body"]).encode("utf-8")
    deliveries = int(case.get("deliveries", 1))
    before = sandbox.count("status")
    web = django_site.serve(serve)
    replies: List[Reply] = []
    if deliveries == 1:
        replies.append(deliver(web, body))
    else:
        # Django's test client keeps per-instance state: one per thread, all started at once.
        barrier = threading.Barrier(deliveries)
        out: List[Optional[Reply]] = [None] * deliveries
        clients = [DjangoClient(enforce_csrf_checks=True) for _ in range(deliveries)]

        def one(i: int) -> None:
            barrier.wait()
            out[i] = deliver(clients[i], body)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(deliveries)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        replies = [r for r in out if r is not None]
    status_calls = sandbox.count("status") - before

    problems: List[str] = []
    if len(replies) != deliveries:
        problems.append(f"{deliveries - len(replies)} deliveries gave no reply")
    # The same body through Client.receive_callback, which exposes the error (single deliveries;
    # the flood's status-call count above is taken before this).
    error: Optional[BaseException] = None
    direct: Optional[dga.PaymentStatus] = None
    if deliveries == 1:
        try:
            direct = client.receive_callback(body)
        except dga.DgaError as e:
            error = e
    sandbox.clear_faults()

    want_status, want_accepted = expect["httpStatus"], expect["accepted"]
    overflow = expect.get("overflowHttpStatus")
    main = 0
    for http, text, headers, result in replies:
        if http == want_status:
            main += 1
            if result is not want_accepted:
                problems.append(f"ack result {result!r} (want {want_accepted})")
        elif http != overflow:
            problems.append(f"HTTP {http} ({text})")
        for t in expect.get("replyExcludes", []):
            t = setup.substitute(t)
            if t and t in text:
                problems.append(f"the reply body carries {t!r}: {text}")
            if t and any(t in k or t in v for k, v in headers):
                problems.append(f"a reply header carries {t!r}: {headers}")
    if main == 0:
        problems.append(f"no reply was HTTP {want_status}")

    accepted = sum(1 for r in replies if r[3] is True)
    if len(seen) != accepted:
        problems.append(f"handler called {len(seen)} times for {accepted} accepted replies")
    if want_accepted and accepted == 0:
        problems.append("the handler was never called")
    statuses = list(seen) + ([direct] if direct is not None else [])
    for st in statuses:
        d = st.to_dict()
        if "handlerPaidStatus" in expect and d["paidStatus"] != expect["handlerPaidStatus"]:
            problems.append(f"handler got paidStatus {d['paidStatus']!r}")
        if "handlerAmount" in expect and str(st.amount) != expect["handlerAmount"]:
            problems.append(f"handler got amount {st.amount}")
        if expect.get("handlerRefIdIsDgas") and st.ref_id != setup.ref_id:
            problems.append(f"handler got refId {st.ref_id!r} (DGA's is {setup.ref_id!r})")

    if deliveries == 1:
        kind = expect.get("errorKind")
        if want_accepted and error is not None:
            problems.append(f"receive_callback raised {error!r}")
        if not want_accepted and error is None:
            problems.append("receive_callback returned where the contract refuses")
        if kind is not None and isinstance(error, dga.DgaError):
            if error.kind != kind:
                problems.append(f"error kind {error.kind} (want {kind})")
            if "reason" in expect:
                got = getattr(error, "reason", None)
                if not isinstance(error, dga.VerificationError) or got != expect["reason"]:
                    problems.append(f"reason {got!r} (want {expect['reason']!r})")
    if "maxStatusCalls" in expect and status_calls > expect["maxStatusCalls"]:
        problems.append(f"{status_calls} status calls for {deliveries} deliveries")
    return problems


def test_every_row_of_the_callback_contract(sandbox: Sandbox) -> None:
    # max_concurrent_verifications at its default (16), as the vectors' description asks.
    client = make_client(sandbox)
    failures = []
    for case in load()["cases"]:
        try:
            problems = run_case(client, sandbox, case)
        except Exception as e:  # one broken case must not hide the others
            problems = [f"raised {e!r}"]
            sandbox.clear_faults()
        if problems:
            failures.append(f"{case['name']}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)


def test_max_concurrent_verifications_is_a_client_option(sandbox: Sandbox) -> None:
    """With max_concurrent_verifications=1, a second verification while one waits on a slow
    DGA is answered 503 at once, without a status call of its own."""
    client = make_client(sandbox, max_concurrent_verifications=1)
    setup = set_up(client, sandbox, {"payment": {"paymentType": "FastPay", "amount": "10.00"},
                                     "dgaOutcome": "pay"})
    other = set_up(client, sandbox, {"payment": {"paymentType": "FastPay", "amount": "11.00"},
                                     "dgaOutcome": "pay"})
    slow_body = json.dumps(client.status(setup.reference1, setup.reference2).to_dict())
    body = json.dumps(client.status(other.reference1, other.reference2).to_dict())
    before = sandbox.count("status")
    sandbox.fault("status", "latency", 1, latencyMs=500)
    slow: List[Any] = []
    t = threading.Thread(target=lambda: slow.append(client.handle_callback(slow_body, lambda s: None)))
    t.start()
    try:
        import time
        # The sandbox logs a delayed request before it waits: then the slow one holds the only
        # permit.
        for _ in range(400):
            if sandbox.count("status") > before:
                break
            time.sleep(0.005)
        reply = client.handle_callback(body, lambda s: None)
        calls = sandbox.count("status") - before
    finally:
        t.join()
        sandbox.clear_faults()
    assert calls == 1, f"{calls} status calls: the refused one must not ask DGA"
    assert reply.http_status == 503 and not reply.accepted, reply
    assert slow and slow[0].http_status == 200, slow


def test_new_client_options_are_checked_by_name(sandbox: Sandbox) -> None:
    c = make_client(sandbox, max_response_bytes=65536, token_failure_cooldown=0,
                    pool_idle_timeout=5.0, max_concurrent_verifications=4)
    p = create(c)
    assert c.status(p.reference1, p.reference2).paid_status is dga.PaidStatus.PENDING
    try:
        make_client(sandbox, max_response_bytes=-1, token_failure_cooldown=-1.0,
                    pool_idle_timeout=-1, max_concurrent_verifications=0)
    except dga.ValidationError as e:
        fields = {f.field for f in e.errors}
    else:
        raise AssertionError("bad options were accepted")
    assert {"max_response_bytes", "token_failure_cooldown", "pool_idle_timeout"} <= fields, fields
    assert fields & {"max_concurrent_verifications", "maxConcurrentVerifications"}, fields


def test_token_failure_cooldown_reaches_the_core(sandbox: Sandbox) -> None:
    """After a failed token round the default cooldown answers the next call at once with the
    same AuthError, without asking the token endpoint; token_failure_cooldown=0 retries."""
    one_try: dga.RetryOptions = {"token_attempts": 1, "backoff_base": 0.001, "backoff_cap": 0.005}
    for cooldown, next_call_succeeds in ((None, False), (0, True)):
        options: Dict[str, Any] = {"retry": one_try}
        if cooldown is not None:
            options["token_failure_cooldown"] = cooldown
        c = make_client(sandbox, **options)
        sandbox.fault("token", "http_status", 1, httpStatus=500)
        try:
            c.status("COOLDOWN-1")
        except dga.AuthError:
            pass
        else:
            raise AssertionError("the token fault did not fail the call")
        before = sandbox.count("token")
        try:
            c.status("COOLDOWN-2")
            succeeded = True
        except dga.AuthError:
            succeeded = False
        except dga.ApiError:  # a token was obtained; the reference is unknown at DGA
            succeeded = True
        sandbox.clear_faults()
        assert succeeded is next_call_succeeds, cooldown
        assert (sandbox.count("token") > before) is next_call_succeeds, cooldown
