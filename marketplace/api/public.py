"""Public read endpoints (no token): tenders, awards, contracts, organisations and buyers,
read through the same selectors and visibility rules as the public pages — an anonymous
visitor's view. Nothing sealed: no bid, bid count or bidder before the opening."""

from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from djmoney.money import Money
from ninja import Query, Router

from marketplace.api import schemas
from marketplace.api.pagination import paginate
from marketplace.models import Category, Contract, Region, Tender
from marketplace.selectors.awards import award_list_public, award_notice_public
from marketplace.selectors.contracts import contract_list_public, contract_public_get
from marketplace.selectors.organisations import (
    organisation_get_for_user,
    organisation_list_public,
)
from marketplace.selectors.payments import buyer_punctuality, contract_balance
from marketplace.selectors.ratings import BUYER_TABLE_SORTS, buyer_table_public, rating_summary
from marketplace.selectors.tenders import (
    clarification_list_public,
    tender_documents_public,
    tender_get_for_user,
    tender_list_public,
)

router = Router(tags=["public"])

ERRORS = {404: schemas.ErrorOut, 422: schemas.ErrorOut, 429: schemas.ErrorOut}
TENDER_STATUSES = ["open", *(s.value for s in Tender.Status if s != Tender.Status.DRAFT)]


def _field_error(field, message, code):
    return ValidationError({field: ValidationError(message, code=code)})


def _category(code):
    if code is None:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise _field_error(
            "category", _("没有编码为 %(code)s 的服务类目。") % {"code": code}, "unknown"
        )
    return category


def _region(code, field="region"):
    if code is None:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise _field_error(field, _("没有代码为 %(code)s 的行政区划。") % {"code": code}, "unknown")
    return region


def _money(amount: Decimal | None):
    return Money(amount, "CNY") if amount is not None else None


def _choice(field, value, allowed):
    if value is not None and value not in allowed:
        raise _field_error(
            field,
            _("取值无效，可选：%(values)s。") % {"values": "、".join(allowed)},
            "invalid_choice",
        )
    return value


@router.get("/tenders/", response={200: schemas.TenderPage, **ERRORS}, url_name="api_tender_list")
def tender_list(
    request,
    page: int = Query(1, ge=1),
    page_size: int | None = Query(None, ge=1),
    category: str | None = Query(None, description="服务类目编码，含下级类目"),
    region: str | None = Query(None, description="行政区划代码，含下级地区"),
    method: str | None = Query(None),
    status: str | None = Query(None, description="open = 投标中（按时间判断）"),
    budget_min: Decimal | None = Query(None, ge=0),  # noqa: B008 - ninja declares parameters this way
    budget_max: Decimal | None = Query(None, ge=0),  # noqa: B008
    sort: str = Query("newest", description="newest | deadline"),
):
    """Published tenders (never drafts), newest first or by deadline."""
    tenders = tender_list_public(
        category=_category(category),
        region=_region(region),
        method=_choice("method", method, Tender.Method.values),
        status=_choice("status", status, TENDER_STATUSES),
        budget_min=_money(budget_min),
        budget_max=_money(budget_max),
        sort=_choice("sort", sort, ["newest", "deadline"]),
    )
    return paginate(
        request,
        tenders,
        page=page,
        page_size=page_size,
        serialize=lambda t: schemas.tender_item(request, t),
    )


@router.get(
    "/tenders/{tender_id}/",
    response={200: schemas.TenderDetail, **ERRORS},
    url_name="api_tender_detail",
)
def tender_detail(request, tender_id: int):
    """A published tender with its criteria, milestones, documents, answered questions and
    award notice (once there is one). Drafts are 404."""
    tender = tender_get_for_user(pk=tender_id, user=AnonymousUser())
    notice = award_notice_public(tender)
    return schemas.tender_detail(
        request,
        tender,
        documents=tender_documents_public(tender),
        clarifications=clarification_list_public(tender),
        awards=notice.awards if notice is not None else [],
    )


@router.get("/awards/", response={200: schemas.AwardPage, **ERRORS}, url_name="api_award_list")
def award_list(
    request,
    page: int = Query(1, ge=1),
    page_size: int | None = Query(None, ge=1),
    tender: int | None = Query(None),
    buyer: int | None = Query(None),
    organisation: int | None = Query(None),
):
    """Award notices (standing and revoked), newest first."""
    awards = award_list_public()
    if tender is not None:
        awards = awards.filter(tender_id=tender)
    if buyer is not None:
        awards = awards.filter(tender__buyer_id=buyer)
    if organisation is not None:
        awards = awards.filter(bid__organisation_id=organisation)
    return paginate(
        request,
        awards,
        page=page,
        page_size=page_size,
        serialize=lambda a: schemas.award_out(request, a),
    )


@router.get(
    "/awards/{award_id}/", response={200: schemas.AwardOut, **ERRORS}, url_name="api_award_detail"
)
def award_detail(request, award_id: int):
    return schemas.award_out(request, get_object_or_404(award_list_public(), pk=award_id))


@router.get(
    "/contracts/", response={200: schemas.ContractPage, **ERRORS}, url_name="api_contract_list"
)
def contract_list(
    request,
    page: int = Query(1, ge=1),
    page_size: int | None = Query(None, ge=1),
    buyer: int | None = Query(None),
    organisation: int | None = Query(None),
    status: str | None = Query(None),
):
    """Contracts signed by both sides, newest signature first (public fields only)."""
    allowed = [s for s in Contract.Status.values if s != Contract.Status.DRAFT]
    contracts = contract_list_public(
        buyer=buyer, organisation=organisation, status=_choice("status", status, allowed)
    )
    return paginate(
        request,
        contracts,
        page=page,
        page_size=page_size,
        serialize=lambda c: schemas.contract_item(request, c),
    )


@router.get(
    "/contracts/{contract_id}/",
    response={200: schemas.ContractDetail, **ERRORS},
    url_name="api_contract_detail",
)
def contract_detail(request, contract_id: int):
    """The public part of a signed contract: parties, amount, term, milestones, paid so far."""
    contract = contract_public_get(pk=contract_id)
    return schemas.contract_detail(request, contract, balance=contract_balance(contract))


@router.get(
    "/organisations/",
    response={200: schemas.OrganisationPage, **ERRORS},
    url_name="api_organisation_list",
)
def organisation_list(
    request,
    page: int = Query(1, ge=1),
    page_size: int | None = Query(None, ge=1),
    district: str | None = Query(None, description="行政区划代码"),
    category: str | None = Query(None, description="服务类目编码"),
    min_rating: int | None = Query(None, ge=1, le=5, description="最低有效评估等级（1–5）"),
):
    """Verified organisations of the public directory, by name."""
    organisations = organisation_list_public(
        district=_region(district, "district"), category=_category(category), min_rating=min_rating
    )
    return paginate(
        request,
        organisations,
        page=page,
        page_size=page_size,
        serialize=lambda o: schemas.organisation_item(request, o),
    )


@router.get(
    "/organisations/{organisation_id}/",
    response={200: schemas.OrganisationDetail, **ERRORS},
    url_name="api_organisation_detail",
)
def organisation_detail(request, organisation_id: int):
    """A verified organisation's public profile (others are 404)."""
    organisation = organisation_get_for_user(pk=organisation_id, user=AnonymousUser())
    return schemas.organisation_detail(
        request, organisation, rating=rating_summary(organisation=organisation)
    )


@router.get("/buyers/", response={200: schemas.BuyerPage, **ERRORS}, url_name="api_buyer_list")
def buyer_list(
    request,
    page: int = Query(1, ge=1),
    page_size: int | None = Query(None, ge=1),
    region: str | None = Query(None, description="行政区划代码，含下级地区"),
    sort: str = Query("name", description="name | punctuality | rating"),
):
    """Buyers (购买主体) with payment punctuality and overall rating, by name or best first."""
    buyers = buyer_table_public(
        region=_region(region), sort=_choice("sort", sort, list(BUYER_TABLE_SORTS))
    ).select_related("parent")
    return paginate(
        request,
        buyers,
        page=page,
        page_size=page_size,
        serialize=lambda b: schemas.buyer_item(request, b),
    )


@router.get(
    "/buyers/{buyer_id}/",
    response={200: schemas.BuyerDetail, **ERRORS},
    url_name="api_buyer_detail",
)
def buyer_detail(request, buyer_id: int):
    """A buyer with its measured payment punctuality (as on its profile page)."""
    buyer = get_object_or_404(buyer_table_public().select_related("parent"), pk=buyer_id)
    return schemas.buyer_detail(
        request,
        buyer,
        punctuality=buyer_punctuality(buyer),
        rating=rating_summary(buyer=buyer),
    )
