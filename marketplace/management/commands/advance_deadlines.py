"""Move tenders whose deadlines have passed: close bidding, or fail it (流标) with too few bids.

Idempotent and safe to run every minute (cron or a systemd timer). Nothing depends on it
having run: bidding, opening and the pages check the clock themselves.
"""

from django.core.management.base import BaseCommand

from marketplace.services.tenders import tenders_advance_deadlines


class Command(BaseCommand):
    help = "Close bidding on tenders whose bid deadline has passed (idempotent)."

    def handle(self, *args, **options):
        outcome = tenders_advance_deadlines()
        self.stdout.write(
            f"closed {outcome['closed']} tender(s), failed {outcome['failed']} for too few bids"
        )
