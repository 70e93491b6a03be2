"""Measured figures the README and the closing report quote: appended as JSON lines to the
file named by DGA_PY_FIGURES (test.sh prints them), and shown with pytest -s."""

from __future__ import annotations

import json
import os
from typing import Any


def record(name: str, **values: Any) -> None:
    line = json.dumps({"figure": name, **values})
    print(line)
    path = os.environ.get("DGA_PY_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
