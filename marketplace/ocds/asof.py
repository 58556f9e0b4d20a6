"""The moment a release shows its process at, and what of the process was public then."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from marketplace.models import Award


@dataclass(frozen=True)
class AsOf:
    """The moment a release shows its process at. `at` None is now (a live release); a past
    moment rebuilds what was public then (the backfill): rows dated later are left out and
    statuses are those of that moment. `closed` maps (model, pk) to when a row reached its
    current closing status (tender cancelled or failed, award revoked, contract completed or
    terminated, milestone cancelled), which no field of the row itself dates."""

    at: datetime.datetime | None = None
    closed: Mapping[tuple[type, int], datetime.datetime] = field(default_factory=dict)

    def happened(self, moment: datetime.datetime | None) -> bool:
        return moment is not None and (self.at is None or moment <= self.at)

    def closed_by(self, obj) -> bool:
        """Whether `obj` had reached its current status (a closing one) at this moment."""
        return self.at is None or self.happened(self.closed.get((type(obj), obj.pk)))


NOW = AsOf()


def bids_opened(tender, state: AsOf) -> bool:
    """Bids have been read out: only then may a release name the tenderers."""
    opening = getattr(tender, "opening", None)
    return opening is not None and state.happened(opening.opened_at)


def opening_tenderers(tender, state: AsOf) -> list:
    """The organisations read out at the opening, in the opening record's order."""
    if not bids_opened(tender, state):
        return []
    by_bid = {bid.pk: bid.organisation for bid in tender.ocds_bids}
    seen, organisations = set(), []
    for row in tender.opening.record:
        organisation = by_bid.get(row["bid"])
        if organisation is not None and organisation.pk not in seen:
            seen.add(organisation.pk)
            organisations.append(organisation)
    return organisations


def award_status(award, state: AsOf) -> str:
    if award.status == Award.Status.REVOKED and state.closed_by(award):
        return Award.Status.REVOKED
    return Award.Status.NOTICE


def published_awards(tender, state: AsOf) -> list:
    return [award for award in tender.awards.all() if state.happened(award.published_at)]


def standing_awards(tender, state: AsOf) -> list:
    return [
        award
        for award in published_awards(tender, state)
        if award_status(award, state) == Award.Status.NOTICE
    ]


def signed_contracts(tender, state: AsOf) -> list:
    return [contract for contract in tender.contracts.all() if state.happened(contract.signed_at)]


def version_signed_at(version) -> datetime.datetime | None:
    """When a contract version was signed by both sides, or None while it is not."""
    if not version.is_signed:
        return None
    return max(version.buyer_signed_at, version.organisation_signed_at)
