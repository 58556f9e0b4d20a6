"""Token endpoints: the permission matrix, bids and milestone reports through the same
services and rules as the web forms, errors as JSON in the request's language."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.models import Bid, BidDocument, Contract, Milestone, MilestoneReport
from marketplace.services.api_tokens import api_token_revoke
from tests import factories
from tests.marketplace.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def _bid_data(amount="280000.00", **overrides):
    data = {
        "amount": amount,
        "service_plan": "每周上门服务两次，建立服务档案。",
        "team": "社工3名，护理员10名。",
        "outputs": "服务老人200名，满意度90%以上。",
        "beneficiaries": "辖区失能、半失能老人",
    }
    data.update(overrides)
    return data


@pytest.fixture
def organisation():
    return factories.OrganisationFactory(categories=[factories.category("0101")])


@pytest.fixture
def tender():
    return factories.TenderFactory()


@pytest.fixture
def token(organisation):
    return make_token(organisation)


@pytest.fixture
def own(token):
    return ApiClient(token[1])


@pytest.fixture
def contract(organisation):
    contract = factories.ContractFactory(
        status=Contract.Status.ACTIVE,
        signed_at=timezone.now(),
        award__bid__organisation=organisation,
    )
    return contract


def _clients(organisation):
    """Every kind of caller except the organisation's own valid token."""
    other = make_token(factories.OrganisationFactory())[1]
    revoked_token, revoked_raw = make_token(organisation)
    api_token_revoke(token=revoked_token, by=revoked_token.user)
    return {
        "anonymous": ApiClient(),
        "bad": ApiClient("zs_not-a-token"),
        "revoked": ApiClient(revoked_raw),
        "other_org": ApiClient(other),
    }


def _calls(tender, bid, milestone):
    return [
        ("get", "/me/", None),
        ("get", "/my/bids/", None),
        ("get", "/my/contracts/", None),
        ("post", f"/tenders/{tender.pk}/bids/", _bid_data()),
        ("post", f"/bids/{bid.pk}/withdraw/", None),
        (
            "post",
            f"/milestones/{milestone.pk}/reports/",
            {
                "narrative": "完成",
                "beneficiaries": 10,
                "indicator_values": '{"服务老人人数": "10"}',
            },
        ),
    ]


def test_permission_matrix(organisation, tender, contract, own):
    bid = factories.BidFactory(tender=tender, organisation=organisation)
    milestone = contract.milestones.order_by("position").first()
    clients = _clients(organisation)
    for method, path, data in _calls(tender, bid, milestone):
        for name in ("anonymous", "bad", "revoked"):
            response = getattr(clients[name], method)(path, data)
            assert response.status_code == 401, (name, path)
            assert response.json()["error"]["code"] == "unauthenticated"
            assert response["WWW-Authenticate"] == "Bearer"
    other = clients["other_org"]
    assert other.post(f"/bids/{bid.pk}/withdraw/").status_code == 404
    assert (
        other.post(
            f"/milestones/{milestone.pk}/reports/", _calls(tender, bid, milestone)[-1][2]
        ).status_code
        == 404
    )
    assert other.get("/my/bids/").json()["count"] == 0
    assert other.get("/my/contracts/").json()["count"] == 0
    assert Bid.objects.get(pk=bid.pk).status == Bid.Status.SUBMITTED
    # The organisation's own token may do all of it.
    assert own.get("/me/").json()["organisation"]["id"] == organisation.pk
    assert own.get("/my/bids/").json()["count"] == 2  # with the contract's winning bid
    assert own.get("/my/contracts/").json()["count"] == 1
    assert own.post(f"/bids/{bid.pk}/withdraw/").json()["status"] == "withdrawn"
    response = own.post(f"/tenders/{tender.pk}/bids/", _bid_data())
    assert response.status_code == 201, response.content
    response = own.post(
        f"/milestones/{milestone.pk}/reports/", _calls(tender, bid, milestone)[-1][2]
    )
    assert response.status_code == 201, response.content


def test_submit_bid_with_documents(own, tender, organisation, token):
    document = SimpleUploadedFile("方案.pdf", PDF, content_type="application/pdf")
    response = own.post(f"/tenders/{tender.pk}/bids/", {**_bid_data(), "documents": [document]})
    assert response.status_code == 201, response.content
    body = response.json()
    bid = Bid.objects.get(pk=body["id"])
    assert bid.organisation == organisation and bid.submitted_by == token[0].user
    assert body["amount"] == {"amount": "280000.00", "currency": "CNY"}
    assert [d["title"] for d in body["documents"]] == ["方案.pdf"]
    token[0].refresh_from_db()
    assert token[0].last_used_at is not None


def test_one_live_bid_second_submission_replaces(own, tender):
    first = own.post(f"/tenders/{tender.pk}/bids/", _bid_data()).json()
    second = own.post(f"/tenders/{tender.pk}/bids/", _bid_data(amount="270000.00")).json()
    assert Bid.objects.get(pk=first["id"]).status == Bid.Status.REPLACED
    assert Bid.objects.filter(Bid.LIVE, tender=tender).get().pk == second["id"]
    statuses = {b["id"]: b["status"] for b in own.get("/my/bids/").json()["results"]}
    assert statuses == {first["id"]: "replaced", second["id"]: "submitted"}


def test_bid_after_deadline_is_refused_with_its_code(own):
    past = timezone.now() - datetime.timedelta(minutes=1)
    tender = factories.TenderFactory(
        clarification_deadline=past - datetime.timedelta(days=1), bid_deadline=past
    )
    response = own.post(f"/tenders/{tender.pk}/bids/", _bid_data())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bidding_closed"
    assert Bid.objects.count() == 0


def test_ineligible_organisation_gets_not_eligible(tender):
    elsewhere = factories.OrganisationFactory(categories=[factories.category("02")])
    client = ApiClient(make_token(elsewhere)[1])
    response = client.post(f"/tenders/{tender.pk}/bids/", _bid_data())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "not_eligible" and "服务领域" in error["message"]
    assert Bid.objects.count() == 0


def test_over_budget_and_missing_fields(own, tender):
    response = own.post(f"/tenders/{tender.pk}/bids/", _bid_data(amount="999999.00"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "over_budget" and error["fields"]["amount"][0]["code"] == "over_budget"
    data = _bid_data()
    del data["team"]
    response = own.post(f"/tenders/{tender.pk}/bids/", data)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["team"][0]["code"] == "required"
    bad = own.post(f"/tenders/{tender.pk}/bids/", _bid_data(amount="abc"))
    assert bad.status_code == 422
    bad = own.post(f"/tenders/{tender.pk}/bids/", _bid_data(currency="XXXX"))
    assert bad.status_code == 422
    fake = SimpleUploadedFile("a.pdf", b"not a pdf", content_type="application/pdf")
    bad = own.post(f"/tenders/{tender.pk}/bids/", {**_bid_data(), "documents": [fake]})
    assert bad.status_code == 422 and "documents" in bad.json()["error"]["fields"]
    assert Bid.objects.count() == 0 and BidDocument.objects.count() == 0


def test_withdraw_after_deadline_is_refused(own, organisation):
    past = timezone.now() - datetime.timedelta(minutes=1)
    tender = factories.TenderFactory(
        clarification_deadline=past - datetime.timedelta(days=1), bid_deadline=past
    )
    bid = factories.BidFactory(tender=tender, organisation=organisation)
    response = own.post(f"/bids/{bid.pk}/withdraw/")
    assert response.status_code == 422 and response.json()["error"]["code"] == "bidding_closed"


def test_token_of_removed_member_stops_working(own, token):
    token[0].user.organisation_memberships.all().delete()
    assert own.get("/me/").status_code == 401


def test_milestone_report_uses_the_service_rules(own, contract):
    milestone = contract.milestones.order_by("position").first()
    evidence = SimpleUploadedFile("记录.pdf", PDF, content_type="application/pdf")
    missing = own.post(
        f"/milestones/{milestone.pk}/reports/",
        {"narrative": "完成", "beneficiaries": 10, "indicator_values": "{}"},
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "indicator_required"
    not_json = own.post(
        f"/milestones/{milestone.pk}/reports/",
        {"narrative": "完成", "beneficiaries": 10, "indicator_values": "{oops"},
    )
    assert not_json.status_code == 422
    assert MilestoneReport.objects.count() == 0
    response = own.post(
        f"/milestones/{milestone.pk}/reports/",
        {
            "narrative": "本阶段上门服务 412 次。",
            "beneficiaries": 206,
            "indicator_values": '{"服务老人人数": "206"}',
            "files": [evidence],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["milestone"]["status"] == Milestone.Status.SUBMITTED
    assert body["documents"][0]["title"] == "记录.pdf"
    again = own.post(
        f"/milestones/{milestone.pk}/reports/",
        {"narrative": "再次", "beneficiaries": 1, "indicator_values": '{"服务老人人数": "1"}'},
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "wrong_status"


def test_errors_in_chinese_and_english(tender):
    outsider = factories.OrganisationFactory(categories=[factories.category("0101")])
    zh = ApiClient("zs_wrong").get("/me/")
    assert zh.status_code == 401
    assert zh.json()["error"]["message"] == "缺少有效的 API 令牌，或令牌已被吊销。"
    missing_zh = ApiClient(make_token(outsider)[1]).post(f"/tenders/{tender.pk}/bids/", {})
    missing_en = ApiClient(make_token(outsider)[1], language="en").post(
        f"/tenders/{tender.pk}/bids/", {}
    )
    assert missing_zh.json()["error"]["fields"]["amount"][0]["message"] == "此项为必填项。"
    assert missing_en.json()["error"]["fields"]["amount"][0]["message"] == "This field is required."


def test_permission_denied_is_403_in_the_request_language(tender, organisation, monkeypatch):
    """The service's own check decides (here: it is told the user is no member)."""
    from marketplace import permissions

    raw = make_token(organisation)[1]
    monkeypatch.setattr(permissions, "is_organisation_member", lambda user, org: False)
    zh = ApiClient(raw).post(f"/tenders/{tender.pk}/bids/", _bid_data())
    en = ApiClient(raw, language="en").post(f"/tenders/{tender.pk}/bids/", _bid_data())
    assert zh.status_code == en.status_code == 403
    assert zh.json()["error"] == {
        "code": "permission_denied",
        "message": "只有本组织的成员可以代表组织投标。",
    }
    assert en.json()["error"]["message"] == "Only members of the organisation can bid for it."
    assert Bid.objects.count() == 0
