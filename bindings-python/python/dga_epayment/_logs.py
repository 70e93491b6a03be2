"""The thread that hands the core's log records to ``logging`` (``src/logs.rs``), and the exit
hook that gives the core's detached calls their grace while ``logging`` still works."""

from __future__ import annotations

import atexit
import threading
from typing import Optional

from . import _native

_thread: Optional[threading.Thread] = None


def _run() -> None:
    while _native._pump_logs():
        pass


def _start() -> None:
    global _thread
    _thread = threading.Thread(target=_run, name="dga-epayment-log", daemon=True)
    _thread.start()


def _exit() -> None:
    _native._at_exit()
    t = _thread
    if t is not None and t.is_alive():
        t.join(timeout=1)


atexit.register(_exit)
