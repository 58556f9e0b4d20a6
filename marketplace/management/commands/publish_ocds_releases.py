"""Publish an OCDS release for every public tender that has none yet (data created before
open data existed, fixtures, the demo). Idempotent: a second run stores nothing."""

from django.core.management.base import BaseCommand

from marketplace.services.opendata import ocds_releases_backfill


class Command(BaseCommand):
    help = "Backfill OCDS releases for public tenders that have none (idempotent)."

    def handle(self, *args, **options):
        def progress(done, total):
            self.stdout.write(f"{done}/{total} tender(s) checked")

        stored = ocds_releases_backfill(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"stored {stored} OCDS release(s)"))
