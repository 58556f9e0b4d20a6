"""Reads about organisations, filtered by who is asking."""

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from marketplace import permissions
from marketplace.dates import add_years
from marketplace.models import Category, Organisation, OrganisationMembership, Region
from marketplace.models.organisations import RATING_VALIDITY_YEARS
from marketplace.selectors.catalogue import region_code_prefix


def _with_relations(queryset):
    return queryset.prefetch_related(
        Prefetch("districts", queryset=Region.objects.only("id", "code", "name")),
        Prefetch("categories", queryset=Category.objects.only("id", "code", "name")),
    )


def organisation_list_public(*, district=None, category=None, min_rating=None):
    """Verified organisations for the public directory.

    `district` matches organisations serving that region or any region inside it;
    `min_rating` counts only official ratings that have not expired.
    """
    organisations = Organisation.objects.filter(status=Organisation.Status.VERIFIED)
    if district is not None:
        # Region ids first, so the link table is probed by its region index, not joined.
        inside = Region.objects.filter(code__startswith=region_code_prefix(district))
        served = Organisation.districts.through.objects.filter(
            organisation_id=OuterRef("pk"), region_id__in=inside.values("pk")
        )
        organisations = organisations.filter(Exists(served))
    if category is not None:
        offered = Organisation.categories.through.objects.filter(
            organisation_id=OuterRef("pk"), category__code__startswith=category.code
        )
        organisations = organisations.filter(Exists(offered))
    if min_rating is not None:
        today = timezone.localdate()
        organisations = organisations.filter(
            rating_level__gte=min_rating,
            rating_evaluated_on__gt=add_years(today, -RATING_VALIDITY_YEARS),
        )
    return _with_relations(organisations.order_by("name", "pk"))


def organisation_get_for_user(*, pk, user) -> Organisation:
    """The public profile of a verified organisation; members and staff see it in any status."""
    organisation = get_object_or_404(_with_relations(Organisation.objects.all()), pk=pk)
    if organisation.status != Organisation.Status.VERIFIED and not (
        permissions.can_view_organisation_private(user, organisation)
    ):
        raise Http404
    return organisation


def organisation_memberships_for_user(user):
    """The organisations a person acts for, with their role."""
    return (
        OrganisationMembership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def organisation_members(organisation):
    return organisation.memberships.select_related("user").order_by("-role", "created_at")


def organisation_get_by_credit_code(code: str) -> Organisation | None:
    return Organisation.objects.filter(credit_code=code).first()
