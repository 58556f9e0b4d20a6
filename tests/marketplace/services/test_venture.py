"""公益创投 rounds: the project cap on the tender and on proposals, 初审 (by officers and
delegated operators), the presentation schedule, and the funding decision against the pool."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    AuditEntry,
    Award,
    Bid,
    BidScreening,
    EvaluationReport,
    OrganisationMembership,
    PresentationSlot,
    Tender,
)
from marketplace.services.bids import bid_submit
from marketplace.services.tenders import tender_create, tender_update
from marketplace.services.venture import (
    presentations_schedule,
    proposal_screen,
    venture_fund,
    venture_fund_preview,
)
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
PROPOSAL = {
    "service_plan": "社区儿童课后托管与阅读陪伴。",
    "team": "社工2名，志愿者20名。",
    "outputs": "服务儿童120名。",
    "beneficiaries": "辖区双职工家庭儿童",
}


def cny(amount) -> Money:
    return Money(amount, "CNY")


@pytest.fixture
def venture_round(buyer):
    return factories.venture_round(buyer=buyer)


@pytest.fixture
def operator_admin(buyer):
    """An admin of an operator organisation the buyer delegated its 公益创投 rounds to."""
    delegation = factories.DelegationFactory(buyer=buyer)
    return factories.OrganisationMembershipFactory(
        organisation=delegation.operator, role=OrganisationMembership.Role.ADMIN
    ).user


def _state():
    """Everything a venture service may write."""
    return {
        "screenings": sorted(BidScreening.objects.values_list("bid_id", "passed", "reason")),
        "slots": sorted(PresentationSlot.objects.values_list("bid_id", "starts_at", "place")),
        "awards": Award.objects.count(),
        "statuses": sorted(Tender.objects.values_list("pk", "status")),
        "audit": AuditEntry.objects.count(),
    }


# --- the project cap on the tender ------------------------------------------------------


def _venture_fields(**overrides):
    now = timezone.now()
    fields = {
        "title": "姑苏区2027年度公益创投大赛",
        "description": "资助社区公益项目。",
        "category": factories.category("0101"),
        "region": factories.county(),
        "budget": cny("4000000.00"),
        "project_cap": cny("200000.00"),
        "method": Tender.Method.VENTURE,
        "contract_months": 12,
        "clarification_deadline": now + 20 * DAY,
        "bid_deadline": now + 25 * DAY,
        "opening_at": now + 25 * DAY + datetime.timedelta(hours=1),
    }
    fields.update(overrides)
    return fields


def _create(officer, buyer, **fields):
    return tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(price_weight=0),
        milestones=factories.milestones(),
        **_venture_fields(**fields),
    )


def test_a_venture_round_is_saved_with_its_project_cap(buyer, officer):
    """A 公益创投 draft keeps its cap per project next to the pool (the budget)."""
    tender = _create(officer, buyer)

    tender.refresh_from_db()
    assert tender.project_cap == cny("200000.00")
    assert tender.budget == cny("4000000.00")


CAP_ERRORS = {
    "venture_without_cap": ({"project_cap": None}, "公益创投须填写单个项目资助上限"),
    "cap_zero": ({"project_cap": cny("0.00")}, "必须大于0"),
    "cap_negative": ({"project_cap": cny("-5.00")}, "必须大于0"),
    "cap_above_budget": ({"project_cap": cny("4000000.01")}, "不得超过预算金额"),
    "cap_on_open_tender": (
        {"method": Tender.Method.OPEN, "criteria_price": True},
        "只有公益创投可以设置",
    ),
}


@pytest.mark.parametrize(("fields", "fragment"), CAP_ERRORS.values(), ids=CAP_ERRORS.keys())
def test_a_bad_project_cap_is_refused_on_its_field_and_nothing_is_saved(
    buyer, officer, fields, fragment
):
    """The cap is required for 公益创投, > 0 and ≤ the budget, and refused for any other
    method; the message names the rule, on the project_cap field, and nothing is saved."""
    fields = dict(fields)
    price = fields.pop("criteria_price", False)
    before = Tender.objects.count()

    with pytest.raises(ValidationError) as raised:
        tender_create(
            by=officer,
            buyer=buyer,
            criteria=factories.criteria(price_weight=30 if price else 0),
            milestones=factories.milestones(),
            **_venture_fields(**fields),
        )

    assert fragment in " ".join(raised.value.message_dict["project_cap"])
    assert Tender.objects.count() == before


def test_changing_a_draft_to_another_method_needs_the_cap_cleared(buyer, officer):
    """Switching a venture draft to 公开招标 while keeping the cap is refused; clearing it works."""
    tender = _create(officer, buyer)

    with pytest.raises(ValidationError) as raised:
        tender_update(
            tender=tender, by=officer, method=Tender.Method.OPEN,
            criteria=factories.criteria(),
        )  # fmt: skip
    assert "project_cap" in raised.value.message_dict
    tender.refresh_from_db()
    assert tender.method == Tender.Method.VENTURE

    tender_update(
        tender=tender, by=officer, method=Tender.Method.OPEN, project_cap=None,
        criteria=factories.criteria(),
    )  # fmt: skip
    tender.refresh_from_db()
    assert tender.method == Tender.Method.OPEN
    assert tender.project_cap is None


# --- the project cap on proposals -------------------------------------------------------


@pytest.fixture
def published_round(buyer):
    return factories.TenderFactory(
        buyer=buyer,
        method=Tender.Method.VENTURE,
        budget=cny("4000000.00"),
        project_cap=cny("200000.00"),
    )


def test_a_proposal_above_the_cap_is_refused_with_the_cap(published_round, organisation, org_admin):
    """Asking ¥200,000.01 against a ¥200,000 cap is refused on the amount, naming the cap
    (the budget of ¥4,000,000 would allow it); no bid is saved."""
    with pytest.raises(ValidationError) as raised:
        bid_submit(
            tender=published_round, organisation=organisation, by=org_admin,
            amount=cny("200000.01"), **PROPOSAL,
        )  # fmt: skip

    message = " ".join(raised.value.message_dict["amount"])
    assert "单个项目资助上限" in message
    assert "200,000.00" in message
    assert not Bid.objects.exists()


def test_a_proposal_at_the_cap_is_accepted(published_round, organisation, org_admin):
    """The cap itself may be requested."""
    bid = bid_submit(
        tender=published_round, organisation=organisation, by=org_admin,
        amount=cny("200000.00"), **PROPOSAL,
    )  # fmt: skip

    assert bid.amount == cny("200000.00")


def test_the_cap_does_not_limit_other_methods(buyer, organisation, org_admin):
    """An open tender has no cap: a bid up to the budget stands."""
    tender = factories.TenderFactory(buyer=buyer, budget=cny("300000.00"))

    bid = bid_submit(
        tender=tender, organisation=organisation, by=org_admin,
        amount=cny("290000.00"), **PROPOSAL,
    )  # fmt: skip

    assert bid.is_live


# --- 初审 ----------------------------------------------------------------------------------


def test_an_officer_passes_a_proposal_with_a_reason(venture_round, officer):
    """初审 records the verdict, the reason and who decided, and is audited on the bid."""
    bid = factories.venture_proposal(venture_round)

    screening = proposal_screen(bid=bid, by=officer, passed=True, reason="材料齐全，符合申报条件。")

    assert screening.passed
    assert screening.reason == "材料齐全，符合申报条件。"
    assert screening.screened_by == officer
    entry = AuditEntry.objects.get(action="screen", object_id=str(bid.pk))
    assert entry.data["passed"] is True
    assert entry.reason == "材料齐全，符合申报条件。"


def test_a_proposal_fails_with_a_reason(venture_round, officer):
    """A fail is recorded the same way."""
    bid = factories.venture_proposal(venture_round)

    screening = proposal_screen(bid=bid, by=officer, passed=False, reason="未提供项目预算明细。")

    assert not screening.passed


@pytest.mark.parametrize("reason", ["", "   "])
def test_screening_without_a_reason_is_refused(venture_round, officer, reason):
    """Pass or fail, a reason is required; nothing is recorded."""
    bid = factories.venture_proposal(venture_round)
    before = _state()

    with pytest.raises(ValidationError) as raised:
        proposal_screen(bid=bid, by=officer, passed=True, reason=reason)

    assert "请填写初审理由" in " ".join(raised.value.message_dict["reason"])
    assert _state() == before


def test_screening_again_replaces_the_result_and_frees_the_slot(venture_round, officer):
    """Before the report, a proposal may be screened again; failing it drops its slot."""
    bid = factories.venture_proposal(venture_round)
    proposal_screen(bid=bid, by=officer, passed=True, reason="符合条件。")
    presentations_schedule(
        tender=venture_round, by=officer, starts_at=timezone.now() + DAY, minutes=15,
        place="区社会组织服务中心",
    )  # fmt: skip

    proposal_screen(bid=bid, by=officer, passed=False, reason="复核发现重复申报。")

    assert BidScreening.objects.get(bid=bid).passed is False
    assert not PresentationSlot.objects.filter(bid=bid).exists()
    assert BidScreening.objects.count() == 1


def test_a_delegated_operator_admin_may_screen(venture_round, operator_admin):
    """An admin of an operator with a delegation in force runs 初审 like an officer."""
    bid = factories.venture_proposal(venture_round)

    screening = proposal_screen(bid=bid, by=operator_admin, passed=True, reason="符合条件。")

    assert screening.screened_by == operator_admin


def _expired(buyer):
    today = timezone.localdate()
    return factories.DelegationFactory(
        buyer=buyer, starts_on=today - 30 * DAY, expires_on=today - DAY
    )


def _revoked(buyer):
    return factories.DelegationFactory(buyer=buyer, revoked_at=timezone.now())


def _other_buyer(buyer):
    return factories.DelegationFactory()


@pytest.mark.parametrize("make_delegation", [_expired, _revoked, _other_buyer])
def test_an_operator_without_a_delegation_in_force_is_refused(
    venture_round, buyer, make_delegation
):
    """Expired, revoked, or another buyer's delegation: PermissionDenied, nothing recorded."""
    delegation = make_delegation(buyer)
    admin = factories.OrganisationMembershipFactory(organisation=delegation.operator).user
    bid = factories.venture_proposal(venture_round)
    before = _state()

    with pytest.raises(PermissionDenied):
        proposal_screen(bid=bid, by=admin, passed=True, reason="符合条件。")

    assert _state() == before


def test_another_buyers_officer_is_refused(venture_round):
    """An officer of a different buyer may not screen."""
    stranger = factories.BuyerMembershipFactory().user
    bid = factories.venture_proposal(venture_round)

    with pytest.raises(PermissionDenied):
        proposal_screen(bid=bid, by=stranger, passed=True, reason="符合条件。")

    assert not BidScreening.objects.exists()


def test_a_plain_member_of_the_operator_is_refused(venture_round, buyer):
    """The delegation is exercised by the operator's admins, not its ordinary members."""
    delegation = factories.DelegationFactory(buyer=buyer)
    member = factories.OrganisationMembershipFactory(
        organisation=delegation.operator, role=OrganisationMembership.Role.MEMBER
    ).user

    with pytest.raises(PermissionDenied):
        proposal_screen(
            bid=factories.venture_proposal(venture_round), by=member, passed=True, reason="符合。"
        )


def test_screening_is_closed_once_the_report_exists(officer, buyer):
    """After the evaluation report, 初审 results are frozen."""
    tender = factories.venture_round(status=Tender.Status.EVALUATING, buyer=buyer)
    bid = factories.venture_proposal(tender)
    EvaluationReport.objects.create(tender=tender, number=1, results={}, created_by=officer)
    before = _state()

    with pytest.raises(ValidationError) as raised:
        proposal_screen(bid=bid, by=officer, passed=True, reason="符合条件。")

    assert "评审报告已生成" in " ".join(raised.value.messages)
    assert _state() == before


@pytest.mark.parametrize(
    ("status", "method"),
    [
        (Tender.Status.PUBLISHED, Tender.Method.VENTURE),
        (Tender.Status.AWARDED, Tender.Method.VENTURE),
        (Tender.Status.OPENED, Tender.Method.OPEN),
    ],
    ids=["before_opening", "awarded", "not_venture"],
)
def test_screening_needs_an_opened_venture_round(officer, buyer, status, method):
    """Only a 公益创投 round that is opened or under evaluation can be screened."""
    now = timezone.now()
    tender = factories.TenderFactory(
        buyer=buyer, method=method, status=status,
        clarification_deadline=now - 3 * DAY, bid_deadline=now - 2 * DAY,
    )  # fmt: skip
    bid = factories.venture_proposal(tender)

    with pytest.raises(ValidationError):
        proposal_screen(bid=bid, by=officer, passed=True, reason="符合条件。")

    assert not BidScreening.objects.exists()


# --- 答辩安排 --------------------------------------------------------------------------------


def test_passed_proposals_are_scheduled_one_after_another(venture_round, officer):
    """Slots follow submission order from the start, minutes + gap apart; failed and
    unscreened proposals get none."""
    first = factories.venture_proposal(
        venture_round, submitted_at=venture_round.bid_deadline - 3 * DAY
    )
    second = factories.venture_proposal(
        venture_round, submitted_at=venture_round.bid_deadline - 2 * DAY
    )
    failed = factories.venture_proposal(venture_round)
    factories.venture_proposal(venture_round)  # not screened
    for bid in (second, first):
        proposal_screen(bid=bid, by=officer, passed=True, reason="符合条件。")
    proposal_screen(bid=failed, by=officer, passed=False, reason="不符合条件。")
    start = timezone.now().replace(microsecond=0) + 2 * DAY

    slots = presentations_schedule(
        tender=venture_round, by=officer, starts_at=start, minutes=20, place="区民政局三楼会议室",
        gap_minutes=5,
    )  # fmt: skip

    assert [slot.bid_id for slot in slots] == [first.pk, second.pk]
    stored = {slot.bid_id: slot for slot in PresentationSlot.objects.all()}
    assert stored[first.pk].starts_at == start
    assert stored[second.pk].starts_at == start + datetime.timedelta(minutes=25)
    assert stored[second.pk].minutes == 20
    assert set(stored) == {first.pk, second.pk}
    assert AuditEntry.objects.filter(action="schedule_presentations").count() == 1


def test_scheduling_again_replaces_the_schedule(venture_round, officer):
    """A second schedule replaces the first; each proposal keeps one slot."""
    bid = factories.venture_proposal(venture_round)
    proposal_screen(bid=bid, by=officer, passed=True, reason="符合条件。")
    later = timezone.now() + 3 * DAY
    presentations_schedule(
        tender=venture_round, by=officer, starts_at=timezone.now() + DAY, minutes=15, place="甲"
    )

    presentations_schedule(
        tender=venture_round, by=officer, starts_at=later, minutes=15, place="乙"
    )

    slot = PresentationSlot.objects.get()
    assert (slot.starts_at, slot.place) == (later, "乙")


SCHEDULE_ERRORS = {
    "in_the_past": ({"starts_at": -DAY}, "starts_at", "晚于现在"),
    "too_short": ({"minutes": 2}, "minutes", "5至240分钟"),
    "negative_gap": ({"gap_minutes": -1}, "gap_minutes", "间隔"),
    "no_place": ({"place": "  "}, "place", "答辩地点"),
}


@pytest.mark.parametrize(
    ("changes", "field", "fragment"), SCHEDULE_ERRORS.values(), ids=SCHEDULE_ERRORS.keys()
)
def test_a_bad_schedule_is_refused_on_its_field(venture_round, officer, changes, field, fragment):
    """A past start, a too short slot, a negative gap or no place: refused, nothing changes."""
    bid = factories.venture_proposal(venture_round)
    proposal_screen(bid=bid, by=officer, passed=True, reason="符合条件。")
    arguments = {"starts_at": DAY, "minutes": 15, "place": "区民政局", "gap_minutes": 0}
    arguments.update(changes)
    arguments["starts_at"] = timezone.now() + arguments["starts_at"]
    before = _state()

    with pytest.raises(ValidationError) as raised:
        presentations_schedule(tender=venture_round, by=officer, **arguments)

    assert fragment in " ".join(raised.value.message_dict[field])
    assert _state() == before


def test_scheduling_with_nobody_passed_is_refused(venture_round, officer):
    """With no proposal through 初审 there is nothing to schedule."""
    factories.venture_proposal(venture_round)

    with pytest.raises(ValidationError) as raised:
        presentations_schedule(
            tender=venture_round, by=officer, starts_at=timezone.now() + DAY, minutes=15,
            place="区民政局",
        )  # fmt: skip

    assert "请先完成初审" in " ".join(raised.value.messages)


def test_a_delegated_operator_may_schedule(venture_round, officer, operator_admin):
    """The operator runs the whole round, scheduling included."""
    bid = factories.venture_proposal(venture_round)
    proposal_screen(bid=bid, by=officer, passed=True, reason="符合条件。")

    slots = presentations_schedule(
        tender=venture_round, by=operator_admin, starts_at=timezone.now() + DAY, minutes=15,
        place="区民政局",
    )  # fmt: skip

    assert len(slots) == 1


# --- funding ---------------------------------------------------------------------------

# 25 proposals, best first. Ranks 1–19 ask ¥200,000 (¥3,800,000); rank 20 asks ¥200,000
# but is funded ¥150,000 (¥3,950,000 used, ¥50,000 left); rank 21 (¥180,000) and rank 22
# (¥60,000) do not fit and are skipped; rank 23 (¥50,000) fits exactly; 24 and 25 skip.
REQUESTS = ["200000.00"] * 20 + ["180000.00", "60000.00", "50000.00", "100000.00", "100000.00"]


def _confirmed_report(tender, bids, *, confirmed=True, by):
    rows = [
        {"bid": bid.pk, "valid": True, "rank": rank, "total": f"{95 - rank * 0.5:.2f}"}
        for rank, bid in enumerate(bids, start=1)
    ]
    return EvaluationReport.objects.create(
        tender=tender,
        number=1,
        results={"bids": rows},  # the shape report_create freezes
        recommended=bids[0],
        created_by=by,
        confirmed_at=timezone.now() if confirmed else None,
    )


@pytest.fixture
def ranked_round(buyer, officer):
    """A ¥4,000,000 round under evaluation with 25 screened, ranked proposals."""
    tender = factories.venture_round(status=Tender.Status.EVALUATING, buyer=buyer)
    bids = []
    for index, amount in enumerate(REQUESTS):
        bid = factories.venture_proposal(
            tender,
            amount,
            submitted_at=tender.bid_deadline - datetime.timedelta(minutes=100 - index),
        )
        BidScreening.objects.create(bid=bid, passed=True, reason="符合条件。", screened_by=officer)
        bids.append(bid)
    _confirmed_report(tender, bids, by=officer)
    return tender, bids


LOWER = {"amount": cny("150000.00"), "reason": "项目活动经费测算偏高，核减部分物资采购费用。"}


def test_funding_follows_the_ranking_skips_what_does_not_fit_and_records_it(ranked_round, officer):
    """Against a ¥4,000,000 pool: ranks 1–20 (20 at a lower ¥150,000 with its reason) and 23
    are funded, 21, 22, 24 and 25 skipped; awards carry the amounts and the reason; the
    tender is awarded; the audit records the skips and the lower amount."""
    tender, bids = ranked_round

    awards = venture_fund(
        tender=tender, by=officer, overrides={bids[19].pk: (LOWER["amount"], LOWER["reason"])}
    )

    funded = {award.bid_id: award for award in awards}
    expected = [bid.pk for bid in bids[:20]] + [bids[22].pk]
    assert sorted(funded) == sorted(expected)
    assert funded[bids[0].pk].amount == cny("200000.00")
    assert funded[bids[19].pk].amount == cny("150000.00")
    assert funded[bids[19].pk].reason == LOWER["reason"]
    assert funded[bids[22].pk].amount == cny("50000.00")
    assert sum(award.amount.amount for award in awards) == 4000000
    tender.refresh_from_db()
    assert tender.status == Tender.Status.AWARDED
    entry = AuditEntry.objects.get(action="fund")
    assert entry.data["skipped"] == [bids[20].pk, bids[21].pk, bids[23].pk, bids[24].pk]
    assert entry.data["lowered"] == {str(bids[19].pk): ["200000.00", "150000.00"]}
    assert entry.data["remaining"] == "0.00"


def test_without_overrides_the_pool_is_filled_greedily(ranked_round, officer):
    """Ranks 1–20 take the whole ¥4,000,000; everything after is skipped."""
    tender, bids = ranked_round

    plan = venture_fund_preview(tender=tender, by=officer)

    assert [row.bid for row in plan.funded] == bids[:20]
    assert plan.used == cny("4000000.00")
    assert plan.remaining == cny("0.00")
    assert len(plan.skipped) == 5


def test_a_delegated_operator_may_publish_the_funding(ranked_round, operator_admin):
    """The operator decides and publishes the funded list within its delegation."""
    tender, _bids = ranked_round

    awards = venture_fund(tender=tender, by=operator_admin)

    assert len(awards) == 20


def _override_above_request(bids):
    return {bids[0].pk: (cny("200000.01"), "多给一分")}, "amount_{0}", "不能高于其申请金额"


def _lower_without_reason(bids):
    return {bids[1].pk: (cny("100000.00"), "  ")}, "reason_{1}", "请填写理由"


def _not_ranked(bids):
    return {999999: (cny("100.00"), "随便")}, "__all__", "不在评审报告的有效排名中"


@pytest.mark.parametrize("make", [_override_above_request, _lower_without_reason, _not_ranked])
def test_bad_overrides_are_refused_on_their_field_and_nothing_changes(ranked_round, officer, make):
    """An amount above the request, a lower amount without reason, or an unranked proposal:
    refused with the message on the proposal's field; no award, no status change, no audit."""
    tender, bids = ranked_round
    overrides, key, fragment = make(bids)
    key = key.format(bids[0].pk, bids[1].pk)
    before = _state()

    with pytest.raises(ValidationError) as raised:
        venture_fund(tender=tender, by=officer, overrides=overrides)

    assert fragment in " ".join(raised.value.message_dict[key])
    assert _state() == before


def test_funding_needs_a_confirmed_report(buyer, officer):
    """Before the panel confirms the report, no funding decision; nothing changes."""
    tender = factories.venture_round(status=Tender.Status.EVALUATING, buyer=buyer)
    bid = factories.venture_proposal(tender)
    _confirmed_report(tender, [bid], confirmed=False, by=officer)
    before = _state()

    with pytest.raises(ValidationError) as raised:
        venture_fund(tender=tender, by=officer)

    assert "尚未经全体专家确认" in " ".join(raised.value.messages)
    assert _state() == before


def test_a_pool_too_small_for_any_proposal_is_refused(buyer, officer):
    """If even the best-ranked proposal does not fit, nothing is published."""
    tender = factories.venture_round(
        status=Tender.Status.EVALUATING, buyer=buyer, budget="100000.00", cap="100000.00"
    )
    bid = factories.venture_proposal(tender, "100000.00")
    Tender.objects.filter(pk=tender.pk).update(budget=cny("99999.99"), project_cap=None)
    _confirmed_report(tender, [bid], by=officer)
    before = _state()

    with pytest.raises(ValidationError) as raised:
        venture_fund(tender=tender, by=officer)

    assert "不足以资助" in " ".join(raised.value.messages)
    assert _state() == before


def test_an_outsider_cannot_fund(ranked_round):
    """Another buyer's officer gets PermissionDenied and nothing is published."""
    tender, _bids = ranked_round
    before = _state()

    with pytest.raises(PermissionDenied):
        venture_fund(tender=tender, by=factories.BuyerMembershipFactory().user)

    assert _state() == before
