"""Saved-search alerts: a tender published and indexed is matched against the saved searches
by the search backend; immediate ones are emailed at once, daily ones by
`manage.py send_search_digests`; never twice, never to the unsubscribed, never for drafts
or tenders that do not match. Tenders go through the real path: tender_publish → event →
background index update → search.signals.indexed → alerts."""

import datetime
import io

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import OrganisationMembership, Tender
from marketplace.services.tenders import tender_publish
from search import indexing
from search.backends import get_backend
from search.models import SavedSearch, SavedSearchMatch
from search.saved import saved_search_create, saved_search_unsubscribe
from search.types import Kind, SearchQuery
from tests import factories
from tests.cms.helpers import published_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(buyer, officer, django_capture_on_commit_callbacks):
    """Publish a new tender as the buyer's officer, running what follows the commit (the
    index update, the alerts, the emails)."""

    def publish(title, **fields):
        draft = factories.TenderFactory(
            buyer=buyer, title=title, status=Tender.Status.DRAFT, version=0, **fields
        )
        with django_capture_on_commit_callbacks(execute=True):
            return tender_publish(tender=draft, by=officer)

    return publish


@pytest.fixture
def save(organisation, org_admin):
    def save(name, query="", frequency=SavedSearch.Frequency.IMMEDIATE, **filters):
        return saved_search_create(
            user=org_admin,
            organisation=organisation,
            name=name,
            query=query,
            filters=filters,
            frequency=frequency,
        )

    return save


def _reindex(*tenders, capture):
    with capture(execute=True):
        indexing.index_update(kind=Kind.TENDER, ids=[t.pk for t in tenders], backend=get_backend())


def _digests(capture):
    out = io.StringIO()
    with capture(execute=True):
        call_command("send_search_digests", stdout=out)
    return out.getvalue()


def test_immediate_saved_search_is_emailed_once(
    publish, save, org_admin, django_capture_on_commit_callbacks
):
    """A new tender that matches is emailed at once with its link and an unsubscribe link
    that needs no login; indexing it again sends nothing more."""
    saved = save("养老项目", query="养老")

    tender = publish("姑苏区居家养老服务项目")

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [org_admin.email]
    assert "养老项目" in email.subject
    assert "姑苏区居家养老服务项目" in email.body
    assert tender.get_absolute_url() in email.body
    assert f"/search/unsubscribe/{saved.unsubscribe_token}/" in email.body
    # One-click unsubscribe in the mail program (RFC 2369, RFC 8058), to the same link.
    message = email.message()
    assert message["List-Unsubscribe"] == (
        f"<{settings.SITE_URL}/search/unsubscribe/{saved.unsubscribe_token}/>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/search/saved/" in email.body
    match = SavedSearchMatch.objects.get()
    assert (match.saved_search, match.tender, match.sent_at is not None) == (saved, tender, True)

    _reindex(tender, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert SavedSearchMatch.objects.count() == 1


def test_daily_digest_groups_matches_and_is_idempotent(
    publish, save, django_capture_on_commit_callbacks
):
    """Daily searches are not emailed on publication; the digest sends one email per saved
    search listing its unsent matches, marks them sent, and a second run sends nothing."""
    elderly = save("养老", query="养老", frequency=SavedSearch.Frequency.DAILY)
    disabled = save("助残", query="助残", frequency=SavedSearch.Frequency.DAILY)
    first = publish("居家养老服务项目甲")
    second = publish("社区养老日间照料项目乙")
    third = publish("残疾人助残康复项目丙", description="为残疾人提供康复训练。")
    assert mail.outbox == []
    assert SavedSearchMatch.objects.filter(sent_at__isnull=True).count() == 3

    output = _digests(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2
    by_subject = {("养老" if "“养老”" in m.subject else "助残"): m for m in mail.outbox}
    assert first.title in by_subject["养老"].body and second.title in by_subject["养老"].body
    assert third.title not in by_subject["养老"].body
    assert third.title in by_subject["助残"].body
    assert "每日汇总" in by_subject["养老"].subject
    assert (
        by_subject["养老"]
        .extra_headers["List-Unsubscribe"]
        .endswith(f"/search/unsubscribe/{elderly.unsubscribe_token}/>")
    )
    assert (
        by_subject["助残"]
        .extra_headers["List-Unsubscribe"]
        .endswith(f"/search/unsubscribe/{disabled.unsubscribe_token}/>")
    )
    assert not SavedSearchMatch.objects.filter(sent_at__isnull=True).exists()
    assert f"saved search {elderly.pk}: 2 tender(s)" in output
    assert f"saved search {disabled.pk}: 1 tender(s)" in output
    assert "sent 2 digest(s) listing 3 tender(s)" in output

    again = _digests(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert "sent 0 digest(s)" in again


def test_digest_leaves_out_tenders_no_longer_open(
    publish, save, django_capture_on_commit_callbacks
):
    save("养老", query="养老", frequency=SavedSearch.Frequency.DAILY)
    open_tender = publish("居家养老服务项目甲")
    closed = publish("居家养老服务项目乙")
    Tender.objects.filter(pk=closed.pk).update(status=Tender.Status.CANCELLED)

    _digests(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert open_tender.title in mail.outbox[0].body
    assert closed.title not in mail.outbox[0].body


def test_unsubscribed_saved_searches_get_nothing(publish, save, django_capture_on_commit_callbacks):
    """After unsubscribing: no match, no immediate email, and the digest skips matches
    that were waiting."""
    immediate = save("即时", query="养老")
    daily = save("每日", query="养老", frequency=SavedSearch.Frequency.DAILY)
    publish("居家养老服务项目甲")
    assert len(mail.outbox) == 1
    saved_search_unsubscribe(saved_search=immediate)
    saved_search_unsubscribe(saved_search=daily)

    publish("居家养老服务项目乙")
    _digests(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert SavedSearchMatch.objects.count() == 2  # only those of the first tender


def test_a_tender_that_does_not_match_sends_nothing(publish, save):
    """Different words, another category, a budget out of range: no match, no email."""
    save("助残", query="助残")
    save("青少年类目", category="03")
    save("大项目", budget_min="500000")

    publish("居家养老服务项目", budget=Money("300000.00", "CNY"))

    assert mail.outbox == []
    assert not SavedSearchMatch.objects.exists()


def test_filters_of_a_saved_search_are_applied(publish, save):
    """A category (and everything inside it), a region and a budget range that fit match."""
    save(
        "姑苏养老",
        category="01",
        region="320508",
        budget_min="100000",
        budget_max="400000",
    )
    publish("居家养老服务项目", category=factories.category("0101"))
    assert len(mail.outbox) == 1


def test_drafts_and_old_tenders_never_alert(
    publish, save, buyer, django_capture_on_commit_callbacks
):
    """A draft never reaches the alerts (not indexed, and refused if announced anyway); a
    tender published before the search was saved is no news on re-indexing; nor is a tender
    whose bidding has closed."""
    saved = save("养老", query="养老")
    draft = factories.TenderFactory(
        buyer=buyer, title="居家养老服务项目草稿", status=Tender.Status.DRAFT
    )
    old = factories.TenderFactory(buyer=buyer, title="居家养老服务项目旧")
    past = timezone.now() - datetime.timedelta(hours=1)
    closed = factories.TenderFactory(
        buyer=buyer,
        title="居家养老服务项目截止",
        published_at=timezone.now(),
        clarification_deadline=past,
        bid_deadline=past,
    )
    assert old.published_at < saved.created_at

    _reindex(draft, old, closed, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        indexing.signals.indexed.send(sender=Kind.TENDER, ids=[draft.pk, closed.pk])

    assert mail.outbox == []
    assert not SavedSearchMatch.objects.exists()


def test_people_who_left_the_organisation_get_nothing(publish, save, org_admin, organisation):
    save("养老", query="养老")
    OrganisationMembership.objects.filter(user=org_admin, organisation=organisation).delete()

    publish("居家养老服务项目")

    assert mail.outbox == []
    assert not SavedSearchMatch.objects.exists()


def test_organisations_indexed_are_not_matched(save, django_capture_on_commit_callbacks):
    """Only tenders feed the alerts."""
    save("养老", query="养老")
    organisation = factories.OrganisationFactory(name="养老服务中心")
    with django_capture_on_commit_callbacks(execute=True):
        indexing.index_update(kind=Kind.ORGANISATION, ids=[organisation.pk], backend=get_backend())
    assert not SavedSearchMatch.objects.exists()


def test_results_indexed_are_not_matched(save, django_capture_on_commit_callbacks):
    """A published project result that tells of 养老 is indexed but never alerts: saved
    searches are for tenders open for bids."""
    save("养老", query="养老")
    with django_capture_on_commit_callbacks(execute=True):
        page = published_result()
    assert get_backend().search(SearchQuery(text="养老", kinds=(Kind.RESULT,))).total == 1
    with django_capture_on_commit_callbacks(execute=True):
        indexing.index_update(kind=Kind.RESULT, ids=[page.pk], backend=get_backend())
    assert mail.outbox == []
    assert not SavedSearchMatch.objects.exists()
