"""The public directories: verified organisations (社会组织) and buyers (购买主体), each with
its revealed two-way evaluation figure."""

import datetime

from ninja import Schema

from marketplace.api.schemas.common import (
    CodeName,
    PageBase,
    RatingOut,
    Ref,
    absolute_url,
    buyer_ref,
    code_name,
    rating_out,
)


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
    rating: RatingOut


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


class OrganisationPage(PageBase):
    results: list[OrganisationItem]


def _organisation_fields(request, organisation) -> dict:
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
        "url": absolute_url(request, "organisation_detail", organisation.pk),
    }


def organisation_item(request, organisation) -> dict:
    """A directory row: the rating comes annotated (`rating_score`, `rating_count`), in bulk."""
    return {
        **_organisation_fields(request, organisation),
        "rating": rating_out(organisation.rating_score, organisation.rating_count),
    }


def organisation_detail(request, organisation, *, rating) -> dict:
    """The fields of the public profile page, contact details included (the page shows them)."""
    return {
        **_organisation_fields(request, organisation),
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
        "url": absolute_url(request, "buyer_detail", buyer.pk),
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
