"""The 公益创投 round hub: who reaches it, what it shows per stage, its forms, and a query
count that does not grow with the proposals."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    Award,
    BidScreening,
    EvaluationReport,
    OrganisationMembership,
    PresentationSlot,
    Tender,
)
from tests import factories
from tests.marketplace.views.test_buyer_tenders import _form_data

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def venture_round(buyer):
    return factories.venture_round(buyer=buyer)


@pytest.fixture
def as_officer(client, officer, mfa):
    mfa(officer)
    client.force_login(officer)
    return client


@pytest.fixture
def operator_admin(buyer):
    delegation = factories.DelegationFactory(buyer=buyer)
    return factories.OrganisationMembershipFactory(
        organisation=delegation.operator, role=OrganisationMembership.Role.ADMIN
    ).user


def _url(tender, name="round_manage", *args):
    return reverse(name, args=[tender.pk, *args])


def test_the_hub_renders_for_an_officer_with_every_stage(as_officer, venture_round):
    """An officer sees the pool, the cap, each proposal with its requested amount and a
    screening form, the schedule form, and the links to the panel and the dashboard."""
    bid = factories.venture_proposal(venture_round, "123456.00")

    response = as_officer.get(_url(venture_round))

    assert response.status_code == 200
    page = response.content.decode()
    assert "¥4,000,000.00" in page and "¥200,000.00" in page
    assert bid.organisation.name in page
    assert "¥123,456.00" in page
    assert _url(venture_round, "round_screen", bid.pk) in page
    assert _url(venture_round, "round_schedule") in page
    assert reverse("panel_manage", args=[venture_round.pk]) in page
    assert reverse("evaluation_dashboard", args=[venture_round.pk]) in page


def test_the_hub_renders_for_a_delegated_operator_admin(client, venture_round, operator_admin):
    """The operator's admin (an organisation member, no MFA needed) gets the hub too."""
    factories.venture_proposal(venture_round)
    client.force_login(operator_admin)

    response = client.get(_url(venture_round))

    assert response.status_code == 200
    assert "初审" in response.content.decode()


def test_an_officer_without_mfa_is_sent_to_set_it_up(client, officer, venture_round):
    """Officers need TOTP on the round pages as on their other buyer pages."""
    client.force_login(officer)

    response = client.get(_url(venture_round))

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def _plain_user(buyer):
    return factories.UserFactory()


def _other_officer(buyer):
    return factories.BuyerMembershipFactory().user


def _expired_operator(buyer):
    today = timezone.localdate()
    delegation = factories.DelegationFactory(
        buyer=buyer, starts_on=today - 30 * DAY, expires_on=today - DAY
    )
    return factories.OrganisationMembershipFactory(organisation=delegation.operator).user


@pytest.mark.parametrize("make_user", [_plain_user, _other_officer, _expired_operator])
def test_others_get_404(client, mfa, buyer, venture_round, make_user):
    """Anyone who may not run the round gets 404 on the hub and on every action."""
    user = make_user(buyer)
    mfa(user)
    client.force_login(user)
    bid = factories.venture_proposal(venture_round)

    assert client.get(_url(venture_round)).status_code == 404
    assert client.post(_url(venture_round, "round_screen", bid.pk), {}).status_code == 404
    assert client.post(_url(venture_round, "round_schedule"), {}).status_code == 404
    assert client.post(_url(venture_round, "round_fund"), {}).status_code == 404
    assert not BidScreening.objects.exists()


def test_a_tender_of_another_method_has_no_hub(as_officer, buyer):
    """The hub is for 公益创投 only: an open tender's id gives 404."""
    tender = factories.TenderFactory(buyer=buyer)

    assert as_officer.get(_url(tender)).status_code == 404


def test_the_anonymous_are_sent_to_sign_in(client, venture_round):
    response = client.get(_url(venture_round))

    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_proposals_stay_sealed_before_the_opening(as_officer, buyer):
    """Before the opening record exists the hub lists no proposal."""
    now = timezone.now()
    tender = factories.TenderFactory(
        buyer=buyer, method=Tender.Method.VENTURE, project_cap=Money("100000.00", "CNY"),
        status=Tender.Status.CLOSED, clarification_deadline=now - 3 * DAY,
        bid_deadline=now - 2 * DAY, opening_at=now + DAY,
    )  # fmt: skip
    bid = factories.venture_proposal(tender)

    page = as_officer.get(_url(tender)).content.decode()

    assert bid.organisation.name not in page
    assert "开标后方可初审" in page


def test_screening_through_the_hub(as_officer, venture_round):
    """Posting a verdict with a reason records it and returns to the proposal's row."""
    bid = factories.venture_proposal(venture_round)

    response = as_officer.post(
        _url(venture_round, "round_screen", bid.pk), {"passed": "0", "reason": "材料不全。"}
    )

    assert response.status_code == 302
    assert response.url.endswith(f"#proposal-{bid.pk}")
    screening = BidScreening.objects.get(bid=bid)
    assert (screening.passed, screening.reason) == (False, "材料不全。")


def test_screening_without_a_reason_shows_the_message_and_records_nothing(
    as_officer, venture_round
):
    bid = factories.venture_proposal(venture_round)

    response = as_officer.post(
        _url(venture_round, "round_screen", bid.pk), {"passed": "1", "reason": ""}, follow=True
    )

    assert "请填写初审理由" in response.content.decode()
    assert not BidScreening.objects.exists()


def test_scheduling_through_the_hub(client, venture_round, operator_admin, officer):
    """The operator posts the schedule form; each passed proposal gets a slot, shown in the
    slot table."""
    bid = factories.venture_proposal(venture_round)
    BidScreening.objects.create(bid=bid, passed=True, reason="符合条件。", screened_by=officer)
    client.force_login(operator_admin)
    start = timezone.localtime(timezone.now() + 2 * DAY, datetime.UTC).replace(
        second=0, microsecond=0
    )
    beijing = timezone.localtime(start, timezone.get_fixed_timezone(480))

    response = client.post(
        _url(venture_round, "round_schedule"),
        {
            "starts_at": beijing.strftime("%Y-%m-%dT%H:%M"),
            "minutes": "20",
            "gap_minutes": "5",
            "place": "区社会组织孵化基地",
        },
        follow=True,
    )

    assert response.status_code == 200
    slot = PresentationSlot.objects.get(bid=bid)
    assert slot.starts_at == start
    assert "区社会组织孵化基地" in response.content.decode()


def test_a_bad_schedule_is_shown_on_its_field(as_officer, venture_round, officer):
    bid = factories.venture_proposal(venture_round)
    BidScreening.objects.create(bid=bid, passed=True, reason="符合条件。", screened_by=officer)
    past = timezone.localtime(timezone.now() - DAY).strftime("%Y-%m-%dT%H:%M")

    response = as_officer.post(
        _url(venture_round, "round_schedule"),
        {"starts_at": past, "minutes": "15", "gap_minutes": "0", "place": "区民政局"},
    )

    assert response.status_code == 400
    assert "答辩开始时间必须晚于现在" in response.content.decode()
    assert not PresentationSlot.objects.exists()


def _ranked(tender, officer, requests):
    bids = []
    for index, amount in enumerate(requests):
        bid = factories.venture_proposal(
            tender,
            amount,
            submitted_at=tender.bid_deadline - datetime.timedelta(minutes=60 - index),
        )
        BidScreening.objects.create(bid=bid, passed=True, reason="符合条件。", screened_by=officer)
        bids.append(bid)
    rows = [
        {"bid": bid.pk, "valid": True, "rank": rank, "total": "80.00"}
        for rank, bid in enumerate(bids, start=1)
    ]
    EvaluationReport.objects.create(
        tender=tender, number=1, results={"rows": rows, "bids": rows}, recommended=bids[0],
        created_by=officer, confirmed_at=timezone.now(),
    )  # fmt: skip
    return bids


def test_the_funding_preview_shows_requested_funded_and_skipped(as_officer, buyer, officer):
    """With a confirmed report the hub previews the plan: funded amounts, the skip, the pool."""
    tender = factories.venture_round(buyer=buyer, status=Tender.Status.EVALUATING)
    _ranked(tender, officer, ["200000.00"] * 19 + ["200000.00", "300000.00", "100000.00"])
    Tender.objects.filter(pk=tender.pk).update(project_cap=Money("300000.00", "CNY"))

    page = as_officer.get(_url(tender)).content.decode()

    assert "资金不足，跳过" in page
    assert "¥4,000,000.00" in page
    assert _url(tender, "round_fund") in page


def test_publishing_the_funding_with_a_lower_amount(as_officer, buyer, officer):
    """Publishing creates the awards at the plan's amounts, the lower one with its reason."""
    tender = factories.venture_round(buyer=buyer, status=Tender.Status.EVALUATING)
    bids = _ranked(tender, officer, ["200000.00", "150000.00"])

    response = as_officer.post(
        _url(tender, "round_fund"),
        {
            "action": "publish",
            f"amount_{bids[1].pk}": "120000.00",
            f"reason_{bids[1].pk}": "核减宣传费用。",
        },
    )

    assert response.status_code == 302
    amounts = dict(Award.objects.values_list("bid_id", "amount"))
    assert amounts == {bids[0].pk: 200000, bids[1].pk: 120000}
    assert Award.objects.get(bid=bids[1]).reason == "核减宣传费用。"


def test_a_lower_amount_without_reason_is_shown_on_its_field(as_officer, buyer, officer):
    """Nothing is published; the reason field of that proposal carries the message."""
    tender = factories.venture_round(buyer=buyer, status=Tender.Status.EVALUATING)
    bids = _ranked(tender, officer, ["200000.00", "150000.00"])

    response = as_officer.post(
        _url(tender, "round_fund"), {"action": "publish", f"amount_{bids[1].pk}": "120000.00"}
    )

    assert response.status_code == 400
    assert "请填写理由" in response.content.decode()
    assert not Award.objects.exists()


def _screening_round(buyer, officer, count):
    tender = factories.venture_round(buyer=buyer)
    for index in range(count):
        bid = factories.venture_proposal(
            tender, submitted_at=tender.bid_deadline - datetime.timedelta(minutes=index)
        )
        BidScreening.objects.create(bid=bid, passed=True, reason="符合条件。", screened_by=officer)
        PresentationSlot.objects.create(
            bid=bid, starts_at=timezone.now() + DAY, minutes=15, place="区民政局"
        )
    return tender


def _funding_round(buyer, officer, count):
    tender = factories.venture_round(buyer=buyer, status=Tender.Status.EVALUATING)
    _ranked(tender, officer, ["100000.00"] * count)
    return tender


def _queries(client, tender) -> list:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url(tender)).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("make", [_screening_round, _funding_round], ids=["screening", "funding"])
def test_the_hub_query_count_does_not_grow_with_proposals(as_officer, buyer, officer, make):
    """Proposals with their 初审 and slots (or the funding plan) are fetched up front: 3 or
    12 proposals, the same number of queries."""
    few, many = make(buyer, officer, 3), make(buyer, officer, 12)
    _queries(as_officer, few)  # warm the session and content-type caches

    assert len(_queries(as_officer, many)) == len(_queries(as_officer, few))


def test_the_tender_form_asks_for_the_cap_and_shows_the_service_message(as_officer, buyer):
    """The draft form has the cap field; a 公益创投 draft without it is refused on that field."""
    url = reverse("buyer_tender_create", args=[buyer.pk])
    assert 'name="project_cap_0"' in as_officer.get(url).content.decode()

    data = _form_data(method=Tender.Method.VENTURE, criteria=factories.criteria(price_weight=0))
    response = as_officer.post(url, data)
    assert "公益创投须填写单个项目资助上限" in response.content.decode()
    assert not Tender.objects.exists()

    data.update({"project_cap_0": "150000.00", "project_cap_1": "CNY"})
    response = as_officer.post(url, data)
    assert response.status_code == 302
    assert Tender.objects.get().project_cap == Money("150000.00", "CNY")
