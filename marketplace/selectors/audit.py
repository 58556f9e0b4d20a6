from django.contrib.contenttypes.models import ContentType

from marketplace.models import AuditEntry


def audit_list_for(obj):
    """The audit trail of one object, oldest first, with the actors loaded."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


def audit_latest_reason(obj, *, to_status) -> str:
    """The reason given for the latest move of `obj` into `to_status` (e.g. a rejection)."""
    entry = audit_list_for(obj).filter(to_status=to_status).order_by("-created_at", "-id").first()
    return entry.reason if entry else ""
