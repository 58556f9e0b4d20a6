"""Writes about buyers: staff maintain them; officers and staff delegate operators."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.models import Buyer, Delegation, Organisation
from marketplace.services.audit import audit_record

BUYER_FIELDS = (
    "name",
    "credit_code",
    "level",
    "region",
    "parent",
    "address",
    "contact_phone",
    "description",
)


def _validate(buyer):
    buyer.full_clean()
    if not buyer.credit_code.startswith("1"):
        raise ValidationError(
            {
                "credit_code": ValidationError(
                    _("政府机关和事业单位的统一社会信用代码以“1”开头（机构编制部门登记）。"),
                    code="credit_code_not_government",
                )
            }
        )
    ancestor = buyer.parent
    while ancestor is not None:
        if ancestor.pk == buyer.pk:
            raise ValidationError(
                {"parent": ValidationError(_("上级单位不能是本单位或其下级。"), code="cycle")}
            )
        ancestor = ancestor.parent


@transaction.atomic
def buyer_create(*, by, **fields) -> Buyer:
    """Staff add a government buyer. Rules: government credit code (starts with 1), unique."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有平台工作人员可以添加购买主体。"))
    buyer = Buyer(**{name: fields[name] for name in fields if name in BUYER_FIELDS})
    _validate(buyer)
    buyer.save()
    audit_record(obj=buyer, by=by, action="create")
    return buyer


@transaction.atomic
def buyer_update(*, buyer, by, **changes) -> Buyer:
    """Staff correct a buyer's record; the change is audited field by field."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有平台工作人员可以修改购买主体。"))
    unknown = set(changes) - set(BUYER_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    buyer = Buyer.objects.select_for_update().get(pk=buyer.pk)
    changed = sorted(name for name, value in changes.items() if getattr(buyer, name) != value)
    for name, value in changes.items():
        setattr(buyer, name, value)
    _validate(buyer)
    buyer.save()
    audit_record(obj=buyer, by=by, action="update", data={"fields": changed})
    return buyer


@transaction.atomic
def delegation_grant(*, by, buyer, operator, scope, starts_on, expires_on) -> Delegation:
    """Let a verified operator act for a buyer within a scope until expiry.

    Rules: granted by the buyer's officers or staff; the operator is verified; the period
    ends after it starts and has not already ended.
    """
    if not permissions.can_manage_buyer(by, buyer):
        raise PermissionDenied(_("只有本单位经办人或平台工作人员可以设置委托。"))
    if operator.status != Organisation.Status.VERIFIED:
        raise ValidationError(_("只能委托已认证的社会组织。"), code="operator_not_verified")
    if expires_on <= starts_on:
        raise ValidationError(_("截止日期必须晚于生效日期。"), code="bad_period")
    if expires_on < timezone.localdate():
        raise ValidationError(_("截止日期已过。"), code="expired")
    delegation = Delegation.objects.create(
        buyer=buyer,
        operator=operator,
        scope=scope,
        starts_on=starts_on,
        expires_on=expires_on,
        granted_by=by,
    )
    audit_record(
        obj=buyer,
        by=by,
        action="delegate",
        data={
            "operator": operator.credit_code,
            "scope": scope,
            "starts_on": starts_on.isoformat(),
            "expires_on": expires_on.isoformat(),
        },
    )
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation, by) -> Delegation:
    """End a delegation now; revoking twice is refused."""
    if not permissions.can_manage_buyer(by, delegation.buyer):
        raise PermissionDenied(_("只有本单位经办人或平台工作人员可以撤销委托。"))
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.revoked_at is not None:
        raise ValidationError(_("该委托已撤销。"), code="already_revoked")
    delegation.revoked_at = timezone.now()
    delegation.save(update_fields=["revoked_at"])
    audit_record(
        obj=delegation.buyer,
        by=by,
        action="revoke_delegation",
        data={"operator": delegation.operator.credit_code, "scope": delegation.scope},
    )
    return delegation
