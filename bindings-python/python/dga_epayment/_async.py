"""``AsyncClient``: the client's calls as coroutines for asyncio.

Each call runs the blocking native call (which releases the GIL) on the client's own thread
pool, never on the event loop. The pool is sized for waiting on the network, not for CPU:
asyncio's default executor has only ``min(32, cores + 4)`` threads, which would queue slow DGA
calls a handful at a time.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, Awaitable, Callable, Mapping, Optional, TypeVar, Union

from ._config import RetryOptions
from ._enums import BankCode, PaymentType
from ._native import CallbackReply, Client, Confirmation, Payment, PaymentStatus

T = TypeVar("T")

#: Concurrent calls in flight per AsyncClient before further ones queue.
DEFAULT_MAX_CONCURRENCY = 128


class AsyncClient:
    """The same calls as ``Client``, as coroutines.

    ``AsyncClient(...)`` takes ``Client``'s keywords, or wrap an existing client with
    ``AsyncClient.wrap(client)`` (both share its connection pool and token cache).
    ``max_concurrency`` bounds the threads waiting on DGA at once.
    """

    def __init__(
        self,
        *,
        consumer_key: str,
        consumer_secret: str,
        agent_id: str,
        environment: str = "uat",
        gateway_url: Optional[str] = None,
        source: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        token_max_age: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_pem: Union[str, bytes, None] = None,
        ca_file: Optional[str] = None,
        user_agent_suffix: Optional[str] = None,
        strict_agent_id: bool = False,
        retry: Union[bool, RetryOptions, None] = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        client = Client(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            agent_id=agent_id,
            environment=environment,
            gateway_url=gateway_url,
            source=source,
            timeout=timeout,
            connect_timeout=connect_timeout,
            token_max_age=token_max_age,
            proxy=proxy,
            ca_pem=ca_pem,
            ca_file=ca_file,
            user_agent_suffix=user_agent_suffix,
            strict_agent_id=strict_agent_id,
            retry=retry,
        )
        self._init(client, max_concurrency)

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
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pid = os.getpid()

    @property
    def client(self) -> Client:
        """The blocking client underneath."""
        return self._client

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            # A forked child has none of the parent's pool threads: start a new pool there.
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(
                    max_workers=self._max, thread_name_prefix="dga-epayment"
                )
                self._pid = os.getpid()
            return self._pool

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor(), functools.partial(fn, *args, **kwargs)
        )

    async def create_payment(
        self,
        *,
        customer_id: str,
        customer_title_name: str,
        customer_first_name: str,
        customer_middle_name: Optional[str] = None,
        customer_last_name: str,
        payment_type: Union[PaymentType, int, str],
        amount: Union[Decimal, str, int],
        request_reference1: str,
        request_reference2: Optional[str] = None,
        request_reference3: Optional[str] = None,
        source: Optional[str] = None,
        bank_code: Union[BankCode, int, str, None] = None,
        data: Optional[Mapping[str, Any]] = None,
    ) -> Payment:
        """``Client.create_payment`` as a coroutine."""
        return await self._run(
            self._client.create_payment,
            customer_id=customer_id,
            customer_title_name=customer_title_name,
            customer_first_name=customer_first_name,
            customer_middle_name=customer_middle_name,
            customer_last_name=customer_last_name,
            payment_type=payment_type,
            amount=amount,
            request_reference1=request_reference1,
            request_reference2=request_reference2,
            request_reference3=request_reference3,
            source=source,
            bank_code=bank_code,
            data=data,
        )

    async def status(self, reference1: str, reference2: str = "") -> PaymentStatus:
        """``Client.status`` as a coroutine."""
        return await self._run(self._client.status, reference1, reference2)

    async def close(self, reference1: str, reference2: str = "") -> Confirmation:
        """``Client.close`` as a coroutine."""
        return await self._run(self._client.close, reference1, reference2)

    async def void(self, reference1: str, reference2: str, payment_reference: str) -> Confirmation:
        """``Client.void`` as a coroutine."""
        return await self._run(self._client.void, reference1, reference2, payment_reference)

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
            pool.shutdown(wait=False)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close_pool()

    def __repr__(self) -> str:
        return f"AsyncClient({self._client!r}, max_concurrency={self._max})"
