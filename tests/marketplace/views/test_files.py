"""Downloads from private storage: tender documents (public once published) and bid files
(sealed), always as attachments, never at a media URL; and the sealed-bid rule on the receipt
page and the bid files before and after the opening."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import Tender, TenderDocument, TenderOpening
from marketplace.services.bids import bid_submit
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"


def _tender_document(tender, by):
    return TenderDocument.objects.create(
        tender=tender,
        title="招标文件（第一版）.pdf",
        file=SimpleUploadedFile("招标文件.pdf", PDF),
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        uploaded_by=by,
    )


def _url(document):
    return reverse("tender_document_download", args=[document.pk])


def test_published_tender_document_downloads_for_anyone(client, buyer, officer):
    """Anyone, signed in or not, downloads a published tender's document as an attachment
    named by its title, with nosniff."""
    document = _tender_document(factories.TenderFactory(buyer=buyer), officer)

    response = client.get(_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_draft_tender_document_only_for_the_buyers_officers(client, buyer, officer, staff):
    """A draft's document is a 404 for anonymous visitors, another buyer's officer, staff and
    organisation members; the buyer's own officer downloads it, not cached."""
    document = _tender_document(
        factories.TenderFactory(buyer=buyer, status=Tender.Status.DRAFT), officer
    )
    assert client.get(_url(document)).status_code == 404
    outsiders = [
        factories.BuyerMembershipFactory().user,
        staff,
        factories.OrganisationMembershipFactory().user,
    ]
    for outsider in outsiders:
        client.force_login(outsider)
        assert client.get(_url(document)).status_code == 404

    client.force_login(officer)
    response = client.get(_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_unknown_tender_document_is_404(client):
    """A document number that does not exist is a 404."""
    assert client.get(reverse("tender_document_download", args=[999999])).status_code == 404


def test_missing_file_is_404_not_500(client, buyer, officer):
    """If the stored file has gone, the download is a 404 rather than a server error."""
    document = _tender_document(factories.TenderFactory(buyer=buyer), officer)
    document.file.storage.delete(document.file.name)
    assert client.get(_url(document)).status_code == 404


def _bid_with_pdf(tender, organisation, by):
    return bid_submit(
        tender=tender,
        organisation=organisation,
        by=by,
        amount=Money("1000.00", "CNY"),
        documents=[SimpleUploadedFile("报价单.pdf", PDF)],
        service_plan="方案",
        team="团队",
        outputs="产出",
        beneficiaries="老人",
    )


def test_bid_document_is_a_private_attachment(client, organisation, org_admin):
    """The bidder downloads its own file: same bytes, attachment with its title, nosniff,
    and Cache-Control private, no-store so no proxy keeps a copy."""
    bid = _bid_with_pdf(factories.TenderFactory(), organisation, org_admin)
    document = bid.documents.get()
    client.force_login(org_admin)

    response = client.get(reverse("bid_document_download", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "Location" not in response


# --- who may read a bid ----------------------------------------------------------------------


@pytest.fixture
def sealed(organisation, org_admin, officer, buyer):
    """A live bid with one PDF on a tender of `buyer`, not yet opened."""
    tender = factories.TenderFactory(buyer=buyer)
    return _bid_with_pdf(tender, organisation, org_admin)


def _readers(officer, staff):
    other = factories.OrganisationMembershipFactory().user
    return {"other organisation": other, "officer": officer, "staff": staff, "anonymous": None}


def test_sealed_bid_is_404_for_everyone_but_the_bidder(client, sealed, org_admin, officer, staff):
    """Before the opening, the receipt and the bid's files are a 404 for another
    organisation's member, the buyer's officer, staff and anonymous visitors."""
    document = sealed.documents.get()
    urls = [
        reverse("bid_detail", args=[sealed.pk]),
        reverse("bid_document_download", args=[document.pk]),
    ]
    for who, reader in _readers(officer, staff).items():
        client.logout()
        if reader is not None:
            client.force_login(reader)
        for url in urls:
            assert client.get(url).status_code == 404, (who, url)
    client.force_login(org_admin)
    for url in urls:
        assert client.get(url).status_code == 200


def test_opened_bid_is_readable_by_the_buyers_officer(client, sealed, officer):
    """After the opening the buyer's officer reads the receipt and downloads its file, but
    gets no withdraw button."""
    tender = sealed.tender
    Tender.objects.filter(pk=tender.pk).update(status=Tender.Status.OPENED)
    TenderOpening.objects.create(
        tender=tender, opened_by=officer, opened_at=timezone.now(), record=[]
    )
    document = sealed.documents.get()
    client.force_login(officer)

    page = client.get(reverse("bid_detail", args=[sealed.pk]))
    download = client.get(reverse("bid_document_download", args=[document.pk]))

    assert page.status_code == 200
    assert sealed.receipt_hash in page.content.decode()
    assert "撤回投标" not in page.content.decode()
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
