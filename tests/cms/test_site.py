"""The portal's standing pages (data migration and ensure_site_pages), the home page, the
main menu, the page cache (hit, miss, staleness on publication and events, ETag and
Last-Modified with 304) and both languages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date
from djmoney.money import Money

from cms.models import (
    BuyerIndexPage,
    NewsIndexPage,
    NewsPage,
    OrganisationIndexPage,
    PolicyPage,
    ResultIndexPage,
)
from cms.site_pages import ensure_site_pages
from marketplace import pagecache
from marketplace.models import RatingSummary
from marketplace.models.ratings import OVERALL
from tests import factories
from tests.cms.helpers import published_result

pytestmark = pytest.mark.django_db

UNCACHED = {"HTTP_COOKIE": "sessionid=uncached"}


def test_the_migration_made_the_standing_pages():
    expected = {
        "/home/results/": ResultIndexPage,
        "/home/news/": NewsIndexPage,
        "/home/policy/": PolicyPage,
        "/home/policy/two-lists/": PolicyPage,
        "/home/organisations/": OrganisationIndexPage,
        "/home/buyers/": BuyerIndexPage,
    }
    for url_path, model in expected.items():
        page = model.objects.get(url_path=url_path)
        assert page.live
    two_lists = PolicyPage.objects.get(slug="two-lists")
    text = str(two_lists.body)
    assert "协助政府工作事项清单" in text and "费随事转" in text


def test_ensure_site_pages_is_idempotent_and_rebuilds_a_flushed_tree(site_pages):
    assert set(site_pages) >= {"home", "results", "news", "policy", "organisations", "buyers"}
    count = ResultIndexPage.objects.count() + PolicyPage.objects.count()
    again = ensure_site_pages()
    assert again["results"].pk == site_pages["results"].pk
    assert ResultIndexPage.objects.count() + PolicyPage.objects.count() == count

    NewsIndexPage.objects.all().delete()
    rebuilt = ensure_site_pages()
    assert rebuilt["news"].live and rebuilt["news"].url_path == "/home/news/"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pages_after_a_flush(client, site_pages):
    assert client.get("/results/").status_code == 200
    assert client.get("/policy/two-lists/").status_code == 200


def _home_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", **UNCACHED)
    assert response.status_code == 200
    return response, len(queries)


def _top_rated(organisation, score, count):
    RatingSummary.objects.create(
        organisation=organisation, dimension=OVERALL, count=count, total=count * 4, score=score
    )


def test_the_home_page_shows_what_is_going_on(client):
    open_tender = factories.TenderFactory()
    result = published_result()
    best = factories.OrganisationFactory(name="姑苏区乐龄社工服务中心")
    _top_rated(best, "4.60", 5)
    newcomer = factories.OrganisationFactory(name="新成立的社工机构")
    _top_rated(newcomer, "4.90", 1)  # too few evaluations to be ranked

    response = client.get("/")
    html = response.content.decode()
    assert open_tender.title in html
    assert result.title in html
    assert best.name in html and newcomer.name not in html
    assert isinstance(response.context["contracted_this_year"], Money)
    for url in ("/tenders/", "/awards/", "/results/", "/statistics/", "/opendata/"):
        assert f'href="{url}' in html


def test_the_home_page_query_count_does_not_grow(client):
    factories.TenderFactory()
    published_result()
    _home_queries(client)
    _response, few = _home_queries(client)
    for _ in range(3):
        factories.TenderFactory()
        published_result()
        _top_rated(factories.OrganisationFactory(), "4.20", 4)
    response, many = _home_queries(client)
    assert len(response.context["latest_results"]) == 4
    assert many == few


def test_the_menu_lists_marketplace_and_portal_pages(client):
    html = client.get("/tenders/").content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    for url in ("/tenders/", "/awards/", "/results/", "/news/", "/policy/", "/statistics/"):
        assert f'href="{url}"' in nav
    assert 'href="/organisations/"' in nav  # the directory, once
    assert nav.count('href="/organisations/"') == 1

    news = NewsIndexPage.objects.get()
    news.unpublish()
    nav = client.get("/tenders/?x=1").content.decode()
    assert 'href="/news/"' not in nav[nav.index("<nav") : nav.index("</nav>")]


def test_menu_marks_the_current_page(client):
    html = client.get("/results/").content.decode()
    assert 'href="/results/" aria-current="page"' in html


# Page cache ------------------------------------------------------------------------------


def test_portal_pages_are_cached_for_anonymous_readers(client, user):
    result = published_result()
    for url in ("/", "/results/", result.url, "/news/", "/policy/"):
        first, second = client.get(url), client.get(url)
        assert (first[pagecache.HIT_HEADER], second[pagecache.HIT_HEADER]) == ("miss", "hit")
        assert first.content == second.content
        assert second["ETag"] == first["ETag"]
        assert second["Last-Modified"] == first["Last-Modified"]
    client.force_login(user)
    assert pagecache.HIT_HEADER not in client.get("/results/")


def test_etag_and_last_modified_answer_304(client):
    result = published_result()
    first = client.get(result.url)
    assert client.get(result.url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(result.url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    earlier = http_date(result.last_published_at.timestamp() - 3600)
    assert client.get(result.url, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_last_modified_follows_the_live_data(client):
    result = published_result()
    contract = result.contract
    response = client.get(result.url, **UNCACHED)
    latest = max(result.last_published_at, contract.updated_at)
    assert response["Last-Modified"] == http_date(latest.timestamp())


def test_publishing_makes_the_pages_stale(client, django_capture_on_commit_callbacks):
    client.get("/news/")
    assert client.get("/news/")[pagecache.HIT_HEADER] == "hit"
    news = NewsPage(title="社区养老服务项目集中签约", slug="signing", intro="十个项目签约。")
    with django_capture_on_commit_callbacks(execute=True):
        NewsIndexPage.objects.get().add_child(instance=news)
        news.save_revision().publish()
    response = client.get("/news/")
    assert response[pagecache.HIT_HEADER] == "miss"
    assert "社区养老服务项目集中签约" in response.content.decode()
    assert client.get("/")[pagecache.HIT_HEADER] == "miss"

    with django_capture_on_commit_callbacks(execute=True):
        news.unpublish()
    response = client.get("/news/")
    assert response[pagecache.HIT_HEADER] == "miss"
    assert "社区养老服务项目集中签约" not in response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_portal_pages_render_in_both_languages(client, language):
    result = published_result()
    for url in ("/", "/results/", result.url, "/news/", "/policy/", "/policy/two-lists/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        assert f'lang="{"zh-CN" if language == "zh-hans" else "en"}"' in response.content.decode()
