"""Evaluation services: an expert's scores (all or nothing, 0 to the weight, two decimals,
a comment each), non-compliance findings, and the evaluation report's life: created only
from a complete evaluation by a big enough panel, locking scoring, withdrawn before
confirmation (reopening scoring), confirmed by every active expert."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    AuditEntry,
    Bid,
    BidScreening,
    ComplianceFlag,
    EvaluationReport,
    PanelMember,
    ReportConfirmation,
    Score,
    Tender,
    TenderCriterion,
)
from marketplace.services.evaluations import (
    compliance_flag,
    compliance_unflag,
    report_confirm,
    report_create,
    report_withdraw,
    score_submit,
)
from tests import factories

pytestmark = pytest.mark.django_db


@dataclass
class Evaluation:
    tender: Tender
    members: list
    bids: list
    plan: TenderCriterion  # 服务方案, weight 40
    team: TenderCriterion  # 团队, weight 30
    price: TenderCriterion  # 价格, weight 30
    officer: object


def _evaluation(*, experts=3, bids=("280000.00", "250000.00"), method="negotiation"):
    """An EVALUATING tender with two non-price criteria, an active panel and live bids."""
    first = factories.PanelMemberFactory(tender__method=method)
    tender = first.tender
    plan = tender.criteria.get(is_price=False)
    plan.weight = 40
    plan.save()
    team = TenderCriterion.objects.create(tender=tender, position=2, name="项目团队", weight=30)
    members = [first] + [factories.PanelMemberFactory(tender=tender) for _ in range(experts - 1)]
    bid_rows = [factories.BidFactory(tender=tender, amount=Money(a, "CNY")) for a in bids]
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    return Evaluation(
        tender=tender,
        members=members,
        bids=bid_rows,
        plan=plan,
        team=team,
        price=tender.criteria.get(is_price=True),
        officer=officer,
    )


def _scores(ev, plan="30", team="20", comment="方案可行，团队稳定。"):
    return {ev.plan.pk: (Decimal(plan), comment), ev.team.pk: (Decimal(team), comment)}


def _score(ev, member, bid, **kwargs):
    return score_submit(member=member, bid=bid, by=member.expert.user, scores=_scores(ev, **kwargs))


def _score_everything(ev):
    for member in ev.members:
        for bid in ev.bids:
            _score(ev, member, bid)


def _state():
    """Everything these services may write, to assert that a refusal changed nothing."""
    return (
        list(Score.objects.order_by("pk").values_list("pk", "points", "comment")),
        list(ComplianceFlag.objects.order_by("pk").values_list("pk", "reason")),
        list(
            EvaluationReport.objects.order_by("pk").values_list(
                "pk", "superseded_at", "confirmed_at"
            )
        ),
        ReportConfirmation.objects.count(),
        AuditEntry.objects.count(),
    )


# --- score_submit ---


def test_score_submit_saves_every_criterion_and_audits():
    """Scores for each non-price criterion are saved with their comments, and audited."""
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    _score(ev, member, bid, plan="35.50", team="20")
    saved = dict(Score.objects.filter(member=member, bid=bid).values_list("criterion_id", "points"))
    assert saved == {ev.plan.pk: Decimal("35.50"), ev.team.pk: Decimal("20.00")}
    entry = AuditEntry.objects.filter(action="score").get()
    assert entry.actor == member.expert.user
    assert entry.data["bid"] == bid.pk


def test_score_submit_again_updates_the_same_rows():
    """Submitting again replaces the expert's points: one row per member, bid and criterion."""
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    _score(ev, member, bid, plan="30")
    _score(ev, member, bid, plan="38", comment="修改后：方案更完整。")
    assert Score.objects.filter(member=member, bid=bid).count() == 2
    score = Score.objects.get(member=member, bid=bid, criterion=ev.plan)
    assert score.points == Decimal("38.00")
    assert score.comment == "修改后：方案更完整。"


def test_score_submit_accepts_the_bounds():
    """0 and exactly the weight are both allowed."""
    ev = _evaluation()
    _score(ev, ev.members[0], ev.bids[0], plan="40", team="0")
    assert sorted(Score.objects.values_list("points", flat=True)) == [
        Decimal("0.00"),
        Decimal("40.00"),
    ]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("40.01", "须在 0 到 40 分之间"),
        ("-1", "须在 0 到 40 分之间"),
        ("10.005", "最多保留两位小数"),
        ("abc", "不是有效数字"),
        ("NaN", "不是有效数字"),
        (10.5, "不是有效数字"),  # a float: the exact value is already lost
    ],
)
def test_score_submit_bad_points_change_nothing(points, message):
    """A bad value names the criterion and nothing is saved, not even the good rows."""
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    _score(ev, member, bid, plan="30", team="20")
    before = _state()
    scores = {ev.plan.pk: (points, "评语"), ev.team.pk: (Decimal("25"), "新的评语")}
    with pytest.raises(ValidationError) as error:
        score_submit(member=member, bid=bid, by=member.expert.user, scores=scores)
    errors = error.value.message_dict
    assert list(errors) == [f"points_{ev.plan.pk}"]
    assert "服务方案" in errors[f"points_{ev.plan.pk}"][0]
    assert message in errors[f"points_{ev.plan.pk}"][0]
    assert _state() == before


def test_score_submit_needs_a_comment_for_each_criterion():
    """A blank comment is refused, naming the criterion; nothing is saved."""
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    before = _state()
    scores = {ev.plan.pk: (Decimal("30"), "好"), ev.team.pk: (Decimal("20"), "   ")}
    with pytest.raises(ValidationError) as error:
        score_submit(member=member, bid=bid, by=member.expert.user, scores=scores)
    assert "项目团队" in error.value.message_dict[f"comment_{ev.team.pk}"][0]
    assert _state() == before


def test_score_submit_needs_every_non_price_criterion():
    """Leaving a criterion out is refused, naming it; nothing is saved."""
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    before = _state()
    with pytest.raises(ValidationError) as error:
        score_submit(
            member=member, bid=bid, by=member.expert.user, scores={ev.plan.pk: (Decimal(30), "好")}
        )
    assert "项目团队" in error.value.message_dict[f"points_{ev.team.pk}"][0]
    assert _state() == before


def test_score_submit_refuses_points_for_the_price_criterion():
    """The price score is computed, never given by an expert."""
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    before = _state()
    scores = {**_scores(ev), ev.price.pk: (Decimal("30"), "报价合理")}
    with pytest.raises(ValidationError) as error:
        score_submit(member=member, bid=bid, by=member.expert.user, scores=scores)
    assert "价格" in " ".join(error.value.messages)
    assert _state() == before


def test_score_submit_refuses_a_criterion_of_another_tender():
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    other = factories.TenderFactory().criteria.get(is_price=False)
    before = _state()
    with pytest.raises(ValidationError):
        score_submit(
            member=member,
            bid=bid,
            by=member.expert.user,
            scores={**_scores(ev), other.pk: (Decimal(1), "x")},
        )
    assert _state() == before


def test_score_submit_refuses_a_bid_the_panel_found_invalid():
    """Once more than half of the active panel flagged a bid, it is no longer scored."""
    ev = _evaluation()
    bid = ev.bids[0]
    for member in ev.members[:2]:
        compliance_flag(member=member, bid=bid, by=member.expert.user, reason="资质不符")
    before = _state()
    with pytest.raises(ValidationError, match="无效投标"):
        _score(ev, ev.members[2], bid)
    assert _state() == before


def test_score_submit_refuses_a_withdrawn_or_foreign_bid():
    """Only the tender's live bids are evaluated."""
    ev = _evaluation()
    withdrawn = factories.BidFactory(tender=ev.tender, status=Bid.Status.WITHDRAWN)
    foreign = factories.BidFactory()
    before = _state()
    for bid in (withdrawn, foreign):
        with pytest.raises(ValidationError, match="不在本项目的评审范围内"):
            _score(ev, ev.members[0], bid)
    assert _state() == before


def test_score_submit_refuses_a_proposal_that_failed_screening():
    """公益创投: a proposal that did not pass 初审 is not scored."""
    member = factories.PanelMemberFactory(tender__method=Tender.Method.VENTURE)
    tender = member.tender
    bid = factories.BidFactory(tender=tender)
    criterion = tender.criteria.get(is_price=False)
    before = _state()
    with pytest.raises(ValidationError, match="不在本项目的评审范围内"):
        score_submit(
            member=member,
            bid=bid,
            by=member.expert.user,
            scores={criterion.pk: (Decimal("50"), "好")},
        )
    assert _state() == before


@pytest.mark.parametrize("status", [PanelMember.Status.PENDING, PanelMember.Status.RECUSED])
def test_score_submit_needs_an_active_seat(status):
    """An expert who has not declared, or who recused, cannot score or flag."""
    ev = _evaluation()
    member = ev.members[0]
    PanelMember.objects.filter(pk=member.pk).update(status=status)
    before = _state()
    with pytest.raises(ValidationError, match="评审席位"):
        _score(ev, member, ev.bids[0])
    with pytest.raises(ValidationError, match="评审席位"):
        compliance_flag(member=member, bid=ev.bids[0], by=member.expert.user, reason="x")
    assert _state() == before


def test_score_submit_only_by_the_seat_holder():
    """Another expert, the buyer's officer or anyone else cannot score on a seat."""
    ev = _evaluation()
    member = ev.members[0]
    before = _state()
    for intruder in (ev.members[1].expert.user, ev.officer, factories.UserFactory()):
        with pytest.raises(PermissionDenied):
            score_submit(member=member, bid=ev.bids[0], by=intruder, scores=_scores(ev))
    assert _state() == before


def test_score_submit_only_while_evaluating():
    ev = _evaluation()
    Tender.objects.filter(pk=ev.tender.pk).update(status=Tender.Status.AWARDED)
    before = _state()
    with pytest.raises(ValidationError, match="不在评审阶段"):
        _score(ev, ev.members[0], ev.bids[0])
    assert _state() == before


# --- compliance_flag / compliance_unflag ---


def test_compliance_flag_and_unflag():
    """A flag records the reason (a second flag rewords it); unflag removes it; both audited."""
    ev = _evaluation()
    member, bid = ev.members[0], ev.bids[0]
    compliance_flag(member=member, bid=bid, by=member.expert.user, reason="未提供资质证明")
    compliance_flag(member=member, bid=bid, by=member.expert.user, reason="未提供年检报告")
    assert ComplianceFlag.objects.get().reason == "未提供年检报告"
    compliance_unflag(member=member, bid=bid, by=member.expert.user)
    assert not ComplianceFlag.objects.exists()
    assert list(
        AuditEntry.objects.filter(action__contains="flag").values_list("action", flat=True)
    ) == ["flag", "flag_update", "unflag"]


def test_compliance_flag_needs_a_reason():
    ev = _evaluation()
    member = ev.members[0]
    before = _state()
    with pytest.raises(ValidationError) as error:
        compliance_flag(member=member, bid=ev.bids[0], by=member.expert.user, reason="  ")
    assert "reason" in error.value.message_dict
    assert _state() == before


def test_compliance_unflag_without_a_flag_is_refused():
    ev = _evaluation()
    member = ev.members[0]
    before = _state()
    with pytest.raises(ValidationError):
        compliance_unflag(member=member, bid=ev.bids[0], by=member.expert.user)
    assert _state() == before


def test_compliance_flag_only_by_the_seat_holder():
    ev = _evaluation()
    before = _state()
    with pytest.raises(PermissionDenied):
        compliance_flag(member=ev.members[0], bid=ev.bids[0], by=ev.officer, reason="x")
    assert _state() == before


# --- report_create ---


def test_report_create_freezes_the_results():
    """The report snapshots criteria, experts and each bid's scores, ranks and recommends
    the first; scoring is locked afterwards."""
    ev = _evaluation()
    cheap, dear = ev.bids[1], ev.bids[0]  # 250,000 and 280,000, equal technical scores
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    assert report.number == 1
    assert report.recommended == cheap
    data = report.results
    assert [c["name"] for c in data["criteria"]] == ["服务方案", "价格", "项目团队"]
    assert [e["member"] for e in data["experts"]] == [m.pk for m in ev.members]
    first, second = data["bids"]
    assert (first["bid"], first["rank"], first["total"]) == (cheap.pk, 1, "80.00")
    assert first["amount"] == "250000.00"
    assert first["price_score"] == "30"
    assert (second["bid"], second["rank"]) == (dear.pk, 2)
    assert second["price_score_shown"] == "26.79"  # 30 × 250000 / 280000 = 26.7857…
    assert second["experts"][0]["scores"][0] == {
        "criterion": ev.plan.pk,
        "points": "30.00",
        "comment": "方案可行，团队稳定。",
    }
    assert data["recommended"] == cheap.pk
    assert AuditEntry.objects.filter(action="create", object_id=str(report.pk)).exists()
    with pytest.raises(ValidationError, match="评审报告已生成"):
        _score(ev, ev.members[0], cheap, plan="1")


def test_report_create_lists_flags_and_invalid_bids():
    ev = _evaluation()
    bad = ev.bids[0]
    for member in ev.members[:2]:
        compliance_flag(member=member, bid=bad, by=member.expert.user, reason="资质不符")
    for member in ev.members:
        _score(ev, member, ev.bids[1])
    report = report_create(tender=ev.tender, by=ev.officer)
    rows = {row["bid"]: row for row in report.results["bids"]}
    assert rows[bad.pk]["valid"] is False
    assert rows[bad.pk]["rank"] is None
    assert [flag["reason"] for flag in rows[bad.pk]["flags"]] == ["资质不符", "资质不符"]
    assert report.recommended == ev.bids[1]


def test_report_create_needs_complete_scoring():
    """A missing score blocks the report and the message names the expert."""
    ev = _evaluation()
    _score_everything(ev)
    Score.objects.filter(member=ev.members[2]).first().delete()
    before = _state()
    with pytest.raises(ValidationError, match="评分尚未完成") as error:
        report_create(tender=ev.tender, by=ev.officer)
    assert str(ev.members[2].expert.user) in error.value.messages[0]
    assert _state() == before


def test_report_create_needs_the_methods_panel_size():
    """公开招标 needs five active experts: three are not enough."""
    ev = _evaluation(method=Tender.Method.OPEN)
    _score_everything(ev)
    before = _state()
    with pytest.raises(ValidationError, match="少于本采购方式要求的 5 人"):
        report_create(tender=ev.tender, by=ev.officer)
    assert _state() == before


def test_report_create_without_a_valid_bid_points_to_failing_the_tender():
    ev = _evaluation(bids=("280000.00",))
    for member in ev.members[:2]:
        compliance_flag(member=member, bid=ev.bids[0], by=member.expert.user, reason="不符")
    before = _state()
    with pytest.raises(ValidationError, match="流标"):
        report_create(tender=ev.tender, by=ev.officer)
    assert _state() == before


def test_report_create_only_by_those_who_run_the_evaluation():
    ev = _evaluation()
    _score_everything(ev)
    before = _state()
    for intruder in (ev.members[0].expert.user, factories.BuyerMembershipFactory().user):
        with pytest.raises(PermissionDenied):
            report_create(tender=ev.tender, by=intruder)
    assert _state() == before


def test_report_create_refuses_a_second_current_report():
    ev = _evaluation()
    _score_everything(ev)
    report_create(tender=ev.tender, by=ev.officer)
    before = _state()
    with pytest.raises(ValidationError, match="已有评审报告"):
        report_create(tender=ev.tender, by=ev.officer)
    assert _state() == before


def test_report_create_by_a_delegated_operator():
    """公益创投: the admin of an operator with a venture-round delegation may create the
    report; the same admin may not on a tender of another method."""
    ev = _evaluation(method=Tender.Method.VENTURE, experts=5)
    for bid in ev.bids:
        BidScreening.objects.create(
            bid=bid, passed=True, reason="符合申报条件", screened_by=ev.officer
        )
    delegation = factories.DelegationFactory(buyer=ev.tender.buyer)
    operator_admin = factories.OrganisationMembershipFactory(organisation=delegation.operator).user
    _score_everything(ev)
    other = _evaluation()
    _score_everything(other)
    factories.DelegationFactory(buyer=other.tender.buyer, operator=delegation.operator)
    with pytest.raises(PermissionDenied):
        report_create(tender=other.tender, by=operator_admin)
    report = report_create(tender=ev.tender, by=operator_admin)
    assert report.created_by == operator_admin


# --- report_withdraw ---


def test_report_withdraw_reopens_scoring_and_numbers_the_next_report():
    ev = _evaluation()
    _score_everything(ev)
    first = report_create(tender=ev.tender, by=ev.officer)
    report_withdraw(report=first, by=ev.officer)
    first.refresh_from_db()
    assert first.superseded_at is not None
    _score(ev, ev.members[0], ev.bids[0], plan="40")  # scoring is open again
    second = report_create(tender=ev.tender, by=ev.officer)
    assert second.number == 2
    assert second.results["bids"][0]["bid"] == ev.bids[0].pk  # 40 more points now rank first


def test_report_withdraw_refused_once_confirmed():
    ev = _evaluation()
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    for member in ev.members:
        report_confirm(report=report, by=member.expert.user)
    before = _state()
    with pytest.raises(ValidationError, match="不能撤回"):
        report_withdraw(report=report, by=ev.officer)
    assert _state() == before


def test_report_withdraw_only_by_those_who_run_the_evaluation():
    ev = _evaluation()
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    before = _state()
    with pytest.raises(PermissionDenied):
        report_withdraw(report=report, by=ev.members[0].expert.user)
    assert _state() == before


def test_report_withdraw_twice_is_refused():
    ev = _evaluation()
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    report_withdraw(report=report, by=ev.officer)
    before = _state()
    with pytest.raises(ValidationError, match="已作废"):
        report_withdraw(report=report, by=ev.officer)
    assert _state() == before


# --- report_confirm ---


def test_report_confirmed_when_every_active_expert_signed():
    ev = _evaluation()
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    for member in ev.members[:-1]:
        report_confirm(report=report, by=member.expert.user)
        report.refresh_from_db()
        assert report.confirmed_at is None
    report_confirm(report=report, by=ev.members[-1].expert.user)
    report.refresh_from_db()
    assert report.confirmed_at is not None
    assert report.confirmations.count() == 3
    assert AuditEntry.objects.filter(action="confirmed", object_id=str(report.pk)).count() == 1


def test_report_confirm_twice_is_refused():
    ev = _evaluation()
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    report_confirm(report=report, by=ev.members[0].expert.user)
    before = _state()
    with pytest.raises(ValidationError, match="已确认过"):
        report_confirm(report=report, by=ev.members[0].expert.user)
    assert _state() == before


def test_report_confirm_only_by_an_active_expert_of_the_tender():
    """The officer, an expert of another tender and a recused expert cannot sign."""
    ev = _evaluation()
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    recused = factories.PanelMemberFactory(tender=ev.tender, status=PanelMember.Status.RECUSED)
    before = _state()
    for intruder in (
        ev.officer,
        factories.PanelMemberFactory().expert.user,
        recused.expert.user,
    ):
        with pytest.raises(PermissionDenied):
            report_confirm(report=report, by=intruder)
    assert _state() == before


def test_report_confirm_of_a_withdrawn_report_is_refused():
    ev = _evaluation()
    _score_everything(ev)
    report = report_create(tender=ev.tender, by=ev.officer)
    EvaluationReport.objects.filter(pk=report.pk).update(superseded_at=timezone.now())
    before = _state()
    with pytest.raises(ValidationError, match="已作废"):
        report_confirm(report=report, by=ev.members[0].expert.user)
    assert _state() == before
