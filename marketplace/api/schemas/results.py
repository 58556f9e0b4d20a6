"""Project results (项目成果): published pages about completed contracts. The facts (parties,
amount, period, indicators, beneficiaries, ratings, residents' satisfaction) are read live
from the contract, as on the result page; the editors' summary and story come from the page.
Evaluations appear only as a summary of the visible ones, never their comments."""

import datetime
import html
import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import strip_tags
from ninja import Field, Schema

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
from marketplace.models import Rating

SCORE_PLACES = Decimal("0.01")
# Where rich text breaks a line: the end of a paragraph, heading or list item, or a <br>.
LINE_BREAKS = re.compile(r"</(?:p|h[1-6]|li|blockquote)>|<br\s*/?>", re.IGNORECASE)
STORY_DESCRIPTION = (
    "项目故事的纯文本：小标题、段落、引语依次排列，段落之间空一行；图片以其图注（无图注时为替代文字）"
    "代替。排版与图片请查看 `url` 指向的成果页面。"
)


class ContractRef(Schema):
    id: int
    reference: str
    url: str


class IndicatorOut(Schema):
    """A contract indicator: planned (合同) and achieved (验收通过的履约报告) values."""

    name: str
    unit: str
    target: str
    achieved: str = Field(description="尚无验收通过的数值时为空字符串")
    met: bool | None = Field(description="两者均为数字时是否达标，否则为 null")


class SideRatingOut(Schema):
    """One side's visible evaluations of this contract (comments are not published here)."""

    side: str
    side_label: str
    count: int = Field(description="计入统计的评价数")
    excluded_count: int = Field(description="申诉成立、不计入统计的评价数")
    score: str | None = Field(
        description="计入统计的评价各维度分数的平均值（1–5），无评价时为 null"
    )


class FeedbackOut(Schema):
    count: int
    mean: str | None = Field(description="居民满意度平均分（满分5分），无评价时为 null")


class ResultItem(Schema):
    id: int
    title: str
    summary: str
    contract: ContractRef
    buyer: Ref
    organisation: Ref
    amount: MoneyOut
    starts_on: datetime.date
    ends_on: datetime.date
    category: CodeName
    district: CodeName
    published_at: datetime.datetime | None
    url: str | None = Field(description="成果页面的公开地址")


class ResultDetail(ResultItem):
    beneficiaries: int = Field(description="服务人次（验收通过的履约报告合计）")
    indicators: list[IndicatorOut]
    ratings: list[SideRatingOut]
    resident_feedback: FeedbackOut
    story: str = Field(description=STORY_DESCRIPTION)
    updated_at: datetime.datetime = Field(description="合同、履约节点或评价的最近变更时间")


class ResultPage(PageBase):
    results: list[ResultItem]


def _page_url(request, page) -> str | None:
    url = page.get_url(request)
    return request.build_absolute_uri(url) if url else None


def result_item(request, page) -> dict:
    """A result page with its contract, tender and parties (result_pages_public loads them)."""
    contract = page.contract
    return {
        "id": page.pk,
        "title": page.title,
        "summary": page.summary,
        "contract": {
            "id": contract.pk,
            "reference": contract.reference,
            "url": absolute_url(request, "contract_public", contract.pk),
        },
        "buyer": buyer_ref(request, contract.buyer),
        "organisation": organisation_ref(request, contract.organisation),
        "amount": money(contract.amount),
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "category": code_name(contract.tender.category),
        "district": code_name(contract.tender.region),
        "published_at": page.first_published_at,
        "url": _page_url(request, page),
    }


def _mean(total, count) -> str | None:
    if not count:
        return None
    return str((Decimal(total) / count).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP))


def side_ratings(ratings) -> list[dict]:
    """Per side, the visible evaluations (scores prefetched): counted ones, excluded ones
    and the mean of the counted scores. A side nobody has evaluated yet is left out."""
    rows = []
    for side in Rating.Side:
        mine = [rating for rating in ratings if rating.side == side]
        if not mine:
            continue
        counted = [rating for rating in mine if rating.excluded_at is None]
        scores = [score.score for rating in counted for score in rating.scores.all()]
        rows.append(
            {
                "side": side.value,
                "side_label": str(side.label),
                "count": len(counted),
                "excluded_count": len(mine) - len(counted),
                "score": _mean(sum(scores), len(scores)),
            }
        )
    return rows


def story_text(stream) -> str:
    """The story as plain text from its stored blocks (no query, no image rendition)."""
    parts = []
    for block in stream.raw_data:
        value = block.get("value")
        if block.get("type") == "photo":
            text = (value or {}).get("caption") or (value or {}).get("alt") or ""
        elif block.get("type") == "paragraph":
            lines = html.unescape(strip_tags(LINE_BREAKS.sub("\n", value or ""))).splitlines()
            text = "\n".join(line.strip() for line in lines if line.strip())
        else:
            text = value if isinstance(value, str) else ""
        if text.strip():
            parts.append(text.strip())
    return "\n\n".join(parts)


def result_detail(request, page, *, facts) -> dict:
    return {
        **result_item(request, page),
        "beneficiaries": facts.beneficiaries,
        "indicators": [
            {
                "name": indicator.name,
                "unit": indicator.unit,
                "target": indicator.target,
                "achieved": indicator.achieved,
                "met": indicator.met,
            }
            for indicator in facts.indicators
        ],
        "ratings": side_ratings(facts.ratings),
        "resident_feedback": {
            "count": facts.feedback.count,
            "mean": None if facts.feedback.mean is None else str(facts.feedback.mean),
        },
        "story": story_text(page.story),
        "updated_at": facts.updated_at,
    }
