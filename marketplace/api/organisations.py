"""Token endpoints for an organisation's own systems. The token acts as its member for its
organisation only; the services used by the web forms decide (bid_submit, bid_withdraw,
milestone_report_submit) with their own permission checks, deadlines and rules. Bids and
milestones of other organisations are 404, as on the web."""

import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from djmoney.money import Money
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from marketplace.api import schemas
from marketplace.api.auth import token_auth
from marketplace.api.errors import TOKEN_ERRORS, responses
from marketplace.api.pagination import PageQuery, paginate
from marketplace.models import Milestone
from marketplace.selectors.bids import bid_get_for_user, bid_list_for_user
from marketplace.selectors.contracts import contracts_for_organisation
from marketplace.selectors.delivery import milestone_get_for_report
from marketplace.selectors.tenders import tender_get_for_user
from marketplace.services.bids import bid_submit, bid_withdraw
from marketplace.services.delivery import milestone_report_submit

router = Router(tags=["organisation"], auth=token_auth)


class BidIn(Schema):
    amount: Decimal
    currency: str = "CNY"
    service_plan: str
    team: str
    outputs: str
    beneficiaries: str


class MilestoneReportIn(Schema):
    narrative: str
    beneficiaries: int
    indicator_values: str = "{}"


def _own_bid(request, bid_id):
    """A bid of the token's organisation (404 for any other, sealed or not)."""
    bid = bid_get_for_user(pk=bid_id, user=request.auth.user)
    if bid.organisation_id != request.auth.organisation_id:
        raise Http404
    return bid


@router.get("/me/", response=responses(schemas.TokenInfo, errors=TOKEN_ERRORS), url_name="api_me")
def me(request):
    """Who the token acts as."""
    token = request.auth
    return {
        "organisation": schemas.organisation_ref(request, token.organisation),
        "user": str(token.user),
        "token_name": token.name,
        "prefix": token.prefix,
    }


@router.get(
    "/my/bids/",
    response=responses(schemas.OwnBidPage, errors=TOKEN_ERRORS),
    url_name="api_own_bids",
)
def own_bids(request, pages: Query[PageQuery], tender: int | None = Query(None)):
    """The organisation's bids in any status, newest first, with their content."""
    bids = (
        bid_list_for_user(request.auth.user, tender=tender)
        .filter(organisation_id=request.auth.organisation_id)
        .prefetch_related("documents")
    )
    return paginate(request, bids, pages, schemas.own_bid)


@router.post(
    "/tenders/{tender_id}/bids/",
    response=responses(schemas.OwnBidOut, status=201, errors=TOKEN_ERRORS),
    url_name="api_bid_submit",
)
def bid_create(
    request,
    tender_id: int,
    payload: Form[BidIn],
    documents: File[list[UploadedFile]] = None,
):
    """Submit a sealed bid as the token's organisation (multipart/form-data; files in
    `documents`). A second submission replaces the live bid, as on the web form. Codes:
    bidding_closed, not_eligible, over_budget, over_cap, currency, required, …"""
    token = request.auth
    tender = tender_get_for_user(pk=tender_id, user=token.user)
    try:
        amount = Money(payload.amount, payload.currency.strip().upper())
    except Exception as error:  # an unknown currency code: moneyed refuses it
        raise ValidationError(
            {"currency": ValidationError(_("币种无效。"), code="currency")}
        ) from error
    bid = bid_submit(
        tender=tender,
        organisation=token.organisation,
        by=token.user,
        amount=amount,
        documents=documents or (),
        service_plan=payload.service_plan,
        team=payload.team,
        outputs=payload.outputs,
        beneficiaries=payload.beneficiaries,
    )
    return Status(201, schemas.own_bid(request, _own_bid(request, bid.pk)))


@router.post(
    "/bids/{bid_id}/withdraw/",
    response=responses(schemas.OwnBidOut, errors=TOKEN_ERRORS),
    url_name="api_bid_withdraw",
)
def bid_withdraw_endpoint(request, bid_id: int):
    """Withdraw the organisation's live bid before the deadline (code bidding_closed after)."""
    bid = _own_bid(request, bid_id)
    bid_withdraw(bid=bid, by=request.auth.user)
    return schemas.own_bid(request, _own_bid(request, bid_id))


@router.get(
    "/my/contracts/",
    response=responses(schemas.OwnContractPage, errors=TOKEN_ERRORS),
    url_name="api_own_contracts",
)
def own_contracts(request, pages: Query[PageQuery]):
    """The organisation's contracts (drafts too), newest first, with their milestones."""
    token = request.auth
    contracts = contracts_for_organisation(token.organisation, token.user).prefetch_related(
        "milestones"
    )
    return paginate(request, contracts, pages, schemas.own_contract)


@router.post(
    "/milestones/{milestone_id}/reports/",
    response=responses(schemas.MilestoneReportOut, status=201, errors=TOKEN_ERRORS),
    url_name="api_milestone_report_submit",
)
def milestone_report_create(
    request,
    milestone_id: int,
    payload: Form[MilestoneReportIn],
    files: File[list[UploadedFile]] = None,
):
    """Submit a milestone report (履约报告) as the token's organisation (multipart/form-data;
    `indicator_values` a JSON object {indicator name: achieved value}; evidence in `files`).
    Codes: contract_not_active, wrong_status, indicator_required, unknown_indicator, …"""
    token = request.auth
    milestone = milestone_get_for_report(pk=milestone_id, user=token.user)
    if milestone.contract.organisation_id != token.organisation_id:
        raise Http404
    try:
        indicator_values = json.loads(payload.indicator_values or "{}")
    except ValueError as error:
        raise ValidationError(
            {"indicator_values": ValidationError(_("指标完成值须为 JSON 对象。"), code="invalid")}
        ) from error
    report = milestone_report_submit(
        milestone=milestone,
        by=token.user,
        narrative=payload.narrative,
        indicator_values=indicator_values,
        beneficiaries=payload.beneficiaries,
        files=files or (),
    )
    report.milestone = Milestone.objects.get(pk=milestone.pk)
    return Status(201, schemas.milestone_report_out(report))
