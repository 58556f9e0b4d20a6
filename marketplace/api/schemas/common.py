"""Pieces every area's schemas share: money, code/name pairs, references to other objects
with their public page URL, the rating figure, the page envelope and the error body."""

from django.urls import reverse
from ninja import Schema


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


class PageBase(Schema):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[dict]] | None = None


class ErrorOut(Schema):
    """Every error: {"error": {"code", "message", "fields"?}}."""

    error: ErrorDetail


def rating_out(score, count) -> dict:
    return {"score": None if score is None else f"{score:.2f}", "count": count or 0}


def money(value) -> dict | None:
    if value is None:
        return None
    return {"amount": f"{value.amount:.2f}", "currency": str(value.currency)}


def absolute_url(request, name, pk) -> str:
    """The absolute URL of a public page (by URL name and primary key)."""
    return request.build_absolute_uri(reverse(name, args=[pk]))


def code_name(obj) -> dict:
    return {"code": obj.code, "name": obj.name}


def buyer_ref(request, buyer) -> dict:
    return {
        "id": buyer.pk,
        "name": buyer.name,
        "url": absolute_url(request, "buyer_detail", buyer.pk),
    }


def organisation_ref(request, organisation) -> dict:
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "url": absolute_url(request, "organisation_detail", organisation.pk),
    }


def tender_ref(request, tender) -> dict:
    return {
        "id": tender.pk,
        "reference": tender.reference,
        "title": tender.title,
        "url": absolute_url(request, "tender_detail", tender.pk),
    }
