"""Open Contracting Data Standard 1.1: our contracting processes as OCDS releases, the merge
of releases into a compiled release, packages, and validation against the official schema
and codelists vendored in marketplace/data/ocds/ (offline: nothing is fetched).

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
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from marketplace.models import Award, Contract, Milestone, Tender

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


def _opened(tender) -> bool:
    """Bids have been read out: only then may a release name the tenderers."""
    return getattr(tender, "opening", None) is not None


def _tenderers(tender) -> list:
    """The organisations read out at the opening, in the opening record's order."""
    if not _opened(tender):
        return []
    by_bid = {bid.pk: bid.organisation for bid in tender.ocds_bids}
    seen, organisations = set(), []
    for row in tender.opening.record:
        organisation = by_bid.get(row["bid"])
        if organisation is not None and organisation.pk not in seen:
            seen.add(organisation.pk)
            organisations.append(organisation)
    return organisations


def _signed_contracts(tender) -> list:
    return [contract for contract in tender.contracts.all() if contract.signed_at is not None]


def _parties(tender) -> list:
    buyer = tender.buyer
    contracts = _signed_contracts(tender)
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
    for organisation in _tenderers(tender):
        organisations[organisation.pk] = organisation
        roles.setdefault(organisation.pk, []).append("tenderer")
    for award in tender.awards.all():
        if award.status == Award.Status.NOTICE:
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


def _field_label(key: str) -> str:
    if key in AMENDABLE_FIELD_LABELS:
        return str(AMENDABLE_FIELD_LABELS[key])
    try:
        return str(Tender._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:  # a snapshot key that is no model field: show it as it is
        return key


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


def _tender_documents(tender) -> list:
    notice = {
        "id": "notice",
        "documentType": "tenderNotice",
        "title": tender.title,
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
            "datePublished": iso(max(document.uploaded_at, tender.published_at)),
            "language": LANGUAGE,
        }
        for document in tender.documents.all()
    ]
    return [notice, *files]


def _tender_amendments(tender) -> list:
    return [
        {
            "id": str(version.number),
            "date": iso(version.created_at),
            "rationale": version.note or _("公告变更"),
            "description": _("变更内容：")
            + "、".join(_field_label(change["field"]) for change in version.changes),
        }
        for version in tender.versions.all()
        if version.number > 1
    ]


def _tender_section(tender) -> dict:
    method_code = PROCUREMENT_METHOD[Tender.Method(tender.method)]
    criteria_code, criteria_details = _award_criteria(tender)
    section = {
        "id": tender.reference,
        "title": tender.title,
        "description": tender.description,
        "status": TENDER_STATUS[Tender.Status(tender.status)],
        "procuringEntity": _reference(tender.buyer),
        "value": _value(tender.budget),
        "procurementMethod": method_code,
        "procurementMethodDetails": str(tender.method_label),
        "mainProcurementCategory": "services",
        "awardCriteria": criteria_code,
        "awardCriteriaDetails": criteria_details,
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {
            "startDate": iso(tender.published_at),
            "endDate": iso(tender.bid_deadline),
        },
        "enquiryPeriod": {
            "startDate": iso(tender.published_at),
            "endDate": iso(tender.clarification_deadline),
        },
        "awardPeriod": {"startDate": iso(tender.opening_at)},
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
        "documents": _tender_documents(tender),
    }
    awards = [award for award in tender.awards.all() if award.status == Award.Status.NOTICE]
    if awards:
        section["awardPeriod"]["endDate"] = iso(max(award.published_at for award in awards))
    amendments = _tender_amendments(tender)
    if amendments:
        section["amendments"] = amendments
    if _opened(tender):
        tenderers = _tenderers(tender)
        section["numberOfTenderers"] = len(tender.opening.record)
        section["tenderers"] = [_reference(organisation) for organisation in tenderers]
    return section


# --- awards and contracts -----------------------------------------------------------------


def _awards(tender) -> list:
    return [
        {
            "id": str(award.pk),
            "title": _("%(tender)s 中标（成交）结果") % {"tender": tender.title},
            **({"description": award.reason} if award.reason else {}),
            "status": AWARD_STATUS[Award.Status(award.status)],
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
        for award in tender.awards.all()
    ]


def _signed_at(version) -> datetime.datetime | None:
    if not version.is_signed:
        return None
    return max(version.buyer_signed_at, version.organisation_signed_at)


def _milestone(milestone) -> dict:
    data = {
        "id": str(milestone.pk),
        "title": milestone.name,
        "type": "delivery",
        "description": _("支付比例 %(percentage)s%%，支付金额 %(amount)s 元")
        % {"percentage": milestone.percentage.normalize(), "amount": milestone.amount.amount},
        "dueDate": _day(milestone.due_on, end=True),
        "status": MILESTONE_STATUS[Milestone.Status(milestone.status)],
        "dateModified": iso(milestone.updated_at),
    }
    if data["status"] == "met" and milestone.accepted_at:
        data["dateMet"] = iso(milestone.accepted_at)
    return data


def _contract(contract) -> dict:
    public_url = _public_url(reverse("contract_public", args=[contract.pk]))
    amendments = [
        {
            "id": str(version.number),
            "date": iso(_signed_at(version)),
            "rationale": version.reason or _("合同变更"),
        }
        for version in contract.versions.all()
        if version.number > 1 and version.is_signed
    ]
    data = {
        "id": str(contract.pk),
        "awardID": str(contract.award_id),
        "title": contract.reference,
        "description": contract.deliverables,
        "status": CONTRACT_STATUS[Contract.Status(contract.status)],
        "period": {
            "startDate": _day(contract.starts_on),
            "endDate": _day(contract.ends_on, end=True),
        },
        "value": _value(contract.amount),
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
            "milestones": [_milestone(milestone) for milestone in contract.milestones.all()],
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
            ],
        },
    }
    if amendments:
        data["amendments"] = amendments
    return data


def release_build(tender, *, key: str, tags: list[str], date: datetime.datetime) -> dict:
    """The release of a public tender's process in its current state, for the event `key`.

    Texts are written in the platform language whatever the request's language is."""
    ocid = ocid_for(tender.pk)
    with translation.override(settings.LANGUAGE_CODE):
        release = {
            "ocid": ocid,
            "id": release_id_for(ocid, key),
            "date": iso(date),
            "language": LANGUAGE,
            "tag": list(tags),
            "initiationType": "tender",
            "parties": _parties(tender),
            "buyer": _reference(tender.buyer),
            "planning": {
                "budget": {
                    "description": tender.funding_source or _("财政资金"),
                    "amount": _value(tender.budget),
                }
            },
            "tender": _tender_section(tender),
        }
        awards = _awards(tender)
        if awards:
            release["awards"] = awards
        contracts = [_contract(contract) for contract in _signed_contracts(tender)]
        if contracts:
            release["contracts"] = contracts
    return release


def current_tags(tender) -> list[str]:
    """Tags that describe everything a release of the current state carries (backfill)."""
    tags = ["tender"]
    if any(version.number > 1 for version in tender.versions.all()):
        tags.append("tenderAmendment")
    if tender.status == Tender.Status.CANCELLED:
        tags.append("tenderCancellation")
    elif tender.status == Tender.Status.FAILED:
        tags.append("tenderUpdate")
    awards = list(tender.awards.all())
    if any(award.status == Award.Status.NOTICE for award in awards):
        tags.append("award")
    if any(award.status == Award.Status.REVOKED for award in awards):
        tags.append("awardCancellation")
    contracts = _signed_contracts(tender)
    if contracts:
        tags.append("contract")
    if any(c.status in (Contract.Status.COMPLETED, Contract.Status.TERMINATED) for c in contracts):
        tags.append("contractTermination")
    if any(
        contract.payments.all()
        or any(MILESTONE_STATUS[m.status] == "met" for m in contract.milestones.all())
        for contract in contracts
    ):
        tags.append("implementation")
    return tags


# --- merging (compiled release) -----------------------------------------------------------


def _merge_value(current, update):
    if isinstance(update, dict) and isinstance(current, dict):
        return _merge_object(current, update)
    if (
        isinstance(update, list)
        and isinstance(current, list)
        and update
        and all(isinstance(item, dict) and "id" in item for item in update)
        and all(isinstance(item, dict) and "id" in item for item in current)
    ):
        return _merge_by_id(current, update)
    return json.loads(json.dumps(update))


def _merge_object(current: dict, update: dict) -> dict:
    merged = dict(current)
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        elif key in merged:
            merged[key] = _merge_value(merged[key], value)
        else:
            merged[key] = _merge_value(None, value)
    return merged


def _merge_by_id(current: list, update: list) -> list:
    merged = {str(item["id"]): item for item in current}
    for item in update:
        key = str(item["id"])
        merged[key] = _merge_value(merged[key], item) if key in merged else _merge_value(None, item)
    return list(merged.values())


def compile_releases(releases: list[dict]) -> dict:
    """The compiled release of one process under the OCDS merge rules: releases applied in
    date order, objects merged field by field, arrays of objects with an `id` merged by id,
    other arrays replaced, a null value removing its field; tag ["compiled"]."""
    ordered = sorted(releases, key=lambda release: release["date"])
    compiled: dict = {}
    for release in ordered:
        compiled = _merge_object(compiled, {k: v for k, v in release.items() if k != "tag"})
    if ordered:
        last = ordered[-1]
        compiled["id"] = f"{last['ocid']}-{last['date']}"
        compiled["date"] = last["date"]
    compiled["tag"] = ["compiled"]
    return compiled


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
    """A record package with the one record of `ocid`: its releases and compiled release."""
    package = _envelope(uri, published)
    package["packages"] = [_public_url(reverse("ocds_release_package"))]
    package["records"] = [
        {"ocid": ocid, "releases": releases, "compiledRelease": compile_releases(releases)}
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
