from django.contrib.contenttypes.models import ContentType

from marketplace.models import AuditEntry


def audit_record(*, obj, by, action, from_status="", to_status="", reason="", data=None):
    """Append one entry to the audit log for `obj`; `by` may be None for the system itself."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
        actor=by if by is not None and by.is_authenticated else None,
    )
