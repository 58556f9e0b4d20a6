"""Public tender pages: the filtered list, the notice with its Q&A, versions and opening
record, and what an organisation's member does there (ask, follow, go to bid)."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    Clarification,
    Tender,
    TenderDocument,
    TenderFollow,
    TenderOpening,
    TenderVersion,
)
from marketplace.selectors.tenders import tender_snapshot
from marketplace.services.tenders import tender_amend, tender_cancel, tender_publish
from marketplace.views.tenders import time_left
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("tender_list")


def _titles(response):
    return [tender.title for tender in response.context["page"]]


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _get(client, url, data=None):
    """Fetch a page and count its queries, with an empty cache (the filter form is cached)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(queries), response


def _past():
    """Deadlines for a tender whose bid deadline (and so clarification) passed a day ago."""
    ago = timezone.now() - datetime.timedelta(days=1)
    return {"clarification_deadline": ago, "bid_deadline": ago}


def _document(tender, title="附件"):
    return TenderDocument.objects.create(
        tender=tender, title=title, file="tenders/x.pdf", size=2048, sha256="a" * 64,
        uploaded_by=tender.created_by,
    )  # fmt: skip


@pytest.fixture
def member(organisation, client):
    """A signed-in member of a verified 姑苏区 organisation."""
    user = factories.OrganisationMembershipFactory(organisation=organisation).user
    client.force_login(user)
    return user


# --- list --------------------------------------------------------------------------------------


def test_list_query_count_does_not_grow_with_tenders(client):
    """The list costs the same number of queries for 3 and for 25 tenders (20 shown), each
    with its buyer, region and category; budgets are shown as formatted money."""
    factories.TenderFactory.create_batch(3)
    few, response = _get(client, LIST_URL)
    assert len(response.context["page"]) == 3

    factories.TenderFactory.create_batch(22)
    many, response = _get(client, LIST_URL)
    assert len(response.context["page"]) == 20

    assert many == few
    page = response.content.decode()
    assert "¥300,000.00" in page
    assert "居家养老上门服务" in page
    assert "姑苏区" in page


def test_filtered_list_query_count_does_not_grow(client):
    """With filters applied the query count still does not depend on the number of rows."""
    params = {"category": factories.category("01").pk, "status": "open", "sort": "deadline"}
    factories.TenderFactory.create_batch(3)
    few, _ = _get(client, LIST_URL, params)
    factories.TenderFactory.create_batch(22)
    many, response = _get(client, LIST_URL, params)
    assert len(response.context["page"]) == 20
    assert many == few


def test_list_never_shows_drafts(client):
    """Drafts are not public: only published tenders are listed."""
    factories.TenderFactory(title="已发布项目")
    factories.TenderFactory(title="草稿项目", status=Tender.Status.DRAFT, published_at=None)

    assert _titles(client.get(LIST_URL)) == ["已发布项目"]


def test_category_filter_includes_the_children_of_a_category(client):
    """Filtering by 养老服务 (01) lists tenders in any 01xx category; by 0101 only that one."""
    home = factories.TenderFactory(title="居家", category=factories.category("0101"))
    day = factories.TenderFactory(title="日间", category=factories.category("0102"))
    factories.TenderFactory(title="助残", category=factories.category("0201"))

    by_parent = client.get(LIST_URL, {"category": factories.category("01").pk})
    by_child = client.get(LIST_URL, {"category": factories.category("0101").pk})

    assert sorted(_titles(by_parent)) == sorted([home.title, day.title])
    assert _titles(by_child) == [home.title]


def test_region_filter_includes_the_counties_of_a_city(client):
    """Filtering by 苏州市 lists tenders in its counties and not Nanjing's; by 姑苏区 only it."""
    gusu = factories.TenderFactory(title="姑苏", region=factories.county("320508"))
    wuzhong = factories.TenderFactory(title="吴中", region=factories.county("320506"))
    factories.TenderFactory(title="玄武", region=factories.county("320102"))
    suzhou = factories.county("320508").parent

    by_city = client.get(LIST_URL, {"region": suzhou.pk})
    by_county = client.get(LIST_URL, {"region": gusu.region.pk})

    assert sorted(_titles(by_city)) == sorted([gusu.title, wuzhong.title])
    assert _titles(by_county) == [gusu.title]


def test_method_filter(client):
    """Filtering by 竞争性磋商 lists only tenders bought that way."""
    factories.TenderFactory(title="公开")
    factories.TenderFactory(title="磋商", method=Tender.Method.CONSULTATION)

    response = client.get(LIST_URL, {"method": Tender.Method.CONSULTATION})

    assert _titles(response) == ["磋商"]


def test_open_and_closed_are_judged_by_the_clock(client):
    """A published tender whose deadline has passed (the close job has not run yet) is not
    "open": it is listed under 投标已截止 with the tenders the job closed, and its row says so."""
    factories.TenderFactory(title="投标中项目")
    factories.TenderFactory(title="已过截止", **_past())
    factories.TenderFactory(title="已关闭", status=Tender.Status.CLOSED, **_past())
    factories.TenderFactory(title="已取消", status=Tender.Status.CANCELLED)

    open_now = client.get(LIST_URL, {"status": "open"})
    closed = client.get(LIST_URL, {"status": "closed"})
    cancelled = client.get(LIST_URL, {"status": "cancelled"})

    assert _titles(open_now) == ["投标中项目"]
    assert sorted(_titles(closed)) == sorted(["已过截止", "已关闭"])
    assert _titles(cancelled) == ["已取消"]
    page = closed.content.decode()
    assert page.count("投标已截止") >= 3  # the two rows, plus the status option
    assert "badge-ok" not in page


def test_budget_range_filter(client):
    """A budget range keeps tenders whose budget lies within it, bounds included."""
    for amount in ("100000.00", "200000.00", "300000.00", "500000.00"):
        factories.TenderFactory(title=f"预算{amount}", budget=Money(amount, "CNY"))

    response = client.get(LIST_URL, {"budget_min": "200000", "budget_max": "300000"})

    assert sorted(_titles(response)) == ["预算200000.00", "预算300000.00"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"budget_min": "500000", "budget_max": "100000"}, "预算上限不能低于预算下限"),
        ({"budget_min": "-1"}, "金额不能为负数"),
        ({"budget_max": "十万"}, "请输入金额"),
        ({"budget_max": "100.001"}, "两位小数"),
    ],
)
def test_invalid_budget_shows_an_error_and_lists_everything(client, params, error):
    """An impossible budget range is explained in Chinese and no filter is applied, so the
    list is the unfiltered one with a notice saying so."""
    factories.TenderFactory(title="甲", budget=Money("100000.00", "CNY"))
    factories.TenderFactory(title="乙", budget=Money("500000.00", "CNY"))

    response = client.get(LIST_URL, params)

    page = response.content.decode()
    assert error in page
    assert "筛选条件无效，已显示全部项目" in page
    assert sorted(_titles(response)) == ["乙", "甲"]


def test_sort_by_deadline_and_by_newest(client):
    """ "截止时间" puts the nearest deadline first; the default puts the latest published first."""
    now = timezone.now()
    early = factories.TenderFactory(
        title="早截止",
        bid_deadline=now + datetime.timedelta(days=22),
        published_at=now - datetime.timedelta(days=9),
    )
    late = factories.TenderFactory(
        title="晚截止",
        bid_deadline=now + datetime.timedelta(days=40),
        published_at=now - datetime.timedelta(days=1),
    )

    by_deadline = client.get(LIST_URL, {"sort": "deadline"})
    newest = client.get(LIST_URL)

    assert _titles(by_deadline) == [early.title, late.title]
    assert _titles(newest) == [late.title, early.title]


def test_pagination_links_keep_the_filters(client):
    """Page links carry the filters, so page 2 is page 2 of the filtered list."""
    category = factories.category("0101")
    factories.TenderFactory.create_batch(21, category=category)

    response = client.get(LIST_URL, {"category": category.pk, "sort": "deadline"})

    assert f"?category={category.pk}&amp;sort=deadline&amp;page=2" in response.content.decode()
    second = client.get(LIST_URL, {"category": category.pk, "sort": "deadline", "page": 2})
    assert len(second.context["page"]) == 1


# --- detail ------------------------------------------------------------------------------------


def test_detail_shows_the_notice(client):
    """The notice shows its reference, buyer, budget, method, eligibility, criteria with
    weights, milestones, documents (through the download view) and the time left."""
    tender = factories.TenderFactory(
        min_rating_level=3, min_years_registered=2, funding_source="区财政预算"
    )
    document = _document(tender, "采购需求书.pdf")

    response = client.get(tender.get_absolute_url())

    page = response.content.decode()
    for text in [
        tender.reference,
        tender.buyer.name,
        "¥300,000.00",
        "区财政预算",
        "公开招标",
        "3A及以上",
        "成立满 2 年",
        "服务方案",
        "价格分",
        "中期评估",
        "采购需求书.pdf",
        reverse("tender_document_download", args=[document.pk]),
        "剩余 2",
    ]:
        assert text in page, text


def test_time_left_is_said_in_days_and_hours():
    """Three days and four hours before the deadline the page says 剩余 3 天 4 小时; after the
    deadline there is nothing left to count."""
    now = timezone.now()
    deadline = now + datetime.timedelta(days=3, hours=4, minutes=20)
    assert time_left(deadline, now) == "剩余 3 天 4 小时"
    assert time_left(now + datetime.timedelta(minutes=90), now) == "剩余 1 小时 30 分钟"
    assert time_left(now - datetime.timedelta(seconds=1), now) == ""


def test_detail_past_deadline_says_bidding_closed(client, member, organisation):
    """A published tender past its deadline shows 投标已截止 and no bid link."""
    tender = factories.TenderFactory(**_past())

    page = client.get(tender.get_absolute_url()).content.decode()

    assert "投标已截止" in page
    assert "剩余" not in page
    assert reverse("bid_submit", args=[tender.pk, organisation.pk]) not in page


def test_draft_is_404_for_the_public_and_other_buyers(client):
    """A draft is not found for visitors and for another buyer's officer; its own buyer's
    officer can read it."""
    tender = factories.TenderFactory(status=Tender.Status.DRAFT, published_at=None)
    url = tender.get_absolute_url()

    assert client.get(url).status_code == 404
    client.force_login(factories.BuyerMembershipFactory().user)
    assert client.get(url).status_code == 404
    client.force_login(factories.BuyerMembershipFactory(buyer=tender.buyer).user)
    assert client.get(url).status_code == 200


def test_cancelled_tender_shows_the_reason(client):
    """After the buyer cancels, the page shows 已取消 and the published reason."""
    tender = factories.TenderFactory()
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    tender_cancel(tender=tender, by=officer, reason="上级部门调整了服务安排。")

    page = client.get(tender.get_absolute_url()).content.decode()

    assert "已取消" in page
    assert "取消原因" in page
    assert "上级部门调整了服务安排。" in page


def test_public_questions_and_answers_never_name_the_asker(client):
    """Answered questions are shown with their answers; unanswered ones are not, and the
    asking organisation's name appears nowhere on the page."""
    tender = factories.TenderFactory()
    asker = factories.OrganisationFactory(name="提问的某某社工中心")
    factories.ClarificationFactory(
        tender=tender,
        organisation=asker,
        question="服务对象名单由谁提供？",
        answer="由街道提供。",
        answered_at=timezone.now(),
    )
    factories.ClarificationFactory(tender=tender, organisation=asker, question="尚未答复的问题")

    page = client.get(tender.get_absolute_url()).content.decode()

    assert "服务对象名单由谁提供？" in page
    assert "由街道提供。" in page
    assert "尚未答复的问题" not in page
    assert asker.name not in page


def test_detail_query_count_does_not_grow_with_answers_and_documents(client):
    """The notice costs the same queries with 1 and with 12 answers and documents."""
    tender = factories.TenderFactory()

    def add(count):
        for _ in range(count):
            factories.ClarificationFactory(tender=tender, answer="答复", answered_at=timezone.now())
            _document(tender)

    add(1)
    few, _ = _get(client, tender.get_absolute_url())
    add(11)
    many, _ = _get(client, tender.get_absolute_url())
    assert many == few


# --- member actions ----------------------------------------------------------------------------


def test_member_sees_question_form_follow_and_bid_link(client, member, organisation):
    """A member of a verified organisation gets the question form, a follow button and a link
    to bid for each organisation they belong to; a visitor gets none of them."""
    other = factories.OrganisationFactory(name="另一家社工机构")
    factories.OrganisationMembershipFactory(organisation=other, user=member)
    tender = factories.TenderFactory()

    page = client.get(tender.get_absolute_url()).content.decode()

    assert reverse("clarification_ask", args=[tender.pk]) in page
    assert reverse("tender_follow", args=[tender.pk]) in page
    for org in (organisation, other):
        assert reverse("bid_submit", args=[tender.pk, org.pk]) in page
    client.logout()
    page = client.get(tender.get_absolute_url()).content.decode()
    assert reverse("clarification_ask", args=[tender.pk]) not in page
    assert reverse("bid_submit", args=[tender.pk, organisation.pk]) not in page


def test_member_asks_a_question(client, member, organisation):
    """Posting a question stores it for the organisation and says it was sent."""
    tender = factories.TenderFactory()

    response = client.post(
        reverse("clarification_ask", args=[tender.pk]),
        {"organisation": organisation.pk, "question": "是否接受联合体投标？"},
    )

    assert response.status_code == 302
    assert response["Location"] == tender.get_absolute_url()
    question = Clarification.objects.get()
    assert (question.organisation, question.asked_by) == (organisation, member)
    assert any("问题已提交" in text for text in _messages(response))


def test_question_after_the_clarification_deadline_is_refused(client, member, organisation):
    """After the clarification deadline (bidding still open) the page has no question form,
    and a posted question is refused with a message and nothing is stored."""
    tender = factories.TenderFactory(
        clarification_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    page = client.get(tender.get_absolute_url()).content.decode()
    assert reverse("clarification_ask", args=[tender.pk]) not in page

    response = client.post(
        reverse("clarification_ask", args=[tender.pk]),
        {"organisation": organisation.pk, "question": "还能提问吗？"},
    )

    assert response.status_code == 302
    assert not Clarification.objects.exists()
    assert any("答疑已截止" in text for text in _messages(response))


def test_question_for_someone_elses_organisation_is_refused(client, member):
    """A forged organisation id the user is not a member of is refused; nothing is stored."""
    tender = factories.TenderFactory()
    stranger = factories.OrganisationFactory()

    response = client.post(
        reverse("clarification_ask", args=[tender.pk]),
        {"organisation": stranger.pk, "question": "冒名提问"},
    )

    assert response.status_code == 302
    assert not Clarification.objects.exists()
    assert any("不是所选组织的成员" in text for text in _messages(response))


def test_visitor_cannot_ask_or_follow(client):
    """Without signing in, posting a question or a follow goes to the login page and stores
    nothing; the action URLs take POST only."""
    tender = factories.TenderFactory()
    organisation = factories.OrganisationFactory()
    data = {"organisation": organisation.pk, "question": "匿名提问", "action": "follow"}

    for name in ("clarification_ask", "tender_follow"):
        response = client.post(reverse(name, args=[tender.pk]), data)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert not Clarification.objects.exists()
    assert not TenderFollow.objects.exists()
    client.force_login(factories.UserFactory())
    assert client.get(reverse("tender_follow", args=[tender.pk])).status_code == 405


def test_follow_and_unfollow(client, member, organisation):
    """Following records the organisation as a follower and the page then offers 取消关注;
    unfollowing removes it."""
    tender = factories.TenderFactory()
    url = reverse("tender_follow", args=[tender.pk])

    response = client.post(url, {"organisation": organisation.pk, "action": "follow"})
    assert response.status_code == 302
    assert TenderFollow.objects.filter(tender=tender, organisation=organisation).exists()
    assert "取消关注" in client.get(tender.get_absolute_url()).content.decode()

    client.post(url, {"organisation": organisation.pk, "action": "unfollow"})
    assert not TenderFollow.objects.exists()


def test_follow_needs_a_verified_organisation(client):
    """A member of an organisation still pending verification cannot follow: a message
    explains why and nothing is stored."""
    pending = factories.OrganisationFactory(status="pending")
    client.force_login(factories.OrganisationMembershipFactory(organisation=pending).user)
    tender = factories.TenderFactory()

    response = client.post(
        reverse("tender_follow", args=[tender.pk]),
        {"organisation": pending.pk, "action": "follow"},
    )

    assert not TenderFollow.objects.exists()
    assert any("认证" in text for text in _messages(response))


# --- versions and opening ----------------------------------------------------------------------


def test_version_page_shows_the_differences_from_the_previous_version(client):
    """Version 2 of an amended tender shows the note and, per changed field, its label with
    the value before and after; list values are shown as lists. Version 1 has no diff."""
    tender = factories.TenderFactory()
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    TenderVersion.objects.create(
        tender=tender, number=1, snapshot=tender_snapshot(tender), created_by=officer
    )
    tender_amend(
        tender=tender,
        by=officer,
        note="预算增加，评分权重调整。",
        budget=Money("350000.00", "CNY"),
        criteria=factories.criteria(price_weight=20),
    )

    response = client.get(reverse("tender_version_detail", args=[tender.pk, 2]))

    page = response.content.decode()
    assert "预算增加，评分权重调整。" in page
    changes = {change["label"]: change["sides"] for change in response.context["changes"]}
    assert [side["value"] for side in changes["预算金额"]] == ["300000.00 CNY", "350000.00 CNY"]
    before, after = changes["评分项"]
    assert before["is_list"] and after["is_list"]
    assert "<li>服务方案 70</li>" in page
    assert "<li>服务方案 80</li>" in page
    first = client.get(reverse("tender_version_detail", args=[tender.pk, 1]))
    assert first.context["changes"] == []
    assert "300000.00 CNY" in first.content.decode()
    assert (
        reverse("tender_version_detail", args=[tender.pk, 2])
        in client.get(tender.get_absolute_url()).content.decode()
    )


def test_unknown_version_and_draft_versions_are_404(client):
    """A version that does not exist, or any version of a draft, is not found."""
    tender = factories.TenderFactory()
    draft = factories.TenderFactory(status=Tender.Status.DRAFT)
    TenderVersion.objects.create(tender=draft, number=1, snapshot={}, created_by=draft.created_by)

    assert client.get(reverse("tender_version_detail", args=[tender.pk, 3])).status_code == 404
    assert client.get(reverse("tender_version_detail", args=[draft.pk, 1])).status_code == 404


def _opened_tender():
    tender = factories.TenderFactory(status=Tender.Status.OPENED, **_past())
    bid = factories.BidFactory(tender=tender, organisation__name="投标的社工中心")
    TenderOpening.objects.create(
        tender=tender,
        opened_by=tender.created_by,
        opened_at=timezone.now(),
        record=[
            {
                "bid": bid.pk,
                "organisation": bid.organisation.name,
                "amount": "280000.00",
                "currency": "CNY",
                "submitted_at": bid.submitted_at.isoformat(),
                "reconfirmed": True,
            }
        ],
    )
    return tender, bid


def test_opening_record_is_hidden_from_the_public_and_shown_to_a_bidder(client):
    """Visitors and other organisations do not see the opening record; a member of a bidding
    organisation sees the bidders and amounts read out."""
    tender, bid = _opened_tender()

    page = client.get(tender.get_absolute_url()).content.decode()
    assert "开标记录" not in page
    assert "¥280,000.00" not in page

    client.force_login(factories.OrganisationMembershipFactory().user)
    assert "开标记录" not in client.get(tender.get_absolute_url()).content.decode()

    client.force_login(factories.OrganisationMembershipFactory(organisation=bid.organisation).user)
    page = client.get(tender.get_absolute_url()).content.decode()
    assert "开标记录" in page
    assert "投标的社工中心" in page
    assert "¥280,000.00" in page


# --- English -----------------------------------------------------------------------------------


def test_pages_render_in_english(client, settings, member):
    """With English chosen, the list, the notice and a version page render without errors."""
    tender = factories.TenderFactory()
    TenderVersion.objects.create(
        tender=tender, number=1, snapshot=tender_snapshot(tender), created_by=tender.created_by
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in [
        LIST_URL + "?budget_min=9&budget_max=1",
        tender.get_absolute_url(),
        reverse("tender_version_detail", args=[tender.pk, 1]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.content.decode()


def test_filter_form_is_cached_per_language_and_query(client, settings):
    """The rendered filter form is reused for the same language and filters: a second
    request saves its two choice queries, and another language or filter renders afresh.
    (The unfiltered total is cached too, after the first request: one query fewer in all.)
    Signed-in readers get this; the whole-page cache for anonymous ones is off here."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    factories.TenderFactory.create_batch(2)
    cold, _ = _get(client, LIST_URL)
    with CaptureQueriesContext(connection) as warm:
        client.get(LIST_URL)
    with CaptureQueriesContext(connection) as english:
        page = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with CaptureQueriesContext(connection) as filtered:
        client.get(LIST_URL, {"sort": "deadline"})

    assert len(warm) == cold - 3
    assert len(english) == cold - 1
    assert "All categories" in page
    assert len(filtered) == cold - 1


def test_unfiltered_total_is_cached_until_the_next_publication(
    client, settings, django_capture_on_commit_callbacks
):
    """The unfiltered list's total is counted once, then reused, and a publication through
    tender_publish refreshes it: a new tender is counted and listed at once. (The whole-page
    cache is off: this is what signed-in readers get.)"""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    factories.TenderFactory.create_batch(2)
    cold, _ = _get(client, LIST_URL)
    with CaptureQueriesContext(connection) as warm:
        response = client.get(LIST_URL)
    assert len(warm) == cold - 3  # no COUNT(*), no choice queries for the cached form
    assert response.context["page"].paginator.count == 2

    buyer = factories.BuyerFactory()
    officer = factories.BuyerMembershipFactory(buyer=buyer).user
    draft = factories.TenderFactory(buyer=buyer, status=Tender.Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        tender_publish(tender=draft, by=officer)

    response = client.get(LIST_URL)
    assert response.context["page"].paginator.count == 3
    assert draft.title in response.content.decode()


def test_a_zero_budget_ceiling_is_a_filter_not_the_unfiltered_list(client):
    """budget_max=0 filters everything out: the page is empty and its total is 0, not the
    cached total of all tenders."""
    factories.TenderFactory()
    response = client.get(LIST_URL, {"budget_max": "0"})
    assert response.context["page"].paginator.count == 0
