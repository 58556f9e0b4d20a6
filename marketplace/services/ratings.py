"""Two-way evaluation (双向评估): opening rounds, sealed submissions, the reveal, appeals
and the Bayesian summaries shown on profiles.

Sealing: until a round is revealed (both sides in, or the window closed) nothing of one
side's evaluation reaches the other — the notification says only that it was submitted.
The audit log holds the scores (staff read it in the admin only, never a party), so an
appeal can be checked against what was submitted and when.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import notifications, permissions, tasks
from marketplace.dates import WorkingDayCalendarUnknown, add_working_days, db_now
from marketplace.models import (
    Contract,
    Milestone,
    Rating,
    RatingAppeal,
    RatingRound,
    RatingScore,
    RatingSummary,
)
from marketplace.models.ratings import BUYER_DIMENSIONS, ORGANISATION_DIMENSIONS, OVERALL
from marketplace.services.audit import audit_record
from marketplace.workflows import transition

REASON_LIMIT = 2000
COMMENT_LIMIT = 2000
SCORE_PLACES = Decimal("0.0001")

# The dimensions each side scores: the buyer rates the organisation and vice versa.
SIDE_DIMENSIONS = {
    Rating.Side.BUYER: ORGANISATION_DIMENSIONS,
    Rating.Side.ORGANISATION: BUYER_DIMENSIONS,
}

# Recomputes run in the background and may overlap; they rewrite every summary of a
# subject type (the platform mean moves with each evaluation), so they take turns.
RECOMPUTE_LOCK_KEY = 720_601


def _field_error(field, message, code) -> ValidationError:
    """An error on one form field that keeps its code (a plain dict would drop it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def rating_window_end(start: datetime.datetime) -> datetime.datetime:
    """The end (Beijing time) of the RATING_WINDOW_WORKING_DAYS-th working day after `start`."""
    local = timezone.localtime(start)
    try:
        day = add_working_days(local.date(), settings.RATING_WINDOW_WORKING_DAYS)
    except WorkingDayCalendarUnknown:
        # Completing a contract must not fail for want of next year's holiday notice: a
        # working week is five days, so the same number of working weeks in calendar days.
        day = local.date() + datetime.timedelta(days=settings.RATING_WINDOW_WORKING_DAYS * 7 // 5)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def _round_open_for(*, contract, milestone, start) -> RatingRound:
    """Get or create a round; the unique constraints make a concurrent second open a get."""
    kind = RatingRound.Kind.MILESTONE if milestone is not None else RatingRound.Kind.COMPLETION
    lookup = {"milestone": milestone} if milestone is not None else {"kind": kind}
    rating_round, created = RatingRound.objects.get_or_create(
        contract=contract,
        **lookup,
        defaults={"kind": kind, "opened_at": start, "closes_at": rating_window_end(start)},
    )
    if created:
        audit_record(
            obj=rating_round,
            by=None,
            action="rating_round_open",
            to_status=rating_round.status,
            data={"kind": kind, "closes_at": rating_round.closes_at.isoformat()},
        )
    return rating_round


@transaction.atomic
def rating_round_open(*, contract, milestone=None, now=None) -> RatingRound:
    """Open the evaluation of a contract, or return the one already open (idempotent).

    Rules: the completion round (no milestone) needs a completed contract and runs from
    `now` (the completion); a milestone round needs a milestone of this contract that was
    accepted (or since paid) and runs from its acceptance. The window closes at the end of
    the RATING_WINDOW_WORKING_DAYS-th working day after that."""
    if milestone is None:
        if contract.status != Contract.Status.COMPLETED:
            raise ValidationError(_("合同履行完毕后才能开始结项评估。"), code="not_completed")
        return _round_open_for(contract=contract, milestone=None, start=now or db_now())
    if milestone.contract_id != contract.pk:
        raise ValidationError(_("该履约节点不属于本合同。"), code="wrong_contract")
    if (
        milestone.status not in {Milestone.Status.ACCEPTED, Milestone.Status.PAID}
        or milestone.accepted_at is None
    ):
        raise ValidationError(_("履约节点验收后才能进行节点评估。"), code="not_accepted")
    return _round_open_for(contract=contract, milestone=milestone, start=milestone.accepted_at)


def _may_rate(user, contract, side) -> bool:
    if side == Rating.Side.BUYER:
        return permissions.is_contract_buyer(user, contract)
    return permissions.is_contract_organisation(user, contract)


def _clean_scores(side, scores) -> list[tuple[str, int, str]]:
    """Exactly the side's dimensions, each 1–5, a comment for a 1 or 2; errors per dimension."""
    expected = [str(dimension) for dimension in SIDE_DIMENSIONS[side]]
    given = dict(scores or {})
    if set(given) != set(expected):
        raise ValidationError(
            _("请对全部%(count)d个维度逐项评分。") % {"count": len(expected)},
            code="dimensions",
        )
    cleaned, errors = [], {}
    for dimension in expected:
        try:
            raw_score, raw_comment = given[dimension]
        except (TypeError, ValueError):
            errors[dimension] = ValidationError(_("请选择评分。"), code="required")
            continue
        comment = (raw_comment or "").strip()
        if isinstance(raw_score, bool) or not isinstance(raw_score, int):
            try:
                raw_score = int(raw_score)
            except (TypeError, ValueError):
                errors[dimension] = ValidationError(_("请选择评分。"), code="required")
                continue
        if not 1 <= raw_score <= 5:
            errors[dimension] = ValidationError(_("评分须为1至5分。"), code="out_of_range")
        elif raw_score <= 2 and not comment:
            errors[dimension] = ValidationError(
                _("评分为1或2分时须填写说明。"), code="comment_required"
            )
        elif len(comment) > COMMENT_LIMIT:
            errors[dimension] = ValidationError(
                _("说明不能超过%(limit)d字。") % {"limit": COMMENT_LIMIT}, code="too_long"
            )
        else:
            cleaned.append((dimension, raw_score, comment))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _window_closed(rating_round, now) -> bool:
    return now > rating_round.closes_at


def _parties(contract) -> tuple[list[int], list[int]]:
    return [contract.organisation_id], [contract.buyer_id]


def _enqueue_recompute(contract):
    organisation_ids, buyer_ids = _parties(contract)
    transaction.on_commit(
        lambda: tasks.recompute_rating_summaries.enqueue(
            organisation_ids=organisation_ids, buyer_ids=buyer_ids
        )
    )


def _reveal(rating_round, *, by, now, trigger) -> RatingRound:
    """Reveal a locked, open round: both sides see each other's evaluation from now on."""
    # The table's check wants a revealed round to carry its time; set it before the move.
    RatingRound.objects.filter(pk=rating_round.pk).update(revealed_at=now)
    rating_round.revealed_at = now
    transition(
        rating_round,
        RatingRound.Status.REVEALED,
        by=by,
        action="rating_reveal",
        data={"trigger": trigger},
    )
    if rating_round.ratings.exists():
        _enqueue_recompute(rating_round.contract)
    transaction.on_commit(lambda: notifications.rating_round_revealed(rating_round))
    return rating_round


@transaction.atomic
def rating_submit(
    *, rating_round, side, by, scores: dict[str, tuple[int, str]], now=None
) -> Rating:
    """Submit, or replace before the reveal, one side's evaluation in a round.

    Rules: `side` "buyer" is submitted by an officer of the contract's buyer, "organisation"
    by an admin of its organisation; the round is open and its window has not closed;
    `scores` = {dimension: (score, comment)} for exactly the side's five dimensions, 1–5, a
    comment for a 1 or 2 (errors keyed by dimension value). Once both sides are in, the
    round is revealed (by `by`) and the summaries are recomputed after commit. The other
    side is emailed that an evaluation was submitted — never what it says."""
    if side not in Rating.Side.values:
        raise ValidationError(_("评价方无效。"), code="invalid_side")
    side = Rating.Side(side)
    contract = rating_round.contract
    if not _may_rate(by, contract, side):
        raise PermissionDenied(_("您没有权限代表该方提交评价。"))
    cleaned = _clean_scores(side, scores)
    now = now or db_now()
    locked = (
        RatingRound.objects.select_for_update().select_related("contract").get(pk=rating_round.pk)
    )
    if locked.status != RatingRound.Status.OPEN:
        raise ValidationError(_("评价已揭晓，不能再提交或修改。"), code="revealed")
    if _window_closed(locked, now):
        raise ValidationError(_("评估期已结束，不能再提交或修改。"), code="window_closed")
    rating = Rating.objects.filter(round=locked, side=side).first()
    edited = rating is not None
    if edited:
        rating.submitted_by = by
        rating.submitted_at = now
        rating.save(update_fields=["submitted_by", "submitted_at", "updated_at"])
        rating.scores.all().delete()
    else:
        rating = Rating.objects.create(round=locked, side=side, submitted_by=by, submitted_at=now)
    RatingScore.objects.bulk_create(
        RatingScore(rating=rating, dimension=dimension, score=score, comment=comment)
        for dimension, score, comment in cleaned
    )
    audit_record(
        obj=rating,
        by=by,
        action="rating_edit" if edited else "rating_submit",
        data={"scores": {dimension: score for dimension, score, _comment in cleaned}},
    )
    if not edited:
        transaction.on_commit(lambda: notifications.rating_submitted(rating))
    if Rating.objects.filter(round=locked).count() == len(Rating.Side.values):
        _reveal(locked, by=by, now=now, trigger="both_submitted")
    rating_round.refresh_from_db(fields=["status", "revealed_at"])
    return rating


@transaction.atomic
def _reveal_one_due(pk, now) -> bool:
    rating_round = (
        RatingRound.objects.select_for_update().select_related("contract").filter(pk=pk).first()
    )
    if (
        rating_round is None
        or rating_round.status != RatingRound.Status.OPEN
        or not _window_closed(rating_round, now)
    ):
        return False  # revealed by its second submission meanwhile
    _reveal(rating_round, by=None, now=now, trigger="window_closed")
    return True


def rating_rounds_reveal_due(
    *, now=None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Reveal, by the platform, every open round whose window has closed; returns how many.

    Each round is revealed in its own transaction, so one failure does not hold back the
    rest; `progress(done, total)` is called after each (for the command's output)."""
    now = now or db_now()
    due = list(
        RatingRound.objects.filter(status=RatingRound.Status.OPEN, closes_at__lt=now)
        .order_by("closes_at", "pk")
        .values_list("pk", flat=True)
    )
    revealed = 0
    for done, pk in enumerate(due, start=1):
        revealed += _reveal_one_due(pk, now)
        if progress is not None:
            progress(done, len(due))
    return revealed


def _may_appeal(user, rating) -> bool:
    """The rated side: the organisation's admin contests the buyer's evaluation of it, a
    buyer officer the organisation's evaluation of the buyer."""
    contract = rating.round.contract
    if rating.side == Rating.Side.BUYER:
        return permissions.is_contract_organisation(user, contract)
    return permissions.is_contract_buyer(user, contract)


@transaction.atomic
def rating_appeal_file(*, rating, by, reason) -> RatingAppeal:
    """Contest a revealed evaluation, once, with a reason.

    Rules: `by` belongs to the rated side (see `_may_appeal`); the round is revealed; the
    evaluation has no appeal yet; the reason is given (at most 2000 characters)."""
    rating = Rating.objects.select_related("round__contract").get(pk=rating.pk)
    if not _may_appeal(by, rating):
        raise PermissionDenied(_("只有被评价方可以对该评价提出申诉。"))
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("请填写申诉理由。"), "required")
    if len(reason) > REASON_LIMIT:
        raise _field_error(
            "reason", _("申诉理由不能超过%(limit)d字。") % {"limit": REASON_LIMIT}, "too_long"
        )
    # Locking the rating makes a concurrent second appeal wait, then see the first.
    rating = Rating.objects.select_for_update().select_related("round__contract").get(pk=rating.pk)
    if rating.round.status != RatingRound.Status.REVEALED:
        raise ValidationError(_("评价揭晓后才能提出申诉。"), code="not_revealed")
    if RatingAppeal.objects.filter(rating=rating).exists():
        raise ValidationError(_("每条评价只能申诉一次。"), code="already_appealed")
    appeal = RatingAppeal.objects.create(
        rating=rating, filed_by=by, reason=reason, created_at=db_now()
    )
    audit_record(
        obj=appeal, by=by, action="rating_appeal_file", to_status=appeal.status, reason=reason
    )
    return appeal


@transaction.atomic
def rating_appeal_decide(*, appeal, by, uphold: bool, decision: str) -> RatingAppeal:
    """Staff decide an appeal: upheld excludes the evaluation from the aggregates (it stays
    visible, marked excluded); dismissed leaves it as it was.

    Rules: staff only; the appeal is open; the decision is given (it is shown to both
    sides). Summaries are recomputed after commit; the appellant and the other side are
    emailed the decision."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有平台工作人员可以处理评价申诉。"))
    decision = (decision or "").strip()
    if not decision:
        raise _field_error("decision", _("请填写处理意见，处理意见将告知双方。"), "required")
    if len(decision) > REASON_LIMIT:
        raise _field_error(
            "decision", _("处理意见不能超过%(limit)d字。") % {"limit": REASON_LIMIT}, "too_long"
        )
    to = RatingAppeal.Status.UPHELD if uphold else RatingAppeal.Status.DISMISSED
    now = db_now()
    transition(appeal, to, by=by, reason=decision, action="rating_appeal_decide")
    RatingAppeal.objects.filter(pk=appeal.pk).update(
        decided_by=by, decided_at=now, decision=decision
    )
    appeal = RatingAppeal.objects.select_related(
        "rating__round__contract", "filed_by", "decided_by"
    ).get(pk=appeal.pk)
    if uphold:
        Rating.objects.filter(pk=appeal.rating_id).update(excluded_at=now)
        appeal.rating.excluded_at = now
        audit_record(obj=appeal.rating, by=by, action="rating_exclude", reason=decision)
    _enqueue_recompute(appeal.rating.round.contract)
    transaction.on_commit(lambda: notifications.rating_appeal_decided(appeal))
    return appeal


# --- Aggregation ------------------------------------------------------------------------------


def _quantize(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        SCORE_PLACES, rounding=ROUND_HALF_UP
    )


def bayesian(*, prior_weight: int, platform_mean: Fraction, count: int, total: Fraction):
    """(C·m + Σ)/(C + n): the subject's mean pulled towards the platform mean `m` as if it
    had `C` more evaluations at the mean."""
    return (prior_weight * platform_mean + total) / (prior_weight + count)


def rating_observations(side) -> dict[int, dict[str, list[Fraction]]]:
    """Every counted observation of one side's evaluations, by subject and dimension:
    revealed rounds, not excluded; "overall" holds each evaluation's mean score. The
    subject is the organisation for buyer-side evaluations, the buyer otherwise."""
    subject = "round__contract__organisation_id"
    if side == Rating.Side.ORGANISATION:
        subject = "round__contract__buyer_id"
    rows = RatingScore.objects.filter(
        rating__side=side,
        rating__round__status=RatingRound.Status.REVEALED,
        rating__excluded_at__isnull=True,
    ).values_list(f"rating__{subject}", "rating_id", "dimension", "score")
    observations = defaultdict(lambda: defaultdict(list))
    per_rating = defaultdict(list)
    for subject_id, rating_id, dimension, score in rows:
        observations[subject_id][dimension].append(Fraction(score))
        per_rating[(subject_id, rating_id)].append(score)
    for (subject_id, _rating_id), rating_scores in per_rating.items():
        observations[subject_id][OVERALL].append(Fraction(sum(rating_scores), len(rating_scores)))
    return observations


def rating_summaries_expected(side) -> dict[tuple[int, str], tuple[int, Decimal, Decimal]]:
    """{(subject_id, dimension): (count, total, score)} computed from the evaluations."""
    observations = rating_observations(side)
    platform = defaultdict(list)
    for dimensions in observations.values():
        for dimension, values in dimensions.items():
            platform[dimension].extend(values)
    means = {dimension: sum(values) / len(values) for dimension, values in platform.items()}
    prior = settings.RATING_PRIOR_WEIGHT
    expected = {}
    for subject_id, dimensions in observations.items():
        for dimension, values in dimensions.items():
            total = sum(values)
            score = bayesian(
                prior_weight=prior,
                platform_mean=means[dimension],
                count=len(values),
                total=total,
            )
            expected[(subject_id, dimension)] = (len(values), _quantize(total), _quantize(score))
    return expected


def _take_recompute_turn():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RECOMPUTE_LOCK_KEY])


def _rewrite_summaries(side):
    """Make the stored summaries of one subject type equal to the expected ones."""
    subject_field = "organisation_id" if side == Rating.Side.BUYER else "buyer_id"
    expected = rating_summaries_expected(side)
    stored = {
        (getattr(summary, subject_field), summary.dimension): summary
        for summary in RatingSummary.objects.filter(**{f"{subject_field}__isnull": False})
    }
    changed, created = [], []
    now = timezone.now()  # bulk_update skips auto_now
    for key, (count, total, score) in expected.items():
        summary = stored.pop(key, None)
        if summary is None:
            created.append(
                RatingSummary(
                    **{subject_field: key[0]},
                    dimension=key[1],
                    count=count,
                    total=total,
                    score=score,
                )
            )
        elif (summary.count, summary.total, summary.score) != (count, total, score):
            summary.count, summary.total, summary.score = count, total, score
            summary.updated_at = now
            changed.append(summary)
    if stored:
        RatingSummary.objects.filter(pk__in=[summary.pk for summary in stored.values()]).delete()
    RatingSummary.objects.bulk_update(changed, ["count", "total", "score", "updated_at"])
    RatingSummary.objects.bulk_create(created)


@transaction.atomic
def rating_summaries_recompute(
    *, organisation_ids: Iterable[int] = (), buyer_ids: Iterable[int] = ()
) -> None:
    """Recompute the rating summaries after evaluations of these subjects changed.

    The Bayesian score of every subject depends on the platform mean, which each revealed
    or excluded evaluation moves, so every summary of the subject type is brought up to
    date (ids only say which types changed); rows without evaluations are removed."""
    _take_recompute_turn()
    if list(organisation_ids):
        _rewrite_summaries(Rating.Side.BUYER)
    if list(buyer_ids):
        _rewrite_summaries(Rating.Side.ORGANISATION)
