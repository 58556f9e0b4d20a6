"""Reads for open data (OCDS): a contracting process with everything its releases map, the
stored releases, and the figures the endpoints' conditional GETs rest on."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from marketplace.models import (
    Award,
    Bid,
    Contract,
    ContractVersion,
    Milestone,
    OcdsRelease,
    Payment,
    Tender,
    TenderDocument,
    TenderVersion,
)


def ocds_process_queryset() -> QuerySet[Tender]:
    """Public tenders (published at some point) with every related row a release maps,
    fetched up front: the number of queries does not grow with awards or milestones."""
    return (
        Tender.objects.filter(published_at__isnull=False)
        .select_related("buyer", "buyer__region", "category", "region", "opening")
        .prefetch_related(
            "criteria",
            "milestones",
            # Only who bid, for the tenderers named once the bids are opened: never a
            # bid's price or proposal (the mapping reads nothing else either).
            Prefetch(
                "bids",
                queryset=Bid.objects.select_related("organisation").only(
                    "id",
                    "tender_id",
                    "organisation__id",
                    "organisation__name",
                    "organisation__credit_code",
                    "organisation__address",
                ),
                to_attr="ocds_bids",
            ),
            Prefetch(
                "documents",
                queryset=TenderDocument.objects.filter(removed_in_version=None).order_by("pk"),
            ),
            Prefetch("versions", queryset=TenderVersion.objects.order_by("number")),
            Prefetch(
                "awards",
                queryset=Award.objects.select_related("bid__organisation").order_by(
                    "published_at", "pk"
                ),
            ),
            Prefetch(
                "contracts",
                queryset=Contract.objects.select_related("organisation", "buyer")
                .prefetch_related(
                    Prefetch(
                        "versions",
                        queryset=ContractVersion.objects.filter(withdrawn_at=None).order_by(
                            "number"
                        ),
                    ),
                    Prefetch("milestones", queryset=Milestone.objects.order_by("position", "pk")),
                    Prefetch(
                        "payments",
                        queryset=Payment.objects.filter(settled_at__isnull=False).order_by(
                            "settled_at", "pk"
                        ),
                    ),
                )
                .order_by("created_at", "pk"),
            ),
        )
    )


def ocds_process_get(*, tender_id: int) -> Tender | None:
    """The public tender of a contracting process, ready for mapping; None for a draft."""
    return ocds_process_queryset().filter(pk=tender_id).first()


def ocds_tenders_without_releases() -> QuerySet[Tender]:
    """Public tenders that have no release of ours yet (for the backfill command)."""
    return (
        ocds_process_queryset()
        .filter(~Q(pk__in=OcdsRelease.objects.filter(tender__isnull=False).values("tender_id")))
        .order_by("pk")
    )


def ocds_release_list(*, since: datetime.datetime | None = None) -> QuerySet[OcdsRelease]:
    """Every stored release (ours and imported), oldest first, from `since` on if given."""
    releases = OcdsRelease.objects.order_by("date", "pk")
    if since is not None:
        releases = releases.filter(date__gte=since)
    return releases


def ocds_releases_for_ocid(ocid: str) -> QuerySet[OcdsRelease]:
    """The releases of one contracting process, oldest first."""
    return OcdsRelease.objects.filter(ocid=ocid).order_by("date", "pk")


@dataclass(frozen=True)
class ReleaseSetState:
    """What identifies a set of releases: releases are never edited, so their number and
    highest primary key change whenever the set does."""

    count: int
    last_pk: int | None
    last_date: datetime.datetime | None
    last_created: datetime.datetime | None


def ocds_release_set_state(releases: QuerySet[OcdsRelease]) -> ReleaseSetState:
    """The state of a set of releases in one aggregate query."""
    row = releases.order_by().aggregate(
        count=Count("pk"), last_pk=Max("pk"), last_date=Max("date"), last_created=Max("created_at")
    )
    return ReleaseSetState(**row)
