"""What the API returns, as schemas (for validation and the OpenAPI document) and the
functions that turn model rows into them. Only public fields, as on the public pages;
money as {"amount": "123.45", "currency": "CNY"}, never a float; labels in the request's
language next to the codes."""

import datetime

from django.urls import reverse
from ninja import Schema

from marketplace.models import Tender

# --- shared pieces ---------------------------------------------------------------------


class MoneyOut(Schema):
    amount: str
    currency: str


class CodeName(Schema):
    code: str
    name: str


class Ref(Schema):
    id: int
    name: str
    url: str


class TenderRef(Schema):
    id: int
    reference: str
    title: str
    url: str


class RatingOut(Schema):
    """The overall two-way evaluation score (Bayesian average, 1–5) and how many count."""

    score: str | None
    count: int


def rating_out(score, count) -> dict:
    return {"score": None if score is None else f"{score:.2f}", "count": count or 0}


class PageBase(Schema):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


def money(value) -> dict | None:
    if value is None:
        return None
    return {"amount": f"{value.amount:.2f}", "currency": str(value.currency)}


def _url(request, name, pk) -> str:
    return request.build_absolute_uri(reverse(name, args=[pk]))


def code_name(obj) -> dict:
    return {"code": obj.code, "name": obj.name}


def buyer_ref(request, buyer) -> dict:
    return {"id": buyer.pk, "name": buyer.name, "url": _url(request, "buyer_detail", buyer.pk)}


def organisation_ref(request, organisation) -> dict:
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "url": _url(request, "organisation_detail", organisation.pk),
    }


def tender_ref(request, tender) -> dict:
    return {
        "id": tender.pk,
        "reference": tender.reference,
        "title": tender.title,
        "url": _url(request, "tender_detail", tender.pk),
    }


# --- tenders ---------------------------------------------------------------------------


class CriterionOut(Schema):
    name: str
    weight: int
    is_price: bool


class TenderMilestoneOut(Schema):
    name: str
    percentage: int


class DocumentOut(Schema):
    title: str
    size: int
    sha256: str
    url: str


class ClarificationOut(Schema):
    question: str
    answer: str
    answered_at: datetime.datetime


class TenderAwardOut(Schema):
    id: int
    organisation: Ref
    amount: MoneyOut
    rank: int
    status: str
    status_label: str


class TenderItem(Schema):
    id: int
    reference: str
    title: str
    buyer: Ref
    category: CodeName
    region: CodeName
    method: str
    method_label: str
    status: str
    status_label: str
    bidding_open: bool
    budget: MoneyOut
    project_cap: MoneyOut | None
    clarification_deadline: datetime.datetime
    bid_deadline: datetime.datetime
    opening_at: datetime.datetime
    published_at: datetime.datetime | None
    url: str


class TenderDetail(TenderItem):
    description: str
    funding_source: str
    version: int
    min_rating_level: int | None
    min_years_registered: int
    contract_months: int
    continuous_service: bool
    invited: list[Ref]
    criteria: list[CriterionOut]
    milestones: list[TenderMilestoneOut]
    documents: list[DocumentOut]
    clarifications: list[ClarificationOut]
    awards: list[TenderAwardOut]


class TenderPage(PageBase):
    results: list[TenderItem]


def public_status(tender) -> str:
    """The status as the public sees it: a published tender past its deadline is closed,
    whether or not the closing job has run (as Tender.status_label)."""
    if tender.status == Tender.Status.PUBLISHED and not tender.bidding_open:
        return Tender.Status.CLOSED.value
    return tender.status


def tender_item(request, tender) -> dict:
    return {
        "id": tender.pk,
        "reference": tender.reference,
        "title": tender.title,
        "buyer": buyer_ref(request, tender.buyer),
        "category": code_name(tender.category),
        "region": code_name(tender.region),
        "method": tender.method,
        "method_label": str(tender.method_label),
        "status": public_status(tender),
        "status_label": str(tender.status_label),
        "bidding_open": tender.bidding_open,
        "budget": money(tender.budget),
        "project_cap": money(tender.project_cap),
        "clarification_deadline": tender.clarification_deadline,
        "bid_deadline": tender.bid_deadline,
        "opening_at": tender.opening_at,
        "published_at": tender.published_at,
        "url": _url(request, "tender_detail", tender.pk),
    }


def tender_detail(request, tender, *, documents, clarifications, awards) -> dict:
    invited = tender.invited.order_by("name") if tender.needs_invitation else []
    return {
        **tender_item(request, tender),
        "description": tender.description,
        "funding_source": tender.funding_source,
        "version": tender.version,
        "min_rating_level": tender.min_rating_level,
        "min_years_registered": tender.min_years_registered,
        "contract_months": tender.contract_months,
        "continuous_service": tender.continuous_service,
        "invited": [organisation_ref(request, o) for o in invited],
        "criteria": [
            {"name": c.name, "weight": c.weight, "is_price": c.is_price}
            for c in tender.criteria.all()
        ],
        "milestones": [
            {"name": m.name, "percentage": m.percentage} for m in tender.milestones.all()
        ],
        "documents": [
            {
                "title": d.title,
                "size": d.size,
                "sha256": d.sha256,
                "url": _url(request, "tender_document_download", d.pk),
            }
            for d in documents
        ],
        "clarifications": [
            {"question": c.question, "answer": c.answer, "answered_at": c.answered_at}
            for c in clarifications
        ],
        "awards": [
            {
                "id": a.pk,
                "organisation": organisation_ref(request, a.bid.organisation),
                "amount": money(a.amount),
                "rank": a.rank,
                "status": a.status,
                "status_label": str(a.get_status_display()),
            }
            for a in awards
        ],
    }


# --- awards ----------------------------------------------------------------------------


class AwardOut(Schema):
    id: int
    tender: TenderRef
    buyer: Ref
    organisation: Ref
    amount: MoneyOut
    rank: int
    total_score: str
    status: str
    status_label: str
    published_at: datetime.datetime
    notice_ends_at: datetime.datetime


class AwardPage(PageBase):
    results: list[AwardOut]


def award_out(request, award) -> dict:
    return {
        "id": award.pk,
        "tender": tender_ref(request, award.tender),
        "buyer": buyer_ref(request, award.tender.buyer),
        "organisation": organisation_ref(request, award.bid.organisation),
        "amount": money(award.amount),
        "rank": award.rank,
        "total_score": f"{award.total_score:.2f}",
        "status": award.status,
        "status_label": str(award.get_status_display()),
        "published_at": award.published_at,
        "notice_ends_at": award.notice_ends_at,
    }


# --- contracts -------------------------------------------------------------------------


class ContractMilestoneOut(Schema):
    id: int
    name: str
    amount: MoneyOut
    due_on: datetime.date
    status: str
    status_label: str
    accepted_at: datetime.datetime | None
    paid_at: datetime.datetime | None


class ContractItem(Schema):
    id: int
    reference: str
    tender: TenderRef
    buyer: Ref
    organisation: Ref
    amount: MoneyOut
    starts_on: datetime.date
    ends_on: datetime.date
    signed_at: datetime.datetime | None
    status: str
    status_label: str
    url: str


class ContractDetail(ContractItem):
    milestones: list[ContractMilestoneOut]
    paid: MoneyOut
    refunded: MoneyOut


class ContractPage(PageBase):
    results: list[ContractItem]


def contract_item(request, contract) -> dict:
    return {
        "id": contract.pk,
        "reference": contract.reference,
        "tender": tender_ref(request, contract.tender),
        "buyer": buyer_ref(request, contract.buyer),
        "organisation": organisation_ref(request, contract.organisation),
        "amount": money(contract.amount),
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "signed_at": contract.signed_at,
        "status": contract.status,
        "status_label": str(contract.get_status_display()),
        "url": _url(request, "contract_public", contract.pk),
    }


def milestone_out(milestone) -> dict:
    return {
        "id": milestone.pk,
        "name": milestone.name,
        "amount": money(milestone.amount),
        "due_on": milestone.due_on,
        "status": milestone.status,
        "status_label": str(milestone.get_status_display()),
        "accepted_at": milestone.accepted_at,
        "paid_at": milestone.paid_at,
    }


def contract_detail(request, contract, *, balance) -> dict:
    return {
        **contract_item(request, contract),
        "milestones": [milestone_out(m) for m in contract.milestones.all()],
        "paid": money(balance["paid"]),
        "refunded": money(balance["refunded"]),
    }


# --- organisations and buyers ----------------------------------------------------------


class OrganisationItem(Schema):
    id: int
    name: str
    type: str
    type_label: str
    rating_level: int | None
    rating_current: bool
    rating_expires_on: datetime.date | None
    credit_status: str
    credit_status_label: str
    districts: list[CodeName]
    categories: list[CodeName]
    url: str


class OrganisationDetail(OrganisationItem):
    credit_code: str
    registration_authority: str
    registered_on: datetime.date
    rating_evaluated_on: datetime.date | None
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    description: str
    logo_url: str | None
    rating: RatingOut


class OrganisationPage(PageBase):
    results: list[OrganisationItem]


def organisation_item(request, organisation) -> dict:
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "type": organisation.type,
        "type_label": str(organisation.get_type_display()),
        "rating_level": organisation.rating_level,
        "rating_current": organisation.rating_is_current,
        "rating_expires_on": organisation.rating_expires_on,
        "credit_status": organisation.credit_status,
        "credit_status_label": str(organisation.get_credit_status_display()),
        "districts": [code_name(r) for r in organisation.districts.all()],
        "categories": [code_name(c) for c in organisation.categories.all()],
        "url": _url(request, "organisation_detail", organisation.pk),
    }


def organisation_detail(request, organisation, *, rating) -> dict:
    """The fields of the public profile page, contact details included (the page shows them)."""
    return {
        **organisation_item(request, organisation),
        "credit_code": organisation.credit_code,
        "registration_authority": organisation.registration_authority,
        "registered_on": organisation.registered_on,
        "rating_evaluated_on": organisation.rating_evaluated_on,
        "address": organisation.address,
        "contact_name": organisation.contact_name,
        "contact_phone": organisation.contact_phone,
        "contact_email": organisation.contact_email,
        "description": organisation.description,
        "rating": rating_out(rating.overall.score, rating.overall.count),
        "logo_url": request.build_absolute_uri(organisation.logo.url)
        if organisation.logo
        else None,
    }


class PunctualityOut(Schema):
    paid_count: int
    median_days: float | None
    on_time_percent: int | None
    late_count: int
    overdue_now: int


class BuyerItem(Schema):
    id: int
    name: str
    level: str
    level_label: str
    region: CodeName
    parent: Ref | None
    url: str
    paid_count: int
    on_time_percent: int | None
    rating: RatingOut


class BuyerDetail(BuyerItem):
    credit_code: str
    address: str
    contact_phone: str
    description: str
    punctuality: PunctualityOut
    rating: RatingOut


class BuyerPage(PageBase):
    results: list[BuyerItem]


def buyer_item(request, buyer) -> dict:
    """A row of buyer_table_public: punctuality and rating come annotated, in bulk."""
    share = buyer.on_time_share
    return {
        "id": buyer.pk,
        "name": buyer.name,
        "level": buyer.level,
        "level_label": str(buyer.get_level_display()),
        "region": code_name(buyer.region),
        "parent": buyer_ref(request, buyer.parent) if buyer.parent else None,
        "url": _url(request, "buyer_detail", buyer.pk),
        "paid_count": buyer.paid_count,
        "on_time_percent": None if share is None else round(share * 100),
        "rating": rating_out(buyer.rating_score, buyer.rating_count),
    }


def buyer_detail(request, buyer, *, punctuality, rating) -> dict:
    return {
        **buyer_item(request, buyer),
        "rating": rating_out(rating.overall.score, rating.overall.count),
        "credit_code": buyer.credit_code,
        "address": buyer.address,
        "contact_phone": buyer.contact_phone,
        "description": buyer.description,
        "punctuality": {
            "paid_count": punctuality.paid_count,
            "median_days": punctuality.median_days,
            "on_time_percent": punctuality.on_time_percent,
            "late_count": punctuality.late_count,
            "overdue_now": punctuality.overdue_now,
        },
    }


# --- an organisation's own (token) -----------------------------------------------------


class TokenInfo(Schema):
    organisation: Ref
    user: str
    token_name: str
    prefix: str


class OwnDocumentOut(Schema):
    title: str
    size: int
    sha256: str


class OwnBidOut(Schema):
    id: int
    tender: TenderRef
    status: str
    status_label: str
    amount: MoneyOut
    service_plan: str
    team: str
    outputs: str
    beneficiaries: str
    tender_version: int
    needs_reconfirmation: bool
    submitted_at: datetime.datetime
    receipt_hash: str
    documents: list[OwnDocumentOut]


class OwnBidPage(PageBase):
    results: list[OwnBidOut]


class OwnContractOut(ContractItem):
    milestones: list[ContractMilestoneOut]


class OwnContractPage(PageBase):
    results: list[OwnContractOut]


class MilestoneReportOut(Schema):
    id: int
    milestone: ContractMilestoneOut
    status: str
    status_label: str
    narrative: str
    indicator_values: dict[str, str]
    beneficiaries: int
    submitted_at: datetime.datetime
    documents: list[OwnDocumentOut]


def _documents(documents) -> list[dict]:
    return [{"title": d.title, "size": d.size, "sha256": d.sha256} for d in documents]


def own_bid(request, bid) -> dict:
    return {
        "id": bid.pk,
        "tender": tender_ref(request, bid.tender),
        "status": bid.status,
        "status_label": str(bid.get_status_display()),
        "amount": money(bid.amount),
        "service_plan": bid.service_plan,
        "team": bid.team,
        "outputs": bid.outputs,
        "beneficiaries": bid.beneficiaries,
        "tender_version": bid.tender_version,
        "needs_reconfirmation": bid.needs_reconfirmation,
        "submitted_at": bid.submitted_at,
        "receipt_hash": bid.receipt_hash,
        "documents": _documents(bid.documents.all()),
    }


def own_contract(request, contract) -> dict:
    return {
        **contract_item(request, contract),
        "milestones": [milestone_out(m) for m in contract.milestones.all()],
    }


def milestone_report_out(report) -> dict:
    return {
        "id": report.pk,
        "milestone": milestone_out(report.milestone),
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "narrative": report.narrative,
        "indicator_values": report.indicator_values,
        "beneficiaries": report.beneficiaries,
        "submitted_at": report.submitted_at,
        "documents": _documents(report.documents.all()),
    }


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[dict]] | None = None


class ErrorOut(Schema):
    """Every error: {"error": {"code", "message", "fields"?}}."""

    error: ErrorDetail
