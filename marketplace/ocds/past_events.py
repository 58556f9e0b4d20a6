"""The public events of a process rebuilt from its data, for the backfill: each one's
release shows the process as it stood at that event."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, replace

from marketplace.models import Award, Contract, Tender
from marketplace.ocds.asof import version_signed_at
from marketplace.ocds.ids import (
    contract_version_subject,
    event_key,
    milestone_subject,
    payment_subject,
    tender_version_subject,
)

# The order of events that share a moment: the order they happen in a process.
EVENT_ORDER = [
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "award",
    "awardCancellation",
    "contract",
    "contractAmendment",
    "implementation",
    "contractTermination",
    "tenderCancellation",
]


@dataclass(frozen=True)
class PastEvent:
    """A public event of a process, rebuilt from the data: its event name (a release tag),
    its subject (as the live receivers name it) and when it happened."""

    event: str
    subject: str
    at: datetime.datetime

    @property
    def key(self) -> str:
        return event_key(self.event, self.subject)


def past_events(tender, closed: Mapping[tuple[type, int], datetime.datetime]) -> list[PastEvent]:
    """Every public event of a process the stored data dates, in the order they happened:
    published, each amendment, bids opened, each award and its revocation, each contract
    signed, each variation, each milestone accepted, each payment settled, each contract
    ended, and the tender failed or cancelled. `closed` dates the closing statuses; no event
    is dated before the tender's publication."""
    events = [PastEvent("tender", "", tender.published_at)]
    events += [
        PastEvent("tenderAmendment", tender_version_subject(version.number), version.created_at)
        for version in tender.versions.all()
        if version.number > 1
    ]
    opening = getattr(tender, "opening", None)
    if opening is not None:
        events.append(PastEvent("tenderUpdate", "opened", opening.opened_at))
    for award in tender.awards.all():
        events.append(PastEvent("award", str(award.pk), award.published_at))
        if award.status == Award.Status.REVOKED:
            events.append(PastEvent("awardCancellation", str(award.pk), closed[(Award, award.pk)]))
    for contract in tender.contracts.all():
        if contract.signed_at is None:
            continue
        events.append(PastEvent("contract", str(contract.pk), contract.signed_at))
        events += [
            PastEvent(
                "contractAmendment",
                contract_version_subject(contract.pk, version.number),
                version_signed_at(version),
            )
            for version in contract.versions.all()
            if version.number > 1 and version.is_signed
        ]
        events += [
            PastEvent("implementation", milestone_subject(milestone.pk), milestone.accepted_at)
            for milestone in contract.milestones.all()
            if milestone.accepted_at is not None
        ]
        events += [
            PastEvent("implementation", payment_subject(payment.pk), payment.settled_at)
            for payment in contract.payments.all()
        ]
        if contract.status in (Contract.Status.COMPLETED, Contract.Status.TERMINATED):
            events.append(
                PastEvent("contractTermination", str(contract.pk), closed[(Contract, contract.pk)])
            )
    if tender.status == Tender.Status.FAILED:
        events.append(PastEvent("tenderUpdate", "failed", closed[(Tender, tender.pk)]))
    elif tender.status == Tender.Status.CANCELLED:
        events.append(PastEvent("tenderCancellation", "", closed[(Tender, tender.pk)]))
    # Nothing is public before the tender: a row dated earlier (inconsistent or imported
    # data) is an event of the moment the tender was published.
    events = [replace(event, at=max(event.at, tender.published_at)) for event in events]
    return sorted(events, key=lambda e: (e.at, EVENT_ORDER.index(e.event)))
