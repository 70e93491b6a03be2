"""Client.status_many, AsyncClient.status_many and the Django command dga_reconcile against the
sandbox: the core's engine, rows, columns and writers through Python."""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import itertools
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Tuple

import pytest

import dga_epayment as dga
import django_site
from conftest import AGENT_ID, FAST_RETRY, SECRET, Sandbox, create, make_client, unique_ref

django_site.configure()

from django.core.management import CommandError, call_command  # noqa: E402
from django.test import override_settings  # noqa: E402

HERE = Path(__file__).resolve().parent
COLUMNS = ["reference1", "reference2", "paidStatus", "paidStatusTh", "description", "amount",
           "feeAmount", "refId", "paidDate", "paidChannel", "paymentType", "error"]


def mixed(client: dga.Client, sandbox: Sandbox) -> List[Tuple[str, str, str]]:
    """(reference1, reference2, what DGA says): paid, pending, voided, unknown."""
    out = []
    for outcome in ("pay", None, "pay", None):
        p = create(client, amount="120.50")
        if outcome:
            sandbox.simulate(p.reference1, p.reference2, outcome)
        out.append((p.reference1, p.reference2, "Success" if outcome else "Pending"))
        out.append((unique_ref("GHOST"), "", "TransactionNotFound"))
    return out


def test_status_many_gives_every_reference_in_input_order(client: dga.Client, sandbox: Sandbox) -> None:
    refs = mixed(client, sandbox)
    many = client.status_many(((r1, r2) for r1, r2, _ in refs), concurrency=4, rate=0)
    results = list(many)
    assert [(r.reference1, r.reference2) for r in results] == [(r1, r2) for r1, r2, _ in refs]
    assert [r.line for r in results] == list(range(1, len(refs) + 1))
    for r, (_, _, want) in zip(results, refs):
        assert r.row["paidStatus" if want != "TransactionNotFound" else "error"] == want
        if want == "TransactionNotFound":
            # A reference DGA does not know is a row, not an exception.
            assert r.not_found and r.status is None
            assert isinstance(r.error, dga.ApiError)
            assert r.error.error_code is dga.ErrorCode.TRANSACTION_NOT_FOUND
        else:
            assert r.error is None and r.status is not None
            assert r.status.ref1 == r.reference1 and Decimal(r.row["amount"]) == Decimal("120.50")
            assert r.row["paidStatusTh"], "the Thai text comes from the core"
    assert many.columns == COLUMNS and list(results[0].row) == COLUMNS
    assert many.summary == {"total": 8, "unreadable": 0,
                            "byStatus": {"Success": 2, "TransactionNotFound": 4, "Pending": 2}}
    assert many.summary_text == "8 references, Success: 2, TransactionNotFound: 4, Pending: 2"


def test_plain_strings_and_one_tuples_are_reference1(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    # A reference2 that is NULL in the agency's table (None) is none, as "".
    got = list(client.status_many([" " + p.reference1 + " ", (p.reference1,), (p.reference1, None)], rate=0))
    assert [(r.reference1, r.reference2) for r in got] == [(p.reference1, "")] * 3


def test_a_status_fault_is_a_row_with_the_error_kind(sandbox: Sandbox) -> None:
    client = make_client(sandbox, retry={**FAST_RETRY, "status_attempts": 2})
    a, b, c = (create(client) for _ in range(3))
    client.status(a.reference1, a.reference2)  # the token is cached: the fault hits b's status
    refs = [(p.reference1, p.reference2) for p in (a, b, c)]
    many = client.status_many(iter([refs[0]]), concurrency=1, rate=0)
    assert next(many).row["paidStatus"] == "Pending"
    sandbox.fault("status", "http_status", 2, httpStatus=503)
    results = list(client.status_many(refs[1:], concurrency=1, rate=0))
    assert results[0].row["error"] == "Network" and isinstance(results[0].error, dga.NetworkError)
    assert results[0].error.transient and not results[0].not_found
    assert results[1].row["paidStatus"] == "Pending"


def test_the_input_is_read_lazily(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    pulled = itertools.count()

    def endless() -> Iterator[str]:
        while True:
            next(pulled)
            yield p.reference1

    many = client.status_many(endless(), concurrency=2, rate=0)
    for _ in range(5):
        assert next(many).reference1 == p.reference1
    # A bounded queue ahead of a bounded engine: an endless input is no problem.
    assert next(pulled) < 1000
    del many


def test_dropping_the_iterator_stops_the_calls(client: dga.Client, sandbox: Sandbox) -> None:
    many = client.status_many((unique_ref("GHOST") for _ in range(10_000)), concurrency=2, rate=50)
    assert next(many).not_found
    del many
    time.sleep(0.05)  # a call in flight at the drop may still arrive
    before = sandbox.count("status")
    time.sleep(0.4)  # 20 more starts at 50 a second, were it still running
    assert sandbox.count("status") == before


def test_async_break_stops_the_calls(client: dga.Client, sandbox: Sandbox) -> None:
    async def main() -> None:
        ac = dga.AsyncClient.wrap(client)
        async for r in ac.status_many((unique_ref("GHOST") for _ in range(10_000)), rate=50):
            assert r.not_found
            break

    asyncio.run(main())
    gc.collect()
    time.sleep(0.05)
    before = sandbox.count("status")
    time.sleep(0.4)
    assert sandbox.count("status") == before


def test_a_bad_item_raises_in_its_place(client: dga.Client, sandbox: Sandbox) -> None:
    p = create(client)
    many = client.status_many([p.reference1, p.reference1, 42, p.reference1], concurrency=4, rate=0)
    assert [next(many).reference1 for _ in range(2)] == [p.reference1] * 2
    with pytest.raises(dga.ValidationError) as e:
        next(many)
    assert str(e.value).startswith("item 3: ") and "int" in str(e.value)
    assert e.value.errors[0].field == "input" and e.value.errors[0].line == 3
    assert list(many) == []
    with pytest.raises(dga.ValidationError, match="item 1: reference1 is empty"):
        list(client.status_many(["  "]))


def test_what_the_iterable_raises_comes_through_in_its_place(client: dga.Client) -> None:
    def broken() -> Iterator[str]:
        yield unique_ref("GHOST")
        raise LookupError("the orders table went away")

    many = client.status_many(broken())
    assert next(many).not_found
    with pytest.raises(LookupError, match="went away"):
        next(many)


def test_async_status_many(client: dga.Client, sandbox: Sandbox) -> None:
    refs = mixed(client, sandbox)

    async def main() -> List[Any]:
        async with dga.AsyncClient.wrap(client) as ac:
            many = ac.status_many([(r1, r2) for r1, r2, _ in refs], concurrency=3, rate=0)
            assert many.columns == COLUMNS
            rows = [r.row async for r in many]
            assert many.summary["total"] == len(refs)
            with pytest.raises(dga.ValidationError, match="item 2"):
                async for _ in ac.status_many([refs[0][0], ("a", "b", "c")]):
                    pass
            return rows

    rows = asyncio.run(main())
    assert [(r["reference1"], r["paidStatus"] or r["error"]) for r in rows] == \
        [(r1, want) for r1, _, want in refs]


def test_async_status_many_reads_an_async_iterable(client: dga.Client, sandbox: Sandbox) -> None:
    refs = mixed(client, sandbox)
    pulled = itertools.count()

    async def source() -> AsyncIterator[Tuple[str, str]]:
        for r1, r2, _ in refs:
            await asyncio.sleep(0.001)  # an asyncpg cursor, say
            yield r1, r2

    async def endless() -> AsyncIterator[str]:
        while True:
            next(pulled)
            yield refs[0][0]

    async def main() -> List[Any]:
        ac = dga.AsyncClient.wrap(client)
        many = ac.status_many(source(), concurrency=3, rate=0)
        results = [r async for r in many]
        assert many.summary["total"] == len(refs)
        more = ac.status_many(endless(), concurrency=2, rate=0)
        assert [(await more.__anext__()).reference1 for _ in range(5)] == [refs[0][0]] * 5
        return results

    results = asyncio.run(main())
    assert [(r.reference1, r.reference2, r.line) for r in results] == \
        [(r1, r2, i) for i, (r1, r2, _) in enumerate(refs, 1)]
    assert [r.row["paidStatus"] or r.row["error"] for r in results] == [want for _, _, want in refs]
    assert [r.not_found for r in results] == [want == "TransactionNotFound" for _, _, want in refs]
    # Read only as far as the calls go: the queue (2), the reorder window (64), the rows (2).
    assert next(pulled) <= 5 + 2 + 64 + 2 + 1


def test_an_async_iterable_s_bad_item_or_error_comes_in_its_place(client: dga.Client) -> None:
    p = create(client)
    closed = []

    async def items(last: Any) -> AsyncIterator[Any]:
        try:
            yield p.reference1
            yield p.reference1, p.reference2
            if isinstance(last, Exception):
                raise last
            yield last
            yield p.reference1
        finally:
            closed.append(last)

    async def rows_then(last: Any) -> Tuple[List[str], BaseException]:
        got = []
        with pytest.raises(Exception) as e:
            async for r in dga.AsyncClient.wrap(client).status_many(items(last), rate=0):
                got.append(r.reference2)
        return got, e.value

    async def main() -> None:
        got, e = await rows_then(42)
        assert got == ["", p.reference2]
        assert isinstance(e, dga.ValidationError) and str(e).startswith("item 3: ") and "int" in str(e)
        assert e.errors[0].field == "input" and e.errors[0].line == 3
        got, e = await rows_then(LookupError("the orders table went away"))
        assert got == ["", p.reference2] and isinstance(e, LookupError) and "went away" in str(e)
        await asyncio.sleep(0.01)
        # The bad item ends the input: the source is closed, as after its own error.
        assert closed[0] == 42 and isinstance(closed[1], LookupError)

    asyncio.run(main())


def test_leaving_an_async_iterable_early_closes_it_and_stops_the_calls(client: dga.Client, sandbox: Sandbox) -> None:
    closed = []
    waiting: "asyncio.Queue[str]"

    async def ghosts() -> AsyncIterator[str]:
        try:
            for _ in range(10_000):
                yield unique_ref("GHOST")
        finally:
            closed.append("ghosts")

    async def queued() -> AsyncIterator[str]:
        try:
            while True:
                yield await waiting.get()
        finally:
            closed.append("queued")

    async def main() -> None:
        nonlocal waiting
        waiting = asyncio.Queue()
        ac = dga.AsyncClient.wrap(client)
        sources = [ghosts(), queued()]  # held here: only an aclose() ends them
        async for r in ac.status_many(sources[0], rate=50):
            assert r.not_found
            break
        await asyncio.sleep(0.01)
        assert closed == ["ghosts"]
        # A source waiting for its next item does not hold back the rows before it.
        waiting.put_nowait(unique_ref("GHOST"))
        async for r in ac.status_many(sources[1], rate=0):
            assert r.not_found
            break
        await asyncio.sleep(0.01)
        assert closed == ["ghosts", "queued"]

    asyncio.run(asyncio.wait_for(main(), 10))
    time.sleep(0.05)  # a call in flight at the break may still arrive
    before = sandbox.count("status")
    time.sleep(0.4)  # 20 more starts at 50 a second, were it still running
    assert sandbox.count("status") == before


def test_client_status_many_refuses_an_async_iterable(client: dga.Client, sandbox: Sandbox) -> None:
    async def refs() -> AsyncIterator[str]:
        yield "INV-1"

    before = sandbox.count("status")
    with pytest.raises(TypeError, match=r"async_generator is an async iterable: read it with AsyncClient\.status_many"):
        client.status_many(refs())
    assert sandbox.count("status") == before


@pytest.mark.parametrize("options, named", [
    (dict(concurrency=0), "concurrency must be a whole number from 1 to 256, got 0"),
    (dict(concurrency=257), "concurrency must be a whole number from 1 to 256, got 257"),
    (dict(concurrency="8"), "concurrency"),
    (dict(concurrency=True), "concurrency"),
    (dict(rate=-1), "rate must be a whole number of at least 0, got -1"),
    (dict(rate=2.5), "rate must be a whole number of at least 0, got 2.5"),
])
def test_bad_limits_are_a_validation_error_naming_them(client: dga.Client, sandbox: Sandbox,
                                                       options: Dict[str, Any], named: str) -> None:
    before = sandbox.count("status")
    for start in (client.status_many, dga.AsyncClient.wrap(client).status_many):
        with pytest.raises(dga.ValidationError, match=named) as e:
            start(["INV-1"], **options)
        assert e.value.errors[0].field in options
    assert sandbox.count("status") == before


@pytest.mark.parametrize("one", ["INV-0001", b"INV-0001"])
def test_a_str_is_not_an_iterable_of_references(client: dga.Client, sandbox: Sandbox, one: Any) -> None:
    # Iterated, "INV-0001" would be eight references of one character each.
    before = sandbox.count("status")
    with pytest.raises(TypeError, match="is one reference, not an iterable of them"):
        client.status_many(one)
    assert sandbox.count("status") == before


# --- the Django command -------------------------------------------------------------------

def settings_for(sandbox: Sandbox) -> Dict[str, Any]:
    return dict(consumer_key="sandbox-key", consumer_secret=SECRET, agent_id=AGENT_ID,
                gateway_url=sandbox.url, source="SANDBOX", retry=FAST_RETRY)


def reconcile(sandbox: Sandbox, path: Path, *args: str, **settings: Any) -> Tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    with override_settings(DGA_EPAYMENT={**settings_for(sandbox), **settings}):
        try:
            call_command("dga_reconcile", str(path), *args, stdout=out, stderr=err)
            code = 0
        except CommandError as e:
            err.write(str(e))
            code = e.returncode
    return out.getvalue(), err.getvalue(), code


def test_command_writes_the_cores_csv_in_input_order(client: dga.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    refs = mixed(client, sandbox)
    f = tmp_path / "pending.csv"
    # A header naming reference1: other columns pass through; a formula cell is neutralised.
    lines = ["customer,reference1,reference2,note"]
    lines += [f"สมศรี {i},{r1},{r2},=HYPERLINK(\"http://x\")" for i, (r1, r2, _) in enumerate(refs)]
    f.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    out, err, code = reconcile(sandbox, f, "--concurrency", "3", "--rate", "0")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == COLUMNS + ["customer", "note"]
    assert [r[0] for r in rows[1:]] == [r1 for r1, _, _ in refs]
    assert [r[2] or r[11] for r in rows[1:]] == [want for _, _, want in refs]
    assert rows[1][12] == "สมศรี 0" and rows[1][13] == "'=HYPERLINK(\"http://x\")"
    assert "reconcile: 8 references" in err and "Success: 2" in err


def test_command_jsonl(client: dga.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    p = create(client, amount="99.75")
    f = tmp_path / "refs.txt"
    f.write_text(f"{p.reference1},{p.reference2}\n\n{unique_ref('GHOST')}\n", encoding="utf-8")
    out, err, code = reconcile(sandbox, f, "--format", "jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert list(rows[0]) == COLUMNS and rows[0]["amount"] == "99.75" and rows[0]["error"] is None
    assert rows[1]["error"] == "TransactionNotFound" and rows[1]["paidStatus"] is None


def test_command_bad_options_and_missing_file(sandbox: Sandbox, tmp_path: Path) -> None:
    f = tmp_path / "refs.txt"
    f.write_text("INV-1\n", encoding="utf-8")
    before = sandbox.count("status")
    out, err, code = reconcile(sandbox, f, "--rate", "-5")  # was taken as "no limit"
    assert code == 2 and "rate must be a whole number of at least 0, got -5" in err, err
    out, err, code = reconcile(sandbox, f, "--concurrency", "0")
    assert code == 2 and "concurrency must be a whole number from 1 to 256" in err, err
    out, err, code = reconcile(sandbox, tmp_path / "missing.csv")
    assert code == 2 and "error[io]: " in err and "missing.csv" in err, err
    assert sandbox.count("status") == before


def test_command_bad_line_is_exit_2_naming_it_before_any_call(client: dga.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_text("INV-1\nINV-2,R2\nINV-3,R2,extra\n", encoding="utf-8")
    before = sandbox.count("status")
    out, err, code = reconcile(sandbox, f)
    assert code == 2 and "line 3:" in err and "3 columns" in err, err
    assert sandbox.count("status") == before, "a bad file costs DGA nothing"
    f.write_bytes("INV-1\nINV-2,\xaa\xd3\xc3\xd0\n".encode("latin-1"))  # Windows-874 Thai
    out, err, code = reconcile(sandbox, f)
    assert code == 2 and "line 2:" in err and "not UTF-8" in err, err


def test_command_unreadable_statuses_are_exit_1(sandbox: Sandbox, tmp_path: Path) -> None:
    client = make_client(sandbox)
    p = create(client)
    client.status(p.reference1, p.reference2)
    f = tmp_path / "one.txt"
    f.write_text(f"{p.reference1},{p.reference2}\n", encoding="utf-8")
    sandbox.fault("status", "http_status", 2, httpStatus=503)
    out, err, code = reconcile(sandbox, f, retry={**FAST_RETRY, "status_attempts": 2})
    assert code == 1, err
    assert list(csv.reader(io.StringIO(out)))[1][11] == "Network"
    assert f"line 1: {p.reference1} {p.reference2}: error[network]" in err


def test_manage_py_process_with_credentials_from_the_environment(client: dga.Client, sandbox: Sandbox, tmp_path: Path) -> None:
    p = create(client)
    sandbox.simulate(p.reference1, p.reference2, "pay")
    f = tmp_path / "refs.txt"
    f.write_text(f"{p.reference1},{p.reference2}\n", encoding="utf-8")
    env = dict(os.environ, DGA_CONSUMER_KEY="sandbox-key", DGA_CONSUMER_SECRET=SECRET,
               DGA_AGENT_ID=AGENT_ID, DGA_GATEWAY_URL=sandbox.url,
               DJANGO_SETTINGS_MODULE="reconcile_settings",
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "django", "dga_reconcile"]
    r = subprocess.run([*cmd, str(f), "--bom"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("\ufeffreference1,reference2,paidStatus,")
    assert ",Success," in r.stdout
    f.write_text("reference1\n\n,x\n", encoding="utf-8")
    r = subprocess.run([*cmd, str(f)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "line 3: " in r.stderr, r.stderr
