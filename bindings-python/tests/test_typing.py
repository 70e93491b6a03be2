"""The committed stubs match the binary, and typed code using the API passes mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import AGENT_ID, SECRET, Sandbox

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "shop.py"


def run(*args: str, env: "dict[str, str] | None" = None) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)


def test_stubtest_is_clean() -> None:
    r = run("-m", "mypy.stubtest", "dga_epayment")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout


def test_the_package_itself_passes_mypy_strict() -> None:
    r = run("-m", "mypy", "--strict", "--no-incremental", "-p", "dga_epayment")
    assert r.returncode == 0, r.stdout + r.stderr


def test_example_passes_mypy_strict() -> None:
    r = run("-m", "mypy", "--strict", "--no-incremental", str(EXAMPLE))
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_catches_a_float_amount_and_a_wrong_attribute(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import dga_epayment as dga\n"
        "c = dga.Client(consumer_key='k', consumer_secret='s', agent_id='1')\n"
        "p = c.create_payment(customer_id='1', customer_title_name='a', customer_first_name='b',\n"
        "    customer_last_name='c', payment_type=dga.PaymentType.FAST_PAY, amount=1.5,\n"
        "    request_reference1='r')\n"
        "p.reference_one\n"
        "dga.AsyncClient.from_env(timeot=5)\n",
        encoding="utf-8",
    )
    r = run("-m", "mypy", "--strict", "--no-incremental", str(bad))
    assert r.returncode == 1
    assert 'Argument "amount"' in r.stdout and "reference_one" in r.stdout, r.stdout
    assert 'Unexpected keyword argument "timeot" for "from_env" of "AsyncClient"' in r.stdout, r.stdout


def test_example_runs_against_the_sandbox(sandbox: Sandbox) -> None:
    env = dict(os.environ, DGA_CONSUMER_KEY="sandbox-key", DGA_CONSUMER_SECRET=SECRET,
               DGA_AGENT_ID=AGENT_ID, DGA_GATEWAY_URL=sandbox.url, DGA_SOURCE="SANDBOX")
    r = run(str(EXAMPLE), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    # The payment is still Pending at DGA, so the callback endpoint answers 409 (the contract).
    assert "รอการชำระเงิน" in r.stdout and "callback answered 409" in r.stdout
