"""Award pages: the public award list and notice, the award action, the objection form,
the objection inbox and answer, and objection document downloads."""

import datetime

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    Award,
    EvaluationReport,
    Objection,
    ObjectionDocument,
    Tender,
)
from marketplace.pagecache import HIT_HEADER
from marketplace.services.awards import objection_file
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = "/awards/"


def _awarded(**award):
    """A standing award in its notice period, a losing bidder with a member, and an officer
    with TOTP (required under /buyer/)."""
    award = factories.AwardFactory(**award)
    officer = factories.BuyerMembershipFactory(buyer=award.tender.buyer).user
    loser = factories.BidFactory(tender=award.tender)
    member = factories.OrganisationMembershipFactory(organisation=loser.organisation).user
    return award, officer, loser, member


@pytest.fixture
def officer_client(client, mfa):
    def login(officer):
        mfa(officer)
        client.force_login(officer)
        return client

    return login


# Public list and notice -------------------------------------------------------------


def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(queries), response


def test_award_list_shows_awards_newest_first_with_revoked_marked(client):
    """/awards/ lists standing and revoked awards of public tenders with buyer, winner and
    amount; a revoked award is marked."""
    old, *_rest = _awarded()
    Award.objects.filter(pk=old.pk).update(
        status=Award.Status.REVOKED, published_at=timezone.now() - datetime.timedelta(days=3)
    )
    new, *_rest = _awarded()

    response = client.get(LIST_URL)

    page = response.content.decode()
    assert [award.pk for award in response.context["page"]] == [new.pk, old.pk]
    assert new.tender.title in page and new.tender.buyer.name in page
    assert new.bid.organisation.name in page
    assert "已撤销" in page and 'class="revoked"' in page


def test_award_list_query_count_does_not_grow_with_rows(client):
    """One award or six: the same number of queries."""
    _awarded()
    few, _response = _list_queries(client)
    for _ in range(5):
        _awarded()
    cache.clear()
    many, response = _list_queries(client)
    assert len(response.context["page"]) == 6
    assert many == few


def test_award_list_is_served_from_the_page_cache_until_an_award_changes(
    client, django_capture_on_commit_callbacks
):
    """Anonymous readers get the cached list; a dismissed objection (or any award change)
    makes it stale at once."""
    award, _officer, loser, member = _awarded()
    assert client.get(LIST_URL)[HIT_HEADER] == "miss"
    assert client.get(LIST_URL)[HIT_HEADER] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        objection_file(
            tender=award.tender, organisation=loser.organisation, by=member, grounds="理由"
        )

    assert client.get(LIST_URL)[HIT_HEADER] == "miss"


def test_tender_page_shows_the_award_notice_without_objection_grounds(client):
    """The public tender page shows winner, price, rank, total score, the recommendation,
    the notice end and the objection counts, but never the grounds."""
    award, _officer, loser, member = _awarded(reason="", total_score="91.25")
    factories.ObjectionFactory(
        tender=award.tender, bid=loser, filed_by=member, grounds="保密的质疑理由"
    )
    factories.ObjectionFactory(
        tender=award.tender, bid=loser, filed_by=member, status=Objection.Status.DISMISSED
    )

    page = client.get(award.tender.get_absolute_url()).content.decode()

    assert 'id="award"' in page
    assert award.bid.organisation.name in page
    assert "91.25" in page
    assert "评审推荐的候选人" in page
    assert timezone.localtime(award.notice_ends_at).strftime("%Y-%m-%d %H:%M") in page
    assert "公示中" in page
    assert "共收到 2 件质疑：待答复 1 件，质疑成立 0 件，质疑不成立 1 件" in page
    assert "保密的质疑理由" not in page


def test_tender_page_shows_the_reason_and_the_end_of_the_period(client):
    """A non-recommended award shows its reason; past the notice end, the period is over."""
    award, *_rest = _awarded(
        recommended=False,
        reason="推荐候选人放弃中标。",
        notice_ends_at=timezone.now() - datetime.timedelta(hours=1),
    )
    page = client.get(award.tender.get_absolute_url()).content.decode()
    assert "推荐候选人放弃中标。" in page
    assert "公示期已结束" in page


def test_nav_links_the_award_list(client):
    """The main navigation has 中标公告 → /awards/."""
    page = client.get(LIST_URL).content.decode()
    assert f'href="{LIST_URL}"' in page and "中标公告" in page


# Award action ------------------------------------------------------------------------


def _evaluating(officer_buyer=None):
    tender = factories.TenderFactory(
        status=Tender.Status.EVALUATING,
        clarification_deadline=timezone.now() - datetime.timedelta(days=5),
        bid_deadline=timezone.now() - datetime.timedelta(days=4),
        **({"buyer": officer_buyer} if officer_buyer else {}),
    )
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    bid = factories.BidFactory(tender=tender, amount=Money("250000.00", "CNY"))
    other = factories.BidFactory(tender=tender, amount=Money("260000.00", "CNY"))
    EvaluationReport.objects.create(
        tender=tender,
        number=1,
        results={
            "bids": [
                {"bid": bid.pk, "valid": True, "rank": 1, "total": "90"},
                {"bid": other.pk, "valid": True, "rank": 2, "total": "80"},
            ]
        },
        recommended=bid,
        created_by=officer,
        confirmed_at=timezone.now(),
    )
    return tender, officer, bid, other


def test_award_create_awards_and_shows_the_notice(officer_client):
    """The officer posts the recommended bid: the tender is awarded and the public notice
    opens at #award."""
    tender, officer, bid, _other = _evaluating()
    client = officer_client(officer)

    response = client.post(reverse("award_create", args=[tender.pk]), {"bid": bid.pk})

    assert response.status_code == 302
    assert response["Location"].endswith(f"/tenders/{tender.pk}/#award")
    tender.refresh_from_db()
    assert tender.status == Tender.Status.AWARDED


def test_award_create_error_goes_back_to_the_dashboard(officer_client):
    """Another bid without a reason: refused, back to the evaluation dashboard with the
    message; nothing awarded."""
    tender, officer, _bid, other = _evaluating()
    client = officer_client(officer)

    response = client.post(reverse("award_create", args=[tender.pk]), {"bid": other.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation_dashboard", args=[tender.pk])
    assert not Award.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("理由" in m for m in messages)


def test_award_create_is_404_for_other_buyers(officer_client):
    """Another buyer's officer gets 404 and nothing changes."""
    tender, _officer, bid, _other = _evaluating()
    client = officer_client(factories.BuyerMembershipFactory().user)
    response = client.post(reverse("award_create", args=[tender.pk]), {"bid": bid.pk})
    assert response.status_code == 404
    assert not Award.objects.exists()


# Objections -------------------------------------------------------------------------


def test_objection_form_for_a_bidder_files_an_objection(client):
    """A bidder's member sees the form and files an objection for their organisation."""
    award, _officer, loser, member = _awarded()
    client.force_login(member)
    url = reverse("objection_file", args=[award.tender.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"organisation": loser.organisation.pk, "grounds": "评分不公。"})

    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.bid, objection.filed_by) == (loser, member)


def test_objection_form_refuses_outsiders(client):
    """A member of an organisation without a bid gets 404; anonymous users go to log in."""
    award, *_rest = _awarded()
    url = reverse("objection_file", args=[award.tender.pk])
    assert client.get(url).status_code == 302
    client.force_login(factories.OrganisationMembershipFactory().user)
    assert client.get(url).status_code == 404
    assert client.post(url, {"grounds": "x"}).status_code == 404
    assert not Objection.objects.exists()


def test_objection_form_after_the_period_shows_the_error(client):
    """Past the notice period the service refuses and the form says why."""
    award, _officer, loser, member = _awarded(
        notice_ends_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    client.force_login(member)
    response = client.post(
        reverse("objection_file", args=[award.tender.pk]),
        {"organisation": loser.organisation.pk, "grounds": "评分不公。"},
    )
    assert response.status_code == 200
    assert "公示期" in response.content.decode()
    assert not Objection.objects.exists()


def test_inbox_lists_own_objections_open_first_with_overdue_flagged(officer_client):
    """The officer's inbox lists the buyer's objections, open first, overdue in red; another
    buyer's objections are not there."""
    award, officer, loser, member = _awarded()
    late = factories.ObjectionFactory(
        tender=award.tender,
        bid=loser,
        filed_by=member,
        answer_due_at=timezone.now() - datetime.timedelta(days=1),
    )
    answered = factories.ObjectionFactory(
        tender=award.tender, bid=loser, filed_by=member, status=Objection.Status.DISMISSED
    )
    foreign = factories.ObjectionFactory()
    client = officer_client(officer)

    response = client.get(reverse("objection_inbox"))

    rows = list(response.context["page"])
    assert rows == [late, answered]
    assert foreign not in rows
    assert 'class="overdue"' in response.content.decode()


def test_answer_page_dismisses_and_outsiders_get_404(officer_client):
    """The officer answers (dismissed); another buyer's officer gets 404."""
    award, officer, loser, member = _awarded()
    objection = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    url = reverse("objection_answer", args=[objection.pk])

    stranger = officer_client(factories.BuyerMembershipFactory().user)
    assert stranger.get(url).status_code == 404
    client = officer_client(officer)
    assert client.get(url).status_code == 200
    response = client.post(url, {"answer": "经核查不成立。", "upheld": "0", "outcome": ""})

    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == Objection.Status.DISMISSED


def test_answer_page_upheld_without_outcome_shows_the_error(officer_client):
    """Upheld without an outcome: the form shows the error and nothing changes."""
    award, officer, loser, member = _awarded()
    objection = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    client = officer_client(officer)
    response = client.post(
        reverse("objection_answer", args=[objection.pk]),
        {"answer": "成立。", "upheld": "1", "outcome": ""},
    )
    assert response.status_code == 200
    assert "处理结果" in response.content.decode()
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN


def test_objection_documents_are_for_the_objector_and_the_buyer(client, mfa):
    """The objector's members and the buyer's officers download; anyone else (the public,
    another organisation, even the winner) gets 404."""
    award, officer, loser, member = _awarded()
    objection = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    document = ObjectionDocument(objection=objection, title="证明.pdf", size=5, sha256="0" * 64)
    document.file.save("a.pdf", ContentFile(b"%PDF-"), save=False)
    document.save()
    url = reverse("objection_document_download", args=[document.pk])

    assert client.get(url).status_code == 404
    client.force_login(factories.OrganisationMembershipFactory().user)
    assert client.get(url).status_code == 404
    winner = factories.OrganisationMembershipFactory(organisation=award.bid.organisation).user
    client.force_login(winner)
    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 200
    mfa(officer)
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


def test_buyer_tender_page_links_the_inbox_when_there_are_objections(officer_client):
    """The buyer's tender page links 质疑处理 once the tender has an objection."""
    award, officer, loser, member = _awarded()
    client = officer_client(officer)
    url = reverse("buyer_tender_detail", args=[award.tender.pk])
    assert reverse("objection_inbox") not in client.get(url).content.decode()
    factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    assert reverse("objection_inbox") in client.get(url).content.decode()
