"""The organisation directory and the buyer table (/organisations/, /buyers/) and the
profiles, served by the Wagtail routable pages under their marketplace URL names: filters,
sorting, pagination, visibility and constant query counts. Moved from
tests/marketplace/views/test_organisations.py and test_buyers.py when the pages moved to cms/;
what the profiles add (contracts, results, introductions, caching) is in test_profiles.py."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.models import BuyerIndexPage, OrganisationIndexPage
from marketplace.models import Buyer
from tests import factories

pytestmark = pytest.mark.django_db

ORGANISATION_LIST_URL = reverse("organisation_list")
BUYER_LIST_URL = reverse("buyer_list")


def _region(code):
    return factories.county(code)


def _names(response):
    return [organisation.name for organisation in response.context["directory"]]


def _fetch(client, url):
    """Fetch a page as a first reader would (empty page cache) and count its queries."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response


def test_the_directories_are_the_wagtail_index_pages(client):
    """The marketplace URL names lead to the Wagtail pages, which render the cms templates."""
    organisation = factories.OrganisationFactory()
    buyer = factories.BuyerFactory()
    for url, page_class, template in [
        (ORGANISATION_LIST_URL, OrganisationIndexPage, "cms/organisation_index_page.html"),
        (organisation.get_absolute_url(), OrganisationIndexPage, "cms/organisation_profile.html"),
        (BUYER_LIST_URL, BuyerIndexPage, "cms/buyer_index_page.html"),
        (buyer.get_absolute_url(), BuyerIndexPage, "cms/buyer_profile.html"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert type(response.context["page"]) is page_class
        assert template in [t.name for t in response.templates]
    assert ORGANISATION_LIST_URL == "/organisations/"
    assert organisation.get_absolute_url() == f"/organisations/{organisation.pk}/"
    assert buyer.get_absolute_url() == f"/buyers/{buyer.pk}/"


def test_an_unknown_sub_path_is_404(client):
    """Only the directory and numeric profiles are routes of the index pages."""
    assert client.get("/organisations/abc/").status_code == 404
    assert client.get("/buyers/1/extra/").status_code == 404


# --- directory -------------------------------------------------------------------------------


def _make_listed(count):
    districts = [_region("320508"), _region("320506")]
    categories = [factories.category("01"), factories.category("02")]
    for _ in range(count):
        factories.OrganisationFactory(districts=districts, categories=categories)


def _list_queries(client, url=ORGANISATION_LIST_URL):
    return _fetch(client, url)


def test_directory_query_count_does_not_grow_with_organisations(client):
    """The directory page costs the same number of queries for 3 and for 30 organisations, each
    with two districts and two categories shown."""
    _make_listed(3)
    few, response = _list_queries(client)
    assert len(response.context["directory"]) == 3

    _make_listed(27)
    many, response = _list_queries(client)
    assert len(response.context["directory"]) == 20

    assert many == few
    page = response.content.decode()
    assert "姑苏区、吴中区" in page or "吴中区、姑苏区" in page
    assert "养老服务" in page
    assert "助残服务" in page


def test_filtered_directory_query_count_does_not_grow(client):
    """With every filter applied the query count still does not depend on the number of rows."""
    url = f"{ORGANISATION_LIST_URL}?district={_region('320508').parent_id}&category={factories.category('01').pk}"
    _make_listed(3)
    few, _ = _list_queries(client, url)
    _make_listed(27)
    many, response = _list_queries(client, url)
    assert len(response.context["directory"]) == 20
    assert many == few


def test_directory_lists_only_verified_organisations(client):
    """Pending, rejected and suspended organisations are not listed."""
    shown = factories.OrganisationFactory(name="已认证组织")
    for status in ("pending", "rejected", "suspended"):
        factories.OrganisationFactory(name=f"{status}组织", status=status)

    response = client.get(ORGANISATION_LIST_URL)

    assert _names(response) == [shown.name]


def test_district_filter_includes_the_counties_of_a_city(client):
    """Filtering by a city lists organisations serving any of its counties, and not others;
    filtering by a county lists only that county's organisations."""
    gusu = factories.OrganisationFactory(name="姑苏组织", districts=[_region("320508")])
    wuzhong = factories.OrganisationFactory(name="吴中组织", districts=[_region("320506")])
    factories.OrganisationFactory(name="玄武组织", districts=[_region("320102")])
    suzhou = _region("320508").parent
    assert suzhou.name == "苏州市"

    by_city = client.get(ORGANISATION_LIST_URL, {"district": suzhou.pk})
    by_county = client.get(ORGANISATION_LIST_URL, {"district": _region("320508").pk})

    assert sorted(_names(by_city)) == sorted([gusu.name, wuzhong.name])
    assert _names(by_county) == [gusu.name]


def test_category_filter(client):
    """Filtering by a category lists the organisations offering it."""
    elderly = factories.OrganisationFactory(name="养老组织", categories=[factories.category("01")])
    factories.OrganisationFactory(name="助残组织", categories=[factories.category("02")])
    both = factories.OrganisationFactory(
        name="综合组织", categories=[factories.category("02"), factories.category("01")]
    )

    response = client.get(ORGANISATION_LIST_URL, {"category": factories.category("01").pk})

    assert sorted(_names(response)) == sorted([elderly.name, both.name])


def _rated(name, level, years_ago, days=0):
    evaluated = timezone.localdate() - datetime.timedelta(days=365 * years_ago + days)
    return factories.OrganisationFactory(
        name=name, rating_level=level, rating_evaluated_on=evaluated
    )


def test_minimum_rating_filter_ignores_expired_ratings(client):
    """'3A及以上' lists organisations whose current rating is at least 3A; an expired 5A, a
    current 2A and an unrated organisation are left out."""
    four = _rated("四A组织", 4, years_ago=1)
    three = _rated("三A组织", 3, years_ago=4)
    _rated("过期五A组织", 5, years_ago=6)
    _rated("二A组织", 2, years_ago=1)
    factories.OrganisationFactory(name="未评估组织")

    response = client.get(ORGANISATION_LIST_URL, {"min_rating": "3"})

    assert sorted(_names(response)) == sorted([four.name, three.name])


def test_invalid_filter_shows_everything_with_a_notice(client):
    """An unknown district id does not crash: all organisations are shown with a notice."""
    factories.OrganisationFactory(name="某组织")

    response = client.get(ORGANISATION_LIST_URL, {"district": "999999", "min_rating": "9"})

    assert response.status_code == 200
    assert _names(response) == ["某组织"]
    assert "筛选条件无效" in response.content.decode()


@pytest.fixture
def twenty_five(db):
    for number in range(1, 26):
        factories.OrganisationFactory(name=f"组织{number:02d}")


def test_pagination_shows_page_two(client, twenty_five):
    """With 25 organisations and 20 per page, page 2 holds the last five, with a link back."""
    response = client.get(ORGANISATION_LIST_URL, {"page": "2"})

    assert response.context["directory"].number == 2
    assert _names(response) == [f"组织{number:02d}" for number in range(21, 26)]
    page = response.content.decode()
    assert "第 2 / 2 页，共 25 条" in page
    assert 'href="?page=1"' in page


def test_pagination_keeps_the_filters(client, twenty_five):
    """Page links carry the current filters along."""
    category = factories.category("01")
    response = client.get(ORGANISATION_LIST_URL, {"category": category.pk})
    assert f'href="?category={category.pk}&amp;page=2"' in response.content.decode()


@pytest.mark.parametrize(("page", "expected"), [("abc", 1), ("999", 2), ("-1", 2), ("", 1)])
def test_pagination_tolerates_bad_page_numbers(client, twenty_five, page, expected):
    """A non-numeric page shows the first page; an out-of-range one shows the last."""
    response = client.get(ORGANISATION_LIST_URL, {"page": page})

    assert response.status_code == 200
    assert response.context["directory"].number == expected


# --- profile ---------------------------------------------------------------------------------


def test_profile_shows_the_rating_with_its_expiry(client):
    """A current rating is shown with its evaluation date and its expiry five years later."""
    evaluated = timezone.localdate() - datetime.timedelta(days=400)
    organisation = factories.OrganisationFactory(rating_level=4, rating_evaluated_on=evaluated)
    expires = evaluated.replace(year=evaluated.year + 5)

    response = client.get(organisation.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert f"{evaluated:%Y-%m-%d} 评定，有效期至 {expires:%Y-%m-%d}" in page
    assert "4A" in page
    assert "已过期" not in page


def test_profile_marks_an_expired_rating(client):
    """A rating older than five years is still shown, marked 已过期."""
    organisation = factories.OrganisationFactory(
        rating_level=5, rating_evaluated_on=datetime.date(2015, 6, 1)
    )

    page = client.get(organisation.get_absolute_url()).content.decode()

    assert "有效期至 2020-06-01" in page
    assert "已过期" in page


def test_profile_of_an_unrated_organisation(client, organisation):
    """Without a rating the profile says 未评估."""
    page = client.get(organisation.get_absolute_url()).content.decode()
    assert "未评估" in page


def test_profile_of_a_missing_organisation_is_404(client):
    """An unknown id is 404."""
    assert client.get(reverse("organisation_detail", args=[999_999])).status_code == 404


def test_profile_admin_links_only_for_admins(client, organisation, org_admin):
    """The edit and member links appear for the organisation's admin and not for visitors."""
    edit_url = reverse("organisation_edit", args=[organisation.pk])
    assert edit_url not in client.get(organisation.get_absolute_url()).content.decode()
    client.force_login(org_admin)
    assert edit_url in client.get(organisation.get_absolute_url()).content.decode()


def test_region_filter_names_counties_with_their_city(client):
    """Nanjing and Xuzhou both have a 鼓楼区; the filter says which is which."""
    html = client.get(reverse("organisation_list")).content.decode()

    assert "南京市 鼓楼区</option>" in html
    assert "徐州市 鼓楼区</option>" in html


# --- buyers ---------------------------------------------------------------------------------


def _make_buyers(count, parent):
    for _ in range(count):
        factories.BuyerFactory(parent=parent, region=factories.county("320506"))


def test_buyer_list_query_count_does_not_grow(client):
    """The buyer list costs the same number of queries for 3 and for 30 buyers with parents."""
    parent = factories.BuyerFactory(name="苏州市民政局", level=Buyer.Level.CITY)
    _make_buyers(2, parent)
    few, response = _fetch(client, BUYER_LIST_URL)
    assert len(response.context["directory"]) == 3

    _make_buyers(27, parent)
    many, response = _fetch(client, BUYER_LIST_URL)
    assert len(response.context["directory"]) == 20

    assert many == few
    page = response.content.decode()
    assert "苏州市民政局" in page
    assert "吴中区" in page


def test_buyer_list_filters_by_city(client):
    """Filtering by a city lists the buyers inside it only."""
    suzhou = factories.BuyerFactory(name="姑苏街道", region=factories.county("320508"))
    factories.BuyerFactory(name="玄武街道", region=factories.county("320102"))
    city = factories.county("320508").parent

    response = client.get(BUYER_LIST_URL, {"region": city.pk})

    assert [buyer.name for buyer in response.context["directory"]] == [suzhou.name]


@pytest.mark.parametrize(("page", "expected"), [("2", 2), ("abc", 1), ("999", 2)])
def test_buyer_list_pagination_tolerates_bad_numbers(client, page, expected):
    """Page 2 exists with 25 buyers; junk or out-of-range page numbers do not fail."""
    for _ in range(25):
        factories.BuyerFactory()

    response = client.get(BUYER_LIST_URL, {"page": page})

    assert response.status_code == 200
    assert response.context["directory"].number == expected


def _add_children_and_delegations(buyer, count):
    for _ in range(count):
        factories.BuyerFactory(parent=buyer)
        factories.DelegationFactory(buyer=buyer)


def test_buyer_detail_query_count_does_not_grow(client):
    """A buyer's page costs the same number of queries with 2 or 20 children and delegations."""
    buyer = factories.BuyerFactory(
        name="苏州市姑苏区民政局", parent=factories.BuyerFactory(name="苏州市民政局")
    )
    url = buyer.get_absolute_url()
    _add_children_and_delegations(buyer, 2)
    few, _ = _fetch(client, url)

    _add_children_and_delegations(buyer, 18)
    many, response = _fetch(client, url)

    assert many == few
    assert len(response.context["children"]) == 20
    assert len(response.context["delegations"]) == 20
    page = response.content.decode()
    assert "苏州市姑苏区民政局" in page
    assert "苏州市民政局" in page


def test_buyer_detail_shows_only_delegations_in_force(client, buyer):
    """Revoked, expired and future delegations are not shown as operators on the profile."""
    today = timezone.localdate()
    active = factories.DelegationFactory(buyer=buyer, operator__name="在期运营方")
    factories.DelegationFactory(
        buyer=buyer, operator__name="已撤销运营方", revoked_at=timezone.now()
    )
    factories.DelegationFactory(
        buyer=buyer,
        operator__name="已到期运营方",
        starts_on=today - datetime.timedelta(days=100),
        expires_on=today - datetime.timedelta(days=1),
    )
    factories.DelegationFactory(
        buyer=buyer,
        operator__name="未生效运营方",
        starts_on=today + datetime.timedelta(days=1),
        expires_on=today + datetime.timedelta(days=100),
    )

    response = client.get(buyer.get_absolute_url())

    assert list(response.context["delegations"]) == [active]
    page = response.content.decode()
    assert "在期运营方" in page
    for hidden in ("已撤销运营方", "已到期运营方", "未生效运营方"):
        assert hidden not in page


def test_buyer_detail_404_for_unknown_buyer(client):
    """An unknown buyer id is 404."""
    assert client.get(reverse("buyer_detail", args=[999_999])).status_code == 404
