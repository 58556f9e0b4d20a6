"""Public read endpoints (no token): tenders, awards, contracts, organisations and buyers,
read through the same selectors and visibility rules as the public pages — an anonymous
visitor's view. Nothing sealed: no bid, bid count or bidder before the opening."""

from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from marketplace.api import schemas
from marketplace.api.errors import responses
from marketplace.api.pagination import PageQuery, paginate
from marketplace.api.params import category_param, choice_param, money_param, region_param
from marketplace.models import Contract, Tender
from marketplace.selectors.awards import award_list_public, award_notice_public
from marketplace.selectors.contracts import contract_list_public, contract_public_get
from marketplace.selectors.organisations import (
    organisation_get_for_user,
    organisation_list_public,
)
from marketplace.selectors.payments import buyer_punctuality, contract_balance
from marketplace.selectors.ratings import (
    BUYER_TABLE_SORTS,
    buyer_table_public,
    rating_summary,
    with_overall_rating,
)
from marketplace.selectors.tenders import (
    clarification_list_public,
    tender_documents_public,
    tender_get_for_user,
    tender_list_public,
)

router = Router(tags=["public"])

TENDER_STATUSES = ["open", *(s.value for s in Tender.Status if s != Tender.Status.DRAFT)]


@router.get("/tenders/", response=responses(schemas.TenderPage), url_name="api_tender_list")
def tender_list(
    request,
    pages: Query[PageQuery],
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
        category=category_param(category),
        region=region_param(region),
        method=choice_param("method", method, Tender.Method.values),
        status=choice_param("status", status, TENDER_STATUSES),
        budget_min=money_param(budget_min),
        budget_max=money_param(budget_max),
        sort=choice_param("sort", sort, ["newest", "deadline"]),
    )
    return paginate(request, tenders, pages, schemas.tender_item)


@router.get(
    "/tenders/{tender_id}/", response=responses(schemas.TenderDetail), url_name="api_tender_detail"
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


@router.get("/awards/", response=responses(schemas.AwardPage), url_name="api_award_list")
def award_list(
    request,
    pages: Query[PageQuery],
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
    return paginate(request, awards, pages, schemas.award_out)


@router.get(
    "/awards/{award_id}/", response=responses(schemas.AwardOut), url_name="api_award_detail"
)
def award_detail(request, award_id: int):
    return schemas.award_out(request, get_object_or_404(award_list_public(), pk=award_id))


@router.get("/contracts/", response=responses(schemas.ContractPage), url_name="api_contract_list")
def contract_list(
    request,
    pages: Query[PageQuery],
    buyer: int | None = Query(None),
    organisation: int | None = Query(None),
    status: str | None = Query(None),
):
    """Contracts signed by both sides, newest signature first (public fields only)."""
    allowed = [s for s in Contract.Status.values if s != Contract.Status.DRAFT]
    contracts = contract_list_public(
        buyer=buyer, organisation=organisation, status=choice_param("status", status, allowed)
    )
    return paginate(request, contracts, pages, schemas.contract_item)


@router.get(
    "/contracts/{contract_id}/",
    response=responses(schemas.ContractDetail),
    url_name="api_contract_detail",
)
def contract_detail(request, contract_id: int):
    """The public part of a signed contract: parties, amount, term, milestones, paid so far."""
    contract = contract_public_get(pk=contract_id)
    return schemas.contract_detail(request, contract, balance=contract_balance(contract))


@router.get(
    "/organisations/",
    response=responses(schemas.OrganisationPage),
    url_name="api_organisation_list",
)
def organisation_list(
    request,
    pages: Query[PageQuery],
    district: str | None = Query(None, description="行政区划代码"),
    category: str | None = Query(None, description="服务类目编码"),
    min_rating: int | None = Query(None, ge=1, le=5, description="最低有效评估等级（1–5）"),
):
    """Verified organisations of the public directory, by name, each with its overall
    two-way evaluation score and count."""
    organisations = organisation_list_public(
        district=region_param(district, "district"),
        category=category_param(category),
        min_rating=min_rating,
    )
    return paginate(
        request,
        with_overall_rating(organisations, subject="organisation"),
        pages,
        schemas.organisation_item,
    )


@router.get(
    "/organisations/{organisation_id}/",
    response=responses(schemas.OrganisationDetail),
    url_name="api_organisation_detail",
)
def organisation_detail(request, organisation_id: int):
    """A verified organisation's public profile (others are 404)."""
    organisation = organisation_get_for_user(pk=organisation_id, user=AnonymousUser())
    return schemas.organisation_detail(
        request, organisation, rating=rating_summary(organisation=organisation)
    )


@router.get("/buyers/", response=responses(schemas.BuyerPage), url_name="api_buyer_list")
def buyer_list(
    request,
    pages: Query[PageQuery],
    region: str | None = Query(None, description="行政区划代码，含下级地区"),
    sort: str = Query("name", description="name | punctuality | rating"),
):
    """Buyers (购买主体) with payment punctuality and overall rating, by name or best first."""
    buyers = buyer_table_public(
        region=region_param(region), sort=choice_param("sort", sort, list(BUYER_TABLE_SORTS))
    ).select_related("parent")
    return paginate(request, buyers, pages, schemas.buyer_item)


@router.get(
    "/buyers/{buyer_id}/", response=responses(schemas.BuyerDetail), url_name="api_buyer_detail"
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
