"""Residents' satisfaction feedback on delivered projects (居民满意度): submitted without an
account, one per client per project per local day, comments moderated by staff.

A client is known only by a keyed hash of its address and browser (`resident_client_key`):
the address itself is never stored, and the hash cannot be reversed without SECRET_KEY.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from marketplace.models import Contract, ResidentFeedback
from marketplace.selectors.feedback import SCORES
from marketplace.workflows import transition

Status = ResidentFeedback.Status

# Only a project that is being or has been delivered has residents who know it.
FEEDBACK_CONTRACT_STATUSES = frozenset({Contract.Status.ACTIVE, Contract.Status.COMPLETED})
COMMENT_MAX_LENGTH = ResidentFeedback._meta.get_field("comment").max_length
# The salt keeps these hashes apart from every other use of SECRET_KEY.
CLIENT_KEY_SALT = "marketplace.resident_feedback.client"


def resident_client_key(*, address: str, user_agent: str) -> str:
    """The client's throttle key: HMAC-SHA256 (keyed by SECRET_KEY) of its address and
    User-Agent, 64 hex characters; the same client gets the same key, nobody can read the
    address back from it."""
    value = f"{address or ''}\n{user_agent or ''}"
    return salted_hmac(CLIENT_KEY_SALT, value, algorithm="sha256").hexdigest()


def _validate(*, contract, score, comment) -> None:
    if contract.status not in FEEDBACK_CONTRACT_STATUSES:
        raise ValidationError(
            _("只有实施中或已完成的项目可以评价。"), code="contract_not_delivered"
        )
    errors = {}
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        errors["score"] = ValidationError(_("请选择1至5分的满意度。"), code="invalid_score")
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = ValidationError(
            _("留言不能超过%(limit)d个字（现有%(length)d个字）。"),
            code="comment_too_long",
            params={"limit": COMMENT_MAX_LENGTH, "length": len(comment)},
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def resident_feedback_submit(
    *, contract: Contract, score: int, comment: str, client_key: str, now=None
) -> ResidentFeedback:
    """Record a resident's 1–5 score and optional comment on a project.

    Rules: the contract is active or completed; the score is 1–5; the comment (stripped)
    has at most 500 characters and waits for moderation, a bare score needs none; one
    feedback per client per project per local day — the database's unique constraint
    decides, so two simultaneous posts cannot both get in. Nothing is stored on failure.
    """
    if not client_key:
        raise ValueError("resident_feedback_submit needs a client_key")
    now = now or timezone.now()
    comment = (comment or "").strip()
    _validate(contract=contract, score=score, comment=comment)
    feedback = ResidentFeedback(
        contract=contract,
        score=score,
        comment=comment,
        status=Status.PENDING if comment else Status.NO_COMMENT,
        client_key=client_key,
        day=timezone.localdate(now),
        created_at=now,
    )
    try:
        # A savepoint, so the caller's transaction survives the refused insert.
        with transaction.atomic():
            feedback.save(force_insert=True)
    except IntegrityError as error:
        raise ValidationError(
            _("您今天已经评价过这个项目，每天只能评价一次，欢迎明天再来。"),
            code="already_submitted_today",
        ) from error
    return feedback


@transaction.atomic
def resident_feedback_moderate(
    *, feedback: ResidentFeedback, by, approve: bool, reason: str = ""
) -> ResidentFeedback:
    """Staff publish a resident's comment or turn it down (a reason is required, kept in
    the audit log); a published comment may later be withdrawn and a rejected one
    published. Bare scores have nothing to moderate. The score counts either way."""
    target = Status.APPROVED if approve else Status.REJECTED
    moderated = transition(feedback, target, by=by, reason=reason)
    moderated.moderated_by = by
    moderated.moderated_at = timezone.now()
    moderated.save(update_fields=["moderated_by", "moderated_at", "updated_at"])
    feedback.moderated_by, feedback.moderated_at = by, moderated.moderated_at
    return moderated
