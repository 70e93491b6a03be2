"""Django settings for running ``python -m django dga_reconcile`` as a process (credentials come
from the DGA_* environment)."""

SECRET_KEY = "tests-only"
INSTALLED_APPS = ["dga_epayment.django"]
