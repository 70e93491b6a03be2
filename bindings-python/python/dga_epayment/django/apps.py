"""The Django app ``dga_epayment.django``: add it to ``INSTALLED_APPS`` for the
``dga_reconcile`` management command."""

from __future__ import annotations

from django.apps import AppConfig  # type: ignore[import-untyped, unused-ignore]


class DgaEpaymentConfig(AppConfig):  # type: ignore[misc, unused-ignore]
    name = "dga_epayment.django"
    label = "dga_epayment"
    verbose_name = "DGA e-Payment"
