"""The organisation's bidding pages: eligible tenders, its bids, the bid form and the receipt,
withdraw and re-confirm; and that a sealed bid is a 404 for everyone else."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import Bid, BidDocument, Tender
from marketplace.selectors.bids import bid_receipt_hash
from marketplace.services.bids import bid_submit
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def _pdf(name="服务方案.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _data(amount="280000.00", currency="CNY", **overrides):
    data = {
        "amount_0": amount,
        "amount_1": currency,
        "service_plan": "每周上门服务两次，建立服务档案。",
        "team": "社工3名，护理员10名。",
        "outputs": "服务老人200名，满意度90%以上。",
        "beneficiaries": "辖区失能、半失能老人",
    }
    data.update(overrides)
    return data


def _submit_url(tender, organisation):
    return reverse("bid_submit", args=[tender.pk, organisation.pk])


def _post(client, tender, organisation, documents=(), **data):
    return client.post(
        _submit_url(tender, organisation), {**_data(**data), "documents": list(documents)}
    )


def _nothing_created():
    return Bid.objects.count() == 0 and BidDocument.objects.count() == 0


def _service_bid(tender, organisation, by, *, documents=(), amount="280000.00", plan="方案"):
    return bid_submit(
        tender=tender,
        organisation=organisation,
        by=by,
        amount=Money(amount, "CNY"),
        documents=list(documents),
        service_plan=plan,
        team="团队",
        outputs="产出",
        beneficiaries="老人",
    )


# --- submitting ------------------------------------------------------------------------------


def test_submit_with_pdf_redirects_to_receipt_whose_hash_recomputes(
    client, organisation, org_admin
):
    """A bid with a real PDF goes through the page; the receipt shows the bid number, the
    submission time to the second and a SHA-256 hash equal to the one recomputed from the
    stored bid and its document."""
    tender = factories.TenderFactory()
    client.force_login(org_admin)

    response = _post(client, tender, organisation, documents=[_pdf()])

    bid = Bid.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bid_detail", args=[bid.pk])
    document = bid.documents.get()
    assert document.title == "服务方案.pdf"
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    expected = bid_receipt_hash(bid, [{"title": document.title, "sha256": document.sha256}])
    assert bid.receipt_hash == expected

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert expected in html
    assert "投标已提交，回执已生成" in html
    assert tender.reference in html
    assert organisation.name in html
    local = timezone.localtime(bid.submitted_at, datetime.timezone(datetime.timedelta(hours=8)))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in html
    assert reverse("bid_document_download", args=[document.pk]) in html


def test_form_labels_amount_by_tender_method(client, organisation, org_admin):
    """公益创投 asks for 申请资助金额; other methods for 投标报价."""
    client.force_login(org_admin)
    venture = factories.TenderFactory(method=Tender.Method.VENTURE)
    open_tender = factories.TenderFactory()

    assert "申请资助金额" in client.get(_submit_url(venture, organisation)).content.decode()
    html = client.get(_submit_url(open_tender, organisation)).content.decode()
    assert "投标报价" in html
    assert "申请资助金额" not in html


def test_amount_over_budget_is_refused(client, organisation, org_admin):
    """One fen over the budget is an error on the amount field, and nothing is created."""
    tender = factories.TenderFactory()
    client.force_login(org_admin)

    response = _post(client, tender, organisation, documents=[_pdf()], amount="300000.01")

    assert response.status_code == 200
    assert "超过项目预算" in str(response.context["form"].errors["amount"])
    assert _nothing_created()


def test_negative_amount_is_refused(client, organisation, org_admin):
    """A negative amount is an error on the amount field, and nothing is created."""
    tender = factories.TenderFactory()
    client.force_login(org_admin)

    response = _post(client, tender, organisation, amount="-1.00")

    assert response.status_code == 200
    assert "必须大于0" in str(response.context["form"].errors["amount"])
    assert _nothing_created()


def test_other_currency_is_refused_by_the_form(client, organisation, org_admin):
    """The form offers CNY only; a forged USD amount is an error and creates nothing."""
    tender = factories.TenderFactory()
    client.force_login(org_admin)

    response = _post(client, tender, organisation, currency="USD")

    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert _nothing_created()


def test_service_refuses_other_currency(organisation, org_admin):
    """Behind the form, bid_submit itself refuses a non-CNY amount and creates nothing."""
    tender = factories.TenderFactory()
    with pytest.raises(ValidationError) as error:
        bid_submit(
            tender=tender,
            organisation=organisation,
            by=org_admin,
            amount=Money("1000.00", "USD"),
            service_plan="方案",
            team="团队",
            outputs="产出",
            beneficiaries="老人",
        )
    assert "人民币" in str(error.value.message_dict["amount"])
    assert _nothing_created()


def test_exe_renamed_pdf_is_refused(client, organisation, org_admin):
    """A Windows executable named .pdf is refused by its content; nothing is created."""
    tender = factories.TenderFactory()
    client.force_login(org_admin)
    fake = _pdf("方案.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)

    response = _post(client, tender, organisation, documents=[fake])

    assert response.status_code == 200
    assert "内容与扩展名 .pdf 不符" in str(response.context["form"].errors["documents"])
    assert _nothing_created()


def test_oversize_file_is_refused(client, organisation, org_admin, settings):
    """A file over DOCUMENT_MAX_BYTES is refused with its name and the limit; nothing is created."""
    settings.DOCUMENT_MAX_BYTES = 32
    tender = factories.TenderFactory()
    client.force_login(org_admin)

    response = _post(client, tender, organisation, documents=[_pdf("大文件.pdf", PDF * 4)])

    assert response.status_code == 200
    errors = str(response.context["form"].errors["documents"])
    assert "大文件.pdf" in errors
    assert "超过" in errors
    assert _nothing_created()


def test_ineligible_organisation_sees_reasons_and_post_is_refused(client):
    """An organisation outside the tender's region and field sees both reasons, a disabled
    form, and a POST is refused with the reasons and creates nothing."""
    organisation = factories.OrganisationFactory(
        districts=[factories.county("320506")], categories=[factories.category("02")]
    )
    member = factories.OrganisationMembershipFactory(organisation=organisation).user
    tender = factories.TenderFactory()
    client.force_login(member)

    page = client.get(_submit_url(tender, organisation))
    html = page.content.decode()
    assert page.status_code == 200
    assert len(page.context["failures"]) == 2
    for reason in page.context["failures"]:
        assert reason in html
    assert "<fieldset disabled>" in html

    response = _post(client, tender, organisation, documents=[_pdf()])
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("服务地区不包括" in error for error in errors)
    assert _nothing_created()


def test_bidding_after_deadline_is_refused(client, organisation, org_admin):
    """Once the deadline has passed (even before any job closed the tender) the page says so
    and a POST changes nothing."""
    now = timezone.now()
    tender = factories.TenderFactory(
        clarification_deadline=now - datetime.timedelta(days=2),
        bid_deadline=now - datetime.timedelta(minutes=1),
    )
    client.force_login(org_admin)

    assert "不在投标期内" in client.get(_submit_url(tender, organisation)).content.decode()
    response = _post(client, tender, organisation, documents=[_pdf()])

    assert response.status_code == 200
    assert "投标已截止" in " ".join(response.context["form"].non_field_errors())
    assert _nothing_created()


def test_resubmitting_replaces_the_live_bid(client, organisation, org_admin):
    """The form is prefilled from the live bid and warns it will be replaced; submitting again
    leaves exactly one live bid, with the new content, and the old one marked replaced."""
    tender = factories.TenderFactory()
    client.force_login(org_admin)
    _post(client, tender, organisation, service_plan="第一版方案")

    page = client.get(_submit_url(tender, organisation))
    assert "第一版方案" in page.content.decode()
    assert 'value="280000.00"' in page.content.decode()
    assert "替换原投标" in page.content.decode()

    response = _post(client, tender, organisation, service_plan="第二版方案", amount="250000")

    assert response.status_code == 302
    live = Bid.objects.filter(Bid.LIVE, tender=tender, organisation=organisation)
    assert live.count() == 1
    assert live.get().service_plan == "第二版方案"
    assert live.get().amount == Money("250000.00", "CNY")
    assert Bid.objects.get(service_plan="第一版方案").status == Bid.Status.REPLACED


def test_non_member_cannot_open_the_bid_pages(client, organisation, user):
    """Someone who is not a member gets 404 from the form and the organisation's lists, and a
    POST creates nothing; anonymous visitors are sent to sign in."""
    tender = factories.TenderFactory()
    urls = [
        _submit_url(tender, organisation),
        reverse("organisation_tenders", args=[organisation.pk]),
        reverse("organisation_bids", args=[organisation.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    client.force_login(user)
    for url in urls:
        assert client.get(url).status_code == 404
    assert _post(client, tender, organisation).status_code == 404
    assert _nothing_created()


# --- withdraw and re-confirm -----------------------------------------------------------------


def test_withdraw_from_the_receipt(client, organisation, org_admin):
    """A member withdraws the live bid before the deadline; it stays readable as withdrawn."""
    tender = factories.TenderFactory()
    bid = _service_bid(tender, organisation, org_admin)
    client.force_login(org_admin)
    assert "撤回投标" in client.get(bid.get_absolute_url()).content.decode()

    response = client.post(reverse("bid_withdraw", args=[bid.pk]), follow=True)

    bid.refresh_from_db()
    assert bid.status == Bid.Status.WITHDRAWN
    html = response.content.decode()
    assert "投标已撤回" in html
    assert "撤回投标" not in html


def test_withdraw_after_deadline_is_refused(client, organisation, org_admin):
    """After the deadline the withdraw button is gone and a POST leaves the bid live."""
    tender = factories.TenderFactory()
    bid = _service_bid(tender, organisation, org_admin)
    Tender.objects.filter(pk=tender.pk).update(
        clarification_deadline=timezone.now() - datetime.timedelta(days=1),
        bid_deadline=timezone.now() - datetime.timedelta(seconds=1),
    )
    client.force_login(org_admin)
    assert "撤回投标" not in client.get(bid.get_absolute_url()).content.decode()

    response = client.post(reverse("bid_withdraw", args=[bid.pk]), follow=True)

    bid.refresh_from_db()
    assert bid.status == Bid.Status.SUBMITTED
    assert "投标已截止" in response.content.decode()


def test_withdraw_needs_post(client, organisation, org_admin):
    """A GET on the withdraw URL changes nothing."""
    bid = _service_bid(factories.TenderFactory(), organisation, org_admin)
    client.force_login(org_admin)
    assert client.get(reverse("bid_withdraw", args=[bid.pk])).status_code == 405
    bid.refresh_from_db()
    assert bid.status == Bid.Status.SUBMITTED


def test_reconfirm_after_amendment(client, organisation, org_admin):
    """A bid flagged after an amendment shows 需重新确认 and a confirm button; confirming
    clears the flag and keeps the version the bid was written against (its receipt covers it)."""
    tender = factories.TenderFactory()
    bid = _service_bid(tender, organisation, org_admin)
    Tender.objects.filter(pk=tender.pk).update(version=2)
    Bid.objects.filter(pk=bid.pk).update(needs_reconfirmation=True)
    client.force_login(org_admin)
    html = client.get(bid.get_absolute_url()).content.decode()
    assert "需重新确认" in html
    assert reverse("bid_reconfirm", args=[bid.pk]) in html

    response = client.post(reverse("bid_reconfirm", args=[bid.pk]), follow=True)

    bid.refresh_from_db()
    assert not bid.needs_reconfirmation
    assert bid.tender_version == 1
    assert bid.reconfirmed_at is not None
    assert "已确认本投标" in response.content.decode()


# --- lists -----------------------------------------------------------------------------------


def test_organisation_tenders_lists_only_eligible_open_tenders(client, organisation, org_admin):
    """Open tenders the organisation qualifies for are listed with a 投标 link (and their live
    bid when there is one); drafts, closed tenders, other regions, other fields and
    invitation-only tenders it was not invited to are not."""
    now = timezone.now()
    eligible = factories.TenderFactory(title="可投项目")
    with_bid = factories.TenderFactory(title="已投项目")
    bid = _service_bid(with_bid, organisation, org_admin)
    factories.TenderFactory(title="草稿项目", status=Tender.Status.DRAFT)
    factories.TenderFactory(
        title="截止项目",
        clarification_deadline=now - datetime.timedelta(days=2),
        bid_deadline=now - datetime.timedelta(minutes=1),
    )
    factories.TenderFactory(title="外区项目", region=factories.county("320506"))
    factories.TenderFactory(title="助残项目", category=factories.category("0201"))
    factories.TenderFactory(title="邀请项目", method=Tender.Method.INVITED)
    client.force_login(org_admin)

    response = client.get(reverse("organisation_tenders", args=[organisation.pk]))

    assert response.status_code == 200
    assert [t.title for t in response.context["page"]] == ["可投项目", "已投项目"]
    html = response.content.decode()
    assert _submit_url(eligible, organisation) in html
    assert reverse("bid_detail", args=[bid.pk]) in html
    assert "已投标" in html


def _query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_organisation_tenders_query_count_does_not_grow(client, organisation, org_admin):
    """The eligible-tenders page costs the same queries for 2 and for 24 tenders, half of
    them with a live bid."""
    url = reverse("organisation_tenders", args=[organisation.pk])
    client.force_login(org_admin)

    def make(count):
        for index in range(count):
            tender = factories.TenderFactory()
            if index % 2:
                factories.BidFactory(tender=tender, organisation=organisation)

    make(2)
    few, response = _query_count(client, url)
    assert len(response.context["page"]) == 2
    make(22)
    many, response = _query_count(client, url)
    assert len(response.context["page"]) == 20
    assert many == few


def test_organisation_bids_lists_every_status(client, organisation, org_admin):
    """The organisation's bids page lists live, withdrawn and replaced bids with status,
    amount, the 需重新确认 flag and a receipt link, and no other organisation's bid."""
    live = factories.BidFactory(organisation=organisation, needs_reconfirmation=True)
    factories.BidFactory(organisation=organisation, status=Bid.Status.WITHDRAWN)
    factories.BidFactory(organisation=organisation, status=Bid.Status.REPLACED)
    factories.BidFactory()
    client.force_login(org_admin)

    response = client.get(reverse("organisation_bids", args=[organisation.pk]))

    assert len(response.context["page"]) == 3
    html = response.content.decode()
    for label in ("已提交", "已撤回", "已被替换", "需重新确认", "¥280,000.00"):
        assert label in html
    assert live.get_absolute_url() in html


def test_organisation_bids_query_count_does_not_grow(client, organisation, org_admin):
    """The bids page costs the same queries for 2 and for 24 bids."""
    url = reverse("organisation_bids", args=[organisation.pk])
    client.force_login(org_admin)
    factories.BidFactory.create_batch(2, organisation=organisation)
    few, response = _query_count(client, url)
    assert len(response.context["page"]) == 2
    factories.BidFactory.create_batch(22, organisation=organisation)
    many, response = _query_count(client, url)
    assert len(response.context["page"]) == 20
    assert many == few


def test_member_links_on_dashboard(client, organisation, org_admin):
    """The dashboard links each of the user's organisations to its tenders and bids."""
    client.force_login(org_admin)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("organisation_tenders", args=[organisation.pk]) in html
    assert reverse("organisation_bids", args=[organisation.pk]) in html
