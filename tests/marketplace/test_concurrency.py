"""Concurrent status changes on PostgreSQL: the row lock in transition() lets exactly one win."""

import threading

import pytest
from django.db import connection

from marketplace.models import AuditEntry, Organisation
from marketplace.services.organisations import organisation_reject, organisation_verify
from marketplace.workflows import TransitionNotAllowed
from tests import factories


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_verify_and_reject_leave_one_decision(postgres_only):
    """Two staff members act on the same pending registration at the same moment, each on
    their own connection: one decision is recorded, the other is refused, never both."""
    organisation = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    first, second = factories.StaffFactory(), factories.StaffFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def act(service, **kwargs):
        barrier.wait()
        try:
            service(organisation=Organisation.objects.get(pk=organisation.pk), **kwargs)
            outcomes.append("done")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(organisation_verify,), kwargs={"by": first}),
        threading.Thread(
            target=act, args=(organisation_reject,), kwargs={"by": second, "reason": "材料不全"}
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["done", "refused"]
    organisation.refresh_from_db()
    decisions = AuditEntry.objects.filter(object_id=str(organisation.pk), action="transition")
    assert decisions.count() == 1
    assert decisions.get().to_status == organisation.status
