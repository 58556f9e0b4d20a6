"""Allowed status changes, as data, and the one function that makes them.

`transition()` is the only code that assigns a `status`: it locks the row, checks the
table and the actor's permission, saves, writes an AuditEntry and sends
`events.status_changed` once the transaction commits.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import events, permissions
from marketplace.models import Organisation
from marketplace.services.audit import audit_record

OrgStatus = Organisation.Status

ORGANISATION_TRANSITIONS = {
    OrgStatus.PENDING: {OrgStatus.VERIFIED, OrgStatus.REJECTED},
    OrgStatus.REJECTED: {OrgStatus.PENDING},
    OrgStatus.VERIFIED: {OrgStatus.SUSPENDED},
    OrgStatus.SUSPENDED: {OrgStatus.VERIFIED},
}

# Who may move an object into a status: rule(user, obj) -> bool.
ORGANISATION_PERMISSIONS = {
    OrgStatus.VERIFIED: permissions.is_staff,
    OrgStatus.REJECTED: permissions.is_staff,
    OrgStatus.SUSPENDED: permissions.is_staff,
    OrgStatus.PENDING: permissions.is_organisation_admin,
}

ORGANISATION_REASON_REQUIRED = {OrgStatus.REJECTED, OrgStatus.SUSPENDED}

WORKFLOWS = {
    Organisation: (
        ORGANISATION_TRANSITIONS,
        ORGANISATION_PERMISSIONS,
        ORGANISATION_REASON_REQUIRED,
    ),
}


class TransitionNotAllowed(ValidationError):
    """The table has no move from the object's current status to the requested one."""


@transaction.atomic
def transition(obj, to, *, by, reason="", expected_from=None):
    """Move `obj` to status `to` on behalf of `by`, or raise and change nothing.

    `expected_from` lets a named service insist on where the move starts (verifying a
    pending registration is not the same act as lifting a suspension).
    """
    model = type(obj)
    table, rules, reason_required = WORKFLOWS[model]
    to = model.Status(to)  # an unknown status is a programming error: ValueError
    locked = model.objects.select_for_update().get(pk=obj.pk)
    current = locked.status
    if to not in table.get(current, set()) or (
        expected_from is not None and current not in expected_from
    ):
        raise TransitionNotAllowed(
            _("不能从“%(current)s”变更为“%(target)s”。"),
            code="transition_not_allowed",
            params={"current": model.Status(current).label, "target": model.Status(to).label},
        )
    if not rules[to](by, locked):
        raise PermissionDenied(_("您没有权限执行此操作。"))
    reason = reason.strip()
    if to in reason_required and not reason:
        raise ValidationError(_("请填写理由，理由将告知对方。"), code="reason_required")
    locked.status = to
    update_fields = ["status"]
    if hasattr(locked, "updated_at"):
        update_fields.append("updated_at")
    locked.save(update_fields=update_fields)
    audit_record(
        obj=locked, by=by, action="transition", from_status=current, to_status=to, reason=reason
    )
    obj.status = to
    transaction.on_commit(
        lambda: events.status_changed.send(
            sender=model, instance=locked, from_status=current, to_status=to, by=by, reason=reason
        )
    )
    return locked
