"""Marketplace events that create or refresh portal pages. Result pages read their facts
live, so a refresh only has to make the cached pages stale (cms/caching.py does that on the
same events); what is created here is the draft result page of a completed contract."""

from cms.services import result_page_create_draft
from marketplace import events
from marketplace.models import Contract


def _contract_status_changed(sender, instance, to_status, **kwargs):
    if to_status == Contract.Status.COMPLETED:
        result_page_create_draft(contract=instance)


def connect():
    """Connect the receivers (CmsConfig.ready)."""
    events.status_changed.connect(
        _contract_status_changed, sender=Contract, dispatch_uid="cms-result-draft"
    )
