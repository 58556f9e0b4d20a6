"""Invitations: who may invite whom, the email, and accepting."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.models import (
    AuditEntry,
    BuyerMembership,
    Invitation,
    OrganisationMembership,
)
from marketplace.services.accounts import INVITATION_VALID_FOR, invitation_accept, invitation_create
from tests import factories

pytestmark = pytest.mark.django_db

Role = Invitation.Role
BASE = "https://zhengshe.example"


def _counts():
    return (
        Invitation.objects.count(),
        OrganisationMembership.objects.count(),
        BuyerMembership.objects.count(),
        AuditEntry.objects.count(),
    )


def test_admin_invites_a_member_by_email(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    """An organisation admin's invitation is stored, audited, and emailed after commit with the
    acceptance link."""
    before = AuditEntry.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            by=org_admin,
            email="  New.Member@Example.cn ",
            role=Role.ORGANISATION_MEMBER,
            organisation=organisation,
            accept_url_base=BASE,
        )

    assert invitation.email == "new.member@example.cn"
    assert invitation.is_open
    assert invitation.invited_by == org_admin
    expected_expiry = timezone.now() + INVITATION_VALID_FOR
    assert abs(invitation.expires_at - expected_expiry) < datetime.timedelta(minutes=1)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.object_id) == (
        "invite",
        org_admin,
        str(organisation.pk),
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.member@example.cn"]
    assert organisation.name in message.subject
    assert f"{BASE}/invitations/{invitation.token}/" in message.body


def test_invitation_email_waits_for_commit(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    """No email leaves before the transaction commits (a rolled-back invitation sends nothing)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(
            by=org_admin,
            email="later@example.cn",
            role=Role.ORGANISATION_MEMBER,
            organisation=organisation,
        )
    assert mail.outbox == []
    assert len(callbacks) == 1


@pytest.mark.parametrize("actor_role", [OrganisationMembership.Role.MEMBER, None, "staff"])
def test_only_the_organisations_admin_may_invite(
    organisation, org_admin, actor_role, django_capture_on_commit_callbacks
):
    """A plain member, an outsider or staff cannot invite into an organisation: PermissionDenied,
    nothing stored, no email."""
    if actor_role == "staff":
        actor = factories.StaffFactory()
    else:
        actor = factories.UserFactory()
        if actor_role is not None:
            factories.OrganisationMembershipFactory(
                organisation=organisation, user=actor, role=actor_role
            )
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        invitation_create(
            by=actor,
            email="someone@example.cn",
            role=Role.ORGANISATION_MEMBER,
            organisation=organisation,
        )

    assert _counts() == before
    assert mail.outbox == []


def test_existing_member_cannot_be_invited_again(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    """Inviting the email of someone already in the organisation (any case) is refused."""
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=OrganisationMembership.Role.MEMBER
    ).user
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as raised:
        invitation_create(
            by=org_admin,
            email=member.email.upper(),
            role=Role.ORGANISATION_MEMBER,
            organisation=organisation,
        )

    assert raised.value.code == "already_member"
    assert _counts() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "role"),
    [("not an email", Role.ORGANISATION_MEMBER), ("ok@example.cn", Role.BUYER_OFFICER)],
    ids=["bad-email", "buyer-role-for-organisation"],
)
def test_invalid_invitation_is_refused(organisation, org_admin, email, role):
    """A malformed email or a role that does not belong to organisations is refused."""
    before = _counts()
    with pytest.raises(ValidationError):
        invitation_create(by=org_admin, email=email, role=role, organisation=organisation)
    assert _counts() == before


def test_new_invitation_replaces_an_open_one(organisation, org_admin):
    """Inviting the same email again closes the earlier open invitation."""
    first = invitation_create(
        by=org_admin,
        email="twice@example.cn",
        role=Role.ORGANISATION_MEMBER,
        organisation=organisation,
    )
    second = invitation_create(
        by=org_admin,
        email="twice@example.cn",
        role=Role.ORGANISATION_ADMIN,
        organisation=organisation,
    )
    first.refresh_from_db()
    assert not first.is_open
    assert second.is_open


@pytest.mark.parametrize(
    ("role", "membership_role"),
    [
        (Role.ORGANISATION_MEMBER, OrganisationMembership.Role.MEMBER),
        (Role.ORGANISATION_ADMIN, OrganisationMembership.Role.ADMIN),
    ],
)
def test_accepting_creates_the_membership_with_the_invited_role(
    organisation, role, membership_role
):
    """Accepting an open invitation addressed to the user's email makes them a member with the
    invited role, closes the invitation and audits the join."""
    user = factories.UserFactory(email="Invitee@Example.cn")
    invitation = factories.InvitationFactory(
        organisation=organisation, email="invitee@example.cn", role=role
    )
    before = AuditEntry.objects.count()

    invitation_accept(token=invitation.token, user=user)

    membership = OrganisationMembership.objects.get(organisation=organisation, user=user)
    assert membership.role == membership_role
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    assert not invitation.is_open
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("id").action == "join"


def test_accepting_with_a_different_email_is_refused(organisation):
    """Someone signed in with another email cannot use the link: PermissionDenied, nothing changed."""
    invitation = factories.InvitationFactory(organisation=organisation, email="right@example.cn")
    intruder = factories.UserFactory(email="wrong@example.cn")
    before = _counts()

    with pytest.raises(PermissionDenied):
        invitation_accept(token=invitation.token, user=intruder)

    assert _counts() == before
    invitation.refresh_from_db()
    assert invitation.is_open
    assert invitation.accepted_by is None


def test_accepting_an_expired_invitation_is_refused(organisation):
    """An expired invitation cannot be accepted: ValidationError, no membership."""
    user = factories.UserFactory(email="late@example.cn")
    invitation = factories.InvitationFactory(
        organisation=organisation,
        email="late@example.cn",
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        invitation_accept(token=invitation.token, user=user)

    assert raised.value.code == "invalid"
    assert _counts() == before
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_twice_or_an_unknown_token_is_refused(organisation):
    """A used invitation or a made-up token is refused and changes nothing."""
    user = factories.UserFactory(email="once@example.cn")
    invitation = factories.InvitationFactory(organisation=organisation, email="once@example.cn")
    invitation_accept(token=invitation.token, user=user)
    before = _counts()

    for token in (invitation.token, "no-such-token"):
        with pytest.raises(ValidationError):
            invitation_accept(token=token, user=user)

    assert _counts() == before


def test_staff_invite_buyer_officers_and_acceptance_makes_an_officer(
    buyer, staff, django_capture_on_commit_callbacks
):
    """Staff invite a buyer officer; the email carries the link; accepting creates the officer."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            by=staff,
            email="officer@example.cn",
            role=Role.BUYER_OFFICER,
            buyer=buyer,
            accept_url_base=BASE,
        )
    assert len(mail.outbox) == 1
    assert f"{BASE}/invitations/{invitation.token}/" in mail.outbox[0].body
    user = factories.UserFactory(email="officer@example.cn")

    invitation_accept(token=invitation.token, user=user)

    assert BuyerMembership.objects.filter(buyer=buyer, user=user).exists()


@pytest.mark.parametrize("actor_kind", ["officer", "org_admin", "user"])
def test_only_staff_may_invite_buyer_officers(
    buyer, actor_kind, django_capture_on_commit_callbacks
):
    """Even an officer of the same buyer cannot invite officers; nothing stored, no email."""
    if actor_kind == "officer":
        actor = factories.BuyerMembershipFactory(buyer=buyer).user
    elif actor_kind == "org_admin":
        actor = factories.OrganisationMembershipFactory().user
    else:
        actor = factories.UserFactory()
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        invitation_create(by=actor, email="x@example.cn", role=Role.BUYER_OFFICER, buyer=buyer)

    assert _counts() == before
    assert mail.outbox == []


def test_buyer_invitation_with_an_organisation_role_is_refused(buyer, staff):
    """A buyer invitation must be for the officer role."""
    before = _counts()
    with pytest.raises(ValidationError):
        invitation_create(by=staff, email="x@example.cn", role=Role.ORGANISATION_ADMIN, buyer=buyer)
    assert _counts() == before


def test_existing_officer_cannot_be_invited_again(buyer, officer, staff):
    """An officer already at the buyer cannot be invited again."""
    before = _counts()
    with pytest.raises(ValidationError) as raised:
        invitation_create(by=staff, email=officer.email, role=Role.BUYER_OFFICER, buyer=buyer)
    assert raised.value.code == "already_member"
    assert _counts() == before
