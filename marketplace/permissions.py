"""Who may do what, per object. Every view and service asks here; templates never decide."""

from allauth.mfa.models import Authenticator
from django.utils import timezone

from marketplace.models import BuyerMembership, Delegation, OrganisationMembership, PanelMember


def is_staff(user, obj=None) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def is_organisation_admin(user, organisation) -> bool:
    return (
        bool(user and user.is_authenticated)
        and OrganisationMembership.objects.filter(
            user=user, organisation=organisation, role=OrganisationMembership.Role.ADMIN
        ).exists()
    )


def is_organisation_member(user, organisation) -> bool:
    return (
        bool(user and user.is_authenticated)
        and OrganisationMembership.objects.filter(user=user, organisation=organisation).exists()
    )


def is_buyer_officer(user, buyer=None) -> bool:
    if not (user and user.is_authenticated):
        return False
    memberships = BuyerMembership.objects.filter(user=user)
    if buyer is not None:
        memberships = memberships.filter(buyer=buyer)
    return memberships.exists()


def can_manage_buyer(user, buyer) -> bool:
    return is_staff(user) or is_buyer_officer(user, buyer)


def is_system(user, obj=None) -> bool:
    """The platform itself, acting on a clock (advance_deadlines): no user."""
    return user is None


def can_manage_tender(user, tender) -> bool:
    """The buyer's officers draft, publish, amend, answer, open and cancel its tenders."""
    return is_buyer_officer(user, tender.buyer_id)


def venture_round_delegations(user):
    """Delegations in force today that let `user`, as an admin of the operator, run the
    buyer's 公益创投 rounds (委托组织公益创投大赛)."""
    today = timezone.localdate()
    return Delegation.objects.filter(
        scope=Delegation.Scope.VENTURE_ROUND,
        revoked_at__isnull=True,
        starts_on__lte=today,
        expires_on__gte=today,
        operator__memberships__user=user,
        operator__memberships__role=OrganisationMembership.Role.ADMIN,
    )


def can_run_evaluation(user, tender) -> bool:
    """The buyer's officers run the evaluation and award; for a 公益创投 round, so may the
    admins of an operator the buyer delegated the round to, while the delegation is in force."""
    if can_manage_tender(user, tender):
        return True
    if tender.method != "venture" or not (user and user.is_authenticated):
        return False
    return venture_round_delegations(user).filter(buyer_id=tender.buyer_id).exists()


def is_panel_expert(user, tender) -> bool:
    """An expert with an active seat on the tender's panel (declared, no conflict)."""
    return (
        bool(user and user.is_authenticated)
        and PanelMember.objects.filter(
            tender=tender, expert__user=user, status=PanelMember.Status.ACTIVE
        ).exists()
    )


def is_contract_buyer(user, contract) -> bool:
    """The buyer's officers sign, vary, accept, pay and terminate its contracts."""
    return is_buyer_officer(user, contract.buyer_id)


def is_contract_organisation(user, contract) -> bool:
    """The organisation's admins sign its contracts and agree variations."""
    return is_organisation_admin(user, contract.organisation_id)


def can_report_on_contract(user, contract) -> bool:
    """Any member of the organisation may submit its milestone reports."""
    return is_organisation_member(user, contract.organisation_id)


def can_view_contract(user, contract) -> bool:
    """The contract's private parts (documents, reports, signatures): both parties."""
    return is_contract_buyer(user, contract) or can_report_on_contract(user, contract)


def can_act_for_bid(user, bid) -> bool:
    """Any admin or member of the bidding organisation may withdraw or replace its bid."""
    return is_organisation_member(user, bid.organisation_id)


def can_view_organisation_private(user, organisation) -> bool:
    """Members and staff see an unverified organisation and its verification feedback."""
    return is_staff(user) or is_organisation_member(user, organisation)


def requires_mfa(user) -> bool:
    """Buyer officers and platform staff must protect their accounts with a second factor."""
    return is_staff(user) or is_buyer_officer(user)


def has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
