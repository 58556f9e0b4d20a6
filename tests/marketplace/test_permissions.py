"""Who may do what: the permission rules, and the views that enforce them per role."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from marketplace import permissions
from marketplace.models import AuditEntry, Delegation, Invitation, Organisation
from marketplace.models import OrganisationMembership as Membership
from tests import factories

pytestmark = pytest.mark.django_db


# --- the rules ---------------------------------------------------------------------------


def test_is_staff_needs_an_active_staff_account(staff):
    """Only active staff accounts count as staff; anonymous, ordinary and inactive ones do not."""
    assert permissions.is_staff(staff)
    assert not permissions.is_staff(AnonymousUser())
    assert not permissions.is_staff(factories.UserFactory())
    assert not permissions.is_staff(factories.StaffFactory(is_active=False))


def test_organisation_roles_are_per_organisation(organisation, org_admin):
    """Admin and member rights hold for the organisation they were given in, nowhere else."""
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Membership.Role.MEMBER
    ).user
    other = factories.OrganisationFactory()

    assert permissions.is_organisation_admin(org_admin, organisation)
    assert not permissions.is_organisation_admin(member, organisation)
    assert permissions.is_organisation_member(member, organisation)
    assert not permissions.is_organisation_admin(org_admin, other)
    assert not permissions.is_organisation_member(org_admin, other)
    assert not permissions.is_organisation_member(AnonymousUser(), organisation)


def test_buyer_rights_are_per_buyer(buyer, officer, staff):
    """An officer manages their own buyer only; staff manage every buyer."""
    other = factories.BuyerFactory()

    assert permissions.is_buyer_officer(officer)
    assert permissions.can_manage_buyer(officer, buyer)
    assert not permissions.can_manage_buyer(officer, other)
    assert permissions.can_manage_buyer(staff, other)
    assert not permissions.can_manage_buyer(AnonymousUser(), buyer)


def test_mfa_is_required_of_officers_and_staff_only(officer, staff, org_admin):
    """Buyer officers and staff must use a second factor; organisation admins need not."""
    assert permissions.requires_mfa(officer)
    assert permissions.requires_mfa(staff)
    assert not permissions.requires_mfa(org_admin)


# --- anonymous visitors ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dashboard/", "/organisations/register/", "/buyer/"])
def test_anonymous_is_sent_to_login(client, path):
    """Private pages redirect an anonymous visitor to the login page, remembering where to return."""
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"


def test_anonymous_cannot_post_to_private_actions(client, organisation):
    """Inviting and resubmitting redirect anonymous posts to login and change nothing."""
    before = (Invitation.objects.count(), AuditEntry.objects.count())
    for url in (
        reverse("organisation_members", args=[organisation.pk]),
        reverse("organisation_resubmit", args=[organisation.pk]),
    ):
        response = client.post(url, {"email": "x@example.cn", "role": "org_member"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert (Invitation.objects.count(), AuditEntry.objects.count()) == before


# --- organisation pages ------------------------------------------------------------------


def test_non_member_gets_404_for_members_page(client, organisation, org_admin):
    """The member list does not even admit the organisation exists to outsiders."""
    client.force_login(factories.UserFactory())
    response = client.get(reverse("organisation_members", args=[organisation.pk]))
    assert response.status_code == 404


def test_non_admin_gets_403_for_edit_page(client, organisation, org_admin):
    """Outsiders and plain members cannot open or post the edit form; the profile is unchanged."""
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Membership.Role.MEMBER
    ).user
    url = reverse("organisation_edit", args=[organisation.pk])
    for person in (factories.UserFactory(), member):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "改名"}).status_code == 403
    organisation.refresh_from_db()
    assert organisation.name != "改名"


def test_admin_can_open_the_edit_page(client, organisation, org_admin):
    """The organisation's admin gets the edit form."""
    client.force_login(org_admin)
    response = client.get(reverse("organisation_edit", args=[organisation.pk]))
    assert response.status_code == 200
    assert organisation.name in response.content.decode()


def test_member_sees_members_but_cannot_invite(client, organisation, org_admin):
    """A plain member can list the members but posting an invitation is 403 and stores nothing."""
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Membership.Role.MEMBER
    ).user
    client.force_login(member)
    url = reverse("organisation_members", args=[organisation.pk])

    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert org_admin.email in page
    assert "发送邀请" not in page

    response = client.post(url, {"email": "friend@example.cn", "role": "org_member"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_admin_invites_through_the_members_page(
    client, organisation, org_admin, mailoutbox, django_capture_on_commit_callbacks
):
    """The admin's invitation form stores the invitation, emails an absolute link and redirects."""
    client.force_login(org_admin)
    url = reverse("organisation_members", args=[organisation.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "friend@example.cn", "role": "org_member"})

    assert response.status_code == 302
    assert response["Location"] == url
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.email == "friend@example.cn"
    assert len(mailoutbox) == 1
    assert f"http://testserver/invitations/{invitation.token}/" in mailoutbox[0].body


def test_member_can_leave_through_the_members_page(client, organisation, org_admin):
    """A member's own 'leave' post removes their membership."""
    membership = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Membership.Role.MEMBER
    )
    client.force_login(membership.user)

    response = client.post(
        reverse("organisation_member_remove", args=[organisation.pk, membership.pk])
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_member_cannot_remove_someone_else_through_the_page(client, organisation, org_admin):
    """A member posting another member's removal gets 403 and the membership stays."""
    actor = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Membership.Role.MEMBER
    ).user
    target = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Membership.Role.MEMBER
    )
    client.force_login(actor)

    response = client.post(reverse("organisation_member_remove", args=[organisation.pk, target.pk]))

    assert response.status_code == 403
    assert Membership.objects.filter(pk=target.pk).exists()


def test_last_admin_leaving_shows_an_error(client, organisation, org_admin):
    """The last admin's 'leave' is refused with the service's message and the membership stays."""
    membership = Membership.objects.get(organisation=organisation, user=org_admin)
    client.force_login(org_admin)

    response = client.post(
        reverse("organisation_member_remove", args=[organisation.pk, membership.pk]), follow=True
    )

    assert "不能移除唯一的管理员" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize(
    "status",
    [Organisation.Status.PENDING, Organisation.Status.REJECTED, Organisation.Status.SUSPENDED],
)
def test_unverified_profile_is_hidden_from_the_public(client, status):
    """An organisation that is not verified is 404 to anonymous visitors and other users."""
    organisation = factories.OrganisationFactory(status=status)
    url = organisation.get_absolute_url()

    assert client.get(url).status_code == 404
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("viewer", ["admin", "member", "staff"])
def test_unverified_profile_is_visible_to_members_and_staff(client, viewer):
    """Members and staff see a pending organisation's profile with its 待审核 status."""
    organisation = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    person = {
        "admin": admin,
        "member": factories.OrganisationMembershipFactory(
            organisation=organisation, role=Membership.Role.MEMBER
        ).user,
        "staff": factories.StaffFactory(),
    }[viewer]
    client.force_login(person)

    response = client.get(organisation.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert organisation.name in page
    assert "待审核" in page


def test_rejected_organisation_admin_sees_the_reason_and_can_resubmit(client, staff):
    """The admin of a rejected organisation sees the rejection reason and may resubmit."""
    from marketplace.services.organisations import organisation_reject

    organisation = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    organisation_reject(organisation=organisation, by=staff, reason="登记证书扫描件模糊")
    client.force_login(admin)

    page = client.get(organisation.get_absolute_url()).content.decode()
    assert "登记证书扫描件模糊" in page
    response = client.post(reverse("organisation_resubmit", args=[organisation.pk]))

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING


def test_member_cannot_resubmit(client, staff):
    """A plain member's resubmission is refused (403) and the status stays 已驳回."""
    organisation = factories.OrganisationFactory(status=Organisation.Status.REJECTED)
    member = factories.OrganisationMembershipFactory(
        organisation=organisation, role=Membership.Role.MEMBER
    ).user
    client.force_login(member)

    response = client.post(reverse("organisation_resubmit", args=[organisation.pk]))

    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.REJECTED


# --- buyer pages ---------------------------------------------------------------------------


@pytest.fixture
def officer_a(mfa):
    """An officer of buyer A with a TOTP authenticator, so the MFA gate lets them through."""
    user = factories.BuyerMembershipFactory().user
    mfa(user)
    return user


def _delegation_payload(operator):
    today = timezone.localdate()
    return {
        "operator": operator.credit_code,
        "scope": Delegation.Scope.PROCUREMENT_AGENT,
        "starts_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=90)).isoformat(),
    }


def test_officer_cannot_create_delegations_for_another_buyer(client, officer_a, organisation):
    """An officer of buyer A gets 403 for buyer B's delegation form, and a post creates nothing."""
    buyer_b = factories.BuyerFactory()
    client.force_login(officer_a)
    url = reverse("delegation_create", args=[buyer_b.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, _delegation_payload(organisation)).status_code == 403
    assert not Delegation.objects.exists()


def test_officer_creates_a_delegation_for_their_buyer(client, officer_a, organisation):
    """The officer's own buyer accepts the delegation form and redirects to the workspace."""
    buyer_a = officer_a.buyer_memberships.get().buyer
    client.force_login(officer_a)

    response = client.post(
        reverse("delegation_create", args=[buyer_a.pk]), _delegation_payload(organisation)
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("buyer_workspace")
    delegation = Delegation.objects.get()
    assert (delegation.buyer, delegation.operator) == (buyer_a, organisation)


def test_delegation_form_shows_service_errors(client, officer_a, organisation):
    """A period ending before it starts re-renders the form with the service's message."""
    buyer_a = officer_a.buyer_memberships.get().buyer
    client.force_login(officer_a)
    payload = _delegation_payload(organisation)
    payload["starts_on"], payload["expires_on"] = payload["expires_on"], payload["starts_on"]

    response = client.post(reverse("delegation_create", args=[buyer_a.pk]), payload)

    assert response.status_code == 200
    assert "截止日期必须晚于生效日期" in response.content.decode()
    assert not Delegation.objects.exists()


def test_officer_cannot_revoke_another_buyers_delegation(client, officer_a):
    """An officer of buyer A posting a revocation of buyer B's delegation gets 403; it stays active."""
    delegation = factories.DelegationFactory()
    client.force_login(officer_a)
    before = AuditEntry.objects.count()

    response = client.post(reverse("delegation_revoke", args=[delegation.buyer_id, delegation.pk]))

    assert response.status_code == 403
    delegation.refresh_from_db()
    assert delegation.revoked_at is None
    assert AuditEntry.objects.count() == before


def test_revoke_url_must_match_the_delegations_buyer(client, officer_a):
    """Putting one's own buyer in the URL does not reach another buyer's delegation (404)."""
    buyer_a = officer_a.buyer_memberships.get().buyer
    delegation = factories.DelegationFactory()
    client.force_login(officer_a)

    response = client.post(reverse("delegation_revoke", args=[buyer_a.pk, delegation.pk]))

    assert response.status_code == 404
    delegation.refresh_from_db()
    assert delegation.revoked_at is None


def test_officer_revokes_own_delegation_and_a_second_revoke_shows_an_error(client, officer_a):
    """Revoking works once; the second post shows '该委托已撤销' and keeps the first time."""
    buyer_a = officer_a.buyer_memberships.get().buyer
    delegation = factories.DelegationFactory(buyer=buyer_a)
    client.force_login(officer_a)
    url = reverse("delegation_revoke", args=[buyer_a.pk, delegation.pk])

    assert client.post(url).status_code == 302
    delegation.refresh_from_db()
    revoked_at = delegation.revoked_at
    assert revoked_at is not None

    response = client.post(url, follow=True)
    assert "该委托已撤销" in response.content.decode()
    delegation.refresh_from_db()
    assert delegation.revoked_at == revoked_at


def test_buyer_workspace_is_for_officers_and_staff(client, mfa, org_admin):
    """A signed-in person who is neither officer nor staff gets 403 for the buyer workspace."""
    client.force_login(org_admin)
    assert client.get(reverse("buyer_workspace")).status_code == 403
