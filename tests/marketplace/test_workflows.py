"""The organisation verification workflow: every (from, to) pair, actors, reasons, events."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from marketplace import events
from marketplace.models import AuditEntry, Organisation, OrganisationMembership
from marketplace.workflows import ORGANISATION_TRANSITIONS, TransitionNotAllowed, transition
from tests import factories

Status = Organisation.Status
ALL_PAIRS = list(itertools.product(Status.values, repeat=2))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in ORGANISATION_TRANSITIONS.get(a, set())]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if (a, b) not in ALLOWED]


def _pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def _permitted_actor(organisation, to):
    """Staff verify, reject, suspend and reinstate; the organisation's admin resubmits."""
    if to == Status.PENDING:
        return factories.OrganisationMembershipFactory(
            organisation=organisation, role=OrganisationMembership.Role.ADMIN
        ).user
    return factories.StaffFactory()


def _audit_count(organisation):
    return AuditEntry.objects.filter(object_id=str(organisation.pk)).count()


@pytest.fixture
def status_events():
    """Every status_changed signal received during the test, as a list of kwargs dicts."""
    received = []

    def receiver(sender, **kwargs):
        received.append({"sender": sender, **kwargs})

    events.status_changed.connect(receiver, weak=False)
    yield received
    events.status_changed.disconnect(receiver)


def test_table_covers_every_status():
    """Every organisation status has an entry in the transition table (none is a dead end by omission)."""
    assert set(ORGANISATION_TRANSITIONS) == set(Status.values)
    assert ALLOWED, "the table allows at least one move"
    assert len(ALLOWED) + len(FORBIDDEN) == len(Status.values) ** 2


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_succeeds_and_writes_one_audit_entry(from_status, to_status):
    """An allowed move by a permitted actor changes the status and writes exactly one AuditEntry
    recording the actor, the from and to statuses and the reason."""
    organisation = factories.OrganisationFactory(status=from_status)
    actor = _permitted_actor(organisation, to_status)
    before = AuditEntry.objects.count()

    result = transition(organisation, to_status, by=actor, reason="  材料齐全  ")

    organisation.refresh_from_db()
    assert organisation.status == to_status
    assert result.status == to_status
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.object_id == str(organisation.pk)
    assert entry.action == "transition"
    assert entry.actor == actor
    assert entry.from_status == from_status
    assert entry.to_status == to_status
    assert entry.reason == "材料齐全"


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=map(_pair_id, FORBIDDEN))
def test_forbidden_transition_raises_and_changes_nothing(from_status, to_status):
    """A move the table does not list raises TransitionNotAllowed, even for a permitted actor,
    and leaves the status and the audit log untouched."""
    organisation = factories.OrganisationFactory(status=from_status)
    actor = _permitted_actor(organisation, to_status)
    before = AuditEntry.objects.count()

    with pytest.raises(TransitionNotAllowed) as raised:
        transition(organisation, to_status, by=actor, reason="理由")

    assert raised.value.code == "transition_not_allowed"
    assert organisation.status == from_status
    organisation.refresh_from_db()
    assert organisation.status == from_status
    assert AuditEntry.objects.count() == before


def _unpermitted_actors(organisation, to):
    """People who may not make the move into `to`."""
    outsider = factories.UserFactory()
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=OrganisationMembership.Role.MEMBER
    ).user
    if to == Status.PENDING:
        # Staff do not resubmit on an organisation's behalf; neither do plain members.
        return [factories.StaffFactory(), member, outsider]
    admin = factories.OrganisationMembershipFactory(
        organisation=organisation, role=OrganisationMembership.Role.ADMIN
    ).user
    inactive_staff = factories.StaffFactory(is_active=False)
    return [admin, member, outsider, inactive_staff]


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_by_unpermitted_actor_raises_and_changes_nothing(from_status, to_status):
    """A move the table allows, asked for by someone without the right, raises PermissionDenied
    and changes neither the status nor the audit log."""
    organisation = factories.OrganisationFactory(status=from_status)
    for actor in _unpermitted_actors(organisation, to_status):
        before = AuditEntry.objects.count()
        with pytest.raises(PermissionDenied):
            transition(organisation, to_status, by=actor, reason="理由")
        organisation.refresh_from_db()
        assert organisation.status == from_status, actor
        assert AuditEntry.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(Status.PENDING, Status.REJECTED), (Status.VERIFIED, Status.SUSPENDED)],
    ids=_pair_id,
)
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_reject_and_suspend_require_a_reason(staff, from_status, to_status, reason):
    """Rejecting or suspending without a (non-blank) reason raises ValidationError and changes nothing."""
    organisation = factories.OrganisationFactory(status=from_status)
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as raised:
        transition(organisation, to_status, by=staff, reason=reason)

    assert raised.value.code == "reason_required"
    assert not isinstance(raised.value, TransitionNotAllowed)
    organisation.refresh_from_db()
    assert organisation.status == from_status
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_transition_uses_the_stored_status_not_the_stale_instance(staff):
    """The table is checked against the row in the database: a stale in-memory status does not
    let a forbidden move through."""
    organisation = factories.OrganisationFactory(status=Status.PENDING)
    stale = Organisation.objects.get(pk=organisation.pk)
    transition(organisation, Status.REJECTED, by=staff, reason="材料不全")

    with pytest.raises(TransitionNotAllowed):
        transition(stale, Status.VERIFIED, by=staff)

    organisation.refresh_from_db()
    assert organisation.status == Status.REJECTED


@pytest.mark.django_db
def test_status_changed_is_sent_only_after_commit(
    staff, status_events, django_capture_on_commit_callbacks
):
    """events.status_changed is not sent inside the transaction; once it commits it is sent once,
    with the model as sender and instance, from_status, to_status, by and reason."""
    organisation = factories.OrganisationFactory(status=Status.VERIFIED)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transition(organisation, Status.SUSPENDED, by=staff, reason="已注销登记")
    assert status_events == []
    # Other subscribers (the search index) may queue their own after-commit work too.
    for callback in callbacks:
        callback()

    assert len(status_events) == 1
    sent = status_events[0]
    assert sent["sender"] is Organisation
    assert sent["instance"].pk == organisation.pk
    assert sent["instance"].status == Status.SUSPENDED
    assert sent["from_status"] == Status.VERIFIED
    assert sent["to_status"] == Status.SUSPENDED
    assert sent["by"] == staff
    assert sent["reason"] == "已注销登记"


@pytest.mark.django_db
def test_status_changed_is_not_sent_when_the_transaction_rolls_back(
    staff, status_events, django_capture_on_commit_callbacks
):
    """A transition inside a transaction that rolls back sends no event and leaves no trace."""
    organisation = factories.OrganisationFactory(status=Status.PENDING)
    before = AuditEntry.objects.count()

    class Abort(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        transition(organisation, Status.VERIFIED, by=staff)
        raise Abort

    assert callbacks == []
    assert status_events == []
    organisation.refresh_from_db()
    assert organisation.status == Status.PENDING
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_refused_transition_sends_no_event(
    staff, status_events, django_capture_on_commit_callbacks
):
    """A refused move registers no on-commit callback, so nothing is announced."""
    organisation = factories.OrganisationFactory(status=Status.PENDING)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TransitionNotAllowed),
    ):
        transition(organisation, Status.SUSPENDED, by=staff, reason="理由")

    assert callbacks == []
    assert status_events == []
