"""``AsyncClient``: the client's calls as coroutines for asyncio.

Each call runs the blocking native call (which releases the GIL) on the client's own worker
threads, never on the event loop. The workers are sized for waiting on the network, not for
CPU: asyncio's default executor has only ``min(32, cores + 4)`` threads, which would queue slow
DGA calls a handful at a time.

A call costs the loop one ``asyncio.Future`` and one queue put; the worker that ran it hands
the result to the loop through a per-loop inbox, waking the loop with one
``loop.call_soon_threadsafe`` per batch of finished calls (no ``concurrent.futures.Future``, no
future chaining, as ``run_in_executor`` would add to every call).

A create or void that has started is never abandoned: cancelling the awaiting task (a
``wait_for`` timeout, say) cannot stop a request DGA may already be acting on. The call runs to
its end and, as nobody receives its outcome, that outcome is logged at WARNING on the
``dga_epayment`` logger with the payment's references, so the agency can learn that a payment
exists (or was voided) although its caller gave up.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import queue
import threading
import weakref
from typing import (TYPE_CHECKING, Any, Awaitable, Callable, List, Mapping, Optional, Tuple,
                    TypeVar, Union)

from ._native import Client
from ._records import CallbackReply, Confirmation, Payment, PaymentStatus

if TYPE_CHECKING:  # Client's keywords, typed from the core's schema in _native.pyi
    from typing_extensions import Unpack

    from ._native import _ClientOptions, _CreatePayment

T = TypeVar("T")

#: Concurrent calls in flight per AsyncClient before further ones queue.
DEFAULT_MAX_CONCURRENCY = 128


_Settle = Callable[["asyncio.Future[Any]", Any], None]
_Done = Tuple[_Settle, "asyncio.Future[Any]", Any, "Optional[_Unreceived]"]

_log = logging.getLogger("dga_epayment")


class _Unreceived:
    """Logs the outcome of a create or void that nobody awaits any more (its task was
    cancelled, or its event loop closed): the payment's state at DGA may have changed."""

    __slots__ = ("call", "reference1", "reference2", "extra")

    def __init__(self, call: str, reference1: str, reference2: str, extra: str = "") -> None:
        self.call = call
        self.reference1 = reference1
        self.reference2 = reference2
        self.extra = extra

    def _what(self) -> str:
        return f"{self.call}(reference1={self.reference1!r}, reference2={self.reference2!r}{self.extra})"

    def skipped(self) -> None:
        _log.info("%s was cancelled before it started: not sent to DGA", self._what())

    def finished(self, ok: bool, value: Any) -> None:
        if ok:
            if isinstance(value, Payment):
                outcome = (f"payment created at DGA: orderRef={value.order_ref!r} "
                           f"reference1={value.reference1!r} reference2={value.reference2!r}")
            else:
                outcome = (f"done at DGA: status={getattr(value, 'status', None)!r} "
                           f"message={getattr(value, 'message', None)!r}")
        else:
            kind = getattr(value, "kind", "") or type(value).__name__
            # DgaError messages never carry a secret or token (the core redacts them).
            outcome = f"failed, kind={kind}: {value}"
            if kind == "outcome_unknown":
                outcome += " (it may have happened at DGA: check status with these references)"
        _log.warning("%s finished after its caller stopped waiting (task cancelled or event "
                     "loop closed): %s", self._what(), outcome,
                     extra={"reference1": self.reference1, "reference2": self.reference2})


def _settle_result(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():  # the awaiting task may have been cancelled meanwhile
        fut.set_result(value)


def _settle_exception(fut: asyncio.Future[Any], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


def _reference(value: object) -> str:
    """A reference as the core sends it (trimmed; none is ""), for the log only."""
    return value.strip() if isinstance(value, str) else ("" if value is None else repr(value))


class _Inbox:
    """Finished calls for one event loop. Workers append to it and wake the loop only when it
    was empty, so calls that finish close together cost one ``call_soon_threadsafe``."""

    __slots__ = ("loop", "_lock", "_done", "_scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._done: List[_Done] = []
        self._scheduled = False

    def post(self, settle: _Settle, fut: asyncio.Future[Any], value: Any,
             unreceived: Optional[_Unreceived]) -> None:
        """From a worker thread."""
        with self._lock:
            self._done.append((settle, fut, value, unreceived))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            # The event loop was closed before the call finished: nobody waits.
            with self._lock:
                done, self._done = self._done, []
                self._scheduled = False  # a later post tries (and logs) on its own
            for settle, _fut, value, unreceived in done:
                if unreceived is not None:
                    unreceived.finished(settle is _settle_result, value)

    def _drain(self) -> None:
        """On the event loop."""
        with self._lock:
            done, self._done = self._done, []
            self._scheduled = False
        for settle, fut, value, unreceived in done:
            if fut.done():  # cancelled after the worker finished the call
                if unreceived is not None:
                    unreceived.finished(settle is _settle_result, value)
            else:
                settle(fut, value)


_Job = Tuple[Callable[..., Any], Tuple[Any, ...], Mapping[str, Any], _Inbox,
             "asyncio.Future[Any]", Optional[_Unreceived]]


class _Shared:
    """What the worker threads hold (never the pool itself, so a dropped pool can stop them)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Optional[_Job]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.threads = 0
        self.idle = 0  # workers waiting for a job that no submit has claimed yet
        self.pid = os.getpid()

    def stop(self) -> None:
        if self.pid != os.getpid():
            # A forked child's copy: it has no threads, and a worker of the parent may have held
            # the lock at the fork.
            return
        # One end marker per thread, behind the jobs already queued (those still run).
        with self.lock:
            n, self.threads, self.idle = self.threads, 0, 0
        for _ in range(n):
            self.jobs.put(None)


def _worker(shared: _Shared) -> None:
    jobs = shared.jobs
    lock = shared.lock
    while True:
        job = jobs.get()
        if job is None:
            return
        fn, args, kwargs, inbox, fut, unreceived = job
        del job
        if not fut.done():  # not cancelled while queued
            try:
                value = fn(*args, **kwargs)
                settle: _Settle = _settle_result
            except BaseException as exc:  # the same object reaches the awaiting task
                value = exc
                settle = _settle_exception
            # Reading the future's state from this thread is safe (one word, under the GIL);
            # a cancelled future never becomes pending again.
            if fut.cancelled() and unreceived is not None:
                unreceived.finished(settle is _settle_result, value)
            else:
                inbox.post(settle, fut, value, unreceived)
            del value, settle
        elif unreceived is not None:
            unreceived.skipped()
        del fn, args, kwargs, inbox, fut, unreceived
        with lock:
            shared.idle += 1


_all_shared: "weakref.WeakSet[_Shared]" = weakref.WeakSet()
_exit_hooked = False
_exit_lock = threading.Lock()


def _stop_all_at_exit() -> None:
    for shared in list(_all_shared):
        shared.stop()


def _hook_exit() -> None:
    # Like concurrent.futures: the workers are not daemon threads (one caught inside a native
    # call at interpreter exit must not be torn down there); idle ones are told to end before
    # the interpreter joins them.
    global _exit_hooked
    with _exit_lock:
        if _exit_hooked:
            return
        register = getattr(threading, "_register_atexit", None)
        if register is not None:
            register(_stop_all_at_exit)
        else:  # pragma: no cover - every supported CPython has it
            import atexit

            atexit.register(_stop_all_at_exit)
        _exit_hooked = True


class _Workers:
    """Up to ``max_workers`` threads, started as calls need them and kept for the next ones."""

    def __init__(self, max_workers: int) -> None:
        _hook_exit()
        self._max = max_workers
        self._shared = shared = _Shared()
        _all_shared.add(shared)
        # Dropped without shutdown: its idle threads still end.
        weakref.finalize(self, shared.stop)

    def submit(self, job: _Job) -> None:
        shared = self._shared
        shared.jobs.put(job)
        with shared.lock:
            if shared.idle > 0:
                shared.idle -= 1
                return
            if shared.threads >= self._max:
                return  # queued until a worker is free
            shared.threads += 1
            name = f"dga-epayment_{shared.threads - 1}"
        try:
            threading.Thread(target=_worker, args=(shared,), name=name).start()
        except BaseException:
            with shared.lock:
                shared.threads -= 1
            raise

    def shutdown(self) -> None:
        self._shared.stop()


class AsyncClient:
    """The same calls as ``Client``, as coroutines.

    ``AsyncClient(...)`` takes ``Client``'s keywords, or wrap an existing client with
    ``AsyncClient.wrap(client)`` (both share its connection pool and token cache).
    ``max_concurrency`` bounds the threads waiting on DGA at once.
    """

    def __init__(self, *, max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
                 **options: Unpack[_ClientOptions]) -> None:
        self._init(Client(**options), max_concurrency)

    @classmethod
    def wrap(
        cls, client: Client, *, max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    ) -> AsyncClient:
        """An AsyncClient sharing ``client`` (its connection pool and token cache)."""
        self = cls.__new__(cls)
        self._init(client, max_concurrency)
        return self

    @classmethod
    def from_env(
        cls, *, max_concurrency: int = DEFAULT_MAX_CONCURRENCY, **options: Any
    ) -> AsyncClient:
        """Like ``Client.from_env``."""
        return cls.wrap(Client.from_env(**options), max_concurrency=max_concurrency)

    def _init(self, client: Client, max_concurrency: int) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._client = client
        self._max = max_concurrency
        self._lock = threading.Lock()
        self._pool: Optional[_Workers] = None
        self._inbox: Optional[_Inbox] = None
        self._pid = os.getpid()

    @property
    def client(self) -> Client:
        """The blocking client underneath."""
        return self._client

    def _workers(self) -> _Workers:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._lock:
            # A forked child has none of the parent's worker threads: start new ones there.
            if self._pool is None or self._pid != os.getpid():
                self._pool = _Workers(self._max)
                self._pid = os.getpid()
            return self._pool

    def _run(self, fn: Callable[..., T], *args: Any, _unreceived: Optional[_Unreceived] = None,
             **kwargs: Any) -> asyncio.Future[T]:
        """A future of ``fn(*args, **kwargs)`` run on a worker (awaited by the caller directly,
        without a coroutine of its own in between). ``_unreceived`` logs the outcome of a call
        that changes DGA's state when nobody awaits it any more."""
        loop = asyncio.get_running_loop()
        inbox = self._inbox
        if inbox is None or inbox.loop is not loop:
            inbox = self._inbox = _Inbox(loop)
        fut: asyncio.Future[T] = loop.create_future()
        try:
            self._workers().submit((fn, args, kwargs, inbox, fut, _unreceived))
        except BaseException:
            fut.cancel()  # a worker that picks the job up later skips it
            raise
        return fut

    async def create_payment(self, **request: Unpack[_CreatePayment]) -> Payment:
        """``Client.create_payment`` as a coroutine (the same keywords).

        Once started it runs to its end even if the awaiting task is cancelled; the outcome
        is then logged at WARNING on ``dga_epayment`` (wrap it in ``asyncio.shield`` to keep
        the ``Payment``)."""
        unreceived = _Unreceived(
            "create_payment",
            _reference(request.get("request_reference1")),
            _reference(request.get("request_reference2")),
        )
        return await self._run(self._client.create_payment, _unreceived=unreceived, **request)

    async def status(self, reference1: str, reference2: str = "") -> PaymentStatus:
        """``Client.status`` as a coroutine."""
        return await self._run(self._client.status, reference1, reference2)

    async def close(self, reference1: str, reference2: str = "") -> Confirmation:
        """``Client.close`` as a coroutine."""
        return await self._run(self._client.close, reference1, reference2)

    async def void(self, reference1: str, reference2: str, payment_reference: str) -> Confirmation:
        """``Client.void`` as a coroutine. Like ``create_payment``, it runs to its end even if
        the awaiting task is cancelled, and the outcome is then logged at WARNING."""
        unreceived = _Unreceived("void", _reference(reference1), _reference(reference2),
                                 f", payment_reference={_reference(payment_reference)!r}")
        return await self._run(self._client.void, reference1, reference2, payment_reference,
                               _unreceived=unreceived)

    async def verify_callback(self, callback: PaymentStatus) -> PaymentStatus:
        """``Client.verify_callback`` as a coroutine."""
        return await self._run(self._client.verify_callback, callback)

    async def receive_callback(
        self, body: Union[bytes, bytearray, str], *, verify: bool = True
    ) -> PaymentStatus:
        """``Client.receive_callback`` as a coroutine."""
        return await self._run(self._client.receive_callback, body, verify=verify)

    async def handle_callback(
        self,
        body: Union[bytes, bytearray, str],
        handler: Callable[[PaymentStatus], Union[Awaitable[object], object]],
        *,
        verify: bool = True,
    ) -> CallbackReply:
        """``Client.handle_callback`` as a coroutine; ``handler`` may be ``async``."""
        status, refusal = await self._run(self._client._receive_for_reply, body, verify)
        if refusal is not None:
            return refusal
        assert status is not None
        try:
            outcome = handler(status)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            logging.getLogger("dga_epayment").exception(
                "the callback handler raised; answered DGA with result false"
            )
            return CallbackReply.handler_failed()
        return CallbackReply.accept()

    def close_pool(self) -> None:
        """Stops the pool's threads once their calls finish (the client stays usable: a new
        pool starts on the next call)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close_pool()

    def __repr__(self) -> str:
        return f"AsyncClient({self._client!r}, max_concurrency={self._max})"
