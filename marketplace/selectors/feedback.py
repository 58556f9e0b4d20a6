"""Reading residents' feedback: the score figure of a project's public page, its approved
comments, and staff's moderation queue. The resident score is its own figure and is never
mixed into the two-way ratings (selectors/ratings.py)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from marketplace.models import ResidentFeedback

Status = ResidentFeedback.Status
# What a resident may give (the model's check constraint says the same).
SCORES = range(1, 6)
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class ScoreShare:
    score: int
    count: int
    percent: int  # of all scores, rounded; 0 when there are none


@dataclass(frozen=True)
class FeedbackSummary:
    count: int
    mean: Decimal | None  # to one decimal; None without any score
    distribution: list[ScoreShare]  # 5 down to 1


def resident_feedback_summary(contract) -> FeedbackSummary:
    """Every resident score of the contract (with or without a comment, whatever its
    moderation): count, mean to 0.1 and the 5…1 distribution, in one query."""
    counts = {f"score_{score}": Count("pk", filter=Q(score=score)) for score in SCORES}
    row = ResidentFeedback.objects.filter(contract=contract).aggregate(
        count=Count("pk"), total=Sum("score"), **counts
    )
    count = row["count"]
    mean = (
        (Decimal(row["total"]) / count).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
        if count
        else None
    )
    distribution = [
        ScoreShare(
            score=score,
            count=row[f"score_{score}"],
            percent=round(100 * row[f"score_{score}"] / count) if count else 0,
        )
        for score in reversed(SCORES)
    ]
    return FeedbackSummary(count=count, mean=mean, distribution=distribution)


def resident_feedback_public(contract):
    """The contract's comments staff approved, newest first (the view paginates)."""
    return (
        ResidentFeedback.objects.filter(contract=contract, status=Status.APPROVED)
        .only("pk", "contract_id", "score", "comment", "created_at")
        .order_by("-created_at", "-pk")
    )


def resident_feedback_queue():
    """Comments waiting for moderation, oldest first, with their project up front."""
    return (
        ResidentFeedback.objects.filter(status=Status.PENDING)
        .select_related("contract__tender", "contract__organisation")
        .order_by("created_at", "pk")
    )
