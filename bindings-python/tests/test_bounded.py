"""A broken gateway or proxy cannot exhaust the agency's memory or time: a server that declares
3 GiB and streams bytes, or streams without end, costs a Python client a few MB and fails within
the timeout (the core reads at most max_response_bytes within one deadline per attempt)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator

import pytest

import dga_epayment as dga
from conftest import AGENT_ID

TOKEN = b'{"Result": "0f0e0d0c-token"}'


def _serve(conn: socket.socket, endless: bool) -> None:
    conn.settimeout(5)
    reader = conn.makefile("rb")
    try:
        while True:
            line = reader.readline()
            if not line:
                return
            while reader.readline() not in (b"\r\n", b""):
                pass
            if b"/ws/auth/validate" in line:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(TOKEN), TOKEN))
                continue
            head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" if endless else b"HTTP/1.1 200 OK\r\nContent-Length: 3221225472\r\n\r\n"
            conn.sendall(head)
            chunk = b"x" * 65536
            until = time.monotonic() + 20  # bounded: the test always ends
            while time.monotonic() < until:
                conn.sendall(chunk)
    except OSError:
        return
    finally:
        conn.close()


@pytest.fixture(params=["declared-3GiB", "endless"])
def hostile_url(request: pytest.FixtureRequest) -> Iterator[str]:
    endless = request.param == "endless"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=_serve, args=(conn, endless), daemon=True).start()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    t.join(5)
    listener.close()


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_gateway_streaming_gigabytes_costs_little_memory_and_time(hostile_url: str) -> None:
    client = dga.Client(
        consumer_key="k",
        consumer_secret="s",
        agent_id=AGENT_ID,
        gateway_url=hostile_url,
        source="SANDBOX",
        timeout=5,
        retry={"status_attempts": 1, "connect_attempts": 1},
    )
    before = _rss_kib()
    started = time.monotonic()
    with pytest.raises(dga.ProtocolError, match="max_response_bytes"):
        client.status("INV-1", "")
    # A create that may have reached DGA is never a plain failure.
    with pytest.raises(dga.OutcomeUnknownError) as e:
        client.create_payment(
            customer_id="1234567890121",
            customer_title_name="นาย",
            customer_first_name="ทดสอบ",
            customer_last_name="ระบบ",
            payment_type=dga.PaymentType.FAST_PAY,
            amount="10",
            request_reference1="INV-BOUNDED",
        )
    assert e.value.reference1 == "INV-BOUNDED"
    elapsed = time.monotonic() - started
    grew = _rss_kib() - before
    assert grew < 16 * 1024, f"grew by {grew} KiB"
    assert elapsed < 10, f"took {elapsed:.1f} s"
