"""The README's Python code blocks, run as written, in order, against a fresh sandbox."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import django_site
from conftest import AGENT_ID, SECRET, Sandbox, start_sandbox

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> List[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5, "the README's quick start has code blocks"
    return blocks


@pytest.fixture
def fresh_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    # A sandbox of its own: the README uses fixed references such as INV-0001.
    sb = start_sandbox()
    for k, v in {"DGA_CONSUMER_KEY": "sandbox-key", "DGA_CONSUMER_SECRET": SECRET, "DGA_AGENT_ID": AGENT_ID,
                 "DGA_GATEWAY_URL": sb.url, "DGA_SOURCE": "SANDBOX"}.items():
        monkeypatch.setenv(k, v)
    yield sb
    sb.stop()


def test_readme_code_runs_as_written(fresh_sandbox: Sandbox) -> None:
    django_site.configure()
    namespace: Dict[str, Any] = {"__name__": "readme"}
    outputs: List[str] = []
    for block in python_blocks():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
        outputs.append(out.getvalue())
    # asyncio first, then the blocking quick start: pending, exact amount.
    assert outputs[0] == "['PENDING', 'PENDING', 'PENDING']\n"
    assert outputs[1] == "<PaidStatus.PENDING: 0> 1000.5\n"
    assert "<form" in namespace["checkout_page"]
    # The error example: the amount with 3 decimals is named.
    assert "('amount', '99.999 has more than 2 decimal places')" in outputs[3]
    assert outputs[4].startswith("[<PaidStatus.PENDING: 0>]")
    # known_reference refuses a forged reference without asking DGA; the counters say so.
    assert outputs[6] == "404\n{'status_calls': 0, 'reused': 0, 'refused_unknown': 1, 'refused_busy': 0}\n"
    assert outputs[7] == "INV-0001 Pending\nINV-9999 TransactionNotFound\n"
    assert outputs[8] == outputs[7], "an async generator gives the same rows"

    # The Django block's urlpatterns, served: the citizen pays, DGA's callback arrives.
    sb, payment = fresh_sandbox, namespace["payment"]
    sb.log_callbacks()
    sb.simulate(payment.reference1, payment.reference2, "pay")
    web = django_site.serve(namespace["urlpatterns"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        r = web.post("/dga/callback", data=sb.delivered_body(payment.reference1),
                     content_type="application/json")
    assert r.status_code == 200 and json.loads(r.content)["result"] is True
    assert out.getvalue() == "order INV-0001 paid 1000.5 THB\n"
    # The README's urlpatterns ask known_reference first: a forged reference is 404.
    r = web.post("/dga/callback", data='{"ref1": "INV-0404", "ref2": "", "paidStatus": 1, "amount": "1.00"}',
                 content_type="application/json")
    assert r.status_code == 404
