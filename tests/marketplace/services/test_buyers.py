"""Buyer services: staff maintain buyers; officers and staff delegate verified operators."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.models import AuditEntry, Buyer, Delegation, Organisation
from marketplace.services.buyers import (
    buyer_create,
    buyer_update,
    delegation_grant,
    delegation_revoke,
)
from marketplace.validators import credit_code_make
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _counts():
    return Buyer.objects.count(), Delegation.objects.count(), AuditEntry.objects.count()


def _buyer_fields(**overrides):
    fields = {
        "name": "苏州市吴中区民政局",
        "credit_code": credit_code_make("11", "320506", 80_000_001),
        "level": Buyer.Level.COUNTY,
        "region": factories.county("320506"),
        "address": "苏州市吴中区东吴北路1号",
    }
    fields.update(overrides)
    return fields


def test_staff_create_a_buyer(staff):
    """Staff add a government buyer; it is stored and the creation is audited."""
    before = _counts()

    buyer = buyer_create(by=staff, **_buyer_fields())

    assert _counts() == (before[0] + 1, before[1], before[2] + 1)
    buyer.refresh_from_db()
    assert buyer.name == "苏州市吴中区民政局"
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.object_id) == ("create", staff, str(buyer.pk))


@pytest.mark.parametrize("actor_kind", ["user", "officer", "org_admin"])
def test_only_staff_create_buyers(buyer, actor_kind):
    """Nobody but staff — not even an officer of another buyer — may add a buyer; nothing created."""
    actor = {
        "user": factories.UserFactory,
        "officer": lambda: factories.BuyerMembershipFactory(buyer=buyer).user,
        "org_admin": lambda: factories.OrganisationMembershipFactory().user,
    }[actor_kind]()
    before = _counts()

    with pytest.raises(PermissionDenied):
        buyer_create(by=actor, **_buyer_fields())

    assert _counts() == before


@pytest.mark.parametrize(
    "credit_code",
    [
        credit_code_make("52", "320506", 80_000_002),  # a social organisation
        credit_code_make("91", "320506", 80_000_003),  # a company
    ],
    ids=["organisation-code", "company-code"],
)
def test_non_government_credit_code_is_refused(staff, credit_code):
    """A buyer's credit code must be a government one (starting with 1); otherwise nothing is created."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        buyer_create(by=staff, **_buyer_fields(credit_code=credit_code))

    assert "以“1”开头" in raised.value.message_dict["credit_code"][0]
    assert _counts() == before


def test_invalid_or_duplicate_buyer_is_refused(staff, buyer):
    """A bad check character or a name already used is refused and nothing is created."""
    before = _counts()
    bad_code = credit_code_make("11", "320506", 80_000_004)[:-1] + "0"
    if bad_code == credit_code_make("11", "320506", 80_000_004):
        bad_code = bad_code[:-1] + "1"

    with pytest.raises(ValidationError) as raised:
        buyer_create(by=staff, **_buyer_fields(credit_code=bad_code))
    assert "credit_code" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        buyer_create(by=staff, **_buyer_fields(name=buyer.name))
    assert "name" in raised.value.message_dict

    assert _counts() == before


def test_staff_update_a_buyer_and_the_changed_fields_are_audited(staff, buyer):
    """An update saves the new values and audits the names of the fields that changed."""
    before = AuditEntry.objects.count()

    buyer_update(buyer=buyer, by=staff, name=buyer.name, contact_phone="0512-1234", address="新址")

    buyer.refresh_from_db()
    assert (buyer.contact_phone, buyer.address) == ("0512-1234", "新址")
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "update"
    assert entry.data == {"fields": ["address", "contact_phone"]}


@pytest.mark.parametrize("actor_kind", ["officer", "user"])
def test_only_staff_update_buyers(buyer, actor_kind):
    """A buyer's own officer cannot edit its record; nothing changes."""
    actor = (
        factories.BuyerMembershipFactory(buyer=buyer).user
        if actor_kind == "officer"
        else factories.UserFactory()
    )
    before = _counts()

    with pytest.raises(PermissionDenied):
        buyer_update(buyer=buyer, by=actor, address="改过的地址")

    buyer.refresh_from_db()
    assert buyer.address == ""
    assert _counts() == before


def test_buyer_cannot_be_its_own_parent(staff, buyer):
    """Making a buyer its own parent is refused and nothing changes."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        buyer_update(buyer=buyer, by=staff, parent=buyer)

    assert "parent" in raised.value.message_dict
    buyer.refresh_from_db()
    assert buyer.parent is None
    assert _counts() == before


def test_parent_cycle_is_refused(staff):
    """A bureau cannot become the child of its own grandchild; nothing changes."""
    city = factories.BuyerFactory(level=Buyer.Level.CITY)
    county = factories.BuyerFactory(level=Buyer.Level.COUNTY, parent=city)
    street = factories.BuyerFactory(level=Buyer.Level.STREET, parent=county)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        buyer_update(buyer=city, by=staff, parent=street)

    assert "上级单位不能是本单位或其下级" in raised.value.message_dict["parent"][0]
    city.refresh_from_db()
    assert city.parent is None
    assert _counts() == before


def test_update_with_non_government_code_changes_nothing(staff, buyer):
    """Changing the code to a non-government one is refused and the old code stays."""
    old = buyer.credit_code
    with pytest.raises(ValidationError):
        buyer_update(
            buyer=buyer, by=staff, credit_code=credit_code_make("52", "320508", 80_000_005)
        )
    buyer.refresh_from_db()
    assert buyer.credit_code == old


def _grant(by, buyer, operator, **overrides):
    kwargs = {
        "scope": Delegation.Scope.VENTURE_ROUND,
        "starts_on": TODAY(),
        "expires_on": TODAY() + datetime.timedelta(days=180),
    }
    kwargs.update(overrides)
    return delegation_grant(by=by, buyer=buyer, operator=operator, **kwargs)


@pytest.mark.parametrize("actor_kind", ["officer", "staff"])
def test_officer_or_staff_grant_a_delegation(buyer, organisation, actor_kind):
    """The buyer's officer or staff may delegate a verified operator; the grant is audited."""
    actor = (
        factories.BuyerMembershipFactory(buyer=buyer).user
        if actor_kind == "officer"
        else factories.StaffFactory()
    )
    before = _counts()

    delegation = _grant(actor, buyer, organisation)

    assert _counts() == (before[0], before[1] + 1, before[2] + 1)
    delegation.refresh_from_db()
    assert (delegation.buyer, delegation.operator, delegation.granted_by) == (
        buyer,
        organisation,
        actor,
    )
    assert delegation.is_active_on(TODAY())
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id) == ("delegate", str(buyer.pk))
    assert entry.data["operator"] == organisation.credit_code


@pytest.mark.parametrize("actor_kind", ["other_officer", "operator_admin", "user"])
def test_others_cannot_grant_delegations(buyer, organisation, actor_kind):
    """An officer of another buyer, the operator's own admin or a stranger is refused."""
    actor = {
        "other_officer": lambda: factories.BuyerMembershipFactory().user,
        "operator_admin": lambda: (
            factories.OrganisationMembershipFactory(organisation=organisation).user
        ),
        "user": factories.UserFactory,
    }[actor_kind]()
    before = _counts()

    with pytest.raises(PermissionDenied):
        _grant(actor, buyer, organisation)

    assert _counts() == before


@pytest.mark.parametrize(
    "status",
    [Organisation.Status.PENDING, Organisation.Status.REJECTED, Organisation.Status.SUSPENDED],
)
def test_operator_must_be_verified(buyer, officer, status):
    """Only a verified organisation can be delegated; nothing is created otherwise."""
    operator = factories.OrganisationFactory(status=status)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _grant(officer, buyer, operator)

    assert raised.value.code == "operator_not_verified"
    assert _counts() == before


@pytest.mark.parametrize(
    ("starts", "expires", "code"),
    [
        (0, 0, "bad_period"),
        (10, 5, "bad_period"),
        (-30, -1, "expired"),
    ],
    ids=["same-day", "ends-before-start", "already-over"],
)
def test_bad_period_is_refused(buyer, officer, organisation, starts, expires, code):
    """A period that ends on or before its start, or has already ended, is refused."""
    before = _counts()
    today = TODAY()

    with pytest.raises(ValidationError) as raised:
        _grant(
            officer,
            buyer,
            organisation,
            starts_on=today + datetime.timedelta(days=starts),
            expires_on=today + datetime.timedelta(days=expires),
        )

    assert raised.value.code == code
    assert _counts() == before


def test_officer_revokes_a_delegation(buyer, officer):
    """Revoking ends the delegation now and audits it."""
    delegation = factories.DelegationFactory(buyer=buyer)
    before = AuditEntry.objects.count()

    delegation_revoke(delegation=delegation, by=officer)

    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert delegation.revoked_at <= timezone.now()
    assert not delegation.is_active_on(TODAY())
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("id").action == "revoke_delegation"


def test_revoking_twice_is_refused(buyer, officer):
    """A second revocation is refused and keeps the first revocation time."""
    delegation = factories.DelegationFactory(buyer=buyer)
    delegation_revoke(delegation=delegation, by=officer)
    delegation.refresh_from_db()
    first_revoked_at = delegation.revoked_at
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        delegation_revoke(delegation=delegation, by=officer)

    assert raised.value.code == "already_revoked"
    delegation.refresh_from_db()
    assert delegation.revoked_at == first_revoked_at
    assert _counts() == before


def test_officer_of_another_buyer_cannot_revoke(buyer):
    """An officer of buyer B cannot revoke buyer A's delegation; it stays in force."""
    delegation = factories.DelegationFactory(buyer=buyer)
    other_officer = factories.BuyerMembershipFactory().user
    before = _counts()

    with pytest.raises(PermissionDenied):
        delegation_revoke(delegation=delegation, by=other_officer)

    delegation.refresh_from_db()
    assert delegation.revoked_at is None
    assert _counts() == before
