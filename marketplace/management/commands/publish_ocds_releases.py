"""Publish the OCDS releases of past public events: one release per event the data dates
(tender published, amended, bids opened, award, contract signed, each variation, milestone
accepted, payment settled, contract ended, tender failed or cancelled), dated at the event
and showing the process as it stood then, for data created before open data existed, the
demo and fixtures. Idempotent: a second run stores nothing (see ocds_releases_backfill)."""

from django.core.management.base import BaseCommand

from marketplace.management.commands._bench import Progress
from marketplace.services.opendata import BACKFILL_BATCH, ocds_releases_backfill


class Command(BaseCommand):
    help = "Backfill the OCDS releases of past public events of every public tender (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BACKFILL_BATCH,
            help=f"Tenders read and stored per batch (default {BACKFILL_BATCH}).",
        )

    def handle(self, *args, batch_size, **options):
        bar = None

        def progress(done, total):
            nonlocal bar
            if bar is None:
                bar = Progress(self.stdout, "Tenders", total)
            bar.update(done)

        stored = ocds_releases_backfill(batch_size=batch_size, progress=progress)
        elapsed = f" in {bar.elapsed:.1f} s" if bar is not None else ""
        self.stdout.write(self.style.SUCCESS(f"stored {stored} OCDS release(s){elapsed}"))
