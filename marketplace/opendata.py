"""Receivers that publish an OCDS release for each public event (marketplace/ocds/).

Subjects are named by the helpers in marketplace/ocds/ids.py, which the backfill uses too,
so an event has the same release id whether it was published live or rebuilt later. The
events are sent after commit; a release that cannot be built is logged rather than raised,
so the user's action, already committed, is not reported as failed."""

import logging

from marketplace import events, ocds
from marketplace.models import Award, Contract, Milestone, Payment, Tender
from marketplace.services.opendata import ocds_release_publish

logger = logging.getLogger(__name__)

TENDER_EVENTS = {
    Tender.Status.PUBLISHED: ("tender", ""),
    Tender.Status.OPENED: ("tenderUpdate", "opened"),
    Tender.Status.FAILED: ("tenderUpdate", "failed"),
    Tender.Status.CANCELLED: ("tenderCancellation", ""),
    Tender.Status.AWARDED: ("award", ""),
}


def _publish(tender_id, event, subject=""):
    try:
        ocds_release_publish(tender_id=tender_id, event=event, subject=subject)
    except Exception:
        logger.exception("OCDS release %s of tender %s not published", event, tender_id)


def tender_status_changed(sender, instance, to_status, **kwargs):
    if to_status in TENDER_EVENTS:
        event, subject = TENDER_EVENTS[to_status]
        _publish(instance.pk, event, subject)


def tender_amended(sender, instance, version, **kwargs):
    _publish(instance.pk, "tenderAmendment", ocds.tender_version_subject(version.number))


def award_status_changed(sender, instance, to_status, **kwargs):
    if to_status == Award.Status.REVOKED:
        _publish(instance.tender_id, "awardCancellation", str(instance.pk))


def contract_status_changed(sender, instance, to_status, **kwargs):
    if to_status == Contract.Status.ACTIVE:
        _publish(instance.tender_id, "contract", str(instance.pk))
    elif to_status in (Contract.Status.COMPLETED, Contract.Status.TERMINATED):
        _publish(instance.tender_id, "contractTermination", str(instance.pk))


def contract_varied(sender, instance, version, **kwargs):
    _publish(
        instance.tender_id,
        "contractAmendment",
        ocds.contract_version_subject(instance.pk, version.number),
    )


def milestone_status_changed(sender, instance, to_status, **kwargs):
    if to_status == Milestone.Status.ACCEPTED:
        _publish(instance.contract.tender_id, "implementation", ocds.milestone_subject(instance.pk))


def payment_status_changed(sender, instance, to_status, **kwargs):
    if to_status == Payment.Status.SUCCEEDED:
        _publish(instance.contract.tender_id, "implementation", ocds.payment_subject(instance.pk))


def connect():
    """Subscribe to the domain events; called once from MarketplaceConfig.ready()."""
    uid = "opendata"
    events.status_changed.connect(tender_status_changed, sender=Tender, dispatch_uid=uid)
    events.status_changed.connect(award_status_changed, sender=Award, dispatch_uid=uid)
    events.status_changed.connect(contract_status_changed, sender=Contract, dispatch_uid=uid)
    events.status_changed.connect(milestone_status_changed, sender=Milestone, dispatch_uid=uid)
    events.status_changed.connect(payment_status_changed, sender=Payment, dispatch_uid=uid)
    events.tender_amended.connect(tender_amended, sender=Tender, dispatch_uid=uid)
    events.contract_varied.connect(contract_varied, sender=Contract, dispatch_uid=uid)
