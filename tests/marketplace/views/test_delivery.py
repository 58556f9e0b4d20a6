"""Delivery pages: the milestone report form, the accept/return decision, report document
downloads, the milestones section of the contract page, and "what is due next" on the
organisation's dashboard and the buyer workspace."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.models import (
    Contract,
    Milestone,
    MilestoneReport,
    MilestoneReportDocument,
    OrganisationMembership,
    Payment,
)
from marketplace.services.delivery import milestone_report_return, milestone_report_submit
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"
INDICATORS = [
    {"name": "服务老人人数", "target": "200", "unit": "人"},
    {"name": "满意度", "target": "90", "unit": "%"},
]


def _contract(**fields):
    return factories.ContractFactory(status=Contract.Status.ACTIVE, indicators=INDICATORS, **fields)


@pytest.fixture
def contract():
    return _contract()


@pytest.fixture
def member(contract):
    return factories.OrganisationMembershipFactory(
        organisation=contract.organisation, role=OrganisationMembership.Role.MEMBER
    ).user


@pytest.fixture
def officer(contract, mfa):
    user = factories.BuyerMembershipFactory(buyer=contract.buyer).user
    mfa(user)
    return user


def _first(contract) -> Milestone:
    return contract.milestones.order_by("position").first()


def _report(milestone, member, files=()):
    return milestone_report_submit(
        milestone=milestone,
        by=member,
        narrative="本阶段上门服务 412 次。",
        indicator_values={"服务老人人数": "206", "满意度": "96"},
        beneficiaries=206,
        files=files,
    )


def _submit_url(milestone):
    return reverse("milestone_report_submit", args=[milestone.pk])


def _decide_url(report):
    return reverse("milestone_report_decide", args=[report.pk])


# The report form --------------------------------------------------------------------


def test_report_form_shows_indicators_with_targets_and_earlier_reports(
    client, contract, member, officer
):
    """A member sees one input per indicator with its target, and the earlier (returned)
    report with the buyer's reason."""
    milestone = _first(contract)
    report = _report(milestone, member)
    milestone_report_return(report=report, by=officer, reason="缺少服务对象签字确认表。")
    client.force_login(member)

    response = client.get(_submit_url(milestone))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="indicator_0"' in page and 'name="indicator_1"' in page
    assert "目标：200人" in page and "目标：90%" in page
    assert 'name="beneficiaries"' in page and 'type="file"' in page
    assert "缺少服务对象签字确认表。" in page
    assert "本阶段上门服务 412 次。" in page


def test_report_form_submits_a_report(client, contract, member):
    """Posting the form creates the report with its values and document and moves the
    milestone to SUBMITTED; the page then shows it and no form."""
    milestone = _first(contract)
    client.force_login(member)

    response = client.post(
        _submit_url(milestone),
        {
            "narrative": "完成首批入户评估。",
            "indicator_0": "120",
            "indicator_1": "95",
            "beneficiaries": "120",
            "files": [SimpleUploadedFile("评估表.pdf", PDF)],
        },
    )

    assert response.status_code == 302
    report = MilestoneReport.objects.get(milestone=milestone)
    assert report.indicator_values == {"服务老人人数": "120", "满意度": "95"}
    assert report.documents.count() == 1
    page = client.get(_submit_url(milestone)).content.decode()
    assert 'name="narrative"' not in page
    assert "评估表.pdf" in page


def test_report_form_errors_change_nothing(client, contract, member):
    """A missing indicator value or a disguised file shows errors on the form; no report."""
    milestone = _first(contract)
    client.force_login(member)

    response = client.post(
        _submit_url(milestone),
        {
            "narrative": "完成首批入户评估。",
            "indicator_0": "120",
            "beneficiaries": "-3",
            "files": [SimpleUploadedFile("评估表.pdf", b"GIF89a")],
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not MilestoneReport.objects.exists()
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.PENDING

    response = client.post(
        _submit_url(milestone),
        {
            "narrative": "完成首批入户评估。",
            "indicator_0": "120",
            "indicator_1": "95",
            "beneficiaries": "3",
            "files": [SimpleUploadedFile("评估表.pdf", b"GIF89a")],
        },
    )
    assert response.status_code == 200
    assert "内容与扩展名" in response.content.decode()
    assert not MilestoneReport.objects.exists()


def test_report_form_is_404_for_everyone_but_the_organisations_members(client, contract, officer):
    """The buyer's officer, staff and other organisations' members get 404; anonymous
    visitors are sent to sign in."""
    url = _submit_url(_first(contract))
    assert client.get(url).status_code == 302
    for user in (officer, factories.StaffFactory(), factories.OrganisationMembershipFactory().user):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"narrative": "x"}).status_code == 404
    assert not MilestoneReport.objects.exists()


# Deciding ---------------------------------------------------------------------------


def test_officer_accepts_once_and_the_second_click_is_refused(client, contract, member, officer):
    """Accepting creates one payment and goes back to the contract page; a second click is
    refused with a message and pays nothing more."""
    milestone = _first(contract)
    report = _report(milestone, member)
    client.force_login(officer)

    response = client.post(_decide_url(report), {"decision": "accept"})

    assert response.status_code == 302
    assert response["Location"] == reverse("contract_detail", args=[contract.pk]) + "#milestones"
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.ACCEPTED
    assert Payment.objects.filter(milestone=milestone).count() == 1

    response = client.post(_decide_url(report), {"decision": "accept"}, follow=True)

    assert "已处理" in response.content.decode()
    assert Payment.objects.count() == 1


def test_officer_returns_with_a_reason_only(client, contract, member, officer):
    """Returning without a reason is refused with a message; with one, the report and the
    milestone are returned."""
    milestone = _first(contract)
    report = _report(milestone, member)
    client.force_login(officer)

    response = client.post(_decide_url(report), {"decision": "return", "reason": " "}, follow=True)

    assert "请填写退回理由" in response.content.decode()
    report.refresh_from_db()
    assert report.status == MilestoneReport.Status.SUBMITTED

    client.post(_decide_url(report), {"decision": "return", "reason": "请补充照片。"})

    report.refresh_from_db()
    milestone.refresh_from_db()
    assert (report.status, report.decision_reason) == ("returned", "请补充照片。")
    assert milestone.status == Milestone.Status.RETURNED


def test_decide_is_404_for_everyone_but_the_buyers_officers(client, contract, member, mfa):
    """The organisation's members, other buyers' officers and staff get 404; GET is not
    allowed; nothing changes."""
    report = _report(_first(contract), member)
    other = factories.BuyerMembershipFactory().user
    mfa(other)
    for user in (member, other, factories.StaffFactory()):
        client.force_login(user)
        assert client.post(_decide_url(report), {"decision": "accept"}).status_code == 404
    report.refresh_from_db()
    assert report.status == MilestoneReport.Status.SUBMITTED
    assert not Payment.objects.exists()


def test_decide_needs_two_step_verification(client, contract, member):
    """An officer without a second factor is sent to set one up; nothing is accepted."""
    report = _report(_first(contract), member)
    officer = factories.BuyerMembershipFactory(buyer=contract.buyer).user
    client.force_login(officer)

    response = client.post(_decide_url(report), {"decision": "accept"})

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert not Payment.objects.exists()


# Downloads --------------------------------------------------------------------------


def test_report_documents_download_for_the_parties_only(client, contract, member, officer):
    """Both parties download report evidence as a private attachment; anyone else gets 404."""
    report = _report(_first(contract), member, files=[SimpleUploadedFile("照片.pdf", PDF)])
    document = MilestoneReportDocument.objects.get(report=report)
    url = reverse("report_document_download", args=[document.pk])

    assert client.get(url).status_code == 404
    outsiders = [
        factories.StaffFactory(),
        factories.BuyerMembershipFactory().user,
        factories.OrganisationMembershipFactory().user,
    ]
    for outsider in outsiders:
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for party in (member, officer):
        client.force_login(party)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response["Cache-Control"]


# The contract page's milestones section ---------------------------------------------


def test_contract_page_shows_reports_and_the_right_actions(client, contract, member, officer):
    """The officer sees the report with indicator values against targets and the accept and
    return forms; the member sees the report and the submit links, but no decision forms."""
    first, second, _third = contract.milestones.order_by("position")
    report = _report(first, member, files=[SimpleUploadedFile("照片.pdf", PDF)])
    url = reverse("contract_detail", args=[contract.pk])

    client.force_login(officer)
    page = client.get(url).content.decode()
    assert "本阶段上门服务 412 次。" in page and "照片.pdf" in page
    assert "200人" in page and "206人" in page
    assert _decide_url(report) in page
    assert _submit_url(second) not in page

    client.force_login(member)
    page = client.get(url).content.decode()
    assert "本阶段上门服务 412 次。" in page
    assert _decide_url(report) not in page
    assert _submit_url(second) in page
    assert _submit_url(first) not in page  # already submitted


# What is due next -------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _overdue(contract, member):
    """Make the first milestone overdue, and report on the second."""
    first, second, _third = contract.milestones.order_by("position")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Milestone.objects.filter(pk=first.pk).update(due_on=yesterday)
    _report(second, member)


def test_organisation_dashboard_due_next_flags_overdue_in_constant_queries(
    client, contract, member
):
    """The dashboard lists the organisation's milestones still to report on (overdue ones
    in red) and its reports waiting for acceptance; more contracts add no queries."""
    _overdue(contract, member)
    client.force_login(member)

    count, page = _queries(client, reverse("dashboard"))

    assert "履约待办" in page
    assert 'class="overdue"' in page
    assert _submit_url(_first(contract)) in page
    for _n in range(3):
        more = _contract(award__bid__organisation=contract.organisation)
        _overdue(more, member)
    assert _queries(client, reverse("dashboard"))[0] == count


def test_buyer_workspace_due_next_lists_reports_waiting_in_constant_queries(
    client, contract, member, officer
):
    """The buyer workspace lists reports waiting for acceptance and upcoming milestones,
    overdue ones flagged; more contracts add no queries."""
    _overdue(contract, member)
    client.force_login(officer)

    count, page = _queries(client, reverse("buyer_workspace"))

    assert "待验收的履约报告" in page
    assert 'class="overdue"' in page
    assert contract.organisation.name in page
    for _n in range(3):
        more = _contract(award__bid__tender__buyer=contract.buyer)
        _overdue(more, factories.OrganisationMembershipFactory(organisation=more.organisation).user)
    assert _queries(client, reverse("buyer_workspace"))[0] == count
