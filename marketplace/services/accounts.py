"""Invitations: organisation admins invite members, staff invite buyer officers."""

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import permissions, tasks
from marketplace.models import BuyerMembership, Invitation, OrganisationMembership
from marketplace.services.audit import audit_record

INVITATION_VALID_FOR = datetime.timedelta(days=14)
ORGANISATION_ROLES = {
    Invitation.Role.ORGANISATION_ADMIN: OrganisationMembership.Role.ADMIN,
    Invitation.Role.ORGANISATION_MEMBER: OrganisationMembership.Role.MEMBER,
}


def _is_member(email, *, organisation, buyer):
    if organisation is not None:
        members = OrganisationMembership.objects.filter(organisation=organisation)
    else:
        members = BuyerMembership.objects.filter(buyer=buyer)
    return members.filter(user__email__iexact=email).exists()


@transaction.atomic
def invitation_create(*, by, email, role, organisation=None, buyer=None, accept_url_base=""):
    """Invite `email` into an organisation or a buyer and email the link after commit.

    Rules: organisation invitations come from that organisation's admins, buyer-officer
    invitations from staff; an existing member cannot be invited again; a newer invitation
    to the same place replaces an open one.
    """
    email = email.strip().lower()
    validate_email(email)
    if organisation is not None:
        if role not in ORGANISATION_ROLES:
            raise ValidationError(_("角色无效。"), code="invalid_role")
        if not permissions.is_organisation_admin(by, organisation):
            raise PermissionDenied(_("只有本组织管理员可以邀请成员。"))
    elif buyer is not None:
        if role != Invitation.Role.BUYER_OFFICER:
            raise ValidationError(_("角色无效。"), code="invalid_role")
        if not permissions.is_staff(by):
            raise PermissionDenied(_("购买主体经办人由平台工作人员邀请。"))
    else:
        raise TypeError("An invitation needs an organisation or a buyer.")
    if _is_member(email, organisation=organisation, buyer=buyer):
        raise ValidationError(_("%(email)s 已经是成员。") % {"email": email}, code="already_member")
    now = timezone.now()
    Invitation.objects.filter(
        email=email, organisation=organisation, buyer=buyer, accepted_at__isnull=True
    ).update(expires_at=now)
    invitation = Invitation.objects.create(
        email=email,
        organisation=organisation,
        buyer=buyer,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=by,
        expires_at=now + INVITATION_VALID_FOR,
    )
    audit_record(obj=invitation.target, by=by, action="invite", data={"email": email, "role": role})
    link = accept_url_base + reverse("invitation_accept", args=[invitation.token])
    subject = _("邀请您加入“%(target)s”") % {"target": invitation.target}
    body = _(
        "%(inviter)s 邀请您以“%(role)s”身份加入“%(target)s”。\n\n"
        "请在 %(days)d 天内打开以下链接接受邀请（需使用本邮箱注册或登录）：\n%(link)s\n"
    ) % {
        "inviter": by,
        "role": invitation.get_role_display(),
        "target": invitation.target,
        "days": INVITATION_VALID_FOR.days,
        "link": link,
    }
    transaction.on_commit(lambda: tasks.send_email.enqueue(subject=subject, body=body, to=[email]))
    return invitation


@transaction.atomic
def invitation_accept(*, token, user):
    """Join the organisation or buyer named by an open invitation addressed to `user`."""
    invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or not invitation.is_open:
        raise ValidationError(_("邀请链接无效或已过期，请联系邀请人重新发送。"), code="invalid")
    if invitation.email.lower() != (user.email or "").lower():
        raise PermissionDenied(
            _("此邀请发给 %(email)s，请使用该邮箱登录后再接受。") % {"email": invitation.email}
        )
    membership_join(
        user=user,
        role=invitation.role,
        organisation=invitation.organisation,
        buyer=invitation.buyer,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return invitation


@transaction.atomic
def membership_join(*, user, role, organisation=None, buyer=None):
    """Make `user` a member of an organisation or an officer of a buyer, audited as "join".

    Callers decide whether the person may join (an accepted invitation, the demo loader);
    an existing membership is kept as it is.
    """
    if organisation is not None:
        OrganisationMembership.objects.get_or_create(
            organisation=organisation, user=user, defaults={"role": ORGANISATION_ROLES[role]}
        )
    else:
        BuyerMembership.objects.get_or_create(buyer=buyer, user=user)
    audit_record(
        obj=organisation or buyer, by=user, action="join", data={"email": user.email, "role": role}
    )
