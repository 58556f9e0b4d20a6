"""Sealed bids: who can read a bid's amount, proposal and files, through every selector, page,
download, email and audit entry — before the deadline, between deadline and opening, after
the opening (开标).

Rules (DESIGN.md): before the opening only the bidding organisation's own people read its bid.
After the opening the buyer's officers read the live bids, and every bidder and the officers
see the opening record (bidders and amounts). An expert with an active seat on the tender's
panel (declared, no conflict) reads its live bids after the opening; a pending or recused
expert, an expert of another tender's panel, staff, other buyers and the public never read a bid.
"""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    AuditEntry,
    Bid,
    OrganisationMembership,
    PanelMember,
    Tender,
    TenderOpening,
)
from marketplace.selectors.bids import (
    bid_document_get_for_user,
    bid_get_for_user,
    bid_list_for_user,
    opening_get_for_user,
)
from marketplace.services.bids import bid_submit, tender_open
from marketplace.services.clarifications import clarification_answer
from marketplace.services.tenders import tender_amend, tender_close
from tests import factories
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db

AMOUNT = "287654.32"
# However a page formats the amount (287654.32, 287,654.32, ¥287,654), these pieces show it.
AMOUNT_MARKERS = ("287654", "287,654")
PLAN = "独一无二的密封服务计划"
PDF = b"%PDF-1.4\nSEALED-CONTENT-4711\n%%EOF\n"

ROLES = [
    "anonymous",
    "bidder_admin",
    "bidder_member",
    "rival_member",
    "officer",
    "other_officer",
    "staff",
    "expert",
    "panel_active",
    "panel_pending",
    "panel_recused",
    "other_panel_expert",
]
PHASES = ["before_deadline", "before_opening", "after_opening"]
OWN = {"bidder_admin", "bidder_member"}


def can_read_bid(role, phase) -> bool:
    return role in OWN or (role in {"officer", "panel_active"} and phase == "after_opening")


def can_read_opening(role, phase) -> bool:
    return phase == "after_opening" and role in OWN | {"rival_member", "officer"}


def can_see_amount(role, phase) -> bool:
    return can_read_bid(role, phase) or can_read_opening(role, phase)


class World:
    """One tender with three bids (ours, a rival's, a third), and a user for every role."""

    def __init__(self, phase):
        self.phase = phase
        self.buyer = factories.BuyerFactory()
        self.tender = factories.TenderFactory(buyer=self.buyer)
        officer = factories.BuyerMembershipFactory(buyer=self.buyer).user
        other_officer = factories.BuyerMembershipFactory().user
        staff = factories.StaffFactory()
        for user in (officer, other_officer, staff):
            give_totp(user)
        admin = factories.OrganisationMembershipFactory()
        self.organisation = admin.organisation
        member = factories.OrganisationMembershipFactory(
            organisation=self.organisation, role=OrganisationMembership.Role.MEMBER
        )
        rival = factories.OrganisationMembershipFactory(role=OrganisationMembership.Role.MEMBER)
        third = factories.OrganisationMembershipFactory()
        self.users = {
            "anonymous": AnonymousUser(),
            "bidder_admin": admin.user,
            "bidder_member": member.user,
            "rival_member": rival.user,
            "officer": officer,
            "other_officer": other_officer,
            "staff": staff,
            "expert": factories.ExpertFactory().user,
            # Seats on this tender's panel in every status, and an active seat elsewhere.
            "panel_active": self._seat(PanelMember.Status.ACTIVE),
            "panel_pending": self._seat(PanelMember.Status.PENDING),
            "panel_recused": self._seat(PanelMember.Status.RECUSED),
            "other_panel_expert": factories.PanelMemberFactory().expert.user,
        }
        self.bid = self._submit(admin, AMOUNT, PLAN, [SimpleUploadedFile("密封方案.pdf", PDF)])
        self.document = self.bid.documents.get()
        self._submit(rival, "211111.00", "对手的方案")
        self._submit(third, "222222.00", "第三家的方案")
        if phase != "before_deadline":
            now = timezone.now()
            opening_at = now if phase == "after_opening" else now + datetime.timedelta(hours=1)
            Tender.objects.filter(pk=self.tender.pk).update(
                clarification_deadline=now - datetime.timedelta(days=1),
                bid_deadline=now,
                opening_at=opening_at,
            )
            tender_close(tender=self.tender)
        if phase == "after_opening":
            tender_open(tender=self.tender, by=officer)
        self.tender.refresh_from_db()

    def _seat(self, status):
        return factories.PanelMemberFactory(tender=self.tender, status=status).expert.user

    def _submit(self, membership, amount, plan, documents=()):
        return bid_submit(
            tender=self.tender,
            organisation=membership.organisation,
            by=membership.user,
            amount=Money(amount, "CNY"),
            documents=documents,
            service_plan=plan,
            team="社工3名",
            outputs="服务200人",
            beneficiaries="辖区老人",
        )

    def client(self, role):
        client = Client()
        if role != "anonymous":
            client.force_login(self.users[role])
        return client


@pytest.fixture
def make_world():
    return World


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _leaks(body: bytes, *, amount: bool, plan: bool) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    found = []
    if amount:
        found += [marker for marker in AMOUNT_MARKERS if marker in text]
    if plan and PLAN in text:
        found.append(PLAN)
    if PDF in body:
        found.append("document content")
    return found


MATRIX = [(role, phase) for phase in PHASES for role in ROLES]


def _ids(pair):
    return f"{pair[0]}-{pair[1]}"


# --- selectors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "phase"), MATRIX, ids=map(_ids, MATRIX))
def test_bid_selectors_follow_the_seal(make_world, role, phase):
    """bid_list_for_user, bid_get_for_user and bid_document_get_for_user give the bid (and its
    file) to its own organisation at any time and to the buyer's officers after the opening,
    and to nobody else (a 404 for the single reads)."""
    world = make_world(phase)
    user = world.users[role]
    allowed = can_read_bid(role, phase)

    assert (world.bid in bid_list_for_user(user)) is allowed
    assert (world.bid in bid_list_for_user(user, tender=world.tender)) is allowed
    if allowed:
        assert bid_get_for_user(pk=world.bid.pk, user=user) == world.bid
        assert bid_document_get_for_user(pk=world.document.pk, user=user) == world.document
    else:
        with pytest.raises(Http404):
            bid_get_for_user(pk=world.bid.pk, user=user)
        with pytest.raises(Http404):
            bid_document_get_for_user(pk=world.document.pk, user=user)


@pytest.mark.parametrize(("role", "phase"), MATRIX, ids=map(_ids, MATRIX))
def test_opening_record_is_for_bidders_and_the_buyer(make_world, role, phase):
    """The opening record exists only after the opening and is shown to the buyer's officers
    and every bidding organisation's people; nobody else gets it."""
    world = make_world(phase)

    opening = opening_get_for_user(tender=world.tender, user=world.users[role])

    if can_read_opening(role, phase):
        assert opening is not None
        assert AMOUNT in [row["amount"] for row in opening.record]
    else:
        assert opening is None


# --- pages and downloads -----------------------------------------------------------------------


@pytest.mark.parametrize(("role", "phase"), MATRIX, ids=map(_ids, MATRIX))
def test_bid_detail_page_follows_the_seal(make_world, role, phase):
    """The bid page shows the bid to those who may read it and is refused (404, 403 or a login
    redirect) without a trace of the amount or proposal to everyone else."""
    world = make_world(phase)

    response = world.client(role).get(reverse("bid_detail", args=[world.bid.pk]))

    if can_read_bid(role, phase):
        assert response.status_code == 200
        assert PLAN in response.content.decode()
    else:
        assert response.status_code in (302, 403, 404)
        assert _leaks(_body(response), amount=True, plan=True) == []


@pytest.mark.parametrize(("role", "phase"), MATRIX, ids=map(_ids, MATRIX))
def test_bid_document_download_follows_the_seal(make_world, role, phase):
    """A bid file is served only to those who may read the bid; everyone else is refused and
    gets none of its bytes."""
    world = make_world(phase)

    response = world.client(role).get(reverse("bid_document_download", args=[world.document.pk]))

    if can_read_bid(role, phase):
        assert response.status_code == 200
        assert _body(response) == PDF
    else:
        assert response.status_code in (302, 403, 404)
        assert _leaks(_body(response), amount=True, plan=True) == []


@pytest.mark.parametrize(("role", "phase"), MATRIX, ids=map(_ids, MATRIX))
def test_organisation_bids_page_shows_nothing_to_outsiders(make_world, role, phase):
    """The organisation's bid list is its members' own page; nobody else sees the amount or
    proposal there."""
    world = make_world(phase)

    response = world.client(role).get(reverse("organisation_bids", args=[world.organisation.pk]))

    if role in OWN:
        assert response.status_code == 200
    else:
        assert _leaks(_body(response), amount=True, plan=True) == []


@pytest.mark.parametrize(("role", "phase"), MATRIX, ids=map(_ids, MATRIX))
def test_buyer_tender_page_keeps_the_seal(make_world, role, phase):
    """The buyer's tender page never shows a bid's amount or proposal before the opening —
    not to the buyer's own officer — and never to anyone outside the buyer."""
    world = make_world(phase)

    response = world.client(role).get(reverse("buyer_tender_detail", args=[world.tender.pk]))

    if role == "officer":
        assert response.status_code == 200
    leaks = _leaks(
        _body(response),
        amount=not (role == "officer" and can_see_amount(role, phase)),
        plan=not (role == "officer" and can_read_bid(role, phase)),
    )
    assert leaks == []


@pytest.mark.parametrize(("role", "phase"), MATRIX, ids=map(_ids, MATRIX))
def test_public_tender_page_keeps_the_seal(make_world, role, phase):
    """The public tender page shows a bid's amount only to those who may read the bid or the
    opening record, and its proposal only to those who may read the bid."""
    world = make_world(phase)

    response = world.client(role).get(reverse("tender_detail", args=[world.tender.pk]))

    assert response.status_code == 200
    leaks = _leaks(
        _body(response),
        amount=not can_see_amount(role, phase),
        plan=not can_read_bid(role, phase),
    )
    assert leaks == []


# --- emails and the audit log ------------------------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
def test_emails_never_carry_a_bid(
    make_world, phase, django_capture_on_commit_callbacks, mailoutbox
):
    """The emails bidders receive after an answer (any phase) and an amendment (before the
    deadline) contain neither the amount nor the proposal."""
    world = make_world(phase)
    clarification = factories.ClarificationFactory(tender=world.tender)

    with django_capture_on_commit_callbacks(execute=True):
        clarification_answer(clarification=clarification, by=world.users["officer"], answer="答复")
        if phase == "before_deadline":
            tender_amend(
                tender=world.tender, by=world.users["officer"], note="更正名称", title="新名称"
            )

    assert len(mailoutbox) == (2 if phase == "before_deadline" else 1)
    for message in mailoutbox:
        assert world.users["bidder_admin"].email in message.to
        text = (message.subject + message.body).encode()
        assert _leaks(text, amount=True, plan=True) == []


@pytest.mark.parametrize("phase", PHASES)
def test_audit_log_never_carries_a_bid(make_world, phase):
    """No audit entry (data, reason or label) holds a bid's amount or proposal: the log is read
    by staff, who may not read bids."""
    world = make_world(phase)

    entries = list(AuditEntry.objects.values_list("data", "reason", "object_repr"))

    assert entries
    for data, reason, label in entries:
        text = f"{data} {reason} {label}".encode()
        assert _leaks(text, amount=True, plan=True) == [], (data, reason, label)
    assert world.bid.receipt_hash in [str(data.get("receipt")) for data, _r, _l in entries]


def test_an_organisation_that_withdrew_does_not_see_the_opening_record():
    """The opening record goes to the organisations whose bids were opened; one that withdrew
    before the deadline is no longer a bidder and gets nothing."""
    opened = factories.BidFactory(tender__status=Tender.Status.OPENED)
    withdrawn = factories.BidFactory(tender=opened.tender, status=Bid.Status.WITHDRAWN)
    TenderOpening.objects.create(
        tender=opened.tender, opened_by=factories.UserFactory(), opened_at=timezone.now(), record=[]
    )
    still_bidding = factories.OrganisationMembershipFactory(organisation=opened.organisation).user
    withdrew = factories.OrganisationMembershipFactory(organisation=withdrawn.organisation).user

    assert opening_get_for_user(tender=opened.tender, user=still_bidding) is not None
    assert opening_get_for_user(tender=opened.tender, user=withdrew) is None
