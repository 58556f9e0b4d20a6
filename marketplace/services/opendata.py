"""Writes for open data (OCDS): append a release when a public event happens, backfill the
releases of past events (data from before open data existed), and import other
publishers' release packages.

Releases are append-only: a stored release is never changed. The same event always gets the
same release id, so a repeated signal or a second backfill adds nothing.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from marketplace import ocds
from marketplace.models import Award, OcdsRelease
from marketplace.selectors.opendata import (
    ocds_closing_dates,
    ocds_process_get,
    ocds_process_queryset,
    ocds_public_tender_ids,
)

# Public events and the release tags they carry (releaseTag codelist).
EVENT_TAGS = {
    "tender": ["tender"],
    "tenderAmendment": ["tenderAmendment"],
    "tenderUpdate": ["tenderUpdate"],
    "tenderCancellation": ["tenderCancellation"],
    "award": ["award"],
    "awardCancellation": ["awardCancellation"],
    "contract": ["contract"],
    "contractAmendment": ["contractAmendment"],
    "contractTermination": ["contractTermination"],
    "implementation": ["implementation"],
}

BACKFILL_BATCH = 200

# The key of the one whole-state release an earlier backfill stored per process.
LEGACY_BACKFILL_KEY = "backfill"


def _release_row(tender, *, key: str, tags: list[str], date, state=ocds.NOW) -> OcdsRelease:
    data = ocds.release_build(tender, key=key, tags=tags, date=date, state=state)
    return OcdsRelease(
        ocid=data["ocid"],
        release_id=data["id"],
        date=date,
        tags=data["tag"],
        data=data,
        tender=tender,
    )


def _store(tender, *, key: str, tags: list[str], now: datetime.datetime) -> OcdsRelease | None:
    release_id = ocds.release_id_for(ocds.ocid_for(tender.pk), key)
    if OcdsRelease.objects.filter(ocid=ocds.ocid_for(tender.pk), release_id=release_id).exists():
        return None
    release = _release_row(tender, key=key, tags=tags, date=now)
    try:
        with transaction.atomic():
            release.save()
            return release
    except IntegrityError:  # the same event stored meanwhile by a concurrent signal
        return None


def ocds_release_publish(
    *, tender_id: int, event: str, subject: str = "", now: datetime.datetime | None = None
) -> OcdsRelease | None:
    """Append the release of a public event of a tender's process, built from its current
    state; None when the tender was never public or the event already has its release.

    Rules: `event` is a key of EVENT_TAGS; `subject` tells apart repeated events of one
    process (an award id, a contract version; see the subject helpers in marketplace/ocds/ids.py); an
    award release is keyed by the latest standing award, so a new award after
    re-evaluation is a new release."""
    tags = EVENT_TAGS[event]
    tender = ocds_process_get(tender_id=tender_id)
    if tender is None:
        return None
    if event == "award" and not subject:
        standing = [a.pk for a in tender.awards.all() if a.status == Award.Status.NOTICE]
        subject = str(max(standing)) if standing else ""
    moment = (now or timezone.now()).replace(microsecond=0)
    return _store(tender, key=ocds.event_key(event, subject), tags=tags, now=moment)


def _missing_releases(tender, *, stored: set[str], closed) -> list[OcdsRelease]:
    """Releases of the past events of one process that have none yet, oldest first, each
    showing the process as it stood at its event."""
    ocid = ocds.ocid_for(tender.pk)
    rows = []
    for event in ocds.past_events(tender, closed):
        release_id = ocds.release_id_for(ocid, event.key)
        if release_id in stored:
            continue
        stored.add(release_id)
        rows.append(
            _release_row(
                tender,
                key=event.key,
                tags=EVENT_TAGS[event.event],
                date=event.at.replace(microsecond=0),
                state=ocds.AsOf(at=event.at, closed=closed),
            )
        )
    return rows


@transaction.atomic
def _backfill_batch(pks: list[int]) -> int:
    tenders = list(ocds_process_queryset().filter(pk__in=pks).order_by("pk"))
    stored: dict[int, set[str]] = defaultdict(set)
    rows = OcdsRelease.objects.filter(tender_id__in=pks).values_list("tender_id", "release_id")
    for tender_id, release_id in rows:
        stored[tender_id].add(release_id)
    closed = ocds_closing_dates(tenders)
    new = []
    for tender in tenders:
        ids = stored[tender.pk]
        if ocds.release_id_for(ocds.ocid_for(tender.pk), LEGACY_BACKFILL_KEY) in ids:
            continue
        new += _missing_releases(tender, stored=ids, closed=closed)
    # A live signal may store the same event meanwhile: its release stands, ours is dropped.
    OcdsRelease.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def ocds_releases_backfill(
    *,
    batch_size: int = BACKFILL_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild the releases of the past public events of every public tender that the data
    dates (see `ocds.past_events`) and store those not stored yet, each dated at its event
    and showing the process as it stood then; returns how many were stored.

    Rules: a release id is the same whether an event is published live or backfilled, so
    an event already published (live or by an earlier run) is never stored twice and a
    second run stores nothing; a process that already has live releases gets only its
    events that have none (those from before open data existed, or whose signal failed);
    a process with the one whole-state release of the earlier backfill is left alone, as
    stored releases are never changed or removed. Tenders are read `batch_size` at a time,
    each batch in a fixed number of queries and stored in one transaction."""
    pks = ocds_public_tender_ids()
    stored = 0
    for start in range(0, len(pks), batch_size):
        stored += _backfill_batch(pks[start : start + batch_size])
        if progress is not None:
            progress(min(start + batch_size, len(pks)), len(pks))
    return stored


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int


def _package_releases(package: dict) -> list[dict]:
    if "records" not in package:
        return list(package.get("releases", []))
    releases = []
    for record in package["records"]:
        for release in record.get("releases", []):
            if "tag" not in release:  # a linked release: a URL, not the data
                raise ValidationError(
                    _("记录包中的发布为链接形式（%(ocid)s），请导入发布包。")
                    % {"ocid": record.get("ocid", "")},
                    code="linked_release",
                )
            releases.append(release)
    return releases


@transaction.atomic
def ocds_package_import(*, package: dict, max_errors: int = 10) -> ImportResult:
    """Store the releases of an OCDS 1.1 release package (or a record package with embedded
    releases) as imported releases, keyed by (ocid, id).

    Rules: the package validates against the OCDS 1.1.5 schema (else the first errors are
    raised); an ocid of our own prefix is refused (our processes come from our data); a
    release already stored with the same content is skipped, with other content it is an
    error. All or nothing."""
    errors = ocds.package_errors(package, limit=max_errors)
    if errors:
        raise ValidationError(
            [_("不符合 OCDS 1.1 模式：%(error)s") % {"error": error} for error in errors],
            code="schema",
        )
    created = unchanged = 0
    for release in _package_releases(package):
        ocid, release_id = release["ocid"], release["id"]
        if ocds.tender_id_from_ocid(ocid) is not None:
            raise ValidationError(
                _("发布 %(id)s 的 ocid 使用本平台的前缀，不能导入。") % {"id": release_id},
                code="own_prefix",
            )
        existing = OcdsRelease.objects.filter(ocid=ocid, release_id=release_id).first()
        if existing is not None:
            if existing.data != release:
                raise ValidationError(
                    _("发布 %(ocid)s / %(id)s 已存在且内容不同。")
                    % {"ocid": ocid, "id": release_id},
                    code="conflict",
                )
            unchanged += 1
            continue
        OcdsRelease.objects.create(
            ocid=ocid,
            release_id=release_id,
            date=parse_datetime(release["date"]),
            tags=release.get("tag", []),
            data=release,
            imported=True,
        )
        created += 1
    return ImportResult(created=created, unchanged=unchanged)
