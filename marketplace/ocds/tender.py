"""The tender section of a release, and the notice it shows: the texts, budget and dates in
force at the release's moment."""

import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from djmoney.money import Money

from marketplace.models import Tender
from marketplace.ocds.asof import AsOf, bids_opened, opening_tenderers, standing_awards
from marketplace.ocds.codes import LANGUAGE, PROCUREMENT_METHOD, TENDER_STATUS
from marketplace.ocds.parties import reference
from marketplace.ocds.values import iso, money_value, site_url

# Snapshot keys that are related rows rather than Tender fields.
AMENDABLE_FIELD_LABELS = {
    "criteria": gettext_lazy("评分项"),
    "milestones": gettext_lazy("付款节点"),
    "documents": gettext_lazy("招标文件"),
    "invited": gettext_lazy("受邀社会组织"),
}

# The notice fields a tender version's snapshot records in a form that reads back.
NOTICE_TEXT_FIELDS = ("title", "description", "funding_source")
NOTICE_MOMENT_FIELDS = ("clarification_deadline", "bid_deadline", "opening_at")


def _field_label(key: str) -> str:
    if key in AMENDABLE_FIELD_LABELS:
        return str(AMENDABLE_FIELD_LABELS[key])
    try:
        return str(Tender._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:  # a snapshot key that is no model field: show it as it is
        return key


def _snapshot_money(text: str) -> Money | None:
    amount, _space, currency = text.partition(" ")
    try:
        return Money(Decimal(amount), currency or "CNY")
    except (InvalidOperation, ValueError):
        return None


def _snapshot_moment(text: str) -> datetime.datetime | None:
    try:
        naive = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return naive.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def tender_notice(tender, state: AsOf) -> dict:
    """The notice's texts, budget and dates as they stood at `state`: the tender's fields, or
    those of the version then in force when a later amendment changed them."""
    notice = {name: getattr(tender, name) for name in (*NOTICE_TEXT_FIELDS, *NOTICE_MOMENT_FIELDS)}
    notice["budget"] = tender.budget
    versions = list(tender.versions.all())
    in_force = [version for version in versions if state.happened(version.created_at)]
    if not in_force or in_force[-1] is versions[-1]:
        return notice
    snapshot = in_force[-1].snapshot
    for name in NOTICE_TEXT_FIELDS:
        if isinstance(snapshot.get(name), str):
            notice[name] = snapshot[name]
    for name in NOTICE_MOMENT_FIELDS:
        moment = _snapshot_moment(str(snapshot.get(name, "")))
        if moment is not None:
            notice[name] = moment
    budget = _snapshot_money(str(snapshot.get("budget", "")))
    if budget is not None:
        notice["budget"] = budget
    return notice


def _award_criteria(tender) -> tuple[str, str]:
    criteria = list(tender.criteria.all())
    price = [c for c in criteria if c.is_price]
    if price and price[0].weight == 100:
        code = "priceOnly"
    elif not price:
        code = "qualityOnly"
    else:
        code = "ratedCriteria"
    parts = [
        f"{c.name} {c.weight}" + (_("（价格分，最低评标价法）") if c.is_price else "")
        for c in criteria
    ]
    return code, _("综合评分，满分100：") + "；".join(parts)


def _eligibility(tender) -> str:
    rules = []
    if tender.min_rating_level:
        rules.append(_("社会组织评估等级不低于%(level)sA") % {"level": tender.min_rating_level})
    if tender.min_years_registered:
        rules.append(_("成立满%(years)s年") % {"years": tender.min_years_registered})
    rules.append(_("服务类目：%(category)s") % {"category": tender.category.name})
    rules.append(_("服务地区：%(region)s") % {"region": tender.region.name})
    return "；".join(rules)


def _tender_documents(tender, notice: dict, state: AsOf) -> list:
    notice_document = {
        "id": "notice",
        "documentType": "tenderNotice",
        "title": notice["title"],
        "url": site_url(tender.get_absolute_url()),
        "datePublished": iso(tender.published_at),
        "language": LANGUAGE,
    }
    files = [
        {
            "id": str(document.pk),
            "documentType": "biddingDocuments",
            "title": document.title,
            "url": site_url(reverse("tender_document_download", args=[document.pk])),
            "datePublished": iso(published),
            "language": LANGUAGE,
        }
        for document in tender.documents.all()
        if state.happened(published := max(document.uploaded_at, tender.published_at))
    ]
    return [notice_document, *files]


def _tender_amendments(tender, state: AsOf) -> list:
    return [
        {
            "id": str(version.number),
            "date": iso(version.created_at),
            "rationale": version.note or _("公告变更"),
            "description": _("变更内容：")
            + "、".join(_field_label(change["field"]) for change in version.changes),
        }
        for version in tender.versions.all()
        if version.number > 1 and state.happened(version.created_at)
    ]


def _tender_status(tender, state: AsOf) -> str:
    if state.at is None:
        return TENDER_STATUS[Tender.Status(tender.status)]
    if tender.status in (Tender.Status.CANCELLED, Tender.Status.FAILED) and state.closed_by(tender):
        return TENDER_STATUS[Tender.Status(tender.status)]
    return "complete" if standing_awards(tender, state) else "active"


def tender_section(tender, notice: dict, state: AsOf) -> dict:
    """The tender section of a release: the `notice` then in force and what of the tender
    was public at `state`."""
    method_code = PROCUREMENT_METHOD[Tender.Method(tender.method)]
    criteria_code, criteria_details = _award_criteria(tender)
    section = {
        "id": tender.reference,
        "title": notice["title"],
        "description": notice["description"],
        "status": _tender_status(tender, state),
        "procuringEntity": reference(tender.buyer),
        "value": money_value(notice["budget"]),
        "procurementMethod": method_code,
        "procurementMethodDetails": str(tender.method_label),
        "mainProcurementCategory": "services",
        "awardCriteria": criteria_code,
        "awardCriteriaDetails": criteria_details,
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {
            "startDate": iso(tender.published_at),
            "endDate": iso(notice["bid_deadline"]),
        },
        "enquiryPeriod": {
            "startDate": iso(tender.published_at),
            "endDate": iso(notice["clarification_deadline"]),
        },
        "awardPeriod": {"startDate": iso(notice["opening_at"])},
        "eligibilityCriteria": _eligibility(tender),
        "milestones": [
            {
                "id": f"payment-{milestone.position}",
                "title": milestone.name,
                "type": "payment",
                "status": "scheduled",
                "description": _("支付比例 %(percentage)s%%")
                % {"percentage": milestone.percentage},
            }
            for milestone in tender.milestones.all()
        ],
        "documents": _tender_documents(tender, notice, state),
    }
    awards = standing_awards(tender, state)
    if awards:
        section["awardPeriod"]["endDate"] = iso(max(award.published_at for award in awards))
    amendments = _tender_amendments(tender, state)
    if amendments:
        section["amendments"] = amendments
    if bids_opened(tender, state):
        tenderers = opening_tenderers(tender, state)
        section["numberOfTenderers"] = len(tender.opening.record)
        section["tenderers"] = [reference(organisation) for organisation in tenderers]
    return section
