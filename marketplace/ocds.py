"""Open Contracting Data Standard 1.1: our contracting processes as OCDS releases, now or as
they stood at a past event (for the backfill), packages (records merged by
marketplace/ocds_merge.py), and validation against the official schema and codelists
vendored in marketplace/data/ocds/ (offline: nothing is fetched).

Every public tender is one contracting process, ocid ``<OCDS_PREFIX>-<tender id>``. The
mapping functions are pure: they read the objects `selectors.opendata.ocds_process_get`
fetched and return plain JSON data.

Sealed bids stay sealed. A release never carries a bid's price, proposal or files. Only
once the bids have been opened (开标) does it name the tenderers and their number, as the
opening record does for bidders; the only prices are the awarded amounts, which the award
notice publishes.
"""

import csv
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from djmoney.money import Money
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from marketplace.models import Award, Contract, Milestone, Tender
from marketplace.ocds_merge import compile_releases, versioned_release

OCDS_DIR = Path(__file__).resolve().parent / "data" / "ocds"
OCDS_VERSION = "1.1"
LANGUAGE = "zh"

TENDER_STATUS = {
    Tender.Status.DRAFT: "planned",
    Tender.Status.PUBLISHED: "active",
    Tender.Status.CLOSED: "active",
    Tender.Status.OPENED: "active",
    Tender.Status.EVALUATING: "active",
    Tender.Status.AWARDED: "complete",
    Tender.Status.CANCELLED: "cancelled",
    Tender.Status.FAILED: "unsuccessful",
}

# Only 邀请招标 and 单一来源 restrict who may bid; the other methods are open to every
# eligible organisation on the platform.
PROCUREMENT_METHOD = {
    Tender.Method.OPEN: "open",
    Tender.Method.INVITED: "selective",
    Tender.Method.NEGOTIATION: "open",
    Tender.Method.CONSULTATION: "open",
    Tender.Method.SINGLE_SOURCE: "direct",
    Tender.Method.INQUIRY: "open",
    Tender.Method.VENTURE: "open",
}

AWARD_STATUS = {Award.Status.NOTICE: "active", Award.Status.REVOKED: "cancelled"}

# OCDS has no "completed" contract: "terminated" covers every contract that came to a close.
CONTRACT_STATUS = {
    Contract.Status.DRAFT: "pending",
    Contract.Status.ACTIVE: "active",
    Contract.Status.COMPLETED: "terminated",
    Contract.Status.TERMINATED: "terminated",
}

MILESTONE_STATUS = {
    Milestone.Status.PENDING: "scheduled",
    Milestone.Status.SUBMITTED: "scheduled",
    Milestone.Status.RETURNED: "scheduled",
    Milestone.Status.ACCEPTED: "met",
    Milestone.Status.PAID: "met",
    Milestone.Status.CANCELLED: "notMet",
}


# --- identifiers and values -------------------------------------------------------------


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


def iso(moment: datetime.datetime) -> str:
    """An aware date-time as RFC 3339, to the second, in UTC."""
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day(day: datetime.date, *, end=False) -> str:
    """A calendar day as the date-time OCDS wants: its start (or last second) in our zone."""
    moment = datetime.datetime.combine(
        day, datetime.time.max if end else datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )
    return moment.replace(microsecond=0).isoformat()


def _number(amount: Decimal) -> int | float:
    # JSON has only numbers: an integral amount is written without decimals, and a
    # two-decimal amount survives the conversion exactly (repr is the shortest round trip).
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _value(money) -> dict:
    return {"amount": _number(money.amount), "currency": str(money.currency)}


def _public_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- the moment a release shows -----------------------------------------------------------


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


# --- parties ------------------------------------------------------------------------------


def _party_id(entity) -> str:
    # The 统一社会信用代码 identifies every legal entity, buyers and organisations alike.
    return f"CN-USCC-{entity.credit_code}"


def _reference(entity) -> dict:
    return {"id": _party_id(entity), "name": entity.name}


def _party(entity, roles, *, region_name="", telephone="", url="") -> dict:
    party = {
        **_reference(entity),
        "identifier": {"scheme": "CN-USCC", "id": entity.credit_code, "legalName": entity.name},
        "roles": roles,
    }
    address = {
        key: value
        for key, value in (
            ("streetAddress", entity.address),
            ("region", region_name),
            ("countryName", _("中国")),
        )
        if value
    }
    party["address"] = address
    if telephone:
        party["contactPoint"] = {"name": entity.name, "telephone": telephone}
    if url:
        party["details"] = {"url": url}
    return party


def _opened(tender, state: AsOf) -> bool:
    """Bids have been read out: only then may a release name the tenderers."""
    opening = getattr(tender, "opening", None)
    return opening is not None and state.happened(opening.opened_at)


def _tenderers(tender, state: AsOf) -> list:
    """The organisations read out at the opening, in the opening record's order."""
    if not _opened(tender, state):
        return []
    by_bid = {bid.pk: bid.organisation for bid in tender.ocds_bids}
    seen, organisations = set(), []
    for row in tender.opening.record:
        organisation = by_bid.get(row["bid"])
        if organisation is not None and organisation.pk not in seen:
            seen.add(organisation.pk)
            organisations.append(organisation)
    return organisations


def _award_status(award, state: AsOf) -> str:
    if award.status == Award.Status.REVOKED and state.closed_by(award):
        return Award.Status.REVOKED
    return Award.Status.NOTICE


def _published_awards(tender, state: AsOf) -> list:
    return [award for award in tender.awards.all() if state.happened(award.published_at)]


def _standing_awards(tender, state: AsOf) -> list:
    return [
        award
        for award in _published_awards(tender, state)
        if _award_status(award, state) == Award.Status.NOTICE
    ]


def _signed_contracts(tender, state: AsOf) -> list:
    return [contract for contract in tender.contracts.all() if state.happened(contract.signed_at)]


def _parties(tender, state: AsOf) -> list:
    buyer = tender.buyer
    contracts = _signed_contracts(tender, state)
    buyer_roles = ["buyer", "procuringEntity"] + (["payer"] if contracts else [])
    parties = {
        buyer.pk: _party(
            buyer,
            buyer_roles,
            region_name=buyer.region.name,
            telephone=buyer.contact_phone,
            url=_public_url(buyer.get_absolute_url()),
        )
    }
    roles: dict[int, list[str]] = {}
    organisations = {}
    for organisation in _tenderers(tender, state):
        organisations[organisation.pk] = organisation
        roles.setdefault(organisation.pk, []).append("tenderer")
    for award in _standing_awards(tender, state):
        organisation = award.bid.organisation
        organisations[organisation.pk] = organisation
        roles.setdefault(organisation.pk, []).append("supplier")
    for contract in contracts:
        organisations[contract.organisation_id] = contract.organisation
        roles.setdefault(contract.organisation_id, []).extend(["supplier", "payee"])
    organisation_parties = [
        _party(
            organisations[pk],
            list(dict.fromkeys(roles[pk])),
            url=_public_url(organisations[pk].get_absolute_url()),
        )
        for pk in sorted(organisations)
    ]
    return [*parties.values(), *organisation_parties]


# --- tender -------------------------------------------------------------------------------

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


def _notice(tender, state: AsOf) -> dict:
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
        "url": _public_url(tender.get_absolute_url()),
        "datePublished": iso(tender.published_at),
        "language": LANGUAGE,
    }
    files = [
        {
            "id": str(document.pk),
            "documentType": "biddingDocuments",
            "title": document.title,
            "url": _public_url(reverse("tender_document_download", args=[document.pk])),
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
    return "complete" if _standing_awards(tender, state) else "active"


def _tender_section(tender, notice: dict, state: AsOf) -> dict:
    method_code = PROCUREMENT_METHOD[Tender.Method(tender.method)]
    criteria_code, criteria_details = _award_criteria(tender)
    section = {
        "id": tender.reference,
        "title": notice["title"],
        "description": notice["description"],
        "status": _tender_status(tender, state),
        "procuringEntity": _reference(tender.buyer),
        "value": _value(notice["budget"]),
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
    awards = _standing_awards(tender, state)
    if awards:
        section["awardPeriod"]["endDate"] = iso(max(award.published_at for award in awards))
    amendments = _tender_amendments(tender, state)
    if amendments:
        section["amendments"] = amendments
    if _opened(tender, state):
        tenderers = _tenderers(tender, state)
        section["numberOfTenderers"] = len(tender.opening.record)
        section["tenderers"] = [_reference(organisation) for organisation in tenderers]
    return section


# --- awards and contracts -----------------------------------------------------------------


def _awards(tender, state: AsOf) -> list:
    return [
        {
            "id": str(award.pk),
            "title": _("%(tender)s 中标（成交）结果") % {"tender": tender.title},
            **({"description": award.reason} if award.reason else {}),
            "status": AWARD_STATUS[Award.Status(_award_status(award, state))],
            "date": iso(award.published_at),
            "value": _value(award.amount),
            "suppliers": [_reference(award.bid.organisation)],
            "documents": [
                {
                    "id": "notice",
                    "documentType": "awardNotice",
                    "url": _public_url(award.get_absolute_url()),
                    "datePublished": iso(award.published_at),
                    "language": LANGUAGE,
                }
            ],
        }
        for award in _published_awards(tender, state)
    ]


def _signed_at(version) -> datetime.datetime | None:
    if not version.is_signed:
        return None
    return max(version.buyer_signed_at, version.organisation_signed_at)


def _milestone_status(milestone, state: AsOf) -> str:
    if state.at is None:
        return MILESTONE_STATUS[Milestone.Status(milestone.status)]
    if milestone.status == Milestone.Status.CANCELLED and state.closed_by(milestone):
        return "notMet"
    return "met" if state.happened(milestone.accepted_at) else "scheduled"


def _milestone(milestone, state: AsOf, terms: dict | None, in_force_at) -> dict:
    """A contract milestone; `terms` is its row in the contract version in force when that
    is not the latest (a later variation changed it), signed at `in_force_at`."""
    name, percentage, amount, due_on = (
        milestone.name,
        milestone.percentage,
        milestone.amount.amount,
        milestone.due_on,
    )
    if terms is not None:
        name, percentage, amount = terms["name"], Decimal(terms["percentage"]), terms["amount"]
        due_on = datetime.date.fromisoformat(terms["due_on"])
    status = _milestone_status(milestone, state)
    if state.at is None:
        modified = milestone.updated_at
    elif status == "met":
        modified = milestone.accepted_at
    elif status == "notMet":
        modified = state.closed[(type(milestone), milestone.pk)]
    else:
        modified = in_force_at
    data = {
        "id": str(milestone.pk),
        "title": name,
        "type": "delivery",
        "description": _("支付比例 %(percentage)s%%，支付金额 %(amount)s 元")
        % {"percentage": percentage.normalize(), "amount": amount},
        "dueDate": _day(due_on, end=True),
        "status": status,
        "dateModified": iso(modified),
    }
    if status == "met" and milestone.accepted_at:
        data["dateMet"] = iso(milestone.accepted_at)
    return data


def _contract_status(contract, state: AsOf) -> str:
    if state.at is not None and not state.closed_by(contract):
        return "active"
    return CONTRACT_STATUS[Contract.Status(contract.status)]


def _contract(contract, state: AsOf) -> dict:
    public_url = _public_url(reverse("contract_public", args=[contract.pk]))
    signed = [version for version in contract.versions.all() if version.is_signed]
    in_force = [version for version in signed if state.happened(_signed_at(version))]
    # The terms of an older version apply only when a later variation has changed them.
    terms = in_force[-1].terms if in_force and in_force[-1] is not signed[-1] else {}
    in_force_at = _signed_at(in_force[-1]) if in_force else contract.signed_at
    amount = (
        Money(terms["amount"], terms.get("currency", "CNY"))
        if "amount" in terms
        else contract.amount
    )
    starts_on = datetime.date.fromisoformat(terms["starts_on"]) if "starts_on" in terms else None
    ends_on = datetime.date.fromisoformat(terms["ends_on"]) if "ends_on" in terms else None
    milestone_terms = (
        {row["position"]: row for row in terms["milestones"]} if "milestones" in terms else None
    )
    amendments = [
        {
            "id": str(version.number),
            "date": iso(_signed_at(version)),
            "rationale": version.reason or _("合同变更"),
        }
        for version in in_force
        if version.number > 1
    ]
    data = {
        "id": str(contract.pk),
        "awardID": str(contract.award_id),
        "title": contract.reference,
        "description": terms.get("deliverables", contract.deliverables),
        "status": _contract_status(contract, state),
        "period": {
            "startDate": _day(starts_on or contract.starts_on),
            "endDate": _day(ends_on or contract.ends_on, end=True),
        },
        "value": _value(amount),
        "dateSigned": iso(contract.signed_at),
        "documents": [
            {
                "id": "contract",
                "documentType": "contractSigned",
                "title": contract.reference,
                "url": public_url,
                "datePublished": iso(contract.signed_at),
                "language": LANGUAGE,
            }
        ],
        "implementation": {
            "milestones": [
                _milestone(
                    milestone,
                    state,
                    milestone_terms.get(milestone.position) if milestone_terms else None,
                    in_force_at,
                )
                for milestone in contract.milestones.all()
                if milestone_terms is None or milestone.position in milestone_terms
            ],
            "transactions": [
                {
                    "id": str(payment.pk),
                    "source": public_url,
                    "date": iso(payment.settled_at),
                    "value": _value(payment.amount),
                    "payer": _reference(contract.buyer),
                    "payee": _reference(contract.organisation),
                }
                for payment in contract.payments.all()
                if state.happened(payment.settled_at)
            ],
        },
    }
    if amendments:
        data["amendments"] = amendments
    return data


def release_build(
    tender, *, key: str, tags: list[str], date: datetime.datetime, state: AsOf = NOW
) -> dict:
    """The release of a public tender's process for the event `key`, showing the process as
    it stands now or, for the backfill, as it stood at `state.at`.

    Texts are written in the platform language whatever the request's language is."""
    ocid = ocid_for(tender.pk)
    with translation.override(settings.LANGUAGE_CODE):
        notice = _notice(tender, state)
        release = {
            "ocid": ocid,
            "id": release_id_for(ocid, key),
            "date": iso(date),
            "language": LANGUAGE,
            "tag": list(tags),
            "initiationType": "tender",
            "parties": _parties(tender, state),
            "buyer": _reference(tender.buyer),
            "planning": {
                "budget": {
                    "description": notice["funding_source"] or _("财政资金"),
                    "amount": _value(notice["budget"]),
                }
            },
            "tender": _tender_section(tender, notice, state),
        }
        awards = _awards(tender, state)
        if awards:
            release["awards"] = awards
        contracts = [_contract(contract, state) for contract in _signed_contracts(tender, state)]
        if contracts:
            release["contracts"] = contracts
    return release


# --- past events (backfill) ---------------------------------------------------------------

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
                _signed_at(version),
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


# --- packages -----------------------------------------------------------------------------


def _envelope(uri: str, published: datetime.datetime | None) -> dict:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": iso(published or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME, "uri": settings.OCDS_PUBLISHER_URI},
        "license": settings.OCDS_LICENSE,
        "publicationPolicy": _public_url(reverse("opendata_index")),
    }


def release_package(releases: list[dict], *, uri: str, published=None, links=None) -> dict:
    """A release package around `releases`."""
    package = _envelope(uri, published)
    if links:
        package["links"] = links
    package["releases"] = releases
    return package


def record_package(ocid: str, releases: list[dict], *, uri: str, published=None) -> dict:
    """A record package with the one record of `ocid`: its releases, the compiled release
    and the versioned release (marketplace/ocds_merge.py)."""
    package = _envelope(uri, published)
    package["packages"] = [_public_url(reverse("ocds_release_package"))]
    package["records"] = [
        {
            "ocid": ocid,
            "releases": releases,
            "compiledRelease": compile_releases(releases),
            "versionedRelease": versioned_release(releases),
        }
    ]
    return package


# --- validation ---------------------------------------------------------------------------


@cache
def _schemas() -> dict[str, dict]:
    names = [
        "release-schema.json",
        "release-package-schema.json",
        "record-package-schema.json",
        "versioned-release-validation-schema.json",
    ]
    return {name: json.loads((OCDS_DIR / name).read_text("utf-8")) for name in names}


@cache
def _validators() -> dict[str, Draft4Validator]:
    schemas = _schemas()
    registry = Registry().with_resources(
        (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in schemas.values()
    )
    return {
        kind: Draft4Validator(
            schemas[f"{kind}-package-schema.json"],
            registry=registry,
            format_checker=FormatChecker(),
        )
        for kind in ("release", "record")
    }


def package_errors(package: dict, *, limit: int | None = None) -> list[str]:
    """Schema errors of a release or record package (a record package has `records`), each
    as "path: message", at most `limit` of them; [] when it validates."""
    kind = "record" if isinstance(package, dict) and "records" in package else "release"
    errors = []
    for error in _validators()[kind].iter_errors(package):
        path = "/".join(str(part) for part in error.absolute_path) or "(root)"
        errors.append(f"{path}: {error.message}")
        if limit is not None and len(errors) >= limit:
            break
    return errors


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of a vendored codelist CSV (e.g. "tenderStatus.csv")."""
    with (OCDS_DIR / "codelists" / name).open(encoding="utf-8", newline="") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))


def codelist_available(name: str) -> bool:
    return (OCDS_DIR / "codelists" / name).exists()


def _resolve(node: dict) -> dict:
    ref = node.get("$ref", "")
    if ref.startswith("#/definitions/"):
        return _schemas()["release-schema.json"]["definitions"][ref.rsplit("/", 1)[1]]
    return node


def _walk_codes(schema: dict, value, path: str, found: list):
    schema = _resolve(schema)
    if "codelist" in schema and value is not None:
        codes = value if isinstance(value, list) else [value]
        found.extend((path, schema["codelist"], code) for code in codes)
        return
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                _walk_codes(properties[key], item, f"{path}/{key}", found)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _walk_codes(schema["items"], item, f"{path}/{index}", found)


def codelist_values(release: dict) -> list[tuple[str, str, str]]:
    """Every codelist-typed value of a release as (path, codelist file, code), found by
    following the schema's `codelist` annotations."""
    found: list[tuple[str, str, str]] = []
    _walk_codes(_schemas()["release-schema.json"], release, "", found)
    return found


def codelist_violations(release: dict) -> list[str]:
    """Codes of a release missing from their vendored codelist (open codelists included).
    Fields whose codelist is not vendored (currency, initiationType) are closed enums that
    the schema itself checks."""
    return [
        f"{path}: {code!r} not in {name}"
        for path, name, code in codelist_values(release)
        if codelist_available(name) and code not in codelist(name)
    ]
