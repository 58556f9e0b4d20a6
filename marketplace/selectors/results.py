"""Reading what the public portal shows of completed work (项目成果): a completed contract's
facts for its result page (parties, amount, period, milestones, indicators planned vs
achieved, beneficiaries, the visible two-way ratings, residents' satisfaction), the contracts
a results list is filtered to, and the front page's figures (tenders closing soon, money
contracted this year, top-rated organisations). The portal (cms/) reads marketplace data
only through these and the other selectors."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    Category,
    Contract,
    Milestone,
    MilestoneReport,
    Organisation,
    RatingSummary,
    Region,
    Tender,
)
from marketplace.models.ratings import OVERALL
from marketplace.selectors.catalogue import region_code_prefix
from marketplace.selectors.feedback import FeedbackSummary, resident_feedback_summary
from marketplace.selectors.ratings import ratings_public_for_contract
from marketplace.selectors.stats import contracted_by_year
from marketplace.selectors.tenders import tender_list_public

SUMMARY_MAX_LENGTH = 1000  # ResultPage.summary
CLOSING_SOON_LIMIT = 5
TOP_RATED_LIMIT = 5
# An organisation is listed among the top rated only with this many counted evaluations:
# the Bayesian score already pulls small counts towards the mean, this keeps a single
# evaluation from putting a newcomer on the front page.
TOP_RATED_MIN_COUNT = 3


@dataclass(frozen=True)
class IndicatorResult:
    name: str
    unit: str
    target: str
    achieved: str  # "" until an accepted report gives a value
    met: bool | None  # both numbers and achieved >= target; None when not comparable


@dataclass(frozen=True)
class ResultFacts:
    contract: Contract  # with tender (category, region), buyer and organisation
    milestones: list[Milestone]
    indicators: list[IndicatorResult]
    beneficiaries: int  # 服务人次 over the accepted reports
    ratings: list  # visible Rating rows with scores, round and appeal
    feedback: FeedbackSummary
    updated_at: datetime.datetime  # latest change of the contract or its milestones


def _number(text) -> Decimal | None:
    try:
        return Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


def _achieved(values: list[str]) -> str:
    """Reports give each milestone's own figure: numbers add up; otherwise the latest text."""
    if not values:
        return ""
    numbers = [_number(value) for value in values]
    if all(number is not None for number in numbers):
        return f"{sum(numbers).normalize():f}"
    return values[-1]


def indicator_results(contract, reports) -> list[IndicatorResult]:
    """Each contract indicator with its target and what the accepted reports achieved."""
    rows = []
    for indicator in contract.indicators or []:
        name = indicator.get("name", "")
        values = [
            str(report.indicator_values[name]).strip()
            for report in reports
            if str((report.indicator_values or {}).get(name, "")).strip()
        ]
        achieved = _achieved(values)
        target, done = _number(indicator.get("target", "")), _number(achieved)
        rows.append(
            IndicatorResult(
                name=name,
                unit=indicator.get("unit", ""),
                target=str(indicator.get("target", "")),
                achieved=achieved,
                met=None if target is None or done is None else done >= target,
            )
        )
    return rows


def _with_result_relations(contracts):
    return contracts.select_related("tender__category", "tender__region", "buyer", "organisation")


def result_contract_get(pk) -> Contract | None:
    """A contract for its result page, with tender (category, region) and parties."""
    return _with_result_relations(Contract.objects.filter(pk=pk)).first()


def result_contracts_by_id(pks) -> dict[int, Contract]:
    """Contracts of a page of results by id, with tender and parties, in one query."""
    return {
        contract.pk: contract
        for contract in _with_result_relations(Contract.objects.filter(pk__in=list(pks)))
    }


def result_facts(contract) -> ResultFacts:
    """The live facts of a completed contract's result page, in a fixed number of queries
    (milestones with their accepted reports, ratings with scores, feedback summary)."""
    accepted = MilestoneReport.objects.filter(status=MilestoneReport.Status.ACCEPTED).order_by(
        "decided_at", "pk"
    )
    milestones = list(
        Milestone.objects.filter(contract=contract)
        .prefetch_related(Prefetch("reports", queryset=accepted, to_attr="accepted_reports"))
        .order_by("position", "pk")
    )
    reports = [report for milestone in milestones for report in milestone.accepted_reports]
    ratings = list(ratings_public_for_contract(contract))
    updated = [
        contract.updated_at,
        *(milestone.updated_at for milestone in milestones),
        *(rating.round.revealed_at for rating in ratings if rating.round.revealed_at),
    ]
    return ResultFacts(
        contract=contract,
        milestones=milestones,
        indicators=indicator_results(contract, reports),
        beneficiaries=sum(report.beneficiaries for report in reports),
        ratings=ratings,
        feedback=resident_feedback_summary(contract),
        updated_at=max(updated),
    )


def result_summary_prefill(contract) -> str:
    """The public summary a result draft starts with: the contract's deliverables."""
    text = contract.deliverables.strip()
    if len(text) <= SUMMARY_MAX_LENGTH:
        return text
    return text[: SUMMARY_MAX_LENGTH - 1] + "…"


def result_contracts(
    *,
    category: Category | None = None,
    region: Region | None = None,
    year: int | None = None,
) -> QuerySet[Contract]:
    """Completed contracts (for a results list), optionally of a category or region and
    everything below it (the tender's), or ending in `year`. Use as a subquery."""
    contracts = Contract.objects.filter(status=Contract.Status.COMPLETED)
    if category is not None:
        contracts = contracts.filter(tender__category__code__startswith=category.code)
    if region is not None:
        contracts = contracts.filter(tender__region__code__startswith=region_code_prefix(region))
    if year is not None:
        contracts = contracts.filter(ends_on__year=year)
    return contracts


def tenders_closing_soon(*, limit=CLOSING_SOON_LIMIT) -> list[Tender]:
    """Tenders still open for bids by the clock, the nearest deadline first."""
    return list(tender_list_public(status="open", sort="deadline")[:limit])


def contracted_this_year(*, today=None) -> Money:
    """Money contracted (signed) this calendar year, as on the statistics page."""
    year = str((today or timezone.localdate()).year)
    for row in contracted_by_year():
        if str(row.key) == year:
            return row.amount
    return Money(Decimal("0.00"), "CNY")


def organisations_top_rated(
    *, limit=TOP_RATED_LIMIT, min_count=TOP_RATED_MIN_COUNT
) -> list[RatingSummary]:
    """Verified organisations with the best overall Bayesian score and at least `min_count`
    counted evaluations, as their overall summary rows (`.organisation` fetched)."""
    return list(
        RatingSummary.objects.filter(
            organisation__isnull=False,
            organisation__status=Organisation.Status.VERIFIED,
            dimension=OVERALL,
            count__gte=min_count,
        )
        .select_related("organisation")
        .order_by("-score", "-count", "organisation__name")[:limit]
    )


def _result_page_model():
    """The portal's result page model (cms.ResultPage), reached through the contract's
    `result_page` relation: cms depends on marketplace, so marketplace never imports it."""
    return Contract._meta.get_field("result_page").related_model


def result_pages_public(
    *,
    category: Category | None = None,
    region: Region | None = None,
    year: int | None = None,
):
    """Published result pages anyone may read (live, outside any private section) of
    completed contracts filtered as on /results/ (see result_contracts), newest publication
    first, with contract, tender (category, region) and parties in the same query."""
    contracts = result_contracts(category=category, region=region, year=year)
    return (
        _result_page_model()
        .objects.live()
        .public()
        .filter(contract_id__in=contracts.values("pk"))
        .select_related(
            "contract__tender__category",
            "contract__tender__region",
            "contract__buyer",
            "contract__organisation",
        )
        .order_by("-first_published_at", "-pk")
    )


def result_page_public_get(*, pk):
    """One result page as result_pages_public lists it; Http404 for a draft, a private or
    an unknown page."""
    return get_object_or_404(result_pages_public(), pk=pk)
