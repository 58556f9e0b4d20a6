"""Clarification services (答疑澄清): asking, answering once in public, following a tender."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.models import AuditEntry, Clarification, Organisation, Tender, TenderFollow
from marketplace.services.clarifications import (
    clarification_answer,
    clarification_ask,
    tender_follow,
    tender_unfollow,
)
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def tender(buyer):
    return factories.TenderFactory(buyer=buyer)


def _counts():
    return {
        "clarifications": Clarification.objects.count(),
        "answered": Clarification.objects.filter(answered_at__isnull=False).count(),
        "follows": TenderFollow.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_member_asks_a_question(tender, organisation, org_admin):
    """A member of a verified organisation asks before the clarification deadline: the
    question is stored unanswered, with one audit entry."""
    before = _counts()

    clarification = clarification_ask(
        tender=tender, organisation=organisation, by=org_admin, question="  服务对象名单由谁提供？ "
    )

    clarification.refresh_from_db()
    assert clarification.question == "服务对象名单由谁提供？"
    assert clarification.answered_at is None
    assert clarification.organisation == organisation
    assert _counts()["audit"] == before["audit"] + 1


@pytest.mark.parametrize("question", ["", "   ", "问" * 2001])
def test_blank_or_long_question_is_refused(tender, organisation, org_admin, question):
    """An empty question or one over 2000 characters is refused; nothing is stored."""
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        clarification_ask(tender=tender, organisation=organisation, by=org_admin, question=question)

    assert "question" in raised.value.message_dict
    assert _counts() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"clarification_deadline_in": -DAY},
        {"status": Tender.Status.CLOSED},
        {"status": Tender.Status.CANCELLED},
    ],
    ids=["after_clarification_deadline", "closed", "cancelled"],
)
def test_question_outside_the_clarification_period_is_refused(
    buyer, organisation, org_admin, fields
):
    """After the clarification deadline (database clock) or once the tender is no longer
    published, questions are refused; nothing is stored."""
    fields = dict(fields)
    offset = fields.pop("clarification_deadline_in", None)
    if offset is not None:
        fields["clarification_deadline"] = timezone.now() + offset
    tender = factories.TenderFactory(buyer=buyer, **fields)
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        clarification_ask(tender=tender, organisation=organisation, by=org_admin, question="问题")

    assert raised.value.code == "clarification_closed"
    assert _counts() == before


def test_unverified_organisation_cannot_ask(tender):
    """A pending organisation is refused (not_verified); nothing is stored."""
    organisation = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    member = factories.OrganisationMembershipFactory(organisation=organisation).user
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        clarification_ask(tender=tender, organisation=organisation, by=member, question="问题")

    assert raised.value.code == "not_verified"
    assert _counts() == before


def test_non_member_cannot_ask_for_the_organisation(tender, organisation, officer):
    """Someone outside the organisation (here the buyer's officer) cannot ask in its name."""
    before = _counts()

    with pytest.raises(PermissionDenied):
        clarification_ask(tender=tender, organisation=organisation, by=officer, question="问题")

    assert _counts() == before


def test_answer_is_public_once_and_emailed_to_bidders_and_followers(
    tender, officer, django_capture_on_commit_callbacks, mailoutbox
):
    """The officer's answer is stored with its time and author, and after commit members of
    bidding and following organisations receive the question and answer; the asking
    organisation is not named."""
    asker = factories.OrganisationFactory(name="提问的社工中心")
    clarification = factories.ClarificationFactory(tender=tender, organisation=asker)
    bidder = factories.OrganisationMembershipFactory()
    factories.BidFactory(tender=tender, organisation=bidder.organisation)
    follower = factories.OrganisationMembershipFactory()
    TenderFollow.objects.create(tender=tender, organisation=follower.organisation)

    with django_capture_on_commit_callbacks(execute=True):
        clarification_answer(clarification=clarification, by=officer, answer="由街道提供。")

    clarification.refresh_from_db()
    assert clarification.answer == "由街道提供。"
    assert clarification.answered_by == officer
    assert clarification.answered_at is not None
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.to) == sorted([bidder.user.email, follower.user.email])
    assert "由街道提供。" in message.body
    assert clarification.question in message.body
    assert "提问的社工中心" not in message.body + message.subject


def test_second_answer_is_refused(tender, officer, mailoutbox):
    """An answer cannot be edited: a second answer is refused, the first stands."""
    clarification = factories.ClarificationFactory(tender=tender)
    clarification_answer(clarification=clarification, by=officer, answer="第一次答复")
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        clarification_answer(clarification=clarification, by=officer, answer="改口")

    assert raised.value.code == "answered"
    clarification.refresh_from_db()
    assert clarification.answer == "第一次答复"
    assert _counts() == before


def test_answer_by_another_buyers_officer_is_refused(tender):
    """Only the tender's buyer answers; nothing changes."""
    clarification = factories.ClarificationFactory(tender=tender)
    before = _counts()

    with pytest.raises(PermissionDenied):
        clarification_answer(
            clarification=clarification, by=factories.BuyerMembershipFactory().user, answer="答"
        )

    clarification.refresh_from_db()
    assert clarification.answered_at is None
    assert _counts() == before


@pytest.mark.parametrize("status", [Tender.Status.CANCELLED, Tender.Status.FAILED])
def test_answer_on_an_ended_tender_is_refused(buyer, officer, status):
    """A cancelled or failed tender gets no more answers."""
    clarification = factories.ClarificationFactory(
        tender=factories.TenderFactory(buyer=buyer, status=status)
    )
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        clarification_answer(clarification=clarification, by=officer, answer="答复")

    assert raised.value.code == "tender_ended"
    assert _counts() == before


def test_blank_answer_is_refused(tender, officer):
    """An empty answer is refused."""
    clarification = factories.ClarificationFactory(tender=tender)
    before = _counts()

    with pytest.raises(ValidationError):
        clarification_answer(clarification=clarification, by=officer, answer="  ")

    assert _counts() == before


def test_follow_is_idempotent_and_unfollow_removes_it(tender, organisation, org_admin):
    """Following twice keeps one follow; unfollowing removes it."""
    first = tender_follow(tender=tender, organisation=organisation, by=org_admin)
    second = tender_follow(tender=tender, organisation=organisation, by=org_admin)

    assert first == second
    assert TenderFollow.objects.filter(tender=tender).count() == 1

    tender_unfollow(tender=tender, organisation=organisation, by=org_admin)

    assert not TenderFollow.objects.exists()


def test_follow_of_a_draft_is_refused(buyer, organisation, org_admin):
    """A draft cannot be followed (it is not public)."""
    tender = factories.TenderFactory(buyer=buyer, status=Tender.Status.DRAFT)

    with pytest.raises(ValidationError):
        tender_follow(tender=tender, organisation=organisation, by=org_admin)

    assert not TenderFollow.objects.exists()


def test_follow_by_a_non_member_is_refused(tender, organisation, officer):
    """Only the organisation's people follow in its name."""
    with pytest.raises(PermissionDenied):
        tender_follow(tender=tender, organisation=organisation, by=officer)
    with pytest.raises(PermissionDenied):
        tender_unfollow(tender=tender, organisation=organisation, by=officer)

    assert not TenderFollow.objects.exists()
