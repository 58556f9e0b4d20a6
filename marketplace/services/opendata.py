"""Writes for open data (OCDS): append a release when a public event happens, backfill the
processes that have none, and import other publishers' release packages.

Releases are append-only: a stored release is never changed. The same event always gets the
same release id, so a repeated signal or a second backfill adds nothing.
"""

import datetime
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
    ocds_process_get,
    ocds_process_queryset,
    ocds_tenders_without_releases,
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

BACKFILL_BATCH = 100


def _store(tender, *, key: str, tags: list[str], now: datetime.datetime) -> OcdsRelease | None:
    release_id = ocds.release_id_for(ocds.ocid_for(tender.pk), key)
    if OcdsRelease.objects.filter(ocid=ocds.ocid_for(tender.pk), release_id=release_id).exists():
        return None
    data = ocds.release_build(tender, key=key, tags=tags, date=now)
    try:
        with transaction.atomic():
            return OcdsRelease.objects.create(
                ocid=data["ocid"],
                release_id=data["id"],
                date=now,
                tags=data["tag"],
                data=data,
                tender=tender,
            )
    except IntegrityError:  # the same event stored meanwhile by a concurrent signal
        return None


def ocds_release_publish(
    *, tender_id: int, event: str, subject: str = "", now: datetime.datetime | None = None
) -> OcdsRelease | None:
    """Append the release of a public event of a tender's process, built from its current
    state; None when the tender was never public or the event already has its release.

    Rules: `event` is a key of EVENT_TAGS; `subject` tells apart repeated events of one
    process (an award id, a contract version); an award release is keyed by the latest
    standing award, so a new award after re-evaluation is a new release."""
    tags = EVENT_TAGS[event]
    tender = ocds_process_get(tender_id=tender_id)
    if tender is None:
        return None
    if event == "award" and not subject:
        standing = [a.pk for a in tender.awards.all() if a.status == Award.Status.NOTICE]
        subject = str(max(standing)) if standing else ""
    key = f"{event}-{subject}" if subject else event
    moment = (now or timezone.now()).replace(microsecond=0)
    return _store(tender, key=key, tags=tags, now=moment)


def ocds_releases_backfill(
    *, now: datetime.datetime | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Give every public tender without a release of ours one release of its current state
    (tags for all it carries); returns how many were stored. Idempotent."""
    moment = (now or timezone.now()).replace(microsecond=0)
    pks = list(ocds_tenders_without_releases().values_list("pk", flat=True))
    stored = 0
    for start in range(0, len(pks), BACKFILL_BATCH):
        batch = pks[start : start + BACKFILL_BATCH]
        for tender in ocds_process_queryset().filter(pk__in=batch).order_by("pk"):
            if _store(tender, key="backfill", tags=ocds.current_tags(tender), now=moment):
                stored += 1
        if progress is not None:
            progress(min(start + BACKFILL_BATCH, len(pks)), len(pks))
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
