"""The terms of a contract as pure functions: the exact split of an amount into milestones
(the remainder to the last one), the default and longest term, the milestones' due dates,
and the canonical text whose SHA-256 is signed. No database writes; the services in
services/contracts.py use them, and property tests check the split."""

import calendar
import datetime
import hashlib
import json
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def milestone_amounts(total: Decimal, percentages: Sequence) -> list[Decimal]:
    """Split `total` (yuan, two decimals) by `percentages` (summing to 100) to the fen.

    Every part but the last is rounded down, so the last one takes the remainder and is never
    below its own share: the parts add up exactly to `total` and none is negative."""
    total = Decimal(total)
    shares = [Decimal(share) for share in percentages]
    if not shares:
        raise ValidationError(_("请至少设置一个付款节点。"), code="no_milestones")
    if any(share <= 0 for share in shares) or sum(shares) != HUNDRED:
        raise ValidationError(_("付款节点的比例必须都大于0，且合计为100。"), code="percentages")
    if total <= 0 or total != total.quantize(CENT):
        raise ValidationError(_("金额须大于0，最多保留两位小数。"), code="amount")
    parts = [(total * share / HUNDRED).quantize(CENT, rounding=ROUND_DOWN) for share in shares]
    parts[-1] = total - sum(parts[:-1], Decimal(0))
    return parts


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def term_latest_end(starts_on: datetime.date, months: int) -> datetime.date:
    """The last day of a term of `months` months starting on `starts_on`."""
    return _add_months(starts_on, months) - datetime.timedelta(days=1)


def term_default(award) -> tuple[datetime.date, datetime.date]:
    """The term the create form proposes: from the day after the notice period, for the
    tender's contract_months."""
    starts_on = timezone.localdate(award.notice_ends_at) + datetime.timedelta(days=1)
    return starts_on, term_latest_end(starts_on, award.tender.contract_months)


def due_dates(starts_on: datetime.date, ends_on: datetime.date, count: int) -> list[datetime.date]:
    """`count` due dates spread evenly over the term; the last one is the term's end."""
    days = (ends_on - starts_on).days
    return [starts_on + datetime.timedelta(days=days * (i + 1) // count) for i in range(count)]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def contract_terms(contract, milestones) -> dict:
    """The terms of a version as frozen JSON: parties, amount, term, content, milestones."""
    return {
        "reference": contract.reference,
        "tender": {"id": contract.tender_id, "title": contract.tender.title},
        "buyer": {
            "id": contract.buyer_id,
            "name": contract.buyer.name,
            "credit_code": contract.buyer.credit_code,
        },
        "organisation": {
            "id": contract.organisation_id,
            "name": contract.organisation.name,
            "credit_code": contract.organisation.credit_code,
        },
        "amount": str(contract.amount.amount),
        "currency": str(contract.amount.currency),
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "deliverables": contract.deliverables,
        "indicators": contract.indicators,
        "breach_terms": contract.breach_terms,
        "funding_source": contract.funding_source,
        "milestones": [
            {
                "position": m.position,
                "name": m.name,
                "percentage": str(m.percentage),
                "amount": str(m.amount.amount),
                "due_on": m.due_on.isoformat(),
                "status": m.status,
            }
            for m in milestones
        ],
    }


def contract_text(terms: dict, *, number: int, reason: str = "") -> str:
    """The canonical text of a version, rendered from its terms.

    Always in Chinese whatever the reader's language: the SHA-256 of exactly this text is
    what both sides sign, so it must not depend on translations."""
    lines = [
        "服务合同" + (f"（第{number}版·变更）" if number > 1 else ""),
        f"合同编号：{terms['reference']}",
        f"项目名称：{terms['tender']['title']}",
        f"甲方（购买主体）：{terms['buyer']['name']}（统一社会信用代码 {terms['buyer']['credit_code']}）",
        "乙方（承接主体）："
        f"{terms['organisation']['name']}（统一社会信用代码 {terms['organisation']['credit_code']}）",
        f"合同金额：{terms['currency']} {terms['amount']}",
        f"服务期限：{terms['starts_on']} 至 {terms['ends_on']}",
        f"资金来源：{terms['funding_source']}",
        "一、服务内容与交付成果",
        terms["deliverables"],
        "二、绩效指标",
    ]
    lines += [
        f"{i}. {row.get('name', '')}：{row.get('target', '')}{row.get('unit', '')}"
        for i, row in enumerate(terms["indicators"], start=1)
    ] or ["无"]
    lines.append("三、付款节点")
    lines += [
        f"{i}. {m['name']}：{m['percentage']}%，{terms['currency']} {m['amount']}，"
        f"计划完成日期 {m['due_on']}"
        for i, m in enumerate(terms["milestones"], start=1)
    ]
    lines += ["四、违约责任", terms["breach_terms"]]
    if reason:
        lines += ["五、变更理由", reason]
    # Canonical: one form of line endings, the terms' JSON appended sorted.
    body = "\n".join(line.replace("\r\n", "\n") for line in lines)
    frozen = json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"{body}\n\n条款数据：{frozen}\n"
