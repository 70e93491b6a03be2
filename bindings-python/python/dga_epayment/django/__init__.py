"""Django integration: ``callback_view``, a ready view for DGA's payment callbacks (the package
README shows it in ``urls.py``), ``shared_client()`` and, with ``"dga_epayment.django"`` in
``INSTALLED_APPS``, the ``dga_reconcile`` management command."""

from __future__ import annotations

from typing import Any, Callable, Optional, cast

# Django ships no type information of its own (django-stubs adds it when installed).
from django import conf  # type: ignore[import-untyped, unused-ignore]
from django.http import HttpRequest, HttpResponse  # type: ignore[import-untyped, unused-ignore]
from django.views.decorators.csrf import csrf_exempt  # type: ignore[import-untyped, unused-ignore]
from django.views.decorators.http import require_POST  # type: ignore[import-untyped, unused-ignore]

from .._native import Client
from .._records import CallbackReply, PaymentStatus

__all__ = ["callback_view", "shared_client"]

_shared: Optional[Client] = None


def shared_client() -> Client:
    """The project's one client, made on first use (not when ``urls.py`` is imported, so
    ``manage.py check`` or ``migrate`` run without DGA's credentials): the setting
    ``DGA_EPAYMENT`` (a dict of ``Client`` keywords) over the ``DGA_*`` environment."""
    global _shared
    if _shared is None:
        _shared = Client.from_env(**getattr(conf.settings, "DGA_EPAYMENT", {}))
    return _shared


def callback_view(
    handler: Callable[[PaymentStatus], Any],
    *,
    client: Optional[Client] = None,
    verify: bool = True,
    known_reference: Optional[Callable[[str, str], bool]] = None,
    max_body: int = 64 * 1024,
) -> Callable[[HttpRequest], HttpResponse]:
    """A CSRF-exempt, POST-only Django view for DGA's callbacks: ``Client.handle_callback``
    with ``handler(status)`` (make it idempotent: DGA delivers again until told ``result:
    true``) and the agency's ``known_reference(reference1, reference2)``, asked first. A body
    over ``max_body`` bytes is answered 413 (DGA's callbacks are a few hundred bytes). Without
    ``client``, ``shared_client()`` at the first delivery."""

    def view(request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or ""
        if (length.isdigit() and int(length) > max_body) or len(request.body) > max_body:
            reply = CallbackReply.too_large(max_body)  # refused before it is read, when it says
        else:
            reply = (client or shared_client()).handle_callback(
                request.body, handler, verify=verify, known_reference=known_reference
            )
        return HttpResponse(reply.body, status=reply.http_status, content_type=reply.content_type)

    view.__name__ = getattr(handler, "__name__", "dga_callback")
    view.__doc__ = handler.__doc__
    # DGA posts from its own servers, without a CSRF token; only POST is a callback.
    return cast(Callable[[HttpRequest], HttpResponse], csrf_exempt(require_POST(view)))
