"""``AsyncClient``: the client's calls as coroutines for asyncio, each the core's own async call
settling an ``asyncio.Future`` of the caller's loop (``src/bridge.rs``)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import weakref
from collections import abc
from typing import (
    TYPE_CHECKING, Any, AsyncIterable, AsyncIterator, Awaitable, Callable, Dict, Iterable, List,
    Optional, Tuple, Union, cast,
)

from ._errors import CallbackError, DgaError
from ._native import Client, StatusMany, StatusResult, _Bridge, _callback_references, _callback_reply
from ._records import CallbackReply, Confirmation, Payment, PaymentStatus

if TYPE_CHECKING:  # Client's keywords, typed from the core's schema in _native.pyi
    from typing_extensions import Unpack

    from ._native import _Reference
    from ._records import _ClientOptions, _CreatePayment, _EnvOptions, _VerificationStats

#: The agency's own lookup of a callback's references; on AsyncClient it may be ``async``.
AsyncKnownReference = Callable[[str, str], Union[bool, Awaitable[bool]]]

_bridges: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Bridge]" = weakref.WeakKeyDictionary()


def _bridge_of(loop: asyncio.AbstractEventLoop) -> _Bridge:
    """The loop's bridge, made and watched on first use (one per loop, shared by clients)."""
    bridge = _bridges.get(loop)
    if bridge is None:
        bridge = _Bridge()
        try:
            loop.add_reader(bridge.fileno(), bridge.drain)
        except (NotImplementedError, ValueError):  # a loop without add_reader (proactor)
            holder: list[_Bridge] = []
            bridge = _Bridge(loop, lambda: holder[0].drain())
            holder.append(bridge)
        _bridges[loop] = bridge
    return bridge


class AsyncClient:
    """The same calls as ``Client``, as coroutines: ``AsyncClient(...)`` takes ``Client``'s
    keywords; ``AsyncClient.wrap(client)`` shares a client's connection pool and token cache."""

    __slots__ = ("_client", "_loop", "_bridge")
    _loop: Optional[asyncio.AbstractEventLoop]
    _bridge: Optional[_Bridge]

    def __init__(self, **options: Unpack[_ClientOptions]) -> None:
        self._client, self._loop, self._bridge = Client(**options), None, None

    @classmethod
    def wrap(cls, client: Client) -> AsyncClient:
        """An AsyncClient sharing ``client`` (its connection pool and token cache)."""
        self = cls.__new__(cls)
        self._client, self._loop, self._bridge = client, None, None
        return self

    @classmethod
    def from_env(cls, **options: Unpack[_EnvOptions]) -> AsyncClient:
        """Like ``Client.from_env``."""
        return cls.wrap(Client.from_env(**options))

    @property
    def client(self) -> Client:
        """The blocking client underneath."""
        return self._client

    def _on_loop(self) -> Tuple[_Bridge, asyncio.AbstractEventLoop]:
        loop = asyncio.get_running_loop()
        bridge = self._bridge
        if loop is not self._loop or bridge is None:
            bridge = self._bridge = _bridge_of(loop)
            self._loop = loop
        return bridge, loop

    def _call(self, call: str, *args: Any, **request: Any) -> asyncio.Future[Any]:
        return self._client._async(*self._on_loop(), call, *args, **request)

    async def create_payment(self, **request: Unpack[_CreatePayment]) -> Payment:
        """``Client.create_payment`` as a coroutine. Once sent it runs to its end even if the
        awaiting task is cancelled, its outcome logged at WARNING on ``dga_epayment``."""
        return cast(Payment, await self._call("create", **request))

    async def status(self, reference1: str, reference2: Optional[str] = "") -> PaymentStatus:
        """``Client.status`` as a coroutine; cancelling it stops the call."""
        return cast(PaymentStatus, await self._call("status", reference1, reference2 or ""))

    async def close(self, reference1: str, reference2: Optional[str] = "") -> Confirmation:
        """``Client.close`` as a coroutine; once sent, it runs to its end (as create_payment)."""
        return cast(Confirmation, await self._call("close", reference1, reference2 or ""))

    async def void(
        self, reference1: str, reference2: Optional[str], payment_reference: str
    ) -> Confirmation:
        """``Client.void`` as a coroutine; once sent, it runs to its end (as create_payment)."""
        voided = await self._call("void", reference1, reference2 or "", payment_reference)
        return cast(Confirmation, voided)

    async def verify_callback(self, callback: PaymentStatus) -> PaymentStatus:
        """``Client.verify_callback`` as a coroutine."""
        return cast(PaymentStatus, await self._call("verify", callback))

    async def receive_callback(
        self, body: Union[bytes, bytearray, str], *, verify: bool = True,
        known_reference: Optional[AsyncKnownReference] = None,
    ) -> PaymentStatus:
        """``Client.receive_callback`` as a coroutine; ``known_reference`` may be ``async``."""
        refused = await self._unknown(body, known_reference)
        if refused is not None:
            raise refused
        return cast(PaymentStatus, await self._call("receive", body, verify))

    async def handle_callback(
        self,
        body: Union[bytes, bytearray, str],
        handler: Callable[[PaymentStatus], Union[Awaitable[object], object]],
        *,
        verify: bool = True,
        known_reference: Optional[AsyncKnownReference] = None,
    ) -> CallbackReply:
        """``Client.handle_callback`` as a coroutine; ``handler`` and ``known_reference`` may
        be ``async``."""
        log = logging.getLogger("dga_epayment")
        try:
            refused = await self._unknown(body, known_reference)
        except Exception:
            log.exception("known_reference raised; answered DGA 503")
            return CallbackReply.unavailable()
        if refused is not None:
            return _callback_reply("refusal", refused)
        status = await self._call("receive_or_reply", body, verify)
        if isinstance(status, CallbackReply):  # the core's refusal (it logged what it needs)
            return status
        try:
            outcome = handler(status)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            log.exception("the callback handler raised; answered DGA with result false")
            return CallbackReply.handler_failed()
        return CallbackReply.accept()

    async def _unknown(
        self, body: Union[bytes, bytearray, str], known_reference: Optional[AsyncKnownReference]
    ) -> Optional[DgaError]:
        """The refusal when ``known_reference`` does not know the body's references (none
        without it, or for a body without readable references: the core refuses it)."""
        if known_reference is None:
            return None
        try:
            r1, r2 = _callback_references(body)
        except CallbackError:
            return None
        known = known_reference(r1, r2)
        if inspect.isawaitable(known):
            known = await known
        return self._client._refuse_unknown(r1, r2, known)

    def status_many(
        self, references: Union[Iterable[_Reference], AsyncIterable[_Reference]],
        concurrency: int = 8, rate: int = 20,
    ) -> AsyncStatusMany:
        """``Client.status_many`` as an async iterator: ``async for result in ...``;
        ``references`` may be an async iterable too."""
        if isinstance(references, abc.AsyncIterable):
            many = self._client._status_many_from(None, concurrency, rate)
            return AsyncStatusMany(many, self, references.__aiter__())
        return AsyncStatusMany(self._client.status_many(references, concurrency, rate), self)

    def verification_stats(self) -> _VerificationStats:
        """``Client.verification_stats``."""
        return self._client.verification_stats()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    def __repr__(self) -> str:
        return f"AsyncClient({self._client!r})"


class AsyncStatusMany:
    """The results of ``AsyncClient.status_many``, in input order (``async for``)."""

    __slots__ = ("_many", "_client", "_source", "_pull")

    def __init__(self, many: StatusMany, client: AsyncClient,
                 source: Optional[AsyncIterator[Any]] = None) -> None:
        self._many, self._client = many, client
        self._source = source  # an async iterable's, fed by _push; None when over
        self._pull: Optional[asyncio.Future[Any]] = None  # its next item, read or being read

    def __aiter__(self) -> AsyncIterator[StatusResult]:
        return self

    async def __anext__(self) -> StatusResult:
        row = self._many._next_async(*self._client._on_loop())
        try:
            # The source is read while the row is awaited, only as far as the queue has room.
            while self._source is not None and not row.done():
                pull = self._pull = self._pull or asyncio.ensure_future(self._source.__anext__())
                await asyncio.wait((row, pull), return_when=asyncio.FIRST_COMPLETED)
                if pull is self._pull and pull.done():  # not pushed by another task meanwhile
                    sent = self._many._push(pull)
                    if sent == 0:
                        break  # no room: the item waits for the next row
                    self._pull = None
                    if sent < 0:
                        self._stop()
            result: Optional[StatusResult] = await row
        finally:
            row.cancel()  # when this task is cancelled: the row is left for the next call
        if result is None:
            raise StopAsyncIteration
        return result

    def _stop(self) -> None:
        """Closes the source, as ``async for`` users expect: at its end, after a bad item, and
        when this is dropped (a break; the calls not yet made go with ``_many``)."""
        source, pull, self._source, self._pull = self._source, self._pull, None, None
        with contextlib.suppress(RuntimeError):  # no loop: asyncio.run closed the source
            if pull is not None and not pull.done():
                pull.cancel()  # the source's __anext__ ends it
            elif hasattr(source, "aclose"):
                asyncio.get_running_loop().create_task(getattr(source, "aclose")())

    __del__ = _stop

    @property
    def columns(self) -> List[str]:
        """``StatusMany.columns``."""
        return self._many.columns

    @property
    def summary(self) -> Dict[str, Any]:
        """``StatusMany.summary``."""
        return self._many.summary
