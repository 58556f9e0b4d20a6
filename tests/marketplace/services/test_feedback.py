"""Residents' feedback: who may be rated, the one-per-client-per-day throttle kept by the
database, bad input refused with nothing stored, the client key, and staff moderation
through the workflow table with its audit trail."""

import datetime
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from marketplace.models import AuditEntry, Contract, ResidentFeedback
from marketplace.selectors.audit import audit_list_for
from marketplace.services.feedback import (
    resident_client_key,
    resident_feedback_moderate,
    resident_feedback_submit,
)
from marketplace.workflows import TransitionNotAllowed
from tests import factories

pytestmark = pytest.mark.django_db

Status = ResidentFeedback.Status
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def contract():
    return factories.ContractFactory(status=Contract.Status.ACTIVE)


def submit(contract, *, score=4, comment="", client_key="client-a", now=None):
    return resident_feedback_submit(
        contract=contract, score=score, comment=comment, client_key=client_key, now=now
    )


# --- Submitting ------------------------------------------------------------------------------


def test_a_bare_score_needs_no_moderation(contract):
    """A score without a comment is stored with status "none" and today's local date."""
    feedback = submit(contract, score=5)

    assert feedback.status == Status.NO_COMMENT
    assert feedback.score == 5 and feedback.comment == ""
    assert feedback.day == timezone.localdate()


def test_a_comment_is_stripped_and_waits_for_moderation(contract):
    """A comment is stored stripped with status pending; a blank one counts as none."""
    with_comment = submit(contract, comment="  服务很好，谢谢社工！\n ")
    blank = submit(contract, comment="   \n", client_key="client-b")

    assert with_comment.comment == "服务很好，谢谢社工！"
    assert with_comment.status == Status.PENDING
    assert blank.comment == "" and blank.status == Status.NO_COMMENT


@pytest.mark.parametrize("status", [Contract.Status.ACTIVE, Contract.Status.COMPLETED])
def test_delivered_projects_accept_feedback(status):
    """A contract in delivery or completed can be rated."""
    contract = factories.ContractFactory(status=status)

    assert submit(contract).pk is not None


@pytest.mark.parametrize("status", [Contract.Status.DRAFT, Contract.Status.TERMINATED])
def test_unsigned_or_terminated_projects_refuse_feedback(status):
    """A draft or terminated contract is refused with a clear message; nothing is stored."""
    contract = factories.ContractFactory(status=status)

    with pytest.raises(ValidationError) as error:
        submit(contract, comment="想评价")

    assert error.value.code == "contract_not_delivered"
    assert "实施中或已完成" in error.value.messages[0]
    assert not ResidentFeedback.objects.exists()


@pytest.mark.parametrize("score", [0, 6, -1, None, "5", 4.5, True])
def test_a_score_outside_1_to_5_is_refused(contract, score):
    """Anything but an integer 1–5 is an error on `score`; nothing is stored."""
    with pytest.raises(ValidationError) as error:
        submit(contract, score=score)

    assert "score" in error.value.error_dict
    assert "1至5分" in error.value.error_dict["score"][0].messages[0]
    assert not ResidentFeedback.objects.exists()


def test_a_comment_over_500_characters_is_refused(contract):
    """501 characters (after stripping) is an error on `comment` naming the limit; 500 pass."""
    with pytest.raises(ValidationError) as error:
        submit(contract, comment="好" * 501)

    message = error.value.error_dict["comment"][0].messages[0]
    assert "500" in message and "501" in message
    assert not ResidentFeedback.objects.exists()
    assert submit(contract, comment=" " + "好" * 500 + " ").comment == "好" * 500


# --- The throttle -----------------------------------------------------------------------------


def test_a_second_feedback_from_the_same_client_the_same_day_is_refused(contract):
    """The same client on the same project and day gets a clear error; the first stays alone."""
    first = submit(contract, score=5)

    with pytest.raises(ValidationError) as error:
        submit(contract, score=1, comment="再评一次")

    assert error.value.code == "already_submitted_today"
    assert "今天已经评价过" in error.value.messages[0]
    assert list(ResidentFeedback.objects.values_list("pk", "score")) == [(first.pk, 5)]


def test_other_clients_other_projects_and_the_next_day_are_accepted(contract):
    """The throttle is per client, per project, per day."""
    submit(contract)
    submit(contract, client_key="client-b")
    submit(factories.ContractFactory(status=Contract.Status.ACTIVE))
    submit(contract, now=timezone.now() + datetime.timedelta(days=1))

    assert ResidentFeedback.objects.count() == 4


def test_the_day_is_the_local_day_in_china(contract):
    """23:30 and 00:30 Beijing time are two days (the UTC date is the same); 00:30 and
    23:00 are one."""
    before_midnight = datetime.datetime(2026, 5, 1, 23, 30, tzinfo=SHANGHAI)
    after_midnight = datetime.datetime(2026, 5, 2, 0, 30, tzinfo=SHANGHAI)
    submit(contract, now=before_midnight)
    second = submit(contract, now=after_midnight)

    assert second.day == datetime.date(2026, 5, 2)
    with pytest.raises(ValidationError):
        submit(contract, now=datetime.datetime(2026, 5, 2, 23, 0, tzinfo=SHANGHAI))
    assert ResidentFeedback.objects.count() == 2


def test_a_refusal_leaves_the_callers_transaction_usable(contract):
    """The refused insert is rolled back to a savepoint, not the whole transaction."""
    with transaction.atomic():
        submit(contract)
        with pytest.raises(ValidationError):
            submit(contract)
        other = submit(contract, client_key="client-b")

    assert ResidentFeedback.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_posts_from_one_client_store_one(postgres_only):
    """Two connections posting at once: the unique constraint lets exactly one in."""
    with transaction.atomic():  # the milestone-sum trigger checks at commit
        contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    barrier = threading.Barrier(4)
    outcomes = []

    def post(score):
        try:
            barrier.wait(5)
            submit(contract, score=score)
            outcomes.append("stored")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(score,)) for score in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes) == ["already_submitted_today"] * 3 + ["stored"]
    assert ResidentFeedback.objects.count() == 1


# --- The client key ---------------------------------------------------------------------------


def test_the_client_key_is_a_keyed_hash_that_hides_the_address(settings):
    """64 hex characters, stable for one client, different for another address or browser
    or another SECRET_KEY, and not containing the address."""
    key = resident_client_key(address="203.0.113.77", user_agent="Mozilla/5.0 Test")

    assert len(key) == 64 and int(key, 16) >= 0
    assert "203.0.113.77" not in key
    assert key == resident_client_key(address="203.0.113.77", user_agent="Mozilla/5.0 Test")
    assert key != resident_client_key(address="203.0.113.78", user_agent="Mozilla/5.0 Test")
    assert key != resident_client_key(address="203.0.113.77", user_agent="Mozilla/5.0 Other")
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert key != resident_client_key(address="203.0.113.77", user_agent="Mozilla/5.0 Test")


# --- Moderation -------------------------------------------------------------------------------


@pytest.fixture
def pending():
    return factories.ResidentFeedbackFactory(comment="社工很耐心。")


def test_staff_approve_a_comment_with_an_audit_entry(pending, staff):
    """Approving records who and when on the row and a pending → approved audit entry."""
    feedback = resident_feedback_moderate(feedback=pending, by=staff, approve=True)

    feedback.refresh_from_db()
    assert feedback.status == Status.APPROVED
    assert feedback.moderated_by == staff and feedback.moderated_at is not None
    (entry,) = audit_list_for(feedback)
    assert (entry.from_status, entry.to_status, entry.actor) == (
        Status.PENDING,
        Status.APPROVED,
        staff,
    )


def test_rejecting_needs_a_reason_and_changes_nothing_without_one(pending, staff):
    """No reason: a clear error, the comment stays pending, no audit entry."""
    with pytest.raises(ValidationError) as error:
        resident_feedback_moderate(feedback=pending, by=staff, approve=False, reason="  ")

    assert "理由" in error.value.messages[0]
    pending.refresh_from_db()
    assert pending.status == Status.PENDING and pending.moderated_by is None
    assert not AuditEntry.objects.exists()


def test_staff_reject_with_a_reason_and_may_change_their_mind(pending, staff):
    """Rejected with the reason in the audit log; later approved (and back) by staff."""
    resident_feedback_moderate(feedback=pending, by=staff, approve=False, reason="含个人信息")
    pending.refresh_from_db()
    assert pending.status == Status.REJECTED
    assert audit_list_for(pending)[0].reason == "含个人信息"

    resident_feedback_moderate(feedback=pending, by=staff, approve=True)
    pending.refresh_from_db()
    assert pending.status == Status.APPROVED


@pytest.mark.parametrize("who", ["anonymous", "user", "officer", "org_admin"])
def test_only_staff_moderate(pending, who):
    """Anyone but staff gets PermissionDenied and nothing changes."""
    by = {
        "anonymous": lambda: AnonymousUser(),
        "user": factories.UserFactory,
        "officer": lambda: factories.BuyerMembershipFactory(buyer=pending.contract.buyer).user,
        "org_admin": lambda: (
            factories.OrganisationMembershipFactory(organisation=pending.contract.organisation).user
        ),
    }[who]()

    with pytest.raises(PermissionDenied):
        resident_feedback_moderate(feedback=pending, by=by, approve=True)

    pending.refresh_from_db()
    assert pending.status == Status.PENDING and pending.moderated_by is None
    assert not AuditEntry.objects.exists()


def test_a_bare_score_has_nothing_to_moderate(contract, staff):
    """Feedback without a comment cannot be approved or rejected."""
    feedback = submit(contract)

    with pytest.raises(TransitionNotAllowed):
        resident_feedback_moderate(feedback=feedback, by=staff, approve=True)
    feedback.refresh_from_db()
    assert feedback.status == Status.NO_COMMENT and feedback.moderated_at is None
