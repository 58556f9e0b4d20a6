"""The public statistics (/statistics/): money contracted by category, district and year,
bids per tender, payment punctuality by buyer — database aggregates with exact Money — drawn
as inline SVG with a table and a CSV download each; cached for anonymous readers and stale
once a contract is signed (selectors/stats.py, views/stats.py, templatetags/charts.py)."""

import datetime
import time
import zoneinfo

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace import pagecache
from marketplace.contract_terms import term_latest_end
from marketplace.models import (
    Bid,
    Category,
    Contract,
    Milestone,
    OrganisationMembership,
    Payment,
    Region,
    Tender,
)
from marketplace.selectors.stats import (
    bids_per_tender,
    contracted_by_category,
    contracted_by_district,
    contracted_by_year,
    contracted_totals,
    payment_punctuality,
)
from marketplace.services.contracts import contract_create, contract_sign
from tests import factories
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
PAGE_URL = "/statistics/"
# The page: the money charts' totals and their category and county names (3), bids per
# tender (1), payment punctuality (1) and the site menu (1).
PAGE_QUERIES = 6
TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # give_totp's secret


def cny(value) -> Money:
    return Money(value, "CNY")


def beijing(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BEIJING)


def _contract(amount, signed_at, *, category="0101", region="320508", status="active", **kw):
    """A contract of `amount` signed at `signed_at` for a tender of `category` in `region`."""
    return factories.ContractFactory(
        award__bid__tender__category=Category.objects.get(code=category),
        award__bid__tender__region=Region.objects.get(code=region),
        amount=cny(amount),
        status=status,
        signed_at=signed_at,
        **kw,
    )


@pytest.fixture
def contracts():
    """Four signed contracts (active, completed, terminated) and an unsigned draft.

    01 养老 (0101, 0102): 100000.10 + 200000.20, both 2025, 姑苏区 (one via a street);
    02 助残 (0201):        50000.05 (2025 in Beijing, 2024 in UTC) + 70000.00 (2024), 吴中区."""
    street = Region.objects.create(
        code="320508001",
        name="双塔街道",
        level=Region.Level.STREET,
        parent=Region.objects.get(code="320508"),
    )
    _contract("100000.10", beijing(2025, 3, 1, 10))
    _contract(
        "200000.20",
        beijing(2025, 6, 1, 10),
        category="0102",
        region=street.code,
        status="completed",
    )
    _contract(
        "50000.05",
        datetime.datetime(2024, 12, 31, 20, tzinfo=datetime.UTC),
        category="0201",
        region="320506",
        status="terminated",
    )
    _contract("70000.00", beijing(2024, 5, 1, 10), category="0201", region="320506")
    _contract("999999.99", None)  # a draft: not contracted


def _table(rows):
    return [(row.key, row.label, row.contracts, row.amount) for row in rows]


def test_money_contracted_by_category_is_exact_per_top_level_category(contracts):
    """Sub-categories count for their top-level category; drafts are not money contracted;
    terminated contracts are (the money was committed); largest first."""
    names = dict(Category.objects.filter(parent=None).values_list("code", "name"))
    assert _table(contracted_by_category()) == [
        ("01", names["01"], 2, cny("300000.30")),
        ("02", names["02"], 2, cny("120000.05")),
    ]
    assert _table(contracted_by_category(year=2025)) == [
        ("01", names["01"], 2, cny("300000.30")),
        ("02", names["02"], 1, cny("50000.05")),
    ]
    assert _table(contracted_by_category(year=2024)) == [("02", names["02"], 1, cny("70000.00"))]
    assert contracted_by_category(year=2019) == []


def test_money_contracted_by_district_counts_a_street_for_its_county(contracts):
    assert _table(contracted_by_district()) == [
        ("320508", "姑苏区", 2, cny("300000.30")),
        ("320506", "吴中区", 2, cny("120000.05")),
    ]
    assert _table(contracted_by_district(year=2024)) == [("320506", "吴中区", 1, cny("70000.00"))]


def test_money_contracted_by_year_uses_the_beijing_signing_date(contracts):
    """Signed at 2024-12-31 20:00 UTC is 2025-01-01 in Beijing: a 2025 contract."""
    assert _table(contracted_by_year()) == [
        ("2024", "2024", 1, cny("70000.00")),
        ("2025", "2025", 3, cny("350000.35")),
    ]


def test_aggregates_cost_a_fixed_number_of_queries(contracts, django_assert_num_queries):
    with django_assert_num_queries(2):
        contracted_by_category()
    with django_assert_num_queries(2):
        contracted_by_district()
    with django_assert_num_queries(1):
        contracted_by_year()
    with django_assert_num_queries(1):
        bids_per_tender()
    with django_assert_num_queries(1):
        payment_punctuality()


def test_the_three_money_charts_share_one_grouped_query(contracts, django_assert_num_queries):
    """One query for the totals, one each for the category and county names; the charts
    add the same cells up, so every chart's total is the same exact amount."""
    with django_assert_num_queries(3):
        totals = contracted_totals()
        charts = [totals.by_category(), totals.by_district(), totals.by_year()]
        by_year_2025 = [totals.by_category(2025), totals.by_district(2025)]
    for rows in charts:
        assert sum((row.amount for row in rows), cny("0.00")) == cny("420000.35")
        assert sum(row.contracts for row in rows) == 4
    for rows in by_year_2025:
        assert sum((row.amount for row in rows), cny("0.00")) == cny("350000.35")
    assert _table(totals.by_category(2025)) == _table(contracted_by_category(year=2025))
    assert _table(totals.by_district(2024)) == _table(contracted_by_district(year=2024))
    assert _table(totals.by_year()) == _table(contracted_by_year())


def _tender(status, bids=0, withdrawn=0, *, past=True):
    day = datetime.timedelta(days=1)
    now = timezone.now()
    deadline = now - day if past else now + 5 * day
    tender = factories.TenderFactory(
        status=status,
        clarification_deadline=deadline - day,
        bid_deadline=deadline,
        opening_at=deadline,
    )
    for _ in range(bids):
        factories.BidFactory(tender=tender)
    for _ in range(withdrawn):
        factories.BidFactory(tender=tender, status=Bid.Status.WITHDRAWN)
    return tender


def test_bids_per_tender_counts_only_tenders_past_bidding():
    """Sealed counts stay sealed: open tenders, tenders whose deadline passed but that the
    close job has not reached, and cancelled ones are not counted; withdrawn bids are not
    live bids."""
    Status = Tender.Status
    _tender(Status.PUBLISHED, bids=3, past=False)  # still open
    _tender(Status.PUBLISHED, bids=2)  # deadline passed, not closed yet
    _tender(Status.CANCELLED, bids=1)
    _tender(Status.CLOSED)
    _tender(Status.OPENED, bids=1, withdrawn=1)
    _tender(Status.EVALUATING, bids=5)
    _tender(Status.FAILED, bids=6)
    _tender(Status.AWARDED, bids=2)
    rows = bids_per_tender()
    assert [(row.key, row.count) for row in rows] == [
        ("0", 1),
        ("1", 1),
        ("2", 1),
        ("3", 0),
        ("4", 0),
        ("5+", 2),
    ]
    assert rows[-1].label == "5份及以上"


def test_bids_per_tender_follows_new_withdrawn_and_replaced_bids(django_assert_num_queries):
    """The counts are read afresh: a new live bid moves its tender up a bucket, a
    withdrawn or replaced one moves it down; still one query."""
    tender = _tender(Tender.Status.CLOSED, bids=1)
    with django_assert_num_queries(1):
        assert [row.count for row in bids_per_tender()] == [0, 1, 0, 0, 0, 0]
    factories.BidFactory(tender=tender)
    assert [row.count for row in bids_per_tender()] == [0, 0, 1, 0, 0, 0]
    bids = list(tender.bids.order_by("pk"))
    Bid.objects.filter(pk=bids[0].pk).update(status=Bid.Status.REPLACED)
    Bid.objects.filter(pk=bids[1].pk).update(status=Bid.Status.WITHDRAWN)
    with django_assert_num_queries(1):
        assert [row.count for row in bids_per_tender()] == [1, 0, 0, 0, 0, 0]


_payment_serial = iter(range(1, 10_000))


def _pay(milestone, accepted_at, settled_at):
    Milestone.objects.filter(pk=milestone.pk).update(
        status=Milestone.Status.PAID if settled_at else Milestone.Status.ACCEPTED,
        accepted_at=accepted_at,
    )
    return Payment.objects.create(
        milestone=milestone,
        contract=milestone.contract,
        amount=milestone.amount,
        gateway=Payment.Gateway.TREASURY,
        status=Payment.Status.SUCCEEDED if settled_at else Payment.Status.PENDING,
        idempotency_key=f"stats-test-{next(_payment_serial)}",
        settled_at=settled_at,
    )


def _milestones(buyer, count):
    contracts = [
        factories.ContractFactory(status="active", award__bid__tender__buyer=buyer)
        for _ in range((count + 2) // 3)
    ]
    return [m for contract in contracts for m in contract.milestones.order_by("position")][:count]


@pytest.fixture
def payments():
    """Buyer X pays after 7, 8 and 30 days; buyer Y after 16, 31, 60 and 61 days, and has a
    milestone accepted but unpaid and a payment still pending (neither counted). Days run
    between Beijing dates: 2025-03-09 00:30 in Beijing is still 03-08 in UTC."""
    accepted = beijing(2025, 3, 1, 9)
    x = factories.BuyerFactory(name="甲街道办事处")
    y = factories.BuyerFactory(name="乙街道办事处")
    for milestone, settled in zip(
        _milestones(x, 3),
        [beijing(2025, 3, 8, 23, 30), beijing(2025, 3, 9, 0, 30), beijing(2025, 3, 31, 18)],
        strict=True,
    ):
        _pay(milestone, accepted, settled)
    days = [16, 31, 60, 61]
    y_milestones = _milestones(y, 6)
    for milestone, n in zip(y_milestones, days, strict=False):
        _pay(milestone, accepted, accepted + datetime.timedelta(days=n))
    _pay(y_milestones[4], accepted, None)  # pending payment
    Milestone.objects.filter(pk=y_milestones[5].pk).update(
        status=Milestone.Status.ACCEPTED, accepted_at=accepted
    )
    return x, y


def test_payment_punctuality_buckets_and_share_paid_within_30_days(payments):
    x, y = payments
    result = payment_punctuality()
    assert [(row.label, row.count) for row in result.distribution] == [
        ("≤7天", 1),
        ("8–15天", 1),
        ("16–30天", 2),
        ("31–60天", 2),
        ("60天以上", 1),
    ]
    rows = [
        (row.buyer_id, row.buckets, row.paid_count, row.on_time_count, str(row.on_time_percent))
        for row in result.buyers
    ]
    assert rows == [
        (y.pk, (0, 0, 1, 2, 1), 4, 1, "25.0"),  # most payments first
        (x.pk, (1, 1, 1, 0, 0), 3, 3, "100.0"),
    ]


def test_payment_buckets_include_their_upper_bound():
    """Each bucket runs up to and including its last day (7, 15, 30, 60), a day more is
    the next bucket; a payment on the day of acceptance is in the first."""
    buyer = factories.BuyerFactory(name="丙街道办事处")
    accepted = beijing(2025, 3, 1, 9)
    days = [0, 7, 8, 15, 16, 30, 31, 60, 61]
    for milestone, n in zip(_milestones(buyer, len(days)), days, strict=True):
        _pay(milestone, accepted, accepted + datetime.timedelta(days=n))
    result = payment_punctuality()
    assert [row.count for row in result.distribution] == [2, 2, 2, 2, 1]
    assert result.buyers[0].on_time_count == 6


def test_payment_punctuality_follows_a_new_payment(payments, django_assert_num_queries):
    x, _ = payments
    before = payment_punctuality()
    _pay(_milestones(x, 1)[0], beijing(2025, 4, 1, 9), beijing(2025, 5, 20, 9))  # 49 days
    with django_assert_num_queries(1):
        after = payment_punctuality()
    assert [row.count for row in after.distribution] == [
        row.count + (i == 3) for i, row in enumerate(before.distribution)
    ]
    assert after.buyers[1].buyer_id == x.pk and after.buyers[1].on_time_count == 3
    assert after.buyers[1].paid_count == 4


def _get(client, url=PAGE_URL, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response


def test_page_shows_every_chart_as_svg_with_its_table_and_csv_link(client, contracts, payments):
    html = _get(client).content.decode()
    assert html.count('<svg class="bar-chart" role="img"') == 6
    assert html.count("<caption>") == 6
    assert html.count("下载CSV") == 6
    assert '<title id="chart-amount-by-category-title">' in html
    assert '<desc id="chart-amount-by-category-desc">' in html
    assert "¥300,000.30" in html and "¥350,000.35" in html
    assert 'href="/statistics/amount-by-district.csv"' in html
    assert "<script" not in html.split("<main", 1)[1]
    assert "http://" not in html.split("<main", 1)[1].replace("http://www.w3.org/2000/svg", "")


def test_page_renders_in_english(client, contracts):
    html = _get(client, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert html.count('role="img"') == 6 and "¥300,000.30" in html


def test_year_filter_applies_to_category_and_district_charts(client, contracts):
    html = _get(client, PAGE_URL + "?year=2024").content.decode()
    assert "¥70,000.00" in html and "¥300,000.30" not in html  # 2024 only; by year: all
    assert 'href="/statistics/amount-by-category.csv?year=2024"' in html
    assert '<option value="2024" selected>' in html


def test_a_bad_year_is_ignored_on_the_page_and_refused_for_csv(client, contracts):
    html = _get(client, PAGE_URL + "?year=abc").content.decode()
    assert "年份无效" in html and "¥300,000.30" in html
    response = client.get(reverse("statistics_csv", args=["amount-by-category"]) + "?year=20x5")
    assert response.status_code == 400
    assert "年份无效" in response.content.decode()


def test_csv_has_bom_headers_plain_amounts_and_a_filename(client, contracts):
    response = _get(client, reverse("statistics_csv", args=["amount-by-category"]) + "?year=2025")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="statistics-amount-by-category-2025.csv"'
    )
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    name = Category.objects.get(code="01").name
    assert body[1:].splitlines() == [
        "类目编码,服务类目,合同数,合同金额（元）",
        f"01,{name},2,300000.30",
        f"02,{Category.objects.get(code='02').name},1,50000.05",
    ]
    by_year = _get(client, reverse("statistics_csv", args=["amount-by-year"])).content.decode()
    assert by_year[1:].splitlines() == [
        "签订年度,合同数,合同金额（元）",
        "2024,1,70000.00",
        "2025,3,350000.35",
    ]


@pytest.mark.usefixtures("payments")
def test_buyer_punctuality_csv_lists_buckets_and_share(client):
    body = _get(client, reverse("statistics_csv", args=["buyer-punctuality"])).content.decode()
    assert body[1:].splitlines() == [
        "购买主体,支付笔数,≤7天,8–15天,16–30天,31–60天,60天以上,30日内付款比例（%）",
        "乙街道办事处,4,0,0,1,2,1,25.0",
        "甲街道办事处,3,1,1,1,0,0,100.0",
    ]


def test_unknown_chart_is_404(client):
    assert client.get("/statistics/nothing.csv").status_code == 404


def test_page_query_count_does_not_grow_with_the_data(client, django_assert_num_queries):
    _contract("100000.00", beijing(2025, 3, 1, 10))
    with CaptureQueriesContext(connection) as few:
        _get(client)
    for code in ("0201", "0301", "0401"):
        _contract("100000.00", beijing(2024, 3, 1, 10), category=code, region="320506")
    _tender(Tender.Status.CLOSED, bids=2)
    cache.clear()
    with django_assert_num_queries(len(few)):
        _get(client)
    assert len(few) == PAGE_QUERIES


def _signable_contract():
    award = factories.AwardFactory(
        notice_ends_at=timezone.now() - datetime.timedelta(days=1),
        bid__amount=cny("123456.78"),
    )
    officer = factories.BuyerMembershipFactory(buyer=award.tender.buyer).user
    give_totp(officer)
    admin = factories.OrganisationMembershipFactory(
        organisation=award.bid.organisation, role=OrganisationMembership.Role.ADMIN
    ).user
    starts_on = timezone.localdate()
    contract = contract_create(
        award=award,
        by=officer,
        amount=award.amount,
        starts_on=starts_on,
        ends_on=term_latest_end(starts_on, award.tender.contract_months),
        deliverables="每周两次上门服务。",
        indicators=[],
        breach_terms="按未完成服务量扣减。",
        funding_source="区级财政预算资金",
    )
    return contract, officer, admin


def test_a_signed_contract_makes_the_cached_page_stale(client, django_capture_on_commit_callbacks):
    contract, officer, admin = _signable_contract()
    first = _get(client)
    assert (
        _get(client)[pagecache.HIT_HEADER] == "hit" and "¥123,456.78" not in first.content.decode()
    )
    code = format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))
    with django_capture_on_commit_callbacks(execute=True):
        contract_sign(contract=contract, by=officer, totp_code=code)
        contract_sign(contract=contract, by=admin)
    assert Contract.objects.get(pk=contract.pk).status == Contract.Status.ACTIVE
    fresh = _get(client)
    assert fresh[pagecache.HIT_HEADER] == "miss"
    assert "¥123,456.78" in fresh.content.decode()
    assert fresh["ETag"] != first["ETag"]
