"""Writes about organisations: registration, profile changes, verification, membership."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.models import Organisation, OrganisationMembership
from marketplace.services.audit import audit_record
from marketplace.workflows import transition

# 民政部门登记的社会组织: authority "5", then 1 社会团体 / 2 社会服务机构 / 3 基金会.
CREDIT_CODE_PREFIX_BY_TYPE = {
    Organisation.Type.SOCIAL_GROUP: "51",
    Organisation.Type.SERVICE_INSTITUTION: "52",
    Organisation.Type.FOUNDATION: "53",
}

PROFILE_FIELDS = (
    "name",
    "type",
    "registration_authority",
    "registered_on",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "description",
    "logo",
)


def _check_code_matches_type(organisation):
    prefix = CREDIT_CODE_PREFIX_BY_TYPE[organisation.type]
    if not organisation.credit_code.startswith(prefix):
        raise ValidationError(
            {
                "credit_code": ValidationError(
                    _(
                        "%(type)s的统一社会信用代码应以“%(prefix)s”开头（民政部门登记），"
                        "请核对组织类型或代码。"
                    ),
                    code="credit_code_type_mismatch",
                    params={"type": organisation.get_type_display(), "prefix": prefix},
                )
            }
        )


def _validate(organisation):
    organisation.full_clean(exclude=["districts", "categories"])
    _check_code_matches_type(organisation)


@transaction.atomic
def organisation_register(*, by, credit_code, districts, categories, **profile) -> Organisation:
    """Register an organisation for staff review; the registrant becomes its admin.

    Rules: the credit code is valid (GB 32100-2015), unique, and matches the organisation
    type; at least one district and one category are given. It starts as 待审核.
    """
    if not (by and by.is_authenticated):
        raise PermissionDenied(_("请先登录。"))
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown organisation fields: {sorted(unknown)}")
    if not districts or not categories:
        raise ValidationError(_("请至少选择一个服务地区和一个服务领域。"), code="required")
    organisation = Organisation(credit_code=credit_code, **profile)
    _validate(organisation)
    organisation.save()
    organisation.districts.set(districts)
    organisation.categories.set(categories)
    OrganisationMembership.objects.create(
        organisation=organisation, user=by, role=OrganisationMembership.Role.ADMIN
    )
    audit_record(obj=organisation, by=by, action="register", to_status=organisation.status)
    return organisation


@transaction.atomic
def organisation_update(*, organisation, by, districts=None, categories=None, **changes):
    """Change an organisation's profile; only its admins or staff may, the credit code stays."""
    if not (permissions.is_organisation_admin(by, organisation) or permissions.is_staff(by)):
        raise PermissionDenied(_("只有本组织管理员可以修改组织资料。"))
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable here: {sorted(unknown)}")
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = sorted(
        name for name, value in changes.items() if getattr(organisation, name) != value
    )
    for name, value in changes.items():
        setattr(organisation, name, value)
    _validate(organisation)
    organisation.save()
    if districts is not None:
        organisation.districts.set(districts)
        changed.append("districts")
    if categories is not None:
        organisation.categories.set(categories)
        changed.append("categories")
    audit_record(obj=organisation, by=by, action="update", data={"fields": changed})
    return organisation


def organisation_verify(*, organisation, by):
    """Staff confirm the registration; the organisation becomes public and may bid."""
    return transition(
        organisation,
        Organisation.Status.VERIFIED,
        by=by,
        expected_from={Organisation.Status.PENDING},
    )


def organisation_reject(*, organisation, by, reason):
    """Staff turn a registration down; the reason is shown to the organisation."""
    return transition(organisation, Organisation.Status.REJECTED, by=by, reason=reason)


def organisation_resubmit(*, organisation, by):
    """An organisation admin sends a corrected, rejected registration back for review."""
    return transition(organisation, Organisation.Status.PENDING, by=by)


def organisation_suspend(*, organisation, by, reason):
    """Staff take a verified organisation off the market (e.g. deregistered)."""
    return transition(organisation, Organisation.Status.SUSPENDED, by=by, reason=reason)


def organisation_reinstate(*, organisation, by):
    """Staff lift a suspension."""
    return transition(
        organisation,
        Organisation.Status.VERIFIED,
        by=by,
        expected_from={Organisation.Status.SUSPENDED},
    )


@transaction.atomic
def organisation_member_remove(*, membership, by):
    """Remove a member. Admins may remove anyone, members themselves; the last admin stays."""
    organisation = membership.organisation
    if not (permissions.is_organisation_admin(by, organisation) or membership.user_id == by.pk):
        raise PermissionDenied(_("只有本组织管理员可以移除成员。"))
    admins = OrganisationMembership.objects.select_for_update().filter(
        organisation=organisation, role=OrganisationMembership.Role.ADMIN
    )
    if membership.role == OrganisationMembership.Role.ADMIN and admins.count() <= 1:
        raise ValidationError(_("不能移除唯一的管理员，请先指定另一位管理员。"), code="last_admin")
    audit_record(
        obj=organisation,
        by=by,
        action="member_remove",
        data={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


OFFICIAL_DATA_FIELDS = ("rating_level", "rating_evaluated_on", "credit_status")


def _official_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def organisation_record_official_data(
    *, organisation, by, rating_level, rating_evaluated_on, credit_status
) -> Organisation:
    """Staff record the official rating (评估等级) and credit status (信用状态).

    Rules: staff only; a rating level needs its evaluation date, and that date cannot be in
    the future; the audit entry keeps the old and new value of every changed field.
    """
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有平台工作人员可以维护评估等级和信用状态。"))
    if rating_level is not None and rating_evaluated_on is None:
        raise ValidationError(
            {
                "rating_evaluated_on": ValidationError(
                    _("填写评估等级时必须填写评估日期。"), code="rating_date_required"
                )
            }
        )
    if rating_evaluated_on is not None and rating_evaluated_on > timezone.localdate():
        raise ValidationError(
            {
                "rating_evaluated_on": ValidationError(
                    _("评估日期不能晚于今天。"), code="rating_date_in_future"
                )
            }
        )
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    new = {
        "rating_level": rating_level,
        "rating_evaluated_on": rating_evaluated_on,
        "credit_status": credit_status,
    }
    changes = {
        name: {"from": _official_value(getattr(organisation, name)), "to": _official_value(value)}
        for name, value in new.items()
        if getattr(organisation, name) != value
    }
    if not changes:
        return organisation
    for name, value in new.items():
        setattr(organisation, name, value)
    other_fields = [f.name for f in Organisation._meta.get_fields() if f.name not in new]
    organisation.full_clean(exclude=other_fields, validate_unique=False)
    organisation.save(update_fields=[*changes, "updated_at"])
    audit_record(obj=organisation, by=by, action="official_data", data=changes)
    return organisation
