"""Writes about API tokens: an organisation's admin makes a token for one of its members'
systems (shown once, only its SHA-256 kept) and revokes it; calls mark it used."""

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.models import ApiToken
from marketplace.selectors.api_tokens import api_token_hash
from marketplace.services.audit import audit_record

TOKEN_PREFIX = "zs_"  # noqa: S105 - a public marker that tells tokens apart, not a secret
NAME_MAX = 60
# Marking a token used is one write per minute at most, not one per call.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, organisation, user, name, by) -> tuple[ApiToken, str]:
    """Make a token with which a system acts as `user` for `organisation`.

    Rules: `by` is an admin of the organisation; `user` is one of its members; the name is
    given (at most 60 characters). Returns the token and its secret, which is not stored
    and cannot be shown again."""
    if not permissions.is_organisation_admin(by, organisation):
        raise PermissionDenied(_("只有本组织管理员可以创建 API 令牌。"))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("请填写令牌名称。"), code="required")})
    if len(name) > NAME_MAX:
        raise ValidationError(
            {
                "name": ValidationError(
                    _("令牌名称不能超过%(max)d字。") % {"max": NAME_MAX}, code="too_long"
                )
            }
        )
    if not permissions.is_organisation_member(user, organisation):
        raise ValidationError(
            {"user": ValidationError(_("令牌只能代表本组织的成员。"), code="not_member")}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation=organisation,
        user=user,
        name=name,
        key_hash=api_token_hash(raw),
        prefix=raw[:8],
    )
    audit_record(obj=token, by=by, action="create", data={"user": user.pk, "prefix": token.prefix})
    return token, raw


@transaction.atomic
def api_token_revoke(*, token, by) -> ApiToken:
    """Revoke a token at once: an admin of its organisation, or the member it acts as."""
    if not (
        permissions.is_organisation_admin(by, token.organisation_id)
        or (by is not None and by.pk == token.user_id)
    ):
        raise PermissionDenied(_("只有本组织管理员可以吊销 API 令牌。"))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError(_("该令牌已被吊销。"), code="already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(obj=token, by=by, action="revoke", data={"prefix": token.prefix})
    return token


def api_token_touch(*, token, now=None) -> None:
    """Record that the token was used (at most once a minute, one UPDATE, no audit entry)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
