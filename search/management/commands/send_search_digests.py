"""Send the daily digests of saved searches: one email per saved search listing its matched
tenders not yet sent (and still open for bids).

Run once a day from cron. Idempotent: matches are marked sent in the same transaction that
queues the email, so a second run (or two overlapping runs) sends nothing again.
"""

from django.core.management.base import BaseCommand

from search.alerts import saved_search_digest_ids, saved_search_digest_send


class Command(BaseCommand):
    help = "Email the daily digests of saved searches (idempotent)."

    def handle(self, *args, **options):
        ids = saved_search_digest_ids()
        emails = tenders = 0
        for position, saved_search_id in enumerate(ids, start=1):
            listed = saved_search_digest_send(saved_search_id=saved_search_id)
            if listed:
                emails += 1
                tenders += listed
            self.stdout.write(
                f"[{position}/{len(ids)}] saved search {saved_search_id}: {listed} tender(s)"
            )
        self.stdout.write(f"sent {emails} digest(s) listing {tenders} tender(s)")
