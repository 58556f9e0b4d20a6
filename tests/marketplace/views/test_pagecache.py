"""The whole-page cache for anonymous readers of public tender pages (marketplace/pagecache.py):
served without touching the database, stale at once when the data changes or a deadline
shown on the page passes, never for signed-in users or pages with a CSRF token."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace import pagecache
from marketplace.models import Tender
from marketplace.services.clarifications import clarification_answer
from marketplace.services.tenders import tender_cancel, tender_publish
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("tender_list")


def _fetch(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response, len(queries)


def test_the_second_anonymous_request_is_served_from_the_cache_without_queries(client):
    tender = factories.TenderFactory()
    for url in (LIST_URL, tender.get_absolute_url()):
        first, cold = _fetch(client, url)
        second, warm = _fetch(client, url)
        assert (first[pagecache.HIT_HEADER], second[pagecache.HIT_HEADER]) == ("miss", "hit")
        assert cold > 0 and warm == 0  # the test cache is in memory
        assert second.content == first.content
        assert tender.title in second.content.decode()
        assert second["ETag"] == first["ETag"]


def test_a_matching_etag_gets_304(client):
    factories.TenderFactory()
    etag = client.get(LIST_URL)["ETag"]
    assert client.get(LIST_URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(LIST_URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_each_language_and_query_is_its_own_page(client):
    factories.TenderFactory()
    client.get(LIST_URL)
    english, _ = _fetch(client, LIST_URL, HTTP_ACCEPT_LANGUAGE="en")
    sorted_, _ = _fetch(client, LIST_URL + "?sort=deadline")
    assert english[pagecache.HIT_HEADER] == "miss"
    assert "All categories" in english.content.decode()
    assert sorted_[pagecache.HIT_HEADER] == "miss"


def test_publication_makes_the_cached_list_stale(client, django_capture_on_commit_callbacks):
    buyer = factories.BuyerFactory()
    officer = factories.BuyerMembershipFactory(buyer=buyer).user
    draft = factories.TenderFactory(buyer=buyer, status=Tender.Status.DRAFT)
    client.get(LIST_URL)
    with django_capture_on_commit_callbacks(execute=True):
        tender_publish(tender=draft, by=officer)
    response, _ = _fetch(client, LIST_URL)
    assert response[pagecache.HIT_HEADER] == "miss"
    assert draft.title in response.content.decode()


def test_cancellation_and_a_published_answer_make_the_notice_stale(
    client, django_capture_on_commit_callbacks
):
    buyer = factories.BuyerFactory()
    officer = factories.BuyerMembershipFactory(buyer=buyer).user
    tender = factories.TenderFactory(buyer=buyer)
    question = factories.ClarificationFactory(tender=tender)
    url = tender.get_absolute_url()
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        clarification_answer(clarification=question, by=officer, answer="服务对象为辖区老人。")
    assert "服务对象为辖区老人。" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        tender_cancel(tender=tender, by=officer, reason="预算调整，项目取消。")
    assert "预算调整，项目取消。" in client.get(url).content.decode()


def test_a_lost_generation_token_never_revives_old_pages(client):
    """If the cache drops the generation token but keeps the page, the page is not served:
    a fresh token matches no stored page."""
    factories.TenderFactory()
    client.get(LIST_URL)
    cache.delete("pagecache:tenders:generation")
    response, _ = _fetch(client, LIST_URL)
    assert response[pagecache.HIT_HEADER] == "miss"
    assert client.get(LIST_URL)[pagecache.HIT_HEADER] == "hit"


def test_signed_in_readers_are_never_served_cached_pages(client, org_admin):
    factories.TenderFactory()
    client.get(LIST_URL)  # cached for anonymous readers
    client.force_login(org_admin)
    response, queries = _fetch(client, LIST_URL)
    assert pagecache.HIT_HEADER not in response
    assert queries > 0
    assert reverse("dashboard") in response.content.decode()


def test_a_page_that_needs_a_csrf_token_is_not_stored():
    """A view that rendered a CSRF token (a form) would hand one visitor's token to all."""
    rendered = []

    @pagecache.public_page("tests")
    def view(request):
        rendered.append(get_token(request))
        return HttpResponse("form")

    for _ in range(2):
        request = RequestFactory().get("/x/")
        request.user = AnonymousUser()
        assert pagecache.HIT_HEADER not in view(request)
    assert len(rendered) == 2


def test_pages_expire_by_the_deadlines_they_show(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    request = RequestFactory().get("/")
    assert pagecache.timeout_for(request) == 60
    now = timezone.now()
    pagecache.expires_by(
        request,
        now - datetime.timedelta(hours=1),  # past: ignored
        now + datetime.timedelta(seconds=30, milliseconds=500),
        now + datetime.timedelta(seconds=40),
        None,
    )
    assert pagecache.timeout_for(request) == 30
    pagecache.expires_by(request, now + datetime.timedelta(seconds=5, milliseconds=500))
    assert pagecache.timeout_for(request) == 5


def test_a_tender_whose_deadline_is_seconds_away_is_cached_no_longer_than_that(client):
    soon = timezone.now() + datetime.timedelta(milliseconds=900)
    tender = factories.TenderFactory(bid_deadline=soon, clarification_deadline=soon)
    client.get(tender.get_absolute_url())
    response, queries = _fetch(client, tender.get_absolute_url())
    assert response[pagecache.HIT_HEADER] == "miss"  # under a second left: not stored
    assert queries > 0
