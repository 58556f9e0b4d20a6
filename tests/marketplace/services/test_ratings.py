"""Two-way evaluation (双向评估): services/ratings.py — opening rounds, sealed submission and
simultaneous reveal, the window, appeals, and the Bayesian summaries."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from marketplace.models import (
    AuditEntry,
    Contract,
    Milestone,
    Rating,
    RatingAppeal,
    RatingRound,
    RatingSummary,
)
from marketplace.models.ratings import OVERALL
from marketplace.services.contracts import contract_complete_if_done
from marketplace.services.ratings import (
    rating_appeal_decide,
    rating_appeal_file,
    rating_round_open,
    rating_rounds_reveal_due,
    rating_submit,
    rating_summaries_recompute,
)
from tests import factories
from tests.marketplace.rating_helpers import (
    CLOSES_AT,
    NOW,
    Parties,
    sheet,
    snapshot,
    summaries_from_scratch,
    summaries_stored,
)

pytestmark = pytest.mark.django_db

BUYER, ORG = Rating.Side.BUYER, Rating.Side.ORGANISATION
DAY = datetime.timedelta(days=1)


@pytest.fixture
def parties():
    return Parties()


@pytest.fixture
def rating_round(parties):
    return rating_round_open(contract=parties.contract, now=NOW)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (emails, the summary recompute) of what the block does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _submit_both(parties, rating_round, commit, buyer_score=4, org_score=3):
    with commit():
        rating_submit(
            rating_round=rating_round,
            side=BUYER,
            by=parties.officer,
            scores=sheet(BUYER, buyer_score),
            now=NOW,
        )
        rating_submit(
            rating_round=rating_round,
            side=ORG,
            by=parties.admin,
            scores=sheet(ORG, org_score),
            now=NOW,
        )
    rating_round.refresh_from_db()
    return Rating.objects.get(round=rating_round, side=BUYER), Rating.objects.get(
        round=rating_round, side=ORG
    )


# --- Opening ----------------------------------------------------------------------------------


def test_completing_a_contract_opens_its_completion_round():
    """contract_complete_if_done (the last milestone paid) opens the completion round, whose
    window ends with the 15th working day after completion."""
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    contract.milestones.update(status=Milestone.Status.PAID)

    assert contract_complete_if_done(contract) is True

    rating_round = RatingRound.objects.get(contract=contract)
    assert rating_round.kind == RatingRound.Kind.COMPLETION
    assert rating_round.status == RatingRound.Status.OPEN
    assert rating_round.milestone is None
    assert rating_round.closes_at > timezone.now() + 15 * DAY
    assert AuditEntry.objects.filter(
        action="rating_round_open", object_id=str(rating_round.pk)
    ).exists()


def test_window_ends_with_the_15th_working_day(parties):
    """From Monday 2 November 2026, the 15th working day is Monday 23 November; the window
    closes at the end of that day, Beijing time."""
    rating_round = rating_round_open(contract=parties.contract, now=NOW)
    assert rating_round.closes_at == CLOSES_AT
    assert timezone.localtime(rating_round.closes_at).date() == datetime.date(2026, 11, 23)


def test_window_skips_official_holidays(parties):
    """Opened on 30 September 2026, the window skips the National Day holiday (1–7 October)
    and counts the make-up working day (Saturday 10 October, 调休)."""
    opened = timezone.make_aware(datetime.datetime(2026, 9, 30, 9, 0))
    rating_round = rating_round_open(contract=parties.contract, now=opened)
    assert timezone.localtime(rating_round.closes_at).date() == datetime.date(2026, 10, 27)


def test_open_is_idempotent(parties, rating_round):
    """Opening the completion round again returns the same round and writes nothing."""
    before = snapshot()
    again = rating_round_open(contract=parties.contract, now=NOW + 3 * DAY)
    assert again.pk == rating_round.pk
    assert again.closes_at == rating_round.closes_at
    assert snapshot() == before


def test_completion_round_needs_a_completed_contract():
    """An active contract has no completion round yet; nothing is created."""
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    with pytest.raises(ValidationError) as error:
        rating_round_open(contract=contract)
    assert error.value.code == "not_completed"
    assert not RatingRound.objects.exists()


def test_milestone_round_runs_from_acceptance():
    """An accepted milestone's round runs from its acceptance and is opened once."""
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    milestone = contract.milestones.order_by("position").first()
    Milestone.objects.filter(pk=milestone.pk).update(
        status=Milestone.Status.ACCEPTED, accepted_at=NOW
    )
    milestone.refresh_from_db()

    rating_round = rating_round_open(contract=contract, milestone=milestone)
    assert rating_round.kind == RatingRound.Kind.MILESTONE
    assert rating_round.milestone == milestone
    assert rating_round.closes_at == CLOSES_AT
    assert rating_round_open(contract=contract, milestone=milestone).pk == rating_round.pk
    assert RatingRound.objects.count() == 1


def test_milestone_round_refused_before_acceptance_or_for_another_contract():
    """A pending milestone, or one of another contract, opens nothing."""
    contract = factories.ContractFactory(status=Contract.Status.ACTIVE)
    milestone = contract.milestones.order_by("position").first()
    with pytest.raises(ValidationError) as error:
        rating_round_open(contract=contract, milestone=milestone)
    assert error.value.code == "not_accepted"
    other = factories.ContractFactory(status=Contract.Status.ACTIVE)
    with pytest.raises(ValidationError) as error:
        rating_round_open(contract=other, milestone=milestone)
    assert error.value.code == "wrong_contract"
    assert not RatingRound.objects.exists()


# --- Submitting and the simultaneous reveal ---------------------------------------------------


def test_first_submission_is_sealed_and_only_announced(parties, rating_round, commit):
    """The first side's evaluation is stored, the round stays open, and the other side is
    emailed only that an evaluation was submitted — no scores, no comments."""
    scores = sheet(BUYER, 4, quality=(1, "社工流失严重，服务中断两个月"))
    with commit():
        rating = rating_submit(
            rating_round=rating_round, side=BUYER, by=parties.officer, scores=scores, now=NOW
        )

    rating_round.refresh_from_db()
    assert rating_round.status == RatingRound.Status.OPEN
    assert rating.submitted_by == parties.officer
    assert {s.dimension: s.score for s in rating.scores.all()}["quality"] == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {parties.admin.email, parties.member.email}
    assert "社工流失" not in message.body and "社工流失" not in message.subject
    assert not RatingSummary.objects.exists()
    entry = AuditEntry.objects.get(action="rating_submit", object_id=str(rating.pk))
    assert entry.actor == parties.officer
    assert entry.data["scores"]["quality"] == 1


def test_second_submission_reveals_and_recomputes(parties, rating_round, commit):
    """When the second side submits, the round is revealed (by that side), both sides are
    emailed, and the summaries of both subjects are recomputed."""
    _submit_both(parties, rating_round, commit)

    assert rating_round.status == RatingRound.Status.REVEALED
    assert rating_round.revealed_at == NOW
    reveal = AuditEntry.objects.get(action="rating_reveal", object_id=str(rating_round.pk))
    assert reveal.actor == parties.admin
    assert reveal.data == {"trigger": "both_submitted"}
    revealed_mail = [m for m in mail.outbox if "揭晓" in m.subject]
    assert len(revealed_mail) == 1
    assert set(revealed_mail[0].to) == {
        parties.officer.email,
        parties.admin.email,
        parties.member.email,
    }
    organisation_overall = RatingSummary.objects.get(
        organisation=parties.contract.organisation, dimension=OVERALL
    )
    assert organisation_overall.count == 1
    assert organisation_overall.score == Decimal("4.0000")  # alone, the platform mean is its own
    assert RatingSummary.objects.get(
        buyer=parties.contract.buyer, dimension=OVERALL
    ).score == Decimal("3.0000")
    assert summaries_stored() == summaries_from_scratch()


def test_edit_before_reveal_replaces_scores(parties, rating_round, commit):
    """Before the reveal a side may change its evaluation: the scores are replaced, the edit
    is audited, and the other side is not emailed again."""
    with commit():
        rating_submit(
            rating_round=rating_round,
            side=BUYER,
            by=parties.officer,
            scores=sheet(BUYER, 4),
            now=NOW,
        )
        other_officer = factories.BuyerMembershipFactory(buyer=parties.contract.buyer).user
        rating = rating_submit(
            rating_round=rating_round,
            side=BUYER,
            by=other_officer,
            scores=sheet(BUYER, 5),
            now=NOW + DAY,
        )
    assert Rating.objects.filter(round=rating_round).count() == 1
    assert sorted(rating.scores.values_list("score", flat=True)) == [5] * 5
    assert rating.submitted_by == other_officer
    assert rating.submitted_at == NOW + DAY
    assert AuditEntry.objects.filter(action="rating_edit", object_id=str(rating.pk)).count() == 1
    assert len(mail.outbox) == 1


def test_edit_after_reveal_is_refused(parties, rating_round, commit):
    """After the reveal nothing is edited."""
    _submit_both(parties, rating_round, commit)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_submit(
            rating_round=rating_round,
            side=BUYER,
            by=parties.officer,
            scores=sheet(BUYER, 1, "差"),
            now=NOW,
        )
    assert error.value.code == "revealed"
    assert snapshot() == before


def test_submission_after_the_window_is_refused(parties, rating_round):
    """Once the window has closed a side can no longer submit, even before the platform's
    reveal has run."""
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_submit(
            rating_round=rating_round,
            side=ORG,
            by=parties.admin,
            scores=sheet(ORG),
            now=CLOSES_AT + datetime.timedelta(seconds=1),
        )
    assert error.value.code == "window_closed"
    assert snapshot() == before


def test_submission_at_the_last_moment_counts(parties, rating_round):
    """The last instant of the window is still inside it."""
    rating = rating_submit(
        rating_round=rating_round, side=ORG, by=parties.admin, scores=sheet(ORG), now=CLOSES_AT
    )
    assert rating.pk


@pytest.mark.parametrize(
    ("scores", "code", "field"),
    [
        ({}, "dimensions", None),
        ("other side", "dimensions", None),
        ({"quality": (6, "")}, "out_of_range", "quality"),
        ({"funds": (0, "没有")}, "out_of_range", "funds"),
        ({"records": (2, "   ")}, "comment_required", "records"),
        ({"satisfaction": (5, "好" * 2001)}, "too_long", "satisfaction"),
        ({"timeliness": ("x", "")}, "required", "timeliness"),
        ({"timeliness": None}, "required", "timeliness"),
    ],
    ids=[
        "empty",
        "wrong-dimensions",
        "six",
        "zero",
        "low-without-comment",
        "long",
        "not-a-number",
        "missing",
    ],
)
def test_bad_scores_are_refused_per_dimension(parties, rating_round, scores, code, field):
    """Bad input gives a clear error (on the dimension where there is one) and changes nothing."""
    if scores == {}:
        given = {}
    elif scores == "other side":
        given = sheet(ORG)
    else:
        given = sheet(BUYER)
        given.update(scores)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_submit(
            rating_round=rating_round, side=BUYER, by=parties.officer, scores=given, now=NOW
        )
    if field is None:
        assert error.value.code == code
    else:
        assert [e.code for e in error.value.error_dict[field]] == [code]
        assert set(error.value.error_dict) == {field}
    assert snapshot() == before
    assert not mail.outbox


def test_scores_given_as_strings_are_accepted(parties, rating_round):
    """Form input (strings) is read as integers."""
    scores = {
        dimension: (str(score), comment) for dimension, (score, comment) in sheet(ORG, 3).items()
    }
    rating = rating_submit(
        rating_round=rating_round, side=ORG, by=parties.admin, scores=scores, now=NOW
    )
    assert set(rating.scores.values_list("score", flat=True)) == {3}


def test_unknown_side_is_refused(parties, rating_round):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_submit(
            rating_round=rating_round,
            side="resident",
            by=parties.officer,
            scores=sheet(BUYER),
            now=NOW,
        )
    assert error.value.code == "invalid_side"
    assert snapshot() == before


SUBMIT_MATRIX = [
    ("officer", BUYER, True),
    ("admin", ORG, True),
    ("member", ORG, False),
    ("officer", ORG, False),
    ("admin", BUYER, False),
    ("member", BUYER, False),
    ("stranger_officer", BUYER, False),
    ("stranger_admin", ORG, False),
    ("staff", BUYER, False),
    ("staff", ORG, False),
    ("anonymous", BUYER, False),
]


@pytest.mark.parametrize(
    ("actor", "side", "allowed"), SUBMIT_MATRIX, ids=[f"{a}-{s}" for a, s, _ in SUBMIT_MATRIX]
)
def test_submit_permission_matrix(parties, rating_round, actor, side, allowed):
    """Only the buyer's officers submit the buyer's evaluation and only the organisation's
    admins the organisation's; everyone else is refused and nothing changes."""
    user = AnonymousUser() if actor == "anonymous" else getattr(parties, actor)
    if allowed:
        assert rating_submit(
            rating_round=rating_round, side=side, by=user, scores=sheet(side), now=NOW
        ).pk
        return
    before = snapshot()
    with pytest.raises(PermissionDenied):
        rating_submit(rating_round=rating_round, side=side, by=user, scores=sheet(side), now=NOW)
    assert snapshot() == before


# --- The platform's reveal at the window's close ----------------------------------------------


def test_closed_window_reveals_by_the_platform(parties, rating_round, commit):
    """A round whose window closed is revealed by the platform with what was submitted;
    rounds still inside their window are left alone; a second run finds nothing."""
    with commit():
        rating_submit(
            rating_round=rating_round,
            side=BUYER,
            by=parties.officer,
            scores=sheet(BUYER, 2, "不及时"),
            now=NOW,
        )
    still_open = rating_round_open(contract=Parties().contract, now=NOW + 10 * DAY)
    mail.outbox.clear()

    with commit():
        assert rating_rounds_reveal_due(now=CLOSES_AT + DAY) == 1
    rating_round.refresh_from_db()
    still_open.refresh_from_db()
    assert rating_round.status == RatingRound.Status.REVEALED
    assert rating_round.revealed_at == CLOSES_AT + DAY
    assert still_open.status == RatingRound.Status.OPEN
    entry = AuditEntry.objects.get(action="rating_reveal", object_id=str(rating_round.pk))
    assert entry.actor is None and entry.data == {"trigger": "window_closed"}
    assert (
        RatingSummary.objects.get(
            organisation=parties.contract.organisation, dimension=OVERALL
        ).count
        == 1
    )
    assert len(mail.outbox) == 1
    assert rating_rounds_reveal_due(now=CLOSES_AT + DAY) == 0


def test_reveal_command_reports_progress(parties, rating_round, capsys):
    """manage.py reveal_rating_rounds reveals due rounds and says how many."""
    RatingRound.objects.filter(pk=rating_round.pk).update(closes_at=timezone.now() - DAY)
    call_command("reveal_rating_rounds")
    out = capsys.readouterr().out
    assert "1/1" in out
    assert "revealed 1 evaluation round(s)" in out
    rating_round.refresh_from_db()
    assert rating_round.status == RatingRound.Status.REVEALED


# --- Appeals ----------------------------------------------------------------------------------


@pytest.fixture
def revealed(parties, rating_round, commit):
    """Both evaluations submitted and revealed: (buyer's rating, organisation's rating)."""
    return _submit_both(parties, rating_round, commit)


APPEAL_MATRIX = [
    # (who appeals, whose evaluation, allowed)
    ("admin", BUYER, True),
    ("officer", ORG, True),
    ("member", BUYER, False),
    ("officer", BUYER, False),
    ("admin", ORG, False),
    ("stranger_admin", BUYER, False),
    ("stranger_officer", ORG, False),
    ("staff", BUYER, False),
    ("anonymous", ORG, False),
]


@pytest.mark.parametrize(
    ("actor", "side", "allowed"), APPEAL_MATRIX, ids=[f"{a}-{s}" for a, s, _ in APPEAL_MATRIX]
)
def test_appeal_permission_matrix(parties, revealed, actor, side, allowed):
    """Only the rated side appeals: the organisation's admin against the buyer's evaluation,
    a buyer officer against the organisation's; others are refused and nothing changes."""
    user = AnonymousUser() if actor == "anonymous" else getattr(parties, actor)
    rating = revealed[0] if side == BUYER else revealed[1]
    if allowed:
        appeal = rating_appeal_file(rating=rating, by=user, reason="评分与事实不符")
        assert appeal.status == RatingAppeal.Status.OPEN
        assert AuditEntry.objects.filter(
            action="rating_appeal_file", object_id=str(appeal.pk)
        ).exists()
        return
    before = snapshot()
    with pytest.raises(PermissionDenied):
        rating_appeal_file(rating=rating, by=user, reason="评分与事实不符")
    assert snapshot() == before


def test_appeal_only_after_reveal(parties, rating_round):
    """A sealed evaluation cannot be appealed (the rated side has not seen it)."""
    rating = rating_submit(
        rating_round=rating_round, side=BUYER, by=parties.officer, scores=sheet(BUYER), now=NOW
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_appeal_file(rating=rating, by=parties.admin, reason="不公平")
    assert error.value.code == "not_revealed"
    assert snapshot() == before


def test_appeal_only_once(parties, revealed):
    """An evaluation is appealed once; a second appeal, even after a decision, is refused."""
    rating = revealed[0]
    appeal = rating_appeal_file(rating=rating, by=parties.admin, reason="评分与事实不符")
    rating_appeal_decide(appeal=appeal, by=parties.staff, uphold=False, decision="评分有据")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_appeal_file(rating=rating, by=parties.admin, reason="再次申诉")
    assert error.value.code == "already_appealed"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("reason", "code"), [("", "required"), ("  ", "required"), ("理" * 2001, "too_long")]
)
def test_appeal_needs_a_reason(parties, revealed, reason, code):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_appeal_file(rating=revealed[0], by=parties.admin, reason=reason)
    assert [e.code for e in error.value.error_dict["reason"]] == [code]
    assert snapshot() == before


def test_upheld_appeal_excludes_the_evaluation(parties, revealed, commit):
    """Upheld: the evaluation is marked excluded and drops out of the summaries; the
    appellant's side and the evaluating side are emailed the decision."""
    buyer_rating, _org_rating = revealed
    appeal = rating_appeal_file(rating=buyer_rating, by=parties.admin, reason="评分与事实不符")
    mail.outbox.clear()

    with commit():
        decided = rating_appeal_decide(
            appeal=appeal, by=parties.staff, uphold=True, decision="评价依据不足，不计入统计"
        )

    buyer_rating.refresh_from_db()
    assert decided.status == RatingAppeal.Status.UPHELD
    assert decided.decided_by == parties.staff and decided.decided_at is not None
    assert decided.decision == "评价依据不足，不计入统计"
    assert buyer_rating.excluded_at is not None
    assert not RatingSummary.objects.filter(organisation=parties.contract.organisation).exists()
    assert RatingSummary.objects.filter(
        buyer=parties.contract.buyer
    ).exists()  # the other side's stands
    assert summaries_stored() == summaries_from_scratch()
    assert AuditEntry.objects.filter(
        action="rating_exclude", object_id=str(buyer_rating.pk)
    ).exists()
    assert AuditEntry.objects.filter(
        action="rating_appeal_decide", object_id=str(appeal.pk), to_status="upheld"
    ).exists()
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {
        parties.admin.email,
        parties.member.email,
        parties.officer.email,
    }
    assert "评价依据不足" in mail.outbox[0].body


def test_dismissed_appeal_changes_no_figure(parties, revealed, commit):
    """Dismissed: the evaluation still counts; the summaries are what they were."""
    _buyer_rating, org_rating = revealed
    appeal = rating_appeal_file(rating=org_rating, by=parties.officer, reason="付款延迟系财政原因")
    summaries = summaries_stored()
    with commit():
        rating_appeal_decide(appeal=appeal, by=parties.staff, uphold=False, decision="评分有据")
    org_rating.refresh_from_db()
    assert org_rating.excluded_at is None
    assert summaries_stored() == summaries
    appeal.refresh_from_db()
    assert appeal.status == RatingAppeal.Status.DISMISSED


@pytest.mark.parametrize("actor", ["officer", "admin", "member", "stranger_officer", "anonymous"])
def test_only_staff_decide_appeals(parties, revealed, actor):
    appeal = rating_appeal_file(rating=revealed[0], by=parties.admin, reason="不公平")
    user = AnonymousUser() if actor == "anonymous" else getattr(parties, actor)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        rating_appeal_decide(appeal=appeal, by=user, uphold=True, decision="成立")
    assert snapshot() == before


def test_decision_is_required_and_given_once(parties, revealed):
    """A decision needs its text; a decided appeal cannot be decided again."""
    appeal = rating_appeal_file(rating=revealed[0], by=parties.admin, reason="不公平")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_appeal_decide(appeal=appeal, by=parties.staff, uphold=True, decision=" ")
    assert [e.code for e in error.value.error_dict["decision"]] == ["required"]
    assert snapshot() == before
    rating_appeal_decide(appeal=appeal, by=parties.staff, uphold=False, decision="评分有据")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        rating_appeal_decide(appeal=appeal, by=parties.staff, uphold=True, decision="改判")
    assert error.value.code == "transition_not_allowed"
    assert snapshot() == before


# --- Aggregation ------------------------------------------------------------------------------


def _revealed_rating(contract, side, scores):
    rating_round = factories.RatingRoundFactory(
        contract=contract, status=RatingRound.Status.REVEALED, revealed_at=NOW
    )
    return factories.RatingFactory(round=rating_round, side=side, scores=scores)


def test_bayesian_average_on_fixed_data(settings):
    """C = 5. Organisation A: one evaluation quality 5, timeliness 4, funds 3, satisfaction 5,
    records 3 (mean 4). Organisation B: two evaluations, all 2s and all 3s. Platform means:
    quality (5+2+3)/3 = 10/3, overall (4+2+3)/3 = 3.
      A quality = (5·10/3 + 5)/(5+1) = 65/18 = 3.6111;  A overall = (5·3 + 4)/6 = 19/6 = 3.1667
      B quality = (5·10/3 + 5)/(5+2) = 65/21 = 3.0952;  B overall = (5·3 + 5)/7 = 20/7 = 2.8571
    An open round's evaluation and an excluded one do not count."""
    settings.RATING_PRIOR_WEIGHT = 5
    a = factories.ContractFactory(status=Contract.Status.COMPLETED)
    b1 = factories.ContractFactory(status=Contract.Status.COMPLETED)
    b2 = factories.ContractFactory(
        status=Contract.Status.COMPLETED, award__bid__organisation=b1.organisation
    )
    _revealed_rating(
        a, BUYER, {"quality": 5, "timeliness": 4, "funds": 3, "satisfaction": 5, "records": 3}
    )
    _revealed_rating(
        b1, BUYER, dict.fromkeys(["quality", "timeliness", "funds", "satisfaction", "records"], 2)
    )
    _revealed_rating(
        b2, BUYER, dict.fromkeys(["quality", "timeliness", "funds", "satisfaction", "records"], 3)
    )
    factories.RatingFactory(  # sealed: an open round
        round=factories.RatingRoundFactory(
            contract=factories.ContractFactory(
                status=Contract.Status.COMPLETED, award__bid__organisation=a.organisation
            )
        ),
        scores=dict.fromkeys(["quality"], 1),
    )
    excluded = _revealed_rating(
        factories.ContractFactory(
            status=Contract.Status.COMPLETED, award__bid__organisation=a.organisation
        ),
        BUYER,
        {"quality": 1},
    )
    Rating.objects.filter(pk=excluded.pk).update(excluded_at=NOW)

    rating_summaries_recompute(organisation_ids=[a.organisation_id])

    def stored(organisation, dimension):
        s = RatingSummary.objects.get(organisation=organisation, dimension=dimension)
        return s.count, s.total, s.score

    assert stored(a.organisation, "quality") == (1, Decimal("5.0000"), Decimal("3.6111"))
    assert stored(a.organisation, OVERALL) == (1, Decimal("4.0000"), Decimal("3.1667"))
    assert stored(b1.organisation, "quality") == (2, Decimal("5.0000"), Decimal("3.0952"))
    assert stored(b1.organisation, OVERALL) == (2, Decimal("5.0000"), Decimal("2.8571"))
    # timeliness: platform mean (4+2+3)/3 = 3; A = (15+4)/6 = 3.1667
    assert stored(a.organisation, "timeliness")[2] == Decimal("3.1667")
    assert not RatingSummary.objects.filter(buyer__isnull=False).exists()  # no buyer ids given
    assert RatingSummary.objects.filter(organisation__isnull=False).count() == 12


def test_prior_weight_comes_from_settings(settings):
    """With C = 0 the score is the plain mean."""
    settings.RATING_PRIOR_WEIGHT = 0
    a = factories.ContractFactory(status=Contract.Status.COMPLETED)
    b = factories.ContractFactory(status=Contract.Status.COMPLETED)
    _revealed_rating(
        a,
        ORG,
        dict.fromkeys(["guidance", "support", "payment", "interference", "communication"], 5),
    )
    _revealed_rating(
        b,
        ORG,
        dict.fromkeys(["guidance", "support", "payment", "interference", "communication"], 2),
    )
    rating_summaries_recompute(buyer_ids=[a.buyer_id])
    assert RatingSummary.objects.get(buyer=a.buyer, dimension=OVERALL).score == Decimal("5.0000")
    assert RatingSummary.objects.get(buyer=b.buyer, dimension=OVERALL).score == Decimal("2.0000")


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["submit", "reveal_due", "appeal", "decide"]),
        st.integers(min_value=0, max_value=2),  # which contract
        st.sampled_from([BUYER, ORG]),
        st.integers(min_value=1, max_value=5),
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture
def three_contracts():
    """Three completed contracts; two share an organisation, two share a buyer."""
    first = Parties()
    second = Parties(
        factories.ContractFactory(
            status=Contract.Status.COMPLETED, award__bid__organisation=first.contract.organisation
        )
    )
    third = Parties(
        factories.ContractFactory(
            status=Contract.Status.COMPLETED, award__bid__tender__buyer=second.contract.buyer
        )
    )
    return [first, second, third]


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_stored_summaries_always_match_a_recomputation_from_scratch(
    three_contracts, django_capture_on_commit_callbacks, actions
):
    """After any sequence of submissions, edits, reveals, appeals and decisions, the stored
    summaries (kept up to date by the background recompute) equal the ones computed from the
    evaluations by the definition."""
    with transaction.atomic():
        rounds = [rating_round_open(contract=p.contract, now=NOW) for p in three_contracts]
        clock = NOW
        for action, index, side, score, flag in actions:
            parties, rating_round = three_contracts[index], rounds[index]
            clock += datetime.timedelta(hours=1)
            with django_capture_on_commit_callbacks(execute=True):
                try:
                    if action == "submit":
                        by = parties.officer if side == BUYER else parties.admin
                        rating_submit(
                            rating_round=rating_round,
                            side=side,
                            by=by,
                            scores=sheet(side, score, "原因"),
                            now=clock,
                        )
                    elif action == "reveal_due":
                        rating_rounds_reveal_due(now=CLOSES_AT + DAY if flag else clock)
                    elif action == "appeal":
                        rating = Rating.objects.filter(round=rating_round, side=side).first()
                        if rating is not None:
                            by = parties.admin if side == BUYER else parties.officer
                            rating_appeal_file(rating=rating, by=by, reason="不公平")
                    else:
                        appeal = RatingAppeal.objects.filter(
                            rating__round=rating_round, status=RatingAppeal.Status.OPEN
                        ).first()
                        if appeal is not None:
                            rating_appeal_decide(
                                appeal=appeal, by=parties.staff, uphold=flag, decision="已核实"
                            )
                except ValidationError:
                    pass  # refused moves (revealed, window closed, appealed) change nothing
            assert summaries_stored() == summaries_from_scratch()
        transaction.set_rollback(True)
