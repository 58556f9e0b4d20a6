"""Reading delivery and acceptance (验收): milestones, their reports and evidence, what is
overdue, and what is due next for an organisation or a buyer. Private reads are for the
contract's two parties only (404 for anyone else)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from marketplace import permissions
from marketplace.models import Contract, Milestone, MilestoneReport, MilestoneReportDocument

Status = Milestone.Status

# A milestone still owed: nothing accepted, paid or cancelled yet.
OPEN_STATUSES = (Status.PENDING, Status.SUBMITTED, Status.RETURNED)
# A milestone the organisation still has to report on.
REPORTABLE_STATUSES = (Status.PENDING, Status.RETURNED)
DUE_NEXT_LIMIT = 10


def _today(today=None) -> datetime.date:
    return today or timezone.localdate()


def _with_overdue(queryset, today: datetime.date, prefix: str = ""):
    """Annotate `is_overdue`: the due date has passed and the milestone is still open."""
    return queryset.annotate(
        is_overdue=Case(
            When(
                Q(**{f"{prefix}due_on__lt": today, f"{prefix}status__in": OPEN_STATUSES}),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def _pks(objects) -> list[int]:
    """One model instance, or an iterable of instances or primary keys, as a list of keys."""
    if hasattr(objects, "pk"):
        return [objects.pk]
    return [getattr(obj, "pk", obj) for obj in objects]


def milestones_overdue(*, today=None) -> QuerySet[Milestone]:
    """Milestones of contracts in force whose due date has passed and that are not accepted,
    paid or cancelled, the longest overdue first."""
    return (
        Milestone.objects.filter(
            contract__status=Contract.Status.ACTIVE,
            due_on__lt=_today(today),
            status__in=OPEN_STATUSES,
        )
        .select_related("contract__tender", "contract__buyer", "contract__organisation")
        .order_by("due_on", "pk")
    )


@dataclass
class DueNext:
    """What is due next: milestones still to report on, and reports waiting for acceptance.
    Each milestone (and each report's milestone) carries `is_overdue`."""

    milestones: list[Milestone] = field(default_factory=list)
    reports: list[MilestoneReport] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(m.is_overdue for m in self.milestones) + sum(r.is_overdue for r in self.reports)

    def __bool__(self) -> bool:
        return bool(self.milestones or self.reports)


def _due_next(party: str, pks: list[int], *, today, limit) -> DueNext:
    """Two queries, whatever the number of contracts or rows. `party` is the contract's
    "organisation" or "buyer"."""
    today = _today(today)
    milestones = _with_overdue(
        Milestone.objects.filter(
            **{f"contract__{party}_id__in": pks},
            contract__status=Contract.Status.ACTIVE,
            status__in=REPORTABLE_STATUSES,
        ),
        today,
    )
    reports = _with_overdue(
        MilestoneReport.objects.filter(
            **{f"milestone__contract__{party}_id__in": pks},
            status=MilestoneReport.Status.SUBMITTED,
            milestone__contract__status=Contract.Status.ACTIVE,
        ),
        today,
        prefix="milestone__",
    )
    related = ("contract__tender", "contract__buyer", "contract__organisation")
    return DueNext(
        milestones=list(milestones.select_related(*related).order_by("due_on", "pk")[:limit]),
        reports=list(
            reports.select_related(*(f"milestone__{name}" for name in related)).order_by(
                "submitted_at", "pk"
            )[:limit]
        ),
    )


def due_next_for_organisation(organisation, *, today=None, limit=DUE_NEXT_LIMIT) -> DueNext:
    """For an organisation (or several): milestones of its contracts in force still to be
    reported on, earliest due first, and its reports waiting for the buyer's acceptance."""
    return _due_next("organisation", _pks(organisation), today=today, limit=limit)


def due_next_for_buyer(buyer, *, today=None, limit=DUE_NEXT_LIMIT) -> DueNext:
    """For a buyer (or several): reports waiting for its acceptance, oldest first, and the
    milestones of its contracts in force that are still to be delivered."""
    return _due_next("buyer", _pks(buyer), today=today, limit=limit)


def _indicator_rows(contract, report) -> list[dict]:
    """The contract's indicators with the value the report gives for each."""
    values = report.indicator_values or {}
    return [
        {
            "name": indicator.get("name", ""),
            "target": indicator.get("target", ""),
            "unit": indicator.get("unit", ""),
            "value": values.get(indicator.get("name"), ""),
        }
        for indicator in contract.indicators or []
    ]


def reports_queryset() -> QuerySet[MilestoneReport]:
    return MilestoneReport.objects.select_related("submitted_by", "decided_by").prefetch_related(
        Prefetch("documents", queryset=MilestoneReportDocument.objects.order_by("pk"))
    )


def milestones_for_contract(contract, *, today=None) -> list[Milestone]:
    """A contract's milestones in order, each with `is_overdue` and its reports (oldest
    first, with documents and `indicator_rows`): three queries for any contract."""
    milestones = list(
        _with_overdue(Milestone.objects.filter(contract=contract), _today(today))
        .prefetch_related(Prefetch("reports", queryset=reports_queryset()))
        .order_by("position", "pk")
    )
    for milestone in milestones:
        milestone.contract = contract
        for report in milestone.reports.all():
            report.indicator_rows = _indicator_rows(contract, report)
    return milestones


def _milestone_queryset():
    return Milestone.objects.select_related(
        "contract__tender", "contract__buyer", "contract__organisation"
    )


def milestone_get_for_user(*, pk, user, today=None) -> Milestone:
    """A milestone for either party of its contract; 404 for anyone else."""
    milestone = get_object_or_404(_with_overdue(_milestone_queryset(), _today(today)), pk=pk)
    if not permissions.can_view_contract(user, milestone.contract):
        raise Http404
    return milestone


def milestone_get_for_report(*, pk, user, today=None) -> Milestone:
    """A milestone for a member of the contract's organisation (who reports on it)."""
    milestone = milestone_get_for_user(pk=pk, user=user, today=today)
    if not permissions.can_report_on_contract(user, milestone.contract):
        raise Http404
    return milestone


def reports_for_milestone(milestone) -> list[MilestoneReport]:
    """A milestone's reports, oldest first, with documents and `indicator_rows`."""
    reports = list(reports_queryset().filter(milestone=milestone).order_by("submitted_at", "pk"))
    for report in reports:
        report.indicator_rows = _indicator_rows(milestone.contract, report)
    return reports


def report_get_for_user(*, pk, user) -> MilestoneReport:
    """A milestone report for either party of its contract; 404 for anyone else."""
    report = get_object_or_404(
        MilestoneReport.objects.select_related(
            "milestone__contract__tender",
            "milestone__contract__buyer",
            "milestone__contract__organisation",
        ),
        pk=pk,
    )
    if not permissions.can_view_contract(user, report.milestone.contract):
        raise Http404
    return report


def report_get_for_decision(*, pk, user) -> MilestoneReport:
    """A milestone report for an officer of the contract's buyer (who decides on it)."""
    report = report_get_for_user(pk=pk, user=user)
    if not permissions.is_contract_buyer(user, report.milestone.contract):
        raise Http404
    return report


def report_document_get_for_user(*, pk, user) -> MilestoneReportDocument:
    """Report evidence for download: either party of the contract; 404 for anyone else."""
    document = get_object_or_404(
        MilestoneReportDocument.objects.select_related("report__milestone__contract"), pk=pk
    )
    if not permissions.can_view_contract(user, document.report.milestone.contract):
        raise Http404
    return document
