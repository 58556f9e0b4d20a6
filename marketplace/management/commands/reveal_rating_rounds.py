"""Reveal two-way evaluations whose window has closed (揭晓), by the platform.

Idempotent and safe to run every few minutes (cron or a systemd timer). Nothing waits for
it to show an evaluation: the pages treat a closed window as revealed already; the run
records the reveal, emails both sides and refreshes the rating summaries.
"""

from django.core.management.base import BaseCommand

from marketplace.services.ratings import rating_rounds_reveal_due


class Command(BaseCommand):
    help = "Reveal evaluation rounds whose window has closed (idempotent)."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(done, total):
            if verbosity >= 1 and (done == total or done % 100 == 0):
                self.stdout.write(f"  {done}/{total} round(s) checked")

        revealed = rating_rounds_reveal_due(progress=progress)
        self.stdout.write(f"revealed {revealed} evaluation round(s)")
