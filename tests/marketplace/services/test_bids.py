"""Bid services: submit (and replace), withdraw, re-confirm, eligibility, amounts, documents,
the deadline, and the opening (开标)."""

import datetime
import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    AuditEntry,
    Bid,
    BidDocument,
    Organisation,
    OrganisationMembership,
    Tender,
    TenderOpening,
)
from marketplace.selectors.bids import bid_receipt_hash
from marketplace.services.bids import bid_reconfirm, bid_submit, bid_withdraw, tender_open
from marketplace.storage import private_storage
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PROPOSAL = {
    "service_plan": "每周上门服务两次，建立一人一档。",
    "team": "社工3名，护理员10名。",
    "outputs": "服务老人200名，满意度90%以上。",
    "beneficiaries": "辖区失能、半失能老人",
}


def _pdf(name="服务方案.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _stored_files() -> list[Path]:
    root = Path(private_storage().location)
    return sorted(path for path in root.rglob("*") if path.is_file())


def _counts():
    return {
        "bids": Bid.objects.count(),
        "live": Bid.objects.filter(Bid.LIVE).count(),
        "documents": BidDocument.objects.count(),
        "audit": AuditEntry.objects.count(),
        "files": len(_stored_files()),
        "statuses": sorted(Bid.objects.values_list("pk", "status")),
    }


@pytest.fixture
def tender():
    return factories.TenderFactory()


@pytest.fixture
def bidder(organisation):
    """A plain member (not admin) of a verified, eligible organisation."""
    return factories.OrganisationMembershipFactory(
        organisation=organisation, role=OrganisationMembership.Role.MEMBER
    ).user


def _submit(tender, organisation, by, amount="250000.00", documents=(), **proposal):
    return bid_submit(
        tender=tender,
        organisation=organisation,
        by=by,
        amount=Money(amount, "CNY") if isinstance(amount, str) else amount,
        documents=documents,
        **{**PROPOSAL, **proposal},
    )


def test_submit_stores_a_sealed_bid_with_a_recomputable_receipt(tender, organisation, bidder):
    """A member submits a bid with a PDF: the bid is stored live against the current version,
    the file is kept with its SHA-256, and the receipt hash can be recomputed from the stored
    bid and its documents alone."""
    before = _counts()

    bid = _submit(tender, organisation, bidder, documents=[_pdf()])

    stored = Bid.objects.get(pk=bid.pk)
    assert stored.status == Bid.Status.SUBMITTED
    assert stored.amount == Money("250000.00", "CNY")
    assert stored.tender_version == tender.version
    assert stored.submitted_by == bidder
    assert stored.service_plan == PROPOSAL["service_plan"]
    document = stored.documents.get()
    assert document.title == "服务方案.pdf"
    assert document.size == len(PDF)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    with document.file.open("rb") as handle:
        assert handle.read() == PDF
    documents = [{"title": d.title, "sha256": d.sha256} for d in stored.documents.all()]
    assert bid_receipt_hash(stored, documents) == stored.receipt_hash == bid.receipt_hash
    assert len(stored.receipt_hash) == 64
    assert _counts()["audit"] == before["audit"] + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id) == ("submit", str(bid.pk))
    assert entry.data["receipt"] == stored.receipt_hash


def test_receipt_changes_with_what_was_sent(tender, organisation, bidder):
    """The receipt covers the amount: the same stored bid with another amount hashes differently."""
    bid = _submit(tender, organisation, bidder)
    stored = Bid.objects.get(pk=bid.pk)
    stored.amount = Money("250000.01", "CNY")

    assert bid_receipt_hash(stored, []) != bid.receipt_hash


def test_submitting_again_replaces_the_live_bid(tender, organisation, bidder):
    """A second submission replaces the first: the old bid becomes REPLACED, exactly one bid
    is live, and the audit entry names the replaced bid."""
    first = _submit(tender, organisation, bidder, amount="260000.00")

    second = _submit(tender, organisation, bidder, amount="255000.00")

    first.refresh_from_db()
    assert first.status == Bid.Status.REPLACED
    live = Bid.objects.filter(Bid.LIVE, tender=tender, organisation=organisation)
    assert list(live) == [second]
    assert AuditEntry.objects.filter(action="submit").latest("id").data["replaces"] == first.pk
    assert AuditEntry.objects.filter(
        object_id=str(first.pk), action="transition", to_status=Bid.Status.REPLACED
    ).exists()


def test_withdraw_then_bid_again(tender, organisation, bidder):
    """A withdrawn bid stays on record as WITHDRAWN and the organisation may bid again."""
    bid = _submit(tender, organisation, bidder)

    bid_withdraw(bid=bid, by=bidder)
    bid.refresh_from_db()
    assert bid.status == Bid.Status.WITHDRAWN
    assert not Bid.objects.filter(Bid.LIVE, tender=tender).exists()

    again = _submit(tender, organisation, bidder)

    assert again.status == Bid.Status.SUBMITTED
    assert Bid.objects.filter(tender=tender, organisation=organisation).count() == 2
    assert Bid.objects.filter(Bid.LIVE, tender=tender).get() == again


def test_withdraw_after_the_deadline_is_refused(tender, organisation, bidder):
    """After the deadline a bid can no longer be withdrawn; it stays live."""
    bid = _submit(tender, organisation, bidder)
    Tender.objects.filter(pk=tender.pk).update(
        clarification_deadline=timezone.now() - DAY, bid_deadline=timezone.now()
    )
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        bid_withdraw(bid=Bid.objects.get(pk=bid.pk), by=bidder)

    assert raised.value.code == "bidding_closed"
    assert _counts() == before


def test_withdraw_by_another_organisation_is_refused(tender, organisation, bidder):
    """Only the bidding organisation's people withdraw its bid."""
    bid = _submit(tender, organisation, bidder)
    other = factories.OrganisationMembershipFactory().user
    before = _counts()

    with pytest.raises(PermissionDenied):
        bid_withdraw(bid=bid, by=other)

    assert _counts() == before


def test_reconfirm_after_an_amendment(tender, organisation, bidder):
    """A bid flagged by an amendment is re-confirmed against the latest version; the version
    it was written against stays, so its receipt can still be recomputed."""
    bid = _submit(tender, organisation, bidder)
    Tender.objects.filter(pk=tender.pk).update(version=2)
    Bid.objects.filter(pk=bid.pk).update(needs_reconfirmation=True)

    bid_reconfirm(bid=Bid.objects.get(pk=bid.pk), by=bidder)

    bid.refresh_from_db()
    assert bid.needs_reconfirmation is False
    assert bid.tender_version == 1
    assert bid_receipt_hash(bid, []) == bid.receipt_hash
    assert bid.reconfirmed_at is not None
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.data) == ("reconfirm", {"tender_version": 2})


def test_reconfirm_without_an_amendment_is_refused(tender, organisation, bidder):
    """A bid that needs no confirmation is refused; nothing changes."""
    bid = _submit(tender, organisation, bidder)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        bid_reconfirm(bid=bid, by=bidder)

    assert raised.value.code == "nothing_to_confirm"
    assert _counts() == before
    bid.refresh_from_db()
    assert bid.reconfirmed_at is None


def test_reconfirm_by_another_organisation_is_refused(tender, organisation, bidder):
    """Only the bidding organisation's people re-confirm its bid."""
    bid = _submit(tender, organisation, bidder)
    Bid.objects.filter(pk=bid.pk).update(needs_reconfirmation=True)
    before = _counts()

    with pytest.raises(PermissionDenied):
        bid_reconfirm(bid=bid, by=factories.OrganisationMembershipFactory().user)

    bid.refresh_from_db()
    assert bid.needs_reconfirmation is True
    assert _counts() == before


def _today():
    return timezone.localdate()


INELIGIBLE = {
    "unverified": (
        lambda: {"status": Organisation.Status.PENDING},
        {},
        "尚未通过平台认证",
    ),
    "credit_abnormal": (
        lambda: {"credit_status": Organisation.CreditStatus.ABNORMAL},
        {},
        "信用状态须为“正常”",
    ),
    "rating_too_low": (
        lambda: {"rating_level": 3, "rating_evaluated_on": _today() - 365 * DAY},
        {"min_rating_level": 4},
        "须具有 4A 及以上有效评估等级，当前为3A",
    ),
    "rating_expired": (
        lambda: {"rating_level": 5, "rating_evaluated_on": _today() - 6 * 366 * DAY},
        {"min_rating_level": 3},
        "须具有 3A 及以上有效评估等级，当前为无",
    ),
    "too_young": (
        lambda: {"registered_on": _today() - 2 * 366 * DAY},
        {"min_years_registered": 3},
        "须成立满 3 年，当前为 2 年",
    ),
    "wrong_region": (
        lambda: {"districts": [factories.county("320303")]},
        {},
        "服务地区不包括",
    ),
    "wrong_category": (
        lambda: {"categories": [factories.category("02")]},
        {},
        "服务领域不包括",
    ),
}


@pytest.mark.parametrize(
    ("organisation_fields", "tender_fields", "reason"),
    INELIGIBLE.values(),
    ids=INELIGIBLE.keys(),
)
def test_ineligible_organisation_is_refused_with_its_reason(
    organisation_fields, tender_fields, reason
):
    """Each eligibility rule refuses with its own reason, and nothing is stored."""
    tender = factories.TenderFactory(**tender_fields)
    organisation = factories.OrganisationFactory(**organisation_fields())
    member = factories.OrganisationMembershipFactory(organisation=organisation).user
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _submit(tender, organisation, member, documents=[_pdf()])

    assert any(reason in message for message in raised.value.messages), raised.value.messages
    assert len(raised.value.messages) == 1
    assert _counts() == before


def test_uninvited_organisation_is_refused_for_an_invited_tender(organisation, bidder):
    """邀请招标: an organisation not on the invitation list is refused; an invited one may bid."""
    tender = factories.TenderFactory(method=Tender.Method.INVITED)
    invited = [factories.OrganisationFactory() for _ in range(3)]
    tender.invited.set(invited)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _submit(tender, organisation, bidder)

    assert any("仅受邀的社会组织可以投标" in m for m in raised.value.messages)
    assert _counts() == before

    guest = factories.OrganisationMembershipFactory(organisation=invited[0]).user
    assert _submit(tender, invited[0], guest).is_live


def test_rating_and_age_that_meet_the_rules_are_accepted():
    """A current 4A rating meets a 4A minimum; 3 full years meet a 3-year minimum."""
    tender = factories.TenderFactory(min_rating_level=4, min_years_registered=3)
    organisation = factories.OrganisationFactory(
        rating_level=4,
        rating_evaluated_on=_today() - 365 * DAY,
        registered_on=_today().replace(year=_today().year - 3) - DAY,
    )
    member = factories.OrganisationMembershipFactory(organisation=organisation).user

    assert _submit(tender, organisation, member).is_live


BAD_AMOUNTS = {
    "over_budget": (Money("300000.01", "CNY"), "超过项目预算"),
    "zero": (Money("0.00", "CNY"), "必须大于0"),
    "negative": (Money("-1.00", "CNY"), "必须大于0"),
    "three_decimals": (Money("1000.005", "CNY"), "最多保留两位小数"),
    "usd": (Money("1000.00", "USD"), "人民币"),
}


@pytest.mark.parametrize(("amount", "fragment"), BAD_AMOUNTS.values(), ids=BAD_AMOUNTS.keys())
def test_bad_amount_is_refused(tender, organisation, bidder, amount, fragment):
    """The amount must be CNY, > 0, in whole fen and within the budget; otherwise nothing is stored."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _submit(tender, organisation, bidder, amount=amount, documents=[_pdf()])

    assert fragment in " ".join(raised.value.message_dict["amount"])
    assert _counts() == before


def test_amount_equal_to_the_budget_is_accepted(tender, organisation, bidder):
    """Bidding exactly the budget is allowed."""
    assert _submit(tender, organisation, bidder, amount="300000.00").amount == tender.budget


BAD_DOCUMENTS = {
    "oversize": (lambda: _pdf(content=PDF + b"x" * 100), "超过"),
    "forbidden_type": (
        lambda: SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 20),
        "不支持",
    ),
    "content_does_not_match_extension": (
        lambda: _pdf(name="方案.pdf", content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 20),
        "不符",
    ),
    "empty": (lambda: _pdf(content=b""), "空文件"),
}


@pytest.mark.parametrize(
    ("make_upload", "fragment"), BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys()
)
def test_bad_document_is_refused_and_nothing_is_written(
    settings, tender, organisation, bidder, make_upload, fragment
):
    """An oversize, forbidden, mislabelled or empty file refuses the whole bid: no bid, no
    document row, no file on disk."""
    settings.DOCUMENT_MAX_BYTES = len(PDF) + 50
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _submit(tender, organisation, bidder, documents=[_pdf(), make_upload()])

    assert fragment in " ".join(raised.value.message_dict["documents"])
    assert _counts() == before


def test_too_many_documents_are_refused(settings, tender, organisation, bidder):
    """More files than DOCUMENTS_PER_UPLOAD refuses the bid."""
    settings.DOCUMENTS_PER_UPLOAD = 2
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _submit(tender, organisation, bidder, documents=[_pdf(f"{n}.pdf") for n in range(3)])

    assert "documents" in raised.value.message_dict
    assert _counts() == before


def test_blank_proposal_field_is_refused(tender, organisation, bidder):
    """Every proposal field is required; a blank one refuses the bid."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _submit(tender, organisation, bidder, team="   ")

    assert "team" in raised.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize("state", ["deadline_passed", "closed", "cancelled", "draft"])
def test_submit_outside_bidding_is_refused_and_nothing_is_stored(organisation, bidder, state):
    """After the deadline (even before any job closed the tender), or when the tender is not
    published, the bid is refused as 'bidding closed' and nothing is stored."""
    now = timezone.now()
    fields = {
        "deadline_passed": {
            "clarification_deadline": now - DAY,
            "bid_deadline": now,
            "opening_at": now + DAY,
        },
        "closed": {"status": Tender.Status.CLOSED},
        "cancelled": {"status": Tender.Status.CANCELLED},
        "draft": {"status": Tender.Status.DRAFT, "version": 0, "published_at": None},
    }[state]
    tender = factories.TenderFactory(**fields)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        _submit(tender, organisation, bidder, documents=[_pdf()])

    assert raised.value.code == "bidding_closed"
    assert _counts() == before


@pytest.mark.parametrize("who", ["other_org_member", "buyer_officer", "staff", "anonymous"])
def test_non_member_cannot_bid_for_the_organisation(tender, organisation, staff, who):
    """Only the organisation's own people bid for it: PermissionDenied, nothing stored."""
    actor = {
        "other_org_member": lambda: factories.OrganisationMembershipFactory().user,
        "buyer_officer": lambda: factories.BuyerMembershipFactory(buyer=tender.buyer).user,
        "staff": lambda: staff,
        "anonymous": AnonymousUser,
    }[who]()
    before = _counts()

    with pytest.raises(PermissionDenied):
        _submit(tender, organisation, actor)

    assert _counts() == before


def test_database_rejects_a_second_live_bid(tender, organisation):
    """The one_live_bid_per_organisation constraint refuses a second live bid written
    directly, whatever the code path; a withdrawn one beside it is fine."""
    factories.BidFactory(tender=tender, organisation=organisation)
    factories.BidFactory(tender=tender, organisation=organisation, status=Bid.Status.WITHDRAWN)

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.BidFactory(tender=tender, organisation=organisation)

    assert Bid.objects.filter(Bid.LIVE, tender=tender, organisation=organisation).count() == 1


# --- opening ---------------------------------------------------------------------------------


@pytest.fixture
def officer_of(db):
    def make(tender):
        return factories.BuyerMembershipFactory(buyer=tender.buyer).user

    return make


def _bids(tender, count):
    """`count` live bids submitted through the service, then the deadline moved to now."""
    bids = []
    for n in range(count):
        member = factories.OrganisationMembershipFactory().user
        organisation = member.organisation_memberships.get().organisation
        bids.append(_submit(tender, organisation, member, amount=f"{250000 + n}.50"))
    return bids


def _pass_deadline(tender, *, opening_in=datetime.timedelta(0)):
    now = timezone.now()
    Tender.objects.filter(pk=tender.pk).update(
        clarification_deadline=now - DAY, bid_deadline=now, opening_at=now + opening_in
    )


def _opening_counts(tender):
    tender.refresh_from_db()
    return {
        "status": tender.status,
        "openings": TenderOpening.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_opening_before_the_deadline_is_refused(tender, officer_of):
    """Bids cannot be opened while bidding is open; nothing changes."""
    _bids(tender, 3)
    officer = officer_of(tender)
    before = _opening_counts(tender)

    with pytest.raises(ValidationError) as raised:
        tender_open(tender=tender, by=officer)

    assert raised.value.code == "too_early"
    assert _opening_counts(tender) == before
    assert before["status"] == Tender.Status.PUBLISHED


def test_opening_before_the_announced_time_is_refused(tender, officer_of):
    """After the deadline but before opening_at, the opening is refused (bidding is closed,
    which stands) and no opening record exists."""
    _bids(tender, 3)
    _pass_deadline(tender, opening_in=datetime.timedelta(hours=1))
    officer = officer_of(tender)

    with pytest.raises(ValidationError) as raised:
        tender_open(tender=tender, by=officer)

    assert raised.value.code == "too_early"
    tender.refresh_from_db()
    assert tender.status == Tender.Status.CLOSED
    assert not TenderOpening.objects.exists()
    assert not AuditEntry.objects.filter(to_status=Tender.Status.OPENED).exists()


def test_opening_with_too_few_bids_fails_the_tender(tender, officer_of):
    """公开招标 needs 3 live bids: with 2 the opening is refused, and the tender has failed
    (流标) for good even though tender_open raised: status FAILED, reason recorded, no opening."""
    _bids(tender, 2)
    _pass_deadline(tender)
    officer = officer_of(tender)

    with pytest.raises(ValidationError) as raised:
        tender_open(tender=tender, by=officer)

    assert raised.value.code == "failed"
    tender.refresh_from_db()
    assert tender.status == Tender.Status.FAILED
    assert not TenderOpening.objects.exists()
    failed = AuditEntry.objects.get(object_id=str(tender.pk), to_status=Tender.Status.FAILED)
    assert "2" in failed.reason and "3" in failed.reason
    assert failed.actor is None


def test_opening_records_bidders_amounts_and_times(tender, officer_of):
    """The opening lists every live bid (not withdrawn or replaced ones) with bidder, amount,
    submission time and re-confirmation; the tender becomes OPENED."""
    bids = _bids(tender, 3)
    extra_member = factories.OrganisationMembershipFactory().user
    extra_org = extra_member.organisation_memberships.get().organisation
    withdrawn = _submit(tender, extra_org, extra_member, amount="1.00")
    bid_withdraw(bid=withdrawn, by=extra_member)
    _pass_deadline(tender)
    officer = officer_of(tender)

    opening = tender_open(tender=tender, by=officer)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED
    assert opening.opened_by == officer
    assert [row["bid"] for row in opening.record] == [bid.pk for bid in bids]
    first = opening.record[0]
    assert first["organisation"] == bids[0].organisation.name
    assert first["amount"] == "250000.50"
    assert first["currency"] == "CNY"
    assert datetime.datetime.fromisoformat(first["submitted_at"]) == bids[0].submitted_at
    assert first["reconfirmed"] is True
    assert withdrawn.pk not in [row["bid"] for row in opening.record]


def test_opening_by_someone_else_is_refused(tender):
    """Only the buyer's officers open bids: PermissionDenied, and nothing changes (not even
    the close)."""
    _bids(tender, 3)
    _pass_deadline(tender)
    before = _opening_counts(tender)

    with pytest.raises(PermissionDenied):
        tender_open(tender=tender, by=factories.BuyerMembershipFactory().user)

    assert _opening_counts(tender) == before
