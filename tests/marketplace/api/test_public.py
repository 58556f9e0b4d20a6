"""Public read endpoints: the anonymous visitor's view, paginated with constant queries, and
nothing sealed — before the opening no bid price, bid count or bidder appears anywhere."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.models import Contract, Organisation, Tender
from tests import factories

pytestmark = pytest.mark.django_db

LIST_PATHS = ["/tenders/", "/awards/", "/contracts/", "/organisations/", "/buyers/"]


def _queries(client, path, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **params)
    assert response.status_code == 200, response.content
    return len(queries)


def _make_rows(n):
    for _i in range(n):
        contract = factories.ContractFactory(
            status=Contract.Status.ACTIVE, signed_at=timezone.now()
        )
        factories.BuyerFactory(parent=contract.buyer)


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_query_count_does_not_grow_with_rows(anon, path):
    _make_rows(1)
    one = _queries(anon, path)
    _make_rows(4)
    assert _queries(anon, path) == one


def test_tender_list_paginates_with_links_and_filters(anon):
    for _i in range(3):
        factories.TenderFactory()
    factories.TenderFactory(status=Tender.Status.DRAFT)
    body = anon.get("/tenders/", page_size=2).json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["previous"] is None and "page=2" in body["next"] and "page_size=2" in body["next"]
    second = anon.get("/tenders/", page=2, page_size=2).json()
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    assert anon.get("/tenders/", page_size=1000).json()["page_size"] == 100
    assert anon.get("/tenders/", budget_min="400000").json()["count"] == 0
    assert anon.get("/tenders/", category="01").json()["count"] == 3
    assert anon.get("/tenders/", status="open", method="open").json()["count"] == 3


def test_bad_filters_are_422_not_500(anon):
    for params in (
        {"status": "nope"},
        {"category": "zz"},
        {"page": "x"},
        {"page": 0},
        {"budget_min": "abc"},
        {"region": "999999"},
    ):
        response = anon.get("/tenders/", **params)
        assert response.status_code == 422, params
        assert response.json()["error"]["fields"]


def test_draft_tender_is_404(anon):
    draft = factories.TenderFactory(status=Tender.Status.DRAFT)
    response = anon.get(f"/tenders/{draft.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_tender_detail_has_criteria_documents_and_answered_questions_only(anon):
    tender = factories.TenderFactory()
    factories.ClarificationFactory(tender=tender, answer="由街道提供。", answered_at=timezone.now())
    factories.ClarificationFactory(tender=tender, question="未答复的问题")
    body = anon.get(f"/tenders/{tender.pk}/").json()
    assert [c["name"] for c in body["criteria"]] == ["服务方案", "价格"]
    assert [c["answer"] for c in body["clarifications"]] == ["由街道提供。"]
    assert "未答复的问题" not in json.dumps(body, ensure_ascii=False)


def test_sealed_bids_appear_in_no_public_endpoint(anon):
    """A tender before its deadline with bids: no price, no count, no bidder anywhere."""
    tender = factories.TenderFactory()
    bidder = factories.OrganisationFactory(name="秘密投标社工中心")
    factories.BidFactory(tender=tender, organisation=bidder, amount="123456.78")
    factories.BidFactory(tender=tender, amount="234567.89")
    texts = []
    for path in [
        *LIST_PATHS,
        f"/tenders/{tender.pk}/",
        f"/organisations/{bidder.pk}/",
        f"/buyers/{tender.buyer_id}/",
    ]:
        response = anon.get(path)
        assert response.status_code == 200
        texts.append(json.dumps(response.json(), ensure_ascii=False))
    text = "\n".join(texts)
    assert "123456.78" not in text and "234567.89" not in text
    assert "bid" not in anon.get(f"/tenders/{tender.pk}/").json()  # no bid count field
    detail = texts[len(LIST_PATHS)]
    assert "秘密投标社工中心" not in detail and detail.count("bids") == 0


def test_award_and_contract_public_fields(anon):
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE, signed_at=timezone.now())
    award = anon.get(f"/awards/{contract.award_id}/").json()
    assert award["organisation"]["id"] == contract.organisation_id
    assert award["amount"] == {"amount": "280000.00", "currency": "CNY"}
    body = anon.get(f"/contracts/{contract.pk}/").json()
    assert [m["amount"]["amount"] for m in body["milestones"]] == [
        "84000.00",
        "112000.00",
        "84000.00",
    ]
    assert body["paid"]["amount"] == "0.00"
    assert "deliverables" not in body and "breach_terms" not in body
    draft = factories.ContractFactory()
    assert anon.get(f"/contracts/{draft.pk}/").status_code == 404
    assert anon.get("/contracts/").json()["count"] == 1


def test_organisations_verified_only_with_profile_contact(anon):
    verified = factories.OrganisationFactory()
    pending = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    assert [o["id"] for o in anon.get("/organisations/").json()["results"]] == [verified.pk]
    assert anon.get(f"/organisations/{pending.pk}/").status_code == 404
    body = anon.get(f"/organisations/{verified.pk}/").json()
    # The public profile page shows the contact details, so the API does too.
    assert body["contact_phone"] == verified.contact_phone
    assert body["rating"] == {"score": None, "count": 0}


def test_buyer_detail_has_measured_punctuality(anon):
    buyer = factories.BuyerFactory()
    body = anon.get(f"/buyers/{buyer.pk}/").json()
    assert body["punctuality"] == {
        "paid_count": 0,
        "median_days": None,
        "on_time_percent": None,
        "late_count": 0,
        "overdue_now": 0,
    }
    assert body["rating"] == {"score": None, "count": 0}
    row = anon.get("/buyers/", sort="rating").json()["results"][0]
    assert row["paid_count"] == 0 and row["rating"] == {"score": None, "count": 0}
    assert anon.get("/buyers/", sort="nope").status_code == 422
    assert anon.get("/buyers/999999/").status_code == 404


def test_closed_tender_reads_closed(anon):
    past = timezone.now() - datetime.timedelta(hours=1)
    tender = factories.TenderFactory(
        clarification_deadline=past - datetime.timedelta(days=1), bid_deadline=past
    )
    body = anon.get(f"/tenders/{tender.pk}/").json()
    assert body["status"] == "closed" and body["bidding_open"] is False
