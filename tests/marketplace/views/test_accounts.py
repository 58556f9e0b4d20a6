"""The dashboard and the invitation acceptance page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import BuyerMembership, Invitation, OrganisationMembership
from tests import factories

pytestmark = pytest.mark.django_db


def test_dashboard_lists_the_users_organisations_and_buyers(client, organisation, org_admin):
    """The dashboard shows each organisation with role and status, and the buyers served."""
    pending = factories.OrganisationFactory(name="待审核的组织", status="pending")
    factories.OrganisationMembershipFactory(organisation=pending, user=org_admin, role="member")
    buyer = factories.BuyerMembershipFactory(user=org_admin).buyer
    client.force_login(org_admin)

    response = client.get(reverse("dashboard"))

    page = response.content.decode()
    assert response.status_code == 200
    assert organisation.name in page
    assert "待审核的组织" in page
    assert "管理员" in page
    assert "待审核" in page
    assert buyer.name in page


def test_dashboard_of_a_newcomer_offers_registration(client, user):
    """Someone with no memberships is invited to register an organisation."""
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "您尚未加入任何社会组织" in page
    assert reverse("organisation_register") in page


def _invitation(**kwargs):
    kwargs.setdefault("email", "invitee@example.cn")
    return factories.InvitationFactory(**kwargs)


def test_invitation_page_describes_the_invitation(client, organisation):
    """The invitee sees who invited them, to what, in which role, and an accept button."""
    invitation = _invitation(organisation=organisation)
    client.force_login(factories.UserFactory(email="invitee@example.cn"))

    page = client.get(reverse("invitation_accept", args=[invitation.token])).content.decode()

    assert organisation.name in page
    assert str(invitation.invited_by) in page
    assert "社会组织成员" in page


def test_accepting_through_the_page_joins_and_redirects(client, organisation):
    """Posting the form accepts the invitation, creates the membership and goes to the dashboard."""
    invitation = _invitation(organisation=organisation)
    user = factories.UserFactory(email="invitee@example.cn")
    client.force_login(user)

    response = client.post(reverse("invitation_accept", args=[invitation.token]))

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert OrganisationMembership.objects.filter(organisation=organisation, user=user).exists()


def test_accepting_a_buyer_invitation_through_the_page(client, buyer, staff):
    """A buyer-officer invitation accepted through the page makes the user an officer."""
    invitation = _invitation(organisation=None, buyer=buyer, role=Invitation.Role.BUYER_OFFICER)
    user = factories.UserFactory(email="invitee@example.cn")
    client.force_login(user)

    response = client.post(reverse("invitation_accept", args=[invitation.token]))

    assert response.status_code == 302
    assert BuyerMembership.objects.filter(buyer=buyer, user=user).exists()


def test_accepting_with_another_email_is_refused_with_the_address_to_use(client, organisation):
    """A user signed in with a different email is told which address the invitation is for,
    and does not join."""
    invitation = _invitation(organisation=organisation)
    intruder = factories.UserFactory(email="intruder@example.cn")
    client.force_login(intruder)

    response = client.post(reverse("invitation_accept", args=[invitation.token]), follow=True)

    assert response.status_code == 200
    assert f"此邀请发给 {invitation.email}" in response.content.decode()
    assert not OrganisationMembership.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_expired_invitation_shows_an_error_and_joins_nothing(client, organisation):
    """An expired link says it is invalid or expired; posting it creates no membership."""
    invitation = _invitation(
        organisation=organisation, expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    user = factories.UserFactory(email="invitee@example.cn")
    client.force_login(user)
    url = reverse("invitation_accept", args=[invitation.token])

    assert "邀请链接无效或已过期" in client.get(url).content.decode()
    response = client.post(url)

    assert response.status_code == 200
    assert "邀请链接无效或已过期" in response.content.decode()
    assert not OrganisationMembership.objects.filter(user=user).exists()


def test_unknown_invitation_token_shows_an_error(client, user):
    """A made-up token renders the invalid-link message, not a server error."""
    client.force_login(user)
    response = client.get(reverse("invitation_accept", args=["no-such-token"]))
    assert response.status_code == 200
    assert "邀请链接无效或已过期" in response.content.decode()


def test_invitation_page_needs_login(client, organisation):
    """Anonymous visitors are sent to log in first, and come back to the invitation."""
    invitation = _invitation(organisation=organisation)
    url = reverse("invitation_accept", args=[invitation.token])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"
