"""Django integration: a ready view for DGA's payment callbacks and, with
``"dga_epayment.django"`` in ``INSTALLED_APPS``, the ``dga_reconcile`` management command.

.. code-block:: python

    # urls.py
    from dga_epayment.django import callback_view

    def record_payment(status):          # DGA's verified status (a PaymentStatus)
        if status.is_paid:
            Order.objects.filter(ref=status.ref1).update(paid=True)

    def known(reference1, reference2):   # the agency's own orders, before DGA is asked
        return Order.objects.filter(ref=reference1).exists()

    urlpatterns = [path("dga/callback", callback_view(record_payment, client=client,
                                                      known_reference=known))]

The view is CSRF-exempt and POST-only; the core decides each delivery by DGA's own status
(the callback contract) and the answer to send (the package README lists the status codes).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, cast

# Django ships no type information of its own (django-stubs adds it when installed).
from django.http import HttpRequest, HttpResponse  # type: ignore[import-untyped, unused-ignore]
from django.views.decorators.csrf import csrf_exempt  # type: ignore[import-untyped, unused-ignore]
from django.views.decorators.http import require_POST  # type: ignore[import-untyped, unused-ignore]

from .._native import Client
from .._records import PaymentStatus

__all__ = ["callback_view"]


def callback_view(
    handler: Callable[[PaymentStatus], Any],
    *,
    client: Client,
    verify: bool = True,
    known_reference: Optional[Callable[[str, str], bool]] = None,
) -> Callable[[HttpRequest], HttpResponse]:
    """A Django view for DGA's callbacks that hands each verified result to ``handler``.

    ``handler(status)`` records the result (e.g. marks the order paid when
    ``status.is_paid``). Make it idempotent: DGA delivers again until it is told
    ``result: true``. An exception in it is logged on the ``dga_epayment`` logger and answered
    with ``result: false``. ``known_reference(reference1, reference2)``, the agency's own
    lookup, is asked first: false answers 404 without any DGA call (so forged deliveries cost
    DGA nothing), an exception in it 503.
    """

    def view(request: HttpRequest) -> HttpResponse:
        reply = client.handle_callback(
            request.body, handler, verify=verify, known_reference=known_reference
        )
        return HttpResponse(
            reply.body, status=reply.http_status, content_type=reply.content_type
        )

    view.__name__ = getattr(handler, "__name__", "dga_callback")
    view.__doc__ = handler.__doc__
    # DGA posts from its own servers, without a CSRF token; only POST is a callback.
    return cast(Callable[[HttpRequest], HttpResponse], csrf_exempt(require_POST(view)))
