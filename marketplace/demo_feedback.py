"""Loads residents' feedback (data/demo_feedback.py) for `manage.py load_demo_data`.

Through the services, as residents and staff would: `resident_feedback_submit` at the
entry's day in the past, then `resident_feedback_moderate` by the demo staff member. Each
entry has a fixed client key (a real one is an HMAC of address and browser), so a second
load finds what it made in one query and adds nothing.
"""

import datetime

from django.utils import timezone

from marketplace.data import demo_feedback
from marketplace.models import Contract, ResidentFeedback
from marketplace.services.feedback import (
    FEEDBACK_CONTRACT_STATUSES,
    resident_feedback_moderate,
    resident_feedback_submit,
)

DAY = datetime.timedelta(days=1)


def _client_key(position: int) -> str:
    return f"demo-resident-{position:03d}"


def demo_feedback_load(*, staff) -> tuple[int, int]:
    """Create the demo feedback not there yet; returns (created, existing). Entries whose
    contract is not loaded or not being delivered are skipped."""
    entries = demo_feedback.FEEDBACK
    keys = [_client_key(position) for position in range(len(entries))]
    existing = set(
        ResidentFeedback.objects.filter(client_key__in=keys).values_list("client_key", flat=True)
    )
    if len(existing) == len(entries):
        return 0, len(existing)
    contracts = {
        (contract.award.tender.title, contract.award.rank): contract
        for contract in Contract.objects.filter(
            award__tender__title__in={entry["tender"] for entry in entries},
            status__in=FEEDBACK_CONTRACT_STATUSES,
        ).select_related("award__tender")
    }
    now = timezone.now()
    created = 0
    for key, entry in zip(keys, entries, strict=True):
        contract = contracts.get((entry["tender"], entry.get("rank", 1)))
        if key in existing or contract is None:
            continue
        feedback = resident_feedback_submit(
            contract=contract,
            score=entry["score"],
            comment=entry.get("comment", ""),
            client_key=key,
            now=now - entry["days_ago"] * DAY,
        )
        if "moderation" in entry:
            resident_feedback_moderate(
                feedback=feedback,
                by=staff,
                approve=entry["moderation"] == "approved",
                reason=entry.get("reason", ""),
            )
        created += 1
    return created, len(existing)
