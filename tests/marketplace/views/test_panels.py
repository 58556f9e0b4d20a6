"""The panel pages: the buyer draws and names experts and sees every draw with its replay
check; the expert declares conflicts, then sees the bids to score; an expert reaches nothing
outside their own seats on opened tenders."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from marketplace.models import AuditEntry, PanelDraw, PanelMember, Tender
from marketplace.services.panels import panel_declare, panel_draw
from tests import factories
from tests.marketplace.services.test_panels import opened_tender, pool_expert

pytestmark = pytest.mark.django_db

Seat = PanelMember.Status
PLAN = "独一无二的服务计划内容"
AMOUNT = "287654.32"


@pytest.fixture
def officer_client(client, officer, mfa):
    mfa(officer)
    client.force_login(officer)
    return client


@pytest.fixture
def tender(buyer):
    tender = opened_tender(buyer=buyer)
    factories.BidFactory(tender=tender, service_plan=PLAN, amount=Money(AMOUNT, "CNY"))
    factories.BidFactory(tender=tender)
    return tender


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _state():
    return (
        list(Tender.objects.order_by("pk").values_list("status", flat=True)),
        PanelDraw.objects.count(),
        list(PanelMember.objects.order_by("pk").values_list("pk", "status")),
        AuditEntry.objects.count(),
    )


# --- The buyer's panel page --------------------------------------------------------------------


def test_officer_draws_a_panel_and_sees_the_replay_check(officer_client, tender):
    """The draw button seats panel_min pending experts; the page then lists them with their
    source and shows the draw with its seed, candidate count and a matching replay."""
    experts = [pool_expert() for _ in range(6)]

    response = officer_client.post(reverse("panel_draw", args=[tender.pk]), {"size": ""})

    assert response.status_code == 302
    draw = PanelDraw.objects.get()
    assert len(draw.drawn) == 5
    content = officer_client.get(reverse("panel_manage", args=[tender.pk])).content.decode()
    assert str(draw.seed) in content
    assert "重放一致" in content
    assert "随机抽取" in content
    for expert in experts:
        assert (str(expert.user) in content) is (expert.pk in draw.drawn)


def test_draw_with_too_small_a_pool_shows_the_numbers(officer_client, tender):
    """With 2 experts in the pool the draw is refused with a message giving 5 and 2, and
    nothing changes."""
    pool_expert()
    pool_expert()
    before = _state()

    response = officer_client.post(
        reverse("panel_draw", args=[tender.pk]), {"size": ""}, follow=True
    )

    assert "需要抽取 5 名专家" in response.content.decode()
    assert "只有 2 名" in response.content.decode()
    assert _state() == before


def test_naming_is_not_offered_for_open_tendering(officer_client, tender):
    """公开招标: no naming form, and a forged naming POST is refused without a change."""
    expert = pool_expert()
    content = officer_client.get(reverse("panel_manage", args=[tender.pk])).content.decode()
    assert reverse("panel_name", args=[tender.pk]) not in content
    before = _state()

    response = officer_client.post(
        reverse("panel_name", args=[tender.pk]), {"experts": [expert.pk]}, follow=True
    )

    assert "不能由采购人指定" in response.content.decode()
    assert _state() == before


def test_officer_names_experts_where_the_method_allows(officer_client, buyer):
    """竞争性磋商: the naming form offers the pool, and naming seats the chosen experts."""
    tender = opened_tender(buyer=buyer, method=Tender.Method.CONSULTATION)
    chosen, other = pool_expert(), pool_expert()
    content = officer_client.get(reverse("panel_manage", args=[tender.pk])).content.decode()
    assert str(chosen.user) in content and str(other.user) in content

    officer_client.post(reverse("panel_name", args=[tender.pk]), {"experts": [chosen.pk]})

    seat = PanelMember.objects.get()
    assert (seat.expert, seat.source) == (chosen, PanelMember.Source.NAMED)


@pytest.mark.parametrize("who", ["other_officer", "org_member", "staff", "expert"])
def test_panel_pages_are_refused_to_others(tender, mfa, who):
    """Another buyer's officer, an organisation's member, staff and an expert get 404 from
    the panel page and their draw and naming POSTs change nothing."""
    for _ in range(5):
        pool_expert()
    user = {
        "other_officer": lambda: factories.BuyerMembershipFactory().user,
        "org_member": lambda: (
            factories.OrganisationMembershipFactory(
                organisation=tender.bids.first().organisation
            ).user
        ),
        "staff": factories.StaffFactory,
        "expert": lambda: pool_expert().user,
    }[who]()
    mfa(user)
    client = _client_for(user)
    before = _state()

    assert client.get(reverse("panel_manage", args=[tender.pk])).status_code == 404
    assert client.post(reverse("panel_draw", args=[tender.pk])).status_code == 404
    assert client.post(reverse("panel_name", args=[tender.pk])).status_code == 404
    assert _state() == before


def test_buyer_tender_page_links_to_the_panel_once_opened(officer_client, buyer):
    """The buyer's tender page links to the panel page when opened, not while published."""
    opened = opened_tender(buyer=buyer)
    published = factories.TenderFactory(buyer=buyer)

    url = reverse("panel_manage", args=[opened.pk])
    assert (
        url in officer_client.get(reverse("buyer_tender_detail", args=[opened.pk])).content.decode()
    )
    content = officer_client.get(reverse("buyer_tender_detail", args=[published.pk])).content
    assert reverse("panel_manage", args=[published.pk]) not in content.decode()


# --- The expert's workspace --------------------------------------------------------------------


@pytest.fixture
def seat(tender, officer):
    for _ in range(6):
        pool_expert()
    panel_draw(tender=tender, by=officer)
    return PanelMember.objects.filter(tender=tender).select_related("expert__user").first()


def test_expert_home_lists_my_seats_and_the_nav_links_it(seat):
    """The expert sees 评审任务 in the navigation and their seat with its status."""
    client = _client_for(seat.expert.user)

    content = client.get(reverse("expert_home")).content.decode()

    assert reverse("expert_home") in content
    assert seat.tender.title in content
    assert reverse("expert_seat", args=[seat.pk]) in content
    assert "待声明利益冲突" in content


def test_pending_seat_shows_bidder_names_but_no_bid(seat):
    """Before declaring, the expert sees the bidders' names to declare against, and nothing of
    the bids: no amount, no proposal, no link to a bid."""
    client = _client_for(seat.expert.user)

    content = client.get(reverse("expert_seat", args=[seat.pk])).content.decode()

    for bid in seat.tender.bids.all():
        assert bid.organisation.name in content
        assert reverse("bid_detail", args=[bid.pk]) not in content
    assert PLAN not in content and "287654" not in content and "287,654" not in content
    assert "利益冲突声明" in content


def test_declaring_no_conflict_opens_the_bids(seat):
    """Declaring no conflict (with the pledge) activates the seat; the seat page then lists
    the valid bids and the expert's progress, and the expert may read a bid."""
    client = _client_for(seat.expert.user)
    bid = seat.tender.bids.get(service_plan=PLAN)
    assert client.get(reverse("bid_detail", args=[bid.pk])).status_code == 404

    response = client.post(reverse("expert_declare", args=[seat.pk]), {"pledge": "on"})

    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.status == Seat.ACTIVE
    content = client.get(reverse("expert_seat", args=[seat.pk])).content.decode()
    assert "评分进度：已评 0 / 共 2 项" in content
    assert bid.organisation.name in content
    assert client.get(reverse("bid_detail", args=[bid.pk])).status_code == 200


def test_declaring_a_conflict_recuses_and_a_replacement_is_drawn(seat, officer_client):
    """A declared conflict recuses the expert (a notice, no bids) and a replacement is drawn,
    which the buyer sees as a second draw."""
    client = _client_for(seat.expert.user)
    organisation = seat.tender.bids.first().organisation

    client.post(
        reverse("expert_declare", args=[seat.pk]),
        {"conflicts": ["employment"], "organisations": [organisation.pk], "pledge": "on"},
    )

    seat.refresh_from_db()
    assert seat.status == Seat.RECUSED
    content = client.get(reverse("expert_seat", args=[seat.pk])).content.decode()
    assert "回避本项目的评审" in content
    assert PanelDraw.objects.filter(reason=PanelDraw.Reason.REPLACEMENT).count() == 1
    panel = officer_client.get(reverse("panel_manage", args=[seat.tender.pk])).content.decode()
    assert "回避后补抽" in panel and "已回避" in panel


def test_panel_page_shows_the_shortfall_when_no_replacement_is_left(
    officer_client, officer, tender
):
    """With the pool exhausted, a recusal leaves the panel short, and the page says so."""
    for _ in range(5):
        pool_expert()
    panel_draw(tender=tender, by=officer)
    seat = PanelMember.objects.filter(tender=tender).first()
    panel_declare(
        member=seat,
        by=seat.expert.user,
        conflicts=["family"],
        organisations=[tender.bids.first().organisation],
    )

    content = officer_client.get(reverse("panel_manage", args=[tender.pk])).content.decode()

    assert "还差 1 名专家" in content


def test_bad_declaration_is_shown_on_the_form(seat):
    """ "Other" without details re-renders the form with the error; nothing changes."""
    client = _client_for(seat.expert.user)
    before = _state()

    response = client.post(
        reverse("expert_declare", args=[seat.pk]),
        {
            "conflicts": ["other"],
            "organisations": [seat.tender.bids.first().organisation.pk],
            "pledge": "on",
        },
    )

    assert response.status_code == 200
    assert "请说明具体情况" in response.content.decode()
    assert _state() == before


def test_expert_reaches_nothing_outside_their_panels(seat):
    """Another expert's seat, a seat on a tender not yet opened, and the bids of a tender
    the expert does not sit on are 404 — even once the expert is active elsewhere."""
    user = seat.expert.user
    client = _client_for(user)
    panel_declare(member=seat, by=user, conflicts=[], organisations=[])
    other_seat = PanelMember.objects.filter(tender=seat.tender).exclude(pk=seat.pk).first()
    unopened = factories.PanelMemberFactory(
        expert=seat.expert, tender=factories.TenderFactory(), status=Seat.ACTIVE
    )
    elsewhere = factories.BidFactory(tender=factories.PanelMemberFactory().tender)
    unopened_bid = factories.BidFactory(tender=unopened.tender)

    for url in (
        reverse("expert_seat", args=[other_seat.pk]),
        reverse("expert_seat", args=[unopened.pk]),
        reverse("bid_detail", args=[elsewhere.pk]),
        reverse("bid_detail", args=[unopened_bid.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("expert_declare", args=[other_seat.pk])).status_code == 404
    home = client.get(reverse("expert_home")).content.decode()
    assert unopened.tender.title not in home


def test_non_experts_have_no_workspace(client, user):
    """A signed-in user who is not in the pool is refused the expert workspace."""
    client.force_login(user)

    assert client.get(reverse("expert_home")).status_code == 403


# --- Query counts ------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_expert_home_query_count_does_not_grow_with_seats():
    """Six seats cost the same number of queries as one."""
    expert = factories.ExpertFactory()
    factories.PanelMemberFactory(expert=expert)
    client = _client_for(expert.user)
    one = _queries(client, reverse("expert_home"))
    for _ in range(5):
        factories.PanelMemberFactory(expert=expert)

    assert _queries(client, reverse("expert_home")) == one


def test_panel_page_query_count_does_not_grow_with_seats(officer_client, buyer, officer):
    """A panel of 3 named seats and one of 8 seats with draws and a recusal cost the same."""
    tender = opened_tender(buyer=buyer, method=Tender.Method.CONSULTATION)
    bid = factories.BidFactory(tender=tender)
    for _ in range(3):
        pool_expert()
    panel_draw(tender=tender, by=officer, size=3)
    url = reverse("panel_manage", args=[tender.pk])
    few = _queries(officer_client, url)
    for _ in range(6):
        pool_expert()
    panel_draw(tender=tender, by=officer, size=4)
    seat = PanelMember.objects.filter(tender=tender).first()
    panel_declare(
        member=seat,
        by=seat.expert.user,
        conflicts=["board"],
        organisations=[bid.organisation],
    )

    assert PanelMember.objects.filter(tender=tender).count() == 8
    assert _queries(officer_client, url) == few
