"""Fixtures: the sandbox binary on a free loopback port, its control API, clients."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

import dga_epayment as dga

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
AGENT_ID = "1234567890121"
SECRET = "sandbox-secret"
FAST_RETRY: dga.RetryOptions = {"backoff_base": 0.001, "backoff_cap": 0.005}


def sandbox_binary() -> Path:
    explicit = os.environ.get("DGA_SANDBOX_BIN")
    if explicit:
        return Path(explicit)
    for p in (
        REPO / "target" / "x86_64-unknown-linux-gnu" / "debug" / "dga-sandbox",
        REPO / "target" / "debug" / "dga-sandbox",
    ):
        if p.exists():
            return p
    raise RuntimeError("dga-sandbox not built: cargo build -p dga-sandbox")


class Sandbox:
    """A running sandbox and its control API (`/__sandbox/`)."""

    def __init__(self, url: str, proc: "subprocess.Popen[str]") -> None:
        self.url = url
        self.proc = proc

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} {e.read()!r}") from None

    def fault(self, endpoint: str, kind: str, count: int = 1, **extra: Any) -> None:
        self.request("POST", "/__sandbox/faults", {"endpoint": endpoint, "kind": kind, "count": count, **extra})

    def clear_faults(self) -> None:
        self.request("DELETE", "/__sandbox/faults")

    def count(self, endpoint: str) -> int:
        return sum(1 for r in self.request("GET", "/__sandbox/requests") if r["endpoint"] == endpoint)

    def simulate(self, reference1: str, reference2: str = "", outcome: str = "pay") -> Any:
        return self.request(
            "POST",
            "/__sandbox/simulate",
            {"reference1": reference1, "reference2": reference2, "outcome": outcome},
        )

    def callbacks(self) -> List[Dict[str, Any]]:
        return list(self.request("GET", "/__sandbox/callbacks"))

    def log_callbacks(self) -> None:
        """Nobody listens on port 9: each callback delivery fails once and is logged with its
        exact body."""
        self.request("POST", "/__sandbox/config", {"callbackUrl": "http://127.0.0.1:9/cb", "callbackMaxAttempts": 1})

    def delivered_body(self, reference1: str) -> str:
        """The callback body the sandbox sent for `reference1` (from its callback log)."""
        for _ in range(250):
            for d in self.callbacks():
                if d["reference1"] == reference1:
                    return str(d["requestBody"])
            time.sleep(0.02)
        raise AssertionError(f"no callback for {reference1}")


def start_sandbox(*args: str) -> Sandbox:
    """Starts the sandbox binary on a free port; stop it with `.stop()`."""
    proc = subprocess.Popen(
        [str(sandbox_binary()), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first.startswith(("listening on http://", "listening on https://")), first
    return Sandbox(first.split(" ", 2)[2], proc)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    sb = start_sandbox()
    yield sb
    sb.stop()


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> None:
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").clear_faults()


def make_client(sb: Sandbox, **options: Any) -> dga.Client:
    settings: Dict[str, Any] = dict(
        consumer_key="sandbox-key",
        consumer_secret=SECRET,
        agent_id=AGENT_ID,
        gateway_url=sb.url,
        source="SANDBOX",
        timeout=5,
        retry=FAST_RETRY,
    )
    settings.update(options)
    return dga.Client(**settings)


@pytest.fixture
def client(sandbox: Sandbox) -> dga.Client:
    return make_client(sandbox)


_seq = itertools.count(1)


def unique_ref(prefix: str = "PY") -> str:
    return f"{prefix}-{os.getpid()}-{next(_seq)}"


def create(client: dga.Client, amount: Any = "1000.50", payment_type: Any = dga.PaymentType.FAST_PAY, **extra: Any) -> dga.Payment:
    fields: Dict[str, Any] = dict(
        customer_id="1234567890121",
        customer_title_name="นาย",
        customer_first_name="ทดสอบ",
        customer_last_name="ระบบ",
        payment_type=payment_type,
        amount=amount,
        request_reference1=unique_ref(),
        request_reference2="R2",
    )
    fields.update(extra)
    return client.create_payment(**fields)


def paid(client: dga.Client, sb: Sandbox, amount: Any = "40.00", payment_type: Any = dga.PaymentType.FAST_PAY) -> "tuple[dga.Payment, dga.PaymentStatus]":
    p = create(client, amount=amount, payment_type=payment_type)
    sb.simulate(p.reference1, p.reference2, "pay")
    return p, client.status(p.reference1, p.reference2)


def load_vectors(name: str) -> List[Dict[str, Any]]:
    data = json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))
    cases = data["cases"]
    assert len(cases) >= 5, f"{name}.json has too few cases"
    return list(cases)


