"""A minimal Django project for the callback view tests (URLs are set by the test)."""

from typing import Any, List

urlpatterns: List[Any] = []
