"""Background tasks (django-tasks): immediate in dev and tests, the database queue in production."""

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text email; enqueued after the transaction that caused it commits."""
    return send_mail(subject, body, None, to)
