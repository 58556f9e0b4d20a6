"""Reading residents' feedback: every score counts at once in its own figure; only approved
comments are public; staff's queue is the pending comments, oldest first."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.models import Contract, ResidentFeedback
from marketplace.selectors.feedback import (
    resident_feedback_public,
    resident_feedback_queue,
    resident_feedback_summary,
)
from tests import factories

pytestmark = pytest.mark.django_db

Status = ResidentFeedback.Status


@pytest.fixture
def contract():
    return factories.ContractFactory(status=Contract.Status.COMPLETED)


def test_summary_counts_every_score_whatever_its_comment(contract, django_assert_num_queries):
    """Bare, pending, approved and rejected feedback all count: mean to 0.1 (half up) and
    the 5…1 distribution with shares, in one query; other contracts do not count."""
    for score, comment, status in [
        (5, "", Status.NO_COMMENT),
        (4, "好", Status.PENDING),
        (4, "好", Status.APPROVED),
        (2, "差", Status.REJECTED),
    ]:
        factories.ResidentFeedbackFactory(
            contract=contract, score=score, comment=comment, status=status
        )
    factories.ResidentFeedbackFactory(score=1)

    with django_assert_num_queries(1):
        summary = resident_feedback_summary(contract)

    assert summary.count == 4
    assert summary.mean == Decimal("3.8")  # 15 / 4 = 3.75
    assert [(row.score, row.count, row.percent) for row in summary.distribution] == [
        (5, 1, 25),
        (4, 2, 50),
        (3, 0, 0),
        (2, 1, 25),
        (1, 0, 0),
    ]


def test_summary_without_feedback(contract):
    """No feedback: count 0, no mean, an all-zero distribution."""
    summary = resident_feedback_summary(contract)

    assert (summary.count, summary.mean) == (0, None)
    assert [row.count for row in summary.distribution] == [0] * 5


def test_public_comments_are_the_approved_ones_newest_first(contract):
    now = timezone.now()
    old = factories.ResidentFeedbackFactory(
        contract=contract,
        comment="旧",
        status=Status.APPROVED,
        created_at=now - datetime.timedelta(days=3),
    )
    new = factories.ResidentFeedbackFactory(contract=contract, comment="新", status=Status.APPROVED)
    factories.ResidentFeedbackFactory(contract=contract, comment="待审")
    factories.ResidentFeedbackFactory(contract=contract, comment="拒", status=Status.REJECTED)
    factories.ResidentFeedbackFactory(contract=contract)
    factories.ResidentFeedbackFactory(comment="别的项目", status=Status.APPROVED)

    assert list(resident_feedback_public(contract)) == [new, old]


def test_queue_is_pending_comments_oldest_first(django_assert_num_queries):
    now = timezone.now()
    newer = factories.ResidentFeedbackFactory(comment="后")
    older = factories.ResidentFeedbackFactory(
        comment="先", created_at=now - datetime.timedelta(days=2)
    )
    factories.ResidentFeedbackFactory(comment="已公开", status=Status.APPROVED)
    factories.ResidentFeedbackFactory()

    with django_assert_num_queries(1):
        rows = [(row, str(row.contract)) for row in resident_feedback_queue()]

    assert [row for row, _title in rows] == [older, newer]
