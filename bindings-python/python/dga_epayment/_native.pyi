# Stubs for the native module (Rust, pyo3). Checked against the binary by mypy.stubtest; the
# blocks marked "generated" follow the core's schema (scripts/gen_stubs.py, checked by test.sh).
import datetime
from decimal import Decimal
import asyncio
from typing import (
    Any, Callable, ClassVar, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union, final,
)

from typing_extensions import Required, TypedDict

from ._config import RetryOptions
from ._enums import BankCode, PaymentType
from ._errors import DgaError
from ._records import CallbackReply, Confirmation, Payment, PaymentStatus

__version__: str
__all__ = [
    "Client",
    "StatusMany",
    "StatusResult",
    "callback_ack",
    "checkout_form_html",
    "enum_tables",
    "error_kinds",
    "parse_callback",
    "schema",
    "validate_citizen_id",
]

_Body = Union[bytes, bytearray, str]
#: One reference for status_many: reference1, or (reference1, reference2).
_Reference = Union[str, Tuple[str], Tuple[str, str]]
#: The agency's own lookup of a callback's references in its orders.
_KnownReference = Callable[[str, str], bool]

class _VerificationStats(TypedDict):
    """The core's counters of callback verification (each only grows)."""

    status_calls: int
    reused: int
    refused_unknown: int
    refused_busy: int

# Keywords AsyncClient forwards to Client.
# BEGIN generated: typed-dicts
class _ClientOptions(TypedDict, total=False):
    consumer_key: Required[str]
    consumer_secret: Required[str]
    agent_id: Required[str]
    environment: Optional[str]
    gateway_url: Optional[str]
    source: Optional[str]
    timeout: Optional[float]
    connect_timeout: Optional[float]
    token_max_age: Optional[float]
    retry: Optional[Union[bool, RetryOptions]]
    proxy: Optional[str]
    ca_pem: Optional[Union[str, bytes]]
    ca_file: Optional[str]
    user_agent_suffix: Optional[str]
    strict_agent_id: Optional[bool]
    max_response_bytes: Optional[int]
    token_failure_cooldown: Optional[float]
    pool_idle_timeout: Optional[float]
    max_concurrent_verifications: Optional[int]
    max_in_flight: Optional[int]
    verification_rate: Optional[int]
    verification_reuse: Optional[float]

class _CreatePayment(TypedDict, total=False):
    customer_id: Required[str]
    customer_title_name: Required[str]
    customer_first_name: Required[str]
    customer_middle_name: Optional[str]
    customer_last_name: Required[str]
    bank_code: Optional[Union[BankCode, int, str]]
    payment_type: Required[Union[PaymentType, int, str]]
    amount: Required[Union[Decimal, str, int]]
    request_reference1: Required[str]
    request_reference2: Optional[str]
    request_reference3: Optional[str]
    source: Optional[str]
    data: Optional[Mapping[str, Any]]
# END generated

@final
class Client:
    def __new__(
        cls,
        *,
        # BEGIN generated: client-options
        consumer_key: str,
        consumer_secret: str,
        agent_id: str,
        environment: Optional[str] = None,
        gateway_url: Optional[str] = None,
        source: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        token_max_age: Optional[float] = None,
        retry: Optional[Union[bool, RetryOptions]] = None,
        proxy: Optional[str] = None,
        ca_pem: Optional[Union[str, bytes]] = None,
        ca_file: Optional[str] = None,
        user_agent_suffix: Optional[str] = None,
        strict_agent_id: Optional[bool] = None,
        max_response_bytes: Optional[int] = None,
        token_failure_cooldown: Optional[float] = None,
        pool_idle_timeout: Optional[float] = None,
        max_concurrent_verifications: Optional[int] = None,
        max_in_flight: Optional[int] = None,
        verification_rate: Optional[int] = None,
        verification_reuse: Optional[float] = None,
        # END generated
    ) -> Client: ...
    @classmethod
    def from_env(
        cls,
        *,
        # BEGIN generated: client-options-env
        consumer_key: Optional[str] = None,
        consumer_secret: Optional[str] = None,
        agent_id: Optional[str] = None,
        environment: Optional[str] = None,
        gateway_url: Optional[str] = None,
        source: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        token_max_age: Optional[float] = None,
        retry: Optional[Union[bool, RetryOptions]] = None,
        proxy: Optional[str] = None,
        ca_pem: Optional[Union[str, bytes]] = None,
        ca_file: Optional[str] = None,
        user_agent_suffix: Optional[str] = None,
        strict_agent_id: Optional[bool] = None,
        max_response_bytes: Optional[int] = None,
        token_failure_cooldown: Optional[float] = None,
        pool_idle_timeout: Optional[float] = None,
        max_concurrent_verifications: Optional[int] = None,
        max_in_flight: Optional[int] = None,
        verification_rate: Optional[int] = None,
        verification_reuse: Optional[float] = None,
        # END generated
    ) -> Client: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def gateway_url(self) -> str: ...
    @property
    def source(self) -> Optional[str]: ...
    def create_payment(
        self,
        *,
        # BEGIN generated: create-payment
        customer_id: str,
        customer_title_name: str,
        customer_first_name: str,
        customer_middle_name: Optional[str] = None,
        customer_last_name: str,
        bank_code: Optional[Union[BankCode, int, str]] = None,
        payment_type: Union[PaymentType, int, str],
        amount: Union[Decimal, str, int],
        request_reference1: str,
        request_reference2: Optional[str] = None,
        request_reference3: Optional[str] = None,
        source: Optional[str] = None,
        data: Optional[Mapping[str, Any]] = None,
        # END generated
    ) -> Payment: ...
    def status(self, reference1: str, reference2: str = "") -> PaymentStatus: ...
    def close(self, reference1: str, reference2: str = "") -> Confirmation: ...
    def void(self, reference1: str, reference2: str, payment_reference: str) -> Confirmation: ...
    def verify_callback(self, callback: PaymentStatus) -> PaymentStatus: ...
    def receive_callback(
        self, body: _Body, *, verify: bool = True, known_reference: Optional[_KnownReference] = None
    ) -> PaymentStatus: ...
    def handle_callback(
        self, body: _Body, handler: Callable[[PaymentStatus], object], *, verify: bool = True,
        known_reference: Optional[_KnownReference] = None,
    ) -> CallbackReply: ...
    def status_many(
        self, references: Iterable[_Reference], concurrency: int = 8, rate: int = 20
    ) -> StatusMany: ...
    def _status_many_file(self, path: str, concurrency: int = 8, rate: int = 20) -> StatusMany: ...
    def verification_stats(self) -> _VerificationStats: ...
    def _refuse_unknown(self, reference1: str, reference2: str) -> Tuple[DgaError, CallbackReply]: ...
    def _create_async(
        self, bridge: _Bridge, event_loop: asyncio.AbstractEventLoop, **request: Any
    ) -> asyncio.Future[Payment]: ...
    def _status_async(
        self, bridge: _Bridge, event_loop: asyncio.AbstractEventLoop, reference1: str, reference2: str
    ) -> asyncio.Future[PaymentStatus]: ...
    def _close_async(
        self, bridge: _Bridge, event_loop: asyncio.AbstractEventLoop, reference1: str, reference2: str
    ) -> asyncio.Future[Confirmation]: ...
    def _void_async(
        self, bridge: _Bridge, event_loop: asyncio.AbstractEventLoop, reference1: str, reference2: str,
        payment_reference: str,
    ) -> asyncio.Future[Confirmation]: ...
    def _verify_async(
        self, bridge: _Bridge, event_loop: asyncio.AbstractEventLoop, callback: PaymentStatus
    ) -> asyncio.Future[PaymentStatus]: ...
    def _receive_async(
        self, bridge: _Bridge, event_loop: asyncio.AbstractEventLoop, body: _Body, verify: bool,
        for_reply: bool = False,
    ) -> asyncio.Future[Any]: ...

@final
class StatusMany:
    def __iter__(self) -> StatusMany: ...
    def __next__(self) -> StatusResult: ...
    def _next_async(
        self, bridge: _Bridge, event_loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Optional[StatusResult]]: ...
    @property
    def columns(self) -> List[str]: ...
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def summary_text(self) -> str: ...

@final
class StatusResult:
    @property
    def reference1(self) -> str: ...
    @property
    def reference2(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def status(self) -> Optional[PaymentStatus]: ...
    @property
    def error(self) -> Optional[DgaError]: ...
    @property
    def not_found(self) -> bool: ...
    @property
    def row(self) -> Dict[str, Optional[str]]: ...

@final
class _RowWriter:
    def __new__(cls, format: str, columns: List[str], bom: bool = False) -> _RowWriter: ...
    def write(self, result: StatusResult) -> str: ...
    def take(self) -> str: ...

@final
class _Wire:
    def to_py(self) -> Dict[str, Any]: ...

@final
class _Bridge:
    def __new__(
        cls, event_loop: Optional[asyncio.AbstractEventLoop] = None,
        drain: Optional[Callable[[], None]] = None,
    ) -> _Bridge: ...
    def fileno(self) -> int: ...
    def drain(self) -> None: ...
    def _cancelled(self, id: int) -> None: ...
    def __len__(self) -> int: ...

def parse_callback(body: _Body) -> PaymentStatus: ...
def callback_ack(accepted: bool, message: str = "Success") -> str: ...
def validate_citizen_id(citizen_id: str) -> bool: ...
def checkout_form_html(payment: Payment) -> str: ...
def enum_tables() -> Dict[str, List[Dict[str, Any]]]: ...
def schema() -> Dict[str, Any]: ...
def _read_record(name: str, data: Mapping[str, Any]) -> Dict[str, Any]: ...
def _checkout_fields(payment: Payment) -> List[Tuple[str, str]]: ...
def _callback_reply(accepted: bool, message: str, unavailable: bool = False) -> CallbackReply: ...
def _callback_references(body: _Body) -> Tuple[str, str]: ...

_CONTENT_TYPE: str
def _pump_logs() -> bool: ...
def _at_exit() -> None: ...
def error_kinds() -> List[Dict[str, Any]]: ...
