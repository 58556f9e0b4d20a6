"""Tenders (服务项目): list rows and the detail with criteria, documents, answered
questions and the award notice."""

import datetime

from ninja import Schema

from marketplace.api.schemas.common import (
    CodeName,
    MoneyOut,
    PageBase,
    Ref,
    absolute_url,
    buyer_ref,
    code_name,
    money,
    organisation_ref,
)
from marketplace.models import Tender


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
        "url": absolute_url(request, "tender_detail", tender.pk),
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
                "url": absolute_url(request, "tender_document_download", d.pk),
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
