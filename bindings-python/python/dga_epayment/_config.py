"""Typed options for ``Client(retry=...)``."""

from __future__ import annotations

from typing import TypedDict


class RetryOptions(TypedDict, total=False):
    """Overrides of the core's retry defaults (see the README): attempts are counts, the
    backoff values are seconds (exponential backoff with full jitter)."""

    token_attempts: int
    status_attempts: int
    connect_attempts: int
    backoff_base: float
    backoff_cap: float
