"""A minimal Django project for the callback view and dga_reconcile tests (URLs are set by
each test)."""

from typing import Any, List

urlpatterns: List[Any] = []


def configure() -> None:
    """Django settings for the tests, once per process: CSRF checks on, as in production."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="tests-only",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF="django_site",
            MIDDLEWARE=[
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
            INSTALLED_APPS=["dga_epayment.django"],
        )
        django.setup()


def serve(patterns: List[Any]) -> Any:
    """Routes requests to `patterns`; returns a Django test client that enforces CSRF."""
    from django.test import Client
    from django.urls import clear_url_caches

    global urlpatterns
    urlpatterns = list(patterns)
    clear_url_caches()
    return Client(enforce_csrf_checks=True)
