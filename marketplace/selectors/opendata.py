"""Reads for open data (OCDS): a contracting process with everything its releases map, the
stored releases, and the figures the endpoints' conditional GETs rest on."""

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from marketplace.models import (
    AuditEntry,
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


def ocds_public_tender_ids() -> list[int]:
    """The ids of every public tender, in order (the backfill walks them in batches)."""
    return list(
        Tender.objects.filter(published_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# The statuses that close a row for good, which the backfill must date.
CLOSING_STATUSES = {
    Tender: (Tender.Status.CANCELLED, Tender.Status.FAILED),
    Award: (Award.Status.REVOKED,),
    Contract: (Contract.Status.COMPLETED, Contract.Status.TERMINATED),
    Milestone: (Milestone.Status.CANCELLED,),
}


def ocds_closing_dates(tenders) -> dict[tuple[type, int], datetime.datetime]:
    """When each row of these processes (fetched by `ocds_process_queryset`) that now has a
    closing status reached it, keyed (model, pk): from the audit log in one query, or the
    row's last update where the log has no such entry (rows not changed by a transition).

    Rules: only rows whose current status is a closing one are dated; an entry counts when
    it moved the row to exactly that status; the latest such entry wins."""
    closed_rows = []
    for tender in tenders:
        closed_rows.append(tender)
        closed_rows += list(tender.awards.all())
        for contract in tender.contracts.all():
            closed_rows.append(contract)
            closed_rows += list(contract.milestones.all())
    closed_rows = [row for row in closed_rows if row.status in CLOSING_STATUSES[type(row)]]
    dates = {(type(row), row.pk): row.updated_at for row in closed_rows}
    if not closed_rows:
        return dates
    types = ContentType.objects.get_for_models(*CLOSING_STATUSES)
    models = {content_type.pk: model for model, content_type in types.items()}
    condition = Q()
    for model in CLOSING_STATUSES:
        ids = [str(pk) for kind, pk in dates if kind is model]
        if ids:
            condition |= Q(content_type=types[model], object_id__in=ids)
    status = {(type(row), row.pk): row.status for row in closed_rows}
    logged = {}
    entries = (
        AuditEntry.objects.filter(condition)
        .order_by("created_at", "pk")
        .values_list("content_type_id", "object_id", "to_status", "created_at")
    )
    for content_type_id, object_id, to_status, created_at in entries:
        key = (models[content_type_id], int(object_id))
        if status.get(key) == to_status:
            logged[key] = created_at
    return {**dates, **logged}


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
