"""Identifiers: a process's ocid, its release ids, and the event keys inside them. The live
receivers (marketplace/opendata.py) and the backfill name subjects with the same helpers, so
an event gets the same release id whichever of them stores it."""

from django.conf import settings


def ocid_for(tender_id: int) -> str:
    """The ocid of the contracting process of a tender."""
    return f"{settings.OCDS_PREFIX}-{tender_id}"


def tender_id_from_ocid(ocid: str) -> int | None:
    """The tender id inside one of our ocids, or None for another publisher's ocid."""
    prefix = f"{settings.OCDS_PREFIX}-"
    rest = ocid.removeprefix(prefix)
    if rest == ocid or not rest.isdigit():
        return None
    return int(rest)


def release_id_for(ocid: str, key: str) -> str:
    """A release id, unique within its process: the same event always gets the same id."""
    return f"{ocid}-{key}"


def event_key(event: str, subject: str = "") -> str:
    """The part of a release id that names one event of a process."""
    return f"{event}-{subject}" if subject else event


def tender_version_subject(number: int) -> str:
    return f"v{number}"


def contract_version_subject(contract_id: int, number: int) -> str:
    return f"{contract_id}-v{number}"


def milestone_subject(milestone_id: int) -> str:
    return f"milestone-{milestone_id}"


def payment_subject(payment_id: int) -> str:
    return f"payment-{payment_id}"
