"""Writes about reference data: the two lists (两张清单) and the negative list.

These are reference data maintained by platform staff, not workflow objects: a save is a
plain save, but every create and edit is audited.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.models import CommunityListItem, ProhibitedItem, Region
from marketplace.services.audit import audit_record


def _changed_fields(obj) -> list[str]:
    stored = type(obj).objects.select_for_update().get(pk=obj.pk)
    return sorted(
        field.name
        for field in obj._meta.concrete_fields
        if getattr(stored, field.attname) != getattr(obj, field.attname)
    )


def _save_audited(obj, *, by):
    if obj._state.adding:
        obj.full_clean()
        obj.save()
        audit_record(obj=obj, by=by, action="create")
    else:
        changed = _changed_fields(obj)
        obj.full_clean()
        obj.save()
        audit_record(obj=obj, by=by, action="update", data={"fields": changed})
    return obj


@transaction.atomic
def community_list_item_save(*, item: CommunityListItem, by) -> CommunityListItem:
    """Staff add or correct an item of a region's two lists. Rules: staff only; the number is
    unique within the region's list; audited as "create" or "update" with the changed fields."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有平台工作人员可以维护两张清单。"))
    return _save_audited(item, by=by)


@transaction.atomic
def prohibited_item_save(*, item: ProhibitedItem, by) -> ProhibitedItem:
    """Staff add or correct an entry of the negative list. Rules: staff only; audited."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有平台工作人员可以维护负面清单。"))
    return _save_audited(item, by=by)


@transaction.atomic
def community_list_import(*, region: Region, items, by) -> int:
    """Add the items of a region's two lists that it lacks, through `community_list_item_save`.

    `items` are dicts of CommunityListItem fields (category as a Category or None). An item
    whose (kind, number) the region already has is left alone, so importing twice adds
    nothing. Returns how many were added.
    """
    existing = set(CommunityListItem.objects.filter(region=region).values_list("kind", "number"))
    created = 0
    for fields in items:
        if (fields["kind"], fields["number"]) in existing:
            continue
        community_list_item_save(item=CommunityListItem(region=region, **fields), by=by)
        created += 1
    return created
