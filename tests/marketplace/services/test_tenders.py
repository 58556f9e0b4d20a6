"""Tender services: drafting, publishing (minimum bidding periods), amending, cancelling."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from djmoney.money import Money

from marketplace.dates import WorkingDayCalendarUnknown
from marketplace.models import (
    AuditEntry,
    Bid,
    CommunityListItem,
    ProhibitedItem,
    Tender,
    TenderCriterion,
    TenderFollow,
    TenderMilestone,
    TenderVersion,
)
from marketplace.selectors.tenders import tender_snapshot
from marketplace.services.tenders import (
    tender_amend,
    tender_cancel,
    tender_create,
    tender_publish,
    tender_update,
)
from marketplace.workflows import TransitionNotAllowed
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.timedelta(days=1)


def _fields(now=None, **overrides):
    """Valid keyword fields for tender_create, with deadlines relative to `now`."""
    now = now or timezone.now()
    fields = {
        "title": "姑苏区老年助餐服务项目",
        "description": "为辖区老人提供助餐服务，每日午餐配送。",
        "category": factories.category("0101"),
        "region": factories.county(),
        "budget": Money("300000.00", "CNY"),
        "method": Tender.Method.OPEN,
        "contract_months": 12,
        "clarification_deadline": now + 20 * DAY,
        "bid_deadline": now + 25 * DAY,
        "opening_at": now + 25 * DAY + datetime.timedelta(hours=1),
    }
    fields.update(overrides)
    return fields


def _counts():
    """Row counts of everything a tender service may write."""
    return {
        "tenders": Tender.objects.count(),
        "criteria": TenderCriterion.objects.count(),
        "milestones": TenderMilestone.objects.count(),
        "versions": TenderVersion.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def _freeze_db_now(monkeypatch, moment):
    monkeypatch.setattr("marketplace.services.tenders.db_now", lambda: moment)


@pytest.fixture
def published(buyer, officer):
    def make(**overrides):
        tender = factories.TenderFactory(buyer=buyer, **overrides)
        TenderVersion.objects.create(
            tender=tender, number=1, snapshot=tender_snapshot(tender), created_by=officer
        )
        return tender

    return make


# --- create and update --------------------------------------------------------------------


def test_create_saves_a_draft_with_criteria_milestones_and_an_audit_entry(buyer, officer):
    """tender_create by the buyer's officer saves a draft (version 0) with its criteria and
    milestones in order, and records one "create" audit entry."""
    before = _counts()

    tender = tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        **_fields(),
    )

    tender.refresh_from_db()
    assert tender.status == Tender.Status.DRAFT
    assert tender.version == 0
    assert tender.buyer == buyer
    assert tender.created_by == officer
    assert [(c.name, c.weight, c.is_price) for c in tender.criteria.all()] == [
        ("服务方案", 70, False),
        ("价格", 30, True),
    ]
    assert [m.percentage for m in tender.milestones.all()] == [30, 40, 30]
    assert _counts()["audit"] == before["audit"] + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id, entry.actor) == ("create", str(tender.pk), officer)


def test_update_changes_a_draft_and_replaces_criteria(buyer, officer):
    """tender_update changes the draft's fields and replaces its criteria when given, keeping
    the milestones it was not given."""
    tender = tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        **_fields(),
    )

    tender_update(tender=tender, by=officer, title="新标题", criteria=factories.criteria(40))

    tender.refresh_from_db()
    assert tender.title == "新标题"
    assert [c.weight for c in tender.criteria.all()] == [60, 40]
    assert tender.milestones.count() == 3
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "update"
    assert entry.data == {"fields": ["title"]}


def test_update_of_a_published_tender_is_refused(officer, published):
    """A published tender changes only by amendment: tender_update refuses and changes nothing."""
    tender = published()
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        tender_update(tender=tender, by=officer, title="偷偷修改")

    assert raised.value.code == "not_draft"
    tender.refresh_from_db()
    assert tender.title != "偷偷修改"
    assert _counts() == before


def _two_orgs():
    return [factories.OrganisationFactory() for _ in range(2)]


def _assistance_without_funding():
    return {"assistance_item": factories.CommunityListItemFactory(), "funding_source": ""}


def _duty_item():
    return {
        "assistance_item": factories.CommunityListItemFactory(
            kind=CommunityListItem.Kind.DUTY, funding_required=False
        ),
        "funding_source": "区民政局专项经费",
    }


INVALID_DRAFTS = {
    "weights_not_100": (
        lambda: {
            "criteria": [
                {"name": "服务方案", "weight": 60},
                {"name": "价格", "weight": 30, "is_price": True},
            ]
        },
        "criteria",
        "当前为 90",
    ),
    "two_price_criteria": (
        lambda: {
            "criteria": [
                {"name": "服务方案", "weight": 40},
                {"name": "价格", "weight": 30, "is_price": True},
                {"name": "报价", "weight": 30, "is_price": True},
            ]
        },
        "criteria",
        "最多只能有一项价格分",
    ),
    "price_criterion_on_venture": (
        lambda: {"method": Tender.Method.VENTURE, "criteria": factories.criteria(30)},
        "criteria",
        "不设价格分",
    ),
    "milestones_not_100": (
        lambda: {
            "milestones": [{"name": "签订", "percentage": 50}, {"name": "验收", "percentage": 40}]
        },
        "milestones",
        "当前为 90%",
    ),
    "budget_zero": (lambda: {"budget": Money("0.00", "CNY")}, None, "预算金额必须大于0"),
    "budget_negative": (lambda: {"budget": Money("-1.00", "CNY")}, None, "预算金额必须大于0"),
    "budget_in_usd": (lambda: {"budget": Money("300000.00", "USD")}, "budget", "人民币"),
    "term_13_months_not_continuous": (
        lambda: {"contract_months": 13},
        None,
        "服务期限最长1年",
    ),
    "term_37_months_continuous": (
        lambda: {"contract_months": 37, "continuous_service": True},
        "contract_months",
        "36",
    ),
    "clarification_after_bid_deadline": (
        lambda: {"clarification_deadline": timezone.now() + 26 * DAY},
        None,
        "答疑截止时间不得晚于投标截止时间",
    ),
    "opening_before_bid_deadline": (
        lambda: {"opening_at": timezone.now() + 24 * DAY},
        None,
        "开标时间不得早于投标截止时间",
    ),
    "prohibited_category": (
        lambda: {"category": factories.category("0606")},
        "category",
        lambda: ProhibitedItem.objects.get(code="N07").reason,
    ),
    "assistance_without_funding_source": (
        _assistance_without_funding,
        "funding_source",
        "费随事转",
    ),
    "duty_item_cited": (_duty_item, "assistance_item", "只能引用协助政府工作事项"),
    "single_source_without_invitation": (
        lambda: {"method": Tender.Method.SINGLE_SOURCE, "invited": []},
        "invited",
        "仅指定一家",
    ),
    "single_source_with_two_invited": (
        lambda: {"method": Tender.Method.SINGLE_SOURCE, "invited": _two_orgs()},
        "invited",
        "仅指定一家",
    ),
    "invited_with_two": (
        lambda: {"method": Tender.Method.INVITED, "invited": _two_orgs()},
        "invited",
        "至少3家",
    ),
}


@pytest.mark.parametrize(
    ("make_overrides", "field", "fragment"), INVALID_DRAFTS.values(), ids=INVALID_DRAFTS.keys()
)
def test_create_refuses_an_invalid_draft_and_saves_nothing(
    buyer, officer, make_overrides, field, fragment
):
    """Each broken rule raises a ValidationError naming the field and the rule (for a
    negative-list category, the negative-list item's reason); nothing is written."""
    arguments = {
        "criteria": factories.criteria(),
        "milestones": factories.milestones(),
        **_fields(),
    }
    arguments.update(make_overrides())
    fragment = fragment() if callable(fragment) else fragment
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        tender_create(by=officer, buyer=buyer, **arguments)

    if field is not None:
        assert field in raised.value.message_dict, raised.value.message_dict
        assert fragment in " ".join(raised.value.message_dict[field])
    else:
        assert fragment in _messages(raised.value)
    assert _counts() == before


def test_prohibited_category_message_names_the_negative_list_item(buyer, officer):
    """Picking 0606 (社区专职工作人员岗位购买) is refused with N07's name and reason."""
    item = ProhibitedItem.objects.get(code="N07")

    with pytest.raises(ValidationError) as raised:
        tender_create(
            by=officer,
            buyer=buyer,
            criteria=factories.criteria(),
            milestones=factories.milestones(),
            **_fields(category=factories.category("0606")),
        )

    message = " ".join(raised.value.message_dict["category"])
    assert item.name in message
    assert item.reason in message
    assert Tender.objects.count() == 0


def test_single_source_with_one_invited_and_invited_with_three_are_accepted(buyer, officer):
    """The invitation counts the rules demand (exactly 1; at least 3) are accepted."""
    single = tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        invited=[factories.OrganisationFactory()],
        **_fields(method=Tender.Method.SINGLE_SOURCE),
    )
    invited = tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        invited=[factories.OrganisationFactory() for _ in range(3)],
        **_fields(method=Tender.Method.INVITED),
    )

    assert single.invited.count() == 1
    assert invited.invited.count() == 3


def test_assistance_item_with_funding_source_is_accepted(buyer, officer):
    """An assistance item (协助政府工作事项) with a funding source is accepted (费随事转)."""
    item = factories.CommunityListItemFactory()

    tender = tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        **_fields(assistance_item=item, funding_source="区民政局专项经费"),
    )

    assert tender.assistance_item == item


def test_continuous_service_may_run_36_months(buyer, officer):
    """A continuous service may be contracted for up to 3 years."""
    tender = tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        **_fields(contract_months=36, continuous_service=True),
    )

    assert tender.contract_months == 36


@pytest.mark.parametrize("who", ["org_admin", "other_officer", "staff", "anonymous"])
def test_only_the_buyers_officer_may_create(buyer, org_admin, staff, who):
    """Anyone but the buyer's officer (an organisation admin, another buyer's officer, staff,
    nobody) is refused with PermissionDenied and nothing is saved."""
    from django.contrib.auth.models import AnonymousUser

    actor = {
        "org_admin": org_admin,
        "other_officer": factories.BuyerMembershipFactory().user,
        "staff": staff,
        "anonymous": AnonymousUser(),
    }[who]
    before = _counts()

    with pytest.raises(PermissionDenied):
        tender_create(
            by=actor,
            buyer=buyer,
            criteria=factories.criteria(),
            milestones=factories.milestones(),
            **_fields(),
        )

    assert _counts() == before


def test_update_by_another_buyers_officer_is_refused(buyer, officer):
    """Another buyer's officer may not edit the draft: PermissionDenied, nothing changed."""
    tender = tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        **_fields(),
    )
    before = _counts()

    with pytest.raises(PermissionDenied):
        tender_update(tender=tender, by=factories.BuyerMembershipFactory().user, title="改")

    tender.refresh_from_db()
    assert tender.title == "姑苏区老年助餐服务项目"
    assert _counts() == before


# --- publish: minimum bidding periods --------------------------------------------------------


def _draft(buyer, officer, now, **overrides):
    return tender_create(
        by=officer,
        buyer=buyer,
        criteria=factories.criteria(),
        milestones=factories.milestones(),
        **_fields(now=now, **overrides),
    )


def _assert_still_draft(tender, before):
    tender.refresh_from_db()
    assert tender.status == Tender.Status.DRAFT
    assert tender.version == 0
    assert tender.published_at is None
    assert _counts() == before


def test_publish_makes_version_1_at_the_database_time(monkeypatch, buyer, officer):
    """Publishing a valid draft sets PUBLISHED, published_at = the database clock, version 1
    with a snapshot, and one transition audit entry."""
    now = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    _freeze_db_now(monkeypatch, now)
    tender = _draft(buyer, officer, now)
    before = _counts()

    tender_publish(tender=tender, by=officer)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert tender.published_at == now
    assert tender.version == 1
    version = tender.versions.get()
    assert version.number == 1
    assert version.snapshot["title"] == tender.title
    assert _counts()["versions"] == before["versions"] + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.from_status, entry.to_status) == (
        "transition",
        Tender.Status.DRAFT,
        Tender.Status.PUBLISHED,
    )


def test_open_tender_needs_20_calendar_days(monkeypatch, buyer, officer):
    """公开招标: a deadline 19 days after publication is refused, naming the earliest allowed
    date; exactly 20 days is accepted."""
    now = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    _freeze_db_now(monkeypatch, now)
    tender = _draft(
        buyer,
        officer,
        now,
        clarification_deadline=now + 10 * DAY,
        bid_deadline=now + 19 * DAY,
        opening_at=now + 19 * DAY,
    )
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        tender_publish(tender=tender, by=officer)

    assert "bid_deadline" in raised.value.message_dict
    assert "2026-03-25 10:00" in _messages(raised.value)
    assert "20" in _messages(raised.value)
    _assert_still_draft(tender, before)

    tender_update(tender=tender, by=officer, bid_deadline=now + 20 * DAY, opening_at=now + 20 * DAY)
    tender_publish(tender=tender, by=officer)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED


@pytest.mark.parametrize(
    ("now", "too_early", "earliest"),
    [
        # Thursday: Fri, (weekend), Mon, Tue → the third working day is Tuesday the 10th.
        (
            datetime.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI),
            datetime.datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI),
            datetime.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI),
        ),
        # Thursday before the Spring Festival: Fri 13th, Sat 14th (调休, a working day), then
        # the holiday until Mon 23rd → the third working day is Tue 24th (25th without 调休).
        (
            datetime.datetime(2026, 2, 12, 10, 0, tzinfo=SHANGHAI),
            datetime.datetime(2026, 2, 24, 9, 59, tzinfo=SHANGHAI),
            datetime.datetime(2026, 2, 24, 10, 0, tzinfo=SHANGHAI),
        ),
    ],
    ids=["across_a_weekend", "across_the_2026_spring_festival_with_tiaoxiu"],
)
def test_negotiation_needs_3_working_days(monkeypatch, buyer, officer, now, too_early, earliest):
    """竞争性谈判: 3 working days by the Chinese calendar (weekends and holidays skipped, 调休
    Saturdays counted): a deadline before the third working day is refused with that date in
    the message, and the third working day itself is accepted."""
    _freeze_db_now(monkeypatch, now)
    tender = _draft(
        buyer,
        officer,
        now,
        method=Tender.Method.NEGOTIATION,
        clarification_deadline=now + DAY,
        bid_deadline=too_early,
        opening_at=too_early,
    )
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        tender_publish(tender=tender, by=officer)

    assert earliest.strftime("%Y-%m-%d %H:%M") in _messages(raised.value)
    assert "3个工作日" in _messages(raised.value)
    _assert_still_draft(tender, before)

    tender_update(tender=tender, by=officer, bid_deadline=earliest, opening_at=earliest)
    tender_publish(tender=tender, by=officer)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert tender.bid_deadline == earliest


def test_working_day_method_in_an_unknown_year_is_refused(monkeypatch, buyer, officer):
    """Without the State Council's holiday notice for 2027 the working-day period cannot be
    computed: publishing raises WorkingDayCalendarUnknown and the draft stays a draft."""
    now = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
    _freeze_db_now(monkeypatch, now)
    tender = _draft(
        buyer,
        officer,
        now,
        method=Tender.Method.NEGOTIATION,
        clarification_deadline=now + DAY,
        bid_deadline=now + 10 * DAY,
        opening_at=now + 10 * DAY,
    )
    before = _counts()

    with pytest.raises(WorkingDayCalendarUnknown) as raised:
        tender_publish(tender=tender, by=officer)

    assert raised.value.code == "working_day_calendar_unknown"
    assert "2027" in _messages(raised.value)
    _assert_still_draft(tender, before)


def test_publish_with_an_invalid_part_is_refused(monkeypatch, buyer, officer):
    """Publishing re-checks the save rules: a draft whose milestones no longer sum to 100
    (changed behind the service's back) is refused and stays a draft."""
    now = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    _freeze_db_now(monkeypatch, now)
    tender = _draft(buyer, officer, now)
    tender.milestones.filter(position=0).update(percentage=10)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        tender_publish(tender=tender, by=officer)

    assert "milestones" in raised.value.message_dict
    _assert_still_draft(tender, before)


def test_publish_by_another_buyers_officer_is_refused(monkeypatch, buyer, officer):
    """Only the buyer's officer publishes: anyone else gets PermissionDenied, nothing changes."""
    now = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    _freeze_db_now(monkeypatch, now)
    tender = _draft(buyer, officer, now)
    before = _counts()

    with pytest.raises(PermissionDenied):
        tender_publish(tender=tender, by=factories.BuyerMembershipFactory().user)

    _assert_still_draft(tender, before)


def test_publishing_twice_is_refused(monkeypatch, buyer, officer):
    """A published tender cannot be published again (no second version 1)."""
    now = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    _freeze_db_now(monkeypatch, now)
    tender = _draft(buyer, officer, now)
    tender_publish(tender=tender, by=officer)
    before = _counts()

    with pytest.raises(TransitionNotAllowed):
        tender_publish(tender=tender, by=officer)

    assert _counts() == before


# --- amend -----------------------------------------------------------------------------------


@pytest.fixture
def frozen_now(monkeypatch):
    """The database clock, frozen to the current second for the duration of the test."""
    now = timezone.now().replace(microsecond=0)
    _freeze_db_now(monkeypatch, now)
    return now


def _tender_state(tender):
    tender.refresh_from_db()
    return {
        "version": tender.version,
        "description": tender.description,
        "title": tender.title,
        "bid_deadline": tender.bid_deadline,
        "budget": tender.budget,
        "versions": tender.versions.count(),
        "reconfirm": list(tender.bids.values_list("pk", "needs_reconfirmation")),
        **_counts(),
    }


def test_amend_creates_the_next_version_with_the_differences(officer, published, frozen_now):
    """A requirement change with the deadline moved out past the minimum period is published
    as version n+1 recording each changed field with its before and after value."""
    tender = published(
        clarification_deadline=frozen_now + 5 * DAY,
        bid_deadline=frozen_now + 10 * DAY,
        opening_at=frozen_now + 10 * DAY,
    )
    new_deadline = frozen_now + 21 * DAY

    version = tender_amend(
        tender=tender,
        by=officer,
        note="增加服务内容，顺延截止时间",
        description="新的服务内容",
        bid_deadline=new_deadline,
        opening_at=new_deadline,
    )

    tender.refresh_from_db()
    assert tender.version == 2
    assert version.number == 2
    assert version.requirements_changed is True
    assert version.note == "增加服务内容，顺延截止时间"
    fields = {change["field"]: change for change in version.changes}
    assert set(fields) == {"description", "bid_deadline", "opening_at"}
    assert (
        fields["description"]["before"]
        == "为辖区失能、半失能老人提供助餐、助浴、助洁等居家上门服务。"
    )
    assert fields["description"]["after"] == "新的服务内容"
    assert version.snapshot["description"] == "新的服务内容"
    assert tender.bid_deadline == new_deadline
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "amend"
    assert entry.data["version"] == 2


def test_requirement_change_inside_the_minimum_period_is_refused(officer, published, frozen_now):
    """Changing a requirement (the budget) while the deadline is less than the method's
    minimum period away is refused naming the earliest allowed deadline; nothing changes."""
    tender = published(
        clarification_deadline=frozen_now + 5 * DAY,
        bid_deadline=frozen_now + 10 * DAY,
        opening_at=frozen_now + 10 * DAY,
    )
    factories.BidFactory(tender=tender)
    before = _tender_state(tender)
    earliest = timezone.localtime(frozen_now + 20 * DAY).strftime("%Y-%m-%d %H:%M")

    with pytest.raises(ValidationError) as raised:
        tender_amend(tender=tender, by=officer, note="调整预算", budget=Money("350000.00", "CNY"))

    assert earliest in _messages(raised.value)
    assert _tender_state(tender) == before


def test_title_only_change_is_accepted_without_moving_the_deadline(officer, published, frozen_now):
    """A title is not a requirement: it may change inside the minimum period, the deadline
    stays where it was and the version is marked as not changing requirements."""
    deadline = frozen_now + 10 * DAY
    tender = published(
        clarification_deadline=frozen_now + 5 * DAY, bid_deadline=deadline, opening_at=deadline
    )

    version = tender_amend(tender=tender, by=officer, note="更正错别字", title="更正后的项目名称")

    tender.refresh_from_db()
    assert tender.title == "更正后的项目名称"
    assert tender.bid_deadline == deadline
    assert version.requirements_changed is False
    assert [change["field"] for change in version.changes] == ["title"]


def test_amend_with_no_change_is_refused(officer, published, frozen_now):
    """An amendment that changes nothing is refused and writes nothing."""
    tender = published()
    before = _tender_state(tender)

    with pytest.raises(ValidationError) as raised:
        tender_amend(tender=tender, by=officer, note="无变化", title=tender.title)

    assert raised.value.code == "no_changes"
    assert _tender_state(tender) == before


def test_amend_cannot_change_the_method(officer, published, frozen_now):
    """The procurement method is fixed at publication: changing it is refused."""
    tender = published()
    before = _tender_state(tender)

    with pytest.raises(ValidationError) as raised:
        tender_amend(tender=tender, by=officer, note="改方式", method=Tender.Method.NEGOTIATION)

    assert "method" in raised.value.message_dict
    tender.refresh_from_db()
    assert tender.method == Tender.Method.OPEN
    assert _tender_state(tender) == before


def test_amend_needs_a_note(officer, published, frozen_now):
    """The amendment note is published with it: a blank note is refused."""
    tender = published()
    before = _tender_state(tender)

    with pytest.raises(ValidationError) as raised:
        tender_amend(tender=tender, by=officer, note="  ", title="新标题")

    assert "note" in raised.value.message_dict
    assert _tender_state(tender) == before


def test_amend_after_the_deadline_is_refused(officer, published, frozen_now):
    """Once the bid deadline has passed (even if no job has closed bidding) the tender cannot
    be amended."""
    tender = published(
        clarification_deadline=frozen_now - 2 * DAY,
        bid_deadline=frozen_now - datetime.timedelta(minutes=1),
        opening_at=frozen_now + DAY,
    )
    before = _tender_state(tender)

    with pytest.raises(ValidationError) as raised:
        tender_amend(tender=tender, by=officer, note="晚了", title="新标题")

    assert raised.value.code == "not_amendable"
    assert _tender_state(tender) == before


def test_amend_by_another_buyers_officer_is_refused(published, frozen_now):
    """Only the buyer's officers amend; anyone else gets PermissionDenied and nothing changes."""
    tender = published()
    before = _tender_state(tender)

    with pytest.raises(PermissionDenied):
        tender_amend(
            tender=tender, by=factories.BuyerMembershipFactory().user, note="改", title="新"
        )

    assert _tender_state(tender) == before


def test_amend_marks_live_bids_for_reconfirmation(officer, published, frozen_now):
    """After an amendment every live bid must be re-confirmed; withdrawn bids are untouched."""
    tender = published()
    live = factories.BidFactory(tender=tender, reconfirmed_at=frozen_now)
    withdrawn = factories.BidFactory(tender=tender, status=Bid.Status.WITHDRAWN)

    version = tender_amend(tender=tender, by=officer, note="更正", title="新标题")

    live.refresh_from_db()
    withdrawn.refresh_from_db()
    assert live.needs_reconfirmation is True
    assert live.reconfirmed_at is None
    assert withdrawn.needs_reconfirmation is False
    assert AuditEntry.objects.latest("id").data["bids_to_reconfirm"] == 1
    assert version.number == 2


def test_amend_emails_bidders_and_followers_after_commit(
    officer, published, frozen_now, django_capture_on_commit_callbacks, mailoutbox
):
    """Members of bidding and following organisations are emailed the amendment once the
    transaction commits; organisations with only a withdrawn bid and outsiders are not."""
    tender = published()
    bidder = factories.OrganisationMembershipFactory()
    factories.BidFactory(tender=tender, organisation=bidder.organisation)
    follower = factories.OrganisationMembershipFactory()
    TenderFollow.objects.create(tender=tender, organisation=follower.organisation)
    withdrawn = factories.OrganisationMembershipFactory()
    factories.BidFactory(
        tender=tender, organisation=withdrawn.organisation, status=Bid.Status.WITHDRAWN
    )
    factories.OrganisationMembershipFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tender_amend(tender=tender, by=officer, note="更正服务地址", title="新标题")
    assert mailoutbox == []

    for callback in callbacks:
        callback()

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.to) == sorted([bidder.user.email, follower.user.email])
    assert "第2版" in message.subject
    assert "更正服务地址" in message.body


# --- cancel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  "])
def test_cancel_needs_a_reason(officer, published, reason):
    """Cancelling without a reason is refused; the tender stays published, no audit entry."""
    tender = published()
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        tender_cancel(tender=tender, by=officer, reason=reason)

    assert raised.value.code == "reason_required"
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert _counts() == before


def test_cancel_with_a_reason_emails_bidders(
    officer, published, django_capture_on_commit_callbacks, mailoutbox
):
    """Cancelling with a reason sets CANCELLED, records the reason and emails the bidders'
    members the reason after commit."""
    tender = published()
    bidder = factories.OrganisationMembershipFactory()
    factories.BidFactory(tender=tender, organisation=bidder.organisation)

    with django_capture_on_commit_callbacks(execute=True):
        tender_cancel(tender=tender, by=officer, reason="预算调整，项目取消")

    tender.refresh_from_db()
    assert tender.status == Tender.Status.CANCELLED
    entry = AuditEntry.objects.latest("id")
    assert entry.reason == "预算调整，项目取消"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [bidder.user.email]
    assert "已取消" in mailoutbox[0].subject
    assert "预算调整，项目取消" in mailoutbox[0].body


def test_cancel_by_an_outsider_is_refused(published, org_admin):
    """Nobody but the buyer's officers cancels: PermissionDenied, still published."""
    tender = published()
    before = _counts()

    with pytest.raises(PermissionDenied):
        tender_cancel(tender=tender, by=org_admin, reason="恶意取消")

    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert _counts() == before


def test_amend_cannot_cut_the_minimum_period_by_moving_the_deadline_earlier(
    officer, published, frozen_now
):
    """Dates are not requirements, but bringing the deadline forward may not shorten the
    method's minimum period counted from publication: 公开招标 published 5 days ago cannot
    move its deadline to 7 days after publication. Refused naming the earliest allowed
    deadline; nothing changes."""
    tender = published(
        published_at=frozen_now - 5 * DAY,
        clarification_deadline=frozen_now + DAY,
        bid_deadline=frozen_now + 25 * DAY,
        opening_at=frozen_now + 25 * DAY,
    )
    before = _tender_state(tender)
    earliest = timezone.localtime(frozen_now + 15 * DAY).strftime("%Y-%m-%d %H:%M")

    with pytest.raises(ValidationError) as raised:
        tender_amend(
            tender=tender,
            by=officer,
            note="提前截止",
            bid_deadline=frozen_now + 2 * DAY,
            opening_at=frozen_now + 2 * DAY,
        )

    assert earliest in _messages(raised.value)
    assert _tender_state(tender) == before


def test_amend_may_move_the_deadline_earlier_within_the_minimum_period(
    officer, published, frozen_now
):
    """Bringing the deadline forward is fine while it stays at least 20 days after publication."""
    tender = published(
        published_at=frozen_now - 5 * DAY,
        clarification_deadline=frozen_now + DAY,
        bid_deadline=frozen_now + 25 * DAY,
        opening_at=frozen_now + 25 * DAY,
    )

    version = tender_amend(
        tender=tender,
        by=officer,
        note="提前截止",
        bid_deadline=frozen_now + 15 * DAY,
        opening_at=frozen_now + 15 * DAY,
    )

    assert version.requirements_changed is False
    tender.refresh_from_db()
    assert tender.bid_deadline == frozen_now + 15 * DAY
