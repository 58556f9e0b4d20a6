"""People: the user account and invitations into an organisation or a buyer."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class User(AbstractUser):
    """A person. Roles come from memberships (organisation, buyer), an expert profile or staff."""

    name = models.CharField(_("姓名"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")

    def __str__(self):
        return self.name or self.email or self.username


class Invitation(models.Model):
    """An emailed invitation to join an organisation (by its admin) or a buyer (by staff)."""

    class Role(models.TextChoices):
        ORGANISATION_ADMIN = "org_admin", _("社会组织管理员")
        ORGANISATION_MEMBER = "org_member", _("社会组织成员")
        BUYER_OFFICER = "buyer_officer", _("购买主体经办人")

    email = models.EmailField(_("邮箱"))
    organisation = models.ForeignKey(
        "marketplace.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("社会组织"),
    )
    buyer = models.ForeignKey(
        "marketplace.Buyer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("购买主体"),
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("邀请人")
    )
    created_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("邀请")
        verbose_name_plural = pgettext_lazy("plural", "邀请")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_has_one_target",
                condition=(
                    Q(organisation__isnull=False, buyer__isnull=True)
                    | Q(organisation__isnull=True, buyer__isnull=False)
                ),
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.organisation or self.buyer}"

    @property
    def target(self):
        return self.organisation or self.buyer

    @property
    def is_open(self):
        return self.accepted_at is None and self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A token for an organisation's own system to call the JSON API as one of its members
    (submit bids and milestone reports through the same services as the web forms). Only
    the SHA-256 of the token is stored; the token itself is shown once, when it is made."""

    user = models.ForeignKey(
        "marketplace.User", on_delete=models.CASCADE, related_name="organisation_api_tokens"
    )
    organisation = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so a holder can tell tokens apart without the secret.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = pgettext_lazy("plural", "API 令牌")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
