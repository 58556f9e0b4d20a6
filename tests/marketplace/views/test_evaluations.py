"""Scoring pages: the expert's scoring form (running total, non-compliance, navigation), the
buyer's evaluation dashboard (progress, ranking, report actions, award form, constant query
count) and the printable evaluation report, each 404 for whoever may not see it."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from marketplace.models import (
    BidDocument,
    ComplianceFlag,
    EvaluationReport,
    PanelMember,
    ReportConfirmation,
    Score,
    Tender,
)
from marketplace.services.evaluations import (
    compliance_flag,
    report_confirm,
    report_create,
    score_submit,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _evaluation(*, experts=3, bids=2):
    """An EVALUATING 竞争性磋商-style tender (panel of 3 is enough), bids 280k, 270k, …"""
    first = factories.PanelMemberFactory(tender__method=Tender.Method.NEGOTIATION)
    tender = first.tender
    members = [first] + [factories.PanelMemberFactory(tender=tender) for _ in range(experts - 1)]
    bid_rows = [
        factories.BidFactory(tender=tender, amount=Money(280000 - 10000 * i, "CNY"))
        for i in range(bids)
    ]
    return tender, members, bid_rows


def _criterion(tender):
    return tender.criteria.get(is_price=False)


def _score(member, bid, points="50"):
    criterion = _criterion(member.tender)
    score_submit(
        member=member,
        bid=bid,
        by=member.expert.user,
        scores={criterion.pk: (Decimal(points), "方案完整。")},
    )


def _score_all(members, bids):
    for member in members:
        for index, bid in enumerate(bids):
            _score(member, bid, points=str(50 + index))


@pytest.fixture
def officer_client(client, mfa):
    """Sign in an officer of the tender's buyer, with TOTP (required under /buyer/)."""

    def sign_in(tender):
        officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
        mfa(officer)
        client.force_login(officer)
        return officer

    return sign_in


# --- expert_score ---


def test_expert_score_page_shows_the_bid_the_form_and_the_total(client):
    tender, members, bids = _evaluation()
    member, bid = members[0], bids[0]
    BidDocument.objects.create(
        bid=bid,
        title="服务方案.pdf",
        file=SimpleUploadedFile("plan.pdf", b"%PDF-1.4"),
        size=8,
        sha256="0" * 64,
    )
    _score(member, bid, points="55.5")
    client.force_login(member.expert.user)
    response = client.get(reverse("expert_score", args=[member.pk, bid.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert bid.service_plan in page
    assert bid.organisation.name in page
    document = bid.documents.get()
    assert reverse("bid_document_download", args=[document.pk]) in page
    criterion = _criterion(tender)
    assert f'name="points_{criterion.pk}"' in page
    assert f'max="{criterion.weight}"' in page
    assert 'data-score-total aria-live="polite">55.50<' in page  # server-rendered total
    assert "js/scoring.js" in page
    assert 'name="reason"' in page  # the non-compliance form
    assert reverse("expert_score", args=[member.pk, bids[1].pk]) in page  # next bid
    assert 'rel="prev"' not in page


def test_expert_score_post_saves_and_redirects(client):
    tender, members, bids = _evaluation()
    member, bid = members[0], bids[0]
    criterion = _criterion(tender)
    client.force_login(member.expert.user)
    url = reverse("expert_score", args=[member.pk, bid.pk])
    response = client.post(
        url,
        {"action": "score", f"points_{criterion.pk}": "61.25", f"comment_{criterion.pk}": "好"},
    )
    assert response.status_code == 302
    assert Score.objects.get(member=member, bid=bid).points == Decimal("61.25")


@pytest.mark.parametrize(
    ("points", "comment"), [("70.01", "好"), ("-1", "好"), ("10.005", "好"), ("10", "")]
)
def test_expert_score_bad_input_shows_errors_and_saves_nothing(client, points, comment):
    tender, members, bids = _evaluation()
    member, bid = members[0], bids[0]
    criterion = _criterion(tender)
    client.force_login(member.expert.user)
    response = client.post(
        reverse("expert_score", args=[member.pk, bid.pk]),
        {"action": "score", f"points_{criterion.pk}": points, f"comment_{criterion.pk}": comment},
    )
    assert response.status_code == 200
    assert 'class="errors"' in response.content.decode()
    assert not Score.objects.exists()


def test_expert_score_flag_and_unflag(client):
    _tender, members, bids = _evaluation()
    member, bid = members[0], bids[0]
    client.force_login(member.expert.user)
    url = reverse("expert_score", args=[member.pk, bid.pk])
    client.post(url, {"action": "flag", "reason": ""})
    assert not ComplianceFlag.objects.exists()
    client.post(url, {"action": "flag", "reason": "未提供登记证书"})
    assert ComplianceFlag.objects.get().reason == "未提供登记证书"
    assert "未提供登记证书" in client.get(url).content.decode()
    client.post(url, {"action": "unflag"})
    assert not ComplianceFlag.objects.exists()


def test_expert_score_locked_once_the_report_exists(client):
    tender, members, bids = _evaluation()
    _score_all(members, bids)
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    report = report_create(tender=tender, by=officer)
    member, bid = members[0], bids[0]
    criterion = _criterion(tender)
    client.force_login(member.expert.user)
    url = reverse("expert_score", args=[member.pk, bid.pk])
    page = client.get(url).content.decode()
    assert "评分已锁定" in page
    assert reverse("evaluation_report", args=[tender.pk, report.number]) in page
    client.post(
        url, {"action": "score", f"points_{criterion.pk}": "1", f"comment_{criterion.pk}": "x"}
    )
    assert Score.objects.get(member=member, bid=bid).points == Decimal("50.00")


def test_expert_score_is_404_for_anyone_but_the_active_seat_holder(client):
    tender, members, bids = _evaluation()
    member, bid = members[0], bids[0]
    url = reverse("expert_score", args=[member.pk, bid.pk])
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    for intruder in (members[1].expert.user, officer, bid.submitted_by, factories.UserFactory()):
        client.force_login(intruder)
        assert client.get(url).status_code == 404
    client.force_login(member.expert.user)
    foreign = factories.BidFactory()
    assert client.get(reverse("expert_score", args=[member.pk, foreign.pk])).status_code == 404
    PanelMember.objects.filter(pk=member.pk).update(status=PanelMember.Status.PENDING)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


# --- evaluation_dashboard ---


def test_dashboard_shows_progress_and_ranking(client, officer_client):
    tender, members, bids = _evaluation()
    _score(members[0], bids[0])
    compliance_flag(member=members[1], bid=bids[1], by=members[1].expert.user, reason="资质不符")
    officer_client(tender)
    response = client.get(reverse("evaluation_dashboard", args=[tender.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 / 2" in page  # first expert: one of two bids scored
    assert "0 / 2" in page
    assert bids[0].organisation.name in page
    assert "资质不符" in page
    assert "评分尚未完成" in page
    assert reverse("evaluation_report_create", args=[tender.pk]) in page


def test_dashboard_is_404_for_others(client, mfa):
    tender, members, _bids = _evaluation()
    stranger = factories.BuyerMembershipFactory().user
    mfa(stranger)
    url = reverse("evaluation_dashboard", args=[tender.pk])
    for intruder in (stranger, members[0].expert.user):
        client.force_login(intruder)
        assert client.get(url).status_code == 404


def _dashboard_queries(client, mfa, *, bids, experts):
    tender, members, bid_rows = _evaluation(experts=experts, bids=bids)
    _score_all(members, bid_rows)
    compliance_flag(member=members[0], bid=bid_rows[0], by=members[0].expert.user, reason="x")
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    mfa(officer)
    client.force_login(officer)
    url = reverse("evaluation_dashboard", args=[tender.pk])
    client.get(url)  # warm up (content types, session)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("<tr") > bids + experts
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_bids_and_experts(client, mfa):
    """2 bids × 3 experts and 6 bids × 5 experts take the same number of queries."""
    small = _dashboard_queries(client, mfa, bids=2, experts=3)
    large = _dashboard_queries(client, mfa, bids=6, experts=5)
    assert small == large


def test_dashboard_creates_and_withdraws_the_report(client, officer_client):
    tender, members, bids = _evaluation()
    officer_client(tender)
    create = reverse("evaluation_report_create", args=[tender.pk])
    client.post(create)
    assert not EvaluationReport.objects.exists()  # scoring not complete
    _score_all(members, bids)
    response = client.post(create)
    assert response.status_code == 302
    report = EvaluationReport.objects.get()
    page = client.get(reverse("evaluation_dashboard", args=[tender.pk])).content.decode()
    assert reverse("evaluation_report", args=[tender.pk, 1]) in page
    assert "已确认 0 / 3 人" in page
    client.post(reverse("evaluation_report_withdraw", args=[tender.pk]))
    report.refresh_from_db()
    assert report.superseded_at is not None


def test_dashboard_award_form_once_the_report_is_confirmed(client, officer_client):
    """The award form posts to award_create; the recommended bid comes first, marked 推荐."""
    tender, members, bids = _evaluation(bids=3)
    _score_all(members, bids)
    officer = officer_client(tender)
    report = report_create(tender=tender, by=officer)
    url = reverse("evaluation_dashboard", args=[tender.pk])
    assert 'name="bid"' not in client.get(url).content.decode()
    for member in members:
        report_confirm(report=report, by=member.expert.user)
    page = client.get(url).content.decode()
    assert f'action="{reverse("award_create", args=[tender.pk])}"' in page
    start = page.index('name="bid"')
    select = page[start : page.index("</select>", start)]
    options = select.split("<option")[1:]
    assert f'value="{report.recommended_id}"' in options[0]
    assert "推荐" in options[0]
    assert len(options) == 3
    assert 'name="reason"' in page


def test_buyer_tender_detail_links_the_dashboard(client, officer_client):
    tender, _members, _bids = _evaluation()
    officer_client(tender)
    page = client.get(reverse("buyer_tender_detail", args=[tender.pk])).content.decode()
    assert reverse("evaluation_dashboard", args=[tender.pk]) in page


# --- evaluation_report and confirmation ---


def _confirmed_setup():
    tender, members, bids = _evaluation()
    _score_all(members, bids)
    compliance_flag(member=members[0], bid=bids[0], by=members[0].expert.user, reason="缺少附件")
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    report = report_create(tender=tender, by=officer)
    return tender, members, bids, officer, report


def test_report_page_shows_matrix_scores_reasons_and_recommendation(client):
    tender, members, _bids, officer, report = _confirmed_setup()
    client.force_login(officer)
    response = client.get(reverse("evaluation_report", args=[tender.pk, report.number]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "缺少附件" in page
    assert str(members[2].expert.user) in page
    assert "方案完整。" in page  # an expert's comment
    assert "51.00" in page  # the second bid's plan score
    assert "评审小组推荐" in page
    assert "@media print" not in page  # print rules live in site.css


def test_report_page_lets_an_active_expert_confirm(client):
    tender, members, _bids, _officer, report = _confirmed_setup()
    member = members[1]
    client.force_login(member.expert.user)
    url = reverse("evaluation_report", args=[tender.pk, report.number])
    confirm = reverse("expert_report_confirm", args=[member.pk])
    assert confirm in client.get(url).content.decode()
    response = client.post(confirm)
    assert response.status_code == 302
    assert ReportConfirmation.objects.filter(report=report, member=member).exists()
    assert confirm not in client.get(url).content.decode()


def test_report_page_visible_to_the_right_people_only(client):
    """Officers and the tender's active experts see it; an expert who confirmed and was
    later removed still does; other experts, bidders and strangers get 404."""
    tender, members, bids, officer, report = _confirmed_setup()
    url = reverse("evaluation_report", args=[tender.pk, report.number])
    report_confirm(report=report, by=members[2].expert.user)
    PanelMember.objects.filter(pk=members[2].pk).update(status=PanelMember.Status.RECUSED)
    for reader in (officer, members[0].expert.user, members[2].expert.user):
        client.force_login(reader)
        assert client.get(url).status_code == 200, reader
    recused = factories.PanelMemberFactory(tender=tender, status=PanelMember.Status.RECUSED)
    outsiders = (
        factories.PanelMemberFactory().expert.user,
        recused.expert.user,
        bids[0].submitted_by,
        factories.OrganisationMembershipFactory(organisation=bids[0].organisation).user,
        factories.BuyerMembershipFactory().user,
        factories.UserFactory(),
    )
    for outsider in outsiders:
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(officer)
    assert client.get(reverse("evaluation_report", args=[tender.pk, 9])).status_code == 404


def test_report_confirm_is_404_for_another_experts_seat(client):
    _tender, members, _bids, _officer, _report = _confirmed_setup()
    client.force_login(members[0].expert.user)
    response = client.post(reverse("expert_report_confirm", args=[members[1].pk]))
    assert response.status_code == 404
    assert not ReportConfirmation.objects.exists()
