"""``python manage.py dga_reconcile FILE``: the status of every reference of a list, as
``dgapay reconcile`` gives it (see the package README)."""

from __future__ import annotations

from typing import Any

from django import conf  # type: ignore[import-untyped, unused-ignore]
from django.core.management.base import (  # type: ignore[import-untyped, unused-ignore]
    BaseCommand, CommandError, CommandParser,
)

from ...._errors import DgaError, ValidationError
from ...._native import Client, _RowWriter

#: Some statuses could not be read; bad input (the line and the reason are named).
EXIT_SOME_UNREADABLE, EXIT_BAD_INPUT = 1, 2


class Command(BaseCommand):  # type: ignore[misc, unused-ignore]
    help = (
        "Reads the status of every reference of FILE (reference1[,reference2] lines, or a CSV "
        "whose header names reference1; '-' for stdin) and writes one row per reference, in "
        "input order, to stdout. Credentials: settings.DGA_EPAYMENT (Client options) over the "
        "DGA_* environment. Exit 0: every reference read; 1: some could not be; 2: bad input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
        # Their ranges are the core's (a ValidationError naming the option, exit 2).
        parser.add_argument("--concurrency", type=int, default=8, metavar="N",
                            help="status calls in flight at once (1-256, default 8)")
        parser.add_argument("--rate", type=int, default=20, metavar="N",
                            help="status calls started per second at most (0: no limit)")
        parser.add_argument("--bom", action="store_true",
                            help="start the CSV with a UTF-8 byte-order mark (for Excel)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client = Client.from_env(**getattr(conf.settings, "DGA_EPAYMENT", {}))
            many = client._status_many_from(options["file"], options["concurrency"],
                                            options["rate"])
        except ValidationError as e:  # bad input, options or configuration: 2, as dgapay's
            input_ = e.errors and e.errors[0].field in ("input", "concurrency", "rate")
            raise CommandError(f"error[{'input' if input_ else e.kind}]: {e}", returncode=EXIT_BAD_INPUT) from None
        except OSError as e:
            raise CommandError(f"error[io]: {options['file']}: {e}", returncode=EXIT_BAD_INPUT) from None
        except DgaError as e:
            raise CommandError(f"error: {e}", returncode=1) from None
        writer = _RowWriter(options["format"], many.columns, options["bom"])
        def out(text: str) -> None:  # the core's rows end their own lines
            self.stdout.write(text, ending="")

        out(writer.take())
        try:
            for result in many:
                if result.error is not None and not result.not_found:
                    self.stderr.write(f"line {result.line}: {result.reference1} "
                                      f"{result.reference2}: error[{result.error.kind}]: "
                                      f"{result.error}")
                out(writer.write(result))
        except ValidationError as e:
            self.stdout.flush()
            self.stderr.write(f"reconcile: stopped at a bad line after {many.summary_text}")
            raise CommandError(f"error[input]: {e}", returncode=EXIT_BAD_INPUT) from None
        self.stdout.flush()
        self.stderr.write(f"reconcile: {many.summary_text}")
        if many.summary["unreadable"]:
            raise CommandError(f"{many.summary['unreadable']} statuses could not be read",
                               returncode=EXIT_SOME_UNREADABLE)
