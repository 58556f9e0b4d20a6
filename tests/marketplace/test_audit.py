"""The audit log is append-only: the ORM refuses changes, and PostgreSQL refuses raw SQL too."""

import pytest
from django.db import DatabaseError, connection, transaction

from marketplace.models import AuditEntry
from marketplace.selectors.audit import audit_latest_reason, audit_list_for
from marketplace.services.audit import audit_record
from tests import factories


@pytest.fixture
def entry(organisation, staff):
    return audit_record(obj=organisation, by=staff, action="note", reason="原始理由")


def _unchanged(entry):
    stored = AuditEntry.objects.get(pk=entry.pk)
    return stored.reason == "原始理由" and stored.action == "note"


@pytest.mark.django_db
def test_audit_record_stores_who_what_and_why(organisation, staff):
    """audit_record writes one entry naming the object, the actor, the action and the reason."""
    entry = audit_record(
        obj=organisation,
        by=staff,
        action="transition",
        from_status="pending",
        to_status="verified",
        reason="核验通过",
        data={"k": "v"},
    )

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.object_id == str(organisation.pk)
    assert stored.object_repr == organisation.name
    assert stored.content_type.model_class() is type(organisation)
    assert stored.actor == staff
    assert (stored.from_status, stored.to_status, stored.reason) == (
        "pending",
        "verified",
        "核验通过",
    )
    assert stored.data == {"k": "v"}


@pytest.mark.django_db
def test_audit_record_without_an_actor_is_the_system(organisation):
    """An entry written by the system itself (by=None) has no actor."""
    entry = audit_record(obj=organisation, by=None, action="expire")
    assert AuditEntry.objects.get(pk=entry.pk).actor is None


@pytest.mark.django_db
def test_saving_an_existing_entry_raises(entry):
    """instance.save() on a stored entry raises and the row keeps its values."""
    entry.reason = "篡改"
    with pytest.raises(TypeError):
        entry.save()
    assert _unchanged(entry)


@pytest.mark.django_db
def test_deleting_an_entry_raises(entry):
    """instance.delete() raises and the row stays."""
    with pytest.raises(TypeError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_queryset_update_raises(entry):
    """AuditEntry.objects.filter(...).update(...) raises and changes no row."""
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="篡改")
    assert _unchanged(entry)


@pytest.mark.django_db
def test_queryset_delete_raises(entry):
    """AuditEntry.objects.all().delete() raises and deletes nothing."""
    count = AuditEntry.objects.count()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == count


@pytest.mark.django_db
def test_raw_sql_update_is_refused_by_the_trigger(postgres_only, entry):
    """On PostgreSQL a raw UPDATE of an audit entry is refused by the database trigger."""
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE marketplace_auditentry SET reason = %s WHERE id = %s", ["篡改", entry.pk]
        )
    assert _unchanged(entry)


@pytest.mark.django_db
def test_raw_sql_delete_is_refused_by_the_trigger(postgres_only, entry):
    """On PostgreSQL a raw DELETE of an audit entry is refused by the database trigger."""
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM marketplace_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_audit_list_for_returns_only_that_objects_entries_oldest_first(staff):
    """audit_list_for(obj) lists that object's entries in order and no one else's."""
    first, second = factories.OrganisationFactory(), factories.OrganisationFactory()
    a = audit_record(obj=first, by=staff, action="one")
    audit_record(obj=second, by=staff, action="other")
    b = audit_record(obj=first, by=staff, action="two")

    assert list(audit_list_for(first)) == [a, b]


@pytest.mark.django_db
def test_audit_latest_reason_is_the_most_recent_for_that_status(organisation, staff):
    """audit_latest_reason gives the reason of the latest move into the status asked for."""
    audit_record(obj=organisation, by=staff, action="transition", to_status="rejected", reason="旧")
    audit_record(obj=organisation, by=staff, action="transition", to_status="rejected", reason="新")
    audit_record(obj=organisation, by=staff, action="transition", to_status="pending", reason="")

    assert audit_latest_reason(organisation, to_status="rejected") == "新"
    assert audit_latest_reason(organisation, to_status="suspended") == ""
