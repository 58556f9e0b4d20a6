"""Helpers shared by the seed_bench command's parts: which rows are bench rows, fast batch
commits, weighted choices and the progress bar. (Modules starting with "_" are not commands.)"""

import time

from django.db import connection
from django.db.models.functions import Substr

from marketplace.models import (
    Buyer,
    Tender,
)

# Serials (characters 9–16 of a credit code) reserved for bench rows.
BENCH_SERIALS = range(50_000_000, 60_000_000)


def bench_rows(model):
    """The rows of `model` (Organisation or Buyer) whose credit-code serial is a bench serial."""
    return model.objects.annotate(bench_serial=Substr("credit_code", 9, 8)).filter(
        bench_serial__gte=f"{BENCH_SERIALS.start:08d}",
        bench_serial__lt=f"{BENCH_SERIALS.stop:08d}",
    )


def fast_commit():
    """Inside a transaction: do not wait for its commit to reach the disk. Bench rows can be
    seeded again if the server crashes, and the hundreds of batch commits add up."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def bench_tenders():
    """Tenders of bench buyers (and only those)."""
    return Tender.objects.filter(buyer__in=bench_rows(Buyer).values("pk"))


def next_serial(queryset) -> int:
    last = queryset.order_by("-bench_serial").values_list("bench_serial", flat=True).first()
    return BENCH_SERIALS.start if last is None else int(last) + 1


def weighted_choice(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Progress:
    """A one-line text progress bar: redrawn in place on a terminal, one line per update otherwise."""

    def __init__(self, stdout, label, total, width=30):
        self.stdout, self.label, self.total, self.width = stdout, label, total, width
        self.started = time.perf_counter()
        self.in_place = stdout.isatty()

    def update(self, done):
        elapsed = time.perf_counter() - self.started
        filled = self.width * done // self.total if self.total else self.width
        rate = done / elapsed if elapsed > 0 else 0
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{done:,}/{self.total:,} {rate:,.0f}/s"
        )
        if self.in_place:
            self.stdout.write(f"\r{line}", ending="\n" if done >= self.total else "")
        else:
            self.stdout.write(line)
        self.stdout.flush()

    @property
    def elapsed(self):
        return time.perf_counter() - self.started
