"""Background tasks (django-tasks): immediate in dev and tests, the database queue in production."""

from django.core.mail import EmailMessage
from django_tasks import task

# A module import: services.ratings imports this module to enqueue, so names are looked up
# when the task runs, not at import time.
from marketplace.services import ratings as rating_services


@task()
def send_email(
    *, subject: str, body: str, to: list[str], headers: dict[str, str] | None = None
) -> int:
    """Send one plain-text email (with extra headers such as List-Unsubscribe); enqueued
    after the transaction that caused it commits."""
    return EmailMessage(subject, body, None, to, headers=headers).send()


@task()
def recompute_rating_summaries(*, organisation_ids: list[int], buyer_ids: list[int]) -> None:
    """Recompute the rating summaries after a reveal or an appeal decision (H1)."""
    rating_services.rating_summaries_recompute(
        organisation_ids=organisation_ids, buyer_ids=buyer_ids
    )
