"""An agency's payment flow with dga-epayment, fully typed (checked with `mypy --strict`).

Run against the sandbox: `dga-sandbox --port 8580` in one terminal, then
`DGA_CONSUMER_KEY=sandbox-key DGA_CONSUMER_SECRET=sandbox-secret DGA_AGENT_ID=1234567890121
DGA_GATEWAY_URL=http://127.0.0.1:8580 DGA_SOURCE=SANDBOX python examples/shop.py`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from decimal import Decimal
from typing import Dict, List, Optional

import dga_epayment as dga

ORDERS: Dict[str, Optional[Decimal]] = {}  # reference1 -> amount paid (your database)


def start_payment(client: dga.Client, amount: Decimal) -> dga.Payment:
    reference1 = f"INV-{uuid.uuid4().hex[:12]}"
    try:
        payment = client.create_payment(
            customer_id="1234567890121",
            customer_title_name="นาย",
            customer_first_name="สมชาย",
            customer_last_name="ใจดี",
            payment_type=dga.PaymentType.QR_PAYMENT,
            amount=amount,
            request_reference1=reference1,
        )
    except dga.OutcomeUnknownError as e:
        # The create may have happened: ask DGA before anything else.
        status = client.status(e.reference1, e.reference2)
        raise SystemExit(f"create outcome unknown; DGA says {status.paid_status!r}")
    except dga.ValidationError as e:
        fields: List[str] = [f.field for f in e.errors]
        raise SystemExit(f"fix these fields: {fields}")
    ORDERS[payment.reference1] = None
    return payment


def record(status: dga.PaymentStatus) -> None:
    """The callback handler: `status` is DGA's own, already verified."""
    if status.paid_status is dga.PaidStatus.SUCCESS:
        ORDERS[status.ref1] = status.amount


def describe(status: dga.PaymentStatus) -> str:
    ps = status.paid_status
    label = ps.description_th if isinstance(ps, dga.PaidStatus) else f"unknown ({ps!r})"
    when = status.paid_date.isoformat() if status.paid_date else "-"
    return f"{status.ref1}: {label}, {status.amount} THB, paid {when}"


async def check_many(client: dga.Client, references: List[str]) -> List[dga.PaymentStatus]:
    async with dga.AsyncClient.wrap(client) as ac:
        return list(await asyncio.gather(*(ac.status(r) for r in references)))


def main() -> int:
    client = dga.Client.from_env(timeout=10.0, retry={"status_attempts": 2})
    payment = start_payment(client, Decimal("250.00"))
    html: str = payment.checkout_form_html()
    assert payment.security_key not in repr(payment) and "<form" in html
    statuses = asyncio.run(check_many(client, [payment.reference1]))
    for s in statuses:
        print(describe(s))
    # What a callback endpoint does with DGA's POST body (here: the status as DGA sends it).
    # DGA's own status decides: this payment is still Pending there, so the answer is 409 and
    # DGA delivers again later; once paid, the same body is accepted with DGA's values.
    body = json.dumps(statuses[0].to_dict())
    reply: dga.CallbackReply = client.handle_callback(body, record, verify=True)
    print("callback answered", reply.http_status, reply.body)
    try:
        client.close(payment.reference1)
    except dga.ApiError as e:
        code = e.error_code
        print("close refused:", code.dga_name if isinstance(code, dga.ErrorCode) else code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
