"""Award notices (中标公告)."""

import datetime

from ninja import Schema

from marketplace.api.schemas.common import (
    MoneyOut,
    PageBase,
    Ref,
    TenderRef,
    buyer_ref,
    money,
    organisation_ref,
    tender_ref,
)


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
