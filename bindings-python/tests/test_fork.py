"""A ``Client`` made before ``os.fork()`` (gunicorn ``--preload``, Celery, multiprocessing):
the child may drop it with or without using it, and may fork while a thread of the parent is
inside a token refresh; in each case the child ends normally (``sys.exit(0)``, or returning
from a ``multiprocessing`` fork-context target), without a panic and without hanging, and its
calls succeed.

Each case runs ``fork_scenarios.py`` in a fresh interpreter, so the child's normal exit runs
the whole interpreter teardown (which drops the inherited client) rather than unwinding
through pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Sandbox

SCRIPT = Path(__file__).with_name("fork_scenarios.py")


@pytest.mark.parametrize("ending", ["sys-exit", "mp-return"])
@pytest.mark.parametrize("scenario", ["drop-unused", "exit-unused", "use-then-drop", "refresh-in-flight"])
def test_a_client_inherited_across_fork_ends_cleanly_in_the_child(
    sandbox: Sandbox, scenario: str, ending: str
) -> None:
    try:
        run = subprocess.run([sys.executable, str(SCRIPT), sandbox.url, scenario, ending],
                             capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired as e:  # the script bounds the child at 30 s itself
        pytest.fail(f"hung: {e.stdout!r} {e.stderr!r}")
    out, err = run.stdout, run.stderr  # the child's stderr is the script's
    assert "panicked" not in err and "PanicException" not in err, err
    assert "Traceback" not in err, err
    assert "child hung" not in out, out
    assert out.count("child ok:") == 1, (out, err)
    assert "child exit code 0" in out and "parent ok" in out, (out, err)
    assert run.returncode == 0, (out, err)
