"""The search page: one results page for every kind, grouped when no kind is chosen, with
facet links, sorting, pagination that keeps the filters, broader searches for an empty
result, bad parameters ignored (never a 500), JSON suggestions, and no sealed bid content.
Data is built with the factories and indexed through the configured backend."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import Tender
from marketplace.templatetags.zhengshe import cny
from search.backends import get_backend
from search.types import Kind
from tests import factories
from tests.cms.helpers import published_result

pytestmark = pytest.mark.django_db

URL = reverse("search")


def _index(*objects):
    """Put these tenders and organisations in the index (what the background task does)."""
    backend = get_backend()
    for kind, model in ((Kind.TENDER, Tender), (Kind.ORGANISATION, factories.models.Organisation)):
        ids = [obj.pk for obj in objects if isinstance(obj, model)]
        if ids:
            backend.index(kind, ids)


def _tender(title, **fields):
    return factories.TenderFactory(title=title, **fields)


def _query(url) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _hit_titles(response, kind=Kind.TENDER):
    for group in response.context["groups"]:
        if group["kind"] == kind:
            return [row["hit"].title for row in group["hits"]]
    return []


def test_search_page_finds_and_highlights_in_chinese_and_english(client):
    """养老 finds 居家养老服务项目 with the match marked; 助残 does not; the page renders in both
    languages."""
    tender = _tender("姑苏区居家养老服务项目")
    _index(tender)

    response = client.get(URL, {"q": "养老"})
    assert response.status_code == 200
    assert _hit_titles(response) == ["姑苏区居家养老服务项目"]
    assert "<mark>养老</mark>" in response.content.decode()
    assert _hit_titles(client.get(URL, {"q": "助残"})) == []

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(URL, {"q": "养老"})
    assert english.status_code == 200
    assert '<html lang="en">' in english.content.decode()
    assert _hit_titles(english) == ["姑苏区居家养老服务项目"]


def test_without_a_kind_results_are_grouped_by_kind(client):
    """With no kind chosen, tenders and organisations are shown in separate groups, each
    with its total and a link to all of its results when there are more."""
    tenders = [_tender(f"居家养老服务项目{n}") for n in range(7)]
    organisation = factories.OrganisationFactory(
        name="姑苏区养老服务中心", description="专注居家养老服务。"
    )
    _index(*tenders, organisation)

    response = client.get(URL, {"q": "养老"})

    groups = {group["kind"]: group for group in response.context["groups"]}
    assert groups[Kind.TENDER]["total"] == 7
    assert len(groups[Kind.TENDER]["hits"]) == 5
    assert _query(groups[Kind.TENDER]["more_url"]) == {"q": "养老", "kind": Kind.TENDER}
    assert _hit_titles(response, Kind.ORGANISATION) == ["姑苏区养老服务中心"]
    assert groups[Kind.ORGANISATION]["more_url"] is None
    assert response.context["total"] == 8


def test_facet_links_add_and_remove_a_filter(client):
    """Each facet value is a link with its count that adds that filter; the active value's
    link removes it again. The other parameters stay."""
    elderly = _tender("居家养老服务项目", category=factories.category("0101"))
    disabled = _tender("助残康复服务项目", category=factories.category("0201"))
    _index(elderly, disabled)

    response = client.get(URL, {"kind": "tender", "sort": "budget"})
    categories = next(f for f in response.context["facets"] if f["name"] == "category")
    by_value = {value["value"]: value for value in categories["values"]}
    assert by_value["0201"]["count"] == 1
    assert by_value["0201"]["label"] == "残疾人康复训练"
    link = by_value["0201"]["url"]
    assert _query(link) == {"kind": "tender", "sort": "budget", "category": "0201"}
    assert f'href="{link.replace("&", "&amp;")}"' in response.content.decode()

    filtered = client.get(link)
    assert _hit_titles(filtered) == ["助残康复服务项目"]
    categories = next(f for f in filtered.context["facets"] if f["name"] == "category")
    active = next(value for value in categories["values"] if value["value"] == "0201")
    assert active["active"]
    assert _query(active["url"]) == {"kind": "tender", "sort": "budget"}
    assert [item["url"] for item in filtered.context["active_filters"]][-1] == active["url"]


def test_sort_by_budget_deadline_and_newest(client):
    """Sort links switch the order: budget largest first, deadline soonest first."""
    small = _tender("养老服务项目甲", budget=Money("100000.00", "CNY"))
    large = _tender("养老服务项目乙", budget=Money("900000.00", "CNY"))
    soon = _tender(
        "养老服务项目丙",
        budget=Money("500000.00", "CNY"),
        clarification_deadline=timezone.now() + datetime.timedelta(days=2),
        bid_deadline=timezone.now() + datetime.timedelta(days=3),
    )
    _index(small, large, soon)

    by_budget = client.get(URL, {"q": "养老", "kind": "tender", "sort": "budget"})
    assert _hit_titles(by_budget) == ["养老服务项目乙", "养老服务项目丙", "养老服务项目甲"]
    by_deadline = client.get(URL, {"q": "养老", "kind": "tender", "sort": "deadline"})
    assert _hit_titles(by_deadline)[0] == "养老服务项目丙"
    sorts = {link["label"]: link for link in by_deadline.context["sorts"]}
    assert sorts["投标截止时间"]["active"]
    assert _query(sorts["最新发布"]["url"])["sort"] == "newest"


def test_pagination_keeps_the_query_and_filters(client, settings):
    """Page links carry q, kind and the filters; a page past the end shows the last page."""
    settings.PAGE_SIZE = 2
    tenders = [_tender(f"居家养老服务项目{n}") for n in range(5)]
    _index(*tenders)
    params = {"q": "养老", "kind": "tender", "category": "01"}

    first = client.get(URL, params)
    pagination = first.context["pagination"]
    assert (pagination["number"], pagination["num_pages"]) == (1, 3)
    assert pagination["previous"] is None
    assert _query(pagination["next"]) == {**params, "page": "2"}

    second = client.get(pagination["next"])
    assert len(_hit_titles(second)) == 2
    assert not set(_hit_titles(second)) & set(_hit_titles(first))

    beyond = client.get(URL, {**params, "page": "99"})
    assert beyond.status_code == 200
    assert beyond.context["pagination"]["number"] == 3
    assert len(_hit_titles(beyond)) == 1


def test_empty_result_offers_broader_searches_that_find_something(client):
    """Nothing found: the page offers dropping a filter or a word, each with its count;
    broader searches that would find nothing are not offered."""
    tender = _tender("居家养老服务项目", region=factories.county("320508"))
    _index(tender)

    response = client.get(URL, {"q": "养老", "kind": "tender", "region": "320303"})
    assert response.context["total"] == 0
    offers = response.context["broader"]
    # Searching every kind still filters by 云龙区 and finds nothing: not offered.
    assert [(_query(offer["url"]), offer["count"]) for offer in offers] == [
        ({"q": "养老", "kind": "tender"}, 1)
    ]
    assert "试试范围更宽的搜索" in response.content.decode()

    words = client.get(URL, {"q": "养老 禁毒", "kind": "tender"})
    assert words.context["total"] == 0
    assert [_query(offer["url"])["q"] for offer in words.context["broader"]] == ["养老"]


def test_bad_parameters_are_ignored_with_a_message(client):
    """An unknown sort or kind, a page that is not a number, a budget that is not an amount
    or a range upside down: the search runs without them and says so, never a 500."""
    tender = _tender("居家养老服务项目")
    _index(tender)

    response = client.get(
        URL,
        {
            "q": "养老",
            "kind": "tender",
            "sort": "cheapest",
            "page": "abc",
            "budget_min": "十万",
            "category": "<script>",
        },
    )
    assert response.status_code == 200
    ignored = dict(response.context["ignored"])
    assert set(ignored) == {"排序", "页码", "预算不低于（元）", "服务类目"}
    assert _hit_titles(response) == ["居家养老服务项目"]
    assert "&lt;script&gt;" not in response.content.decode().split("以下参数无效")[0]

    upside_down = client.get(URL, {"kind": "tender", "budget_min": "500", "budget_max": "100"})
    assert upside_down.status_code == 200
    assert "预算不高于（元）" in dict(upside_down.context["ignored"])

    for params in ({"kind": "nonsense"}, {"page": "-1"}, {"page": "9" * 30}, {"q": "养" * 500}):
        assert client.get(URL, params).status_code == 200
    assert client.get(URL, {"kind": "organisation", "sort": "budget"}).status_code == 200


def test_suggestions_are_json_titles(client):
    """/search/suggest/?q= returns the backend's as-you-type titles; an empty box none."""
    tender = _tender("姑苏区居家养老服务项目")
    _index(tender)

    response = client.get(reverse("search_suggest"), {"q": "居家", "kind": "tender"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "姑苏区居家养老服务项目" in response.json()["suggestions"]
    assert client.get(reverse("search_suggest"), {"q": "  "}).json()["suggestions"] == []
    assert client.get(reverse("search_suggest"), {"q": "居家", "kind": "bogus"}).status_code == 200


def test_sealed_bid_content_is_never_found(client):
    """Words only in a sealed bid's proposal find nothing, and never appear on the page."""
    tender = _tender("居家养老服务项目")
    factories.BidFactory(tender=tender, service_plan="保密方案：每周上门服务七次独家承诺")
    _index(tender)

    response = client.get(URL, {"q": "独家承诺"})
    assert response.context["total"] == 0
    assert "每周上门服务七次" not in response.content.decode()


def test_query_count_does_not_grow_with_the_hits(client):
    """A results page costs the same number of queries for 2 hits as for 12."""

    def count(word, n):
        _index(*[_tender(f"社区{word}服务项目{i}", description="社区服务。") for i in range(n)])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"q": word, "kind": "tender"})
        assert response.context["total"] == n
        return len(queries)

    assert count("助餐", 2) == count("助浴", 12)


def test_tender_and_organisation_lists_send_their_box_to_the_search_page(client):
    """/tenders/ and /organisations/ carry the search box: a GET form to /search/ with a
    hidden kind, and suggestions for that kind."""
    for url, kind in (
        (reverse("tender_list"), "tender"),
        (reverse("organisation_list"), "organisation"),
    ):
        html = client.get(url).content.decode()
        assert f'action="{URL}"' in html
        assert f'<input type="hidden" name="kind" value="{kind}">' in html
        assert f'data-suggest-url="{reverse("search_suggest")}?kind={kind}"' in html
        assert "js/search.js" in html


def test_header_links_to_search(client):
    assert f'href="{URL}"' in client.get(reverse("tender_list")).content.decode()


# Project results (项目成果) ------------------------------------------------------------------


def _result(**fields):
    """A published result page (tests/cms/helpers.py), indexed, with a story about 助餐."""
    page = published_result(
        story=[{"type": "paragraph", "value": "<p>为200位老人提供助餐服务</p>"}], **fields
    )
    get_backend().index(Kind.RESULT, [page.pk])
    return page


def test_results_are_grouped_under_their_own_heading_with_their_facts(client):
    """Without a kind the results come in a group 项目成果, each hit showing its buyer,
    organisation, contract amount and year; the kind tab leads to all of them."""
    page = _result()
    contract = page.contract

    response = client.get(URL, {"q": "助餐"})

    groups = {group["kind"]: group for group in response.context["groups"]}
    assert groups[Kind.RESULT]["label"] == "项目成果"
    assert groups[Kind.RESULT]["total"] == 1
    (row,) = groups[Kind.RESULT]["hits"]
    assert row["hit"].url == page.url
    assert dict(row["fields"]) == {
        "购买主体": contract.buyer.name,
        "承接主体": contract.organisation.name,
        "服务类目": contract.tender.category.name,
        "地区": contract.tender.region.name,
        "合同金额": cny(contract.amount.amount),
        "结项年份": str(contract.ends_on.year),
    }
    html = response.content.decode()
    assert '<h2 id="group-result">项目成果' in html
    assert 'class="hit hit-result"' in html
    tabs = {tab["label"]: tab for tab in response.context["kind_tabs"]}
    assert _query(tabs["项目成果"]["url"]) == {"q": "助餐", "kind": Kind.RESULT}


def test_tender_only_sorts_leave_results_in_their_default_order(client):
    """Sorting by budget orders the tenders; the results group keeps its own order and the
    results page offers only relevance and newest (a budget sort there is dropped)."""
    first, second = _result(), _result()

    everything = client.get(URL, {"q": "助餐", "sort": "budget"})
    assert everything.status_code == 200
    assert _hit_titles(everything, Kind.RESULT) == [second.title, first.title]

    results = client.get(URL, {"q": "助餐", "kind": Kind.RESULT, "sort": "budget"})
    assert results.status_code == 200
    assert "sort" not in results.context["params"]
    assert [link["label"] for link in results.context["sorts"]] == ["相关度", "最新发布"]
    assert "预算金额" not in results.content.decode().split('class="results"')[0]
    assert sorted(_hit_titles(results, Kind.RESULT)) == sorted([first.title, second.title])
    assert results.context["save_url"] is None


def test_results_page_queries_do_not_grow_with_the_hits(client, django_assert_num_queries):
    _result()
    with CaptureQueriesContext(connection) as one:
        client.get(URL, {"q": "助餐", "kind": Kind.RESULT})
    for _ in range(3):
        _result()
    with django_assert_num_queries(len(one)):
        response = client.get(URL, {"q": "助餐", "kind": Kind.RESULT})
    assert response.context["total"] == 4
